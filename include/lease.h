/*
 * lease.h: who holds work recorded in the database, and whether that
 * holder still lives.  A process that takes leases (a venna-batch pass,
 * a worker running background responses) first becomes an owner: it
 * holds a shared flock on a file named after itself, next to the
 * database, for as long as it lives.  A lease row names its owner and
 * an expiry; another process may take the work over when the expiry
 * has passed or, at once, when the owner's lock is free, which the
 * kernel guarantees the moment the owner dies, kill -9 included.  flock
 * works across PID namespaces on one file system, where kill(pid, 0)
 * would not.
 */
#ifndef LEASE_H
#define LEASE_H

#include "venna.h"

#define LEASE_OWNER_LEN	31	/* "<prefix>_<pid>_<random>" */

struct cfg;

enum vn_err	 lease_owner_begin(const struct cfg *, const char *prefix);
const char	*lease_owner(void);
void		 lease_owner_end(void);
int		 lease_owner_dead(const struct cfg *, const char *owner);

#endif /* LEASE_H */
