/*
 * admin_limits_alerts.c: spend alerts, the organization's and each
 * project's, as the Admin API changes them (admin_limits.h).  An alert
 * is kept with its threshold in picodollars, its recipients as the
 * JSON array the API shows, and the month it last fired in
 * (limits_store.c fires it).  As the rest of admin_limits.c: one
 * transaction per change with its audit row, then limiter_bump().
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "admin.h"
#include "admin_limits.h"
#include "buf.h"
#include "db.h"
#include "ids.h"
#include "limits_store.h"

/* ---- spend alerts ---- */

/*
 * An address a spend alert is for, as RFC 5322's dot-atom: a local part
 * of atext and dots (not starting with '-', which a script could take
 * for an option), '@', a domain of letters, digits, '-' and dots.  No
 * blank, quote, backslash or parenthesis: nothing to escape in JSON,
 * nothing for a shell to expand.  Pure.
 */
int
admin_email_ok(const char *s)
{
	static const char atext[] = "!#$%&'*+-/=?^_`{|}~.";
	const char	*at = strchr(s, '@'), *p;
	size_t		 n = strlen(s);

	if (n < 3 || n > ADMIN_EMAIL_MAX || at == NULL || at == s ||
	    at[1] == '\0' || *s == '-' || *s == '.')
		return 0;
	for (p = s; p < at; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr(atext, *p) != NULL))
			return 0;
	for (p = at + 1; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.'))
			return 0;
	return 1;
}

static int
alert_row(sqlite3_stmt *st, void *obj)
{
	struct admin_alert	*a = obj;

	memset(a, 0, sizeof(*a));
	db_col_copy(st, 0, a->id, sizeof(a->id));
	a->threshold_pusd = sqlite3_column_int64(st, 1);
	/* What we wrote fits; anything else would be cut to bad JSON. */
	if (sqlite3_column_bytes(st, 2) < (int)sizeof(a->recipients))
		db_col_copy(st, 2, a->recipients, sizeof(a->recipients));
	else
		snprintf(a->recipients, sizeof(a->recipients), "[]");
	if ((a->has_subject = sqlite3_column_type(st, 3) != SQLITE_NULL))
		db_col_copy(st, 3, a->subject, sizeof(a->subject));
	a->created_at = sqlite3_column_int64(st, 4);
	a->fired_month = sqlite3_column_int64(st, 5);
	return 0;
}

/* An alert of a scope, within the caller's transaction or not. */
static enum vn_err
alert_read(struct db *db, const char *project_id, const char *id,
    struct admin_alert *a)
{
	sqlite3_stmt	*st;
	int		 step;

	if ((st = db_stmt(db, STMT_ALERT_GET)) == NULL)
		return VN_ESTORE;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, admin_limits_scope(project_id),
	    -1, SQLITE_STATIC);
	if ((step = sqlite3_step(st)) == SQLITE_ROW)
		alert_row(st, a);
	sqlite3_reset(st);
	if (step == SQLITE_ROW)
		return VN_OK;
	return step == SQLITE_DONE ? VN_ENOTFOUND : db_rc(db, step, "alert");
}

/* {"id":..,"threshold_amount":..} and the rest: an alert's audit value. */
static enum vn_err
alert_audit(struct admin_env *env, const char *project_id,
    const struct admin_alert *a, int deleted)
{
	struct buf	 b;
	enum vn_err	 rc;

	buf_init(&b, ADMIN_LIMITS_AUDIT_MAX);
	if ((rc = buf_addstr(&b, "{\"id\":")) == VN_OK &&
	    (rc = buf_add_json_string(&b, a->id, strlen(a->id))) == VN_OK)
		rc = deleted ? buf_addstr(&b, ",\"deleted\":true}") :
		    buf_addf(&b, ",\"threshold_amount\":%lld,\"currency\":"
		    "\"USD\",\"interval\":\"month\"}", (long long)
		    (a->threshold_pusd / LIMITS_PUSD_PER_CENT));
	if (rc == VN_OK)
		rc = admin_limits_audit(env, project_id, a->id, "spend_alert",
		    b.data);
	buf_free(&b);
	return rc;
}

