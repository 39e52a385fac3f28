/*
 * api_chat.c: POST /v1/chat/completions and POST /v1/embeddings.  The
 * request is checked for what the gateway itself relies on (the model,
 * the messages, streaming); every other field is the upstream's to
 * judge and passes through untouched, so new OpenAI parameters work
 * without a new Venna.  Routing, failover, billing and the answer are
 * call.c's.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json.h>

#include "admission.h"
#include "api.h"
#include "call.h"
#include "cfg.h"
#include "ctx.h"
#include "jsonx.h"
#include "local.h"
#include "relay.h"
#include "reply.h"

#define MODEL_NAME_MAX	256
#define MAX_MESSAGES	100000

static const char *const roles[] = {
	"system", "developer", "user", "assistant", "tool", "function",
};

/*
 * Check the messages of a chat request: an array of 1 to MAX_MESSAGES
 * objects with a known role and a content of the right kind.  Pure over
 * the JSON; failures go to f with the parameter's path.
 */
static enum vn_err
check_messages(struct json_object *req, struct fault *f)
{
	struct json_object	*msgs, *m, *content, *v;
	const char		*role = NULL;
	char			 ctx[48];
	size_t			 i, k, n;
	int			 known, has_tools;

	if (!json_object_object_get_ex(req, "messages", &msgs) ||
	    json_object_is_type(msgs, json_type_null))
		return fault_set(f, VN_EINVAL, "messages",
		    "missing_required_parameter",
		    "Missing required parameter: 'messages'.");
	if (!json_object_is_type(msgs, json_type_array))
		return fault_set(f, VN_EINVAL, "messages", "invalid_type",
		    "Invalid type for 'messages': expected an array, but got "
		    "%s instead.", jsonx_type_name(msgs));
	n = json_object_array_length(msgs);
	if (n == 0 || n > MAX_MESSAGES)
		return fault_set(f, VN_EINVAL, "messages", n == 0 ?
		    "empty_array" : "array_above_max_length", "Invalid "
		    "'messages': expected an array of 1 to %d messages.",
		    MAX_MESSAGES);
	for (i = 0; i < n; i++) {
		m = json_object_array_get_idx(msgs, i);
		snprintf(ctx, sizeof(ctx), "messages[%zu]", i);
		if (!json_object_is_type(m, json_type_object))
			return fault_set(f, VN_EINVAL, ctx, "invalid_type",
			    "Invalid type for '%s': expected an object, but "
			    "got %s instead.", ctx, jsonx_type_name(m));
		if (jsonx_string(m, "role", ctx, 1, 32, &role, f) != VN_OK)
			return VN_EINVAL;
		for (known = 0, k = 0; k < VN_NELEM(roles); k++)
			known |= strcmp(role, roles[k]) == 0;
		if (!known) {
			snprintf(ctx + strlen(ctx), sizeof(ctx) - strlen(ctx),
			    ".role");
			return fault_set(f, VN_EINVAL, ctx, "invalid_value",
			    "Invalid value: '%.32s'. Supported values are: "
			    "'system', 'assistant', 'user', 'function', 'tool', "
			    "and 'developer'.", role);
		}
		has_tools = json_object_object_get_ex(m, "tool_calls", &v) ||
		    json_object_object_get_ex(m, "function_call", &v);
		if (!json_object_object_get_ex(m, "content", &content) ||
		    json_object_is_type(content, json_type_null)) {
			if (strcmp(role, "assistant") == 0 &&
			    (has_tools || json_object_object_get_ex(m,
			    "refusal", &v) || json_object_object_get_ex(m,
			    "audio", &v)))
				continue;
			snprintf(ctx + strlen(ctx), sizeof(ctx) - strlen(ctx),
			    ".content");
			return fault_set(f, VN_EINVAL, ctx,
			    "missing_required_parameter", "Missing required "
			    "parameter: '%s'.", ctx);
		}
		if (!json_object_is_type(content, json_type_string) &&
		    !json_object_is_type(content, json_type_array)) {
			snprintf(ctx + strlen(ctx), sizeof(ctx) - strlen(ctx),
			    ".content");
			return fault_set(f, VN_EINVAL, ctx, "invalid_type",
			    "Invalid type for '%s': expected one of a string "
			    "or array of objects, but got %s instead.", ctx,
			    jsonx_type_name(content));
		}
		if (strcmp(role, "tool") == 0 && jsonx_string(m,
		    "tool_call_id", ctx, 1, 256, &role, f) != VN_OK)
			return VN_EINVAL;
	}
	return VN_OK;
}

