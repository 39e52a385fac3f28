/*
 * ctx.h: the context a handler runs in, whoever asked: a client through
 * the web server (dispatch.c), a batch line (batch_run.c) or a
 * background response (background.c).  It holds what the handler reads
 * (the request line, the principal, the parsed body), where the answer
 * goes (a sink, written through reply.h), how the call is billed, and
 * the owner's resources for upstream calls.  Nothing in it is tied to
 * FastCGI: each owner brings its sink and its body reader.
 */
#ifndef CTX_H
#define CTX_H

#include <time.h>

#include "venna.h"
#include "auth.h"
#include "buf.h"
#include "fault.h"

#define CTX_MAX_PARAMS	4
#define CTX_MAX_PARAM	256	/* one decoded path parameter */

struct background;
struct json_object;
struct pump;
struct sink;
struct usage_held;

typedef enum vn_err (*ctx_handler)(struct ctx *);

/*
 * What a request did, filled in as it happens, for the access log and
 * the metrics.  Every pointer is to configuration or a route table
 * (never to what a client sent), so it lives as long as the request.
 */
struct ctx_stats {
	const char	*route;		/* the route's pattern; NULL: none */
	const char	*model;		/* the configured model; NULL: none */
	const char	*upstream;	/* the upstream last tried; NULL */
	int64_t		 prompt_tokens;
	int64_t		 completion_tokens;
	int64_t		 cost_pusd;	/* as billed */
	long		 ttfb_us;	/* until the head went out; -1 */
	long		 upstream_us;	/* inside upstream calls, in all */
	int		 upstream_failures;	/* attempts that failed */
};

/*
 * The request body, for handlers that read it themselves (uploads).
 * read returns the bytes read, 0 at the end, -1 on error.
 */
struct ctx_input {
	int		(*read)(void *arg, char *, int);
	void		*arg;
	int		 stalled;	/* the sender was too slow */
};

struct ctx {
	const struct cfg	*cfg;
	struct store		*store;

	char			 id[VN_REQUEST_ID_LEN + 1];
	const char		*method;
	char			 path[VN_MAX_PATH + 1];	/* without base_path */
	const char		*query;		/* after '?'; "" if none */
	const char		*content_type;	/* NULL if absent */
	long long		 content_length;	/* -1 if absent */
	struct ctx_input	 in;		/* read is NULL: no body */
	struct principal	 who;		/* set once authenticated */
	const char		*remote_addr;	/* the client's, or NULL */
	const unsigned char	*pepper;	/* to mint keys (Admin API) */
	char			*params[CTX_MAX_PARAMS];	/* decoded */
	size_t			 nparams;
	struct buf		 body;
	struct json_object	*json;		/* parsed body, if JSON */
	size_t			 held;		/* taken from the budget */

	/* the answer (reply.c) */
	struct sink		*out;
	int			 status;
	int			 headers_sent;
	int			 sse;
	int			 client_gone;
	struct fault		 fault;
	int			 fault_sent;	/* already told in-band */
	char			 limit_head[512];	/* x-ratelimit-* lines */

	/* the workspace's slot in the pool (admission.c) */
	int			 slot;		/* -1: none held */
	uint32_t		 slot_gen;

	/* billing */
	const char		*batch_id;	/* a batch line's, or NULL */
	int			 price_pct;	/* the ledger's price factor */
	struct usage_held	*usage_held;	/* keep the row here, or NULL */

	/* the owner's, for upstream calls */
	struct pump		*pump;		/* NULL: the caller's thread */
	void			**upstream;	/* upstream.c's handle */
	struct background	*background;	/* this process's, or NULL */

	struct ctx_stats	 stats;
	struct timespec		 t0;
};

void		 ctx_init(struct ctx *, const struct cfg *, struct sink *,
		    const char *method, const char *path);
void		 ctx_free(struct ctx *);
enum vn_err	 ctx_read_body(struct ctx *, size_t max);
enum vn_err	 ctx_hold(struct ctx *, size_t);
enum vn_err	 ctx_stalled(struct ctx *);
long		 ctx_elapsed_ms(const struct ctx *);
long		 ctx_elapsed_us(const struct ctx *);

#endif /* CTX_H */
