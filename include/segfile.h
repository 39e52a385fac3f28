/*
 * segfile.h: a file beside the database that every process of a host
 * maps shared, for state that must outlive any one worker and be seen
 * by all of them however they were started (forked by venna-fcgi, or
 * spawned one by one by mod_fcgid or spawn-fcgi): the limits' counters
 * (limiter.c) and the metrics (metrics.c).
 *
 * Each segment starts with a struct segfile_hdr.  The opener that finds
 * no header, or one written by another layout or under another boot
 * (every count in it describes processes that no longer exist),
 * rebuilds the file from zero; openers are serialized by flock, so one
 * rebuilds and the others map what it wrote.
 */
#ifndef SEGFILE_H
#define SEGFILE_H

#include <sys/types.h>

#include "venna.h"

#define SEGFILE_BOOT_ID_LEN	40

struct segfile_hdr {
	uint64_t	 magic;		/* the owner's, stored last */
	uint32_t	 version;	/* the owner's layout */
	uint32_t	 spare;
	uint64_t	 size;		/* of the whole segment */
	char		 boot_id[SEGFILE_BOOT_ID_LEN];	/* "" if unknown */
};

/*
 * Initialize a zeroed segment beyond its header (mutexes, first
 * values).  Returns 1, or 0 if it cannot (the open fails).
 */
typedef int	(*segfile_init_fn)(void *seg, void *arg);

/*
 * Map database + suffix, size bytes, shared; *out gets the mapping,
 * which the caller owns and gives back with segfile_unmap().  A new or
 * stale file is rebuilt: zeroed, init called, then the header written
 * with magic last.  On failure *err says why (path and call).
 */
enum vn_err	segfile_map(const char *database, const char *suffix,
		    size_t size, uint64_t magic, uint32_t version,
		    segfile_init_fn init, void *arg, void **out,
		    char *err, size_t errsz);
void		segfile_unmap(void *, size_t);	/* NULL: no-op */

/*
 * The start time of process pid, in clock ticks since boot: with the
 * pid it names a process even after the pid is reused.  0 if it cannot
 * be read (no such process).  *state gets its state letter ('Z': a
 * zombie, dead but not reaped yet; '?' unknown).
 */
uint64_t	segfile_proc_start(pid_t pid, char *state);

/* Whether pid is still the process that started at start. */
int		segfile_proc_alive(pid_t pid, uint64_t start);

#endif /* SEGFILE_H */
