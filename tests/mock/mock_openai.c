/*
 * mock_openai.c: the OpenAI side of the mock upstream: error envelopes,
 * chat completions (whole, or as SSE events rendered one at a time),
 * embeddings and the model list, in the shapes of openai-api.md
 * sections 4, 6 and 7.  Token counts are word counts, so tests can
 * predict the bill.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json.h>

#include "mock.h"

/* Status line reasons and the error envelope used for each status. */
static const struct errdef err_tab[] = {
	{ 200, "OK", NULL, NULL, NULL },
	{ 400, "Bad Request", "invalid_request_error", NULL,
	    "The request is invalid (mock)." },
	{ 401, "Unauthorized", "invalid_request_error", "invalid_api_key",
	    "Incorrect API key provided (mock)." },
	{ 403, "Forbidden", "invalid_request_error",
	    "unsupported_country_region_territory",
	    "Country, region, or territory not supported (mock)." },
	{ 404, "Not Found", "invalid_request_error", "model_not_found",
	    "The model does not exist or you do not have access to it "
	    "(mock)." },
	{ 408, "Request Timeout", "invalid_request_error", NULL,
	    "Request timed out (mock)." },
	{ 409, "Conflict", "invalid_request_error", NULL, "Conflict (mock)." },
	{ 413, "Payload Too Large", "invalid_request_error",
	    "request_too_large", "The request is too large (mock)." },
	{ 422, "Unprocessable Entity", "invalid_request_error", NULL,
	    "Unprocessable entity (mock)." },
	{ 429, "Too Many Requests", "requests", "rate_limit_exceeded",
	    "Rate limit reached for mock on requests per min (RPM). Please "
	    "try again later." },
	{ 431, "Request Header Fields Too Large", "invalid_request_error",
	    NULL, "Request headers too large (mock)." },
	{ 500, "Internal Server Error", "server_error", NULL,
	    "The server had an error while processing your request (mock)." },
	{ 502, "Bad Gateway", "server_error", NULL, "Bad gateway (mock)." },
	{ 503, "Service Unavailable", "service_unavailable_error",
	    "server_is_overloaded",
	    "The engine is currently overloaded, please try again later "
	    "(mock)." },
	{ 504, "Gateway Timeout", "server_error", NULL,
	    "Gateway timeout (mock)." },
};

/* The err_tab[] row of status, or NULL. */
const struct errdef *
openai_errdef(int status)
{
	size_t	 i;

	for (i = 0; i < sizeof(err_tab) / sizeof(err_tab[0]); i++)
		if (err_tab[i].status == status)
			return &err_tab[i];
	return NULL;
}

/* A response with default knobs, answering 200 and JSON until told. */
struct resp *
resp_new(void)
{
	struct resp	*r;

	r = xrealloc(NULL, sizeof(*r));
	memset(r, 0, sizeof(*r));
	knobs_init(&r->k);
	r->status = 200;
	r->ctype = "application/json";
	r->body.max = MAX_OUT;
	return r;
}

/* Free r and all it owns; NULL is a no-op. */
void
resp_free(struct resp *r)
{
	if (r == NULL)
		return;
	free(r->k.text);
	sb_free(&r->body);
	free(r->head);
	free(r->text);
	free(r->tool_name);
	free(r);
}

/* Make r a JSON answer: takes the reference to o. */
void
resp_json(struct resp *r, int status, json_object *o)
{
	r->status = status;
	r->stream = 0;
	r->ctype = "application/json";
	r->body.len = 0;
	sb_addj(&r->body, o);
	json_object_put(o);
}

/*
 * Make r an OpenAI error envelope (openai-api.md 6.1: all four keys,
 * param and code may be null).  A NULL msg or code takes the status's
 * default from err_tab[]; a code of "" is sent as null.
 */
void
resp_error(struct resp *r, int status, const char *msg, const char *param,
    const char *code)
{
	const struct errdef	*d = openai_errdef(status);
	json_object		*o, *e;
	const char		*type;

	type = d != NULL ? d->type :
	    status >= 500 ? "server_error" : "invalid_request_error";
	if (msg == NULL)
		msg = d != NULL ? d->msg : "Error (mock).";
	if (code == NULL && d != NULL)
		code = d->code;	/* "" stays: JSON null */
	e = json_object_new_object();
	json_object_object_add(e, "message", json_object_new_string(msg));
	json_object_object_add(e, "type", json_object_new_string(type));
	json_object_object_add(e, "param",
	    param ? json_object_new_string(param) : NULL);
	json_object_object_add(e, "code", code != NULL && *code != '\0' ?
	    json_object_new_string(code) : NULL);
	o = json_object_new_object();
	json_object_object_add(o, "error", e);
	resp_json(r, status, o);
}

