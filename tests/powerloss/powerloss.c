/*
 * powerloss.c: an LD_PRELOAD library that remembers, for every file and
 * directory under one tree, what was written to it since it was last
 * synced, with what each write overwrote, so that powercut can later
 * put the tree back to "what a disk would hold after a power cut": the
 * synced state plus some prefix of the unsynced writes.  It plays the
 * part LazyFS plays elsewhere (a FUSE file system that keeps unsynced
 * data in its own cache and drops it on demand), without FUSE: the
 * processes under test run on the real file system, and the undo log
 * lives beside it, in files that survive a kill -9 of those processes.
 *
 * Built by the test harness (Makefile.am) with the project's compiler
 * but none of its sanitizer flags, and given only to the processes
 * under test (venna-fcgi and its workers, venna-batch, vennactl).
 *
 * Environment: POWERLOSS_ROOT, the tree to track (Venna's state
 * directory: the database and its -wal and -shm, ledger/, leases/,
 * files/); POWERLOSS_LOG, the directory of the logs (plog.h), on the
 * same file system.  Without both, every call passes straight through.
 *
 * Modelled (the wrapped calls):
 *  - data: write, pwrite(64), writev, pwritev(64), ftruncate(64), and
 *    O_TRUNC at open, on any descriptor of a regular file under the
 *    root, however it was opened (open, openat, creat, dup, inherited);
 *  - syncs: fsync and fdatasync (both taken as syncing the file's data
 *    and size; fdatasync does sync a size that grew);
 *  - names: a file created (O_CREAT that made it), a directory made
 *    (mkdir), a rename into a directory under the root; a directory's
 *    fsync syncs the names in it.  Whether powercut undoes names is its
 *    choice (-n).
 * Not modelled: removals (unlink, rmdir, a rename's old name) are taken
 * as durable at once; writes through mmap (only SQLite's -shm, which
 * SQLite rebuilds after a crash); sync(2), syncfs(2) and
 * sync_file_range(2) (none syncs here: Venna uses sync_file_range only
 * to start writeback early, which promises nothing); a rename whose
 * record was not yet written when the process was killed (the instant
 * between the two) counts as durable.
 *
 * A record is written before the write it describes, under an exclusive
 * flock of the log, so the bytes it saves are those the write replaces
 * even with several processes writing one file (SQLite's WAL).  A sync
 * notes the log's length before the real fsync and, once it returned,
 * appends a PL_SYNC record: a process killed in between never learnt
 * that its sync had ended, so nothing it did after can depend on it.
 *
 * Anything this library cannot do (a log it cannot write, a descriptor
 * beyond its table) is written to "<log>/BROKEN", and powercut then
 * refuses to cut: a model that lost track must not pass a test.
 *
 * Every process that loads this library leaves its pid in
 * "<log>/pids/": the tests stop and kill exactly those.
 *
 * One knob is no part of the model: POWERLOSS_CREATE_DELAY (see
 * creation_delay()), to show a race.
 */
#define _GNU_SOURCE
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "plog.h"

#define MAXFD		65536		/* descriptors tracked */
#define COPY_CHUNK	65536		/* old bytes copied at a time */

enum kind {
	K_UNKNOWN = 0,	/* not looked at since it was (re)opened */
	K_NONE,		/* not ours: a socket, a pipe, outside the root */
	K_FILE,
	K_DIR,
};

struct tfd {
	_Atomic int	 kind;
	dev_t		 dev;
	ino_t		 ino;
};

static struct tfd	 tab[MAXFD];
static char		 root[PATH_MAX];
static size_t		 rootlen;
static char		 logdir[PATH_MAX];
static int		 active;
static _Atomic unsigned	 saved_seq;
static char		 delay_text[64];	/* POWERLOSS_CREATE_DELAY */
static long		 delay_ms;

/*
 * A child must not inherit a log descriptor, whose flock it would then
 * hold for ever: fork() waits until none is open (nopen) and none can
 * be opened (forking), holding forkmu across it.  A mutex, not a
 * rwlock held for writing: glibc tells a write unlock from a read
 * unlock by the owner's thread id, which the child does not keep, so a
 * child cannot unlock a rwlock its parent write-locked.  A mutex it can
 * unlock, which leaves ThreadSanitizer's view of the lock right too.
 */
