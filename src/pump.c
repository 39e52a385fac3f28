/*
 * pump.c: one thread per worker process moves the bytes of every
 * upstream transfer under way, with libcurl's multi interface driven by
 * epoll (the socket-action API).  Request threads keep the simple model
 * of one thread per request: they prepare a transfer, hand it to the
 * pump and sleep until it is over, while its callbacks run here.
 *
 * Why: a thousand streams of tokens mean tens of thousands of events a
 * second.  With a thread per stream each event woke its own thread
 * (measured: a third of the worker's time went to context switches);
 * here one wakeup serves every socket that is ready, and idle streams
 * cost nothing.  Connections to upstreams are kept alive in the multi
 * handle's pool, shared by the process.
 *
 * What the callbacks write to clients goes out without blocking (see
 * fcgi_out.c); a client that does not read has its bytes queued, and
 * the pump retries them every few milliseconds, so it can stall only
 * its own stream.  Every transfer also gets a tick every PUMP_TICK_MS
 * for timeouts, keepalives and noticing a departed client.
 */
#include "config.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "clock.h"
#include "fcgi_out.h"
#include "log.h"
#include "pump.h"

#define PUMP_EVENTS		256
#define PUMP_RETRY_MS		5	/* retry of clients' queued bytes */
#define WAKE_TAG		((uint64_t)-1)

struct job {
	CURL		*h;
	pump_tick_fn	 tick;
	void		*arg;
	struct fcgi_out	*out;
	CURLcode	 rc;
	int		 done;		/* guarded by the pump's mu */
	pthread_cond_t	 cv;		/* signalled once, when done */
	int		 by_tick;	/* aborted because tick said so */
	struct job	*next;		/* incoming queue, then active list */
	struct job	*prev;
};

struct pump {
	pthread_t	 tid;
	CURLM		*multi;
	int		 ep;
	int		 wakefd;
	long long	 timer_at;	/* curl's timeout, -1: none */
	long long	 next_tick;
	pthread_mutex_t	 mu;
	struct job	*incoming;	/* guarded by mu */
	int		 stop;		/* guarded by mu */
	struct job	*active;	/* pump thread only */
	struct fcgi_out	*pending;	/* pump thread only */
};

static int
on_socket(CURL *e, curl_socket_t s, int what, void *userp, void *sockp)
{
	struct pump		*p = userp;
	struct epoll_event	 ev;

	(void)e;
	memset(&ev, 0, sizeof(ev));
	ev.data.u64 = (uint64_t)s;
	if (what == CURL_POLL_REMOVE) {
		epoll_ctl(p->ep, EPOLL_CTL_DEL, s, NULL);
		curl_multi_assign(p->multi, s, NULL);
		return 0;
	}
	ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0) |
	    (what & CURL_POLL_OUT ? EPOLLOUT : 0);
	if (sockp == NULL) {
		if (epoll_ctl(p->ep, EPOLL_CTL_ADD, s, &ev) == -1 &&
		    errno == EEXIST)
			epoll_ctl(p->ep, EPOLL_CTL_MOD, s, &ev);
		curl_multi_assign(p->multi, s, p);	/* mark as known */
	} else
		epoll_ctl(p->ep, EPOLL_CTL_MOD, s, &ev);
	return 0;
}

static int
on_timer(CURLM *m, long ms, void *userp)
{
	struct pump	*p = userp;

	(void)m;
	p->timer_at = ms < 0 ? -1 : clock_ms() + ms;
	return 0;
}

static void
unlink_active(struct pump *p, struct job *j)
{
	if (j->prev != NULL)
		j->prev->next = j->next;
	else
		p->active = j->next;
	if (j->next != NULL)
		j->next->prev = j->prev;
	j->next = j->prev = NULL;
}

