/*
 * admin_ops.c: who acts, projects (workspaces) and admin keys, as the
 * Admin API and vennactl change them.  Each change runs in one
 * transaction with its audit row (admin_audit.c); nothing here does
 * network I/O, so a transaction lasts as long as its few statements.
 */
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "admin.h"
#include "auth.h"
#include "buf.h"
#include "db.h"
#include "ids.h"
#include "log.h"

/* vennactl's actor: the Unix user running it, by its real uid. */
void
admin_actor_unix(struct admin_actor *a)
{
	struct passwd	*pw;

	memset(a, 0, sizeof(*a));
	snprintf(a->type, sizeof(a->type), "session");
	if ((pw = getpwuid(getuid())) != NULL && strlen(pw->pw_name) <= 48)
		snprintf(a->id, sizeof(a->id), "unix:%s", pw->pw_name);
	else
		snprintf(a->id, sizeof(a->id), "unix:%lu",
		    (unsigned long)getuid());
}

/* An admin key's actor; ip is the client's address or NULL. */
void
admin_actor_key(struct admin_actor *a, const char *key_id, const char *ip)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->type, sizeof(a->type), "api_key");
	snprintf(a->id, sizeof(a->id), "%s", key_id);
	if (ip != NULL)
		snprintf(a->ip, sizeof(a->ip), "%s", ip);
}

/*
 * Keys stopped working (committed): tell every worker.  Should the
 * counter be out of reach, wait until their cached rows have expired,
 * so that a revocation is in force everywhere when this returns, as
 * the README promises.
 */
void
admin_changed_keys(const struct admin_env *env)
{
	struct timespec	 ts;
	char		 e[VN_ERRMSG];

	if (auth_keygen_bump(env->database, e, sizeof(e)) == VN_OK)
		return;
	log_warn("keys changed but the workers could not be told (%s): "
	    "waiting until their caches expire", e);
	ts.tv_sec = 0;
	ts.tv_nsec = (AUTH_CACHE_MS + 100) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		continue;
}

/*
 * The rowid or seq of the object id (within workspace, when not NULL)
 * for a keyset page; 0 when id is NULL.  VN_EINVAL when there is no
 * such object: a cursor from elsewhere is refused, not ignored.
 */
enum vn_err
admin_cursor(struct db *db, enum stmt s, const char *id,
    const char *workspace, int64_t *out)
{
	sqlite3_stmt	*st;
	int		 rc;

	*out = 0;
	if (id == NULL)
		return VN_OK;
	if ((st = db_stmt(db, s)) == NULL)
		return VN_ESTORE;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (workspace != NULL)
		sqlite3_bind_text(st, 2, workspace, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return VN_OK;
	return rc == SQLITE_DONE ? VN_EINVAL : db_rc(db, rc, "cursor");
}

/*
 * Step st (bound to fetch limit + 1 rows), turning each row into obj
 * with row() and handing the first limit to each(); *more tells
 * whether there was one more.
 */
enum vn_err
admin_list(struct db *db, sqlite3_stmt *st, long limit,
    int (*row)(sqlite3_stmt *, void *), void *obj, admin_each each,
    void *arg, int *more)
{
	long		 n = 0;
	int		 rc;
	enum vn_err	 err = VN_OK;

	*more = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == limit) {
			*more = 1;
			break;
		}
		row(st, obj);
		if (each(arg, obj) != 0) {
			err = VN_ENOMEM;
			break;
		}
		n++;
	}
	if (err == VN_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
		err = db_rc(db, rc, "admin list");
	sqlite3_reset(st);
	return err;
}

static int
project_row(sqlite3_stmt *st, void *obj)
{
	struct admin_project	*p = obj;

	db_col_copy(st, 0, p->id, sizeof(p->id));
	db_col_copy(st, 1, p->name, sizeof(p->name));
	p->created_at = sqlite3_column_int64(st, 2);
	p->archived_at = sqlite3_column_int64(st, 3);
	return 0;
}

/* A project by id.  VN_ENOTFOUND if none. */
enum vn_err
admin_project_get(struct db *db, const char *id, struct admin_project *p)
{
	sqlite3_stmt	*st;
	int		 rc;

	/* p may hold id (p->id): untouched until the row is read. */
	if ((st = db_stmt(db, STMT_PROJ_GET)) == NULL)
		return VN_ESTORE;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		project_row(st, p);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return VN_OK;
	return rc == SQLITE_DONE ? VN_ENOTFOUND : db_rc(db, rc, "project");
}

/* vennactl names a workspace by its name or its id. */
enum vn_err
admin_project_find(struct db *db, const char *s, struct admin_project *p)
{
	char		 id[WS_ID_LEN + 1];
	enum vn_err	 rc;

	if (strncmp(s, "ws_", 3) == 0 && strlen(s) == WS_ID_LEN &&
	    (rc = admin_project_get(db, s, p)) != VN_ENOTFOUND)
		return rc;
	if (!workspace_name_ok(s))
		return VN_ENOTFOUND;
	if ((rc = workspace_find(db, s, id)) != VN_OK)
		return rc;
	return admin_project_get(db, id, p);
}

