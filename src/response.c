/*
 * response.c: status lines, headers, JSON bodies, error envelopes and
 * server-sent events.  Every error Venna reports goes through
 * err_table[]: one row per enum vn_err, so a status or an error type is
 * decided in exactly one place.  Every /v1 answer is JSON, errors
 * included, with all four keys of the envelope (openai-api.md §6).
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <fcgiapp.h>
#include <json.h>

#include "buf.h"
#include "clock.h"
#include "log.h"
#include "pump.h"
#include "request.h"
#include "response.h"

static const struct {
	int		 status;
	const char	*type;
	const char	*code;		/* default; NULL is JSON null */
	const char	*message;	/* default */
} err_table[VN__MAX] = {
	[VN_OK] = { 200, NULL, NULL, NULL },
	[VN_ENOMEM] = { 500, "server_error", NULL,
	    "The server ran out of memory while processing your request." },
	[VN_EINVAL] = { 400, "invalid_request_error", NULL,
	    "The request is invalid." },
	[VN_EJSON] = { 400, "invalid_request_error", NULL,
	    "We could not parse the JSON body of your request. The API "
	    "expects a JSON payload." },
	[VN_ENOKEY] = { 401, "invalid_request_error", NULL,
	    "You didn't provide an API key. You need to provide your API key "
	    "in an Authorization header using Bearer auth (i.e. "
	    "Authorization: Bearer YOUR_KEY)." },
	[VN_EAUTH] = { 401, "invalid_request_error", "invalid_api_key",
	    "Incorrect API key provided. Ask your Venna operator for a "
	    "valid workspace key." },
	[VN_EPERM] = { 403, "invalid_request_error", "permission_denied",
	    "You are not allowed to do this." },
	[VN_ENOTFOUND] = { 404, "invalid_request_error", NULL,
	    "No such object." },
	[VN_ENOROUTE] = { 404, "invalid_request_error", "unknown_url",
	    "Invalid URL." },
	[VN_ENOMODEL] = { 404, "invalid_request_error", "model_not_found",
	    "The model does not exist or you do not have access to it." },
	[VN_EMETHOD] = { 405, "invalid_request_error", "method_not_allowed",
	    "Method not allowed." },
	[VN_ECONFLICT] = { 409, "invalid_request_error", NULL,
	    "The object is in a state that does not allow this." },
	[VN_ETOOBIG] = { 413, "invalid_request_error", "request_too_large",
	    "The request is too large." },
	[VN_EMEDIA] = { 415, "invalid_request_error", "unsupported_media_type",
	    "Unsupported Content-Type." },
	[VN_ELIMIT] = { 429, "rate_limit_exceeded", "rate_limit_exceeded",
	    "Rate limit reached." },
	[VN_EUNIMPL] = { 501, "not_implemented", "not_implemented",
	    "This endpoint is not implemented yet on Venna gateway." },
	[VN_EUPSTREAM] = { 502, "server_error", "upstream_error",
	    "The upstream model server failed to answer." },
	[VN_EUNAVAIL] = { 503, "server_error", "service_unavailable",
	    "No upstream model server is available. Please retry." },
	[VN_ETIMEOUT] = { 504, "server_error", "upstream_timeout",
	    "The upstream model server did not answer in time." },
	[VN_ESTORE] = { 500, "server_error", NULL,
	    "The server had an error while processing your request." },
	[VN_ESYS] = { 500, "server_error", NULL,
	    "The server had an error while processing your request." },
	[VN_ECLIENT] = { 499, "server_error", NULL,
	    "The client closed the connection." },
	[VN_ECONFIG] = { 500, "server_error", NULL,
	    "The server is misconfigured." },
};

/*
 * Record a failure in f.  param and code may be NULL.  Returns err.
 */
enum vn_err
fault_set(struct fault *f, enum vn_err err, const char *param,
    const char *code, const char *fmt, ...)
{
	va_list	 ap;

	f->err = err;
	f->code = code;
	snprintf(f->param, sizeof(f->param), "%s", param != NULL ? param : "");
	va_start(ap, fmt);
	vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
	va_end(ap);
	return err;
}

static const char *
reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 499: return "Client Closed Request";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 507: return "Insufficient Storage";
	default: return status < 400 ? "OK" : "Error";
	}
}

int
err_status(enum vn_err e)
{
	return e < VN__MAX ? err_table[e].status : 500;
}

const char *
err_type(enum vn_err e)
{
	return e < VN__MAX && err_table[e].type != NULL ?
	    err_table[e].type : "server_error";
}

