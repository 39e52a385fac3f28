/*
 * usage.c: writing the usage ledger and pricing its rows.  Prices are
 * picodollars per token (cfg.c), so costs are exact integers; a
 * product that would overflow saturates instead of wrapping.
 */
#include "config.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

#include <json.h>
#include <sqlite3.h>

#include "cfg.h"
#include "db.h"
#include "log.h"
#include "store.h"
#include "usage.h"

static int64_t
mul_sat(int64_t a, int64_t b)
{
	int64_t	 r;

	if (a <= 0 || b <= 0)
		return 0;
	if (__builtin_mul_overflow(a, b, &r))
		return INT64_MAX;
	return r;
}

static int64_t
add_sat(int64_t a, int64_t b)
{
	int64_t	 r;

	if (__builtin_add_overflow(a, b, &r))
		return INT64_MAX;
	return r;
}

/*
 * The cost of a request in picodollars: cached input tokens at the
 * cached price, the rest of the input at the input price, the output at
 * the output price; factor_pct scales it (batch discount; 100 = none).
 */
int64_t
usage_cost(const struct cfg_model *m, int64_t prompt, int64_t cached,
    int64_t completion, int factor_pct)
{
	int64_t	 cost;

	if (m == NULL)
		return 0;
	if (cached > prompt)
		cached = prompt;
	cost = add_sat(add_sat(mul_sat(prompt - cached, m->input_price),
	    mul_sat(cached, m->cached_input_price)),
	    mul_sat(completion, m->output_price));
	if (factor_pct != 100)
		cost = cost / 100 * factor_pct + cost % 100 * factor_pct / 100;
	return cost;
}

static int64_t
field(struct json_object *o, const char *k)
{
	struct json_object	*v;

	if (o == NULL || !json_object_object_get_ex(o, k, &v) ||
	    !json_object_is_type(v, json_type_int))
		return 0;
	return json_object_get_int64(v) > 0 ? json_object_get_int64(v) : 0;
}

/*
 * Read the token counts of an OpenAI usage object, chat style
 * (prompt_tokens, completion_tokens) or Responses style (input_tokens,
 * output_tokens), with their cached-token details.  Missing counts are
 * 0.
 */
void
usage_from_json(struct json_object *u, int64_t *prompt, int64_t *completion,
    int64_t *cached)
{
	struct json_object	*d = NULL;

	*prompt = field(u, "prompt_tokens") + field(u, "input_tokens");
	*completion = field(u, "completion_tokens") +
	    field(u, "output_tokens");
	*cached = 0;
	if (u != NULL && (json_object_object_get_ex(u,
	    "prompt_tokens_details", &d) || json_object_object_get_ex(u,
	    "input_tokens_details", &d)))
		*cached = field(d, "cached_tokens");
}

/*
 * Group commit.  Each caller queues its row; whoever finds no commit in
 * progress becomes the leader, takes every row queued so far and
 * commits them in one transaction, while the others wait for theirs.
 * A row is on disk (in the WAL) before its caller returns, as before,
 * but under load many rows share one lock round-trip and one set of
 * page writes.  A lone request commits its own row at once, with no
 * hand-over to another thread.
 */
struct waiter {
	const struct usage_row	*row;
	enum vn_err		 rc;
	int			 done;
	struct waiter		*next;
};

static pthread_mutex_t	 group_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 group_cv = PTHREAD_COND_INITIALIZER;
static struct waiter	*group_queue;
static int		 group_leading;

static enum vn_err
insert(struct db *db, const struct usage_row *u)
{
	sqlite3_stmt	*st;
	enum vn_err	 rc;

	if ((st = db_stmt(db, STMT_USAGE_INSERT)) == NULL)
		return VN_ESTORE;
	sqlite3_bind_text(st, 1, u->request_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL));
	sqlite3_bind_text(st, 3, u->workspace_id, -1, SQLITE_STATIC);
	if (u->key_id != NULL && *u->key_id != '\0')
		sqlite3_bind_text(st, 4, u->key_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, u->endpoint, -1, SQLITE_STATIC);
	if (u->model != NULL)
		sqlite3_bind_text(st, 6, u->model, -1, SQLITE_STATIC);
	if (u->upstream != NULL)
		sqlite3_bind_text(st, 7, u->upstream, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, u->prompt_tokens);
	sqlite3_bind_int64(st, 9, u->completion_tokens);
	sqlite3_bind_int64(st, 10, u->cached_tokens);
	sqlite3_bind_int64(st, 11, u->cost_pusd);
	sqlite3_bind_int(st, 12, u->status);
	sqlite3_bind_int64(st, 13, u->latency_ms);
	if (u->batch_id != NULL)
		sqlite3_bind_text(st, 14, u->batch_id, -1, SQLITE_STATIC);
	rc = db_rc(db, sqlite3_step(st), "usage insert");
	sqlite3_reset(st);
	return rc;
}

/* Commit a batch in one transaction; every waiter gets the outcome. */
static void
commit_batch(struct store *store, struct waiter *batch)
{
	struct db	*db;
	struct waiter	*w;
	enum vn_err	 rc;

	if ((db = store_get(store)) == NULL)
		rc = VN_ESTORE;
	else if ((rc = db_begin(db)) == VN_OK) {
		for (w = batch; w != NULL && rc == VN_OK; w = w->next)
			rc = insert(db, w->row);
		if (rc == VN_OK)
			rc = db_commit(db);
		else
			db_rollback(db);
	}
	store_put(store, db);
	for (w = batch; w != NULL; w = w->next)
		w->rc = rc;
}

/*
 * Append one row to the ledger; returns once it is committed (or the
 * commit failed, which is logged).
 */
enum vn_err
usage_record(struct store *store, const struct usage_row *u)
{
	struct waiter	 me, *batch, *w, *next;

	memset(&me, 0, sizeof(me));
	me.row = u;
	pthread_mutex_lock(&group_mu);
	me.next = group_queue;
	group_queue = &me;
	while (!me.done) {
		if (group_leading) {
			pthread_cond_wait(&group_cv, &group_mu);
			continue;
		}
		group_leading = 1;
		batch = group_queue;
		group_queue = NULL;
		pthread_mutex_unlock(&group_mu);
		commit_batch(store, batch);
		pthread_mutex_lock(&group_mu);
		for (w = batch; w != NULL; w = next) {
			next = w->next;
			w->done = 1;
		}
		group_leading = 0;
		pthread_cond_broadcast(&group_cv);
	}
	pthread_mutex_unlock(&group_mu);
	if (me.rc != VN_OK)
		log_error("usage row of %s not written", u->request_id);
	return me.rc;
}
