/*
 * jsonl.c: batch input files, line by line, as they arrive.
 *
 * A line that lies whole inside one chunk is checked where it lies; only
 * a line cut by a chunk boundary is copied, into a buffer capped at the
 * line limit, so a 200 MB file costs one line of memory.  Each line is
 * checked by jscan_valid() (strict syntax, UTF-8, depth; no allocation)
 * before anything reads it, and its members are then found by a scan of
 * the validated text: no tree is built, so a large body costs nothing
 * more than its bytes.  Keys are compared after decoding, and the four
 * members that matter may appear only once, so no later reader (json-c
 * keeps the last duplicate, a scan the first) can see another request
 * than the one validated here.
 *
 * custom_id uniqueness keeps a 16-byte BLAKE2b hash and the line number
 * of each id in an open-addressing set that grows with the file and is
 * capped by the line limit (50,000 ids: 2 MiB at most).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "fault.h"
#include "jsonl.h"
#include "jscan.h"

#define SEEN_HASH	16
#define SEEN_FIRST	1024	/* slots of a new set */

struct seen_slot {
	unsigned char	 h[SEEN_HASH];
	uint32_t	 line;		/* 0: empty */
};

struct jsonl_seen {
	struct seen_slot *slot;
	size_t		 cap;		/* a power of two */
	size_t		 used;
};

/* The members a request line is made of, found by scan(). */
enum member { M_CUSTOM_ID, M_METHOD, M_URL, M_BODY, M__MAX };

static const char *const member_name[M__MAX] = {
	"custom_id", "method", "url", "body"
};

static enum vn_err	 fail(struct jsonl *, enum vn_err, const char *code,
			    size_t line, const char *fmt, ...) VN_PRINTF(5, 6);
static enum vn_err	 seen_add(struct jsonl *, const char *, size_t,
			    size_t *);
static enum vn_err	 fields(struct jsonl *, const char *, size_t,
			    struct jsonl_line *);
static enum vn_err	 check_line(struct jsonl *, const char *, size_t);

/* Record the first error; every later call returns it. */
static enum vn_err
fail(struct jsonl *j, enum vn_err err, const char *code, size_t line,
    const char *fmt, ...)
{
	va_list	 ap;

	if (j->err != VN_OK)
		return j->err;
	j->err = err;
	j->errcode = code;
	j->errline = line;
	va_start(ap, fmt);
	vsnprintf(j->errmsg, sizeof(j->errmsg), fmt, ap);
	va_end(ap);
	return j->err;
}

/*
 * Add custom_id id (n bytes) to the set, or find it there: *first is
 * then the line that used it first (0 if new).  The set doubles at half
 * load; its size is bounded because the line count is.
 */
static enum vn_err
seen_add(struct jsonl *j, const char *id, size_t n, size_t *first)
{
	struct jsonl_seen *s = j->seen;
	struct seen_slot *old, *slot;
	unsigned char	 h[SEEN_HASH];
	uint64_t	 x;
	size_t		 i, k, oldcap;

	*first = 0;
	if (s == NULL) {
		if ((s = calloc(1, sizeof(*s))) == NULL ||
		    (s->slot = calloc(SEEN_FIRST, sizeof(*s->slot))) == NULL) {
			free(s);
			return VN_ENOMEM;
		}
		s->cap = SEEN_FIRST;
		j->seen = s;
	}
	if (2 * (s->used + 1) > s->cap) {
		old = s->slot;
		oldcap = s->cap;
		if ((s->slot = calloc(2 * oldcap, sizeof(*s->slot))) == NULL) {
			s->slot = old;
			return VN_ENOMEM;
		}
		s->cap = 2 * oldcap;
		for (k = 0; k < oldcap; k++) {
			if (old[k].line == 0)
				continue;
			memcpy(&x, old[k].h, sizeof(x));
			for (i = x & (s->cap - 1); s->slot[i].line != 0;
			    i = (i + 1) & (s->cap - 1))
				continue;
			s->slot[i] = old[k];
		}
		free(old);
	}
	crypto_generichash(h, sizeof(h), (const unsigned char *)id, n,
	    NULL, 0);
	memcpy(&x, h, sizeof(x));
	for (i = x & (s->cap - 1); ; i = (i + 1) & (s->cap - 1)) {
		slot = &s->slot[i];
		if (slot->line == 0)
			break;
		if (memcmp(slot->h, h, sizeof(h)) == 0) {
			*first = slot->line;
			return VN_OK;
		}
	}
	memcpy(slot->h, h, sizeof(h));
	slot->line = j->lineno > UINT32_MAX ? UINT32_MAX :
	    (uint32_t)j->lineno;
	s->used++;
	return VN_OK;
}

/*
 * The request fields of a line already known to be a valid JSON
 * object: the four members (each at most once), then body.model and
 * body.stream.  Fills l, whose strings live in j.
 */
