/*
 * lease_test.c: lease owners (src/lease.c): the name and its file, a
 * living owner in another process, its death by kill -9, names that are
 * not ours, and the end of an owner while other threads read its name
 * (which the drain timeout does; ThreadSanitizer watches that part).
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "ids.h"
#include "lease.h"
#include "../tap.h"
#include "test_cfg.h"

static char		 dir[] = "/tmp/venna-lease-test.XXXXXX";
static atomic_int	 stop;

/* Whether $dir/leases/NAME exists (hidden: ".NAME"). */
static int
owner_file(const char *name, int hidden)
{
	char	 path[256];

	snprintf(path, sizeof(path), "%s/leases/%s%s", dir, hidden ? "." : "",
	    name);
	return access(path, F_OK) == 0;
}

/* "<prefix>_<pid>_<8 base62>" */
static int
name_shape(const char *s, const char *prefix, pid_t pid)
{
	char	 want[64];
	size_t	 i, n;

	n = (size_t)snprintf(want, sizeof(want), "%s_%ld_", prefix, (long)pid);
	if (strncmp(s, want, n) != 0 || strlen(s) != n + 8 ||
	    strlen(s) > LEASE_OWNER_LEN)
		return 0;
	for (i = n; s[i] != '\0'; i++)
		if (memchr(base62, s[i], 62) == NULL)
			return 0;
	return 1;
}

/*
 * A request thread: reads the owner name over and over, as requests
 * and background runs do.  Counts reads that were neither "" nor the
 * whole name.
 */
static void *
reader(void *arg)
{
	const char	*want = arg, *s;
	char		 copy[LEASE_OWNER_LEN + 1];
	long		 torn = 0;

	while (!atomic_load(&stop)) {
		s = lease_owner();
		snprintf(copy, sizeof(copy), "%s", s);
		if (copy[0] != '\0' && strcmp(copy, want) != 0)
			torn++;
	}
	return (void *)torn;
}

int
main(void)
{
	struct cfg	*cfg;
	pthread_t	 t[4];
	char		 mine[LEASE_OWNER_LEN + 1], child[LEASE_OWNER_LEN + 1];
	char		 path[256];
	const char	*held;
	void		*torn;
	long		 bad = 0;
	pid_t		 pid;
	ssize_t		 n;
	int		 p[2], i, st;

	if (mkdtemp(dir) == NULL || !ids_init() ||
	    (cfg = test_cfg("[server]\ndatabase = %s/v.db\n", dir)) == NULL ||
	    pipe(p) == -1) {
		printf("Bail out! cannot set up\n");
		return 1;
	}
	is_str(lease_owner(), "", "no owner before lease_owner_begin");
	is_int(lease_owner_begin(cfg, "wrk"), VN_OK, "an owner begins");
	snprintf(mine, sizeof(mine), "%s", lease_owner());
	ok(name_shape(mine, "wrk", getpid()), "named wrk_<pid>_<random>: %s",
	    mine);
	ok(owner_file(mine, 0) && !owner_file(mine, 1),
	    "  its file is in leases/, under its name only");
	is_int(lease_owner_dead(cfg, mine), 0, "  it is not dead to itself");

	/* Another process's owner: alive while it lives, dead once killed. */
	fflush(stdout);
	if ((pid = fork()) == 0) {
		close(p[0]);
		if (lease_owner_begin(cfg, "run") != VN_OK)
			_exit(2);
		(void)write(p[1], lease_owner(), strlen(lease_owner()) + 1);
		pause();
		_exit(0);
	}
	close(p[1]);
	n = read(p[0], child, sizeof(child));
	close(p[0]);
	ok(n > 0 && child[n - 1] == '\0' && name_shape(child, "run", pid),
	    "a child process becomes an owner of its own: %s",
	    n > 0 ? child : "(nothing)");
	is_int(lease_owner_dead(cfg, child), 0, "  alive while it lives");
	is_int(lease_owner_dead(cfg, child), 0, "  asked twice");
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	is_int(lease_owner_dead(cfg, child), 1, "  dead once killed with -9");
	ok(!owner_file(child, 0), "  and its file is removed");
	is_int(lease_owner_dead(cfg, child), 1, "  still dead with no file");

	is_int(lease_owner_dead(cfg, NULL), 0, "no name: in doubt, not dead");
	is_int(lease_owner_dead(cfg, ""), 0, "an empty name: in doubt");
	is_int(lease_owner_dead(cfg, "../venna"), 0,
	    "a name with a path in it: in doubt");
	is_int(lease_owner_dead(cfg, "wrk_1_ab/c"), 0, "  or a slash");
	is_int(lease_owner_dead(cfg, "wrk_1_0123456789012345678901234567"), 0,
	    "  or longer than an owner name");

	/* The drain timeout: the owner ends while threads read its name. */
	for (i = 0; i < 4; i++)
		if (pthread_create(&t[i], NULL, reader, mine) != 0) {
			printf("Bail out! pthread_create\n");
			return 1;
		}
	held = lease_owner();
	usleep(20 * 1000);
	lease_owner_end();
	usleep(20 * 1000);
	atomic_store(&stop, 1);
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], &torn);
		bad += (long)torn;
	}
	is_int(bad, 0, "readers saw the whole name or \"\", nothing between");
	is_str(lease_owner(), "", "ended: no owner");
	is_str(held, mine, "  a name read before the end still reads whole");
	ok(!owner_file(mine, 0), "  its file is removed");
	is_int(lease_owner_dead(cfg, mine), 1, "  so others see it dead");
	lease_owner_end();
	is_str(lease_owner(), "", "ending twice is harmless");

	is_int(lease_owner_begin(cfg, "wrk"), VN_OK, "an owner again");
	ok(name_shape(lease_owner(), "wrk", getpid()) &&
	    strcmp(lease_owner(), mine) != 0, "  under a new name");
	lease_owner_end();

	cfg_free(cfg);
	snprintf(path, sizeof(path), "%s/leases", dir);
	if (rmdir(path) == 0)
		(void)rmdir(dir);
	return done_testing();
}
