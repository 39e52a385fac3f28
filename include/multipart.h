/*
 * multipart.h: an incremental multipart/form-data parser (RFC 7578 on
 * RFC 2046 §5.1.1).  Bytes go in as they arrive, in chunks of any size;
 * parts come out through callbacks: the headers of a part once, then its
 * data in pieces, then its end.  Memory is the boundary plus one part's
 * headers, whatever the size of the body, and the work is linear in the
 * input.  No I/O: the caller decides where the data goes.
 */
#ifndef MULTIPART_H
#define MULTIPART_H

#include "venna.h"
#include "buf.h"

#define MP_BOUNDARY_MAX	70	/* RFC 2046 */

/* Used when multipart_init() is given no limits. */
#define MP_DEFAULT_PARTS	16
#define MP_DEFAULT_HEADER_BYTES	8192
#define MP_DEFAULT_HEADERS	16

struct mp_limits {
	size_t	max_parts;		/* parts in the body */
	size_t	max_header_bytes;	/* all header lines of one part */
	size_t	max_headers;		/* header lines per part */
};

struct mp_part {			/* valid only during part_begin */
	const char	*name;		/* Content-Disposition name=, "" if none */
	const char	*filename;	/* filename= (or filename*= decoded), NULL if none */
	const char	*content_type;	/* NULL if none */
};

/*
 * Any callback may be NULL.  A callback that returns other than VN_OK
 * stops the parse: multipart_feed() returns that value, now and on
 * every later call, and part_end is not called for the open part.
 */
struct mp_callbacks {
	enum vn_err	(*part_begin)(void *arg, const struct mp_part *);
	enum vn_err	(*part_data)(void *arg, const char *p, size_t n);
	enum vn_err	(*part_end)(void *arg);
};

/* Internals; callers only allocate it (on the stack is fine). */
struct multipart {
	const struct mp_callbacks *cb;
	void		*arg;
	struct mp_limits lim;
	char		 delim[MP_BOUNDARY_MAX + 5];	/* CRLF "--" boundary */
	size_t		 dlen;		/* strlen(delim) */
	size_t		 match;		/* bytes of delim seen, held back */
	int		 state;
	int		 inpart;	/* part_begin called, part_end not yet */
	size_t		 nparts;
	size_t		 nheaders;	/* header lines of the current part */
	size_t		 line_off;	/* start of the current line in hdr */
	struct buf	 hdr;		/* the current part's header lines */
	enum vn_err	 err;		/* sticky */
	const char	*errmsg;
};

int		multipart_boundary(const char *content_type,
		    char out[MP_BOUNDARY_MAX + 1]);
void		multipart_init(struct multipart *, const char *boundary,
		    const struct mp_limits *, const struct mp_callbacks *,
		    void *arg);
enum vn_err	multipart_feed(struct multipart *, const char *p, size_t n);
enum vn_err	multipart_finish(struct multipart *);
const char	*multipart_error(const struct multipart *);
void		multipart_free(struct multipart *);

#endif /* MULTIPART_H */
