/*
 * clock.h: the two clocks Venna reads: monotonic milliseconds for
 * timeouts and intervals, and absolute deadlines for condition waits.
 */
#ifndef CLOCK_H
#define CLOCK_H

#include <time.h>

long long	clock_ms(void);
void		clock_deadline(struct timespec *, long ms);

#endif /* CLOCK_H */
