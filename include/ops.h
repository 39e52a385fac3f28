/*
 * ops.h: the operations paths, outside /v1 and served before any key
 * is asked for: GET /healthz (the pool answers) and GET /readyz (this
 * worker can serve: ready.h), for load balancers and orchestrators.
 * A table of { path, handler }, consulted by dispatch() before the API's
 * routes; each path answers GET and HEAD, and 405 to other methods.
 */
#ifndef OPS_H
#define OPS_H

#include "venna.h"

struct ops_route {
	const char	*path;		/* exact, after base_path */
	enum vn_err	(*fn)(struct ctx *);
};

const struct ops_route	*ops_find(const char *path);
enum vn_err		 ops_serve(struct ctx *, const struct ops_route *);

#endif /* OPS_H */
