/*
 * respconv_output.c: a chat answer in Responses terms.  A
 * chat.completion becomes output items, a status and usage (the answer
 * renames of openai-api.md §5.2), and the Response object is assembled
 * from the request's echoes and the answer's state, with every field the
 * API requires.  A finished stream's answer is read back from its final
 * Response the same way.  Pure: no I/O.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <json.h>

#include "buf.h"
#include "fault.h"
#include "ids.h"
#include "jsonx.h"
#include "respconv.h"

#define JOINED_MAX	((size_t)INT32_MAX)	/* json-c's string limit */

static int64_t		 count(struct json_object *, const char *);
static struct json_object *message_item(struct json_object *,
			    struct json_object *, const char *);
static struct json_object *call_item(struct json_object *, const char *);
static enum vn_err	 upstream_fault(struct fault *, const char *);
static struct json_object *content_text(struct json_object *, int *);
static int		 echo(struct json_object *, struct json_object *,
			    const char *, struct json_object *);
static struct json_object *echo_tools(struct json_object *);

/* o.key as a token count: a non-negative integer, 0 otherwise. */
static int64_t
count(struct json_object *o, const char *key)
{
	struct json_object	*v;
	int64_t			 n;

	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return 0;
	n = json_object_get_int64(v);
	return n < 0 ? 0 : n;
}

/*
 * Chat usage as Responses usage.  *out is NULL (and VN_OK) when cu is
 * not a usage object; else it is the caller's.
 */
enum vn_err
respconv_usage(struct json_object *cu, struct json_object **out)
{
	struct json_object	*u = NULL, *d = NULL, *pd = NULL, *cd = NULL;
	int64_t			 in, outt, total;
	int			 ok;

	*out = NULL;
	if (!json_object_is_type(cu, json_type_object))
		return VN_OK;
	in = count(cu, "prompt_tokens");
	outt = count(cu, "completion_tokens");
	if ((total = count(cu, "total_tokens")) == 0 && in <= INT64_MAX - outt)
		total = in + outt;
	json_object_object_get_ex(cu, "prompt_tokens_details", &pd);
	json_object_object_get_ex(cu, "completion_tokens_details", &cd);
	ok = (u = json_object_new_object()) != NULL &&
	    jsonx_put(u, "input_tokens", json_object_new_int64(in)) &&
	    jsonx_put(u, "input_tokens_details",
	    (d = json_object_new_object())) &&
	    jsonx_put(d, "cached_tokens", json_object_new_int64(count(pd,
	    "cached_tokens"))) &&
	    jsonx_put(d, "cache_write_tokens", json_object_new_int64(count(pd,
	    "cache_write_tokens"))) &&
	    jsonx_put(u, "output_tokens", json_object_new_int64(outt)) &&
	    jsonx_put(u, "output_tokens_details",
	    (d = json_object_new_object())) &&
	    jsonx_put(d, "reasoning_tokens", json_object_new_int64(count(cd,
	    "reasoning_tokens"))) &&
	    jsonx_put(u, "total_tokens", json_object_new_int64(total));
	if (!ok) {
		json_object_put(u);
		return VN_ENOMEM;
	}
	*out = u;
	return VN_OK;
}

/*
 * The assistant's message item: an output_text part if text (a JSON
 * string) is given, a refusal part if refusal is.  NULL when memory
 * runs out.
 */
static struct json_object *
message_item(struct json_object *text, struct json_object *refusal,
    const char *status)
{
	struct json_object	*it = NULL, *parts = NULL, *p;
	char			 id[VN_MAX_ID + 1];
	int			 ok;

	ids_new(id, sizeof(id), "msg_", 32);
	ok = (it = json_object_new_object()) != NULL &&
	    jsonx_put(it, "id", json_object_new_string(id)) &&
	    jsonx_put(it, "type", json_object_new_string("message")) &&
	    jsonx_put(it, "status", json_object_new_string(status)) &&
	    jsonx_put(it, "role", json_object_new_string("assistant")) &&
	    jsonx_put(it, "content", (parts = json_object_new_array()));
	if (ok && text != NULL)
		ok = (p = jsonx_add_obj(parts)) != NULL &&
		    jsonx_put(p, "type",
		    json_object_new_string("output_text")) &&
		    jsonx_put(p, "text", json_object_get(text)) &&
		    jsonx_put(p, "annotations", json_object_new_array()) &&
		    jsonx_put(p, "logprobs", json_object_new_array());
	if (ok && refusal != NULL)
		ok = (p = jsonx_add_obj(parts)) != NULL &&
		    jsonx_put(p, "type", json_object_new_string("refusal")) &&
		    jsonx_put(p, "refusal", json_object_get(refusal));
	if (!ok) {
		json_object_put(it);
		return NULL;
	}
	return it;
}

