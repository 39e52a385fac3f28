/*
 * api_responses.c: POST /v1/responses, GET and DELETE
 * /v1/responses/{id}, POST /v1/responses/{id}/cancel and GET
 * /v1/responses/{id}/input_items (openai-api.md §5).  Responses are
 * answered by a chat upstream through the translation of respconv.h
 * (responses.c runs them); this file checks, stores and reads back.
 * Every lookup carries the workspace: another workspace's response is
 * a 404 like a missing one, and as a previous_response_id the same 400
 * previous_response_not_found as an unknown id.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json.h>

#include "admission.h"
#include "api.h"
#include "background.h"
#include "buf.h"
#include "cfg.h"
#include "ctx.h"
#include "db.h"
#include "ids.h"
#include "jsonx.h"
#include "lease.h"
#include "log.h"
#include "reply.h"
#include "respconv.h"
#include "responses.h"
#include "respstore.h"
#include "store.h"
#include "url.h"

#define ITEMS_DEFAULT	20
#define ITEMS_JSON_MAX	(64 * 1024 * 1024)

static enum vn_err
no_such_response(struct ctx *c, const char *id)
{
	return fault_set(&c->fault, VN_ENOTFOUND, "response_id", NULL,
	    "No response found with id '%.80s'.", id);
}

/* Send a Response object; o is dropped. */
static enum vn_err
send_object(struct ctx *c, struct json_object *o)
{
	const char	*text;
	size_t		 len;
	enum vn_err	 rc;

	if (o == NULL)
		return VN_ENOMEM;
	if ((text = jsonx_to_string(o, &len)) == NULL)
		rc = VN_ENOMEM;
	else
		rc = reply_json(c, 200, text, len);
	json_object_put(o);
	return rc;
}

/* Send the stored response row. */
static enum vn_err
send_row(struct ctx *c, const struct respstore_row *row)
{
	struct json_object	*req = NULL, *o;
	enum vn_err		 rc;

	o = responses_object(row, &req);
	rc = o != NULL ? send_object(c, o) : VN_ESTORE;
	json_object_put(req);
	return rc;
}

/*
 * Store a background response queued, held by this process, and hand
 * it to the executor; answer the queued Response at once.  A process
 * without an executor (or with a full one) leaves it to venna-batch.
 */
static enum vn_err
create_background(struct ctx *c, struct responses_turn *run)
{
	struct respconv_fields	 rf;
	struct respstore_new	 n;
	struct json_object	*answer = NULL;
	struct db		*db;
	const char		*owner = lease_owner(), *text;
	size_t			 len;
	int64_t			 seq = 0;
	enum vn_err		 rc;

	/*
	 * The answer first: once the row is in, the response runs, so
	 * nothing but the sending may fail (a retry would run it twice).
	 */
	memset(&rf, 0, sizeof(rf));
	rf.req = run->req;
	rf.id = run->id;
	rf.status = "queued";
	rf.created_at = run->created_at;
	rf.model = run->model;
	if ((answer = respconv_response(&rf)) == NULL ||
	    (text = jsonx_to_string(answer, &len)) == NULL) {
		rc = VN_ENOMEM;
		goto out;
	}
	responses_row(&n, c, run);
	n.background = 1;
	n.lease_owner = c->background != NULL && owner[0] != '\0' ? owner :
	    NULL;
	n.st.status = "queued";
	if ((db = store_get(c->store)) == NULL) {
		rc = VN_ESTORE;
		goto out;
	}
	rc = respstore_insert(db, &n, run->items, &seq);
	store_put(c->store, db);
	if (rc != VN_OK)
		goto out;
	if (n.lease_owner != NULL && !background_submit(c->background, seq) &&
	    (db = store_get(c->store)) != NULL) {
		log_warn("response %s: no background thread free; left for "
		    "venna-batch", run->id);
		(void)respstore_lease(db, seq, owner, 1);
		store_put(c->store, db);
	}
	rc = reply_json(c, 200, text, len);
out:
	json_object_put(answer);
	return rc;
}