static void
alert_bind(sqlite3_stmt *st, const struct admin_alert *in)
{
	sqlite3_bind_int64(st, 3, in->threshold_pusd);
	sqlite3_bind_text(st, 4, in->recipients, -1, SQLITE_STATIC);
	if (in->has_subject)
		sqlite3_bind_text(st, 5, in->subject, -1, SQLITE_STATIC);
}

/*
 * Create a spend alert from in (threshold, recipients, subject).
 * VN_EINVAL: the scope has ADMIN_ALERTS_MAX already.
 */
enum vn_err
admin_alert_create(struct admin_env *env, const char *project_id,
    const struct admin_alert *in, struct admin_alert *out)
{
	sqlite3_stmt	*st;
	char		 id[ADMIN_ALERT_ID_LEN + 1];
	int		 step;
	enum vn_err	 rc;

	ids_new(id, sizeof(id), "alert_", ADMIN_ALERT_ID_LEN - 6);
	if ((rc = db_begin(env->db)) != VN_OK)
		return rc;
	if ((rc = admin_project_open(env->db, project_id, 1)) != VN_OK)
		goto out;
	if ((st = db_stmt(env->db, STMT_ALERT_COUNT)) == NULL) {
		rc = VN_ESTORE;
		goto out;
	}
	sqlite3_bind_text(st, 1, admin_limits_scope(project_id),
	    -1, SQLITE_STATIC);
	if ((step = sqlite3_step(st)) == SQLITE_ROW &&
	    sqlite3_column_int64(st, 0) >= ADMIN_ALERTS_MAX)
		rc = VN_EINVAL;
	else if (step != SQLITE_ROW)
		rc = db_rc(env->db, step, "alert count");
	sqlite3_reset(st);
	if (rc != VN_OK)
		goto out;
	if ((st = db_stmt(env->db, STMT_ALERT_INSERT)) == NULL) {
		rc = VN_ESTORE;
		goto out;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, admin_limits_scope(project_id),
	    -1, SQLITE_STATIC);
	alert_bind(st, in);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)time(NULL));
	rc = db_rc(env->db, sqlite3_step(st), "alert insert");
	sqlite3_reset(st);
	if (rc == VN_OK && (rc = alert_read(env->db, project_id, id, out)) ==
	    VN_OK)
		rc = alert_audit(env, project_id, out, 0);
out:
	if ((rc = db_end(env->db, rc)) == VN_OK)
		admin_changed_limits(env);
	return rc;
}

enum vn_err
admin_alert_get(struct db *db, const char *project_id, const char *id,
    struct admin_alert *a)
{
	enum vn_err	 rc;

	if ((rc = admin_project_open(db, project_id, 0)) != VN_OK)
		return rc;
	return alert_read(db, project_id, id, a);
}

