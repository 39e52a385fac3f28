/*
 * respconv_chat.c: a checked Responses request, with the stored history
 * of its chain, as a chat.completions request.  Items become messages
 * (function calls folded into the assistant message before them, tool
 * outputs into tool messages), flat tools become nested ones, text.format
 * becomes response_format; the request renames of openai-api.md §5.2
 * live here and only here.  Pure: no I/O.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <json.h>

#include "buf.h"
#include "fault.h"
#include "jsonx.h"
#include "respconv.h"

#define JOINED_MAX	((size_t)INT32_MAX)	/* json-c's string limit */

/* The chat messages being built from items. */
struct conv {
	struct json_object	*msgs;
	struct json_object	*last;	/* last message, if assistant */
};

static enum vn_err	 append(struct conv *, struct json_object *, int);
static struct json_object *chat_part(struct json_object *, const char *,
			    struct buf *, int *);
static struct json_object *chat_content(struct json_object *, struct buf *);
static enum vn_err	 conv_message(struct conv *, struct json_object *);
static enum vn_err	 conv_call(struct conv *, struct json_object *);
static enum vn_err	 conv_call_output(struct conv *,
			    struct json_object *);
static enum vn_err	 conv_items(struct conv *, struct json_object *);
static enum vn_err	 conv_tools(struct json_object *,
			    struct json_object *);
static enum vn_err	 conv_options(struct json_object *,
			    struct json_object *);

/* Append message m (taken) to the chat messages. */
static enum vn_err
append(struct conv *cv, struct json_object *m, int assistant)
{
	if (m == NULL)
		return VN_ENOMEM;
	if (json_object_array_add(cv->msgs, m) != 0) {
		json_object_put(m);
		return VN_ENOMEM;
	}
	cv->last = assistant ? m : NULL;
	return VN_OK;
}

/*
 * One Responses content part as a chat part, or NULL with *skip set for
 * parts chat has no place for (refusals go to *refusal instead), or NULL
 * when memory runs out.
 */
static struct json_object *
chat_part(struct json_object *part, const char *type, struct buf *refusal,
    int *skip)
{
	struct json_object	*p = NULL, *in = NULL, *v;
	int			 ok;

	*skip = 0;
	if (strcmp(type, "refusal") == 0 && jsonx_str(part,
	    "refusal") != NULL) {
		json_object_object_get_ex(part, "refusal", &v);
		*skip = buf_add(refusal, json_object_get_string(v),
		    (size_t)json_object_get_string_len(v)) == VN_OK;
		return NULL;
	}
	if ((p = json_object_new_object()) == NULL)
		return NULL;
	if ((strcmp(type, "input_text") == 0 ||
	    strcmp(type, "output_text") == 0) && jsonx_str(part,
	    "text") != NULL)
		ok = jsonx_put(p, "type", json_object_new_string("text")) &&
		    jsonx_put_ref(p, "text", part, "text");
	else if (strcmp(type, "input_image") == 0 &&
	    jsonx_str(part, "image_url") != NULL)
		ok = jsonx_put(p, "type",
		    json_object_new_string("image_url")) &&
		    (in = json_object_new_object()) != NULL &&
		    jsonx_put(p, "image_url", in) &&
		    jsonx_put_ref(in, "url", part, "image_url") &&
		    jsonx_put_ref(in, "detail", part, "detail");
	else if (strcmp(type, "input_file") == 0)
		ok = jsonx_put(p, "type", json_object_new_string("file")) &&
		    (in = json_object_new_object()) != NULL &&
		    jsonx_put(p, "file", in) &&
		    jsonx_put_ref(in, "file_id", part, "file_id") &&
		    jsonx_put_ref(in, "file_data", part, "file_data") &&
		    jsonx_put_ref(in, "filename", part, "filename");
	else {
		*skip = 1;
		ok = 0;
	}
	if (!ok) {
		json_object_put(p);
		return NULL;
	}
	return p;
}

/*
 * A message's content (a string or parts) as chat content: the string
 * as it is, one text part as a string (what every chat server takes),
 * otherwise an array of chat parts.  Refusal text is appended to
 * refusal.  NULL when memory runs out.
 */
