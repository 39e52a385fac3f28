/*
 * respconv_test.c: src/respconv*.c, table by table.  Requests that must
 * pass or fail the check (with the parameter and code the API would
 * name); requests as stored input items and as chat requests;
 * chat.completions as output items, status and usage; the Response
 * object's required fields; and chunk streams as event sequences,
 * each event checked for its payload keys, its sequence_number and its
 * item_id before it is rendered as one line of the expected text.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

#include "buf.h"
#include "ids.h"
#include "jsonx.h"
#include "respconv.h"
#include "fault.h"
#include "../tap.h"

#define J(...)		#__VA_ARGS__
/* tap.h's ok() evaluates its condition more than once. */
#define OK(c, ...)	do {						\
	int ok_once_ = (c);						\
	ok(ok_once_, __VA_ARGS__);					\
} while (0)
#define LOG_MAX		(1024 * 1024)
#define MAX_CHUNKS	16

static struct json_object *parse(const char *);
static void	 norm_ids(struct json_object *);
static int	 same_json(struct json_object *, const char *, const char *);
static void	 test_check(void);
static void	 test_input_items(void);
static void	 test_chat(void);
static void	 test_output(void);
static void	 test_response(void);
static void	 test_stream(void);
static void	 test_stream_sticky(void);

static struct json_object *
parse(const char *s)
{
	struct json_object	*o = NULL;
	struct fault		 f;

	memset(&f, 0, sizeof(f));
	if (jsonx_parse(s, strlen(s), 64, &o, &f) != VN_OK) {
		printf("# test JSON does not parse: %s\n# %s\n", f.msg, s);
		return NULL;
	}
	return o;
}

/*
 * Replace minted ids ("msg_" + 32 characters and the like) by their
 * prefix and "*", so answers compare; short ids (the client's) stay.
 */
static void
norm_ids(struct json_object *o)
{
	static const char *const prefixes[] = { "msg_", "fc_", "rs_", "call_" };
	const char	*s;
	char		 tmp[16];
	size_t		 i, k;

	if (json_object_is_type(o, json_type_array)) {
		for (i = 0; i < json_object_array_length(o); i++)
			norm_ids(json_object_array_get_idx(o, i));
		return;
	}
	if (!json_object_is_type(o, json_type_object))
		return;
	json_object_object_foreach(o, key, v) {
		if ((strcmp(key, "id") == 0 || strcmp(key, "call_id") == 0) &&
		    json_object_is_type(v, json_type_string) &&
		    json_object_get_string_len(v) > 20) {
			s = json_object_get_string(v);
			for (k = 0; k < VN_NELEM(prefixes); k++)
				if (strncmp(s, prefixes[k],
				    strlen(prefixes[k])) == 0) {
					snprintf(tmp, sizeof(tmp), "%s*",
					    prefixes[k]);
					json_object_set_string(v, tmp);
					break;
				}
		} else
			norm_ids(v);
	}
}

/* got (ids normalised) equals the JSON text want, key order aside. */
static int
same_json(struct json_object *got, const char *want, const char *name)
{
	struct json_object	*w;
	int			 eq;

	if ((w = parse(want)) == NULL)
		return 0;
	norm_ids(got);
	eq = json_object_equal(got, w);
	if (!eq)
		printf("# %s\n#   got  %s\n#   want %s\n", name,
		    jsonx_to_string(got, NULL), jsonx_to_string(w, NULL));
	json_object_put(w);
	return eq;
}

