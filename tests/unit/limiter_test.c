/*
 * limiter_test.c: the shared limit counters on a real segment file:
 * creation, reopening and rebuilding of the header, the generation,
 * and the month arithmetic.
 */
#include "config.h"

#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "limiter.h"
#include "../tap.h"

static char	 dir[] = "/tmp/venna-limiter-test.XXXXXX";
static char	 db[256], segpath[300];

/*
 * The segment's first fields, as limiter.c lays them out: the magic at
 * offset 0, the boot id at 24.  Written here to play an old or foreign
 * file.
 */
#define OFF_MAGIC	0
#define OFF_BOOT	24

static int
poke(off_t off, const void *p, size_t n)
{
	int	 fd, okk;

	if ((fd = open(segpath, O_RDWR)) == -1)
		return 0;
	okk = pwrite(fd, p, n, off) == (ssize_t)n;
	close(fd);
	return okk;
}

static void
test_open(void)
{
	struct limiter	*a = NULL, *b = NULL;
	struct stat	 st;
	char		 err[512];
	uint64_t	 g;

	ok(limiter_open("relative.db", &a, err, sizeof(err)) == VN_ECONFIG &&
	    a == NULL, "a relative database path is refused");
	err[0] = '\0';
	is_int(limiter_open(db, &a, err, sizeof(err)), VN_OK, "opened: %s",
	    err);
	if (a == NULL)
		return;
	ok(stat(segpath, &st) == 0 && (st.st_mode & 0777) == 0600 &&
	    st.st_size > 0 && st.st_size < 8 * 1024 * 1024,
	    "the segment is a file beside the database, mode 0600, "
	    "a few MiB");
	is_int(limiter_open(db, &b, err, sizeof(err)), VN_OK, "opened twice");
	g = limiter_generation(a);
	ok(g != 0, "a generation to start from");
	limiter_bump(a);
	is_int(limiter_generation(b), g + 1, "a bump is seen by the other");
	limiter_bump(b);
	limiter_close(b);
	b = NULL;
	is_int(limiter_open(db, &b, err, sizeof(err)), VN_OK, "reopened");
	is_int(limiter_generation(b), g + 2, "a reopen keeps the segment");
	limiter_close(b);
	b = NULL;

	/*
	 * A file from another boot is rebuilt, and so is a bad magic: the
	 * generation of a rebuilt segment starts above the old one's as
	 * soon as a millisecond has passed.
	 */
	usleep(2000);
	ok(poke(OFF_BOOT, "00000000-0000-0000-0000-000000000000", 36),
	    "boot id overwritten");
	is_int(limiter_open(db, &b, err, sizeof(err)), VN_OK,
	    "opened after boot");
	if (access("/proc/sys/kernel/random/boot_id", R_OK) == 0)
		ok(limiter_generation(b) > g + 2,
		    "a segment of another boot is rebuilt");
	limiter_close(b);
	b = NULL;
	limiter_bump(a);
	g = limiter_generation(a);
	usleep(2000);
	ok(poke(OFF_MAGIC, "garbage!", 8), "magic overwritten");
	is_int(limiter_open(db, &b, err, sizeof(err)), VN_OK,
	    "opened a bad magic");
	ok(b != NULL && limiter_generation(b) > g,
	    "a bad magic is rebuilt");
	limiter_close(b);
	b = NULL;
	ok(truncate(segpath, 100) == 0, "file cut short");
	limiter_close(a);
	a = NULL;
	is_int(limiter_open(db, &a, err, sizeof(err)), VN_OK,
	    "opened a short file");
	ok(stat(segpath, &st) == 0 && st.st_size > 100,
	    "a short file is grown back");
	limiter_close(a);
	limiter_close(NULL);
}

static void
test_month(void)
{
	static const struct {
		int64_t		 t, want;
		const char	*what;
	} tests[] = {
		{ 0, 0, "the epoch" },
		{ 1709251199, 1706745600, "2024-02-29 23:59:59 (leap)" },
		{ 1709251200, 1709251200, "2024-03-01 00:00:00" },
		{ 1735689599, 1733011200, "2024-12-31 23:59:59" },
		{ 1735689600, 1735689600, "2025-01-01 00:00:00" },
		{ 4107542400, 4107542400, "2100-03-01 (not leap)" },
		{ 4107542399, 4105123200, "2100-02-28 23:59:59" },
		{ -1, -2678400, "1969-12-31 23:59:59" },
	};
	size_t	 i;

	for (i = 0; i < VN_NELEM(tests); i++)
		is_int(limiter_month_start(tests[i].t), tests[i].want,
		    "month start of %s", tests[i].what);
}

int
main(void)
{
	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	snprintf(db, sizeof(db), "%s/v.db", dir);
	snprintf(segpath, sizeof(segpath), "%s%s", db, LIMITER_SUFFIX);
	test_open();
	test_month();
	unlink(segpath);
	rmdir(dir);
	return done_testing();
}
