/*
 * prefork.h: the master process that supervises the worker pool.
 */
#ifndef PREFORK_H
#define PREFORK_H

#include "venna.h"

struct prefork_opts {
	const char	*cfgpath;	/* reloaded on SIGHUP; NULL: built-in */
	struct cfg	**cfgp;		/* the running configuration */
	int		 listen_fd;
	int		 workers;
	int		 threads;
	int		 workers_fixed;	/* -w given: reload keeps it */
	int		 threads_fixed;	/* -t given: reload keeps it */
};

int	prefork_run(const struct prefork_opts *);

#endif /* PREFORK_H */
