/*
 * out_fcgi.h: the sink of a live FastCGI request.  Output goes through
 * libfcgi's buffered stream, except while the pump relays a stream for
 * the request: then the pump's thread writes records itself, without
 * blocking (fcgi_out.h), and libfcgi's stream is left alone.
 */
#ifndef OUT_FCGI_H
#define OUT_FCGI_H

#include "venna.h"
#include "fcgi_out.h"
#include "sink.h"

struct FCGX_Request;

struct out_fcgi {
	struct sink		 sink;		/* first: the context's view */
	struct FCGX_Request	*fx;
	struct fcgi_out		 raw;		/* while the pump writes */
	int			 raw_mode;
	int			 dirty;		/* libfcgi holds bytes */
	int			 gone;
	struct pump		*pump;
};

void	out_fcgi_init(struct out_fcgi *, struct FCGX_Request *);

#endif /* OUT_FCGI_H */
