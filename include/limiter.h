/*
 * limiter.h: the counters every process of one host shares to enforce
 * limits, kept in a file beside the database ("<database>.limits")
 * that each process maps shared after fork.  One process-shared robust
 * mutex guards the segment: a process killed while holding it leaves
 * it usable (EOWNERDEAD is repaired, never fatal).  Nothing here reads
 * or writes the database: the caller brings the limits and the spend
 * baselines (limits_store.c), so no database I/O happens under the
 * segment's lock and no database write happens per request.
 *
 * What it counts:
 *  - sliding windows of requests and tokens per scope (a workspace and
 *    model pair, or a key): one minute in 1-second buckets, one day in
 *    10-minute buckets.  A request counts in the bucket of its second
 *    until that bucket is a whole window old, so no window of the
 *    limit's length ever holds more than the limit (a request may be
 *    refused up to one bucket later than an exact sliding log would
 *    let it in; never admitted earlier);
 *  - the month's spend per workspace and for the organization: settled
 *    spend plus the reservations of calls in flight, in picodollars;
 *  - the requests in flight per workspace (the fair share of the pool).
 *
 * Every admission is a hold in a table of holds, tagged with the pid
 * (and start time) of the process that took it.  A hold whose process
 * is gone is reclaimed the next time a limit would refuse or the
 * table is full: its slot in flight is freed, its tokens stay counted,
 * and its spend reservation becomes spend (the call may have been
 * answered before its process died; counting it spent can refuse too
 * early, never let spend pass a limit).
 */
#ifndef LIMITER_H
#define LIMITER_H

#include "venna.h"

#define LIMITER_SUFFIX		".limits"
#define LIMITER_MAX_NAME	64	/* workspace, key, model ids */

/* The kinds of rate limit, as the Admin API names them. */
enum limit_kind {
	LIM_RPM = 0,	/* max_requests_per_1_minute */
	LIM_TPM,	/* max_tokens_per_1_minute */
	LIM_RPD,	/* max_requests_per_1_day */
	LIM_BATCH_TPD,	/* batch_1_day_max_input_tokens */
	LIM__N
};

/* Limits of one scope; 0 is no limit. */
struct limit_set {
	int64_t		 max[LIM__N];
};

struct limiter;

/*
 * One model call to admit.  The workspace and model scope is counted
 * always (its windows also feed the x-ratelimit headers); the key scope
 * only when key_id is set and key has a limit.  A batch line counts its
 * tokens against LIM_BATCH_TPD only and its request against nothing
 * (OpenAI's batch queue limit); a live call against RPM, TPM and RPD.
 */
struct limiter_ask {
	const char	*workspace_id;
	const char	*key_id;	/* NULL or "": no key scope */
	const char	*model;		/* the configured model's name */
	struct limit_set ws;		/* the workspace's for this model */
	struct limit_set key;		/* the key's, all models together */
	int		 batch;		/* a batch line */
	int64_t		 tokens;	/* estimate: prompt + output cap */
	int64_t		 reserve_pusd;	/* worst-case cost */
	int64_t		 ws_spend_limit;	/* pusd a month; 0: none */
	int64_t		 org_spend_limit;	/* pusd a month; 0: none */
	/*
	 * The month's settled spend as the database knows it, asked for
	 * only when the segment has no count for this month yet (a new
	 * workspace, a new month, a new segment): called without the
	 * lock held, the answer used only if still needed.  NULL
	 * baseline: 0.  Returns 0, or -1 if the database failed (then
	 * the call is refused with VN_ESTORE rather than guessed).
	 */
	int		(*baseline)(void *arg, const char *workspace_id,
			    int64_t month_start, int64_t *spent_pusd);
	void		*baseline_arg;
};

/* For the x-ratelimit headers: the tightest window of each kind. */
struct limiter_window {
	int64_t		 limit;		/* 0: no limit applied */
	int64_t		 remaining;	/* after this request */
	long		 reset_ms;	/* until the window has room again */
};

/* What an admission took; give it back with limiter_settle(). */
struct limiter_grant {
	int		 hold;		/* index in the hold table, -1: none */
	uint32_t	 hold_gen;	/* guards against a reused index */
	struct limiter_window requests;
	struct limiter_window tokens;
};

