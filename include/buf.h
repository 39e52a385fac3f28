/*
 * buf.h: a growable byte buffer with a hard cap.  Every buffer in Venna
 * has a maximum size given when it is made; an append that would pass it
 * frees the buffer and fails, so callers never hold half-grown state.
 */
#ifndef BUF_H
#define BUF_H

#include "venna.h"

struct buf {
	char	*data;	/* NUL-terminated when non-NULL; owned */
	size_t	 len;	/* bytes used, excluding the terminator */
	size_t	 cap;	/* bytes allocated */
	size_t	 max;	/* len may never exceed this */
};

void		 buf_init(struct buf *, size_t max);
void		 buf_free(struct buf *);
void		 buf_reset(struct buf *);
enum vn_err	 buf_add(struct buf *, const void *, size_t);
enum vn_err	 buf_addstr(struct buf *, const char *);
enum vn_err	 buf_addc(struct buf *, char);
enum vn_err	 buf_addf(struct buf *, const char *, ...) VN_PRINTF(2, 3);
enum vn_err	 buf_add_json_string(struct buf *, const char *, size_t);
const char	*buf_cstr(const struct buf *);
char		*buf_steal(struct buf *);
void		 buf_consume(struct buf *, size_t);
enum vn_err	 buf_add_list_end(struct buf *, const char *first,
		    const char *last, int more);

#endif /* BUF_H */
