/*
 * respstore.c: stored responses and their input items (respstore.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json.h>
#include <sqlite3.h>

#include "buf.h"
#include "db.h"
#include "fault.h"
#include "jsonx.h"
#include "lease.h"
#include "respstore.h"

#define CLAIM_SCAN	64	/* background responses looked at a claim */

/* The columns of RESP_COLS (sql.c), in order. */
enum resp_col {
	RC_SEQ, RC_ID, RC_WS, RC_KEY, RC_PREV, RC_MODEL, RC_STATUS,
	RC_BACKGROUND, RC_CREATED, RC_COMPLETED, RC_REQUEST, RC_OUTPUT,
	RC_USAGE, RC_ERROR, RC_INCOMPLETE
};

/* Release what a row owns; safe on a zeroed or freed row. */
void
respstore_row_free(struct respstore_row *row)
{
	if (row == NULL)
		return;
	free(row->request);
	free(row->output);
	free(row->usage);
	free(row->error);
	free(row->incomplete);
	row->request = row->output = row->usage = row->error =
	    row->incomplete = NULL;
}

/* The row st is on, into row (zeroed first). */
static enum vn_err
row_read(sqlite3_stmt *st, struct respstore_row *row)
{
	memset(row, 0, sizeof(*row));
	row->seq = sqlite3_column_int64(st, RC_SEQ);
	db_col_copy(st, RC_ID, row->id, sizeof(row->id));
	db_col_copy(st, RC_WS, row->workspace_id, sizeof(row->workspace_id));
	db_col_copy(st, RC_KEY, row->key_id, sizeof(row->key_id));
	db_col_copy(st, RC_PREV, row->previous_response_id,
	    sizeof(row->previous_response_id));
	db_col_copy(st, RC_MODEL, row->model, sizeof(row->model));
	db_col_copy(st, RC_STATUS, row->status, sizeof(row->status));
	row->background = sqlite3_column_int(st, RC_BACKGROUND);
	row->created_at = sqlite3_column_int64(st, RC_CREATED);
	row->completed_at = sqlite3_column_int64(st, RC_COMPLETED);
	if (!db_col_dup(st, RC_REQUEST, &row->request) ||
	    !db_col_dup(st, RC_OUTPUT, &row->output) ||
	    !db_col_dup(st, RC_USAGE, &row->usage) ||
	    !db_col_dup(st, RC_ERROR, &row->error) ||
	    !db_col_dup(st, RC_INCOMPLETE, &row->incomplete)) {
		respstore_row_free(row);
		return VN_ENOMEM;
	}
	return VN_OK;
}

/* Run st (bound) for one row into row; VN_ENOTFOUND when none. */
static enum vn_err
row_fetch(struct db *db, sqlite3_stmt *st, struct respstore_row *row)
{
	enum vn_err	 rc;
	int		 step;

	step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		rc = row_read(st, row);
	else
		rc = step == SQLITE_DONE ? VN_ENOTFOUND :
		    db_rc(db, step, "response");
	sqlite3_reset(st);
	return rc;
}

/* Response id of workspace ws into row (the caller frees it). */
enum vn_err
respstore_get(struct db *db, const char *ws, const char *id,
    struct respstore_row *row)
{
	sqlite3_stmt	*st;

	if ((st = db_stmt(db, STMT_RESP_GET)) == NULL)
		return VN_ESTORE;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, ws, -1, SQLITE_STATIC);
	return row_fetch(db, st, row);
}

/* The response at seq, whichever workspace's: for its runner only. */
enum vn_err
respstore_get_seq(struct db *db, int64_t seq, struct respstore_row *row)
{
	sqlite3_stmt	*st;

	if ((st = db_stmt(db, STMT_RESP_BY_SEQ)) == NULL)
		return VN_ESTORE;
	sqlite3_bind_int64(st, 1, seq);
	return row_fetch(db, st, row);
}

/*
 * The size, in bytes of JSON text, of the conversation that continues
 * prev (response of ws): every turn's input and output items back
 * through the previous_response_id chain, counted without reading them.
 * 400 previous_response_not_found when prev is missing, another
 * workspace's, deleted or never stored; 400 while it still runs.
 * Failures go to f.
 */
