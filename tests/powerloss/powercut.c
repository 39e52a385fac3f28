/*
 * powercut: what a disk holds after a power cut, made from the undo
 * logs that powerloss.so kept (plog.h) while the processes under test
 * ran.  Run once they are all dead (SIGKILL):
 *
 *	powercut [-a|-z] [-n] [-s SEED] [-t PCT] [-T MS] LOGDIR ROOT
 *	powercut -S LOGDIR
 *
 * For each file under ROOT, independently (a power cut does not stop
 * every file's writeback at the same write), a random number k of its
 * unsynced writes is kept, 0 to all of them, and the rest undone, the
 * latest first: the file then holds its last synced state plus the
 * first k writes made since, as if the page cache had been written back
 * in order up to that point and lost after.  With -t PCT, in PCT of the
 * files the last write kept is torn: only a random prefix of its bytes
 * reached the disk.  -z keeps no unsynced write anywhere (all of the
 * page cache lost), -a keeps them all (a crash of the processes only).
 *
 * With -n, names too: in each directory, a random prefix of the names
 * added since the directory's last fsync (files created, directories
 * made, renames into it) is kept and the rest undone: a created file
 * or made directory disappears with what it holds, a renamed file goes
 * back to its old name and the file it replaced comes back.  Without
 * -n every name is durable at once.  Removals are always durable.
 *
 * One line per file touched goes to stdout, "# "-prefixed for TAP; with
 * -T (when the power went, in ms since the epoch) it says how long
 * before that the file's oldest unsynced write and its last sync were.  The
 * logs are then emptied: the tree as left is the new synced state.
 * -S only empties the logs (a sync(1) of everything so far).
 *
 * Refuses (exit 2) when powerloss.so noted that it lost track
 * (LOGDIR/BROKEN): a cut from an incomplete log would prove nothing.
 */
#define _GNU_SOURCE
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plog.h"

enum keep {
	KEEP_RANDOM,
	KEEP_ALL,
	KEEP_NONE,
};

struct obj {
	dev_t	 dev;
	ino_t	 ino;
	mode_t	 mode;
	char	*path;
};

struct rec {
	struct pl_rec	 h;
	const char	*extra;
	int64_t		 pos;	/* where it starts in its log */
};

static struct obj	*objs;
static size_t		 nobjs, capobjs;
static uint64_t		 rng;
static int		 failed;
static int64_t		 cut_ms;		/* -T */
static int64_t		 last_sync;	/* of the log read last, ms */

/* splitmix64: small, seeded, the same sequence everywhere. */
static uint64_t
rnd(void)
{
	uint64_t	 z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void
fail(const char *what, const char *path)
{
	fprintf(stderr, "powercut: %s %s: %s\n", what, path, strerror(errno));
	failed = 1;
}

static int
walk_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)flag;
	(void)f;
	if (nobjs == capobjs) {
		capobjs = capobjs ? 2 * capobjs : 256;
		if ((objs = realloc(objs, capobjs * sizeof(*objs))) == NULL)
			return -1;
	}
	objs[nobjs].dev = st->st_dev;
	objs[nobjs].ino = st->st_ino;
	objs[nobjs].mode = st->st_mode;
	if ((objs[nobjs].path = strdup(path)) == NULL)
		return -1;
	nobjs++;
	return 0;
}

static const struct obj *
find(dev_t dev, ino_t ino)
{
	size_t	 i;

	for (i = 0; i < nobjs; i++)
		if (objs[i].dev == dev && objs[i].ino == ino)
			return &objs[i];
	return NULL;
}

static char *
slurp(const char *path, size_t *len)
{
	struct stat	 st;
	char		*buf = NULL;
	ssize_t		 got;
	size_t		 off = 0;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1 ||
	    (buf = malloc((size_t)st.st_size + 1)) == NULL) {
		fail("reading", path);
		if (fd != -1)
			close(fd);
		return NULL;
	}
	while (off < (size_t)st.st_size && (got = read(fd, buf + off,
	    (size_t)st.st_size - off)) > 0)
		off += (size_t)got;
	close(fd);
	*len = off;
	return buf;
}

/*
 * The records of a log that came after its last sync, in order, into
 * *out (pointing into buf).  A record cut short at the end was being
 * written when its process died, before the operation it describes:
 * it is dropped.  Returns how many.
 */
static size_t
unsynced(const char *buf, size_t len, struct rec **out)
{
	struct pl_rec	 h;
	struct rec	*v = NULL;
	size_t		 pos, n = 0, cap = 0, i, k;
	int64_t		 synced = 0;

	last_sync = 0;
	for (pos = 0; pos + sizeof(h) <= len; ) {
		memcpy(&h, buf + pos, sizeof(h));
		if (h.magic != PL_MAGIC || h.extra < 0 ||
		    (uint64_t)h.extra > len - pos - sizeof(h))
			break;
		if (h.type == PL_SYNC) {
			if (h.off > synced)
				synced = h.off;
			if (h.ms > last_sync)
				last_sync = h.ms;
		} else {
			if (n == cap) {
				cap = cap ? 2 * cap : 64;
				if ((v = realloc(v, cap * sizeof(*v))) ==
				    NULL) {
					fprintf(stderr, "powercut: out of "
					    "memory\n");
					exit(2);
				}
			}
			v[n].h = h;
			v[n].extra = buf + pos + sizeof(h);
			v[n].pos = (int64_t)pos;
			n++;
		}
		pos += sizeof(h) + (size_t)h.extra;
	}
	for (i = k = 0; i < n; i++)
		if (v[i].pos >= synced)
			v[k++] = v[i];
	*out = v;
	return k;
}

