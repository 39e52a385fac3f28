/*
 * admin_limits.c: the stored limits as the Admin API and vennactl
 * change them (admin_limits.h).  Each change runs in one transaction
 * with its audit row, then bumps the limits generation so that every
 * process drops what it cached (limits_store.c).  The audit events are
 * the OpenAPI document's: rate_limit.updated for a rate limit,
 * api_key.updated for a key's limits, and project.updated or
 * organization.updated, with what was asked in changes_requested, for
 * the settings the document has no event of their own for.
 *
 * A project that is archived keeps what it had, readable; it takes no
 * change (VN_ECONFLICT), as it takes no new key (admin_keys.c).
 * Spend alerts are admin_limits_alerts.c's.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "admin.h"
#include "admin_limits.h"
#include "buf.h"
#include "cfg.h"
#include "db.h"
#include "limiter.h"
#include "limits_store.h"
#include "log.h"

#define AUDIT_MAX	ADMIN_LIMITS_AUDIT_MAX
#define ORG_ID		"organization"

const char *const admin_limit_names[LIM__N] = {
	[LIM_RPM] = "max_requests_per_1_minute",
	[LIM_TPM] = "max_tokens_per_1_minute",
	[LIM_RPD] = "max_requests_per_1_day",
	[LIM_BATCH_TPD] = "batch_1_day_max_input_tokens",
};

/*
 * This process's handle on the limits generation, opened at the first
 * change (a worker serving the Admin API, vennactl) and kept.
 */
static pthread_mutex_t	 lim_mu = PTHREAD_MUTEX_INITIALIZER;
static struct limiter	*lim;

/*
 * Limits changed (committed): tell every process.  Should the segment
 * be out of reach, wait until their cached rows have expired, so that
 * the change is in force everywhere when this returns, as a key's
 * revocation is (admin_changed_keys()).
 */
