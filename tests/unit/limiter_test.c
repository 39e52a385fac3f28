/*
 * limiter_test.c: the shared limit counters on a real segment file:
 * creation, reopening and rebuilding of the header, the generation,
 * the month arithmetic; rate windows and spend through admit and
 * settle on a clock the test moves; several processes at once, and
 * processes killed holding calls or the lock.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "limiter.h"
#include "../tap.h"

static char	 dir[] = "/tmp/venna-limiter-test.XXXXXX";
static char	 db[256], segpath[300];

/*
 * The segment's first fields, as limiter_int.h lays them out: the magic at
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


/* The time the limiter reads, moved by the tests. */
static int64_t	 now_v = 1735721600500LL;	/* 2025-01-01 08:53:20.5 */

static int64_t
test_now(void)
{
	return now_v;
}

/* A clock that kills its process: called under the segment's lock. */
static int64_t
deadly_now(void)
{
	raise(SIGKILL);
	return now_v;
}

/* The database's spend as the baseline callback reads it. */
static struct {
	int		 calls;
	int		 fail;
	int64_t		 ws, org;	/* what it answers */
	int64_t		 month;		/* the month last asked */
	int		 org_asked;
} base;

static int
baseline(void *arg, const char *ws, int64_t month, int64_t *spent)
{
	(void)arg;
	base.calls++;
	base.month = month;
	if (ws == NULL)
		base.org_asked++;
	if (base.fail)
		return -1;
	*spent = ws == NULL ? base.org : base.ws;
	return 0;
}

static struct limiter_ask
live(const char *ws, const char *model, int64_t rpm, int64_t tpm,
    int64_t tokens)
{
	struct limiter_ask	 a;

	memset(&a, 0, sizeof(a));
	a.workspace_id = ws;
	a.model = model;
	a.ws.max[LIM_RPM] = rpm;
	a.ws.max[LIM_TPM] = tpm;
	a.tokens = tokens;
	return a;
}

static int
admit_n(struct limiter *lim, const struct limiter_ask *a, int n,
    struct limiter_refusal *why)
{
	struct limiter_grant	 g;
	int			 i, got = 0;

	for (i = 0; i < n; i++)
		if (limiter_admit(lim, a, &g, why) == VN_OK)
			got++;
	return got;
}

static struct limiter *
open_or_die(void)
{
	struct limiter	*lim = NULL;
	char		 err[512];

	if (limiter_open(db, &lim, err, sizeof(err)) != VN_OK) {
		printf("Bail out! %s\n", err);
		exit(1);
	}
	limiter_set_clock(lim, test_now);
	return lim;
}

