/*
 * orphans.h: venna-batch's hourly walk for file contents that no files
 * row names (left by a crash between an upload's rename and its row).
 */
#ifndef ORPHANS_H
#define ORPHANS_H

#include <time.h>

#include "venna.h"

struct db;

#define ORPHANS_EVERY	3600	/* s between the starts of two walks */

size_t	 orphans_sweep(const struct cfg *, struct db *, time_t now,
	    long long deadline_ms, int *late);

#endif /* ORPHANS_H */
