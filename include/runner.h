/*
 * runner.h: one venna-batch pass, as every task of it sees it: the
 * configuration, the database, the pass's time budget and the name its
 * leases are held under.
 */
#ifndef RUNNER_H
#define RUNNER_H

#include "venna.h"
#include "lease.h"

struct runner {
	const struct cfg	*cfg;
	struct store		*store;
	long long		 deadline_ms;	/* monotonic */
	char			 owner[LEASE_OWNER_LEN + 1];
};

#endif /* RUNNER_H */