/* Count whitespace-separated words: the mock's deterministic "tokens". */
static long
words(const char *s, size_t n)
{
	long	 w = 0;
	int	 in = 0;
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' ||
		    s[i] == '\r' || s[i] == '\f' || s[i] == '\v')
			in = 0;
		else if (!in) {
			in = 1;
			w++;
		}
	}
	return w;
}

/*
 * The text of a message's content (a string or an array of text parts,
 * joined by spaces) appended to b; returns its word count.
 */
static long
content_text(json_object *content, struct sbuf *b)
{
	json_object	*part, *t;
	size_t		 i, n;
	long		 w = 0;

	if (json_object_is_type(content, json_type_string)) {
		if (b != NULL)
			sb_add(b, json_object_get_string(content),
			    (size_t)json_object_get_string_len(content));
		return words(json_object_get_string(content),
		    (size_t)json_object_get_string_len(content));
	}
	if (!json_object_is_type(content, json_type_array))
		return 0;
	n = json_object_array_length(content);
	for (i = 0; i < n; i++) {
		part = json_object_array_get_idx(content, i);
		if (!json_object_object_get_ex(part, "text", &t) ||
		    !json_object_is_type(t, json_type_string))
			continue;
		if (b != NULL && b->len > 0)
			sb_add(b, " ", 1);
		w += content_text(t, b);
	}
	return w;
}

/* Back n off to a UTF-8 character boundary of s. */
static size_t
utf8_floor(const char *s, size_t n)
{
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

/* A fresh id such as "chatcmpl-<24 hex digits>" in dst. */
void
openai_id(char *dst, size_t sz, const char *prefix)
{
	snprintf(dst, sz, "%s%016llx%08llx", prefix,
	    (unsigned long long)mock_rnd(),
	    (unsigned long long)(mock_rnd() >> 32));
}

/* The usage object for p prompt and c completion tokens (a new reference). */
static json_object *
usage_obj(long p, long c)
{
	json_object	*u, *d;

	u = json_object_new_object();
	json_object_object_add(u, "prompt_tokens", json_object_new_int64(p));
	json_object_object_add(u, "completion_tokens",
	    json_object_new_int64(c));
	json_object_object_add(u, "total_tokens", json_object_new_int64(p + c));
	d = json_object_new_object();
	json_object_object_add(d, "cached_tokens", json_object_new_int(0));
	json_object_object_add(d, "audio_tokens", json_object_new_int(0));
	json_object_object_add(u, "prompt_tokens_details", d);
	d = json_object_new_object();
	json_object_object_add(d, "reasoning_tokens", json_object_new_int(0));
	json_object_object_add(d, "audio_tokens", json_object_new_int(0));
	json_object_object_add(d, "accepted_prediction_tokens",
	    json_object_new_int(0));
	json_object_object_add(d, "rejected_prediction_tokens",
	    json_object_new_int(0));
	json_object_object_add(u, "completion_tokens_details", d);
	return u;
}

/* The model to echo: the request's, without any "?knobs" part. */
static size_t
model_base(json_object *req, const char **model)
{
	json_object	*v;
	const char	*q;

	*model = NULL;
	if (!json_object_object_get_ex(req, "model", &v) ||
	    !json_object_is_type(v, json_type_string))
		return 0;
	*model = json_object_get_string(v);
	q = strchr(*model, '?');
	return q ? (size_t)(q - *model) : strlen(*model);
}

/*
 * The request body must be a JSON object naming a model; otherwise the
 * 400 is sent here and 0 returned.
 */
static int
body_model(struct resp *r, struct req *q, const char **model, size_t *mlen)
{
	if (q->json == NULL ||
	    !json_object_is_type(q->json, json_type_object)) {
		resp_error(r, 400, "We could not parse the JSON body of your "
		    "request. (mock)", NULL, NULL);
		return 0;
	}
	*mlen = model_base(q->json, model);
	if (*model == NULL) {
		resp_error(r, 400, "you must provide a model parameter",
		    "model", "missing_required_parameter");
		return 0;
	}
	return 1;
}

/* Render the non-stream chat.completion body. */
static void
chat_body(struct resp *r, const char *id, long long created,
    const char *model, size_t mlen)
{
	json_object	*o, *msg, *ch, *arr, *tc, *fn;

	msg = json_object_new_object();
	json_object_object_add(msg, "role",
	    json_object_new_string("assistant"));
	json_object_object_add(msg, "content", r->tool ? NULL :
	    json_object_new_string_len(r->text, (int)r->textlen));
	json_object_object_add(msg, "refusal", NULL);
	if (r->tool) {
		fn = json_object_new_object();
		json_object_object_add(fn, "name",
		    json_object_new_string(r->tool_name));
		json_object_object_add(fn, "arguments",
		    json_object_new_string_len(r->text, (int)r->textlen));
		tc = json_object_new_object();
		json_object_object_add(tc, "id",
		    json_object_new_string(r->call_id));
		json_object_object_add(tc, "type",
		    json_object_new_string("function"));
		json_object_object_add(tc, "function", fn);
		arr = json_object_new_array();
		json_object_array_add(arr, tc);
		json_object_object_add(msg, "tool_calls", arr);
	}
	ch = json_object_new_object();
	json_object_object_add(ch, "index", json_object_new_int(0));
	json_object_object_add(ch, "message", msg);
	json_object_object_add(ch, "logprobs", NULL);
	json_object_object_add(ch, "finish_reason",
	    json_object_new_string(r->tool ? "tool_calls" : "stop"));
	arr = json_object_new_array();
	json_object_array_add(arr, ch);
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "object",
	    json_object_new_string("chat.completion"));
	json_object_object_add(o, "created", json_object_new_int64(created));
	json_object_object_add(o, "model",
	    json_object_new_string_len(model, (int)mlen));
	json_object_object_add(o, "choices", arr);
	json_object_object_add(o, "usage", usage_obj(r->ptok, r->ctok));
	resp_json(r, 200, o);
}

