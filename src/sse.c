/*
 * sse.c: text/event-stream to events, as the WHATWG HTML standard's
 * "event stream interpretation" (and the OpenAI SDKs) read it.
 *
 * Bytes may arrive cut anywhere.  A line whole inside one chunk is parsed
 * in place; a line cut by a chunk boundary is parsed as it comes, its
 * value appended straight to where it will live, so there is no line
 * buffer.  The first data value of an event stays in the caller's chunk
 * until it must be copied: an OpenAI chunk ("data: {...}\n\n") that
 * arrives in one read reaches the callback without any copy.
 *
 * The cap: the event's data, event and id values plus the whole line
 * being read may not pass max_event bytes.  Counting the whole line, not
 * only what is stored of it, keeps the answer independent of the cuts.
 */
#include "config.h"

#include <string.h>

#include "sse.h"

/* Bigger buffers are freed between events, not kept for the next. */
#define SSE_KEEP	16384

static const char	 sse_bom[3] = { '\xef', '\xbb', '\xbf' };

static const struct {
	const char	*name;
	size_t		 len;
	enum sse_field	 field;
} sse_fields[] = {
	{ "data", 4, SSE_FIELD_DATA },
	{ "event", 5, SSE_FIELD_EVENT },
	{ "id", 2, SSE_FIELD_ID },
	/* "retry" only matters to a reconnecting client, which we are not. */
};

static enum sse_field	 field_of(const char *, size_t);
static void		 trim(struct buf *);
static void		 line_done(struct sse_parser *);
static enum vn_err	 pend_flush(struct sse_parser *);
static enum vn_err	 value_begin(struct sse_parser *);
static enum vn_err	 line_part(struct sse_parser *, const char *, size_t);
static enum vn_err	 line_end(struct sse_parser *);
static enum vn_err	 line_whole(struct sse_parser *, const char *, size_t,
			    sse_cb, void *);
static enum vn_err	 dispatch(struct sse_parser *, sse_cb, void *);
static enum vn_err	 fail(struct sse_parser *, enum vn_err);

/* The known field called name (len bytes), or SSE_FIELD_OTHER. */
static enum sse_field
field_of(const char *name, size_t len)
{
	size_t	 i;

	for (i = 0; i < VN_NELEM(sse_fields); i++)
		if (sse_fields[i].len == len &&
		    memcmp(sse_fields[i].name, name, len) == 0)
			return sse_fields[i].field;
	return SSE_FIELD_OTHER;
}

/* Empty b, giving its storage back if an unusual event grew it. */
static void
trim(struct buf *b)
{
	if (b->cap > SSE_KEEP)
		buf_free(b);
	else
		buf_reset(b);
}

/* Start a new line: what the event holds now is what the next may add to. */
static void
line_done(struct sse_parser *ps)
{
	ps->linelen = 0;
	ps->namelen = 0;
	ps->field = SSE_FIELD_OTHER;
	ps->lstate = SSE_LNAME;
	ps->held = ps->data.len + ps->pendlen + ps->event.len + ps->id.len;
}

/*
 * Copy the first data value out of the caller's chunk into ps->data,
 * before the chunk goes away or another value is joined to it.
 */
static enum vn_err
pend_flush(struct sse_parser *ps)
{
	enum vn_err	 rc;

	if (ps->pend == NULL)
		return VN_OK;
	rc = buf_add(&ps->data, ps->pend, ps->pendlen);
	ps->pend = NULL;
	ps->pendlen = 0;
	return rc;
}

/*
 * The field name of the current line is known and its value is about to
 * start: prepare the place the value goes.  A data value is joined to
 * the previous one with '\n'; event and id values go to ps->val, and
 * replace the old value only once the line is complete (an id holding
 * NUL must leave the old one alone).
 */
static enum vn_err
value_begin(struct sse_parser *ps)
{
	enum vn_err	 rc = VN_OK;

	ps->field = ps->namelen <= sizeof(ps->name) ?
	    field_of(ps->name, ps->namelen) : SSE_FIELD_OTHER;
	if (ps->field == SSE_FIELD_DATA) {
		if ((rc = pend_flush(ps)) == VN_OK && ps->have_data)
			rc = buf_addc(&ps->data, '\n');
		ps->have_data = 1;
	} else if (ps->field != SSE_FIELD_OTHER)
		buf_reset(&ps->val);
	return rc;
}

/*
 * Take n more bytes (no CR or LF among them) of the current line.
 * Returns VN_ETOOBIG when the line no longer fits the event's cap,
 * VN_ENOMEM when a value cannot be stored.
 */