static pthread_mutex_t	 forkmu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 forkcv = PTHREAD_COND_INITIALIZER;
static unsigned		 nopen;		/* log descriptors open */
static unsigned		 forking;	/* fork()s waiting for nopen == 0 */

/* The next definition of each wrapped function, found once. */
#define REAL(name, type) \
	static type r_##name; \
	if (r_##name == NULL) \
		r_##name = (type)dlsym(RTLD_NEXT, #name)

typedef ssize_t	(*write_f)(int, const void *, size_t);
typedef ssize_t	(*pwrite_f)(int, const void *, size_t, off_t);
typedef ssize_t	(*writev_f)(int, const struct iovec *, int);
typedef ssize_t	(*pwritev_f)(int, const struct iovec *, int, off_t);
typedef int	(*ftruncate_f)(int, off_t);
typedef int	(*fsync_f)(int);
typedef int	(*open_f)(const char *, int, ...);
typedef int	(*openat_f)(int, const char *, int, ...);
typedef int	(*open2_f)(const char *, int);
typedef int	(*openat2_f)(int, const char *, int);
typedef int	(*creat_f)(const char *, mode_t);
typedef int	(*close_f)(int);
typedef int	(*dup2_f)(int, int);
typedef int	(*dup3_f)(int, int, int);
typedef int	(*rename_f)(const char *, const char *);
typedef int	(*renameat_f)(int, const char *, int, const char *);
typedef int	(*renameat2_f)(int, const char *, int, const char *,
		    unsigned int);
typedef int	(*mkdir_f)(const char *, mode_t);
typedef int	(*mkdirat_f)(int, const char *, mode_t);

/* The library's own I/O, never through the wrappers. */
static ssize_t
raw_write(int fd, const void *p, size_t n)
{
	REAL(write, write_f);
	return r_write(fd, p, n);
}

static int
raw_open(const char *path, int flags, mode_t mode)
{
	REAL(open, open_f);
	return r_open(path, flags, mode);
}

static int
raw_close(int fd)
{
	REAL(close, close_f);
	return r_close(fd);
}

/* Note that the model lost track; powercut will refuse to cut. */
static void
broken(const char *fmt, ...)
{
	char	 path[PATH_MAX + 16], msg[512];
	va_list	 ap;
	int	 fd, n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(msg) - 2)
		n = sizeof(msg) - 2;
	msg[n++] = '\n';
	snprintf(path, sizeof(path), "%s/BROKEN", logdir);
	if ((fd = raw_open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	    0600)) != -1) {
		(void)raw_write(fd, msg, (size_t)n);
		raw_close(fd);
	}
	(void)raw_write(2, "powerloss: ", 11);
	(void)raw_write(2, msg, (size_t)n);
}

static int
under_root(const char *path)
{
	return strncmp(path, root, rootlen) == 0 &&
	    (path[rootlen] == '/' || path[rootlen] == '\0');
}

/* The canonical path of an open descriptor into out; 0 if none. */
static int
fd_path(int fd, char *out, size_t outsz)
{
	char	 link[64];
	ssize_t	 n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if ((n = readlink(link, out, outsz - 1)) <= 0)
		return 0;
	out[n] = '\0';
	return out[0] == '/';
}

/* Look at fd afresh: is it a file or a directory under the root? */
static int
classify(int fd, struct stat *st)
{
	char	 path[PATH_MAX];
	int	 k = K_NONE;

	if (fd_path(fd, path, sizeof(path)) && under_root(path) &&
	    fstat(fd, st) == 0)
		k = S_ISREG(st->st_mode) ? K_FILE : S_ISDIR(st->st_mode) ?
		    K_DIR : K_NONE;
	if (fd >= MAXFD) {
		if (k != K_NONE)
			broken("descriptor %d is beyond the table", fd);
		return K_NONE;
	}
	if (k != K_NONE) {
		tab[fd].dev = st->st_dev;
		tab[fd].ino = st->st_ino;
	}
	atomic_store_explicit(&tab[fd].kind, k, memory_order_release);
	return k;
}

/*
 * What fd is: K_FILE or K_DIR (st filled, the object under the root)
 * or K_NONE.  A cached kind is checked against the descriptor's inode,
 * so a descriptor closed behind our back and reused is looked at again.
 */
