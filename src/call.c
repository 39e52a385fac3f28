/*
 * call.c: a model call, attempt by attempt.  The route plan gives the
 * order; each attempt goes to an upstream (or to the echo model) and is
 * judged:
 *  - a complete, well-formed 2xx answer ends the call;
 *  - 429, 408, any 5xx, a connect error, a timeout, a broken or garbled
 *    answer moves on to the next upstream, unless part of the answer
 *    has already reached the client; Retry-After keeps this process
 *    away from that upstream for as long as it asks (up to
 *    max_retry_after);
 *  - an upstream's 401 or 403 is the gateway's own credentials failing:
 *    logged for the operator, never shown to the client, and the next
 *    upstream is tried;
 *  - any other 4xx is the client's request: passed through with the
 *    upstream's status and message, in the four-key envelope.
 * When every attempt failed the client gets 504 if any timed out, 503
 * (with Retry-After) if all were throttled, else 502, always as a
 * server_error that names no upstream URL or key.
 *
 * Before the first attempt the call is admitted against its
 * workspace's rate and spend limits (admission.c): a refusal calls no
 * upstream and bills nothing; an admitted call is settled with the
 * tokens and cost of its usage row.
 *
 * The usage row is written after the outcome is known and before the
 * answer (or the end of a stream) goes out, so every answer a client
 * received has its row.  No transaction spans network I/O.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <json.h>

#include "admission.h"
#include "call.h"
#include "cfg.h"
#include "ctx.h"
#include "failover.h"
#include "jscan.h"
#include "jsonedit.h"
#include "jsonx.h"
#include "log.h"
#include "metrics_http.h"
#include "relay.h"
#include "reply.h"
#include "upstream.h"
#include "usage.h"

#define CONNECT_COOLDOWN_MS	1000	/* a refused connection rests this */

/* Request fields that name where or how to call an upstream. */
static const char *const routing_fields[] = {
	"api_base", "base_url", "api_key", "api_version",
	"custom_llm_provider", "extra_headers",
};

/*
 * The body sent upstream, into out: the client's, byte for byte, but
 * for the model the upstream knows, the usage chunk asked for on a
 * stream (the gateway bills from it), and without the fields some
 * gateways use to choose an upstream or its credentials (Venna never
 * reads them, and forwarding them could let a client steer a
 * downstream gateway used as an upstream).  From the raw body when the
 * spec has one; a body Venna made itself is serialized.
 */
static enum vn_err
upstream_body(struct ctx *c, const struct call_spec *sp, struct buf *out)
{
	struct jsonedit		 e[VN_NELEM(routing_fields) + 2];
	struct jscan_span	 so;
	struct buf		 model, opts;
	const char		*src = sp->raw;
	size_t			 i, ne = 0, len = sp->raw_len;
	enum vn_err		 rc;
	static const struct jsonedit usage = {
		"include_usage", "true", 4, 1
	};

	if (src == NULL && (src = jsonx_to_string(sp->body, &len)) == NULL)
		return VN_ENOMEM;
	out->max = len + 65536;
	if ((rc = ctx_hold(c, out->max)) != VN_OK)
		return rc;
	buf_init(&model, 4 * strlen(sp->model->upstream_model) + 8);
	buf_init(&opts, 65536);
	if ((rc = buf_add_json_string(&model, sp->model->upstream_model,
	    strlen(sp->model->upstream_model))) != VN_OK)
		goto out;
	e[ne++] = (struct jsonedit){ "model", model.data, model.len, 1 };
	if (sp->stream) {
		if (jscan_member(src, len, "stream_options", &so) &&
		    so.p[0] == '{')
			rc = jsonedit_apply(so.p, so.n, &usage, 1, &opts);
		else
			rc = jsonedit_apply("{}", 2, &usage, 1, &opts);
		if (rc != VN_OK)
			goto out;
		e[ne++] = (struct jsonedit){ "stream_options", opts.data,
		    opts.len, 1 };
	}
	for (i = 0; i < VN_NELEM(routing_fields); i++)
		e[ne++] = (struct jsonedit){ routing_fields[i], NULL, 0, 0 };
	rc = jsonedit_apply(src, len, e, ne, out);
out:
	buf_free(&model);
	buf_free(&opts);
	return rc;
}

/*
 * The upstream's error, passed through: its status, and its message,
 * type, param and code when its body is an envelope.
 */