enum vn_err
respstore_history_size(struct db *db, const char *ws, const char *prev,
    size_t *bytes, struct fault *f)
{
	sqlite3_stmt	*st;
	char		 status[16] = "";
	int		 step;

	*bytes = 0;
	if ((st = db_stmt(db, STMT_RESP_PREV)) == NULL)
		return VN_ESTORE;
	sqlite3_bind_text(st, 1, prev, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, ws, -1, SQLITE_STATIC);
	if ((step = sqlite3_step(st)) == SQLITE_ROW)
		db_col_copy(st, 0, status, sizeof(status));
	sqlite3_reset(st);
	if (step == SQLITE_DONE)
		return fault_set(f, VN_EINVAL, "previous_response_id",
		    "previous_response_not_found", "Previous response with "
		    "id '%.80s' not found.", prev);
	if (step != SQLITE_ROW)
		return db_rc(db, step, "previous response");
	if (strcmp(status, "queued") == 0 || strcmp(status, "in_progress") ==
	    0)
		return fault_set(f, VN_EINVAL, "previous_response_id",
		    "invalid_value", "Previous response with id '%.80s' is "
		    "still %s; wait for it to end.", prev, status);
	if ((st = db_stmt(db, STMT_RESP_CHAIN_SIZE)) == NULL)
		return VN_ESTORE;
	sqlite3_bind_text(st, 1, prev, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, ws, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, RESPSTORE_CHAIN_MAX);
	if ((step = sqlite3_step(st)) == SQLITE_ROW)
		*bytes = (size_t)sqlite3_column_int64(st, 0) + 2;
	sqlite3_reset(st);
	return step == SQLITE_ROW ? VN_OK : db_rc(db, step, "response chain");
}

/*
 * The conversation that continues prev, as one JSON array text into out
 * (respstore_history_size() said how large and checked prev), oldest
 * turn first.  VN_ETOOBIG past out's cap (the chain grew meanwhile).
 */
enum vn_err
respstore_history(struct db *db, const char *ws, const char *prev,
    struct buf *out)
{
	sqlite3_stmt	*st;
	int		 step;
	enum vn_err	 rc;

	if ((st = db_stmt(db, STMT_RESP_CHAIN)) == NULL)
		return VN_ESTORE;
	sqlite3_bind_text(st, 1, prev, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, ws, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, RESPSTORE_CHAIN_MAX);
	if ((step = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_reset(st);
		return db_rc(db, step, "response chain");
	}
	if ((rc = buf_addc(out, '[')) == VN_OK &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL)
		rc = db_col_add(st, 0, out);
	if (rc == VN_OK)
		rc = buf_addc(out, ']');
	sqlite3_reset(st);
	return rc;
}

static void
bind_opt(sqlite3_stmt *st, int i, const char *s)
{
	if (s != NULL)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

/* Bind a response's state to parameters i to i + 5, in RESP_STATE order. */
static void
bind_state(sqlite3_stmt *st, int i, const struct respstore_state *s)
{
	sqlite3_bind_text(st, i, s->status, -1, SQLITE_STATIC);
	bind_opt(st, i + 1, s->output);
	bind_opt(st, i + 2, s->usage);
	bind_opt(st, i + 3, s->error);
	bind_opt(st, i + 4, s->incomplete);
	if (s->completed_at != 0)
		sqlite3_bind_int64(st, i + 5, s->completed_at);
}

/*
 * Store a response and its input items (a JSON array, or NULL) in one
 * transaction; *seq is its row.
 */
enum vn_err
respstore_insert(struct db *db, const struct respstore_new *n,
    struct json_object *items, int64_t *seq)
{
	struct json_object	*it, *idv;
	sqlite3_stmt		*st;
	const char		*text;
	size_t			 i, len;
	int			 step;
	enum vn_err		 rc;

	if ((rc = db_begin(db)) != VN_OK)
		return rc;
	if ((st = db_stmt(db, STMT_RESP_INSERT)) == NULL) {
		rc = VN_ESTORE;
		goto out;
	}
	sqlite3_bind_text(st, 1, n->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, n->workspace_id, -1, SQLITE_STATIC);
	bind_opt(st, 3, n->key_id);
	bind_opt(st, 4, n->previous_response_id);
	sqlite3_bind_text(st, 5, n->model, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, n->background);
	sqlite3_bind_text(st, 7, n->request, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, n->created_at);
	bind_state(st, 9, &n->st);
	bind_opt(st, 15, n->lease_owner);
	if (n->lease_owner != NULL)
		sqlite3_bind_int64(st, 16, n->created_at + RESPSTORE_LEASE_S);
	step = sqlite3_step(st);
	*seq = step == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	rc = step == SQLITE_ROW ? VN_OK : db_rc(db, step, "response insert");
	sqlite3_reset(st);
	len = items != NULL ? json_object_array_length(items) : 0;
	for (i = 0; i < len && rc == VN_OK; i++) {
		it = json_object_array_get_idx(items, i);
		if ((st = db_stmt(db, STMT_RITEM_INSERT)) == NULL) {
			rc = VN_ESTORE;
			break;
		}
		if ((text = json_object_to_json_string_ext(it,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)) ==
		    NULL) {
			rc = VN_ENOMEM;
			break;
		}
		sqlite3_bind_int64(st, 1, *seq);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)i + 1);
		sqlite3_bind_text(st, 3, json_object_object_get_ex(it, "id",
		    &idv) && json_object_is_type(idv, json_type_string) ?
		    json_object_get_string(idv) : "", -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 4, text, -1, SQLITE_TRANSIENT);
		rc = db_rc(db, sqlite3_step(st), "response item");
		sqlite3_reset(st);
	}
out:
	rc = db_end(db, rc);
	return rc;
}

