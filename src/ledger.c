/*
 * ledger.c: how usage rows reach the usage table.
 *
 * Writing: every process appends its rows to a journal of its own,
 * "<database dir>/ledger/<pid>-<random>.ulog", one line per row, with
 * one write(2) on an O_APPEND descriptor, before the answer's last byte
 * goes out.  A write that returned is in the kernel, so the row survives
 * the process being killed right after; with synchronous = full it is
 * also synced to disk before the answer, so it survives a power cut.
 * When that sync fails, the row may reach the disk or not while its
 * request is answered with an error: its status is rewritten to 500 in
 * place (withdraw), so a row that survives bills what the client got.
 * The request path takes no database lock: a commit per request cost every request a page rewrite through
 * the one writer lock of the whole pool, and under sustained load kept
 * the WAL from ever being reset.
 *
 * Importing: ledger_import() moves complete lines into the usage table,
 * thousands per transaction.  How far each journal has been imported is
 * kept in ledger_files and committed with the rows it covers, so a line
 * is imported exactly once whoever imports and whenever one is killed.
 * A writer holds a shared flock on its journal while it lives; once that
 * is gone and everything is imported, the journal is deleted.  Journals
 * are rotated at LEDGER_ROTATE bytes.
 *
 * Lines are tab-separated; every field comes from a controlled alphabet
 * (ids, configured names, numbers), and tabs or newlines would be
 * replaced anyway.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "cfg.h"
#include "db.h"
#include "ids.h"
#include "ledger.h"
#include "log.h"

#define LEDGER_LINE	1024		/* longest line written */
#define LEDGER_ROTATE	(64 << 20)	/* a journal's size before a new one */
#define LEDGER_STATUS_FIELD 12		/* tabs before a line's status */
#define WITHDRAW_SCAN	(1 << 20)	/* how far back a row is looked for */
/*
 * A journal's offset once it is all in: kept until the file is gone, so
 * that an importer that opened it before it was deleted does not read
 * it again from the start.
 */
#define LEDGER_DONE	(-2LL)
#define STALE_NEW_S	60	/* a journal never named after its creation */
#define LEDGER_CHUNK	(4 << 20)	/* bytes imported per journal per pass */
#define LEDGER_FIELDS	15
#define LEDGER_VERSION	"1"

static pthread_rwlock_t	 j_lock = PTHREAD_RWLOCK_INITIALIZER;
static int		 j_fd = -1;
static int		 j_sync;	/* synchronous = full: sync each row */
static long long	 j_size;
static char		 j_dir[4096];
static char		 j_path[4200];	/* the journal j_fd writes */

static int
ledger_dir(const struct cfg *cfg, char *out, size_t outsz)
{
	char	 tmp[4096];

	snprintf(tmp, sizeof(tmp), "%s", cfg->database);
	return snprintf(out, outsz, "%s/ledger", dirname(tmp)) <
	    (int)outsz;
}

/*
 * Open a new journal of this process; j_lock is held for writing.  It
 * is made under a name importers ignore and locked before it gets its
 * own: an importer that found it unlocked would take it for a dead
 * writer's, empty, and delete it under us.  With synchronous = full the
 * directory is synced, so the name outlives a power cut with the rows.
 */
