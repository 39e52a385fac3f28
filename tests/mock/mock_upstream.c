/*
 * mock_upstream.c: an OpenAI-compatible HTTP/1.1 server on loopback for
 * Venna's integration tests and benchmarks.
 *
 * One thread, one epoll set, non-blocking sockets, keep-alive.  Every
 * delay (latency, chunk intervals, split-write gaps) is a deadline in a
 * binary min-heap whose earliest entry bounds epoll_pwait's timeout;
 * nothing sleeps.  A stream keeps only a rendered chunk prefix, the reply
 * text and a step counter; each SSE event is rendered when its turn
 * comes, so thousands of streams cost little memory.
 *
 * This file is the server: sockets, HTTP/1.1, timers and the pacing of
 * streams.  What is said (bodies, events, knobs, the log) lives in the
 * other mock_*.c files; see mock.h and tests/mock/README.
 */
#include "config.h"

#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <json.h>

#include "mock.h"

#define MAX_IN		(MAX_HEAD + MAX_BODY + 2 * READ_CHUNK)
#define MAX_PIPELINE	(64 * 1024)		/* input read while answering */
#define MAX_DEPTH	128			/* JSON nesting in requests */
#define SPLIT_GAP	2			/* ms between split writes */
#define LINGER_MS	2000			/* drain input after an error */
#define ACCEPT_BACKOFF	100			/* ms off after EMFILE */
#define READ_CHUNK	(16 * 1024)
#define NEVENTS		512
#define NOIDX		SIZE_MAX

/* Where a connection is in its request/response cycle. */
enum phase {
	P_READ,		/* reading a request; no response under way */
	P_LATENCY,	/* timer: send the response head */
	P_FIRSTBYTE,	/* timer: send the non-stream body */
	P_STREAM,	/* timer: next stream step */
	P_SPLIT,	/* timer: release the next piece of a split write */
	P_FLUSH,	/* response complete once the output drains */
	P_NEVER,	/* never answer; wait for the client to go */
	P_LINGER	/* error sent, write side shut; discard input */
};

struct conn;

/* A deadline; its owner is armed in the heap while hidx != NOIDX. */
struct tmr {
	uint64_t	 at;		/* monotonic ms */
	size_t		 hidx;		/* heap slot or NOIDX */
	struct conn	*c;		/* NULL: the listener's backoff */
};

/* One client connection; it handles one request at a time. */
struct conn {
	int		 fd;
	uint32_t	 events;	/* registered epoll mask */
	int		 dead;		/* closed; freed at the end of a turn */
	int		 busy;		/* a response is under way (r) */
	int		 linger;	/* after this response: drain, close */
	int		 close_after;	/* after this response, close */
	int		 chunked_out;	/* this response is chunked */
	int		 http10;	/* this request was HTTP/1.0 */
	enum phase	 phase;
	struct tmr	 tmr;
	struct conn	*prev, *next;	/* conns, or graveyard once dead */
	struct sbuf	 in;		/* received, not yet consumed */
	struct pstate	 ps;		/* parse state of the next request */
	struct sbuf	 out;		/* to send */
	size_t		 outoff;	/* bytes of out already sent */
	size_t		 outlim;	/* bytes of out allowed to be sent */
	size_t		 split[4];	/* later outlim values (split knob) */
	int		 nsplit;	/* split[] entries used */
	int		 spliti;	/* next split[] entry to apply */
	struct resp	*r;		/* the response under way or NULL */
};

/* The endpoints; anything else is a 404 envelope. */
struct route {
	const char	*method, *path;
	int		 api;		/* 1: /v1 endpoint, auth and knobs */
	void		(*fn)(struct resp *, struct req *);
};

static void	 conn_write(struct conn *);
static void	 stream_run(struct conn *);

static const struct route routes[] = {
	{ "POST", "/v1/chat/completions", 1, openai_chat },
	{ "POST", "/v1/embeddings", 1, openai_embeddings },
	{ "GET", "/v1/models", 1, openai_models },
	{ "GET", "/_mock/requests", 0, log_requests },
	{ "POST", "/_mock/reset", 0, log_reset },
	{ "GET", "/_mock/stats", 0, log_stats },
};

