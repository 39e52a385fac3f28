/*
 * api_batches.c: POST /v1/batches, GET /v1/batches, GET /v1/batches/{id}
 * and POST /v1/batches/{id}/cancel.  The API only records intentions;
 * venna-batch does the work (batch_run.c), so every answer here is one
 * short database statement.  The batch object and its lifecycle are
 * those of openai-api.md §3.3-3.4; every lookup carries the workspace, so
 * another workspace's batch or input file is a 404 like a missing one.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json.h>
#include <sqlite3.h>

#include "api.h"
#include "buf.h"
#include "ctx.h"
#include "db.h"
#include "files.h"
#include "ids.h"
#include "jsonx.h"
#include "reply.h"
#include "store.h"
#include "url.h"

#define BATCH_LIST_DEFAULT	20
#define BATCH_LIST_MAX		100
#define BATCH_WINDOW		86400	/* "24h" */
#define BATCH_JSON_MAX		(64 * 1024)

/* The endpoints a batch may target: the ones Venna serves. */
static const char *const batch_endpoints[] = {
	"/v1/chat/completions",
	"/v1/embeddings",
	"/v1/responses",
};

/* The columns of BATCH_COLS (sql.c), in order. */
enum batch_col {
	BC_ID, BC_ENDPOINT, BC_MODEL, BC_ERRORS, BC_INPUT, BC_WINDOW,
	BC_STATUS, BC_OUTPUT, BC_ERRFILE, BC_CREATED, BC_IN_PROGRESS,
	BC_EXPIRES, BC_FINALIZING, BC_COMPLETED, BC_FAILED_AT, BC_EXPIRED,
	BC_CANCELLING, BC_CANCELLED, BC_TOTAL, BC_DONE, BC_FAILED,
	BC_METADATA, BC_IN_TOKENS, BC_CACHED, BC_OUT_TOKENS
};

/* The object's fields that come straight from a column. */
static const struct {
	const char	*name;
	enum batch_col	 col;
	int		 json;	/* the column holds JSON text */
} batch_fields[] = {
	{ "endpoint", BC_ENDPOINT, 0 },
	{ "model", BC_MODEL, 0 },
	{ "errors", BC_ERRORS, 1 },
	{ "input_file_id", BC_INPUT, 0 },
	{ "completion_window", BC_WINDOW, 0 },
	{ "status", BC_STATUS, 0 },
	{ "output_file_id", BC_OUTPUT, 0 },
	{ "error_file_id", BC_ERRFILE, 0 },
	{ "created_at", BC_CREATED, 0 },
	{ "in_progress_at", BC_IN_PROGRESS, 0 },
	{ "expires_at", BC_EXPIRES, 0 },
	{ "finalizing_at", BC_FINALIZING, 0 },
	{ "completed_at", BC_COMPLETED, 0 },
	{ "failed_at", BC_FAILED_AT, 0 },
	{ "expired_at", BC_EXPIRED, 0 },
	{ "cancelling_at", BC_CANCELLING, 0 },
	{ "cancelled_at", BC_CANCELLED, 0 },
	{ "metadata", BC_METADATA, 1 },
};

/*
 * The batch object (openai-api.md §3.3) of the row st points at: the
 * fields that are set (the OpenAPI document types them without null, so
 * an unset one is absent); request_counts and usage always.
 */
