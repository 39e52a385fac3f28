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