/*
 * Queue n bytes as FastCGI STDOUT records (8-byte header, no padding,
 * at most 65535 bytes each) for rawout_flush().  Bytes queued since the
 * last flush extend the record still open at the queue's end, so an
 * event put in pieces ("data: ", the chunk, the blank line) costs the
 * web server one record, not three.
 */
static enum vn_err
raw_put(struct req *r, const void *p, size_t n)
{
	struct rawout	*o = &r->raw;
	unsigned char	 h[8], *oh;
	size_t		 chunk;

	while (n > 0) {
		if (o->open > 0 && o->open < 65535) {
			chunk = 65535 - o->open;
			if (chunk > n)
				chunk = n;
			if (buf_add(&o->q, p, chunk) != VN_OK)
				goto full;
			oh = (unsigned char *)o->q.data + o->q.len - chunk -
			    o->open - sizeof(h);
			o->open += chunk;
			oh[4] = (unsigned char)(o->open >> 8);
			oh[5] = (unsigned char)o->open;
		} else {
			chunk = n > 65535 ? 65535 : n;
			h[0] = 1;			/* FCGI_VERSION_1 */
			h[1] = 6;			/* FCGI_STDOUT */
			h[2] = (unsigned char)(o->request_id >> 8);
			h[3] = (unsigned char)o->request_id;
			h[4] = (unsigned char)(chunk >> 8);
			h[5] = (unsigned char)chunk;
			h[6] = 0;
			h[7] = 0;
			if (buf_add(&o->q, h, sizeof(h)) != VN_OK ||
			    buf_add(&o->q, p, chunk) != VN_OK)
				goto full;
			o->open = chunk;
		}
		p = (const char *)p + chunk;
		n -= chunk;
	}
	return VN_OK;
full:
	/* The client stopped reading a megabyte ago. */
	o->failed = 1;
	r->client_gone = 1;
	return VN_ECLIENT;
}

/*
 * Write what the socket takes of o's queue, without blocking.  Returns
 * 1 when the queue is empty, 0 when bytes remain, -1 when the client is
 * gone.  Called on the pump's thread, or by the request's own thread
 * once the pump has let go of it.
 */
int
rawout_flush(struct rawout *o)
{
	ssize_t	 n;

	if (o->failed)
		return -1;
	/* A record partly sent can no longer grow. */
	o->open = 0;
	while (o->q.len > 0) {
		n = send(o->fd, o->q.data, o->q.len, MSG_DONTWAIT |
		    MSG_NOSIGNAL);
		if (n > 0) {
			buf_consume(&o->q, (size_t)n);
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n == -1 && errno == EINTR)
			continue;
		o->failed = 1;
		return -1;
	}
	return 1;
}

/*
 * From now until resp_raw_end() the request's output goes through raw
 * (the pump's thread writes it).  What libfcgi buffered goes out first,
 * so the records stay in order.
 */
void
resp_raw_begin(struct req *r)
{
	if (r->capture)
		return;
	if (r->headers_sent && !r->client_gone &&
	    FCGX_FFlush(r->fx->out) != 0)
		r->client_gone = 1;
	memset(&r->raw, 0, sizeof(r->raw));
	r->raw.fd = r->fx->ipcFd;
	r->raw.request_id = (unsigned)r->fx->requestId;
	buf_init(&r->raw.q, RAWOUT_MAX);
	r->raw_mode = 1;
}

/*
 * Back to libfcgi: drain what is still queued first, waiting for the
 * client for at most RAWOUT_DRAIN_MS.
 */
#define RAWOUT_DRAIN_MS	30000

void
resp_raw_end(struct req *r)
{
	struct pollfd	 p;
	long long	 until = clock_ms() + RAWOUT_DRAIN_MS;
	int		 rc;

	if (!r->raw_mode)
		return;
	while ((rc = rawout_flush(&r->raw)) == 0 && clock_ms() < until) {
		p.fd = r->raw.fd;
		p.events = POLLOUT;
		(void)poll(&p, 1, 100);
	}
	if (rc != 1)
		r->client_gone = 1;
	buf_free(&r->raw.q);
	r->raw_mode = 0;
}

static enum vn_err
put(struct req *r, const void *p, size_t n)
{
	if (r->client_gone)
		return VN_ECLIENT;
	if (r->capture)
		return buf_add(&r->captured, p, n) == VN_OK ? VN_OK : VN_ESYS;
	if (r->raw_mode)
		return raw_put(r, p, n);
	while (n > 0) {
		int chunk = n > (1 << 30) ? (1 << 30) : (int)n;

		if (FCGX_PutStr(p, chunk, r->fx->out) != chunk) {
			r->client_gone = 1;
			return VN_ECLIENT;
		}
		p = (const char *)p + chunk;
		n -= (size_t)chunk;
	}
	return VN_OK;
}

