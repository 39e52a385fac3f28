/*
 * respconv.c: a Responses create request, checked and normalised.  The
 * checks cover every field the translation reads, so that nothing the
 * chat upstream would reject, or that Venna cannot translate, gets past
 * the gateway with a 200; errors name the parameter the way the OpenAI
 * API does ("input[3].call_id").  Fields the translation only echoes are
 * checked for their type.  Unknown top-level fields are ignored: new SDK
 * parameters must not break old gateways.  Pure: no I/O.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <json.h>

#include "fault.h"
#include "ids.h"
#include "jsonx.h"
#include "respconv.h"

#define MODEL_MAX	256
#define ITEM_ID_MAX	VN_MAX_ID
#define CALL_ID_MAX	64
#define FUNC_NAME_MAX	128
#define MAX_INPUT_ITEMS	100000
#define MAX_PARTS	10000
#define MAX_TOOLS	128
#define MAX_INCLUDE	64
/* Parameter paths, each level's buffer longer than its parent's. */
#define CTX_ITEM	32	/* "input[N]", "tools[N]" */
#define CTX_CONTENT	64	/* "input[N].content" */
#define CTX_PART	80	/* "input[N].content[M]" */
#define CTX		112	/* a field of any of those */

static enum vn_err	 bad_type(struct fault *, const char *, const char *,
			    struct json_object *);
static enum vn_err	 text_field(struct json_object *, const char *,
			    const char *, int, struct fault *);
static int		 one_of(const char *, const char *const *);
static enum vn_err	 check_part(struct json_object *, const char *,
			    const char *, int, struct fault *);
static enum vn_err	 check_content(struct json_object *, const char *,
			    const char *, struct fault *);
static enum vn_err	 check_message(struct json_object *, const char *,
			    struct fault *);
static enum vn_err	 check_call(struct json_object *, const char *,
			    struct fault *);
static enum vn_err	 check_call_output(struct json_object *, const char *,
			    struct fault *);
static enum vn_err	 check_item(struct json_object *, size_t,
			    struct fault *);
static enum vn_err	 check_input(struct json_object *, struct fault *);
static enum vn_err	 check_tools(struct json_object *, struct fault *);
static enum vn_err	 check_tool_choice(struct json_object *,
			    struct fault *);
static enum vn_err	 check_text(struct json_object *, struct fault *);
static enum vn_err	 check_enum(struct json_object *, const char *,
			    const char *, const char *const *, struct fault *);
static enum vn_err	 check_misc(struct json_object *, struct fault *);
static int		 put_id(struct json_object *, struct json_object *,
			    const char *);
static struct json_object *copy(struct json_object *);
static struct json_object *norm_item(struct json_object *, const char *);

static const char *const roles[] = {
	"user", "assistant", "system", "developer", NULL
};
static const char *const truncations[] = { "auto", "disabled", NULL };
static const char *const verbosities[] = { "low", "medium", "high", NULL };
static const char *const choices[] = { "none", "auto", "required", NULL };
static const char *const formats[] = {
	"text", "json_object", "json_schema", NULL
};

static enum vn_err
bad_type(struct fault *f, const char *p, const char *want,
    struct json_object *got)
{
	return fault_set(f, VN_EINVAL, p, "invalid_type", "Invalid type for "
	    "'%s': expected %s, but got %s instead.", p, want,
	    jsonx_type_name(got));
}

/*
 * A free-text field (message text, descriptions): a string of any
 * length, NULs included, since it is copied as JSON and never used as a
 * C string.  Absent or null is fine unless required.
 */
static enum vn_err
text_field(struct json_object *o, const char *key, const char *ctx,
    int required, struct fault *f)
{
	struct json_object	*v;
	char			 p[CTX];

	snprintf(p, sizeof(p), "%s%s%s", ctx, *ctx != '\0' ? "." : "", key);
	if (!json_object_object_get_ex(o, key, &v) || v == NULL) {
		if (!required)
			return VN_OK;
		return fault_set(f, VN_EINVAL, p, "missing_required_parameter",
		    "Missing required parameter: '%s'.", p);
	}
	if (!json_object_is_type(v, json_type_string))
		return bad_type(f, p, "a string", v);
	return VN_OK;
}

