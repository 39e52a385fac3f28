/*
 * admin_guard.c: slow down whoever fails admin authentication.  Each
 * source address hashes to one slot of a table mapped shared from
 * "<database>.adminguard" by every worker: the key (the address's
 * 64-bit hash), when its window began, its failures in that window.
 * An address past ADMIN_GUARD_FAILS failures in ADMIN_GUARD_WINDOW
 * seconds gets 429 before its key is even looked at, until the window
 * ends.
 *
 * The memory is bounded (ADMIN_GUARD_SLOTS slots) whatever the number
 * of addresses: an address that lands on a busy slot takes it over.
 * Updates are atomic per field, not per slot: two workers failing the
 * same address at the same instant may lose a count, which only makes
 * the limit a little looser.  Nothing here decides whether a key is
 * good; at worst a collision delays a legitimate address for a minute.
 * A process that cannot map the file keeps a table of its own (the
 * limit is then per worker).
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "admin_guard.h"
#include "auth.h"
#include "cfg.h"
#include "ctx.h"
#include "fault.h"
#include "log.h"

struct slot {
	uint64_t	 key;
	uint32_t	 start;		/* the window's first second */
	uint32_t	 fails;
};

static pthread_mutex_t	 map_mu = PTHREAD_MUTEX_INITIALIZER;
static struct slot	*table;
static struct slot	 own[ADMIN_GUARD_SLOTS];	/* if no file */

/* Map the shared table once per process; own[] if that fails. */
static struct slot *
guard_table(const char *database)
{
	char		 path[4096];
	struct stat	 st;
	size_t		 sz = sizeof(struct slot) * ADMIN_GUARD_SLOTS;
	void		*p = MAP_FAILED;
	int		 fd;

	pthread_mutex_lock(&map_mu);
	if (table != NULL)
		goto out;
	table = own;
	if (snprintf(path, sizeof(path), "%s" ADMIN_GUARD_SUFFIX,
	    database) >= (int)sizeof(path))
		goto out;
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0640)) == -1) {
		log_warn("%s: %s; failed admin authentications are counted "
		    "per worker", path, strerror(errno));
		goto out;
	}
	/* Never map past the end: a read there is SIGBUS. */
	if (fstat(fd, &st) == 0 && (st.st_size >= (off_t)sz ||
	    ftruncate(fd, (off_t)sz) == 0))
		p = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p != MAP_FAILED)
		table = p;
out:
	pthread_mutex_unlock(&map_mu);
	return table;
}

static uint64_t
hash(const char *s)
{
	uint64_t	 h = 14695981039346656037ull;	/* FNV-1a */

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h | 1;	/* 0 is a free slot */
}

/*
 * Seconds addr must wait before its next admin request is looked at,
 * or 0.  Pure but for the table.
 */
long
admin_guard_check(const char *database, const char *addr)
{
	struct slot	*s;
	uint64_t	 h = hash(addr != NULL ? addr : "");
	uint32_t	 now = (uint32_t)time(NULL), start;

	s = &guard_table(database)[h % ADMIN_GUARD_SLOTS];
	if (__atomic_load_n(&s->key, __ATOMIC_ACQUIRE) != h)
		return 0;
	start = __atomic_load_n(&s->start, __ATOMIC_ACQUIRE);
	if (now - start >= ADMIN_GUARD_WINDOW ||
	    __atomic_load_n(&s->fails, __ATOMIC_ACQUIRE) < ADMIN_GUARD_FAILS)
		return 0;
	return (long)(start + ADMIN_GUARD_WINDOW - now);
}

/* Count a failed admin authentication from addr. */
void
admin_guard_fail(const char *database, const char *addr)
{
	struct slot	*s;
	uint64_t	 h = hash(addr != NULL ? addr : "");
	uint32_t	 now = (uint32_t)time(NULL);

	s = &guard_table(database)[h % ADMIN_GUARD_SLOTS];
	if (__atomic_load_n(&s->key, __ATOMIC_ACQUIRE) != h ||
	    now - __atomic_load_n(&s->start, __ATOMIC_ACQUIRE) >=
	    ADMIN_GUARD_WINDOW) {
		__atomic_store_n(&s->fails, 1, __ATOMIC_RELEASE);
		__atomic_store_n(&s->start, now, __ATOMIC_RELEASE);
		__atomic_store_n(&s->key, h, __ATOMIC_RELEASE);
		return;
	}
	__atomic_add_fetch(&s->fails, 1, __ATOMIC_ACQ_REL);
}

/*
 * Authenticate an Admin API request.  An address that failed too
 * often lately is refused before its key is looked at (admin_guard.c);
 * each failure is logged with the address, never the key.  c's store
 * and pepper check the key; c->who gets the principal.
 */
enum vn_err
admin_guard_auth(struct ctx *c, const char *authorization)
{
	const char	*addr = c->remote_addr != NULL ? c->remote_addr : "-";
	long		 wait;
	enum vn_err	 rc;

	if ((wait = admin_guard_check(c->cfg->database, addr)) > 0) {
		c->fault.retry_after = wait;
		/* Debug only: a flood of these would flood the log. */
		log_debug("admin authentication from %s refused: too many "
		    "failures, retry in %lds", addr, wait);
		return fault_set(&c->fault, VN_ELIMIT, NULL,
		    "rate_limit_exceeded", "Too many failed authentications "
		    "from your address. Please try again in %lds.", wait);
	}
	rc = auth_check(c->store, c->pepper, authorization, &c->who);
	if (rc == VN_EAUTH || rc == VN_ENOKEY) {
		admin_guard_fail(c->cfg->database, addr);
		log_warn("admin authentication failed from %s (%s)", addr,
		    rc == VN_ENOKEY ? "no key" : "bad key");
	}
	return rc;
}