static enum vn_err
batch_json(struct buf *b, sqlite3_stmt *st)
{
	size_t		 i;
	int64_t		 in, cached, out;
	enum vn_err	 rc;

	if ((rc = buf_addstr(b, "{\"id\":")) != VN_OK ||
	    (rc = db_col_add_json(st, BC_ID, b)) != VN_OK ||
	    (rc = buf_addstr(b, ",\"object\":\"batch\"")) != VN_OK)
		return rc;
	for (i = 0; i < VN_NELEM(batch_fields) && rc == VN_OK; i++) {
		if (sqlite3_column_type(st, batch_fields[i].col) == SQLITE_NULL)
			continue;
		rc = buf_addf(b, ",\"%s\":", batch_fields[i].name);
		if (rc != VN_OK)
			break;
		switch (sqlite3_column_type(st, batch_fields[i].col)) {
		case SQLITE_INTEGER:
			rc = buf_addf(b, "%lld", (long long)
			    sqlite3_column_int64(st, batch_fields[i].col));
			break;
		default:
			rc = batch_fields[i].json ?
			    db_col_add(st, batch_fields[i].col, b) :
			    db_col_add_json(st, batch_fields[i].col, b);
			break;
		}
	}
	if (rc != VN_OK)
		return rc;
	in = sqlite3_column_int64(st, BC_IN_TOKENS);
	cached = sqlite3_column_int64(st, BC_CACHED);
	out = sqlite3_column_int64(st, BC_OUT_TOKENS);
	return buf_addf(b, ",\"request_counts\":{\"total\":%lld,"
	    "\"completed\":%lld,\"failed\":%lld},\"usage\":{"
	    "\"input_tokens\":%lld,\"input_tokens_details\":{"
	    "\"cached_tokens\":%lld},\"output_tokens\":%lld,"
	    "\"output_tokens_details\":{\"reasoning_tokens\":0},"
	    "\"total_tokens\":%lld}}",
	    (long long)sqlite3_column_int64(st, BC_TOTAL),
	    (long long)sqlite3_column_int64(st, BC_DONE),
	    (long long)sqlite3_column_int64(st, BC_FAILED), (long long)in,
	    (long long)cached, (long long)out, (long long)(in + out));
}

static int
batch_endpoint_ok(const char *e)
{
	size_t	 i;

	for (i = 0; i < VN_NELEM(batch_endpoints); i++)
		if (strcmp(e, batch_endpoints[i]) == 0)
			return 1;
	return 0;
}

static enum vn_err
no_such_batch(struct ctx *c, const char *id)
{
	return fault_set(&c->fault, VN_ENOTFOUND, "batch_id", NULL,
	    "No such Batch object: %.80s", id);
}

/* Send the batch the statement st points at (a row of BATCH_COLS). */
static enum vn_err
send_row(struct ctx *c, sqlite3_stmt *st)
{
	struct buf	 b;
	enum vn_err	 rc;

	buf_init(&b, BATCH_JSON_MAX);
	if ((rc = batch_json(&b, st)) == VN_OK)
		rc = reply_json(c, 200, b.data, b.len);
	buf_free(&b);
	return rc;
}

/*
 * output_expires_after (openai-api.md §3.2): {"anchor": "created_at",
 * "seconds": 3600 to 2592000}, or absent/null (*expiry 0).
 */
static enum vn_err
check_output_expiry(struct ctx *c, int64_t *expiry)
{
	struct json_object	*v, *anchor = NULL, *secs = NULL;
	int64_t			 n;

	*expiry = 0;
	if (!json_object_object_get_ex(c->json, "output_expires_after", &v) ||
	    json_object_is_type(v, json_type_null))
		return VN_OK;
	if (!json_object_is_type(v, json_type_object))
		return fault_set(&c->fault, VN_EINVAL, "output_expires_after",
		    "invalid_type", "Invalid type for 'output_expires_after': "
		    "expected an object.");
	if (!json_object_object_get_ex(v, "anchor", &anchor) ||
	    !json_object_is_type(anchor, json_type_string) ||
	    strcmp(json_object_get_string(anchor), "created_at") != 0)
		return fault_set(&c->fault, VN_EINVAL,
		    "output_expires_after.anchor", "invalid_value",
		    "Invalid 'output_expires_after.anchor': "
		    "the only supported value is 'created_at'.");
	if (!json_object_object_get_ex(v, "seconds", &secs) ||
	    !json_object_is_type(secs, json_type_int) ||
	    (n = json_object_get_int64(secs)) < FILE_EXPIRY_MIN ||
	    n > FILE_EXPIRY_MAX)
		return fault_set(&c->fault, VN_EINVAL,
		    "output_expires_after.seconds", "invalid_value",
		    "Invalid 'output_expires_after.seconds': "
		    "an integer from %d to %d is required.", FILE_EXPIRY_MIN,
		    FILE_EXPIRY_MAX);
	*expiry = n;
	return VN_OK;
}

