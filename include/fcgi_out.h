/*
 * fcgi_out.h: FastCGI STDOUT records written by hand, without blocking,
 * for output that libfcgi's blocking streams cannot carry: a stream's
 * events written by the pump's thread while the request's own thread
 * waits.  Framing is pure (fcgi_out_frame); the queue holds what the
 * socket would not take yet, up to its cap.
 */
#ifndef FCGI_OUT_H
#define FCGI_OUT_H

#include "venna.h"
#include "buf.h"

#define FCGI_OUT_MAX		(1024 * 1024)	/* queued bytes per request */
#define FCGI_RECORD_MAX		65535		/* content bytes per record */
#define FCGI_HEADER_LEN		8

struct fcgi_out {
	int		 fd;
	unsigned	 request_id;
	struct buf	 q;		/* framed bytes not yet written */
	size_t		 open;		/* content length of q's last record */
	int		 failed;	/* the peer left or stopped reading */
	/* the pump's retry list (pump.c): */
	int		 listed;
	struct fcgi_out	*next;
};

enum vn_err	 fcgi_out_frame(struct buf *q, size_t *open,
		    unsigned request_id, const void *, size_t);
void		 fcgi_out_init(struct fcgi_out *, int fd, unsigned request_id,
		    size_t max);
void		 fcgi_out_free(struct fcgi_out *);
enum vn_err	 fcgi_out_put(struct fcgi_out *, const void *, size_t);
int		 fcgi_out_flush(struct fcgi_out *);
int		 fcgi_out_drain(struct fcgi_out *, long timeout_ms);

#endif /* FCGI_OUT_H */
