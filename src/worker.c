/*
 * worker.c: a worker process.  LLM requests spend seconds to minutes
 * waiting on an upstream, so a worker serves many at once, one thread
 * each.  Every idle thread waits in accept(2) on the shared socket; the
 * kernel wakes exactly one waiter per connection, so no accept mutex is
 * needed (libfcgi's threaded example takes one for older systems; here
 * it only added a hand-off per request), and a process whose threads
 * are all busy accepts nothing and leaves the connection to its
 * siblings.
 *
 * Draining: on SIGTERM, on the parent's death, or after max_requests,
 * the worker sets a flag and tells libfcgi a shutdown is pending.  The
 * thread waiting in accept(2) notices within ACCEPT_WAKE_MS because the
 * listening socket carries SO_RCVTIMEO: accept(2) gives up with EAGAIN
 * and the loop looks at the flag.  Signals are not used to interrupt it
 * on purpose: libfcgi polls a freshly accepted connection before
 * reading it, and an EINTR there makes it drop the connection (a 502).
 * Every other thread finishes its request and then sees the flag.
 * Nothing is accepted after that, nothing in flight is cut, unless
 * drain_timeout passes.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>
#ifdef HAVE_SYS_PRCTL_H
#include <sys/prctl.h>
#endif

#include <errno.h>
#ifdef HAVE_MALLOC_H
#include <malloc.h>
#endif
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <sodium.h>

#include "apikey.h"
#include "background.h"
#include "budget.h"
#include "cfg.h"
#include "checkpoint.h"
#include "clock.h"
#include "dispatch.h"
#include "lease.h"
#include "ledger.h"
#include "log.h"
#include "metrics.h"
#include "pump.h"
#include "store.h"
#include "upstream.h"
#include "worker.h"

#define THREAD_STACK	(256 * 1024)
#define ACCEPT_WAKE_MS	200
#define MMAP_THRESHOLD	(256 * 1024)	/* bytes: larger buffers are mapped */

struct worker;

/* What a request thread owns. */
struct worker_thread {
	struct worker	*w;
	FCGX_Request	 fx;
	void		*upstream;	/* upstream.c's handle, reused */
	unsigned	 index;
};

struct worker {
	const struct cfg	*cfg;
	struct store		*store;
	unsigned char		 pepper[PEPPER_LEN];
	struct dispatch_env	 env;
	int			 listen_fd;
	int			 notify_fd;
	long			 max_requests;

	struct worker_thread	*threads;
	size_t			 nthreads;

	pthread_mutex_t		 mu;		/* guards what follows */
	pthread_cond_t		 cv;
	size_t			 alive;		/* request threads running */
	atomic_int		 stopping;
	atomic_long		 served;
};

/*
 * Stop accepting.  Safe from any thread, any number of times.  The
 * master, if any, hears of it at once so it can start a replacement
 * while this process drains.
 */
static void
drain(struct worker *w, const char *why)
{
	pid_t	 pid = getpid();

	if (atomic_exchange(&w->stopping, 1))
		return;
	log_info("draining (%s)", why);
	FCGX_ShutdownPending();
	if (w->notify_fd != -1)
		(void)write(w->notify_fd, &pid, sizeof(pid));
	pthread_mutex_lock(&w->mu);
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

static void *
request_thread(void *arg)
{
	struct worker_thread	*t = arg;
	struct worker		*w = t->w;
	long			 n;
	int			 rc;

	for (;;) {
		if (atomic_load(&w->stopping))
			break;
		rc = FCGX_Accept_r(&t->fx);
		if (rc < 0) {
			if (atomic_load(&w->stopping))
				break;
			if (rc != -EAGAIN && rc != -EWOULDBLOCK &&
			    rc != -EINTR && rc != -ECONNABORTED) {
				log_error("accept failed (%d); draining", rc);
				drain(w, "accept failed");
				break;
			}
			continue;
		}
		dispatch(&t->fx, &w->env, &t->upstream);
		FCGX_Finish_r(&t->fx);
		n = atomic_fetch_add(&w->served, 1) + 1;
		if (w->max_requests > 0 && n >= w->max_requests)
			drain(w, "max_requests reached");
	}
	upstream_thread_free(t->upstream);
	t->upstream = NULL;
	pthread_mutex_lock(&w->mu);
	w->alive--;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/*
 * Waits for the signals that end this worker, and for SIGUSR1, which
 * reopens the log file; runs on its own thread.
 */
static void *
signal_thread(void *arg)
{
	struct worker	*w = arg;
	sigset_t	 set;
	int		 sig;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGUSR1) {
			/* The log was rotated: the master, if any, has
			 * reopened its own and passed the signal on. */
			log_reopen();
			continue;
		}
		if (sig == SIGHUP) {
			/* Reloads belong to the master; a lone worker is
			 * restarted by its web server instead. */
			log_info("SIGHUP ignored by a worker");
			continue;
		}
		drain(w, sig == SIGTERM ? "SIGTERM" : "signal");
		return NULL;
	}
}

/*
 * Run a worker on listen_fd until it has drained.  notify_fd is the
 * master's pipe, or -1 when the web server spawned us.  Returns the
 * process exit status.
 */
