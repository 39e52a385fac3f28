/*
 * admission.c: limits on the request path, in the order a request
 * meets them:
 *
 *  1. its workspace's share of the pool (admission_enter, from the
 *     dispatcher once the key is known): an immediate 429 when the
 *     workspace already has max_concurrent requests in flight, so one
 *     workspace's slow uploads or long streams never take every
 *     request thread of the pool;
 *  2. model permissions: a model the workspace may not use answers as
 *     an unknown model does, and is absent from its /v1/models;
 *  3. rate and spend limits (admission_admit, from call.c once the
 *     upstream body is built): the call's tokens are estimated (its
 *     body at about 4 bytes a token, plus its output cap, or the
 *     model's reserve_output_tokens when it sets none) and its worst
 *     case cost reserved; a full window is a 429 rate_limit_exceeded
 *     with Retry-After, a spend limit that would be passed a 429
 *     insufficient_quota.  Every answer to an admitted call carries
 *     OpenAI's x-ratelimit-* headers for the limits that apply.
 *  4. settlement (admission_settle, after the usage row): the real
 *     tokens and cost replace the estimate; a spend alert crossed is
 *     recorded for venna-batch to deliver.
 *
 * The segment is mapped once per process, after fork.  If it cannot
 * be, requests fail with 503 rather than run unlimited: a spend limit
 * is a promise to the operator.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <json.h>

#include "admission.h"
#include "cfg.h"
#include "ctx.h"
#include "limiter.h"
#include "limits_store.h"
#include "log.h"
#include "usage.h"

#define BYTES_PER_TOKEN	4	/* the estimate the ledger also uses */
#define PUSD_PER_USD	1000000000000LL

static pthread_mutex_t	 lim_mu = PTHREAD_MUTEX_INITIALIZER;
static struct limiter	*lim;
static pid_t		 lim_pid;

static const char *const kind_text[LIM__N] = {
	"requests per min (RPM)", "tokens per min (TPM)",
	"requests per day (RPD)", "batch input tokens per day",
};

/*
 * The process's mapping, opened on first use and again in a child
 * after fork (a mapping inherited across fork would tag holds with the
 * parent's pid).  NULL, logged, when it cannot be opened.
 */
struct limiter *
admission_limiter(const struct cfg *cfg)
{
	struct limiter	*l = NULL;
	char		 err[256];

	pthread_mutex_lock(&lim_mu);
	if (lim != NULL && lim_pid != getpid()) {
		limiter_close(lim);
		lim = NULL;
	}
	if (lim == NULL) {
		if (limiter_open(cfg->database, &lim, err, sizeof(err)) ==
		    VN_OK)
			lim_pid = getpid();
		else {
			lim = NULL;
			log_error("limits: %s", err);
		}
	}
	l = lim;
	pthread_mutex_unlock(&lim_mu);
	return l;
}

/* The same, with c's fault set when there is none. */
static struct limiter *
limiter_of(struct ctx *c)
{
	struct limiter	*l;

	if ((l = admission_limiter(c->cfg)) == NULL) {
		c->fault.retry_after = 1;
		fault_set(&c->fault, VN_EUNAVAIL, NULL, "service_unavailable",
		    "The gateway cannot check this workspace's limits right "
		    "now. Please retry.");
	}
	return l;
}

/* A duration as OpenAI's reset headers write it: 20ms, 1.5s, 6m0s. */
void
admission_reset_text(long ms, char *out, size_t outsz)
{
	if (ms < 0)
		ms = 0;
	if (ms < 1000)
		snprintf(out, outsz, "%ldms", ms);
	else if (ms < 60000 && ms % 1000 == 0)
		snprintf(out, outsz, "%lds", ms / 1000);
	else if (ms < 60000)
		snprintf(out, outsz, "%ld.%03lds", ms / 1000, ms % 1000);
	else
		snprintf(out, outsz, "%ldm%lds", ms / 60000,
		    (ms % 60000) / 1000);
}

/* The x-ratelimit-* lines of one kind, if a limit of it applies. */
static void
head_kind(char *out, size_t outsz, const char *kind,
    const struct limiter_window *w)
{
	char	 reset[32];
	size_t	 n = strlen(out);

	if (w->limit <= 0 || n >= outsz)
		return;
	admission_reset_text(w->reset_ms, reset, sizeof(reset));
	snprintf(out + n, outsz - n, "x-ratelimit-limit-%s: %lld\r\n"
	    "x-ratelimit-remaining-%s: %lld\r\n"
	    "x-ratelimit-reset-%s: %s\r\n", kind, (long long)w->limit, kind,
	    (long long)(w->remaining > 0 ? w->remaining : 0), kind, reset);
}

