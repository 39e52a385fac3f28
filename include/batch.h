/*
 * batch.h: running batches (venna-batch's batch task).
 */
#ifndef BATCH_H
#define BATCH_H

#include "venna.h"
#include "lease.h"

#define BATCH_MAX_LINES		50000
#define BATCH_LEASE_S		60	/* a runner's hold, renewed */

/* One venna-batch pass: what every task shares. */
struct runner {
	const struct cfg	*cfg;
	struct store		*store;
	long long		 deadline_ms;	/* monotonic */
	char			 owner[LEASE_OWNER_LEN + 1]; /* lease.h */
};

enum vn_err	batch_task(struct runner *);
int		batch_lease_renew(struct runner *, int64_t seq);

#endif /* BATCH_H */
