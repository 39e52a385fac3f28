/*
 * request.h: a FastCGI request's parameters and body, as a context
 * takes them.  request.c is the only reader of FastCGI input: it copies
 * out the parameters Venna needs and reads the body through libfcgi.
 */
#ifndef REQUEST_H
#define REQUEST_H

#include "venna.h"

struct FCGX_Request;
struct ctx_input;

/*
 * A request body as it is read: within upload_timeout, and at
 * upload_min_rate on average once a grace period is over, so a slow
 * sender cannot hold a request thread for long.
 */
struct request_body {
	struct FCGX_Request	*fx;
	struct ctx_input	*in;		/* whose stalled flag to set */
	long long		 start_ms;	/* monotonic */
	long long		 got;
	size_t			 min_rate;	/* bytes/s; 0: none */
	long			 timeout_ms;
};

enum vn_err	request_parse(struct ctx *, struct FCGX_Request *,
		    struct request_body *, const char **authorization);
int		request_read(void *body, char *, int);
long long	request_deadline(const struct request_body *, long long now,
		    int n);

#endif /* REQUEST_H */
