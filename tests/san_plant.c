/*
 * san_plant.c: a program that makes its build's sanitizer report,
 * on purpose, for tests/sanitizer_selftest.sh to prove that reports
 * from anywhere (a server's thrown-away stderr, another user, what a
 * web server spawns) fail the test that started them.
 *
 *   san_plant [asan|ubsan|leak|tsan] [server arguments...]
 *
 * Without a mode it makes the report of the sanitizer it was built
 * with (ASan builds: a use after free; TSan builds: a data race).  In a
 * build without that sanitizer it does nothing wrong: it says so and
 * exits 77, so a normal build never holds undefined behaviour.  Started
 * as a FastCGI application (a listening socket on fd 0), it makes the
 * report in a child and then accepts and closes connections until it
 * is stopped, so the web server keeps it.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define BUILT_WITH	"asan"	/* with UBSan: configure adds both */
#elif defined(__SANITIZE_THREAD__)
#define BUILT_WITH	"tsan"
#else
#define BUILT_WITH	""
#endif

static volatile int	 shared;
static void *volatile	 kept;

static void *
racer(void *arg)
{
	shared++;
	return arg;
}

/* Memory nothing points to once this returns. */
static void __attribute__((noinline))
lose(void)
{
	int	 i;

	for (i = 0; i < 8; i++) {
		kept = malloc(4096);
		memset(kept, i, 4096);
	}
	kept = NULL;
}

/* One report of the given kind; 1 if this build can make it. */
static int
plant(const char *mode)
{
	pthread_t	 t;
	volatile int	 big = INT_MAX, sum;
	volatile char	*p;

	if (strcmp(BUILT_WITH, "asan") == 0) {
		if (strcmp(mode, "asan") == 0) {
			if ((p = malloc(16)) == NULL)
				return 0;
			free((void *)p);
			return p[3] == 'x';	/* heap-use-after-free */
		}
		if (strcmp(mode, "ubsan") == 0) {
			sum = big + 1;		/* signed overflow */
			return sum != 0;
		}
		if (strcmp(mode, "leak") == 0) {
			lose();			/* found at exit */
			return 1;
		}
	}
	if (strcmp(BUILT_WITH, "tsan") == 0 && strcmp(mode, "tsan") == 0) {
		if (pthread_create(&t, NULL, racer, NULL) != 0)
			return 0;
		shared++;			/* races racer() */
		pthread_join(t, NULL);
		return 1;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	const char	*mode = BUILT_WITH;
	socklen_t	 len = sizeof(int);
	pid_t		 pid;
	int		 listening = 0, fd;

	if (argc > 1 && argv[1][0] != '-')
		mode = argv[1];
	if (*mode == '\0' || (strcmp(mode, "tsan") == 0) !=
	    (strcmp(BUILT_WITH, "tsan") == 0) || *BUILT_WITH == '\0') {
		printf("san_plant: no %s in this build\n",
		    *mode != '\0' ? mode : "sanitizer");
		return 77;
	}
	if (getsockopt(0, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == -1)
		listening = 0;
	if (!listening) {
		(void)plant(mode);
		return 0;
	}
	if ((pid = fork()) == 0) {
		(void)plant(mode);
		exit(0);
	}
	if (pid > 0)
		(void)waitpid(pid, NULL, 0);
	for (;;) {
		if ((fd = accept(0, NULL, NULL)) != -1)
			close(fd);
		else if (errno != EINTR && errno != ECONNABORTED)
			break;
	}
	return 0;
}
