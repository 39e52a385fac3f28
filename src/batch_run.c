/*
 * batch_run.c: venna-batch's batch task.  A pass claims a batch with a
 * lease (so overlapping passes never work on the same batch), moves it
 * one step along its lifecycle, and goes on to the next while its time
 * budget lasts:
 *
 *   validating  -> the input file is indexed and checked (batch_io.c):
 *                  failed with line-numbered errors, or in_progress;
 *   in_progress -> pending lines run, batch_concurrency at a time, each
 *                  through the very handler a live request would use
 *                  (captured requests: same validation, routing,
 *                  failover, echo model and usage ledger), until none is
 *                  left (finalizing), the budget ends, or it is
 *                  cancelled;
 *   finalizing  -> the output and error files are written and the batch
 *                  is completed;
 *   cancelling  -> the same with what was done: cancelled;
 *   past its completion window -> unfinished lines become batch_expired
 *                  errors, then expired.
 *
 * A line's result is committed together with the line's state, results
 * in groups of up to COMMIT_LINES, so a pass killed at any instant
 * loses only the lines in flight, which the next pass sends again;
 * nothing committed is sent twice, and every custom_id ends up exactly
 * once in the output or the error file.  Statuses only move forward:
 * each transition is a guarded UPDATE from the state it expects.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json.h>
#include <sqlite3.h>

#include "batch.h"
#include "batch_io.h"
#include "capture.h"
#include "cfg.h"
#include "clock.h"
#include "ctx.h"
#include "db.h"
#include "fault.h"
#include "ids.h"
#include "jscan.h"
#include "jsonx.h"
#include "lease.h"
#include "ledger.h"
#include "log.h"
#include "metrics.h"
#include "reply.h"
#include "router.h"
#include "runner.h"
#include "store.h"
#include "upstream.h"
#include "usage.h"

#define COMMIT_LINES	200	/* results per transaction at most */
#define COMMIT_MS	100	/* and at least this often */
#define PAGE_LINES	512	/* pending lines fetched at a time */
#define RENEW_MS	10000	/* lease renewal */
#define CANCEL_MS	1000	/* how often a run looks for a cancel */
#define CLAIM_SCAN	64	/* batches looked at per claim */
#define LINE_MAX_BYTES	(16 * 1024 * 1024)

struct line {
	int64_t		 no;
	int64_t		 off, len;
	char		 custom_id[BATCH_CUSTOM_ID_MAX + 1];
};

struct result {
	int64_t		 no;
	int		 is_error;
	char		*text;
	struct usage_held usage;	/* committed with the result */
	struct result	*next;
};

/* One batch's run in this pass, shared by its line threads. */
struct run {
	struct runner		*rn;
	struct batch_state	*b;
	ctx_handler		 handler;
	pthread_mutex_t		 mu;
	pthread_cond_t		 work;	/* a line queued, or stop */
	pthread_cond_t		 done;	/* a result is in */
	struct line		*q;	/* ring of lines to run */
	size_t			 qcap, qhead, qlen;
	struct result		*results;	/* not yet committed */
	size_t			 nresults;
	size_t			 inflight;
	int			 stop;
	int			 retry;		/* a line is left for later */
	int			 pausing;	/* no line waits any longer */
	int			 paced;		/* a line waits for a limit */
};

/* Load the batch at seq into b; VN_ENOTFOUND if it is gone. */
static enum vn_err
load(struct runner *rn, struct db *db, int64_t seq, struct batch_state *b)
{
	sqlite3_stmt	*st;
	int		 rc;

	memset(b, 0, sizeof(*b));
	b->seq = seq;
	if ((st = db_stmt(db, STMT_BATCH_BY_SEQ)) == NULL)
		return VN_ESTORE;
	sqlite3_bind_int64(st, 1, seq);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_reset(st);
		return rc == SQLITE_DONE ? VN_ENOTFOUND : VN_ESTORE;
	}
#define COL(i, dst) db_col_copy(st, i, dst, sizeof(dst))
	COL(0, b->id);
	COL(1, b->workspace_id);
	COL(2, b->key_id);
	COL(3, b->endpoint);
	COL(4, b->input_file_id);
	COL(5, b->status);
	COL(8, b->model);
#undef COL
	b->expires_at = sqlite3_column_int64(st, 6);
	b->total = sqlite3_column_int64(st, 7);
	b->output_expiry = sqlite3_column_int64(st, 9);
	sqlite3_reset(st);
	(void)rn;
	return VN_OK;
}