struct mock_stats		 stats;

static int			 epfd = -1, lfd = -1;
static uint64_t			 now_ms, rng;
static volatile sig_atomic_t	 quit;
static struct knobs		 defknobs;
static const char		*apikey;
static struct conn		*conns, *graveyard;
static struct tmr		**heap;
static size_t			 heaplen, heapcap;
static struct tmr		 ltmr = { 0, NOIDX, NULL };
static struct sbuf		 ev = { NULL, 0, 0, MAX_OUT };
static json_tokener		*tok;

/* The monotonic clock in ms. */
static uint64_t
mono_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* xorshift64*: jitter and ids need variety, not cryptographic quality. */
uint64_t
mock_rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1DULL;
}

/* A delay of base ms plus a uniform 0..jitter ms. */
static long
delay(long base, long jitter)
{
	if (jitter > 0)
		base += (long)(mock_rnd() % (uint64_t)(jitter + 1));
	return base;
}

/*
 * The timer heap: a binary min-heap of struct tmr by deadline, each
 * entry knowing its slot (hidx) so that it can be cancelled in O(log n).
 */
static void
heap_swap(size_t a, size_t b)
{
	struct tmr	*t = heap[a];

	heap[a] = heap[b];
	heap[b] = t;
	heap[a]->hidx = a;
	heap[b]->hidx = b;
}

