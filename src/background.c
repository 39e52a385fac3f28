/*
 * background.c: background responses (background.h).
 *
 * A worker process has one executor: background_threads threads started
 * on first use, fed by a bounded queue of stored responses this process
 * holds.  A full queue, or a process that stops, releases the lease:
 * venna-batch's recovery task then takes the response on its next pass,
 * as it takes those of a process that died.
 *
 * Running one (background_run): the stored create request is checked
 * again and run through responses_run() on a request without a client.
 * Every tick of the upstream call asks whether to go on: the row was
 * cancelled or deleted, or the lease was lost (renewed every
 * RENEW_MS) -- and then the call is aborted like a client that left.
 * The end is written only by the holder, from queued or in_progress, so
 * a cancel always wins.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json.h>

#include "background.h"
#include "capture.h"
#include "cfg.h"
#include "clock.h"
#include "ctx.h"
#include "db.h"
#include "jsonx.h"
#include "lease.h"
#include "log.h"
#include "respconv.h"
#include "responses.h"
#include "respstore.h"
#include "runner.h"
#include "store.h"
#include "upstream.h"

#define QUEUE_MAX	1024	/* responses waiting per process */
#define CHECK_MS	500	/* how often a run looks for a cancel */
#define RENEW_MS	10000	/* lease renewal */
#define REQUEST_DEPTH	128
#define RECOVER_MAX	16	/* recovered at once by one pass */

struct background {
	const struct cfg	*cfg;
	struct store		*store;
	pthread_mutex_t		 mu;
	pthread_cond_t		 work;	/* queued, or stopping */
	pthread_cond_t		 idle;	/* a run ended */
	int64_t			 q[QUEUE_MAX];
	size_t			 qhead, qlen;
	size_t			 nthreads, busy;
	int			 stopping;
};

/*
 * The process's executor.  It is never freed (background_stop): its
 * detached threads may outlive the drain.  Held here, it stays
 * reachable for the life of the process, as meant (LeakSanitizer).
 */
static struct background *volatile process_bg;	/* stored, never read */

/* What a run's stop hook knows. */
struct watch {
	struct store		*store;
	int64_t			 seq;
	const char		*owner;
	long long		 last_check, last_renew;
};

/* The stop hook: cancelled, deleted or no longer ours? */
static int
stop_check(void *arg)
{
	struct watch	*w = arg;
	struct db	*db;
	long long	 now = clock_ms();
	int		 stop = 0;

	if (now - w->last_check < CHECK_MS)
		return 0;
	w->last_check = now;
	if ((db = store_get(w->store)) == NULL)
		return 0;
	stop = respstore_cancelled(db, w->seq);
	if (!stop && now - w->last_renew >= RENEW_MS) {
		w->last_renew = now;
		stop = !respstore_lease(db, w->seq, w->owner, 0);
	}
	store_put(w->store, db);
	return stop;
}

/* Record a run that failed before or during its call. */
static void
fail(struct store *store, int64_t seq, const char *owner, const char *code,
    const char *message)
{
	struct json_object	*e;
	struct respstore_state	 st;
	struct db		*db;

	memset(&st, 0, sizeof(st));
	st.status = "failed";
	st.output = "[]";
	/* Without memory for the error's text, a fixed one: still failed. */
	if ((e = json_object_new_object()) == NULL ||
	    !jsonx_put(e, "code", json_object_new_string(code)) ||
	    !jsonx_put(e, "message", json_object_new_string(message)) ||
	    (st.error = jsonx_to_string(e, NULL)) == NULL)
		st.error = "{\"code\":\"server_error\",\"message\":"
		    "\"The server ran out of memory.\"}";
	if ((db = store_get(store)) != NULL) {
		(void)respstore_finish(db, seq, owner, &st);
		store_put(store, db);
	}
	json_object_put(e);
}

/* The error code a failed response shows for the call's fault. */
static const char *
fault_code(const struct ctx *c)
{
	int	 status = fault_status(&c->fault);

	if (status == 429)
		return "rate_limit_exceeded";
	if (status >= 400 && status < 500)
		return "invalid_prompt";
	return "server_error";
}

/*
 * Run the background response at seq, held by owner, to its end, with
 * the calling thread's upstream handle.  Returns VN_OK unless the database
 * failed; every other outcome is written into the row.
 */
