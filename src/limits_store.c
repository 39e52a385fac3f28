/*
 * limits_store.c: the stored limits as the request path reads them
 * (limits_store.h), the month's spend for the limiter's baselines, and
 * the firing of spend alerts.
 *
 * The cache.  Every model call needs its workspace's limits for its
 * model and its key's; reading them costs a database statement, which
 * the cache spares nearly every request.  Two fixed tables per process,
 * a slot chosen by a hash and overwritten on collision: bounded memory
 * whatever the number of workspaces, and a miss only costs the read it
 * saves.  A slot is used while
 *   - limiter_generation() still has the value it had before the slot's
 *     row was read.  The Admin API and vennactl bump it after every
 *     commit, so: a reader that saw the old generation cached a row
 *     that the bump then invalidates; one that saw the new generation
 *     started reading after the commit, and read it.  Either way no
 *     stale row outlives the bump;
 *   - it is younger than LIMITS_CACHE_MS (changes behind our back).
 * Each table has one mutex, held to compare and copy one slot (a few
 * hundred bytes), never across a database read: many request threads
 * share a process, and a read under the lock would serialize them.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "admin.h"
#include "buf.h"
#include "cfg.h"
#include "clock.h"
#include "db.h"
#include "lease.h"
#include "limiter.h"
#include "limits_store.h"
#include "log.h"
#include "store.h"

#define WS_SLOTS	512
#define KEY_SLOTS	512
#define ALERTS_MAX	100	/* of one scope, as admin_limits.c caps */
#define SCOPES_MAX	4096	/* workspaces one sweep looks at */
#define PAYLOAD_MAX	(16 * 1024)
#define CLAIM_SCAN	16	/* outbox rows looked at per claim */

/* What STMT_LIM_VIEW reads: -1 where the database has NULL. */
struct ws_row {
	int64_t		 ovr[LIM__N];	/* -1: the model's default */
	int64_t		 ws_spend, org_spend;	/* 0: none */
	long		 conc;		/* -1: the server's */
	int		 allowed;
	int64_t		 next_alert;	/* pusd; 0: none due this month */
};

struct ws_slot {
	uint64_t	 gen;
	long long	 at_ms;		/* 0: empty */
	char		 ws[WS_ID_LEN + 1];
	char		 model[CFG_MAX_NAME + 1];
	struct ws_row	 row;
};

struct key_slot {
	uint64_t	 gen;
	long long	 at_ms;
	char		 key[VN_MAX_ID + 1];
	struct limit_set lim;
};

static pthread_mutex_t	 ws_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t	 key_mu = PTHREAD_MUTEX_INITIALIZER;
static struct ws_slot	 ws_cache[WS_SLOTS];
static struct key_slot	 key_cache[KEY_SLOTS];

static uint32_t
hash2(const char *a, const char *b)
{
	uint32_t	 h = 2166136261u;	/* FNV-1a */

	for (; *a != '\0'; a++)
		h = (h ^ (unsigned char)*a) * 16777619u;
	h = (h ^ 0xff) * 16777619u;
	for (; b != NULL && *b != '\0'; b++)
		h = (h ^ (unsigned char)*b) * 16777619u;
	return h;
}

/* Whether a slot read under gen at at_ms may still be used. */
static int
fresh(uint64_t slot_gen, long long at_ms, uint64_t gen, long long now)
{
	return at_ms != 0 && slot_gen == gen &&
	    now - at_ms < LIMITS_CACHE_MS && now >= at_ms;
}

static int
ws_cache_get(const char *ws, const char *model, uint64_t gen,
    struct ws_row *out)
{
	struct ws_slot	*s = &ws_cache[hash2(ws, model) % WS_SLOTS];
	long long	 now = clock_ms();
	int		 hit;

	pthread_mutex_lock(&ws_mu);
	hit = fresh(s->gen, s->at_ms, gen, now) && strcmp(s->ws, ws) == 0 &&
	    strcmp(s->model, model) == 0;
	if (hit)
		*out = s->row;
	pthread_mutex_unlock(&ws_mu);
	return hit;
}

