/*
 * call_test.c: the parts of a model call that decide, without a network:
 * how an attempt is judged (call_judge), what the relay does with each
 * chunk of a stream (relay_chunk), the order of attempts
 * (failover_plan) and the price of a call (usage_cost).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "call.h"
#include "capture.h"
#include "ctx.h"
#include "failover.h"
#include "log.h"
#include "relay.h"
#include "upstream.h"
#include "usage.h"
#include "test_cfg.h"
#include "../tap.h"

static struct cfg	*cfg;

/* A context without a client, its answer kept in k. */
static void
start(struct ctx *c, struct capture *k)
{
	capture_init(k, 1 << 20);
	ctx_init(c, cfg, &k->sink, "POST", "/v1/chat/completions");
}

static void
stop(struct ctx *c, struct capture *k, struct relay *rl)
{
	relay_free(rl);
	ctx_free(c);
	capture_free(k);
}

static size_t
upstream_index(const char *name)
{
	size_t	 i;

	for (i = 0; i < cfg->nupstreams; i++)
		if (strcmp(cfg->upstreams[i].name, name) == 0)
			return i;
	return (size_t)-1;
}

/* Is upstream name in plan? */
static int
planned(const struct failover_plan *p, const char *name)
{
	size_t	 i;

	for (i = 0; i < p->n; i++)
		if (p->upstream[i] == upstream_index(name))
			return 1;
	return 0;
}

/* Judge an attempt that answered status with body (non-stream). */
static enum call_outcome
attempt(struct ctx *c, struct relay *rl, enum upstream_fail fail,
    long status, const char *body, long retry_after_ms,
    struct call_tally *t, const char *up)
{
	struct call_spec	 sp;
	struct upstream_res	 res;

	memset(&sp, 0, sizeof(sp));
	sp.expect = "choices";
	sp.model = cfg_model_find(cfg, "m");
	memset(&res, 0, sizeof(res));
	res.fail = fail;
	res.status = status;
	res.retry_after_ms = retry_after_ms;
	relay_attempt(rl);
	if (body != NULL)
		(void)relay_on_data(rl, status, body, strlen(body));
	return call_judge(c, rl, &sp, &cfg->upstreams[upstream_index(up)],
	    upstream_index(up), &res, t);
}

static void
judging(void)
{
	struct failover_plan	 plan;
	struct call_tally	 t;
	struct capture		 k;
	struct relay		 rl;
	struct ctx		 c;

	start(&c, &k);
	relay_init(&rl, &c, 0, 0);
	memset(&t, 0, sizeof(t));
	is_int(attempt(&c, &rl, UP_OK, 200, "{\"choices\":[],\"usage\":"
	    "{\"prompt_tokens\":4,\"completion_tokens\":6}}", -1, &t, "a"),
	    CALL_SUCCESS, "a 200 with choices: success");
	ok(rl.have_usage && rl.prompt == 4 && rl.completion == 6,
	    "  its usage read");
	is_int(attempt(&c, &rl, UP_OK, 200, "{\"data\":[]}", -1, &t, "a"),
	    CALL_RETRY, "a 200 without choices: the next upstream");
	is_int(attempt(&c, &rl, UP_OK, 200, "{\"choices\":[", -1, &t, "a"),
	    CALL_RETRY, "a 200 that is not JSON: the next upstream");
	is_int(attempt(&c, &rl, UP_OK, 401, "{}", -1, &t, "a"), CALL_RETRY,
	    "401, the gateway's own key: the next upstream");
	is_int(attempt(&c, &rl, UP_OK, 500, "{}", -1, &t, "a"), CALL_RETRY,
	    "500: the next upstream");
	is_int(attempt(&c, &rl, UP_TIMEOUT_FIRST, 0, NULL, -1, &t, "a"),
	    CALL_RETRY, "no first byte in time: the next upstream");
	is_int(t.timeouts, 1, "  counted as a timeout");

	failover_reset();
	is_int(attempt(&c, &rl, UP_OK, 429, "{}", 2000, &t, "b"), CALL_RETRY,
	    "429 with Retry-After: 2 s: the next upstream");
	ok(t.throttled == 1 && t.retry_after_ms == 2000,
	    "  counted as throttled, its wait kept");
	failover_plan(cfg, cfg_model_find(cfg, "m"), &plan);
	ok(!planned(&plan, "b") && planned(&plan, "a") &&
	    planned(&plan, "c"), "  b is left out of the next plans");
	is_int(attempt(&c, &rl, UP_OK, 429, "{}", 60000, &t, "a"),
	    CALL_RETRY, "429 asking 60 s of a (max_retry_after 5 s)");
	is_int(t.retry_after_ms, 2000, "  the shortest wait stays 2 s");
	failover_reset();
	is_int(attempt(&c, &rl, UP_CONNECT, 0, NULL, -1, &t, "c"),
	    CALL_RETRY, "a refused connection: the next upstream");
	failover_plan(cfg, cfg_model_find(cfg, "m"), &plan);
	ok(!planned(&plan, "c"), "  and c rests a second");
	failover_reset();

	is_int(attempt(&c, &rl, UP_OK, 400, "{\"error\":{\"message\":"
	    "\"bad temperature\",\"type\":\"invalid_request_error\","
	    "\"param\":\"temperature\",\"code\":\"invalid_value\"}}", -1, &t,
	    "a"), CALL_FINAL, "400: the client's, final");
	ok(fault_status(&c.fault) == 400 &&
	    strcmp(c.fault.msg, "bad temperature") == 0 &&
	    strcmp(c.fault.param, "temperature") == 0 &&
	    strcmp(c.fault.code, "invalid_value") == 0,
	    "  passed through: status, message, param, code");

	rl.forwarded = 1;
	is_int(attempt(&c, &rl, UP_BROKEN, 0, NULL, -1, &t, "a"),
	    CALL_FINAL, "broken after output began: final");
	rl.forwarded = 0;
	{
		struct upstream_res	 res;
		struct call_spec	 sp;

		memset(&res, 0, sizeof(res));
		memset(&sp, 0, sizeof(sp));
		res.fail = UP_ABORTED;
		res.cb_err = VN_ECLIENT;
		memset(&c.fault, 0, sizeof(c.fault));
		is_int(call_judge(&c, &rl, &sp, &cfg->upstreams[0], 0, &res,
		    &t), CALL_FINAL, "the client left: final");
		is_int(c.fault.err, VN_ECLIENT, "  with VN_ECLIENT");
	}
	stop(&c, &k, &rl);
}

