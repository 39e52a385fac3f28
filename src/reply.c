/*
 * reply.c: a context's answer, formatted here and carried by its sink
 * (sink.h).  Errors become envelopes through fault.c's table; once an
 * event stream has begun the status is already 200, so a failure
 * travels in-band as a data event carrying the envelope, which the SDKs
 * raise as an APIError.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <json.h>

#include "buf.h"
#include "ctx.h"
#include "fault.h"
#include "reply.h"
#include "sink.h"

/* The sink's verdict on a write: a client that left stays gone. */
static enum vn_err
gone_if(struct ctx *c, enum vn_err rc)
{
	if (rc == VN_ECLIENT)
		c->client_gone = 1;
	return rc;
}

/*
 * Send the status and headers, once.  length < 0 means unknown (no
 * Content-Length).  extra holds further header lines, each ending in
 * CRLF, or NULL; callers strip CR and LF from anything a client sent
 * before putting it there.
 */
enum vn_err
reply_head(struct ctx *c, int status, const char *ctype, long long length,
    const char *extra)
{
	char	 both[1024];

	if (c->headers_sent)
		return VN_OK;
	if (c->client_gone)
		return VN_ECLIENT;
	c->status = status;
	c->headers_sent = 1;
	c->stats.ttfb_us = ctx_elapsed_us(c);
	/* The rate limit headers go on every answer to a model call. */
	if (c->limit_head[0] != '\0') {
		snprintf(both, sizeof(both), "%s%s", extra != NULL ? extra :
		    "", c->limit_head);
		extra = both;
	}
	return gone_if(c, c->out->ops->head(c->out, status, ctype, length,
	    extra, c->id));
}

enum vn_err
reply_write(struct ctx *c, const void *p, size_t n)
{
	if (c->client_gone)
		return VN_ECLIENT;
	return gone_if(c, c->out->ops->write(c->out, p, n));
}

/* Push buffered output to the client now (streaming). */
enum vn_err
reply_flush(struct ctx *c)
{
	if (c->client_gone)
		return VN_ECLIENT;
	return gone_if(c, c->out->ops->flush(c->out));
}

/* A complete JSON answer with its length. */
enum vn_err
reply_json(struct ctx *c, int status, const char *body, size_t len)
{
	enum vn_err	 rc;

	if ((rc = reply_head(c, status, "application/json", (long long)len,
	    NULL)) != VN_OK)
		return rc;
	return reply_write(c, body, len);
}

