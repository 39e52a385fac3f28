/*
 * mock_http.c: HTTP/1.1 request parsing for the mock upstream, as pure
 * functions over the bytes buffered so far: the head (request line and
 * headers, up to MAX_HEAD), Content-Length bodies and chunked bodies,
 * which are decoded in place, up to MAX_BODY.  No sockets, no replies.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json.h>

#include "mock.h"

/* Case-insensitive: does header value v (n bytes) contain token t? */
static int
has_token(const char *v, size_t n, const char *t)
{
	size_t	 tl = strlen(t), i;

	for (i = 0; i + tl <= n; i++)
		if (strncasecmp(v + i, t, tl) == 0)
			return 1;
	return 0;
}

/*
 * Decode a chunked request body in place: data moves down to ps->dout,
 * behind the read position ps->dpos, and the gap is closed so the buffer
 * stays near the decoded size.  Returns 1 when the body is complete, 0 for
 * more input, -1 when malformed, -2 when too large.
 */
static int
http_dechunk(struct pstate *ps, struct sbuf *in)
{
	char		*p = in->p, *eol, *end;
	unsigned long long sz;
	size_t		 n;
	int		 rc = 0;

	for (;;) {
		if (ps->ds == D_DATA) {
			n = in->len - ps->dpos;
			if (n > ps->dleft)
				n = ps->dleft;
			memmove(p + ps->dout, p + ps->dpos, n);
			ps->dout += n;
			ps->dpos += n;
			ps->dleft -= n;
			if (ps->dleft > 0)
				break;
			ps->ds = D_CRLF;
		}
		if (ps->ds == D_CRLF) {
			if (in->len - ps->dpos < 2)
				break;
			if (memcmp(p + ps->dpos, "\r\n", 2) != 0)
				return -1;
			ps->dpos += 2;
			ps->ds = D_SIZE;
		}
		eol = memmem(p + ps->dpos, in->len - ps->dpos, "\r\n", 2);
		if (eol == NULL) {
			if (in->len - ps->dpos > MAX_CHUNKLINE)
				return -1;
			break;
		}
		if (ps->ds == D_TRAILER) {
			n = (size_t)(eol - (p + ps->dpos));
			ps->dpos += n + 2;
			if (n == 0) {
				rc = 1;
				break;
			}
			continue;
		}
		errno = 0;
		sz = strtoull(p + ps->dpos, &end, 16);
		if (end == p + ps->dpos || errno != 0 ||
		    (*end != ';' && *end != '\r' && *end != ' ' &&
		    *end != '\t'))
			return -1;
		if (sz > MAX_BODY || ps->dout - ps->hdrlen + sz > MAX_BODY)
			return -2;
		ps->dpos = (size_t)(eol - p) + 2;
		ps->dleft = (size_t)sz;
		ps->ds = sz == 0 ? D_TRAILER : D_DATA;
	}
	if (rc == 0 && ps->dpos > ps->dout) {
		/* Close the gap so the buffer stays near the decoded size. */
		memmove(p + ps->dout, p + ps->dpos, in->len - ps->dpos);
		in->len -= ps->dpos - ps->dout;
		ps->dpos = ps->dout;
	}
	return rc;
}

/*
 * Parse the request line and headers (buf[0..ps->hdrlen)) into ps, once
 * per request.  Returns -1 when they are malformed.
 */