/*
 * Claim the oldest batch that needs work and is not held by a live
 * runner: its lease is free, expired, or its owner died (lease.h), so a
 * pass killed with -9 holds nothing back from the next one.  0 if none.
 * The liveness check is file I/O, kept outside any transaction; the
 * guarded UPDATE then takes the row only if its holder is still the one
 * seen dead.
 */
static int64_t
claim(struct runner *rn)
{
	struct cand {
		int64_t	 seq;
		char	 owner[LEASE_OWNER_LEN + 1];
		int	 free;
	}		 c[CLAIM_SCAN];
	struct db	*db;
	sqlite3_stmt	*st;
	int64_t		 seq = 0;
	time_t		 now = time(NULL);
	size_t		 i, n = 0;

	if ((db = store_get(rn->store)) == NULL)
		return 0;
	if ((st = db_stmt(db, STMT_BATCH_CANDIDATES)) != NULL) {
		sqlite3_bind_int64(st, 1, CLAIM_SCAN);
		while (n < CLAIM_SCAN && sqlite3_step(st) == SQLITE_ROW) {
			c[n].seq = sqlite3_column_int64(st, 0);
			db_col_copy(st, 1, c[n].owner, sizeof(c[n].owner));
			c[n].free = sqlite3_column_type(st, 1) ==
			    SQLITE_NULL ||
			    sqlite3_column_int64(st, 2) < (sqlite3_int64)now;
			n++;
		}
		sqlite3_reset(st);
	}
	for (i = 0; i < n && seq == 0; i++) {
		if (!c[i].free && !lease_owner_dead(rn->cfg, c[i].owner))
			continue;
		if ((st = db_stmt(db, STMT_BATCH_TAKE)) == NULL)
			break;
		sqlite3_bind_int64(st, 1, c[i].seq);
		sqlite3_bind_text(st, 2, rn->owner, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)now + BATCH_LEASE_S);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)now);
		sqlite3_bind_text(st, 5, c[i].owner, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_DONE && db_changes(db) == 1) {
			seq = c[i].seq;
			if (!c[i].free)
				log_info("batch seq %lld: taken over from "
				    "%s, which died", (long long)seq,
				    c[i].owner);
		}
		sqlite3_reset(st);
	}
	store_put(rn->store, db);
	return seq;
}

/*
 * The line's body, read back from the input file (the index says where)
 * and parsed within the request caps, its bytes into raw (forwarded as
 * they are); NULL when it cannot be, with why in f: VN_ENOMEM or VN_ESYS
 * when the next pass may well succeed, VN_EINVAL and the rest when the
 * line itself is at fault.
 */
static struct json_object *
line_body(struct run *run, const struct line *ln, struct buf *raw,
    struct fault *f)
{
	const struct cfg	*cfg = run->rn->cfg;
	struct json_object	*o = NULL, *body = NULL;
	struct jscan_span	 v;
	char			*buf = NULL;

	if (ln->len <= 0 || ln->len > LINE_MAX_BYTES) {
		fault_set(f, VN_EINVAL, NULL, NULL, "The line could not be "
		    "read back from the input file.");
		goto out;
	}
	if ((buf = malloc((size_t)ln->len)) == NULL) {
		fault_set(f, VN_ENOMEM, NULL, NULL, "Out of memory.");
		goto out;
	}
	if (pread(run->b->input_fd, buf, (size_t)ln->len, (off_t)ln->off) !=
	    (ssize_t)ln->len) {
		fault_set(f, VN_ESYS, NULL, NULL, "The line could not be "
		    "read back from the input file.");
		goto out;
	}
	if (jsonx_object(buf, (size_t)ln->len, (int)cfg->max_json_depth,
	    cfg->max_json_memory, &o, f) != VN_OK)
		goto out;
	/* The index vouched for one "body", an object: the scan finds it. */
	if (!json_object_object_get_ex(o, "body", &body) ||
	    !json_object_is_type(body, json_type_object) ||
	    !jscan_member(buf, (size_t)ln->len, "body", &v))
		fault_set(f, VN_EINVAL, "body", NULL, "The line has no body "
		    "object.");
	else if (buf_add(raw, v.p, v.n) != VN_OK)
		fault_set(f, VN_ETOOBIG, "body", NULL, "The line's body is "
		    "larger than the limit of %zu bytes.", cfg->max_body);
	else
		body = json_object_get(body);
out:
	json_object_put(o);
	free(buf);
	return body;
}

