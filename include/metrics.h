/*
 * metrics.h: the counters and histograms of a host's Venna processes,
 * kept in a segment file beside the database ("<database>.metrics",
 * segfile.h) that every process maps: the figures are pool-wide, the
 * same whichever worker answers a scrape, however the workers were
 * started, exact under concurrency (each update is one atomic add), and
 * not reset when a worker restarts.  They start again from zero only
 * when the host reboots or the segment's layout changes, which
 * Prometheus reads as a counter reset.
 *
 * A series is a family and its label values.  Label values come from
 * the configuration, the route table or ids Venna made (never from
 * what a client sent as is), so there are as many series as models,
 * upstreams, routes, statuses and workspaces; past METRICS_SERIES
 * series, further new ones are dropped and counted as dropped.
 *
 * Every function is a no-op when the process has no segment (metrics
 * = off, or it could not be opened, which metrics_open() logs).
 */
#ifndef METRICS_H
#define METRICS_H

#include <stdint.h>

#include "venna.h"

#define METRICS_SUFFIX		".metrics"
#define METRICS_SERIES		4096	/* series of all families */
#define METRICS_LABELS		4	/* labels of a family, at most */
#define METRICS_KEY_MAX		240	/* its label values, joined */
#define METRICS_BUCKETS		14	/* a histogram's finite buckets */
#define METRICS_PROCS		512	/* processes counted in the pool */

/* The families; their names, help and labels are metrics.c's table. */
enum metric {
	MET_REQUESTS,		/* requests answered */
	MET_REQUEST_SECONDS,	/* histogram: the whole request */
	MET_TTFB_SECONDS,	/* histogram: until the head went out */
	MET_UPSTREAM_SECONDS,	/* histogram: one upstream attempt */
	MET_UPSTREAM_FAILURES,	/* upstream attempts that failed */
	MET_UPSTREAM_COOLDOWNS,	/* upstreams set aside for a while */
	MET_TOKENS,		/* tokens billed */
	MET_COST,		/* picodollars billed, shown in USD */
	MET_WORKER_STARTS,	/* worker processes started */
	MET_WORKER_CRASHES,	/* workers that died, as the supervisor saw */
	MET_BATCH_LINES,	/* batch lines finished */
	MET__N
};

/* A process's part in the pool, for the pool's gauges. */
enum metrics_role {
	METRICS_ROLE_WORKER = 1,	/* answers requests */
	METRICS_ROLE_OTHER		/* supervisor, venna-batch, vennactl */
};

struct buf;

/*
 * Map the segment of database for this process (after fork: each
 * process maps and registers its own) and, for a worker, count its
 * request threads in the pool.  Calling it again in the same process
 * is a no-op; enabled 0 leaves the process without metrics.  Returns
 * 0, or -1 (logged) when the segment cannot be opened.
 */
int	metrics_open(const char *database, int enabled, enum metrics_role,
	    int threads);
/* Leave the pool (a clean exit) and unmap. */
void	metrics_close(void);
int	metrics_enabled(void);

/* Add n to a counter.  labels: as many as the family has. */
void	metrics_add(enum metric, const char *const *labels, uint64_t n);
/* Observe a duration into a histogram. */
void	metrics_observe(enum metric, const char *const *labels, long us);

/* A request thread of this process took a request, or is done with it. */
void	metrics_busy(int delta);

/* What the pool's gauges read now, counting live processes only. */
struct metrics_pool {
	long	 workers;	/* live worker processes */
	long	 threads;	/* their request threads */
	long	 busy;		/* of those, serving a request */
	uint64_t dropped;	/* series updates dropped: table full */
};
void	metrics_pool(struct metrics_pool *);

/*
 * Append every series in Prometheus' text exposition format (version
 * 0.0.4) to out.  VN_OK, or buf_add's error once out reached its cap
 * or memory ran out (out is then incomplete).
 */
enum vn_err metrics_write(struct buf *out);

#endif /* METRICS_H */
