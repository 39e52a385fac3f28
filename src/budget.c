/*
 * budget.c: the process's memory budget for request data (budget.h).
 * One counter for the process, compared and swapped without a lock:
 * every request thread takes from it, a few times a request.
 */
#include "config.h"

#include <stdatomic.h>

#include "budget.h"

static atomic_size_t	 used;
static size_t		 total;		/* 0: no budget (tools, tests) */

/* Set the budget; before any thread takes from it. */
void
budget_init(size_t bytes)
{
	total = bytes;
	atomic_store(&used, 0);
}

/* Take n bytes; 0 when that would pass the budget (nothing taken). */
int
budget_take(size_t n)
{
	size_t	 cur = atomic_load(&used);

	do {
		if (total > 0 && (n > total || cur > total - n))
			return 0;
	} while (!atomic_compare_exchange_weak(&used, &cur, cur + n));
	return 1;
}

/* Give back n bytes taken before. */
void
budget_give(size_t n)
{
	atomic_fetch_sub(&used, n);
}

/* The bytes taken now (for logs and tests). */
size_t
budget_used(void)
{
	return atomic_load(&used);
}