static enum vn_err
fields(struct jsonl *j, const char *s, size_t n, struct jsonl_line *l)
{
	struct jscan_span	 k, v, m[M__MAX], model = { NULL, 0 };
	struct jscan_span	 stream = { NULL, 0 };
	size_t		 i = 0, len, no = j->lineno;
	char		 method[8];
	int		 e, ism;

	memset(m, 0, sizeof(m));
	while (jscan_member_next(s, n, &i, &k, &v))
		for (e = 0; e < M__MAX; e++) {
			if (!jscan_key_is(&k, member_name[e]))
				continue;
			if (m[e].p != NULL)
				return fail(j, VN_EINVAL, "duplicate_key", no,
				    "Line %zu has '%s' more than once.", no,
				    member_name[e]);
			m[e] = v;
		}
	if (m[M_CUSTOM_ID].p == NULL)
		return fail(j, VN_EINVAL, "missing_custom_id", no,
		    "Line %zu has no 'custom_id'.", no);
	if (jscan_string(&m[M_CUSTOM_ID], j->custom_id, sizeof(j->custom_id),
	    &len) != 1 || len == 0)
		return fail(j, VN_EINVAL, "invalid_custom_id", no,
		    "Line %zu: 'custom_id' must be a non-empty string of at "
		    "most %d bytes.", no, JSONL_MAX_CUSTOM_ID);
	if (m[M_METHOD].p == NULL ||
	    jscan_string(&m[M_METHOD], method, sizeof(method), &len) != 1 ||
	    strcmp(method, "POST") != 0)
		return fail(j, VN_EINVAL, "invalid_method", no,
		    "Line %zu: 'method' must be \"POST\".", no);
	if (m[M_URL].p == NULL ||
	    jscan_string(&m[M_URL], j->url, sizeof(j->url), &len) != 1 ||
	    strncmp(j->url, "/v1/", 4) != 0 || j->url[4] == '\0')
		return fail(j, VN_EINVAL, "invalid_url", no,
		    "Line %zu: 'url' must be an endpoint path such as "
		    "\"/v1/chat/completions\".", no);
	if (m[M_BODY].p == NULL || m[M_BODY].p[0] != '{')
		return fail(j, VN_EINVAL, "invalid_body", no,
		    "Line %zu: 'body' must be a JSON object.", no);

	i = 0;
	while (jscan_member_next(m[M_BODY].p, m[M_BODY].n, &i, &k, &v)) {
		if ((ism = jscan_key_is(&k, "model")) == 0 &&
		    !jscan_key_is(&k, "stream"))
			continue;
		if ((ism ? model.p : stream.p) != NULL)
			return fail(j, VN_EINVAL, "duplicate_key", no,
			    "Line %zu has 'body.%s' more than once.", no,
			    ism ? "model" : "stream");
		*(ism ? &model : &stream) = v;
	}
	if (model.p != NULL && jscan_string(&model, j->model,
	    sizeof(j->model), &len) != 1)
		return fail(j, VN_EINVAL, "invalid_model", no,
		    "Line %zu: 'body.model' must be a string of at most %d "
		    "bytes.", no, JSONL_MAX_MODEL);

	l->custom_id = j->custom_id;
	l->method = "POST";
	l->url = j->url;
	l->body = m[M_BODY].p;
	l->body_len = m[M_BODY].n;
	l->model = model.p != NULL ? j->model : NULL;
	l->stream = stream.n == 4 && memcmp(stream.p, "true", 4) == 0;
	return VN_OK;
}

/*
 * Check one line (its LF removed) and hand it to the callback.  Blank
 * lines are skipped; they still count in the numbering, so the numbers
 * match what an editor shows.  The length is checked first, as
 * jsonl_feed() does for a line cut across chunks, so both ways give the
 * same verdict.
 */
static enum vn_err
check_line(struct jsonl *j, const char *s, size_t n)
{
	struct jsonl_line l;
	size_t		 first, no = j->lineno;
	enum vn_err	 rc;

	memset(&l, 0, sizeof(l));
	l.offset = j->start;
	if (n > 0 && s[n - 1] == '\r')
		n--;
	if (n > j->lim.max_line)
		return fail(j, VN_ETOOBIG, "line_too_long", no,
		    "Line %zu is longer than %zu bytes.", no, j->lim.max_line);
	/* A byte-order mark some editors put before the first line. */
	if (no == 1 && n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
		s += 3;
		n -= 3;
		l.offset += 3;
	}
	if (jscan_space(s, 0, n) == n)
		return VN_OK;
	if (++j->nreq > j->lim.max_lines)
		return fail(j, VN_ETOOBIG, "too_many_lines", no,
		    "The file has more than %zu requests (line %zu).",
		    j->lim.max_lines, no);
	if (!jscan_valid(s, n, j->lim.max_depth))
		return fail(j, VN_EINVAL, "invalid_json", no,
		    "Line %zu is not valid JSON (or is nested deeper than %d "
		    "levels).", no, j->lim.max_depth);
	if (s[jscan_space(s, 0, n)] != '{')
		return fail(j, VN_EINVAL, "invalid_json_line", no,
		    "Line %zu is not a JSON object.", no);
	if ((rc = fields(j, s, n, &l)) != VN_OK)
		return rc;
	if (seen_add(j, j->custom_id, strlen(j->custom_id), &first) != VN_OK)
		return fail(j, VN_ENOMEM, "out_of_memory", no,
		    "Out of memory.");
	if (first != 0)
		return fail(j, VN_EINVAL, "duplicate_custom_id", no,
		    "Line %zu repeats the custom_id '%.64s' of line %zu; each "
		    "must be unique.", no, j->custom_id, first);
	l.line = no;
	l.length = n;
	l.text = s;
	if (j->cb == NULL || j->cb->line == NULL ||
	    (rc = j->cb->line(j->arg, &l)) == VN_OK)
		return VN_OK;
	fail(j, rc, "rejected", no, "Line %zu was rejected.", no);
	return rc;
}