/*
 * A chat tool call as a function_call item.  Arguments that are not a
 * string (some servers send an object) are serialised; a missing id
 * gets a new call_ id.  NULL when memory runs out.
 */
static struct json_object *
call_item(struct json_object *tc, const char *status)
{
	struct json_object	*it = NULL, *fn = NULL, *args = NULL;
	const char		*name, *s;
	char			 id[VN_MAX_ID + 1], call[VN_MAX_ID + 1];
	int			 ok;

	json_object_object_get_ex(tc, "function", &fn);
	name = jsonx_str(fn, "name");
	if (json_object_is_type(fn, json_type_object))
		json_object_object_get_ex(fn, "arguments", &args);
	ids_new(id, sizeof(id), "fc_", 32);
	if ((s = jsonx_str(tc, "id")) != NULL && *s != '\0')
		snprintf(call, sizeof(call), "%s", s);
	else
		ids_new(call, sizeof(call), "call_", 24);
	ok = (it = json_object_new_object()) != NULL &&
	    jsonx_put(it, "id", json_object_new_string(id)) &&
	    jsonx_put(it, "type", json_object_new_string("function_call")) &&
	    jsonx_put(it, "status", json_object_new_string(status)) &&
	    jsonx_put(it, "call_id", json_object_new_string(call)) &&
	    jsonx_put(it, "name", json_object_new_string(name != NULL ? name :
	    "")) &&
	    jsonx_put(it, "arguments", json_object_is_type(args,
	    json_type_string) ?
	    json_object_get(args) : args == NULL ? json_object_new_string("") :
	    jsonx_new_text(args));
	if (!ok) {
		json_object_put(it);
		return NULL;
	}
	return it;
}

static enum vn_err
upstream_fault(struct fault *f, const char *why)
{
	return fault_set(f, VN_EUPSTREAM, NULL, "upstream_error", "The "
	    "upstream model server answered with %s.", why);
}

/*
 * The text of a chat message's content: the string itself, or the text
 * parts of an array joined; NULL (with *oom clear) for no text.
 */
static struct json_object *
content_text(struct json_object *c, int *oom)
{
	struct json_object	*p, *t, *o;
	struct buf		 b;
	size_t			 i, n;

	*oom = 0;
	if (json_object_is_type(c, json_type_string))
		return json_object_get_string_len(c) > 0 ? json_object_get(c) :
		    NULL;
	if (!json_object_is_type(c, json_type_array))
		return NULL;
	buf_init(&b, JOINED_MAX);
	n = json_object_array_length(c);
	for (i = 0; i < n; i++) {
		p = json_object_array_get_idx(c, i);
		if (jsonx_str(p, "text") == NULL)
			continue;
		json_object_object_get_ex(p, "text", &t);
		if (buf_add(&b, json_object_get_string(t),
		    (size_t)json_object_get_string_len(t)) != VN_OK) {
			*oom = 1;
			return NULL;
		}
	}
	if (b.len == 0) {
		buf_free(&b);
		return NULL;
	}
	o = json_object_new_string_len(b.data, (int)b.len);
	buf_free(&b);
	*oom = o == NULL;
	return o;
}

/*
 * A non-streamed chat.completion as a Responses answer: the output
 * items (a message with the text and/or refusal, or an empty text when
 * the answer has nothing else; one function_call per tool call), the
 * status (incomplete for finish_reason "length" or "content_filter")
 * and usage.  Only choices[0] counts.  On success res holds references
 * the caller frees with respconv_result_free(); VN_EUPSTREAM (f says
 * why) when cc is not a usable chat.completion.
 */
