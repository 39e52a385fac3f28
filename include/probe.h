/*
 * probe.h: can this process reach an upstream?  A TCP connect to the
 * host and port of its base_url within PROBE_TIMEOUT_MS, every
 * upstream asked for at once.  Each answer is kept for PROBE_CACHE_MS,
 * so a load balancer asking every second, through every thread of
 * every worker, costs about one connect per upstream per process.
 */
#ifndef PROBE_H
#define PROBE_H

#include "venna.h"

#define PROBE_TIMEOUT_MS	500	/* one connect */
#define PROBE_CACHE_MS		2000	/* an answer is reused this long */
#define PROBE_WHY		96	/* why an upstream is unreachable */

struct cfg;

/* One upstream's answer: reachable, or why not (no URL, no key). */
struct probe_result {
	int	 ok;
	char	 why[PROBE_WHY];
};

void	probe_upstreams(const struct cfg *, const unsigned char *want,
	    struct probe_result *);

#endif /* PROBE_H */
