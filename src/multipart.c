/*
 * multipart.c: multipart/form-data, incrementally (RFC 7578, RFC 2046
 * §5.1.1).  The parser is a state machine fed bytes in chunks of any
 * size; it never looks back further than the delimiter it is matching,
 * so the work is linear in the input and the memory is the delimiter
 * plus one part's header block, both capped.
 *
 * What is accepted, and why:
 *  - The preamble is skipped; a delimiter is seen at the start of the
 *    body or of any preamble line (CRLF or LF), so stray CRLFs before
 *    the first boundary (CVE-2024-53981) cost nothing.
 *  - In data only CRLF "--" boundary ends a part: a bare LF is data.
 *  - Delimiter and header lines may end in CRLF or bare LF: leniency on
 *    lines we parse ourselves risks nothing.  A CR elsewhere in a header
 *    line, a NUL, or an obsolete folded line is an error.
 *  - "--" boundary followed by other than "--", padding (SP/HT) or a
 *    line end is an error: RFC 2046 forbids the boundary inside a part,
 *    and guessing would let two parsers disagree.
 *  - A close delimiter with no part before it is an empty form; what
 *    follows the close delimiter is epilogue, ignored.
 *
 * The delimiter is CRLF "--" boundary, and a boundary holds no CR, so
 * no proper suffix of a partial match can start another: on a mismatch
 * every held-back byte is data and matching restarts at this byte.
 * That is why no failure table is needed and a body of "\r\n--boundar"
 * repeated stays linear.  The held-back bytes are always a prefix of the
 * delimiter, so they are released from the delimiter itself, not from a
 * copy of the input.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "buf.h"
#include "multipart.h"

#define ALNUM	"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

enum mp_state {
	MP_PREAMBLE,	/* before the first delimiter */
	MP_AFTER,	/* a delimiter was matched; "--", padding or EOL next */
	MP_DASH,	/* "--" boundary "-": the close delimiter's last dash */
	MP_PADDING,	/* transport padding after a delimiter */
	MP_CR,		/* CR after a delimiter: LF must follow */
	MP_HEADERS,	/* a part's header lines */
	MP_DATA,	/* a part's data */
	MP_EPILOGUE	/* after the close delimiter */
};

static enum vn_err	 mp_fail(struct multipart *, enum vn_err,
			    const char *);
static int		 is_tchar(int);
static int		 boundary_ok(const char *);
static char		*skip_ows(const char *);
static int		 hexval(int);
static char		*param_value(char *, char *);
static int		 ext_decode(char *);
static enum vn_err	 disposition(struct multipart *, char *,
			    struct mp_part *);
static enum vn_err	 headers_done(struct multipart *);
static enum vn_err	 header_line(struct multipart *);
static enum vn_err	 headers(struct multipart *, const char *, size_t,
			    size_t *);
static enum vn_err	 scan(struct multipart *, const char *, size_t,
			    size_t *);
static enum vn_err	 delim_line(struct multipart *, char);

/* Record the first error; every later call returns it. */
static enum vn_err
mp_fail(struct multipart *mp, enum vn_err err, const char *msg)
{
	if (mp->err == VN_OK) {
		mp->err = err;
		mp->errmsg = msg;
	}
	return mp->err;
}

/* RFC 9110 tchar, spelt out so the locale cannot change it. */
static int
is_tchar(int c)
{
	return c != '\0' && strchr(ALNUM "!#$%&'*+-.^_`|~", c) != NULL;
}

/* RFC 2046: 1-70 bchars, the last not a space. */
static int
boundary_ok(const char *b)
{
	size_t	 len = strlen(b);

	return len > 0 && len <= MP_BOUNDARY_MAX && b[len - 1] != ' ' &&
	    strspn(b, ALNUM "'()+_,-./:=? ") == len;
}

