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

struct ctx;

/*
 * Authenticate c as an admin, unless its address failed too often
 * lately (then VN_ELIMIT with Retry-After).  VN_OK with c->who set, or
 * auth_check's error; each failure counts against the address.
 */
enum vn_err admin_guard_auth(struct ctx *, const char *authorization);

#endif /* ADMIN_GUARD_H */
