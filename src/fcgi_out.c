/*
 * fcgi_out.c: FastCGI STDOUT records (FastCGI 1.0, section 3.3: an
 * 8-byte header, then content of at most 65535 bytes; no padding is
 * needed) queued and written with MSG_DONTWAIT.
 *
 * Bytes queued since the last flush extend the record still open at the
 * queue's end, so an event put in pieces ("data: ", the chunk, the blank
 * line) costs the web server one record, not three.  A record partly
 * sent can no longer grow.
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <string.h>

#include "clock.h"
#include "fcgi_out.h"

#define FCGI_VERSION_1	1
#define FCGI_STDOUT	6

/*
 * Frame n bytes of p as STDOUT records of request_id onto q.  *open is
 * the content length of the record ending q (0: none can grow); it is
 * updated.  Pure but for q's allocation.  On VN_ETOOBIG (q's cap) q may
 * hold part of the bytes: the stream is broken and must be abandoned.
 */
enum vn_err
fcgi_out_frame(struct buf *q, size_t *open, unsigned request_id,
    const void *p, size_t n)
{
	unsigned char	 h[FCGI_HEADER_LEN], *oh;
	size_t		 chunk;
	enum vn_err	 rc;

	while (n > 0) {
		if (*open > 0 && *open < FCGI_RECORD_MAX &&
		    q->len >= *open + FCGI_HEADER_LEN) {
			chunk = FCGI_RECORD_MAX - *open;
			if (chunk > n)
				chunk = n;
			if ((rc = buf_add(q, p, chunk)) != VN_OK)
				return rc;
			oh = (unsigned char *)q->data + q->len - chunk - *open -
			    FCGI_HEADER_LEN;
			*open += chunk;
			oh[4] = (unsigned char)(*open >> 8);
			oh[5] = (unsigned char)*open;
		} else {
			chunk = n > FCGI_RECORD_MAX ? FCGI_RECORD_MAX : n;
			h[0] = FCGI_VERSION_1;
			h[1] = FCGI_STDOUT;
			h[2] = (unsigned char)(request_id >> 8);
			h[3] = (unsigned char)request_id;
			h[4] = (unsigned char)(chunk >> 8);
			h[5] = (unsigned char)chunk;
			h[6] = 0;	/* padding length */
			h[7] = 0;	/* reserved */
			if ((rc = buf_add(q, h, sizeof(h))) != VN_OK ||
			    (rc = buf_add(q, p, chunk)) != VN_OK)
				return rc;
			*open = chunk;
		}
		p = (const char *)p + chunk;
		n -= chunk;
	}
	return VN_OK;
}

/* Start an empty queue for request_id on fd; max caps what it holds. */
void
fcgi_out_init(struct fcgi_out *o, int fd, unsigned request_id, size_t max)
{
	memset(o, 0, sizeof(*o));
	o->fd = fd;
	o->request_id = request_id;
	buf_init(&o->q, max);
}

void
fcgi_out_free(struct fcgi_out *o)
{
	buf_free(&o->q);
	o->open = 0;
}

/*
 * Queue n bytes.  VN_ECLIENT when the peer is gone or has left a whole
 * queue unread (it stopped reading long ago).
 */
enum vn_err
fcgi_out_put(struct fcgi_out *o, const void *p, size_t n)
{
	if (o->failed)
		return VN_ECLIENT;
	if (fcgi_out_frame(&o->q, &o->open, o->request_id, p, n) != VN_OK) {
		o->failed = 1;
		return VN_ECLIENT;
	}
	return VN_OK;
}

/*
 * Write what the socket takes of the queue, without blocking.  Returns
 * 1 when the queue is empty, 0 when bytes remain, -1 when the peer is
 * gone.
 */
int
fcgi_out_flush(struct fcgi_out *o)
{
	ssize_t	 n;

	if (o->failed)
		return -1;
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
 * Flush the whole queue, waiting up to timeout_ms for a slow peer.
 * Returns 1 when it all went out, -1 otherwise.
 */
int
fcgi_out_drain(struct fcgi_out *o, long timeout_ms)
{
	struct pollfd	 p;
	long long	 until = clock_ms() + timeout_ms;
	int		 rc;

	while ((rc = fcgi_out_flush(o)) == 0 && clock_ms() < until) {
		p.fd = o->fd;
		p.events = POLLOUT;
		p.revents = 0;
		(void)poll(&p, 1, 100);
	}
	return rc == 1 ? 1 : -1;
}