/* Serialize obj and send it; obj stays the caller's. */
enum vn_err
reply_jobj(struct ctx *c, int status, struct json_object *obj)
{
	const char	*s;
	size_t		 len = 0;

	s = json_object_to_json_string_length(obj,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (s == NULL)
		return VN_ENOMEM;
	return reply_json(c, status, s, len);
}

/*
 * Send c's fault as an error response.  A 409, 501, 507 or a spent
 * quota tells the SDKs not to retry (they would, by default: a
 * conflict, a missing feature, a full disk or a month's spend stays so
 * on a retry); a 405 lists what is
 * allowed; a 401 names the scheme; Retry-After is passed on when known.
 */
enum vn_err
reply_error(struct ctx *c)
{
	const struct fault *f = &c->fault;
	struct buf	 b;
	char		 extra[256] = "";
	size_t		 n;
	int		 status;
	enum vn_err	 rc;

	if (f->err == VN_ECLIENT || c->client_gone)
		return VN_ECLIENT;
	status = fault_status(f);
	buf_init(&b, 2 * VN_ERRMSG);
	if ((rc = fault_envelope(&b, f)) != VN_OK)
		goto out;
	if (status == 409 || status == 501 || status == 507 ||
	    f->err == VN_EQUOTA)
		snprintf(extra, sizeof(extra), "x-should-retry: false\r\n");
	else if (status == 401)
		snprintf(extra, sizeof(extra), "WWW-Authenticate: Bearer\r\n");
	else if (status == 405 && f->allow[0] != '\0')
		snprintf(extra, sizeof(extra), "Allow: %s\r\n", f->allow);
	if (f->retry_after > 0) {
		n = strlen(extra);
		snprintf(extra + n, sizeof(extra) - n, "Retry-After: %ld\r\n",
		    f->retry_after);
	}
	rc = reply_head(c, status, "application/json", (long long)b.len,
	    extra[0] != '\0' ? extra : NULL);
	if (rc == VN_OK)
		rc = reply_write(c, b.data, b.len);
out:
	buf_free(&b);
	return rc;
}

/*
 * Start a stream of server-sent events.  X-Accel-Buffering stops nginx
 * from holding events back even where fastcgi_buffering is on.
 */
enum vn_err
reply_sse_begin(struct ctx *c)
{
	enum vn_err	 rc;

	rc = reply_head(c, 200, "text/event-stream; charset=utf-8", -1,
	    "Cache-Control: no-cache\r\nX-Accel-Buffering: no\r\n");
	if (rc != VN_OK)
		return rc;
	c->sse = 1;
	return reply_flush(c);
}

/* Send one event "data: <p>\n\n" and flush it to the client. */
enum vn_err
reply_sse_data(struct ctx *c, const char *p, size_t n)
{
	enum vn_err	 rc;

	if ((rc = reply_write(c, "data: ", 6)) != VN_OK ||
	    (rc = reply_write(c, p, n)) != VN_OK ||
	    (rc = reply_write(c, "\n\n", 2)) != VN_OK)
		return rc;
	return reply_flush(c);
}

/*
 * Send one named event "event: <type>\ndata: <p>\n\n" (the Responses
 * API's framing) and flush it to the client.
 */
enum vn_err
reply_sse_event(struct ctx *c, const char *type, const char *p, size_t n)
{
	enum vn_err	 rc;

	if ((rc = reply_write(c, "event: ", 7)) != VN_OK ||
	    (rc = reply_write(c, type, strlen(type))) != VN_OK ||
	    (rc = reply_write(c, "\ndata: ", 7)) != VN_OK ||
	    (rc = reply_write(c, p, n)) != VN_OK ||
	    (rc = reply_write(c, "\n\n", 2)) != VN_OK)
		return rc;
	return reply_flush(c);
}

/* Send an SSE comment line (": text"), which clients ignore. */
enum vn_err
reply_sse_comment(struct ctx *c, const char *text)
{
	enum vn_err	 rc;

	if ((rc = reply_write(c, ": ", 2)) != VN_OK ||
	    (rc = reply_write(c, text, strlen(text))) != VN_OK ||
	    (rc = reply_write(c, "\n\n", 2)) != VN_OK)
		return rc;
	return reply_flush(c);
}

/* The fault as the stream's last event: the envelope as data. */
enum vn_err
reply_sse_error(struct ctx *c)
{
	struct buf	 b;
	enum vn_err	 rc;

	buf_init(&b, 2 * VN_ERRMSG);
	if ((rc = fault_envelope(&b, &c->fault)) == VN_OK)
		rc = reply_sse_data(c, b.data, b.len);
	buf_free(&b);
	if (rc == VN_OK)
		c->fault_sent = 1;
	return rc;
}

/*
 * Has the client gone (or has the owner asked the call to stop as if it
 * had: a cancelled background response)?  Sticky.
 */
int
reply_client_gone(struct ctx *c)
{
	if (!c->client_gone && c->out->ops->gone(c->out))
		c->client_gone = 1;
	return c->client_gone;
}

/*
 * The pump's thread writes for c until reply_pump_end(): the queue it
 * retries, or NULL when no hand-over is needed (no pump, or a sink that
 * never blocks).
 */
struct fcgi_out *
reply_pump_begin(struct ctx *c)
{
	if (c->pump == NULL || c->client_gone)
		return NULL;
	return c->out->ops->pump_begin(c->out, c->pump);
}

/* Back to the context's own thread; what the pump left is drained. */
void
reply_pump_end(struct ctx *c)
{
	if (c->out->ops->pump_end(c->out) != 0)
		c->client_gone = 1;
}
