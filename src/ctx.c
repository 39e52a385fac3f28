/*
 * ctx.c: a handler's context (ctx.h): its start, its body and its end.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

#include "budget.h"
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
	c->stats.ttfb_us = -1;
	c->cfg = cfg;
	c->out = out;
	c->slot = -1;
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
	budget_give(c->held);
	c->held = 0;
}

/*
 * Take n more bytes of the process's budget for c, before c holds them;
 * all of it goes back in ctx_free().  A 503 that asks the client to
 * retry when the budget cannot give them.
 */
enum vn_err
ctx_hold(struct ctx *c, size_t n)
{
	if (!budget_take(n)) {
		c->fault.retry_after = 1;
		return fault_set(&c->fault, VN_EUNAVAIL, NULL,
		    "server_overloaded", "The gateway is at its memory limit "
		    "for requests (request_memory) and cannot take one of "
		    "%zu KiB now. Please retry.", (n + 1023) / 1024);
	}
	c->held += n;
	return VN_OK;
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
	size_t		 taken = 0;
	int		 n;
	enum vn_err	 rc;

	c->body.max = max;
	if (c->content_length > (long long)max)
		return fault_set(&c->fault, VN_ETOOBIG, NULL, NULL,
		    "The request body is larger than the limit of %zu bytes.",
		    max);
	/*
	 * An announced body is taken at once, and its buffer never grows
	 * past it; a chunked one is taken as its buffer grows.
	 */
	if (c->content_length >= 0) {
		c->body.max = (size_t)c->content_length;
		if ((rc = ctx_hold(c, c->body.max + 1)) != VN_OK)
			return rc;
		taken = c->body.max + 1;
	}
	while (c->in.read != NULL &&
	    (n = c->in.read(c->in.arg, chunk, sizeof(chunk))) > 0) {
		if ((rc = buf_add(&c->body, chunk, (size_t)n)) != VN_OK) {
			if (c->content_length >= 0)
				break;	/* longer than announced */
			return fault_set(&c->fault, rc, NULL, NULL,
			    "The request body is larger than the limit of "
			    "%zu bytes.", max);
		}
		if (c->body.cap > taken) {
			if ((rc = ctx_hold(c, c->body.cap - taken)) != VN_OK)
				return rc;
			taken = c->body.cap;
		}
	}
	if (c->in.stalled)
		return ctx_stalled(c);
	if (c->content_length >= 0 &&
	    (long long)c->body.len != c->content_length)
		return fault_set(&c->fault, VN_EINVAL, NULL, NULL,
		    "The request body does not match its Content-Length.");
	return VN_OK;
}

/* The 408 of a body sent too slowly (request.c decides when). */
enum vn_err
ctx_stalled(struct ctx *c)
{
	c->fault.status = 408;
	return fault_set(&c->fault, VN_EINVAL, NULL, "request_timeout",
	    "The request body arrived too slowly: it must come within "
	    "upload_timeout (%ld s) and at upload_min_rate (%zu bytes/s) on "
	    "average.", c->cfg->upload_timeout_ms / 1000,
	    c->cfg->upload_min_rate);
}

/* Milliseconds since the context began. */
long
ctx_elapsed_ms(const struct ctx *c)
{
	return ctx_elapsed_us(c) / 1000;
}

long
ctx_elapsed_us(const struct ctx *c)
{
	struct timespec	 now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)((now.tv_sec - c->t0.tv_sec) * 1000000 +
	    (now.tv_nsec - c->t0.tv_nsec) / 1000);
}