static void
pass_through(struct ctx *c, struct relay *rl)
{
	struct json_object	*o = NULL, *e, *v;
	struct fault		 ignore;
	struct fault		*f = &c->fault;

	memset(&ignore, 0, sizeof(ignore));
	fault_set(f, VN_EINVAL, NULL, NULL, "The upstream model server "
	    "rejected the request (HTTP %ld).", rl->status);
	f->status = (int)rl->status;
	if (rl->errbody.len == 0 || jsonx_parse(rl->errbody.data,
	    rl->errbody.len, 32, &o, &ignore) != VN_OK)
		return;
	if (json_object_object_get_ex(o, "error", &e) &&
	    json_object_is_type(e, json_type_object)) {
		if (json_object_object_get_ex(e, "message", &v) &&
		    json_object_is_type(v, json_type_string))
			snprintf(f->msg, sizeof(f->msg), "%.400s",
			    json_object_get_string(v));
		if (json_object_object_get_ex(e, "type", &v) &&
		    json_object_is_type(v, json_type_string))
			snprintf(f->type, sizeof(f->type), "%s",
			    json_object_get_string(v));
		if (json_object_object_get_ex(e, "param", &v) &&
		    json_object_is_type(v, json_type_string))
			snprintf(f->param, sizeof(f->param), "%s",
			    json_object_get_string(v));
		if (json_object_object_get_ex(e, "code", &v) &&
		    json_object_is_type(v, json_type_string)) {
			snprintf(f->codebuf, sizeof(f->codebuf), "%s",
			    json_object_get_string(v));
			f->code = f->codebuf;
		}
	}
	json_object_put(o);
}

/*
 * Is a non-streamed 2xx answer valid JSON with sp->expect at its top?
 * Only the usage member is built into objects: the answer is relayed as
 * the bytes it is, so the rest needs no tree.
 */
static int
answer_ok(struct ctx *c, struct relay *rl, const struct call_spec *sp)
{
	struct json_object	*u = NULL;
	struct jscan_span	 v;
	struct fault		 ignore;

	if (rl->body.len == 0 || !jscan_valid(rl->body.data, rl->body.len,
	    (int)c->cfg->max_json_depth * 2) ||
	    !jscan_member(rl->body.data, rl->body.len, sp->expect, &v))
		return 0;
	memset(&ignore, 0, sizeof(ignore));
	if (jscan_member(rl->body.data, rl->body.len, "usage", &v) &&
	    v.p[0] == '{' && jsonx_parse(v.p, v.n, 8, &u, &ignore) == VN_OK) {
		usage_from_json(u, &rl->prompt, &rl->completion, &rl->cached);
		rl->have_usage = 1;
		json_object_put(u);
	}
	return 1;
}

/*
 * Judge one finished attempt on upstream up (index ui): its outcome, the
 * tally of the call updated, a cooldown set where the upstream asked
 * for one, and c's fault set where the attempt ends the call.
 */
enum call_outcome
call_judge(struct ctx *c, struct relay *rl, const struct call_spec *sp,
    const struct cfg_upstream *up, size_t ui, const struct upstream_res *res,
    struct call_tally *t)
{
	long	 ra;

	if (res->fail == UP_ABORTED && res->cb_err == VN_ECLIENT) {
		fault_set(&c->fault, VN_ECLIENT, NULL, NULL,
		    "The client went away.");
		return CALL_FINAL;
	}
	/* The answer outgrew the process's budget (the relay said why). */
	if (res->fail == UP_ABORTED && res->cb_err == VN_EUNAVAIL)
		return CALL_FINAL;
	if (res->fail == UP_OK && res->status >= 200 && res->status <= 299 &&
	    !rl->bad && !rl->upstream_error) {
		if (sp->stream ? !relay_truncated(rl) : answer_ok(c, rl, sp))
			return CALL_SUCCESS;
		log_warn("upstream %s: %s", up->name, sp->stream ?
		    "the stream ended before [DONE]" :
		    "the answer is not the expected JSON");
	} else if (res->fail != UP_OK && res->fail != UP_ABORTED) {
		log_warn("upstream %s: %s after %ld ms", up->name,
		    upstream_fail_name(res->fail), res->ms);
		if (upstream_fail_is_timeout(res->fail))
			t->timeouts++;
		if (res->fail == UP_CONNECT)
			failover_cooldown(c->cfg, ui, CONNECT_COOLDOWN_MS);
	} else if (res->fail == UP_OK && res->status >= 400) {
		if (res->status == 401 || res->status == 403)
			log_error("upstream %s refused the gateway's "
			    "credentials (HTTP %ld): check its api_key",
			    up->name, res->status);
		else if (res->status < 500 && res->status != 408 &&
		    res->status != 429) {
			if (rl->forwarded)
				return CALL_FINAL;
			pass_through(c, rl);
			return CALL_FINAL;
		} else
			log_warn("upstream %s answered HTTP %ld", up->name,
			    res->status);
		if (res->status == 429 || res->status == 503) {
			t->throttled++;
			ra = res->retry_after_ms;
			if (ra > up->max_retry_after_ms)
				ra = up->max_retry_after_ms;
			if (ra > 0) {
				failover_cooldown(c->cfg, ui, ra);
				if (t->retry_after_ms == 0 ||
				    ra < t->retry_after_ms)
					t->retry_after_ms = ra;
			}
		}
	} else
		log_warn("upstream %s: answer rejected (%s)", up->name,
		    rl->bad ? "garbled or too large" : "error event");
	/* Once part of the answer is out, there is no going elsewhere. */
	return rl->forwarded ? CALL_FINAL : CALL_RETRY;
}