enum vn_err
respconv_output(struct json_object *cc, struct respconv_result *res,
    struct fault *f)
{
	struct json_object	*choices, *ch, *msg, *v, *text = NULL,
				*refusal = NULL, *calls = NULL, *it;
	const char		*finish, *st;
	size_t			 i, n;
	int			 oom;
	enum vn_err		 rc = VN_ENOMEM;

	memset(res, 0, sizeof(*res));
	if (!json_object_is_type(cc, json_type_object))
		return upstream_fault(f, "something that is not a JSON object");
	if (json_object_object_get_ex(cc, "error", &v) && v != NULL)
		return upstream_fault(f, "an error");
	if (!json_object_object_get_ex(cc, "choices", &choices) ||
	    !json_object_is_type(choices, json_type_array) ||
	    json_object_array_length(choices) == 0)
		return upstream_fault(f, "no choices");
	ch = json_object_array_get_idx(choices, 0);
	if (!json_object_is_type(ch, json_type_object) ||
	    !json_object_object_get_ex(ch, "message", &msg) ||
	    !json_object_is_type(msg, json_type_object))
		return upstream_fault(f, "no message");
	res->status = "completed";
	if ((finish = jsonx_str(ch, "finish_reason")) != NULL &&
	    (strcmp(finish, "length") == 0 ||
	    strcmp(finish, "content_filter") == 0)) {
		res->status = "incomplete";
		res->incomplete_reason = strcmp(finish, "length") == 0 ?
		    "max_output_tokens" : "content_filter";
	}
	st = res->incomplete_reason != NULL ? "incomplete" : "completed";
	json_object_object_get_ex(msg, "content", &v);
	if ((text = content_text(v, &oom)) == NULL && oom)
		goto out;
	if (jsonx_str(msg, "refusal") != NULL && *jsonx_str(msg,
	    "refusal") != '\0') {
		json_object_object_get_ex(msg, "refusal", &v);
		refusal = json_object_get(v);
	}
	if (!json_object_object_get_ex(msg, "tool_calls", &calls) ||
	    !json_object_is_type(calls, json_type_array))
		calls = NULL;
	n = calls != NULL ? json_object_array_length(calls) : 0;
	if ((res->output = json_object_new_array()) == NULL)
		goto out;
	if (text != NULL || refusal != NULL || n == 0) {
		if (text == NULL && refusal == NULL &&
		    (text = json_object_new_string("")) == NULL)
			goto out;
		if ((it = message_item(text, refusal, st)) == NULL ||
		    json_object_array_add(res->output, it) != 0) {
			json_object_put(it);
			goto out;
		}
	}
	for (i = 0; i < n && i < RESPCONV_MAX_CALLS; i++) {
		v = json_object_array_get_idx(calls, i);
		if (!json_object_is_type(v, json_type_object))
			continue;
		if ((it = call_item(v, st)) == NULL ||
		    json_object_array_add(res->output, it) != 0) {
			json_object_put(it);
			goto out;
		}
	}
	json_object_object_get_ex(cc, "usage", &v);
	if (respconv_usage(v, &res->usage) != VN_OK)
		goto out;
	if (res->usage != NULL) {
		res->have_usage = 1;
		res->input_tokens = count(v, "prompt_tokens");
		res->output_tokens = count(v, "completion_tokens");
	}
	rc = VN_OK;
out:
	if (rc != VN_OK) {
		respconv_result_free(res);
		fault_set(f, rc, NULL, NULL, "Out of memory.");
	}
	json_object_put(text);
	json_object_put(refusal);
	return rc;
}

/* Release what a result holds; it may be freed again. */
void
respconv_result_free(struct respconv_result *res)
{
	json_object_put(res->output);
	json_object_put(res->usage);
	res->output = NULL;
	res->usage = NULL;
}

/*
 * Echo req.key under key: the client's value, else dflt (taken; NULL
 * for JSON null).  0 when memory runs out.
 */
static int
echo(struct json_object *o, struct json_object *req, const char *key,
    struct json_object *dflt)
{
	struct json_object	*v;

