/*
 * dispatch.c: the life of a request.  The operations paths (ops.h:
 * /healthz, /readyz) answer without a key; every other path needs one,
 * so authentication comes before routing answers (no key, no
 * information); then 404, 405 or 501 for what is not served;
 * then the body within its cap, the handler, and one place that turns
 * a failure into an error response (or an in-band event once a stream
 * has started).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>
#include <json.h>

#include "access_log.h"
#include "admin_guard.h"
#include "admission.h"
#include "auth.h"
#include "cfg.h"
#include "ctx.h"
#include "dispatch.h"
#include "jscan.h"
#include "jsonx.h"
#include "log.h"
#include "metrics.h"
#include "metrics_http.h"
#include "ops.h"
#include "out_fcgi.h"
#include "reply.h"
#include "request.h"
#include "router.h"
#include "url.h"

/* Decode the "*" segments into c->params. */
static enum vn_err
take_params(struct ctx *c, const struct route_match *m)
{
	char	 tmp[CTX_MAX_PARAM + 1];
	size_t	 i;

	for (i = 0; i < m->nparams && i < CTX_MAX_PARAMS; i++) {
		if (!url_pct_decode(m->param[i], m->paramlen[i], tmp,
		    sizeof(tmp)))
			return fault_set(&c->fault, VN_ENOROUTE, NULL,
			    "unknown_url", "Invalid URL (%s %s): a path "
			    "parameter is badly encoded or too long.",
			    c->method, c->path);
		if ((c->params[i] = strdup(tmp)) == NULL)
			return VN_ENOMEM;
		c->nparams++;
	}
	return VN_OK;
}

/*
 * Parse the body as a JSON object, its tree's memory taken from the
 * budget first: the check that counts it is cheap next to the parse.
 */
static enum vn_err
parse_body(struct ctx *c)
{
	const char		*s = c->body.data != NULL ? c->body.data : "";
	struct jscan_result	 r;
	enum vn_err		 rc;

	if (jscan_check(s, c->body.len, (int)c->cfg->max_json_depth,
	    c->cfg->max_json_memory, &r) == JSCAN_OK &&
	    (rc = ctx_hold(c, r.cost)) != VN_OK)
		return rc;
	return jsonx_object(s, c->body.len, (int)c->cfg->max_json_depth,
	    c->cfg->max_json_memory, &c->json, &c->fault);
}

/*
 * Which key may call what: an admin key only /v1/organization, a
 * workspace key everything else.  OpenAI answers a key without the
 * scope an endpoint needs with 401 invalid_request_error and names the
 * missing scope; so does Venna (the SDK raises AuthenticationError).
 */
static enum vn_err
scope(struct ctx *c, int admin_path)
{
	if (admin_path && !c->who.admin)
		return fault_set(&c->fault, VN_EAUTH, NULL,
		    "insufficient_permissions", "You have "
		    "insufficient permissions for this operation. Missing "
		    "scopes: api.management.read. A workspace key cannot "
		    "call the Admin API: use an admin key (vka_...).");
	if (!admin_path && c->who.admin)
		return fault_set(&c->fault, VN_EAUTH, NULL,
		    "insufficient_permissions", "You have "
		    "insufficient permissions for this operation. Missing "
		    "scopes: model.request. An admin key only calls "
		    "/v1/organization: use a workspace key (vk_...).");
	return VN_OK;
}