static void
ws_cache_put(const char *ws, const char *model, uint64_t gen,
    const struct ws_row *row)
{
	struct ws_slot	*s = &ws_cache[hash2(ws, model) % WS_SLOTS];

	/* Too long for a slot: read every time rather than cut. */
	if (strlen(ws) >= sizeof(s->ws) || strlen(model) >= sizeof(s->model))
		return;
	pthread_mutex_lock(&ws_mu);
	s->gen = gen;
	s->at_ms = clock_ms();
	memcpy(s->ws, ws, strlen(ws) + 1);
	memcpy(s->model, model, strlen(model) + 1);
	s->row = *row;
	pthread_mutex_unlock(&ws_mu);
}

static int
key_cache_get(const char *key, uint64_t gen, struct limit_set *out)
{
	struct key_slot	*s = &key_cache[hash2(key, NULL) % KEY_SLOTS];
	long long	 now = clock_ms();
	int		 hit;

	pthread_mutex_lock(&key_mu);
	hit = fresh(s->gen, s->at_ms, gen, now) && strcmp(s->key, key) == 0;
	if (hit)
		*out = s->lim;
	pthread_mutex_unlock(&key_mu);
	return hit;
}

static void
key_cache_put(const char *key, uint64_t gen, const struct limit_set *lim)
{
	struct key_slot	*s = &key_cache[hash2(key, NULL) % KEY_SLOTS];

	if (strlen(key) >= sizeof(s->key))
		return;
	pthread_mutex_lock(&key_mu);
	s->gen = gen;
	s->at_ms = clock_ms();
	memcpy(s->key, key, strlen(key) + 1);
	s->lim = *lim;
	pthread_mutex_unlock(&key_mu);
}

static int64_t
col_or(sqlite3_stmt *st, int i, int64_t dflt)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? dflt :
	    sqlite3_column_int64(st, i);
}

/* Read what the request path needs of workspace ws and model. */
static enum vn_err
ws_read(struct store *store, const char *ws, const char *model,
    struct ws_row *row)
{
	struct db	*db;
	sqlite3_stmt	*st;
	enum vn_err	 rc = VN_ESTORE;
	int		 i, step;

	if ((db = store_get(store)) == NULL)
		return VN_ESTORE;
	if ((st = db_stmt(db, STMT_LIM_VIEW)) == NULL)
		goto out;
	sqlite3_bind_text(st, 1, ws, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, model, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, limiter_month_start((int64_t)time(NULL)));
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		for (i = 0; i < LIM__N; i++)
			row->ovr[i] = col_or(st, i, -1);
		row->ws_spend = col_or(st, 4, 0);
		row->org_spend = col_or(st, 5, 0);
		row->conc = (long)col_or(st, 6, -1);
		row->allowed = (int)col_or(st, 7, 1) != 0;
		row->next_alert = col_or(st, 8, 0);
		rc = VN_OK;
	} else
		rc = step == SQLITE_DONE ? VN_ESTORE : db_rc(db, step,
		    "limits");
	sqlite3_reset(st);
out:
	store_put(store, db);
	return rc;
}

static enum vn_err
key_read(struct store *store, const char *key, struct limit_set *lim)
{
	struct db	*db;
	sqlite3_stmt	*st;
	enum vn_err	 rc = VN_ESTORE;
	int		 step;

	memset(lim, 0, sizeof(*lim));
	if ((db = store_get(store)) == NULL)
		return VN_ESTORE;
	if ((st = db_stmt(db, STMT_LIM_KEY)) == NULL)
		goto out;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		lim->max[LIM_RPM] = sqlite3_column_int64(st, 0);
		lim->max[LIM_TPM] = sqlite3_column_int64(st, 1);
		lim->max[LIM_RPD] = sqlite3_column_int64(st, 2);
	}
	rc = step == SQLITE_ROW || step == SQLITE_DONE ? VN_OK :
	    db_rc(db, step, "key limits");
	sqlite3_reset(st);