/* The error for a call that no upstream could answer. */
static enum vn_err
all_failed(struct ctx *c, const struct call_tally *t, long cooling_ms)
{
	long	 ra = t->retry_after_ms > 0 ? t->retry_after_ms : cooling_ms;

	if (t->timeouts > 0)
		return fault_set(&c->fault, VN_ETIMEOUT, NULL,
		    "upstream_timeout",
		    "The upstream model server did not answer in time. "
		    "Please retry.");
	if (t->tried == 0 || t->throttled == t->tried) {
		c->fault.retry_after = ra > 0 ? (ra + 999) / 1000 : 1;
		return fault_set(&c->fault, VN_EUNAVAIL, NULL,
		    "service_unavailable",
		    "No upstream model server for this model can take the "
		    "request right now. Please retry after %ld s.",
		    c->fault.retry_after);
	}
	return fault_set(&c->fault, VN_EUPSTREAM, NULL, "upstream_error",
	    "The upstream model server failed to answer. Please retry.");
}

/*
 * Write the usage row of the call, estimating what the upstream hid.
 * A row that cannot be written fails the call: no answer goes out
 * without its row (the README's promise), so the caller withholds it.
 */
static enum vn_err
ledger(struct ctx *c, struct relay *rl, const struct call_spec *sp,
    const char *upstream, int status, size_t body_len, struct admission *a)
{
	struct ledger_row	 u;
	enum vn_err		 rc = VN_OK;

	memset(&u, 0, sizeof(u));
	if (!rl->have_usage && status == 200) {
		/* No usage from the upstream: about 4 bytes a token. */
		rl->prompt = (int64_t)(body_len / 4);
		rl->completion = rl->deltas;
	}
	u.request_id = c->id;
	u.workspace_id = c->who.workspace_id;
	u.key_id = c->who.key_id[0] != '\0' ? c->who.key_id : NULL;
	u.endpoint = sp->endpoint;
	u.model = sp->model_name;
	u.upstream = upstream;
	u.prompt_tokens = rl->prompt;
	u.completion_tokens = rl->completion;
	u.cached_tokens = rl->cached;
	u.cost_pusd = usage_cost(sp->model, rl->prompt, rl->cached,
	    rl->completion, c->price_pct);
	u.batch_id = c->batch_id;
	u.status = status;
	u.latency_ms = ctx_elapsed_ms(c);
	c->stats.upstream = upstream;
	c->stats.prompt_tokens = u.prompt_tokens;
	c->stats.completion_tokens = u.completion_tokens;
	c->stats.cost_pusd = u.cost_pusd;
	if (c->usage_held != NULL)
		usage_hold(c->usage_held, &u);
	else
		rc = usage_record(&u);
	if (rc == VN_OK)
		metrics_usage(u.workspace_id, c->stats.model, u.prompt_tokens,
		    u.completion_tokens, u.cost_pusd);
	/* An unrecorded answer is withheld: nothing was spent. */
	admission_settle(c, a, u.prompt_tokens, u.completion_tokens,
	    rc == VN_OK ? u.cost_pusd : 0);
	return rc;
}

/*
 * Make the call and answer the client: the answer itself on success,
 * otherwise an error with the right status (or, once a stream has
 * started, an error event left for the dispatcher to send).  Returns
 * VN_OK when the answer went out.
 */