/* Why an admission was refused. */
struct limiter_refusal {
	enum {
		LIMIT_RATE,	/* a window is full: rate_limit_exceeded */
		LIMIT_SPEND,	/* a spend limit: insufficient_quota */
		LIMIT_CONCURRENT /* the workspace's share of the pool */
	}		 why;
	enum limit_kind	 kind;		/* LIMIT_RATE: which window */
	int		 key_scope;	/* the key's limit, not the workspace's */
	int		 org;		/* LIMIT_SPEND: the organization's */
	int64_t		 limit;
	int64_t		 used;		/* in the window, or spent + reserved */
	int64_t		 requested;
	/*
	 * LIMIT_RATE: until enough of the window has left for this call;
	 * 0 if it never can (requested over the limit).  0 for
	 * LIMIT_SPEND and LIMIT_CONCURRENT, which no clock frees.
	 */
	long		 retry_after_ms;
};

/*
 * Map the segment for database (creating and initializing it if no
 * process has yet, or if it was written before the last boot).  The
 * caller owns *out and closes it with limiter_close().  Call it after
 * fork: a mapping inherited across fork is shared, but the pid tags
 * would be the parent's.
 */
enum vn_err	limiter_open(const char *database, struct limiter **out,
		    char *err, size_t errsz);
void		limiter_close(struct limiter *);	/* NULL: no-op */

/*
 * Admit one model call: every window of both scopes has room for one
 * more request and ask->tokens, and the workspace's and the
 * organization's spent + reserved + ask->reserve_pusd stay within
 * their limits; then count it all and hold the reservation.  VN_OK and
 * *g filled; VN_ELIMIT and *why filled (nothing counted); VN_ESTORE if
 * a baseline could not be read; VN_EUNAVAIL if the hold table is full
 * of live holds.
 */
enum vn_err	limiter_admit(struct limiter *, const struct limiter_ask *,
		    struct limiter_grant *g, struct limiter_refusal *why);

/*
 * Settle an admitted call with what it really used: its tokens replace
 * the estimate in the windows it was counted in (if they are still in
 * the window), its cost replaces the reservation in the month's spend.
 * *before and *after (either may be NULL) get the workspace's settled
 * spend this month around the change, so the caller can tell which
 * spend alerts it crossed; both are -1 when that spend is not counted
 * (no baseline and no limit) or the grant was already settled or
 * reclaimed, which is otherwise ignored.
 */
void		limiter_settle(struct limiter *, struct limiter_grant *,
		    int64_t tokens, int64_t cost_pusd, int64_t *before,
		    int64_t *after);

/*
 * Take one of the workspace's request slots (max 0: no limit, nothing
 * taken, *hold = -1).  VN_ELIMIT with *why filled when it holds max
 * already.  limiter_leave() gives the slot back; -1 is a no-op.
 */
enum vn_err	limiter_enter(struct limiter *, const char *workspace_id,
		    long max, int *hold, uint32_t *hold_gen,
		    struct limiter_refusal *why);
void		limiter_leave(struct limiter *, int hold, uint32_t hold_gen);

/*
 * The month's settled and reserved spend of a workspace (NULL: the
 * organization) as the segment counts it; -1 if it has no count yet.
 */
int64_t		limiter_spent(struct limiter *, const char *workspace_id,
		    int64_t *reserved);

/*
 * A counter bumped whenever limits, permissions or spend limits change
 * in the database, so each process knows to drop its cached copies.
 */
uint64_t	limiter_generation(struct limiter *);
void		limiter_bump(struct limiter *);

/* The first second of the UTC month holding t (seconds). */
int64_t		limiter_month_start(int64_t t);

/*
 * For tests: read the time from now_ms (milliseconds since the epoch)
 * instead of CLOCK_REALTIME, so windows and months can be walked
 * through without sleeping.  NULL restores the real clock.  Every
 * process sharing a segment must read the same clock.
 */
void		limiter_set_clock(struct limiter *, int64_t (*now_ms)(void));

#endif /* LIMITER_H */
