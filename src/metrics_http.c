/*
 * metrics_http.c: the /metrics endpoint, and the glue between what a
 * request did (ctx.stats) and the families of metrics.c.
 *
 * Who may scrape: an address in metrics_allow (loopback by default,
 * where a Prometheus beside the gateway scrapes), or anyone with an
 * admin key (Prometheus' bearer-token authorization), since the figures
 * name workspaces and their spend.  The web-server samples also keep
 * /metrics to chosen addresses, as they do /v1/organization.
 */
#include "config.h"

#include <sys/stat.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "addrlist.h"
#include "admin_guard.h"
#include "buf.h"
#include "cfg.h"
#include "ctx.h"
#include "db.h"
#include "fault.h"
#include "ledger.h"
#include "log.h"
#include "metrics.h"
#include "metrics_http.h"
#include "reply.h"
#include "sql.h"
#include "store.h"

#define EXPOSITION	"text/plain; version=0.0.4; charset=utf-8"

void
metrics_request(const struct ctx *c)
{
	const char	*labels[4];
	char		 status[8];

	if (!metrics_enabled())
		return;
	snprintf(status, sizeof(status), "%d", c->status);
	labels[0] = c->stats.route != NULL ? c->stats.route : "unmatched";
	labels[1] = c->stats.model != NULL ? c->stats.model : "";
	labels[2] = c->stats.upstream != NULL ? c->stats.upstream : "";
	labels[3] = status;
	metrics_add(MET_REQUESTS, labels, 1);
	labels[2] = NULL;
	metrics_observe(MET_REQUEST_SECONDS, labels, ctx_elapsed_us(c));
	if (c->stats.ttfb_us >= 0)
		metrics_observe(MET_TTFB_SECONDS, labels, c->stats.ttfb_us);
}

void
metrics_attempt(const char *upstream, const char *model, long us,
    int failed)
{
	const char	*labels[2] = { upstream, model };

	metrics_observe(MET_UPSTREAM_SECONDS, labels, us);
	if (failed)
		metrics_add(MET_UPSTREAM_FAILURES, labels, 1);
}

void
metrics_usage(const char *workspace_id, const char *model,
    int64_t prompt_tokens, int64_t completion_tokens, int64_t cost_pusd)
{
	const char	*labels[3] = { workspace_id, model, "prompt" };

	if (prompt_tokens > 0)
		metrics_add(MET_TOKENS, labels, (uint64_t)prompt_tokens);
	labels[2] = "completion";
	if (completion_tokens > 0)
		metrics_add(MET_TOKENS, labels, (uint64_t)completion_tokens);
	if (cost_pusd > 0)
		metrics_add(MET_COST, labels, (uint64_t)cost_pusd);
}

/* One gauge with no labels, its help and type lines first. */
static enum vn_err
gauge(struct buf *out, const char *name, const char *help, double v)
{
	return buf_addf(out, "# HELP %s %s\n# TYPE %s gauge\n%s %.17g\n",
	    name, help, name, name, v);
}

static enum vn_err
pool_gauges(struct buf *out)
{
	struct metrics_pool p;
	enum vn_err	 rc;

	metrics_pool(&p);
	if ((rc = gauge(out, "venna_workers", "Live worker processes.",
	    (double)p.workers)) != VN_OK)
		return rc;
	if ((rc = buf_addf(out, "# HELP venna_pool_threads Request threads "
	    "of the live workers, by state.\n# TYPE venna_pool_threads "
	    "gauge\nvenna_pool_threads{state=\"busy\"} %ld\n"
	    "venna_pool_threads{state=\"idle\"} %ld\n", p.busy,
	    p.threads > p.busy ? p.threads - p.busy : 0)) != VN_OK)
		return rc;
	return buf_addf(out, "# HELP venna_metrics_dropped_total Metric "
	    "updates dropped because the series table was full.\n"
	    "# TYPE venna_metrics_dropped_total counter\n"
	    "venna_metrics_dropped_total %llu\n",
	    (unsigned long long)p.dropped);
}