static void
heap_up(size_t i)
{
	while (i > 0 && heap[(i - 1) / 2]->at > heap[i]->at) {
		heap_swap(i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void
heap_down(size_t i)
{
	size_t	 l, m;

	for (;;) {
		l = 2 * i + 1;
		m = i;
		if (l < heaplen && heap[l]->at < heap[m]->at)
			m = l;
		if (l + 1 < heaplen && heap[l + 1]->at < heap[m]->at)
			m = l + 1;
		if (m == i)
			return;
		heap_swap(i, m);
		i = m;
	}
}

/* Disarm t; a no-op when it is not armed. */
static void
tmr_cancel(struct tmr *t)
{
	struct tmr	*m;
	size_t		 i = t->hidx;

	if (i == NOIDX)
		return;
	t->hidx = NOIDX;
	if (i == --heaplen)
		return;
	m = heap[i] = heap[heaplen];
	m->hidx = i;
	heap_up(i);
	heap_down(m->hidx);
}

/* (Re)arm t to fire at monotonic time at (ms); a past time fires now. */
static void
tmr_at(struct tmr *t, uint64_t at)
{
	tmr_cancel(t);
	if (t->c != NULL && t->c->dead)
		return;
	if (heaplen == heapcap) {
		heapcap = heapcap ? heapcap * 2 : 1024;
		heap = xrealloc(heap, heapcap * sizeof(*heap));
	}
	t->at = at;
	t->hidx = heaplen;
	heap[heaplen++] = t;
	heap_up(t->hidx);
}

/* (Re)arm t to fire ms milliseconds from now. */
static void
tmr_set(struct tmr *t, long ms)
{
	tmr_at(t, now_ms + (uint64_t)ms);
}

/* Make c's registered epoll events want. */
static void
conn_mask(struct conn *c, uint32_t want)
{
	struct epoll_event	 e;

	if (c->events == want || c->dead)
		return;
	memset(&e, 0, sizeof(e));
	e.events = want;
	e.data.ptr = c;
	if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &e) == -1)
		err(1, "epoll_ctl");
	c->events = want;
}

/*
 * Close c now and queue it for freeing at the end of the loop turn, so
 * callers up the stack and later events in the same batch may still look
 * at c->dead.  A response under way counts as aborted when aborted is 1.
 */
static void
conn_kill(struct conn *c, int aborted)
{
	if (c->dead)
		return;
	if (c->busy) {
		stats.active--;
		if (aborted)
			stats.aborted++;
	}
	c->busy = 0;
	c->dead = 1;
	tmr_cancel(&c->tmr);
	close(c->fd);
	stats.conns--;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->next = graveyard;
	graveyard = c;
}

/* Free a dead connection and all it owns. */
static void
conn_free(struct conn *c)
{
	sb_free(&c->in);
	sb_free(&c->out);
	resp_free(c->r);
	free(c);
}

/* The response is complete: next request, linger or close. */
static void
resp_finish(struct conn *c)
{
	resp_free(c->r);
	c->r = NULL;
	c->busy = 0;
	stats.active--;
	c->phase = P_READ;
	if (c->out.cap > 1024 * 1024)
		sb_free(&c->out);
	if (c->linger) {
		shutdown(c->fd, SHUT_WR);
		c->phase = P_LINGER;
		c->in.len = 0;
		tmr_set(&c->tmr, LINGER_MS);
		conn_mask(c, EPOLLIN | EPOLLRDHUP);
		return;
	}
	if (c->close_after) {
		conn_kill(c, 0);
		return;
	}
	conn_mask(c, EPOLLIN | EPOLLRDHUP);
}

/*
 * Send what may be sent (up to outlim).  On EAGAIN wait for EPOLLOUT; on
 * a write error the client is gone.  In P_FLUSH a drained buffer ends
 * the response.
 */
static void
conn_write(struct conn *c)
{
	ssize_t	 n;
	int	 i;

	if (c->dead)
		return;
	while (c->outoff < c->outlim) {
		n = send(c->fd, c->out.p + c->outoff, c->outlim - c->outoff,
		    MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN) {
			conn_mask(c, c->events | EPOLLOUT);
			return;
		}
		if (n == -1) {
			conn_kill(c, 1);
			return;
		}
		stats.bytes_out += (unsigned long long)n;
		c->outoff += (size_t)n;
	}
	conn_mask(c, c->events & ~(uint32_t)EPOLLOUT);
	if (c->outoff == c->out.len) {
		c->outoff = c->outlim = c->out.len = 0;
	} else if (c->outoff > 65536 && c->outoff > c->out.len / 2) {
		memmove(c->out.p, c->out.p + c->outoff,
		    c->out.len - c->outoff);
		c->out.len -= c->outoff;
		c->outlim -= c->outoff;
		for (i = c->spliti; i < c->nsplit; i++)
			c->split[i] -= c->outoff;
		c->outoff = 0;
	}
	if (c->phase == P_FLUSH && c->out.len == 0)
		resp_finish(c);
}

/*
 * Queue n bytes as one unit of output: an SSE event (framed as an HTTP
 * chunk when the response is chunked) or a non-stream body.  half sends
 * only the chunk header and half the bytes (the cut knob).  With split,
 * the unit goes out in pieces: mid "data:", mid payload, before the last
 * byte; SPLIT_GAP ms apart (P_SPLIT releases them).
 */
static void
emit(struct conn *c, const char *p, size_t n, int half)
{
	char	 hdr[32];
	size_t	 base = c->out.len, pts[4];
	int	 hl = 0, np = 0, rc = 0, i;

	if (c->dead)
		return;
	if (c->chunked_out)
		hl = snprintf(hdr, sizeof(hdr), "%zx\r\n", n);
	rc |= sb_add(&c->out, hdr, (size_t)hl);
	rc |= sb_add(&c->out, p, half ? n / 2 : n);
	if (c->chunked_out && !half)
		rc |= sb_add(&c->out, "\r\n", 2);
	if (rc != 0) {
		conn_kill(c, 0);
		return;
	}
	c->nsplit = c->spliti = 0;
	if (c->r != NULL && c->r->k.split && !half && n > 8) {
		pts[np++] = base + (size_t)hl + 2;
		pts[np++] = base + (size_t)hl + n / 2;
		pts[np++] = base + (size_t)hl + n - 1;
		pts[np++] = c->out.len;
		c->outlim = pts[0];
		for (i = 1; i < np; i++)
			c->split[c->nsplit++] = pts[i];
	} else
		c->outlim = c->out.len;
	conn_write(c);
}

/*
 * Advance the stream: emit events until one is followed by a delay
 * (interval before content chunks, split gaps) or the stream ends.
 */
static void
stream_run(struct conn *c)
{
	struct resp	*r = c->r;
	enum step	 s, next;
	long		 d;

	while (!c->dead) {
		s = r->step;
		if (s == S_END) {
			c->phase = P_FLUSH;
			if (c->chunked_out)
				emit(c, "", 0, 0);	/* "0\r\n\r\n" */
			else {
				c->close_after = 1;
				conn_write(c);
			}
			return;
		}
		if (openai_event(r, s, &ev) == -1) {
			conn_kill(c, 0);
			return;
		}
		if ((s == S_CONTENT || s == S_FINISH) && r->k.cut >= 0 &&
		    r->ci >= r->k.cut) {
			c->close_after = 1;
			c->phase = P_FLUSH;
			emit(c, ev.p, ev.len, 1);
			return;
		}
		switch (s) {
		case S_ROLE:
		case S_GARBAGE:
			next = s == S_ROLE && r->k.garbage ? S_GARBAGE :
			    r->k.chunks > 0 ? S_CONTENT : S_FINISH;
			break;
		case S_CONTENT:
			r->ci++;
			next = r->ci < r->k.chunks ? S_CONTENT : S_FINISH;
			break;
		case S_FINISH:
			next = r->include_usage ? S_USAGE : S_DONE;
			break;
		default:
			next = s + 1;
			break;
		}
		d = next == S_CONTENT ? delay(r->k.interval, r->k.jitter) : 0;
		r->step = next;
		emit(c, ev.p, ev.len, 0);
		if (c->dead)
			return;
		/*
		 * Chunks keep to the stream's own schedule (due), not to
		 * "now + interval": a late wakeup under load must not
		 * stretch every later interval, as it would not upstream.
		 */
		r->due += (uint64_t)d;
		if (c->spliti < c->nsplit) {
			r->after_split = d;
			c->phase = P_SPLIT;
			tmr_set(&c->tmr, r->k.split > 1 ? r->k.split :
			    SPLIT_GAP);
			return;
		}
		if (d > 0) {
			c->phase = P_STREAM;
			tmr_at(&c->tmr, r->due);
			return;
		}
	}
}

/* Queue the response head. clen < 0: chunked (or close-delimited). */
static void
put_head(struct conn *c, int status, const char *ctype, long long clen)
{
	const struct errdef	*d = openai_errdef(status);
	char			 h[512], rid[40];
	int			 n;

	openai_id(rid, sizeof(rid), "req_");
	c->chunked_out = clen < 0 && !c->http10;
	if (clen < 0 && c->http10)
		c->close_after = 1;
	n = snprintf(h, sizeof(h), "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
	    "x-request-id: %s\r\n", status, d != NULL ? d->reason : "Status",
	    ctype, rid);
	if (clen >= 0)
		n += snprintf(h + n, sizeof(h) - (size_t)n,
		    "Content-Length: %lld\r\n", clen);
	else
		n += snprintf(h + n, sizeof(h) - (size_t)n,
		    "Cache-Control: no-cache\r\n%s", c->chunked_out ?
		    "Transfer-Encoding: chunked\r\n" : "");
	if (c->r->k.retry_after >= 0)
		n += snprintf(h + n, sizeof(h) - (size_t)n,
		    "Retry-After: %ld\r\n", c->r->k.retry_after);
	n += snprintf(h + n, sizeof(h) - (size_t)n, "Connection: %s\r\n\r\n",
	    c->close_after ? "close" : "keep-alive");
	if (sb_add(&c->out, h, (size_t)n) == -1)
		conn_kill(c, 0);
	c->outlim = c->out.len;
}

/* Send the non-stream body (half of it with the cut knob). */
static void
ns_body(struct conn *c)
{
	struct resp	*r = c->r;

	if (r->k.cut >= 0) {
		c->close_after = 1;
		c->phase = P_FLUSH;
		emit(c, r->body.p, r->body.len, 1);
		return;
	}
	c->phase = P_FLUSH;
	emit(c, r->body.p == NULL ? "" : r->body.p, r->body.len, 0);
	if (!c->dead && c->spliti < c->nsplit) {
		c->phase = P_SPLIT;
		tmr_set(&c->tmr, r->k.split > 1 ? r->k.split : SPLIT_GAP);
	}
}

/* Latency has passed: send the head, then the body or the stream. */
static void
resp_start(struct conn *c)
{
	struct resp	*r = c->r;

	if (r->stream && r->status == 200) {
		put_head(c, 200, r->ctype, -1);
		r->step = S_ROLE;
		c->phase = P_STREAM;
		r->due = now_ms + (uint64_t)r->k.first_byte;
		if (r->k.first_byte > 0) {
			conn_write(c);
			tmr_at(&c->tmr, r->due);
			return;
		}
		stream_run(c);
		return;
	}
	put_head(c, r->status, r->ctype, (long long)r->body.len);
	if (r->k.first_byte > 0 && !c->dead) {
		c->phase = P_FIRSTBYTE;
		conn_write(c);
		tmr_set(&c->tmr, r->k.first_byte);
		return;
	}
	ns_body(c);
}

/* Start the response c->r: never, latency, or now. */
static void
resp_go(struct conn *c)
{
	long	 d;

	if (c->r->k.never) {
		c->phase = P_NEVER;
		return;
	}
	d = delay(c->r->k.latency, c->r->k.jitter);
	if (d > 0) {
		c->phase = P_LATENCY;
		tmr_set(&c->tmr, d);
		return;
	}
	resp_start(c);
}

/* A timer of c fired. */
static void
conn_timer(struct conn *c)
{
	switch (c->phase) {
	case P_LATENCY:
		resp_start(c);
		break;
	case P_FIRSTBYTE:
		ns_body(c);
		break;
	case P_STREAM:
		stream_run(c);
		break;
	case P_SPLIT:
		c->outlim = c->split[c->spliti++];
		conn_write(c);
		if (c->dead)
			break;
		if (c->spliti < c->nsplit)
			tmr_set(&c->tmr, c->r->k.split > 1 ? c->r->k.split :
			    SPLIT_GAP);
		else if (!c->r->stream || c->r->status != 200) {
			c->phase = P_FLUSH;
			conn_write(c);
		} else if (c->r->after_split > 0) {
			c->phase = P_STREAM;
			tmr_at(&c->tmr, c->r->due);
		} else {
			c->phase = P_STREAM;
			stream_run(c);
		}
		break;
	case P_LINGER:
		conn_kill(c, 0);
		break;
	default:
		break;
	}
}

/*
 * Answer a request that could not be parsed (status 400, 413 or 431),
 * then shut the write side and drain input for a while before closing,
 * so a client still sending its body reads the answer, not a reset.
 */
static void
http_fail(struct conn *c, int status)
{
	c->r = resp_new();
	c->busy = 1;
	stats.active++;
	stats.requests++;
	c->close_after = 1;
	c->linger = 1;
	resp_error(c->r, status, status == 400 ?
	    "Malformed HTTP request (mock)." : NULL, NULL, NULL);
	resp_go(c);
}

/* "Expect: 100-continue": tell the client to send the body. */
static void
send_continue(struct conn *c)
{
	c->ps.sent100 = 1;
	if (sb_adds(&c->out, "HTTP/1.1 100 Continue\r\n\r\n") == -1) {
		conn_kill(c, 0);
		return;
	}
	c->outlim = c->out.len;
	conn_write(c);
}

/* Does q carry "Authorization: Bearer <apikey>"? */
static int
auth_ok(const struct req *q)
{
	size_t	 kl = strlen(apikey);

	return q->auth != NULL && q->authlen == 7 + kl &&
	    strncasecmp(q->auth, "Bearer ", 7) == 0 &&
	    memcmp(q->auth + 7, apikey, kl) == 0;
}

/* Parse the body as JSON: a new reference, or NULL if it is not JSON. */
static json_object *
parse_body(const struct req *q)
{
	json_object	*o;
	size_t		 end;

	if (q->bodylen == 0)
		return NULL;
	json_tokener_reset(tok);
	o = json_tokener_parse_ex(tok, q->body, (int)q->bodylen);
	if (o == NULL)
		return NULL;
	for (end = json_tokener_get_parse_end(tok); end < q->bodylen; end++)
		if (strchr(" \t\r\n", q->body[end]) == NULL) {
			json_object_put(o);
			return NULL;
		}
	return o;
}

/* Route one complete request and start its response. */
static void
dispatch(struct conn *c, struct req *q)
{
	const struct route	*rt = NULL;
	struct resp		*r;
	char			 errbuf[256];
	size_t			 i;
	int			 mock;

	mock = q->pathlen >= 7 && memcmp(q->path, "/_mock/", 7) == 0;
	q->json = parse_body(q);
	if (!mock) {
		stats.requests++;
		log_add(q);
	}
	c->r = r = resp_new();
	c->busy = 1;
	stats.active++;
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (strcmp(routes[i].method, q->method) == 0 &&
		    strlen(routes[i].path) == q->pathlen &&
		    memcmp(routes[i].path, q->path, q->pathlen) == 0)
			rt = &routes[i];
	if (rt == NULL) {
		snprintf(errbuf, sizeof(errbuf), "Invalid URL (%s %.*s)",
		    q->method, (int)(q->pathlen > 128 ? 128 : q->pathlen),
		    q->path);
		resp_error(r, 404, errbuf, NULL, "unknown_url");
	} else if (rt->api && apikey != NULL && q->auth == NULL)
		resp_error(r, 401, "You didn't provide an API key. You need "
		    "to provide your API key in an Authorization header using "
		    "Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
		    NULL, "");
	else if (rt->api && apikey != NULL && !auth_ok(q))
		resp_error(r, 401, NULL, NULL, NULL);
	else if (rt->api && knobs_resolve(&r->k, &defknobs, q->json, errbuf,
	    sizeof(errbuf)) == -1)
		resp_error(r, 400, errbuf, "mock", "invalid_value");
	else if (rt->api && r->k.status >= 400)
		resp_error(r, (int)r->k.status, NULL, NULL, NULL);
	else
		rt->fn(r, q);
	json_object_put(q->json);
	q->json = NULL;
	resp_go(c);
}

/* Handle every complete request buffered, one response at a time. */
static void
conn_process(struct conn *c)
{
	struct req	 q;
	size_t		 rest;
	int		 rc, status;

	while (!c->dead && !c->busy && c->phase == P_READ && c->in.len > 0) {
		rc = http_parse(&c->ps, &c->in, &q, &status);
		if (rc == -1) {
			http_fail(c, status);
			return;
		}
		if (rc == 0) {
			if (c->ps.hdrlen > 0 && c->ps.expect &&
			    !c->ps.sent100 && !c->ps.http10)
				send_continue(c);
			return;
		}
		c->close_after = !c->ps.keepalive;
		c->http10 = c->ps.http10;
		dispatch(c, &q);
		if (c->dead)
			return;
		rest = c->in.len - q.reqlen;
		memmove(c->in.p, c->in.p + q.reqlen, rest);
		c->in.len = rest;
		memset(&c->ps, 0, sizeof(c->ps));
		c->ps.clen = -1;
		if (c->in.cap > 1024 * 1024 && rest == 0)
			sb_free(&c->in);
	}
}

/*
 * Read what the socket has (events: what epoll reported).  Input that
 * arrives during a response is kept for the next request, up to
 * MAX_PIPELINE; end of file during a response is a client abort.
 */
static void
conn_read(struct conn *c, uint32_t events)
{
	static char	 sink[READ_CHUNK];
	ssize_t		 n;
	int		 eof = 0;

	for (;;) {
		if (c->phase == P_LINGER)
			n = recv(c->fd, sink, sizeof(sink), 0);
		else if (c->busy && c->in.len >= MAX_PIPELINE) {
			/* Stop reading; only a hangup still matters. */
			conn_mask(c, (c->events & EPOLLOUT) | EPOLLRDHUP);
			eof = (events &
			    (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0;
			break;
		} else {
			if (sb_reserve(&c->in, READ_CHUNK) == -1) {
				conn_kill(c, 0);
				return;
			}
			n = recv(c->fd, c->in.p + c->in.len,
			    c->in.cap - c->in.len - 1, 0);
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			break;
		if (n <= 0) {
			eof = 1;
			break;
		}
		if (c->phase != P_LINGER) {
			c->in.len += (size_t)n;
			c->in.p[c->in.len] = '\0';
			/* Decode and check limits as the body arrives. */
			conn_process(c);
			if (c->dead)
				return;
		}
	}
	conn_process(c);
	if (eof)
		conn_kill(c, 1);
}

/* epoll reported e on c. */
static void
conn_event(struct conn *c, uint32_t e)
{
	if (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		conn_read(c, e);
	if (!c->dead && (e & EPOLLOUT))
		conn_write(c);
	if (!c->dead && !c->busy)
		conn_process(c);
}

/*
 * Accept every pending connection.  When descriptors run out, stop
 * listening for ACCEPT_BACKOFF ms rather than spin on the listener.
 */
static void
do_accept(void)
{
	struct epoll_event	 e;
	struct conn		*c;
	int			 fd, one = 1;

	for (;;) {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1 && (errno == EINTR || errno == ECONNABORTED))
			continue;
		if (fd == -1 && errno != EAGAIN) {
			/* Out of descriptors: stop accepting for a moment. */
			warn("accept");
			epoll_ctl(epfd, EPOLL_CTL_DEL, lfd, NULL);
			tmr_set(&ltmr, ACCEPT_BACKOFF);
		}
		if (fd == -1)
			return;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c = xrealloc(NULL, sizeof(*c));
		memset(c, 0, sizeof(*c));
		c->fd = fd;
		c->tmr.hidx = NOIDX;
		c->tmr.c = c;
		c->in.max = MAX_IN;
		c->out.max = MAX_OUT;
		c->ps.clen = -1;
		c->events = EPOLLIN | EPOLLRDHUP;
		memset(&e, 0, sizeof(e));
		e.events = c->events;
		e.data.ptr = c;
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &e) == -1)
			err(1, "epoll_ctl");
		c->next = conns;
		if (conns != NULL)
			conns->prev = c;
		conns = c;
		stats.conns++;
	}
}

/* Watch the listening socket (again). */
static void
listen_on(void)
{
	struct epoll_event	 e;

	memset(&e, 0, sizeof(e));
	e.events = EPOLLIN;
	e.data.ptr = NULL;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &e) == -1)
		err(1, "epoll_ctl");
}

