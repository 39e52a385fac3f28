/*
 * router.h: the route table.  A route is a method, a path pattern whose
 * "*" segments are parameters, a handler and flags.  Lookup is pure and
 * also knows every endpoint of the OpenAI API document, to tell "not
 * served yet" (501) from "no such path" (404) and "wrong method" (405).
 */
#ifndef ROUTER_H
#define ROUTER_H

#include "venna.h"

#define ROUTE_MAX_PARAMS	4

typedef enum vn_err (*ctx_handler)(struct ctx *);

#define ROUTE_JSON	0x01	/* body is a JSON object, parsed beforehand */
#define ROUTE_RAWBODY	0x02	/* the handler reads the body itself */

struct route {
	const char	*method;
	const char	*pattern;
	ctx_handler	 fn;
	unsigned	 flags;
};

struct openai_path {
	const char	*method;
	const char	*pattern;
};

extern const struct route	 router_routes[];
extern const struct openai_path	 openai_paths[];

enum route_result {
	ROUTE_FOUND,	/* m->route is set */
	ROUTE_NOPATH,	/* no such path (404) */
	ROUTE_NOMETHOD,	/* the path exists with other methods (405) */
	ROUTE_UNIMPL	/* documented by OpenAI, not served (501) */
};

struct route_match {
	const struct route *route;
	const char	*param[ROUTE_MAX_PARAMS];	/* raw, in the path */
	size_t		 paramlen[ROUTE_MAX_PARAMS];
	size_t		 nparams;
	char		 allow[64];	/* for ROUTE_NOMETHOD */
};

int			router_match(const char *pattern, const char *path,
			    struct route_match *);
int			router_is_admin(const char *path);
enum route_result	router_find(const char *method, const char *path,
			    struct route_match *);

#endif /* ROUTER_H */
