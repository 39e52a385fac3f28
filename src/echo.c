/*
 * echo.c: the built-in model.  It exists so that a fresh install, a
 * demo and the tests answer offline, and so that everything around an
 * upstream (routing, streaming, billing, batches, the Responses API)
 * can be exercised without one.  So its answers are deterministic and
 * its shapes exact:
 *  - the reply repeats the text of the last user message;
 *  - when the request offers function tools (and tool_choice is not
 *    "none"), it calls the chosen or first one with {"input": <text>};
 *  - after a tool result it replies "Tool result: <output>";
 *  - a token is a whitespace-separated word: usage counts words, a
 *    stream sends one word per chunk, max_completion_tokens truncates.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>
#include <sodium.h>

#include "buf.h"
#include "echo.h"
#include "fault.h"
#include "ids.h"
#include "jsonx.h"

#define ECHO_MAX_REPLY	(1024 * 1024)
#define ECHO_MAX_CHUNK	(64 * 1024)

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* One token per whitespace-separated word.  Pure. */
int64_t
echo_count_words(const char *s, size_t n)
{
	int64_t	 words = 0;
	size_t	 i;
	int	 in = 0;

	for (i = 0; i < n; i++) {
		if (is_space(s[i]))
			in = 0;
		else if (!in) {
			in = 1;
			words++;
		}
	}
	return words;
}

/*
 * The text of a message's content: a string, or the "text" of its parts
 * joined by spaces; other parts (images, audio, files) count as one
 * token each through *extra.
 */
static enum vn_err
content_text(struct json_object *content, struct buf *out, int64_t *extra)
{
	struct json_object	*part, *text, *type;
	size_t			 i, n;
	enum vn_err		 rc = VN_OK;

	if (content == NULL || json_object_is_type(content, json_type_null))
		return VN_OK;
	if (json_object_is_type(content, json_type_string))
		return buf_add(out, json_object_get_string(content),
		    (size_t)json_object_get_string_len(content));
	if (!json_object_is_type(content, json_type_array))
		return VN_OK;
	n = json_object_array_length(content);
	for (i = 0; i < n && rc == VN_OK; i++) {
		part = json_object_array_get_idx(content, i);
		if (json_object_object_get_ex(part, "text", &text) &&
		    json_object_is_type(text, json_type_string)) {
			if (out->len > 0)
				rc = buf_addc(out, ' ');
			if (rc == VN_OK)
				rc = buf_add(out, json_object_get_string(text),
				    (size_t)json_object_get_string_len(text));
		} else if (json_object_object_get_ex(part, "type", &type))
			(*extra)++;
	}
	return rc;
}

/* The function to call, or NULL when no tool call is wanted. */
static const char *
chosen_tool(struct json_object *req)
{
	struct json_object	*tools, *choice, *t, *fn, *name, *type;
	const char		*want = NULL;
	size_t			 i, n;

	if (!json_object_object_get_ex(req, "tools", &tools) ||
	    !json_object_is_type(tools, json_type_array) ||
	    (n = json_object_array_length(tools)) == 0)
		return NULL;
	if (json_object_object_get_ex(req, "tool_choice", &choice)) {
		if (json_object_is_type(choice, json_type_string) &&
		    strcmp(json_object_get_string(choice), "none") == 0)
			return NULL;
		if (json_object_is_type(choice, json_type_object) &&
		    json_object_object_get_ex(choice, "function", &fn) &&
		    json_object_object_get_ex(fn, "name", &name) &&
		    json_object_is_type(name, json_type_string))
			want = json_object_get_string(name);
	}
	for (i = 0; i < n; i++) {
		t = json_object_array_get_idx(tools, i);
		if (!json_object_object_get_ex(t, "type", &type) ||
		    strcmp(json_object_get_string(type), "function") != 0 ||
		    !json_object_object_get_ex(t, "function", &fn) ||
		    !json_object_object_get_ex(fn, "name", &name) ||
		    !json_object_is_type(name, json_type_string))
			continue;
		if (want == NULL || strcmp(want,
		    json_object_get_string(name)) == 0)
			return json_object_get_string(name);
	}
	return NULL;
}

/* Keep the first max words of b (and what separates them). */
static int
truncate_words(struct buf *b, int64_t max)
{
	size_t	 i;
	int64_t	 words = 0;
	int	 in = 0;

	for (i = 0; i < b->len; i++) {
		if (is_space(b->data[i]))
			in = 0;
		else if (!in) {
			in = 1;
			if (++words > max) {
				while (i > 0 && is_space(b->data[i - 1]))
					i--;
				b->len = i;
				b->data[i] = '\0';
				return 1;
			}
		}
	}
	return 0;
}