/* SIGINT, SIGTERM: leave the loop; main frees everything. */
static void
on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: mock_upstream [-l addr] [-p port] [-k key] "
	    "[knob=value ...]\n");
	exit(2);
}

/*
 * Bind addr:port (port 0: any free port) and listen; returns the port.
 * Exits on failure.
 */
static int
listen_socket(const char *addr, long port)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*s6 = (struct sockaddr_in6 *)&ss;
	socklen_t		 sl;
	int			 one = 1;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		sl = sizeof(*s4);
	} else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		sl = sizeof(*s6);
	} else
		errx(2, "%s: not a numeric address", addr);
	lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (lfd == -1)
		err(1, "socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&ss, sl) == -1)
		err(1, "bind %s:%ld", addr, port);
	/* The kernel caps the backlog at net.core.somaxconn. */
	if (listen(lfd, 65535) == -1)
		err(1, "listen");
	sl = sizeof(ss);
	if (getsockname(lfd, (struct sockaddr *)&ss, &sl) == -1)
		err(1, "getsockname");
	return ntohs(ss.ss_family == AF_INET ? s4->sin_port : s6->sin6_port);
}

/*
 * Block SIGINT and SIGTERM except inside epoll_pwait (with the mask left
 * in *waitmask), so a signal can never slip in between the check of quit
 * and the wait.
 */