/*
 * The checks the API makes: the fields, and that the input file is one
 * of the workspace's files of purpose "batch".  Its lines are checked by
 * venna-batch, which fails the batch with line-numbered errors.
 */
static enum vn_err
check_create(struct ctx *c, struct db *db, const char **file,
    const char **endpoint, int64_t *expiry)
{
	sqlite3_stmt	*st;
	const char	*window = NULL;
	char		 purpose[32];
	int		 rc;

	if (jsonx_string(c->json, "input_file_id", NULL, 1, VN_MAX_ID, file,
	    &c->fault) != VN_OK ||
	    jsonx_string(c->json, "endpoint", NULL, 1, 64, endpoint,
	    &c->fault) != VN_OK ||
	    jsonx_string(c->json, "completion_window", NULL, 1, 16, &window,
	    &c->fault) != VN_OK ||
	    jsonx_metadata(c->json, "metadata", &c->fault) != VN_OK)
		return VN_EINVAL;
	if (!batch_endpoint_ok(*endpoint))
		return fault_set(&c->fault, VN_EINVAL, "endpoint",
		    "invalid_value",
		    "Invalid value: '%.64s'. Venna runs batches for "
		    "'/v1/chat/completions', '/v1/embeddings' and "
		    "'/v1/responses'.", *endpoint);
	if (strcmp(window, "24h") != 0)
		return fault_set(&c->fault, VN_EINVAL, "completion_window",
		    "invalid_value", "Invalid value: '%.16s'. Supported "
		    "values are: '24h'.", window);
	if ((rc = check_output_expiry(c, expiry)) != VN_OK)
		return rc;
	if ((st = db_stmt(db, STMT_BATCH_INPUT_FILE)) == NULL)
		return VN_ESTORE;
	sqlite3_bind_text(st, 1, *file, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, c->who.workspace_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)time(NULL));
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return db_rc(db, rc, "batch input file");
		return fault_set(&c->fault, VN_ENOTFOUND, "input_file_id", NULL,
		    "No such File object: %.80s", *file);
	}
	/* Copied: the column's text is gone once the statement resets. */
	db_col_copy(st, 0, purpose, sizeof(purpose));
	sqlite3_reset(st);
	rc = strcmp(purpose, "batch") == 0;
	if (!rc)
		return fault_set(&c->fault, VN_EINVAL, "input_file_id",
		    "invalid_value",
		    "File %.80s was uploaded with purpose '%s'; a batch's "
		    "input file needs purpose 'batch'.", *file, purpose);
	return VN_OK;
}

/* A batch about to be created, as checked. */
struct batch_new {
	const char	*id;
	const char	*file;		/* its input file's id */
	const char	*endpoint;
	const char	*metadata;	/* serialized object, or NULL */
	time_t		 now;
	int64_t		 expiry;	/* output_expires_after, or 0 */
};

/*
 * Insert the batch and build its answer into b from the row as stored,
 * in one transaction: once it commits, nothing but the sending can
 * fail, so a client's retry never makes a second batch of a request
 * that was answered with an error.
 */
static enum vn_err
insert_batch(struct ctx *c, struct db *db, const struct batch_new *n,
    struct buf *b)
{
	sqlite3_stmt	*st;
	enum vn_err	 rc;

	if ((rc = db_begin(db)) != VN_OK)
		return rc;
	if ((st = db_stmt(db, STMT_BATCH_INSERT)) == NULL) {
		rc = VN_ESTORE;
		goto out;
	}
	sqlite3_bind_text(st, 1, n->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, c->who.workspace_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, c->who.key_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, n->endpoint, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, n->file, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, "24h", -1, SQLITE_STATIC);
	if (n->metadata != NULL)
		sqlite3_bind_text(st, 7, n->metadata, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)n->now);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)n->now + BATCH_WINDOW);
	if (n->expiry > 0)
		sqlite3_bind_int64(st, 10, n->expiry);
	rc = db_rc(db, sqlite3_step(st), "batch insert");
	sqlite3_reset(st);
	if (rc != VN_OK)
		goto out;
	if ((st = db_stmt(db, STMT_BATCH_GET)) == NULL) {
		rc = VN_ESTORE;
		goto out;
	}
	sqlite3_bind_text(st, 1, n->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, c->who.workspace_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_ROW ? batch_json(b, st) : VN_ESTORE;
	sqlite3_reset(st);
out:
	return db_end(db, rc);
}