static struct json_object *
chat_content(struct json_object *c, struct buf *refusal)
{
	struct json_object	*arr = NULL, *part, *p, *v;
	const char		*type;
	size_t			 i, n;
	int			 skip;

	if (json_object_is_type(c, json_type_string))
		return json_object_get(c);
	if ((arr = json_object_new_array()) == NULL)
		return NULL;
	n = json_object_is_type(c, json_type_array) ?
	    json_object_array_length(c) : 0;
	for (i = 0; i < n; i++) {
		part = json_object_array_get_idx(c, i);
		if ((type = jsonx_str(part, "type")) == NULL)
			continue;
		if ((p = chat_part(part, type, refusal, &skip)) == NULL) {
			if (skip)
				continue;
			json_object_put(arr);
			return NULL;
		}
		if (json_object_array_add(arr, p) != 0) {
			json_object_put(p);
			json_object_put(arr);
			return NULL;
		}
	}
	if (json_object_array_length(arr) == 1 &&
	    (p = json_object_array_get_idx(arr, 0)) != NULL &&
	    strcmp(jsonx_str(p, "type"), "text") == 0) {
		json_object_object_get_ex(p, "text", &v);
		v = json_object_get(v);
		json_object_put(arr);
		return v;
	}
	if (json_object_array_length(arr) == 0) {
		json_object_put(arr);
		return json_object_new_string("");
	}
	return arr;
}

/* A message item (easy or full) as a chat message with the same role. */
static enum vn_err
conv_message(struct conv *cv, struct json_object *it)
{
	struct json_object	*m = NULL, *c = NULL, *content = NULL;
	struct buf		 refusal;
	const char		*role;
	int			 asst, ok;
	enum vn_err		 rc = VN_ENOMEM;

	buf_init(&refusal, JOINED_MAX);
	if ((role = jsonx_str(it, "role")) == NULL)
		return VN_OK;
	if (strcmp(role, "user") != 0 && strcmp(role, "system") != 0 &&
	    strcmp(role, "developer") != 0 && strcmp(role, "assistant") != 0)
		return VN_OK;
	asst = strcmp(role, "assistant") == 0;
	json_object_object_get_ex(it, "content", &c);
	if ((content = chat_content(c, &refusal)) == NULL)
		goto out;
	if (asst && refusal.len > 0 &&
	    json_object_is_type(content, json_type_string) &&
	    json_object_get_string_len(content) == 0) {
		/* Only a refusal: chat wants content null beside it. */
		json_object_put(content);
		content = NULL;
	}
	if ((m = json_object_new_object()) == NULL)
		goto out;
	ok = jsonx_put(m, "role", json_object_new_string(role)) &&
	    json_object_object_add(m, "content", content) == 0;
	if (ok)
		content = NULL;
	if (ok && asst && refusal.len > 0)
		ok = jsonx_put(m, "refusal", json_object_new_string_len(
		    buf_cstr(&refusal), (int)refusal.len));
	if (!ok)
		goto out;
	rc = append(cv, m, asst);
	m = NULL;
out:
	buf_free(&refusal);
	json_object_put(content);
	json_object_put(m);
	return rc;
}

/*
 * A function_call item: one more tool call of the assistant message
 * just before it, so that an answer's text and its calls (or several
 * calls) stay one chat message, as chat needs them; a new assistant
 * message if the last one is not the assistant's.
 */
static enum vn_err
conv_call(struct conv *cv, struct json_object *it)
{
	struct json_object	*tc = NULL, *fn = NULL, *calls = NULL;
	int			 ok;

	if (jsonx_str(it, "call_id") == NULL || jsonx_str(it, "name") == NULL)
		return VN_OK;
	ok = (tc = json_object_new_object()) != NULL &&
	    jsonx_put_ref(tc, "id", it, "call_id") &&
	    jsonx_put(tc, "type", json_object_new_string("function")) &&
	    (fn = json_object_new_object()) != NULL &&
	    jsonx_put(tc, "function", fn) &&
	    jsonx_put_ref(fn, "name", it, "name") &&
	    (jsonx_str(it, "arguments") != NULL ?
	    jsonx_put_ref(fn, "arguments", it, "arguments") :
	    jsonx_put(fn, "arguments", json_object_new_string("")));
	if (ok && cv->last == NULL)
		ok = append(cv, json_object_new_object(), 1) == VN_OK &&
		    jsonx_put(cv->last, "role",
		    json_object_new_string("assistant")) &&
		    json_object_object_add(cv->last, "content", NULL) == 0;
	if (ok && !json_object_object_get_ex(cv->last, "tool_calls", &calls))
		ok = jsonx_put(cv->last, "tool_calls",
		    (calls = json_object_new_array()));
	if (!ok || !json_object_is_type(calls, json_type_array) ||
	    json_object_array_add(calls, tc) != 0) {
		json_object_put(tc);
		return VN_ENOMEM;
	}
	return VN_OK;
}