static void
test_rate(void)
{
	struct limiter		*lim = open_or_die();
	struct limiter_ask	 a;
	struct limiter_grant	 g, g2;
	struct limiter_refusal	 why;
	int64_t			 t0 = now_v;

	a = live("ws_rate", "m", 3, 0, 10);
	is_int(limiter_admit(lim, &a, &g, &why), VN_OK, "admitted");
	ok(g.hold >= 0 && g.requests.limit == 3 && g.requests.remaining == 2 &&
	    g.requests.reset_ms == 60500 && g.tokens.limit == 0,
	    "the grant reports the requests window: 3, 2 left, 60.5 s");
	is_int(admit_n(lim, &a, 10, &why), 2, "exactly 3 of 11 in a minute");
	ok(why.why == LIMIT_RATE && why.kind == LIM_RPM && !why.key_scope &&
	    why.limit == 3 && why.used == 3 && why.requested == 1 &&
	    why.retry_after_ms == 60500, "refused: RPM, retry in 60.5 s");
	now_v = t0 + 60499;
	is_int(admit_n(lim, &a, 1, &why), 0, "still refused 1 ms before");
	is_int(why.retry_after_ms, 1, "retry in 1 ms");
	now_v = t0 + 60500;
	is_int(admit_n(lim, &a, 5, &why), 3, "3 more once the bucket left");

	/* Tokens, and settling with fewer than estimated. */
	a = live("ws_rate", "tok", 0, 100, 40);
	is_int(limiter_admit(lim, &a, &g, &why), VN_OK, "40 tokens");
	is_int(limiter_admit(lim, &a, &g2, &why), VN_OK, "80 tokens");
	ok(g2.tokens.limit == 100 && g2.tokens.remaining == 20 &&
	    g2.requests.limit == 0, "the grant reports tokens: 20 left");
	is_int(admit_n(lim, &a, 1, &why), 0, "120 tokens refused");
	ok(why.kind == LIM_TPM && why.used == 80 && why.requested == 40 &&
	    why.retry_after_ms > 0, "refused on TPM, within the minute");
	limiter_settle(lim, &g, 10, 0, NULL, NULL);
	is_int(g.hold, -1, "a settled grant is spent");
	is_int(admit_n(lim, &a, 1, &why), 1,
	    "the real 10 replaced the estimate of 40: 90 fit");
	limiter_settle(lim, &g, 0, 0, NULL, NULL);
	g2.hold_gen++;
	limiter_settle(lim, &g2, 0, 0, NULL, NULL);
	is_int(admit_n(lim, &a, 1, &why), 0,
	    "settling twice or with a wrong generation changes nothing");
	a.tokens = 101;
	is_int(admit_n(lim, &a, 1, &why), 0, "more than the limit");
	ok(why.kind == LIM_TPM && why.retry_after_ms == 0,
	    "refused for good: retry_after 0");

	/* The day. */
	a = live("ws_rate", "day", 0, 0, 1);
	a.ws.max[LIM_RPD] = 5;
	t0 = now_v;
	is_int(admit_n(lim, &a, 3, &why), 3, "3 in the day");
	now_v += 5 * 3600 * 1000LL;
	is_int(admit_n(lim, &a, 4, &why), 2, "5 of 7 in the day");
	ok(why.kind == LIM_RPD && why.limit == 5 && why.retry_after_ms >
	    19 * 3600 * 1000L, "refused on RPD, for 19 hours and more");
	now_v = t0 + 24 * 3600 * 1000LL + 20 * 60 * 1000LL;
	is_int(admit_n(lim, &a, 4, &why), 3,
	    "the first 3 left a day and a bucket later");

	/* Batch lines count their tokens against the batch day only. */
	a = live("ws_rate", "batch", 1, 0, 600);
	a.ws.max[LIM_BATCH_TPD] = 1000;
	a.batch = 1;
	is_int(limiter_admit(lim, &a, &g, &why), VN_OK, "a batch line");
	ok(g.requests.limit == 0 && g.tokens.limit == 0,
	    "no minute windows for a batch line");
	is_int(admit_n(lim, &a, 1, &why), 0, "a second is over the batch day");
	ok(why.kind == LIM_BATCH_TPD && why.used == 600, "refused on it");
	limiter_settle(lim, &g, 300, 0, NULL, NULL);
	is_int(admit_n(lim, &a, 1, &why), 1, "its real tokens freed room");
	a.batch = 0;
	a.tokens = 5000;
	is_int(admit_n(lim, &a, 1, &why), 1,
	    "a live call: RPM 1 untouched by batch, its tokens not batch's");
	is_int(admit_n(lim, &a, 1, &why), 0, "and the live RPM works");

	/* A key's scope is counted apart from the workspace's. */
	a = live("ws_rate", "k", 10, 0, 1);
	a.key_id = "key_a";
	a.key.max[LIM_RPM] = 2;
	is_int(limiter_admit(lim, &a, &g, &why), VN_OK, "with key a");
	ok(g.requests.limit == 2 && g.requests.remaining == 1,
	    "the key's window is the tightest");
	is_int(admit_n(lim, &a, 3, &why), 1, "key a: 2 in the minute");
	ok(why.kind == LIM_RPM && why.key_scope && why.limit == 2,
	    "refused on the key's limit");
	a.key_id = "key_b";
	is_int(admit_n(lim, &a, 3, &why), 2, "key b has its own window");
	a.key_id = NULL;
	is_int(admit_n(lim, &a, 10, &why), 6,
	    "without a key: the workspace's 10, 4 already counted");
	ok(!why.key_scope && why.limit == 10, "refused on the workspace's");
	a = live("ws_rate", "k", 10, 0, 1);
	a.key_id = "key_c";	/* a key without limits: no key scope */
	is_int(admit_n(lim, &a, 1, &why), 0, "a key with no limit: ws only");
	a = live("ws_other", "k", 10, 0, 1);
	is_int(admit_n(lim, &a, 1, &why), 1, "another workspace, its own");
	a.model = NULL;
	is_int(limiter_admit(lim, &a, &g, &why), VN_EINVAL, "no model");
	limiter_close(lim);
}