static size_t
choose(enum keep keep, size_t m)
{
	switch (keep) {
	case KEEP_ALL:
		return m;
	case KEEP_NONE:
		return 0;
	default:
		return (size_t)(rnd() % (m + 1));
	}
}

static int
put_at(int fd, const char *p, int64_t n, int64_t off)
{
	ssize_t	 w;

	while (n > 0) {
		if ((w = pwrite(fd, p, (size_t)n, (off_t)off)) <= 0)
			return 0;
		p += w;
		n -= w;
		off += w;
	}
	return 1;
}

/* Undo one data record: the file as it was just before it. */
static int
undo_data(int fd, const struct rec *r)
{
	if (r->h.type == PL_WRITE)
		return put_at(fd, r->extra, r->h.oldlen, r->h.off) &&
		    ftruncate(fd, (off_t)r->h.oldsize) == 0;
	if (r->h.type == PL_TRUNC)
		return ftruncate(fd, (off_t)r->h.oldsize) == 0 &&
		    put_at(fd, r->extra, r->h.oldlen, r->h.off);
	return 1;
}

/*
 * Tear write r (the last one kept): its first t bytes reached the disk,
 * the rest did not.
 */
static int
tear(int fd, const struct rec *r, int64_t t)
{
	int64_t	 from = r->h.off + t, end = r->h.off + r->h.oldlen;

	if (from < end && !put_at(fd, r->extra + t, end - from, from))
		return 0;
	if (r->h.off + r->h.len > r->h.oldsize)
		return ftruncate(fd, (off_t)(from > r->h.oldsize ? from :
		    r->h.oldsize)) == 0;
	return 1;
}

/* With -T: how old the oldest unsynced record and the last sync were. */
static void
ages(int64_t oldest)
{
	if (cut_ms == 0)
		return;
	printf(" (unsynced since %" PRId64 " ms before the cut", cut_ms -
	    oldest);
	if (last_sync > 0)
		printf(", last synced %" PRId64 " ms before", cut_ms -
		    last_sync);
	printf(")");
}

static const char *
rel(const char *path, const char *top)
{
	size_t	 n = strlen(top);

	return strncmp(path, top, n) == 0 && path[n] == '/' ? path + n + 1 :
	    path;
}

