/*
 * ratewin_test.c: the bucketed sliding windows on their own: counting,
 * when a count leaves (one bucket late at most, never early), how long
 * a refused call waits, corrections, a clock stepped back, and which
 * window of a scope a refusal names.
 */
#include "config.h"

#include <string.h>

#include "ratewin.h"
#include "../tap.h"

/* 2025-01-01 08:53:20.500 UTC: half a second into a bucket. */
#define T0	1735721600500LL

static void
test_minute(void)
{
	struct rw_cell	 ring[RW_MINUTE_N + 1];
	uint32_t	 b;
	int		 i;

	memset(ring, 0, sizeof(ring));
	is_int(rw_used(ring, &rw_minute, T0, RW_REQ), 0, "empty");
	is_int(rw_wait(ring, &rw_minute, T0, RW_REQ, 3, 1), 0,
	    "room in an empty window");
	is_int(rw_reset(ring, &rw_minute, T0, RW_REQ), 0,
	    "nothing to reset");
	for (i = 0; i < 3; i++)
		b = rw_add(ring, &rw_minute, T0, 1, 10);
	is_int(b, T0 / 1000, "counted in the bucket of its second");
	is_int(rw_used(ring, &rw_minute, T0, RW_REQ), 3, "3 requests");
	is_int(rw_used(ring, &rw_minute, T0, RW_TOK), 30, "30 tokens");
	is_int(rw_wait(ring, &rw_minute, T0, RW_REQ, 3, 1), 60500,
	    "a 4th waits until the bucket is a whole minute old");
	is_int(rw_reset(ring, &rw_minute, T0, RW_REQ), 60500, "reset alike");
	is_int(rw_wait(ring, &rw_minute, T0, RW_TOK, 100, 71), 60500,
	    "tokens over the limit wait too");
	is_int(rw_wait(ring, &rw_minute, T0, RW_TOK, 100, 70), 0,
	    "tokens up to the limit fit");
	is_int(rw_wait(ring, &rw_minute, T0, RW_TOK, 100, 101), -1,
	    "more than the limit never fits");
	is_int(rw_wait(ring, &rw_minute, T0, RW_REQ, 0, 1), -1,
	    "a limit of 0 admits nothing here (the caller skips it)");
	/* 59.5 s later: an exact log would still count them, and so do we. */
	is_int(rw_used(ring, &rw_minute, T0 + 59500, RW_REQ), 3,
	    "counted until 60 s after their bucket's end");
	is_int(rw_used(ring, &rw_minute, T0 + 60499, RW_REQ), 3,
	    "still counted 1 ms before the bucket leaves");
	is_int(rw_used(ring, &rw_minute, T0 + 60500, RW_REQ), 0,
	    "gone when the bucket is a whole window old");
	/* A newer count, the older one leaving first. */
	rw_add(ring, &rw_minute, T0 + 30000, 2, 0);
	is_int(rw_wait(ring, &rw_minute, T0 + 30000, RW_REQ, 5, 1), 30500,
	    "one more waits for the oldest bucket only");
	is_int(rw_wait(ring, &rw_minute, T0 + 30000, RW_REQ, 5, 4), 60500,
	    "four more wait for the newer bucket too");
	/* A turn of the ring later the cell is reused, emptied first. */
	rw_add(ring, &rw_minute, T0 + 61000, 1, 1);
	is_int(rw_used(ring, &rw_minute, T0 + 61000, RW_REQ), 3,
	    "a reused cell holds only its new count (1 + the newer 2)");
	/* Corrections. */
	b = rw_add(ring, &rw_minute, T0 + 62000, 1, 50);
	rw_adjust(ring, &rw_minute, b, -20);
	is_int(rw_used(ring, &rw_minute, T0 + 62000, RW_TOK), 31,
	    "a correction replaces the estimate");
	rw_adjust(ring, &rw_minute, b, -1000);
	is_int(rw_used(ring, &rw_minute, T0 + 62000, RW_TOK), 1,
	    "a count never goes below 0");
	rw_adjust(ring, &rw_minute, b - 61, 1000);
	is_int(rw_used(ring, &rw_minute, T0 + 62000, RW_TOK), 1,
	    "a bucket no longer in its cell is not corrected");
	/* The clock stepped back 10 s: what was counted stays counted. */
	is_int(rw_used(ring, &rw_minute, T0 + 52000, RW_REQ), 4,
	    "counts from ahead of a stepped-back clock still count");
	is_int(rw_used(ring, &rw_minute, T0 + 62000 - 61000 * 2, RW_REQ), 0,
	    "but not when more than a window ahead");
}