static void
test_spend(void)
{
	struct limiter		*lim = open_or_die();
	struct limiter_ask	 a;
	struct limiter_grant	 g[4];
	struct limiter_refusal	 why;
	int64_t			 res, before, after, month;

	memset(&base, 0, sizeof(base));
	base.ws = 100;
	base.org = 1000;
	a = live("ws_spend", "m", 0, 0, 1);
	a.baseline = baseline;
	a.reserve_pusd = 300;
	a.ws_spend_limit = 1100;
	is_int(limiter_spent(lim, "ws_spend", NULL), -1, "no count yet");
	is_int(limiter_admit(lim, &a, &g[0], &why), VN_OK, "100 + 300");
	ok(base.calls == 2 && base.org_asked == 1 &&
	    base.month == limiter_month_start(now_v / 1000),
	    "the baselines of the workspace and org were read, this month");
	is_int(limiter_admit(lim, &a, &g[1], &why), VN_OK, "+ 300");
	is_int(limiter_admit(lim, &a, &g[2], &why), VN_OK, "+ 300 = 1000");
	is_int(limiter_admit(lim, &a, &g[3], &why), VN_ELIMIT,
	    "the 4th reservation would pass the limit");
	ok(why.why == LIMIT_SPEND && !why.org && why.limit == 1100 &&
	    why.used == 1000 && why.requested == 300, "refused on spend");
	is_int(base.calls, 2, "the baselines were read once");
	is_int(limiter_spent(lim, "ws_spend", &res), 100, "spent 100");
	is_int(res, 900, "reserved 900");
	limiter_settle(lim, &g[0], 1, 50, &before, &after);
	ok(before == 100 && after == 150, "settled: 100 -> 150");
	is_int(limiter_admit(lim, &a, &g[0], &why), VN_OK,
	    "the real cost (50) freed room for one more");
	is_int(limiter_admit(lim, &a, &g[3], &why), VN_ELIMIT, "and only one");
	is_int(limiter_spent(lim, NULL, &res), 1050,
	    "the organization counted the settled 50 too");
	a.org_spend_limit = 1500;
	a.ws_spend_limit = 0;
	a.workspace_id = "ws_spend2";
	a.reserve_pusd = 200;
	is_int(limiter_admit(lim, &a, &g[3], &why), VN_ELIMIT,
	    "the org: 1050 + 900 reserved is over 1500");
	ok(why.why == LIMIT_SPEND && why.org && why.used == 1950,
	    "refused on the organization's limit");

	/* A new month asks for new baselines; reservations stay. */
	month = limiter_month_start(now_v / 1000);
	now_v = month * 1000 + 40 * 86400 * 1000LL;
	base.ws = 7;
	a.workspace_id = "ws_spend";
	a.org_spend_limit = 0;
	a.ws_spend_limit = 1000;
	a.reserve_pusd = 1;
	is_int(limiter_admit(lim, &a, &g[3], &why), VN_OK, "next month");
	ok(base.calls == 5 && base.month > month,
	    "the new month's baselines were read");
	is_int(limiter_spent(lim, "ws_spend", &res), 7,
	    "spent is the new month's");
	is_int(res, 901, "calls still in flight keep their reservations");
	base.fail = 1;
	a.workspace_id = "ws_spend3";
	is_int(limiter_admit(lim, &a, &g[3], &why), VN_ESTORE,
	    "a baseline that fails refuses with VN_ESTORE");
	base.fail = 0;
	a.baseline = NULL;
	a.ws_spend_limit = 0;
	a.workspace_id = "ws_nospend";
	is_int(limiter_admit(lim, &a, &g[3], &why), VN_OK, "no spend counted");
	is_int(limiter_spent(lim, "ws_nospend", NULL), -1,
	    "nor a slot made for it");
	limiter_settle(lim, &g[3], 1, 5, &before, &after);
	ok(before == -1 && after == -1, "settling it reports no spend");
	limiter_close(lim);
}

