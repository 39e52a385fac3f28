/*
 * admin_test.c: the Admin API's operations (src/admin_*.c) on a real
 * database: projects and their archiving, service accounts and project
 * keys, admin keys, what auth_check() makes of each after every change
 * (at once: the key generation is bumped), ids of one project refused
 * in another, the audit rows and their immutability, and usage
 * aggregates equal to the ledger rows they sum.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "admin.h"
#include "apikey.h"
#include "auth.h"
#include "cfg.h"
#include "db.h"
#include "ids.h"
#include "ledger.h"
#include "store.h"
#include "../tap.h"
#include "test_cfg.h"

static char		 dir[] = "/tmp/venna-admin-test.XXXXXX";
static struct store	*store;
static unsigned char	 pepper[PEPPER_LEN];

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

static enum vn_err
check(const char *key, struct principal *who)
{
	char	 hdr[128];

	snprintf(hdr, sizeof(hdr), "Bearer %s", key);
	return auth_check(store, pepper, hdr, who);
}

static int
count_each(void *arg, const void *obj)
{
	(void)obj;
	(*(int *)arg)++;
	return 0;
}

static int
sum_each(void *arg, const void *obj)
{
	const struct admin_usage_row	*r = obj;
	int64_t				*s = arg;

	s[0] += r->requests;
	s[1] += r->input;
	s[2] += r->output;
	s[3] += r->cost_pusd;
	return 0;
}

int
main(void)
{
	struct admin_env	 env;
	struct admin_project	 p, q;
	struct admin_sa		 sa;
	struct admin_key	 k;
	struct admin_page	 pg = { 100, NULL };
	struct admin_usage_query uq;
	struct ledger_row	 row;
	struct principal	 who;
	struct cfg		*cfg;
	struct db		*db;
	char			 err[512], key[APIKEY_MAX_LEN + 1];
	char			 akey[APIKEY_MAX_LEN + 1], rid[32];
	char			 kid[APIKEY_ID_LEN + 1], said[ADMIN_SA_ID_LEN + 1];
	int64_t			 sums[4];
	int			 n, more, i;

	if (mkdtemp(dir) == NULL || !ids_init() ||
	    (cfg = test_cfg("[server]\ndatabase = %s/v.db\n", dir)) == NULL) {
		printf("Bail out! cannot set up\n");
		return 1;
	}
	if ((db = db_open(cfg, DB_OPEN_CREATE, err, sizeof(err))) == NULL ||
	    apikey_pepper_create(cfg->pepper_file, err, sizeof(err)) != VN_OK ||
	    apikey_pepper_load(cfg->pepper_file, pepper, err,
	    sizeof(err)) != VN_OK) {
		printf("Bail out! %s\n", err);
		return 1;
	}
	memset(&env, 0, sizeof(env));
	env.db = db;
	env.pepper = pepper;
	env.database = cfg->database;
	admin_actor_unix(&env.actor);
	ok(strncmp(env.actor.id, "unix:", 5) == 0, "vennactl's actor: %s",
	    env.actor.id);
	store = store_new(cfg, 2);

	/* projects */
	is_int(admin_project_create(&env, "acme", &p), VN_OK, "project");
	is_int(admin_project_create(&env, "acme", &q), VN_ECONFLICT,
	    "  its name is unique");
	is_int(admin_project_create(&env, "caf\xc3\xa9", &q), VN_EINVAL,
	    "  a name outside the workspace rule");
	is_int(admin_project_create(&env, "other", &q), VN_OK, "another");
	is_int(admin_project_rename(&env, p.id, "acme2", &p), VN_OK,
	    "renamed");
	is_str(p.name, "acme2", "  the new name");
	is_int(admin_project_rename(&env, p.id, "other", &p), VN_ECONFLICT,
	    "  not onto a taken one");
	is_int(admin_project_find(db, "acme2", &p), VN_OK, "found by name");
	is_int(admin_project_find(db, p.id, &p), VN_OK, "  and by id");
	n = 0;
	is_int(admin_project_list(db, 0, &pg, count_each, &n, &more), VN_OK,
	    "listed");
	is_int(n, 2, "  both");

	/* a service account and its key, against auth_check */
	is_int(admin_sa_create(&env, p.id, "bot \xe2\x98\x83", &sa, &k, key),
	    VN_OK, "service account");
	ok(strncmp(sa.id, "svc_acct_", 9) == 0, "  svc_acct_ id");
	is_int(check(key, &who), VN_OK, "  its key works");
	ok(!who.admin && strcmp(who.workspace_id, p.id) == 0,
	    "  for its project, not as an admin");
	memcpy(kid, k.id, sizeof(kid));
	memcpy(said, sa.id, sizeof(said));
	is_int(admin_pkey_get(db, p.id, kid, &k), VN_OK, "  the key is found");
	is_str(k.sa.id, said, "  owned by the account");
	ok(strncmp(k.redacted, "vk_...", 6) == 0 &&
	    strcmp(k.redacted + 6, key + APIKEY_LEN - 4) == 0,
	    "  redacted: prefix and last 4 (%s)", k.redacted);
	is_int(admin_pkey_get(db, q.id, kid, &k), VN_ENOTFOUND,
	    "another project's id does not show it");
	is_int(admin_sa_get(db, q.id, said, &sa), VN_ENOTFOUND,
	    "  nor its account");
	is_int(admin_sa_get(db, p.id, said, &sa), VN_OK, "  its own does");
	is_int(admin_pkey_delete(&env, q.id, kid), VN_ENOTFOUND,
	    "  nor deletes its key");
	is_int(admin_sa_delete(&env, q.id, said), VN_ENOTFOUND,
	    "  nor its account");
	is_int(check(key, &who), VN_OK, "  which still works");
	is_int(admin_pkey_delete(&env, p.id, kid), VN_OK, "key deleted");
	is_int(check(key, &who), VN_EAUTH, "  and refused at once");
	is_int(admin_pkey_delete(&env, p.id, kid), VN_ENOTFOUND,
	    "  deleting twice");
	is_int(admin_sa_create(&env, p.id, "temp", &sa, &k, key), VN_OK,
	    "a second account");
	is_int(check(key, &who), VN_OK, "  its key works");
	is_int(admin_sa_delete(&env, p.id, sa.id), VN_OK, "  deleted");
	is_int(check(key, &who), VN_EAUTH, "  its key with it");

	/* archiving */
	is_int(admin_pkey_create(&env, p.id, "ops", &k, key), VN_OK,
	    "a key without account");
	is_int(check(key, &who), VN_OK, "  works");
	is_int(admin_project_archive(&env, p.id, &p), VN_OK, "archived");
	ok(p.archived_at != 0, "  archived_at set");
	is_int(check(key, &who), VN_EAUTH, "  its keys refused at once");
	memcpy(kid, k.id, sizeof(kid));
	is_int(admin_pkey_get(db, p.id, kid, &k), VN_OK,
	    "  its objects stay readable");
	is_int(admin_sa_create(&env, p.id, "late", &sa, &k, key), VN_ECONFLICT,
	    "  no new account");
	is_int(admin_pkey_create(&env, p.id, "late", &k, key), VN_ECONFLICT,
	    "  no new key");
	n = 0;
	admin_project_list(db, 0, &pg, count_each, &n, &more);
	is_int(n, 1, "  not listed");
	n = 0;
	admin_project_list(db, 1, &pg, count_each, &n, &more);
	is_int(n, 2, "  but with include_archived");

	/* admin keys */
	is_int(admin_akey_create(&env, "root", 0, &k, akey), VN_OK,
	    "admin key");
	ok(strncmp(akey, "vka_", 4) == 0 && strlen(akey) == APIKEY_ADMIN_LEN,
	    "  vka_, %d characters", APIKEY_ADMIN_LEN);
	is_int(check(akey, &who), VN_OK, "  works");
	ok(who.admin && who.workspace_id[0] == '\0', "  as an admin key");
	memcpy(kid, k.id, sizeof(kid));
	is_int(admin_akey_delete(&env, kid), VN_OK, "  the last one deleted");
	is_int(check(akey, &who), VN_EAUTH, "  refused at once");
	is_int(admin_akey_create(&env, "short", 1, &k, akey), VN_OK,
	    "an admin key for a second");
	ok(k.expires_at >= k.created_at + 1, "  expires_at");
	sleep(2);
	is_int(check(akey, &who), VN_EAUTH, "  refused once expired");

	/* the audit log */
	/*
	 * 2 projects created, 1 renamed, 1 archived; 2 accounts created, 1
	 * deleted; 3 keys created, 1 deleted; 2 admin keys created, 1
	 * deleted.  The refused changes left none.
	 */
	is_int((int)scalar(db, "SELECT count(*) FROM audit_log"), 14,
	    "every change audited, and only those");
	is_int((int)scalar(db, "SELECT count(*) FROM audit_log WHERE "
	    "type = 'api_key.created'"), 5, "  3 project keys, 2 admin keys");
	is_int((int)scalar(db, "SELECT count(*) FROM audit_log WHERE "
	    "actor_type != 'session' OR actor_id NOT LIKE 'unix:%'"), 0,
	    "  all by the Unix user");
	ok(sqlite3_exec(db->h, "UPDATE audit_log SET type = 'x'", NULL, NULL,
	    NULL) != SQLITE_OK && sqlite3_exec(db->h, "DELETE FROM audit_log",
	    NULL, NULL, NULL) != SQLITE_OK, "  append-only");

	/* usage aggregates against the ledger rows */
	is_int(db_begin(db), VN_OK, "usage rows");
	for (i = 0; i < 500; i++) {
		memset(&row, 0, sizeof(row));
		snprintf(rid, sizeof(rid), "req_%d", i);
		row.request_id = rid;
		row.created_at = 1700000000 + i * 97;
		row.workspace_id = i % 3 ? p.id : q.id;
		row.key_id = i % 5 ? "key1" : NULL;
		row.endpoint = i % 4 ? "/v1/chat/completions" :
		    "/v1/embeddings";
		row.model = i % 2 ? "m1" : "m2";
		row.prompt_tokens = i;
		row.completion_tokens = 2 * i;
		row.cost_pusd = 1000 * i;
		row.status = 200;
		row.batch_id = i % 7 ? NULL : "batch_1";
		if (ledger_insert(db, &row) != VN_OK)
			break;
	}
	is_int(db_commit(db), VN_OK, "  inserted");
	memset(&uq, 0, sizeof(uq));
	uq.kind = 1;
	uq.width = 3600;
	uq.start = 1700000000 - 1700000000 % 3600;
	uq.end = uq.start + 30 * 3600;
	uq.batch = -1;
	uq.by_project = uq.by_model = 1;
	memset(sums, 0, sizeof(sums));
	is_int(admin_usage(db, &uq, sum_each, sums), VN_OK, "hourly usage");
	ok(sums[0] == scalar(db, "SELECT count(*) FROM usage WHERE endpoint "
	    "!= '/v1/embeddings'") && sums[1] == scalar(db, "SELECT "
	    "sum(prompt_tokens) FROM usage WHERE endpoint != "
	    "'/v1/embeddings'") && sums[2] == scalar(db, "SELECT "
	    "sum(completion_tokens) FROM usage WHERE endpoint != "
	    "'/v1/embeddings'"), "  sums the ledger rows (%lld requests)",
	    (long long)sums[0]);
	uq.kind = 0;
	uq.width = 86400;
	uq.start = 1700000000 - 1700000000 % 86400;
	uq.end = uq.start + 2 * 86400;
	memset(sums, 0, sizeof(sums));
	admin_usage(db, &uq, sum_each, sums);
	ok(sums[3] == scalar(db, "SELECT sum(cost_pusd) FROM usage"),
	    "daily costs too");
	uq.batch = 1;
	uq.kind = 1;
	memset(sums, 0, sizeof(sums));
	admin_usage(db, &uq, sum_each, sums);
	ok(sums[0] == scalar(db, "SELECT count(*) FROM usage WHERE batch_id "
	    "IS NOT NULL AND endpoint != '/v1/embeddings'"),
	    "  batch lines apart");

	store_free(store);
	db_close(db);
	cfg_free(cfg);
	return done_testing();
}