enum vn_err
background_run(const struct cfg *cfg, struct store *store, void **upstream,
    int64_t seq, const char *owner)
{
	struct respstore_row	 row;
	struct respconv_opts	 opts;
	struct responses_turn	 run;
	struct watch		 w;
	struct capture		 k;
	struct ctx		 c;
	struct json_object	*req = NULL, *history = NULL;
	struct db		*db;
	int			 release = 0;
	enum vn_err		 rc;

	memset(&row, 0, sizeof(row));
	capture_init(&k, cfg->max_upstream_response + 65536);
	ctx_init(&c, cfg, &k.sink, "POST", "/v1/responses");
	if ((db = store_get(store)) == NULL) {
		rc = VN_ESTORE;
		goto out;
	}
	rc = respstore_get_seq(db, seq, &row);
	if (rc == VN_OK)
		rc = respstore_start(db, seq, owner);
	store_put(store, db);
	if (rc == VN_ENOTFOUND) {	/* cancelled, deleted or lost */
		rc = VN_OK;
		goto out;
	}
	/* From here on, let go of it at the end: a failure is retried. */
	release = 1;
	if (rc != VN_OK)
		goto out;
	c.store = store;
	c.upstream = upstream;
	snprintf(c.who.workspace_id, sizeof(c.who.workspace_id), "%s",
	    row.workspace_id);
	snprintf(c.who.key_id, sizeof(c.who.key_id), "%s", row.key_id);
	if (row.previous_response_id[0] != '\0')
		rc = responses_history(&c, row.previous_response_id,
		    &history);
	if (rc == VN_OK && (jsonx_parse(row.request, strlen(row.request),
	    REQUEST_DEPTH, &req, &c.fault) != VN_OK ||
	    respconv_check(req, &opts, &c.fault) != VN_OK))
		rc = VN_EINVAL;
	if (rc != VN_OK) {
		/* A request that no longer passes (a chain since deleted,
		 * a config without its model) fails; the database retries. */
		if (rc != VN_ESTORE && rc != VN_ENOMEM && rc != VN_EUNAVAIL)
			fail(store, seq, owner, c.fault.code != NULL &&
			    strcmp(c.fault.code, "context_length_exceeded") ==
			    0 ? c.fault.code : "invalid_prompt", c.fault.msg);
		goto out;
	}
	memset(&w, 0, sizeof(w));
	w.store = store;
	w.seq = seq;
	w.owner = owner;
	w.last_check = w.last_renew = clock_ms();
	k.stop = stop_check;
	k.stop_arg = &w;

	memset(&run, 0, sizeof(run));
	run.req = req;
	run.request_text = row.request;
	run.model = row.model;
	run.previous_response_id = row.previous_response_id[0] != '\0' ?
	    row.previous_response_id : NULL;
	run.history = history;
	snprintf(run.id, sizeof(run.id), "%s", row.id);
	run.created_at = row.created_at;
	run.store = 1;
	run.seq = seq;
	run.owner = owner;
	rc = responses_run(&c, &run);
	if (rc != VN_OK && !c.client_gone)
		fail(store, seq, owner, fault_code(&c), c.fault.msg[0] != '\0' ?
		    c.fault.msg : "The response failed.");
	else if (c.client_gone)
		log_info("response %s: cancelled; upstream call aborted",
		    row.id);
	responses_turn_free(&run);
	rc = VN_OK;
out:
	if (release && (db = store_get(store)) != NULL) {
		(void)respstore_lease(db, seq, owner, 1);
		store_put(store, db);
	}
	json_object_put(history);
	json_object_put(req);
	respstore_row_free(&row);
	ctx_free(&c);
	capture_free(&k);
	return rc;
}

static void *
executor(void *arg)
{
	struct background	*bg = arg;
	void			*upstream = NULL;
	int64_t			 seq;

	pthread_mutex_lock(&bg->mu);
	for (;;) {
		while (bg->qlen == 0 && !bg->stopping)
			pthread_cond_wait(&bg->work, &bg->mu);
		if (bg->stopping)
			break;
		seq = bg->q[bg->qhead];
		bg->qhead = (bg->qhead + 1) % QUEUE_MAX;
		bg->qlen--;
		bg->busy++;
		pthread_mutex_unlock(&bg->mu);
		(void)background_run(bg->cfg, bg->store, &upstream, seq,
		    lease_owner());
		pthread_mutex_lock(&bg->mu);
		bg->busy--;
		pthread_cond_broadcast(&bg->idle);
	}
	pthread_mutex_unlock(&bg->mu);
	upstream_thread_free(upstream);
	return NULL;
}

