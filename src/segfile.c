/*
 * segfile.c: files of state shared by every process of a host
 * (segfile.h).  Every size is fixed by the owner at compile time, so
 * nothing here resizes what another process has mapped.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "segfile.h"

/*
 * Read a small file whole into buf (NUL-terminated, trailing newline
 * dropped).  0 if it cannot be read.
 */
static int
read_small(const char *path, char *buf, size_t bufsz)
{
	ssize_t	 n;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, buf, bufsz - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if (buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return 1;
}

/*
 * Field 22 of /proc/<pid>/stat.  The second field is the command in
 * parentheses and may hold spaces or ')', so the fields are counted
 * from the last ')'.
 */
uint64_t
segfile_proc_start(pid_t pid, char *state)
{
	char		 path[64], buf[1024], *p;
	int		 field;

	*state = '?';
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if (!read_small(path, buf, sizeof(buf)) ||
	    (p = strrchr(buf, ')')) == NULL)
		return 0;
	if (p[1] == ' ')
		*state = p[2];
	/* p is at the end of field 2; field 3 starts after a space. */
	for (field = 2; field < 22 && *p != '\0'; p++)
		if (*p == ' ')
			field++;
	return field == 22 ? strtoull(p, NULL, 10) : 0;
}

int
segfile_proc_alive(pid_t pid, uint64_t start)
{
	char	 state;

	if (pid <= 0)
		return 0;
	return segfile_proc_start(pid, &state) == start && state != 'Z';
}

/* Our boot id (36 characters), "" when the system does not tell. */
static void
boot_id(char *out)
{
	if (!read_small("/proc/sys/kernel/random/boot_id", out,
	    SEGFILE_BOOT_ID_LEN))
		out[0] = '\0';
}

/* Whether the header is one this layout wrote during this boot. */
static int
hdr_current(const struct segfile_hdr *h, uint64_t magic, uint32_t version,
    size_t size, const char *boot)
{
	if (__atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) != magic ||
	    h->version != version || h->size != size)
		return 0;
	return boot[0] == '\0' || strncmp(h->boot_id, boot,
	    SEGFILE_BOOT_ID_LEN) == 0;
}

/*
 * Zero the segment, let the owner initialize it, then write the header
 * with the magic last: a process dying halfway leaves a file the next
 * opener rebuilds.
 */
static int
rebuild(void *map, size_t size, uint64_t magic, uint32_t version,
    const char *boot, segfile_init_fn init, void *arg)
{
	struct segfile_hdr	*h = map;

	memset(map, 0, size);
	if (init != NULL && !init(map, arg))
		return 0;
	h->version = version;
	h->size = size;
	snprintf(h->boot_id, sizeof(h->boot_id), "%s", boot);
	__atomic_store_n(&h->magic, magic, __ATOMIC_RELEASE);
	return 1;
}

enum vn_err
segfile_map(const char *database, const char *suffix, size_t size,
    uint64_t magic, uint32_t version, segfile_init_fn init, void *arg,
    void **out, char *err, size_t errsz)
{
	struct stat	 st;
	void		*map = MAP_FAILED;
	char		 path[PATH_MAX], boot[SEGFILE_BOOT_ID_LEN];
	const char	*what = NULL;
	enum vn_err	 rc = VN_ESYS;
	int		 fd = -1;

	*out = NULL;
	if (database == NULL || database[0] != '/') {
		snprintf(err, errsz, "%s: the database path must be "
		    "absolute", suffix);
		return VN_ECONFIG;
	}
	if (snprintf(path, sizeof(path), "%s%s", database, suffix) >=
	    (int)sizeof(path)) {
		snprintf(err, errsz, "%s%s: path too long", database, suffix);
		return VN_ECONFIG;
	}
	boot_id(boot);
	/* One opener at a time checks, and if need be rebuilds, the file. */
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600)) == -1)
		what = "open";
	else if (flock(fd, LOCK_EX) == -1)
		what = "flock";
	else if (fstat(fd, &st) == -1)
		what = "fstat";
	else if (st.st_size != (off_t)size && ftruncate(fd, (off_t)size) == -1)
		what = "ftruncate";
	else if ((map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
	    fd, 0)) == MAP_FAILED)
		what = "mmap";
	/*
	 * A file of another size is rebuilt even when its header looks
	 * right: what was cut off or added (a mutex, say) is zeroes.
	 */
	else if ((st.st_size != (off_t)size ||
	    !hdr_current(map, magic, version, size, boot)) &&
	    !rebuild(map, size, magic, version, boot, init, arg)) {
		what = "initialize";
		errno = EINVAL;
	}
	if (what != NULL) {
		snprintf(err, errsz, "%s: %s: %s", path, what,
		    strerror(errno));
		goto out;
	}
	*out = map;
	map = MAP_FAILED;
	rc = VN_OK;
out:
	if (map != MAP_FAILED)
		munmap(map, size);
	/*
	 * Unlock by hand: the mapping holds the open file description,
	 * and with it the flock, until munmap, whatever close() does.
	 */
	if (fd != -1) {
		flock(fd, LOCK_UN);
		close(fd);
	}
	return rc;
}

void
segfile_unmap(void *map, size_t size)
{
	if (map != NULL)
		munmap(map, size);
}
