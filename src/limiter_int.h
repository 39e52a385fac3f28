/*
 * limiter_int.h: the layout of the segment the limiter's processes
 * share, and the functions its two files share.  Private to
 * src/limiter.c (the segment: mapping, header, lock) and
 * src/limiter_holds.c (what is counted in it); every other file uses
 * limiter.h.  It sits beside them rather than in include/ because it
 * is no module's interface.
 */
#ifndef LIMITER_INT_H
#define LIMITER_INT_H

#include <sys/types.h>

#include <pthread.h>
#include <stdint.h>

#include "limiter.h"
#include "ratewin.h"
#include "segfile.h"

/*
 * Table sizes.  With these the file is about 3.7 MiB: the rate scopes
 * are most of it (3.3 KiB each, the two rings).
 *  - LIM_SCOPES: workspace and model pairs plus keys counted at once;
 *    a scope idle for a whole day is recycled when a new one needs
 *    its place.
 *  - LIM_WORKSPACES: workspaces with a spend count or a request in
 *    flight this month; a slot idle and of an earlier month is
 *    recycled.
 *  - LIM_HOLDS: calls admitted and not settled, at once, host-wide.
 */
#define LIM_SCOPES	1024
#define LIM_WORKSPACES	1024
#define LIM_HOLDS	4096

/* ratewin.c indexes a scope's limits as enum limit_kind. */
_Static_assert(LIM__N == RW_NLIMITS && LIM_RPM == 0 && LIM_TPM == 1 &&
    LIM_RPD == 2 && LIM_BATCH_TPD == 3, "limit kinds as ratewin.h");

#define SEG_MAGIC	0x314d494c4e4e4556ULL	/* "VENNLIM1" */
#define SEG_VERSION	2
#define NO_MONTH	INT64_MIN	/* a spend slot with no count */
#define NO_SLOT		UINT32_MAX

/* What a slot of the scope or workspace table is. */
enum slot_kind {
	SK_EMPTY = 0,	/* never used: ends a probe */
	SK_TOMB,	/* being rewritten, or free again: a probe goes on */
	SK_MODEL,	/* rate windows of a workspace and model */
	SK_KEY,		/* rate windows of a key */
	SK_WS,		/* spend and requests in flight of a workspace */
	SK_ORG		/* the organization's spend (the header's slot) */
};

/* A workspace's month: settled spend, reservations, calls in flight. */
struct wslot {
	uint32_t	 kind;		/* enum slot_kind */
	uint32_t	 gen;		/* bumped when the slot is recycled */
	char		 ws[LIMITER_MAX_NAME + 1];
	int64_t		 month;		/* month of spent; NO_MONTH: none */
	int64_t		 spent;		/* settled, pusd */
	int64_t		 reserved;	/* held by calls in flight, pusd */
	int64_t		 inflight;	/* holds with HOLD_INFLIGHT */
};

/* The windows of one rate scope. */
struct scope {
	uint32_t	 kind;		/* enum slot_kind */
	uint32_t	 gen;		/* bumped when the slot is recycled */
	char		 ws[LIMITER_MAX_NAME + 1];
	char		 name[LIMITER_MAX_NAME + 1];	/* model or key */
	struct rw_scope	 win;
};

#define HOLD_SPEND	0x01	/* reserve is in ws's slot */
#define HOLD_ORG	0x02	/* reserve is in the organization's slot */
#define HOLD_INFLIGHT	0x04	/* one of ws's requests in flight */
#define HOLD_BATCH	0x08	/* tokens counted in the day rings */

/* One admitted call (or one request in flight), until it settles. */
struct hold {
	int32_t		 pid;		/* 0: free */
	uint32_t	 gen;		/* matches the grant's hold_gen */
	uint64_t	 start;		/* the process's start time; 0: unknown */
	uint32_t	 flags;		/* HOLD_* */
	uint32_t	 ws, ws_gen;	/* spend slot, or NO_SLOT */
	uint32_t	 scope[2];	/* workspace and model, key; or NO_SLOT */
	uint32_t	 scope_gen[2];
	uint32_t	 bucket;	/* where the tokens were counted */
	int64_t		 tokens;	/* counted */
	int64_t		 reserve;	/* pusd reserved */
};

struct seg_hdr {
	struct segfile_hdr file;	/* SEG_MAGIC, SEG_VERSION */
	uint32_t	 hold_next;	/* where to look for a free hold */
	uint64_t	 generation;	/* limiter_bump() */
	uint32_t	 hold_gen;	/* the last generation handed out */
	uint32_t	 slot_gen;	/* likewise for recycled slots */
	pthread_mutex_t	 mu;		/* guards all but generation */
	struct wslot	 org;
};

struct seg {
	struct seg_hdr	 h;
	struct wslot	 ws[LIM_WORKSPACES];
	struct scope	 scope[LIM_SCOPES];
	struct hold	 hold[LIM_HOLDS];
};

struct limiter {
	struct seg	*seg;
	pid_t		 pid;		/* ours, read at open */
	uint64_t	 start;		/* our start time; 0: unknown */
	int64_t		(*now_ms)(void);
};

/* limiter.c */
int		limiter_seg_lock(struct limiter *);
void		limiter_seg_unlock(struct limiter *);

#endif /* LIMITER_INT_H */