static void
test_enter(void)
{
	struct limiter		*lim = open_or_die();
	struct limiter_refusal	 why;
	int			 h[3];
	uint32_t		 gen[3];

	is_int(limiter_enter(lim, "ws_in", 0, &h[0], &gen[0], &why), VN_OK,
	    "no limit");
	is_int(h[0], -1, "nothing taken");
	is_int(limiter_enter(lim, "ws_in", 2, &h[0], &gen[0], &why), VN_OK,
	    "1 of 2");
	is_int(limiter_enter(lim, "ws_in", 2, &h[1], &gen[1], &why), VN_OK,
	    "2 of 2");
	is_int(limiter_enter(lim, "ws_in", 2, &h[2], &gen[2], &why), VN_ELIMIT,
	    "3 of 2 refused");
	ok(why.why == LIMIT_CONCURRENT && why.limit == 2 && why.used == 2,
	    "refused: concurrent, 2 of 2");
	limiter_leave(lim, h[0], gen[0]);
	limiter_leave(lim, h[0], gen[0]);
	is_int(limiter_enter(lim, "ws_in", 2, &h[2], &gen[2], &why), VN_OK,
	    "a slot left: taken again");
	is_int(limiter_enter(lim, "ws_in", 2, &h[0], &gen[0], &why), VN_ELIMIT,
	    "leaving twice gave back one slot only");
	limiter_leave(lim, h[1], gen[1]);
	limiter_leave(lim, h[2], gen[2]);
	limiter_leave(lim, -1, 0);
	limiter_close(lim);
}

#define KIDS	8

/*
 * Each of KIDS processes opens the segment itself and admits and
 * settles as fast as it can; it writes how many it was admitted.
 */
static void
hammer(int fd, const struct limiter_ask *a, int tries, int64_t cost)
{
	struct limiter		*lim = open_or_die();
	struct limiter_grant	 g;
	struct limiter_refusal	 why;
	int			 i, got = 0;

	for (i = 0; i < tries; i++)
		if (limiter_admit(lim, a, &g, &why) == VN_OK) {
			got++;
			limiter_settle(lim, &g, a->tokens, cost, NULL, NULL);
		}
	if (write(fd, &got, sizeof(got)) != sizeof(got))
		_exit(2);
	limiter_close(lim);
	_exit(0);
}