void
admin_changed_limits(const struct admin_env *env)
{
	struct timespec	 ts;
	char		 e[VN_ERRMSG];
	int		 told = 0;

	e[0] = '\0';
	pthread_mutex_lock(&lim_mu);
	if (lim == NULL && env->database != NULL &&
	    limiter_open(env->database, &lim, e, sizeof(e)) != VN_OK)
		lim = NULL;
	if (lim != NULL) {
		limiter_bump(lim);
		told = 1;
	}
	pthread_mutex_unlock(&lim_mu);
	if (told)
		return;
	log_warn("limits changed but the workers could not be told (%s): "
	    "waiting until their caches expire", e[0] != '\0' ? e :
	    "no database");
	ts.tv_sec = (LIMITS_CACHE_MS + 100) / 1000;
	ts.tv_nsec = ((LIMITS_CACHE_MS + 100) % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		continue;
}

/*
 * The project id names, when it is not NULL (the organization): one
 * that exists (VN_ENOTFOUND) and, to_change, is not archived
 * (VN_ECONFLICT).
 */
enum vn_err
admin_project_open(struct db *db, const char *id, int to_change)
{
	struct admin_project	 p;
	enum vn_err		 rc;

	if (id == NULL)
		return VN_OK;
	if ((rc = admin_project_get(db, id, &p)) == VN_OK && to_change &&
	    p.archived_at != 0)
		rc = VN_ECONFLICT;
	return rc;
}

/* The scope column of a project, or the organization's ''. */
const char *
admin_limits_scope(const char *project_id)
{
	return project_id != NULL ? project_id : "";
}

/*
 * Audit a change of a project's (or the organization's) settings:
 * {"id":ID,"changes_requested":{"what":VALUE}}, VALUE being JSON.
 */
enum vn_err
admin_limits_audit(struct admin_env *env, const char *project_id,
    const char *resource, const char *what, const char *value)
{
	struct buf	 b;
	const char	*id = project_id != NULL ? project_id : ORG_ID;
	enum vn_err	 rc;

	buf_init(&b, AUDIT_MAX);
	if ((rc = buf_addstr(&b, "{\"id\":")) == VN_OK &&
	    (rc = buf_add_json_string(&b, id, strlen(id))) == VN_OK &&
	    (rc = buf_addf(&b, ",\"changes_requested\":{\"%s\":", what)) ==
	    VN_OK && (rc = buf_addstr(&b, value)) == VN_OK)
		rc = buf_addstr(&b, "}}");
	if (rc == VN_OK)
		rc = admin_audit_add(env, project_id != NULL ?
		    "project.updated" : "organization.updated", project_id,
		    resource, b.data);
	buf_free(&b);
	return rc;
}

/*
 * Audit a change of limits (a rate limit, a key's): data
 * {"id":ID,"changes_requested":{name:value, ...}}.  A limit put back
 * to its default is named in "reset_to_default" rather than given as
 * null: the document types each limit an integer.
 */
static enum vn_err
audit_limits(struct admin_env *env, const char *type, const char *project_id,
    const char *id, const struct admin_limit_change *ch)
{
	struct buf	 b;
	enum vn_err	 rc;
	int		 i, n = 0, k = 0;

	buf_init(&b, AUDIT_MAX);
	if ((rc = buf_addstr(&b, "{\"id\":")) == VN_OK &&
	    (rc = buf_add_json_string(&b, id, strlen(id))) == VN_OK)
		rc = buf_addstr(&b, ",\"changes_requested\":{");
	for (i = 0; rc == VN_OK && i < LIM__N; i++)
		if (ch->set[i] && ch->val[i] >= 0)
			rc = buf_addf(&b, "%s\"%s\":%lld", n++ > 0 ? "," : "",
			    admin_limit_names[i], (long long)ch->val[i]);
	for (i = 0, k = 0; rc == VN_OK && i < LIM__N; i++)
		if (ch->set[i] && ch->val[i] < 0)
			rc = buf_addf(&b, "%s\"%s\"", k++ > 0 ? "," :
			    n++ > 0 ? ",\"reset_to_default\":[" :
			    "\"reset_to_default\":[", admin_limit_names[i]);
	if (rc == VN_OK && k > 0)
		rc = buf_addc(&b, ']');
	if (rc == VN_OK && (rc = buf_addstr(&b, "}}")) == VN_OK)
		rc = admin_audit_add(env, type, project_id, id, b.data);
	buf_free(&b);
	return rc;
}

static int
any_set(const struct admin_limit_change *ch)
{
	int	 i;

	for (i = 0; i < LIM__N; i++)
		if (ch->set[i])
			return 1;
	return 0;
}

/* ---- rate limits ---- */

/* The model a rate limit id ("rl-MODEL") names, or NULL. */
const struct cfg_model *
admin_rl_model(const struct cfg *cfg, const char *id)
{
	size_t	 n = sizeof(ADMIN_RL_PREFIX) - 1;

	if (strncmp(id, ADMIN_RL_PREFIX, n) != 0)
		return NULL;
	return cfg_model_find(cfg, id + n);
}

/* A project's overrides for model m; -1 where there is none. */
static enum vn_err
rl_read(struct db *db, const char *project_id, const char *model,
    int64_t ovr[LIM__N])
{
	sqlite3_stmt	*st;
	int		 i, step;

	for (i = 0; i < LIM__N; i++)
		ovr[i] = -1;
	if ((st = db_stmt(db, STMT_RL_GET)) == NULL)
		return VN_ESTORE;
	sqlite3_bind_text(st, 1, project_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, model, -1, SQLITE_STATIC);
	if ((step = sqlite3_step(st)) == SQLITE_ROW)
		for (i = 0; i < LIM__N; i++)
			if (sqlite3_column_type(st, i) != SQLITE_NULL)
				ovr[i] = sqlite3_column_int64(st, i);
	sqlite3_reset(st);
	return step == SQLITE_ROW || step == SQLITE_DONE ? VN_OK :
	    db_rc(db, step, "rate limit");
}

static void
rl_fill(const struct cfg_model *m, const int64_t ovr[LIM__N],
    struct admin_rate_limit *r)
{
	int	 i;

	memset(r, 0, sizeof(*r));
	snprintf(r->id, sizeof(r->id), "%s%s", ADMIN_RL_PREFIX, m->name);
	snprintf(r->model, sizeof(r->model), "%s", m->name);
	for (i = 0; i < LIM__N; i++) {
		r->ovr[i] = ovr[i];
		r->max[i] = ovr[i] >= 0 ? ovr[i] : m->limits.max[i];
	}
}

/* A project's rate limit for model m.  VN_ENOTFOUND: no project. */
enum vn_err
admin_rl_get(struct db *db, const struct cfg *cfg, const char *project_id,
    const struct cfg_model *m, struct admin_rate_limit *r)
{
	int64_t		 ovr[LIM__N];
	enum vn_err	 rc;

	if ((rc = admin_project_open(db, project_id, 0)) != VN_OK ||
	    (rc = rl_read(db, project_id, m->name, ovr)) != VN_OK)
		return rc;
	rl_fill(m, ovr, r);
	return VN_OK;
}

/* The index in cfg->models of a rate limit id; -1: none. */
static long
rl_index(const struct cfg *cfg, const char *id)
{
	const struct cfg_model	*m;

	if ((m = admin_rl_model(cfg, id)) == NULL)
		return -1;
	return (long)(m - cfg->models);
}

/*
 * A page of a project's rate limits, one per configured model in
 * venna.conf's order.  VN_EINVAL: a cursor that names no model.
 */
enum vn_err
admin_rl_list(struct db *db, const struct cfg *cfg, const char *project_id,
    const struct admin_cursor_page *pg, admin_each each, void *arg,
    int *more)
{
	struct admin_rate_limit	 r;
	int64_t			 ovr[LIM__N];
	long			 lo = 0, hi = (long)cfg->nmodels, start, end;
	long			 i;
	enum vn_err		 rc;

	*more = 0;
	if ((rc = admin_project_open(db, project_id, 0)) != VN_OK)
		return rc;
	if (pg->after != NULL && (lo = rl_index(cfg, pg->after) + 1) == 0)
		return VN_EINVAL;
	if (pg->before != NULL && (hi = rl_index(cfg, pg->before)) == -1)
		return VN_EINVAL;
	/* With before alone, the page just before it (paging back). */
	if (pg->before != NULL && pg->after == NULL) {
		start = hi - pg->limit > lo ? hi - pg->limit : lo;
		end = hi;
		*more = start > lo;
	} else {
		start = lo;
		end = hi - lo > pg->limit ? lo + pg->limit : hi;
		*more = end < hi;
	}
	for (i = start; i < end; i++) {
		if ((rc = rl_read(db, project_id, cfg->models[i].name, ovr)) !=
		    VN_OK)
			return rc;
		rl_fill(&cfg->models[i], ovr, &r);
		if (each(arg, &r) != 0)
			return VN_ENOMEM;
	}
	return VN_OK;
}

/*
 * Change a project's rate limit for model m as ch says (a value of -1
 * puts a limit back to the model's default); *r gets the result.
 * Nothing set: *r is the limit as it is, nothing is written.
 */
enum vn_err
admin_rl_update(struct admin_env *env, const struct cfg *cfg,
    const char *project_id, const struct cfg_model *m,
    const struct admin_limit_change *ch, struct admin_rate_limit *r)
{
	sqlite3_stmt	*st;
	int64_t		 ovr[LIM__N];
	int		 i, none = 1, changed = 0;
	enum vn_err	 rc;

	if (!any_set(ch))
		return admin_rl_get(env->db, cfg, project_id, m, r);
	if ((rc = db_begin(env->db)) != VN_OK)
		return rc;
	if ((rc = admin_project_open(env->db, project_id, 1)) != VN_OK ||
	    (rc = rl_read(env->db, project_id, m->name, ovr)) != VN_OK)
		goto out;
	for (i = 0; i < LIM__N; i++) {
		if (ch->set[i])
			ovr[i] = ch->val[i] >= 0 ? ch->val[i] : -1;
		if (ovr[i] >= 0)
			none = 0;
	}
	/* No override left: no row, rather than a row of NULLs. */
	if ((st = db_stmt(env->db, none ? STMT_RL_DROP : STMT_RL_SET)) ==
	    NULL) {
		rc = VN_ESTORE;
		goto out;
	}
	sqlite3_bind_text(st, 1, project_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, m->name, -1, SQLITE_STATIC);
	for (i = 0; !none && i < LIM__N; i++)
		if (ovr[i] >= 0)
			sqlite3_bind_int64(st, 3 + i, ovr[i]);
	if (!none)
		sqlite3_bind_int64(st, 7, (sqlite3_int64)time(NULL));
	rc = db_rc(env->db, sqlite3_step(st), "rate limit update");
	sqlite3_reset(st);
	rl_fill(m, ovr, r);
	if (rc == VN_OK && (rc = audit_limits(env, "rate_limit.updated",
	    project_id, r->id, ch)) == VN_OK)
		changed = 1;
out:
	if ((rc = db_end(env->db, rc)) == VN_OK && changed)
		admin_changed_limits(env);
	return rc;
}

/* ---- spend limits ---- */

/* A spend limit (NULL: the organization's) in *pusd; 0 when none. */
enum vn_err
admin_spend_get(struct db *db, const char *project_id, int64_t *pusd)
{
	sqlite3_stmt	*st;
	enum vn_err	 rc;
	int		 step;

	*pusd = 0;
	if ((rc = admin_project_open(db, project_id, 0)) != VN_OK)
		return rc;
	if ((st = db_stmt(db, STMT_SL_GET)) == NULL)
		return VN_ESTORE;
	sqlite3_bind_text(st, 1, admin_limits_scope(project_id),
	    -1, SQLITE_STATIC);
	if ((step = sqlite3_step(st)) == SQLITE_ROW)
		*pusd = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return step == SQLITE_ROW || step == SQLITE_DONE ? VN_OK :
	    db_rc(db, step, "spend limit");
}

static enum vn_err
spend_json(struct buf *b, int64_t pusd)
{
	if (pusd == 0)
		return buf_addstr(b, "null");
	return buf_addf(b, "{\"threshold_amount\":%lld,\"currency\":\"USD\","
	    "\"interval\":\"month\"}", (long long)(pusd /
	    LIMITS_PUSD_PER_CENT));
}

/* Set a spend limit of pusd (> 0) a month. */
enum vn_err
admin_spend_set(struct admin_env *env, const char *project_id, int64_t pusd)
{
	sqlite3_stmt	*st;
	struct buf	 b;
	enum vn_err	 rc;

	if (pusd <= 0)
		return VN_EINVAL;
	buf_init(&b, AUDIT_MAX);
	if ((rc = db_begin(env->db)) != VN_OK)
		goto out;
	if ((rc = admin_project_open(env->db, project_id, 1)) != VN_OK)
		goto end;
	if ((st = db_stmt(env->db, STMT_SL_SET)) == NULL) {
		rc = VN_ESTORE;
		goto end;
	}
	sqlite3_bind_text(st, 1, admin_limits_scope(project_id),
	    -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, pusd);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)time(NULL));
	rc = db_rc(env->db, sqlite3_step(st), "spend limit set");
	sqlite3_reset(st);
	if (rc == VN_OK && (rc = spend_json(&b, pusd)) == VN_OK)
		rc = admin_limits_audit(env, project_id, project_id,
		    "spend_limit", b.data);