out:
	store_put(store, db);
	return rc;
}

/*
 * The workspace's row for model, from the cache or the database.  The
 * generation is read before the database, never after (see the top).
 */
static enum vn_err
ws_get(struct store *store, struct limiter *lim, const char *ws,
    const char *model, struct ws_row *row)
{
	uint64_t	 gen = 0;
	enum vn_err	 rc;

	if (lim != NULL) {
		gen = limiter_generation(lim);
		if (ws_cache_get(ws, model, gen, row))
			return VN_OK;
	}
	if ((rc = ws_read(store, ws, model, row)) == VN_OK && lim != NULL)
		ws_cache_put(ws, model, gen, row);
	return rc;
}

/*
 * What one model call of workspace_id with key_id (NULL or "": none)
 * may do with model m (NULL: only what holds for every model, for the
 * workspace's share of the pool), into *v.  VN_ESTORE if the database
 * failed.
 */
enum vn_err
limits_view(struct store *store, struct limiter *lim, const struct cfg *cfg,
    const char *workspace_id, const char *key_id, const struct cfg_model *m,
    struct limits_view *v)
{
	struct ws_row	 row;
	uint64_t	 gen = 0;
	enum vn_err	 rc;
	int		 i;

	memset(v, 0, sizeof(*v));
	/* No model: the workspace's own limits only (its share). */
	if ((rc = ws_get(store, lim, workspace_id, m != NULL ? m->name : "",
	    &row)) != VN_OK)
		return rc;
	for (i = 0; i < LIM__N; i++)
		v->ws.max[i] = row.ovr[i] >= 0 ? row.ovr[i] : m != NULL ?
		    m->limits.max[i] : 0;
	v->ws_spend_limit = row.ws_spend;
	v->org_spend_limit = row.org_spend;
	v->max_concurrent = row.conc >= 0 ? row.conc : cfg->max_concurrent;
	v->model_allowed = m != NULL ? row.allowed : 1;
	v->next_alert = row.next_alert;
	if (key_id == NULL || *key_id == '\0')
		return VN_OK;
	if (lim != NULL) {
		gen = limiter_generation(lim);
		if (key_cache_get(key_id, gen, &v->key))
			return VN_OK;
	}
	if ((rc = key_read(store, key_id, &v->key)) == VN_OK && lim != NULL)
		key_cache_put(key_id, gen, &v->key);
	return rc;
}

/* Whether workspace_id's model permissions let model_name through. */
enum vn_err
limits_model_allowed(struct store *store, struct limiter *lim,
    const char *workspace_id, const char *model_name, int *allowed)
{
	struct ws_row	 row;
	enum vn_err	 rc;

	*allowed = 0;
	if ((rc = ws_get(store, lim, workspace_id, model_name, &row)) ==
	    VN_OK)
		*allowed = row.allowed;
	return rc;
}

/*
 * The settled spend of workspace_id (NULL: every workspace, the
 * organization's) from month_start on, as the usage aggregates' day
 * buckets sum it; the limiter's baseline (limiter.h).  0, or -1 if the
 * database failed.
 */
int
limits_baseline(void *arg, const char *workspace_id, int64_t month_start,
    int64_t *spent_pusd)
{
	struct store	*store = arg;
	struct db	*db;
	sqlite3_stmt	*st;
	int		 step = SQLITE_ERROR;

	*spent_pusd = 0;
	if ((db = store_get(store)) == NULL)
		return -1;
	if ((st = db_stmt(db, STMT_LIM_SPENT)) != NULL) {
		if (workspace_id != NULL)
			sqlite3_bind_text(st, 1, workspace_id, -1,
			    SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, month_start);
		if ((step = sqlite3_step(st)) == SQLITE_ROW)
			*spent_pusd = sqlite3_column_int64(st, 0);
		else
			(void)db_rc(db, step, "month's spend");
		sqlite3_reset(st);
	}
	store_put(store, db);
	return step == SQLITE_ROW ? 0 : -1;
}

