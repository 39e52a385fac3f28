/*
 * admin_keys.c: service accounts and the keys of a project.  A service
 * account is a name that owns one key, minted with it and revoked with
 * it; a key made by "vennactl key create" has no account (its owner is
 * the operator).  Every lookup names the project, so no id of one
 * project reaches another's objects.  Revocations bump the key
 * generation after their commit: the next request on every worker is
 * refused.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <sqlite3.h>

#include "admin.h"
#include "buf.h"
#include "db.h"
#include "ids.h"

static int
sa_row(sqlite3_stmt *st, void *obj)
{
	struct admin_sa	*sa = obj;

	db_col_copy(st, 0, sa->id, sizeof(sa->id));
	db_col_copy(st, 1, sa->name, sizeof(sa->name));
	sa->created_at = sqlite3_column_int64(st, 2);
	return 0;
}

static int
pkey_row(sqlite3_stmt *st, void *obj)
{
	struct admin_key	*k = obj;
	char			 tail[APIKEY_TAIL_LEN + 1];

	memset(k, 0, sizeof(*k));
	db_col_copy(st, 0, k->id, sizeof(k->id));
	db_col_copy(st, 1, k->name, sizeof(k->name));
	db_col_copy(st, 2, tail, sizeof(tail));
	apikey_redact(APIKEY_WORKSPACE, tail, k->redacted);
	k->created_at = sqlite3_column_int64(st, 3);
	k->last_used_at = sqlite3_column_int64(st, 4);
	db_col_copy(st, 5, k->sa.id, sizeof(k->sa.id));
	db_col_copy(st, 6, k->sa.name, sizeof(k->sa.name));
	k->sa.created_at = sqlite3_column_int64(st, 7);
	return 0;
}

/* One row of stmt s bound to (id, project) into obj; VN_ENOTFOUND. */
static enum vn_err
get_one(struct db *db, enum stmt s, const char *project, const char *id,
    int (*row)(sqlite3_stmt *, void *), void *obj)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = db_stmt(db, s)) == NULL)
		return VN_ESTORE;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, project, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		row(st, obj);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return VN_OK;
	return rc == SQLITE_DONE ? VN_ENOTFOUND : db_rc(db, rc, "lookup");
}

/*
 * The project must exist and, for what makes keys, be active:
 * VN_ENOTFOUND, or VN_ECONFLICT for an archived one.
 */
static enum vn_err
need_project(struct db *db, const char *project, int active)
{
	struct admin_project	 p;
	enum vn_err		 rc;

	if ((rc = admin_project_get(db, project, &p)) != VN_OK)
		return rc;
	return active && p.archived_at != 0 ? VN_ECONFLICT : VN_OK;
}

static enum vn_err
audit_id(struct admin_env *env, const char *type, const char *project,
    const char *id, const char *data)
{
	struct buf	 b;
	enum vn_err	 rc;

	buf_init(&b, 4096);
	if ((rc = buf_addstr(&b, "{\"id\":")) == VN_OK &&
	    (rc = buf_add_json_string(&b, id, strlen(id))) == VN_OK &&
	    (rc = buf_addstr(&b, data != NULL ? data : "")) == VN_OK &&
	    (rc = buf_addc(&b, '}')) == VN_OK)
		rc = admin_audit_add(env, type, project, id, b.data);
	buf_free(&b);
	return rc;
}

/*
 * Mint a key of project for sa_id (NULL: none) named name; within the
 * caller's transaction.  key receives the only copy of the secret.
 */
static enum vn_err
mint(struct admin_env *env, const char *project, const char *sa_id,
    const char *name, struct admin_key *k, char key[APIKEY_MAX_LEN + 1])
{
	char		 id[APIKEY_ID_LEN + 1];
	enum vn_err	 rc;

	if ((rc = workspace_key_insert(env->db, env->pepper, project, sa_id,
	    name, key, id)) == VN_OK)
		rc = audit_id(env, "api_key.created", project, id,
		    ",\"data\":{\"scopes\":[\"api.model.request\"]}");
	if (rc == VN_OK)
		rc = admin_pkey_get(env->db, project, id, k);
	return rc;
}

/*
 * A key for the project without a service account (vennactl key
 * create).  VN_ENOTFOUND: no such project; VN_ECONFLICT: archived.
 */
enum vn_err
admin_pkey_create(struct admin_env *env, const char *project,
    const char *name, struct admin_key *k, char key[APIKEY_MAX_LEN + 1])
{
	enum vn_err	 rc;

	if ((rc = db_begin(env->db)) == VN_OK &&
	    (rc = need_project(env->db, project, 1)) == VN_OK)
		rc = mint(env, project, NULL, name, k, key);
	if ((rc = db_end(env->db, rc)) != VN_OK)
		sodium_memzero(key, APIKEY_MAX_LEN + 1);
	return rc;
}

/*
 * A service account and its key.  VN_ENOTFOUND: no such project;
 * VN_ECONFLICT: the project is archived.
 */
enum vn_err
admin_sa_create(struct admin_env *env, const char *project,
    const char *name, struct admin_sa *sa, struct admin_key *k,
    char key[APIKEY_MAX_LEN + 1])
{
	sqlite3_stmt	*st;
	enum vn_err	 rc;

	memset(sa, 0, sizeof(*sa));
	ids_new(sa->id, sizeof(sa->id), "svc_acct_", ADMIN_SA_ID_LEN - 9);
	snprintf(sa->name, sizeof(sa->name), "%s", name);
	sa->created_at = (int64_t)time(NULL);
	if ((rc = db_begin(env->db)) != VN_OK ||
	    (rc = need_project(env->db, project, 1)) != VN_OK)
		goto out;
	if ((st = db_stmt(env->db, STMT_SA_INSERT)) == NULL) {
		rc = VN_ESTORE;
		goto out;
	}
	sqlite3_bind_text(st, 1, sa->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, project, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)sa->created_at);
	rc = db_rc(env->db, sqlite3_step(st), "service account insert");
	sqlite3_reset(st);
	if (rc == VN_OK)
		rc = audit_id(env, "service_account.created", project, sa->id,
		    ",\"data\":{\"role\":\"member\"}");
	if (rc == VN_OK)
		rc = mint(env, project, sa->id, name, k, key);
