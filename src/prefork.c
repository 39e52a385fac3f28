/*
 * prefork.c: the master process, which only supervises (kfcgi's
 * fixedpool is the model).  It forks the workers, respawns the ones that
 * die, backs off when they die young (a crash loop must not become a
 * fork bomb), starts a replacement the moment a worker begins to drain
 * (recycling after max_requests), reloads the configuration on SIGHUP
 * by starting a new generation before retiring the old one, reopens
 * the log file on SIGUSR1 and passes the signal on to the workers, and
 * on SIGTERM lets every worker finish what it has.  It never opens the
 * database, parses a request or speaks to an upstream.
 *
 * Signals reach the loop through a self-pipe; workers announce that
 * they are draining by writing their pid to the notify pipe.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cfg.h"
#include "clock.h"
#include "log.h"
#include "metrics.h"
#include "prefork.h"
#include "worker.h"

#define MAX_SLOTS	1024
#define CRASH_WINDOW_MS	5000	/* dying sooner than this is a crash */
#define BACKOFF_MIN_MS	100
#define BACKOFF_MAX_MS	10000
#define KILL_GRACE_MS	5000	/* after drain_timeout, before SIGKILL */

enum slot_state { SLOT_FREE = 0, SLOT_RUNNING, SLOT_DRAINING };

struct slot {
	pid_t		 pid;
	enum slot_state	 state;
	unsigned	 gen;
	long long	 started_ms;
};

struct master {
	const struct prefork_opts *opts;
	struct cfg	*cfg;
	struct slot	 slots[MAX_SLOTS];
	unsigned	 gen;
	int		 workers;
	int		 threads;
	int		 notify[2];
	unsigned	 crashes;	/* consecutive young deaths */
	long long	 next_spawn_ms;	/* backoff: not before this */
	int		 stopping;
	long long	 stop_deadline_ms;
};

static int	selfpipe[2] = { -1, -1 };

static void
on_signal(int sig)
{
	unsigned char	 c = (unsigned char)sig;
	int		 saved = errno;

	(void)write(selfpipe[1], &c, 1);
	errno = saved;
}


static int
count(struct master *m, enum slot_state st, int current_gen_only)
{
	int	 i, n = 0;

	for (i = 0; i < MAX_SLOTS; i++)
		if (m->slots[i].state == st &&
		    (!current_gen_only || m->slots[i].gen == m->gen))
			n++;
	return n;
}

static struct slot *
find(struct master *m, pid_t pid)
{
	int	 i;

	for (i = 0; i < MAX_SLOTS; i++)
		if (m->slots[i].state != SLOT_FREE && m->slots[i].pid == pid)
			return &m->slots[i];
	return NULL;
}

/* Fork one worker.  Returns 1 on success. */
static int
spawn(struct master *m)
{
	struct sigaction sa;
	struct slot	*s = NULL;
	sigset_t	 usr1, old;
	pid_t		 pid;
	int		 i, status;

	for (i = 0; i < MAX_SLOTS; i++)
		if (m->slots[i].state == SLOT_FREE) {
			s = &m->slots[i];
			break;
		}
	if (s == NULL) {
		log_error("no free worker slot");
		return 0;
	}
	/*
	 * SIGUSR1 stays blocked across the fork until the worker's signal
	 * thread waits for it: by default it would kill a young worker.
	 */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, &old);
	if ((pid = fork()) == -1) {
		log_error("fork: %s", strerror(errno));
		sigprocmask(SIG_SETMASK, &old, NULL);
		return 0;
	}
	if (pid == 0) {
		/* The worker starts with default signal handling. */
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_DFL;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGCHLD, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
		sigaction(SIGQUIT, &sa, NULL);
		sigaction(SIGUSR1, &sa, NULL);
		close(selfpipe[0]);
		close(selfpipe[1]);
		close(m->notify[0]);
		status = worker_main(m->cfg, m->opts->listen_fd, m->threads,
		    m->notify[1]);
		_exit(status);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	s->pid = pid;
	s->state = SLOT_RUNNING;
	s->gen = m->gen;
	s->started_ms = clock_ms();
	log_debug("started worker %ld (generation %u)", (long)pid, m->gen);
	return 1;
}

static void
signal_all(struct master *m, int sig, int old_gen_only)
{
	int	 i;

	for (i = 0; i < MAX_SLOTS; i++) {
		if (m->slots[i].state == SLOT_FREE)
			continue;
		if (old_gen_only && m->slots[i].gen == m->gen)
			continue;
		if (sig == SIGTERM)
			m->slots[i].state = SLOT_DRAINING;
		kill(m->slots[i].pid, sig);
	}
}

/* Collect dead workers and decide how soon the next spawn may come. */
static void
reap(struct master *m)
{
	struct slot	*s;
	long long	 lived, delay;
	pid_t		 pid;
	unsigned	 k;
	int		 status, abnormal;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if ((s = find(m, pid)) == NULL)
			continue;
		lived = clock_ms() - s->started_ms;
		abnormal = s->state == SLOT_RUNNING && (WIFSIGNALED(status) ||
		    (WIFEXITED(status) && WEXITSTATUS(status) != 0));
		if (WIFSIGNALED(status) && s->state == SLOT_RUNNING)
			log_warn("worker %ld killed by signal %d after %lld ms",
			    (long)pid, WTERMSIG(status), lived);
		else if (abnormal)
			log_warn("worker %ld exited with status %d after "
			    "%lld ms", (long)pid, WEXITSTATUS(status), lived);
		else
			log_debug("worker %ld exited", (long)pid);
		if (abnormal)
			metrics_add(MET_WORKER_CRASHES, NULL, 1);
		s->state = SLOT_FREE;
		s->pid = 0;
		if (abnormal && lived < CRASH_WINDOW_MS) {
			m->crashes++;
			delay = BACKOFF_MIN_MS;
			for (k = 1; k < m->crashes && delay < BACKOFF_MAX_MS;
			    k++)
				delay *= 2;
			if (delay > BACKOFF_MAX_MS)
				delay = BACKOFF_MAX_MS;
			m->next_spawn_ms = clock_ms() + delay;
			log_error("crash loop: %u workers died within %d ms of "
			    "starting; next start in %lld ms", m->crashes,
			    CRASH_WINDOW_MS, delay);
		} else if (!abnormal || lived >= CRASH_WINDOW_MS)
			m->crashes = 0;
	}
}

