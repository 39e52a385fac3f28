/*
 * respconv_stream.c: chat.completion.chunk payloads in, Responses stream
 * events out (openai-api.md §5.5).  Items open as the chunks reveal
 * them: the assistant's text opens a message item, each tool call
 * (told apart by tool_calls[].index) a function_call item with its own
 * output_index.  A message closes when a tool call starts after it (new
 * text then opens another message); tool calls stay open until the
 * answer ends, because servers may interleave their argument deltas.
 * Only the text, refusal and arguments are held, under one cap; deltas
 * are sent as they come.  Pure: events go to the caller's callback.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

#include "buf.h"
#include "fault.h"
#include "ids.h"
#include "jsonx.h"
#include "respconv.h"

#define CHUNK_DEPTH	64
#define NAME_MAX_LEN	256

enum { RC_MSG, RC_CALL };

struct respconv_item {
	int		 kind;		/* RC_MSG or RC_CALL */
	int		 open;
	const char	*status;	/* in_progress until closed */
	char		 id[VN_MAX_ID + 1];
	struct buf	 text;		/* message: output_text */
	struct buf	 refusal;	/* message: refusal */
	int		 text_ci;	/* content_index, or -1 */
	int		 refusal_ci;
	int		 nparts;
	int64_t		 index;		/* call: its tool_calls[].index */
	char		 call_id[VN_MAX_ID + 1];
	struct buf	 name;
	struct buf	 args;
};

static struct json_object *ev_new(const char *, struct respconv_item *,
			    size_t);
static struct json_object *keep(int, struct json_object *);
static enum vn_err	 emit_ev(struct respconv_stream *,
			    struct json_object *);
static enum vn_err	 fail(struct respconv_stream *, const char *);
static struct json_object *part_json(struct respconv_item *, int, int);
static struct json_object *item_json(struct respconv_item *, int);
static struct json_object *output_json(struct respconv_stream *);
static struct json_object *snapshot(struct respconv_stream *,
			    const char *, struct json_object *, int64_t);
static long		 new_item(struct respconv_stream *, int);
static enum vn_err	 hold(struct respconv_stream *, struct buf *,
			    const char *, size_t);
static long		 open_message(struct respconv_stream *);
static enum vn_err	 open_part(struct respconv_stream *, long, int);
static enum vn_err	 msg_delta(struct respconv_stream *,
			    struct json_object *, int);
static enum vn_err	 close_item(struct respconv_stream *, long,
			    const char *);
static enum vn_err	 close_all(struct respconv_stream *, const char *);
static long		 find_call(struct respconv_stream *,
			    struct json_object *);
static long		 new_call(struct respconv_stream *,
			    struct json_object *);
static enum vn_err	 call_delta(struct respconv_stream *,
			    struct json_object *);
static enum vn_err	 choice(struct respconv_stream *,
			    struct json_object *);
static const char	*incomplete_reason(const struct respconv_stream *);

/*
 * A new event {type} and, when it is item it's about, that item's
 * item_id and output_index.  NULL when memory runs out.
 */
static struct json_object *
ev_new(const char *type, struct respconv_item *it, size_t index)
{
	struct json_object	*ev;

	if ((ev = json_object_new_object()) == NULL)
		return NULL;
	if (!jsonx_put(ev, "type", json_object_new_string(type)) ||
	    (it != NULL &&
	    (!jsonx_put(ev, "item_id", json_object_new_string(it->id)) ||
	    !jsonx_put(ev, "output_index",
	    json_object_new_int64((int64_t)index))))) {
		json_object_put(ev);
		return NULL;
	}
	return ev;
}

/* ev if it was built whole (ok), else NULL with ev released. */
static struct json_object *
keep(int ok, struct json_object *ev)
{
	if (ok)
		return ev;
	json_object_put(ev);
	return NULL;
}

/*
 * Number event ev (taken; NULL means memory ran out) and hand it to the
 * callback.  Once the callback or memory has failed nothing more is
 * sent, and that error is returned from then on.
 */