/* 1 if s is one of the NULL-terminated list. */
static int
one_of(const char *s, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

/*
 * One content part of a message (ctx is its path).  Images and files
 * only in user messages and refusals only in assistant ones, as chat
 * messages allow; text parts of either kind anywhere, since clients
 * replay both.  A tool output (role NULL) takes text parts only: a chat
 * tool message cannot carry an image or a file.
 */
static enum vn_err
check_part(struct json_object *part, const char *ctx, const char *role,
    int tool, struct fault *f)
{
	struct json_object	*v;
	const char		*type = NULL, *s = NULL;
	char			 p[CTX];

	if (!json_object_is_type(part, json_type_object))
		return bad_type(f, ctx, "an object", part);
	if (jsonx_string(part, "type", ctx, 1, 64, &type, f) != VN_OK)
		return VN_EINVAL;
	snprintf(p, sizeof(p), "%s.type", ctx);
	if (strcmp(type, "input_text") == 0 || strcmp(type, "output_text") == 0)
		return text_field(part, "text", ctx, 1, f);
	if (tool)
		return fault_set(f, VN_EINVAL, p, "invalid_value", "Invalid "
		    "value for '%s': a function_call_output can only carry "
		    "'input_text' parts through a chat completions upstream.",
		    p);
	if (strcmp(type, "refusal") == 0) {
		if (strcmp(role, "assistant") != 0)
			return fault_set(f, VN_EINVAL, p, "invalid_value",
			    "Invalid value for '%s': 'refusal' parts are only "
			    "allowed in assistant messages.", p);
		return text_field(part, "refusal", ctx, 1, f);
	}
	if (strcmp(type, "input_image") != 0 && strcmp(type, "input_file") != 0)
		return fault_set(f, VN_EINVAL, p, "invalid_value", "Invalid "
		    "value: '%.64s'. Supported values are: 'input_text', "
		    "'input_image', 'input_file', 'output_text' and "
		    "'refusal'.", type);
	if (strcmp(role, "user") != 0)
		return fault_set(f, VN_EINVAL, p, "invalid_value", "Invalid "
		    "value for '%s': '%s' parts are only allowed in user "
		    "messages.", p, type);
	if (strcmp(type, "input_image") == 0) {
		if (jsonx_string(part, "detail", ctx, 0, 16, &s, f) != VN_OK ||
		    text_field(part, "file_id", ctx, 0, f) != VN_OK ||
		    text_field(part, "image_url", ctx, 0, f) != VN_OK)
			return VN_EINVAL;
		if (json_object_object_get_ex(part, "image_url", &v) &&
		    v != NULL)
			return VN_OK;
		snprintf(p, sizeof(p), "%s.image_url", ctx);
		if (json_object_object_get_ex(part, "file_id", &v) && v != NULL)
			return fault_set(f, VN_EINVAL, p, "invalid_value",
			    "Invalid '%s': images given by 'file_id' cannot be "
			    "sent to a chat completions upstream; give the "
			    "image as an 'image_url' (a URL or a data URL).",
			    p);
		return fault_set(f, VN_EINVAL, p, "missing_required_parameter",
		    "Missing required parameter: '%s'.", p);
	}
	if (text_field(part, "file_id", ctx, 0, f) != VN_OK ||
	    text_field(part, "file_data", ctx, 0, f) != VN_OK ||
	    text_field(part, "filename", ctx, 0, f) != VN_OK)
		return VN_EINVAL;
	if (json_object_object_get_ex(part, "file_url", &v) && v != NULL) {
		snprintf(p, sizeof(p), "%s.file_url", ctx);
		return fault_set(f, VN_EINVAL, p, "invalid_value", "Invalid "
		    "'%s': files given by URL cannot be sent to a chat "
		    "completions upstream; give 'file_id' or 'file_data'.", p);
	}
	if ((json_object_object_get_ex(part, "file_id", &v) && v != NULL) ||
	    (json_object_object_get_ex(part, "file_data", &v) && v != NULL))
		return VN_OK;
	snprintf(p, sizeof(p), "%s.file_id", ctx);
	return fault_set(f, VN_EINVAL, p, "missing_required_parameter",
	    "Missing required parameter: '%s' (or 'file_data').", p);
}

/*
 * A message's or a tool output's content under key: a string or an
 * array of parts (role NULL: a tool output).
 */
static enum vn_err
check_content(struct json_object *o, const char *key, const char *ctx,
    struct fault *f)
{
	struct json_object	*c, *r;
	const char		*role = NULL;
	char			 p[CTX_CONTENT], pp[CTX_PART];
	size_t			 i, n;

	snprintf(p, sizeof(p), "%s.%s", ctx, key);
	if (!json_object_object_get_ex(o, key, &c) || c == NULL)
		return fault_set(f, VN_EINVAL, p, "missing_required_parameter",
		    "Missing required parameter: '%s'.", p);
	if (json_object_is_type(c, json_type_string))
		return VN_OK;
	if (!json_object_is_type(c, json_type_array))
		return bad_type(f, p, "one of a string or array of objects", c);
	if ((n = json_object_array_length(c)) > MAX_PARTS)
		return fault_set(f, VN_EINVAL, p, "array_above_max_length",
		    "Invalid '%s': expected at most %d content parts.", p,
		    MAX_PARTS);
	if (strcmp(key, "content") == 0 &&
	    json_object_object_get_ex(o, "role", &r))
		role = json_object_get_string(r);
	for (i = 0; i < n; i++) {
		snprintf(pp, sizeof(pp), "%s[%zu]", p, i);
		if (check_part(json_object_array_get_idx(c, i), pp,
		    role != NULL ? role : "", role == NULL, f) != VN_OK)
			return VN_EINVAL;
	}
	return VN_OK;
}

/* A message item, easy ({role, content}) or full ({type:"message"...}). */
static enum vn_err
check_message(struct json_object *it, const char *ctx, struct fault *f)
{
	const char	*role = NULL, *s = NULL;
	char		 p[CTX];

	if (jsonx_string(it, "role", ctx, 1, 32, &role, f) != VN_OK ||
	    jsonx_string(it, "id", ctx, 0, ITEM_ID_MAX, &s, f) != VN_OK ||
	    jsonx_string(it, "status", ctx, 0, 32, &s, f) != VN_OK)
		return VN_EINVAL;
	if (!one_of(role, roles)) {
		snprintf(p, sizeof(p), "%s.role", ctx);
		return fault_set(f, VN_EINVAL, p, "invalid_value", "Invalid "
		    "value: '%.32s'. Supported values are: 'user', "
		    "'assistant', 'system', and 'developer'.", role);
	}
	return check_content(it, "content", ctx, f);
}

/* The call_id of a function_call or its output: 1 to 64 bytes. */
static enum vn_err
check_call_id(struct json_object *it, const char *ctx, struct fault *f)
{
	const char	*s = NULL;
	char		 p[CTX];

	if (jsonx_string(it, "call_id", ctx, 1, CALL_ID_MAX, &s, f) != VN_OK)
		return VN_EINVAL;
	if (*s == '\0') {
		snprintf(p, sizeof(p), "%s.call_id", ctx);
		return fault_set(f, VN_EINVAL, p, "empty_string", "Invalid "
		    "'%s': empty string. Expected a string with minimum "
		    "length 1, but got an empty string instead.", p);
	}
	return VN_OK;
}

/* A function_call replayed from an earlier answer. */
static enum vn_err
check_call(struct json_object *it, const char *ctx, struct fault *f)
{
	const char	*s = NULL;

	if (check_call_id(it, ctx, f) != VN_OK)
		return VN_EINVAL;
	if (jsonx_string(it, "name", ctx, 1, FUNC_NAME_MAX, &s, f) != VN_OK ||
	    text_field(it, "arguments", ctx, 1, f) != VN_OK ||
	    jsonx_string(it, "id", ctx, 0, ITEM_ID_MAX, &s, f) != VN_OK ||
	    jsonx_string(it, "status", ctx, 0, 32, &s, f) != VN_OK)
		return VN_EINVAL;
	return VN_OK;
}

/* A function_call_output: what the client's tool answered. */
static enum vn_err
check_call_output(struct json_object *it, const char *ctx, struct fault *f)
{
	const char	*s = NULL;

	if (check_call_id(it, ctx, f) != VN_OK)
		return VN_EINVAL;
	if (jsonx_string(it, "id", ctx, 0, ITEM_ID_MAX, &s, f) != VN_OK ||
	    jsonx_string(it, "status", ctx, 0, 32, &s, f) != VN_OK)
		return VN_EINVAL;
	return check_content(it, "output", ctx, f);
}

/* input[i]: a message, a function call or its output, or a reasoning. */
static enum vn_err
check_item(struct json_object *it, size_t i, struct fault *f)
{
	struct json_object	*v;
	const char		*type = NULL;
	char			 ctx[CTX_ITEM], p[CTX];

	snprintf(ctx, sizeof(ctx), "input[%zu]", i);
	if (!json_object_is_type(it, json_type_object))
		return bad_type(f, ctx, "an object", it);
	if (jsonx_string(it, "type", ctx, 0, 64, &type, f) != VN_OK)
		return VN_EINVAL;
	snprintf(p, sizeof(p), "%s.type", ctx);
	if (type == NULL) {
		if (!json_object_object_get_ex(it, "role", &v))
			return fault_set(f, VN_EINVAL, p,
			    "missing_required_parameter", "Missing required "
			    "parameter: '%s'.", p);
		return check_message(it, ctx, f);
	}
	if (strcmp(type, "message") == 0)
		return check_message(it, ctx, f);
	if (strcmp(type, "function_call") == 0)
		return check_call(it, ctx, f);
	if (strcmp(type, "function_call_output") == 0)
		return check_call_output(it, ctx, f);
	if (strcmp(type, "reasoning") == 0)
		/* Accepted so replays work; a chat upstream never sees it. */
		return jsonx_string(it, "id", ctx, 0, ITEM_ID_MAX, &type, f);
	if (strcmp(type, "item_reference") == 0)
		return fault_set(f, VN_EINVAL, ctx, "invalid_value", "Invalid "
		    "'%s': item references are not supported by this "
		    "gateway. Send the item itself, or chain responses with "
		    "'previous_response_id'.", ctx);
	return fault_set(f, VN_EINVAL, p, "invalid_value", "Invalid value for "
	    "'%s': input items of type '%.64s' are not supported by this "
	    "gateway. Supported types are 'message', 'function_call', "
	    "'function_call_output' and 'reasoning'.", p, type);
}

static enum vn_err
check_input(struct json_object *req, struct fault *f)
{
	struct json_object	*in;
	size_t			 i, n;

	if (!json_object_object_get_ex(req, "input", &in) || in == NULL)
		return fault_set(f, VN_EINVAL, "input",
		    "missing_required_parameter",
		    "Missing required parameter: 'input'.");
	if (json_object_is_type(in, json_type_string))
		return VN_OK;
	if (!json_object_is_type(in, json_type_array))
		return bad_type(f, "input", "one of a string or array of input "
		    "items", in);
	if ((n = json_object_array_length(in)) > MAX_INPUT_ITEMS)
		return fault_set(f, VN_EINVAL, "input",
		    "array_above_max_length", "Invalid 'input': expected at "
		    "most %d items.", MAX_INPUT_ITEMS);
	for (i = 0; i < n; i++)
		if (check_item(json_object_array_get_idx(in, i), i, f) != VN_OK)
			return VN_EINVAL;
	return VN_OK;
}

/* tools: flat function tools only; a chat upstream runs nothing else. */
static enum vn_err
check_tools(struct json_object *req, struct fault *f)
{
	struct json_object	*tools, *t, *v;
	const char		*s = NULL;
	char			 ctx[CTX_ITEM], p[CTX];
	size_t			 i, n;
	int			 b;

	if (!json_object_object_get_ex(req, "tools", &tools) || tools == NULL)
		return VN_OK;
	if (!json_object_is_type(tools, json_type_array))
		return bad_type(f, "tools", "an array", tools);
	if ((n = json_object_array_length(tools)) > MAX_TOOLS)
		return fault_set(f, VN_EINVAL, "tools",
		    "array_above_max_length", "Invalid 'tools': expected an "
		    "array with maximum length %d, but got an array with "
		    "length %zu instead.", MAX_TOOLS, n);
	for (i = 0; i < n; i++) {
		t = json_object_array_get_idx(tools, i);
		snprintf(ctx, sizeof(ctx), "tools[%zu]", i);
		if (!json_object_is_type(t, json_type_object))
			return bad_type(f, ctx, "an object", t);
		if (jsonx_string(t, "type", ctx, 1, 64, &s, f) != VN_OK)
			return VN_EINVAL;
		if (strcmp(s, "function") != 0) {
			snprintf(p, sizeof(p), "%s.type", ctx);
			return fault_set(f, VN_EINVAL, p, "invalid_value",
			    "Invalid value for '%s': tools of type '%.64s' are "
			    "not supported by this gateway; only 'function' "
			    "tools can be translated to a chat completions "
			    "upstream.", p, s);
		}
		if (jsonx_string(t, "name", ctx, 1, 64, &s, f) != VN_OK ||
		    text_field(t, "description", ctx, 0, f) != VN_OK ||
		    jsonx_bool(t, "strict", ctx, &b, NULL, f) != VN_OK)
			return VN_EINVAL;
		snprintf(p, sizeof(p), "%s.name", ctx);
		if (*s == '\0')
			return fault_set(f, VN_EINVAL, p, "empty_string",
			    "Invalid '%s': empty string.", p);
		snprintf(p, sizeof(p), "%s.parameters", ctx);
		if (json_object_object_get_ex(t, "parameters", &v) &&
		    v != NULL && !json_object_is_type(v, json_type_object))
			return bad_type(f, p, "an object", v);
	}
	return VN_OK;
}

/* tool_choice: a mode, or {type:"function", name}. */
static enum vn_err
check_tool_choice(struct json_object *req, struct fault *f)
{
	struct json_object	*tc;
	const char		*s = NULL;

	if (!json_object_object_get_ex(req, "tool_choice", &tc) || tc == NULL)
		return VN_OK;
	if (json_object_is_type(tc, json_type_string))
		return check_enum(req, "tool_choice", NULL, choices, f);
	if (!json_object_is_type(tc, json_type_object))
		return bad_type(f, "tool_choice", "one of a string or object",
		    tc);
	if (jsonx_string(tc, "type", "tool_choice", 1, 64, &s, f) != VN_OK)
		return VN_EINVAL;
	if (strcmp(s, "function") != 0)
		return fault_set(f, VN_EINVAL, "tool_choice.type",
		    "invalid_value", "Invalid value for 'tool_choice.type': "
		    "'%.64s' is not supported by this gateway; use 'none', "
		    "'auto', 'required' or {\"type\": \"function\", "
		    "\"name\": ...}.", s);
	return jsonx_string(tc, "name", "tool_choice", 1, 64, &s, f);
}

/* text: {format: {type, ...flat json_schema}, verbosity}. */
static enum vn_err
check_text(struct json_object *req, struct fault *f)
{
	struct json_object	*text, *fmt, *v;
	const char		*s = NULL;
	int			 b;

	if (!json_object_object_get_ex(req, "text", &text) || text == NULL)
		return VN_OK;
	if (!json_object_is_type(text, json_type_object))
		return bad_type(f, "text", "an object", text);
	if (check_enum(text, "verbosity", "text", verbosities, f) != VN_OK)
		return VN_EINVAL;
	if (!json_object_object_get_ex(text, "format", &fmt) || fmt == NULL)
		return VN_OK;
	if (!json_object_is_type(fmt, json_type_object))
		return bad_type(f, "text.format", "an object", fmt);
	if (jsonx_string(fmt, "type", "text.format", 1, 32, &s, f) != VN_OK ||
	    check_enum(fmt, "type", "text.format", formats, f) != VN_OK)
		return VN_EINVAL;
	if (strcmp(s, "json_schema") != 0)
		return VN_OK;
	if (jsonx_string(fmt, "name", "text.format", 1, 64, &s, f) != VN_OK ||
	    text_field(fmt, "description", "text.format", 0, f) != VN_OK ||
	    jsonx_bool(fmt, "strict", "text.format", &b, NULL, f) != VN_OK)
		return VN_EINVAL;
	if (!json_object_object_get_ex(fmt, "schema", &v) || v == NULL)
		return fault_set(f, VN_EINVAL, "text.format.schema",
		    "missing_required_parameter",
		    "Missing required parameter: 'text.format.schema'.");
	if (!json_object_is_type(v, json_type_object))
		return bad_type(f, "text.format.schema", "an object", v);
	return VN_OK;
}

/* o.key: absent, null, or one of list. */
static enum vn_err
check_enum(struct json_object *o, const char *key, const char *ctx,
    const char *const *list, struct fault *f)
{
	const char	*s = NULL;
	char		 p[CTX], want[160];
	size_t		 k;

	if (jsonx_string(o, key, ctx, 0, 64, &s, f) != VN_OK)
		return VN_EINVAL;
	if (s == NULL || one_of(s, list))
		return VN_OK;
	snprintf(p, sizeof(p), "%s%s%s", ctx != NULL ? ctx : "",
	    ctx != NULL ? "." : "", key);
	want[0] = '\0';
	for (k = 0; list[k] != NULL; k++)
		snprintf(want + strlen(want), sizeof(want) - strlen(want),
		    "%s'%s'", k == 0 ? "" : list[k + 1] == NULL ? " and " :
		    ", ", list[k]);
	return fault_set(f, VN_EINVAL, p, "invalid_value", "Invalid value: "
	    "'%.64s'. Supported values are: %s.", s, want);
}

/* The fields only echoed or passed on: their types and ranges. */
static enum vn_err
check_misc(struct json_object *req, struct fault *f)
{
	struct json_object	*v;
	const char		*s = NULL;
	double			 d;
	int64_t			 n;
	size_t			 i;

	if (jsonx_int(req, "max_output_tokens", NULL, 0, 16, INT32_MAX, &n,
	    NULL, f) != VN_OK ||
	    jsonx_int(req, "max_tool_calls", NULL, 0, 0, INT32_MAX, &n, NULL,
	    f) != VN_OK ||
	    jsonx_int(req, "top_logprobs", NULL, 0, 0, 20, &n, NULL, f) !=
	    VN_OK ||
	    jsonx_number(req, "temperature", NULL, 0, 2, &d, NULL, f) !=
	    VN_OK ||
	    jsonx_number(req, "top_p", NULL, 0, 1, &d, NULL, f) != VN_OK ||
	    check_enum(req, "truncation", NULL, truncations, f) != VN_OK ||
	    jsonx_metadata(req, "metadata", f) != VN_OK ||
	    jsonx_string(req, "user", NULL, 0, 256, &s, f) != VN_OK ||
	    jsonx_string(req, "safety_identifier", NULL, 0, 64, &s, f) !=
	    VN_OK ||
	    jsonx_string(req, "prompt_cache_key", NULL, 0, 1024, &s, f) !=
	    VN_OK ||
	    jsonx_string(req, "service_tier", NULL, 0, 32, &s, f) != VN_OK)
		return VN_EINVAL;
	if (json_object_object_get_ex(req, "reasoning", &v) && v != NULL) {
		if (!json_object_is_type(v, json_type_object))
			return bad_type(f, "reasoning", "an object", v);
		if (jsonx_string(v, "effort", "reasoning", 0, 32, &s, f) !=
		    VN_OK ||
		    jsonx_string(v, "summary", "reasoning", 0, 32, &s, f) !=
		    VN_OK)
			return VN_EINVAL;
	}
	if (json_object_object_get_ex(req, "stream_options", &v) && v != NULL &&
	    !json_object_is_type(v, json_type_object))
		return bad_type(f, "stream_options", "an object", v);
	if (!json_object_object_get_ex(req, "include", &v) || v == NULL)
		return VN_OK;
	if (!json_object_is_type(v, json_type_array))
		return bad_type(f, "include", "an array", v);
	if (json_object_array_length(v) > MAX_INCLUDE)
		return fault_set(f, VN_EINVAL, "include",
		    "array_above_max_length", "Invalid 'include': expected at "
		    "most %d values.", MAX_INCLUDE);
	for (i = 0; i < json_object_array_length(v); i++)
		if (!json_object_is_type(json_object_array_get_idx(v, i),
		    json_type_string))
			return bad_type(f, "include", "an array of strings",
			    json_object_array_get_idx(v, i));
	return VN_OK;
}

/*
 * Check a Responses create request (a parsed JSON body) for everything
 * the translation relies on.  On success opts (if not NULL) holds what
 * the caller routes on, pointing into req.  On failure f says which
 * parameter and why (VN_EINVAL, a 400).
 */
enum vn_err
respconv_check(struct json_object *req, struct respconv_opts *opts,
    struct fault *f)
{
	struct respconv_opts	 o;
	struct json_object	*v;
	const char		*s = NULL;
	int			 b;

	memset(&o, 0, sizeof(o));
	o.store = 1;
	if (!json_object_is_type(req, json_type_object))
		return fault_set(f, VN_EINVAL, NULL, "invalid_type", "The "
		    "request body must be a JSON object, but got %s.",
		    jsonx_type_name(req));
	if (jsonx_string(req, "model", NULL, 1, MODEL_MAX, &o.model, f) !=
	    VN_OK || check_input(req, f) != VN_OK ||
	    jsonx_string(req, "instructions", NULL, 0, INT32_MAX, &s, f) !=
	    VN_OK ||
	    jsonx_string(req, "previous_response_id", NULL, 0, VN_MAX_ID,
	    &o.previous_response_id, f) != VN_OK ||
	    jsonx_bool(req, "store", NULL, &o.store, NULL, f) != VN_OK ||
	    jsonx_bool(req, "background", NULL, &o.background, NULL, f) !=
	    VN_OK ||
	    jsonx_bool(req, "stream", NULL, &o.stream, NULL, f) != VN_OK ||
	    jsonx_bool(req, "parallel_tool_calls", NULL, &b, NULL, f) !=
	    VN_OK ||
	    check_tools(req, f) != VN_OK ||
	    check_tool_choice(req, f) != VN_OK ||
	    check_text(req, f) != VN_OK || check_misc(req, f) != VN_OK)
		return VN_EINVAL;
	if (json_object_object_get_ex(req, "conversation", &v) && v != NULL) {
		if (o.previous_response_id != NULL)
			return fault_set(f, VN_EINVAL, "conversation",
			    "invalid_value", "Mutually exclusive parameters: "
			    "Ensure you are only providing one of: "
			    "'previous_response_id' or 'conversation'.");
		return fault_set(f, VN_EINVAL, "conversation", "invalid_value",
		    "Invalid 'conversation': conversations are not supported "
		    "by this gateway; chain responses with "
		    "'previous_response_id'.");
	}
	if (json_object_object_get_ex(req, "prompt", &v) && v != NULL)
		return fault_set(f, VN_EINVAL, "prompt", "invalid_value",
		    "Invalid 'prompt': prompt templates are not supported by "
		    "this gateway.");
	if (o.background && !o.store)
		return fault_set(f, VN_EINVAL, "background", "invalid_value",
		    "Invalid value for 'background': background responses "
		    "must be stored; do not set 'store' to false.");
	if (opts != NULL)
		*opts = o;
	return VN_OK;
}

/* The item's own "id" if it has a usable one, else a new prefix... id. */
static int
put_id(struct json_object *dst, struct json_object *src, const char *prefix)
{
	struct json_object	*v;
	char			 id[VN_MAX_ID + 1];

	if (json_object_object_get_ex(src, "id", &v) &&
	    json_object_is_type(v, json_type_string) &&
	    json_object_get_string_len(v) > 0 &&
	    json_object_get_string_len(v) <= VN_MAX_ID)
		return jsonx_put(dst, "id", json_object_get(v));
	ids_new(id, sizeof(id), prefix, 32);
	return jsonx_put(dst, "id", json_object_new_string(id));
}

/* A deep copy of o (NULL stays NULL), or NULL when memory runs out. */
static struct json_object *
copy(struct json_object *o)
{
	struct json_object	*c = NULL;

	if (o == NULL)
		return NULL;
	if (json_object_deep_copy(o, &c, NULL) != 0)
		return NULL;
	return c;
}

/*
 * One input item in its stored form, or NULL (out of memory, or a type
 * that is never stored).  Text given as a string becomes one part.
 */
static struct json_object *
norm_item(struct json_object *it, const char *type)
{
	struct json_object	*n = NULL, *v = NULL, *c, *parts = NULL, *p;
	const char		*role;
	int			 ok, asst;

	if ((n = json_object_new_object()) == NULL)
		return NULL;
	if (strcmp(type, "message") == 0) {
		json_object_object_get_ex(it, "role", &v);
		role = json_object_get_string(v);
		asst = role != NULL && strcmp(role, "assistant") == 0;
		json_object_object_get_ex(it, "content", &c);
		if (json_object_is_type(c, json_type_string)) {
			ok = (parts = json_object_new_array()) != NULL &&
			    (p = json_object_new_object()) != NULL &&
			    json_object_array_add(parts, p) == 0 &&
			    jsonx_put(p, "type", json_object_new_string(asst ?
			    "output_text" : "input_text")) &&
			    jsonx_put(p, "text", json_object_get(c)) &&
			    (!asst || (jsonx_put(p, "annotations",
			    json_object_new_array()) && jsonx_put(p, "logprobs",
			    json_object_new_array())));
			if (!ok) {
				json_object_put(parts);
				parts = NULL;
			}
		} else
			parts = copy(c);
		ok = put_id(n, it, "msg_") &&
		    jsonx_put(n, "type", json_object_new_string("message")) &&
		    jsonx_put(n, "status",
		    json_object_new_string("completed")) &&
		    jsonx_put(n, "role", json_object_get(v)) &&
		    jsonx_put(n, "content", parts);
	} else if (strcmp(type, "function_call") == 0) {
		ok = put_id(n, it, "fc_") &&
		    jsonx_put(n, "type", json_object_new_string(type)) &&
		    jsonx_put(n, "status", json_object_new_string("completed"));
		if (ok && json_object_object_get_ex(it, "call_id", &v))
			ok = jsonx_put(n, "call_id", json_object_get(v));
		if (ok && json_object_object_get_ex(it, "name", &v))
			ok = jsonx_put(n, "name", json_object_get(v));
		if (ok && json_object_object_get_ex(it, "arguments", &v))
			ok = jsonx_put(n, "arguments", json_object_get(v));
	} else if (strcmp(type, "function_call_output") == 0) {
		ok = put_id(n, it, "fc_") &&
		    jsonx_put(n, "type", json_object_new_string(type)) &&
		    jsonx_put(n, "status", json_object_new_string("completed"));
		if (ok && json_object_object_get_ex(it, "call_id", &v))
			ok = jsonx_put(n, "call_id", json_object_get(v));
		if (ok && json_object_object_get_ex(it, "output", &v))
			ok = jsonx_put(n, "output", copy(v));
	} else if (strcmp(type, "reasoning") == 0) {
		ok = put_id(n, it, "rs_");
		json_object_object_foreach(it, k, kv) {
			if (!ok)
				break;
			if (strcmp(k, "id") != 0)
				ok = kv == NULL ? json_object_object_add(n, k,
				    NULL) == 0 : jsonx_put(n, k, copy(kv));
		}
	} else
		ok = 0;
	if (!ok) {
		json_object_put(n);
		return NULL;
	}
	return n;
}

/*
 * The request's input as stored input items, in order: each with an id
 * (the client's, or a new msg_/fc_/rs_ one) and a type; an input string
 * is one user message with one input_text part.  Expects a request that
 * passed respconv_check().  On success *items is the caller's.
 */
enum vn_err
respconv_input_items(struct json_object *req, struct json_object **items,
    struct fault *f)
{
	struct json_object	*in = NULL, *arr = NULL, *it, *v, *n = NULL,
				*tmp = NULL;
	const char		*type;
	size_t			 i, len;
	enum vn_err		 rc = VN_ENOMEM;

	*items = NULL;
	if ((arr = json_object_new_array()) == NULL)
		goto out;
	json_object_object_get_ex(req, "input", &in);
	if (json_object_is_type(in, json_type_string)) {
		if ((tmp = json_object_new_object()) == NULL ||
		    !jsonx_put(tmp, "role", json_object_new_string("user")) ||
		    !jsonx_put(tmp, "content", json_object_get(in)) ||
		    (n = norm_item(tmp, "message")) == NULL ||
		    json_object_array_add(arr, n) != 0)
			goto out;
		n = NULL;
	} else if (json_object_is_type(in, json_type_array)) {
		len = json_object_array_length(in);
		for (i = 0; i < len; i++) {
			it = json_object_array_get_idx(in, i);
			if (!json_object_is_type(it, json_type_object))
				continue;
			type = "message";
			if (json_object_object_get_ex(it, "type", &v) &&
			    json_object_is_type(v, json_type_string))
				type = json_object_get_string(v);
			if (strcmp(type, "message") != 0 &&
			    strcmp(type, "function_call") != 0 &&
			    strcmp(type, "function_call_output") != 0 &&
			    strcmp(type, "reasoning") != 0)
				continue;
			if ((n = norm_item(it, type)) == NULL ||
			    json_object_array_add(arr, n) != 0)
				goto out;
			n = NULL;
		}
	}
	*items = arr;
	arr = NULL;
	rc = VN_OK;
out:
	if (rc != VN_OK)
		fault_set(f, rc, NULL, NULL, "Out of memory.");
	json_object_put(n);
	json_object_put(tmp);
	json_object_put(arr);
	return rc;
}
