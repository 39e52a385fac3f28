/*
 * pump.h: a worker process's upstream transfer loop.  Request threads
 * hand their prepared libcurl transfers to the pump and sleep until the
 * transfer is over; one thread moves the bytes of all of them.
 */
#ifndef PUMP_H
#define PUMP_H

#include "venna.h"

struct pump;
struct fcgi_out;

/*
 * Called about every PUMP_TICK_MS for each transfer under way, in the
 * pump's thread; a non-zero return aborts that transfer.
 */
typedef int (*pump_tick_fn)(void *arg);

#define PUMP_TICK_MS	250

struct pump	*pump_start(void);
void		 pump_stop(struct pump *);
int		 pump_run(struct pump *, void *easy, pump_tick_fn, void *arg,
		    struct fcgi_out *, int *aborted_by_tick);
void		 pump_want_flush(struct pump *, struct fcgi_out *);

#endif /* PUMP_H */
