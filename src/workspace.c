/*
 * workspace.c: creating workspaces and minting and revoking their keys.
 * A new key is returned to the caller exactly once; the database keeps
 * only its keyed hash.
 */
#include "config.h"

#include <ctype.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <sqlite3.h>

#include "db.h"
#include "ids.h"
#include "workspace.h"

/* Workspace names: 1 to 64 of [A-Za-z0-9._-], not starting with '-'. */
int
workspace_name_ok(const char *s)
{
	size_t	 n = strlen(s), i;

	if (n == 0 || n > WS_NAME_MAX || s[0] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && strchr("._-", s[i]) == NULL)
			return 0;
	return 1;
}

/*
 * Create a workspace.  Returns VN_ECONFLICT if the name is taken and
 * VN_EINVAL if it is not a valid name.
 */
enum vn_err
workspace_create(struct db *db, const char *name, char id[WS_ID_LEN + 1])
{
	sqlite3_stmt	*st;

	if (!workspace_name_ok(name))
		return VN_EINVAL;
	ids_new(id, WS_ID_LEN + 1, "ws_", WS_ID_LEN - 3);
	if ((st = db_stmt(db, STMT_WS_INSERT)) == NULL)
		return VN_ESTORE;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)time(NULL));
	return db_rc(db, sqlite3_step(st), "workspace insert");
}

/* Look a workspace up by name.  VN_ENOTFOUND if there is none. */
enum vn_err
workspace_find(struct db *db, const char *name, char id[WS_ID_LEN + 1])
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = db_stmt(db, STMT_WS_BY_NAME)) == NULL)
		return VN_ESTORE;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		db_col_copy(st, 0, id, WS_ID_LEN + 1);
		sqlite3_reset(st);
		return VN_OK;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? VN_ENOTFOUND : db_rc(db, rc,
	    "workspace_find");
}

/*
 * Mint a key for the workspace ws (an id), owned by the service account
 * sa (NULL: none), within the caller's transaction.  The key's last
 * characters are kept for listings (apikey_redact).  On success key
 * holds the only copy of the secret there will ever be; the caller
 * shows it and wipes it.
 */
enum vn_err
workspace_key_insert(struct db *db, const unsigned char *pepper,
    const char *ws, const char *sa, const char *label,
    char key[APIKEY_LEN + 1], char id[APIKEY_ID_LEN + 1])
{
	unsigned char	 hash[APIKEY_HASH_LEN];
	sqlite3_stmt	*st;
	enum vn_err	 rc;

	apikey_generate(key, id);
	apikey_hash(key, APIKEY_LEN, pepper, hash);
	if ((st = db_stmt(db, STMT_KEY_INSERT)) == NULL) {
		rc = VN_ESTORE;
		goto out;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, ws, -1, SQLITE_STATIC);
	if (label != NULL)
		sqlite3_bind_text(st, 3, label, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, hash, sizeof(hash), SQLITE_STATIC);
	sqlite3_bind_int(st, 5, PEPPER_VERSION);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)time(NULL));
	sqlite3_bind_text(st, 7, key + APIKEY_LEN - APIKEY_TAIL_LEN, -1,
	    SQLITE_STATIC);
	if (sa != NULL)
		sqlite3_bind_text(st, 8, sa, -1, SQLITE_STATIC);
	rc = db_rc(db, sqlite3_step(st), "key insert");
	sqlite3_reset(st);
out:
	if (rc != VN_OK)
		sodium_memzero(key, APIKEY_LEN + 1);
	sodium_memzero(hash, sizeof(hash));
	return rc;
}

/*
 * Mint a key for the named workspace, in a transaction of its own.
 * VN_ENOTFOUND if the workspace does not exist.
 */
enum vn_err
workspace_key_create(struct db *db, const unsigned char *pepper,
    const char *ws_name, const char *label, char key[APIKEY_LEN + 1],
    char id[APIKEY_ID_LEN + 1])
{
	char		 ws[WS_ID_LEN + 1];
	enum vn_err	 rc;

	if ((rc = db_begin(db)) != VN_OK)
		return rc;
	if ((rc = workspace_find(db, ws_name, ws)) == VN_OK)
		rc = workspace_key_insert(db, pepper, ws, NULL, label, key, id);
	if (rc == VN_OK)
		rc = db_commit(db);
	if (rc != VN_OK) {
		db_rollback(db);
		sodium_memzero(key, APIKEY_LEN + 1);
	}
	return rc;
}

/* Revoke a key by its public id.  VN_ENOTFOUND if none is active. */
enum vn_err
workspace_key_revoke(struct db *db, const char *id)
{
	sqlite3_stmt	*st;
	enum vn_err	 rc;

	if ((st = db_stmt(db, STMT_KEY_REVOKE)) == NULL)
		return VN_ESTORE;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL));
	rc = db_rc(db, sqlite3_step(st), "key revoke");
	sqlite3_reset(st);
	if (rc == VN_OK && db_changes(db) == 0)
		rc = VN_ENOTFOUND;
	return rc;
}