static void
signals_init(sigset_t *waitmask)
{
	struct sigaction	 sa;
	sigset_t		 block;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, waitmask);
	sigdelset(waitmask, SIGINT);
	sigdelset(waitmask, SIGTERM);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/*
 * The event loop: wait for I/O or the earliest deadline, handle I/O,
 * fire due timers, free the connections closed on the way.  Returns on
 * SIGINT or SIGTERM.
 */
static void
serve(const sigset_t *waitmask)
{
	struct epoll_event	 evs[NEVENTS];
	struct conn		*c;
	struct tmr		*t;
	int			 i, n, timeout;

	now_ms = mono_ms();
	while (!quit) {
		timeout = -1;
		if (heaplen > 0)
			timeout = heap[0]->at <= now_ms ? 0 :
			    heap[0]->at - now_ms > INT_MAX ? INT_MAX :
			    (int)(heap[0]->at - now_ms);
		n = epoll_pwait(epfd, evs, NEVENTS, timeout, waitmask);
		if (n == -1 && errno != EINTR)
			err(1, "epoll_pwait");
		now_ms = mono_ms();
		for (i = 0; i < n; i++) {
			c = evs[i].data.ptr;
			if (c == NULL)
				do_accept();
			else if (!c->dead)
				conn_event(c, evs[i].events);
		}
		now_ms = mono_ms();
		while (heaplen > 0 && heap[0]->at <= now_ms) {
			t = heap[0];
			tmr_cancel(t);
			if (t->c == NULL)
				listen_on();
			else if (!t->c->dead) {
				conn_timer(t->c);
				if (!t->c->dead && !t->c->busy)
					conn_process(t->c);
			}
		}
		while ((c = graveyard) != NULL) {
			graveyard = c->next;
			conn_free(c);
		}
	}
}