static int
track(int fd, struct stat *st)
{
	int	 k;

	if (!active || fd < 0)
		return K_NONE;
	if (fd >= MAXFD)
		return classify(fd, st);
	k = atomic_load_explicit(&tab[fd].kind, memory_order_acquire);
	if (k == K_NONE)
		return K_NONE;
	if (k == K_UNKNOWN)
		return classify(fd, st);
	if (fstat(fd, st) == -1)
		return K_NONE;
	if (st->st_dev != tab[fd].dev || st->st_ino != tab[fd].ino)
		return classify(fd, st);
	return k;
}

static void
forget(int fd)
{
	if (fd >= 0 && fd < MAXFD)
		atomic_store_explicit(&tab[fd].kind, K_UNKNOWN,
		    memory_order_release);
}

static void
log_path(char *out, size_t outsz, dev_t dev, ino_t ino)
{
	snprintf(out, outsz, "%s/%ju-%ju", logdir, (uintmax_t)dev,
	    (uintmax_t)ino);
}

/* A log descriptor is closed: a waiting fork() may go on. */
static void
log_closed(void)
{
	pthread_mutex_lock(&forkmu);
	if (--nopen == 0 && forking)
		pthread_cond_broadcast(&forkcv);
	pthread_mutex_unlock(&forkmu);
}

/*
 * Open and lock the log of (dev, ino), counted in nopen (no fork()
 * until it is closed); log_unlock() undoes both.  -1 (and BROKEN) on
 * failure.
 */
static int
log_lock(dev_t dev, ino_t ino)
{
	char	 path[PATH_MAX + 64];
	int	 fd;

	pthread_mutex_lock(&forkmu);
	while (forking)
		pthread_cond_wait(&forkcv, &forkmu);
	nopen++;
	pthread_mutex_unlock(&forkmu);
	log_path(path, sizeof(path), dev, ino);
	if ((fd = raw_open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC,
	    0600)) == -1 || flock(fd, LOCK_EX) == -1) {
		broken("log %s: %s", path, strerror(errno));
		if (fd != -1)
			raw_close(fd);
		log_closed();
		return -1;
	}
	return fd;
}

static void
log_unlock(int lfd)
{
	if (lfd == -1)
		return;
	raw_close(lfd);
	log_closed();
}

static int64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
put(int lfd, const void *p, size_t n)
{
	const char	*c = p;
	ssize_t		 w;

	while (n > 0) {
		if ((w = raw_write(lfd, c, n)) <= 0) {
			if (w == -1 && errno == EINTR)
				continue;
			broken("log write: %s", w == -1 ? strerror(errno) :
			    "no progress");
			return 0;
		}
		c += w;
		n -= (size_t)w;
	}
	return 1;
}

/*
 * Append a record whose extra bytes are those of fd at [from, from+n)
 * (old contents about to be overwritten or cut off).
 */
static void
put_rec(int lfd, struct pl_rec *r, int fd, int64_t from, int64_t n)
{
	char	*buf, link[64];
	ssize_t	 got;
	int64_t	 k;
	int	 rfd = fd;

	r->magic = PL_MAGIC;
	r->extra = n;
	r->ms = now_ms();
	if (!put(lfd, r, sizeof(*r)) || n == 0)
		return;
	if ((buf = malloc(COPY_CHUNK)) == NULL) {
		broken("out of memory");
		return;
	}
	for (; n > 0; n -= got, from += got) {
		k = n < COPY_CHUNK ? n : COPY_CHUNK;
		got = pread(rfd, buf, (size_t)k, (off_t)from);
		if (got == -1 && errno == EBADF && rfd == fd) {
			/* Opened write-only: read it through /proc. */
			snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
			if ((rfd = raw_open(link, O_RDONLY | O_CLOEXEC, 0)) ==
			    -1)
				rfd = fd;
			else
				got = pread(rfd, buf, (size_t)k, (off_t)from);
		}
		if (got <= 0) {
			broken("reading old bytes: %s", got == -1 ?
			    strerror(errno) : "file shrank");
			break;
		}
		if (!put(lfd, buf, (size_t)got))
			break;
	}
	if (rfd != fd)
		raw_close(rfd);
	free(buf);
}

/*
 * Before writing len bytes to fd (at off, or at its offset when off is
 * -1): record what they overwrite.  Returns the locked log to release
 * once the write is done, -1 when fd is not ours.
 */
