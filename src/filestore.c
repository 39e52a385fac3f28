/*
 * filestore.c: file contents on disk (reliability.md §4, path traversal
 * and T9/T10).
 *
 * Layout under data_dir:
 *   tmp/up-<random>       uploads being written (O_EXCL, never reused)
 *   <shard>/<file id>     complete contents; shard = the id's first two
 *                         random characters, so no directory holds more
 *                         than 1/3844th of the files
 *   .orphan-sweep         where the hourly walk for contents without a
 *                         row stands (orphans.c)
 *
 * The write path is: write (with writeback started every few MiB, so
 * the final fsync has little left to do and an upload never piles up
 * dirty pages), fsync the file, rename it into its shard, fsync the
 * shard.  Only then does the caller insert the row, so a row never
 * names missing or partial content.  A crash can leave a temp file or
 * an unnamed content, never served; filestore_purge() reclaims the
 * first, and the second in its hourly walk (orphans.c).
 *
 * Every name used here is made by Venna: ids are checked against their
 * shape before they become a path, and everything is opened relative
 * to a directory descriptor with O_NOFOLLOW.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "cfg.h"
#include "clock.h"
#include "db.h"
#include "filestore.h"
#include "ids.h"
#include "log.h"

#define TMP_DIR		"tmp"
#define TMP_PREFIX	"up-"
#define WRITEBACK_STEP	(8 * 1024 * 1024)	/* start writeback this often */
#define PURGE_BATCH	100			/* rows per purge step */

static int	 open_dir(int, const char *, int);
static int	 shard_dir(const struct cfg *, const char *, int);
static int	 utf8_len(const unsigned char *, size_t);
static int	 keep_char(uint32_t);
static size_t	 clean(const char *, size_t, char *, size_t);
static size_t	 purge_expired(struct db *, time_t, long long, int *);
static size_t	 purge_deleted(const struct cfg *, struct db *, time_t,
		    long long, int *);
static size_t	 purge_temps(const struct cfg *, time_t, long long, int *);

/* A new file id: "file-" and 24 random base62 characters. */
void
filestore_id_new(char out[FILE_ID_LEN + 1])
{
	ids_new(out, FILE_ID_LEN + 1, FILE_ID_PREFIX, FILE_ID_RAND);
}

/*
 * Is s shaped like a file id Venna makes: "file-" and 2 to 59 base62
 * characters?  Pure.  Checked before any id becomes part of a path.
 */
int
filestore_id_ok(const char *s)
{
	size_t	 n;

	if (strncmp(s, FILE_ID_PREFIX, 5) != 0)
		return 0;
	n = strspn(s + 5, base62);
	return n >= 2 && n <= VN_MAX_ID - 5 && s[5 + n] == '\0';
}

/*
 * The content's path relative to data_dir, "<shard>/<id>", into out.
 * Returns 0 if id is not a file id or out is too small.  Pure.
 */
int
filestore_relpath(const char *id, char *out, size_t outsz)
{
	int	 n;

	if (!filestore_id_ok(id))
		return 0;
	n = snprintf(out, outsz, "%.2s/%s", id + 5, id);
	return n > 0 && (size_t)n < outsz;
}

/*
 * Open directory name under dirfd (AT_FDCWD: a path), creating it with
 * mode 0750 first if create is set.  Returns the descriptor or -1.
 */
static int
open_dir(int dirfd, const char *name, int create)
{
	if (create && mkdirat(dirfd, name, 0750) == -1 && errno != EEXIST)
		return -1;
	return openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
	    (dirfd == AT_FDCWD ? 0 : O_NOFOLLOW));
}

/*
 * The shard directory of id, created (and data_dir synced, so the new
 * directory survives a crash) when create is set.  Returns a descriptor
 * or -1 with errno set.
 */