enum vn_err
admin_project_list(struct db *db, int include_archived,
    const struct admin_page *pg, admin_each each, void *arg, int *more)
{
	struct admin_project	 p;
	sqlite3_stmt		*st;
	int64_t			 from;
	enum vn_err		 rc;

	if ((rc = admin_cursor(db, STMT_PROJ_ROWID, pg->after, NULL,
	    &from)) != VN_OK)
		return rc;
	if ((st = db_stmt(db, STMT_PROJ_LIST)) == NULL)
		return VN_ESTORE;
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int(st, 2, include_archived != 0);
	sqlite3_bind_int64(st, 3, pg->limit + 1);
	return admin_list(db, st, pg->limit, project_row, &p, each, arg,
	    more);
}

/* {"id":ID,...}: the audit data of a change to id, with extra members. */
static enum vn_err
event_data(struct buf *b, const char *id, const char *key,
    const char *member, const char *value)
{
	enum vn_err	 rc;

	if ((rc = buf_addstr(b, "{\"id\":")) != VN_OK ||
	    (rc = buf_add_json_string(b, id, strlen(id))) != VN_OK)
		return rc;
	if (key != NULL && ((rc = buf_addf(b, ",\"%s\":{\"%s\":", key,
	    member)) != VN_OK || (rc = buf_add_json_string(b, value,
	    strlen(value))) != VN_OK || (rc = buf_addc(b, '}')) != VN_OK))
		return rc;
	return buf_addc(b, '}');
}

/*
 * Audit one change with data {"id":ID[,"key":{"member":VALUE}]}; the
 * transaction the change runs in is the caller's.
 */
static enum vn_err
audit(struct admin_env *env, const char *type, const char *project,
    const char *id, const char *key, const char *member, const char *value)
{
	struct buf	 b;
	enum vn_err	 rc;

	buf_init(&b, 4096);
	if ((rc = event_data(&b, id, key, member, value)) == VN_OK)
		rc = admin_audit_add(env, type, project, id, b.data);
	buf_free(&b);
	return rc;
}

/*
 * Create a project.  VN_EINVAL: not a workspace name (workspace.h);
 * VN_ECONFLICT: the name is taken.
 */
enum vn_err
admin_project_create(struct admin_env *env, const char *name,
    struct admin_project *p)
{
	char		 id[WS_ID_LEN + 1];
	enum vn_err	 rc;

	if (!workspace_name_ok(name))
		return VN_EINVAL;
	if ((rc = db_begin(env->db)) != VN_OK)
		return rc;
	if ((rc = workspace_create(env->db, name, id)) == VN_OK &&
	    (rc = admin_project_get(env->db, id, p)) == VN_OK)
		rc = audit(env, "project.created", id, id, "data", "name",
		    name);
	return db_end(env->db, rc);
}

