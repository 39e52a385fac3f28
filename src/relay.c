/*
 * relay.c: the answer's way back.  A non-streamed answer is collected
 * (within max_upstream_response) and judged whole by the caller.  A
 * stream is parsed event by event as bytes arrive, split anywhere, and
 * each chunk is written and flushed to the client as soon as it is
 * whole.  On the way:
 *  - the gateway always asks upstreams for the usage chunk (it bills
 *    from it); the client gets it, and the "usage": null of the other
 *    chunks, only if it asked for them;
 *  - chunks that carry a finish_reason are held back until the usage is
 *    known, so the ledger row is written before the client holds a
 *    finished answer;
 *  - while the stream waits, a comment goes out every stream_keepalive,
 *    which also tells when the client has gone; a client that leaves
 *    stops the upstream transfer at once;
 *  - a chunk that is not valid JSON fails the attempt.
 */
#include "config.h"

#include <string.h>
#include <time.h>

#include <json.h>

#include "cfg.h"
#include "clock.h"
#include "ctx.h"
#include "jscan.h"
#include "jsonx.h"
#include "log.h"
#include "relay.h"
#include "reply.h"
#include "usage.h"

#define RELAY_MAX_EVENT		(8 * 1024 * 1024)
#define RELAY_MAX_ERRBODY	(64 * 1024)
#define RELAY_MAX_HELD		(1024 * 1024)
#define RELAY_JSON_DEPTH	128


/* A relay for c; stream says whether the client asked for events. */
void
relay_init(struct relay *rl, struct ctx *c, int stream, int client_usage)
{
	memset(rl, 0, sizeof(*rl));
	rl->c = c;
	rl->stream = stream;
	rl->client_usage = client_usage;
	rl->keepalive_ms = c->cfg->stream_keepalive_ms;
	rl->last_write_ms = clock_ms();
	buf_init(&rl->body, c->cfg->max_upstream_response);
	buf_init(&rl->errbody, RELAY_MAX_ERRBODY);
	buf_init(&rl->held, RELAY_MAX_HELD);
	buf_init(&rl->usage_chunk, RELAY_MAX_EVENT);
	sse_init(&rl->sse, RELAY_MAX_EVENT);
}

/* Forget what the previous attempt received; keep what was sent. */
void
relay_attempt(struct relay *rl)
{
	rl->status = 0;
	rl->done = 0;
	rl->bad = 0;
	rl->upstream_error = 0;
	buf_reset(&rl->body);
	buf_free(&rl->errbody);
	sse_free(&rl->sse);
	sse_init(&rl->sse, RELAY_MAX_EVENT);
	buf_free(&rl->held);
	buf_free(&rl->usage_chunk);
	rl->have_usage = 0;
	rl->prompt = rl->completion = rl->cached = 0;
}

void
relay_free(struct relay *rl)
{
	buf_free(&rl->body);
	buf_free(&rl->errbody);
	buf_free(&rl->held);
	buf_free(&rl->usage_chunk);
	sse_free(&rl->sse);
}

static enum vn_err
begin(struct relay *rl)
{
	enum vn_err	 rc;

	if (rl->started)
		return VN_OK;
	if ((rc = reply_sse_begin(rl->c)) != VN_OK)
		return rc;
	rl->started = 1;
	return VN_OK;
}

/* What the relay needs of one chunk, found by one walk of it. */
struct facts {
	int			 error;		/* an "error" object ... */
	int			 choices;	/* ... and no "choices" */
	int			 no_choices;	/* "choices" absent or [] */
	struct jscan_span	 usage;		/* an object, or p NULL */
	size_t			 cut, cutlen;	/* `,"usage":null`, if any */
	int			 finish;	/* a choice has finished */
	int			 delta;		/* a choice carries output */
};

/* Does a choice finish, and does its delta carry content or a call? */
static void
choice_facts(const struct jscan_span *ch, struct facts *f)
{
	struct jscan_span	 k, v, dk, dv;
	size_t			 i = 0, j;

	while (jscan_member_next(ch->p, ch->n, &i, &k, &v)) {
		if (jscan_key_is(&k, "finish_reason") && v.p[0] == '"')
			f->finish = 1;
		else if (jscan_key_is(&k, "delta") && v.p[0] == '{')
			for (j = 0; jscan_member_next(v.p, v.n, &j, &dk, &dv);)
				if (jscan_key_is(&dk, "content") ||
				    jscan_key_is(&dk, "tool_calls") ||
				    jscan_key_is(&dk, "function_call"))
					f->delta = 1;
	}
}