/* Like strchr(3), takes const and gives it back as the caller had it. */
static char *
skip_ows(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return (char *)s;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * From a Content-Type header value, copy the boundary into out and
 * return 1 if the type is multipart/form-data (case-insensitive, any
 * parameter order, boundary quoted or not, given once) and the boundary
 * is 1-70 bchars not ending in a space.  Otherwise return 0 and leave
 * out alone.  One pass over the string, whatever it holds.
 */
int
multipart_boundary(const char *ct, char out[MP_BOUNDARY_MAX + 1])
{
	char		 b[MP_BOUNDARY_MAX + 1];
	const char	*s, *nm;
	size_t		 nlen, len = 0;
	int		 isb, q, found = 0;

	if (ct == NULL)
		return 0;
	s = skip_ows(ct);
	if (strncasecmp(s, "multipart/form-data", 19) != 0)
		return 0;
	for (s += 19;;) {
		s = skip_ows(s);
		if (*s == '\0')
			break;
		if (*s != ';')
			return 0;
		s = skip_ows(s + 1);
		if (*s == '\0')
			break;
		for (nm = s; is_tchar((unsigned char)*s); s++)
			continue;
		if ((nlen = (size_t)(s - nm)) == 0)
			return 0;
		s = skip_ows(s);
		if (*s++ != '=')
			return 0;
		s = skip_ows(s);
		isb = nlen == 8 && strncasecmp(nm, "boundary", 8) == 0;
		if (isb && found++)
			return 0;
		if ((q = *s == '"'))
			s++;
		for (; *s != '\0'; s++) {
			if (q ? *s == '"' : strchr("; \t", *s) != NULL)
				break;
			if (q && *s == '\\' && s[1] != '\0')
				s++;
			if (isb && len == MP_BOUNDARY_MAX)
				return 0;
			if (isb)
				b[len++] = *s;
		}
		if (q && *s++ != '"')
			return 0;
	}
	b[len] = '\0';
	if (!found || !boundary_ok(b))
		return 0;
	memcpy(out, b, len + 1);
	return 1;
}

/*
 * Start a parse of a body delimited by boundary (as multipart_boundary()
 * gives it), within lim (NULL: the MP_DEFAULT_* values), reporting parts
 * to cb with arg.  cb and arg must outlive the parse; boundary is copied.
 * An invalid boundary makes every feed fail with VN_EINVAL.  Allocates
 * nothing; multipart_free() releases what feeding allocates.
 */
void
multipart_init(struct multipart *mp, const char *boundary,
    const struct mp_limits *lim, const struct mp_callbacks *cb, void *arg)
{
	static const struct mp_callbacks none;
	static const struct mp_limits deflim = { MP_DEFAULT_PARTS,
	    MP_DEFAULT_HEADER_BYTES, MP_DEFAULT_HEADERS };

	memset(mp, 0, sizeof(*mp));
	mp->cb = cb != NULL ? cb : &none;
	mp->arg = arg;
	mp->lim = lim != NULL ? *lim : deflim;
	buf_init(&mp->hdr, mp->lim.max_header_bytes);
	mp->state = MP_PREAMBLE;
	/* As if the body began after a CRLF: the first "--" may open it. */
	mp->match = 2;

	if (boundary == NULL || !boundary_ok(boundary)) {
		mp_fail(mp, VN_EINVAL, "invalid boundary");
		return;
	}
	memcpy(mp->delim, "\r\n--", 4);
	strcpy(mp->delim + 4, boundary);
	mp->dlen = strlen(mp->delim);
}

/* Release what the parser holds.  Safe on a zeroed or freed parser. */
void
multipart_free(struct multipart *mp)
{
	if (mp != NULL)
		buf_free(&mp->hdr);
}

/*
 * The reason for the error the parser is stuck in, fit for a client to
 * read; "no error" if there is none.  Static storage.
 */
const char *
multipart_error(const struct multipart *mp)
{
	return mp->err == VN_OK ? "no error" : mp->errmsg;
}

/*
 * Read a parameter value at s (a quoted-string or a token) and write it,
 * decoded and NUL-terminated, to dst.  dst must lie before s: the value
 * only shrinks, so the write never overtakes the read.  Inside quotes
 * only \" and \\ are escapes; any other backslash is kept, because
 * browsers send Windows paths unescaped (RFC 7578 §4.2).  Returns the
 * byte after the value, or NULL if it is empty or unterminated.
 */
static char *
param_value(char *s, char *dst)
{
	if (*s == '"') {
		for (s++; *s != '"'; s++) {
			if (*s == '\0')
				return NULL;
			if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
				s++;
			*dst++ = *s;
		}
		*dst = '\0';
		return s + 1;
	}
	if (*s == '\0' || *s == ';' || *s == ' ' || *s == '\t')
		return NULL;
	while (*s != '\0' && *s != ';' && *s != ' ' && *s != '\t' &&
	    *s != '"')
		*dst++ = *s++;
	*dst = '\0';
	return s;
}

/*
 * Decode an RFC 5987 ext-value, charset'language'pct-encoded, in place.
 * Returns 1 when s now holds the UTF-8 value, 0 for another charset
 * (the caller ignores the parameter, as RFC 6266 §4.3 allows), -1 if
 * malformed or if it decodes to a NUL.
 */
static int
ext_decode(char *s)
{
	char	*q1, *q2, *r, *w;
	int	 hi, lo;

	if ((q1 = strchr(s, '\'')) == NULL ||
	    (q2 = strchr(q1 + 1, '\'')) == NULL)
		return -1;
	if (q1 - s != 5 || strncasecmp(s, "utf-8", 5) != 0)
		return 0;
	for (r = q2 + 1, w = s; *r != '\0'; r++) {
		if (*r == '%') {
			if ((hi = hexval((unsigned char)r[1])) < 0 ||
			    (lo = hexval((unsigned char)r[2])) < 0 ||
			    (hi | lo) == 0)
				return -1;
			*w++ = (char)(hi << 4 | lo);
			r += 2;
		} else
			*w++ = *r;
	}
	*w = '\0';
	return 1;
}

/*
 * Parse a Content-Disposition value in place: "form-data" then
 * parameters; name, filename and filename* are kept in part (pointing
 * into s), others are skipped.  A parameter given twice is an error, as
 * two parsers could pick different ones.  filename* wins over filename.
 */
static enum vn_err
disposition(struct multipart *mp, char *s, struct mp_part *part)
{
	char		*nm, *dst, *fn = NULL, *fnx = NULL, *name = NULL;
	char		**slot;
	size_t		 nlen;
	int		 x = 0;

	for (nm = s; is_tchar((unsigned char)*s); s++)
		continue;
	if (s - nm != 9 || strncasecmp(nm, "form-data", 9) != 0)
		return mp_fail(mp, VN_EINVAL,
		    "part Content-Disposition is not form-data");
	for (;;) {
		s = skip_ows(s);
		if (*s == '\0')
			break;
		if (*s != ';')
			goto bad;
		s = skip_ows(s + 1);
		if (*s == '\0')
			break;
		for (nm = s; is_tchar((unsigned char)*s); s++)
			continue;
		nlen = (size_t)(s - nm);
		s = skip_ows(s);
		if (nlen == 0 || *s != '=')
			goto bad;
		s = skip_ows(s + 1);
		/* s[-1] is '=' or blank, already read: room to decode. */
		dst = s - 1;
		if ((s = param_value(s, dst)) == NULL)
			goto bad;
		slot = NULL;
		if (nlen == 4 && strncasecmp(nm, "name", 4) == 0)
			slot = &name;
		else if (nlen == 8 && strncasecmp(nm, "filename", 8) == 0)
			slot = &fn;
		else if (nlen == 9 && strncasecmp(nm, "filename*", 9) == 0)
			slot = &fnx;
		if (slot == NULL)
			continue;
		if (*slot != NULL)
			return mp_fail(mp, VN_EINVAL,
			    "duplicate Content-Disposition parameter");
		*slot = dst;
	}
	if (fnx != NULL && (x = ext_decode(fnx)) < 0)
		return mp_fail(mp, VN_EINVAL, "malformed filename*");
	if (fnx != NULL && x > 0)
		fn = fnx;
	part->name = name != NULL ? name : "";
	part->filename = fn;
	return VN_OK;
bad:
	return mp_fail(mp, VN_EINVAL, "malformed part Content-Disposition");
}

/*
 * The blank line after a part's headers: parse the lines gathered in
 * hdr (each NUL-terminated, already checked for NUL, CR and folding),
 * hand the part to part_begin and start on its data.  Other headers
 * are ignored; Content-Disposition or Content-Type twice is an error.
 */
static enum vn_err
headers_done(struct multipart *mp)
{
	struct mp_part	 part = { "", NULL, NULL };
	char		*s, *next, *end, *v, *e;
	int		 seen_cd = 0;
	enum vn_err	 rc;

	/* An empty block may have allocated nothing: no NULL arithmetic. */
	s = mp->hdr.data;
	end = s != NULL ? s + mp->line_off : NULL;
	for (; s != NULL && s < end; s = next) {
		/* Find the next line first: parsing writes NULs into this one. */
		next = s + strlen(s) + 1;
		for (v = s; is_tchar((unsigned char)*v); v++)
			continue;
		if (v == s || *v != ':')
			return mp_fail(mp, VN_EINVAL, "malformed part header");
		*v = '\0';
		v = skip_ows(v + 1);
		for (e = v + strlen(v); e > v && (e[-1] == ' ' ||
		    e[-1] == '\t'); e--)
			continue;
		*e = '\0';
		if (strcasecmp(s, "Content-Disposition") == 0) {
			if (seen_cd++)
				return mp_fail(mp, VN_EINVAL,
				    "duplicate part Content-Disposition");
			if ((rc = disposition(mp, v, &part)) != VN_OK)
				return rc;
		} else if (strcasecmp(s, "Content-Type") == 0) {
			if (part.content_type != NULL)
				return mp_fail(mp, VN_EINVAL,
				    "duplicate part Content-Type");
			part.content_type = v;
		}
	}
	if (mp->cb->part_begin != NULL &&
	    (rc = mp->cb->part_begin(mp->arg, &part)) != VN_OK)
		return mp_fail(mp, rc, "part rejected");
	mp->inpart = 1;
	mp->state = MP_DATA;
	mp->match = 0;
	return VN_OK;
}

/*
 * A header line is complete in hdr from line_off (its LF not stored).
 * An empty line ends the headers; any other is checked, counted and
 * NUL-terminated in place of its line end.
 */
static enum vn_err
header_line(struct multipart *mp)
{
	char		*line;
	size_t		 len;
	enum vn_err	 rc;

	len = mp->hdr.len - mp->line_off;
	line = mp->hdr.data != NULL ? mp->hdr.data + mp->line_off : NULL;
	if (len > 0 && line[len - 1] == '\r') {
		line[--len] = '\0';
		mp->hdr.len--;
	}
	if (len == 0)
		return headers_done(mp);
	if (memchr(line, '\0', len) != NULL)
		return mp_fail(mp, VN_EINVAL, "NUL byte in part header");
	if (memchr(line, '\r', len) != NULL)
		return mp_fail(mp, VN_EINVAL, "bare CR in part header");
	if (line[0] == ' ' || line[0] == '\t')
		return mp_fail(mp, VN_EINVAL, "folded part header");
	if (++mp->nheaders > mp->lim.max_headers)
		return mp_fail(mp, VN_ETOOBIG, "too many part headers");
	if ((rc = buf_addc(&mp->hdr, '\0')) != VN_OK)
		return mp_fail(mp, rc, rc == VN_ETOOBIG ?
		    "part headers too large" : "out of memory");
	mp->line_off = mp->hdr.len;
	return VN_OK;
}

/*
 * Gather header bytes from p[0..n) up to and including the next LF;
 * *used is how many were taken.  The cap on hdr is max_header_bytes,
 * so an endless header line fails as soon as it passes it.
 */
static enum vn_err
headers(struct multipart *mp, const char *p, size_t n, size_t *used)
{
	const char	*lf;
	size_t		 k;
	enum vn_err	 rc;

	lf = memchr(p, '\n', n);
	k = lf != NULL ? (size_t)(lf - p) : n;
	*used = lf != NULL ? k + 1 : n;
	if (k > 0 && (rc = buf_add(&mp->hdr, p, k)) != VN_OK)
		return mp_fail(mp, rc, rc == VN_ETOOBIG ?
		    "part headers too large" : "out of memory");
	return lf != NULL ? header_line(mp) : VN_OK;
}

/*
 * Look for the delimiter in p[0..n), in the preamble or a part's data.
 * Stops just after a delimiter or at the end of the input; *used is the
 * bytes taken.  In data, everything taken except a possible partial
 * delimiter at the end is passed to part_data: first held bytes
 * released from the last call (a prefix of delim), then input.
 */
static enum vn_err
scan(struct multipart *mp, const char *p, size_t n, size_t *used)
{
	const char	*cr;
	size_t		 i = 0, held = mp->match, q = mp->match, out, old;
	int		 found = 0, pre = mp->state == MP_PREAMBLE;
	char		 c;
	enum vn_err	 rc;

	while (i < n) {
		/* Only CR can start a match in data; the preamble needs LF too. */
		if (q == 0 && !pre) {
			if ((cr = memchr(p + i, '\r', n - i)) == NULL) {
				i = n;
				break;
			}
			i = (size_t)(cr - p);
		}
		c = p[i++];
		if (c == mp->delim[q]) {
			if (++q == mp->dlen) {
				found = 1;
				break;
			}
		} else if (pre && c == '\n')
			q = 2;
		else
			q = c == '\r';
	}
	*used = i;
	mp->match = found ? 0 : q;
	if (!pre) {
		/* Of held + i bytes taken, the last q are still undecided. */
		out = held + i - q;
		old = out < held ? out : held;
		if (old > 0 && mp->cb->part_data != NULL &&
		    (rc = mp->cb->part_data(mp->arg, mp->delim, old)) != VN_OK)
			return mp_fail(mp, rc, "part rejected");
		if (out > old && mp->cb->part_data != NULL &&
		    (rc = mp->cb->part_data(mp->arg, p, out - old)) != VN_OK)
			return mp_fail(mp, rc, "part rejected");
	}
	if (!found)
		return VN_OK;
	if (mp->inpart) {
		mp->inpart = 0;
		if (mp->cb->part_end != NULL &&
		    (rc = mp->cb->part_end(mp->arg)) != VN_OK)
			return mp_fail(mp, rc, "part rejected");
	}
	mp->state = MP_AFTER;
	return VN_OK;
}

/*
 * One byte of the rest of a delimiter line: "--" closes the body,
 * otherwise optional padding and a line end open a part.  The part cap
 * is checked here, before any of the part is read.
 */
static enum vn_err
delim_line(struct multipart *mp, char c)
{
	int	 eol = mp->state == MP_AFTER || mp->state == MP_PADDING;

	if (mp->state == MP_AFTER && c == '-')
		mp->state = MP_DASH;
	else if (mp->state == MP_DASH && c == '-')
		mp->state = MP_EPILOGUE;
	else if (eol && (c == ' ' || c == '\t'))
		mp->state = MP_PADDING;
	else if (eol && c == '\r')
		mp->state = MP_CR;
	else if (c != '\n' || mp->state == MP_DASH)
		return mp_fail(mp, VN_EINVAL, "malformed boundary delimiter");
	else if (mp->nparts++ >= mp->lim.max_parts)
		return mp_fail(mp, VN_ETOOBIG, "too many parts");
	else {
		buf_reset(&mp->hdr);
		mp->line_off = 0;
		mp->nheaders = 0;
		mp->state = MP_HEADERS;
	}
	return VN_OK;
}

/*
 * Parse the next n bytes of the body.  Returns VN_OK, VN_EINVAL for a
 * malformed body, VN_ETOOBIG past a limit, VN_ENOMEM, or what a
 * callback returned; once it fails it returns the same error on every
 * call and reads nothing more.  p need not be NUL-terminated.
 */
enum vn_err
multipart_feed(struct multipart *mp, const char *p, size_t n)
{
	size_t		 used;

	/* Each step takes at least one byte and records any error in mp. */
	while (mp->err == VN_OK && mp->state != MP_EPILOGUE && n > 0) {
		used = 1;
		if (mp->state == MP_PREAMBLE || mp->state == MP_DATA)
			(void)scan(mp, p, n, &used);
		else if (mp->state == MP_HEADERS)
			(void)headers(mp, p, n, &used);
		else
			(void)delim_line(mp, *p);
		p += used;
		n -= used;
	}
	return mp->err;
}

/*
 * The body has ended.  VN_OK only if the close delimiter was seen;
 * otherwise VN_EINVAL (or the error already met).
 */
enum vn_err
multipart_finish(struct multipart *mp)
{
	if (mp->err != VN_OK)
		return mp->err;
	if (mp->state == MP_EPILOGUE)
		return VN_OK;
	return mp_fail(mp, VN_EINVAL, mp->state == MP_PREAMBLE ?
	    "missing opening boundary" : "missing closing boundary");
}
