/*
 * ratewin.c: sliding windows in stamped buckets (ratewin.h).
 *
 * A cell is live when its stamp lies within n buckets of now on
 * either side.  Behind now, that is the window itself.  Ahead of now
 * only when the wall clock was stepped back: those counts were made,
 * so they stay counted (refusing too long rather than letting a window
 * hold twice its limit), but for no more than one window.
 */
#include "config.h"

#include "ratewin.h"

const struct rw_shape	rw_minute = { RW_MINUTE_N, RW_MINUTE_MS };
const struct rw_shape	rw_day = { RW_DAY_N, RW_DAY_MS };

/* The absolute number of the bucket holding now_ms. */
int64_t
rw_bucket(const struct rw_shape *sh, int64_t now_ms)
{
	return now_ms / sh->width_ms;
}

static int64_t
cell_value(const struct rw_cell *c, enum rw_what what)
{
	return what == RW_REQ ? (int64_t)c->req : c->tok;
}

/* The cell of bucket k, if it holds that bucket. */
static const struct rw_cell *
cell_of(const struct rw_cell *ring, const struct rw_shape *sh, int64_t k)
{
	const struct rw_cell	*c;

	if (k <= 0)
		return NULL;
	c = &ring[k % (sh->n + 1)];
	return (int64_t)c->stamp == k ? c : NULL;
}

/* The sum counted in the live cells. */
int64_t
rw_used(const struct rw_cell *ring, const struct rw_shape *sh,
    int64_t now_ms, enum rw_what what)
{
	int64_t		 now = rw_bucket(sh, now_ms), sum = 0;
	int		 i;

	for (i = 0; i <= sh->n; i++)
		if (ring[i].stamp != 0 &&
		    (int64_t)ring[i].stamp >= now - sh->n &&
		    (int64_t)ring[i].stamp <= now + sh->n)
			sum += cell_value(&ring[i], what);
	return sum;
}

/*
 * How long until want more fit under limit: 0 if they fit now, -1 if
 * they never can (want alone is over the limit, or the limit is not
 * positive).  Otherwise the live cells are given back oldest first
 * until enough has left; the answer is when that cell's bucket leaves,
 * at least 1 ms.
 */
long
rw_wait(const struct rw_cell *ring, const struct rw_shape *sh,
    int64_t now_ms, enum rw_what what, int64_t limit, int64_t want)
{
	const struct rw_cell	*c;
	int64_t			 now = rw_bucket(sh, now_ms), need, freed = 0;
	int64_t			 k, ms;

	if (limit <= 0 || want > limit)
		return -1;
	need = rw_used(ring, sh, now_ms, what) + want - limit;
	if (need <= 0)
		return 0;
	for (k = now - sh->n; k <= now + sh->n; k++) {
		if ((c = cell_of(ring, sh, k)) == NULL)
			continue;
		freed += cell_value(c, what);
		if (freed >= need) {
			ms = (k + sh->n + 1) * sh->width_ms - now_ms;
			return ms < 1 ? 1 : (long)ms;
		}
	}
	return -1;	/* NOTREACHED: the live cells hold at least need */
}

/* How long until the oldest live cell with a count leaves; 0: none. */
long
rw_reset(const struct rw_cell *ring, const struct rw_shape *sh,
    int64_t now_ms, enum rw_what what)
{
	const struct rw_cell	*c;
	int64_t			 now = rw_bucket(sh, now_ms), k, ms;

	for (k = now - sh->n; k <= now + sh->n; k++) {
		if ((c = cell_of(ring, sh, k)) == NULL ||
		    cell_value(c, what) == 0)
			continue;
		ms = (k + sh->n + 1) * sh->width_ms - now_ms;
		return ms < 1 ? 1 : (long)ms;
	}
	return 0;
}

/*
 * Count req requests and tok tokens in the bucket of now_ms and return
 * its number.  A cell left from an earlier turn is emptied first: its
 * counts are zeroed before the new stamp is written, so a process
 * dying between the two leaves a cell that reads as stale, never old
 * counts under a new stamp.
 */
uint32_t
rw_add(struct rw_cell *ring, const struct rw_shape *sh, int64_t now_ms,
    uint32_t req, int64_t tok)
{
	int64_t		 now = rw_bucket(sh, now_ms);
	struct rw_cell	*c = &ring[now % (sh->n + 1)];

	if ((int64_t)c->stamp != now) {
		c->req = 0;
		c->tok = 0;
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		c->stamp = (uint32_t)now;
	}
	c->req += req;
	c->tok += tok;
	return (uint32_t)now;
}

