/*
 * responses.c: running one response (responses.h).
 *
 * The create request becomes a chat.completions request (instructions,
 * then the chain's items, then this turn's input) and goes through
 * call.c like any chat call: routing, failover, the echo model, the
 * usage row (billed to /v1/responses).  What comes back is turned into
 * the Response:
 *  - non-streamed, whole, in the call's finish hook, stored before its
 *    usage row is written, so a 200 always names a stored response;
 *  - streamed, chunk by chunk through the relay's sink into the API's
 *    events.
 * Either way the response is stored before the client can see its end
 * (the terminal event is held until the row is committed), so a client
 * that continues the conversation at once always finds it.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json.h>

#include "admission.h"
#include "call.h"
#include "cfg.h"
#include "ctx.h"
#include "db.h"
#include "jscan.h"
#include "jsonx.h"
#include "local.h"
#include "log.h"
#include "relay.h"
#include "reply.h"
#include "respconv.h"
#include "responses.h"
#include "respstore.h"
#include "store.h"

#define ANSWER_DEPTH	128	/* JSON nesting of an upstream answer */
#define HISTORY_DEPTH	64	/* and of a stored item */
#define STORED_DEPTH	128	/* and of what was stored from one */
#define TERMINAL_MAX	(RESPCONV_STREAM_MAX + 1024 * 1024)

static const char *
text_of(struct json_object *o)
{
	return o != NULL ? jsonx_to_string(o, NULL) : NULL;
}

/*
 * The error object's text {code, message}, or NULL without one (or
 * without memory: the caller tells them apart by code); owned by the
 * caller.
 */
static char *
error_text(const char *code, const char *message)
{
	struct json_object	*e;
	char			*s = NULL;

	const char		*text;

	if (code == NULL)
		return NULL;
	if ((e = json_object_new_object()) == NULL)
		return NULL;
	if (jsonx_put(e, "code", json_object_new_string(code)) &&
	    jsonx_put(e, "message", json_object_new_string(
	    message != NULL ? message : "")) &&
	    (text = jsonx_to_string(e, NULL)) != NULL)
		s = strdup(text);
	json_object_put(e);
	return s;
}

/* The row of run, made on c, as respstore_insert() takes it. */
void
responses_row(struct respstore_new *n, const struct ctx *c,
    const struct responses_turn *run)
{
	memset(n, 0, sizeof(*n));
	n->id = run->id;
	n->workspace_id = c->who.workspace_id;
	n->key_id = c->who.key_id[0] != '\0' ? c->who.key_id : NULL;
	n->previous_response_id = run->previous_response_id;
	n->model = run->model;
	n->request = run->request_text;
	n->created_at = run->created_at;
}

/*
 * Keep the response as it ended: a background one's row is updated (its
 * holder only: a cancel or a takeover wins), any other stored response
 * is inserted with its input items.  A failure is logged: the client
 * still gets the answer it was billed for.
 */
static enum vn_err
keep(struct ctx *c, struct responses_turn *run, const char *status,
    struct json_object *output, struct json_object *usage,
    const char *ecode, const char *emsg, const char *incomplete,
    int64_t completed_at)
{
	struct respstore_state	 st;
	struct respstore_new	 n;
	struct db		*db;
	char			*err = NULL;
	int64_t			 seq;
	enum vn_err		 rc;

	if (!run->store || run->stored)
		return VN_OK;
	memset(&st, 0, sizeof(st));
	st.status = status;
	st.output = text_of(output);
	st.usage = text_of(usage);
	st.error = err = error_text(ecode, emsg);
	st.incomplete = incomplete;
	st.completed_at = completed_at;
	/* Nothing stored without all of its parts. */
	if ((output != NULL && st.output == NULL) ||
	    (usage != NULL && st.usage == NULL) ||
	    (ecode != NULL && err == NULL))
		return fault_set(&c->fault, VN_ENOMEM, NULL, NULL,
		    "The server ran out of memory while storing the "
		    "response. Please retry.");
	if ((db = store_get(c->store)) == NULL) {
		free(err);
		log_error("response %s: not stored: no database", run->id);
		return VN_ESTORE;
	}
	if (run->seq != 0)
		rc = respstore_finish(db, run->seq, run->owner, &st);
	else {
		responses_row(&n, c, run);
		n.st = st;
		rc = respstore_insert(db, &n, run->items, &seq);
	}
	store_put(c->store, db);
	free(err);
	if (rc == VN_ECONFLICT) {
		/* Not ours any more: whoever took it over answers. */
		log_info("response %s: cancelled or taken over meanwhile; "
		    "its answer is dropped", run->id);
		run->stored = 1;
		return VN_OK;
	}
	if (rc != VN_OK) {
		log_error("response %s: not stored", run->id);
		return fault_set(&c->fault, rc == VN_ENOMEM ? VN_ENOMEM :
		    VN_ESTORE, NULL, NULL, "The response could not be "
		    "stored. Please retry.");
	}
	run->stored = 1;
	return VN_OK;
}

