/*
 * limiter_holds.c: what the limiter counts in its segment (limiter.h).
 *
 * The rate scopes (a workspace and model, or a key), the spend slots
 * of the workspaces and the organization, and the holds: one per call
 * admitted and not settled, or per request in flight.  Admitting
 * checks every limit and then counts everything under the segment's
 * one lock; settling swaps the estimate for what the call used.  The
 * holds of processes that died are reclaimed, but only when a limit
 * is about to refuse or the hold table is full.  The segment, its
 * lock and the order of the stores here (so that a death between any
 * two errs toward refusing) are limiter.c's.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "limiter.h"
#include "limiter_int.h"
#include "ratewin.h"

/* Keeps the compiler from moving stores across an ordering point. */
#define ORDER()	__atomic_signal_fence(__ATOMIC_SEQ_CST)

static int
name_ok(const char *s)
{
	return s != NULL && s[0] != '\0' &&
	    strnlen(s, LIMITER_MAX_NAME + 1) <= LIMITER_MAX_NAME;
}

/* FNV-1a over the kind and both names. */
static uint32_t
slot_hash(uint32_t kind, const char *ws, const char *name)
{
	uint32_t	 h = 2166136261u ^ kind;

	for (; *ws != '\0'; ws++)
		h = (h ^ (unsigned char)*ws) * 16777619u;
	h = (h ^ 0xff) * 16777619u;
	for (; *name != '\0'; name++)
		h = (h ^ (unsigned char)*name) * 16777619u;
	return h;
}

/*
 * The rate scope of (kind, ws, name), made if missing and create is
 * set; NULL if missing, or if the table has no room.  Open addressing
 * with linear probes: a slot, once used, is never emptied again (that
 * would cut the probe chains through it), only rewritten in place
 * when idle, as a tombstone while it is.  A hold that counted in the
 * old scope knows it by its gen.
 */
static struct scope *
scope_get(struct seg *seg, uint32_t kind, const char *ws, const char *name,
    int64_t now_ms, int create)
{
	struct scope	*s, *reuse = NULL;
	uint32_t	 h = slot_hash(kind, ws, name);
	size_t		 i;

	for (i = 0; i < LIM_SCOPES; i++) {
		s = &seg->scope[(h + i) % LIM_SCOPES];
		if (s->kind == SK_EMPTY) {
			if (reuse == NULL)
				reuse = s;
			break;
		}
		if (s->kind == kind && strcmp(s->ws, ws) == 0 &&
		    strcmp(s->name, name) == 0)
			return s;
		if (reuse == NULL && create &&
		    (s->kind == SK_TOMB || rw_idle(&s->win, now_ms)))
			reuse = s;
	}
	if (!create || reuse == NULL)
		return NULL;
	reuse->kind = SK_TOMB;
	ORDER();
	snprintf(reuse->ws, sizeof(reuse->ws), "%s", ws);
	snprintf(reuse->name, sizeof(reuse->name), "%s", name);
	memset(&reuse->win, 0, sizeof(reuse->win));
	reuse->gen = ++seg->h.slot_gen;
	ORDER();
	reuse->kind = kind;
	return reuse;
}

/*
 * The spend slot of workspace ws (NULL: the organization's), made if
 * missing and create is set, as scope_get().  A slot is recycled only
 * when nothing is reserved or in flight in it and its count is of an
 * earlier month: a later call reads that workspace's baseline again.
 */
static struct wslot *
wslot_get(struct seg *seg, const char *ws, int64_t month, int create)
{
	struct wslot	*w, *reuse = NULL;
	uint32_t	 h;
	size_t		 i;

	if (ws == NULL)
		return &seg->h.org;
	h = slot_hash(SK_WS, ws, "");
	for (i = 0; i < LIM_WORKSPACES; i++) {
		w = &seg->ws[(h + i) % LIM_WORKSPACES];
		if (w->kind == SK_EMPTY) {
			if (reuse == NULL)
				reuse = w;
			break;
		}
		if (w->kind == SK_WS && strcmp(w->ws, ws) == 0)
			return w;
		if (reuse == NULL && create && (w->kind == SK_TOMB ||
		    (w->reserved == 0 && w->inflight == 0 &&
		    w->month != month)))
			reuse = w;
	}
	if (!create || reuse == NULL)
		return NULL;
	reuse->kind = SK_TOMB;
	ORDER();
	snprintf(reuse->ws, sizeof(reuse->ws), "%s", ws);
	reuse->month = NO_MONTH;
	reuse->spent = reuse->reserved = reuse->inflight = 0;
	reuse->gen = ++seg->h.slot_gen;
	ORDER();
	reuse->kind = SK_WS;
	return reuse;
}