/*
 * Compute the echo model's answer to a chat request (already checked
 * by the caller to have "messages").  The reply is the caller's to
 * release with echo_reply_free().
 */
enum vn_err
echo_chat(struct json_object *req, struct echo_reply *rep, struct fault *f)
{
	struct json_object	*msgs, *m, *role, *content, *v;
	struct buf		 all, last, text;
	const char		*tool, *r;
	int64_t			 extra = 0, ignore = 0, max = -1, n = 1;
	size_t			 i, count;
	enum vn_err		 rc = VN_OK;
	int			 after_tool = 0;

	memset(rep, 0, sizeof(*rep));
	buf_init(&all, ECHO_MAX_REPLY * 4);
	buf_init(&last, ECHO_MAX_REPLY);
	buf_init(&text, ECHO_MAX_REPLY);
	json_object_object_get_ex(req, "messages", &msgs);
	count = json_object_array_length(msgs);
	for (i = 0; i < count && rc == VN_OK; i++) {
		m = json_object_array_get_idx(msgs, i);
		content = NULL;
		json_object_object_get_ex(m, "content", &content);
		r = json_object_object_get_ex(m, "role", &role) ?
		    json_object_get_string(role) : "";
		rc = buf_addc(&all, ' ');
		if (rc == VN_OK)
			rc = content_text(content, &all, &extra);
		if (strcmp(r, "user") == 0 || strcmp(r, "tool") == 0) {
			buf_reset(&last);
			if (rc == VN_OK)	/* its parts were counted above */
				rc = content_text(content, &last, &ignore);
			after_tool = strcmp(r, "tool") == 0;
		}
	}
	if (rc != VN_OK)
		goto out;
	rep->prompt_tokens = echo_count_words(all.data, all.len) + extra;

	if (json_object_object_get_ex(req, "max_completion_tokens", &v) &&
	    json_object_is_type(v, json_type_int))
		max = json_object_get_int64(v);
	else if (json_object_object_get_ex(req, "max_tokens", &v) &&
	    json_object_is_type(v, json_type_int))
		max = json_object_get_int64(v);
	if (jsonx_int(req, "n", NULL, 0, 1, ECHO_MAX_CHOICES, &n, NULL, f) !=
	    VN_OK) {
		rc = VN_EINVAL;
		goto out;
	}
	rep->n = (int)n;

	if (!after_tool && (tool = chosen_tool(req)) != NULL) {
		if ((rc = buf_addstr(&text, "{\"input\":")) != VN_OK ||
		    (rc = buf_add_json_string(&text, buf_cstr(&last),
		    last.len)) != VN_OK || (rc = buf_addc(&text, '}')) != VN_OK)
			goto out;
		rep->tool_name = strdup(tool);
		rep->tool_args = buf_steal(&text);
		ids_new(rep->call_id, sizeof(rep->call_id), "call_", 24);
		rep->finish_reason = "tool_calls";
		rep->completion_tokens = echo_count_words(rep->tool_args,
		    strlen(rep->tool_args));
		if (rep->tool_name == NULL || rep->tool_args == NULL)
			rc = VN_ENOMEM;
		goto out;
	}
	if (after_tool)
		rc = buf_addstr(&text, "Tool result: ");
	if (rc == VN_OK)
		rc = buf_add(&text, buf_cstr(&last), last.len);
	if (rc != VN_OK)
		goto out;
	rep->finish_reason = max >= 0 && truncate_words(&text, max) ?
	    "length" : "stop";
	rep->completion_tokens = echo_count_words(buf_cstr(&text), text.len);
	rep->text_len = text.len;
	if ((rep->text = buf_steal(&text)) == NULL &&
	    (rep->text = strdup("")) == NULL)
		rc = VN_ENOMEM;
out:
	buf_free(&all);
	buf_free(&last);
	buf_free(&text);
	if (rc != VN_OK) {
		echo_reply_free(rep);
		if (f->err == VN_OK)
			fault_set(f, rc, NULL, NULL, "The echo model could not "
			    "answer.");
	}
	return rc;
}

void
echo_reply_free(struct echo_reply *rep)
{
	free(rep->text);
	free(rep->tool_name);
	free(rep->tool_args);
	rep->text = rep->tool_name = rep->tool_args = NULL;
}

