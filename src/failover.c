/*
 * failover.c: turning a model's "upstream" list into the order of attempts
 * for one request.  Tiers are tried in the order written; inside a tier
 * the first pick is weighted at random and the rest follow, also by
 * weight, so equals share the load and back each other up.
 *
 * An upstream that answered 429 or 503 with Retry-After (or that could
 * not be reached) is left out of plans until its wait is over: this
 * process stops asking an upstream that said "not now".  The memory is
 * per process and bounded by the number of upstreams; a reload starts
 * new processes and so starts afresh.
 */
#include "config.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "clock.h"
#include "failover.h"
#include "metrics.h"

#define MAX_UPSTREAMS	CFG_MAX_SECTIONS

static pthread_mutex_t	 cool_mu = PTHREAD_MUTEX_INITIALIZER;
static long long	 cool_until[MAX_UPSTREAMS];	/* monotonic ms */


/* Forget every cooldown (tests). */
void
failover_reset(void)
{
	pthread_mutex_lock(&cool_mu);
	memset(cool_until, 0, sizeof(cool_until));
	pthread_mutex_unlock(&cool_mu);
}

/* Leave upstream out of plans for the next ms milliseconds. */
void
failover_cooldown(const struct cfg *cfg, size_t upstream, long ms)
{
	long long	 until;

	if (upstream >= MAX_UPSTREAMS || upstream >= cfg->nupstreams ||
	    ms <= 0)
		return;
	metrics_add(MET_UPSTREAM_COOLDOWNS, (const char *const[]){
	    cfg->upstreams[upstream].name }, 1);
	until = clock_ms() + ms;
	pthread_mutex_lock(&cool_mu);
	if (until > cool_until[upstream])
		cool_until[upstream] = until;
	pthread_mutex_unlock(&cool_mu);
}

/*
 * How long upstream stays out of this process's plans, in ms; 0 when
 * it is not cooling down.
 */
long
failover_cooling_ms(const struct cfg *cfg, size_t upstream)
{
	long long	 wait;

	if (upstream >= MAX_UPSTREAMS || upstream >= cfg->nupstreams)
		return 0;
	pthread_mutex_lock(&cool_mu);
	wait = cool_until[upstream] - clock_ms();
	pthread_mutex_unlock(&cool_mu);
	return wait > 0 ? (long)wait : 0;
}

/*
 * The attempts for one request of model m, in order.  Upstreams that
 * are cooling down are left out; plan->cooling_ms then says how soon
 * the first of them will be back (for a Retry-After when nothing is
 * left to try).
 */
void
failover_plan(const struct cfg *cfg, const struct cfg_model *m,
    struct failover_plan *plan)
{
	size_t		 i, j, start, end, pick, n;
	unsigned	 total, r, acc, tier;
	unsigned	 weight[CFG_MAX_ROUTES];
	size_t		 member[CFG_MAX_ROUTES];
	long long	 now = clock_ms(), wait;

	plan->n = 0;
	plan->cooling_ms = 0;
	for (start = 0; start < m->nroutes; start = end) {
		tier = m->routes[start].tier;
		for (end = start; end < m->nroutes &&
		    m->routes[end].tier == tier; end++)
			;
		n = 0;
		pthread_mutex_lock(&cool_mu);
		for (i = start; i < end; i++) {
			size_t u = m->routes[i].upstream;

			wait = u < MAX_UPSTREAMS ? cool_until[u] - now : 0;
			if (wait > 0) {
				if (plan->cooling_ms == 0 ||
				    wait < plan->cooling_ms)
					plan->cooling_ms = (long)wait;
				continue;
			}
			member[n] = u;
			weight[n] = m->routes[i].weight;
			n++;
		}
		pthread_mutex_unlock(&cool_mu);
		/* Weighted order without replacement. */
		while (n > 0) {
			for (total = 0, j = 0; j < n; j++)
				total += weight[j];
			r = n == 1 ? 0 : randombytes_uniform(total);
			for (pick = 0, acc = 0; pick < n; pick++) {
				acc += weight[pick];
				if (r < acc)
					break;
			}
			plan->upstream[plan->n++] = member[pick];
			member[pick] = member[n - 1];
			weight[pick] = weight[n - 1];
			n--;
		}
	}
}