end:
	if ((rc = db_end(env->db, rc)) == VN_OK)
		admin_changed_limits(env);
out:
	buf_free(&b);
	return rc;
}

/* Remove a spend limit; *existed tells whether there was one. */
enum vn_err
admin_spend_delete(struct admin_env *env, const char *project_id,
    int *existed)
{
	sqlite3_stmt	*st;
	enum vn_err	 rc;

	*existed = 0;
	if ((rc = db_begin(env->db)) != VN_OK)
		return rc;
	if ((rc = admin_project_open(env->db, project_id, 1)) != VN_OK)
		goto out;
	if ((st = db_stmt(env->db, STMT_SL_DROP)) == NULL) {
		rc = VN_ESTORE;
		goto out;
	}
	sqlite3_bind_text(st, 1, admin_limits_scope(project_id),
	    -1, SQLITE_STATIC);
	rc = db_rc(env->db, sqlite3_step(st), "spend limit delete");
	sqlite3_reset(st);
	if (rc == VN_OK && (*existed = db_changes(env->db) > 0))
		rc = admin_limits_audit(env, project_id, project_id,
		    "spend_limit", "null");
out:
	if ((rc = db_end(env->db, rc)) == VN_OK && *existed)
		admin_changed_limits(env);
	if (rc != VN_OK)
		*existed = 0;
	return rc;
}