	if (json_object_is_type(req, json_type_object) &&
	    json_object_object_get_ex(req, key, &v) && v != NULL) {
		json_object_put(dflt);
		return jsonx_put(o, key, json_object_get(v));
	}
	if (json_object_object_add(o, key, dflt) != 0) {
		json_object_put(dflt);
		return 0;
	}
	return 1;
}

/* The request's tools as the Response shows them: flat, all keys set. */
static struct json_object *
echo_tools(struct json_object *req)
{
	struct json_object	*arr = NULL, *tools, *t, *e;
	size_t			 i, n = 0;
	int			 ok = 1;

	if ((arr = json_object_new_array()) == NULL)
		return NULL;
	if (json_object_is_type(req, json_type_object) &&
	    json_object_object_get_ex(req, "tools", &tools) &&
	    json_object_is_type(tools, json_type_array))
		n = json_object_array_length(tools);
	for (i = 0; i < n && ok; i++) {
		t = json_object_array_get_idx(tools, i);
		if (jsonx_str(t, "name") == NULL)
			continue;
		ok = (e = jsonx_add_obj(arr)) != NULL &&
		    jsonx_put(e, "type", json_object_new_string("function")) &&
		    jsonx_put_ref(e, "name", t, "name") &&
		    echo(e, t, "description", NULL) &&
		    echo(e, t, "parameters", NULL) &&
		    echo(e, t, "strict", NULL);
	}
	if (!ok) {
		json_object_put(arr);
		return NULL;
	}
	return arr;
}

/*
 * The Response object: every field the API requires (openai-api.md
 * §5.3), the answer's state from rf, and the request's echoes with the
 * API's defaults where the client set nothing.  Shares (references)
 * rf->output, rf->usage and the request's values: none may be changed
 * afterwards.  Returns the caller's object, or NULL when memory runs
 * out.
 */
struct json_object *
respconv_response(const struct respconv_fields *rf)
{
	struct json_object	*r = NULL, *e, *fmt, *req = rf->req, *v;
	int			 ok;

	ok = (r = json_object_new_object()) != NULL &&
	    jsonx_put(r, "id", json_object_new_string(rf->id != NULL ? rf->id :
	    "")) &&
	    jsonx_put(r, "object", json_object_new_string("response")) &&
	    jsonx_put(r, "created_at", json_object_new_int64(rf->created_at)) &&
	    jsonx_put(r, "status", json_object_new_string(rf->status != NULL ?
	    rf->status : "in_progress")) &&
	    echo(r, req, "background", json_object_new_boolean(0)) &&
	    json_object_object_add(r, "completed_at", rf->completed_at > 0 ?
	    json_object_new_int64(rf->completed_at) : NULL) == 0;
	if (ok && rf->error_code != NULL)
		ok = jsonx_put(r, "error", (e = json_object_new_object())) &&
		    jsonx_put(e, "code",
		    json_object_new_string(rf->error_code)) &&
		    jsonx_put(e, "message", json_object_new_string(
		    rf->error_message != NULL ? rf->error_message : ""));
	else if (ok)
		ok = json_object_object_add(r, "error", NULL) == 0;
	if (ok && rf->incomplete_reason != NULL)
		ok = jsonx_put(r, "incomplete_details",
		    (e = json_object_new_object())) &&
		    jsonx_put(e, "reason", json_object_new_string(
		    rf->incomplete_reason));
	else if (ok)
		ok = json_object_object_add(r, "incomplete_details", NULL) == 0;
	ok = ok && echo(r, req, "instructions", NULL) &&
	    echo(r, req, "max_output_tokens", NULL) &&
	    echo(r, req, "max_tool_calls", NULL) &&
	    (rf->model != NULL ? jsonx_put(r, "model",
	    json_object_new_string(rf->model)) : echo(r, req, "model",
	    json_object_new_string(""))) &&
	    jsonx_put(r, "output", rf->output != NULL ?
	    json_object_get(rf->output) :
	    json_object_new_array()) &&
	    echo(r, req, "parallel_tool_calls", json_object_new_boolean(1)) &&
	    echo(r, req, "previous_response_id", NULL) &&
	    echo(r, req, "prompt_cache_key", NULL);
	if (ok && (!json_object_object_get_ex(req, "reasoning", &v) ||
	    v == NULL))
		ok = jsonx_put(r, "reasoning",
		    (e = json_object_new_object())) &&
		    json_object_object_add(e, "effort", NULL) == 0 &&
		    json_object_object_add(e, "summary", NULL) == 0;
	else if (ok)
		ok = jsonx_put(r, "reasoning", json_object_get(v));
	ok = ok && echo(r, req, "safety_identifier", NULL) &&
	    (rf->service_tier != NULL ? jsonx_put(r, "service_tier",
	    json_object_new_string(rf->service_tier)) :
	    echo(r, req, "service_tier", json_object_new_string("auto"))) &&
	    echo(r, req, "store", json_object_new_boolean(1)) &&
	    echo(r, req, "temperature", json_object_new_int(1));
	if (ok && (!json_object_object_get_ex(req, "text", &v) || v == NULL))
		ok = jsonx_put(r, "text", (e = json_object_new_object())) &&
		    jsonx_put(e, "format", (fmt = json_object_new_object())) &&
		    jsonx_put(fmt, "type", json_object_new_string("text"));
	else if (ok)
		ok = jsonx_put(r, "text", json_object_get(v));
	ok = ok &&
	    echo(r, req, "tool_choice", json_object_new_string("auto")) &&
	    jsonx_put(r, "tools", echo_tools(req)) &&
	    echo(r, req, "top_logprobs", json_object_new_int(0)) &&
	    echo(r, req, "top_p", json_object_new_int(1)) &&
	    echo(r, req, "truncation", json_object_new_string("disabled")) &&
	    /* ResponseUsage is not nullable: none yet is absent. */
	    (rf->usage == NULL || jsonx_put(r, "usage",
	    json_object_get(rf->usage))) &&
	    /* A string in the spec, not nullable: unset is absent. */
	    (!json_object_object_get_ex(req, "user", &v) || v == NULL ||
	    jsonx_put(r, "user", json_object_get(v))) &&
	    echo(r, req, "metadata", json_object_new_object());
	if (!ok) {
		json_object_put(r);
		return NULL;
	}
	return r;
}