/*
 * The checks the gateway needs: the model, the messages, and stream
 * with stream_options (only valid with stream, as the API says).
 */
static enum vn_err
check_chat(struct json_object *req, const char **model, int *stream,
    int *client_usage, struct fault *f)
{
	struct json_object	*so;
	int64_t			 n;

	*stream = 0;
	*client_usage = 0;
	if (jsonx_string(req, "model", NULL, 1, MODEL_NAME_MAX, model, f) !=
	    VN_OK || check_messages(req, f) != VN_OK ||
	    jsonx_bool(req, "stream", NULL, stream, NULL, f) != VN_OK ||
	    jsonx_int(req, "n", NULL, 0, 1, 128, &n, NULL, f) != VN_OK ||
	    jsonx_metadata(req, "metadata", f) != VN_OK)
		return VN_EINVAL;
	if (json_object_object_get_ex(req, "stream_options", &so) &&
	    !json_object_is_type(so, json_type_null)) {
		if (!*stream)
			return fault_set(f, VN_EINVAL, "stream_options",
			    "invalid_value", "The 'stream_options' parameter "
			    "is only allowed when 'stream' is enabled.");
		if (!json_object_is_type(so, json_type_object))
			return fault_set(f, VN_EINVAL, "stream_options",
			    "invalid_type", "Invalid type for "
			    "'stream_options': expected an object, but got "
			    "%s instead.", jsonx_type_name(so));
		if (jsonx_bool(so, "include_usage", "stream_options",
		    client_usage, NULL, f) != VN_OK)
			return VN_EINVAL;
	}
	return VN_OK;
}


/* What differs between the model endpoints. */
static const struct endpoint {
	const char	*endpoint;	/* for the ledger */
	const char	*path;		/* after the upstream's base_url */
	const char	*expect;	/* key of a good answer */
	enum vn_err	(*local)(struct ctx *, struct relay *,
			    const struct call_spec *);
} endpoints[] = {
	{ "/v1/chat/completions", "/chat/completions", "choices",
	    local_chat },
	{ "/v1/embeddings", "/embeddings", "data", local_embeddings },
};

/*
 * Run the call of endpoint e for the client's model: find the model
 * section (or answer 404 model_not_found), drop routing fields from the
 * body, and let call.c route, relay and bill it.
 */
static enum vn_err
run(struct ctx *c, const struct endpoint *e, const char *model, int stream,
    int client_usage)
{
	struct call_spec	 sp;
	struct relay		 rl;
	char			*name;
	enum vn_err		 rc;

	memset(&sp, 0, sizeof(sp));
	/* A copy: the body it points into is about to be rewritten. */
	if ((name = strdup(model)) == NULL)
		return VN_ENOMEM;
	if ((rc = admission_model(c, name, &sp.model)) != VN_OK) {
		free(name);
		return rc;
	}
	sp.endpoint = e->endpoint;
	sp.path = e->path;
	sp.expect = e->expect;
	sp.local = e->local;
	sp.model_name = name;
	sp.body = c->json;
	sp.raw = c->body.data;
	sp.raw_len = c->body.len;
	sp.stream = stream;
	relay_init(&rl, c, stream, client_usage);
	rc = call_model(c, &rl, &sp);
	relay_free(&rl);
	free(name);
	return rc;
}

enum vn_err
api_chat_completions(struct ctx *c)
{
	const char		*model = NULL;
	int			 stream, client_usage;

	if (check_chat(c->json, &model, &stream, &client_usage, &c->fault) !=
	    VN_OK)
		return c->fault.err;
	return run(c, &endpoints[0], model, stream, client_usage);
}

/*
 * POST /v1/embeddings: routed, failed over and billed like chat (input
 * tokens only), so batches can target it.
 */
enum vn_err
api_embeddings(struct ctx *c)
{
	struct json_object	*in;
	const char		*model = NULL;

	if (jsonx_string(c->json, "model", NULL, 1, MODEL_NAME_MAX, &model,
	    &c->fault) != VN_OK)
		return VN_EINVAL;
	if (!json_object_object_get_ex(c->json, "input", &in) ||
	    json_object_is_type(in, json_type_null))
		return fault_set(&c->fault, VN_EINVAL, "input",
		    "missing_required_parameter",
		    "Missing required parameter: 'input'.");
	if (!json_object_is_type(in, json_type_string) &&
	    (!json_object_is_type(in, json_type_array) ||
	    json_object_array_length(in) == 0))
		return fault_set(&c->fault, VN_EINVAL, "input", "invalid_type",
		    "Invalid type for 'input': expected a string or a "
		    "non-empty array.");
	return run(c, &endpoints[1], model, 0, 0);
}
