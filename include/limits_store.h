/*
 * limits_store.h: the limits as stored (schema 10), as the request
 * path reads them.  Each process keeps what it read in two small
 * tables (a workspace and model pair; a key), dropped whenever
 * limiter_generation() moves: the Admin API and vennactl bump it after
 * every change they commit, so a change holds on every worker from
 * its next request.  Without a limiter nothing is cached.
 *
 * Also here: the month's settled spend for the limiter's baseline, and
 * the firing of spend alerts (once per alert and month, with an audit
 * row and an outbox row for venna-batch to deliver).
 */
#ifndef LIMITS_STORE_H
#define LIMITS_STORE_H

#include "venna.h"
#include "limiter.h"

struct cfg_model;
struct limiter;

/*
 * A cached row is trusted this long even when the generation did not
 * move: for changes made behind the Admin API's back (sqlite3(1)).
 */
#define LIMITS_CACHE_MS		2000

/* Caps on what can be stored, whoever stores it. */
#define LIMITS_RATE_MAX		1000000000000LL	/* a window's limit */
#define LIMITS_CENTS_MAX	900000000LL	/* $9M: fits in pusd */
#define LIMITS_PUSD_PER_CENT	10000000000LL	/* 1e10 */
#define LIMITS_CONCURRENT_MAX	100000L

/* What the request path needs for one call. */
struct limits_view {
	struct limit_set ws;		/* override, else the model's */
	struct limit_set key;		/* the key's, zeros if none */
	int64_t		 ws_spend_limit;	/* pusd a month, 0: none */
	int64_t		 org_spend_limit;	/* pusd a month, 0: none */
	long		 max_concurrent;	/* override, else cfg's */
	int		 model_allowed;	/* model permissions let it in */
	int64_t		 next_alert;	/* lowest spend alert still due this
					 * month, pusd; 0: none */
};

enum vn_err	limits_view(struct store *, struct limiter *,
		    const struct cfg *, const char *workspace_id,
		    const char *key_id, const struct cfg_model *,
		    struct limits_view *);
enum vn_err	limits_model_allowed(struct store *, struct limiter *,
		    const char *workspace_id, const char *model_name,
		    int *allowed);
int		limits_baseline(void *store, const char *workspace_id,
		    int64_t month_start, int64_t *spent_pusd);
enum vn_err	limits_alerts_crossed(struct store *,
		    const char *workspace_id, int64_t before_pusd,
		    int64_t after_pusd);
enum vn_err	limits_alerts_sweep(struct store *, int64_t now,
		    int *fired);

/*
 * The outbox of fired alerts (venna-batch delivers it): a row claimed
 * with a lease until done or failed, each call one short statement.
 */
struct limits_outbox_row {
	int64_t		 seq;
	char		*payload;	/* the JSON object; owned */
	long		 attempts;	/* this one included */
};

enum vn_err	limits_outbox_claim(struct store *, const struct cfg *,
		    const char *owner, int64_t now, long lease_s,
		    struct limits_outbox_row *, int *got);
enum vn_err	limits_outbox_done(struct store *, const char *owner,
		    int64_t seq, int64_t now);
enum vn_err	limits_outbox_fail(struct store *, const char *owner,
		    int64_t seq, int64_t not_before, const char *why);

#endif /* LIMITS_STORE_H */