enum vn_err
api_responses_create(struct ctx *c)
{
	struct respconv_opts	 opts;
	struct responses_turn	 run;
	struct json_object	*items = NULL, *history = NULL;
	const struct cfg_model	*m;
	const char		*json;
	char			*text = NULL;
	enum vn_err		 rc;

	memset(&run, 0, sizeof(run));
	if ((rc = respconv_check(c->json, &opts, &c->fault)) != VN_OK)
		return rc;
	if (opts.background && !opts.store)
		return fault_set(&c->fault, VN_EINVAL, "background",
		    "invalid_value",
		    "Background responses must be stored: set 'store' to "
		    "true or leave it out.");
	if (opts.background && opts.stream)
		return fault_set(&c->fault, VN_EINVAL, "stream",
		    "unsupported_parameter", "Venna does not stream "
		    "background responses; poll GET /v1/responses/{id}.");
	if (opts.background && c->batch_id != NULL)
		return fault_set(&c->fault, VN_EINVAL, "background",
		    "invalid_value",
		    "A batch request cannot run in the background.");
	if ((rc = admission_model(c, opts.model, &m)) != VN_OK)
		return rc;
	if ((rc = respconv_input_items(c->json, &items, &c->fault)) != VN_OK)
		return rc;
	if (opts.previous_response_id != NULL &&
	    (rc = responses_history(c, opts.previous_response_id,
	    &history)) != VN_OK)
		goto out;
	/* A copy: json-c rewrites its string each time it is asked. */
	if ((json = jsonx_to_string(c->json, NULL)) == NULL ||
	    (text = strdup(json)) == NULL) {
		rc = VN_ENOMEM;
		goto out;
	}
	run.req = c->json;
	run.request_text = text;
	run.model = opts.model;
	run.previous_response_id = opts.previous_response_id;
	run.history = history;
	run.items = items;
	ids_new(run.id, sizeof(run.id), "resp_", 32);
	run.created_at = (int64_t)time(NULL);
	run.stream = opts.stream;
	run.store = opts.store;
	if (opts.background)
		rc = create_background(c, &run);
	else
		rc = responses_run(c, &run);
out:
	responses_turn_free(&run);
	json_object_put(history);
	json_object_put(items);
	free(text);
	return rc;
}

/* The response named by the path, of this workspace, into row. */
static enum vn_err
load(struct ctx *c, struct respstore_row *row)
{
	struct db	*db;
	enum vn_err	 rc;

	if ((db = store_get(c->store)) == NULL)
		return VN_ESTORE;
	rc = respstore_get(db, c->who.workspace_id, c->params[0], row);
	store_put(c->store, db);
	if (rc == VN_ENOTFOUND)
		return no_such_response(c, c->params[0]);
	return rc;
}

enum vn_err
api_responses_get(struct ctx *c)
{
	struct respstore_row	 row;
	char			 v[16];
	enum vn_err		 rc;

	memset(&row, 0, sizeof(row));
	if (url_query_get(c->query, "stream", v, sizeof(v)) != 0 &&
	    strcmp(v, "false") != 0)
		return fault_set(&c->fault, VN_EINVAL, "stream",
		    "unsupported_parameter", "Venna does not replay the "
		    "events of a stored response; leave 'stream' out.");
	if ((rc = load(c, &row)) == VN_OK)
		rc = send_row(c, &row);
	respstore_row_free(&row);
	return rc;
}

enum vn_err
api_responses_delete(struct ctx *c)
{
	struct db	*db;
	struct buf	 b;
	enum vn_err	 rc;

	if ((db = store_get(c->store)) == NULL)
		return VN_ESTORE;
	rc = respstore_delete(db, c->who.workspace_id, c->params[0]);
	store_put(c->store, db);
	if (rc == VN_ENOTFOUND)
		return no_such_response(c, c->params[0]);
	if (rc != VN_OK)
		return rc;
	buf_init(&b, 4 * VN_MAX_ID);
	if ((rc = buf_addstr(&b, "{\"id\":")) == VN_OK &&
	    (rc = buf_add_json_string(&b, c->params[0],
	    strlen(c->params[0]))) == VN_OK &&
	    (rc = buf_addstr(&b, ",\"object\":\"response\","
	    "\"deleted\":true}")) == VN_OK)
		rc = reply_json(c, 200, b.data, b.len);
	buf_free(&b);
	return rc;
}

