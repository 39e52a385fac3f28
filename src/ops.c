/*
 * ops.c: the operations paths (ops.h).  They sit outside /v1, so an
 * OpenAI client never meets them, and answer without a key: a prober
 * has none, and what they tell (up, ready, and why not) names no
 * secret.  Their answers are JSON, never cached by anyone on the way
 * (a stale "ready" would keep traffic on a worker that cannot serve
 * it); errors are the usual envelopes.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <json.h>

#include "ctx.h"
#include "fault.h"
#include "ops.h"
#include "ready.h"
#include "reply.h"

#define OPS_ALLOW		"GET, HEAD"
#define READY_RETRY_AFTER	5	/* seconds, on a 503 */

static enum vn_err	healthz(struct ctx *);
static enum vn_err	readyz(struct ctx *);

static const struct ops_route ops_routes[] = {
	{ "/healthz", healthz },
	{ "/readyz", readyz },
	/*
	 * Not /metrics: it may take an admin key, so serve() answers it
	 * (metrics_http.h), with the Authorization header at hand.
	 */
	{ NULL, NULL }
};

/* The operations route of path, or NULL: a path for the API's router. */
const struct ops_route *
ops_find(const char *path)
{
	const struct ops_route	*r;

	for (r = ops_routes; r->path != NULL; r++)
		if (strcmp(r->path, path) == 0)
			return r;
	return NULL;
}

/* Send body, of len bytes, as JSON that nobody caches; no body on HEAD. */
static enum vn_err
answer(struct ctx *c, int status, const char *body, size_t len)
{
	char		 extra[128];
	enum vn_err	 rc;

	snprintf(extra, sizeof(extra), "Cache-Control: no-store\r\n");
	if (status == 503)
		snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra),
		    "Retry-After: %d\r\n", READY_RETRY_AFTER);
	if ((rc = reply_head(c, status, "application/json", (long long)len,
	    extra)) != VN_OK || strcmp(c->method, "HEAD") == 0)
		return rc;
	return reply_write(c, body, len);
}

/* The pool answers: a worker took the request.  Nothing else is asked. */
static enum vn_err
healthz(struct ctx *c)
{
	static const char	 ok[] = "{\"status\":\"ok\"}";

	return answer(c, 200, ok, sizeof(ok) - 1);
}

/*
 * 200 {"status":"ready","checks":{...}} or 503 {"status":"not_ready",
 * "checks":{...}}, each check "ok" or the reason it failed.
 */
static enum vn_err
readyz(struct ctx *c)
{
	struct json_object	*o, *checks;
	const char		*s;
	size_t			 len = 0;
	int			 ready;
	enum vn_err		 rc = VN_ENOMEM;

	if ((o = json_object_new_object()) == NULL)
		return VN_ENOMEM;
	if ((checks = json_object_new_object()) == NULL)
		goto out;
	ready = ready_check(c->cfg, c->store, checks);
	json_object_object_add(o, "status",
	    json_object_new_string(ready ? "ready" : "not_ready"));
	json_object_object_add(o, "checks", checks);
	s = json_object_to_json_string_length(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (s != NULL)
		rc = answer(c, ready ? 200 : 503, s, len);
out:
	json_object_put(o);
	return rc;
}

/* Serve r, which ops_find() gave for c's path. */
enum vn_err
ops_serve(struct ctx *c, const struct ops_route *r)
{
	c->stats.route = r->path;
	if (strcmp(c->method, "GET") != 0 && strcmp(c->method, "HEAD") != 0) {
		snprintf(c->fault.allow, sizeof(c->fault.allow), "%s",
		    OPS_ALLOW);
		return fault_set(&c->fault, VN_EMETHOD, NULL,
		    "method_not_allowed", "Method %s is not allowed on %s "
		    "(allowed: %s).", c->method, c->path, OPS_ALLOW);
	}
	return r->fn(c);
}