static enum vn_err
usage_json(struct buf *b, const struct echo_reply *rep)
{
	return buf_addf(b, "{\"prompt_tokens\":%lld,\"completion_tokens\":"
	    "%lld,\"total_tokens\":%lld,\"prompt_tokens_details\":"
	    "{\"cached_tokens\":0,\"audio_tokens\":0},"
	    "\"completion_tokens_details\":{\"reasoning_tokens\":0,"
	    "\"audio_tokens\":0,\"accepted_prediction_tokens\":0,"
	    "\"rejected_prediction_tokens\":0}}",
	    (long long)rep->prompt_tokens,
	    (long long)(rep->completion_tokens * rep->n),
	    (long long)(rep->prompt_tokens + rep->completion_tokens * rep->n));
}

static enum vn_err
tool_call_json(struct buf *b, const struct echo_reply *rep)
{
	enum vn_err	 rc;

	if ((rc = buf_addf(b, "[{\"id\":\"%s\",\"type\":\"function\","
	    "\"function\":{\"name\":", rep->call_id)) != VN_OK ||
	    (rc = buf_add_json_string(b, rep->tool_name,
	    strlen(rep->tool_name))) != VN_OK ||
	    (rc = buf_addstr(b, ",\"arguments\":")) != VN_OK ||
	    (rc = buf_add_json_string(b, rep->tool_args,
	    strlen(rep->tool_args))) != VN_OK)
		return rc;
	return buf_addstr(b, "}}]");
}

/* The non-streamed chat.completion object (openai-api.md §4.3). */
enum vn_err
echo_completion(const struct echo_reply *rep, const char *id, long created,
    const char *model, struct buf *b)
{
	enum vn_err	 rc;
	int		 i;

	if ((rc = buf_addf(b, "{\"id\":\"%s\",\"object\":\"chat.completion\","
	    "\"created\":%ld,\"model\":", id, created)) != VN_OK ||
	    (rc = buf_add_json_string(b, model, strlen(model))) != VN_OK ||
	    (rc = buf_addstr(b, ",\"choices\":[")) != VN_OK)
		return rc;
	for (i = 0; i < rep->n && rc == VN_OK; i++) {
		rc = buf_addf(b, "%s{\"index\":%d,\"message\":{\"role\":"
		    "\"assistant\",\"content\":", i > 0 ? "," : "", i);
		if (rc != VN_OK)
			break;
		if (rep->text != NULL)
			rc = buf_add_json_string(b, rep->text, rep->text_len);
		else if ((rc = buf_addstr(b, "null,\"tool_calls\":")) == VN_OK)
			rc = tool_call_json(b, rep);
		if (rc == VN_OK)
			rc = buf_addf(b, ",\"refusal\":null,\"annotations\":[]},"
			    "\"logprobs\":null,\"finish_reason\":\"%s\"}",
			    rep->finish_reason);
	}
	if (rc == VN_OK)
		rc = buf_addstr(b, "],\"usage\":");
	if (rc == VN_OK)
		rc = usage_json(b, rep);
	if (rc == VN_OK)
		rc = buf_addstr(b, ",\"service_tier\":\"default\"}");
	return rc;
}

/* The common start of every chunk: id, object, created, model. */
static enum vn_err
chunk_head(struct buf *b, const char *id, long created, const char *model)
{
	enum vn_err	 rc;

	buf_reset(b);
	if ((rc = buf_addf(b, "{\"id\":\"%s\",\"object\":"
	    "\"chat.completion.chunk\",\"created\":%ld,\"model\":", id,
	    created)) != VN_OK)
		return rc;
	if ((rc = buf_add_json_string(b, model, strlen(model))) != VN_OK)
		return rc;
	return buf_addstr(b, ",\"service_tier\":\"default\",\"choices\":[");
}

static enum vn_err
chunk_end(struct buf *b, int include_usage, echo_emit emit, void *arg)
{
	enum vn_err	 rc;

	rc = buf_addstr(b, include_usage ? "],\"usage\":null}" : "]}");
	if (rc == VN_OK)
		rc = emit(arg, b->data, b->len);
	return rc;
}

/*
 * Stream the reply as chat.completion.chunk events (openai-api.md
 * §4.4): a role chunk, one chunk per word (or per argument piece of a
 * tool call), a finish chunk per choice, and the usage chunk when asked
 * for.  The caller writes each "data:" event and the final [DONE].
 */