/* A worker said it is draining: replace it now, not when it is gone. */
static void
read_notices(struct master *m)
{
	struct slot	*s;
	pid_t		 pid;

	while (read(m->notify[0], &pid, sizeof(pid)) == (ssize_t)sizeof(pid))
		if ((s = find(m, pid)) != NULL && s->state == SLOT_RUNNING)
			s->state = SLOT_DRAINING;
}

static void
reload(struct master *m)
{
	struct cfg	*nc;
	char		 err[VN_ERRMSG];

	if (m->opts->cfgpath == NULL) {
		log_info("SIGHUP: no configuration file to reload");
		return;
	}
	if ((nc = cfg_load(m->opts->cfgpath, err, sizeof(err))) == NULL) {
		log_error("reload refused, keeping the running "
		    "configuration: %s", err);
		return;
	}
	cfg_free(m->cfg);
	m->cfg = nc;
	*m->opts->cfgp = nc;
	if (!m->opts->workers_fixed)
		m->workers = (int)nc->workers;
	if (!m->opts->threads_fixed)
		m->threads = (int)nc->threads;
	cfg_set_pool(nc, m->workers, m->threads);
	m->gen++;
	log_info("reloading %s: starting generation %u", m->opts->cfgpath,
	    m->gen);
	/* The old generation keeps accepting until the new one runs. */
	while (count(m, SLOT_RUNNING, 1) < m->workers && spawn(m))
		;
	signal_all(m, SIGTERM, 1);
}

static int
pipe_nb(int p[2])
{
	if (pipe(p) == -1)
		return -1;
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	fcntl(p[0], F_SETFD, FD_CLOEXEC);
	fcntl(p[1], F_SETFD, FD_CLOEXEC);
	return 0;
}

/*
 * Supervise the pool until SIGTERM or SIGINT and every worker is gone.
 * Returns the exit status for main().
 */
int
prefork_run(const struct prefork_opts *opts)
{
	struct master	 m;
	struct sigaction sa;
	sigset_t	 usr1;
	struct pollfd	 pfd[2];
	unsigned char	 sigs[64];
	long long	 now, wait;
	ssize_t		 n, i;

	memset(&m, 0, sizeof(m));
	m.opts = opts;
	m.cfg = *opts->cfgp;
	m.workers = opts->workers;
	m.threads = opts->threads;
	if (pipe_nb(selfpipe) == -1 || pipe_nb(m.notify) == -1) {
		log_error("pipe: %s", strerror(errno));
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	/* Blocked while starting up (venna_fcgi.c); the loop takes it now. */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_UNBLOCK, &usr1, NULL);
	signal(SIGPIPE, SIG_IGN);
	log_info("master %ld: %d workers x %d threads", (long)getpid(),
	    m.workers, m.threads);

	for (;;) {
		now = clock_ms();
		if (!m.stopping && now >= m.next_spawn_ms)
			while (count(&m, SLOT_RUNNING, 1) < m.workers) {
				if (!spawn(&m))
					break;
				if (m.crashes > 0) {
					/* one at a time while crashing */
					m.next_spawn_ms = now + BACKOFF_MIN_MS;
					break;
				}
			}
		if (m.stopping && count(&m, SLOT_RUNNING, 0) +
		    count(&m, SLOT_DRAINING, 0) == 0)
			break;
		if (m.stopping && now >= m.stop_deadline_ms) {
			log_warn("workers still running after the drain "
			    "timeout; killing them");
			signal_all(&m, SIGKILL, 0);
			m.stop_deadline_ms = now + KILL_GRACE_MS;
		}
		wait = 1000;
		if (!m.stopping && count(&m, SLOT_RUNNING, 1) < m.workers &&
		    m.next_spawn_ms > now)
			wait = m.next_spawn_ms - now;
		pfd[0].fd = selfpipe[0];
		pfd[0].events = POLLIN;
		pfd[1].fd = m.notify[0];
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, (int)(wait < 1 ? 1 : wait)) == -1 &&
		    errno != EINTR) {
			log_error("poll: %s", strerror(errno));
			break;
		}
		if (pfd[1].revents & POLLIN)
			read_notices(&m);
		while ((n = read(selfpipe[0], sigs, sizeof(sigs))) > 0)
			for (i = 0; i < n; i++)
				switch (sigs[i]) {
				case SIGCHLD:
					reap(&m);
					break;
				case SIGHUP:
					if (!m.stopping)
						reload(&m);
					break;
				case SIGUSR1:
					log_reopen();
					signal_all(&m, SIGUSR1, 0);
					break;
				case SIGTERM:
				case SIGINT:
					if (m.stopping)
						break;
					log_info("stopping: draining %d "
					    "workers", count(&m, SLOT_RUNNING,
					    0) + count(&m, SLOT_DRAINING, 0));
					m.stopping = 1;
					m.stop_deadline_ms = clock_ms() +
					    m.cfg->drain_timeout_ms +
					    KILL_GRACE_MS;
					signal_all(&m, SIGTERM, 0);
					break;
				}
		reap(&m);
	}
	log_info("master exiting");
	return 0;
}