static enum vn_err
emit_ev(struct respconv_stream *s, struct json_object *ev)
{
	const char	*js, *type;
	size_t		 len;

	if (ev == NULL && s->err == VN_OK) {
		s->err = VN_ENOMEM;
		fail(s, "The gateway ran out of memory.");
	}
	if (s->err != VN_OK) {
		json_object_put(ev);
		return s->err;
	}
	if (!jsonx_put(ev, "sequence_number", json_object_new_int64(s->seq)) ||
	    (js = jsonx_to_string(ev, &len)) == NULL) {
		json_object_put(ev);
		s->err = VN_ENOMEM;
		fail(s, "The gateway ran out of memory.");
		return s->err;
	}
	s->seq++;
	type = json_object_get_string(json_object_object_get(ev, "type"));
	s->err = s->emit(s->arg, type, js, len);
	json_object_put(ev);
	return s->err;
}

/*
 * The answer failed: remember why (the first reason wins) for the
 * response.failed that finish sends.  Returns VN_EUPSTREAM.
 */
static enum vn_err
fail(struct respconv_stream *s, const char *why)
{
	if (!s->failed) {
		s->failed = 1;
		snprintf(s->error_message, sizeof(s->error_message), "%s", why);
	}
	return VN_EUPSTREAM;
}

/*
 * Content part which (0 text, 1 refusal) of message it: empty for the
 * .added event, else with what arrived so far.  NULL on no memory.
 */
static struct json_object *
part_json(struct respconv_item *it, int which, int full)
{
	struct json_object	*p;
	struct buf		*b = which == 0 ? &it->text : &it->refusal;
	int			 ok;

	ok = (p = json_object_new_object()) != NULL &&
	    jsonx_put(p, "type", json_object_new_string(which == 0 ?
	    "output_text" :
	    "refusal")) &&
	    jsonx_put(p, which == 0 ? "text" : "refusal",
	    json_object_new_string_len(
	    full ? buf_cstr(b) : "", full ? (int)b->len : 0));
	if (ok && which == 0)
		ok = jsonx_put(p, "annotations", json_object_new_array()) &&
		    jsonx_put(p, "logprobs", json_object_new_array());
	if (!ok) {
		json_object_put(p);
		return NULL;
	}
	return p;
}

/*
 * Output item it as the API shows it: full, with its content or
 * arguments so far; else as first announced (no content, arguments
 * "").  NULL when memory runs out.
 */
