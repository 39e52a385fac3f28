/*
 * limiter.c: the segment of counters every process of a host shares
 * (limiter.h); what is counted in it, and how, is limiter_holds.c's.
 *
 * The segment is one regular file beside the database, mapped shared
 * by every process that opens it, laid out as struct seg: a header
 * (with the one lock), the spend slots of the workspaces, the rate
 * scopes and the holds.  Every size is fixed at compile time, so the
 * hot path never allocates and never resizes anything another process
 * has mapped.  The file is rebuilt from zero when its header was
 * written under another boot (every counter in it describes processes
 * that no longer exist) or by another layout.
 *
 * Soundness under a dying lock holder.  A process killed while holding
 * the mutex leaves whatever it had stored so far; the next locker gets
 * EOWNERDEAD, marks the mutex consistent and rebuilds the aggregates
 * that depend on holds (reserved spend, requests in flight) from the
 * hold table, which is the truth for them.  Every other update is
 * ordered so that stopping between any two stores errs toward
 * refusing: a hold is written whole before it is published (pid last)
 * and counted after; a window is counted before its hold could give
 * tokens back; spend is added before the hold that reserved it is
 * freed (so a death in between counts that spend twice, never zero
 * times); a recycled slot is a tombstone while it is rewritten.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "limiter.h"
#include "limiter_int.h"

static int64_t
real_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Initialize a new segment (segfile.c has zeroed it and writes the
 * header after): the robust process-shared mutex and the first values.
 * The generation starts at the clock in milliseconds times 1000, not
 * at 1: a segment rebuilt a millisecond later starts above anything
 * fewer than 1000 bumps a millisecond took the old one to, so no
 * process takes the new segment's generation for one it already saw.
 */
static int
seg_init(void *map, void *arg)
{
	struct seg		*seg = map;
	struct limiter		*lim = arg;
	pthread_mutexattr_t	 ma;
	int			 rc;

	if (pthread_mutexattr_init(&ma) != 0)
		return 0;
	rc = pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED) ||
	    pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST) ||
	    pthread_mutex_init(&seg->h.mu, &ma);
	pthread_mutexattr_destroy(&ma);
	if (rc != 0)
		return 0;
	seg->h.generation = (uint64_t)lim->now_ms() * 1000;
	seg->h.org.kind = SK_ORG;
	seg->h.org.month = NO_MONTH;
	return 1;
}

enum vn_err
limiter_open(const char *database, struct limiter **out, char *err,
    size_t errsz)
{
	struct limiter	*lim = NULL;
	void		*map = NULL;
	enum vn_err	 rc;
	char		 state;

	*out = NULL;
	if ((lim = calloc(1, sizeof(*lim))) == NULL) {
		snprintf(err, errsz, "limiter: out of memory");
		return VN_ENOMEM;
	}
	lim->pid = getpid();
	lim->start = segfile_proc_start(lim->pid, &state);
	lim->now_ms = real_now_ms;
	rc = segfile_map(database, LIMITER_SUFFIX, sizeof(struct seg),
	    SEG_MAGIC, SEG_VERSION, seg_init, lim, &map, err, errsz);
	if (rc != VN_OK) {
		free(lim);
		return rc;
	}
	lim->seg = map;
	*out = lim;
	return VN_OK;
}

void
limiter_close(struct limiter *lim)
{
	if (lim == NULL)
		return;
	segfile_unmap(lim->seg, sizeof(struct seg));
	free(lim);
}
void
limiter_set_clock(struct limiter *lim, int64_t (*now_ms)(void))
{
	lim->now_ms = now_ms != NULL ? now_ms : real_now_ms;
}

uint64_t
limiter_generation(struct limiter *lim)
{
	return __atomic_load_n(&lim->seg->h.generation, __ATOMIC_ACQUIRE);
}

void
limiter_bump(struct limiter *lim)
{
	__atomic_add_fetch(&lim->seg->h.generation, 1, __ATOMIC_ACQ_REL);
}

/*
 * Days since 1970-01-01 of a civil date, and back (H. Hinnant's
 * algorithms, proleptic Gregorian): pure arithmetic, no time zone.
 */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t		 era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int64_t
limiter_month_start(int64_t t)
{
	int64_t		 z, era, doe, yoe, doy, mp, y, days;
	int		 m;

	days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	m = (int)(mp < 10 ? mp + 3 : mp - 9);
	y += m <= 2;
	return days_from_civil(y, m, 1) * 86400;
}

/*
 * Take the segment's lock.  A holder that died left the mutex to us
 * with EOWNERDEAD: it is marked consistent and what depends on holds is
 * recounted from them (see the top of the file).  0 only if the mutex
 * is unrecoverable, which no path here leaves it.
 */
int
limiter_seg_lock(struct limiter *lim)
{
	struct seg	*seg = lim->seg;
	struct hold	*h;
	struct wslot	*w;
	size_t		 i;
	int		 rc;

	rc = pthread_mutex_lock(&seg->h.mu);
	if (rc == 0)
		return 1;
	if (rc != EOWNERDEAD || pthread_mutex_consistent(&seg->h.mu) != 0)
		return 0;
	for (i = 0; i < LIM_WORKSPACES; i++)
		seg->ws[i].reserved = seg->ws[i].inflight = 0;
	seg->h.org.reserved = 0;
	for (i = 0; i < LIM_HOLDS; i++) {
		h = &seg->hold[i];
		if (h->pid == 0)
			continue;
		if (h->flags & HOLD_ORG)
			seg->h.org.reserved += h->reserve;
		if (h->ws >= LIM_WORKSPACES ||
		    (w = &seg->ws[h->ws])->gen != h->ws_gen)
			continue;
		if (h->flags & HOLD_SPEND)
			w->reserved += h->reserve;
		if (h->flags & HOLD_INFLIGHT)
			w->inflight++;
	}
	return 1;
}

void
limiter_seg_unlock(struct limiter *lim)
{
	pthread_mutex_unlock(&lim->seg->h.mu);
}
