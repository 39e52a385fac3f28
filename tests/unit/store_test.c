/*
 * store_test.c: the database layer on a real file: creation and
 * migration, workspaces, key minting and verification (good, unknown,
 * wrong, revoked), and several processes writing at once.
 */
#include "config.h"

#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "apikey.h"
#include "auth.h"
#include "cfg.h"
#include "db.h"
#include "ids.h"
#include "schema.h"
#include "store.h"
#include "workspace.h"
#include "../tap.h"
#include "test_cfg.h"

static char	 dir[] = "/tmp/venna-store-test.XXXXXX";

static int
count_rows(struct db *db, const char *sql)
{
	sqlite3_stmt	*st = NULL;
	int		 n = -1;

	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

int
main(void)
{
	struct cfg		*cfg;
	struct db		*db;
	struct store		*store;
	struct principal	 who;
	unsigned char		 pepper[PEPPER_LEN];
	char			 err[512], ws[WS_ID_LEN + 1];
	char			 key[APIKEY_LEN + 1], id[APIKEY_ID_LEN + 1];
	char			 key2[APIKEY_LEN + 1], id2[APIKEY_ID_LEN + 1];
	char			 hdr[128], bad[APIKEY_LEN + 1];
	pid_t			 kids[4];
	int			 i, status, all = 1;

	if (mkdtemp(dir) == NULL || !ids_init() ||
	    (cfg = test_cfg("[server]\ndatabase = %s/v.db\n", dir)) == NULL) {
		printf("Bail out! cannot set up\n");
		return 1;
	}
	ok(db_open(cfg, 0, err, sizeof(err)) == NULL &&
	    strstr(err, "vennactl init") != NULL,
	    "a missing database is not created by workers");
	db = db_open(cfg, DB_OPEN_CREATE, err, sizeof(err));
	ok(db != NULL, "created");
	if (db == NULL)
		return done_testing();
	is_int(count_rows(db, "PRAGMA user_version"), schema_latest(),
	    "migrated to the latest schema");
	ok(count_rows(db, "SELECT count(*) FROM pragma_journal_mode "
	    "WHERE journal_mode = 'wal'") == 1, "WAL mode");
	is_int(apikey_pepper_create(cfg->pepper_file, err, sizeof(err)), VN_OK,
	    "pepper created");
	is_int(apikey_pepper_create(cfg->pepper_file, err, sizeof(err)),
	    VN_ECONFLICT, "an existing pepper is never replaced");
	is_int(apikey_pepper_load(cfg->pepper_file, pepper, err, sizeof(err)),
	    VN_OK, "pepper loads");

	is_int(workspace_create(db, "acme", ws), VN_OK, "workspace created");
	ok(strncmp(ws, "ws_", 3) == 0, "  with a ws_ id");
	is_int(workspace_create(db, "acme", ws), VN_ECONFLICT,
	    "names are unique");
	is_int(workspace_create(db, "bad name", ws), VN_EINVAL,
	    "names are checked");
	is_int(workspace_key_create(db, pepper, "acme", "ci", key, id), VN_OK,
	    "key minted");
	is_int(workspace_key_create(db, pepper, "nobody", NULL, key2, id2),
	    VN_ENOTFOUND, "no key for a missing workspace");
	is_int(workspace_create(db, "other", ws), VN_OK, "second workspace");
	is_int(workspace_key_create(db, pepper, "other", NULL, key2, id2),
	    VN_OK, "its key");
	is_int(count_rows(db, "SELECT count(*) FROM api_keys WHERE "
	    "instr(hash, 'vk_') > 0 OR typeof(hash) != 'blob'"), 0,
	    "no key text is stored");
	db_close(db);

	store = store_new(cfg, 2);
	snprintf(hdr, sizeof(hdr), "Bearer %s", key);
	is_int(auth_check(store, pepper, hdr, &who), VN_OK, "the key works");
	is_str(who.key_id, id, "  names its id");
	ok(strncmp(who.workspace_id, "ws_", 3) == 0, "  and its workspace");
	snprintf(hdr, sizeof(hdr), "Bearer %s", key2);
	is_int(auth_check(store, pepper, hdr, &who), VN_OK, "the other works");
	is_int(auth_check(store, pepper, NULL, &who), VN_ENOKEY, "no header");
	is_int(auth_check(store, pepper, "Bearer ", &who), VN_ENOKEY,
	    "empty bearer");
	is_int(auth_check(store, pepper, "Bearer vk_nope", &who), VN_EAUTH,
	    "junk");
	apikey_generate(bad, id2);
	snprintf(hdr, sizeof(hdr), "Bearer %s", bad);
	is_int(auth_check(store, pepper, hdr, &who), VN_EAUTH,
	    "well-formed key with an unknown id");
	/* Same id, other secret, valid checksum: only the hash can tell. */
	memcpy(bad, key, sizeof(bad));
	bad[20] = bad[20] == 'A' ? 'B' : 'A';
	{
		uint32_t crc = apikey_crc32(bad, APIKEY_LEN - APIKEY_CRC_LEN);
		int k;

		for (k = APIKEY_CRC_LEN - 1; k >= 0; k--) {
			bad[APIKEY_LEN - APIKEY_CRC_LEN + k] =
			    base62[crc % 62];
			crc /= 62;
		}
	}
	ok(apikey_parse(bad, APIKEY_LEN, id2) && strcmp(id2, id) == 0,
	    "forged key with the right id and checksum");
	snprintf(hdr, sizeof(hdr), "Bearer %s", bad);
	is_int(auth_check(store, pepper, hdr, &who), VN_EAUTH,
	    "is refused by the hash");
	pepper[0] ^= 1;
	snprintf(hdr, sizeof(hdr), "Bearer %s", key);
	is_int(auth_check(store, pepper, hdr, &who), VN_EAUTH,
	    "a different pepper refuses every key");
	pepper[0] ^= 1;

	db = store_get(store);
	is_int(workspace_key_revoke(db, id), VN_OK, "revoked");
	is_int(workspace_key_revoke(db, id), VN_ENOTFOUND, "revoking twice");
	store_put(store, db);
	/* Workers keep a key's row up to 500 ms: within a second it is out. */
	usleep(1000 * 1000);
	is_int(auth_check(store, pepper, hdr, &who), VN_EAUTH,
	    "a revoked key is refused within a second");
	store_free(store);

	/* Four processes, each opening after fork, writing at once.  The
	 * TAP so far is flushed first, or a child could print it again
	 * (ThreadSanitizer's _exit flushes stdio). */
	fflush(stdout);
	for (i = 0; i < 4; i++) {
		if ((kids[i] = fork()) == 0) {
			struct db *d = db_open(cfg, 0, err, sizeof(err));
			char name[32], wid[WS_ID_LEN + 1];
			int j, fails = 0;

			if (d == NULL)
				_exit(2);
			for (j = 0; j < 100; j++) {
				snprintf(name, sizeof(name), "p%d-%d", i, j);
				if (workspace_create(d, name, wid) != VN_OK)
					fails++;
			}
			db_close(d);
			_exit(fails > 0);
		}
	}
	for (i = 0; i < 4; i++)
		if (waitpid(kids[i], &status, 0) != kids[i] ||
		    !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			all = 0;
	ok(all, "four processes wrote 400 rows without a busy error");
	db = db_open(cfg, 0, err, sizeof(err));
	is_int(count_rows(db, "SELECT count(*) FROM workspaces"), 402,
	    "every row is there");
	is_int(count_rows(db, "SELECT count(*) FROM pragma_integrity_check "
	    "WHERE integrity_check = 'ok'"), 1, "integrity_check ok");
	db_close(db);
	cfg_free(cfg);
	{
		char cmd[256];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", dir);
	}
	return done_testing();
}