/* Rename a project; archived ones too (OpenAI allows it). */
enum vn_err
admin_project_rename(struct admin_env *env, const char *id,
    const char *name, struct admin_project *p)
{
	sqlite3_stmt	*st;
	enum vn_err	 rc;

	if (!workspace_name_ok(name))
		return VN_EINVAL;
	if ((rc = db_begin(env->db)) != VN_OK)
		return rc;
	if ((rc = admin_project_get(env->db, id, p)) != VN_OK)
		goto out;
	if ((st = db_stmt(env->db, STMT_PROJ_RENAME)) == NULL) {
		rc = VN_ESTORE;
		goto out;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	rc = db_rc(env->db, sqlite3_step(st), "project rename");
	sqlite3_reset(st);
	if (rc == VN_OK) {
		snprintf(p->name, sizeof(p->name), "%s", name);
		rc = audit(env, "project.updated", id, id,
		    "changes_requested", "title", name);
	}
out:
	return db_end(env->db, rc);
}

/*
 * Archive a project: its keys stop at once (the key generation is
 * bumped after the commit), its objects stay.  Archiving an archived
 * project answers it as it is, without a second audit row.
 */
enum vn_err
admin_project_archive(struct admin_env *env, const char *id,
    struct admin_project *p)
{
	sqlite3_stmt	*st;
	time_t		 now = time(NULL);
	enum vn_err	 rc;
	int		 changed = 0;

	if ((rc = db_begin(env->db)) != VN_OK)
		return rc;
	if ((rc = admin_project_get(env->db, id, p)) != VN_OK ||
	    p->archived_at != 0)
		goto out;
	if ((st = db_stmt(env->db, STMT_PROJ_ARCHIVE)) == NULL) {
		rc = VN_ESTORE;
		goto out;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
	rc = db_rc(env->db, sqlite3_step(st), "project archive");
	sqlite3_reset(st);
	if (rc == VN_OK) {
		p->archived_at = (int64_t)now;
		changed = 1;
		rc = audit(env, "project.archived", id, id, NULL, NULL, NULL);
	}
out:
	if ((rc = db_end(env->db, rc)) == VN_OK && changed)
		admin_changed_keys(env);
	return rc;
}

static int
akey_row(sqlite3_stmt *st, void *obj)
{
	struct admin_key	*k = obj;
	char			 tail[APIKEY_TAIL_LEN + 1];

	memset(k, 0, sizeof(*k));
	db_col_copy(st, 0, k->id, sizeof(k->id));
	db_col_copy(st, 1, k->name, sizeof(k->name));
	db_col_copy(st, 2, tail, sizeof(tail));
	apikey_redact(APIKEY_ADMIN, tail, k->redacted);
	k->created_at = sqlite3_column_int64(st, 3);
	k->expires_at = sqlite3_column_int64(st, 4);
	k->last_used_at = sqlite3_column_int64(st, 5);
	db_col_copy(st, 6, k->owner, sizeof(k->owner));
	return 0;
}

enum vn_err
admin_akey_get(struct db *db, const char *id, struct admin_key *k)
{
	sqlite3_stmt	*st;
	int		 rc;

	/* k may hold id (k->id): untouched until the row is read. */
	if ((st = db_stmt(db, STMT_AKEY_GET)) == NULL)
		return VN_ESTORE;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		akey_row(st, k);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return VN_OK;
	return rc == SQLITE_DONE ? VN_ENOTFOUND : db_rc(db, rc, "admin key");
}

enum vn_err
admin_akey_list(struct db *db, const struct admin_page *pg,
    admin_each each, void *arg, int *more)
{
	struct admin_key	 k;
	sqlite3_stmt		*st;
	int64_t			 from;
	enum vn_err		 rc;

	if ((rc = admin_cursor(db, STMT_AKEY_SEQ, pg->after, NULL,
	    &from)) != VN_OK)
		return rc;
	if ((st = db_stmt(db, STMT_AKEY_LIST)) == NULL)
		return VN_ESTORE;
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, pg->limit + 1);
	return admin_list(db, st, pg->limit, akey_row, &k, each, arg, more);
}

/*
 * Mint an admin key (expires_in seconds, 0 for never).  key receives
 * the only copy of the secret; the caller shows it once and wipes it.
 */
enum vn_err
admin_akey_create(struct admin_env *env, const char *name,
    int64_t expires_in, struct admin_key *k, char key[APIKEY_MAX_LEN + 1])
{
	unsigned char	 hash[APIKEY_HASH_LEN];
	char		 id[APIKEY_ID_LEN + 1];
	size_t		 len;
	sqlite3_stmt	*st;
	time_t		 now = time(NULL);
	enum vn_err	 rc;

	apikey_generate_kind(APIKEY_ADMIN, key, id);
	len = apikey_len(APIKEY_ADMIN);
	apikey_hash(key, len, env->pepper, hash);
	if ((rc = db_begin(env->db)) != VN_OK)
		goto out;
	if ((st = db_stmt(env->db, STMT_AKEY_INSERT)) == NULL) {
		rc = VN_ESTORE;
		goto out;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (name != NULL)
		sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, hash, sizeof(hash), SQLITE_STATIC);
	sqlite3_bind_int(st, 4, PEPPER_VERSION);
	sqlite3_bind_text(st, 5, key + len - APIKEY_TAIL_LEN, -1,
	    SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)now);
	if (expires_in > 0)
		sqlite3_bind_int64(st, 7, (sqlite3_int64)now + expires_in);
	sqlite3_bind_text(st, 8, env->actor.id, -1, SQLITE_STATIC);
	rc = db_rc(env->db, sqlite3_step(st), "admin key insert");
	sqlite3_reset(st);
	if (rc == VN_OK)
		rc = audit(env, "api_key.created", NULL, id, NULL, NULL, NULL);
	if (rc == VN_OK)
		rc = admin_akey_get(env->db, id, k);
out:
	rc = db_end(env->db, rc);
	if (rc != VN_OK)
		sodium_memzero(key, APIKEY_MAX_LEN + 1);
	sodium_memzero(hash, sizeof(hash));
	return rc;
}

/*
 * Delete (revoke) an admin key, the last one too: vennactl on the host
 * can always mint another.  VN_ENOTFOUND if no active key has this id.
 */
enum vn_err
admin_akey_delete(struct admin_env *env, const char *id)
{
	sqlite3_stmt	*st;
	enum vn_err	 rc;

	if ((rc = db_begin(env->db)) != VN_OK)
		return rc;
	if ((st = db_stmt(env->db, STMT_AKEY_REVOKE)) == NULL) {
		rc = VN_ESTORE;
		goto out;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL));
	rc = db_rc(env->db, sqlite3_step(st), "admin key revoke");
	sqlite3_reset(st);
	if (rc == VN_OK && db_changes(env->db) == 0)
		rc = VN_ENOTFOUND;
	if (rc == VN_OK)
		rc = audit(env, "api_key.deleted", NULL, id, NULL, NULL, NULL);
out:
	if ((rc = db_end(env->db, rc)) == VN_OK)
		admin_changed_keys(env);
	return rc;
}
