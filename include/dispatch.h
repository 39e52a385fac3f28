/*
 * dispatch.h: serve one FastCGI request from start to finish: parse,
 * authenticate, route, read the body, run the handler, report errors,
 * log one line.
 */
#ifndef DISPATCH_H
#define DISPATCH_H

#include "venna.h"

struct FCGX_Request;

/* What every request of a worker process shares. */
struct dispatch_env {
	const struct cfg	*cfg;
	struct store		*store;
	const unsigned char	*pepper;
	struct background	*background;
	struct pump		*pump;
};

void	dispatch(struct FCGX_Request *, const struct dispatch_env *,
	    void **upstream);

#endif /* DISPATCH_H */
