/*
 * request.c: turning FastCGI parameters and stdin into a struct req.
 * The path comes from REQUEST_URI, which web servers pass undecoded:
 * routing happens on the raw segments and only path parameters are
 * percent-decoded, one by one, so an encoded "/" or ".." can never
 * change which route matches.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>
#include <json.h>

#include "cfg.h"
#include "ids.h"
#include "request.h"

/*
 * Check a path's shape: absolute, no empty, "." or ".." segment, no
 * control characters or spaces, no backslash.  Pure.  Returns 1 if fine.
 */
int
req_path_ok(const char *p, size_t n)
{
	size_t	 i, seg = 0;

	if (n == 0 || p[0] != '/' || n > VN_MAX_PATH)
		return 0;
	for (i = 1; i <= n; i++) {
		if (i == n || p[i] == '/') {
			size_t len = i - seg - 1;
			const char *s = p + seg + 1;

			if (len == 0)
				return 0;
			if ((len == 1 && s[0] == '.') ||
			    (len == 2 && s[0] == '.' && s[1] == '.'))
				return 0;
			seg = i;
			continue;
		}
		if ((unsigned char)p[i] <= 0x20 || p[i] == 0x7f ||
		    p[i] == '\\')
			return 0;
	}
	return 1;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Percent-decode n bytes of s into out (NUL-terminated); '+' is kept as
 * is.  Fails (returns 0) on a bad escape, on a decoded NUL or control
 * character, or if out is too small.  Pure.
 */
int
pct_decode(const char *s, size_t n, char *out, size_t outsz)
{
	size_t	 i, o = 0;
	int	 hi, lo;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '%') {
			if (i + 2 >= n)
				return 0;
			if ((hi = hexval(s[i + 1])) < 0 ||
			    (lo = hexval(s[i + 2])) < 0)
				return 0;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		}
		if (c < 0x20 || c == 0x7f)
			return 0;
		if (o + 1 >= outsz)
			return 0;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 1;
}

/*
 * Find name=value in a query string and decode the value into out
 * ('+' means space here, as HTML forms and the SDKs encode it).
 * Returns 1 if found and decoded, 0 if absent, -1 if malformed.
 */
int
query_get(const char *q, const char *name, char *out, size_t outsz)
{
	size_t	 nlen = strlen(name), vlen, i;
	const char *p, *amp, *v;

	for (p = q; p != NULL && *p != '\0'; p = amp != NULL ? amp + 1 : NULL) {
		amp = strchr(p, '&');
		if (strncmp(p, name, nlen) != 0 || p[nlen] != '=')
			continue;
		v = p + nlen + 1;
		vlen = amp != NULL ? (size_t)(amp - v) : strlen(v);
		if (!pct_decode(v, vlen, out, outsz))
			return -1;
		for (i = 0; out[i] != '\0'; i++)
			if (out[i] == '+')
				out[i] = ' ';
		return 1;
	}
	return 0;
}

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
 * Fill r from the FastCGI parameters of fx.  The strings point into
 * libfcgi's parameter storage and live until FCGX_Finish_r.  Returns
 * VN_ENOROUTE for a path that cannot be routed, VN_EINVAL for a bad
 * Content-Length; r->err carries the details.  r->id is always set.
 */
enum vn_err
req_init(struct req *r, FCGX_Request *fx, const struct cfg *cfg)
{
	const char	*uri, *q;
	size_t		 n, blen;

	memset(r, 0, sizeof(*r));
	clock_gettime(CLOCK_MONOTONIC, &r->t0);
	r->fx = fx;
	r->cfg = cfg;
	r->status = 200;
	r->price_pct = 100;
	buf_init(&r->body, cfg->max_body);
	id_new(r->id, sizeof(r->id), "req_", VN_REQUEST_ID_LEN - 4);

	r->method = FCGX_GetParam("REQUEST_METHOD", fx->envp);
	if (r->method == NULL)
		r->method = "GET";
	r->content_type = FCGX_GetParam("CONTENT_TYPE", fx->envp);
	r->authorization = FCGX_GetParam("HTTP_AUTHORIZATION", fx->envp);
	r->content_length = parse_length(FCGX_GetParam("CONTENT_LENGTH",
	    fx->envp));

	if ((uri = FCGX_GetParam("REQUEST_URI", fx->envp)) == NULL &&
	    (uri = FCGX_GetParam("DOCUMENT_URI", fx->envp)) == NULL)
		uri = "/";
	q = strchr(uri, '?');
	n = q != NULL ? (size_t)(q - uri) : strlen(uri);
	r->query = q != NULL ? q + 1 : "";
	if (strlen(r->query) > VN_MAX_QUERY)
		return req_fail(r, VN_EINVAL, NULL, NULL,
		    "The query string is longer than %d bytes.", VN_MAX_QUERY);
	blen = strlen(cfg->base_path);
	if (blen > 0 && n >= blen && memcmp(uri, cfg->base_path, blen) == 0 &&
	    (n == blen || uri[blen] == '/')) {
		uri += blen;
		n -= blen;
	}
	if (n > VN_MAX_PATH || !req_path_ok(uri, n)) {
		snprintf(r->path, sizeof(r->path), "%.*s",
		    (int)(n > 200 ? 200 : n), uri);
		return req_fail(r, VN_ENOROUTE, NULL, "unknown_url",
		    "Invalid URL (%s %s)", r->method, r->path);
	}
	memcpy(r->path, uri, n);
	r->path[n] = '\0';
	if (r->content_length == -2)
		return req_fail(r, VN_EINVAL, NULL, NULL,
		    "Invalid Content-Length header.");
	return VN_OK;
}