static int
before_write(int fd, int64_t off, size_t len)
{
	struct stat	 st;
	struct pl_rec	 r;
	int		 lfd, fl;

	if (len == 0 || track(fd, &st) != K_FILE)
		return -1;
	if ((lfd = log_lock(st.st_dev, st.st_ino)) == -1)
		return -1;
	/* Under the lock: the size and contents no other writer moves. */
	if (fstat(fd, &st) == -1) {
		log_unlock(lfd);
		return -1;
	}
	if (off < 0) {
		fl = fcntl(fd, F_GETFL);
		off = fl != -1 && (fl & O_APPEND) ? (int64_t)st.st_size :
		    (int64_t)lseek(fd, 0, SEEK_CUR);
	}
	memset(&r, 0, sizeof(r));
	r.type = PL_WRITE;
	r.off = off;
	r.len = (int64_t)len;
	r.oldsize = (int64_t)st.st_size;
	r.oldlen = off < st.st_size ? (int64_t)st.st_size - off : 0;
	if (r.oldlen > (int64_t)len)
		r.oldlen = (int64_t)len;
	put_rec(lfd, &r, fd, off, r.oldlen);
	return lfd;
}

/* Record a change of fd's size to size (ftruncate, O_TRUNC). */
static void
note_trunc(int lfd, int fd, int64_t size)
{
	struct stat	 st;
	struct pl_rec	 r;

	if (fstat(fd, &st) == -1 || st.st_size == size)
		return;
	memset(&r, 0, sizeof(r));
	r.type = PL_TRUNC;
	r.off = size;
	r.oldsize = (int64_t)st.st_size;
	r.oldlen = st.st_size > size ? (int64_t)st.st_size - size : 0;
	put_rec(lfd, &r, fd, size, r.oldlen);
}

static size_t
iov_len(const struct iovec *iov, int n)
{
	size_t	 t = 0;
	int	 i;

	for (i = 0; i < n; i++)
		t += iov[i].iov_len;
	return t;
}

ssize_t
write(int fd, const void *p, size_t n)
{
	ssize_t	 rc;
	int	 lfd;

	REAL(write, write_f);
	lfd = before_write(fd, -1, n);
	rc = r_write(fd, p, n);
	log_unlock(lfd);
	return rc;
}

ssize_t
pwrite(int fd, const void *p, size_t n, off_t off)
{
	ssize_t	 rc;
	int	 lfd;

	REAL(pwrite, pwrite_f);
	lfd = before_write(fd, off, n);
	rc = r_pwrite(fd, p, n, off);
	log_unlock(lfd);
	return rc;
}

ssize_t
pwrite64(int fd, const void *p, size_t n, off_t off)
{
	ssize_t	 rc;
	int	 lfd;

	REAL(pwrite64, pwrite_f);
	lfd = before_write(fd, off, n);
	rc = r_pwrite64(fd, p, n, off);
	log_unlock(lfd);
	return rc;
}

ssize_t
writev(int fd, const struct iovec *iov, int cnt)
{
	ssize_t	 rc;
	int	 lfd;

	REAL(writev, writev_f);
	lfd = cnt > 0 ? before_write(fd, -1, iov_len(iov, cnt)) : -1;
	rc = r_writev(fd, iov, cnt);
	log_unlock(lfd);
	return rc;
}

ssize_t
pwritev(int fd, const struct iovec *iov, int cnt, off_t off)
{
	ssize_t	 rc;
	int	 lfd;

	REAL(pwritev, pwritev_f);
	lfd = cnt > 0 ? before_write(fd, off, iov_len(iov, cnt)) : -1;
	rc = r_pwritev(fd, iov, cnt, off);
	log_unlock(lfd);
	return rc;
}

ssize_t
pwritev64(int fd, const struct iovec *iov, int cnt, off_t off)
{
	ssize_t	 rc;
	int	 lfd;

	REAL(pwritev64, pwritev_f);
	lfd = cnt > 0 ? before_write(fd, off, iov_len(iov, cnt)) : -1;
	rc = r_pwritev64(fd, iov, cnt, off);
	log_unlock(lfd);
	return rc;
}

static int
trunc_common(ftruncate_f real, int fd, off_t size)
{
	struct stat	 st;
	int		 lfd = -1, rc;

	if (track(fd, &st) == K_FILE &&
	    (lfd = log_lock(st.st_dev, st.st_ino)) != -1)
		note_trunc(lfd, fd, (int64_t)size);
	rc = real(fd, size);
	log_unlock(lfd);
	return rc;
}

