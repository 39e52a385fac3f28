/*
 * upstream.h: talking to upstream model servers with libcurl.  Each
 * request thread keeps its own easy handle, so connections to an
 * upstream are reused across the requests that thread serves.
 */
#ifndef UPSTREAM_H
#define UPSTREAM_H

#include "venna.h"

enum vn_err	upstream_global_init(void);
void		upstream_thread_free(void *);

#endif /* UPSTREAM_H */