/*
 * POST /v1/chat/completions.  Reply: "mock reply to: <last user text>"
 * (or the text knob), padded to the bytes knob; a function call instead
 * when tool_calls=1 and the request has tools.  Tokens are word counts.
 */
void
openai_chat(struct resp *r, struct req *q)
{
	json_object	*msgs, *m, *v, *so, *args, *content;
	struct sbuf	 quote = { NULL, 0, 0, MAX_BODY };
	struct sbuf	 t = { NULL, 0, 0, MAX_OUT };
	const char	*model, *role;
	char		 id[48];
	size_t		 i, n, mlen;
	long long	 created = (long long)time(NULL);

	if (!body_model(r, q, &model, &mlen))
		return;
	n = json_object_object_get_ex(q->json, "messages", &msgs) &&
	    json_object_is_type(msgs, json_type_array) ?
	    json_object_array_length(msgs) : 0;
	if (n == 0) {
		resp_error(r, 400, "'messages' must be a non-empty array",
		    "messages", "invalid_value");
		return;
	}
	if (json_object_object_get_ex(q->json, "stream", &v))
		r->stream = json_object_get_boolean(v);
	if (r->stream &&
	    json_object_object_get_ex(q->json, "stream_options", &so) &&
	    json_object_object_get_ex(so, "include_usage", &v))
		r->include_usage = json_object_get_boolean(v);
	for (i = 0; i < n; i++) {
		m = json_object_array_get_idx(msgs, i);
		if (!json_object_object_get_ex(m, "content", &v))
			continue;
		content = v;
		r->ptok += content_text(content, NULL);
		role = json_object_object_get_ex(m, "role", &v) ?
		    json_object_get_string(v) : NULL;
		if (role != NULL && strcmp(role, "user") == 0) {
			quote.len = 0;
			content_text(content, &quote);
		}
	}
	if (r->k.tool_calls &&
	    json_object_object_get_ex(q->json, "tools", &v) &&
	    json_object_is_type(v, json_type_array) &&
	    json_object_array_length(v) > 0 &&
	    json_object_object_get_ex(json_object_array_get_idx(v, 0),
	    "function", &v) &&
	    json_object_object_get_ex(v, "name", &v) &&
	    json_object_is_type(v, json_type_string)) {
		r->tool = 1;
		r->tool_name = xstrndup(json_object_get_string(v),
		    strlen(json_object_get_string(v)));
		openai_id(r->call_id, sizeof(r->call_id), "call_");
	}

	if (r->k.text != NULL)
		sb_adds(&t, r->k.text);
	else {
		sb_adds(&t, "mock reply to: ");
		sb_add(&t, quote.p == NULL ? "" : quote.p,
		    utf8_floor(quote.p, quote.len > QUOTE_MAX ? QUOTE_MAX :
		    quote.len));
	}
	if (r->tool) {
		args = json_object_new_object();
		json_object_object_add(args, "input",
		    json_object_new_string_len(t.p, (int)t.len));
		t.len = 0;
		sb_addj(&t, args);
		json_object_put(args);
	} else if (r->k.bytes > 0 && t.len + 1 < (size_t)r->k.bytes &&
	    sb_add(&t, " ", 1) == 0 &&
	    sb_reserve(&t, (size_t)r->k.bytes - t.len) == 0) {
		/* One long word: the size grows, the token count by one. */
		memset(t.p + t.len, 'x', (size_t)r->k.bytes - t.len);
		t.len = (size_t)r->k.bytes;
		t.p[t.len] = '\0';
	}
	if (r->stream && r->k.chunks == 0)
		t.len = 0;
	r->textlen = t.len;
	r->text = t.p != NULL ? t.p : xstrndup("", 0);
	r->ctok = words(r->text, r->textlen);
	sb_free(&quote);

	openai_id(id, sizeof(id), "chatcmpl-");
	if (!r->stream) {
		if (r->k.garbage) {
			sb_adds(&r->body, "<html>this is not JSON {\"id\": "
			    "garbage from the mock upstream");
			return;
		}
		chat_body(r, id, created, model, mlen);
		return;
	}
	t.p = NULL;
	t.len = t.cap = 0;
	sb_adds(&t, "{\"id\":\"");
	sb_adds(&t, id);
	sb_adds(&t, "\",\"object\":\"chat.completion.chunk\",\"created\":");
	snprintf(id, sizeof(id), "%lld", created);
	sb_adds(&t, id);
	sb_adds(&t, ",\"model\":");
	sb_jstr(&t, model, mlen);
	r->head = t.p;
	r->ctype = "text/event-stream";
}

