/*
 * failover.h: the order in which a model's upstreams are tried, and what
 * this process remembers about upstreams that asked to be left alone
 * (Retry-After) or could not be reached.
 */
#ifndef FAILOVER_H
#define FAILOVER_H

#include "venna.h"
#include "cfg.h"

struct failover_plan {
	size_t	 upstream[CFG_MAX_ROUTES];	/* indices into cfg.upstreams */
	size_t	 n;
	long	 cooling_ms;	/* shortest wait of those left out, or 0 */
};

void	failover_plan(const struct cfg *, const struct cfg_model *,
	    struct failover_plan *);
void	failover_cooldown(const struct cfg *, size_t upstream, long ms);
long	failover_cooling_ms(const struct cfg *, size_t upstream);
void	failover_reset(void);

#endif /* FAILOVER_H */
