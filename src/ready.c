/*
 * ready.c: the checks of GET /readyz (ready.h), cheap enough for a
 * load balancer or an orchestrator to run every second:
 *  - the database takes a write: one row rewritten, waiting for the
 *    write lock READY_BUSY_MS at most (not the busy_timeout of
 *    requests: a prober gives up long before ten seconds), and the
 *    filesystem that holds it has ready_min_free bytes free, since
 *    the WAL can take a write on a nearly full disk and fail the next;
 *  - every model has a usable upstream: the built-in echo one, or one
 *    this process reaches (probe.c) and does not hold back after
 *    failures or a Retry-After (failover.c).
 * What comes back names models, upstreams and reasons, never a URL
 * or a key: /readyz answers anyone who asks.
 */
#include "config.h"

#include <sys/statvfs.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json.h>
#include <sqlite3.h>

#include "cfg.h"
#include "db.h"
#include "failover.h"
#include "probe.h"
#include "ready.h"
#include "store.h"

#define READY_WHY	512	/* one check's reason */
#define READY_DB_CACHE_MS 1000	/* how long a database verdict holds */

/*
 * The last database verdict of this process.  /readyz answers anyone,
 * without a key: a flood of it must not become a flood of writes, so
 * the write is made at most once a second per process, and callers
 * meanwhile (or while it waits for the lock) share its verdict.
 */
static pthread_mutex_t	 db_mu = PTHREAD_MUTEX_INITIALIZER;
static long long	 db_checked_ms = -1;
static int		 db_ok;
static char		 db_why[READY_WHY];

static long long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Rewrite the readiness row; 1 if the database took it. */
static int
db_writable(struct store *store, char *why, size_t whysz)
{
	struct db	*db;
	sqlite3_stmt	*st;
	long		 saved;
	int		 rc = SQLITE_ERROR;

	if ((db = store_get(store)) == NULL) {
		snprintf(why, whysz, "cannot open the database");
		return 0;
	}
	saved = db->busy_timeout_ms;
	if (db->busy_timeout_ms > READY_BUSY_MS)
		db->busy_timeout_ms = READY_BUSY_MS;
	if ((st = db_stmt(db, STMT_READY_TOUCH)) != NULL) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)time(NULL));
		rc = sqlite3_step(st);
		sqlite3_reset(st);
	}
	db->busy_timeout_ms = saved;
	store_put(store, db);
	if (rc == SQLITE_DONE)
		return 1;
	snprintf(why, whysz, "not writable: %s", sqlite3_errstr(rc));
	return 0;
}

/* 1 if the database's filesystem has min bytes free for Venna. */
static int
db_room(const struct cfg *cfg, char *why, size_t whysz)
{
	struct statvfs	 sv;
	unsigned long long free_b;

	if (statvfs(cfg->database, &sv) == -1) {
		snprintf(why, whysz, "cannot read the free space of its "
		    "filesystem: %s", strerror(errno));
		return 0;
	}
	free_b = (unsigned long long)sv.f_bavail * sv.f_frsize;
	if (free_b >= (unsigned long long)cfg->ready_min_free)
		return 1;
	snprintf(why, whysz, "free space on its filesystem is %llu KiB, "
	    "under ready_min_free (%llu KiB)", free_b / 1024,
	    (unsigned long long)cfg->ready_min_free / 1024);
	return 0;
}

/*
 * Say whether model m can be served: "ok", or "no usable upstream: "
 * and each upstream's reason, into why.
 */
static int
model_ready(const struct cfg *cfg, const struct cfg_model *m,
    const struct probe_result *res, char *why, size_t whysz)
{
	const struct cfg_upstream *u;
	size_t		 i, n;
	long		 cool;

	n = (size_t)snprintf(why, whysz, "no usable upstream:");
	for (i = 0; i < m->nroutes; i++) {
		u = &cfg->upstreams[m->routes[i].upstream];
		cool = failover_cooling_ms(cfg, m->routes[i].upstream);
		if (res[m->routes[i].upstream].ok && cool == 0) {
			snprintf(why, whysz, "ok");
			return 1;
		}
		if (n >= whysz)
			continue;
		if (cool > 0)
			n += (size_t)snprintf(why + n, whysz - n, "%s %s "
			    "(held back for %ld ms after failures)",
			    i > 0 ? ";" : "", u->name, cool);
		else
			n += (size_t)snprintf(why + n, whysz - n, "%s %s (%s)",
			    i > 0 ? ";" : "", u->name,
			    res[m->routes[i].upstream].why);
	}
	return 0;
}

/* The models' checks into checks.models; 1 if every model is ready. */
static int
models_ready(const struct cfg *cfg, struct json_object *models)
{
	struct probe_result	*res = NULL;
	unsigned char		*want = NULL;
	char			 why[READY_WHY];
	size_t			 i, j;
	int			 all = 0;

	res = calloc(cfg->nupstreams + 1, sizeof(*res));
	want = calloc(cfg->nupstreams + 1, 1);
	if (res == NULL || want == NULL)
		goto out;
	for (i = 0; i < cfg->nmodels; i++)
		for (j = 0; j < cfg->models[i].nroutes; j++)
			want[cfg->models[i].routes[j].upstream] = 1;
	probe_upstreams(cfg, want, res);
	all = 1;
	for (i = 0; i < cfg->nmodels; i++) {
		if (!model_ready(cfg, &cfg->models[i], res, why, sizeof(why)))
			all = 0;
		json_object_object_add(models, cfg->models[i].name,
		    json_object_new_string(why));
	}
out:
	free(res);
	free(want);
	return all;
}

/*
 * Run every check and fill checks with each one's verdict:
 * {"database": "ok" or the reason, "models": {name: "ok" or the
 * reason}}.  Returns 1 if all passed.  A failure to allocate counts as
 * not ready.
 */
int
ready_check(const struct cfg *cfg, struct store *store,
    struct json_object *checks)
{
	struct json_object	*models;
	char			 why[READY_WHY];
	int			 ok;

	pthread_mutex_lock(&db_mu);
	if (db_checked_ms < 0 || now_ms() - db_checked_ms >=
	    READY_DB_CACHE_MS) {
		/* Room first: a full disk is why a write fails. */
		db_ok = db_room(cfg, db_why, sizeof(db_why)) &&
		    db_writable(store, db_why, sizeof(db_why));
		db_checked_ms = now_ms();
	}
	ok = db_ok;
	snprintf(why, sizeof(why), "%s", db_why);
	pthread_mutex_unlock(&db_mu);
	json_object_object_add(checks, "database",
	    json_object_new_string(ok ? "ok" : why));
	if ((models = json_object_new_object()) == NULL)
		return 0;
	json_object_object_add(checks, "models", models);
	return models_ready(cfg, models) && ok;
}