/*
 * Walk the valid chunk s: its top-level error, usage and choices, and
 * where a `"usage":null` member lies, with the comma that goes with it.
 */
static void
chunk_facts(const char *s, size_t n, struct facts *f)
{
	struct jscan_span	 k, v, ch;
	size_t			 i = 0, j, prev_end = 0, start;
	int			 first = 1;

	memset(f, 0, sizeof(*f));
	f->no_choices = 1;
	while (jscan_member_next(s, n, &i, &k, &v)) {
		start = (size_t)(k.p - s);
		if (jscan_key_is(&k, "error") && v.p[0] == '{')
			f->error = 1;
		else if (jscan_key_is(&k, "choices")) {
			f->choices = 1;
			for (j = 0; jscan_element_next(v.p, v.n, &j, &ch);) {
				f->no_choices = 0;
				if (ch.p[0] == '{')
					choice_facts(&ch, f);
			}
		} else if (jscan_key_is(&k, "usage")) {
			if (v.p[0] == '{')
				f->usage = v;
			else if (v.n == 4 && memcmp(v.p, "null", 4) == 0) {
				/* With the comma before it, or after it. */
				f->cut = first ? start : prev_end;
				f->cutlen = first ? (i < n && s[i] == ',' ?
				    jscan_space(s, i + 1, n) : i) - start :
				    (size_t)(v.p + v.n - s) - prev_end;
			}
		}
		prev_end = (size_t)(v.p + v.n - s);
		first = 0;
	}
}

/*
 * Write the data event (a valid chunk; f its facts, or NULL), minus
 * `"usage":null` when the client did not ask for usage.
 */
static enum vn_err
forward(struct relay *rl, const char *s, size_t n, const struct facts *f)
{
	struct facts	 mine;
	struct buf	 b;
	enum vn_err	 rc;

	if ((rc = begin(rl)) != VN_OK)
		return rc;
	rl->forwarded = 1;
	rl->last_write_ms = clock_ms();
	if (rl->sink != NULL)
		return rl->sink->chunk(rl->sink->arg, s, n);
	if (f == NULL && !rl->client_usage) {
		chunk_facts(s, n, &mine);
		f = &mine;
	}
	if (rl->client_usage || f->cutlen == 0)
		return reply_sse_data(rl->c, s, n);
	buf_init(&b, n);
	if ((rc = buf_add(&b, s, f->cut)) == VN_OK)
		rc = buf_add(&b, s + f->cut + f->cutlen, n - f->cut -
		    f->cutlen);
	if (rc == VN_OK)
		rc = reply_sse_data(rl->c, b.data, b.len);
	buf_free(&b);
	return rc;
}

/*
 * One chat.completion.chunk, from an upstream's stream or from the echo
 * model: capture the usage chunk, hold finish chunks, forward the rest.
 */
enum vn_err
relay_chunk(void *arg, const char *s, size_t n)
{
	struct relay		*rl = arg;
	struct json_object	*u = NULL;
	struct facts		 f;
	struct fault		 ignore;
	enum vn_err		 rc;

	if (!jscan_valid(s, n, RELAY_JSON_DEPTH) || s[jscan_space(s, 0,
	    n)] != '{') {
		rl->bad = 1;
		return VN_EUPSTREAM;
	}
	chunk_facts(s, n, &f);
	if (f.error && !f.choices) {
		/*
		 * The upstream failed in the stream.  Before any output the
		 * call can still go elsewhere; after, the client hears it.
		 */
		rl->upstream_error = 1;
		if (!rl->forwarded)
			return VN_EUPSTREAM;
		rl->c->fault_sent = 1;
		return forward(rl, s, n, NULL);
	}
	if (f.usage.p != NULL) {
		memset(&ignore, 0, sizeof(ignore));
		if (jsonx_parse(f.usage.p, f.usage.n, RELAY_JSON_DEPTH, &u,
		    &ignore) == VN_OK) {
			usage_from_json(u, &rl->prompt, &rl->completion,
			    &rl->cached);
			rl->have_usage = 1;
		}
		json_object_put(u);
		buf_reset(&rl->usage_chunk);
		/* Usage chunks carry no choices; any that do go on. */
		if (f.no_choices)
			return buf_add(&rl->usage_chunk, s, n);
	}
	if (f.finish) {
		if ((rc = buf_add(&rl->held, s, n)) != VN_OK ||
		    (rc = buf_addc(&rl->held, '\0')) != VN_OK) {
			rl->bad = 1;
			return rc;
		}
		return VN_OK;
	}
	if (f.delta)
		rl->deltas++;
	return forward(rl, s, n, &f);
}

