/*
 * admin_guard.h: failed admin authentications, counted per source
 * address in a small table every worker process shares, so that a
 * guesser is slowed down however the web server spreads its requests.
 */
#ifndef ADMIN_GUARD_H
#define ADMIN_GUARD_H

#include "venna.h"

/* Beside the database, as the key generation counter (auth.h). */
#define ADMIN_GUARD_SUFFIX	".adminguard"
#define ADMIN_GUARD_SLOTS	1024	/* 16 kB, whatever the traffic */
#define ADMIN_GUARD_WINDOW	60	/* seconds */
#define ADMIN_GUARD_FAILS	10	/* failures per window, then 429 */

long	admin_guard_check(const char *database, const char *addr);
void	admin_guard_fail(const char *database, const char *addr);

#endif /* ADMIN_GUARD_H */