/*
 * A request with no client: batch lines and background responses run
 * through the same handlers as live requests, and their answer (status
 * and body) is kept in r->captured instead of being sent.  The caller
 * sets who, store, thread, json and the rest.
 */
void
req_init_capture(struct req *r, const struct cfg *cfg, const char *method,
    const char *path)
{
	memset(r, 0, sizeof(*r));
	clock_gettime(CLOCK_MONOTONIC, &r->t0);
	r->cfg = cfg;
	r->capture = 1;
	r->status = 200;
	r->price_pct = 100;
	r->method = method;
	snprintf(r->path, sizeof(r->path), "%s", path);
	r->query = "";
	r->content_length = -1;
	buf_init(&r->body, cfg->max_body);
	buf_init(&r->captured, cfg->max_upstream_response + 65536);
	id_new(r->id, sizeof(r->id), "req_", VN_REQUEST_ID_LEN - 4);
}

/*
 * Read the whole body, at most max bytes, into r->body.  VN_ETOOBIG when
 * the declared or actual length passes max; VN_EINVAL when the body is
 * shorter than declared (the client went away mid-upload).
 */
enum vn_err
req_read_body(struct req *r, size_t max)
{
	char		 chunk[16384];
	int		 n;
	enum vn_err	 rc;

	r->body.max = max;
	if (r->content_length > (long long)max)
		return req_fail(r, VN_ETOOBIG, NULL, NULL,
		    "The request body is larger than the limit of %zu bytes.",
		    max);
	for (;;) {
		n = FCGX_GetStr(chunk, sizeof(chunk), r->fx->in);
		if (n <= 0)
			break;
		if ((rc = buf_add(&r->body, chunk, (size_t)n)) != VN_OK)
			return req_fail(r, rc, NULL, NULL,
			    "The request body is larger than the limit of "
			    "%zu bytes.", max);
	}
	if (r->content_length >= 0 &&
	    (long long)r->body.len != r->content_length)
		return req_fail(r, VN_EINVAL, NULL, NULL,
		    "The request body does not match its Content-Length.");
	return VN_OK;
}

/*
 * Record why the request failed, for resp_error() to send.  param and
 * code may be NULL; the message is formatted.  Returns err, so handlers
 * can "return req_fail(...)".
 */
enum vn_err
req_fail(struct req *r, enum vn_err err, const char *param, const char *code,
    const char *fmt, ...)
{
	va_list	 ap;

	r->fault.err = err;
	r->fault.code = code;
	snprintf(r->fault.param, sizeof(r->fault.param), "%s",
	    param != NULL ? param : "");
	va_start(ap, fmt);
	vsnprintf(r->fault.msg, sizeof(r->fault.msg), fmt, ap);
	va_end(ap);
	return err;
}

/* Milliseconds since the request arrived. */
long
req_elapsed_ms(const struct req *r)
{
	struct timespec	 now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)((now.tv_sec - r->t0.tv_sec) * 1000 +
	    (now.tv_nsec - r->t0.tv_nsec) / 1000000);
}

/* Free what the request owns; the FastCGI request itself is not touched. */
void
req_free(struct req *r)
{
	size_t	 i;

	for (i = 0; i < r->nparams; i++)
		free(r->params[i]);
	r->nparams = 0;
	buf_free(&r->body);
	buf_free(&r->captured);
	if (r->json != NULL)
		json_object_put(r->json);
	r->json = NULL;
}