static const struct check_case {
	const char	*name;
	const char	*req;
	enum vn_err	 rc;
	const char	*param;
	const char	*code;
} check_cases[] = {
	{ "string input", J({"model":"m","input":"hi"}), VN_OK, NULL, NULL },
	{ "easy messages", J({"model":"m","input":[{"role":"developer",
	    "content":"be brief"},{"role":"user","content":"hi"}]}),
	    VN_OK, NULL, NULL },
	{ "full message with parts", J({"model":"m","input":[{"type":
	    "message","role":"user","content":[{"type":"input_text","text":
	    "what is this?"},{"type":"input_image","image_url":
	    "https://x/y.png","detail":"low"},{"type":"input_file",
	    "file_id":"file-1"}]}]}), VN_OK, NULL, NULL },
	{ "replayed output and a tool result", J({"model":"m","input":[
	    {"role":"user","content":"weather?"},{"id":"msg_1","type":
	    "message","role":"assistant","status":"completed","content":[{
	    "type":"output_text","text":"checking","annotations":[]}]},
	    {"type":"function_call","id":"fc_1","call_id":"call_1","name":
	    "get_weather","arguments":"{}"},{"type":"reasoning","id":"rs_1",
	    "summary":[]},{"type":"function_call_output","call_id":"call_1",
	    "output":"sunny"}]}), VN_OK, NULL, NULL },
	{ "every optional field", J({"model":"m","input":"x","instructions":
	    null,"previous_response_id":"resp_1","store":true,"background":
	    true,"stream":false,"metadata":{"a":"b"},"tools":[{"type":
	    "function","name":"f","description":"d","parameters":{},"strict":
	    true}],"tool_choice":{"type":"function","name":"f"},"text":{
	    "format":{"type":"json_schema","name":"s","schema":{},"strict":
	    true},"verbosity":"low"},"max_output_tokens":16,"temperature":0,
	    "top_p":1,"parallel_tool_calls":false,"truncation":"auto",
	    "reasoning":{"effort":"low"},"include":["x"],"user":"u",
	    "safety_identifier":"s","prompt_cache_key":"k","service_tier":
	    "auto","unknown_new_field":1}), VN_OK, NULL, NULL },
	{ "not an object", J([1]), VN_EINVAL, "", "invalid_type" },
	{ "no model", J({"input":"hi"}), VN_EINVAL, "model",
	    "missing_required_parameter" },
	{ "model not a string", J({"model":1,"input":"hi"}), VN_EINVAL,
	    "model", "invalid_type" },
	{ "no input", J({"model":"m"}), VN_EINVAL, "input",
	    "missing_required_parameter" },
	{ "input a number", J({"model":"m","input":3}), VN_EINVAL, "input",
	    "invalid_type" },
	{ "item not an object", J({"model":"m","input":[{"role":"user",
	    "content":"a"},"b"]}), VN_EINVAL, "input[1]", "invalid_type" },
	{ "item without type or role", J({"model":"m","input":[{"content":
	    "a"}]}), VN_EINVAL, "input[0].type", "missing_required_parameter" },
	{ "bad role", J({"model":"m","input":[{"role":"robot","content":
	    "a"}]}), VN_EINVAL, "input[0].role", "invalid_value" },
	{ "no content", J({"model":"m","input":[{"type":"message","role":
	    "user"}]}), VN_EINVAL, "input[0].content",
	    "missing_required_parameter" },
	{ "content a number", J({"model":"m","input":[{"role":"user",
	    "content":1}]}), VN_EINVAL, "input[0].content", "invalid_type" },
	{ "unknown part", J({"model":"m","input":[{"role":"user","content":
	    [{"type":"input_audio"}]}]}), VN_EINVAL, "input[0].content[0].type",
	    "invalid_value" },
	{ "text part without text", J({"model":"m","input":[{"role":"user",
	    "content":[{"type":"input_text"}]}]}), VN_EINVAL,
	    "input[0].content[0].text", "missing_required_parameter" },
	{ "image in a system message", J({"model":"m","input":[{"role":
	    "system","content":[{"type":"input_text","text":"a"},{"type":
	    "input_image","image_url":"u"}]}]}), VN_EINVAL,
	    "input[0].content[1].type", "invalid_value" },
	{ "refusal in a user message", J({"model":"m","input":[{"role":
	    "user","content":[{"type":"refusal","refusal":"no"}]}]}),
	    VN_EINVAL, "input[0].content[0].type", "invalid_value" },
	{ "image by file id", J({"model":"m","input":[{"role":"user",
	    "content":[{"type":"input_image","file_id":"file-1"}]}]}),
	    VN_EINVAL, "input[0].content[0].image_url", "invalid_value" },
	{ "file by url", J({"model":"m","input":[{"role":"user","content":[
	    {"type":"input_file","file_url":"https://x"}]}]}), VN_EINVAL,
	    "input[0].content[0].file_url", "invalid_value" },
	{ "call output without call_id", J({"model":"m","input":[{"role":
	    "user","content":"a"},{"role":"user","content":"b"},{"type":
	    "function_call_output","output":"x"}]}), VN_EINVAL,
	    "input[2].call_id", "missing_required_parameter" },
	{ "call_id of 65 characters", J({"model":"m","input":[{"type":
	    "function_call_output","output":"x","call_id":
	    "12345678901234567890123456789012345678901234567890123456789012345"
	    }]}), VN_EINVAL, "input[0].call_id", "string_above_max_length" },
	{ "empty call_id", J({"model":"m","input":[{"type":
	    "function_call_output","output":"x","call_id":""}]}), VN_EINVAL,
	    "input[0].call_id", "empty_string" },
	{ "call output a number", J({"model":"m","input":[{"type":
	    "function_call_output","call_id":"c","output":5}]}), VN_EINVAL,
	    "input[0].output", "invalid_type" },
	{ "call output with an image", J({"model":"m","input":[{"type":
	    "function_call_output","call_id":"c","output":[{"type":
	    "input_image","image_url":"u"}]}]}), VN_EINVAL,
	    "input[0].output[0].type", "invalid_value" },
	{ "function call without arguments", J({"model":"m","input":[{
	    "type":"function_call","call_id":"c","name":"f"}]}), VN_EINVAL,
	    "input[0].arguments", "missing_required_parameter" },
	{ "item_reference", J({"model":"m","input":[{"role":"user","content":
	    "a"},{"type":"item_reference","id":"msg_1"}]}), VN_EINVAL,
	    "input[1]", "invalid_value" },
	{ "built-in tool call item", J({"model":"m","input":[{"type":
	    "web_search_call","id":"ws_1"}]}), VN_EINVAL, "input[0].type",
	    "invalid_value" },
	{ "instructions a number", J({"model":"m","input":"a",
	    "instructions":1}), VN_EINVAL, "instructions", "invalid_type" },
	{ "previous_response_id and conversation", J({"model":"m","input":
	    "a","previous_response_id":"resp_1","conversation":"conv_1"}),
	    VN_EINVAL, "conversation", "invalid_value" },
	{ "conversation", J({"model":"m","input":"a","conversation":
	    "conv_1"}), VN_EINVAL, "conversation", "invalid_value" },
	{ "prompt template", J({"model":"m","input":"a","prompt":{"id":
	    "p"}}), VN_EINVAL, "prompt", "invalid_value" },
	{ "background without store", J({"model":"m","input":"a",
	    "background":true,"store":false}), VN_EINVAL, "background",
	    "invalid_value" },
	{ "stream a string", J({"model":"m","input":"a","stream":"yes"}),
	    VN_EINVAL, "stream", "invalid_type" },
	{ "store a number", J({"model":"m","input":"a","store":1}),
	    VN_EINVAL, "store", "invalid_type" },
	{ "built-in tool", J({"model":"m","input":"a","tools":[{"type":
	    "web_search"}]}), VN_EINVAL, "tools[0].type", "invalid_value" },
	{ "chat-style nested tool", J({"model":"m","input":"a","tools":[{
	    "type":"function","function":{"name":"f"}}]}), VN_EINVAL,
	    "tools[0].name", "missing_required_parameter" },
	{ "tool parameters a string", J({"model":"m","input":"a","tools":[{
	    "type":"function","name":"f","parameters":"x"}]}), VN_EINVAL,
	    "tools[0].parameters", "invalid_type" },
	{ "tools an object", J({"model":"m","input":"a","tools":{}}),
	    VN_EINVAL, "tools", "invalid_type" },
	{ "tool_choice unknown mode", J({"model":"m","input":"a",
	    "tool_choice":"sometimes"}), VN_EINVAL, "tool_choice",
	    "invalid_value" },
	{ "tool_choice function without name", J({"model":"m","input":"a",
	    "tool_choice":{"type":"function"}}), VN_EINVAL, "tool_choice.name",
	    "missing_required_parameter" },
	{ "tool_choice built-in", J({"model":"m","input":"a","tool_choice":{
	    "type":"file_search"}}), VN_EINVAL, "tool_choice.type",
	    "invalid_value" },
	{ "format type unknown", J({"model":"m","input":"a","text":{"format":
	    {"type":"xml"}}}), VN_EINVAL, "text.format.type", "invalid_value" },
	{ "json_schema without schema", J({"model":"m","input":"a","text":{
	    "format":{"type":"json_schema","name":"s"}}}), VN_EINVAL,
	    "text.format.schema", "missing_required_parameter" },
	{ "json_schema without name", J({"model":"m","input":"a","text":{
	    "format":{"type":"json_schema","schema":{}}}}), VN_EINVAL,
	    "text.format.name", "missing_required_parameter" },
	{ "verbosity unknown", J({"model":"m","input":"a","text":{
	    "verbosity":"loud"}}), VN_EINVAL, "text.verbosity",
	    "invalid_value" },
	{ "max_output_tokens 15", J({"model":"m","input":"a",
	    "max_output_tokens":15}), VN_EINVAL, "max_output_tokens",
	    "invalid_value" },
	{ "max_output_tokens null", J({"model":"m","input":"a",
	    "max_output_tokens":null}), VN_OK, NULL, NULL },
	{ "temperature 2.5", J({"model":"m","input":"a","temperature":2.5}),
	    VN_EINVAL, "temperature", "invalid_value" },
	{ "top_p below 0", J({"model":"m","input":"a","top_p":-0.1}),
	    VN_EINVAL, "top_p", "invalid_value" },
	{ "truncation unknown", J({"model":"m","input":"a","truncation":
	    "middle"}), VN_EINVAL, "truncation", "invalid_value" },
	{ "metadata value a number", J({"model":"m","input":"a","metadata":{
	    "a":1}}), VN_EINVAL, "metadata", "invalid_type" },
	{ "include not an array", J({"model":"m","input":"a","include":
	    "x"}), VN_EINVAL, "include", "invalid_type" },
	{ "reasoning a string", J({"model":"m","input":"a","reasoning":
	    "high"}), VN_EINVAL, "reasoning", "invalid_type" },
	{ "parallel_tool_calls a string", J({"model":"m","input":"a",
	    "parallel_tool_calls":"no"}), VN_EINVAL, "parallel_tool_calls",
	    "invalid_type" },
};

static void
test_check(void)
{
	const struct check_case	*c;
	struct respconv_opts	 o;
	struct json_object	*req;
	struct fault		 f;
	enum vn_err		 rc;
	size_t			 i;

	for (i = 0; i < VN_NELEM(check_cases); i++) {
		c = &check_cases[i];
		memset(&f, 0, sizeof(f));
		if ((req = parse(c->req)) == NULL) {
			OK(0, "check: %s: parses", c->name);
			continue;
		}
		rc = respconv_check(req, &o, &f);
		if (c->rc == VN_OK) {
			is_int(rc, VN_OK, "check: %s passes", c->name);
			if (rc != VN_OK)
				printf("#   %s (%s)\n", f.msg, f.param);
		} else {
			OK(rc == c->rc && strcmp(f.param, c->param) == 0 &&
			    f.code != NULL && strcmp(f.code, c->code) == 0,
			    "check: %s fails on '%s' (%s)", c->name, c->param,
			    c->code);
			if (rc == VN_OK || strcmp(f.param, c->param) != 0 ||
			    f.code == NULL || strcmp(f.code, c->code) != 0)
				printf("#   rc %d param '%s' code %s: %s\n", rc,
				    f.param, f.code ? f.code : "null", f.msg);
		}
		json_object_put(req);
	}
	req = parse(J({"model":"m","input":"a","stream":true,"background":
	    true,"previous_response_id":"resp_9"}));
	rc = respconv_check(req, &o, &f);
	OK(rc == VN_OK && o.stream && o.background && o.store &&
	    strcmp(o.model, "m") == 0 && o.previous_response_id != NULL &&
	    strcmp(o.previous_response_id, "resp_9") == 0,
	    "check: opts report model, stream, store, background and chain");
	json_object_put(req);
	req = parse(J({"model":"m","input":"a","store":false}));
	rc = respconv_check(req, &o, &f);
	OK(rc == VN_OK && !o.store && !o.stream && !o.background &&
	    o.previous_response_id == NULL, "check: store false is reported");
	json_object_put(req);
}