static enum vn_err
journal_new(void)
{
	char	 path[4200], tmp[4210], rnd[9];
	int	 fd, dfd = -1;

	ids_random(rnd, 8);
	rnd[8] = '\0';
	snprintf(path, sizeof(path), "%s/%ld-%s.ulog", j_dir, (long)getpid(),
	    rnd);
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_EXCL,
	    0640);
	if (fd == -1) {
		log_error("ledger journal %s: %s", tmp, strerror(errno));
		return VN_ESYS;
	}
	/* Held while this process lives: the importer's sign of life. */
	if (flock(fd, LOCK_SH) == -1 || rename(tmp, path) == -1) {
		log_error("ledger journal %s: %s", path, strerror(errno));
		(void)unlink(tmp);
		close(fd);
		return VN_ESYS;
	}
	if (j_sync && ((dfd = open(j_dir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || fsync(dfd) == -1)) {
		log_error("ledger directory %s: %s", j_dir, strerror(errno));
		if (dfd != -1)
			close(dfd);
		close(fd);
		return VN_ESYS;
	}
	if (j_sync)
		close(dfd);
	if (j_fd != -1)
		close(j_fd);
	j_fd = fd;
	j_size = 0;
	memcpy(j_path, path, sizeof(j_path));
	return VN_OK;
}

/* Start this process's journal (after fork: journals are per process). */
enum vn_err
ledger_open(const struct cfg *cfg)
{
	enum vn_err	 rc;

	if (!ledger_dir(cfg, j_dir, sizeof(j_dir)))
		return VN_ECONFIG;
	if (mkdir(j_dir, 0750) == -1 && errno != EEXIST) {
		log_error("ledger directory %s: %s", j_dir, strerror(errno));
		return VN_ESYS;
	}
	pthread_rwlock_wrlock(&j_lock);
	j_fd = -1;
	j_sync = cfg->synchronous_full;
	rc = journal_new();
	pthread_rwlock_unlock(&j_lock);
	return rc;
}

void
ledger_close(void)
{
	pthread_rwlock_wrlock(&j_lock);
	if (j_fd != -1)
		close(j_fd);
	j_fd = -1;
	pthread_rwlock_unlock(&j_lock);
}

/*
 * Append s to the line with tabs and newlines replaced ("-" for none),
 * then a tab.  0 when it does not fit in sz with room for the end.
 */
static int
field(char *line, size_t *o, size_t sz, const char *s)
{
	if (s == NULL || *s == '\0')
		s = "-";
	for (; *s != '\0'; s++) {
		if (*o + 1 >= sz)
			return 0;
		line[(*o)++] = *s == '\t' || *s == '\n' || *s == '\r' ? '?' :
		    *s;
	}
	if (*o + 1 >= sz)
		return 0;
	line[(*o)++] = '\t';
	return 1;
}

/* Format u as one journal line into line; its length, 0 if too long. */
static size_t
format_line(const struct ledger_row *u, char *line, size_t sz)
{
	char	 stamp[32];
	size_t	 o = 0;
	int	 n;

	snprintf(stamp, sizeof(stamp), "%lld", (long long)(u->created_at > 0 ?
	    u->created_at : (int64_t)time(NULL)));
	if (!field(line, &o, sz, LEDGER_VERSION) ||
	    !field(line, &o, sz, stamp) ||
	    !field(line, &o, sz, u->request_id) ||
	    !field(line, &o, sz, u->workspace_id) ||
	    !field(line, &o, sz, u->key_id) ||
	    !field(line, &o, sz, u->endpoint) ||
	    !field(line, &o, sz, u->model) ||
	    !field(line, &o, sz, u->upstream))
		return 0;
	/* The numbers are ours: written as they are, tabs included. */
	n = snprintf(line + o, sz - o, "%lld\t%lld\t%lld\t%lld\t%d\t%ld\t",
	    (long long)u->prompt_tokens, (long long)u->completion_tokens,
	    (long long)u->cached_tokens, (long long)u->cost_pusd, u->status,
	    u->latency_ms);
	if (n < 0 || (size_t)n >= sz - o)
		return 0;
	o += (size_t)n;
	if (!field(line, &o, sz, u->batch_id))
		return 0;
	line[o - 1] = '\n';	/* the last tab ends the line */
	return o;
}

/*
 * The row (line, len bytes) was written but its sync failed: it may
 * still reach the disk, while its request is answered with an error.
 * Rewrite its status in place, at the same width, to 500, so that if it
 * survives it bills what the client got.  Other threads' rows may
 * follow it: it is looked for in the journal's last bytes.  Best
 * effort; the importer may have read the line in the moment before
 * (the README says so).
 */
static void
withdraw(const char *path, const char *line, size_t len)
{
	struct stat	 st;
	char		*tail = NULL;
	const char	*at;
	off_t		 from;
	ssize_t		 got;
	size_t		 i, tabs = 0;
	int		 fd;

	for (i = 0; i < len && tabs < LEDGER_STATUS_FIELD; i++)
		if (line[i] == '\t')
			tabs++;
	if (tabs != LEDGER_STATUS_FIELD || len - i < 4 || line[i] != '2' ||
	    line[i + 3] != '\t')
		return;		/* not a 2xx row: already billed as an error */
	if ((fd = open(path, O_RDWR | O_CLOEXEC)) == -1)
		return;
	if (fstat(fd, &st) == -1 || st.st_size < (off_t)len)
		goto out;
	from = st.st_size > (off_t)(WITHDRAW_SCAN + len) ?
	    st.st_size - (off_t)(WITHDRAW_SCAN + len) : 0;
	if ((tail = malloc((size_t)(st.st_size - from))) == NULL ||
	    (got = pread(fd, tail, (size_t)(st.st_size - from), from)) <
	    (ssize_t)len ||
	    (at = memmem(tail, (size_t)got, line, len)) == NULL)
		goto out;
	if (pwrite(fd, "500", 3, from + (at - tail) + (off_t)i) == 3 &&
	    fdatasync(fd) == 0)
		log_warn("usage row of a withheld answer rewritten as 500");
out:
	free(tail);
	close(fd);
}

/*
 * Append one row to this process's journal.  Returns once the row is in
 * the kernel (and on disk, with synchronous = full); VN_ESYS when it is
 * not, and the caller must not answer as if it were.  A write that
 * failed may have left part of a line: the journal is abandoned for a
 * new one, so no later row is glued to it (the importer skips the torn
 * line, which belongs to a request that was refused).
 */
enum vn_err
ledger_append(const struct ledger_row *u)
{
	char	 line[LEDGER_LINE];
	size_t	 o;
	char	 synced[sizeof(j_path)];
	ssize_t	 n = -1;
	int	 err = 0, rotate = 0;

	if ((o = format_line(u, line, sizeof(line))) == 0) {
		log_error("usage row of %s not written: longer than %d bytes",
		    u->request_id, LEDGER_LINE);
		return VN_EINVAL;	/* not with ids and configured names */
	}
	synced[0] = '\0';
	pthread_rwlock_rdlock(&j_lock);
	if (j_fd != -1) {
		n = write(j_fd, line, o);
		err = errno;
		/* synchronous = full: the row outlives a power cut too. */
		if (n == (ssize_t)o && j_sync && fdatasync(j_fd) != 0) {
			err = errno;
			n = -1;
			memcpy(synced, j_path, sizeof(synced));
		}
		rotate = __atomic_add_fetch(&j_size, (long long)o,
		    __ATOMIC_RELAXED) > LEDGER_ROTATE;
	}
	pthread_rwlock_unlock(&j_lock);
	if (n != (ssize_t)o || rotate) {
		pthread_rwlock_wrlock(&j_lock);
		if (n != (ssize_t)o && synced[0] != '\0')
			withdraw(synced, line, o);
		if ((n != (ssize_t)o || j_size > LEDGER_ROTATE) &&
		    journal_new() != VN_OK && n != (ssize_t)o && j_fd != -1) {
			/* Never append after a torn line; retry a journal
			 * with the next row. */
			close(j_fd);
			j_fd = -1;
		}
		pthread_rwlock_unlock(&j_lock);
	}
	if (n != (ssize_t)o) {
		log_error("usage row of %s not written: %s", u->request_id,
		    n >= 0 ? "short write" : err != 0 ? strerror(err) :
		    "no journal open");
		return VN_ESYS;
	}
	return VN_OK;
}

static int
number(const char *s, int64_t *out)
{
	char	*end;

	errno = 0;
	*out = strtoll(s, &end, 10);
	return errno == 0 && end != s && *end == '\0';
}

/*
 * Parse one journal line (n bytes, no newline) into u; the strings are
 * copied into store.  Returns 1 if the line is well-formed.  Pure.
 */
int
ledger_parse_line(const char *line, size_t n, struct ledger_row *u,
    char *store, size_t storesz)
{
	char	*f[LEDGER_FIELDS], *p;
	int64_t	 v[7];
	size_t	 i, k = 0;

	if (n == 0 || n >= storesz || memchr(line, '\0', n) != NULL)
		return 0;
	memcpy(store, line, n);
	store[n] = '\0';
	for (p = store; k < LEDGER_FIELDS; k++) {
		f[k] = p;
		if ((p = strchr(p, '\t')) == NULL) {
			k++;
			break;
		}
		*p++ = '\0';
	}
	if (k != LEDGER_FIELDS || p != NULL ||
	    strcmp(f[0], LEDGER_VERSION) != 0)
		return 0;
	for (i = 0; i < 7; i++)
		if (!number(f[i == 0 ? 1 : 7 + i], &v[i]))
			return 0;
	/* Not truncated into the row: a status or latency that does not
	 * fit is a damaged line, not a row. */
	if (v[5] < INT_MIN || v[5] > INT_MAX || v[6] < LONG_MIN ||
	    v[6] > LONG_MAX)
		return 0;
	memset(u, 0, sizeof(*u));
	u->created_at = v[0];
	u->request_id = f[2];
	u->workspace_id = f[3];
	u->key_id = strcmp(f[4], "-") == 0 ? NULL : f[4];
	u->endpoint = f[5];
	u->model = strcmp(f[6], "-") == 0 ? NULL : f[6];
	u->upstream = strcmp(f[7], "-") == 0 ? NULL : f[7];
	u->prompt_tokens = v[1];
	u->completion_tokens = v[2];
	u->cached_tokens = v[3];
	u->cost_pusd = v[4];
	u->status = (int)v[5];
	u->latency_ms = (long)v[6];
	u->batch_id = strcmp(f[14], "-") == 0 ? NULL : f[14];
	return 1;
}

/*
 * Insert row u into the usage table, within the caller's transaction:
 * the importer's, or a batch commit's for the rows it holds.
 */
enum vn_err
ledger_insert(struct db *db, const struct ledger_row *u)
{
	sqlite3_stmt	*st;
	enum vn_err	 rc;

	if ((st = db_stmt(db, STMT_USAGE_INSERT)) == NULL)
		return VN_ESTORE;
	sqlite3_bind_text(st, 1, u->request_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, u->created_at);
	sqlite3_bind_text(st, 3, u->workspace_id, -1, SQLITE_STATIC);
	if (u->key_id != NULL)
		sqlite3_bind_text(st, 4, u->key_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, u->endpoint, -1, SQLITE_STATIC);
	if (u->model != NULL)
		sqlite3_bind_text(st, 6, u->model, -1, SQLITE_STATIC);
	if (u->upstream != NULL)
		sqlite3_bind_text(st, 7, u->upstream, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, u->prompt_tokens);
	sqlite3_bind_int64(st, 9, u->completion_tokens);
	sqlite3_bind_int64(st, 10, u->cached_tokens);
	sqlite3_bind_int64(st, 11, u->cost_pusd);
	sqlite3_bind_int(st, 12, u->status);
	sqlite3_bind_int64(st, 13, u->latency_ms);
	if (u->batch_id != NULL)
		sqlite3_bind_text(st, 14, u->batch_id, -1, SQLITE_STATIC);
	rc = db_rc(db, sqlite3_step(st), "usage insert");
	sqlite3_reset(st);
	return rc;
}

/*
 * The offset of name already imported (0 when unknown, LEDGER_DONE
 * once all of it is in and it is to be deleted, -1 on error); in a
 * transaction.
 */
static long long
imported(struct db *db, const char *name)
{
	sqlite3_stmt	*st;
	long long	 off = 0;

	if ((st = db_stmt(db, STMT_LEDGER_OFFSET)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		off = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return off;
}

static enum vn_err
set_imported(struct db *db, enum stmt s, const char *name, long long off)
{
	sqlite3_stmt	*st;
	enum vn_err	 rc;

	if ((st = db_stmt(db, s)) == NULL)
		return VN_ESTORE;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (s == STMT_LEDGER_SET)
		sqlite3_bind_int64(st, 2, off);
	rc = db_rc(db, sqlite3_step(st), "ledger offset");
	sqlite3_reset(st);
	return rc;
}

/*
 * Is fd still the file called name in dirfd?  Asked inside the import's
 * write transaction: a journal deleted since it was opened is done.
 */
static int
still_named(int dirfd, const char *name, const struct stat *st)
{
	struct stat	 now;

	return fstatat(dirfd, name, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
	    now.st_dev == st->st_dev && now.st_ino == st->st_ino;
}

/*
 * Import what is new in one journal.  *gone is set when its writer has
 * died and all of it is in (or, after a power cut, the file is shorter
 * than what was imported): the caller deletes it.
 */
static enum vn_err
import_file(struct db *db, int dirfd, const char *name, long *rows,
    int *gone)
{
	struct ledger_row u;
	struct stat	 st;
	char		*buf = NULL, *p, *nl, row[LEDGER_LINE + 1];
	long long	 off;
	ssize_t		 got;
	size_t		 used;
	int		 fd, dead;
	enum vn_err	 rc = VN_OK;

	*gone = 0;
	if ((fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return errno == ENOENT ? VN_OK : VN_ESYS;
	/* A writer holds LOCK_SH for life: if ours is granted, it is gone. */
	dead = flock(fd, LOCK_EX | LOCK_NB) == 0;
	if (fstat(fd, &st) == -1 || (buf = malloc(LEDGER_CHUNK)) == NULL) {
		rc = VN_ESYS;
		goto out;
	}
	if ((rc = db_begin(db)) != VN_OK)
		goto out;
	if (!still_named(dirfd, name, &st))
		goto rollback;		/* another importer finished it */
	if ((off = imported(db, name)) == LEDGER_DONE) {
		*gone = 1;		/* all in: its deletion was cut */
		db_rollback(db);
		goto out;
	}
	if (off < 0) {
		rc = VN_ESTORE;
		goto rollback;
	}
	got = off < (long long)st.st_size ?
	    pread(fd, buf, LEDGER_CHUNK, (off_t)off) : 0;
	if (got < 0) {
		rc = VN_ESYS;
		goto rollback;
	}
	for (p = buf, used = 0; (nl = memchr(p, '\n',
	    (size_t)got - used)) != NULL; p = nl + 1) {
		if (ledger_parse_line(p, (size_t)(nl - p), &u, row,
		    sizeof(row))) {
			if ((rc = ledger_insert(db, &u)) != VN_OK)
				goto rollback;
			(*rows)++;
		} else
			log_error("ledger %s: malformed line at byte %lld "
			    "skipped", name, off + (long long)(p - buf));
		used = (size_t)(nl + 1 - buf);
	}
	/*
	 * A dead writer's journal read to its end is done; so is one cut
	 * below what was imported (a power cut lost its tail after the
	 * database had synced its offset).
	 */
	if (dead && off + (long long)got >= (long long)st.st_size &&
	    got < LEDGER_CHUNK) {
		/* Whatever a dead writer left without a newline is torn. */
		if (used < (size_t)got)
			log_error("ledger %s: a torn last line dropped", name);
		rc = set_imported(db, STMT_LEDGER_SET, name, LEDGER_DONE);
		*gone = 1;
	} else if (used > 0)
		rc = set_imported(db, STMT_LEDGER_SET, name, off +
		    (long long)used);
	if (rc != VN_OK)
		goto rollback;
	rc = db_commit(db);
	goto out;
rollback:
	db_rollback(db);
	*gone = 0;
out:
	free(buf);
	close(fd);
	return rc;
}

/*
 * Forget the offsets of journals that are all in and deleted.  A name
 * is never used twice, and an importer that still has such a file open
 * sees it gone (still_named) before it reads the offset.
 */
static enum vn_err
forget_done(struct db *db, int dirfd)
{
	sqlite3_stmt	*st, *drop;
	struct stat	 sb;
	char		 name[256];
	enum vn_err	 rc;
	int		 step;

	if ((rc = db_begin(db)) != VN_OK)
		return rc;
	if ((st = db_stmt(db, STMT_LEDGER_DONE)) == NULL) {
		rc = VN_ESTORE;
		goto out;
	}
	sqlite3_bind_int64(st, 1, LEDGER_DONE);
	while (rc == VN_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
		db_col_copy(st, 0, name, sizeof(name));
		if (fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 ||
		    errno != ENOENT)
			continue;
		if ((drop = db_stmt(db, STMT_LEDGER_DROP)) == NULL) {
			rc = VN_ESTORE;
			break;
		}
		sqlite3_bind_text(drop, 1, name, -1, SQLITE_STATIC);
		rc = db_rc(db, sqlite3_step(drop), "ledger forget");
		sqlite3_reset(drop);
	}
	if (rc == VN_OK && step != SQLITE_DONE && step != SQLITE_ROW)
		rc = db_rc(db, step, "ledger done");
	sqlite3_reset(st);
out:
	return db_end(db, rc);
}

/*
 * A journal made but never named (its writer died in between) is
 * empty; once old and unlocked, it is removed.
 */
static void
remove_stale(int dirfd, const char *name)
{
	struct stat	 st;
	int		 fd;

	if ((fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC |
	    O_NOFOLLOW)) == -1)
		return;
	if (fstat(fd, &st) == 0 && st.st_mtime + STALE_NEW_S < time(NULL) &&
	    flock(fd, LOCK_EX | LOCK_NB) == 0)
		(void)unlinkat(dirfd, name, 0);
	close(fd);
}

/*
 * Open the journals' directory into *d: VN_OK with *d NULL when there
 * is none yet (no journal was ever written).
 */
static enum vn_err
journals_open(const struct cfg *cfg, DIR **d)
{
	char	 dir[4096];

	*d = NULL;
	if (!ledger_dir(cfg, dir, sizeof(dir)))
		return VN_ECONFIG;
	if ((*d = opendir(dir)) == NULL)
		return errno == ENOENT ? VN_OK : VN_ESYS;
	return VN_OK;
}

/*
 * Move every complete journal line into the usage table and delete the
 * journals of processes that are gone.  Safe to run from several
 * processes at once (each journal's offset is read and advanced in one
 * write transaction).  *rows counts the rows imported.
 */
enum vn_err
ledger_import(const struct cfg *cfg, struct db *db, long *rows)
{
	struct dirent	*de;
	size_t		 len;
	DIR		*d;
	int		 gone, deleted = 0;
	enum vn_err	 rc = VN_OK, rc1;

	*rows = 0;
	if ((rc = journals_open(cfg, &d)) != VN_OK || d == NULL)
		return rc;
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len > 9 && strcmp(de->d_name + len - 9, ".ulog.new") == 0) {
			remove_stale(dirfd(d), de->d_name);
			continue;
		}
		if (len < 6 || strcmp(de->d_name + len - 5, ".ulog") != 0)
			continue;
		rc1 = import_file(db, dirfd(d), de->d_name, rows, &gone);
		if (rc1 != VN_OK)
			rc = rc1;
		else if (gone && unlinkat(dirfd(d), de->d_name, 0) == 0)
			deleted = 1;
	}
	/* The offsets of what was deleted, and of deletions once cut. */
	if (deleted && (rc1 = forget_done(db, dirfd(d))) != VN_OK)
		rc = rc1;
	closedir(d);
	return rc;
}

/*
 * The age of the line at off in the journal name (seconds before now),
 * or 0 if it is not a whole line yet.
 */
static long
line_age(int dirfd, const char *name, long long off, time_t now)
{
	struct ledger_row u;
	char		 line[LEDGER_LINE + 1], store[LEDGER_LINE + 1], *nl;
	ssize_t		 n;
	int		 fd;
	long		 age = 0;

	if ((fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC |
	    O_NOFOLLOW)) == -1)
		return 0;
	n = pread(fd, line, LEDGER_LINE, (off_t)off);
	close(fd);
	if (n <= 0 || (nl = memchr(line, '\n', (size_t)n)) == NULL)
		return 0;
	if (ledger_parse_line(line, (size_t)(nl - line), &u, store,
	    sizeof(store)) &&
	    u.created_at > 0 && u.created_at < now)
		age = (long)(now - u.created_at);
	return age;
}

/*
 * How far the usage table is behind the journals: the bytes written
 * and not imported yet, and the age of the oldest row among them (0
 * when none waits).  Reads only: for the metrics.
 */
enum vn_err
ledger_lag(const struct cfg *cfg, struct db *db, long long *bytes,
    long *oldest_s)
{
	struct dirent	*de;
	struct stat	 st;
	size_t		 len;
	long long	 off;
	long		 age;
	time_t		 now = time(NULL);
	DIR		*d;
	enum vn_err	 rc;

	*bytes = 0;
	*oldest_s = 0;
	if ((rc = journals_open(cfg, &d)) != VN_OK || d == NULL)
		return rc;
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len < 6 || strcmp(de->d_name + len - 5, ".ulog") != 0 ||
		    fstatat(dirfd(d), de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) == -1)
			continue;
		if ((off = imported(db, de->d_name)) < 0 || st.st_size <= off)
			continue;
		*bytes += (long long)st.st_size - off;
		if ((age = line_age(dirfd(d), de->d_name, off, now)) >
		    *oldest_s)
			*oldest_s = age;
	}
	closedir(d);
	return VN_OK;
}
