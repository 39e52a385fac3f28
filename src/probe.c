/*
 * probe.c: TCP reachability of upstreams (probe.h), for GET /readyz.
 * A connect says the host is up and something listens on the port;
 * it says nothing of the model behind it, which only a real call
 * tells (and failover.c remembers the upstreams whose calls failed).
 * It costs the upstream nothing but an accepted connection, where an
 * HTTP request might be billed or rate limited.
 *
 * The connects are non-blocking and waited for together with one
 * poll(), PROBE_BATCH at a time, so an answer takes PROBE_TIMEOUT_MS
 * per batch at most however many upstreams hang.  Names are resolved
 * with getaddrinfo(), which has no timeout of its own: upstreams named
 * by address, or in /etc/hosts, never wait on DNS.  Only the first
 * address of a name is tried.
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "clock.h"
#include "probe.h"
#include "url.h"

#define PROBE_BATCH	128	/* sockets open at once */
#define MAX_UPSTREAMS	CFG_MAX_SECTIONS

/* This process's answers, by upstream index (a reload starts afresh). */
static pthread_mutex_t		 cache_mu = PTHREAD_MUTEX_INITIALIZER;
static long long		 cache_at[MAX_UPSTREAMS];	/* 0: none */
static struct probe_result	 cache[MAX_UPSTREAMS];

struct attempt {
	size_t		 upstream;
	int		 fd;		/* -1 once answered */
};

/*
 * Start a connect to u's host and port.  Returns the socket, waiting
 * on the connect, or -1 with res filled in when the answer is known
 * already (refused at once, or a bad name).
 */
static int
start(const struct cfg_upstream *u, struct probe_result *res)
{
	struct addrinfo	 hints, *ai = NULL;
	char		 host[256], port[8];
	int		 fd = -1, gai;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	res->ok = 0;
	if (!url_host_port(u->base_url, host, sizeof(host), port,
	    sizeof(port))) {
		snprintf(res->why, sizeof(res->why), "base_url has no host "
		    "and port to connect to");
		return -1;
	}
	if ((gai = getaddrinfo(host, port, &hints, &ai)) != 0) {
		snprintf(res->why, sizeof(res->why), "cannot resolve its "
		    "host: %s", gai_strerror(gai));
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1)
		snprintf(res->why, sizeof(res->why), "socket: %s",
		    strerror(errno));
	else if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		res->ok = 1;
	else if (errno != EINPROGRESS)
		snprintf(res->why, sizeof(res->why), "connect: %s",
		    strerror(errno));
	else {
		freeaddrinfo(ai);
		return fd;
	}
	if (fd != -1)
		close(fd);
	freeaddrinfo(ai);
	return -1;
}

/* Wait for the connects of a[0..n) together, until PROBE_TIMEOUT_MS. */
static void
wait_all(struct attempt *a, size_t n, struct probe_result *res)
{
	struct pollfd	 pfd[PROBE_BATCH];
	long long	 end = clock_ms() + PROBE_TIMEOUT_MS, left;
	size_t		 i, k, waiting = n;
	socklen_t	 len;
	int		 err;

	while (waiting > 0 && (left = end - clock_ms()) > 0) {
		for (i = 0, k = 0; i < n; i++)
			if (a[i].fd != -1) {
				pfd[k].fd = a[i].fd;
				pfd[k].events = POLLOUT;
				pfd[k++].revents = 0;
			}
		if (poll(pfd, k, (int)left) == -1 && errno != EINTR)
			break;
		for (i = 0, k = 0; i < n; i++) {
			if (a[i].fd == -1)
				continue;
			if (pfd[k++].revents == 0)
				continue;
			err = 0;
			len = sizeof(err);
			if (getsockopt(a[i].fd, SOL_SOCKET, SO_ERROR, &err,
			    &len) == -1)
				err = errno;
			res[a[i].upstream].ok = err == 0;
			if (err != 0)
				snprintf(res[a[i].upstream].why,
				    PROBE_WHY, "connect: %s", strerror(err));
			close(a[i].fd);
			a[i].fd = -1;
			waiting--;
		}
	}
	for (i = 0; i < n; i++)
		if (a[i].fd != -1) {
			snprintf(res[a[i].upstream].why, PROBE_WHY, "no "
			    "answer to a connect within %d ms",
			    PROBE_TIMEOUT_MS);
			close(a[i].fd);
		}
}

/*
 * Fill res[i] for every upstream i of cfg with want[i] set (both
 * arrays have cfg->nupstreams entries): from this process's recent
 * answers, or by probing those it has none for.  Echo upstreams, with
 * nothing to connect to, are always reachable.
 */
void
probe_upstreams(const struct cfg *cfg, const unsigned char *want,
    struct probe_result *res)
{
	struct attempt	 a[PROBE_BATCH];
	size_t		 i, n = 0, nu = cfg->nupstreams;
	long long	 now = clock_ms();
	unsigned char	 todo[MAX_UPSTREAMS];
	int		 fd;

	if (nu > MAX_UPSTREAMS)
		nu = MAX_UPSTREAMS;
	pthread_mutex_lock(&cache_mu);
	for (i = 0; i < nu; i++) {
		todo[i] = 0;
		if (!want[i])
			continue;
		if (cache_at[i] != 0 && now - cache_at[i] < PROBE_CACHE_MS)
			res[i] = cache[i];
		else
			todo[i] = 1;
	}
	pthread_mutex_unlock(&cache_mu);
	for (i = 0; i <= nu; i++) {
		if (n == PROBE_BATCH || (i == nu && n > 0)) {
			wait_all(a, n, res);
			n = 0;
		}
		if (i == nu || !todo[i])
			continue;
		res[i].why[0] = '\0';
		if (cfg->upstreams[i].type == UPSTREAM_ECHO) {
			res[i].ok = 1;
			continue;
		}
		if ((fd = start(&cfg->upstreams[i], &res[i])) != -1) {
			a[n].upstream = i;
			a[n++].fd = fd;
		}
	}
	now = clock_ms();
	pthread_mutex_lock(&cache_mu);
	for (i = 0; i < nu; i++)
		if (todo[i]) {
			cache[i] = res[i];
			cache_at[i] = now;
		}
	pthread_mutex_unlock(&cache_mu);
}
