/*
 * fault.h: why a request failed, as it will be reported, and the one
 * table that turns an enum vn_err into an HTTP status, an OpenAI error
 * type, a default code and a default message.  Pure: validators fill a
 * fault without a request, and the envelope is built into a buffer.
 */
#ifndef FAULT_H
#define FAULT_H

#include "venna.h"

struct buf;

/*
 * The error, and the message, param and code of the envelope (empty or
 * NULL: the table's).
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

enum vn_err	 fault_set(struct fault *, enum vn_err, const char *param,
		    const char *code, const char *fmt, ...) VN_PRINTF(5, 6);
int		 fault_status(const struct fault *);
enum vn_err	 fault_envelope(struct buf *, const struct fault *);
int		 fault_err_status(enum vn_err);
const char	*fault_err_type(enum vn_err);
const char	*fault_reason(int status);

#endif /* FAULT_H */