static enum vn_err
on_event(void *arg, const struct sse_event *ev)
{
	struct relay	*rl = arg;

	if (ev->data_len == 6 && memcmp(ev->data, "[DONE]", 6) == 0) {
		rl->done = 1;
		return VN_OK;
	}
	if (rl->done)
		return VN_OK;	/* nothing counts after [DONE] */
	return relay_chunk(rl, ev->data, ev->data_len);
}

/*
 * upstream_call()'s data callback.  A non-2xx answer is kept (capped)
 * for the caller to judge; a 2xx answer is collected or, for a stream,
 * relayed as it comes.
 */
enum vn_err
relay_on_data(void *arg, long status, const char *p, size_t n)
{
	struct relay	*rl = arg;
	enum vn_err	 rc;

	rl->status = status;
	if (status < 200 || status > 299) {
		if (rl->errbody.len + n <= rl->errbody.max)
			(void)buf_add(&rl->errbody, p, n);
		return VN_OK;
	}
	if (!rl->stream) {
		if ((rc = buf_add(&rl->body, p, n)) != VN_OK) {
			rl->bad = 1;
			return rc;
		}
		/* The answer's buffer, taken from the budget as it grows. */
		if (rl->body.cap > rl->body_held) {
			if ((rc = ctx_hold(rl->c, rl->body.cap -
			    rl->body_held)) != VN_OK)
				return rc;
			rl->body_held = rl->body.cap;
		}
		return VN_OK;
	}
	rc = sse_feed(&rl->sse, p, n, on_event, rl);
	if (rc == VN_ETOOBIG)
		rl->bad = 1;
	return rc;
}

/*
 * upstream_call()'s tick: notice a client that left, and keep a waiting
 * stream alive with comments (which sends the stream's headers early:
 * from then on errors can only be reported in-band).
 */
enum vn_err
relay_on_tick(void *arg, int got_bytes)
{
	struct relay	*rl = arg;
	enum vn_err	 rc;

	(void)got_bytes;
	if (reply_client_gone(rl->c))
		return VN_ECLIENT;
	if (!rl->stream || rl->keepalive_ms <= 0 ||
	    clock_ms() - rl->last_write_ms < rl->keepalive_ms)
		return VN_OK;
	if ((rc = begin(rl)) != VN_OK ||
	    (rc = reply_sse_comment(rl->c, "keepalive")) != VN_OK)
		return rc;
	rl->last_write_ms = clock_ms();
	return VN_OK;
}

/*
 * Did the stream end before [DONE]?  Also 1 when bytes of an event were
 * left pending.
 */
int
relay_truncated(struct relay *rl)
{
	if (sse_finish(&rl->sse, on_event, rl) != VN_OK)
		return 1;
	return !rl->done;
}

/*
 * The stream ended well and is billed: send the held finish chunks, the
 * usage chunk if the client asked for it, and [DONE].
 */
enum vn_err
relay_stream_finish(struct relay *rl)
{
	const char	*p, *end;
	size_t		 len;
	enum vn_err	 rc;

	if ((rc = begin(rl)) != VN_OK)
		return rc;
	for (p = rl->held.data, end = p + rl->held.len; p != NULL && p < end;
	    p += len + 1) {
		len = strlen(p);
		if ((rc = forward(rl, p, len, NULL)) != VN_OK)
			return rc;
	}
	if ((rl->client_usage || rl->sink != NULL) &&
	    rl->usage_chunk.len > 0 && (rc = forward(rl,
	    rl->usage_chunk.data, rl->usage_chunk.len, NULL)) != VN_OK)
		return rc;
	if (rl->sink != NULL)
		return rl->sink->end(rl->sink->arg);
	return reply_sse_data(rl->c, "[DONE]", 6);
}
