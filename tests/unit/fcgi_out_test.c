/*
 * fcgi_out_test.c: FastCGI STDOUT records written by hand: the framing
 * (FastCGI 1.0 §3.3, 8-byte headers, at most 65535 bytes a record, an
 * open record grown by later puts), the queue's cap, and what a flush
 * does against a peer that reads, stalls or leaves.
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "fcgi_out.h"
#include "../tap.h"

/*
 * Parse q as STDOUT records of request id; their content into out.
 * Returns the number of records, -1 if a header is wrong.
 */
static int
records(const unsigned char *q, size_t n, unsigned id, struct buf *out)
{
	size_t	 i = 0, len;
	int	 k = 0;

	while (i < n) {
		if (n - i < 8 || q[i] != 1 || q[i + 1] != 6 ||
		    (unsigned)(q[i + 2] << 8 | q[i + 3]) != id ||
		    q[i + 6] != 0 || q[i + 7] != 0)
			return -1;
		len = (size_t)q[i + 4] << 8 | q[i + 5];
		if (len == 0 || n - i - 8 < len ||
		    buf_add(out, q + i + 8, len) != VN_OK)
			return -1;
		i += 8 + len;
		k++;
	}
	return k;
}

static void
framing(void)
{
	struct buf	 q, out;
	char		*big;
	size_t		 open = 0, n = 200000, i;

	buf_init(&q, 1 << 20);
	buf_init(&out, 1 << 20);
	ok(fcgi_out_frame(&q, &open, 0x1234, "data: ", 6) == VN_OK &&
	    fcgi_out_frame(&q, &open, 0x1234, "{}", 2) == VN_OK &&
	    fcgi_out_frame(&q, &open, 0x1234, "\n\n", 2) == VN_OK,
	    "an event put in three pieces");
	is_int(records((unsigned char *)q.data, q.len, 0x1234, &out), 1,
	    "  is one record");
	ok(out.len == 10 && memcmp(out.data, "data: {}\n\n", 10) == 0,
	    "  with its bytes in order");
	is_int(q.len, 18, "  8 bytes of header, no padding");

	buf_reset(&q);
	buf_reset(&out);
	open = 0;
	big = malloc(n);
	for (i = 0; i < n; i++)
		big[i] = (char)('a' + i % 26);
	ok(fcgi_out_frame(&q, &open, 1, big, n) == VN_OK, "200,000 bytes");
	is_int(records((unsigned char *)q.data, q.len, 1, &out), 4,
	    "  are 4 records (3 of 65,535)");
	ok(out.len == n && memcmp(out.data, big, n) == 0, "  in order");
	ok(fcgi_out_frame(&q, &open, 1, "z", 1) == VN_OK &&
	    records((unsigned char *)q.data, q.len, 1, &out) == 4,
	    "one more byte grows the last, open record");

	/* A record at its limit is closed: the next byte opens another. */
	buf_reset(&q);
	buf_reset(&out);
	open = 0;
	ok(fcgi_out_frame(&q, &open, 1, big, 65535) == VN_OK &&
	    fcgi_out_frame(&q, &open, 1, "y", 1) == VN_OK &&
	    records((unsigned char *)q.data, q.len, 1, &out) == 2,
	    "65,535 bytes then one: two records");

	buf_free(&q);
	buf_init(&q, 1000);
	open = 0;
	is_int(fcgi_out_frame(&q, &open, 1, big, 2000), VN_ETOOBIG,
	    "past the queue's cap: VN_ETOOBIG");
	free(big);
	buf_free(&q);
	buf_free(&out);
}

static void
flushing(void)
{
	struct fcgi_out	 o;
	struct buf	 got;
	char		 chunk[65536], *big;
	size_t		 n = 600000;
	ssize_t		 r;
	int		 sv[2], sndbuf = 4096, rc, guard;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1) {
		ok(0, "socketpair: %s", strerror(errno));
		return;
	}
	(void)setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf,
	    sizeof(sndbuf));
	fcgi_out_init(&o, sv[0], 7, FCGI_OUT_MAX);
	big = malloc(FCGI_OUT_MAX);
	memset(big, 'x', FCGI_OUT_MAX);
	ok(fcgi_out_put(&o, big, n) == VN_OK, "600,000 bytes queued");
	is_int(fcgi_out_flush(&o), 0, "a peer that does not read: bytes "
	    "remain, the flush does not block");
	buf_init(&got, 1 << 20);
	for (guard = 0, rc = 0; rc != 1 && guard < 100000; guard++) {
		while ((r = recv(sv[1], chunk, sizeof(chunk),
		    MSG_DONTWAIT)) > 0)
			if (buf_add(&got, chunk, (size_t)r) != VN_OK)
				break;
		rc = fcgi_out_flush(&o);
	}
	while ((r = recv(sv[1], chunk, sizeof(chunk), MSG_DONTWAIT)) > 0)
		(void)buf_add(&got, chunk, (size_t)r);
	is_int(rc, 1, "once it reads, the queue drains");
	{
		struct buf	 content;

		buf_init(&content, 1 << 20);
		ok(records((unsigned char *)got.data, got.len, 7,
		    &content) > 0 && content.len == n,
		    "  and it got every byte, in records");
		buf_free(&content);
	}
	ok(fcgi_out_put(&o, big, FCGI_OUT_MAX - 4096) == VN_OK &&
	    fcgi_out_put(&o, big, 8192) == VN_ECLIENT,
	    "a peer that leaves a whole queue unread is given up on");
	is_int(fcgi_out_flush(&o), -1, "  and every flush says so");
	fcgi_out_free(&o);

	fcgi_out_init(&o, sv[0], 7, FCGI_OUT_MAX);
	close(sv[1]);
	(void)fcgi_out_put(&o, "bye", 3);
	is_int(fcgi_out_flush(&o), -1, "a peer that closed: -1");
	is_int(fcgi_out_put(&o, "x", 1), VN_ECLIENT, "  and puts fail");
	fcgi_out_free(&o);
	close(sv[0]);
	buf_free(&got);
	free(big);
}

int
main(void)
{
	framing();
	flushing();
	return done_testing();
}