static void
set_headers(struct ctx *c, const struct limiter_window *req,
    const struct limiter_window *tok)
{
	c->limit_head[0] = '\0';
	head_kind(c->limit_head, sizeof(c->limit_head), "requests", req);
	head_kind(c->limit_head, sizeof(c->limit_head), "tokens", tok);
}

/* Picodollars as dollars with cents, for messages. */
static void
usd_text(int64_t pusd, char *out, size_t outsz)
{
	int64_t	 cents = (pusd + PUSD_PER_USD / 200) / (PUSD_PER_USD / 100);

	snprintf(out, outsz, "$%lld.%02lld", (long long)(cents / 100),
	    (long long)(cents % 100));
}

/* The 429 of a refusal, worded as OpenAI words its own. */
static enum vn_err
refused(struct ctx *c, const char *model, const struct limiter_refusal *w)
{
	struct fault	*f = &c->fault;
	char		 lim_s[32], used_s[32], req_s[32];
	const char	*scope = w->key_scope ? "API key" : "workspace";
	const char	*id = w->key_scope ? c->who.key_id :
	    c->who.workspace_id;
	struct limiter_window full, none;
	long		 s;

	memset(&none, 0, sizeof(none));
	switch (w->why) {
	case LIMIT_CONCURRENT:
		f->retry_after = 1;
		return fault_set(f, VN_ELIMIT, NULL, "rate_limit_exceeded",
		    "Too many requests in flight for workspace %s: its limit "
		    "is %lld at a time (max_concurrent). Please retry when "
		    "one has finished.", c->who.workspace_id,
		    (long long)w->limit);
	case LIMIT_SPEND:
		usd_text(w->limit, lim_s, sizeof(lim_s));
		usd_text(w->used, used_s, sizeof(used_s));
		usd_text(w->requested, req_s, sizeof(req_s));
		return fault_set(f, VN_EQUOTA, NULL, "insufficient_quota",
		    "You exceeded your current quota: this request (up to "
		    "%s) would pass the %s spend limit of %s for this month "
		    "(%s spent or reserved). Ask your Venna operator to "
		    "raise it.", req_s, w->org ? "organization's" :
		    "workspace's", lim_s, used_s);
	case LIMIT_RATE:
		break;
	}
	/* The refused window's headers, as OpenAI sends with its 429. */
	full.limit = w->limit;
	full.remaining = w->limit - w->used;
	full.reset_ms = w->retry_after_ms;
	if (w->kind == LIM_RPM || w->kind == LIM_RPD)
		set_headers(c, &full, &none);
	else
		set_headers(c, &none, &full);
	snprintf(f->type, sizeof(f->type), "%s", w->kind == LIM_RPM ||
	    w->kind == LIM_RPD ? "requests" : "tokens");
	if (w->retry_after_ms <= 0)
		return fault_set(f, VN_ELIMIT, NULL, "rate_limit_exceeded",
		    "Request too large for %.200s in %s %s on %s: Limit "
		    "%lld, Requested %lld. The input or output tokens must "
		    "be reduced in order to run successfully.", model, scope,
		    id, kind_text[w->kind], (long long)w->limit,
		    (long long)w->requested);
	s = (w->retry_after_ms + 999) / 1000;
	f->retry_after = s;
	return fault_set(f, VN_ELIMIT, NULL, "rate_limit_exceeded",
	    "Rate limit reached for %.200s in %s %s on %s: Limit %lld, Used "
	    "%lld, Requested %lld. Please try again in %lds.", model, scope,
	    id, kind_text[w->kind], (long long)w->limit, (long long)w->used,
	    (long long)w->requested, s);
}

/*
 * Take a slot of the caller's workspace for this request; admin keys
 * and requests without a workspace take none.  The slot is given back
 * by admission_leave(), whatever happened.
 */