int
ftruncate(int fd, off_t size)
{
	REAL(ftruncate, ftruncate_f);
	return trunc_common(r_ftruncate, fd, size);
}

int
ftruncate64(int fd, off_t size)
{
	REAL(ftruncate64, ftruncate_f);
	return trunc_common(r_ftruncate64, fd, size);
}

/* The log's length now: what a sync starting now will cover. */
static int64_t
log_mark(const struct stat *st)
{
	struct stat	 ls;
	int		 lfd;
	int64_t		 len = -1;

	if ((lfd = log_lock(st->st_dev, st->st_ino)) == -1)
		return -1;
	if (fstat(lfd, &ls) == 0)
		len = (int64_t)ls.st_size;
	log_unlock(lfd);
	return len;
}

static void
log_synced(const struct stat *st, int64_t mark)
{
	struct pl_rec	 r;
	int		 lfd;

	if (mark <= 0 || (lfd = log_lock(st->st_dev, st->st_ino)) == -1)
		return;
	memset(&r, 0, sizeof(r));
	r.magic = PL_MAGIC;
	r.type = PL_SYNC;
	r.off = mark;
	r.ms = now_ms();
	(void)put(lfd, &r, sizeof(r));
	log_unlock(lfd);
}

static int
sync_common(fsync_f real, int fd)
{
	struct stat	 st;
	int64_t		 mark = -1;
	int		 rc;

	if (track(fd, &st) != K_NONE)
		mark = log_mark(&st);
	rc = real(fd);
	if (rc == 0 && mark > 0)
		log_synced(&st, mark);
	return rc;
}

int
fsync(int fd)
{
	REAL(fsync, fsync_f);
	return sync_common(r_fsync, fd);
}

int
fdatasync(int fd)
{
	REAL(fdatasync, fsync_f);
	return sync_common(r_fdatasync, fd);
}

/*
 * Record that name appeared in the directory holding path (canonical):
 * kind 'f', 'd' or 'r' (src: where it came from, saved: what it
 * replaced).  A new inode's stale log (its number reused) is dropped.
 */
static void
note_name(const char *path, int kind, const char *src, const char *saved,
    const struct stat *obj)
{
	char		 dir[PATH_MAX + 64], *extra;
	const char	*name;
	struct stat	 ds;
	struct pl_rec	 r;
	size_t		 n, cap;
	int		 lfd, w;

	if (!under_root(path) || strcmp(path, root) == 0)
		return;
	name = strrchr(path, '/') + 1;
	snprintf(dir, sizeof(dir), "%.*s", (int)(name - 1 - path), path);
	if (!under_root(dir) || stat(dir, &ds) == -1)
		return;
	if (kind != 'r' && obj != NULL) {
		/* dir is done with: it holds the stale log's name now. */
		log_path(dir, sizeof(dir), obj->st_dev, obj->st_ino);
		(void)unlink(dir);
	}
	/* On the heap: a worker thread's stack is small. */
	cap = strlen(name) + (src != NULL ? strlen(src) : 0) +
	    (saved != NULL ? strlen(saved) : 0) + 8;
	if ((extra = malloc(cap)) == NULL) {
		broken("out of memory");
		return;
	}
	w = snprintf(extra, cap, "%c%c%s%c%s%c%s%c", kind, 0, name, 0,
	    src != NULL ? src : "", 0, saved != NULL ? saved : "", 0);
	if (w < 0 || (size_t)w >= cap) {
		broken("name record too long: %s", path);
		free(extra);
		return;
	}
	n = (size_t)w;
	if ((lfd = log_lock(ds.st_dev, ds.st_ino)) != -1) {
		memset(&r, 0, sizeof(r));
		r.magic = PL_MAGIC;
		r.type = PL_NAME;
		r.extra = (int64_t)n;
		r.ms = now_ms();
		if (put(lfd, &r, sizeof(r)))
			(void)put(lfd, extra, n);
		log_unlock(lfd);
	}
	free(extra);
}

/*
 * The canonical path that (dirfd, path) names, for an object that may
 * not exist: its directory resolved, its last component kept.
 */