/* An alert due to fire, as STMT_LIM_ALERTS_DUE reads it. */
struct due {
	char	 id[VN_MAX_ID + 1];
	int64_t	 threshold;
	char	*recipients;	/* a JSON array we wrote */
	char	*subject;	/* NULL: none */
};

/*
 * The JSON object alert_command reads (README "Limits"): the alert,
 * its scope, the spend that crossed it, and where it is to be sent.
 */
static enum vn_err
payload(struct buf *b, const struct due *d, const char *ws,
    const char *ws_name, int64_t spent, int64_t month, int64_t now)
{
	enum vn_err	 rc;

	if ((rc = buf_addf(b, "{\"object\":\"%s.spend_alert.crossed\","
	    "\"id\":", ws != NULL ? "project" : "organization")) != VN_OK ||
	    (rc = buf_add_json_string(b, d->id, strlen(d->id))) != VN_OK ||
	    (rc = buf_addstr(b, ",\"project_id\":")) != VN_OK ||
	    (rc = ws != NULL ? buf_add_json_string(b, ws, strlen(ws)) :
	    buf_addstr(b, "null")) != VN_OK ||
	    (rc = buf_addstr(b, ",\"project_name\":")) != VN_OK ||
	    (rc = ws_name != NULL ? buf_add_json_string(b, ws_name,
	    strlen(ws_name)) : buf_addstr(b, "null")) != VN_OK ||
	    (rc = buf_addf(b, ",\"threshold_amount\":%lld,\"currency\":\"USD\","
	    "\"interval\":\"month\",\"spent_amount\":%lld,\"spent_pusd\":%lld,"
	    "\"period_start\":%lld,\"crossed_at\":%lld,"
	    "\"notification_channel\":{\"type\":\"email\",\"recipients\":%s,"
	    "\"subject_prefix\":", (long long)(d->threshold /
	    LIMITS_PUSD_PER_CENT), (long long)(spent / LIMITS_PUSD_PER_CENT),
	    (long long)spent, (long long)month, (long long)now,
	    d->recipients)) != VN_OK ||
	    (rc = d->subject != NULL ? buf_add_json_string(b, d->subject,
	    strlen(d->subject)) : buf_addstr(b, "null")) != VN_OK)
		return rc;
	return buf_addstr(b, "}}");
}

/*
 * Fire one alert in the caller's transaction: mark it fired for month
 * (if no one did first), queue its delivery, audit it.  *fired is set
 * when this call fired it.
 */