enum vn_err
admission_enter(struct ctx *c)
{
	struct limits_view	 v;
	struct limiter_refusal	 why;
	struct limiter		*l;
	enum vn_err		 rc;

	if (c->who.admin || c->who.workspace_id[0] == '\0')
		return VN_OK;
	if ((l = limiter_of(c)) == NULL)
		return c->fault.err;
	if ((rc = limits_view(c->store, l, c->cfg, c->who.workspace_id, NULL,
	    NULL, &v)) != VN_OK)
		return fault_set(&c->fault, rc, NULL, NULL, "The gateway "
		    "could not read this workspace's limits. Please retry.");
	memset(&why, 0, sizeof(why));
	rc = limiter_enter(l, c->who.workspace_id, v.max_concurrent, &c->slot,
	    &c->slot_gen, &why);
	if (rc == VN_ELIMIT)
		return refused(c, "", &why);
	if (rc != VN_OK)
		return fault_set(&c->fault, rc, NULL, NULL, "The gateway "
		    "could not count this request. Please retry.");
	return VN_OK;
}

void
admission_leave(struct ctx *c)
{
	if (c->slot < 0 || lim == NULL)
		return;
	limiter_leave(lim, c->slot, c->slot_gen);
	c->slot = -1;
}

/* Whether the caller's workspace may use model (its permissions). */
enum vn_err
admission_model_allowed(struct ctx *c, const char *model, int *allowed)
{
	struct limiter	*l;

	*allowed = 1;
	if (c->who.workspace_id[0] == '\0')
		return VN_OK;
	if ((l = limiter_of(c)) == NULL)
		return c->fault.err;
	if (limits_model_allowed(c->store, l, c->who.workspace_id, model,
	    allowed) != VN_OK)
		return fault_set(&c->fault, VN_ESTORE, NULL, NULL, "The "
		    "gateway could not read this workspace's model "
		    "permissions. Please retry.");
	return VN_OK;
}

/*
 * The configured model named name, if the caller's workspace may use
 * it; otherwise the 404 OpenAI answers for a model it does not know.
 */
enum vn_err
admission_model(struct ctx *c, const char *name, const struct cfg_model **out)
{
	int	 allowed = 0;
	enum vn_err rc;

	*out = NULL;
	if ((*out = cfg_model_find(c->cfg, name)) != NULL &&
	    (rc = admission_model_allowed(c, name, &allowed)) != VN_OK) {
		*out = NULL;
		return rc;
	}
	if (*out == NULL || !allowed) {
		*out = NULL;
		return fault_set(&c->fault, VN_ENOMODEL, "model",
		    "model_not_found", "The model '%.200s' does not exist or "
		    "you do not have access to it.", name);
	}
	return VN_OK;
}

/* One int member of the request, or 0. */
static int64_t
member_int(struct json_object *o, const char *name)
{
	struct json_object	*v;

	if (o == NULL || !json_object_object_get_ex(o, name, &v) ||
	    !json_object_is_type(v, json_type_int))
		return 0;
	return json_object_get_int64(v);
}

/*
 * The most output tokens the call may produce: its cap (max tokens
 * times n choices) or, when it sets none, the model's
 * reserve_output_tokens.  Embeddings produce none.
 */
int64_t
admission_output_cap(const struct admission_call *ac)
{
	int64_t	 cap, n;

	if (ac->embeddings)
		return 0;
	if ((cap = member_int(ac->body, "max_completion_tokens")) <= 0 &&
	    (cap = member_int(ac->body, "max_tokens")) <= 0)
		cap = ac->model->reserve_output_tokens;
	if ((n = member_int(ac->body, "n")) > 1 && n <= 128)
		cap *= n;
	return cap;
}

/*
 * Admit the call ac: *a is filled for admission_settle().  A refusal
 * sets c's fault (429, or 404 for a model the workspace may not use)
 * and counts nothing.
 */
enum vn_err
admission_admit(struct ctx *c, const struct admission_call *ac,
    struct admission *a)
{
	struct limits_view	 v;
	struct limiter_ask	 ask;
	struct limiter_refusal	 why;
	struct limiter		*l;
	int64_t			 prompt, output;
	enum vn_err		 rc;