/*
 * Run one line through the endpoint's handler as a captured request and
 * turn the answer into its output or error line (openai-api.md §3.6).
 * Returns 0 when no result could be made for a passing reason (memory,
 * a read, a rate limit of the workspace: then *wait_ms says when to try
 * again): the line then stays pending, and nothing is billed for it.
 */
static int
run_line(struct run *run, void **upstream, const struct line *ln,
    struct result *res, long *wait_ms)
{
	const struct cfg	*cfg = run->rn->cfg;
	struct capture		 k;
	struct ctx		 c;
	struct buf		 out;
	char			 rid[40];
	int			 made = 1;
	enum vn_err		 rc;

	memset(res, 0, sizeof(*res));
	res->no = ln->no;
	ids_new(rid, sizeof(rid), "batch_req_", 24);
	buf_init(&out, cfg->max_upstream_response + 4096);
	capture_init(&k, cfg->max_upstream_response + 65536);
	ctx_init(&c, cfg, &k.sink, "POST", run->b->endpoint);
	c.store = run->rn->store;
	c.upstream = upstream;
	c.batch_id = run->b->id;
	c.price_pct = (int)cfg->batch_price_pct;
	c.usage_held = &res->usage;
	snprintf(c.who.workspace_id, sizeof(c.who.workspace_id), "%s",
	    run->b->workspace_id);
	snprintf(c.who.key_id, sizeof(c.who.key_id), "%s", run->b->key_id);
	*wait_ms = 0;
	if ((c.json = line_body(run, ln, &c.body, &c.fault)) != NULL) {
		(void)capture_run(&c, &k, run->handler);
		/* Lines wait for their workspace's rate limits, never fail. */
		if (c.fault.err == VN_ELIMIT && c.fault.retry_after > 0) {
			*wait_ms = c.fault.retry_after * 1000;
			made = 0;
			goto out;
		}
	} else if (c.fault.err == VN_ENOMEM || c.fault.err == VN_ESYS) {
		made = 0;
		goto out;
	} else
		(void)reply_error(&c);
	res->is_error = k.status != 200;
	if ((rc = buf_addf(&out, "{\"id\":\"%s\",\"custom_id\":", rid)) ==
	    VN_OK && (rc = buf_add_json_string(&out, ln->custom_id,
	    strlen(ln->custom_id))) == VN_OK && (rc = buf_addf(&out,
	    ",\"response\":{\"status_code\":%d,\"request_id\":\"%s\","
	    "\"body\":", k.status, c.id)) == VN_OK && (rc = buf_add(&out,
	    k.body.len > 0 ? k.body.data : "{}", k.body.len > 0 ?
	    k.body.len : 2)) == VN_OK)
		rc = buf_addstr(&out, "},\"error\":null}");
	if (rc == VN_OK)
		res->text = buf_steal(&out);
	else if (rc == VN_ETOOBIG) {
		/* An error line, and the row says so: not billed as a 200. */
		res->is_error = 1;
		res->usage.row.status = 500;
		res->text = batch_io_error_line(ln->custom_id, "batch_failed",
		    "The result of this request was too large to store.");
	}
	if (res->text == NULL) {
		made = 0;
		res->usage.held = 0;
	}
out:
	buf_free(&out);
	ctx_free(&c);
	capture_free(&k);
	return made;
}

/*
 * Wait wait_ms for a rate limit to have room again; 0 if the pass must
 * stop first (its budget ends, or it is told to), leaving the line
 * pending for the next pass.
 */
static int
pace(struct run *run, long wait_ms)
{
	struct timespec	 ts;
	long long	 until = clock_ms() + wait_ms;
	int		 go;

	if (until >= run->rn->deadline_ms)
		return 0;
	pthread_mutex_lock(&run->mu);
	while (!run->stop && !run->pausing && clock_ms() < until) {
		clock_deadline(&ts, (long)(until - clock_ms()));
		pthread_cond_timedwait(&run->work, &run->mu, &ts);
	}
	go = !run->stop && !run->pausing;
	pthread_mutex_unlock(&run->mu);
	return go;
}