static const struct items_case {
	const char	*name;
	const char	*req;
	const char	*want;
} items_cases[] = {
	{ "a string is one user message", J({"model":"m","input":"hi"}),
	    J([{"id":"msg_*","type":"message","status":"completed","role":
	    "user","content":[{"type":"input_text","text":"hi"}]}]) },
	{ "every kind of item", J({"model":"m","input":[
	    {"role":"system","content":"be brief"},
	    {"role":"assistant","content":"earlier"},
	    {"type":"message","id":"m1","role":"user","content":[{"type":
	    "input_text","text":"q"}]},
	    {"type":"function_call","call_id":"call_1","name":"f",
	    "arguments":"{}"},
	    {"type":"function_call","id":"fc_kept","call_id":"call_2","name":
	    "g","arguments":"{\"a\":1}","status":"completed"},
	    {"type":"function_call_output","call_id":"call_1","output":"42"},
	    {"type":"reasoning","summary":[]}]}),
	    J([{"id":"msg_*","type":"message","status":"completed","role":
	    "system","content":[{"type":"input_text","text":"be brief"}]},
	    {"id":"msg_*","type":"message","status":"completed","role":
	    "assistant","content":[{"type":"output_text","text":"earlier",
	    "annotations":[],"logprobs":[]}]},
	    {"id":"m1","type":"message","status":"completed","role":"user",
	    "content":[{"type":"input_text","text":"q"}]},
	    {"id":"fc_*","type":"function_call","status":"completed",
	    "call_id":"call_1","name":"f","arguments":"{}"},
	    {"id":"fc_kept","type":"function_call","status":"completed",
	    "call_id":"call_2","name":"g","arguments":"{\"a\":1}"},
	    {"id":"fc_*","type":"function_call_output","status":"completed",
	    "call_id":"call_1","output":"42"},
	    {"id":"rs_*","type":"reasoning","summary":[]}]) },
	{ "an empty array", J({"model":"m","input":[]}), J([]) },
};

static void
test_input_items(void)
{
	const struct items_case	*c;
	struct json_object	*req, *items = NULL;
	struct fault		 f;
	size_t			 i;

	for (i = 0; i < VN_NELEM(items_cases); i++) {
		c = &items_cases[i];
		req = parse(c->req);
		OK(respconv_check(req, NULL, &f) == VN_OK &&
		    respconv_input_items(req, &items, &f) == VN_OK &&
		    same_json(items, c->want, c->name),
		    "input items: %s", c->name);
		json_object_put(items);
		items = NULL;
		json_object_put(req);
	}
}

static const struct chat_case {
	const char	*name;
	const char	*req;
	const char	*history;
	const char	*model;
	const char	*want;	/* NULL: VN_EINVAL on "input" */
} chat_cases[] = {
	{ "instructions and a string", J({"model":"alias","input":"hi",
	    "instructions":"be brief"}), NULL, "upstream-model",
	    J({"model":"upstream-model","messages":[{"role":"system",
	    "content":"be brief"},{"role":"user","content":"hi"}]}) },
	{ "the request's model by default", J({"model":"alias","input":
	    "hi","instructions":""}), NULL, NULL,
	    J({"model":"alias","messages":[{"role":"user","content":"hi"}]}) },
	{ "a chain with tool calls", J({"model":"m","input":[{"role":"user",
	    "content":"thanks"}],"instructions":"sys"}),
	    J([{"id":"msg_a","type":"message","status":"completed","role":
	    "user","content":[{"type":"input_text","text":
	    "weather in Oslo and Rome?"}]},
	    {"id":"rs_1","type":"reasoning","summary":[]},
	    {"id":"msg_b","type":"message","status":"completed","role":
	    "assistant","content":[{"type":"output_text","text":"checking",
	    "annotations":[],"logprobs":[]}]},
	    {"id":"fc_1","type":"function_call","status":"completed",
	    "call_id":"call_1","name":"w","arguments":"{\"c\":\"Oslo\"}"},
	    {"id":"fc_2","type":"function_call","status":"completed",
	    "call_id":"call_2","name":"w","arguments":"{\"c\":\"Rome\"}"},
	    {"id":"fc_3","type":"function_call_output","status":"completed",
	    "call_id":"call_1","output":"cold"},
	    {"id":"fc_4","type":"function_call_output","status":"completed",
	    "call_id":"call_2","output":[{"type":"input_text","text":
	    "warm"}]},
	    {"id":"msg_c","type":"message","status":"completed","role":
	    "assistant","content":[{"type":"output_text","text":
	    "Oslo is cold, Rome warm.","annotations":[],"logprobs":[]}]}]),
	    NULL,
	    J({"model":"m","messages":[{"role":"system","content":"sys"},
	    {"role":"user","content":"weather in Oslo and Rome?"},
	    {"role":"assistant","content":"checking","tool_calls":[
	    {"id":"call_1","type":"function","function":{"name":"w",
	    "arguments":"{\"c\":\"Oslo\"}"}},{"id":"call_2","type":"function",
	    "function":{"name":"w","arguments":"{\"c\":\"Rome\"}"}}]},
	    {"role":"tool","tool_call_id":"call_1","content":"cold"},
	    {"role":"tool","tool_call_id":"call_2","content":"warm"},
	    {"role":"assistant","content":"Oslo is cold, Rome warm."},
	    {"role":"user","content":"thanks"}]}) },
	{ "a call with no message before it", J({"model":"m","input":[
	    {"role":"user","content":"q"},{"type":"function_call","call_id":
	    "c1","name":"f","arguments":"{}"},{"type":"function_call_output",
	    "call_id":"c1","output":"r"}]}), NULL, NULL,
	    J({"model":"m","messages":[{"role":"user","content":"q"},
	    {"role":"assistant","content":null,"tool_calls":[{"id":"c1",
	    "type":"function","function":{"name":"f","arguments":"{}"}}]},
	    {"role":"tool","tool_call_id":"c1","content":"r"}]}) },
	{ "images, files and several text parts", J({"model":"m","input":[
	    {"type":"message","role":"user","content":[{"type":"input_text",
	    "text":"what"},{"type":"input_image","image_url":
	    "data:image/png;base64,AA","detail":"high"},{"type":"input_file",
	    "file_data":"JVBE","filename":"a.pdf"}]},{"role":"developer","content":[{
	    "type":"input_text","text":"a"},{"type":"input_text","text":
	    "b"}]}]}), NULL, NULL,
	    J({"model":"m","messages":[{"role":"user","content":[{"type":
	    "text","text":"what"},{"type":"image_url","image_url":{"url":
	    "data:image/png;base64,AA","detail":"high"}},{"type":"file",
	    "file":{"file_data":"JVBE","filename":"a.pdf"}}]},{"role":
	    "developer","content":[{"type":"text","text":"a"},{"type":"text",
	    "text":"b"}]}]}) },
	{ "a refusal replayed", J({"model":"m","input":[{"role":"user",
	    "content":"x"},{"type":"message","role":"assistant","content":[{
	    "type":"refusal","refusal":"I can't."}]}]}), NULL, NULL,
	    J({"model":"m","messages":[{"role":"user","content":"x"},{"role":
	    "assistant","content":null,"refusal":"I can't."}]}) },
	{ "every option", J({"model":"m","input":"x","stream":true,"store":
	    true,"background":false,"metadata":{"k":"v"},
	    "previous_response_id":"resp_1","truncation":"auto","include":[],
	    "tools":[{"type":"function","name":"f","description":"d",
	    "parameters":{"type":"object"},"strict":true},{"type":"function",
	    "name":"g"}],"tool_choice":{"type":"function","name":"f"},
	    "parallel_tool_calls":false,"text":{"format":{"type":
	    "json_schema","name":"s","schema":{"type":"object"},"strict":true,
	    "description":"ds"},"verbosity":"low"},"max_output_tokens":100,
	    "temperature":0.5,"top_p":0.9,"user":"u","safety_identifier":
	    "si","prompt_cache_key":"pk","service_tier":"flex","reasoning":{
	    "effort":"high","summary":"auto"}}), NULL, NULL,
	    J({"model":"m","messages":[{"role":"user","content":"x"}],
	    "tools":[{"type":"function","function":{"name":"f","description":
	    "d","parameters":{"type":"object"},"strict":true}},{"type":
	    "function","function":{"name":"g"}}],"tool_choice":{"type":
	    "function","function":{"name":"f"}},"parallel_tool_calls":false,
	    "response_format":{"type":"json_schema","json_schema":{"name":"s",
	    "schema":{"type":"object"},"strict":true,"description":"ds"}},
	    "verbosity":"low","max_completion_tokens":100,"temperature":0.5,
	    "top_p":0.9,"user":"u","safety_identifier":"si",
	    "prompt_cache_key":"pk","service_tier":"flex","reasoning_effort":
	    "high","stream":true}) },
	{ "parallel_tool_calls needs tools", J({"model":"m","input":"x",
	    "parallel_tool_calls":true,"tools":[],"tool_choice":"none",
	    "text":{"format":{"type":"json_object"}},"stream":false}), NULL,
	    NULL, J({"model":"m","messages":[{"role":"user","content":"x"}],
	    "tool_choice":"none","response_format":{"type":"json_object"},
	    "stream":false}) },
	{ "plain text format is left out", J({"model":"m","input":"x",
	    "text":{"format":{"type":"text"}}}), NULL, NULL,
	    J({"model":"m","messages":[{"role":"user","content":"x"}]}) },
	{ "history alone", J({"model":"m","input":[]}), J([{"role":"user",
	    "content":"again"}]), NULL, J({"model":"m","messages":[{"role":
	    "user","content":"again"}]}) },
	{ "nothing to send", J({"model":"m","input":[{"type":"reasoning",
	    "summary":[]}]}), NULL, NULL, NULL },
};