/* The batches waiting or running, by status, and their pending lines. */
static enum vn_err
batch_gauges(struct buf *out, struct db *db)
{
	static const char *const states[] = { "validating", "in_progress",
	    "finalizing", "cancelling" };
	long long	 n[4] = { 0, 0, 0, 0 }, lines = 0;
	sqlite3_stmt	*st;
	enum vn_err	 rc;
	size_t		 i;

	if ((st = db_stmt(db, STMT_METRICS_BATCHES)) == NULL)
		return VN_ESTORE;
	while (sqlite3_step(st) == SQLITE_ROW)
		for (i = 0; i < VN_NELEM(states); i++)
			if (db_col_is(st, 0, states[i]))
				n[i] = sqlite3_column_int64(st, 1);
	sqlite3_reset(st);
	if ((st = db_stmt(db, STMT_METRICS_LINES)) == NULL)
		return VN_ESTORE;
	if (sqlite3_step(st) == SQLITE_ROW)
		lines = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	rc = buf_addstr(out, "# HELP venna_batches Batches not yet done, by "
	    "status.\n# TYPE venna_batches gauge\n");
	for (i = 0; i < VN_NELEM(states) && rc == VN_OK; i++)
		rc = buf_addf(out, "venna_batches{status=\"%s\"} %lld\n",
		    states[i], n[i]);
	if (rc == VN_OK)
		rc = gauge(out, "venna_batch_lines_pending", "Lines of running "
		    "batches not yet answered.", (double)lines);
	return rc;
}

/* The ledger's lag and the WAL's size. */
static enum vn_err
store_gauges(struct buf *out, const struct cfg *cfg, struct db *db)
{
	struct stat	 st;
	char		 wal[PATH_MAX];
	long long	 bytes = 0;
	long		 age = 0;
	enum vn_err	 rc;

	if (ledger_lag(cfg, db, &bytes, &age) != VN_OK)
		log_warn("metrics: cannot read the ledger's journals");
	if ((rc = gauge(out, "venna_ledger_pending_bytes", "Usage journal "
	    "bytes not yet imported into the usage table.",
	    (double)bytes)) != VN_OK ||
	    (rc = gauge(out, "venna_ledger_import_lag_seconds", "Age of the "
	    "oldest usage row not yet imported (0: none waits).",
	    (double)age)) != VN_OK)
		return rc;
	snprintf(wal, sizeof(wal), "%s-wal", cfg->database);
	if (stat(wal, &st) == -1)
		st.st_size = 0;
	return gauge(out, "venna_database_wal_bytes", "Size of the "
	    "database's write-ahead log.", (double)st.st_size);
}

static enum vn_err
may_scrape(struct ctx *c, const char *authorization)
{
	enum vn_err	 rc;

	if (c->remote_addr != NULL &&
	    addrlist_match(c->cfg->metrics_allow, c->remote_addr))
		return VN_OK;
	if (authorization == NULL)
		return fault_set(&c->fault, VN_EAUTH, NULL, "missing_api_key",
		    "Metrics are served to the addresses metrics_allow "
		    "lists, or with an admin key (vka_...).");
	if ((rc = admin_guard_auth(c, authorization)) != VN_OK)
		return rc;
	if (!c->who.admin)
		return fault_set(&c->fault, VN_EAUTH, NULL,
		    "insufficient_permissions", "You have insufficient "
		    "permissions for this operation. Missing scopes: "
		    "api.management.read. Metrics need an admin key "
		    "(vka_...).");
	return VN_OK;
}

enum vn_err
metrics_serve(struct ctx *c, const char *authorization)
{
	struct buf	 out;
	struct db	*db = NULL;
	enum vn_err	 rc;

	if (!c->cfg->metrics || !metrics_enabled())
		return fault_set(&c->fault, VN_ENOROUTE, NULL, "unknown_url",
		    "Invalid URL (%s %s)", c->method, c->path);
	if ((rc = may_scrape(c, authorization)) != VN_OK)
		return rc;
	buf_init(&out, METRICS_MAX_BODY);
	if ((db = store_get(c->store)) == NULL) {
		rc = fault_set(&c->fault, VN_ESTORE, NULL, NULL,
		    "The database cannot be read right now.");
		goto out;
	}
	if ((rc = metrics_write(&out)) != VN_OK ||
	    (rc = pool_gauges(&out)) != VN_OK ||
	    (rc = batch_gauges(&out, db)) != VN_OK ||
	    (rc = store_gauges(&out, c->cfg, db)) != VN_OK)
		goto out;
	/* The connection goes back before the answer goes out. */
	store_put(c->store, db);
	db = NULL;
	if ((rc = reply_head(c, 200, EXPOSITION, (long long)out.len,
	    "Cache-Control: no-store\r\n")) == VN_OK)
		rc = reply_write(c, out.data, out.len);
out:
	if (db != NULL)
		store_put(c->store, db);
	buf_free(&out);
	return rc;
}
