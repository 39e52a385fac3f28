/*
 * route.h: the order in which a model's upstreams are tried, and what
 * this process remembers about upstreams that asked to be left alone
 * (Retry-After) or could not be reached.
 */
#ifndef ROUTE_H
#define ROUTE_H

#include "venna.h"
#include "cfg.h"

struct route_plan {
	size_t	 upstream[CFG_MAX_ROUTES];	/* indices into cfg.upstreams */
	size_t	 n;
	long	 cooling_ms;	/* shortest wait of those left out, or 0 */
};

void	route_plan(const struct cfg *, const struct cfg_model *,
	    struct route_plan *);
void	route_cooldown(const struct cfg *, size_t upstream, long ms);
void	route_reset(void);

#endif /* ROUTE_H */