/* An 8-float vector that depends only on the input string. */
static json_object *
embed_vec(const char *s, size_t n)
{
	json_object	*a;
	uint64_t	 h = 0xcbf29ce484222325ULL;
	double		 d;
	char		 num[32];
	size_t		 i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
	a = json_object_new_array_ext(8);
	for (i = 0; i < 8; i++) {
		h ^= h >> 33;
		h *= 0xff51afd7ed558ccdULL;
		h ^= h >> 29;
		d = (double)(h >> 11) / 9007199254740992.0 * 2.0 - 1.0;
		snprintf(num, sizeof(num), "%.6f", d);
		json_object_array_add(a,
		    json_object_new_double_s(strtod(num, NULL), num));
	}
	return a;
}

/* POST /v1/embeddings: "input" is a string or an array of strings. */
void
openai_embeddings(struct resp *r, struct req *q)
{
	json_object	*in, *o, *data, *e, *s, *u;
	const char	*model;
	size_t		 i, n, mlen;
	long		 tokens = 0;

	if (!body_model(r, q, &model, &mlen))
		return;
	if (!json_object_object_get_ex(q->json, "input", &in) ||
	    (!json_object_is_type(in, json_type_string) &&
	    (!json_object_is_type(in, json_type_array) ||
	    json_object_array_length(in) == 0))) {
		resp_error(r, 400, "'input' must be a string or a non-empty "
		    "array of strings", "input", "invalid_value");
		return;
	}
	n = json_object_is_type(in, json_type_string) ? 1 :
	    json_object_array_length(in);
	data = json_object_new_array_ext((int)n);
	for (i = 0; i < n; i++) {
		s = json_object_is_type(in, json_type_string) ? in :
		    json_object_array_get_idx(in, i);
		if (!json_object_is_type(s, json_type_string)) {
			json_object_put(data);
			resp_error(r, 400, "'input' items must be strings",
			    "input", "invalid_type");
			return;
		}
		tokens += words(json_object_get_string(s),
		    (size_t)json_object_get_string_len(s));
		e = json_object_new_object();
		json_object_object_add(e, "object",
		    json_object_new_string("embedding"));
		json_object_object_add(e, "index", json_object_new_int((int)i));
		json_object_object_add(e, "embedding",
		    embed_vec(json_object_get_string(s),
		    (size_t)json_object_get_string_len(s)));
		json_object_array_add(data, e);
	}
	if (r->k.garbage) {
		json_object_put(data);
		sb_adds(&r->body, "<html>this is not JSON");
		return;
	}
	u = json_object_new_object();
	json_object_object_add(u, "prompt_tokens",
	    json_object_new_int64(tokens));
	json_object_object_add(u, "total_tokens",
	    json_object_new_int64(tokens));
	o = json_object_new_object();
	json_object_object_add(o, "object", json_object_new_string("list"));
	json_object_object_add(o, "data", data);
	json_object_object_add(o, "model",
	    json_object_new_string_len(model, (int)mlen));
	json_object_object_add(o, "usage", u);
	resp_json(r, 200, o);
}