static struct json_object *
item_json(struct respconv_item *it, int full)
{
	struct json_object	*o, *c = NULL, *p;
	int			 ok, k;

	ok = (o = json_object_new_object()) != NULL &&
	    jsonx_put(o, "id", json_object_new_string(it->id)) &&
	    jsonx_put(o, "type", json_object_new_string(it->kind == RC_MSG ?
	    "message" : "function_call")) &&
	    jsonx_put(o, "status", json_object_new_string(it->status));
	if (ok && it->kind == RC_MSG) {
		ok = jsonx_put(o, "role",
		    json_object_new_string("assistant")) &&
		    jsonx_put(o, "content", (c = json_object_new_array()));
		for (k = 0; ok && full && k < it->nparts; k++) {
			p = part_json(it, k == it->text_ci ? 0 : 1, 1);
			if (p == NULL || json_object_array_add(c, p) != 0) {
				json_object_put(p);
				ok = 0;
			}
		}
	} else if (ok)
		ok = jsonx_put(o, "call_id",
		    json_object_new_string(it->call_id)) &&
		    jsonx_put(o, "name", json_object_new_string_len(
		    buf_cstr(&it->name), (int)it->name.len)) &&
		    jsonx_put(o, "arguments", json_object_new_string_len(
		    full ? buf_cstr(&it->args) : "", full ?
		    (int)it->args.len : 0));
	if (!ok) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* Every item, in output_index order, as it stands.  NULL on no memory. */
static struct json_object *
output_json(struct respconv_stream *s)
{
	struct json_object	*arr, *o;
	size_t			 i;

	if ((arr = json_object_new_array()) == NULL)
		return NULL;
	for (i = 0; i < s->nitems; i++) {
		if ((o = item_json(&s->items[i], 1)) == NULL ||
		    json_object_array_add(arr, o) != 0) {
			json_object_put(o);
			json_object_put(arr);
			return NULL;
		}
	}
	return arr;
}

/* The Response as it stands, with status and output (may be NULL). */
static struct json_object *
snapshot(struct respconv_stream *s, const char *status,
    struct json_object *output, int64_t completed_at)
{
	struct respconv_fields	 rf;

	memset(&rf, 0, sizeof(rf));
	rf.req = s->req;
	rf.id = s->id;
	rf.status = status;
	rf.created_at = s->created_at;
	rf.completed_at = completed_at;
	rf.model = s->model;
	rf.output = output;
	rf.usage = s->usage;
	if (strcmp(status, "failed") == 0) {
		rf.error_code = "server_error";
		rf.error_message = s->error_message;
	}
	if (strcmp(status, "incomplete") == 0)
		rf.incomplete_reason = incomplete_reason(s);
	return respconv_response(&rf);
}

/* A new output item of kind; its index, or -1 (failure recorded). */
static long
new_item(struct respconv_stream *s, int kind)
{
	struct respconv_item	*n, *it;
	size_t			 cap;

	if (s->nitems == RESPCONV_MAX_ITEMS) {
		fail(s, "The upstream answer has more output items than the "
		    "gateway allows.");
		return -1;
	}
	if (s->nitems == s->itemscap) {
		cap = s->itemscap == 0 ? 4 : s->itemscap * 2;
		if ((n = realloc(s->items, cap * sizeof(*n))) == NULL) {
			s->err = VN_ENOMEM;
			fail(s, "The gateway ran out of memory.");
			return -1;
		}
		s->items = n;
		s->itemscap = cap;
	}
	it = &s->items[s->nitems];
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	it->open = 1;
	it->status = "in_progress";
	it->text_ci = it->refusal_ci = -1;
	buf_init(&it->text, s->max);
	buf_init(&it->refusal, s->max);
	buf_init(&it->name, NAME_MAX_LEN);
	buf_init(&it->args, s->max);
	ids_new(it->id, sizeof(it->id), kind == RC_MSG ? "msg_" : "fc_", 32);
	return (long)s->nitems++;
}

/* Append n bytes to b within the stream's cap; failure is recorded. */
static enum vn_err
hold(struct respconv_stream *s, struct buf *b, const char *p, size_t n)
{
	enum vn_err	 rc = VN_OK;

	if (n > s->max - s->held || (rc = buf_add(b, p, n)) == VN_ETOOBIG)
		return fail(s, "The upstream answer is larger than the "
		    "gateway allows.");
	if (rc != VN_OK) {
		s->err = VN_ENOMEM;
		return fail(s, "The gateway ran out of memory.");
	}
	s->held += n;
	return VN_OK;
}

/* The open message item, opened (and announced) if there is none. */
static long
open_message(struct respconv_stream *s)
{
	struct json_object	*ev;
	long			 i;
	int			 ok;

	if (s->open_msg >= 0)
		return s->open_msg;
	if ((i = new_item(s, RC_MSG)) < 0)
		return -1;
	s->open_msg = i;
	ok = (ev = ev_new("response.output_item.added", NULL, 0)) != NULL &&
	    jsonx_put(ev, "output_index", json_object_new_int64(i)) &&
	    jsonx_put(ev, "item", item_json(&s->items[i], 0));
	emit_ev(s, keep(ok, ev));
	return i;
}

/* Open part which (0 text, 1 refusal) of message i if not yet open. */
static enum vn_err
open_part(struct respconv_stream *s, long i, int which)
{
	struct respconv_item	*it = &s->items[i];
	struct json_object	*ev;
	int			*ci, ok;

	ci = which == 0 ? &it->text_ci : &it->refusal_ci;
	if (*ci >= 0)
		return VN_OK;
	*ci = it->nparts++;
	ok = (ev = ev_new("response.content_part.added", it, (size_t)i)) !=
	    NULL && jsonx_put(ev, "content_index", json_object_new_int(*ci)) &&
	    jsonx_put(ev, "part", part_json(it, which, 0));
	return emit_ev(s, keep(ok, ev));
}

/* A text (which 0) or refusal (1) delta d, a JSON string. */
static enum vn_err
msg_delta(struct respconv_stream *s, struct json_object *d, int which)
{
	struct respconv_item	*it;
	struct json_object	*ev;
	long			 i;
	int			 ok;

	/* A failed callback stops events, not the conversion. */
	if ((i = open_message(s)) < 0 || (open_part(s, i, which) != VN_OK &&
	    s->failed))
		return VN_EUPSTREAM;
	it = &s->items[i];
	if (hold(s, which == 0 ? &it->text : &it->refusal,
	    json_object_get_string(d), (size_t)json_object_get_string_len(d)) !=
	    VN_OK)
		return VN_EUPSTREAM;
	ok = (ev = ev_new(which == 0 ? "response.output_text.delta" :
	    "response.refusal.delta", it, (size_t)i)) != NULL &&
	    jsonx_put(ev, "content_index", json_object_new_int(which == 0 ?
	    it->text_ci : it->refusal_ci)) &&
	    jsonx_put(ev, "delta", json_object_get(d));
	if (ok && which == 0)
		ok = jsonx_put(ev, "logprobs", json_object_new_array());
	return emit_ev(s, keep(ok, ev));
}

/*
 * Close item i with status: the .done events of its parts (message) or
 * arguments (call), then response.output_item.done.
 */
static enum vn_err
close_item(struct respconv_stream *s, long i, const char *status)
{
	struct respconv_item	*it = &s->items[i];
	struct json_object	*ev = NULL;
	int			 k, which, ok;

	if (!it->open)
		return VN_OK;
	it->open = 0;
	it->status = status;
	if (s->open_msg == i)
		s->open_msg = -1;
	for (k = 0; it->kind == RC_MSG && k < it->nparts; k++) {
		which = k == it->text_ci ? 0 : 1;
		ok = (ev = ev_new(which == 0 ? "response.output_text.done" :
		    "response.refusal.done", it, (size_t)i)) != NULL &&
		    jsonx_put(ev, "content_index", json_object_new_int(k)) &&
		    jsonx_put(ev, which == 0 ? "text" : "refusal",
		    json_object_new_string_len(buf_cstr(which == 0 ?
		    &it->text : &it->refusal), (int)(which == 0 ?
		    it->text.len : it->refusal.len))) &&
		    (which == 1 || jsonx_put(ev, "logprobs",
		    json_object_new_array()));
		emit_ev(s, keep(ok, ev));
		ok = (ev = ev_new("response.content_part.done", it,
		    (size_t)i)) != NULL &&
		    jsonx_put(ev, "content_index", json_object_new_int(k)) &&
		    jsonx_put(ev, "part", part_json(it, which, 1));
		emit_ev(s, keep(ok, ev));
	}
	if (it->kind == RC_CALL) {
		ok = (ev = ev_new("response.function_call_arguments.done", it,
		    (size_t)i)) != NULL &&
		    jsonx_put(ev, "name", json_object_new_string_len(
		    buf_cstr(&it->name), (int)it->name.len)) &&
		    jsonx_put(ev, "arguments", json_object_new_string_len(
		    buf_cstr(&it->args), (int)it->args.len));
		emit_ev(s, keep(ok, ev));
	}
	ok = (ev = ev_new("response.output_item.done", NULL, 0)) != NULL &&
	    jsonx_put(ev, "output_index", json_object_new_int64(i)) &&
	    jsonx_put(ev, "item", item_json(it, 1));
	return emit_ev(s, keep(ok, ev));
}

/* Close every open item, in output_index order. */
static enum vn_err
close_all(struct respconv_stream *s, const char *status)
{
	size_t	 i;

	for (i = 0; i < s->nitems; i++)
		close_item(s, (long)i, status);
	return s->err;
}

/*
 * The call item a tool_calls[] fragment belongs to, or -1 for a new
 * call.  Servers that leave out "index" send each call whole or with
 * an id on its first fragment: a new id is a new call, anything else
 * continues the last one.
 */
static long
find_call(struct respconv_stream *s, struct json_object *tc)
{
	struct json_object	*v;
	const char		*id;
	size_t			 i;
	int64_t			 index;

	if (json_object_object_get_ex(tc, "index", &v) &&
	    json_object_is_type(v, json_type_int)) {
		index = json_object_get_int64(v);
		for (i = 0; i < s->nitems; i++)
			if (s->items[i].kind == RC_CALL &&
			    s->items[i].index == index)
				return (long)i;
		return -1;
	}
	if (s->last_call < 0)
		return -1;
	id = NULL;
	if (json_object_object_get_ex(tc, "id", &v) &&
	    json_object_is_type(v, json_type_string))
		id = json_object_get_string(v);
	if (id != NULL && *id != '\0' &&
	    strcmp(id, s->items[s->last_call].call_id) != 0)
		return -1;
	return s->last_call;
}

/*
 * A new call item for fragment tc (the open message closes first): its
 * index, its call_id (a new one if the server sent none), and its
 * announcement.  The item's index, or -1 (failure recorded).
 */
static long
new_call(struct respconv_stream *s, struct json_object *tc)
{
	struct respconv_item	*it;
	struct json_object	*v, *ev;
	long			 i;
	int			 ok;

	if (s->ncalls == RESPCONV_MAX_CALLS) {
		fail(s, "The upstream answer has more tool calls than the "
		    "gateway allows.");
		return -1;
	}
	if (s->open_msg >= 0)
		close_item(s, s->open_msg, "completed");
	if ((i = new_item(s, RC_CALL)) < 0)
		return -1;
	s->ncalls++;
	s->last_call = i;
	it = &s->items[i];
	it->index = (int64_t)s->ncalls - 1;
	if (json_object_object_get_ex(tc, "index", &v) &&
	    json_object_is_type(v, json_type_int))
		it->index = json_object_get_int64(v);
	if (json_object_object_get_ex(tc, "id", &v) &&
	    json_object_is_type(v, json_type_string) &&
	    json_object_get_string_len(v) > 0 &&
	    json_object_get_string_len(v) <= VN_MAX_ID &&
	    strlen(json_object_get_string(v)) ==
	    (size_t)json_object_get_string_len(v))
		snprintf(it->call_id, sizeof(it->call_id), "%s",
		    json_object_get_string(v));
	else
		ids_new(it->call_id, sizeof(it->call_id), "call_", 24);
	if (json_object_object_get_ex(tc, "function", &v) &&
	    json_object_is_type(v, json_type_object) &&
	    json_object_object_get_ex(v, "name", &v) &&
	    json_object_is_type(v, json_type_string) &&
	    hold(s, &it->name, json_object_get_string(v),
	    (size_t)json_object_get_string_len(v)) != VN_OK)
		return -1;
	ok = (ev = ev_new("response.output_item.added", NULL, 0)) != NULL &&
	    jsonx_put(ev, "output_index", json_object_new_int64(i)) &&
	    jsonx_put(ev, "item", item_json(it, 0));
	emit_ev(s, keep(ok, ev));
	return i;
}

/*
 * One delta.tool_calls[] fragment: a new call, or more of a known one's
 * arguments.  The name is taken from the first fragment that has one:
 * some servers repeat it on every fragment.
 */
static enum vn_err
call_delta(struct respconv_stream *s, struct json_object *tc)
{
	struct respconv_item	*it;
	struct json_object	*fn = NULL, *v, *ev, *args = NULL;
	long			 i;
	int			 ok;

	if (!json_object_is_type(tc, json_type_object))
		return VN_OK;
	if ((i = find_call(s, tc)) < 0 && (i = new_call(s, tc)) < 0)
		return VN_EUPSTREAM;
	it = &s->items[i];
	if (!json_object_object_get_ex(tc, "function", &fn) ||
	    !json_object_is_type(fn, json_type_object))
		return s->err;
	if (it->name.len == 0 && json_object_object_get_ex(fn, "name", &v) &&
	    json_object_is_type(v, json_type_string) &&
	    hold(s, &it->name, json_object_get_string(v),
	    (size_t)json_object_get_string_len(v)) != VN_OK)
		return VN_EUPSTREAM;
	if (!json_object_object_get_ex(fn, "arguments", &args) || args == NULL)
		return s->err;
	/* Some servers send the arguments as an object, not as text. */
	if (json_object_is_type(args, json_type_string))
		args = json_object_get(args);
	else
		args = jsonx_new_text(args);
	if (args == NULL) {
		s->err = VN_ENOMEM;
		return fail(s, "The gateway ran out of memory.");
	}
	if (json_object_get_string_len(args) == 0 || hold(s, &it->args,
	    json_object_get_string(args),
	    (size_t)json_object_get_string_len(args)) != VN_OK) {
		json_object_put(args);
		return s->failed ? VN_EUPSTREAM : s->err;
	}
	if ((ev = ev_new("response.function_call_arguments.delta", it,
	    (size_t)i)) == NULL)
		json_object_put(args);
	ok = ev != NULL && jsonx_put(ev, "delta", args);
	return emit_ev(s, keep(ok, ev));
}

/* choices[0] of a chunk: its delta, then its finish_reason. */
static enum vn_err
choice(struct respconv_stream *s, struct json_object *ch)
{
	static const char *const reasons[] = {
		"stop", "length", "tool_calls", "content_filter",
		"function_call",
	};
	struct json_object	*d, *v;
	const char		*fr;
	size_t			 i, n;

	if (json_object_object_get_ex(ch, "delta", &d) &&
	    json_object_is_type(d, json_type_object)) {
		if (json_object_object_get_ex(d, "content", &v) &&
		    json_object_is_type(v, json_type_string) &&
		    json_object_get_string_len(v) > 0 &&
		    msg_delta(s, v, 0) != VN_OK && s->failed)
			return VN_EUPSTREAM;
		if (json_object_object_get_ex(d, "refusal", &v) &&
		    json_object_is_type(v, json_type_string) &&
		    json_object_get_string_len(v) > 0 &&
		    msg_delta(s, v, 1) != VN_OK && s->failed)
			return VN_EUPSTREAM;
		if (json_object_object_get_ex(d, "tool_calls", &v) &&
		    json_object_is_type(v, json_type_array)) {
			n = json_object_array_length(v);
			for (i = 0; i < n; i++)
				if (call_delta(s, json_object_array_get_idx(v,
				    i)) != VN_OK && s->failed)
					return VN_EUPSTREAM;
		}
	}
	if (!json_object_object_get_ex(ch, "finish_reason", &v) ||
	    !json_object_is_type(v, json_type_string))
		return s->err;
	fr = json_object_get_string(v);
	s->finish = reasons[0];
	for (i = 0; i < VN_NELEM(reasons); i++)
		if (strcmp(fr, reasons[i]) == 0)
			s->finish = reasons[i];
	return close_all(s, incomplete_reason(s) != NULL ? "incomplete" :
	    "completed");
}

/* Why the answer is incomplete (from its finish_reason), or NULL. */
static const char *
incomplete_reason(const struct respconv_stream *s)
{
	if (s->finish == NULL)
		return NULL;
	if (strcmp(s->finish, "length") == 0)
		return "max_output_tokens";
	if (strcmp(s->finish, "content_filter") == 0)
		return "content_filter";
	return NULL;
}

/*
 * Set up s for one answer to the checked request base->req, whose
 * Response has id base->id, created_at base->created_at and model
 * base->model (NULL: the request's).  max caps the bytes held (text,
 * refusal, arguments; 0: RESPCONV_STREAM_MAX).  Nothing is sent yet.
 * A reference to req is held until respconv_stream_free().
 */
enum vn_err
respconv_stream_init(struct respconv_stream *s,
    const struct respconv_fields *base, size_t max, respconv_emit_fn emit,
    void *arg)
{
	struct json_object	*v;
	const char		*model = base->model;

	memset(s, 0, sizeof(*s));
	s->open_msg = s->last_call = -1;
	s->emit = emit;
	s->arg = arg;
	s->max = max != 0 ? max : RESPCONV_STREAM_MAX;
	s->created_at = base->created_at;
	snprintf(s->id, sizeof(s->id), "%s", base->id != NULL ? base->id : "");
	if (model == NULL && json_object_object_get_ex(base->req, "model",
	    &v) && json_object_is_type(v, json_type_string))
		model = json_object_get_string(v);
	if ((s->model = strdup(model != NULL ? model : "")) == NULL)
		return VN_ENOMEM;
	s->req = json_object_get(base->req);
	return VN_OK;
}

/*
 * Send response.created (status queued for a background request, else
 * in_progress) and response.in_progress.  Done by the first chunk or
 * by finish if the caller has not; a second call does nothing.
 */
enum vn_err
respconv_stream_start(struct respconv_stream *s)
{
	struct json_object	*ev;
	int			 bg = 0, ok;

	if (s->started)
		return s->err;
	s->started = 1;
	if (json_object_object_get_ex(s->req, "background", &ev) &&
	    json_object_is_type(ev, json_type_boolean))
		bg = json_object_get_boolean(ev);
	ok = (ev = ev_new("response.created", NULL, 0)) != NULL &&
	    jsonx_put(ev, "response", snapshot(s, bg ? "queued" : "in_progress",
	    NULL, 0));
	emit_ev(s, keep(ok, ev));
	ok = (ev = ev_new("response.in_progress", NULL, 0)) != NULL &&
	    jsonx_put(ev, "response", snapshot(s, "in_progress", NULL, 0));
	return emit_ev(s, keep(ok, ev));
}

/*
 * Feed the data of one upstream SSE event (a chat.completion.chunk, an
 * error object, or "[DONE]"), len bytes.  Returns VN_OK; VN_EUPSTREAM
 * when the answer has failed (an error payload, a chunk that is not
 * JSON, a cap passed): call respconv_stream_finish() next, which sends
 * response.failed; or an error of the callback (or VN_ENOMEM).  That
 * last kind is sticky: no more events are sent, but chunks are still
 * converted, so a caller may drain the upstream to store the answer.
 */
enum vn_err
respconv_stream_chunk(struct respconv_stream *s, const char *data,
    size_t len)
{
	struct json_object	*o = NULL, *v, *e, *ix;
	struct fault		 f;
	size_t			 i, n;
	enum vn_err		 rc = VN_OK;

	if (!s->started)
		respconv_stream_start(s);
	if (s->failed)
		return VN_EUPSTREAM;
	if (s->ended || s->saw_done)
		return s->err;
	while (len > 0 && strchr(" \t\r\n", data[len - 1]) != NULL)
		len--;
	while (len > 0 && strchr(" \t\r\n", data[0]) != NULL) {
		data++;
		len--;
	}
	if (len == 6 && memcmp(data, "[DONE]", 6) == 0) {
		s->saw_done = 1;
		return s->err;
	}
	memset(&f, 0, sizeof(f));
	if (jsonx_parse(data, len, CHUNK_DEPTH, &o, &f) != VN_OK ||
	    !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return fail(s, "The upstream model server sent a stream chunk "
		    "that is not a JSON object.");
	}
	if (json_object_object_get_ex(o, "error", &e) && e != NULL) {
		if (json_object_object_get_ex(e, "message", &v) &&
		    json_object_is_type(v, json_type_string))
			fail(s, json_object_get_string(v));
		else
			fail(s, "The upstream model server failed.");
		json_object_put(o);
		return VN_EUPSTREAM;
	}
	if (json_object_object_get_ex(o, "usage", &v) && v != NULL) {
		json_object_put(s->usage);
		if (respconv_usage(v, &s->usage) != VN_OK) {
			s->err = VN_ENOMEM;
			rc = fail(s, "The gateway ran out of memory.");
		}
	}
	if (rc == VN_OK && s->finish == NULL &&
	    json_object_object_get_ex(o, "choices", &v) &&
	    json_object_is_type(v, json_type_array)) {
		n = json_object_array_length(v);
		for (i = 0; i < n; i++) {
			e = json_object_array_get_idx(v, i);
			if (!json_object_is_type(e, json_type_object))
				continue;
			/* Only the first choice: a Response has one answer. */
			if (json_object_object_get_ex(e, "index", &ix) &&
			    json_object_get_int64(ix) != 0)
				continue;
			rc = choice(s, e);
			break;
		}
	}
	json_object_put(o);
	return s->failed ? VN_EUPSTREAM : s->err != VN_OK ? s->err : rc;
}

/*
 * End the answer and send its terminal event, each item closed first:
 * response.completed, response.incomplete (finish_reason "length" or
 * "content_filter"), or response.failed with error {server_error, why}
 * when errmsg is given (the caller's transport failure), when a chunk
 * failed, or when the stream stopped before a finish_reason or [DONE].
 * A failed answer's open items end "incomplete" with no .done events.
 * completed_at is stamped on a completed response only.  The final
 * Response is kept for respconv_stream_response() even when the
 * callback has failed.  Later calls do nothing.
 */
enum vn_err
respconv_stream_finish(struct respconv_stream *s, int64_t completed_at,
    const char *errmsg)
{
	struct json_object	*ev = NULL, *out = NULL;
	const char		*status, *type;
	size_t			 i;
	long			 m;
	int			 ok;

	if (s->ended)
		return s->err;
	respconv_stream_start(s);
	s->ended = 1;
	if (errmsg != NULL)
		fail(s, errmsg);
	else if (!s->saw_done && s->finish == NULL)
		fail(s, "The upstream model server's stream ended before the "
		    "answer was complete.");
	if (!s->failed && s->nitems == 0 && (m = open_message(s)) >= 0)
		/* An answer with nothing in it still has its message. */
		open_part(s, m, 0);
	if (s->failed) {
		status = "failed";
		for (i = 0; i < s->nitems; i++)
			if (s->items[i].open) {
				s->items[i].open = 0;
				s->items[i].status = "incomplete";
			}
	} else {
		status = incomplete_reason(s) != NULL ? "incomplete" :
		    "completed";
		close_all(s, status);
	}
	type = strcmp(status, "failed") == 0 ? "response.failed" :
	    strcmp(status, "incomplete") == 0 ? "response.incomplete" :
	    "response.completed";
	if ((out = output_json(s)) != NULL)
		s->final = snapshot(s, status, out, strcmp(status,
		    "completed") == 0 ? completed_at : 0);
	json_object_put(out);
	ok = s->final != NULL && (ev = ev_new(type, NULL, 0)) != NULL &&
	    jsonx_put(ev, "response", json_object_get(s->final));
	return emit_ev(s, keep(ok, ev));
}

/* The Response the terminal event carried (borrowed), or NULL. */
struct json_object *
respconv_stream_response(const struct respconv_stream *s)
{
	return s->final;
}

/* Release everything s holds; s may be freed again. */
void
respconv_stream_free(struct respconv_stream *s)
{
	size_t	 i;

	for (i = 0; i < s->nitems; i++) {
		buf_free(&s->items[i].text);
		buf_free(&s->items[i].refusal);
		buf_free(&s->items[i].name);
		buf_free(&s->items[i].args);
	}
	free(s->items);
	free(s->model);
	json_object_put(s->req);
	json_object_put(s->usage);
	json_object_put(s->final);
	s->items = NULL;
	s->model = NULL;
	s->req = s->usage = s->final = NULL;
	s->nitems = s->itemscap = 0;
}