int
main(int argc, char *argv[])
{
	struct rlimit		 rl;
	sigset_t		 waitmask;
	struct conn		*c;
	const char		*addr = "127.0.0.1", *eq;
	char			 errbuf[256], *end;
	long			 port = 0;
	int			 ch, i;

	knobs_init(&defknobs);
	while ((ch = getopt(argc, argv, "l:p:k:h")) != -1) {
		switch (ch) {
		case 'l':
			addr = optarg;
			break;
		case 'p':
			port = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || port < 0 ||
			    port > 65535)
				usage();
			break;
		case 'k':
			apikey = optarg;
			break;
		default:
			usage();
		}
	}
	for (i = optind; i < argc; i++) {
		eq = strchr(argv[i], '=');
		if (eq == NULL)
			usage();
		if (knobs_set(&defknobs, argv[i], (size_t)(eq - argv[i]),
		    eq + 1, NULL, errbuf, sizeof(errbuf)) == -1)
			errx(2, "%s", errbuf);
	}

	/* Thousands of streams need thousands of descriptors. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	rng = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^
	    0x9e3779b97f4a7c15ULL;
	tok = json_tokener_new_ex(MAX_DEPTH);
	if (tok == NULL)
		errx(1, "json_tokener_new_ex");
	json_tokener_set_flags(tok, JSON_TOKENER_VALIDATE_UTF8);
	i = listen_socket(addr, port);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd == -1)
		err(1, "epoll_create1");
	listen_on();
	signals_init(&waitmask);

	/* Tests read this line to learn the port. */
	printf("port=%d\n", i);
	fflush(stdout);

	serve(&waitmask);

	while (conns != NULL)
		conn_kill(conns, 0);
	while ((c = graveyard) != NULL) {
		graveyard = c->next;
		conn_free(c);
	}
	log_clear();
	free(heap);
	sb_free(&ev);
	free(defknobs.text);
	json_tokener_free(tok);
	close(epfd);
	close(lfd);
	return 0;
}