static struct wslot *
hold_wslot(struct seg *seg, const struct hold *h)
{
	if (h->ws >= LIM_WORKSPACES || seg->ws[h->ws].gen != h->ws_gen ||
	    seg->ws[h->ws].kind != SK_WS)
		return NULL;
	return &seg->ws[h->ws];
}

static struct scope *
hold_scope(struct seg *seg, const struct hold *h, int i)
{
	if (h->scope[i] >= LIM_SCOPES ||
	    seg->scope[h->scope[i]].gen != h->scope_gen[i])
		return NULL;
	return &seg->scope[h->scope[i]];
}

/*
 * Give a hold up: its spend is counted (settled: cost is what the call
 * cost; reclaimed: cost is its whole reservation), it is freed, then
 * its reservation and its slot in flight are given back.  In that
 * order: a death after the first step counts the spend twice, never
 * not at all.
 */
static void
hold_release(struct seg *seg, struct hold *h, int64_t cost)
{
	struct wslot	*w = hold_wslot(seg, h);
	uint32_t	 flags = h->flags;
	int64_t		 res = h->reserve;

	if (w != NULL && (flags & HOLD_SPEND))
		w->spent += cost;
	if (flags & HOLD_ORG)
		seg->h.org.spent += cost;
	ORDER();
	h->pid = 0;
	ORDER();
	if (w != NULL && (flags & HOLD_SPEND))
		w->reserved = w->reserved > res ? w->reserved - res : 0;
	if (flags & HOLD_ORG)
		seg->h.org.reserved = seg->h.org.reserved > res ?
		    seg->h.org.reserved - res : 0;
	if (w != NULL && (flags & HOLD_INFLIGHT) && w->inflight > 0)
		w->inflight--;
}

/* Processes already looked at in one scan, so each costs one look. */
struct seen {
	pid_t		 pid;
	uint64_t	 start;
	int		 dead;
};

/*
 * Whether the process that took a hold is gone: no such pid, a zombie,
 * or a pid now naming a process that started at another time.  A
 * process we may not signal (EPERM) exists.
 */
static int
holder_dead(pid_t pid, uint64_t start)
{
	uint64_t	 now;
	char		 state;

	if (kill(pid, 0) == -1 && errno == ESRCH)
		return 1;
	now = segfile_proc_start(pid, &state);
	if (state == 'Z' || state == 'X')
		return 1;
	return start != 0 && now != 0 && now != start;
}

/*
 * Reclaim the holds of dead processes among those with one of flags
 * set (and, unless ws is NULL, in that workspace's slot).  Their
 * reservations become spend, their slots in flight are freed, their
 * tokens stay counted.  Returns how many were reclaimed.  Runs under
 * the lock, but only when a limit is about to refuse or the hold table
 * is full, and looks at each process once (SEEN_MAX of them; more
 * distinct ones are looked at on every hold).
 */
#define SEEN_MAX	64
static int
reclaim(struct limiter *lim, const struct wslot *ws, uint32_t flags)
{
	struct seg	*seg = lim->seg;
	struct seen	 seen[SEEN_MAX];
	struct hold	*h;
	size_t		 i, j, nseen = 0;
	int		 dead, n = 0;

	for (i = 0; i < LIM_HOLDS; i++) {
		h = &seg->hold[i];
		if (h->pid == 0 || !(h->flags & flags) ||
		    (ws != NULL && hold_wslot(seg, h) != ws) ||
		    (h->pid == lim->pid && h->start == lim->start))
			continue;
		for (j = 0; j < nseen; j++)
			if (seen[j].pid == h->pid &&
			    seen[j].start == h->start)
				break;
		if (j < nseen)
			dead = seen[j].dead;
		else {
			dead = holder_dead(h->pid, h->start);
			if (nseen < SEEN_MAX) {
				seen[nseen].pid = h->pid;
				seen[nseen].start = h->start;
				seen[nseen++].dead = dead;
			}
		}
		if (dead) {
			hold_release(seg, h, h->reserve);
			n++;
		}
	}
	return n;
}

/*
 * A free hold, found from where the last search stopped; if none, the
 * holds of dead processes are reclaimed and the search runs again.
 * NULL if every hold is live.
 */
static struct hold *
hold_alloc(struct limiter *lim)
{
	struct seg	*seg = lim->seg;
	size_t		 i, k, pass;

	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < LIM_HOLDS; i++) {
			k = (seg->h.hold_next + i) % LIM_HOLDS;
			if (seg->hold[k].pid == 0) {
				seg->h.hold_next = (uint32_t)(k + 1) %
				    LIM_HOLDS;
				return &seg->hold[k];
			}
		}
		if (pass == 0 && reclaim(lim, NULL, ~0u) == 0)
			break;
	}
	return NULL;
}