/*
 * A finished stream's answer for storage, read from the Response its
 * terminal event carried: references to the output and usage, the
 * status and the error; the caller frees res with
 * respconv_result_free().  VN_EINVAL before respconv_stream_finish(),
 * VN_ENOMEM if the final Response could not be built.
 */
enum vn_err
respconv_stream_result(const struct respconv_stream *s,
    struct respconv_result *res)
{
	static const char *const statuses[] = {
		"completed", "incomplete", "failed", "cancelled",
	};
	struct json_object	*v, *d;
	const char		*st;
	size_t			 i;

	memset(res, 0, sizeof(*res));
	if (!s->ended)
		return VN_EINVAL;
	if (s->final == NULL)
		return VN_ENOMEM;
	json_object_object_get_ex(s->final, "output", &v);
	res->output = json_object_get(v);
	json_object_object_get_ex(s->final, "usage", &v);
	res->usage = json_object_get(v);
	res->status = statuses[2];
	st = jsonx_str(s->final, "status");
	for (i = 0; st != NULL && i < VN_NELEM(statuses); i++)
		if (strcmp(st, statuses[i]) == 0)
			res->status = statuses[i];
	json_object_object_get_ex(s->final, "incomplete_details", &d);
	if ((st = jsonx_str(d, "reason")) != NULL)
		res->incomplete_reason = strcmp(st, "content_filter") == 0 ?
		    "content_filter" : "max_output_tokens";
	json_object_object_get_ex(s->final, "error", &d);
	if ((st = jsonx_str(d, "message")) != NULL) {
		res->error_code = "server_error";
		snprintf(res->error_message, sizeof(res->error_message), "%s",
		    st);
	}
	if (res->usage != NULL) {
		res->have_usage = 1;
		res->input_tokens = count(res->usage, "input_tokens");
		res->output_tokens = count(res->usage, "output_tokens");
	}
	return VN_OK;
}
