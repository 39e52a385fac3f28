/*
 * orphans.c: contents that no row names.  An upload (or a batch result
 * file) is renamed into its shard first and its row inserted after, so
 * that a row never names missing content; a crash between the two
 * leaves a complete file that nothing will serve or delete.  Once an
 * hour venna-batch walks the shards and removes every content older
 * than FILESTORE_TMP_AGE whose id is not in the files table.  A deleted
 * file's row stays until purge_deleted() has removed its content, so a
 * row of any state counts as known.
 *
 * The walk is resumable: data_dir/.orphan-sweep holds when the
 * current cycle began and the next shard to visit, so a pass that runs
 * out of time leaves the rest to the next pass, and a pass killed
 * midway repeats at most a shard.  Overlapping passes may visit the
 * same shard; removing an orphan twice is harmless.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "cfg.h"
#include "clock.h"
#include "db.h"
#include "filestore.h"
#include "ids.h"
#include "log.h"
#include "orphans.h"

#define SHARDS		(62 * 62)	/* two base62 characters */
#define STATE_NAME	".orphan-sweep"
#define STATE_NEW	".orphan-sweep.new"
#define STATE_MAX	64		/* bytes of the state file read */

/*
 * The sweep's state from data_dir/.orphan-sweep: when the cycle began and the
 * next shard.  A missing or unreadable state is a cycle never started.
 */
static void
state_read(int top, long long *began, int *next)
{
	char	 s[STATE_MAX + 1];
	ssize_t	 n;
	int	 fd;

	*began = 0;
	*next = 0;
	if ((fd = openat(top, STATE_NAME, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return;
	n = read(fd, s, STATE_MAX);
	close(fd);
	if (n <= 0)
		return;
	s[n] = '\0';
	if (sscanf(s, "%lld %d", began, next) != 2 || *next < 0 ||
	    *next >= SHARDS) {
		*began = 0;
		*next = 0;
	}
}

/*
 * Replace the state.  Not synced: a state lost in a crash only makes
 * the next pass walk again.
 */
static void
state_write(int top, long long began, int next)
{
	char	 s[STATE_MAX];
	int	 fd, n, ok;

	n = snprintf(s, sizeof(s), "%lld %d\n", began, next);
	if (n <= 0 || (size_t)n >= sizeof(s))
		return;
	if ((fd = openat(top, STATE_NEW, O_WRONLY | O_CREAT | O_TRUNC |
	    O_NOFOLLOW | O_CLOEXEC, 0640)) == -1)
		return;
	ok = write(fd, s, (size_t)n) == n;
	if (close(fd) == -1)
		ok = 0;
	if (!ok || renameat(top, STATE_NEW, top, STATE_NAME) == -1)
		(void)unlinkat(top, STATE_NEW, 0);
}

/* Does a files row name id?  1 yes, 0 no, -1 the database failed. */
static int
known(struct db *db, const char *id)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = db_stmt(db, STMT_FILE_KNOWN)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	(void)db_rc(db, rc, "files known");
	return -1;
}

/*
 * Remove the orphans of shard number i under top.  Sets *failed when
 * the database could not answer (the shard is then visited again).
 * Returns how many were removed.
 */
static size_t
sweep_shard(struct db *db, int top, int i, time_t now, int *failed)
{
	struct dirent	*de;
	struct stat	 sb;
	DIR		*d = NULL;
	char		 shard[3];
	size_t		 removed = 0;
	int		 fd, k;

	shard[0] = base62[i / 62];
	shard[1] = base62[i % 62];
	shard[2] = '\0';
	if ((fd = openat(top, shard, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return 0;		/* no content ever went there */
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		/* Only names Venna makes, in the shard they belong to. */
		if (!filestore_id_ok(de->d_name) ||
		    memcmp(de->d_name + 5, shard, 2) != 0 ||
		    fstatat(dirfd(d), de->d_name, &sb,
		    AT_SYMLINK_NOFOLLOW) == -1 || !S_ISREG(sb.st_mode) ||
		    sb.st_mtime > now - FILESTORE_TMP_AGE)
			continue;
		if ((k = known(db, de->d_name)) == -1) {
			*failed = 1;
			break;
		}
		if (k == 0 && unlinkat(dirfd(d), de->d_name, 0) == 0) {
			log_warn("files: removed %s, content without a row "
			    "(a crash during its upload)", de->d_name);
			removed++;
		}
	}
	if (removed > 0)
		(void)fsync(dirfd(d));
	closedir(d);
	return removed;
}

/*
 * Continue the hourly walk for orphaned contents until it is done or
 * deadline (clock_ms()) passes, then *late is set.  Returns how many
 * contents were removed.  No transaction is held: each lookup stands
 * alone, and the unlinks happen between them.
 */
size_t
orphans_sweep(const struct cfg *cfg, struct db *db, time_t now,
    long long deadline, int *late)
{
	long long	 began;
	size_t		 total = 0;
	int		 top = -1, next, failed = 0;

	if ((top = open(cfg->data_dir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		goto out;		/* nothing stored yet */
	/* Every content passed through tmp: none there, none at all. */
	if (faccessat(top, "tmp", F_OK, AT_SYMLINK_NOFOLLOW) == -1)
		goto out;
	state_read(top, &began, &next);
	if (next == 0) {
		if (now - began < ORPHANS_EVERY && now >= began)
			goto out;	/* a walk ended within the hour */
		began = now;
	}
	for (; next < SHARDS; next++) {
		if (clock_ms() >= deadline) {
			*late = 1;
			break;
		}
		total += sweep_shard(db, top, next, now, &failed);
		if (failed)
			break;
	}
	state_write(top, began, next >= SHARDS ? 0 : next);
out:
	if (top != -1)
		close(top);
	return total;
}