static enum vn_err
fire(struct db *db, const struct due *d, const char *ws, int64_t spent,
    int64_t month, int64_t now, int *fired)
{
	struct admin_project	 p;
	struct admin_env	 env;
	struct buf		 b, a;
	sqlite3_stmt		*st;
	enum vn_err		 rc;

	*fired = 0;
	if ((st = db_stmt(db, STMT_LIM_ALERT_FIRE)) == NULL)
		return VN_ESTORE;
	sqlite3_bind_text(st, 1, d->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, month);
	rc = db_rc(db, sqlite3_step(st), "alert fire");
	sqlite3_reset(st);
	if (rc != VN_OK || db_changes(db) == 0)
		return rc;
	if (ws != NULL && (rc = admin_project_get(db, ws, &p)) != VN_OK)
		return rc;
	buf_init(&b, PAYLOAD_MAX);
	buf_init(&a, PAYLOAD_MAX);
	if ((rc = payload(&b, d, ws, ws != NULL ? p.name : NULL, spent, month,
	    now)) != VN_OK)
		goto out;
	if ((st = db_stmt(db, STMT_OUTBOX_INSERT)) == NULL) {
		rc = VN_ESTORE;
		goto out;
	}
	sqlite3_bind_text(st, 1, d->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, month);
	sqlite3_bind_text(st, 3, b.data, (int)b.len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now);
	rc = db_rc(db, sqlite3_step(st), "alert outbox");
	sqlite3_reset(st);
	if (rc != VN_OK)
		goto out;
	/* No one acts: the spend crossed it. */
	memset(&env, 0, sizeof(env));
	env.db = db;
	snprintf(env.actor.type, sizeof(env.actor.type), "session");
	snprintf(env.actor.id, sizeof(env.actor.id), "system:spend");
	if ((rc = buf_addstr(&a, "{\"id\":")) == VN_OK &&
	    (rc = buf_add_json_string(&a, d->id, strlen(d->id))) == VN_OK &&
	    (rc = buf_addf(&a, ",\"threshold_amount\":%lld,"
	    "\"spent_amount\":%lld}", (long long)(d->threshold /
	    LIMITS_PUSD_PER_CENT), (long long)(spent /
	    LIMITS_PUSD_PER_CENT))) == VN_OK)
		rc = admin_audit_add(&env, "spend_alert.crossed", ws, d->id,
		    a.data);
	if (rc == VN_OK)
		*fired = 1;
out:
	buf_free(&a);
	buf_free(&b);
	return rc;
}

static void
due_free(struct due *d, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(d[i].recipients);
		free(d[i].subject);
	}
}

/*
 * The alerts of workspace_id (NULL: the organization's) whose threshold
 * the month's spend passed going from before to after, each fired once
 * this month: one transaction for them all.  *nfired counts the ones
 * this call fired.
 */
static enum vn_err
alerts_fire(struct store *store, const char *workspace_id, int64_t before,
    int64_t after, int64_t now, int *nfired)
{
	struct due	 d[ALERTS_MAX];
	struct db	*db;
	sqlite3_stmt	*st;
	int64_t		 month = limiter_month_start(now);
	size_t		 n = 0, i;
	enum vn_err	 rc;
	int		 step = SQLITE_DONE, fired;

	*nfired = 0;
	if (after <= before)
		return VN_OK;
	if ((db = store_get(store)) == NULL)
		return VN_ESTORE;
	if ((rc = db_begin(db)) != VN_OK)
		goto out;
	if ((st = db_stmt(db, STMT_LIM_ALERTS_DUE)) == NULL) {
		rc = VN_ESTORE;
		goto end;
	}
	sqlite3_bind_text(st, 1, workspace_id != NULL ? workspace_id : "", -1,
	    SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, before);
	sqlite3_bind_int64(st, 3, after);
	sqlite3_bind_int64(st, 4, month);
	/* Read them all first: firing writes the table being read. */
	while (n < ALERTS_MAX && (step = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&d[n], 0, sizeof(d[n]));
		db_col_copy(st, 0, d[n].id, sizeof(d[n].id));
		d[n].threshold = sqlite3_column_int64(st, 1);
		if (!db_col_dup(st, 2, &d[n].recipients) ||
		    d[n].recipients == NULL || !db_col_dup(st, 3,
		    &d[n].subject)) {
			n++;
			rc = VN_ENOMEM;
			break;
		}
		n++;
	}
	if (rc == VN_OK && n < ALERTS_MAX && step != SQLITE_DONE)
		rc = db_rc(db, step, "alerts due");
	sqlite3_reset(st);
	for (i = 0; rc == VN_OK && i < n; i++)
		if ((rc = fire(db, &d[i], workspace_id, after, month, now,
		    &fired)) == VN_OK && fired)
			(*nfired)++;
end:
	rc = db_end(db, rc);
	if (rc != VN_OK)
		*nfired = 0;
out:
	due_free(d, n);
	store_put(store, db);
	return rc;
}

/*
 * A settle moved the month's spend of workspace_id (NULL: the
 * organization's) from before_pusd to after_pusd: fire the alerts it
 * crossed, those whose threshold lies in (before, after].  Called
 * rarely: only when a settle crossed a threshold.
 */