/*
 * Cancel a background response: cancelled at once (its runner aborts
 * the upstream call within a tick), and again is the same answer.
 * Only background responses can be cancelled (400); one that ended
 * otherwise is a 409.
 */
enum vn_err
api_responses_cancel(struct ctx *c)
{
	struct respstore_row	 row;
	struct db		*db;
	enum vn_err		 rc;

	memset(&row, 0, sizeof(row));
	if ((rc = load(c, &row)) != VN_OK)
		goto out;
	if (!row.background) {
		rc = fault_set(&c->fault, VN_EINVAL, "response_id",
		    "invalid_value",
		    "Only responses created with background=true can be "
		    "cancelled.");
		goto out;
	}
	if ((db = store_get(c->store)) == NULL) {
		rc = VN_ESTORE;
		goto out;
	}
	rc = respstore_cancel(db, c->who.workspace_id, c->params[0]);
	respstore_row_free(&row);
	if (rc == VN_OK)
		rc = respstore_get(db, c->who.workspace_id, c->params[0],
		    &row);
	store_put(c->store, db);
	if (rc == VN_ENOTFOUND)
		rc = no_such_response(c, c->params[0]);
	else if (rc == VN_OK && strcmp(row.status, "cancelled") != 0)
		rc = fault_set(&c->fault, VN_ECONFLICT, NULL, NULL,
		    "Cannot cancel a response with status '%s'.",
		    row.status);
	else if (rc == VN_OK)
		rc = send_row(c, &row);
out:
	respstore_row_free(&row);
	return rc;
}

enum vn_err
api_responses_input_items(struct ctx *c)
{
	struct respstore_row	 row;
	struct db		*db;
	struct buf		 b;
	char			 v[VN_MAX_ID + 1], *end;
	long			 limit = ITEMS_DEFAULT;
	int			 asc = 0, got;
	enum vn_err		 rc;

	memset(&row, 0, sizeof(row));
	buf_init(&b, ITEMS_JSON_MAX);
	if ((got = url_query_get(c->query, "limit", v, sizeof(v))) != 0) {
		limit = got > 0 ? strtol(v, &end, 10) : 0;
		if (got < 0 || *end != '\0' || limit < 1 ||
		    limit > RESPSTORE_ITEMS_MAX)
			return fault_set(&c->fault, VN_EINVAL, "limit",
			    "invalid_value",
			    "Invalid 'limit': expected an integer from 1 to "
			    "%d.", RESPSTORE_ITEMS_MAX);
	}
	if ((got = url_query_get(c->query, "order", v, sizeof(v))) != 0) {
		if (got < 0 || (strcmp(v, "asc") != 0 &&
		    strcmp(v, "desc") != 0))
			return fault_set(&c->fault, VN_EINVAL, "order",
			    "invalid_value",
			    "Invalid 'order': expected 'asc' or 'desc'.");
		asc = strcmp(v, "asc") == 0;
	}
	if ((got = url_query_get(c->query, "after", v, sizeof(v))) < 0)
		return fault_set(&c->fault, VN_EINVAL, "after", "invalid_value",
		    "Invalid 'after'.");
	if ((rc = load(c, &row)) != VN_OK)
		goto out;
	if ((db = store_get(c->store)) == NULL) {
		rc = VN_ESTORE;
		goto out;
	}
	rc = respstore_items(db, row.seq, asc, got > 0 ? v : NULL, limit, &b,
	    &c->fault);
	store_put(c->store, db);
	if (rc == VN_OK)
		rc = reply_json(c, 200, b.data, b.len);
out:
	buf_free(&b);
	respstore_row_free(&row);
	return rc;
}
