/*
 * dispatch.h: serve one FastCGI request from start to finish: parse,
 * route, authenticate, read the body, run the handler, report errors,
 * log one line.
 */
#ifndef DISPATCH_H
#define DISPATCH_H

#include "venna.h"

struct FCGX_Request;
struct worker_thread;

struct dispatch_ctx {
	const struct cfg	*cfg;
	struct store		*store;
	const unsigned char	*pepper;
	struct background	*background;
};

void		dispatch(struct FCGX_Request *, const struct dispatch_ctx *,
		    struct worker_thread *);
enum vn_err	dispatch_captured(struct req *, enum vn_err (*)(struct req *));

#endif /* DISPATCH_H */
