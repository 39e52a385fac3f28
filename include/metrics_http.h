/*
 * metrics_http.h: /metrics, and what a request, an upstream attempt and
 * a usage row add to the metrics (metrics.h).
 */
#ifndef METRICS_HTTP_H
#define METRICS_HTTP_H

#include "venna.h"

struct ctx;

#define METRICS_MAX_BODY	(8 << 20)	/* one scrape's text */

/*
 * Answer GET /metrics: to an address metrics_allow lists, or with an
 * admin key; 404 when metrics = off.  The figures are the segment's
 * plus gauges read now (the pool, the batch queue, the ledger's lag,
 * the WAL's size).
 */
enum vn_err	metrics_serve(struct ctx *, const char *authorization);

/* Count a request that is done (its status, route, timings). */
void		metrics_request(const struct ctx *);

/* Count one upstream attempt of model, us long, and whether it failed. */
void		metrics_attempt(const char *upstream, const char *model,
		    long us, int failed);

/* Count what a usage row bills. */
void		metrics_usage(const char *workspace_id, const char *model,
		    int64_t prompt_tokens, int64_t completion_tokens,
		    int64_t cost_pusd);

#endif /* METRICS_HTTP_H */
