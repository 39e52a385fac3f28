/*
 * request.h: a FastCGI request's parameters and body, as a context
 * takes them.  request.c is the only reader of FastCGI input: it copies
 * out the parameters Venna needs and reads the body through libfcgi.
 */
#ifndef REQUEST_H
#define REQUEST_H

#include "venna.h"

struct FCGX_Request;

enum vn_err	request_parse(struct ctx *, struct FCGX_Request *,
		    const char **authorization);
int		request_read(void *fx, char *, int);

#endif /* REQUEST_H */