static void *
line_thread(void *arg)
{
	struct run		*run = arg;
	void			*upstream = NULL;
	struct line		 ln;
	struct result		*res;
	long			 wait_ms = 0;

	pthread_mutex_lock(&run->mu);
	for (;;) {
		while (run->qlen == 0 && !run->stop)
			pthread_cond_wait(&run->work, &run->mu);
		if (run->qlen == 0)
			break;
		ln = run->q[run->qhead];
		run->qhead = (run->qhead + 1) % run->qcap;
		run->qlen--;
		run->inflight++;
		pthread_mutex_unlock(&run->mu);
		for (;;) {
			if ((res = malloc(sizeof(*res))) != NULL &&
			    !run_line(run, &upstream, &ln, res, &wait_ms)) {
				free(res);
				res = NULL;
			}
			if (res != NULL || wait_ms == 0 ||
			    !pace(run, wait_ms))
				break;
		}
		pthread_mutex_lock(&run->mu);
		run->inflight--;
		/* A line without a result stays pending for the next pass. */
		if (res == NULL)
			run->retry = 1;
		if (res == NULL && wait_ms > 0)
			run->paced = 1;
		if (res != NULL) {
			res->next = run->results;
			run->results = res;
			run->nresults++;
		}
		pthread_cond_signal(&run->done);
	}
	pthread_mutex_unlock(&run->mu);
	upstream_thread_free(upstream);
	return NULL;
}

/*
 * Commit results: each with its line's new state and its usage row,
 * and the batch's counts, in one transaction, so a line is billed once
 * however often a killed pass made it run.  The list is freed.
 */
static enum vn_err
commit(struct runner *rn, struct batch_state *b, struct result *list)
{
	struct result	*r, *next;
	struct db	*db;
	sqlite3_stmt	*st;
	int64_t		 ok = 0, bad = 0, in = 0, cached = 0, out = 0;
	enum vn_err	 rc;

	if (list == NULL)
		return VN_OK;
	if ((db = store_get(rn->store)) == NULL) {
		rc = VN_ESTORE;
		goto out;
	}
	if ((rc = db_begin(db)) != VN_OK)
		goto out;
	for (r = list; r != NULL && rc == VN_OK; r = r->next) {
		if ((st = db_stmt(db, STMT_BRESULT_INSERT)) == NULL) {
			rc = VN_ESTORE;
			break;
		}
		sqlite3_bind_int64(st, 1, b->seq);
		sqlite3_bind_int64(st, 2, r->no);
		sqlite3_bind_int(st, 3, r->is_error);
		sqlite3_bind_text(st, 4, r->text, -1, SQLITE_STATIC);
		rc = db_rc(db, sqlite3_step(st), "batch result");
		sqlite3_reset(st);
		if (rc == VN_OK && (st = db_stmt(db, STMT_BLINE_SETTLE)) ==
		    NULL)
			rc = VN_ESTORE;
		else if (rc == VN_OK) {
			sqlite3_bind_int64(st, 1, b->seq);
			sqlite3_bind_int64(st, 2, r->no);
			sqlite3_bind_int(st, 3, r->is_error ? 2 : 1);
			rc = db_rc(db, sqlite3_step(st), "batch line");
			sqlite3_reset(st);
		}
		if (rc == VN_OK && r->usage.held)
			rc = ledger_insert(db, &r->usage.row);
		*(r->is_error ? &bad : &ok) += 1;
		if (!r->is_error && r->usage.held) {
			in += r->usage.row.prompt_tokens;
			cached += r->usage.row.cached_tokens;
			out += r->usage.row.completion_tokens;
		}
	}
	if (rc == VN_OK && (st = db_stmt(db, STMT_BATCH_COUNT)) == NULL)
		rc = VN_ESTORE;
	else if (rc == VN_OK) {
		sqlite3_bind_int64(st, 1, b->seq);
		sqlite3_bind_int64(st, 2, ok);
		sqlite3_bind_int64(st, 3, bad);
		sqlite3_bind_int64(st, 4, in);
		sqlite3_bind_int64(st, 5, cached);
		sqlite3_bind_int64(st, 6, out);
		rc = db_rc(db, sqlite3_step(st), "batch counts");
		sqlite3_reset(st);
	}
	rc = db_end(db, rc);
	if (rc == VN_OK) {
		metrics_add(MET_BATCH_LINES, (const char *const[]){
		    "completed" }, (uint64_t)ok);
		metrics_add(MET_BATCH_LINES, (const char *const[]){
		    "failed" }, (uint64_t)bad);
	}
out:
	store_put(rn->store, db);
	for (r = list; r != NULL; r = next) {
		next = r->next;
		free(r->text);
		free(r);
	}
	return rc;
}

