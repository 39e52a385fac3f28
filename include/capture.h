/*
 * capture.h: the sink of a context without a client.  Batch lines and
 * background responses run through the same handlers as live requests;
 * their answer (status and body) is kept here instead of being sent,
 * and a stop hook stands in for a client that leaves.
 */
#ifndef CAPTURE_H
#define CAPTURE_H

#include "venna.h"
#include "buf.h"
#include "ctx.h"
#include "sink.h"

struct capture {
	struct sink	 sink;		/* first: the context's view */
	int		 status;
	struct buf	 body;
	/* asked each tick whether to give up, like a client that left */
	int		(*stop)(void *);
	void		*stop_arg;
};

void		capture_init(struct capture *, size_t max);
void		capture_free(struct capture *);
enum vn_err	capture_run(struct ctx *, struct capture *, ctx_handler);

#endif /* CAPTURE_H */
