/*
 * reply.h: everything a handler sends back, whatever the context's
 * sink: status and headers, JSON bodies, error envelopes (fault.h's
 * table), server-sent events.  A context answers once: the first head
 * wins, and every /v1 answer is JSON or an event stream.
 */
#ifndef REPLY_H
#define REPLY_H

#include "venna.h"

struct fcgi_out;
struct json_object;

enum vn_err	 reply_head(struct ctx *, int status, const char *ctype,
		    long long length, const char *extra);
enum vn_err	 reply_write(struct ctx *, const void *, size_t);
enum vn_err	 reply_flush(struct ctx *);
enum vn_err	 reply_json(struct ctx *, int status, const char *, size_t);
enum vn_err	 reply_jobj(struct ctx *, int status, struct json_object *);
enum vn_err	 reply_error(struct ctx *);
enum vn_err	 reply_sse_begin(struct ctx *);
enum vn_err	 reply_sse_data(struct ctx *, const char *, size_t);
enum vn_err	 reply_sse_event(struct ctx *, const char *type, const char *,
		    size_t);
enum vn_err	 reply_sse_comment(struct ctx *, const char *);
enum vn_err	 reply_sse_error(struct ctx *);
int		 reply_client_gone(struct ctx *);
struct fcgi_out	*reply_pump_begin(struct ctx *);
void		 reply_pump_end(struct ctx *);

#endif /* REPLY_H */