/* ---- model permissions ---- */

void
admin_perm_free(struct admin_perm *p)
{
	free(p->model_ids);
	p->model_ids = NULL;
}

/*
 * A project's model permissions; mode "" and model_ids "[]" when none
 * are set (every model).  The caller frees with admin_perm_free().
 */
enum vn_err
admin_perm_get(struct db *db, const char *project_id, struct admin_perm *p)
{
	sqlite3_stmt	*st;
	enum vn_err	 rc;
	int		 step;

	memset(p, 0, sizeof(*p));
	if ((rc = admin_project_open(db, project_id, 0)) != VN_OK)
		return rc;
	if ((st = db_stmt(db, STMT_PERM_GET)) == NULL)
		return VN_ESTORE;
	sqlite3_bind_text(st, 1, project_id, -1, SQLITE_STATIC);
	if ((step = sqlite3_step(st)) == SQLITE_ROW) {
		db_col_copy(st, 0, p->mode, sizeof(p->mode));
		if (!db_col_dup(st, 1, &p->model_ids) || p->model_ids == NULL)
			rc = VN_ENOMEM;
	} else if (step != SQLITE_DONE)
		rc = db_rc(db, step, "model permissions");
	sqlite3_reset(st);
	if (rc == VN_OK && p->model_ids == NULL &&
	    (p->model_ids = strdup("[]")) == NULL)
		rc = VN_ENOMEM;
	if (rc != VN_OK)
		admin_perm_free(p);
	return rc;
}