static void
cut_file(const struct obj *o, const char *buf, size_t len, enum keep keep,
    int torn_pct, const char *top)
{
	struct rec	*v = NULL;
	size_t		 m, k, i;
	int64_t		 t = -1;
	int		 fd;

	if ((m = unsynced(buf, len, &v)) == 0)
		goto out;
	k = choose(keep, m);
	if ((fd = open(o->path, O_RDWR | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		fail("opening", o->path);
		goto out;
	}
	for (i = m; i > k; i--)
		if (!undo_data(fd, &v[i - 1]))
			fail("undoing a write to", o->path);
	if (k > 0 && keep == KEEP_RANDOM && v[k - 1].h.type == PL_WRITE &&
	    v[k - 1].h.len > 1 && (int)(rnd() % 100) < torn_pct) {
		t = 1 + (int64_t)(rnd() % (uint64_t)(v[k - 1].h.len - 1));
		if (!tear(fd, &v[k - 1], t))
			fail("tearing a write to", o->path);
	}
	close(fd);
	printf("# powercut: %s: %zu of %zu unsynced writes kept", rel(o->path,
	    top), k, m);
	if (t >= 0)
		printf(", the last torn after %" PRId64 " of its %" PRId64
		    " bytes", t, v[k - 1].h.len);
	ages(v[0].h.ms);
	printf("\n");
out:
	free(v);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	if ((flag == FTW_DP ? rmdir(path) : unlink(path)) == -1 &&
	    errno != ENOENT)
		fail("removing", path);
	return 0;
}

/* Undo one name: the directory as it was just before it appeared. */
static void
undo_name(const char *dir, const struct rec *r)
{
	const char	*kind = r->extra, *name, *src, *saved;
	char		 path[PATH_MAX];
	struct stat	 st;

	name = kind + strlen(kind) + 1;
	src = name + strlen(name) + 1;
	saved = src + strlen(src) + 1;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (lstat(path, &st) == -1)
		return;		/* removed since: removals are durable */
	switch (kind[0]) {
	case 'f':
		if (unlink(path) == -1)
			fail("unlinking", path);
		break;
	case 'd':
		(void)nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
		break;
	case 'r':
		/* Back where it came from; gone if that is gone too. */
		if ((src[0] == '\0' || rename(path, src) == -1) &&
		    unlink(path) == -1)
			fail("unrenaming", path);
		if (saved[0] != '\0' && link(saved, path) == -1)
			fail("restoring", path);
		break;
	}
}

static void
cut_dir(const struct obj *o, const char *buf, size_t len, enum keep keep,
    const char *top)
{
	struct rec	*v = NULL;
	size_t		 m, k, i;

	if ((m = unsynced(buf, len, &v)) == 0)
		goto out;
	k = choose(keep, m);
	for (i = m; i > k; i--)
		if (v[i - 1].h.type == PL_NAME && v[i - 1].h.extra > 0 &&
		    v[i - 1].extra[v[i - 1].h.extra - 1] == '\0')
			undo_name(o->path, &v[i - 1]);
	printf("# powercut: %s/: %zu of %zu unsynced names kept",
	    rel(o->path, top), k, m);
	ages(v[0].h.ms);
	printf("\n");
out:
	free(v);
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Empty the log directory: its logs, pids and saved files. */
static void
settle(const char *logdir)
{
	char	 path[PATH_MAX];

	snprintf(path, sizeof(path), "%s", logdir);
	(void)nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	if (mkdir(logdir, 0700) == -1)
		fail("making", logdir);
	snprintf(path, sizeof(path), "%s/pids", logdir);
	(void)mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/saved", logdir);
	(void)mkdir(path, 0700);
}

static void
usage(void)
{
	fprintf(stderr, "usage: powercut [-a|-z] [-n] [-s seed] [-t pct] "
	    "[-T ms] logdir root\n       powercut -S logdir\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct dirent	 *de;
	struct stat	  st;
	DIR		 *d;
	char		**names = NULL, path[PATH_MAX], top[PATH_MAX];
	char		 *buf, *end;
	const struct obj *o;
	uintmax_t	  dev, ino;
	size_t		  n = 0, cap = 0, len, i;
	enum keep	  keep = KEEP_RANDOM;
	int		  ch, names_too = 0, torn = 0, only_settle = 0;

	while ((ch = getopt(argc, argv, "anSs:T:t:z")) != -1)
		switch (ch) {
		case 'a':
			keep = KEEP_ALL;
			break;
		case 'n':
			names_too = 1;
			break;
		case 'S':
			only_settle = 1;
			break;
		case 's':
			rng = strtoull(optarg, &end, 10);
			if (*end != '\0')
				usage();
			break;
		case 'T':
			cut_ms = strtoll(optarg, &end, 10);
			if (*end != '\0')
				usage();
			break;
		case 't':
			torn = atoi(optarg);
			break;
		case 'z':
			keep = KEEP_NONE;
			break;
		default:
			usage();
		}
	argc -= optind;
	argv += optind;
	if (only_settle) {
		if (argc != 1)
			usage();
		settle(argv[0]);
		return failed;
	}
	if (argc != 2)
		usage();
	snprintf(path, sizeof(path), "%s/BROKEN", argv[0]);
	if (stat(path, &st) == 0) {
		fprintf(stderr, "powercut: the log lost track; see %s:\n",
		    path);
		if ((buf = slurp(path, &len)) != NULL)
			fwrite(buf, 1, len, stderr);
		free(buf);
		return 2;
	}
	if (realpath(argv[1], top) == NULL) {
		fail("resolving", argv[1]);
		return 2;
	}
	if (nftw(top, walk_one, 16, FTW_PHYS) == -1) {
		fail("walking", top);
		return 2;
	}
	if ((d = opendir(argv[0])) == NULL) {
		fail("opening", argv[0]);
		return 2;
	}
	/* Sorted: the same seed cuts the same way. */
	while ((de = readdir(d)) != NULL) {
		if (sscanf(de->d_name, "%ju-%ju", &dev, &ino) != 2)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			if ((names = realloc(names, cap * sizeof(*names))) ==
			    NULL)
				return 2;
		}
		if ((names[n++] = strdup(de->d_name)) == NULL)
			return 2;
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), by_name);
	/* Contents first, then names: a file may go with its name. */
	for (ch = 0; ch < 2; ch++)
		for (i = 0; i < n; i++) {
			(void)sscanf(names[i], "%ju-%ju", &dev, &ino);
			if ((o = find((dev_t)dev, (ino_t)ino)) == NULL)
				continue;	/* removed: durable */
			if ((ch == 0) != S_ISREG(o->mode) ||
			    (ch == 1 && (!names_too || !S_ISDIR(o->mode))))
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[0],
			    names[i]);
			if ((buf = slurp(path, &len)) == NULL)
				continue;
			if (ch == 0)
				cut_file(o, buf, len, keep, torn, top);
			else
				cut_dir(o, buf, len, keep, top);
			free(buf);
		}
	settle(argv[0]);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	for (i = 0; i < nobjs; i++)
		free(objs[i].path);
	free(objs);
	return failed ? 1 : 0;
}