int
worker_main(const struct cfg *cfg, int listen_fd, int nthreads, int notify_fd)
{
	/* Static: the detached signal thread, and request threads cut by
	 * the drain timeout, still use it while the process exits. */
	static struct worker	 w;
	struct checkpointer	*ckpt = NULL;
	struct pump		*pump = NULL;
	struct background	*bg = NULL;
	struct timeval		 wake = { 0, ACCEPT_WAKE_MS * 1000 };
	struct timespec		 ts;
	long long		 t0;
	pthread_attr_t		 attr;
	pthread_t		 sigtid;
	sigset_t		 set;
	char			 err[VN_ERRMSG];
	size_t			 i, started = 0;
	int			 status = 1;

	memset(&w, 0, sizeof(w));
	w.cfg = cfg;
	w.listen_fd = listen_fd;
	w.notify_fd = notify_fd;
	w.max_requests = cfg->max_requests;
	atomic_init(&w.stopping, 0);
	atomic_init(&w.served, 0);
	pthread_mutex_init(&w.mu, NULL);
	pthread_cond_init(&w.cv, NULL);

#if defined(HAVE_SYS_PRCTL_H) && defined(PR_SET_PDEATHSIG)
	/* Under our master, its death drains us: no orphaned pools. */
	if (notify_fd != -1) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() == 1)
			return 0;
	}
#endif
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	/* accept(2) wakes up this often to look at the drain flag. */
	if (setsockopt(listen_fd, SOL_SOCKET, SO_RCVTIMEO, &wake,
	    sizeof(wake)) == -1)
		log_warn("SO_RCVTIMEO: %s; draining may wait for a request",
		    strerror(errno));

	if (apikey_pepper_load(cfg->pepper_file, w.pepper, err, sizeof(err)) !=
	    VN_OK) {
		log_error("%s", err);
		goto out;
	}
	budget_init(cfg->request_memory);
#if defined(HAVE_MALLOC_H) && defined(M_MMAP_THRESHOLD)
	/*
	 * Request data comes and goes in large buffers.  glibc raises its
	 * mmap threshold each time one is freed, after which such buffers
	 * come from the heaps of 64 threads and their memory stays there:
	 * a fixed threshold maps and unmaps them, so the budget above is
	 * what the process really holds.
	 */
	(void)mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD);
#endif
	if ((w.store = store_new(cfg, (size_t)cfg->db_connections)) == NULL ||
	    ledger_open(cfg) != VN_OK)
		goto out;
	/* Without metrics the worker still serves: it is only unseen. */
	(void)metrics_open(cfg->database, cfg->metrics, METRICS_ROLE_WORKER,
	    nthreads);
	/* Background responses: held under this process's own name. */
	if (lease_owner_begin(cfg, "wrk") != VN_OK ||
	    (bg = background_new(cfg, w.store)) == NULL)
		log_warn("background responses will wait for venna-batch");
	w.env.cfg = cfg;
	w.env.store = w.store;
	w.env.pepper = w.pepper;
	w.env.background = bg;
	if (upstream_global_init() != VN_OK || FCGX_Init() != 0) {
		log_error("cannot initialise libcurl or libfcgi");
		goto out;
	}
	if ((w.threads = calloc((size_t)nthreads, sizeof(*w.threads))) ==
	    NULL)
		goto out;
	w.nthreads = (size_t)nthreads;
	ckpt = checkpoint_start(cfg, w.store);
	if ((pump = pump_start()) == NULL)
		goto out;
	w.env.pump = pump;
	if (pthread_create(&sigtid, NULL, signal_thread, &w) != 0)
		goto out;
	pthread_detach(sigtid);

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, THREAD_STACK);
	/* Never joined: w.alive counts them out. */
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (i = 0; i < w.nthreads; i++) {
		w.threads[i].w = &w;
		w.threads[i].index = (unsigned)i;
		FCGX_InitRequest(&w.threads[i].fx, listen_fd,
		    FCGI_FAIL_ACCEPT_ON_INTR);
		pthread_mutex_lock(&w.mu);
		w.alive++;
		pthread_mutex_unlock(&w.mu);
		if (pthread_create(&(pthread_t){ 0 }, &attr, request_thread,
		    &w.threads[i]) != 0) {
			pthread_mutex_lock(&w.mu);
			w.alive--;
			pthread_mutex_unlock(&w.mu);
			log_error("could start only %zu of %zu threads",
			    started, w.nthreads);
			break;
		}
		started++;
	}
	pthread_attr_destroy(&attr);
	if (started == 0)
		goto out;
	log_info("worker serving with %zu threads", started);

	/* Wait for the drain to begin, then for the threads to finish. */
	pthread_mutex_lock(&w.mu);
	while (!atomic_load(&w.stopping) && w.alive > 0)
		pthread_cond_wait(&w.cv, &w.mu);
	t0 = clock_ms();
	while (w.alive > 0) {
		clock_deadline(&ts, ACCEPT_WAKE_MS);
		pthread_cond_timedwait(&w.cv, &w.mu, &ts);
		if (clock_ms() - t0 > cfg->drain_timeout_ms) {
			log_warn("drain timeout: %zu requests cut", w.alive);
			pthread_mutex_unlock(&w.mu);
			status = 0;
			/* The threads still hold the store and the pump:
			 * leave without freeing what they use. */
			background_stop(bg, clock_ms());
			lease_owner_end();
			checkpoint_stop(ckpt);
			return status;
		}
	}
	pthread_mutex_unlock(&w.mu);
	/* Background runs share the drain's time; the rest is recovered. */
	background_stop(bg, t0 + cfg->drain_timeout_ms);
	status = 0;
	log_info("drained after %ld requests", atomic_load(&w.served));
out:
	metrics_close();
	lease_owner_end();
	pump_stop(pump);
	checkpoint_stop(ckpt);
	ledger_close();
	if (started == w.nthreads || started == 0) {
		for (i = 0; i < w.nthreads; i++)
			FCGX_Free(&w.threads[i].fx, 1);
	}
	free(w.threads);
	store_free(w.store);
	sodium_memzero(w.pepper, sizeof(w.pepper));
	return status;
}