/*
 * Set a project's model permissions: mode "allow_list" or
 * "deny_list", model_ids a JSON array of model names (the caller
 * checked them).  *p gets what is now set.
 */
enum vn_err
admin_perm_set(struct admin_env *env, const char *project_id,
    const char *mode, const char *model_ids, struct admin_perm *p)
{
	sqlite3_stmt	*st;
	struct buf	 b;
	enum vn_err	 rc;

	memset(p, 0, sizeof(*p));
	if (strcmp(mode, "allow_list") != 0 && strcmp(mode, "deny_list") != 0)
		return VN_EINVAL;
	buf_init(&b, AUDIT_MAX);
	if ((rc = db_begin(env->db)) != VN_OK)
		goto out;
	if ((rc = admin_project_open(env->db, project_id, 1)) != VN_OK)
		goto end;
	if ((st = db_stmt(env->db, STMT_PERM_SET)) == NULL) {
		rc = VN_ESTORE;
		goto end;
	}
	sqlite3_bind_text(st, 1, project_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, mode, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, model_ids, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)time(NULL));
	rc = db_rc(env->db, sqlite3_step(st), "model permissions set");
	sqlite3_reset(st);
	/* The list itself when it fits the audit row, else its mode. */
	if (rc == VN_OK && (rc = buf_addf(&b, "{\"mode\":\"%s\"", mode)) ==
	    VN_OK && strlen(model_ids) < AUDIT_MAX / 2)
		rc = buf_addf(&b, ",\"model_ids\":%s", model_ids);
	if (rc == VN_OK && (rc = buf_addc(&b, '}')) == VN_OK)
		rc = admin_limits_audit(env, project_id, project_id,
		    "model_permissions", b.data);
