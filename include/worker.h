/*
 * worker.h: one worker process: THREADS request threads taking turns
 * to accept on the shared listening socket, a signal thread, and a
 * checkpoint thread.  It drains (finishes what it has, accepts nothing
 * new) on SIGTERM, when its parent dies, or after max_requests.
 */
#ifndef WORKER_H
#define WORKER_H

#include "venna.h"

int	worker_main(const struct cfg *, int listen_fd, int nthreads,
	    int notify_fd);

#endif /* WORKER_H */