/*
 * Queue up to `room` pending lines after *cursor; returns how many, or
 * -1 when the database failed (which is not "none left": the batch
 * must not end on it).
 */
static long
refill(struct run *run, int64_t *cursor, size_t room)
{
	struct db	*db;
	sqlite3_stmt	*st;
	struct line	 ln;
	long		 n = 0;
	int		 step = SQLITE_ERROR;

	if ((db = store_get(run->rn->store)) == NULL)
		return -1;
	if ((st = db_stmt(db, STMT_BLINE_PENDING)) != NULL) {
		sqlite3_bind_int64(st, 1, run->b->seq);
		sqlite3_bind_int64(st, 2, *cursor);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)room);
		while ((step = sqlite3_step(st)) == SQLITE_ROW) {
			ln.no = sqlite3_column_int64(st, 0);
			db_col_copy(st, 1, ln.custom_id,
			    sizeof(ln.custom_id));
			ln.off = sqlite3_column_int64(st, 2);
			ln.len = sqlite3_column_int64(st, 3);
			*cursor = ln.no;
			pthread_mutex_lock(&run->mu);
			run->q[(run->qhead + run->qlen) % run->qcap] = ln;
			run->qlen++;
			pthread_cond_signal(&run->work);
			pthread_mutex_unlock(&run->mu);
			n++;
		}
		sqlite3_reset(st);
	}
	store_put(run->rn->store, db);
	return step == SQLITE_DONE ? n : -1;
}

/*
 * Run the batch's pending lines until none is left (returns 1), or the
 * pass must stop: its budget is spent, the batch was cancelled or the
 * lease was lost (returns 0).  Results are committed as they come.
 */