/*
 * The call's finish hook: the chat.completion in the relay's body
 * becomes the Response, stored first (a 200 names a stored response).
 */
static enum vn_err
finish_answer(struct ctx *c, struct relay *rl, void *arg)
{
	struct responses_turn	*run = arg;
	struct respconv_fields	 rf;
	struct respconv_result	 res;
	struct json_object	*cc = NULL, *resp = NULL;
	struct buf		 answer;
	const char		*text;
	size_t			 len;
	int64_t			 done;
	enum vn_err		 rc;

	memset(&res, 0, sizeof(res));
	buf_init(&answer, 0);
	if ((rc = jsonx_parse(rl->body.data != NULL ? rl->body.data : "",
	    rl->body.len, ANSWER_DEPTH, &cc, &c->fault)) != VN_OK ||
	    (rc = respconv_output(cc, &res, &c->fault)) != VN_OK) {
		if (rc != VN_ENOMEM)
			rc = fault_set(&c->fault, VN_EUPSTREAM, NULL,
			    "upstream_error", "The upstream model server's "
			    "answer could not be read.");
		goto out;
	}
	done = strcmp(res.status, "completed") == 0 ? (int64_t)time(NULL) :
	    0;
	memset(&rf, 0, sizeof(rf));
	rf.req = run->req;
	rf.id = run->id;
	rf.status = res.status;
	rf.created_at = run->created_at;
	rf.completed_at = done;
	rf.model = run->model;
	rf.output = res.output;
	rf.usage = res.usage;
	rf.error_code = res.error_code;
	rf.error_message = res.error_message;
	rf.incomplete_reason = res.incomplete_reason;
	/* The answer before the row: once stored, only sending can fail. */
	if ((resp = respconv_response(&rf)) == NULL ||
	    (text = jsonx_to_string(resp, &len)) == NULL) {
		rc = VN_ENOMEM;
		goto out;
	}
	buf_init(&answer, len);
	if ((rc = buf_add(&answer, text, len)) != VN_OK ||
	    (rc = keep(c, run, res.status, res.output, res.usage,
	    res.error_code, res.error_message, res.incomplete_reason,
	    done)) != VN_OK)
		goto out;
	buf_free(&rl->body);
	rl->body = answer;
	buf_init(&answer, 0);
out:
	buf_free(&answer);
	json_object_put(resp);
	respconv_result_free(&res);
	json_object_put(cc);
	return rc;
}

/* Is the event type the stream's last? */
static int
terminal(const char *type)
{
	return strcmp(type, "response.completed") == 0 ||
	    strcmp(type, "response.incomplete") == 0 ||
	    strcmp(type, "response.failed") == 0;
}

/* The converter's events, to the client; the last one is held. */
static enum vn_err
emit(void *arg, const char *type, const char *json, size_t len)
{
	struct responses_turn	*run = arg;

	if (terminal(type)) {
		snprintf(run->terminal_type, sizeof(run->terminal_type), "%s",
		    type);
		buf_reset(&run->terminal);
		return buf_add(&run->terminal, json, len);
	}
	return reply_sse_event(run->c, type, json, len);
}