/* Collect a page to hand it out reversed. */
struct collect {
	struct admin_alert	*rows;
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
 * A page of a scope's alerts, oldest first (pg->desc: newest first).
 * With pg->before alone, the page just before that alert, in the same
 * order.  VN_EINVAL: a cursor that names no alert of the scope.
 */
enum vn_err
admin_alert_list(struct db *db, const char *project_id,
    const struct admin_cursor_page *pg, admin_each each, void *arg,
    int *more)
{
	struct admin_alert	 a;
	struct collect		 col = { NULL, 0 };
	sqlite3_stmt		*st;
	int64_t			 after, before, lo, hi;
	int			 back = pg->before != NULL && pg->after == NULL;
	long			 i;
	enum vn_err		 rc;

	*more = 0;
	if ((rc = admin_project_open(db, project_id, 0)) != VN_OK ||
	    (rc = admin_cursor(db, STMT_ALERT_SEQ, pg->after,
	    admin_limits_scope(project_id), &after)) != VN_OK ||
	    (rc = admin_cursor(db, STMT_ALERT_SEQ, pg->before,
	    admin_limits_scope(project_id), &before)) != VN_OK)
		return rc;
	/* The open interval (lo, hi) of seqs between the cursors. */
	lo = 0;
	hi = INT64_MAX;
	if (pg->after != NULL)
		*(pg->desc ? &hi : &lo) = after;
	if (pg->before != NULL)
		*(pg->desc ? &lo : &hi) = before;
	if ((st = db_stmt(db, pg->desc != back ? STMT_ALERT_LIST_DESC :
	    STMT_ALERT_LIST_ASC)) == NULL)
		return VN_ESTORE;
	sqlite3_bind_text(st, 1, admin_limits_scope(project_id),
	    -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, lo);
	sqlite3_bind_int64(st, 3, hi);
	sqlite3_bind_int64(st, 4, pg->limit + 1);
	if (!back)
		return admin_list(db, st, pg->limit, alert_row, &a, each, arg,
		    more);
	if (pg->limit > 0 && (col.rows = calloc((size_t)pg->limit,
	    sizeof(col.rows[0]))) == NULL) {
		sqlite3_reset(st);
		return VN_ENOMEM;
	}
	rc = admin_list(db, st, pg->limit, alert_row, &a, collect_each, &col,
	    more);
	for (i = col.n - 1; rc == VN_OK && i >= 0; i--)
		if (each(arg, &col.rows[i]) != 0)
			rc = VN_ENOMEM;
	free(col.rows);
	return rc;
}

/* Replace an alert's threshold, recipients and subject. */
enum vn_err
admin_alert_update(struct admin_env *env, const char *project_id,
    const char *id, const struct admin_alert *in, struct admin_alert *out)
{
	sqlite3_stmt	*st;
	enum vn_err	 rc;

	if ((rc = db_begin(env->db)) != VN_OK)
		return rc;
	if ((rc = admin_project_open(env->db, project_id, 1)) != VN_OK)
		goto out;
	if ((st = db_stmt(env->db, STMT_ALERT_UPDATE)) == NULL) {
		rc = VN_ESTORE;
		goto out;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, admin_limits_scope(project_id),
	    -1, SQLITE_STATIC);
	alert_bind(st, in);
	rc = db_rc(env->db, sqlite3_step(st), "alert update");
	sqlite3_reset(st);
	if (rc == VN_OK && db_changes(env->db) == 0)
		rc = VN_ENOTFOUND;
	if (rc == VN_OK && (rc = alert_read(env->db, project_id, id, out)) ==
	    VN_OK)
		rc = alert_audit(env, project_id, out, 0);
out:
	if ((rc = db_end(env->db, rc)) == VN_OK)
		admin_changed_limits(env);
	return rc;
}

enum vn_err
admin_alert_delete(struct admin_env *env, const char *project_id,
    const char *id)
{
	struct admin_alert	 a;
	sqlite3_stmt		*st;
	enum vn_err		 rc;

	if ((rc = db_begin(env->db)) != VN_OK)
		return rc;
	if ((rc = admin_project_open(env->db, project_id, 1)) != VN_OK)
		goto out;
	if ((st = db_stmt(env->db, STMT_ALERT_DELETE)) == NULL) {
		rc = VN_ESTORE;
		goto out;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, admin_limits_scope(project_id),
	    -1, SQLITE_STATIC);
	rc = db_rc(env->db, sqlite3_step(st), "alert delete");
	sqlite3_reset(st);
	if (rc == VN_OK && db_changes(env->db) == 0)
		rc = VN_ENOTFOUND;
	if (rc == VN_OK) {
		memset(&a, 0, sizeof(a));
		snprintf(a.id, sizeof(a.id), "%s", id);
		rc = alert_audit(env, project_id, &a, 1);
	}
out:
	if ((rc = db_end(env->db, rc)) == VN_OK)
		admin_changed_limits(env);
	return rc;
}