enum vn_err
call_model(struct ctx *c, struct relay *rl, const struct call_spec *sp)
{
	const struct cfg_upstream *up = NULL;
	struct upstream_req	 ureq;
	struct upstream_res	 res;
	struct failover_plan	 plan;
	struct call_tally	 t;
	struct buf		 body;
	struct admission	 adm;
	struct admission_call	 ac;
	const char		*used = NULL;
	size_t			 i;
	enum call_outcome	 out = CALL_RETRY;
	enum vn_err		 rc;
	long			 t0_us;
	int			 status, failed;

	memset(&t, 0, sizeof(t));
	c->stats.model = sp->model != NULL ? sp->model->name : sp->model_name;
	failover_plan(c->cfg, sp->model, &plan);
	buf_init(&body, 0);
	if ((rc = upstream_body(c, sp, &body)) != VN_OK) {
		buf_free(&body);
		if (rc == VN_ENOMEM || c->fault.err != VN_OK)
			return rc;
		return fault_set(&c->fault, VN_EINVAL, NULL, NULL, "The "
		    "request body could not be prepared for the upstream.");
	}
	/* Refused by a limit: no upstream called, nothing billed. */
	ac.model = sp->model;
	ac.model_name = sp->model_name;
	ac.body = sp->body;
	ac.body_len = body.len;
	ac.embeddings = strcmp(sp->endpoint, "/v1/embeddings") == 0;
	if ((rc = admission_admit(c, &ac, &adm)) != VN_OK) {
		buf_free(&body);
		return rc;
	}
	memset(&ureq, 0, sizeof(ureq));
	ureq.path = sp->path;
	ureq.body = body.data;
	ureq.body_len = body.len;
	ureq.stream = sp->stream;
	ureq.request_id = c->id;
	ureq.on_data = relay_on_data;
	ureq.on_tick = relay_on_tick;
	ureq.arg = rl;
	ureq.pump = c->pump;

	for (i = 0; i < plan.n && out == CALL_RETRY; i++) {
		up = &c->cfg->upstreams[plan.upstream[i]];
		used = up->name;
		t.tried++;
		relay_attempt(rl);
		if (up->type == UPSTREAM_ECHO) {
			rc = sp->local(c, rl, sp);
			out = rc == VN_OK ? CALL_SUCCESS : CALL_FINAL;
			break;
		}
		ureq.up = up;
		/* A stream's events are written by the pump's thread. */
		ureq.out = sp->stream ? reply_pump_begin(c) : NULL;
		t0_us = ctx_elapsed_us(c);
		rc = upstream_call(c->upstream, &ureq, &res);
		t0_us = ctx_elapsed_us(c) - t0_us;
		c->stats.upstream_us += t0_us;
		if (ureq.out != NULL)
			reply_pump_end(c);
		if (rc != VN_OK) {
			fault_set(&c->fault, rc, NULL, NULL,
			    "The gateway could not call the upstream.");
			out = CALL_FINAL;
			break;
		}
		out = call_judge(c, rl, sp, up, plan.upstream[i], &res, &t);
		/* The upstream's failures, not the client's 4xx. */
		failed = out == CALL_RETRY || (out == CALL_FINAL &&
		    !c->client_gone && c->fault.err != VN_ECLIENT &&
		    (res.fail != UP_OK || res.status >= 500));
		c->stats.upstream_failures += failed;
		metrics_attempt(up->name, c->stats.model, t0_us, failed);
	}

	if (out == CALL_SUCCESS && !sp->stream && sp->finish != NULL &&
	    (rc = sp->finish(c, rl, sp->finish_arg)) != VN_OK) {
		if (c->fault.err == VN_OK)
			c->fault.err = rc;
		out = CALL_FINAL;
	}
	if (out == CALL_RETRY)
		all_failed(c, &t, plan.cooling_ms);
	else if (out == CALL_FINAL && c->fault.err == VN_OK)
		all_failed(c, &t, 0);	/* failed after output began */
	if (out == CALL_SUCCESS)
		status = 200;
	else if (c->fault.err == VN_ECLIENT || c->client_gone)
		status = 499;
	else
		status = c->fault.status != 0 ? c->fault.status :
		    fault_err_status(c->fault.err);
	rc = ledger(c, rl, sp, used, status, body.len, &adm);
	buf_free(&body);
	if (rc != VN_OK && out == CALL_SUCCESS)
		return fault_set(&c->fault, VN_ESYS, NULL, "usage_not_recorded",
		    "The usage of this request could not be recorded, so its "
		    "answer is withheld. Please retry.");
	if (out != CALL_SUCCESS)
		return c->fault.err != VN_OK ? c->fault.err : VN_EUPSTREAM;
	if (sp->stream)
		return relay_stream_finish(rl);
	return reply_json(c, 200, rl->body.data, rl->body.len);
}
