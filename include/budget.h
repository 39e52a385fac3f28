/*
 * budget.h: the memory a worker process gives to request data (bodies,
 * their parsed trees, upstream bodies and answers, conversations).
 * Each context takes what it is about to hold before it holds it and
 * gives it all back at its end, so no mix of concurrent requests can
 * take a process past request_memory: the one that would gets a 503.
 */
#ifndef BUDGET_H
#define BUDGET_H

#include "venna.h"

void	budget_init(size_t total);
int	budget_take(size_t);
void	budget_give(size_t);
size_t	budget_used(void);

#endif /* BUDGET_H */