end:
	if ((rc = db_end(env->db, rc)) == VN_OK) {
		admin_changed_limits(env);
		snprintf(p->mode, sizeof(p->mode), "%s", mode);
		if ((p->model_ids = strdup(model_ids)) == NULL)
			rc = VN_ENOMEM;
	}
out:
	buf_free(&b);
	return rc;
}

/* Remove a project's model permissions: every model again. */
enum vn_err
admin_perm_delete(struct admin_env *env, const char *project_id)
{
	sqlite3_stmt	*st;
	enum vn_err	 rc;
	int		 changed = 0;

	if ((rc = db_begin(env->db)) != VN_OK)
		return rc;
	if ((rc = admin_project_open(env->db, project_id, 1)) != VN_OK)
		goto out;
	if ((st = db_stmt(env->db, STMT_PERM_DROP)) == NULL) {
		rc = VN_ESTORE;
		goto out;
	}
	sqlite3_bind_text(st, 1, project_id, -1, SQLITE_STATIC);
	rc = db_rc(env->db, sqlite3_step(st), "model permissions delete");
	sqlite3_reset(st);
	if (rc == VN_OK && (changed = db_changes(env->db) > 0))
		rc = admin_limits_audit(env, project_id, project_id,
		    "model_permissions", "null");
out:
	if ((rc = db_end(env->db, rc)) == VN_OK && changed)
		admin_changed_limits(env);
	return rc;
}

/* ---- a key's limits, a workspace's share of the pool (vennactl) ---- */

/* The workspace of key_id.  VN_ENOTFOUND: no such key. */
static enum vn_err
key_workspace(struct db *db, const char *key_id, char ws[WS_ID_LEN + 1])
{
	sqlite3_stmt	*st;
	int		 step;

	if ((st = db_stmt(db, STMT_PKEY_WS)) == NULL)
		return VN_ESTORE;
	sqlite3_bind_text(st, 1, key_id, -1, SQLITE_STATIC);
	if ((step = sqlite3_step(st)) == SQLITE_ROW)
		db_col_copy(st, 0, ws, WS_ID_LEN + 1);
	sqlite3_reset(st);
	if (step == SQLITE_ROW)
		return VN_OK;
	return step == SQLITE_DONE ? VN_ENOTFOUND : db_rc(db, step, "key");
}

static enum vn_err
key_limits_read(struct db *db, const char *key_id, struct limit_set *l)
{
	sqlite3_stmt	*st;
	int		 step;

	memset(l, 0, sizeof(*l));
	if ((st = db_stmt(db, STMT_LIM_KEY)) == NULL)
		return VN_ESTORE;
	sqlite3_bind_text(st, 1, key_id, -1, SQLITE_STATIC);
	if ((step = sqlite3_step(st)) == SQLITE_ROW) {
		l->max[LIM_RPM] = sqlite3_column_int64(st, 0);
		l->max[LIM_TPM] = sqlite3_column_int64(st, 1);
		l->max[LIM_RPD] = sqlite3_column_int64(st, 2);
	}
	sqlite3_reset(st);
	return step == SQLITE_ROW || step == SQLITE_DONE ? VN_OK :
	    db_rc(db, step, "key limits");
}

/* A key's limits (zeros: none) and its workspace. */
enum vn_err
admin_key_limits_get(struct db *db, const char *key_id,
    struct limit_set *l, char ws[WS_ID_LEN + 1])
{
	enum vn_err	 rc;

	if ((rc = key_workspace(db, key_id, ws)) != VN_OK)
		return rc;
	return key_limits_read(db, key_id, l);
}

/*
 * Change a key's limits (LIM_RPM, LIM_TPM, LIM_RPD; a value of 0 or
 * -1: none).  *l gets the result.  VN_EINVAL: LIM_BATCH_TPD set (a key
 * has none); VN_ENOTFOUND: no such key.
 */
