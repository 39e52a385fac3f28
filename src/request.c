/*
 * request.c: turning FastCGI parameters into a context's request line.
 * The path comes from REQUEST_URI, which web servers pass undecoded;
 * url.c checks it on its raw bytes.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>

#include "cfg.h"
#include "ctx.h"
#include "request.h"
#include "url.h"

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
request_parse(struct ctx *c, FCGX_Request *fx, const char **authorization)
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
	c->in.read = request_read;
	c->in.arg = fx;

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

/* The body reader of a FastCGI request (ctx.h's ctx_input). */
int
request_read(void *arg, char *p, int n)
{
	FCGX_Request	*fx = arg;

	return FCGX_GetStr(p, n, fx->in);
}