static int
resolve(int dirfd, const char *path, char *out, size_t outsz)
{
	struct bufs {
		char	 d[PATH_MAX], base[PATH_MAX], canon[PATH_MAX];
		char	 full[2 * PATH_MAX + 2];
	}		*b;
	const char	*slash;
	int		 ok = 0;

	/* On the heap: a worker thread's stack is small. */
	if ((b = malloc(sizeof(*b))) == NULL)
		return 0;
	if ((slash = strrchr(path, '/')) != NULL) {
		snprintf(b->base, sizeof(b->base), "%s", slash + 1);
		if (slash == path)
			snprintf(b->d, sizeof(b->d), "/");
		else
			snprintf(b->d, sizeof(b->d), "%.*s",
			    (int)(slash - path), path);
	} else {
		snprintf(b->base, sizeof(b->base), "%s", path);
		snprintf(b->d, sizeof(b->d), ".");
	}
	if (b->base[0] == '\0' || strcmp(b->base, ".") == 0 ||
	    strcmp(b->base, "..") == 0)
		goto out;
	if (b->d[0] == '/')
		snprintf(b->full, sizeof(b->full), "%s", b->d);
	else if (dirfd == AT_FDCWD) {
		if (getcwd(b->canon, sizeof(b->canon)) == NULL)
			goto out;
		snprintf(b->full, sizeof(b->full), "%s/%s", b->canon, b->d);
	} else {
		if (!fd_path(dirfd, b->canon, sizeof(b->canon)))
			goto out;
		snprintf(b->full, sizeof(b->full), "%s/%s", b->canon, b->d);
	}
	if (realpath(b->full, b->canon) == NULL)
		goto out;
	ok = snprintf(out, outsz, "%s/%s", strcmp(b->canon, "/") == 0 ? "" :
	    b->canon, b->base) < (int)outsz;
out:
	free(b);
	return ok;
}

/*
 * POWERLOSS_CREATE_DELAY="TEXT:MS": a process that created a file whose
 * name holds TEXT sleeps MS before it goes on.  Not part of the model:
 * it widens the instant between a file's creation and what its creator
 * does next, so that a race there shows every time (journal_race.sh).
 */
static void
creation_delay(const char *path)
{
	struct timespec	 ts;
	const char	*name = strrchr(path, '/');

	if (delay_ms <= 0 || delay_text[0] == '\0' ||
	    strstr(name != NULL ? name : path, delay_text) == NULL)
		return;
	ts.tv_sec = delay_ms / 1000;
	ts.tv_nsec = (delay_ms % 1000) * 1000000;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		continue;
}

/*
 * An open: before it, whether it will create the file and whether it
 * truncates one of ours (the old contents are recorded first); after
 * it, the new name and the descriptor's kind.
 */
static int
open_common(int dirfd, const char *path, int flags, mode_t mode,
    int (*real)(int, const char *, int, mode_t))
{
	struct stat	 st;
	char		 canon[PATH_MAX];
	int		 fd, created = 0, lfd = -1, ofd;

	if (!active)
		return real(dirfd, path, flags, mode);
	if ((flags & O_CREAT) && fstatat(dirfd, path, &st, 0) == -1 &&
	    errno == ENOENT)
		created = 1;
	if ((flags & O_TRUNC) && !created && (flags & O_ACCMODE) !=
	    O_RDONLY && (ofd = real(dirfd, path, O_RDONLY | O_CLOEXEC |
	    O_NOCTTY | O_NONBLOCK, 0)) != -1) {
		if (track(ofd, &st) == K_FILE &&
		    (lfd = log_lock(st.st_dev, st.st_ino)) != -1)
			note_trunc(lfd, ofd, 0);
		forget(ofd);
		raw_close(ofd);
	}
	fd = real(dirfd, path, flags, mode);
	log_unlock(lfd);
	if (fd == -1)
		return fd;
	forget(fd);
	if (track(fd, &st) == K_FILE && created && fd_path(fd, canon,
	    sizeof(canon))) {
		note_name(canon, 'f', NULL, NULL, &st);
		creation_delay(canon);
	}
	return fd;
}

static int
call_openat(int dirfd, const char *path, int flags, mode_t mode)
{
	REAL(openat, openat_f);
	return r_openat(dirfd, path, flags, mode);
}

static int
call_open(int dirfd, const char *path, int flags, mode_t mode)
{
	REAL(open, open_f);
	(void)dirfd;
	return r_open(path, flags, mode);
}

