/*
 * out_fcgi.c: the FastCGI sink (out_fcgi.h).  Headers are CGI response
 * headers ("Status:" first), which every web server in front turns into
 * the HTTP status line.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include <fcgiapp.h>

#include "fault.h"
#include "out_fcgi.h"
#include "pump.h"

/* How long the end of a stream waits for a slow client to take it. */
#define DRAIN_MS	30000

static enum vn_err
put(struct out_fcgi *o, const void *p, size_t n)
{
	int	 chunk;

	if (o->gone)
		return VN_ECLIENT;
	if (o->raw_mode) {
		if (fcgi_out_put(&o->raw, p, n) != VN_OK) {
			o->gone = 1;
			return VN_ECLIENT;
		}
		return VN_OK;
	}
	while (n > 0) {
		chunk = n > (1 << 30) ? (1 << 30) : (int)n;
		if (FCGX_PutStr(p, chunk, o->fx->out) != chunk) {
			o->gone = 1;
			return VN_ECLIENT;
		}
		o->dirty = 1;
		p = (const char *)p + chunk;
		n -= (size_t)chunk;
	}
	return VN_OK;
}

static enum vn_err
o_head(struct sink *s, int status, const char *ctype, long long length,
    const char *extra, const char *request_id)
{
	struct out_fcgi	*o = (struct out_fcgi *)s;
	char		 h[1024];
	int		 n;

	n = snprintf(h, sizeof(h),
	    "Status: %d %s\r\n"
	    "Content-Type: %s\r\n"
	    "x-request-id: %s\r\n",
	    status, fault_reason(status), ctype, request_id);
	if (length >= 0 && n > 0 && (size_t)n < sizeof(h))
		n += snprintf(h + n, sizeof(h) - (size_t)n,
		    "Content-Length: %lld\r\n", length);
	if (n < 0 || (size_t)n >= sizeof(h) - 2)
		return VN_ESYS;
	if (put(o, h, (size_t)n) != VN_OK ||
	    (extra != NULL && put(o, extra, strlen(extra)) != VN_OK) ||
	    put(o, "\r\n", 2) != VN_OK)
		return VN_ECLIENT;
	return VN_OK;
}

static enum vn_err
o_write(struct sink *s, const void *p, size_t n)
{
	return put((struct out_fcgi *)s, p, n);
}

static enum vn_err
o_flush(struct sink *s)
{
	struct out_fcgi	*o = (struct out_fcgi *)s;

	if (o->gone)
		return VN_ECLIENT;
	if (o->raw_mode) {
		switch (fcgi_out_flush(&o->raw)) {
		case 1:
			return VN_OK;
		case 0:
			/* The pump retries what the socket would not take. */
			pump_want_flush(o->pump, &o->raw);
			return VN_OK;
		default:
			o->gone = 1;
			return VN_ECLIENT;
		}
	}
	if (FCGX_FFlush(o->fx->out) != 0) {
		o->gone = 1;
		return VN_ECLIENT;
	}
	o->dirty = 0;
	return VN_OK;
}

/*
 * Has the web server closed our connection (its client went away)?
 * nginx closes the FastCGI connection when its client aborts, so a hang
 * up on it is the only sign a thread waiting on an upstream can get.
 * ipcFd is read, never changed: libfcgi owns it.
 */
static int
o_gone(struct sink *s)
{
	struct out_fcgi	*o = (struct out_fcgi *)s;
	struct pollfd	 p;

	if (o->gone || (o->raw_mode && o->raw.failed))
		return o->gone = 1;
	p.fd = o->fx->ipcFd;
	p.events = POLLRDHUP;
	p.revents = 0;
	if (p.fd >= 0 && poll(&p, 1, 0) == 1 &&
	    (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)))
		o->gone = 1;
	return o->gone;
}

/*
 * Hand the output to the pump: what libfcgi buffered goes out first, so
 * the records stay in order.
 */
static struct fcgi_out *
o_pump_begin(struct sink *s, struct pump *p)
{
	struct out_fcgi	*o = (struct out_fcgi *)s;

	if (o->gone)
		return NULL;
	if (o->dirty && FCGX_FFlush(o->fx->out) != 0) {
		o->gone = 1;
		return NULL;
	}
	o->dirty = 0;
	fcgi_out_init(&o->raw, o->fx->ipcFd, (unsigned)o->fx->requestId,
	    FCGI_OUT_MAX);
	o->pump = p;
	o->raw_mode = 1;
	return &o->raw;
}

/* Back to libfcgi, once what the pump queued has drained. */
static int
o_pump_end(struct sink *s)
{
	struct out_fcgi	*o = (struct out_fcgi *)s;

	if (!o->raw_mode)
		return o->gone ? -1 : 0;
	if (fcgi_out_drain(&o->raw, DRAIN_MS) != 1)
		o->gone = 1;
	fcgi_out_free(&o->raw);
	o->raw_mode = 0;
	return o->gone ? -1 : 0;
}

static const struct sink_ops fcgi_ops = {
	o_head, o_write, o_flush, o_gone, o_pump_begin, o_pump_end
};

/* The sink of fx, which must outlive it. */
void
out_fcgi_init(struct out_fcgi *o, struct FCGX_Request *fx)
{
	memset(o, 0, sizeof(*o));
	o->sink.ops = &fcgi_ops;
	o->fx = fx;
}
