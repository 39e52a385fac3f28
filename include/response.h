/*
 * response.h: everything Venna writes back.  response.c is the only
 * writer of FastCGI output, and holds the one table that turns an
 * enum vn_err into an HTTP status and an OpenAI error envelope.
 */
#ifndef RESPONSE_H
#define RESPONSE_H

#include "venna.h"
#include "buf.h"

struct json_object;

/*
 * Why a request failed, as it will be reported: the error, and the
 * message, param and code of the envelope (empty/NULL: the table's).
 * Pure validators fill one without needing a request.
 */
struct fault {
	enum vn_err	 err;
	char		 msg[VN_ERRMSG];
	char		 param[64];
	const char	*code;		/* static string or NULL */
	int		 status;	/* overrides the table when != 0 */
	long		 retry_after;	/* seconds; 0 for none */
	char		 allow[64];	/* methods, for a 405 */
	char		 type[48];	/* overrides the table's type if set */
	char		 codebuf[64];	/* storage when code is not static */
};

/*
 * A client's output while the pump runs a transfer for it: FastCGI
 * STDOUT records written with MSG_DONTWAIT, and what the socket would
 * not take queued (up to RAWOUT_MAX) for the pump to retry.
 */
struct rawout {
	int		 fd;
	unsigned	 request_id;
	struct buf	 q;		/* framed bytes not yet written */
	size_t		 open;		/* length of the record ending q */
	int		 failed;	/* the client left or stopped reading */
	int		 listed;	/* on the pump's retry list */
	struct rawout	*next;
};

#define RAWOUT_MAX	(1024 * 1024)

enum vn_err	 fault_set(struct fault *, enum vn_err, const char *param,
		    const char *code, const char *fmt, ...) VN_PRINTF(5, 6);

int		 err_status(enum vn_err);
const char	*err_type(enum vn_err);
enum vn_err	 resp_head(struct req *, int status, const char *ctype,
		    long long length, const char *extra);
enum vn_err	 resp_write(struct req *, const void *, size_t);
enum vn_err	 resp_flush(struct req *);
enum vn_err	 resp_json(struct req *, int status, const char *, size_t);
enum vn_err	 resp_jobj(struct req *, int status, struct json_object *);
enum vn_err	 resp_error(struct req *);
enum vn_err	 error_envelope(struct buf *, const struct fault *);
enum vn_err	 resp_sse_begin(struct req *);
enum vn_err	 resp_sse_data(struct req *, const char *, size_t);
enum vn_err	 resp_list_end(struct buf *, const char *first,
		    const char *last, int more);
enum vn_err	 resp_sse_event(struct req *, const char *type, const char *,
		    size_t);
enum vn_err	 resp_sse_comment(struct req *, const char *);
int		 resp_client_gone(struct req *);
void		 resp_raw_begin(struct req *);
void		 resp_raw_end(struct req *);
int		 rawout_flush(struct rawout *);

#endif /* RESPONSE_H */