static int
call_openat64(int dirfd, const char *path, int flags, mode_t mode)
{
	REAL(openat64, openat_f);
	return r_openat64(dirfd, path, flags, mode);
}

static int
call_open64(int dirfd, const char *path, int flags, mode_t mode)
{
	REAL(open64, open_f);
	(void)dirfd;
	return r_open64(path, flags, mode);
}

#define MODE_ARG(flags, mode) do {					\
	va_list ap;							\
	mode = 0;							\
	if ((flags) & (O_CREAT | __O_TMPFILE)) {			\
		va_start(ap, flags);					\
		mode = (mode_t)va_arg(ap, int);				\
		va_end(ap);						\
	}								\
} while (0)

int
open(const char *path, int flags, ...)
{
	mode_t	 mode;

	MODE_ARG(flags, mode);
	return open_common(AT_FDCWD, path, flags, mode, call_open);
}

int
open64(const char *path, int flags, ...)
{
	mode_t	 mode;

	MODE_ARG(flags, mode);
	return open_common(AT_FDCWD, path, flags, mode, call_open64);
}

int
openat(int dirfd, const char *path, int flags, ...)
{
	mode_t	 mode;

	MODE_ARG(flags, mode);
	return open_common(dirfd, path, flags, mode, call_openat);
}

int
openat64(int dirfd, const char *path, int flags, ...)
{
	mode_t	 mode;

	MODE_ARG(flags, mode);
	return open_common(dirfd, path, flags, mode, call_openat64);
}

int
__open_2(const char *path, int flags)
{
	return open_common(AT_FDCWD, path, flags, 0, call_open);
}

int
__open64_2(const char *path, int flags)
{
	return open_common(AT_FDCWD, path, flags, 0, call_open64);
}

int
__openat_2(int dirfd, const char *path, int flags)
{
	return open_common(dirfd, path, flags, 0, call_openat);
}

int
__openat64_2(int dirfd, const char *path, int flags)
{
	return open_common(dirfd, path, flags, 0, call_openat64);
}

int
creat(const char *path, mode_t mode)
{
	return open_common(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode,
	    call_open);
}

int
creat64(const char *path, mode_t mode)
{
	return open_common(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode,
	    call_open64);
}

int
close(int fd)
{
	REAL(close, close_f);
	forget(fd);
	return r_close(fd);
}

int
dup2(int oldfd, int newfd)
{
	REAL(dup2, dup2_f);
	forget(newfd);
	return r_dup2(oldfd, newfd);
}

int
dup3(int oldfd, int newfd, int flags)
{
	REAL(dup3, dup3_f);
	forget(newfd);
	return r_dup3(oldfd, newfd, flags);
}

/*
 * A rename: the name it replaces is kept as a hard link in the log
 * directory (so that powercut can bring it back), and once it is done
 * the new name is recorded with where it came from.
 */
static int
rename_common(int ofd, const char *oldp, int nfd, const char *newp,
    unsigned int flags, int plain)
{
	struct names {
		char	 src[PATH_MAX], dst[PATH_MAX], saved[PATH_MAX + 64];
	}		*b = NULL;
	char		*src = NULL, *dst = NULL, *saved = NULL;
	struct stat	 st, obj;
	int		 rc, have_src = 0, have_dst = 0;

	/* On the heap: a worker thread's stack is small. */
	if (active && (b = malloc(sizeof(*b))) == NULL)
		broken("out of memory");
	if (b != NULL) {
		src = b->src;
		dst = b->dst;
		saved = b->saved;
		saved[0] = '\0';
		have_src = resolve(ofd, oldp, src, sizeof(b->src));
		have_dst = resolve(nfd, newp, dst, sizeof(b->dst));
	}
	if (have_dst && under_root(dst) && lstat(dst, &st) == 0 &&
	    S_ISREG(st.st_mode)) {
		snprintf(saved, sizeof(b->saved), "%s/saved/%ld-%u", logdir,
		    (long)getpid(), atomic_fetch_add(&saved_seq, 1));
		if (link(dst, saved) == -1) {
			broken("keeping %s: %s", dst, strerror(errno));
			saved[0] = '\0';
		}
	}
	if (plain) {
		REAL(rename, rename_f);
		rc = r_rename(oldp, newp);
	} else if (flags == 0) {
		REAL(renameat, renameat_f);
		rc = r_renameat(ofd, oldp, nfd, newp);
	} else {
		REAL(renameat2, renameat2_f);
		rc = r_renameat2(ofd, oldp, nfd, newp, flags);
	}
	if (rc == 0 && have_dst && under_root(dst) && lstat(dst, &obj) == 0)
		note_name(dst, 'r', have_src ? src : "", saved, &obj);
	else if (saved != NULL && saved[0] != '\0')
		(void)unlink(saved);
	free(b);
	return rc;
}