out:
	if ((rc = db_end(env->db, rc)) != VN_OK)
		sodium_memzero(key, APIKEY_MAX_LEN + 1);
	return rc;
}

enum vn_err
admin_sa_get(struct db *db, const char *project, const char *id,
    struct admin_sa *sa)
{
	/* sa may hold id (sa->id): untouched until the row is read. */
	return get_one(db, STMT_SA_GET, project, id, sa_row, sa);
}

enum vn_err
admin_sa_list(struct db *db, const char *project,
    const struct admin_page *pg, admin_each each, void *arg, int *more)
{
	struct admin_sa	 sa;
	sqlite3_stmt	*st;
	int64_t		 from;
	enum vn_err	 rc;

	if ((rc = need_project(db, project, 0)) != VN_OK ||
	    (rc = admin_cursor(db, STMT_SA_SEQ, pg->after, project,
	    &from)) != VN_OK)
		return rc;
	if ((st = db_stmt(db, STMT_SA_LIST)) == NULL)
		return VN_ESTORE;
	sqlite3_bind_text(st, 1, project, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, pg->limit + 1);
	return admin_list(db, st, pg->limit, sa_row, &sa, each, arg, more);
}

/* Delete a service account and revoke its key. */
enum vn_err
admin_sa_delete(struct admin_env *env, const char *project, const char *id)
{
	sqlite3_stmt	*st;
	time_t		 now = time(NULL);
	enum vn_err	 rc;

	if ((rc = db_begin(env->db)) != VN_OK)
		goto out;
	if ((st = db_stmt(env->db, STMT_SA_DELETE)) == NULL) {
		rc = VN_ESTORE;
		goto out;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, project, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)now);
	rc = db_rc(env->db, sqlite3_step(st), "service account delete");
	sqlite3_reset(st);
	if (rc == VN_OK && db_changes(env->db) == 0)
		rc = VN_ENOTFOUND;
	if (rc != VN_OK)
		goto out;
	if ((st = db_stmt(env->db, STMT_SA_REVOKE_KEYS)) == NULL) {
		rc = VN_ESTORE;
		goto out;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
	rc = db_rc(env->db, sqlite3_step(st), "service account keys");
	sqlite3_reset(st);
	if (rc == VN_OK)
		rc = audit_id(env, "service_account.deleted", project, id,
		    NULL);
out:
	if ((rc = db_end(env->db, rc)) == VN_OK)
		admin_changed_keys(env);
	return rc;
}

enum vn_err
admin_pkey_get(struct db *db, const char *project, const char *id,
    struct admin_key *k)
{
	/* k may hold id (k->id): untouched until the row is read. */
	return get_one(db, STMT_PKEY_GET, project, id, pkey_row, k);
}

enum vn_err
admin_pkey_list(struct db *db, const char *project,
    const struct admin_page *pg, admin_each each, void *arg, int *more)
{
	struct admin_key	 k;
	sqlite3_stmt		*st;
	int64_t			 from;
	enum vn_err		 rc;

	if ((rc = need_project(db, project, 0)) != VN_OK ||
	    (rc = admin_cursor(db, STMT_PKEY_SEQ, pg->after, project,
	    &from)) != VN_OK)
		return rc;
	if ((st = db_stmt(db, STMT_PKEY_LIST)) == NULL)
		return VN_ESTORE;
	sqlite3_bind_text(st, 1, project, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, pg->limit + 1);
	return admin_list(db, st, pg->limit, pkey_row, &k, each, arg, more);
}

/*
 * Revoke a key of project (NULL: whichever project it belongs to, for
 * vennactl).  VN_ENOTFOUND if the project has no active key id.
 */
enum vn_err
admin_pkey_delete(struct admin_env *env, const char *project,
    const char *id)
{
	char		 ws[WS_ID_LEN + 1];
	sqlite3_stmt	*st;
	int		 rc2;
	enum vn_err	 rc;

	if ((rc = db_begin(env->db)) != VN_OK)
		goto out;
	if (project == NULL) {
		if ((st = db_stmt(env->db, STMT_PKEY_WS)) == NULL) {
			rc = VN_ESTORE;
			goto out;
		}
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		rc2 = sqlite3_step(st);
		if (rc2 == SQLITE_ROW)
			db_col_copy(st, 0, ws, sizeof(ws));
		sqlite3_reset(st);
		if (rc2 != SQLITE_ROW) {
			rc = rc2 == SQLITE_DONE ? VN_ENOTFOUND :
			    db_rc(env->db, rc2, "key lookup");
			goto out;
		}
		project = ws;
	}
	if ((st = db_stmt(env->db, STMT_PKEY_REVOKE)) == NULL) {
		rc = VN_ESTORE;
		goto out;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, project, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)time(NULL));
	rc = db_rc(env->db, sqlite3_step(st), "key revoke");
	sqlite3_reset(st);
	if (rc == VN_OK && db_changes(env->db) == 0)
		rc = VN_ENOTFOUND;
	if (rc == VN_OK)
		rc = audit_id(env, "api_key.deleted", project, id, NULL);
out:
	if ((rc = db_end(env->db, rc)) == VN_OK)
		admin_changed_keys(env);
	return rc;
}
