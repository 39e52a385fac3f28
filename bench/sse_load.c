/*
 * sse_load.c: the streaming load of the benchmark.  Keeps CONCURRENCY
 * chat streams open at once (one connection each, epoll, no threads)
 * until TOTAL streams have finished, and measures, for every event that
 * carries the mock upstream's "mock_ts" stamp (its wall-clock send
 * time), how long it took to arrive.  Run against the mock directly and
 * through the gateway, the difference is the delay the gateway adds.
 *
 *   sse_load -p PORT -a PATH -c CONCURRENCY -n TOTAL -b BODY [-k KEY]
 *            [-s SKIP]
 *
 * -s leaves the first SKIP stamped events of each stream out of the
 * figures, to tell the steady state from the start of a burst.
 * Prints one JSON line: streams completed (with [DONE]) and failed,
 * events, and the delay percentiles in microseconds.
 */
#include "config.h"

#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BUCKETS		100000	/* 10 us each: up to 1 s, then the last */
#define BUCKET_US	10
#define MAX_IN		(256 * 1024)

struct conn {
	int	 fd;
	char	*in;		/* unparsed bytes */
	size_t	 inlen;
	int	 head_done;
	int	 status;
	int	 chunked;
	long	 chunk_left;	/* bytes left in the current chunk; -1: size */
	char	*body;		/* decoded body not yet split into lines */
	size_t	 bodylen;
	int	 done;		/* [DONE] seen */
	size_t	 sent;
	long	 nstamped;	/* stamped events of this stream */
};

static const char	*path, *body, *key;
static int		 port;
static long		 skip;		/* first stamped events not measured */
static char		 request[65536];
static size_t		 reqlen;
static unsigned long	 hist[BUCKETS];
static unsigned long	 events, stamped, streams_ok, streams_failed;
static long long	 max_delay;

static long long
now_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
record(long long d)
{
	long long	 b;

	if (d < 0)
		d = 0;
	if (d > max_delay)
		max_delay = d;
	b = d / BUCKET_US;
	hist[b >= BUCKETS ? BUCKETS - 1 : b]++;
	stamped++;
}

static long long
percentile(double p)
{
	unsigned long	 want, acc = 0;
	long		 i;

	if (stamped == 0)
		return 0;
	want = (unsigned long)(p * (double)stamped);
	if (want >= stamped)
		want = stamped - 1;
	for (i = 0; i < BUCKETS; i++) {
		acc += hist[i];
		if (acc > want)
			return (long long)i * BUCKET_US;
	}
	return max_delay;
}

/* One SSE line of the decoded body. */
static void
line(struct conn *c, const char *s, size_t n)
{
	const char	*ts;
	char		 num[32];
	size_t		 k;

	if (n < 6 || memcmp(s, "data: ", 6) != 0)
		return;
	events++;
	if (n == 12 && memcmp(s + 6, "[DONE]", 6) == 0) {
		c->done = 1;
		return;
	}
	if ((ts = memmem(s, n, "\"mock_ts\":", 10)) == NULL)
		return;
	ts += 10;
	for (k = 0; k < sizeof(num) - 1 && ts + k < s + n &&
	    ts[k] >= '0' && ts[k] <= '9'; k++)
		num[k] = ts[k];
	num[k] = '\0';
	if (c->nstamped++ >= skip)
		record(now_us() - atoll(num));
}

static void
body_bytes(struct conn *c, const char *p, size_t n)
{
	char	*nl;
	size_t	 off;

	c->body = realloc(c->body, c->bodylen + n);
	if (c->body == NULL)
		err(1, "realloc");
	memcpy(c->body + c->bodylen, p, n);
	c->bodylen += n;
	off = 0;
	while ((nl = memchr(c->body + off, '\n', c->bodylen - off)) != NULL) {
		line(c, c->body + off, (size_t)(nl - (c->body + off)));
		off = (size_t)(nl - c->body) + 1;
	}
	memmove(c->body, c->body + off, c->bodylen - off);
	c->bodylen -= off;
}