static enum vn_err
serve(struct ctx *c, const struct dispatch_env *env,
    const char *authorization)
{
	struct route_match	 m;
	enum route_result	 found;
	enum vn_err		 rc;
	int			 admin;

	memset(&m, 0, sizeof(m));
	if (strcmp(c->path, "/metrics") == 0 && (strcmp(c->method, "GET") ==
	    0 || strcmp(c->method, "HEAD") == 0)) {
		c->stats.route = "/metrics";
		return metrics_serve(c, authorization);
	}
	/*
	 * admin_api = off: /v1/organization is a path like any unknown
	 * one (404 after authentication), telling nothing of what is
	 * there.
	 */
	admin = router_is_admin(c->path) && c->cfg->admin_api;
	found = router_is_admin(c->path) && !c->cfg->admin_api ?
	    ROUTE_NOPATH : router_find(c->method, c->path, &m);
	if (found == ROUTE_FOUND)
		c->stats.route = m.route->pattern;
	rc = admin ? admin_guard_auth(c, authorization) :
	    auth_check(env->store, env->pepper, authorization, &c->who);
	if (rc != VN_OK) {
		if (c->fault.err == VN_OK)
			c->fault.err = rc;	/* the table's message, code */
		return rc;
	}
	/* An unknown path is a 404 for any key, admin paths aside. */
	if ((admin || found != ROUTE_NOPATH) && (rc = scope(c, admin)) !=
	    VN_OK)
		return rc;
	switch (found) {
	case ROUTE_NOPATH:
		return fault_set(&c->fault, VN_ENOROUTE, NULL, "unknown_url",
		    "Invalid URL (%s %s)", c->method, c->path);
	case ROUTE_NOMETHOD:
		snprintf(c->fault.allow, sizeof(c->fault.allow), "%s",
		    m.allow);
		return fault_set(&c->fault, VN_EMETHOD, NULL,
		    "method_not_allowed", "Method %s is not allowed on %s "
		    "(allowed: %s).", c->method, c->path, m.allow);
	case ROUTE_UNIMPL:
		return fault_set(&c->fault, VN_EUNIMPL, NULL,
		    "not_implemented", "Endpoint '%s %s' is not implemented "
		    "yet on Venna gateway", c->method, c->path);
	case ROUTE_FOUND:
		break;
	}
	/* Before the body: a slow upload holds its workspace's slot. */
	if ((rc = admission_enter(c)) != VN_OK)
		return rc;
	if ((rc = take_params(c, &m)) != VN_OK)
		return rc;
	if (m.route->flags & ROUTE_JSON) {
		if ((rc = ctx_read_body(c, c->cfg->max_body)) != VN_OK ||
		    (rc = parse_body(c)) != VN_OK)
			return rc;
	}
	return m.route->fn(c);
}

/*
 * Serve fx with the process's env and the calling thread's upstream
 * handle.  Never fails: whatever goes wrong is answered to the client
 * when it can still be, and logged.
 */
void
dispatch(FCGX_Request *fx, const struct dispatch_env *env, void **upstream)
{
	struct out_fcgi	 out;
	struct request_body body;
	struct ctx	 c;
	const struct ops_route *op;
	const char	*authorization = NULL;
	enum vn_err	 rc;

	metrics_busy(1);
	out_fcgi_init(&out, fx);
	ctx_init(&c, env->cfg, &out.sink, "GET", "/");
	c.store = env->store;
	c.pump = env->pump;
	c.upstream = upstream;
	c.background = env->background;
	c.pepper = env->pepper;
	c.remote_addr = FCGX_GetParam("REMOTE_ADDR", fx->envp);
	log_set_request(c.id);
	if ((rc = request_parse(&c, fx, &body, &authorization)) == VN_OK)
		rc = (op = ops_find(c.path)) != NULL ? ops_serve(&c, op) :
		    serve(&c, env, authorization);
	if (rc != VN_OK && c.fault.err == VN_OK)
		c.fault.err = rc;
	if (rc != VN_OK && rc != VN_ECLIENT && !c.client_gone) {
		if (!c.headers_sent)
			(void)reply_error(&c);
		else if (c.sse && !c.fault_sent)
			(void)reply_sse_error(&c);
	}
	if (c.client_gone && c.status < 400)
		c.status = 499;
	else if (rc != VN_OK && !c.headers_sent)
		c.status = fault_err_status(rc);
	access_log(&c);
	metrics_request(&c);
	admission_leave(&c);
	ctx_free(&c);
	log_set_request(NULL);
	metrics_busy(-1);
}
