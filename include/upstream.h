/*
 * upstream.h: one HTTP call to an upstream model server with libcurl.
 * The caller gives the upstream (from the configuration, never from a
 * request), the path and the body; bytes come back through callbacks as
 * they arrive, and a tick callback runs about once a second while the
 * call waits, for keepalives and for noticing a client that left.
 */
#ifndef UPSTREAM_H
#define UPSTREAM_H

#include "venna.h"

struct cfg_upstream;
struct pump;
struct fcgi_out;

/* Why a call did not produce a complete answer. */
enum upstream_fail {
	UP_OK = 0,		/* a complete HTTP answer (any status) */
	UP_CONNECT,		/* could not connect (refused, DNS, TLS) */
	UP_TIMEOUT_CONNECT,	/* connect_timeout passed */
	UP_TIMEOUT_FIRST,	/* no byte within first_byte_timeout */
	UP_TIMEOUT_IDLE,	/* silent for idle_timeout mid-answer */
	UP_TIMEOUT_TOTAL,	/* total_timeout passed */
	UP_BROKEN,		/* the connection broke mid-answer */
	UP_ABORTED		/* a callback stopped the transfer */
};

struct upstream_req {
	const struct cfg_upstream *up;
	const char	*path;		/* appended to base_url: "/chat/..." */
	const char	*body;
	size_t		 body_len;
	int		 stream;	/* the answer is an event stream */
	const char	*request_id;	/* sent as x-request-id */
	/* Called with each piece of the body, the status known. */
	enum vn_err	(*on_data)(void *, long status, const char *, size_t);
	/* Called every PUMP_TICK_MS while the call is under way. */
	enum vn_err	(*on_tick)(void *, int got_bytes);
	void		*arg;
	struct pump	*pump;		/* runs the transfer */
	struct fcgi_out	*out;		/* the client's queue, or NULL */
};

struct upstream_res {
	long			 status;	/* HTTP status; 0 if none */
	enum upstream_fail	 fail;
	enum vn_err		 cb_err;	/* the callback's, for UP_ABORTED */
	long			 retry_after_ms;	/* -1 if not given */
	long long		 bytes;		/* body bytes received */
	long			 ms;		/* duration of the call */
	char			 detail[160];	/* for logs: no URL, no key */
};

enum vn_err	upstream_global_init(void);
void		upstream_thread_free(void *);
enum vn_err	upstream_call(void **handle, const struct upstream_req *,
		    struct upstream_res *);
int		upstream_fail_is_timeout(enum upstream_fail);
const char	*upstream_fail_name(enum upstream_fail);
long		upstream_parse_retry_after(const char *value, int in_ms);

#endif /* UPSTREAM_H */