static int
kept(const struct capture *k, const char *s)
{
	return k->body.data != NULL && strstr(k->body.data, s) != NULL;
}

static void
relaying(void)
{
	struct capture	 k;
	struct relay	 rl;
	struct ctx	 c;
	const char	*s;

	start(&c, &k);
	relay_init(&rl, &c, 1, 0);
	s = "{\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"content\":"
	    "\"hi\"},\"finish_reason\":null}],\"usage\":null}";
	is_int(relay_chunk(&rl, s, strlen(s)), VN_OK, "a content chunk");
	ok(kept(&k, "data: {\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":"
	    "{\"content\":\"hi\"},\"finish_reason\":null}]}\n\n"),
	    "  forwarded without \"usage\":null (not asked for)");
	is_int(rl.deltas, 1, "  counted as output");
	s = "{\"usage\":null,\"choices\":[{\"delta\":{\"content\":"
	    "\"\\\"usage\\\":{\\\"prompt_tokens\\\":9},\\\"finish_reason\\\":"
	    "\\\"stop\\\"\"}}]}";
	is_int(relay_chunk(&rl, s, strlen(s)), VN_OK,
	    "a chunk whose text looks like usage and a finish");
	ok(!rl.have_usage && rl.held.len == 0 &&
	    kept(&k, "data: {\"choices\":[{\"delta\":{\"content\":\"\\\"usage"),
	    "  is content: forwarded, nothing read from the string, "
	    "\"usage\":null cut with its comma");
	s = "{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":"
	    "\"stop\"}],\"usage\":null}";
	is_int(relay_chunk(&rl, s, strlen(s)), VN_OK, "a finish chunk");
	ok(rl.held.len > 0 && !kept(&k, "\"stop\""), "  is held back");
	s = "{\"choices\":[],\"usage\":{\"prompt_tokens\":3,"
	    "\"completion_tokens\":5,\"prompt_tokens_details\":"
	    "{\"cached_tokens\":1}}}";
	is_int(relay_chunk(&rl, s, strlen(s)), VN_OK, "the usage chunk");
	ok(rl.have_usage && rl.prompt == 3 && rl.completion == 5 &&
	    rl.cached == 1 && !kept(&k, "\"completion_tokens\":5"),
	    "  read for the ledger, not sent to a client that did not ask");
	is_int(relay_stream_finish(&rl), VN_OK, "the end");
	ok(kept(&k, "\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n"),
	    "  the finish chunk, then [DONE]");
	stop(&c, &k, &rl);

	start(&c, &k);
	relay_init(&rl, &c, 1, 1);
	s = "{\"choices\":[{\"delta\":{\"content\":\"a\"}}],\"usage\":null}";
	(void)relay_chunk(&rl, s, strlen(s));
	ok(kept(&k, "\"usage\":null"), "include_usage: usage:null kept");
	s = "{\"choices\":[],\"usage\":{\"prompt_tokens\":1}}";
	(void)relay_chunk(&rl, s, strlen(s));
	(void)relay_stream_finish(&rl);
	ok(kept(&k, "\"usage\":{\"prompt_tokens\":1}}\n\ndata: [DONE]"),
	    "  and the usage chunk sent before [DONE]");
	stop(&c, &k, &rl);

	start(&c, &k);
	relay_init(&rl, &c, 1, 0);
	s = "{\"error\":{\"message\":\"overloaded\"}}";
	is_int(relay_chunk(&rl, s, strlen(s)), VN_EUPSTREAM,
	    "an error event before any output: the attempt fails");
	ok(rl.upstream_error && k.body.len == 0, "  and the client saw none");
	s = "{\"choices\":[{\"delta\":{\"content\":\"a\"}}]} trailing";
	is_int(relay_chunk(&rl, s, strlen(s)), VN_EUPSTREAM,
	    "a chunk that is not JSON: the attempt fails");
	ok(rl.bad, "  marked bad");
	s = "[1,2]";
	is_int(relay_chunk(&rl, s, strlen(s)), VN_EUPSTREAM,
	    "a chunk that is not an object: the attempt fails");
	stop(&c, &k, &rl);
}

