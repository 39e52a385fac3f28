/*
 * limits_store_test.c: the stored limits (schema 10) on a real database,
 * through admin_limits.c (what the Admin API and vennactl run) and
 * limits_store.c (what the request path reads): every statement of the
 * limits prepares; a view holds the defaults, then each override; the
 * cache serves a changed row until the limits generation moves, and at
 * once after (a change through admin_limits.c bumps it itself); the
 * month's spend for the limiter's baseline; spend alerts fire once a
 * month each, with one audit row and one outbox row, however many
 * processes see the crossing; the outbox's claims, as two overlapping
 * venna-batch passes make them.
 */
#include "config.h"

#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json.h>
#include <sqlite3.h>

#include "admin.h"
#include "admin_limits.h"
#include "apikey.h"
#include "cfg.h"
#include "db.h"
#include "ids.h"
#include "lease.h"
#include "limiter.h"
#include "limits_store.h"
#include "sql.h"
#include "store.h"
#include "../tap.h"
#include "test_cfg.h"

#define USD(d)	((int64_t)(d) * 100 * LIMITS_PUSD_PER_CENT)

static char		 dir[] = "/tmp/venna-limits-test.XXXXXX";

static long long
scalar(struct db *db, const char *sql)
{
	sqlite3_stmt	*st = NULL;
	long long	 n = -1;

	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static int
exec(struct db *db, const char *sql)
{
	return sqlite3_exec(db->h, sql, NULL, NULL, NULL) == SQLITE_OK;
}

/* A usage row of cost pusd at time t for workspace ws. */
static int
spend(struct db *db, const char *ws, int64_t t, int64_t pusd)
{
	char	 sql[512];

	snprintf(sql, sizeof(sql), "INSERT INTO usage (request_id,"
	    " created_at, workspace_id, endpoint, model, cost_pusd, status,"
	    " latency_ms) VALUES ('req_t', %lld, '%s',"
	    " '/v1/chat/completions', 'm1', %lld, 200, 1)", (long long)t, ws,
	    (long long)pusd);
	return exec(db, sql);
}

int
main(void)
{
	struct admin_limit_change ch;
	struct admin_rate_limit	 r;
	struct admin_project	 p, q;
	struct admin_alert	 in, a;
	struct admin_env	 env;
	struct admin_perm	 perm;
	struct admin_key	 k;
	struct limits_view	 v;
	struct limits_outbox_row row;
	struct json_object	*o, *x;
	struct limiter		*lim = NULL;
	struct limit_set	 kl;
	struct store		*store;
	struct cfg		*cfg;
	struct db		*db;
	const struct cfg_model	*m1, *m2;
	unsigned char		 pepper[PEPPER_LEN];
	char			 err[512], key[APIKEY_MAX_LEN + 1];
	char			 kid[APIKEY_ID_LEN + 1], ws[WS_ID_LEN + 1];
	char			 sql[256];
	int64_t			 now = (int64_t)time(NULL), month, spent;
	int			 i, n, ok_all, allowed, got, fired, status;
	pid_t			 kids[4];

	/* Nothing buffered when a child forks (see limiter_test.c). */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (mkdtemp(dir) == NULL || !ids_init() ||
	    (cfg = test_cfg("[server]\ndatabase = %s/v.db\n"
	    "[model m1]\nupstream = echo\n[model m2]\nupstream = echo\n",
	    dir)) == NULL) {
		printf("Bail out! cannot set up\n");
		return 1;
	}
	if ((db = db_open(cfg, DB_OPEN_CREATE, err, sizeof(err))) == NULL ||
	    apikey_pepper_create(cfg->pepper_file, err, sizeof(err)) != VN_OK ||
	    apikey_pepper_load(cfg->pepper_file, pepper, err,
	    sizeof(err)) != VN_OK ||
	    limiter_open(cfg->database, &lim, err, sizeof(err)) != VN_OK ||
	    lease_owner_begin(cfg, "test") != VN_OK) {
		printf("Bail out! %s\n", err);
		return 1;
	}
	/* The defaults venna.conf would give: m1 has some, m2 none. */
	m1 = cfg_model_find(cfg, "m1");
	m2 = cfg_model_find(cfg, "m2");
	((struct cfg_model *)m1)->limits.max[LIM_RPM] = 60;
	((struct cfg_model *)m1)->limits.max[LIM_TPM] = 10000;
	cfg->max_concurrent = 4;
	memset(&env, 0, sizeof(env));
	env.db = db;
	env.pepper = pepper;
	env.database = cfg->database;
	admin_actor_unix(&env.actor);
	store = store_new(cfg, 2);

	for (i = STMT_LIM_VIEW, ok_all = 1; i <= STMT_PERM_DROP; i++)
		if (db_stmt(db, (enum stmt)i) == NULL)
			ok_all = 0;
	ok(ok_all, "every statement of the limits prepares");

	is_int(admin_project_create(&env, "alpha", &p), VN_OK, "workspace");
	is_int(admin_project_create(&env, "beta", &q), VN_OK, "another");
	is_int(admin_pkey_create(&env, p.id, "k", &k, key), VN_OK, "a key");
	apikey_parse(key, strlen(key), kid);

	/* the defaults */
	is_int(limits_view(store, lim, cfg, p.id, kid, m1, &v), VN_OK,
	    "a view");
	ok(v.ws.max[LIM_RPM] == 60 && v.ws.max[LIM_TPM] == 10000 &&
	    v.ws.max[LIM_RPD] == 0, "  the model's defaults");
	ok(v.key.max[LIM_RPM] == 0 && v.ws_spend_limit == 0 &&
	    v.org_spend_limit == 0, "  no key limit, no spend limit");
	is_int(v.max_concurrent, 4, "  the server's max_concurrent");
	is_int(v.model_allowed, 1, "  every model allowed");

	/* an override through the Admin API's code: in force at once */
	memset(&ch, 0, sizeof(ch));
	ch.set[LIM_RPM] = 1;
	ch.val[LIM_RPM] = 5;
	ch.set[LIM_RPD] = 1;
	ch.val[LIM_RPD] = 0;
	is_int(admin_rl_update(&env, cfg, p.id, m1, &ch, &r), VN_OK,
	    "rate limit updated");
	ok(strcmp(r.id, "rl-m1") == 0 && r.max[LIM_RPM] == 5 &&
	    r.max[LIM_TPM] == 10000 && r.ovr[LIM_TPM] == -1,
	    "  the override and the default beside it");
	limits_view(store, lim, cfg, p.id, kid, m1, &v);
	is_int(v.ws.max[LIM_RPM], 5, "  seen at once (the change bumped)");
	limits_view(store, lim, cfg, q.id, kid, m1, &v);
	is_int(v.ws.max[LIM_RPM], 60, "  not by another workspace");
	limits_view(store, lim, cfg, p.id, kid, m2, &v);
	is_int(v.ws.max[LIM_RPM], 0, "  nor for another model");
	is_int(admin_rl_update(&env, cfg, "ws_nosuchworkspace", m1, &ch, &r),
	    VN_ENOTFOUND, "  no such workspace");

	/* the cache: a change behind its back waits for a bump */
	limits_view(store, lim, cfg, p.id, kid, m1, &v);
	snprintf(sql, sizeof(sql), "UPDATE rate_limits SET"
	    " max_requests_per_1_minute = 7 WHERE workspace_id = '%s'", p.id);
	ok(exec(db, sql), "a change with no bump");
	limits_view(store, lim, cfg, p.id, kid, m1, &v);
	is_int(v.ws.max[LIM_RPM], 5, "  the cached row still serves");
	limiter_bump(lim);
	limits_view(store, lim, cfg, p.id, kid, m1, &v);
	is_int(v.ws.max[LIM_RPM], 7, "  until the generation moves");
	snprintf(sql, sizeof(sql), "UPDATE rate_limits SET"
	    " max_requests_per_1_minute = 8 WHERE workspace_id = '%s'", p.id);
	exec(db, sql);
	limits_view(store, lim, cfg, p.id, kid, m1, &v);
	is_int(v.ws.max[LIM_RPM], 7, "another change with no bump: cached");
	usleep((LIMITS_CACHE_MS + 200) * 1000);
	limits_view(store, lim, cfg, p.id, kid, m1, &v);
	is_int(v.ws.max[LIM_RPM], 8, "  until the row is %d ms old",
	    LIMITS_CACHE_MS);
	limits_view(store, NULL, cfg, p.id, kid, m1, &v);
	is_int(v.ws.max[LIM_RPM], 8, "without a limiter: read every time");
	ch.val[LIM_RPM] = -1;
	ch.set[LIM_RPD] = 0;
	ch.set[LIM_TPM] = 1;
	ch.val[LIM_TPM] = -1;
	admin_rl_update(&env, cfg, p.id, m1, &ch, &r);
	limits_view(store, lim, cfg, p.id, kid, m1, &v);
	is_int(v.ws.max[LIM_RPM], 60, "back to the default");
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM rate_limits"
	    " WHERE workspace_id = '%s'", p.id);
	is_int(scalar(db, sql), 1, "  the row kept for its rpd of 0");

	/* a key's limits, a workspace's share, spend limits */
	memset(&ch, 0, sizeof(ch));
	ch.set[LIM_RPM] = 1;
	ch.val[LIM_RPM] = 3;
	is_int(admin_key_limits_set(&env, kid, &ch, &kl), VN_OK, "key limits");
	ch.set[LIM_BATCH_TPD] = 1;
	is_int(admin_key_limits_set(&env, kid, &ch, &kl), VN_EINVAL,
	    "  a key has no batch limit");
	is_int(admin_key_limits_set(&env, "nosuchkeyid0", &ch, &kl),
	    VN_EINVAL, "  (checked first)");
	ch.set[LIM_BATCH_TPD] = 0;
	is_int(admin_key_limits_set(&env, "nosuchkeyid0", &ch, &kl),
	    VN_ENOTFOUND, "  no such key");
	is_int(admin_concurrency_set(&env, p.id, 0), VN_OK, "max_concurrent 0");
	is_int(admin_spend_set(&env, p.id, USD(10)), VN_OK, "spend limit");
	is_int(admin_spend_set(&env, NULL, USD(100)), VN_OK, "org's");
	limits_view(store, lim, cfg, p.id, kid, m1, &v);
	is_int(v.key.max[LIM_RPM], 3, "  the key's, in the view");
	is_int(v.max_concurrent, 0, "  no share limit for this workspace");
	ok(v.ws_spend_limit == USD(10) && v.org_spend_limit == USD(100),
	    "  both spend limits");
	limits_view(store, lim, cfg, q.id, NULL, m1, &v);
	ok(v.ws_spend_limit == 0 && v.org_spend_limit == USD(100) &&
	    v.max_concurrent == 4, "  the other workspace: the org's only");
	is_int(admin_key_limits_get(db, kid, &kl, ws), VN_OK, "key read");
	ok(strcmp(ws, p.id) == 0 && kl.max[LIM_RPM] == 3, "  with its "
	    "workspace");

	/* model permissions */
	is_int(admin_perm_set(&env, p.id, "allow_list", "[\"m1\"]", &perm),
	    VN_OK, "allow list");
	admin_perm_free(&perm);
	limits_model_allowed(store, lim, p.id, "m1", &allowed);
	is_int(allowed, 1, "  m1 allowed");
	limits_model_allowed(store, lim, p.id, "m2", &allowed);
	is_int(allowed, 0, "  m2 not");
	limits_model_allowed(store, lim, q.id, "m2", &allowed);
	is_int(allowed, 1, "  in another workspace, m2 is");
	admin_perm_set(&env, p.id, "deny_list", "[\"m1\"]", &perm);
	admin_perm_free(&perm);
	limits_view(store, lim, cfg, p.id, NULL, m1, &v);
	is_int(v.model_allowed, 0, "deny list: m1 not");
	limits_model_allowed(store, lim, p.id, "m2", &allowed);
	is_int(allowed, 1, "  m2 allowed");
	is_int(admin_perm_delete(&env, p.id), VN_OK, "permissions deleted");
	limits_model_allowed(store, lim, p.id, "m1", &allowed);
	is_int(allowed, 1, "  m1 allowed again");
	admin_perm_get(db, p.id, &perm);
	ok(perm.mode[0] == '\0' && strcmp(perm.model_ids, "[]") == 0,
	    "  none set");
	admin_perm_free(&perm);

	/* archived: readable, unchangeable */
	is_int(admin_project_archive(&env, q.id, &q), VN_OK, "archived");
	is_int(admin_spend_set(&env, q.id, USD(1)), VN_ECONFLICT,
	    "  takes no spend limit");
	is_int(admin_rl_get(db, cfg, q.id, m1, &r), VN_OK,
	    "  its rate limits read");

	/* the month's spend */
	month = limiter_month_start(now);
	ok(spend(db, p.id, now, USD(3)) && spend(db, p.id, month - 10,
	    USD(50)) && spend(db, q.id, month, USD(2)), "usage rows");
	is_int(limits_baseline(store, p.id, month, &spent), 0, "baseline");
	ok(spent == USD(3), "  this month's only: %lld", (long long)spent);
	limits_baseline(store, NULL, month, &spent);
	ok(spent == USD(5), "  the organization's: every workspace's");

	/* spend alerts: once a month each */
	memset(&in, 0, sizeof(in));
	snprintf(in.recipients, sizeof(in.recipients), "[\"a@b.c\"]");
	for (i = 1; i <= 3; i++) {
		in.threshold_pusd = USD(i * 2 - 1);	/* $1, $3, $5 */
		is_int(admin_alert_create(&env, p.id, &in, &a), VN_OK,
		    "alert at $%d", i * 2 - 1);
	}
	in.threshold_pusd = USD(1);
	admin_alert_create(&env, NULL, &in, &a);
	is_int(limits_alerts_crossed(store, p.id, USD(0), USD(2)), VN_OK,
	    "$0 to $2");
	is_int(scalar(db, "SELECT count(*) FROM alert_outbox"), 1,
	    "  one alert fired");
	is_int(scalar(db, "SELECT count(*) FROM audit_log"
	    " WHERE type = 'spend_alert.crossed'"), 1, "  one audit row");
	limits_alerts_crossed(store, p.id, USD(2), USD(3));
	is_int(scalar(db, "SELECT count(*) FROM alert_outbox"), 2,
	    "$2 to $3: the $3 one ((before, after])");
	limits_alerts_crossed(store, p.id, USD(0), USD(10));
	is_int(scalar(db, "SELECT count(*) FROM alert_outbox"), 3,
	    "$0 to $10: only the $5 one, the others fired this month");
	limits_alerts_crossed(store, p.id, USD(0), USD(10));
	is_int(scalar(db, "SELECT count(*) FROM alert_outbox"), 3,
	    "  and again: nothing");
	snprintf(sql, sizeof(sql), "UPDATE spend_alerts SET fired_month = %lld",
	    (long long)limiter_month_start(month - 1));
	exec(db, sql);
	/* Four processes see the new month's crossing at once. */
	for (i = 0; i < 4; i++)
		if ((kids[i] = fork()) == 0) {
			struct store *s = store_new(cfg, 1);

			_exit(limits_alerts_crossed(s, p.id, USD(0),
			    USD(10)) == VN_OK ? 0 : 1);
		}
	for (i = 0, n = 0; i < 4; i++)
		if (waitpid(kids[i], &status, 0) == kids[i] &&
		    WIFEXITED(status) && WEXITSTATUS(status) == 0)
			n++;
	is_int(n, 4, "a new month, four processes cross $10 at once");
	is_int(scalar(db, "SELECT count(*) FROM alert_outbox"), 6,
	    "  each of the 3 alerts fired once more");
	is_int(scalar(db, "SELECT count(*) FROM audit_log"
	    " WHERE type = 'spend_alert.crossed'"), 6, "  one audit row each");
	limits_alerts_crossed(store, NULL, USD(0), USD(1));
	is_int(scalar(db, "SELECT count(*) FROM alert_outbox"), 7,
	    "the organization's alert, on its own spend");
	/* an alert made below the spend: the sweep fires it */
	in.threshold_pusd = USD(2);
	admin_alert_create(&env, p.id, &in, &a);
	is_int(limits_alerts_sweep(store, now, &fired), VN_OK, "the sweep");
	is_int(fired, 1, "  fires the $2 alert, below the $3 spent");
	limits_alerts_sweep(store, now, &fired);
	is_int(fired, 0, "  once");

	/* the payload alert_command reads */
	snprintf(sql, sizeof(sql), "SELECT payload FROM alert_outbox"
	    " WHERE alert_id = '%s'", a.id);
	{
		sqlite3_stmt	*st = NULL;
		char		 buf[4096] = "";

		if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) ==
		    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
			db_col_copy(st, 0, buf, sizeof(buf));
		sqlite3_finalize(st);
		o = json_tokener_parse(buf);
	}
	ok(o != NULL, "the payload is JSON");
	ok(json_object_object_get_ex(o, "object", &x) &&
	    strcmp(json_object_get_string(x), "project.spend_alert.crossed") ==
	    0, "  object");
	ok(json_object_object_get_ex(o, "project_id", &x) &&
	    strcmp(json_object_get_string(x), p.id) == 0 &&
	    json_object_object_get_ex(o, "project_name", &x) &&
	    strcmp(json_object_get_string(x), "alpha") == 0, "  its project");
	ok(json_object_object_get_ex(o, "threshold_amount", &x) &&
	    json_object_get_int64(x) == 200 &&
	    json_object_object_get_ex(o, "spent_amount", &x) &&
	    json_object_get_int64(x) == 300, "  in cents: $2 crossed at $3");
	ok(json_object_object_get_ex(o, "notification_channel", &x) &&
	    json_object_object_get_ex(x, "recipients", &x) &&
	    json_object_array_length(x) == 1, "  its recipients");
	json_object_put(o);

	/* the outbox, as overlapping venna-batch passes claim it */
	is_int(limits_outbox_claim(store, cfg, lease_owner(), now, 60, &row,
	    &got), VN_OK, "a claim");
	ok(got && row.payload != NULL && row.attempts == 1,
	    "  the oldest row, first attempt");
	{
		struct limits_outbox_row r2;
		int64_t			 seq2;

		is_int(limits_outbox_claim(store, cfg, "run_1_other", now, 60,
		    &r2, &got), VN_OK, "another pass");
		ok(got && r2.seq != row.seq, "  gets another row, not ours");
		seq2 = r2.seq;
		free(r2.payload);
		/* Its owner has no lease file: dead, its row taken over. */
		limits_outbox_claim(store, cfg, lease_owner(), now, 60, &r2,
		    &got);
		ok(got && r2.seq == seq2, "  a dead pass's row is taken over "
		    "at once");
		limits_outbox_done(store, lease_owner(), r2.seq, now);
		free(r2.payload);
	}
	is_int(limits_outbox_done(store, lease_owner(), row.seq, now), VN_OK,
	    "delivered");
	is_int(limits_outbox_done(store, "run_1_other", row.seq, now),
	    VN_ECONFLICT, "  by its holder only");
	free(row.payload);
	snprintf(sql, sizeof(sql), "SELECT delivered_at FROM alert_outbox"
	    " WHERE seq = %lld", (long long)row.seq);
	is_int(scalar(db, sql), now, "  marked");
	limits_outbox_claim(store, cfg, lease_owner(), now, 60, &row, &got);
	is_int(limits_outbox_fail(store, lease_owner(), row.seq, now + 600,
	    "exited 1"), VN_OK, "a failure");
	free(row.payload);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM alert_outbox"
	    " WHERE seq = %lld AND delivered_at IS NULL AND not_before = %lld"
	    " AND lease_owner IS NULL", (long long)row.seq,
	    (long long)now + 600);
	is_int(scalar(db, sql), 1, "  waits, unheld, until its time");
	n = 0;
	while (limits_outbox_claim(store, cfg, lease_owner(), now, 60, &row,
	    &got) == VN_OK && got) {
		limits_outbox_done(store, lease_owner(), row.seq, now);
		free(row.payload);
		n++;
	}
	is_int(scalar(db, "SELECT count(*) FROM alert_outbox"
	    " WHERE delivered_at IS NULL"), 1, "the rest delivered, %d", n);
	limits_outbox_claim(store, cfg, lease_owner(), now + 600, 60, &row,
	    &got);
	ok(got && row.attempts == 2, "  the failed one, when due: attempt 2");
	free(row.payload);

	is_int(scalar(db, "SELECT count(*) FROM audit_log WHERE type ="
	    " 'rate_limit.updated'"), 2, "audited: the rate limit changes");
	ok(scalar(db, "SELECT count(*) FROM audit_log WHERE type IN"
	    " ('project.updated', 'organization.updated', 'api_key.updated')")
	    >= 8, "  and the others");

	lease_owner_end();
	limiter_close(lim);
	store_free(store);
	db_close(db);
	cfg_free(cfg);
	snprintf(sql, sizeof(sql), "rm -rf %s", dir);
	if (system(sql) != 0)
		printf("# could not remove %s\n", dir);
	return done_testing();
}