	memset(a, 0, sizeof(*a));
	a->grant.hold = -1;
	if (c->who.workspace_id[0] == '\0')
		return VN_OK;
	if ((l = limiter_of(c)) == NULL)
		return c->fault.err;
	if ((rc = limits_view(c->store, l, c->cfg, c->who.workspace_id,
	    c->who.key_id, ac->model, &v)) != VN_OK)
		return fault_set(&c->fault, VN_ESTORE, NULL, NULL, "The "
		    "gateway could not read this workspace's limits. Please "
		    "retry.");
	if (!v.model_allowed)
		return fault_set(&c->fault, VN_ENOMODEL, "model",
		    "model_not_found", "The model '%.200s' does not exist or "
		    "you do not have access to it.", ac->model_name);
	prompt = (int64_t)(ac->body_len / BYTES_PER_TOKEN);
	output = admission_output_cap(ac);
	memset(&ask, 0, sizeof(ask));
	ask.workspace_id = c->who.workspace_id;
	ask.key_id = c->who.key_id;
	ask.model = ac->model->name;
	ask.ws = v.ws;
	ask.key = v.key;
	ask.batch = c->batch_id != NULL;
	/* A batch's day limit counts input tokens only, as OpenAI's does. */
	ask.tokens = ask.batch ? prompt : prompt + output;
	ask.reserve_pusd = usage_cost(ac->model, prompt, 0, output,
	    c->price_pct);
	ask.ws_spend_limit = v.ws_spend_limit;
	ask.org_spend_limit = v.org_spend_limit;
	ask.baseline = limits_baseline;
	ask.baseline_arg = c->store;
	memset(&why, 0, sizeof(why));
	rc = limiter_admit(l, &ask, &a->grant, &why);
	if (rc == VN_ELIMIT)
		return refused(c, ac->model_name, &why);
	if (rc != VN_OK) {
		if (rc == VN_EUNAVAIL)
			c->fault.retry_after = 1;
		return fault_set(&c->fault, rc, NULL, NULL, "The gateway "
		    "could not count this request against its limits. Please "
		    "retry.");
	}
	a->admitted = 1;
	a->batch = ask.batch;
	a->next_alert = v.next_alert;
	a->reserve_pusd = ask.reserve_pusd;
	set_headers(c, &a->grant.requests, &a->grant.tokens);
	return VN_OK;
}

/*
 * Settle an admitted call with its real tokens and cost (its usage
 * row's; a batch line's window counts its input tokens only); a spend
 * alert it crossed is recorded.  Never fails the call: its answer is
 * already decided.
 */
void
admission_settle(struct ctx *c, struct admission *a, int64_t prompt,
    int64_t completion, int64_t cost_pusd)
{
	int64_t	 before = 0, after = 0;

	if (!a->admitted || lim == NULL)
		return;
	a->admitted = 0;
	limiter_settle(lim, &a->grant, a->batch ? prompt : prompt +
	    completion, cost_pusd, &before, &after);
	/* Most settles cross nothing: no database work for them. */
	if (a->next_alert > 0 && after >= a->next_alert && after > before &&
	    limits_alerts_crossed(c->store, c->who.workspace_id, before,
	    after) != VN_OK)
		log_warn("limits: a spend alert of workspace %s could not be "
		    "recorded", c->who.workspace_id);
}

/*
 * Check a batch at validation against its workspace's limits for its
 * model: a model the workspace may not use, or an input (its bytes, at
 * about 4 a token) larger than batch_1_day_max_input_tokens could ever
 * be in a day, fails the batch with OpenAI's code and message in msg.
 * Returns VN_OK with *code NULL when the batch may run (its lines are
 * then paced against the day's window), VN_ESTORE when the limits
 * could not be read (the next pass tries again).
 */
enum vn_err
admission_batch_check(struct store *store, const struct cfg *cfg,
    const char *workspace_id, const struct cfg_model *m, uint64_t input_bytes,
    const char **code, char *msg, size_t msgsz)
{
	struct limits_view	 v;
	struct limiter		*l;
	int64_t			 tokens, max;

	*code = NULL;
	if ((l = admission_limiter(cfg)) == NULL ||
	    limits_view(store, l, cfg, workspace_id, NULL, m, &v) != VN_OK)
		return VN_ESTORE;
	if (!v.model_allowed) {
		*code = "model_not_found";
		snprintf(msg, msgsz, "The model '%.64s' does not exist or you "
		    "do not have access to it.", m->name);
		return VN_OK;
	}
	tokens = (int64_t)(input_bytes / BYTES_PER_TOKEN);
	max = v.ws.max[LIM_BATCH_TPD];
	if (max > 0 && tokens > max) {
		*code = "token_limit_exceeded";
		snprintf(msg, msgsz, "Enqueued token limit reached for %.64s "
		    "in workspace %s. Limit: %lld enqueued tokens, this batch "
		    "about %lld. Please split the batch or ask your Venna "
		    "operator to raise batch_1_day_max_input_tokens.", m->name,
		    workspace_id, (long long)max, (long long)tokens);
	}
	return VN_OK;
}