int
rename(const char *oldp, const char *newp)
{
	return rename_common(AT_FDCWD, oldp, AT_FDCWD, newp, 0, 1);
}

int
renameat(int ofd, const char *oldp, int nfd, const char *newp)
{
	return rename_common(ofd, oldp, nfd, newp, 0, 0);
}

int
renameat2(int ofd, const char *oldp, int nfd, const char *newp,
    unsigned int flags)
{
	return rename_common(ofd, oldp, nfd, newp, flags, 0);
}

static void
after_mkdir(int dirfd, const char *path)
{
	char		 canon[PATH_MAX];
	struct stat	 st;

	if (active && resolve(dirfd, path, canon, sizeof(canon)) &&
	    lstat(canon, &st) == 0)
		note_name(canon, 'd', NULL, NULL, &st);
}

int
mkdir(const char *path, mode_t mode)
{
	int	 rc;

	REAL(mkdir, mkdir_f);
	if ((rc = r_mkdir(path, mode)) == 0)
		after_mkdir(AT_FDCWD, path);
	return rc;
}

int
mkdirat(int dirfd, const char *path, mode_t mode)
{
	int	 rc;

	REAL(mkdirat, mkdirat_f);
	if ((rc = r_mkdirat(dirfd, path, mode)) == 0)
		after_mkdir(dirfd, path);
	return rc;
}

static void
register_pid(void)
{
	char	 path[PATH_MAX + 64];
	int	 fd;

	snprintf(path, sizeof(path), "%s/pids/%ld", logdir, (long)getpid());
	if ((fd = raw_open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) != -1)
		raw_close(fd);
	else
		broken("pid file %s: %s", path, strerror(errno));
}

/*
 * Wait until no log descriptor is open; forking stops new ones (fork()
 * does not wait for ever behind a stream of them).  forkmu stays held
 * until fork_parent() or fork_child().
 */
static void
fork_prepare(void)
{
	pthread_mutex_lock(&forkmu);
	forking++;
	while (nopen > 0)
		pthread_cond_wait(&forkcv, &forkmu);
}

static void
fork_parent(void)
{
	if (--forking == 0)
		pthread_cond_broadcast(&forkcv);
	pthread_mutex_unlock(&forkmu);
}

/*
 * Only the forking thread lives on here.  The condition variable may
 * still count waiters of threads the child does not have, which a
 * broadcast could wait for: it is made anew.  nopen is 0 already.
 */
static void
fork_child(void)
{
	forking = 0;
	pthread_cond_init(&forkcv, NULL);
	pthread_mutex_unlock(&forkmu);
	if (active)
		register_pid();
}

__attribute__((constructor)) static void
powerloss_init(void)
{
	const char		*r = getenv("POWERLOSS_ROOT");
	const char		*l = getenv("POWERLOSS_LOG");
	const char		*d = getenv("POWERLOSS_CREATE_DELAY");
	const char		*colon;
	char			 sub[PATH_MAX + 16];

	pthread_atfork(fork_prepare, fork_parent, fork_child);
	if (r == NULL || l == NULL || realpath(r, root) == NULL ||
	    realpath(l, logdir) == NULL)
		return;
	rootlen = strlen(root);
	if (d != NULL && (colon = strrchr(d, ':')) != NULL &&
	    (size_t)(colon - d) < sizeof(delay_text)) {
		memcpy(delay_text, d, (size_t)(colon - d));
		delay_text[colon - d] = '\0';
		delay_ms = atol(colon + 1);
	}
	snprintf(sub, sizeof(sub), "%s/pids", logdir);
	(void)mkdir(sub, 0700);
	snprintf(sub, sizeof(sub), "%s/saved", logdir);
	(void)mkdir(sub, 0700);
	active = 1;
	register_pid();
}