/* The process's executor; threads start on the first submission. */
struct background *
background_new(const struct cfg *cfg, struct store *store)
{
	struct background	*bg;

	if ((bg = calloc(1, sizeof(*bg))) == NULL)
		return NULL;
	bg->cfg = cfg;
	bg->store = store;
	pthread_mutex_init(&bg->mu, NULL);
	pthread_cond_init(&bg->work, NULL);
	pthread_cond_init(&bg->idle, NULL);
	process_bg = bg;
	return bg;
}

/*
 * Queue the stored response at seq, which this process holds.  Returns
 * 0 when it cannot run here (queue full, no thread, stopping): the
 * caller then releases it for venna-batch.
 */
int
background_submit(struct background *bg, int64_t seq)
{
	pthread_t	 tid;
	int		 ok = 0;

	if (bg == NULL)
		return 0;
	pthread_mutex_lock(&bg->mu);
	if (!bg->stopping && bg->qlen < QUEUE_MAX) {
		/* A thread per waiting response, up to the cap. */
		if (bg->busy + bg->qlen >= bg->nthreads &&
		    bg->nthreads < (size_t)bg->cfg->background_threads &&
		    pthread_create(&tid, NULL, executor, bg) == 0) {
			pthread_detach(tid);
			bg->nthreads++;
		}
		if (bg->nthreads > 0) {
			bg->q[(bg->qhead + bg->qlen) % QUEUE_MAX] = seq;
			bg->qlen++;
			pthread_cond_signal(&bg->work);
			ok = 1;
		}
	}
	pthread_mutex_unlock(&bg->mu);
	return ok;
}

/*
 * Stop taking work; let the runs under way end until deadline_ms
 * (monotonic).  Responses still queued are released for venna-batch;
 * runs still going when the deadline passes are left to it too (this
 * process's lease owner is about to go).  The executor is not freed:
 * a thread may still be in a run.
 */
void
background_stop(struct background *bg, long long deadline_ms)
{
	struct timespec	 ts;
	struct db	*db;
	int64_t		 left[QUEUE_MAX];
	size_t		 i, n = 0;

	if (bg == NULL)
		return;
	pthread_mutex_lock(&bg->mu);
	bg->stopping = 1;
	while (bg->qlen > 0) {
		left[n++] = bg->q[bg->qhead];
		bg->qhead = (bg->qhead + 1) % QUEUE_MAX;
		bg->qlen--;
	}
	pthread_cond_broadcast(&bg->work);
	while (bg->busy > 0 && clock_ms() < deadline_ms) {
		clock_deadline(&ts, 100);
		pthread_cond_timedwait(&bg->idle, &bg->mu, &ts);
	}
	if (bg->busy > 0)
		log_warn("%zu background responses still running; "
		    "venna-batch will finish them", bg->busy);
	pthread_mutex_unlock(&bg->mu);
	if (n > 0 && (db = store_get(bg->store)) != NULL) {
		for (i = 0; i < n; i++)
			(void)respstore_lease(db, left[i], lease_owner(), 1);
		store_put(bg->store, db);
	}
}

/* One recovered response, on a thread of its own. */
struct recovery {
	struct runner	*rn;
	int64_t		 seq;
	pthread_t	 tid;
};

static void *
recover_one(void *arg)
{
	struct recovery		*rc = arg;
	void			*upstream = NULL;

	(void)background_run(rc->rn->cfg, rc->rn->store, &upstream, rc->seq,
	    rc->rn->owner);
	upstream_thread_free(upstream);
	return NULL;
}

/*
 * venna-batch's task: run the background responses no live process
 * holds (their worker died, or could not queue them), RECOVER_MAX at a
 * time, while the pass's budget lasts.
 */
enum vn_err
background_recover_task(struct runner *rn)
{
	struct recovery	 rec[RECOVER_MAX];
	struct db	*db;
	size_t		 i, n;
	int64_t		 seq;
	enum vn_err	 rc = VN_OK;

	while (clock_ms() < rn->deadline_ms) {
		n = 0;
		if ((db = store_get(rn->store)) == NULL)
			return VN_ESTORE;
		while (n < RECOVER_MAX && (seq = respstore_claim(db, rn->cfg,
		    rn->owner)) != 0) {
			rec[n].rn = rn;
			rec[n].seq = seq;
			n++;
		}
		store_put(rn->store, db);
		if (n == 0)
			break;
		log_info("recovering %zu background responses", n);
		for (i = 0; i < n; i++)
			if (pthread_create(&rec[i].tid, NULL, recover_one,
			    &rec[i]) != 0) {
				recover_one(&rec[i]);
				rec[i].seq = 0;
			}
		for (i = 0; i < n; i++)
			if (rec[i].seq != 0)
				pthread_join(rec[i].tid, NULL);
	}
	return rc;
}