static void
planning(void)
{
	const struct cfg_model	*m = cfg_model_find(cfg, "m");
	struct failover_plan	 p;
	int			 i, a_first = 0, other = 0;

	failover_reset();
	for (i = 0; i < 4000; i++) {
		failover_plan(cfg, m, &p);
		if (p.n != 3 || p.upstream[2] != upstream_index("c"))
			other++;
		else if (p.upstream[0] == upstream_index("a"))
			a_first++;
	}
	is_int(other, 0, "every plan: a and b (one tier), then c");
	ok(a_first > 2700 && a_first < 3300,
	    "a (weight 3) goes first about 3 times in 4 (%d of 4000)",
	    a_first);
	failover_cooldown(cfg, upstream_index("a"), 10000);
	failover_cooldown(cfg, upstream_index("b"), 20000);
	failover_cooldown(cfg, upstream_index("c"), 5000);
	failover_plan(cfg, m, &p);
	ok(p.n == 0 && p.cooling_ms > 4000 && p.cooling_ms <= 5000,
	    "all cooling: an empty plan, back in the shortest wait (%ld ms)",
	    p.cooling_ms);
	failover_reset();
}

static void
pricing(void)
{
	const struct cfg_model	*m = cfg_model_find(cfg, "m");

	/* 0.15 / 0.60 $ a million tokens; cached input 0.075. */
	is_int(usage_cost(m, 8, 0, 9, 100), 8 * 150000LL + 9 * 600000LL,
	    "8 in, 9 out: picodollars");
	is_int(usage_cost(m, 8, 4, 0, 100), 4 * 150000LL + 4 * 75000LL,
	    "4 of the 8 cached: at the cached price");
	is_int(usage_cost(m, 8, 20, 0, 100), 8 * 75000LL,
	    "more cached than sent: capped at what was sent");
	is_int(usage_cost(m, 8, 0, 9, 50), (8 * 150000LL + 9 * 600000LL) / 2,
	    "a batch's half price");
	ok(usage_cost(m, INT64_MAX, 0, INT64_MAX, 100) == INT64_MAX,
	    "huge counts saturate, never wrap");
	is_int(usage_cost(NULL, 8, 0, 9, 100), 0, "no model: 0");
}

int
main(void)
{
	log_init("call_test", LOG_LVL_ERROR, 0);
	cfg = test_cfg("[upstream a]\nbase_url = http://127.0.0.1:1/v1\n"
	    "max_retry_after = 5s\n"
	    "[upstream b]\nbase_url = http://127.0.0.1:2/v1\n"
	    "[upstream c]\nbase_url = http://127.0.0.1:3/v1\n"
	    "[model m]\nupstream = a:3 | b, c\ninput_price = 0.15\n"
	    "output_price = 0.60\ncached_input_price = 0.075\n");
	if (cfg == NULL) {
		printf("Bail out! no configuration\n");
		return 1;
	}
	judging();
	relaying();
	planning();
	pricing();
	cfg_free(cfg);
	return done_testing();
}