/*
 * Publish a hold written but for its owner: the pid goes last, so a
 * hold is either free or whole.  Its generation is never 0.
 */
static int
hold_publish(struct limiter *lim, struct hold *h)
{
	struct seg	*seg = lim->seg;

	if (++seg->h.hold_gen == 0)
		seg->h.hold_gen = 1;
	h->gen = seg->h.hold_gen;
	h->start = lim->start;
	ORDER();
	h->pid = (int32_t)lim->pid;
	ORDER();
	return (int)(h - seg->hold);
}

/*
 * Whether the workspace's slot (w, if counted) and the organization's
 * (if track_org) have room for the call's reservation under their
 * limits; if not, *why says which is full.
 */
static int
spend_room(struct seg *seg, const struct wslot *w,
    const struct limiter_ask *ask, int track_org,
    struct limiter_refusal *why)
{
	const struct wslot	*x;
	int64_t			 limit;
	int			 org;

	for (org = 0; org < 2; org++) {
		x = org ? (track_org ? &seg->h.org : NULL) : w;
		limit = org ? ask->org_spend_limit : ask->ws_spend_limit;
		if (x == NULL || limit <= 0 ||
		    x->spent + x->reserved + ask->reserve_pusd <= limit)
			continue;
		memset(why, 0, sizeof(*why));
		why->why = LIMIT_SPEND;
		why->org = org;
		why->limit = limit;
		why->used = x->spent + x->reserved;
		why->requested = ask->reserve_pusd;
		return 0;
	}
	return 1;
}

/*
 * Report the tightest minute window of one limit across the scopes
 * counted (after counting): the one with the least remaining.
 */
static void
grant_window(struct limiter_window *win, struct scope *const *s,
    const struct limit_set *const *ls, size_t n, enum limit_kind kind,
    enum rw_what what, int64_t now_ms)
{
	int64_t		 rem;
	long		 reset;
	size_t		 i;

	memset(win, 0, sizeof(*win));
	for (i = 0; i < n; i++) {
		if (ls[i]->max[kind] <= 0)
			continue;
		rem = rw_remaining(&s[i]->win, ls[i]->max[kind], what, now_ms,
		    &reset);
		if (win->limit != 0 && rem >= win->remaining)
			continue;
		win->limit = ls[i]->max[kind];
		win->remaining = rem;
		win->reset_ms = reset;
	}
}

/*
 * Make sure the spend slots of the workspace (if track_ws) and of the
 * organization (if track_org) count this month, with the lock held on
 * entry and, if VN_OK, on return (on an error it is released).  A missing count is asked of ask->baseline with
 * the lock released (it reads the database) and installed only if
 * still missing when the lock is back: another process may have
 * installed it meanwhile, and its count may already hold more.  A
 * count of an earlier month is replaced, but its reservations stay:
 * they are calls still in flight.
 */
static enum vn_err
spend_ready(struct limiter *lim, const struct limiter_ask *ask,
    int track_ws, int track_org, struct wslot **wp)
{
	struct seg	*seg = lim->seg;
	struct wslot	*w = NULL;
	int64_t		 month, base[2] = { 0, 0 };
	int		 need[2], i;

	month = limiter_month_start(lim->now_ms() / 1000);
	if (track_ws && (w = wslot_get(seg, ask->workspace_id, month, 1)) ==
	    NULL)
		goto full;
	need[0] = w != NULL && w->month != month;
	need[1] = track_org && seg->h.org.month != month;
	if ((need[0] || need[1]) && ask->baseline != NULL) {
		limiter_seg_unlock(lim);
		for (i = 0; i < 2; i++)
			if (need[i] && ask->baseline(ask->baseline_arg,
			    i == 0 ? ask->workspace_id : NULL, month,
			    &base[i]) == -1)
				return VN_ESTORE;
		if (!limiter_seg_lock(lim))
			return VN_ESYS;
		if (track_ws && (w = wslot_get(seg, ask->workspace_id, month,
		    1)) == NULL)
			goto full;
	}
	for (i = 0; i < 2; i++) {
		struct wslot *x = i == 0 ? w : &seg->h.org;

		if (need[i] && x != NULL && x->month != month) {
			x->spent = base[i];
			ORDER();
			x->month = month;
		}
	}
	*wp = w;
	return VN_OK;
full:
	limiter_seg_unlock(lim);
	return VN_EUNAVAIL;
}