static int
shard_dir(const struct cfg *cfg, const char *id, int create)
{
	char	 shard[3];
	int	 top = -1, fd = -1, made = 0, saved;

	if (!filestore_id_ok(id)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(shard, id + 5, 2);
	shard[2] = '\0';
	if ((top = open_dir(AT_FDCWD, cfg->data_dir, create)) == -1)
		goto out;
	if (create) {
		if (mkdirat(top, shard, 0750) == 0)
			made = 1;
		else if (errno != EEXIST)
			goto out;
	}
	if ((fd = open_dir(top, shard, 0)) != -1 && made && fsync(top) == -1) {
		close(fd);
		fd = -1;
	}
out:
	saved = errno;
	if (top != -1)
		close(top);
	errno = saved;
	return fd;
}

/*
 * Start an upload: a new, empty temporary file in data_dir/tmp (both
 * directories created when missing).  On failure t is left closed and
 * VN_ESYS returned with t->error set.
 */
enum vn_err
filestore_tmp_open(const struct cfg *cfg, struct filestore_tmp *t)
{
	int	 top = -1;

	memset(t, 0, sizeof(*t));
	t->fd = t->dirfd = -1;
	memcpy(t->name, TMP_PREFIX, sizeof(TMP_PREFIX) - 1);
	ids_random(t->name + sizeof(TMP_PREFIX) - 1, 24);
	t->name[sizeof(TMP_PREFIX) - 1 + 24] = '\0';
	if ((top = open_dir(AT_FDCWD, cfg->data_dir, 1)) == -1 ||
	    (t->dirfd = open_dir(top, TMP_DIR, 1)) == -1 ||
	    (t->fd = openat(t->dirfd, t->name, O_RDWR | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0640)) == -1) {
		t->error = errno;
		log_error("files: cannot create a temporary file in %s/%s: %s",
		    cfg->data_dir, TMP_DIR, strerror(errno));
		if (t->dirfd != -1)
			close(t->dirfd);
		t->dirfd = -1;
	}
	if (top != -1)
		close(top);
	t->live = t->fd != -1;
	return t->live ? VN_OK : VN_ESYS;
}

/*
 * Append n bytes.  Every WRITEBACK_STEP bytes the kernel is asked to
 * start writing what came in, and to finish the step before that, so
 * the fsync of a large upload is short and its dirty pages few.
 * VN_ESYS with t->error (ENOSPC, EIO, ...) on failure; the caller then
 * aborts.
 */
enum vn_err
filestore_tmp_write(struct filestore_tmp *t, const void *p, size_t n)
{
	ssize_t	 w;

	if (!t->live || t->fd == -1 || t->error != 0)
		return VN_ESYS;
	while (n > 0) {
		if ((w = write(t->fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			t->error = errno;
			return VN_ESYS;
		}
		p = (const char *)p + w;
		n -= (size_t)w;
		t->bytes += (uint64_t)w;
	}
#ifdef SYNC_FILE_RANGE_WRITE
	if (t->bytes - t->flushed >= WRITEBACK_STEP) {
		if (t->flushed >= WRITEBACK_STEP)
			(void)sync_file_range(t->fd, (off_t)(t->flushed -
			    WRITEBACK_STEP), WRITEBACK_STEP,
			    SYNC_FILE_RANGE_WAIT_BEFORE |
			    SYNC_FILE_RANGE_WRITE |
			    SYNC_FILE_RANGE_WAIT_AFTER);
		(void)sync_file_range(t->fd, (off_t)t->flushed,
		    (off_t)(t->bytes - t->flushed), SYNC_FILE_RANGE_WRITE);
		t->flushed = t->bytes;
	}
#endif
	return VN_OK;
}

/*
 * Read back up to n bytes of the upload at offset off (a check that
 * could only start once the upload was whole).  Returns the bytes read,
 * 0 at the end, -1 with t->error set.
 */
ssize_t
filestore_tmp_read(struct filestore_tmp *t, uint64_t off, void *p, size_t n)
{
	ssize_t	 r;

	do
		r = pread(t->fd, p, n, (off_t)off);
	while (r == -1 && errno == EINTR);
	if (r == -1)
		t->error = errno;
	return r;
}

/*
 * Make the upload the content of file id: fsync, rename into the shard,
 * fsync the shard.  On success t is closed and the content durable; on
 * failure the temporary file is removed too (VN_ESYS, t->error set).
 * Never call with a transaction open: this waits for the disk.
 */
enum vn_err
filestore_tmp_commit(const struct cfg *cfg, struct filestore_tmp *t,
    const char *id)
{
	int	 sfd = -1;
	enum vn_err rc = VN_ESYS;

	if (!t->live || t->fd == -1 || t->error != 0)
		goto out;
	if (fsync(t->fd) == -1 || close(t->fd) == -1) {
		t->fd = -1;
		t->error = errno;
		goto out;
	}
	t->fd = -1;
	if ((sfd = shard_dir(cfg, id, 1)) == -1 ||
	    renameat(t->dirfd, t->name, sfd, id) == -1) {
		t->error = errno;
		goto out;
	}
	/* Renamed: from now on the temp name is gone, whatever follows. */
	t->name[0] = '\0';
	if (fsync(sfd) == -1) {
		t->error = errno;
		(void)unlinkat(sfd, id, 0);
		goto out;
	}
	rc = VN_OK;
out:
	if (rc != VN_OK)
		log_error("files: cannot store %s: %s", id,
		    strerror(t->error != 0 ? t->error : EBADF));
	if (sfd != -1)
		close(sfd);
	filestore_tmp_abort(t);
	return rc;
}

/*
 * Give up an upload: close and remove the temporary file.  Safe to call
 * on a committed, aborted, or never opened (zeroed) upload.
 */
void
filestore_tmp_abort(struct filestore_tmp *t)
{
	if (!t->live)
		return;
	t->live = 0;
	if (t->fd != -1)
		close(t->fd);
	t->fd = -1;
	if (t->dirfd != -1 && t->name[0] != '\0')
		(void)unlinkat(t->dirfd, t->name, 0);
	t->name[0] = '\0';
	if (t->dirfd != -1)
		close(t->dirfd);
	t->dirfd = -1;
}

/*
 * Open the content of file id for reading.  Returns the descriptor
 * (the caller closes it) with the size in *size, or -1 with errno
 * (ENOENT when it is not there).
 */
int
filestore_open(const struct cfg *cfg, const char *id, uint64_t *size)
{
	struct stat	 st;
	int		 dfd, fd = -1, saved;

	if ((dfd = shard_dir(cfg, id, 0)) == -1)
		return -1;
	fd = openat(dfd, id, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	saved = errno;
	close(dfd);
	if (fd == -1) {
		errno = saved;
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	*size = (uint64_t)st.st_size;
	return fd;
}

/* Remove the content of file id; gone already is success. */
enum vn_err
filestore_unlink(const struct cfg *cfg, const char *id)
{
	int	 dfd;

	if ((dfd = shard_dir(cfg, id, 0)) == -1)
		return errno == ENOENT ? VN_OK : VN_ESYS;
	if (unlinkat(dfd, id, 0) == -1 && errno != ENOENT) {
		close(dfd);
		return VN_ESYS;
	}
	close(dfd);
	return VN_OK;
}

/*
 * The length of the well-formed UTF-8 sequence at s (at most n bytes):
 * no overlongs, surrogates or code points past U+10FFFF.  0 if none.
 */
static int
utf8_len(const unsigned char *s, size_t n)
{
	int	 len, k;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (n < (size_t)len)
		return 0;
	for (k = 1; k < len; k++)
		if ((s[k] & 0xc0) != 0x80)
			return 0;
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
		return 0;
	return len;
}

/*
 * Characters a stored filename never holds: C0 and C1 controls, DEL,
 * quotes and backslashes (they would need escaping wherever the name is
 * echoed), and the invisible format characters that make a name display
 * as another (bidi overrides, zero-width, line separators, BOM).
 */
static const struct {
	uint32_t	 lo, hi;
} drop[] = {
	{ 0x00, 0x1f }, { '"', '"' }, { '\\', '\\' }, { 0x7f, 0x9f },
	{ 0x200b, 0x200f }, { 0x2028, 0x202e }, { 0x2060, 0x206f },
	{ 0xfeff, 0xfeff }, { 0xfff9, 0xfffb },
};

static int
keep_char(uint32_t cp)
{
	size_t	 i;

	for (i = 0; i < VN_NELEM(drop); i++)
		if (cp >= drop[i].lo && cp <= drop[i].hi)
			return 0;
	return 1;
}

/*
 * Copy the characters of s[0..n) that a filename may hold into out, as
 * many whole characters as fit in max bytes; invalid UTF-8 bytes are
 * dropped.  Returns the bytes written (no terminator).
 */
static size_t
clean(const char *s, size_t n, char *out, size_t max)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t	 cp;
	size_t		 i = 0, o = 0;
	int		 len, k;

	while (i < n) {
		if ((len = utf8_len(u + i, n - i)) == 0) {
			i++;
			continue;
		}
		cp = len == 1 ? u[i] : u[i] & (0x7f >> len);
		for (k = 1; k < len; k++)
			cp = cp << 6 | (u[i + k] & 0x3f);
		if (keep_char(cp)) {
			if (o + (size_t)len > max)
				break;
			if (out != NULL)
				memcpy(out + o, s + i, (size_t)len);
			o += (size_t)len;
		}
		i += (size_t)len;
	}
	return o;
}

/*
 * A client's filename made safe to keep and echo: the last path
 * component only, unwanted characters and invalid UTF-8 removed (see
 * drop[]), blanks trimmed, at most FILE_NAME_MAX bytes (a long name
 * keeps its extension), and "upload" when nothing is left or it is
 * "." or "..".  out must hold FILE_NAME_MAX + 1 bytes; it is always
 * NUL-terminated.  Returns its length.  Pure; the result is metadata
 * only and never used as a path.
 */
size_t
filestore_sanitize(const char *s, size_t n, char *out, size_t outsz)
{
	const char	*dot = NULL;
	size_t		 i, max, elen = 0, o, b;

	if (outsz < FILE_NAME_MAX + 1) {
		if (outsz > 0)
			out[0] = '\0';
		return 0;
	}
	for (i = n; i > 0 && s[i - 1] != '/' && s[i - 1] != '\\'; i--)
		continue;
	s += i;
	n -= i;
	while (n > 0 && (*s == ' ' || *s == '\t'))
		s++, n--;
	/* An extension of up to 16 bytes survives truncation. */
	for (i = n; i > 0 && n - i < 16; i--)
		if (s[i - 1] == '.') {
			dot = s + i - 1;
			break;
		}
	max = FILE_NAME_MAX;
	if (dot != NULL && dot != s && clean(s, n, NULL, (size_t)-1) > max) {
		elen = clean(dot, (size_t)(s + n - dot), NULL, max);
		o = clean(s, (size_t)(dot - s), out, max - elen);
		o += clean(dot, (size_t)(s + n - dot), out + o, elen);
	} else
		o = clean(s, n, out, max);
	/* Trailing blanks, and leading ones a dropped character exposed. */
	while (o > 0 && (out[o - 1] == ' ' || out[o - 1] == '\t'))
		o--;
	for (b = 0; b < o && (out[b] == ' ' || out[b] == '\t'); b++)
		continue;
	memmove(out, out + b, o - b);
	o -= b;
	out[o] = '\0';
	if (o == 0 || strcmp(out, ".") == 0 || strcmp(out, "..") == 0) {
		strcpy(out, "upload");
		o = 6;
	}
	return o;
}

/*
 * A Content-Disposition value for a download of name (RFC 6266):
 * attachment; filename="<ASCII fallback>"; filename*=UTF-8''<pct>.
 * Whatever name holds, the value has no CR, LF, quote, backslash or
 * control character.  Returns 0 if out (2 KiB is always enough for a
 * sanitised name) is too small.  Pure.
 */
int
filestore_disposition(const char *name, char *out, size_t outsz)
{
	static const char attr[] = "!#$&+-.^_`|~";
	static const char hex[] = "0123456789ABCDEF";
	char		 safe[FILE_NAME_MAX + 1], ascii[FILE_NAME_MAX + 1];
	char		 pct[3 * FILE_NAME_MAX + 1];
	const unsigned char *u;
	size_t		 i, a = 0, p = 0, n;
	int		 len, w;

	n = filestore_sanitize(name, strlen(name), safe, sizeof(safe));
	u = (const unsigned char *)safe;
	for (i = 0; i < n; i += (size_t)len) {
		len = utf8_len(u + i, n - i);
		if (len == 0)
			len = 1;	/* not after sanitize; be safe */
		ascii[a++] = len == 1 && u[i] >= 0x20 && u[i] < 0x7f &&
		    u[i] != '%' ? (char)u[i] : '_';
	}
	ascii[a] = '\0';
	for (i = 0; i < n; i++) {
		if ((u[i] >= '0' && u[i] <= '9') || (u[i] >= 'A' &&
		    u[i] <= 'Z') || (u[i] >= 'a' && u[i] <= 'z') ||
		    (u[i] < 0x80 && u[i] != '\0' && strchr(attr, u[i]) != NULL))
			pct[p++] = (char)u[i];
		else {
			pct[p++] = '%';
			pct[p++] = hex[u[i] >> 4];
			pct[p++] = hex[u[i] & 15];
		}
	}
	pct[p] = '\0';
	w = snprintf(out, outsz, "attachment; filename=\"%s\"; "
	    "filename*=UTF-8''%s", ascii, pct);
	return w > 0 && (size_t)w < outsz;
}

/*
 * Hide files whose expiry has passed, as deleted at their expiry time,
 * a bounded UPDATE at a time.  Returns how many.
 */
static size_t
purge_expired(struct db *db, time_t now, long long deadline, int *late)
{
	sqlite3_stmt	*st;
	size_t		 total = 0;
	int		 rc, n;

	for (;;) {
		if (clock_ms() >= deadline) {
			*late = 1;
			break;
		}
		if ((st = db_stmt(db, STMT_FILE_EXPIRE)) == NULL)
			break;
		sqlite3_bind_int64(st, 1, (sqlite3_int64)now);
		sqlite3_bind_int(st, 2, 10 * PURGE_BATCH);
		rc = sqlite3_step(st);
		n = db_changes(db);
		sqlite3_reset(st);
		if (db_rc(db, rc, "files expire") != VN_OK || n == 0)
			break;
		total += (size_t)n;
	}
	return total;
}

/*
 * Remove the content of files deleted (or expired) FILESTORE_GRACE
 * seconds ago or more, then their rows: the content first and synced,
 * so a row is only forgotten once nothing of it is left.  A content
 * that cannot be removed keeps its row (and is logged) for a later run.
 * The unlinks happen with no transaction open.  Returns how many.
 */
static size_t
purge_deleted(const struct cfg *cfg, struct db *db, time_t now,
    long long deadline, int *late)
{
	sqlite3_stmt	*st;
	char		 ids[PURGE_BATCH][VN_MAX_ID + 1];
	sqlite3_int64	 seqs[PURGE_BATCH], last = 0;
	size_t		 n, i, total = 0;
	int		 rc, dfd, gone[PURGE_BATCH];

	for (;;) {
		if (clock_ms() >= deadline) {
			*late = 1;
			break;
		}
		if ((st = db_stmt(db, STMT_FILE_RECLAIMABLE)) == NULL)
			break;
		sqlite3_bind_int64(st, 1, (sqlite3_int64)(now -
		    FILESTORE_GRACE));
		sqlite3_bind_int(st, 2, PURGE_BATCH);
		sqlite3_bind_int64(st, 3, last);
		for (n = 0; n < PURGE_BATCH &&
		    (rc = sqlite3_step(st)) == SQLITE_ROW; n++) {
			seqs[n] = last = sqlite3_column_int64(st, 0);
			db_col_copy(st, 1, ids[n], sizeof(ids[n]));
		}
		sqlite3_reset(st);
		if (n == 0)
			break;
		for (i = 0; i < n; i++) {
			gone[i] = 1;
			if ((dfd = shard_dir(cfg, ids[i], 0)) == -1) {
				gone[i] = errno == ENOENT || errno == EINVAL;
				continue;
			}
			if ((unlinkat(dfd, ids[i], 0) == -1 &&
			    errno != ENOENT) || fsync(dfd) == -1) {
				log_error("files: cannot remove %s: %s",
				    ids[i], strerror(errno));
				gone[i] = 0;
			}
			close(dfd);
		}
		if (db_begin(db) != VN_OK)
			break;
		for (i = 0; i < n; i++) {
			if (!gone[i] ||
			    (st = db_stmt(db, STMT_FILE_FORGET)) == NULL)
				continue;
			sqlite3_bind_int64(st, 1, seqs[i]);
			rc = sqlite3_step(st);
			sqlite3_reset(st);
			if (db_rc(db, rc, "files forget") == VN_OK)
				total++;
		}
		if (db_commit(db) != VN_OK)
			break;
	}
	return total;
}

/*
 * Remove temporary files older than FILESTORE_TMP_AGE: uploads whose
 * worker died.  A live upload's file is younger (its mtime moves with
 * every write).  Returns how many.
 */
static size_t
purge_temps(const struct cfg *cfg, time_t now, long long deadline,
    int *late)
{
	struct stat	 st;
	struct dirent	*de;
	DIR		*d = NULL;
	size_t		 total = 0;
	int		 top = -1, dfd = -1;

	if ((top = open_dir(AT_FDCWD, cfg->data_dir, 0)) == -1 ||
	    (dfd = open_dir(top, TMP_DIR, 0)) == -1 ||
	    (d = fdopendir(dfd)) == NULL)
		goto out;
	dfd = -1;	/* d owns it now */
	while ((de = readdir(d)) != NULL) {
		if (clock_ms() >= deadline) {
			*late = 1;
			break;
		}
		if (strncmp(de->d_name, TMP_PREFIX, sizeof(TMP_PREFIX) - 1) !=
		    0 || fstatat(dirfd(d), de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) == -1 || !S_ISREG(st.st_mode) ||
		    st.st_mtime > now - FILESTORE_TMP_AGE)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			total++;
	}
out:
	if (d != NULL)
		closedir(d);
	if (dfd != -1)
		close(dfd);
	if (top != -1)
		close(top);
	return total;
}

/*
 * venna-batch's reclaimer, run once per pass within budget_ms: hides
 * expired files, removes the content and rows of files deleted or
 * expired at least FILESTORE_GRACE seconds ago (so a listing paging
 * past a just-deleted file, or a download just handed to the web
 * server, still finds it) and removes abandoned uploads (contents that
 * no row names are orphans.c's).  Each step is idempotent: a killed run is
 * simply run again.  Fills *out.
 * Returns VN_OK, or VN_ESTORE if the database could not be used at all.
 */
enum vn_err
filestore_purge(const struct cfg *cfg, struct db *db, long budget_ms,
    struct filestore_purged *out)
{
	long long	 deadline = clock_ms() + budget_ms;
	time_t		 now = time(NULL);

	memset(out, 0, sizeof(*out));
	if (db_stmt(db, STMT_FILE_EXPIRE) == NULL)
		return VN_ESTORE;
	out->expired = purge_expired(db, now, deadline, &out->incomplete);
	out->reclaimed = purge_deleted(cfg, db, now, deadline,
	    &out->incomplete);
	out->temps = purge_temps(cfg, now, deadline, &out->incomplete);
	if (out->expired + out->reclaimed + out->temps > 0)
		log_info("files: %zu expired, %zu reclaimed and %zu abandoned "
		    "uploads removed%s", out->expired, out->reclaimed,
		    out->temps, out->incomplete ? " (out of time)" : "");
	return VN_OK;
}