/*
 * Record how a running response (held by owner) ended.  VN_ECONFLICT
 * when it is no longer running there: cancelled, deleted, or taken
 * over after its lease ran out.
 */
enum vn_err
respstore_finish(struct db *db, int64_t seq, const char *owner,
    const struct respstore_state *s)
{
	sqlite3_stmt	*st;
	enum vn_err	 rc;

	if ((st = db_stmt(db, STMT_RESP_FINISH)) == NULL)
		return VN_ESTORE;
	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_text(st, 2, owner, -1, SQLITE_STATIC);
	bind_state(st, 3, s);
	rc = db_rc(db, sqlite3_step(st), "response finish");
	sqlite3_reset(st);
	if (rc == VN_OK && db_changes(db) != 1)
		rc = VN_ECONFLICT;
	return rc;
}

/* Run the one-parameter statement which on seq; VN_OK when done. */
static enum vn_err
on_seq(struct db *db, enum stmt which, int64_t seq)
{
	sqlite3_stmt	*st;
	enum vn_err	 rc;

	if ((st = db_stmt(db, which)) == NULL)
		return VN_ESTORE;
	sqlite3_bind_int64(st, 1, seq);
	rc = db_rc(db, sqlite3_step(st), "response delete");
	sqlite3_reset(st);
	return rc;
}

/* Does a response of ws continue the one named id?  -1 on error. */
static int
continued(struct db *db, const char *ws, const char *id)
{
	sqlite3_stmt	*st;
	int		 step;

	if ((st = db_stmt(db, STMT_RESP_CONTINUED)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, ws, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	sqlite3_reset(st);
	return step == SQLITE_ROW ? 1 : step == SQLITE_DONE ? 0 : -1;
}

/* Hide the response at seq: gone to every lookup, its items kept. */
static enum vn_err
hide(struct db *db, int64_t seq)
{
	sqlite3_stmt	*st;
	enum vn_err	 rc;

	if ((st = db_stmt(db, STMT_RESP_HIDE)) == NULL)
		return VN_ESTORE;
	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL));
	rc = db_rc(db, sqlite3_step(st), "response delete");
	sqlite3_reset(st);
	return rc;
}

/* Remove the response at seq and its items for good. */
static enum vn_err
purge(struct db *db, int64_t seq)
{
	enum vn_err	 rc;

	/* The items first: they refer to the response. */
	if ((rc = on_seq(db, STMT_RITEM_PURGE, seq)) != VN_OK)
		return rc;
	return on_seq(db, STMT_RESP_DELETE, seq);
}

/*
 * Look up response id of ws (hidden ones if hidden) into *seq and its
 * previous_response_id into prev ("" if none).  VN_ENOTFOUND if none.
 */
static enum vn_err
find(struct db *db, const char *ws, const char *id, int hidden, int64_t *seq,
    char *prev, size_t prevsz)
{
	sqlite3_stmt	*st;
	int		 step;
	enum vn_err	 rc;

	if ((st = db_stmt(db, hidden ? STMT_RESP_HIDDEN : STMT_RESP_SEQ)) ==
	    NULL)
		return VN_ESTORE;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, ws, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		*seq = sqlite3_column_int64(st, 0);
		db_col_copy(st, 1, prev, prevsz);
	}
	rc = step == SQLITE_ROW ? VN_OK : step == SQLITE_DONE ?
	    VN_ENOTFOUND : db_rc(db, step, "response delete");
	sqlite3_reset(st);
	return rc;
}

