/*
 * plog.h: the undo log that powerloss.so writes and powercut reads.
 *
 * One log per tracked object, "<log dir>/<dev>-<ino>", named by the
 * object's device and inode so that renames do not matter.  A log is a
 * sequence of records, each a fixed header and `extra` bytes:
 *
 *   PL_WRITE  `len` bytes were written at `off`.  Before the write the
 *             file was `oldsize` bytes; extra = the `oldlen` bytes the
 *             write overwrote (those of [off, off+len) below oldsize).
 *   PL_TRUNC  the size was set to `off` (ftruncate, or O_TRUNC at open)
 *             from `oldsize`; extra = the bytes cut off, when it shrank.
 *   PL_SYNC   fsync or fdatasync returned: every record that starts
 *             before byte `off` of this log is on disk.  (When no record
 *             came after, the log is truncated to nothing instead.)
 *   PL_NAME   (a directory's log) a name appeared in the directory:
 *             extra = "<kind>\0<name>\0<source path>\0<saved path>\0",
 *             kind 'f' a file created, 'd' a directory made, 'r' a
 *             rename into it (source: where it came from; saved: a
 *             hard link to the file it replaced, or "").
 *
 * Every record carries the time it was made, so that powercut can tell
 * how old the oldest unsynced write was when the power went.
 *
 * Records are appended (O_APPEND) under an exclusive flock of the log,
 * and always before the operation they describe: a process killed in
 * between leaves a record whose undo changes nothing.
 */
#ifndef PLOG_H
#define PLOG_H

#include <stdint.h>

#define PL_MAGIC	0x504c5731u	/* "PLW1" */

enum pl_type {
	PL_WRITE = 1,
	PL_TRUNC,
	PL_SYNC,
	PL_NAME,
};

struct pl_rec {
	uint32_t	 magic;
	uint32_t	 type;
	int64_t		 off;
	int64_t		 len;
	int64_t		 oldsize;
	int64_t		 oldlen;
	int64_t		 extra;		/* bytes that follow the header */
	int64_t		 ms;		/* when (CLOCK_REALTIME, ms) */
};

#endif
