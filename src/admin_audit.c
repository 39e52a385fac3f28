/*
 * admin_audit.c: the audit log.  Rows are only ever inserted, in the
 * transaction of the change they record (so a change and its row
 * commit or vanish together); the schema's triggers refuse UPDATE and
 * DELETE.  Reading is newest first, with OpenAI's filters.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "admin.h"
#include "db.h"
#include "ids.h"

/*
 * Record that env's actor did type to resource_id (in project, or
 * NULL), data being the event's JSON object.  Within the caller's
 * transaction.
 */
enum vn_err
admin_audit_add(struct admin_env *env, const char *type,
    const char *project, const char *resource_id, const char *data)
{
	char		 id[ADMIN_AUDIT_ID_LEN + 1];
	sqlite3_stmt	*st;
	enum vn_err	 rc;

	ids_new(id, sizeof(id), "audit_", ADMIN_AUDIT_ID_LEN - 6);
	if ((st = db_stmt(env->db, STMT_AUDIT_INSERT)) == NULL)
		return VN_ESTORE;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, type, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)time(NULL));
	if (project != NULL)
		sqlite3_bind_text(st, 4, project, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, env->actor.type, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, env->actor.id, -1, SQLITE_STATIC);
	if (env->actor.ip[0] != '\0')
		sqlite3_bind_text(st, 7, env->actor.ip, -1, SQLITE_STATIC);
	if (resource_id != NULL)
		sqlite3_bind_text(st, 8, resource_id, -1, SQLITE_STATIC);
	if (data != NULL)
		sqlite3_bind_text(st, 9, data, -1, SQLITE_STATIC);
	rc = db_rc(env->db, sqlite3_step(st), "audit insert");
	sqlite3_reset(st);
	return rc;
}

static int
audit_row(sqlite3_stmt *st, void *obj)
{
	struct admin_audit	*a = obj;

	memset(a, 0, sizeof(*a));
	db_col_copy(st, 0, a->id, sizeof(a->id));
	db_col_copy(st, 1, a->type, sizeof(a->type));
	a->effective_at = sqlite3_column_int64(st, 2);
	db_col_copy(st, 3, a->project_id, sizeof(a->project_id));
	db_col_copy(st, 4, a->actor_type, sizeof(a->actor_type));
	db_col_copy(st, 5, a->actor_id, sizeof(a->actor_id));
	db_col_copy(st, 6, a->actor_ip, sizeof(a->actor_ip));
	db_col_copy(st, 7, a->resource_id, sizeof(a->resource_id));
	/* Data we wrote, well under the cap; cut, it would be invalid. */
	if (sqlite3_column_bytes(st, 8) < (int)sizeof(a->data))
		db_col_copy(st, 8, a->data, sizeof(a->data));
	db_col_copy(st, 9, a->project_name, sizeof(a->project_name));
	return 0;
}

static void
bind_list(sqlite3_stmt *st, int i, const char *json)
{
	if (json != NULL)
		sqlite3_bind_text(st, i, json, -1, SQLITE_STATIC);
}

/* Collect rows in order, to hand them out reversed. */
struct collect {
	struct admin_audit	*rows;
	long			 n;
};

static int
collect_each(void *arg, const void *obj)
{
	struct collect	*c = arg;

	memcpy(&c->rows[c->n++], obj, sizeof(c->rows[0]));
	return 0;
}

/*
 * The rows f selects, newest first, at most f->limit of them: the
 * newest ones older than f->after, or with only f->before, the oldest
 * ones newer than it (the page before, as a client paging back expects
 * it).  *more tells whether the list goes on in that direction.
 */
enum vn_err
admin_audit_list(struct db *db, const struct admin_audit_filter *f,
    admin_each each, void *arg, int *more)
{
	struct admin_audit	 a;
	struct collect		 col = { NULL, 0 };
	sqlite3_stmt		*st;
	int64_t			 after, before;
	int			 back = f->before != NULL && f->after == NULL;
	long			 i;
	enum vn_err		 rc;

	if ((rc = admin_cursor(db, STMT_AUDIT_SEQ, f->after, NULL,
	    &after)) != VN_OK ||
	    (rc = admin_cursor(db, STMT_AUDIT_SEQ, f->before, NULL,
	    &before)) != VN_OK)
		return rc;
	if ((st = db_stmt(db, back ? STMT_AUDIT_LIST_ASC :
	    STMT_AUDIT_LIST)) == NULL)
		return VN_ESTORE;
	sqlite3_bind_int64(st, 1, f->after != NULL ? after : INT64_MAX);
	sqlite3_bind_int64(st, 2, f->before != NULL ? before : 0);
	sqlite3_bind_int64(st, 3, f->gt);
	sqlite3_bind_int64(st, 4, f->lt);
	bind_list(st, 5, f->project_ids);
	bind_list(st, 6, f->event_types);
	bind_list(st, 7, f->actor_ids);
	bind_list(st, 8, f->resource_ids);
	sqlite3_bind_int64(st, 9, f->limit + 1);
	if (!back)
		return admin_list(db, st, f->limit, audit_row, &a, each, arg,
		    more);
	if ((col.rows = calloc((size_t)f->limit, sizeof(col.rows[0]))) ==
	    NULL) {
		sqlite3_reset(st);
		return VN_ENOMEM;
	}
	rc = admin_list(db, st, f->limit, audit_row, &a, collect_each, &col,
	    more);
	for (i = col.n - 1; rc == VN_OK && i >= 0; i--)
		if (each(arg, &col.rows[i]) != 0)
			rc = VN_ENOMEM;
	free(col.rows);
	return rc;
}