/*
 * The stream has ended (finish already called): store the Response its
 * terminal event carries, then send that event.
 */
static enum vn_err
stream_end(struct ctx *c, struct responses_turn *run)
{
	struct respconv_result	 res;
	int64_t			 done;

	memset(&res, 0, sizeof(res));
	if (respconv_stream_result(&run->s, &res) == VN_OK) {
		done = strcmp(res.status, "completed") == 0 ?
		    (int64_t)time(NULL) : 0;
		keep(c, run, res.status, res.output, res.usage,
		    res.error_code, res.error_message,
		    res.incomplete_reason, done);
	}
	respconv_result_free(&res);
	if (run->terminal.len == 0)
		return VN_ECLIENT;	/* the client left before the end */
	return reply_sse_event(c, run->terminal_type, run->terminal.data,
	    run->terminal.len);
}

static enum vn_err
sink_chunk(void *arg, const char *json, size_t len)
{
	struct responses_turn	*run = arg;

	return respconv_stream_chunk(&run->s, json, len);
}

/* After the usage chunk, the usage row written: the end. */
static enum vn_err
sink_end(void *arg)
{
	struct responses_turn	*run = arg;

	(void)respconv_stream_chunk(&run->s, "[DONE]", 6);
	(void)respconv_stream_finish(&run->s, (int64_t)time(NULL), NULL);
	return VN_OK;
}

/*
 * Run the response on c: a client's request (the answer sent as JSON or
 * events), or a request without a client (a background response or a
 * batch line; the answer kept).  Returns VN_OK once the answer went
 * out, else an error for the dispatcher (with c->fault_sent when a
 * stream already told the client).
 */
enum vn_err
responses_run(struct ctx *c, struct responses_turn *run)
{
	struct relay_sink	 sink = { sink_chunk, NULL, NULL };
	struct respconv_fields	 rf;
	struct call_spec	 sp;
	struct relay		 rl;
	struct json_object	*chat = NULL;
	enum vn_err		 rc;

	memset(&sp, 0, sizeof(sp));
	buf_init(&run->terminal, TERMINAL_MAX);
	if ((rc = admission_model(c, run->model, &sp.model)) != VN_OK)
		return rc;
	if ((rc = respconv_chat_request(run->req, run->history, NULL, &chat,
	    &c->fault)) != VN_OK)
		return rc;
	sp.endpoint = "/v1/responses";
	sp.path = "/chat/completions";
	sp.expect = "choices";
	sp.local = local_chat;
	sp.model_name = run->model;
	sp.body = chat;
	sp.stream = run->stream;
	sp.finish = finish_answer;
	sp.finish_arg = run;
	relay_init(&rl, c, run->stream, 0);
	if (run->stream) {
		memset(&rf, 0, sizeof(rf));
		rf.req = run->req;
		rf.id = run->id;
		rf.created_at = run->created_at;
		rf.model = run->model;
		run->c = c;
		if ((rc = respconv_stream_init(&run->s, &rf, 0, emit, run)) !=
		    VN_OK)
			goto out;
		run->s_live = 1;
		sink.end = sink_end;
		sink.arg = run;
		rl.sink = &sink;
	}
	rc = call_model(c, &rl, &sp);
	if (run->stream && rc == VN_OK)
		rc = stream_end(c, run);
	else if (run->stream && c->headers_sent && !c->client_gone) {
		/* Events went out: the failure is the stream's last one. */
		(void)respconv_stream_finish(&run->s, 0, c->fault.msg[0] !=
		    '\0' ? c->fault.msg : "The upstream model server failed.");
		if (stream_end(c, run) == VN_OK)
			c->fault_sent = 1;
	}
out:
	relay_free(&rl);
	json_object_put(chat);
	return rc;
}

/*
 * The conversation that continues prev (of c's workspace), parsed, into
 * *history (the caller's).  It may hold max_context bytes of stored
 * items, and its tree max_json_memory; beyond either, OpenAI's 400
 * context_length_exceeded.  Its size is read before its text, so a
 * conversation over the cap costs nothing to refuse, and one under it
 * costs memory in proportion to the cap, taken from the budget first.
 */
