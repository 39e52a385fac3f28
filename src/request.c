/*
 * request.c: turning FastCGI parameters into a context's request line.
 * The path comes from REQUEST_URI, which web servers pass undecoded;
 * url.c checks it on its raw bytes.  The body is read here too, within
 * its deadline and minimum rate.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>

#include "cfg.h"
#include "clock.h"
#include "ctx.h"
#include "request.h"
#include "readwatch.h"
#include "url.h"

/* A body's first bytes may take this long whatever the minimum rate. */
#define UPLOAD_GRACE_MS	10000

/* A Content-Length: -1 when absent, -2 when malformed. */
static long long
parse_length(const char *s)
{
	char		*end;
	long long	 v;

	if (s == NULL || *s == '\0')
		return -1;
	if (!isdigit((unsigned char)*s))
		return -2;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0)
		return -2;
	return v;
}

/*
 * Fill c's request line from fx's parameters, and *authorization with
 * the Authorization header (NULL if none; never logged).  The strings
 * point into libfcgi's parameter storage and live until FCGX_Finish_r.
 * Returns VN_ENOROUTE for a path that cannot be routed, VN_EINVAL for a
 * bad query or Content-Length, with c->fault set.
 */
enum vn_err
request_parse(struct ctx *c, FCGX_Request *fx, struct request_body *rb,
    const char **authorization)
{
	const char	*uri, *q, *base = c->cfg->base_path;
	size_t		 n, blen;

	c->method = FCGX_GetParam("REQUEST_METHOD", fx->envp);
	if (c->method == NULL)
		c->method = "GET";
	c->content_type = FCGX_GetParam("CONTENT_TYPE", fx->envp);
	c->content_length = parse_length(FCGX_GetParam("CONTENT_LENGTH",
	    fx->envp));
	*authorization = FCGX_GetParam("HTTP_AUTHORIZATION", fx->envp);
	memset(rb, 0, sizeof(*rb));
	rb->fx = fx;
	rb->in = &c->in;
	rb->start_ms = clock_ms();
	rb->min_rate = c->cfg->upload_min_rate;
	rb->timeout_ms = c->cfg->upload_timeout_ms;
	c->in.read = request_read;
	c->in.arg = rb;

	if ((uri = FCGX_GetParam("REQUEST_URI", fx->envp)) == NULL &&
	    (uri = FCGX_GetParam("DOCUMENT_URI", fx->envp)) == NULL)
		uri = "/";
	q = strchr(uri, '?');
	n = q != NULL ? (size_t)(q - uri) : strlen(uri);
	c->query = q != NULL ? q + 1 : "";
	if (strlen(c->query) > VN_MAX_QUERY) {
		c->query = "";
		return fault_set(&c->fault, VN_EINVAL, NULL, NULL,
		    "The query string is longer than %d bytes.", VN_MAX_QUERY);
	}
	blen = strlen(base);
	if (blen > 0 && n >= blen && memcmp(uri, base, blen) == 0 &&
	    (n == blen || uri[blen] == '/')) {
		uri += blen;
		n -= blen;
	}
	if (n > VN_MAX_PATH || !url_path_ok(uri, n)) {
		snprintf(c->path, sizeof(c->path), "%.*s",
		    (int)(n > 200 ? 200 : n), uri);
		return fault_set(&c->fault, VN_ENOROUTE, NULL, "unknown_url",
		    "Invalid URL (%s %s)", c->method, c->path);
	}
	memcpy(c->path, uri, n);
	c->path[n] = '\0';
	if (c->content_length == -2)
		return fault_set(&c->fault, VN_EINVAL, NULL, NULL,
		    "Invalid Content-Length header.");
	return VN_OK;
}

/*
 * When the next read, of up to n bytes, must have ended (clock_ms()):
 * by the body's deadline, and by the time the bytes so far keep the
 * minimum rate up (after the grace period) plus the time the read
 * needs at the rate the sender has kept so far (twice over, and at
 * least a second), so a sender at the rate is never cut mid-read.
 */
long long
request_deadline(const struct request_body *rb, long long now, int n)
{
	long long	 end = rb->start_ms + rb->timeout_ms, by_rate, rate;
	long long	 elapsed = now - rb->start_ms;

	if (rb->min_rate == 0)
		return end;
	rate = elapsed > 0 ? rb->got * 1000 / elapsed : 0;
	if (rate < (long long)rb->min_rate)
		rate = (long long)rb->min_rate;
	by_rate = rb->start_ms + UPLOAD_GRACE_MS + rb->got * 1000 /
	    (long long)rb->min_rate;
	if (by_rate < now)
		by_rate = now;
	by_rate += 2 * (long long)n * 1000 / rate;
	if (by_rate < now + 1000)
		by_rate = now + 1000;
	return by_rate < end ? by_rate : end;
}

/*
 * The body reader of a FastCGI request (ctx.h's ctx_input).  A slow
 * sender gets no more than its due: each read asks for about a
 * second's worth at the rate kept so far, and is cut off at
 * request_deadline() by readwatch.c.
 */
int
request_read(void *arg, char *p, int n)
{
	struct request_body	*rb = arg;
	long long		 now = clock_ms(), elapsed, want;
	int			 got, slot;

	elapsed = now - rb->start_ms;
	if (elapsed >= rb->timeout_ms) {
		rb->in->stalled = 1;
		return -1;
	}
	if (rb->min_rate > 0) {
		want = elapsed > 0 ? rb->got * 1000 / elapsed : 0;
		if (want < (long long)rb->min_rate)
			want = (long long)rb->min_rate;
		if (want < n)
			n = (int)want;
	}
	slot = readwatch_begin(rb->fx->ipcFd, request_deadline(rb, now, n));
	got = FCGX_GetStr(p, n, rb->fx->in);
	if (readwatch_end(slot))
		rb->in->stalled = 1;
	if (got > 0)
		rb->got += got;
	return rb->in->stalled ? -1 : got;
}