enum vn_err
limits_alerts_crossed(struct store *store, const char *workspace_id,
    int64_t before_pusd, int64_t after_pusd)
{
	int	 n;

	return alerts_fire(store, workspace_id, before_pusd, after_pusd,
	    (int64_t)time(NULL), &n);
}

/*
 * venna-batch's sweep: fire every alert of the month that the settled
 * spend (the usage aggregates) has passed and no one fired yet: those
 * made or lowered below the spend, and those whose crossing no worker
 * saw (a limiter segment made anew, a settle lost to a kill).  *fired
 * counts them.
 */
enum vn_err
limits_alerts_sweep(struct store *store, int64_t now, int *fired)
{
	struct db	*db;
	sqlite3_stmt	*st;
	char		(*scopes)[WS_ID_LEN + 1] = NULL;
	int64_t		 month = limiter_month_start(now), spent;
	size_t		 n = 0, i;
	enum vn_err	 rc = VN_OK;
	int		 step = SQLITE_DONE, k;

	*fired = 0;
	if ((scopes = calloc(SCOPES_MAX, sizeof(*scopes))) == NULL)
		return VN_ENOMEM;
	if ((db = store_get(store)) == NULL) {
		free(scopes);
		return VN_ESTORE;
	}
	if ((st = db_stmt(db, STMT_LIM_ALERT_SCOPES)) == NULL)
		rc = VN_ESTORE;
	else {
		sqlite3_bind_int64(st, 1, month);
		while (n < SCOPES_MAX && (step = sqlite3_step(st)) ==
		    SQLITE_ROW)
			db_col_copy(st, 0, scopes[n++], sizeof(scopes[0]));
		if (n < SCOPES_MAX && step != SQLITE_DONE)
			rc = db_rc(db, step, "alert scopes");
		sqlite3_reset(st);
	}
	/* No read stays open while the alerts fire, one scope at a time. */
	store_put(store, db);
	for (i = 0; rc == VN_OK && i < n; i++) {
		const char *ws = scopes[i][0] != '\0' ? scopes[i] : NULL;

		if (limits_baseline(store, ws, month, &spent) != 0)
			rc = VN_ESTORE;
		else if ((rc = alerts_fire(store, ws, 0, spent, now, &k)) ==
		    VN_OK)
			*fired += k;
	}
	free(scopes);
	return rc;
}

/* ---- the outbox: venna-batch's delivery of fired alerts ---- */

/*
 * Claim the oldest undelivered row that is due and not held by a live
 * owner, for lease_s seconds: *got 1 and *row filled (the caller frees
 * row->payload), or *got 0.  As the batch runner claims a batch: the
 * owners' liveness is file I/O, done outside any statement, and the
 * guarded UPDATE takes a row only if its holder is still the one seen
 * dead, so two overlapping passes never both hold one row.
 */
enum vn_err
limits_outbox_claim(struct store *store, const struct cfg *cfg,
    const char *owner, int64_t now, long lease_s,
    struct limits_outbox_row *row, int *got)
{
	struct cand {
		int64_t	 seq;
		char	 owner[LEASE_OWNER_LEN + 1];
		int	 free;
	}		 c[CLAIM_SCAN];
	struct db	*db;
	sqlite3_stmt	*st;
	size_t		 i, n = 0;
	enum vn_err	 rc = VN_OK;
	int		 step = SQLITE_DONE;