enum vn_err
responses_history(struct ctx *c, const char *prev,
    struct json_object **history)
{
	const struct cfg	*cfg = c->cfg;
	struct jscan_result	 scan;
	struct buf		 text;
	struct db		*db;
	size_t			 bytes = 0;
	enum vn_err		 rc;

	*history = NULL;
	buf_init(&text, 0);
	if ((db = store_get(c->store)) == NULL)
		return VN_ESTORE;
	rc = respstore_history_size(db, c->who.workspace_id, prev, &bytes,
	    &c->fault);
	if (rc == VN_OK && bytes > cfg->max_context)
		rc = VN_ETOOBIG;
	if (rc == VN_OK && (rc = ctx_hold(c, bytes + 1)) == VN_OK) {
		text.max = bytes;
		rc = respstore_history(db, c->who.workspace_id, prev, &text);
	}
	store_put(c->store, db);
	if (rc == VN_OK) {
		switch (jscan_check(text.data, text.len, HISTORY_DEPTH,
		    cfg->max_json_memory, &scan)) {
		case JSCAN_OK:
			rc = ctx_hold(c, scan.cost);
			break;
		case JSCAN_COST:
			rc = VN_ETOOBIG;
			break;
		default:
			rc = VN_ESTORE;	/* Venna wrote it: never so */
			break;
		}
	}
	if (rc == VN_OK)
		rc = jsonx_parse_capped(text.data, text.len, HISTORY_DEPTH,
		    cfg->max_json_memory, history, &c->fault);
	buf_free(&text);
	if (rc == VN_ETOOBIG)
		return fault_set(&c->fault, VN_EINVAL, "previous_response_id",
		    "context_length_exceeded", "The conversation that "
		    "'%.80s' continues is longer than this gateway accepts "
		    "(%zu KiB of stored items; max_context is %zu KiB). Start "
		    "a new conversation or continue an earlier response.",
		    prev, bytes / 1024, cfg->max_context / 1024);
	return rc;
}

/* Release what a run holds (not the caller's inputs). */
void
responses_turn_free(struct responses_turn *run)
{
	if (run->s_live)
		respconv_stream_free(&run->s);
	run->s_live = 0;
	buf_free(&run->terminal);
}

/*
 * The Response object of a stored row, or NULL without memory (or with
 * a row that does not parse, which Venna never writes).  *req is set to
 * the parsed request, which the object references; the caller drops
 * both.
 */
struct json_object *
responses_object(const struct respstore_row *row, struct json_object **req)
{
	struct respconv_fields	 rf;
	struct json_object	*out = NULL, *usage = NULL, *err = NULL,
				*o = NULL, *code, *msg;
	struct fault		 f;

	*req = NULL;
	memset(&f, 0, sizeof(f));
	memset(&rf, 0, sizeof(rf));
	if (jsonx_parse(row->request, strlen(row->request), STORED_DEPTH,
	    req, &f) != VN_OK ||
	    (row->output != NULL && jsonx_parse(row->output,
	    strlen(row->output), STORED_DEPTH, &out, &f) != VN_OK) ||
	    (row->usage != NULL && jsonx_parse(row->usage,
	    strlen(row->usage), STORED_DEPTH, &usage, &f) != VN_OK) ||
	    (row->error != NULL && jsonx_parse(row->error,
	    strlen(row->error), STORED_DEPTH, &err, &f) != VN_OK))
		goto out;
	rf.req = *req;
	rf.id = row->id;
	rf.status = row->status;
	rf.created_at = row->created_at;
	rf.completed_at = row->completed_at;
	rf.model = row->model;
	rf.output = out;
	rf.usage = usage;
	if (err != NULL && json_object_object_get_ex(err, "code", &code) &&
	    json_object_object_get_ex(err, "message", &msg)) {
		rf.error_code = json_object_get_string(code);
		rf.error_message = json_object_get_string(msg);
	}
	rf.incomplete_reason = row->incomplete;
	o = respconv_response(&rf);
out:
	json_object_put(out);
	json_object_put(usage);
	json_object_put(err);
	return o;
}
