/*
 * request.h: one FastCGI request as Venna sees it.  request.c is the
 * only reader of FastCGI input: it copies out the parameters it needs,
 * reads the body within its cap, and owns everything the request
 * allocates until req_free().
 */
#ifndef REQUEST_H
#define REQUEST_H

#include <time.h>

#include "venna.h"
#include "auth.h"
#include "buf.h"
#include "response.h"

struct background;
struct usage_held;

#define REQ_MAX_PARAMS	4
#define REQ_MAX_PARAM	256	/* one decoded path parameter */

struct FCGX_Request;
struct json_object;
struct worker_thread;
struct pump;

struct req {
	struct FCGX_Request	*fx;
	const struct cfg	*cfg;
	struct store		*store;
	const unsigned char	*pepper;
	struct worker_thread	*thread;	/* per-thread resources */

	char			 id[VN_REQUEST_ID_LEN + 1];
	const char		*method;
	char			 path[VN_MAX_PATH + 1];	/* without base_path */
	const char		*query;		/* after '?'; "" if none */
	const char		*content_type;	/* NULL if absent */
	long long		 content_length;	/* -1 if absent */
	const char		*authorization;	/* never logged */
	struct principal	 who;		/* set once authenticated */
	char			*params[REQ_MAX_PARAMS];	/* decoded */
	size_t			 nparams;
	struct buf		 body;
	struct json_object	*json;		/* parsed body, if JSON */

	/* what was answered, for the access log and streaming */
	int			 status;
	int			 headers_sent;
	int			 sse;
	int			 client_gone;
	int			 raw_mode;	/* output through raw */
	int			 capture;	/* no client: answer kept below */
	struct buf		 captured;	/* the body, in capture mode */
	const char		*batch_id;	/* billed to this batch, or NULL */
	int			 price_pct;	/* the ledger's price factor */
	struct usage_held	*usage_held;	/* keep the row here, or NULL */
	/* capture mode: asked each tick whether to give up, like a client
	 * that left (a cancelled background response) */
	int			(*stop)(void *);
	void			*stop_arg;
	struct rawout		 raw;
	struct pump		*pump;		/* this process's */
	struct background	*background;	/* this process's, or NULL */

	struct fault		 fault;		/* set by req_fail() */
	int			 fault_sent;	/* already told in-band */

	struct timespec		 t0;
};

enum vn_err	 req_init(struct req *, struct FCGX_Request *,
		    const struct cfg *);
void		 req_init_capture(struct req *, const struct cfg *,
		    const char *method, const char *path);
void		 req_free(struct req *);
enum vn_err	 req_read_body(struct req *, size_t max);
enum vn_err	 req_fail(struct req *, enum vn_err, const char *param,
		    const char *code, const char *fmt, ...) VN_PRINTF(5, 6);
int		 req_path_ok(const char *path, size_t len);
int		 query_get(const char *query, const char *name, char *out,
		    size_t outsz);
int		 pct_decode(const char *s, size_t n, char *out, size_t outsz);
long		 req_elapsed_ms(const struct req *);

#endif /* REQUEST_H */
