/*
 * ready.h: is this worker ready for traffic (GET /readyz)?  The
 * database takes a write and its filesystem has room, and every model
 * has an upstream it can use.
 */
#ifndef READY_H
#define READY_H

#include "venna.h"

#define READY_BUSY_MS	1000	/* the longest wait for the write lock */

struct cfg;
struct json_object;
struct store;

int	ready_check(const struct cfg *, struct store *,
	    struct json_object *checks);

#endif /* READY_H */