/* Run KIDS hammers; the total admitted, -1 if one failed. */
static int
hammer_all(const struct limiter_ask *a, int tries, int64_t cost)
{
	pid_t	 kids[KIDS];
	int	 p[2], i, n, total = 0, status, bad = 0;

	if (pipe(p) == -1)
		return -1;
	for (i = 0; i < KIDS; i++)
		if ((kids[i] = fork()) == 0) {
			close(p[0]);
			hammer(p[1], a, tries, cost);
		}
	close(p[1]);
	for (i = 0; i < KIDS; i++) {
		if (read(p[0], &n, sizeof(n)) != sizeof(n))
			bad = 1;
		else
			total += n;
	}
	close(p[0]);
	for (i = 0; i < KIDS; i++)
		if (kids[i] == -1 || waitpid(kids[i], &status, 0) == -1 ||
		    !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			bad = 1;
	return bad ? -1 : total;
}

static void
test_processes(void)
{
	struct limiter		*lim = open_or_die();
	struct limiter_ask	 a;
	int64_t			 res;

	a = live("ws_multi", "m", 50, 0, 3);
	is_int(hammer_all(&a, 100, 0), 50,
	    "%d processes, 800 tries: exactly the 50 of RPM admitted", KIDS);
	memset(&base, 0, sizeof(base));
	a = live("ws_multi", "spend", 0, 0, 1);
	a.baseline = baseline;
	a.reserve_pusd = 7;
	a.ws_spend_limit = 1000;
	is_int(hammer_all(&a, 50, 7), 142,
	    "spend: exactly floor(1000 / 7) reservations admitted");
	is_int(limiter_spent(lim, "ws_multi", &res), 994, "994 spent");
	is_int(res, 0, "nothing left reserved");
	limiter_close(lim);
}

/* Whether pid is a zombie (or gone): killed, not reaped yet. */
static int
zombie(pid_t pid)
{
	char	 path[64], buf[512];
	FILE	*f;
	int	 z;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 1;
	z = fgets(buf, sizeof(buf), f) == NULL || strstr(buf, ") Z ") != NULL;
	fclose(f);
	return z;
}

/*
 * A process admits a call and enters, then is killed: its hold is
 * reclaimed when a limit would refuse, even before it is reaped (a
 * zombie is dead).
 */
static void
test_killed_holder(void)
{
	struct limiter		*lim = open_or_die(), *kl;
	struct limiter_ask	 a;
	struct limiter_grant	 g;
	struct limiter_refusal	 why;
	int64_t			 res;
	int			 p[2], h, status, i;
	uint32_t		 gen;
	pid_t			 pid;
	char			 c = 0;

	memset(&base, 0, sizeof(base));
	a = live("ws_kill", "m", 0, 0, 1);
	a.baseline = baseline;
	a.ws_spend_limit = 1000;
	a.reserve_pusd = 600;
	if (pipe(p) == -1)
		return;
	if ((pid = fork()) == 0) {
		kl = open_or_die();
		if (limiter_admit(kl, &a, &g, &why) != VN_OK ||
		    limiter_enter(kl, "ws_kill", 1, &h, &gen, &why) != VN_OK)
			_exit(1);
		if (write(p[1], &c, 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(p[1]);
	ok(read(p[0], &c, 1) == 1, "the child admitted and entered");
	close(p[0]);
	is_int(limiter_spent(lim, "ws_kill", &res), 0, "nothing spent yet");
	is_int(res, 600, "600 reserved");
	is_int(limiter_enter(lim, "ws_kill", 2, &h, &gen, &why), VN_OK,
	    "2 in flight allowed: no reclaim needed");
	limiter_leave(lim, h, gen);
	kill(pid, SIGKILL);
	for (i = 0; i < 5000 && !zombie(pid); i++)
		usleep(1000);
	a.reserve_pusd = 300;
	is_int(limiter_admit(lim, &a, &g, &why), VN_OK,
	    "600 + 300 fits without reclaiming");
	limiter_settle(lim, &g, 1, 0, NULL, NULL);
	a.reserve_pusd = 500;
	is_int(limiter_admit(lim, &a, &g, &why), VN_ELIMIT,
	    "600 + 500 is refused, after the dead hold is reclaimed");
	is_int(limiter_spent(lim, "ws_kill", &res), 600,
	    "the dead call's reservation became spend");
	is_int(res, 0, "and is no longer reserved");
	is_int(limiter_enter(lim, "ws_kill", 1, &h, &gen, &why), VN_OK,
	    "its slot in flight was freed (a zombie is dead)");
	limiter_leave(lim, h, gen);
	ok(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status),
	    "the child was killed");
	limiter_close(lim);
}

/*
 * A process killed while it holds the segment's lock (its clock kills
 * it, and the clock is read under the lock) leaves the segment usable:
 * the next locker repairs it.  Then processes killed at random while
 * hammering, many times: whatever they left, once their holds are
 * reclaimed nothing stays reserved or in flight.
 */
static void
test_killed_in_lock(void)
{
	struct limiter		*lim = open_or_die(), *kl;
	struct limiter_ask	 a;
	struct limiter_grant	 g;
	struct limiter_refusal	 why;
	int64_t			 res;
	int			 status, i, r, h;
	uint32_t		 gen;
	pid_t			 pid, kids[4];

	memset(&base, 0, sizeof(base));
	a = live("ws_lock", "m", 0, 0, 1);
	a.baseline = baseline;
	a.reserve_pusd = 50;
	if ((pid = fork()) == 0) {
		kl = open_or_die();
		if (limiter_admit(kl, &a, &g, &why) != VN_OK)
			_exit(1);
		limiter_set_clock(kl, deadly_now);
		limiter_admit(kl, &a, &g, &why);
		_exit(1);
	}
	ok(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) &&
	    WTERMSIG(status) == SIGKILL, "the child died holding the lock");
	alarm(20);
	is_int(limiter_spent(lim, "ws_lock", &res), 0,
	    "the next locker goes on");
	is_int(res, 50, "the reservation of its whole hold is counted");
	a.ws_spend_limit = 60;
	is_int(limiter_admit(lim, &a, &g, &why), VN_ELIMIT,
	    "50 + 50 is over 60");
	is_int(limiter_spent(lim, "ws_lock", &res), 50,
	    "the dead hold was reclaimed as spend");

	/* Random kills. */
	a = live("ws_lock2", "m", 0, 0, 1);
	a.baseline = baseline;
	a.reserve_pusd = 1;
	for (r = 0; r < 20; r++) {
		for (i = 0; i < 4; i++)
			if ((kids[i] = fork()) == 0) {
				kl = open_or_die();
				for (;;) {
					if (limiter_enter(kl, "ws_lock2", 1000,
					    &h, &gen, &why) != VN_OK)
						continue;
					if (limiter_admit(kl, &a, &g, &why) ==
					    VN_OK)
						limiter_settle(kl, &g, 1, 1,
						    NULL, NULL);
					limiter_leave(kl, h, gen);
				}
			}
		usleep(3000 + (r % 5) * 1000);
		for (i = 0; i < 4; i++) {
			kill(kids[i], SIGKILL);
			waitpid(kids[i], &status, 0);
		}
	}
	a.ws_spend_limit = 1;
	a.reserve_pusd = 1000000;
	is_int(limiter_admit(lim, &a, &g, &why), VN_ELIMIT,
	    "after 80 kills, a refusal reclaims what they held");
	limiter_spent(lim, "ws_lock2", &res);
	is_int(res, 0, "nothing stays reserved");
	is_int(limiter_enter(lim, "ws_lock2", 1, &h, &gen, &why), VN_OK,
	    "no slot stays in flight");
	limiter_leave(lim, h, gen);
	alarm(0);
	limiter_close(lim);
}

int
main(void)
{
	/*
	 * Nothing buffered when a child forks: a child that flushed the
	 * parent's lines (the sanitizers' exit paths can) would print
	 * them twice.
	 */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	snprintf(db, sizeof(db), "%s/v.db", dir);
	snprintf(segpath, sizeof(segpath), "%s%s", db, LIMITER_SUFFIX);
	test_open();
	test_month();
	test_rate();
	test_spend();
	test_enter();
	test_processes();
	test_killed_holder();
	test_killed_in_lock();
	unlink(segpath);
	rmdir(dir);
	return done_testing();
}
