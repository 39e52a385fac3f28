/*
 * readwatch.c: the watcher of readwatch.h.  A fixed table of watched
 * reads, one mutex, and a thread that looks at the table every
 * TICK_MS.  A socket is shut down only while its read is registered,
 * under the table's lock, and a read stays registered only while its
 * request owns the socket: the watcher never touches a descriptor that
 * was closed or reused.  The thread is started on first use in each
 * process (a pool's workers are forked from a supervisor that reads no
 * bodies, so none inherits a table in use).
 */
#include "config.h"

#include <sys/socket.h>

#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "readwatch.h"

#define TICK_MS		100	/* a deadline is kept to this */

struct watched {
	int		 fd;		/* -1: free */
	int		 cut;		/* the watcher shut it down */
	long long	 deadline_ms;
};

static pthread_mutex_t	 mu = PTHREAD_MUTEX_INITIALIZER;
static struct watched	 table[READWATCH_MAX];
static size_t		 high;		/* slots in use lie below */
static pid_t		 watcher_pid;	/* the process the thread runs in */

static void *
watch(void *arg)
{
	struct timespec	 ts = { 0, TICK_MS * 1000000L };
	long long	 now;
	size_t		 i;

	(void)arg;
	for (;;) {
		nanosleep(&ts, NULL);
		now = clock_ms();
		pthread_mutex_lock(&mu);
		for (i = 0; i < high; i++)
			if (table[i].fd >= 0 && !table[i].cut &&
			    table[i].deadline_ms <= now) {
				(void)shutdown(table[i].fd, SHUT_RD);
				table[i].cut = 1;
			}
		pthread_mutex_unlock(&mu);
	}
	return NULL;
}

/* Start this process's watcher if it has none; mu is held. */
static int
watcher_running(void)
{
	pthread_attr_t	 attr;
	pthread_t	 t;
	size_t		 i;
	int		 ok;

	if (watcher_pid == getpid())
		return 1;
	/* A table inherited across fork belongs to the parent's reads. */
	for (i = 0; i < READWATCH_MAX; i++)
		table[i].fd = -1;
	high = 0;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	ok = pthread_create(&t, &attr, watch, NULL) == 0;
	pthread_attr_destroy(&attr);
	if (!ok) {
		log_warn("the request body watcher could not start: bodies "
		    "are read without a deadline");
		return 0;
	}
	watcher_pid = getpid();
	return 1;
}

/*
 * Watch a read of fd that must end by deadline_ms (clock_ms()).
 * Returns the slot to give readwatch_end(), or -1 when the read goes
 * unwatched (the table is full, or no thread could be started).
 */
int
readwatch_begin(int fd, long long deadline_ms)
{
	size_t	 i;
	int	 slot = -1;

	if (fd < 0)
		return -1;
	pthread_mutex_lock(&mu);
	if (watcher_running())
		for (i = 0; i < READWATCH_MAX; i++)
			if (i >= high || table[i].fd < 0) {
				table[i].fd = fd;
				table[i].cut = 0;
				table[i].deadline_ms = deadline_ms;
				if (i >= high)
					high = i + 1;
				slot = (int)i;
				break;
			}
	pthread_mutex_unlock(&mu);
	return slot;
}

/*
 * The read is over: stop watching it.  Returns 1 if its deadline cut
 * it short, 0 otherwise (and for slot -1).
 */
int
readwatch_end(int slot)
{
	int	 cut;

	if (slot < 0 || slot >= READWATCH_MAX)
		return 0;
	pthread_mutex_lock(&mu);
	cut = table[slot].cut;
	table[slot].fd = -1;
	while (high > 0 && table[high - 1].fd < 0)
		high--;
	pthread_mutex_unlock(&mu);
	return cut;
}