/*
 * Send the status line and headers.  length < 0 means unknown (no
 * Content-Length).  extra holds further header lines, each ending in
 * CRLF, or NULL; callers strip CR and LF from anything a client sent
 * before putting it there.
 */
enum vn_err
resp_head(struct req *r, int status, const char *ctype, long long length,
    const char *extra)
{
	char	 h[1024];
	int	 n;

	if (r->headers_sent)
		return VN_OK;
	if (r->capture) {
		/* Only the status counts; the body is what is kept. */
		r->status = status;
		r->headers_sent = 1;
		return VN_OK;
	}
	n = snprintf(h, sizeof(h),
	    "Status: %d %s\r\n"
	    "Content-Type: %s\r\n"
	    "x-request-id: %s\r\n",
	    status, reason(status), ctype, r->id);
	if (length >= 0 && n > 0 && (size_t)n < sizeof(h))
		n += snprintf(h + n, sizeof(h) - (size_t)n,
		    "Content-Length: %lld\r\n", length);
	if (n < 0 || (size_t)n >= sizeof(h) - 2)
		return VN_ESYS;
	r->status = status;
	r->headers_sent = 1;
	if (put(r, h, (size_t)n) != VN_OK ||
	    (extra != NULL && put(r, extra, strlen(extra)) != VN_OK) ||
	    put(r, "\r\n", 2) != VN_OK)
		return VN_ECLIENT;
	return VN_OK;
}

enum vn_err
resp_write(struct req *r, const void *p, size_t n)
{
	return put(r, p, n);
}

/* Push buffered output to the web server now (streaming). */
enum vn_err
resp_flush(struct req *r)
{
	if (r->client_gone)
		return VN_ECLIENT;
	if (r->capture)
		return VN_OK;
	if (r->raw_mode) {
		switch (rawout_flush(&r->raw)) {
		case 1:
			return VN_OK;
		case 0:
			pump_want_flush(r->pump, &r->raw);
			return VN_OK;
		default:
			r->client_gone = 1;
			return VN_ECLIENT;
		}
	}
	if (FCGX_FFlush(r->fx->out) != 0) {
		r->client_gone = 1;
		return VN_ECLIENT;
	}
	return VN_OK;
}

/* A complete JSON answer with its length. */
enum vn_err
resp_json(struct req *r, int status, const char *body, size_t len)
{
	enum vn_err	 rc;

	if ((rc = resp_head(r, status, "application/json", (long long)len,
	    NULL)) != VN_OK)
		return rc;
	return put(r, body, len);
}