static void
unlink_pending(struct pump *p, struct fcgi_out *o)
{
	struct fcgi_out	**pp;

	if (o == NULL || !o->listed)
		return;
	for (pp = &p->pending; *pp != NULL; pp = &(*pp)->next)
		if (*pp == o) {
			*pp = o->next;
			break;
		}
	o->listed = 0;
	o->next = NULL;
}

/* End a job: out of the multi, out of the lists, its thread woken. */
static void
finish(struct pump *p, struct job *j, CURLcode rc)
{
	curl_multi_remove_handle(p->multi, j->h);
	unlink_active(p, j);
	unlink_pending(p, j->out);
	pthread_mutex_lock(&p->mu);
	j->rc = rc;
	j->done = 1;
	/* Only its own thread waits on it: no herd to wake. */
	pthread_cond_signal(&j->cv);
	pthread_mutex_unlock(&p->mu);
}

static void
collect(struct pump *p)
{
	CURLMsg		*msg;
	struct job	*j;
	int		 left;

	while ((msg = curl_multi_info_read(p->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		j = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &j);
		if (j != NULL)
			finish(p, j, msg->data.result);
	}
}

/* Take the jobs request threads handed over. */
static void
admit(struct pump *p)
{
	struct job	*in, *j;
	uint64_t	 n;

	(void)read(p->wakefd, &n, sizeof(n));
	pthread_mutex_lock(&p->mu);
	in = p->incoming;
	p->incoming = NULL;
	pthread_mutex_unlock(&p->mu);
	while ((j = in) != NULL) {
		in = j->next;
		j->prev = NULL;
		j->next = p->active;
		if (p->active != NULL)
			p->active->prev = j;
		p->active = j;
		curl_easy_setopt(j->h, CURLOPT_PRIVATE, j);
		if (curl_multi_add_handle(p->multi, j->h) != CURLM_OK)
			finish(p, j, CURLE_FAILED_INIT);
	}
}

static void
tick_all(struct pump *p)
{
	struct job	*j, *next;

	for (j = p->active; j != NULL; j = next) {
		next = j->next;
		if (j->tick != NULL && j->tick(j->arg) != 0) {
			j->by_tick = 1;
			finish(p, j, CURLE_ABORTED_BY_CALLBACK);
		}
	}
}

static void
retry_clients(struct pump *p)
{
	struct fcgi_out	*o, *next;

	for (o = p->pending; o != NULL; o = next) {
		next = o->next;
		if (fcgi_out_flush(o) != 0)	/* drained or failed */
			unlink_pending(p, o);
	}
}

static void *
loop(void *arg)
{
	struct pump		*p = arg;
	struct epoll_event	 evs[PUMP_EVENTS];
	long long		 now, wait;
	int			 i, n, running, stop;

	p->next_tick = clock_ms() + PUMP_TICK_MS;
	for (;;) {
		pthread_mutex_lock(&p->mu);
		stop = p->stop;
		pthread_mutex_unlock(&p->mu);
		if (stop && p->active == NULL)
			break;
		now = clock_ms();
		wait = p->next_tick - now;
		if (p->timer_at >= 0 && p->timer_at - now < wait)
			wait = p->timer_at - now;
		if (p->pending != NULL && wait > PUMP_RETRY_MS)
			wait = PUMP_RETRY_MS;
		if (wait < 0)
			wait = 0;
		n = epoll_wait(p->ep, evs, PUMP_EVENTS, (int)wait);
		for (i = 0; i < n; i++) {
			if (evs[i].data.u64 == WAKE_TAG) {
				admit(p);
				continue;
			}
			curl_multi_socket_action(p->multi,
			    (curl_socket_t)evs[i].data.u64,
			    (evs[i].events & EPOLLIN ? CURL_CSELECT_IN : 0) |
			    (evs[i].events & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
			    (evs[i].events & (EPOLLERR | EPOLLHUP) ?
			    CURL_CSELECT_ERR : 0), &running);
		}
		now = clock_ms();
		if (p->timer_at >= 0 && now >= p->timer_at) {
			p->timer_at = -1;
			curl_multi_socket_action(p->multi, CURL_SOCKET_TIMEOUT,
			    0, &running);
		}
		collect(p);
		if (p->pending != NULL)
			retry_clients(p);
		if (now >= p->next_tick) {
			p->next_tick = now + PUMP_TICK_MS;
			/* A job whose wake-up was lost waits a tick, no more. */
			admit(p);
			tick_all(p);
		}
	}
	return NULL;
}

/* The pump of this process; NULL if it cannot be started. */
struct pump *
pump_start(void)
{
	struct pump		*p;
	struct epoll_event	 ev;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->ep = p->wakefd = -1;
	p->timer_at = -1;
	pthread_mutex_init(&p->mu, NULL);
	if ((p->multi = curl_multi_init()) == NULL ||
	    (p->ep = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    (p->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1)
		goto fail;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u64 = WAKE_TAG;
	if (epoll_ctl(p->ep, EPOLL_CTL_ADD, p->wakefd, &ev) == -1)
		goto fail;
	curl_multi_setopt(p->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(p->multi, CURLMOPT_SOCKETDATA, p);
	curl_multi_setopt(p->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(p->multi, CURLMOPT_TIMERDATA, p);
	/* Keep enough idle connections for every stream's upstream. */
	curl_multi_setopt(p->multi, CURLMOPT_MAXCONNECTS, 1024L);
	if (pthread_create(&p->tid, NULL, loop, p) != 0)
		goto fail;
	return p;
fail:
	log_error("cannot start the upstream pump");
	if (p->multi != NULL)
		curl_multi_cleanup(p->multi);
	if (p->ep != -1)
		close(p->ep);
	if (p->wakefd != -1)
		close(p->wakefd);
	free(p);
	return NULL;
}

/*
 * Best effort: EAGAIN means a wake-up is already pending, and any
 * other failure is made up for by the loop's next tick.
 */
static void
wake(struct pump *p)
{
	uint64_t	 one = 1;

	while (write(p->wakefd, &one, sizeof(one)) == -1 && errno == EINTR)
		continue;
}

/* Stop the pump once its transfers are over; frees it. */
void
pump_stop(struct pump *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_mutex_unlock(&p->mu);
	wake(p);
	pthread_join(p->tid, NULL);
	curl_multi_cleanup(p->multi);
	close(p->ep);
	close(p->wakefd);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

/*
 * Run the prepared easy handle on the pump and wait for it to end.  Its
 * callbacks, and tick, run on the pump's thread meanwhile; out (may be
 * NULL) is the client's queued output, which the pump lets go of before
 * this returns.  Returns the transfer's CURLcode; *by_tick is set when
 * the tick ended it.
 */
int
pump_run(struct pump *p, void *easy, pump_tick_fn tick, void *arg,
    struct fcgi_out *out, int *by_tick)
{
	struct job	 j;

	memset(&j, 0, sizeof(j));
	j.h = easy;
	j.tick = tick;
	j.arg = arg;
	j.out = out;
	pthread_cond_init(&j.cv, NULL);
	pthread_mutex_lock(&p->mu);
	j.next = p->incoming;
	p->incoming = &j;
	pthread_mutex_unlock(&p->mu);
	wake(p);
	pthread_mutex_lock(&p->mu);
	while (!j.done)
		pthread_cond_wait(&j.cv, &p->mu);
	pthread_mutex_unlock(&p->mu);
	pthread_cond_destroy(&j.cv);
	if (by_tick != NULL)
		*by_tick = j.by_tick;
	return (int)j.rc;
}

/*
 * A callback queued bytes for a client that could not take them all:
 * the pump retries them until they drain.  Pump thread only.
 */
void
pump_want_flush(struct pump *p, struct fcgi_out *o)
{
	if (o->listed)
		return;
	o->listed = 1;
	o->next = p->pending;
	p->pending = o;
}
