/*
 * store.h: a process's pool of database connections.  Request threads
 * borrow a connection for the few statements they run and give it back
 * at once; none keeps one across network I/O.
 */
#ifndef STORE_H
#define STORE_H

#include "venna.h"

struct store	*store_new(const struct cfg *, size_t max_conns);
void		 store_free(struct store *);
struct db	*store_get(struct store *);
void		 store_put(struct store *, struct db *);

#endif /* STORE_H */