static int
parse_head(struct pstate *ps, const char *buf)
{
	const char	*p = buf, *end = buf + ps->hdrlen - 2;
	const char	*eol, *sp1, *sp2, *colon, *v, *ve, *qm;
	size_t		 nl, ml;
	char		*num;

	/* "METHOD SP target SP HTTP/1.x" */
	eol = memmem(p, ps->hdrlen, "\r\n", 2);
	sp1 = memchr(p, ' ', (size_t)(eol - p));
	sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1)) : NULL;
	if (sp1 == NULL || sp2 == NULL || sp2 == sp1 + 1 ||
	    eol - sp2 - 1 != 8 || memcmp(sp2 + 1, "HTTP/1.", 7) != 0)
		return -1;
	ml = (size_t)(sp1 - p);
	if (ml >= sizeof(ps->method))
		return -1;
	memcpy(ps->method, p, ml);
	ps->method[ml] = '\0';
	ps->targetoff = (size_t)(sp1 + 1 - p);
	ps->targetlen = (size_t)(sp2 - sp1 - 1);
	qm = memchr(sp1 + 1, '?', ps->targetlen);
	ps->pathlen = qm ? (size_t)(qm - sp1 - 1) : ps->targetlen;
	ps->http10 = sp2[8] == '0';
	ps->keepalive = !ps->http10;
	/* The header block: every header line, without the final CRLFs. */
	ps->hdrsoff = (size_t)(eol + 2 - p);
	ps->hdrslen = eol + 2 < end ? (size_t)(end - 2 - (eol + 2)) : 0;
	for (p = eol + 2; p < end; p = eol + 2) {
		eol = memmem(p, (size_t)(end + 2 - p), "\r\n", 2);
		colon = memchr(p, ':', (size_t)(eol - p));
		if (colon == NULL)
			return -1;
		nl = (size_t)(colon - p);
		for (v = colon + 1; v < eol && (*v == ' ' || *v == '\t'); v++)
			continue;
		ve = eol;
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		if (nl == 14 && strncasecmp(p, "Content-Length", nl) == 0) {
			errno = 0;
			ps->clen = strtoll(v, &num, 10);
			if (num == v || num != ve || errno != 0 || ps->clen < 0)
				return -1;
		} else if (nl == 17 &&
		    strncasecmp(p, "Transfer-Encoding", nl) == 0)
			ps->chunked = has_token(v, (size_t)(ve - v), "chunked");
		else if (nl == 10 && strncasecmp(p, "Connection", nl) == 0) {
			if (has_token(v, (size_t)(ve - v), "close"))
				ps->keepalive = 0;
			else if (has_token(v, (size_t)(ve - v), "keep-alive"))
				ps->keepalive = 1;
		} else if (nl == 6 && strncasecmp(p, "Expect", nl) == 0)
			ps->expect = has_token(v, (size_t)(ve - v),
			    "100-continue");
		else if (nl == 13 && strncasecmp(p, "Authorization", nl) == 0) {
			ps->authoff = (size_t)(v - buf);
			ps->authlen = (size_t)(ve - v);
		}
	}
	if (ps->chunked)
		ps->clen = -1;
	return 0;
}

/*
 * Is a whole request buffered in in?  1: q describes it (pointers into
 * in, valid until the request is consumed); 0: need more input; -1:
 * malformed or too large, with the HTTP status to answer in *status.
 * Keeps its progress in ps, which the caller zeroes (clen -1) per request.
 */
int
http_parse(struct pstate *ps, struct sbuf *in, struct req *q, int *status)
{
	const char	*e;
	size_t		 from;
	int		 rc;

	if (ps->hdrlen == 0) {
		from = ps->scan > 3 ? ps->scan - 3 : 0;
		e = in->len > from ? memmem(in->p + from,
		    in->len - from, "\r\n\r\n", 4) : NULL;
		if (e == NULL) {
			ps->scan = in->len;
			if (in->len > MAX_HEAD) {
				*status = 431;
				return -1;
			}
			return 0;
		}
		ps->hdrlen = (size_t)(e - in->p) + 4;
		if (ps->hdrlen > MAX_HEAD) {
			*status = 431;
			return -1;
		}
		if (parse_head(ps, in->p) == -1) {
			*status = 400;
			return -1;
		}
		if (ps->clen > MAX_BODY) {
			*status = 413;
			return -1;
		}
		ps->dpos = ps->dout = ps->hdrlen;
	}
	memset(q, 0, sizeof(*q));
	if (ps->chunked) {
		rc = http_dechunk(ps, in);
		if (rc == -1) {
			*status = 400;
			return -1;
		}
		if (rc == -2) {
			*status = 413;
			return -1;
		}
		q->bodylen = ps->dout - ps->hdrlen;
		q->reqlen = ps->dpos;
	} else {
		q->bodylen = ps->clen > 0 ? (size_t)ps->clen : 0;
		q->reqlen = ps->hdrlen + q->bodylen;
		rc = in->len >= q->reqlen;
	}
	if (rc == 0)
		return 0;
	memcpy(q->method, ps->method, sizeof(q->method));
	q->target = q->path = in->p + ps->targetoff;
	q->targetlen = ps->targetlen;
	q->pathlen = ps->pathlen;
	q->hdrs = in->p + ps->hdrsoff;
	q->hdrslen = ps->hdrslen;
	q->body = in->p + ps->hdrlen;
	if (ps->authlen > 0) {
		q->auth = in->p + ps->authoff;
		q->authlen = ps->authlen;
	}
	return 1;
}
