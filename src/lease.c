/*
 * lease.c: lease owners and their sign of life (lease.h).
 *
 * The owner file is created and locked before the owner takes any
 * lease, and removed only after its holder stopped taking them, so:
 * the file is missing or its lock is grantable -> the owner is dead (or
 * finished, having released its leases; taking over a released lease is
 * harmless).  A process has one owner identity; a forked child must
 * call lease_owner_begin() again, since the lock it inherits is its
 * parent's.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "ids.h"
#include "lease.h"
#include "log.h"

/*
 * The owner name is read by request and background threads (through
 * lease_owner(), for as long as a request or a run lasts) while the
 * main thread may stop being an owner under them: the drain timeout
 * leaves with threads still running.  So the name's storage is written
 * only by lease_owner_begin(), before the process starts the threads
 * that read it, and never cleared; lease_owner_end() only swings the
 * published pointer back to "".  A thread holding the old pointer
 * still reads the whole name, whose file is gone: to everyone else,
 * that owner is dead, which is the truth.
 */
static char			 own_buf[LEASE_OWNER_LEN + 1];
static _Atomic(const char *)	 own_name = "";
static char			 own_path[4200];
static int			 own_fd = -1;

/* The directory of owner files, next to the database. */
static int
lease_dir(const struct cfg *cfg, char *out, size_t outsz)
{
	char	 tmp[4096];

	if (snprintf(tmp, sizeof(tmp), "%s", cfg->database) >=
	    (int)sizeof(tmp))
		return 0;
	return snprintf(out, outsz, "%s/leases", dirname(tmp)) < (int)outsz;
}

/* An owner name is ours to build paths from: [A-Za-z0-9_] only. */
static int
owner_name_ok(const char *s)
{
	size_t	 n;

	for (n = 0; s[n] != '\0'; n++)
		if (n >= LEASE_OWNER_LEN || !((s[n] >= 'a' && s[n] <= 'z') ||
		    (s[n] >= 'A' && s[n] <= 'Z') ||
		    (s[n] >= '0' && s[n] <= '9') || s[n] == '_'))
			return 0;
	return n > 0;
}

/*
 * Become an owner named "<prefix>_<pid>_<random>".  prefix is a short
 * constant of ours ("run", "wrk").  Replaces an identity inherited
 * across fork().  Call it before starting the threads that use
 * lease_owner(): it rewrites the name they would read.
 */
enum vn_err
lease_owner_begin(const struct cfg *cfg, const char *prefix)
{
	char	 dir[4096], tmp[4200], rnd[9];
	int	 fd;

	if (own_fd != -1)
		close(own_fd);	/* the parent's; never unlink it */
	own_fd = -1;
	atomic_store(&own_name, "");
	if (!lease_dir(cfg, dir, sizeof(dir)))
		return VN_ECONFIG;
	if (mkdir(dir, 0750) == -1 && errno != EEXIST) {
		log_error("lease directory %s: %s", dir, strerror(errno));
		return VN_ESYS;
	}
	ids_random(rnd, 8);
	rnd[8] = '\0';
	if (snprintf(own_buf, sizeof(own_buf), "%s_%ld_%s", prefix,
	    (long)getpid(), rnd) >= (int)sizeof(own_buf) ||
	    !owner_name_ok(own_buf))
		return VN_EINVAL;
	/*
	 * Locked under a hidden name, then renamed: the owner's name never
	 * refers to an unlocked file, which a checker would take for dead.
	 */
	snprintf(tmp, sizeof(tmp), "%s/.%s", dir, own_buf);
	snprintf(own_path, sizeof(own_path), "%s/%s", dir, own_buf);
	fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd == -1) {
		log_error("lease owner %s: %s", tmp, strerror(errno));
		return VN_ESYS;
	}
	if (flock(fd, LOCK_SH) == -1 || rename(tmp, own_path) == -1) {
		log_error("lease owner %s: %s", own_path, strerror(errno));
		close(fd);
		(void)unlink(tmp);
		return VN_ESYS;
	}
	own_fd = fd;
	atomic_store(&own_name, own_buf);
	return VN_OK;
}

/*
 * This process's owner name; "" before lease_owner_begin() and after
 * lease_owner_end().  The string stays as it is after the end.
 */
const char *
lease_owner(void)
{
	return atomic_load(&own_name);
}

/*
 * Stop being an owner; call after releasing every lease.  Threads may
 * still be reading the name: it is unpublished, not cleared.
 */
void
lease_owner_end(void)
{
	if (own_fd == -1)
		return;
	atomic_store(&own_name, "");
	(void)unlink(own_path);
	close(own_fd);
	own_fd = -1;
}

/*
 * Whether the named owner is gone: 1 when its file is missing or its
 * lock is free (the file is then removed), 0 while it lives or when in
 * doubt (a name that is not ours, an I/O error), so that doubt only
 * delays a takeover until the lease expires.
 */
int
lease_owner_dead(const struct cfg *cfg, const char *owner)
{
	char	 dir[4096], path[4200];
	int	 fd, dead;

	if (owner == NULL || !owner_name_ok(owner) ||
	    strcmp(owner, lease_owner()) == 0 ||
	    !lease_dir(cfg, dir, sizeof(dir)))
		return 0;
	snprintf(path, sizeof(path), "%s/%s", dir, owner);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return errno == ENOENT;
	/* An owner holds LOCK_SH for life: if ours is granted, it is gone. */
	dead = flock(fd, LOCK_EX | LOCK_NB) == 0;
	if (dead)
		(void)unlink(path);
	close(fd);
	return dead;
}
