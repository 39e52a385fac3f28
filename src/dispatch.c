/*
 * dispatch.c: the life of a request.  Every path under Venna needs a
 * workspace key, so authentication comes before routing answers (no
 * key, no information); then 404, 405 or 501 for what is not served;
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

#include "auth.h"
#include "cfg.h"
#include "dispatch.h"
#include "jsonx.h"
#include "log.h"
#include "request.h"
#include "response.h"
#include "router.h"
#include "worker.h"

/* Decode the "*" segments into r->params. */
static enum vn_err
take_params(struct req *r, const struct route_match *m)
{
	char	 tmp[REQ_MAX_PARAM + 1];
	size_t	 i;

	for (i = 0; i < m->nparams; i++) {
		if (!pct_decode(m->param[i], m->paramlen[i], tmp, sizeof(tmp)))
			return req_fail(r, VN_ENOROUTE, NULL, "unknown_url",
			    "Invalid URL (%s %s): a path parameter is badly "
			    "encoded or too long.", r->method, r->path);
		if ((r->params[i] = strdup(tmp)) == NULL)
			return VN_ENOMEM;
		r->nparams++;
	}
	return VN_OK;
}

/* What the client learns when its key is refused. */
static enum vn_err
auth_fault(struct req *r, enum vn_err rc)
{
	r->fault.err = rc;	/* the table's message and code */
	return rc;
}

/*
 * Once an event stream has begun the status is already 200, so the
 * error travels in-band as a data event carrying the envelope, which
 * the SDKs raise as an APIError.
 */
static void
stream_error(struct req *r)
{
	struct buf	 b;

	buf_init(&b, 2 * VN_ERRMSG);
	if (error_envelope(&b, &r->fault) == VN_OK)
		(void)resp_sse_data(r, b.data, b.len);
	buf_free(&b);
}

static enum vn_err
serve(struct req *r, const struct dispatch_ctx *ctx)
{
	struct route_match	 m;
	enum route_result	 found;
	enum vn_err		 rc;

	found = router_find(r->method, r->path, &m);
	rc = auth_check(ctx->store, ctx->pepper, r->authorization, &r->who);
	if (rc != VN_OK)
		return auth_fault(r, rc);
	switch (found) {
	case ROUTE_NOPATH:
		return req_fail(r, VN_ENOROUTE, NULL, "unknown_url",
		    "Invalid URL (%s %s)", r->method, r->path);
	case ROUTE_NOMETHOD:
		snprintf(r->fault.allow, sizeof(r->fault.allow), "%s",
		    m.allow);
		return req_fail(r, VN_EMETHOD, NULL, "method_not_allowed",
		    "Method %s is not allowed on %s (allowed: %s).",
		    r->method, r->path, m.allow);
	case ROUTE_UNIMPL:
		return req_fail(r, VN_EUNIMPL, NULL, "not_implemented",
		    "Endpoint '%s %s' is not implemented yet on Venna gateway",
		    r->method, r->path);
	case ROUTE_FOUND:
		break;
	}
	if ((rc = take_params(r, &m)) != VN_OK)
		return rc;
	if (m.route->flags & ROUTE_JSON) {
		if ((rc = req_read_body(r, r->cfg->max_body)) != VN_OK)
			return rc;
		if ((rc = jsonx_object(r->body.data != NULL ? r->body.data : "",
		    r->body.len, (int)r->cfg->max_json_depth, &r->json,
		    &r->fault)) != VN_OK)
			return rc;
	}
	return m.route->fn(r);
}

/*
 * Serve fx.  Never fails: whatever goes wrong is answered to the client
 * when it can still be, and logged.
 */
void
dispatch(FCGX_Request *fx, const struct dispatch_ctx *ctx,
    struct worker_thread *thread)
{
	struct req	 r;
	enum vn_err	 rc;

	rc = req_init(&r, fx, ctx->cfg);
	r.store = ctx->store;
	r.pepper = ctx->pepper;
	r.thread = thread;
	r.pump = thread != NULL ? thread->pump : NULL;
	r.background = ctx->background;
	log_set_request(r.id);
	if (rc == VN_OK)
		rc = serve(&r, ctx);
	if (rc != VN_OK && r.fault.err == VN_OK)
		r.fault.err = rc;
	if (rc != VN_OK && rc != VN_ECLIENT && !r.client_gone) {
		if (!r.headers_sent)
			resp_error(&r);
		else if (r.sse && !r.fault_sent)
			stream_error(&r);
	}
	if (r.client_gone && r.status < 400)
		r.status = 499;
	else if (rc != VN_OK && !r.headers_sent)
		r.status = err_status(rc);
	if (r.status >= 500 && r.status != 501)
		log_warn("%s %s %d %ldms ws=%s key=%s: %s", r.method, r.path,
		    r.status, req_elapsed_ms(&r), r.who.workspace_id,
		    r.who.key_id, r.fault.msg[0] != '\0' ? r.fault.msg :
		    "failed");
	else
		log_info("%s %s %d %ldms ws=%s key=%s", r.method, r.path,
		    r.status, req_elapsed_ms(&r), r.who.workspace_id,
		    r.who.key_id);
	req_free(&r);
	log_set_request(NULL);
}

/*
 * Run handler fn on a request in capture mode (req_init_capture), the
 * way dispatch() runs it for a client: afterwards r->status and
 * r->captured hold the answer, an error envelope when it failed.
 * Returns what the handler returned.
 */
enum vn_err
dispatch_captured(struct req *r, enum vn_err (*fn)(struct req *))
{
	enum vn_err	 rc;

	rc = fn(r);
	if (rc != VN_OK && r->fault.err == VN_OK)
		r->fault.err = rc;
	if (rc != VN_OK && !r->headers_sent) {
		buf_reset(&r->captured);
		(void)resp_error(r);
	}
	return rc;
}