/* A function_call_output item as a tool message. */
static enum vn_err
conv_call_output(struct conv *cv, struct json_object *it)
{
	struct json_object	*m = NULL, *c = NULL;
	struct buf		 refusal;
	int			 ok;

	if (jsonx_str(it, "call_id") == NULL)
		return VN_OK;
	buf_init(&refusal, JOINED_MAX);
	json_object_object_get_ex(it, "output", &c);
	ok = (m = json_object_new_object()) != NULL &&
	    jsonx_put(m, "role", json_object_new_string("tool")) &&
	    jsonx_put_ref(m, "tool_call_id", it, "call_id") &&
	    jsonx_put(m, "content", chat_content(c, &refusal));
	buf_free(&refusal);
	if (!ok) {
		json_object_put(m);
		return VN_ENOMEM;
	}
	return append(cv, m, 0);
}

/* Items (stored or as the client sent them) as chat messages, in order. */
static enum vn_err
conv_items(struct conv *cv, struct json_object *items)
{
	struct json_object	*it;
	const char		*type;
	size_t			 i, n;
	enum vn_err		 rc = VN_OK;

	if (!json_object_is_type(items, json_type_array))
		return VN_OK;
	n = json_object_array_length(items);
	for (i = 0; i < n && rc == VN_OK; i++) {
		it = json_object_array_get_idx(items, i);
		if (!json_object_is_type(it, json_type_object))
			continue;
		if ((type = jsonx_str(it, "type")) == NULL)
			type = "message";
		if (strcmp(type, "message") == 0)
			rc = conv_message(cv, it);
		else if (strcmp(type, "function_call") == 0)
			rc = conv_call(cv, it);
		else if (strcmp(type, "function_call_output") == 0)
			rc = conv_call_output(cv, it);
		/* Reasoning and the rest: a chat upstream cannot take them. */
	}
	return rc;
}

/* Flat Responses function tools as chat's nested ones. */
static enum vn_err
conv_tools(struct json_object *req, struct json_object *chat)
{
	struct json_object	*tools, *t, *arr = NULL, *ct, *fn;
	size_t			 i, n;

	if (!json_object_object_get_ex(req, "tools", &tools) ||
	    !json_object_is_type(tools, json_type_array) ||
	    (n = json_object_array_length(tools)) == 0)
		return VN_OK;
	if ((arr = json_object_new_array()) == NULL)
		return VN_ENOMEM;
	for (i = 0; i < n; i++) {
		t = json_object_array_get_idx(tools, i);
		if (jsonx_str(t, "name") == NULL)
			continue;
		if ((ct = jsonx_add_obj(arr)) == NULL ||
		    !jsonx_put(ct, "type",
		    json_object_new_string("function")) ||
		    (fn = json_object_new_object()) == NULL ||
		    !jsonx_put(ct, "function", fn) ||
		    !jsonx_put_ref(fn, "name", t, "name") ||
		    !jsonx_put_ref(fn, "description", t, "description") ||
		    !jsonx_put_ref(fn, "parameters", t, "parameters") ||
		    !jsonx_put_ref(fn, "strict", t, "strict")) {
			json_object_put(arr);
			return VN_ENOMEM;
		}
	}
	if (!jsonx_put(chat, "tools", arr))
		return VN_ENOMEM;
	/* Chat rejects parallel_tool_calls without tools. */
	return jsonx_put_ref(chat, "parallel_tool_calls", req,
	    "parallel_tool_calls") ? VN_OK : VN_ENOMEM;
}