/*
 * Start validating a file within lim (copied), reporting each request
 * line to cb with arg (both may be NULL and must outlive the parse).
 * Allocates nothing yet; jsonl_free() releases what feeding allocates.
 */
void
jsonl_init(struct jsonl *j, const struct jsonl_limits *lim,
    const struct jsonl_callbacks *cb, void *arg)
{
	memset(j, 0, sizeof(*j));
	j->lim = *lim;
	if (j->lim.max_lines > JSONL_MAX_LINES)
		j->lim.max_lines = JSONL_MAX_LINES;
	j->cb = cb;
	j->arg = arg;
	j->lineno = 1;
	/* Room for the line and a CR before its LF. */
	buf_init(&j->line, j->lim.max_line + 1);
}

/* Release what the validator holds.  Safe on a zeroed or freed one. */
void
jsonl_free(struct jsonl *j)
{
	if (j == NULL)
		return;
	buf_free(&j->line);
	if (j->seen != NULL)
		free(j->seen->slot);
	free(j->seen);
	j->seen = NULL;
}

/*
 * Validate the next n bytes of the file.  Returns VN_OK; VN_EINVAL for
 * a bad line, VN_ETOOBIG past a limit, VN_ENOMEM, or what the callback
 * returned.  Once it fails it returns the same error on every call.
 */
enum vn_err
jsonl_feed(struct jsonl *j, const char *p, size_t n)
{
	const char	*lf;
	size_t		 k;
	enum vn_err	 rc;

	while (j->err == VN_OK && n > 0) {
		lf = memchr(p, '\n', n);
		k = lf != NULL ? (size_t)(lf - p) : n;
		if (lf != NULL && j->line.len == 0)
			rc = check_line(j, p, k);	/* all in the chunk */
		else if (j->line.len + k > j->lim.max_line + 1) {
			rc = fail(j, VN_ETOOBIG, "line_too_long", j->lineno,
			    "Line %zu is longer than %zu bytes.", j->lineno,
			    j->lim.max_line);
		} else if ((rc = buf_add(&j->line, p, k)) != VN_OK)
			rc = fail(j, VN_ENOMEM, "out_of_memory", j->lineno,
			    "Out of memory.");
		else if (lf != NULL) {
			rc = check_line(j, j->line.data, j->line.len);
			buf_reset(&j->line);
		}
		if (rc != VN_OK)
			return rc;
		j->pos += k;
		p += k;
		n -= k;
		if (lf != NULL) {
			j->pos++;
			p++;
			n--;
			j->lineno++;
			j->start = j->pos;
		}
	}
	return j->err;
}

/*
 * The file has ended: check a last line without a line end, and that
 * there was at least one request.  Returns as jsonl_feed().
 */
enum vn_err
jsonl_finish(struct jsonl *j)
{
	enum vn_err	 rc;

	if (j->err != VN_OK)
		return j->err;
	if (j->line.len > 0) {
		rc = check_line(j, j->line.data, j->line.len);
		buf_reset(&j->line);
		if (rc != VN_OK)
			return rc;
	}
	if (j->nreq == 0)
		return fail(j, VN_EINVAL, "empty_file", 0,
		    "The file has no requests.");
	return VN_OK;
}

/* Request lines validated so far. */
size_t
jsonl_requests(const struct jsonl *j)
{
	return j->nreq;
}

/* Why the file was refused, naming the line; "" if it was not. */
const char *
jsonl_error(const struct jsonl *j)
{
	return j->errmsg;
}

/* A short code for the error (static), or NULL if none. */
const char *
jsonl_error_code(const struct jsonl *j)
{
	return j->errcode;
}

/* The line the error is about, 0 if it is about the whole file. */
size_t
jsonl_error_line(const struct jsonl *j)
{
	return j->errline;
}