enum vn_err
admin_key_limits_set(struct admin_env *env, const char *key_id,
    const struct admin_limit_change *ch, struct limit_set *l)
{
	sqlite3_stmt	*st;
	char		 ws[WS_ID_LEN + 1];
	int		 i, none = 1;
	enum vn_err	 rc;

	if (ch->set[LIM_BATCH_TPD])
		return VN_EINVAL;
	if ((rc = db_begin(env->db)) != VN_OK)
		return rc;
	if ((rc = key_workspace(env->db, key_id, ws)) != VN_OK ||
	    (rc = admin_project_open(env->db, ws, 1)) != VN_OK ||
	    (rc = key_limits_read(env->db, key_id, l)) != VN_OK)
		goto out;
	for (i = 0; i < LIM__N; i++) {
		if (ch->set[i])
			l->max[i] = ch->val[i] > 0 ? ch->val[i] : 0;
		if (l->max[i] > 0)
			none = 0;
	}
	if ((st = db_stmt(env->db, none ? STMT_KL_DROP : STMT_KL_SET)) ==
	    NULL) {
		rc = VN_ESTORE;
		goto out;
	}
	sqlite3_bind_text(st, 1, key_id, -1, SQLITE_STATIC);
	if (!none) {
		sqlite3_bind_int64(st, 2, l->max[LIM_RPM]);
		sqlite3_bind_int64(st, 3, l->max[LIM_TPM]);
		sqlite3_bind_int64(st, 4, l->max[LIM_RPD]);
		sqlite3_bind_int64(st, 5, (sqlite3_int64)time(NULL));
	}
	rc = db_rc(env->db, sqlite3_step(st), "key limits set");
	sqlite3_reset(st);
	if (rc == VN_OK)
		rc = audit_limits(env, "api_key.updated", ws, key_id, ch);
out:
	if ((rc = db_end(env->db, rc)) == VN_OK)
		admin_changed_limits(env);
	return rc;
}

/* A workspace's max_concurrent override; -1 when it has none. */
enum vn_err
admin_concurrency_get(struct db *db, const char *project_id, long *max)
{
	sqlite3_stmt	*st;
	enum vn_err	 rc;
	int		 step;

	*max = -1;
	if ((rc = admin_project_open(db, project_id, 0)) != VN_OK)
		return rc;
	if ((st = db_stmt(db, STMT_WL_GET)) == NULL)
		return VN_ESTORE;
	sqlite3_bind_text(st, 1, project_id, -1, SQLITE_STATIC);
	if ((step = sqlite3_step(st)) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL)
		*max = (long)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return step == SQLITE_ROW || step == SQLITE_DONE ? VN_OK :
	    db_rc(db, step, "workspace limits");
}

/* Set it (0: no limit) or, with -1, go back to the server's. */
enum vn_err
admin_concurrency_set(struct admin_env *env, const char *project_id,
    long max)
{
	sqlite3_stmt	*st;
	char		 v[32];
	enum vn_err	 rc;

	if (max < -1 || max > LIMITS_CONCURRENT_MAX)
		return VN_EINVAL;
	if ((rc = db_begin(env->db)) != VN_OK)
		return rc;
	if ((rc = admin_project_open(env->db, project_id, 1)) != VN_OK)
		goto out;
	if ((st = db_stmt(env->db, max < 0 ? STMT_WL_DROP : STMT_WL_SET)) ==
	    NULL) {
		rc = VN_ESTORE;
		goto out;
	}
	sqlite3_bind_text(st, 1, project_id, -1, SQLITE_STATIC);
	if (max >= 0) {
		sqlite3_bind_int64(st, 2, max);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)time(NULL));
	}
	rc = db_rc(env->db, sqlite3_step(st), "workspace limits set");
	sqlite3_reset(st);
	if (max >= 0)
		snprintf(v, sizeof(v), "%ld", max);
	else
		snprintf(v, sizeof(v), "null");
	if (rc == VN_OK)
		rc = admin_limits_audit(env, project_id, project_id,
		    "max_concurrent", v);
out:
	if ((rc = db_end(env->db, rc)) == VN_OK)
		admin_changed_limits(env);
	return rc;
}