enum vn_err
echo_stream(const struct echo_reply *rep, const char *id, long created,
    const char *model, int include_usage, echo_emit emit, void *arg)
{
	struct buf	 b;
	const char	*s, *p, *end;
	enum vn_err	 rc = VN_OK;
	int		 i;

	buf_init(&b, ECHO_MAX_CHUNK + ECHO_MAX_REPLY);
	for (i = 0; i < rep->n && rc == VN_OK; i++) {
		if ((rc = chunk_head(&b, id, created, model)) != VN_OK ||
		    (rc = buf_addf(&b, "{\"index\":%d,\"delta\":{\"role\":"
		    "\"assistant\",\"content\":%s,\"refusal\":null},"
		    "\"logprobs\":null,\"finish_reason\":null}", i,
		    rep->text != NULL ? "\"\"" : "null")) != VN_OK ||
		    (rc = chunk_end(&b, include_usage, emit, arg)) != VN_OK)
			break;
		if (rep->tool_name != NULL) {
			if ((rc = chunk_head(&b, id, created, model)) != VN_OK ||
			    (rc = buf_addf(&b, "{\"index\":%d,\"delta\":"
			    "{\"tool_calls\":[{\"index\":0,\"id\":\"%s\","
			    "\"type\":\"function\",\"function\":{\"name\":",
			    i, rep->call_id)) != VN_OK ||
			    (rc = buf_add_json_string(&b, rep->tool_name,
			    strlen(rep->tool_name))) != VN_OK ||
			    (rc = buf_addstr(&b, ",\"arguments\":\"\"}}]},"
			    "\"logprobs\":null,\"finish_reason\":null}")) !=
			    VN_OK ||
			    (rc = chunk_end(&b, include_usage, emit, arg)) !=
			    VN_OK)
				break;
		}
		/* One word (with the space after it) per chunk. */
		s = rep->text != NULL ? rep->text : rep->tool_args;
		end = s + (rep->text != NULL ? rep->text_len : strlen(s));
		for (p = s; p < end && rc == VN_OK; s = p) {
			while (p < end && !is_space(*p))
				p++;
			while (p < end && is_space(*p))
				p++;
			if ((rc = chunk_head(&b, id, created, model)) != VN_OK)
				break;
			if (rep->tool_name != NULL)
				rc = buf_addf(&b, "{\"index\":%d,\"delta\":"
				    "{\"tool_calls\":[{\"index\":0,\"function\":"
				    "{\"arguments\":", i);
			else
				rc = buf_addf(&b, "{\"index\":%d,\"delta\":"
				    "{\"content\":", i);
			if (rc == VN_OK)
				rc = buf_add_json_string(&b, s,
				    (size_t)(p - s));
			if (rc == VN_OK)
				rc = buf_addstr(&b, rep->tool_name != NULL ?
				    "}}]},\"logprobs\":null,\"finish_reason\":"
				    "null}" : "},\"logprobs\":null,"
				    "\"finish_reason\":null}");
			if (rc == VN_OK)
				rc = chunk_end(&b, include_usage, emit, arg);
		}
		if (rc != VN_OK)
			break;
		if ((rc = chunk_head(&b, id, created, model)) != VN_OK ||
		    (rc = buf_addf(&b, "{\"index\":%d,\"delta\":{},"
		    "\"logprobs\":null,\"finish_reason\":\"%s\"}", i,
		    rep->finish_reason)) != VN_OK)
			break;
		rc = chunk_end(&b, include_usage, emit, arg);
	}
	if (rc == VN_OK && include_usage) {
		if ((rc = chunk_head(&b, id, created, model)) == VN_OK &&
		    (rc = buf_addstr(&b, "],\"usage\":")) == VN_OK &&
		    (rc = usage_json(&b, rep)) == VN_OK &&
		    (rc = buf_addc(&b, '}')) == VN_OK)
			rc = emit(arg, b.data, b.len);
	}
	buf_free(&b);
	return rc;
}

/*
 * The inputs of an embeddings request: a string, an array of tokens
 * (one input), or an array of strings or of token arrays.  Returns how
 * many, and sets *single when the input itself is the only one.
 */
static size_t
embed_inputs(struct json_object *in, int *single)
{
	struct json_object	*first;

	*single = 1;
	if (!json_object_is_type(in, json_type_array))
		return 1;
	first = json_object_array_get_idx(in, 0);
	if (json_object_is_type(first, json_type_int))
		return 1;
	*single = 0;
	return json_object_array_length(in);
}