/* Serialize obj and send it; obj stays the caller's. */
enum vn_err
resp_jobj(struct req *r, int status, struct json_object *obj)
{
	const char	*s;
	size_t		 len = 0;

	s = json_object_to_json_string_length(obj,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (s == NULL)
		return VN_ENOMEM;
	return resp_json(r, status, s, len);
}

/*
 * Write {"error":{"message","type","param","code"}} for the fault f
 * into b.  Empty message and NULL code take the table's defaults.
 */
enum vn_err
error_envelope(struct buf *b, const struct fault *f)
{
	enum vn_err	 e = f->err < VN__MAX ? f->err : VN_ESYS;
	const char	*msg, *code, *type;
	enum vn_err	 rc;

	msg = f->msg[0] != '\0' ? f->msg : err_table[e].message;
	code = f->code != NULL ? f->code : err_table[e].code;
	type = f->type[0] != '\0' ? f->type : err_type(e);
	if ((rc = buf_addstr(b, "{\"error\":{\"message\":")) != VN_OK ||
	    (rc = buf_add_json_string(b, msg, strlen(msg))) != VN_OK ||
	    (rc = buf_addstr(b, ",\"type\":")) != VN_OK ||
	    (rc = buf_add_json_string(b, type, strlen(type))) != VN_OK ||
	    (rc = buf_addstr(b, ",\"param\":")) != VN_OK)
		return rc;
	rc = f->param[0] != '\0' ?
	    buf_add_json_string(b, f->param, strlen(f->param)) :
	    buf_addstr(b, "null");
	if (rc != VN_OK || (rc = buf_addstr(b, ",\"code\":")) != VN_OK)
		return rc;
	rc = code != NULL ? buf_add_json_string(b, code, strlen(code)) :
	    buf_addstr(b, "null");
	if (rc != VN_OK)
		return rc;
	return buf_addstr(b, "}}");
}

/*
 * Send r's failure as an error response.  A 409, 501 or 507 tells the
 * SDKs not to retry (they would, by default); a 405 lists what is
 * allowed; a 401 names the scheme; Retry-After is passed on when known.
 */
enum vn_err
resp_error(struct req *r)
{
	const struct fault *f = &r->fault;
	struct buf	 b;
	char		 extra[256] = "";
	size_t		 n;
	int		 status;
	enum vn_err	 rc;

	if (f->err == VN_ECLIENT || r->client_gone)
		return VN_ECLIENT;
	status = f->status != 0 ? f->status : err_status(f->err);
	buf_init(&b, 2 * VN_ERRMSG);
	if ((rc = error_envelope(&b, f)) != VN_OK) {
		buf_free(&b);
		return rc;
	}
	/*
	 * The SDKs retry 409 and every 5xx unless told not to; a conflict,
	 * a missing feature or a full disk stays so on a retry.
	 */
	if (status == 409 || status == 501 || status == 507)
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
	rc = resp_head(r, status, "application/json", (long long)b.len,
	    extra[0] != '\0' ? extra : NULL);
	if (rc == VN_OK)
		rc = put(r, b.data, b.len);
	buf_free(&b);
	return rc;
}

/*
 * Start a stream of server-sent events.  X-Accel-Buffering stops nginx
 * from holding events back even where fastcgi_buffering is on.
 */
enum vn_err
resp_sse_begin(struct req *r)
{
	enum vn_err	 rc;

	rc = resp_head(r, 200, "text/event-stream; charset=utf-8", -1,
	    "Cache-Control: no-cache\r\nX-Accel-Buffering: no\r\n");
	if (rc != VN_OK)
		return rc;
	r->sse = 1;
	return resp_flush(r);
}

/* Send one event "data: <p>\n\n" and flush it to the client. */
enum vn_err
resp_sse_data(struct req *r, const char *p, size_t n)
{
	enum vn_err	 rc;

	if ((rc = put(r, "data: ", 6)) != VN_OK ||
	    (rc = put(r, p, n)) != VN_OK ||
	    (rc = put(r, "\n\n", 2)) != VN_OK)
		return rc;
	return resp_flush(r);
}

/*
 * Send one named event "event: <type>\ndata: <p>\n\n" (the Responses
 * API's framing) and flush it to the client.
 */
enum vn_err
resp_sse_event(struct req *r, const char *type, const char *p, size_t n)
{
	enum vn_err	 rc;

	if ((rc = put(r, "event: ", 7)) != VN_OK ||
	    (rc = put(r, type, strlen(type))) != VN_OK ||
	    (rc = put(r, "\ndata: ", 7)) != VN_OK ||
	    (rc = put(r, p, n)) != VN_OK ||
	    (rc = put(r, "\n\n", 2)) != VN_OK)
		return rc;
	return resp_flush(r);
}

/* Send an SSE comment line (": text"), which clients ignore. */
enum vn_err
resp_sse_comment(struct req *r, const char *text)
{
	enum vn_err	 rc;

	if ((rc = put(r, ": ", 2)) != VN_OK ||
	    (rc = put(r, text, strlen(text))) != VN_OK ||
	    (rc = put(r, "\n\n", 2)) != VN_OK)
		return rc;
	return resp_flush(r);
}

/*
 * Has the web server closed our connection (its client went away)?
 * nginx closes the FastCGI connection when its client aborts, so a hang
 * up on it is the only sign a request thread waiting on an upstream can
 * get.  ipcFd is read, never changed: libfcgi owns it.
 */
int
resp_client_gone(struct req *r)
{
	struct pollfd	 p;

	if (r->client_gone)
		return 1;
	if (r->capture) {
		if (r->stop != NULL && r->stop(r->stop_arg))
			r->client_gone = 1;
		return r->client_gone;
	}
	p.fd = r->fx->ipcFd;
	p.events = POLLRDHUP;
	p.revents = 0;
	if (p.fd >= 0 && poll(&p, 1, 0) == 1 &&
	    (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)))
		r->client_gone = 1;
	return r->client_gone;
}

/*
 * The end of a list object (openai-api.md §1.4) after its data items:
 * `],"first_id":..,"last_id":..,"has_more":..`.  The OpenAPI document
 * requires both ids as strings, never null, so an empty page has "".
 * The caller closes the object, after any field of its own.
 */
enum vn_err
resp_list_end(struct buf *b, const char *first, const char *last, int more)
{
	enum vn_err	 rc;

	rc = buf_addstr(b, "],\"first_id\":");
	if (rc == VN_OK)
		rc = buf_add_json_string(b, first, strlen(first));
	if (rc == VN_OK)
		rc = buf_addstr(b, ",\"last_id\":");
	if (rc == VN_OK)
		rc = buf_add_json_string(b, last, strlen(last));
	if (rc == VN_OK)
		rc = buf_addf(b, ",\"has_more\":%s", more ? "true" : "false");
	return rc;
}