/*
 * Delete response id of ws.  The rule of previous_response_id holds: a
 * continuation sees what the response it continues saw.  So a response
 * that others continue is hidden (404 to every lookup and as a
 * previous_response_id) but keeps its items for their conversations;
 * one that none continues is removed, and with it every hidden ancestor
 * that no other response continues.  VN_ENOTFOUND if there is none.
 */
enum vn_err
respstore_delete(struct db *db, const char *ws, const char *id)
{
	char		 cur[VN_MAX_ID + 1], prev[VN_MAX_ID + 1];
	int64_t		 seq = 0;
	int		 more;
	enum vn_err	 rc;

	if ((rc = db_begin(db)) != VN_OK)
		return rc;
	snprintf(cur, sizeof(cur), "%s", id);
	if ((rc = find(db, ws, cur, 0, &seq, prev, sizeof(prev))) != VN_OK)
		goto out;
	if ((more = continued(db, ws, cur)) < 0) {
		rc = VN_ESTORE;
		goto out;
	}
	if (more) {
		rc = hide(db, seq);
		goto out;
	}
	while ((rc = purge(db, seq)) == VN_OK && prev[0] != '\0') {
		snprintf(cur, sizeof(cur), "%s", prev);
		if ((rc = find(db, ws, cur, 1, &seq, prev, sizeof(prev))) !=
		    VN_OK || (more = continued(db, ws, cur)) != 0)
			break;
	}
	if (rc == VN_ENOTFOUND || more > 0)
		rc = VN_OK;	/* the ancestor is live, or still continued */
	else if (more < 0)
		rc = VN_ESTORE;
out:
	return db_end(db, rc);
}

/*
 * Cancel background response id of ws while it is queued or running:
 * it is cancelled at once; its runner notices within a tick and aborts
 * the upstream call.  VN_OK whether or not it was running (the caller
 * reads the row to answer).
 */
enum vn_err
respstore_cancel(struct db *db, const char *ws, const char *id)
{
	sqlite3_stmt	*st;
	enum vn_err	 rc;

	if ((st = db_stmt(db, STMT_RESP_CANCEL)) == NULL)
		return VN_ESTORE;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, ws, -1, SQLITE_STATIC);
	rc = db_rc(db, sqlite3_step(st), "response cancel");
	sqlite3_reset(st);
	return rc;
}

/*
 * One page of response seq's input items as the list object of
 * openai-api.md §1.4 into out: limit + 1 rows are read so has_more is
 * exact.  after is an item id of this response (400 if not).
 */
enum vn_err
respstore_items(struct db *db, int64_t seq, int asc, const char *after,
    long limit, struct buf *out, struct fault *f)
{
	sqlite3_stmt	*st;
	sqlite3_int64	 from = asc ? 0 : INT64_MAX;
	char		 first[VN_MAX_ID + 1] = "", last[VN_MAX_ID + 1] = "";
	long		 n = 0;
	int		 step, more = 0;
	enum vn_err	 rc = VN_OK;

	if (after != NULL) {
		if ((st = db_stmt(db, STMT_RITEM_SEQ)) == NULL)
			return VN_ESTORE;
		sqlite3_bind_int64(st, 1, seq);
		sqlite3_bind_text(st, 2, after, -1, SQLITE_STATIC);
		step = sqlite3_step(st);
		if (step == SQLITE_ROW)
			from = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		if (step == SQLITE_DONE)
			return fault_set(f, VN_EINVAL, "after",
			    "invalid_value", "Invalid 'after': no input item "
			    "'%.80s' in this response.", after);
		if (step != SQLITE_ROW)
			return db_rc(db, step, "response item cursor");
	}
	if ((st = db_stmt(db, asc ? STMT_RITEM_ASC : STMT_RITEM_DESC)) ==
	    NULL)
		return VN_ESTORE;
	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)limit + 1);
	rc = buf_addstr(out, "{\"object\":\"list\",\"data\":[");
	while (rc == VN_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == limit) {
			more = 1;
			break;
		}
		db_col_copy(st, 0, n == 0 ? first : last, sizeof(first));
		if (n == 0)
			memcpy(last, first, sizeof(last));
		if (n++ > 0)
			rc = buf_addc(out, ',');
		if (rc == VN_OK)
			rc = db_col_add(st, 1, out);
	}
	if (rc == VN_OK && step != SQLITE_ROW && step != SQLITE_DONE)
		rc = db_rc(db, step, "response items");
	sqlite3_reset(st);
	if (rc == VN_OK)
		rc = buf_add_list_end(out, first, last, more);
	if (rc == VN_OK)
		rc = buf_addc(out, '}');
	return rc;
}