static void
test_day(void)
{
	struct rw_cell	 ring[RW_DAY_N + 1];
	int64_t		 t = T0 - T0 % RW_DAY_MS;	/* a bucket's start */

	memset(ring, 0, sizeof(ring));
	rw_add(ring, &rw_day, t, 2, 0);
	rw_add(ring, &rw_day, t + 3 * 3600 * 1000LL, 1, 0);
	is_int(rw_used(ring, &rw_day, t + 86399999LL, RW_REQ), 3,
	    "a day later by 1 ms, all counted");
	is_int(rw_wait(ring, &rw_day, t, RW_REQ, 3, 1),
	    (RW_DAY_N + 1) * (int64_t)RW_DAY_MS,
	    "a 4th waits a day and one bucket");
	is_int(rw_used(ring, &rw_day, t + 86400000LL + RW_DAY_MS, RW_REQ), 1,
	    "the first bucket leaves a day and ten minutes on");
}

static void
test_scope(void)
{
	struct rw_scope	 sc;
	struct rw_full	 full;
	int64_t		 max[RW_NLIMITS] = { 2, 100, 0, 500 };
	uint32_t	 b;
	long		 reset;

	memset(&sc, 0, sizeof(sc));
	ok(rw_idle(&sc, T0), "a new scope is idle");
	full.limit = 0;
	ok(rw_check(&sc, max, 0, 60, T0, 0, &full) && full.limit == 0,
	    "room for a live call");
	b = rw_count(&sc, 0, 60, T0);
	is_int(b, T0 / 1000, "live tokens in the minute's bucket");
	ok(!rw_idle(&sc, T0), "no longer idle");
	is_int(rw_remaining(&sc, 2, RW_REQ, T0, &reset), 1, "1 request left");
	is_int(reset, 60500, "which frees in 60.5 s");
	ok(!rw_check(&sc, max, 0, 60, T0, 7, &full), "60 more tokens: full");
	ok(full.tag == 7 && full.limit_idx == 1 && full.used == 60 &&
	    full.want == 60 && full.wait == 60500, "the tokens window named");
	rw_count(&sc, 0, 0, T0 + 1000);
	full.limit = 0;
	ok(!rw_check(&sc, max, 0, 200, T0 + 1000, 0, &full) &&
	    full.limit_idx == 1 && full.wait == -1,
	    "a window that can never fit is named over one that frees");
	full.limit = 0;
	ok(!rw_check(&sc, max, 0, 10, T0 + 1000, 0, &full) &&
	    full.limit_idx == 0 && full.wait == 59500,
	    "requests full: the oldest frees in 59.5 s");
	full.limit = 0;
	ok(rw_check(&sc, max, 1, 500, T0, 0, &full),
	    "a batch line is not held by the live windows");
	b = rw_count(&sc, 1, 500, T0);
	is_int(b, T0 / RW_DAY_MS, "batch tokens in the day's bucket");
	ok(!rw_check(&sc, max, 1, 1, T0, 0, &full) && full.limit_idx == 3,
	    "the batch day full");
	rw_recount(&sc, 1, b, -100);
	full.limit = 0;
	ok(rw_check(&sc, max, 1, 100, T0, 0, &full),
	    "a batch correction frees room");
	is_int(rw_used(sc.minute, &rw_minute, T0, RW_TOK), 60,
	    "batch tokens are not in the minute");
	is_int(rw_used(sc.day, &rw_day, T0, RW_REQ), 2,
	    "only live calls count requests in the day");
	ok(rw_idle(&sc, T0 + 2 * 86400000LL), "idle two days later");
}

int
main(void)
{
	test_minute();
	test_day();
	test_scope();
	return done_testing();
}
