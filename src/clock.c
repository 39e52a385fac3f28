/*
 * clock.c: time for timeouts.  Durations are measured on the monotonic
 * clock, which a change of the wall clock cannot move; only condition
 * variable waits take a wall-clock deadline, because that is what
 * pthread_cond_timedwait() expects by default.
 */
#include "config.h"

#include <time.h>

#include "clock.h"

/* Milliseconds on the monotonic clock (an arbitrary origin). */
long long
clock_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The CLOCK_REALTIME instant ms milliseconds from now, for a timedwait. */
void
clock_deadline(struct timespec *ts, long ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}