/* Consume what can be consumed of c->in. */
static void
parse(struct conn *c)
{
	char	*end, *p;
	size_t	 used = 0, take;

	if (!c->head_done) {
		if ((end = memmem(c->in, c->inlen, "\r\n\r\n", 4)) == NULL)
			return;
		c->status = atoi(c->in + 9);
		c->chunked = memmem(c->in, (size_t)(end - c->in),
		    "chunked", 7) != NULL;
		c->head_done = 1;
		c->chunk_left = -1;
		used = (size_t)(end - c->in) + 4;
	}
	while (used < c->inlen) {
		if (!c->chunked) {
			body_bytes(c, c->in + used, c->inlen - used);
			used = c->inlen;
			break;
		}
		if (c->chunk_left < 0) {
			p = memmem(c->in + used, c->inlen - used, "\r\n", 2);
			if (p == NULL)
				break;
			c->chunk_left = strtol(c->in + used, NULL, 16);
			used = (size_t)(p - c->in) + 2;
			if (c->chunk_left == 0)
				c->chunk_left = -2;	/* last chunk */
			continue;
		}
		if (c->chunk_left == -2) {
			used = c->inlen;
			break;
		}
		if (c->chunk_left == 0) {
			if (c->inlen - used < 2)
				break;
			used += 2;	/* CRLF after the chunk */
			c->chunk_left = -1;
			continue;
		}
		take = c->inlen - used;
		if ((long)take > c->chunk_left)
			take = (size_t)c->chunk_left;
		body_bytes(c, c->in + used, take);
		used += take;
		c->chunk_left -= (long)take;
	}
	memmove(c->in, c->in + used, c->inlen - used);
	c->inlen -= used;
}

static int
start(int ep)
{
	struct sockaddr_in	 sa;
	struct epoll_event	 ev;
	struct conn		*c;
	int			 fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1)
		err(1, "socket");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 &&
	    errno != EINPROGRESS)
		err(1, "connect");
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->in = malloc(MAX_IN)) == NULL)
		err(1, "calloc");
	c->fd = fd;
	ev.events = EPOLLIN | EPOLLOUT;
	ev.data.ptr = c;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == -1)
		err(1, "epoll_ctl");
	return 0;
}

static void
finish(int ep, struct conn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	if (c->status == 200 && c->done)
		streams_ok++;
	else
		streams_failed++;
	free(c->in);
	free(c->body);
	free(c);
}

int
main(int argc, char *argv[])
{
	struct epoll_event	 evs[256], mod;
	struct rlimit		 rl;
	struct conn		*c;
	long			 conc = 100, total = 100, started = 0, active = 0;
	long long		 t0;
	ssize_t			 n;
	int			 ch, ep, i, ne;

	while ((ch = getopt(argc, argv, "a:b:c:k:n:p:s:")) != -1)
		switch (ch) {
		case 'a': path = optarg; break;
		case 'b': body = optarg; break;
		case 'c': conc = atol(optarg); break;
		case 'k': key = optarg; break;
		case 'n': total = atol(optarg); break;
		case 'p': port = atoi(optarg); break;
		case 's': skip = atol(optarg); break;
		default: errx(2, "usage: sse_load -p port -a path -c conc "
			    "-n total -b body [-k key]");
		}
	if (path == NULL || body == NULL || port == 0)
		errx(2, "-p, -a and -b are required");
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	reqlen = (size_t)snprintf(request, sizeof(request),
	    "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n"
	    "%s%s%s"
	    "Connection: close\r\n\r\n%s", path, strlen(body),
	    key != NULL ? "Authorization: Bearer " : "",
	    key != NULL ? key : "", key != NULL ? "\r\n" : "", body);
	if ((ep = epoll_create1(0)) == -1)
		err(1, "epoll_create1");
	t0 = now_us();
	while (started < total || active > 0) {
		while (active < conc && started < total) {
			start(ep);
			started++;
			active++;
		}
		if ((ne = epoll_wait(ep, evs, 256, 1000)) == -1) {
			if (errno == EINTR)
				continue;
			err(1, "epoll_wait");
		}
		for (i = 0; i < ne; i++) {
			c = evs[i].data.ptr;
			if ((evs[i].events & EPOLLOUT) && c->sent < reqlen) {
				n = write(c->fd, request + c->sent,
				    reqlen - c->sent);
				if (n > 0)
					c->sent += (size_t)n;
				if (c->sent == reqlen) {
					mod.events = EPOLLIN;
					mod.data.ptr = c;
					epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &mod);
				}
			}
			if (!(evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
				continue;
			n = read(c->fd, c->in + c->inlen, MAX_IN - c->inlen);
			if (n > 0) {
				c->inlen += (size_t)n;
				parse(c);
				continue;
			}
			if (n == -1 && errno == EAGAIN)
				continue;
			finish(ep, c);
			active--;
		}
	}
	printf("{\"streams_ok\":%lu,\"streams_failed\":%lu,\"events\":%lu,"
	    "\"stamped\":%lu,\"p50_us\":%lld,\"p90_us\":%lld,\"p99_us\":%lld,"
	    "\"max_us\":%lld,\"seconds\":%.2f}\n", streams_ok, streams_failed,
	    events, stamped, percentile(0.50), percentile(0.90),
	    percentile(0.99), max_delay, (double)(now_us() - t0) / 1e6);
	return streams_failed > 0;
}