static enum vn_err
line_part(struct sse_parser *ps, const char *p, size_t n)
{
	const char	*colon;
	size_t		 k;
	enum vn_err	 rc = VN_OK;

	if (n > ps->max - ps->held - ps->linelen)
		return VN_ETOOBIG;
	ps->linelen += n;
	if (ps->lstate == SSE_LNAME) {
		colon = memchr(p, ':', n);
		k = colon != NULL ? (size_t)(colon - p) : n;
		if (ps->namelen <= sizeof(ps->name) &&
		    k <= sizeof(ps->name) - ps->namelen) {
			memcpy(ps->name + ps->namelen, p, k);
			ps->namelen += k;
		} else
			ps->namelen = sizeof(ps->name) + 1;
		if (colon == NULL)
			return VN_OK;
		if ((rc = value_begin(ps)) != VN_OK)
			return rc;
		ps->lstate = SSE_LSPACE;
		p += k + 1;
		n -= k + 1;
	}
	if (n > 0 && ps->lstate == SSE_LSPACE) {
		if (*p == ' ') {
			p++;
			n--;
		}
		ps->lstate = SSE_LVALUE;
	}
	if (n > 0 && ps->field == SSE_FIELD_DATA)
		rc = buf_add(&ps->data, p, n);
	else if (n > 0 && ps->field != SSE_FIELD_OTHER)
		rc = buf_add(&ps->val, p, n);
	return rc;
}

/*
 * The current (non-blank) line ended: its field takes effect.  Returns
 * VN_ENOMEM if a value cannot be stored.
 */
static enum vn_err
line_end(struct sse_parser *ps)
{
	struct buf	*dst = NULL, t;
	enum vn_err	 rc = VN_OK;

	/* "name" alone is "name:" with an empty value. */
	if (ps->lstate == SSE_LNAME && (rc = value_begin(ps)) != VN_OK)
		return rc;
	if (ps->field == SSE_FIELD_EVENT)
		dst = &ps->event;
	else if (ps->field == SSE_FIELD_ID &&
	    memchr(buf_cstr(&ps->val), '\0', ps->val.len) == NULL)
		dst = &ps->id;
	if (dst != NULL) {
		/* Swap, not copy: the old value's storage becomes ps->val. */
		t = *dst;
		*dst = ps->val;
		ps->val = t;
	}
	trim(&ps->val);
	line_done(ps);
	return VN_OK;
}

/*
 * A line complete inside the caller's chunk (n bytes at p, terminator
 * excluded) with nothing of it seen before.  The first data value of an
 * event is kept where it is (ps->pend) until it must be copied; other
 * lines take the general path.
 */
static enum vn_err
line_whole(struct sse_parser *ps, const char *p, size_t n, sse_cb cb,
    void *arg)
{
	enum vn_err	 rc = VN_OK;

	if (n == 0)
		return dispatch(ps, cb, arg);
	if (ps->have_data || n < 4 || memcmp(p, "data", 4) != 0 ||
	    (n > 4 && p[4] != ':')) {
		if ((rc = line_part(ps, p, n)) != VN_OK)
			return rc;
		return line_end(ps);
	}
	if (n > ps->max - ps->held)
		return VN_ETOOBIG;
	ps->pend = n == 4 ? "" : p + 5;
	ps->pendlen = n == 4 ? 0 : n - 5;
	if (ps->pendlen > 0 && *ps->pend == ' ') {
		ps->pend++;
		ps->pendlen--;
	}
	ps->have_data = 1;
	line_done(ps);
	return VN_OK;
}

/*
 * A blank line: hand the event to cb if it has data, then forget its
 * data and type either way.  The id stays, as the standard says (a
 * reconnecting client would send it as Last-Event-ID).  Returns what cb
 * returns.
 */
static enum vn_err
dispatch(struct sse_parser *ps, sse_cb cb, void *arg)
{
	struct sse_event	 ev;
	enum vn_err		 rc = VN_OK;

	if (ps->have_data) {
		ev.data = ps->pend != NULL ? ps->pend : buf_cstr(&ps->data);
		ev.data_len = ps->pend != NULL ? ps->pendlen : ps->data.len;
		ev.event = buf_cstr(&ps->event);
		ev.event_len = ps->event.len;
		ev.id = buf_cstr(&ps->id);
		ev.id_len = ps->id.len;
		rc = cb(arg, &ev);
	}
	ps->pend = NULL;
	ps->pendlen = 0;
	ps->have_data = 0;
	trim(&ps->data);
	trim(&ps->event);
	line_done(ps);
	return rc;
}