/*
 * Add dtok (negative: give back) to the tokens counted in bucket, if
 * its cell still holds it; a count never goes below zero.
 */
void
rw_adjust(struct rw_cell *ring, const struct rw_shape *sh, uint32_t bucket,
    int64_t dtok)
{
	struct rw_cell	*c;

	if (bucket == 0)
		return;
	c = &ring[bucket % (uint32_t)(sh->n + 1)];
	if (c->stamp != bucket)
		return;
	c->tok = c->tok + dtok < 0 ? 0 : c->tok + dtok;
}

/* Which window each limit of a scope is, in the order of RW_NLIMITS. */
static const struct rw_limit {
	int		 batch;		/* counts batch lines, or live calls */
	int		 day;		/* in the day ring, or the minute's */
	enum rw_what	 what;
} limits[RW_NLIMITS] = {
	{ 0, 0, RW_REQ },	/* requests a minute */
	{ 0, 0, RW_TOK },	/* tokens a minute */
	{ 0, 1, RW_REQ },	/* requests a day */
	{ 1, 1, RW_TOK },	/* batch tokens a day */
};

/*
 * Whether every window of the scope that applies (to a batch line or
 * to a live call) has room for one more request and tokens more.  If
 * not, *full names the full window that frees last (one that never
 * can first), unless *full already names a worse one: so one rw_full
 * can be carried over the scopes of a call, and tag says which scope
 * it names.  Set full->limit to 0 before the first call.
 */
int
rw_check(const struct rw_scope *sc, const int64_t *max, int batch,
    int64_t tokens, int64_t now_ms, int tag, struct rw_full *full)
{
	const struct rw_limit	*l;
	const struct rw_cell	*ring;
	const struct rw_shape	*sh;
	int64_t			 want;
	long			 wait;
	int			 i, room = 1;

	for (i = 0; i < RW_NLIMITS; i++) {
		l = &limits[i];
		if (l->batch != (batch != 0) || max[i] <= 0)
			continue;
		ring = l->day ? sc->day : sc->minute;
		sh = l->day ? &rw_day : &rw_minute;
		want = l->what == RW_REQ ? 1 : tokens;
		if ((wait = rw_wait(ring, sh, now_ms, l->what, max[i],
		    want)) == 0)
			continue;
		room = 0;
		if (full->limit != 0 && (full->wait == -1 ||
		    (wait != -1 && wait <= full->wait)))
			continue;
		full->tag = tag;
		full->limit_idx = i;
		full->limit = max[i];
		full->used = rw_used(ring, sh, now_ms, l->what);
		full->want = want;
		full->wait = wait;
	}
	return room;
}

/*
 * Count one call: a live one as a request and its tokens in the
 * minute and a request in the day, a batch line as its tokens in the
 * day.  Returns the bucket its tokens went in, for rw_recount().
 */
uint32_t
rw_count(struct rw_scope *sc, int batch, int64_t tokens, int64_t now_ms)
{
	if (batch)
		return rw_add(sc->day, &rw_day, now_ms, 0, tokens);
	rw_add(sc->day, &rw_day, now_ms, 1, 0);
	return rw_add(sc->minute, &rw_minute, now_ms, 1, tokens);
}

/* Correct the tokens rw_count() put in bucket by dtok. */
void
rw_recount(struct rw_scope *sc, int batch, uint32_t bucket, int64_t dtok)
{
	if (batch)
		rw_adjust(sc->day, &rw_day, bucket, dtok);
	else
		rw_adjust(sc->minute, &rw_minute, bucket, dtok);
}

/* Whether nothing is counted any more: no live cell in either ring. */
int
rw_idle(const struct rw_scope *sc, int64_t now_ms)
{
	return rw_used(sc->minute, &rw_minute, now_ms, RW_REQ) == 0 &&
	    rw_used(sc->minute, &rw_minute, now_ms, RW_TOK) == 0 &&
	    rw_used(sc->day, &rw_day, now_ms, RW_REQ) == 0 &&
	    rw_used(sc->day, &rw_day, now_ms, RW_TOK) == 0;
}

/*
 * What is left of a minute limit (never below 0), and in *reset_ms how
 * long until the oldest count in that window leaves.
 */
int64_t
rw_remaining(const struct rw_scope *sc, int64_t limit, enum rw_what what,
    int64_t now_ms, long *reset_ms)
{
	int64_t		 rem;

	rem = limit - rw_used(sc->minute, &rw_minute, now_ms, what);
	*reset_ms = rw_reset(sc->minute, &rw_minute, now_ms, what);
	return rem < 0 ? 0 : rem;
}