/* GET /v1/models: one model, "mock". */
void
openai_models(struct resp *r, struct req *q)
{
	json_object	*o, *m, *a;

	(void)q;
	m = json_object_new_object();
	json_object_object_add(m, "id", json_object_new_string("mock"));
	json_object_object_add(m, "object", json_object_new_string("model"));
	json_object_object_add(m, "created", json_object_new_int64(1700000000));
	json_object_object_add(m, "owned_by", json_object_new_string("mock"));
	a = json_object_new_array();
	json_object_array_add(a, m);
	o = json_object_new_object();
	json_object_object_add(o, "object", json_object_new_string("list"));
	json_object_object_add(o, "data", a);
	resp_json(r, 200, o);
}

/*
 * Render stream step s of r as one SSE event ("data: ...\n\n") into ev,
 * replacing its contents.  Returns -1 when ev's cap is exceeded.
 */
int
openai_event(struct resp *r, enum step s, struct sbuf *ev)
{
	json_object	*u;
	size_t		 a, z;
	int		 rc = 0;

	ev->len = 0;
	switch (s) {
	case S_GARBAGE:
		return sb_adds(ev, "data: {\"id\": this is not json "
		    "<garbage from the mock>\n\n");
	case S_DONE:
		return sb_adds(ev, "data: [DONE]\n\n");
	case S_USAGE:
		u = usage_obj(r->ptok, r->ctok);
		rc |= sb_adds(ev, "data: ");
		rc |= sb_adds(ev, r->head);
		rc |= sb_adds(ev, ",\"choices\":[],\"usage\":");
		rc |= sb_addj(ev, u);
		rc |= sb_adds(ev, "}\n\n");
		json_object_put(u);
		return rc ? -1 : 0;
	default:
		break;
	}
	rc |= sb_adds(ev, "data: ");
	rc |= sb_adds(ev, r->head);
	rc |= sb_adds(ev, ",\"choices\":[{\"index\":0,\"delta\":{");
	if (s == S_ROLE && r->tool) {
		rc |= sb_adds(ev, "\"role\":\"assistant\",\"content\":null,"
		    "\"tool_calls\":[{\"index\":0,\"id\":\"");
		rc |= sb_adds(ev, r->call_id);
		rc |= sb_adds(ev, "\",\"type\":\"function\",\"function\":"
		    "{\"name\":");
		rc |= sb_jstr(ev, r->tool_name, strlen(r->tool_name));
		rc |= sb_adds(ev, ",\"arguments\":\"\"}}]");
	} else if (s == S_ROLE)
		rc |= sb_adds(ev, "\"role\":\"assistant\",\"content\":\"\"");
	else if (s == S_CONTENT) {
		/* Piece ci of chunks, on UTF-8 boundaries. */
		a = (size_t)((uint64_t)r->textlen * (uint64_t)r->ci /
		    (uint64_t)r->k.chunks);
		z = (size_t)((uint64_t)r->textlen * (uint64_t)(r->ci + 1) /
		    (uint64_t)r->k.chunks);
		while (a < r->textlen && ((unsigned char)r->text[a] & 0xc0) ==
		    0x80)
			a++;
		while (z < r->textlen && ((unsigned char)r->text[z] & 0xc0) ==
		    0x80)
			z++;
		if (r->tool) {
			rc |= sb_adds(ev, "\"tool_calls\":[{\"index\":0,"
			    "\"function\":{\"arguments\":");
			rc |= sb_jstr(ev, r->text + a, z - a);
			rc |= sb_adds(ev, "}}]");
		} else {
			rc |= sb_adds(ev, "\"content\":");
			rc |= sb_jstr(ev, r->text + a, z - a);
		}
	}
	rc |= sb_adds(ev, "},\"logprobs\":null,\"finish_reason\":");
	rc |= sb_adds(ev, s != S_FINISH ? "null" :
	    r->tool ? "\"tool_calls\"" : "\"stop\"");
	rc |= sb_adds(ev, "}]");
	if (r->include_usage)
		rc |= sb_adds(ev, ",\"usage\":null");
	if (r->k.ts) {
		struct timespec	 now;
		char		 stamp[48];

		/* Wall clock: the reader compares it across processes. */
		clock_gettime(CLOCK_REALTIME, &now);
		snprintf(stamp, sizeof(stamp), ",\"mock_ts\":%lld",
		    (long long)now.tv_sec * 1000000 + now.tv_nsec / 1000);
		rc |= sb_adds(ev, stamp);
	}
	rc |= sb_adds(ev, "}\n\n");
	return rc ? -1 : 0;
}