static void
test_chat(void)
{
	const struct chat_case	*c;
	struct json_object	*req, *hist, *chat = NULL;
	struct fault		 f;
	enum vn_err		 rc;
	size_t			 i;

	for (i = 0; i < VN_NELEM(chat_cases); i++) {
		c = &chat_cases[i];
		memset(&f, 0, sizeof(f));
		req = parse(c->req);
		hist = c->history != NULL ? parse(c->history) : NULL;
		if (respconv_check(req, NULL, &f) != VN_OK) {
			OK(0, "chat: %s: %s", c->name, f.msg);
			json_object_put(req);
			json_object_put(hist);
			continue;
		}
		rc = respconv_chat_request(req, hist, c->model, &chat, &f);
		if (c->want == NULL)
			OK(rc == VN_EINVAL && chat == NULL &&
			    strcmp(f.param, "input") == 0,
			    "chat: %s is refused", c->name);
		else
			OK(rc == VN_OK && same_json(chat, c->want, c->name),
			    "chat: %s", c->name);
		json_object_put(chat);
		chat = NULL;
		json_object_put(req);
		json_object_put(hist);
	}
}

static const struct output_case {
	const char	*name;
	const char	*completion;
	enum vn_err	 rc;
	const char	*output;
	const char	*status;
	const char	*reason;
	const char	*usage;		/* NULL: no usage */
} output_cases[] = {
	{ "text with usage", J({"id":"chatcmpl-1","object":"chat.completion",
	    "created":1,"model":"m","choices":[{"index":0,"message":{"role":
	    "assistant","content":"Hello!","refusal":null},"logprobs":null,
	    "finish_reason":"stop"}],"usage":{"prompt_tokens":10,
	    "completion_tokens":3,"total_tokens":13,"prompt_tokens_details":{
	    "cached_tokens":4,"cache_write_tokens":2},
	    "completion_tokens_details":{
	    "reasoning_tokens":1}}}), VN_OK,
	    J([{"id":"msg_*","type":"message","status":"completed","role":
	    "assistant","content":[{"type":"output_text","text":"Hello!",
	    "annotations":[],"logprobs":[]}]}]), "completed", NULL,
	    J({"input_tokens":10,"input_tokens_details":{"cached_tokens":4,
	    "cache_write_tokens":2},"output_tokens":3,"output_tokens_details":{"reasoning_tokens":1},
	    "total_tokens":13}) },
	{ "two tool calls", J({"choices":[{"index":0,"message":{"role":
	    "assistant","content":null,"tool_calls":[{"id":"call_a","type":
	    "function","function":{"name":"f","arguments":"{\"x\":1}"}},{"id":
	    "call_b","type":"function","function":{"name":"g","arguments":
	    "{}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":
	    5,"completion_tokens":7}}), VN_OK,
	    J([{"id":"fc_*","type":"function_call","status":"completed",
	    "call_id":"call_a","name":"f","arguments":"{\"x\":1}"},{"id":
	    "fc_*","type":"function_call","status":"completed","call_id":
	    "call_b","name":"g","arguments":"{}"}]), "completed", NULL,
	    J({"input_tokens":5,"input_tokens_details":{"cached_tokens":0,
	    "cache_write_tokens":0},"output_tokens":7,"output_tokens_details":{"reasoning_tokens":0},
	    "total_tokens":12}) },
	{ "text and a call, arguments as an object, no id", J({"choices":[{
	    "message":{"role":"assistant","content":"Let me look.",
	    "tool_calls":[{"type":"function","function":{"name":"f",
	    "arguments":{"q":"x"}}}]},"finish_reason":"tool_calls"}]}), VN_OK,
	    J([{"id":"msg_*","type":"message","status":"completed","role":
	    "assistant","content":[{"type":"output_text","text":"Let me look.",
	    "annotations":[],"logprobs":[]}]},{"id":"fc_*","type":
	    "function_call","status":"completed","call_id":"call_*","name":
	    "f","arguments":"{\"q\":\"x\"}"}]), "completed", NULL, NULL },
	{ "cut by length", J({"choices":[{"message":{"content":"Once upon"},
	    "finish_reason":"length"}]}), VN_OK,
	    J([{"id":"msg_*","type":"message","status":"incomplete","role":
	    "assistant","content":[{"type":"output_text","text":"Once upon",
	    "annotations":[],"logprobs":[]}]}]), "incomplete",
	    "max_output_tokens", NULL },
	{ "content filter", J({"choices":[{"message":{"content":""},
	    "finish_reason":"content_filter"}]}), VN_OK,
	    J([{"id":"msg_*","type":"message","status":"incomplete","role":
	    "assistant","content":[{"type":"output_text","text":"",
	    "annotations":[],"logprobs":[]}]}]), "incomplete",
	    "content_filter", NULL },
	{ "a refusal", J({"choices":[{"message":{"content":null,"refusal":
	    "I can't help with that."},"finish_reason":"stop"}]}), VN_OK,
	    J([{"id":"msg_*","type":"message","status":"completed","role":
	    "assistant","content":[{"type":"refusal","refusal":
	    "I can't help with that."}]}]), "completed", NULL, NULL },
	{ "nothing at all", J({"choices":[{"message":{"content":null},
	    "finish_reason":"stop"}]}), VN_OK,
	    J([{"id":"msg_*","type":"message","status":"completed","role":
	    "assistant","content":[{"type":"output_text","text":"",
	    "annotations":[],"logprobs":[]}]}]), "completed", NULL, NULL },
	{ "content as parts", J({"choices":[{"message":{"content":[{"type":
	    "text","text":"a"},{"type":"text","text":"b"}]},"finish_reason":
	    "stop"}]}), VN_OK,
	    J([{"id":"msg_*","type":"message","status":"completed","role":
	    "assistant","content":[{"type":"output_text","text":"ab",
	    "annotations":[],"logprobs":[]}]}]), "completed", NULL, NULL },
	{ "empty text parts", J({"choices":[{"message":{"content":[{"type":
	    "text","text":""}]},"finish_reason":"stop"}]}), VN_OK,
	    J([{"id":"msg_*","type":"message","status":"completed","role":
	    "assistant","content":[{"type":"output_text","text":"",
	    "annotations":[],"logprobs":[]}]}]), "completed", NULL, NULL },
	{ "no choices", J({"choices":[]}), VN_EUPSTREAM, NULL, NULL, NULL,
	    NULL },
	{ "an error", J({"error":{"message":"overloaded"}}), VN_EUPSTREAM,
	    NULL, NULL, NULL, NULL },
	{ "no message", J({"choices":[{"finish_reason":"stop"}]}),
	    VN_EUPSTREAM, NULL, NULL, NULL, NULL },
	{ "not an object", J([]), VN_EUPSTREAM, NULL, NULL, NULL, NULL },
};

static void
test_output(void)
{
	const struct output_case *c;
	struct respconv_result	 res;
	struct json_object	*cc;
	struct fault		 f;
	enum vn_err		 rc;
	size_t			 i;
	int			 good;

	for (i = 0; i < VN_NELEM(output_cases); i++) {
		c = &output_cases[i];
		memset(&f, 0, sizeof(f));
		cc = parse(c->completion);
		rc = respconv_output(cc, &res, &f);
		if (c->rc != VN_OK) {
			OK(rc == c->rc && res.output == NULL &&
			    f.err == c->rc, "output: %s is refused", c->name);
			json_object_put(cc);
			continue;
		}
		good = rc == VN_OK && same_json(res.output, c->output,
		    c->name) && strcmp(res.status, c->status) == 0 &&
		    (c->reason == NULL ? res.incomplete_reason == NULL :
		    res.incomplete_reason != NULL &&
		    strcmp(res.incomplete_reason, c->reason) == 0) &&
		    (c->usage == NULL ? res.usage == NULL && !res.have_usage :
		    res.have_usage && same_json(res.usage, c->usage, c->name));
		OK(good, "output: %s", c->name);
		respconv_result_free(&res);
		respconv_result_free(&res);
		json_object_put(cc);
	}
	cc = parse(J({"choices":[{"message":{"content":"x"}}],"usage":{
	    "prompt_tokens":3,"completion_tokens":4}}));
	rc = respconv_output(cc, &res, &f);
	OK(rc == VN_OK && res.input_tokens == 3 && res.output_tokens == 4,
	    "output: token counts for the ledger");
	respconv_result_free(&res);
	json_object_put(cc);
}

/* Keys every Response has (openai-api.md §5.3) and the echoes. */
static const char *const response_keys[] = {
	"id", "object", "created_at", "status", "error", "incomplete_details",
	"instructions", "model", "output", "parallel_tool_calls", "metadata",
	"tool_choice", "tools", "temperature", "top_p", "previous_response_id",
	"store", "background", "text", "max_output_tokens", "truncation",
	"reasoning", "completed_at", "service_tier",
};

static int
has_keys(struct json_object *r)
{
	struct json_object	*v;
	size_t			 i;

	for (i = 0; i < VN_NELEM(response_keys); i++)
		if (!json_object_object_get_ex(r, response_keys[i], &v)) {
			printf("# response lacks '%s'\n", response_keys[i]);
			return 0;
		}
	return 1;
}

static void
test_response(void)
{
	struct respconv_fields	 rf;
	struct json_object	*req, *r, *out, *usage;

	req = parse(J({"model":"m","input":"x"}));
	memset(&rf, 0, sizeof(rf));
	rf.req = req;
	rf.id = "resp_1";
	rf.status = "queued";
	rf.created_at = 1700000000;
	r = respconv_response(&rf);
	OK(r != NULL && has_keys(r) && same_json(r, J({"id":"resp_1",
	    "object":"response","created_at":1700000000,"status":"queued",
	    "background":false,"completed_at":null,"error":null,
	    "incomplete_details":null,"instructions":null,
	    "max_output_tokens":null,"max_tool_calls":null,"model":"m",
	    "output":[],"parallel_tool_calls":true,"previous_response_id":null,
	    "prompt_cache_key":null,"reasoning":{"effort":null,"summary":null},
	    "safety_identifier":null,"service_tier":"auto","store":true,
	    "temperature":1,"text":{"format":{"type":"text"}},"tool_choice":
	    "auto","tools":[],"top_logprobs":0,"top_p":1,"truncation":
	    "disabled","metadata":{}}),
	    "response defaults"), "response: defaults for a bare request");
	json_object_put(r);
	json_object_put(req);

	req = parse(J({"model":"m","input":"x","instructions":"i","tools":[{
	    "type":"function","name":"f","parameters":{}}],"tool_choice":
	    "required","temperature":0.2,"top_p":0.5,"store":false,
	    "metadata":{"a":"b"},"previous_response_id":"resp_0","text":{
	    "format":{"type":"json_object"}},"max_output_tokens":64,
	    "parallel_tool_calls":false,"user":"u"}));
	out = parse(J([{"type":"message"}]));
	usage = parse(J({"input_tokens":1}));
	rf.req = req;
	rf.status = "incomplete";
	rf.completed_at = 0;
	rf.model = "upstream-snapshot";
	rf.output = out;
	rf.usage = usage;
	rf.incomplete_reason = "max_output_tokens";
	rf.service_tier = "default";
	r = respconv_response(&rf);
	OK(r != NULL && has_keys(r) && same_json(r, J({"id":"resp_1",
	    "object":"response","created_at":1700000000,"status":"incomplete",
	    "background":false,"completed_at":null,"error":null,
	    "incomplete_details":{"reason":"max_output_tokens"},
	    "instructions":"i","max_output_tokens":64,"max_tool_calls":null,
	    "model":"upstream-snapshot","output":[{"type":"message"}],
	    "parallel_tool_calls":false,"previous_response_id":"resp_0",
	    "prompt_cache_key":null,"reasoning":{"effort":null,"summary":null},
	    "safety_identifier":null,"service_tier":"default","store":false,
	    "temperature":0.2,"text":{"format":{"type":"json_object"}},
	    "tool_choice":"required","tools":[{"type":"function","name":"f",
	    "description":null,"parameters":{},"strict":null}],"top_logprobs":
	    0,"top_p":0.5,"truncation":"disabled","usage":{"input_tokens":1},
	    "user":"u","metadata":{"a":"b"}}), "response echoes"),
	    "response: echoes, flat tools, incomplete details");
	json_object_put(r);
	rf.status = "failed";
	rf.incomplete_reason = NULL;
	rf.error_code = "server_error";
	rf.error_message = "boom";
	rf.completed_at = 1700000005;
	r = respconv_response(&rf);
	OK(r != NULL && same_json(json_object_object_get(r, "error"),
	    J({"code":"server_error","message":"boom"}), "error") &&
	    json_object_get_int64(json_object_object_get(r,
	    "completed_at")) == 1700000005, "response: error and completed_at");
	json_object_put(r);
	json_object_put(out);
	json_object_put(usage);
	json_object_put(req);
}

/* ---- streams ---- */

/* A chunk with delta d, the finish chunk, the usage chunk. */
#define CH(d)	"{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\"," \
		"\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0," \
		"\"delta\":" d ",\"logprobs\":null,\"finish_reason\":null}]}"
#define FIN(r)	"{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\"," \
		"\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0," \
		"\"delta\":{},\"finish_reason\":\"" r "\"}]}"
#define USAGE(p, c, t) "{\"id\":\"chatcmpl-1\",\"object\":" \
		"\"chat.completion.chunk\",\"choices\":[],\"usage\":{" \
		"\"prompt_tokens\":" #p ",\"completion_tokens\":" #c "," \
		"\"total_tokens\":" #t "}}"
#define REQ	J({"model":"m","input":"hi","stream":true})
#define N50	"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwx"

/* The keys each event must carry besides type and sequence_number. */
static const struct {
	const char	*type;
	const char	*keys[6];
} event_keys[] = {
	{ "response.created", { "response" } },
	{ "response.in_progress", { "response" } },
	{ "response.completed", { "response" } },
	{ "response.incomplete", { "response" } },
	{ "response.failed", { "response" } },
	{ "response.output_item.added", { "output_index", "item" } },
	{ "response.output_item.done", { "output_index", "item" } },
	{ "response.content_part.added", { "item_id", "output_index",
	    "content_index", "part" } },
	{ "response.content_part.done", { "item_id", "output_index",
	    "content_index", "part" } },
	{ "response.output_text.delta", { "item_id", "output_index",
	    "content_index", "delta", "logprobs" } },
	{ "response.output_text.done", { "item_id", "output_index",
	    "content_index", "text", "logprobs" } },
	{ "response.refusal.delta", { "item_id", "output_index",
	    "content_index", "delta" } },
	{ "response.refusal.done", { "item_id", "output_index",
	    "content_index", "refusal" } },
	{ "response.function_call_arguments.delta", { "item_id",
	    "output_index", "delta" } },
	{ "response.function_call_arguments.done", { "item_id",
	    "output_index", "name", "arguments" } },
};

struct sink {
	struct buf	 log;
	int64_t		 n;
	int		 bad;
	int		 fail_at;	/* the callback fails on this event */
	char		 ids[RESPCONV_MAX_ITEMS][VN_MAX_ID + 1];
};

static enum vn_err	 record(void *, const char *, const char *, size_t);
static int		 check_event(struct sink *, const char *,
			    struct json_object *);
static void		 render(struct sink *, const char *,
			    struct json_object *);

static const char *
gs(struct json_object *o, const char *key)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return "?";
	return json_object_get_string(v);
}

static int64_t
gi(struct json_object *o, const char *key)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return -1;
	return json_object_get_int64(v);
}

/* The event's keys, numbering and item ids; 0 (with a note) if wrong. */
static int
check_event(struct sink *sk, const char *type, struct json_object *ev)
{
	struct json_object	*v;
	size_t			 i, k;
	int64_t			 oi;

	if (strcmp(gs(ev, "type"), type) != 0 ||
	    gi(ev, "sequence_number") != sk->n) {
		printf("# event %lld: type %s, sequence_number %lld\n",
		    (long long)sk->n, gs(ev, "type"),
		    (long long)gi(ev, "sequence_number"));
		return 0;
	}
	for (i = 0; i < VN_NELEM(event_keys); i++)
		if (strcmp(event_keys[i].type, type) == 0)
			break;
	if (i == VN_NELEM(event_keys)) {
		printf("# unexpected event type %s\n", type);
		return 0;
	}
	for (k = 0; k < 6 && event_keys[i].keys[k] != NULL; k++)
		if (!json_object_object_get_ex(ev, event_keys[i].keys[k], &v)) {
			printf("# %s lacks %s\n", type, event_keys[i].keys[k]);
			return 0;
		}
	if (json_object_object_get_ex(ev, "response", &v) && !has_keys(v))
		return 0;
	oi = gi(ev, "output_index");
	if (oi < -1 || oi >= RESPCONV_MAX_ITEMS)
		return 0;
	if (strcmp(type, "response.output_item.added") == 0) {
		json_object_object_get_ex(ev, "item", &v);
		snprintf(sk->ids[oi], sizeof(sk->ids[oi]), "%s", gs(v, "id"));
	} else if (oi >= 0 && json_object_object_get_ex(ev, "item_id", &v) &&
	    strcmp(json_object_get_string(v), sk->ids[oi]) != 0) {
		printf("# %s: item_id %s is not output %lld's\n", type,
		    json_object_get_string(v), (long long)oi);
		return 0;
	}
	return 1;
}

/* One line per event, as the expected texts write them. */
static void
render(struct sink *sk, const char *type, struct json_object *ev)
{
	struct json_object	*v, *out, *it, *u;
	const char		*t = type + strlen("response.");
	size_t			 i;
	int64_t			 oi = gi(ev, "output_index"),
				 ci = gi(ev, "content_index");

	if (strncmp(type, "response.", 9) != 0)
		t = type;
	if (strcmp(type, "response.created") == 0) {
		json_object_object_get_ex(ev, "response", &v);
		buf_addf(&sk->log, "created %s\n", gs(v, "status"));
	} else if (strcmp(type, "response.in_progress") == 0)
		buf_addf(&sk->log, "in_progress\n");
	else if (strcmp(type, "response.output_item.added") == 0 ||
	    strcmp(type, "response.output_item.done") == 0) {
		json_object_object_get_ex(ev, "item", &it);
		buf_addf(&sk->log, "item%c %lld %s", t[12] == 'a' ? '+' : '=',
		    (long long)oi, gs(it, "type"));
		if (t[12] == 'a' &&
		    strcmp(gs(it, "type"), "function_call") == 0)
			buf_addf(&sk->log, " %s %s", gs(it, "name"),
			    strlen(gs(it, "call_id")) > 20 ? "call_*" :
			    gs(it, "call_id"));
		if (t[12] == 'd')
			buf_addf(&sk->log, " %s", gs(it, "status"));
		buf_addf(&sk->log, "\n");
	} else if (strcmp(type, "response.content_part.added") == 0 ||
	    strcmp(type, "response.content_part.done") == 0) {
		json_object_object_get_ex(ev, "part", &v);
		buf_addf(&sk->log, "part%c %lld/%lld %s\n", t[13] == 'a' ? '+' :
		    '=', (long long)oi, (long long)ci, t[13] == 'a' ?
		    gs(v, "type") : strcmp(gs(v, "type"), "refusal") == 0 ?
		    gs(v, "refusal") : gs(v, "text"));
	} else if (strcmp(type, "response.output_text.delta") == 0 ||
	    strcmp(type, "response.refusal.delta") == 0)
		buf_addf(&sk->log, "%s %lld/%lld %s\n", t[0] == 'o' ? "text" :
		    "refusal", (long long)oi, (long long)ci, gs(ev, "delta"));
	else if (strcmp(type, "response.output_text.done") == 0)
		buf_addf(&sk->log, "text= %lld/%lld %s\n", (long long)oi,
		    (long long)ci, gs(ev, "text"));
	else if (strcmp(type, "response.refusal.done") == 0)
		buf_addf(&sk->log, "refusal= %lld/%lld %s\n", (long long)oi,
		    (long long)ci, gs(ev, "refusal"));
	else if (strcmp(type, "response.function_call_arguments.delta") == 0)
		buf_addf(&sk->log, "args %lld %s\n", (long long)oi,
		    gs(ev, "delta"));
	else if (strcmp(type, "response.function_call_arguments.done") == 0)
		buf_addf(&sk->log, "args= %lld %s %s\n", (long long)oi,
		    gs(ev, "name"), gs(ev, "arguments"));
	else {
		json_object_object_get_ex(ev, "response", &v);
		buf_addf(&sk->log, "%s", gs(v, "status"));
		if (json_object_object_get_ex(v, "incomplete_details", &it) &&
		    it != NULL)
			buf_addf(&sk->log, " %s", gs(it, "reason"));
		if (json_object_object_get_ex(v, "error", &it) && it != NULL)
			buf_addf(&sk->log, " %s: %s", gs(it, "code"),
			    gs(it, "message"));
		if ((strcmp(gs(v, "status"), "completed") == 0) !=
		    (gi(v, "completed_at") > 0))
			buf_addf(&sk->log, " BAD-completed_at");
		buf_addf(&sk->log, " out=");
		json_object_object_get_ex(v, "output", &out);
		for (i = 0; i < json_object_array_length(out); i++) {
			it = json_object_array_get_idx(out, i);
			buf_addf(&sk->log, "%s%s:%s", i > 0 ? "," : "",
			    gs(it, "type"), gs(it, "status"));
		}
		json_object_object_get_ex(v, "usage", &u);
		if (u == NULL)
			buf_addf(&sk->log, " usage=null\n");
		else
			buf_addf(&sk->log, " usage=%lld\n",
			    (long long)gi(u, "total_tokens"));
	}
}

/* The converter's callback: check, render, and fail when told to. */
static enum vn_err
record(void *arg, const char *type, const char *json, size_t len)
{
	struct sink		*sk = arg;
	struct json_object	*ev = NULL;
	struct fault		 f;

	if (strlen(json) != len || jsonx_parse(json, len, 64, &ev, &f) !=
	    VN_OK || !check_event(sk, type, ev))
		sk->bad++;
	else
		render(sk, type, ev);
	json_object_put(ev);
	sk->n++;
	return sk->n == sk->fail_at ? VN_ECLIENT : VN_OK;
}

static const struct stream_case {
	const char	*name;
	const char	*req;
	const char	*chunks[MAX_CHUNKS];
	const char	*errmsg;	/* given to finish */
	size_t		 max;
	enum vn_err	 chunk_rc;	/* the first error of a chunk */
	const char	*want;
} stream_cases[] = {
	{ "text only", REQ, { CH(J({"role":"assistant","content":""})),
	    CH(J({"content":"Hel"})), CH(J({"content":"lo"})), FIN("stop"),
	    USAGE(3, 2, 5), "[DONE]" }, NULL, 0, VN_OK,
	    "created in_progress\n" "in_progress\n" "item+ 0 message\n"
	    "part+ 0/0 output_text\n" "text 0/0 Hel\n" "text 0/0 lo\n"
	    "text= 0/0 Hello\n" "part= 0/0 Hello\n"
	    "item= 0 message completed\n"
	    "completed out=message:completed usage=5\n" },
	{ "tool call only", REQ, { CH(J({"role":"assistant","content":null,
	    "tool_calls":[{"index":0,"id":"call_1","type":"function",
	    "function":{"name":"get_weather","arguments":""}}]})),
	    CH(J({"tool_calls":[{"index":0,"function":{"arguments":
	    "{\"city\":"}}]})), CH(J({"tool_calls":[{"index":0,"function":{
	    "arguments":"\"Oslo\"}"}}]})), FIN("tool_calls"), USAGE(9, 8, 17),
	    " [DONE]\n" }, NULL, 0, VN_OK,
	    "created in_progress\n" "in_progress\n"
	    "item+ 0 function_call get_weather call_1\n"
	    "args 0 {\"city\":\n" "args 0 \"Oslo\"}\n"
	    "args= 0 get_weather {\"city\":\"Oslo\"}\n"
	    "item= 0 function_call completed\n"
	    "completed out=function_call:completed usage=17\n" },
	{ "text then two interleaved tool calls", REQ, {
	    CH(J({"role":"assistant","content":"Checking"})),
	    CH(J({"content":" both."})),
	    CH(J({"tool_calls":[{"index":0,"id":"call_a","type":"function",
	    "function":{"name":"w","arguments":""}}]})),
	    CH(J({"tool_calls":[{"index":1,"id":"call_b","type":"function",
	    "function":{"name":"t","arguments":"{\"z\":"}}]})),
	    CH(J({"tool_calls":[{"index":0,"function":{"arguments":
	    "{\"c\":1}"}}]})),
	    CH(J({"tool_calls":[{"index":1,"function":{"name":"t",
	    "arguments":"2}"}}]})),
	    FIN("tool_calls"), USAGE(10, 20, 30), "[DONE]" }, NULL, 0, VN_OK,
	    "created in_progress\n" "in_progress\n" "item+ 0 message\n"
	    "part+ 0/0 output_text\n" "text 0/0 Checking\n"
	    "text 0/0  both.\n" "text= 0/0 Checking both.\n"
	    "part= 0/0 Checking both.\n" "item= 0 message completed\n"
	    "item+ 1 function_call w call_a\n"
	    "item+ 2 function_call t call_b\n" "args 2 {\"z\":\n"
	    "args 1 {\"c\":1}\n" "args 2 2}\n" "args= 1 w {\"c\":1}\n"
	    "item= 1 function_call completed\n" "args= 2 t {\"z\":2}\n"
	    "item= 2 function_call completed\n"
	    "completed out=message:completed,function_call:completed,"
	    "function_call:completed usage=30\n" },
	{ "cut by length", REQ, { CH(J({"content":"Once"})), FIN("length"),
	    USAGE(1, 16, 17), "[DONE]" }, NULL, 0, VN_OK,
	    "created in_progress\n" "in_progress\n" "item+ 0 message\n"
	    "part+ 0/0 output_text\n" "text 0/0 Once\n" "text= 0/0 Once\n"
	    "part= 0/0 Once\n" "item= 0 message incomplete\n"
	    "incomplete max_output_tokens out=message:incomplete usage=17\n" },
	{ "content filter", REQ, { CH(J({"content":"x"})),
	    FIN("content_filter"), "[DONE]" }, NULL, 0, VN_OK,
	    "created in_progress\n" "in_progress\n" "item+ 0 message\n"
	    "part+ 0/0 output_text\n" "text 0/0 x\n" "text= 0/0 x\n"
	    "part= 0/0 x\n" "item= 0 message incomplete\n"
	    "incomplete content_filter out=message:incomplete usage=null\n" },
	{ "an error mid-stream", REQ, { CH(J({"content":"Hi"})),
	    J({"error":{"message":"upstream overloaded","type":
	    "server_error"}}), CH(J({"content":"never"})) }, NULL, 0,
	    VN_EUPSTREAM,
	    "created in_progress\n" "in_progress\n" "item+ 0 message\n"
	    "part+ 0/0 output_text\n" "text 0/0 Hi\n"
	    "failed server_error: upstream overloaded out=message:incomplete "
	    "usage=null\n" },
	{ "no usage", REQ, { CH(J({"content":"ok"})), FIN("stop"), "[DONE]" },
	    NULL, 0, VN_OK,
	    "created in_progress\n" "in_progress\n" "item+ 0 message\n"
	    "part+ 0/0 output_text\n" "text 0/0 ok\n" "text= 0/0 ok\n"
	    "part= 0/0 ok\n" "item= 0 message completed\n"
	    "completed out=message:completed usage=null\n" },
	{ "a truncated stream", REQ, { CH(J({"content":"par"})) }, NULL, 0,
	    VN_OK,
	    "created in_progress\n" "in_progress\n" "item+ 0 message\n"
	    "part+ 0/0 output_text\n" "text 0/0 par\n"
	    "failed server_error: The upstream model server's stream ended "
	    "before the answer was complete. out=message:incomplete "
	    "usage=null\n" },
	{ "a transport error", REQ, { CH(J({"content":"par"})),
	    USAGE(1, 1, 2) }, "The upstream connection was reset.", 0, VN_OK,
	    "created in_progress\n" "in_progress\n" "item+ 0 message\n"
	    "part+ 0/0 output_text\n" "text 0/0 par\n"
	    "failed server_error: The upstream connection was reset. "
	    "out=message:incomplete usage=2\n" },
	{ "a refusal", REQ, { CH(J({"role":"assistant","refusal":"No."})),
	    FIN("stop"), "[DONE]" }, NULL, 0, VN_OK,
	    "created in_progress\n" "in_progress\n" "item+ 0 message\n"
	    "part+ 0/0 refusal\n" "refusal 0/0 No.\n" "refusal= 0/0 No.\n"
	    "part= 0/0 No.\n" "item= 0 message completed\n"
	    "completed out=message:completed usage=null\n" },
	{ "an empty answer", REQ, { CH(J({"role":"assistant","content":
	    ""})), FIN("stop"), "[DONE]" }, NULL, 0, VN_OK,
	    "created in_progress\n" "in_progress\n" "item+ 0 message\n"
	    "part+ 0/0 output_text\n" "text= 0/0 \n" "part= 0/0 \n"
	    "item= 0 message completed\n"
	    "completed out=message:completed usage=null\n" },
	{ "background", J({"model":"m","input":"x","background":true,
	    "stream":true}), { CH(J({"content":"a"})), FIN("stop"),
	    "[DONE]" }, NULL, 0, VN_OK,
	    "created queued\n" "in_progress\n" "item+ 0 message\n"
	    "part+ 0/0 output_text\n" "text 0/0 a\n" "text= 0/0 a\n"
	    "part= 0/0 a\n" "item= 0 message completed\n"
	    "completed out=message:completed usage=null\n" },
	{ "a chunk that is not JSON", REQ, { CH(J({"content":"a"})),
	    "{not json" }, NULL, 0, VN_EUPSTREAM,
	    "created in_progress\n" "in_progress\n" "item+ 0 message\n"
	    "part+ 0/0 output_text\n" "text 0/0 a\n"
	    "failed server_error: The upstream model server sent a stream "
	    "chunk that is not a JSON object. out=message:incomplete "
	    "usage=null\n" },
	{ "past the cap", REQ, { CH(J({"content":"0123"})),
	    CH(J({"content":"456789"})) }, NULL, 8, VN_EUPSTREAM,
	    "created in_progress\n" "in_progress\n" "item+ 0 message\n"
	    "part+ 0/0 output_text\n" "text 0/0 0123\n"
	    "failed server_error: The upstream answer is larger than the "
	    "gateway allows. out=message:incomplete usage=null\n" },
	{ "whole tool calls without index", REQ, { CH(J({"tool_calls":[{
	    "id":"call_x","type":"function","function":{"name":"a",
	    "arguments":"{}"}},{"id":"call_y","type":"function","function":{
	    "name":"b","arguments":{"k":1}}}]})), FIN("tool_calls"),
	    "[DONE]" }, NULL, 0, VN_OK,
	    "created in_progress\n" "in_progress\n"
	    "item+ 0 function_call a call_x\n" "args 0 {}\n"
	    "item+ 1 function_call b call_y\n" "args 1 {\"k\":1}\n"
	    "args= 0 a {}\n" "item= 0 function_call completed\n"
	    "args= 1 b {\"k\":1}\n" "item= 1 function_call completed\n"
	    "completed out=function_call:completed,function_call:completed "
	    "usage=null\n" },
	{ "text after a tool call, no call id", REQ, { CH(J({"tool_calls":[{
	    "index":0,"function":{"name":"f","arguments":"{}"}}]})),
	    CH(J({"content":"after"})), FIN("stop"), "[DONE]" }, NULL, 0,
	    VN_OK,
	    "created in_progress\n" "in_progress\n"
	    "item+ 0 function_call f call_*\n" "args 0 {}\n"
	    "item+ 1 message\n" "part+ 1/0 output_text\n" "text 1/0 after\n"
	    "args= 0 f {}\n" "item= 0 function_call completed\n"
	    "text= 1/0 after\n" "part= 1/0 after\n"
	    "item= 1 message completed\n"
	    "completed out=function_call:completed,message:completed "
	    "usage=null\n" },
	{ "other choices are ignored", REQ, { "{\"choices\":[{\"index\":1,"
	    "\"delta\":{\"content\":\"no\"}},{\"index\":0,\"delta\":{"
	    "\"content\":\"yes\"},\"finish_reason\":\"stop\"}],\"usage\":{"
	    "\"prompt_tokens\":1,\"completion_tokens\":1}}" }, NULL, 0, VN_OK,
	    "created in_progress\n" "in_progress\n" "item+ 0 message\n"
	    "part+ 0/0 output_text\n" "text 0/0 yes\n" "text= 0/0 yes\n"
	    "part= 0/0 yes\n" "item= 0 message completed\n"
	    "completed out=message:completed usage=2\n" },
	{ "[DONE] without finish_reason", REQ, { CH(J({"content":"k"})),
	    "[DONE]", CH(J({"content":"late"})) }, NULL, 0, VN_OK,
	    "created in_progress\n" "in_progress\n" "item+ 0 message\n"
	    "part+ 0/0 output_text\n" "text 0/0 k\n" "text= 0/0 k\n"
	    "part= 0/0 k\n" "item= 0 message completed\n"
	    "completed out=message:completed usage=null\n" },
	{ "a tool name past its cap", REQ, { CH("{\"tool_calls\":[{\"index\":"
	    "0,\"function\":{\"name\":\"" N50 N50 N50 N50 N50 N50 "\"}}]}") },
	    NULL, 0, VN_EUPSTREAM,
	    "created in_progress\n" "in_progress\n"
	    "failed server_error: The upstream answer is larger than the "
	    "gateway allows. out=function_call:incomplete usage=null\n" },
	{ "nothing at all", REQ, { NULL }, NULL, 0, VN_OK,
	    "created in_progress\n" "in_progress\n"
	    "failed server_error: The upstream model server's stream ended "
	    "before the answer was complete. out= usage=null\n" },
};

/* Run one stream case; the events' text, or NULL with a note. */
static void
run_stream(const struct stream_case *c)
{
	struct respconv_stream	 s;
	struct respconv_fields	 base;
	struct respconv_result	 res;
	struct json_object	*req, *fin;
	struct sink		 sk;
	enum vn_err		 rc, first = VN_OK;
	size_t			 i;
	int			 good;

	memset(&sk, 0, sizeof(sk));
	buf_init(&sk.log, LOG_MAX);
	req = parse(c->req);
	memset(&base, 0, sizeof(base));
	base.req = req;
	base.id = "resp_test";
	base.created_at = 1700000000;
	rc = respconv_stream_init(&s, &base, c->max, record, &sk);
	for (i = 0; rc == VN_OK && i < MAX_CHUNKS && c->chunks[i] != NULL;
	    i++) {
		rc = respconv_stream_chunk(&s, c->chunks[i],
		    strlen(c->chunks[i]));
		if (rc != VN_OK && first == VN_OK)
			first = rc;
	}
	rc = respconv_stream_finish(&s, 1700000009, c->errmsg);
	good = rc == VN_OK && first == c->chunk_rc && sk.bad == 0 &&
	    strcmp(buf_cstr(&sk.log), c->want) == 0;
	OK(good, "stream: %s", c->name);
	if (!good)
		printf("#   finish %d, first chunk error %d, %d bad events\n"
		    "# got:\n%s# want:\n%s", rc, first, sk.bad,
		    buf_cstr(&sk.log), c->want);
	fin = respconv_stream_response(&s);
	good = respconv_stream_result(&s, &res) == VN_OK && fin != NULL &&
	    strcmp(res.status, gs(fin, "status")) == 0 &&
	    json_object_equal(res.output, json_object_object_get(fin,
	    "output")) && strcmp(gs(fin, "id"), "resp_test") == 0 &&
	    s.seq == sk.n;
	OK(good, "stream: %s: the result matches the final response",
	    c->name);
	respconv_result_free(&res);
	respconv_stream_free(&s);
	respconv_stream_free(&s);
	json_object_put(req);
	buf_free(&sk.log);
}

static void
test_stream(void)
{
	size_t	 i;

	for (i = 0; i < VN_NELEM(stream_cases); i++)
		run_stream(&stream_cases[i]);
}

/*
 * The callback fails on the fifth event: no more are sent, every call
 * says so, yet the rest of the answer is still converted and kept.
 */
static void
test_stream_sticky(void)
{
	static const char *const chunks[] = {
		CH(J({"content":"Hello"})), CH(J({"content":" world"})),
		CH(J({"tool_calls":[{"index":0,"id":"call_1","function":{
		    "name":"f","arguments":"{}"}}]})), FIN("tool_calls"),
		USAGE(2, 3, 5), "[DONE]",
	};
	struct respconv_stream	 s;
	struct respconv_fields	 base;
	struct respconv_result	 res;
	struct json_object	*req, *v, *it;
	struct sink		 sk;
	enum vn_err		 rc;
	size_t			 i;
	int			 all = 1;

	memset(&sk, 0, sizeof(sk));
	buf_init(&sk.log, LOG_MAX);
	sk.fail_at = 5;
	req = parse(REQ);
	memset(&base, 0, sizeof(base));
	base.req = req;
	base.id = "resp_s";
	respconv_stream_init(&s, &base, 0, record, &sk);
	OK(respconv_stream_result(&s, &res) == VN_EINVAL,
	    "sticky: no result before finish");
	for (i = 0; i < VN_NELEM(chunks); i++) {
		rc = respconv_stream_chunk(&s, chunks[i], strlen(chunks[i]));
		if (i > 0 && rc != VN_ECLIENT)
			all = 0;
	}
	OK(all, "sticky: every chunk after the failure reports it");
	is_int(respconv_stream_finish(&s, 5, NULL), VN_ECLIENT,
	    "sticky: finish reports it");
	is_int(sk.n, 5, "sticky: nothing is sent after the failing event");
	OK(respconv_stream_result(&s, &res) == VN_OK &&
	    strcmp(res.status, "completed") == 0 && res.have_usage &&
	    res.input_tokens == 2 && res.output_tokens == 3 &&
	    json_object_array_length(res.output) == 2,
	    "sticky: the whole answer is still converted");
	it = res.output != NULL ? json_object_array_get_idx(res.output, 0) :
	    NULL;
	OK(it != NULL && json_object_object_get_ex(it, "content", &v) &&
	    strcmp(gs(json_object_array_get_idx(v, 0), "text"),
	    "Hello world") == 0, "sticky: with all its text");
	respconv_result_free(&res);
	respconv_stream_free(&s);
	json_object_put(req);
	buf_free(&sk.log);
}

int
main(void)
{
	if (!ids_init()) {
		printf("Bail out! libsodium\n");
		return 1;
	}
	test_check();
	test_input_items();
	test_chat();
	test_output();
	test_response();
	test_stream();
	test_stream_sticky();
	return done_testing();
}
