/*
 * worker.h: one worker process: THREADS request threads taking turns
 * to accept on the shared listening socket, a signal thread, and a
 * checkpoint thread.  It drains (finishes what it has, accepts nothing
 * new) on SIGTERM, when its parent dies, or after max_requests.
 */
#ifndef WORKER_H
#define WORKER_H

#include <fcgiapp.h>

#include "venna.h"

struct worker;

/* What a request thread owns; handlers reach it through req->thread. */
struct worker_thread {
	struct worker	*w;
	FCGX_Request	 fx;
	void		*upstream;	/* upstream.c's per-thread state */
	struct pump	*pump;		/* the process's */
	unsigned	 index;
};

int	worker_main(const struct cfg *, int listen_fd, int nthreads,
	    int notify_fd);

#endif /* WORKER_H */
