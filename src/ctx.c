/*
 * ctx.c: a handler's context (ctx.h): its start, its body and its end.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

#include "cfg.h"
#include "ctx.h"
#include "ids.h"

/*
 * Start a context for method and path, answering through out; the
 * caller sets the store, the principal, the body and the rest.  Both
 * strings must outlive c (path is copied, cut at VN_MAX_PATH).
 */
void
ctx_init(struct ctx *c, const struct cfg *cfg, struct sink *out,
    const char *method, const char *path)
{
	memset(c, 0, sizeof(*c));
	clock_gettime(CLOCK_MONOTONIC, &c->t0);
	c->cfg = cfg;
	c->out = out;
	c->method = method;
	snprintf(c->path, sizeof(c->path), "%s", path);
	c->query = "";
	c->content_length = -1;
	c->status = 200;
	c->price_pct = 100;
	buf_init(&c->body, cfg->max_body);
	ids_new(c->id, sizeof(c->id), "req_", VN_REQUEST_ID_LEN - 4);
}

/* Free what the context owns; its sink and store are its owner's. */
void
ctx_free(struct ctx *c)
{
	size_t	 i;

	for (i = 0; i < c->nparams; i++)
		free(c->params[i]);
	c->nparams = 0;
	buf_free(&c->body);
	if (c->json != NULL)
		json_object_put(c->json);
	c->json = NULL;
}

/*
 * Read the whole body, at most max bytes, into c->body.  VN_ETOOBIG
 * when the declared or actual length passes max; VN_EINVAL when the
 * body is shorter than declared (the client went away mid-upload).
 */
enum vn_err
ctx_read_body(struct ctx *c, size_t max)
{
	char		 chunk[16384];
	int		 n;
	enum vn_err	 rc;

	c->body.max = max;
	if (c->content_length > (long long)max)
		return fault_set(&c->fault, VN_ETOOBIG, NULL, NULL,
		    "The request body is larger than the limit of %zu bytes.",
		    max);
	while (c->in.read != NULL &&
	    (n = c->in.read(c->in.arg, chunk, sizeof(chunk))) > 0)
		if ((rc = buf_add(&c->body, chunk, (size_t)n)) != VN_OK)
			return fault_set(&c->fault, rc, NULL, NULL,
			    "The request body is larger than the limit of "
			    "%zu bytes.", max);
	if (c->content_length >= 0 &&
	    (long long)c->body.len != c->content_length)
		return fault_set(&c->fault, VN_EINVAL, NULL, NULL,
		    "The request body does not match its Content-Length.");
	return VN_OK;
}

/* Milliseconds since the context began. */
long
ctx_elapsed_ms(const struct ctx *c)
{
	struct timespec	 now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)((now.tv_sec - c->t0.tv_sec) * 1000 +
	    (now.tv_nsec - c->t0.tv_nsec) / 1000000);
}