	*got = 0;
	memset(row, 0, sizeof(*row));
	if ((db = store_get(store)) == NULL)
		return VN_ESTORE;
	if ((st = db_stmt(db, STMT_OUTBOX_CANDIDATES)) == NULL) {
		rc = VN_ESTORE;
		goto out;
	}
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, CLAIM_SCAN);
	while (n < CLAIM_SCAN && (step = sqlite3_step(st)) == SQLITE_ROW) {
		c[n].seq = sqlite3_column_int64(st, 0);
		db_col_copy(st, 1, c[n].owner, sizeof(c[n].owner));
		c[n].free = sqlite3_column_type(st, 1) == SQLITE_NULL ||
		    sqlite3_column_int64(st, 2) < now;
		n++;
	}
	if (n < CLAIM_SCAN && step != SQLITE_DONE)
		rc = db_rc(db, step, "outbox");
	sqlite3_reset(st);
	for (i = 0; rc == VN_OK && i < n && !*got; i++) {
		if (!c[i].free && !lease_owner_dead(cfg, c[i].owner))
			continue;
		if ((st = db_stmt(db, STMT_OUTBOX_TAKE)) == NULL) {
			rc = VN_ESTORE;
			break;
		}
		sqlite3_bind_int64(st, 1, c[i].seq);
		sqlite3_bind_text(st, 2, owner, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, now + lease_s);
		sqlite3_bind_int64(st, 4, now);
		sqlite3_bind_text(st, 5, c[i].owner, -1, SQLITE_STATIC);
		if ((step = sqlite3_step(st)) == SQLITE_DONE &&
		    db_changes(db) == 1)
			*got = 1;
		else if (step != SQLITE_DONE)
			rc = db_rc(db, step, "outbox take");
		sqlite3_reset(st);
		if (!*got)
			continue;
		row->seq = c[i].seq;
		if ((st = db_stmt(db, STMT_OUTBOX_PAYLOAD)) == NULL) {
			rc = VN_ESTORE;
			break;
		}
		sqlite3_bind_int64(st, 1, row->seq);
		sqlite3_bind_text(st, 2, owner, -1, SQLITE_STATIC);
		if ((step = sqlite3_step(st)) == SQLITE_ROW) {
			if (!db_col_dup(st, 0, &row->payload) ||
			    row->payload == NULL)
				rc = VN_ENOMEM;
			row->attempts = (long)sqlite3_column_int64(st, 1);
		} else
			rc = step == SQLITE_DONE ? VN_ESTORE : db_rc(db, step,
			    "outbox payload");
		sqlite3_reset(st);
	}
out:
	store_put(store, db);
	if (rc != VN_OK && *got) {
		/* Held but unreadable: let it go, for the next pass. */
		(void)limits_outbox_fail(store, owner, row->seq, now,
		    "could not be read");
		free(row->payload);
		row->payload = NULL;
		*got = 0;
	}
	return rc;
}

static enum vn_err
outbox_end(struct store *store, enum stmt s, const char *owner, int64_t seq,
    int64_t t, const char *why)
{
	struct db	*db;
	sqlite3_stmt	*st;
	enum vn_err	 rc;

	if ((db = store_get(store)) == NULL)
		return VN_ESTORE;
	if ((st = db_stmt(db, s)) == NULL)
		rc = VN_ESTORE;
	else {
		sqlite3_bind_int64(st, 1, seq);
		sqlite3_bind_text(st, 2, owner, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, t);
		if (why != NULL)
			sqlite3_bind_text(st, 4, why, -1, SQLITE_STATIC);
		rc = db_rc(db, sqlite3_step(st), "outbox");
		sqlite3_reset(st);
		/* Someone took it over: ours no longer counts. */
		if (rc == VN_OK && db_changes(db) == 0)
			rc = VN_ECONFLICT;
	}
	store_put(store, db);
	return rc;
}

/* The row owner held was delivered. */
enum vn_err
limits_outbox_done(struct store *store, const char *owner, int64_t seq,
    int64_t now)
{
	return outbox_end(store, STMT_OUTBOX_DONE, owner, seq, now, NULL);
}

/* The row owner held was not delivered: due again at not_before. */
enum vn_err
limits_outbox_fail(struct store *store, const char *owner, int64_t seq,
    int64_t not_before, const char *why)
{
	return outbox_end(store, STMT_OUTBOX_FAIL, owner, seq, not_before,
	    why);
}