enum vn_err
limiter_admit(struct limiter *lim, const struct limiter_ask *ask,
    struct limiter_grant *g, struct limiter_refusal *why)
{
	struct seg		*seg = lim->seg;
	struct scope		*s[2] = { NULL, NULL };
	const struct limit_set	*ls[2] = { &ask->ws, &ask->key };
	struct wslot		*w = NULL;
	struct hold		*h;
	struct rw_full		 full;
	enum vn_err		 rc;
	int64_t			 now;
	size_t			 i, nscope = 1;
	int			 use_key = 0, track_ws, track_org;

	memset(g, 0, sizeof(*g));
	g->hold = -1;
	memset(why, 0, sizeof(*why));
	if (!name_ok(ask->workspace_id) || !name_ok(ask->model) ||
	    ask->tokens < 0 || ask->reserve_pusd < 0)
		return VN_EINVAL;
	if (ask->key_id != NULL && ask->key_id[0] != '\0')
		for (i = 0; i < LIM__N; i++)
			use_key |= ask->key.max[i] > 0;
	if (use_key && !name_ok(ask->key_id))
		return VN_EINVAL;
	nscope += use_key;
	track_ws = ask->baseline != NULL || ask->ws_spend_limit > 0;
	track_org = ask->baseline != NULL || ask->org_spend_limit > 0;

	if (!limiter_seg_lock(lim))
		return VN_ESYS;
	if ((rc = spend_ready(lim, ask, track_ws, track_org, &w)) != VN_OK)
		return rc;
	/* The time is read under the lock: buckets fill in lock order. */
	now = lim->now_ms();
	s[0] = scope_get(seg, SK_MODEL, ask->workspace_id, ask->model, now, 1);
	if (use_key)
		s[1] = scope_get(seg, SK_KEY, ask->workspace_id, ask->key_id,
		    now, 1);
	rc = VN_EUNAVAIL;
	if (s[0] == NULL || (use_key && s[1] == NULL))
		goto out;

	/* Check everything, then count everything. */
	rc = VN_ELIMIT;
	full.limit = 0;
	for (i = 0; i < nscope; i++)
		rw_check(&s[i]->win, ls[i]->max, ask->batch, ask->tokens, now,
		    (int)i, &full);
	if (full.limit != 0) {
		why->why = LIMIT_RATE;
		why->kind = (enum limit_kind)full.limit_idx;
		why->key_scope = full.tag == 1;
		why->limit = full.limit;
		why->used = full.used;
		why->requested = full.want;
		why->retry_after_ms = full.wait == -1 ? 0 : full.wait;
		goto out;
	}
	if (!spend_room(seg, w, ask, track_org, why) &&
	    (reclaim(lim, NULL, HOLD_SPEND | HOLD_ORG) == 0 ||
	    !spend_room(seg, w, ask, track_org, why)))
		goto out;
	rc = VN_EUNAVAIL;
	if ((h = hold_alloc(lim)) == NULL)
		goto out;

	h->flags = (ask->batch ? HOLD_BATCH : 0) |
	    (w != NULL ? HOLD_SPEND : 0) | (track_org ? HOLD_ORG : 0);
	h->ws = w != NULL ? (uint32_t)(w - seg->ws) : NO_SLOT;
	h->ws_gen = w != NULL ? w->gen : 0;
	for (i = 0; i < 2; i++) {
		h->scope[i] = s[i] != NULL ?
		    (uint32_t)(s[i] - seg->scope) : NO_SLOT;
		h->scope_gen[i] = s[i] != NULL ? s[i]->gen : 0;
	}
	h->tokens = ask->tokens;
	h->reserve = ask->reserve_pusd;
	h->bucket = (uint32_t)rw_bucket(ask->batch ? &rw_day : &rw_minute,
	    now);	/* where rw_count() puts the tokens */
	g->hold = hold_publish(lim, h);
	g->hold_gen = h->gen;
	if (w != NULL)
		w->reserved += ask->reserve_pusd;
	if (track_org)
		seg->h.org.reserved += ask->reserve_pusd;
	for (i = 0; i < nscope; i++)
		rw_count(&s[i]->win, ask->batch, ask->tokens, now);
	if (!ask->batch) {
		grant_window(&g->requests, s, ls, nscope, LIM_RPM, RW_REQ,
		    now);
		grant_window(&g->tokens, s, ls, nscope, LIM_TPM, RW_TOK, now);
	}
	rc = VN_OK;
out:
	limiter_seg_unlock(lim);
	return rc;
}

