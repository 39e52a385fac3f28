/*
 * ratewin.h: the arithmetic of a sliding window kept in buckets, as
 * the limiter counts requests and tokens.  Pure: no I/O, no lock, no
 * clock; the caller passes the time and keeps the cells (limiter.c
 * keeps them in the shared segment, under its lock).
 *
 * A window of n buckets of width w is a ring of n + 1 cells, each
 * stamped with the absolute number of its bucket (time / w), so a cell
 * left from an earlier turn of the ring reads as empty.  A count made
 * in bucket b stays counted while b >= now - n, that is until the end
 * of its bucket is a whole window old: any span of n * w milliseconds
 * then sees every count made in it (n + 1 cells are live at once,
 * which is why the ring has one more cell than the window has
 * buckets).  The price: a count can leave up to one bucket later than
 * an exact log would let it; never earlier.
 */
#ifndef RATEWIN_H
#define RATEWIN_H

#include "venna.h"

#define RW_MINUTE_N	60		/* the minute: 60 buckets */
#define RW_MINUTE_MS	1000		/* of one second */
#define RW_DAY_N	144		/* the day: 144 buckets */
#define RW_DAY_MS	600000		/* of ten minutes */

/*
 * One bucket.  The stamp is a bucket number since the epoch: for
 * one-second buckets 32 bits last until 2106.  0 is a cell never
 * used.
 */
struct rw_cell {
	uint32_t	 stamp;		/* absolute bucket number */
	uint32_t	 req;		/* requests counted in it */
	int64_t		 tok;		/* tokens counted in it */
};

/* The shape of a window; its ring is n + 1 cells. */
struct rw_shape {
	int		 n;		/* buckets in the window */
	int64_t		 width_ms;	/* width of a bucket */
};

enum rw_what {
	RW_REQ,		/* the request counts */
	RW_TOK		/* the token counts */
};

extern const struct rw_shape	rw_minute, rw_day;

/*
 * The windows of one scope (a workspace and model, or a key): requests
 * and tokens of live calls in the minute, requests of live calls and
 * tokens of batch lines in the day.  Its limits are an array indexed
 * as limiter.h's enum limit_kind: requests a minute, tokens a minute,
 * requests a day, batch tokens a day; 0 is no limit.
 */
#define RW_NLIMITS	4

struct rw_scope {
	struct rw_cell	 minute[RW_MINUTE_N + 1];
	struct rw_cell	 day[RW_DAY_N + 1];
};

/* A full window: the one a refusal names. */
struct rw_full {
	int		 tag;		/* the caller's, of the scope */
	int		 limit_idx;	/* index in the limits */
	int64_t		 limit;		/* 0: no window is full */
	int64_t		 used;		/* counted in it now */
	int64_t		 want;		/* what the call asked */
	long		 wait;		/* ms until it fits; -1: never */
};

int64_t		rw_bucket(const struct rw_shape *, int64_t now_ms);
int64_t		rw_used(const struct rw_cell *, const struct rw_shape *,
		    int64_t now_ms, enum rw_what);
long		rw_wait(const struct rw_cell *, const struct rw_shape *,
		    int64_t now_ms, enum rw_what, int64_t limit,
		    int64_t want);
long		rw_reset(const struct rw_cell *, const struct rw_shape *,
		    int64_t now_ms, enum rw_what);
uint32_t	rw_add(struct rw_cell *, const struct rw_shape *,
		    int64_t now_ms, uint32_t req, int64_t tok);
void		rw_adjust(struct rw_cell *, const struct rw_shape *,
		    uint32_t bucket, int64_t dtok);

int		rw_check(const struct rw_scope *, const int64_t *max,
		    int batch, int64_t tokens, int64_t now_ms, int tag,
		    struct rw_full *);
uint32_t	rw_count(struct rw_scope *, int batch, int64_t tokens,
		    int64_t now_ms);
void		rw_recount(struct rw_scope *, int batch, uint32_t bucket,
		    int64_t dtok);
int		rw_idle(const struct rw_scope *, int64_t now_ms);
int64_t		rw_remaining(const struct rw_scope *, int64_t limit,
		    enum rw_what, int64_t now_ms, long *reset_ms);

#endif /* RATEWIN_H */