/* Whether response seq was cancelled (or deleted) under its runner. */
int
respstore_cancelled(struct db *db, int64_t seq)
{
	sqlite3_stmt	*st;
	int		 step, yes = 0;

	if ((st = db_stmt(db, STMT_RESP_STATUS)) == NULL)
		return 0;
	sqlite3_bind_int64(st, 1, seq);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		yes = db_col_is(st, 0, "cancelled") ||
		    db_col_is(st, 0, "deleted");
	else if (step == SQLITE_DONE)
		yes = 1;
	sqlite3_reset(st);
	return yes;
}

/*
 * queued -> in_progress for its holder.  VN_ENOTFOUND when it is not to
 * run (cancelled, deleted, taken over); another error when the database
 * failed, and the holder should let go of it so that it is retried.
 */
enum vn_err
respstore_start(struct db *db, int64_t seq, const char *owner)
{
	sqlite3_stmt	*st;
	enum vn_err	 rc;

	if ((st = db_stmt(db, STMT_RESP_START)) == NULL)
		return VN_ESTORE;
	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_text(st, 2, owner, -1, SQLITE_STATIC);
	rc = db_rc(db, sqlite3_step(st), "response start");
	if (rc == VN_OK && db_changes(db) != 1)
		rc = VN_ENOTFOUND;
	sqlite3_reset(st);
	return rc;
}

/* Renew (or release) owner's lease on seq; 1 while it holds it. */
int
respstore_lease(struct db *db, int64_t seq, const char *owner, int release)
{
	sqlite3_stmt	*st;
	int		 ok;

	if ((st = db_stmt(db, release ? STMT_RESP_RELEASE :
	    STMT_RESP_RENEW)) == NULL)
		return 0;
	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_text(st, 2, owner, -1, SQLITE_STATIC);
	if (!release)
		sqlite3_bind_int64(st, 3, (sqlite3_int64)time(NULL) +
		    RESPSTORE_LEASE_S);
	ok = sqlite3_step(st) == SQLITE_DONE && db_changes(db) == 1;
	sqlite3_reset(st);
	return ok;
}

/*
 * Claim a background response left by a process that died, or never
 * started (lease free or expired, or its owner's lock free): the
 * recovery of venna-batch.  Returns its seq, or 0.  As for batches, the
 * liveness check is done outside any transaction and the guarded
 * UPDATE takes the row only from the holder seen dead.
 */
int64_t
respstore_claim(struct db *db, const struct cfg *cfg, const char *owner)
{
	struct {
		int64_t	 seq;
		char	 owner[LEASE_OWNER_LEN + 1];
		int	 free;
	}		 c[CLAIM_SCAN];
	sqlite3_stmt	*st;
	time_t		 now = time(NULL);
	size_t		 i, n = 0;
	int64_t		 seq = 0;

	if ((st = db_stmt(db, STMT_RESP_CANDIDATES)) == NULL)
		return 0;
	sqlite3_bind_int(st, 1, CLAIM_SCAN);
	while (n < CLAIM_SCAN && sqlite3_step(st) == SQLITE_ROW) {
		c[n].seq = sqlite3_column_int64(st, 0);
		db_col_copy(st, 1, c[n].owner, sizeof(c[n].owner));
		c[n].free = sqlite3_column_type(st, 1) == SQLITE_NULL ||
		    sqlite3_column_int64(st, 2) < (sqlite3_int64)now;
		n++;
	}
	sqlite3_reset(st);
	for (i = 0; i < n && seq == 0; i++) {
		if (!c[i].free && !lease_owner_dead(cfg, c[i].owner))
			continue;
		if ((st = db_stmt(db, STMT_RESP_TAKE)) == NULL)
			break;
		sqlite3_bind_int64(st, 1, c[i].seq);
		sqlite3_bind_text(st, 2, owner, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3,
		    (sqlite3_int64)now + RESPSTORE_LEASE_S);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)now);
		sqlite3_bind_text(st, 5, c[i].owner, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_DONE && db_changes(db) == 1)
			seq = c[i].seq;
		sqlite3_reset(st);
	}
	return seq;
}