/* Append the vector's float32s, little-endian, in base64. */
static enum vn_err
add_base64(struct buf *b, const float *v, size_t n)
{
	unsigned char	 raw[4096 * 4];
	char		 out[sizeof(raw) * 4 / 3 + 8];
	size_t		 i;

	for (i = 0; i < n; i++) {
		uint32_t u;

		memcpy(&u, &v[i], 4);
		raw[4 * i] = (unsigned char)u;
		raw[4 * i + 1] = (unsigned char)(u >> 8);
		raw[4 * i + 2] = (unsigned char)(u >> 16);
		raw[4 * i + 3] = (unsigned char)(u >> 24);
	}
	sodium_bin2base64(out, sizeof(out), raw, n * 4,
	    sodium_base64_VARIANT_ORIGINAL);
	return buf_addf(b, "\"%s\"", out);
}

/*
 * POST /v1/embeddings on the echo model: each input gets a vector of
 * "dimensions" (default 8) floats in [-1, 1] derived from a hash of it,
 * so equal inputs embed equally; as JSON numbers, or as base64 of
 * little-endian float32s when encoding_format is "base64" (what the
 * SDKs ask for by default).  *tokens counts words, or tokens for token
 * arrays.
 */
enum vn_err
echo_embeddings(struct json_object *req, const char *model, struct buf *b,
    int64_t *tokens, struct fault *f)
{
	struct json_object	*in, *item;
	unsigned char		 h[64];
	float			 vec[4096];
	const char		*fmt = "float", *text;
	char			 seed[crypto_generichash_KEYBYTES_MIN];
	int64_t			 dims = 8, k;
	size_t			 i, n;
	int			 single;
	enum vn_err		 rc;

	if (jsonx_int(req, "dimensions", NULL, 0, 1, 4096, &dims, NULL, f) !=
	    VN_OK || jsonx_string(req, "encoding_format", NULL, 0, 16, &fmt,
	    f) != VN_OK)
		return VN_EINVAL;
	if (strcmp(fmt, "float") != 0 && strcmp(fmt, "base64") != 0)
		return fault_set(f, VN_EINVAL, "encoding_format",
		    "invalid_value", "Invalid value: '%s'. Supported values "
		    "are: 'float' and 'base64'.", fmt);
	json_object_object_get_ex(req, "input", &in);
	n = embed_inputs(in, &single);
	*tokens = 0;
	if ((rc = buf_addstr(b, "{\"object\":\"list\",\"data\":[")) != VN_OK)
		return rc;
	for (i = 0; i < n && rc == VN_OK; i++) {
		item = single ? in : json_object_array_get_idx(in, i);
		*tokens += json_object_is_type(item, json_type_string) ?
		    echo_count_words(json_object_get_string(item),
		    (size_t)json_object_get_string_len(item)) :
		    (int64_t)(json_object_is_type(item, json_type_array) ?
		    json_object_array_length(item) : 1);
		if ((text = json_object_to_json_string(item)) == NULL)
			return VN_ENOMEM;
		for (k = 0; k < dims; k++) {
			if (k % 64 == 0) {
				memset(seed, 0, sizeof(seed));
				snprintf(seed, sizeof(seed), "%d",
				    (int)(k / 64));
				crypto_generichash(h, sizeof(h),
				    (const unsigned char *)text, strlen(text),
				    (const unsigned char *)seed, sizeof(seed));
			}
			vec[k] = (float)h[k % 64] / 127.5f - 1.0f;
		}
		rc = buf_addf(b, "%s{\"object\":\"embedding\",\"index\":%zu,"
		    "\"embedding\":", i > 0 ? "," : "", i);
		if (rc == VN_OK && strcmp(fmt, "base64") == 0)
			rc = add_base64(b, vec, (size_t)dims);
		else if (rc == VN_OK) {
			rc = buf_addc(b, '[');
			for (k = 0; k < dims && rc == VN_OK; k++)
				/* %.9g: exactly the float32, like base64. */
				rc = buf_addf(b, "%s%.9g", k > 0 ? "," : "",
				    (double)vec[k]);
			if (rc == VN_OK)
				rc = buf_addc(b, ']');
		}
		if (rc == VN_OK)
			rc = buf_addc(b, '}');
	}
	if (rc == VN_OK)
		rc = buf_addstr(b, "],\"model\":");
	if (rc == VN_OK)
		rc = buf_add_json_string(b, model, strlen(model));
	if (rc == VN_OK)
		rc = buf_addf(b, ",\"usage\":{\"prompt_tokens\":%lld,"
		    "\"total_tokens\":%lld}}", (long long)*tokens,
		    (long long)*tokens);
	return rc;
}