/* tool_choice, text, sampling and the pass-through fields. */
static enum vn_err
conv_options(struct json_object *req, struct json_object *chat)
{
	struct json_object	*v, *fmt, *rf = NULL, *js = NULL, *tc = NULL,
				*fn = NULL;
	const char		*type;
	int			 ok = 1;

	if (json_object_object_get_ex(req, "tool_choice", &v) && v != NULL) {
		if (json_object_is_type(v, json_type_string))
			ok = jsonx_put(chat, "tool_choice", json_object_get(v));
		else if (jsonx_str(v, "name") != NULL)
			ok = (tc = json_object_new_object()) != NULL &&
			    jsonx_put(chat, "tool_choice", tc) &&
			    jsonx_put(tc, "type", json_object_new_string(
			    "function")) &&
			    (fn = json_object_new_object()) != NULL &&
			    jsonx_put(tc, "function", fn) &&
			    jsonx_put_ref(fn, "name", v, "name");
	}
	if (ok && json_object_object_get_ex(req, "text", &v) && v != NULL) {
		ok = jsonx_put_ref(chat, "verbosity", v, "verbosity");
		if (ok && json_object_object_get_ex(v, "format", &fmt) &&
		    (type = jsonx_str(fmt, "type")) != NULL &&
		    strcmp(type, "text") != 0) {
			ok = (rf = json_object_new_object()) != NULL &&
			    jsonx_put(chat, "response_format", rf) &&
			    jsonx_put(rf, "type", json_object_new_string(type));
			if (ok && strcmp(type, "json_schema") == 0)
				ok = (js = json_object_new_object()) != NULL &&
				    jsonx_put(rf, "json_schema", js) &&
				    jsonx_put_ref(js, "name", fmt, "name") &&
				    jsonx_put_ref(js, "description", fmt,
				    "description") &&
				    jsonx_put_ref(js, "schema", fmt,
				    "schema") &&
				    jsonx_put_ref(js, "strict", fmt, "strict");
		}
	}
	if (ok && json_object_object_get_ex(req, "reasoning", &v))
		ok = jsonx_put_ref(chat, "reasoning_effort", v, "effort");
	ok = ok &&
	    jsonx_put_ref(chat, "max_completion_tokens", req,
	    "max_output_tokens") &&
	    jsonx_put_ref(chat, "temperature", req, "temperature") &&
	    jsonx_put_ref(chat, "top_p", req, "top_p") &&
	    jsonx_put_ref(chat, "user", req, "user") &&
	    jsonx_put_ref(chat, "safety_identifier", req,
	    "safety_identifier") &&
	    jsonx_put_ref(chat, "prompt_cache_key", req, "prompt_cache_key") &&
	    jsonx_put_ref(chat, "service_tier", req, "service_tier") &&
	    jsonx_put_ref(chat, "stream", req, "stream");
	return ok ? VN_OK : VN_ENOMEM;
}

/*
 * The chat.completions request for a checked Responses request: the
 * instructions as a system message, then history (the chain's stored
 * input and output items, oldest first; NULL for none), then this
 * request's input.  model names the upstream model (NULL: the request's
 * own).  "stream" is copied as given; the caller adds stream_options.
 * On success *chat is the caller's; VN_EINVAL (f says why) when there is
 * nothing to send.
 */
enum vn_err
respconv_chat_request(struct json_object *req, struct json_object *history,
    const char *model, struct json_object **chat, struct fault *f)
{
	struct json_object	*c = NULL, *in, *m = NULL;
	struct conv		 cv;
	enum vn_err		 rc = VN_ENOMEM;

	*chat = NULL;
	memset(&cv, 0, sizeof(cv));
	if ((c = json_object_new_object()) == NULL ||
	    !(model != NULL ? jsonx_put(c, "model",
	    json_object_new_string(model)) :
	    jsonx_put_ref(c, "model", req, "model")) ||
	    (cv.msgs = json_object_new_array()) == NULL ||
	    !jsonx_put(c, "messages", json_object_get(cv.msgs)))
		goto out;
	if (jsonx_str(req, "instructions") != NULL &&
	    *jsonx_str(req, "instructions") != '\0') {
		/* "system": every chat server knows it; not all "developer". */
		if ((m = json_object_new_object()) == NULL ||
		    !jsonx_put(m, "role", json_object_new_string("system")) ||
		    !jsonx_put_ref(m, "content", req, "instructions") ||
		    (rc = append(&cv, m, 0)) != VN_OK)
			goto out;
		m = NULL;
		rc = VN_ENOMEM;
	}
	if ((rc = conv_items(&cv, history)) != VN_OK)
		goto out;
	rc = VN_ENOMEM;
	json_object_object_get_ex(req, "input", &in);
	if (json_object_is_type(in, json_type_string)) {
		if ((m = json_object_new_object()) == NULL ||
		    !jsonx_put(m, "role", json_object_new_string("user")) ||
		    !jsonx_put(m, "content", json_object_get(in)) ||
		    (rc = append(&cv, m, 0)) != VN_OK)
			goto out;
		m = NULL;
	} else if ((rc = conv_items(&cv, in)) != VN_OK)
		goto out;
	if (json_object_array_length(cv.msgs) == 0) {
		rc = fault_set(f, VN_EINVAL, "input", "invalid_value",
		    "Invalid 'input': there is nothing to send to the model.");
		goto out;
	}
	if ((rc = conv_tools(req, c)) != VN_OK ||
	    (rc = conv_options(req, c)) != VN_OK)
		goto out;
	*chat = c;
	c = NULL;
out:
	if (rc == VN_ENOMEM)
		fault_set(f, rc, NULL, NULL, "Out of memory.");
	json_object_put(m);
	json_object_put(cv.msgs);
	json_object_put(c);
	return rc;
}