enum vn_err
api_batches_create(struct ctx *c)
{
	struct json_object	*meta = NULL;
	struct db		*db;
	struct batch_new	 n;
	struct buf		 b;
	char			 id[VN_MAX_ID];
	enum vn_err		 rc;

	buf_init(&b, BATCH_JSON_MAX);
	memset(&n, 0, sizeof(n));
	n.now = time(NULL);
	n.id = id;
	if ((db = store_get(c->store)) == NULL)
		return VN_ESTORE;
	if ((rc = check_create(c, db, &n.file, &n.endpoint,
	    &n.expiry)) != VN_OK)
		goto out;
	/* Metadata that cannot be serialized is not silently dropped. */
	if (json_object_object_get_ex(c->json, "metadata", &meta) &&
	    json_object_is_type(meta, json_type_object) &&
	    (n.metadata = jsonx_to_string(meta, NULL)) == NULL) {
		rc = VN_ENOMEM;
		goto out;
	}
	ids_new(id, sizeof(id), "batch_", 24);
	rc = insert_batch(c, db, &n, &b);
out:
	store_put(c->store, db);
	if (rc == VN_OK)
		rc = reply_json(c, 200, b.data, b.len);
	buf_free(&b);
	return rc;
}

enum vn_err
api_batches_get(struct ctx *c)
{
	struct db	*db;
	sqlite3_stmt	*st;
	enum vn_err	 rc;
	int		 step;

	if ((db = store_get(c->store)) == NULL)
		return VN_ESTORE;
	if ((st = db_stmt(db, STMT_BATCH_GET)) == NULL) {
		store_put(c->store, db);
		return VN_ESTORE;
	}
	sqlite3_bind_text(st, 1, c->params[0], -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, c->who.workspace_id, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		rc = send_row(c, st);
	else if (step == SQLITE_DONE)
		rc = no_such_batch(c, c->params[0]);
	else
		rc = db_rc(db, step, "batch get");
	sqlite3_reset(st);
	store_put(c->store, db);
	return rc;
}

/*
 * GET /v1/batches: newest first, `limit` 1-100 (20), `after` a batch id
 * of this workspace; has_more is exact (one row more is read).
 */
enum vn_err
api_batches_list(struct ctx *c)
{
	struct db	*db = NULL;
	sqlite3_stmt	*st;
	struct buf	 b;
	char		 v[VN_MAX_ID + 1], first[VN_MAX_ID + 1] = "";
	char		 last[VN_MAX_ID + 1] = "";
	long long	 limit = BATCH_LIST_DEFAULT, before = INT64_MAX, n = 0;
	char		*end;
	enum vn_err	 rc = VN_OK;
	int		 got, more = 0;

	buf_init(&b, BATCH_LIST_MAX * BATCH_JSON_MAX + 4096);
	if ((got = url_query_get(c->query, "limit", v, sizeof(v))) == 1) {
		limit = strtoll(v, &end, 10);
		if (*end != '\0' || limit < 1 || limit > BATCH_LIST_MAX)
			return fault_set(&c->fault, VN_EINVAL, "limit",
			    "invalid_value",
			    "Invalid 'limit': expected an integer from 1 to "
			    "%d.", BATCH_LIST_MAX);
	} else if (got < 0)
		return fault_set(&c->fault, VN_EINVAL, "limit", "invalid_value",
		    "Invalid 'limit'.");
	if ((db = store_get(c->store)) == NULL)
		return VN_ESTORE;
	if ((got = url_query_get(c->query, "after", v, sizeof(v))) != 0) {
		if (got < 0 || (st = db_stmt(db, STMT_BATCH_SEQ)) == NULL) {
			rc = fault_set(&c->fault, VN_EINVAL, "after",
			    "invalid_value", "Invalid 'after'.");
			goto out;
		}
		sqlite3_bind_text(st, 1, v, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, c->who.workspace_id, -1,
		    SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			before = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		if (before == INT64_MAX) {
			rc = fault_set(&c->fault, VN_EINVAL, "after",
			    "invalid_value",
			    "Invalid 'after': no batch %.80s in this "
			    "workspace.", v);
			goto out;
		}
	}
	if ((st = db_stmt(db, STMT_BATCH_LIST)) == NULL) {
		rc = VN_ESTORE;
		goto out;
	}
	sqlite3_bind_text(st, 1, c->who.workspace_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, before);
	sqlite3_bind_int64(st, 3, limit + 1);
	rc = buf_addstr(&b, "{\"object\":\"list\",\"data\":[");
	while (rc == VN_OK && (got = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == limit) {
			more = 1;
			break;
		}
		if (n > 0)
			rc = buf_addc(&b, ',');
		if (rc == VN_OK)
			rc = batch_json(&b, st);
		db_col_copy(st, BC_ID, last, sizeof(last));
		if (n++ == 0)
			memcpy(first, last, sizeof(first));
	}
	sqlite3_reset(st);
	store_put(c->store, db);
	db = NULL;
	/* Strings, not nullable, and optional here: an empty page has none. */
	if (rc == VN_OK)
		rc = buf_addc(&b, ']');
	if (rc == VN_OK && n > 0)
		rc = buf_addstr(&b, ",\"first_id\":");
	if (rc == VN_OK && n > 0)
		rc = buf_add_json_string(&b, first, strlen(first));
	if (rc == VN_OK && n > 0)
		rc = buf_addstr(&b, ",\"last_id\":");
	if (rc == VN_OK && n > 0)
		rc = buf_add_json_string(&b, last, strlen(last));
	if (rc == VN_OK)
		rc = buf_addf(&b, ",\"has_more\":%s}", more ? "true" : "false");
	if (rc == VN_OK)
		rc = reply_json(c, 200, b.data, b.len);
out:
	store_put(c->store, db);
	buf_free(&b);
	return rc;
}

/*
 * POST /v1/batches/{id}/cancel: a running batch becomes "cancelling" and
 * venna-batch stops it, keeping partial results.  Cancelling a batch
 * that is cancelling already answers it as it is; a finished one is a
 * 409 (with x-should-retry: false, or the SDKs would retry).
 */
enum vn_err
api_batches_cancel(struct ctx *c)
{
	struct db	*db;
	sqlite3_stmt	*st;
	char		 status[32] = "";
	enum vn_err	 rc;
	int		 step;

	if ((db = store_get(c->store)) == NULL)
		return VN_ESTORE;
	if ((st = db_stmt(db, STMT_BATCH_CANCEL)) == NULL) {
		rc = VN_ESTORE;
		goto out;
	}
	sqlite3_bind_text(st, 1, c->params[0], -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, c->who.workspace_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)time(NULL));
	rc = db_rc(db, sqlite3_step(st), "batch cancel");
	sqlite3_reset(st);
	if (rc != VN_OK || (st = db_stmt(db, STMT_BATCH_GET)) == NULL) {
		rc = rc != VN_OK ? rc : VN_ESTORE;
		goto out;
	}
	sqlite3_bind_text(st, 1, c->params[0], -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, c->who.workspace_id, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		db_col_copy(st, 6, status, sizeof(status));
		/* Asking again while it is cancelling is no conflict. */
		if (strcmp(status, "cancelling") == 0)
			rc = send_row(c, st);
		else
			rc = fault_set(&c->fault, VN_ECONFLICT, NULL, NULL,
			    "Cannot cancel a batch with status '%s'.",
			    status);
	} else
		rc = step == SQLITE_DONE ? no_such_batch(c, c->params[0]) :
		    db_rc(db, step, "batch get");
	sqlite3_reset(st);
out:
	store_put(c->store, db);
	return rc;
}