/* The hold a grant names, if it is still that grant's and ours. */
static struct hold *
grant_hold(struct limiter *lim, int hold, uint32_t gen)
{
	struct hold	*h;

	if (hold < 0 || hold >= LIM_HOLDS)
		return NULL;
	h = &lim->seg->hold[hold];
	if (h->pid != (int32_t)lim->pid || h->gen != gen)
		return NULL;
	return h;
}

/*
 * Settle: the real tokens replace the estimate in the bucket it was
 * counted in (if that bucket is still in its cell), the cost replaces
 * the reservation.  A grant already settled or reclaimed leaves
 * *before and *after at -1, as does a call whose workspace spend is
 * not counted.
 */
void
limiter_settle(struct limiter *lim, struct limiter_grant *g, int64_t tokens,
    int64_t cost_pusd, int64_t *before, int64_t *after)
{
	struct seg	*seg = lim->seg;
	struct hold	*h;
	struct scope	*s;
	struct wslot	*w;
	int64_t		 b = -1, a = -1;
	int		 i;

	if (g->hold >= 0 && limiter_seg_lock(lim)) {
		if ((h = grant_hold(lim, g->hold, g->hold_gen)) != NULL) {
			for (i = 0; i < 2; i++) {
				if ((s = hold_scope(seg, h, i)) != NULL)
					rw_recount(&s->win, h->flags &
					    HOLD_BATCH, h->bucket,
					    tokens - h->tokens);
			}
			if ((w = hold_wslot(seg, h)) != NULL &&
			    (h->flags & HOLD_SPEND)) {
				b = w->spent;
				a = w->spent + (cost_pusd > 0 ? cost_pusd : 0);
			}
			hold_release(seg, h, cost_pusd > 0 ? cost_pusd : 0);
		}
		limiter_seg_unlock(lim);
	}
	g->hold = -1;
	if (before != NULL)
		*before = b;
	if (after != NULL)
		*after = a;
}

enum vn_err
limiter_enter(struct limiter *lim, const char *workspace_id, long max,
    int *hold, uint32_t *hold_gen, struct limiter_refusal *why)
{
	struct seg	*seg = lim->seg;
	struct wslot	*w;
	struct hold	*h;
	enum vn_err	 rc;

	*hold = -1;
	*hold_gen = 0;
	if (max <= 0)
		return VN_OK;
	if (!name_ok(workspace_id))
		return VN_EINVAL;
	if (!limiter_seg_lock(lim))
		return VN_ESYS;
	rc = VN_EUNAVAIL;
	if ((w = wslot_get(seg, workspace_id,
	    limiter_month_start(lim->now_ms() / 1000), 1)) == NULL)
		goto out;
	if (w->inflight >= max && (reclaim(lim, w, HOLD_INFLIGHT) == 0 ||
	    w->inflight >= max)) {
		memset(why, 0, sizeof(*why));
		why->why = LIMIT_CONCURRENT;
		why->limit = max;
		why->used = w->inflight;
		why->requested = 1;
		rc = VN_ELIMIT;
		goto out;
	}
	if ((h = hold_alloc(lim)) == NULL)
		goto out;
	h->flags = HOLD_INFLIGHT;
	h->ws = (uint32_t)(w - seg->ws);
	h->ws_gen = w->gen;
	h->scope[0] = h->scope[1] = NO_SLOT;
	h->tokens = h->reserve = 0;
	h->bucket = 0;
	*hold = hold_publish(lim, h);
	*hold_gen = h->gen;
	w->inflight++;
	rc = VN_OK;
out:
	limiter_seg_unlock(lim);
	return rc;
}

void
limiter_leave(struct limiter *lim, int hold, uint32_t hold_gen)
{
	struct hold	*h;

	if (hold < 0 || !limiter_seg_lock(lim))
		return;
	if ((h = grant_hold(lim, hold, hold_gen)) != NULL)
		hold_release(lim->seg, h, 0);
	limiter_seg_unlock(lim);
}

int64_t
limiter_spent(struct limiter *lim, const char *workspace_id,
    int64_t *reserved)
{
	struct wslot	*w;
	int64_t		 month, spent = -1, res = 0;

	if (workspace_id != NULL && !name_ok(workspace_id))
		goto out;
	if (!limiter_seg_lock(lim))
		goto out;
	month = limiter_month_start(lim->now_ms() / 1000);
	if ((w = wslot_get(lim->seg, workspace_id, month, 0)) != NULL) {
		res = w->reserved;
		if (w->month == month)
			spent = w->spent;
	}
	limiter_seg_unlock(lim);
out:
	if (reserved != NULL)
		*reserved = res;
	return spent;
}