static int
run_lines(struct runner *rn, struct batch_state *b, ctx_handler handler,
    int *paced)
{
	struct run	 run;
	struct result	*list;
	struct timespec	 ts;
	pthread_t	*tids = NULL;
	long long	 last_commit = clock_ms(), last_renew = clock_ms();
	long long	 last_check = clock_ms();
	int64_t		 cursor = 0;
	long		 got;
	size_t		 i, nthreads, started = 0;
	int		 feeding = 1, exhausted = 0, all = 0;

	memset(&run, 0, sizeof(run));
	run.rn = rn;
	run.b = b;
	run.handler = handler;
	nthreads = (size_t)(b->m != NULL && b->m->batch_concurrency > 0 ?
	    b->m->batch_concurrency : rn->cfg->batch_concurrency);
	run.qcap = nthreads * 2 + PAGE_LINES;
	pthread_mutex_init(&run.mu, NULL);
	pthread_cond_init(&run.work, NULL);
	pthread_cond_init(&run.done, NULL);
	if ((run.q = calloc(run.qcap, sizeof(*run.q))) == NULL ||
	    (tids = calloc(nthreads, sizeof(*tids))) == NULL)
		goto out;
	for (started = 0; started < nthreads; started++)
		if (pthread_create(&tids[started], NULL, line_thread, &run) !=
		    0)
			break;
	if ((nthreads = started) == 0)
		goto out;

	for (;;) {
		pthread_mutex_lock(&run.mu);
		if (feeding && !exhausted && run.qlen < nthreads) {
			size_t room = run.qcap - run.qlen;

			pthread_mutex_unlock(&run.mu);
			got = refill(&run, &cursor, room < PAGE_LINES ? room :
			    PAGE_LINES);
			if (got == 0)
				exhausted = 1;
			else if (got < 0)
				feeding = 0;	/* the next pass goes on */
			pthread_mutex_lock(&run.mu);
		}
		if (run.nresults >= COMMIT_LINES || (run.nresults > 0 &&
		    clock_ms() - last_commit >= COMMIT_MS) ||
		    (run.qlen == 0 && run.inflight == 0)) {
			list = run.results;
			run.results = NULL;
			run.nresults = 0;
			pthread_mutex_unlock(&run.mu);
			if (commit(rn, b, list) != VN_OK)
				feeding = 0;
			last_commit = clock_ms();
			pthread_mutex_lock(&run.mu);
		}
		if (clock_ms() >= rn->deadline_ms && feeding) {
			log_info("batch %s: time budget spent; the next pass "
			    "goes on", b->id);
			feeding = 0;
		}
		if (feeding && clock_ms() - last_check >= CANCEL_MS) {
			int renew = clock_ms() - last_renew >= RENEW_MS;

			pthread_mutex_unlock(&run.mu);
			last_check = clock_ms();
			if (renew)
				last_renew = last_check;
			if ((renew && !batch_io_lease(rn, b->seq, 0)) ||
			    batch_io_cancelling(rn, b))
				feeding = 0;
			pthread_mutex_lock(&run.mu);
		}
		if (!feeding && run.qlen > 0) {
			run.qlen = 0;	/* unsent lines stay pending */
		}
		if (!feeding && !run.pausing) {
			run.pausing = 1;	/* lines waiting on limits too */
			pthread_cond_broadcast(&run.work);
		}
		if ((exhausted || !feeding) && run.qlen == 0 &&
		    run.inflight == 0 && run.results == NULL) {
			pthread_mutex_unlock(&run.mu);
			break;
		}
		clock_deadline(&ts, COMMIT_MS / 2);
		pthread_cond_timedwait(&run.done, &run.mu, &ts);
		pthread_mutex_unlock(&run.mu);
	}
	all = exhausted && feeding && !run.retry;
	*paced = run.paced;
out:
	pthread_mutex_lock(&run.mu);
	run.stop = 1;
	pthread_cond_broadcast(&run.work);
	pthread_mutex_unlock(&run.mu);
	for (i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	free(tids);
	free(run.q);
	pthread_mutex_destroy(&run.mu);
	pthread_cond_destroy(&run.work);
	pthread_cond_destroy(&run.done);
	return all;
}

/*
 * Move one claimed batch as far as this pass can; *paced says that
 * lines of it wait for its workspace's limits.
 */
static enum vn_err
advance(struct runner *rn, int64_t seq, int *paced)
{
	struct batch_state	 b;
	struct route_match	 m;
	struct db		*db;
	enum vn_err		 rc;

	if ((db = store_get(rn->store)) == NULL)
		return VN_ESTORE;
	rc = load(rn, db, seq, &b);
	store_put(rn->store, db);
	if (rc != VN_OK)
		return rc == VN_ENOTFOUND ? VN_OK : rc;
	b.input_fd = -1;
	if (strcmp(b.status, "cancelling") == 0)
		return batch_io_finish(rn, &b, "cancelled");
	if (b.expires_at > 0 && time(NULL) >= b.expires_at &&
	    (strcmp(b.status, "validating") == 0 ||
	    strcmp(b.status, "in_progress") == 0))
		return batch_io_finish(rn, &b, "expired");
	if (strcmp(b.status, "finalizing") == 0)
		return batch_io_finish(rn, &b, "completed");
	if (strcmp(b.status, "validating") == 0) {
		if ((rc = batch_io_index(rn, &b)) != VN_OK ||
		    strcmp(b.status, "in_progress") != 0)
			return rc;
	}
	if (strcmp(b.status, "in_progress") != 0)
		return VN_OK;
	if (router_find("POST", b.endpoint, &m) != ROUTE_FOUND) {
		log_error("batch %s: endpoint %s has no handler", b.id,
		    b.endpoint);
		return VN_ECONFIG;
	}
	b.m = cfg_model_find(rn->cfg, b.model);
	if ((rc = batch_io_open_input(rn, &b)) != VN_OK)
		return rc;
	if (run_lines(rn, &b, m.route->fn, paced) &&
	    batch_io_to_finalizing(rn, &b))
		rc = batch_io_finish(rn, &b, "completed");
	close(b.input_fd);
	return rc;
}

/*
 * The batch task: claim batches one after another and advance each,
 * until none is left to claim or the budget is spent.
 */
enum vn_err
batch_task(struct runner *rn)
{
	int64_t		 seq;
	enum vn_err	 rc = VN_OK;
	int		 paced;

	while (clock_ms() < rn->deadline_ms && (seq = claim(rn)) != 0) {
		/*
		 * A batch that could not move, or whose lines wait for a
		 * limit, keeps its lease until it expires: released, it
		 * would be claimed again at once.
		 */
		paced = 0;
		if (advance(rn, seq, &paced) != VN_OK) {
			log_warn("batch seq %lld: could not advance; retried "
			    "in %d s", (long long)seq, BATCH_LEASE_S);
			rc = VN_ESTORE;
		} else if (paced)
			log_info("batch seq %lld: lines wait for the "
			    "workspace's rate limits; retried in %d s",
			    (long long)seq, BATCH_LEASE_S);
		else
			(void)batch_io_lease(rn, seq, 1);
	}
	return rc;
}
