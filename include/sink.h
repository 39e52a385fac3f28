/*
 * sink.h: where a call's answer goes.  Handlers write through reply.h,
 * which formats (status, headers, JSON, events) and hands bytes to the
 * context's sink; each owner of a context brings its own:
 *  - out_fcgi.c: a live FastCGI request (libfcgi's stream, or records
 *    written by the pump's thread while a stream is relayed);
 *  - capture.c: no client (batch lines, background responses): the
 *    status and body are kept.
 */
#ifndef SINK_H
#define SINK_H

#include "venna.h"

struct pump;
struct fcgi_out;

struct sink;

struct sink_ops {
	/*
	 * The status and headers.  length < 0: unknown.  extra holds
	 * further header lines, each ending in CRLF, or NULL.
	 */
	enum vn_err	(*head)(struct sink *, int status, const char *ctype,
			    long long length, const char *extra,
			    const char *request_id);
	enum vn_err	(*write)(struct sink *, const void *, size_t);
	/* Push what is buffered to the client now (streaming). */
	enum vn_err	(*flush)(struct sink *);
	/* Has the client gone, or should the call stop as if it had? */
	int		(*gone)(struct sink *);
	/*
	 * From pump_begin until pump_end, p's thread may write: output is
	 * queued without blocking.  Returns the queue the pump retries, or
	 * NULL when writes already cannot block.
	 */
	struct fcgi_out	*(*pump_begin)(struct sink *, struct pump *p);
	/* Returns -1 when the client went away meanwhile. */
	int		(*pump_end)(struct sink *);
};

struct sink {
	const struct sink_ops	*ops;
};

#endif /* SINK_H */