/* Enter the failed state: keep rc for every later call, drop the rest. */
static enum vn_err
fail(struct sse_parser *ps, enum vn_err rc)
{
	sse_free(ps);
	ps->err = rc;
	return rc;
}

/*
 * Prepare ps for a new stream.  One event (its data, event and id values
 * plus the line being read) may hold at most max_event bytes.  Allocates
 * nothing; ps must not hold a live stream (sse_free() it first).
 */
void
sse_init(struct sse_parser *ps, size_t max_event)
{
	memset(ps, 0, sizeof(*ps));
	buf_init(&ps->data, max_event);
	buf_init(&ps->event, max_event);
	buf_init(&ps->id, max_event);
	buf_init(&ps->val, max_event);
	ps->max = max_event;
}

/*
 * Parse the next n bytes of the stream, calling cb(arg, ev) for every
 * event completed by them.  p is only read during the call.  Returns
 * VN_OK; VN_ETOOBIG if an event passes the cap; VN_ENOMEM; or whatever
 * cb returned other than VN_OK.  On failure the parser has freed its
 * storage and returns the same error from every later call.
 */
enum vn_err
sse_feed(struct sse_parser *ps, const char *p, size_t n, sse_cb cb,
    void *arg)
{
	const char	*end, *nl, *cr, *eol;
	unsigned int	 k;
	enum vn_err	 rc = VN_OK;

	if (ps->err != VN_OK)
		return ps->err;
	if (n == 0)
		return VN_OK;
	end = p + n;

	/* A BOM may itself arrive cut; a near miss is ordinary line bytes. */
	while (ps->bomlen < sizeof(sse_bom) && p < end) {
		if (*p != sse_bom[ps->bomlen]) {
			k = ps->bomlen;
			ps->bomlen = sizeof(sse_bom);
			if (k > 0 && (rc = line_part(ps, sse_bom, k)) != VN_OK)
				goto out;
			break;
		}
		ps->bomlen++;
		p++;
	}
	if (ps->skiplf && p < end) {
		ps->skiplf = 0;
		if (*p == '\n')
			p++;
	}

	/*
	 * nl is kept between lines: searching for '\n' from every CR would
	 * make a CR-only stream quadratic.
	 */
	nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
	while (p < end) {
		if (nl != NULL && nl < p)
			nl = memchr(p, '\n', (size_t)(end - p));
		cr = memchr(p, '\r', (size_t)((nl != NULL ? nl : end) - p));
		eol = cr != NULL ? cr : nl;
		if (eol == NULL) {
			rc = line_part(ps, p, (size_t)(end - p));
			break;
		}
		if (ps->linelen == 0)
			rc = line_whole(ps, p, (size_t)(eol - p), cb, arg);
		else if ((rc = line_part(ps, p, (size_t)(eol - p))) == VN_OK)
			rc = line_end(ps);
		if (rc != VN_OK)
			goto out;
		p = eol + 1;
		if (*eol == '\r') {
			if (p == end)
				ps->skiplf = 1;
			else if (*p == '\n')
				p++;
		}
	}
	if (rc == VN_OK)
		rc = pend_flush(ps);
out:
	if (rc != VN_OK)
		return fail(ps, rc);
	return VN_OK;
}

/*
 * The stream ended.  Per the standard an event without its blank line is
 * dropped, not dispatched; so is a partial line.  Either means the
 * upstream stopped mid-event: VN_EUPSTREAM.  An "event:" or "id:" with no
 * data after it is not an event in progress.  cb is never called (it is
 * taken for symmetry with sse_feed()).  Returns VN_OK for a clean end, or
 * the error the parser already failed with.
 */
enum vn_err
sse_finish(struct sse_parser *ps, sse_cb cb VN_UNUSED, void *arg VN_UNUSED)
{
	if (ps->err != VN_OK)
		return ps->err;
	if (ps->have_data || ps->linelen > 0 ||
	    (ps->bomlen > 0 && ps->bomlen < sizeof(sse_bom)))
		return fail(ps, VN_EUPSTREAM);
	return VN_OK;
}

/*
 * Release what ps holds.  Safe on a zeroed or already freed parser; the
 * sticky error, if any, is kept.  sse_init() makes it reusable.
 */
void
sse_free(struct sse_parser *ps)
{
	if (ps == NULL)
		return;
	buf_free(&ps->data);
	buf_free(&ps->event);
	buf_free(&ps->id);
	buf_free(&ps->val);
	ps->pend = NULL;
	ps->pendlen = 0;
}
