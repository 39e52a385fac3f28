/*
 * auth.c: verify a workspace key or an admin key (apikey.h: the prefix
 * tells the kind, each kind has its table, both are hashed alike).  The order of the checks is the point
 * (reliability.md §2b):
 *   1. the header's shape and the key's checksum, with no database read,
 *      so junk costs nothing;
 *   2. the row, by the public id;
 *   3. the keyed hash, compared in constant time.
 * An unknown id still hashes and compares against a dummy, so an unknown
 * id and a wrong secret take the same time.  Nothing here logs a key.
 *
 * The row read in step 2 is kept in a small per-process table, which
 * spares most requests a database read; the hash is still compared
 * every time.  A cached row is used only while two things hold:
 *   - the key generation has not moved since the row was read.  It is a
 *     counter in "<database>.keygen", mapped shared by every process,
 *     that "vennactl key revoke" bumps right after its commit.  So a
 *     revoked key is refused by the very next request on every worker.
 *     Checking it costs one atomic load from a shared page: no system
 *     call, no lock, no database;
 *   - the row is younger than CACHE_MS, for changes made behind
 *     vennactl's back (an UPDATE in sqlite3(1)).
 * A process that cannot map the counter does not cache at all: every
 * request then reads its key's row, slower but never stale.
 *
 * Archiving a workspace, deleting a key or a service account through
 * the Admin API bump the same counter (admin_*.c): a workspace key's
 * row reads as revoked once its workspace is archived.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "auth.h"
#include "clock.h"
#include "db.h"
#include "log.h"
#include "store.h"

/* last_used_at is refreshed at most this often: it costs a write. */
#define TOUCH_INTERVAL	60
#define CACHE_SLOTS	1024
/* A cached key row is trusted this long (auth.h). */
#define CACHE_MS	AUTH_CACHE_MS

/* A key's row as last read; found tells whether there was one. */
struct keyrow {
	char		 id[APIKEY_ID_LEN + 1];
	unsigned char	 hash[APIKEY_HASH_LEN];
	char		 workspace_id[WS_ID_LEN + 1];
	enum apikey_kind kind;
	int		 found;
	int		 revoked;
	int64_t		 last_used;
	long long	 read_ms;
	uint32_t	 gen;		/* the key generation before the read */
};

static pthread_mutex_t	 cache_mu = PTHREAD_MUTEX_INITIALIZER;
static struct keyrow	 cache[CACHE_SLOTS];

/*
 * The key generation of this process: gen_state is 0 until the first
 * lookup maps the counter, then 1 (gen_word usable) or -1 (no cache).
 * 32 bits so that every platform loads it atomically; it only ever has
 * to differ from the value a row was read under.
 */
static pthread_mutex_t	 gen_mu = PTHREAD_MUTEX_INITIALIZER;
static atomic_int	 gen_state;
static const uint32_t	*gen_word;

static int
keygen_path(const char *database, char *out, size_t outsz)
{
	return snprintf(out, outsz, "%s" AUTH_KEYGEN_SUFFIX, database) <
	    (int)outsz;
}

/*
 * Open the counter file of database, creating it (zero) when missing,
 * and map it; writable asks for a writable mapping.  Returns the word
 * or NULL with errno set.
 */
static uint32_t *
keygen_map(const char *database, int writable)
{
	char		 path[4096];
	struct stat	 st;
	void		*p = MAP_FAILED;
	int		 fd, saved;

	if (!keygen_path(database, path, sizeof(path))) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd == -1 && errno == EACCES && !writable)
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1)
		return NULL;
	/* Never map past the end: a read there is SIGBUS. */
	if (fstat(fd, &st) == -1 || (st.st_size < (off_t)sizeof(uint32_t) &&
	    ftruncate(fd, sizeof(uint32_t)) == -1))
		goto out;
	p = mmap(NULL, sizeof(uint32_t), writable ? PROT_READ | PROT_WRITE :
	    PROT_READ, MAP_SHARED, fd, 0);
out:
	saved = errno;
	close(fd);
	errno = saved;
	return p == MAP_FAILED ? NULL : p;
}

/* Map the counter once per process, on the first lookup. */
static void
keygen_open(struct db *db)
{
	const char	*path;

	if (atomic_load(&gen_state) != 0)
		return;
	pthread_mutex_lock(&gen_mu);
	if (atomic_load(&gen_state) == 0) {
		path = sqlite3_db_filename(db->h, "main");
		if (path != NULL && *path != '\0' &&
		    (gen_word = keygen_map(path, 0)) != NULL)
			atomic_store(&gen_state, 1);
		else {
			log_warn("%s" AUTH_KEYGEN_SUFFIX ": %s; keys are not "
			    "cached, every request reads its key",
			    path != NULL ? path : "database", strerror(errno));
			atomic_store(&gen_state, -1);
		}
	}
	pthread_mutex_unlock(&gen_mu);
}

/* The current key generation (0 while there is none). */
static uint32_t
keygen_now(void)
{
	if (atomic_load(&gen_state) != 1)
		return 0;
	return __atomic_load_n(gen_word, __ATOMIC_ACQUIRE);
}

/*
 * Tell every process that keys changed: bump the counter of database
 * (vennactl, after the change is committed).  Creates the file when
 * missing.  Returns VN_OK, or VN_ESYS with the reason in err.
 */
enum vn_err
auth_keygen_bump(const char *database, char *err, size_t errsz)
{
	char		 path[4096];
	uint32_t	*w;

	if ((w = keygen_map(database, 1)) == NULL) {
		keygen_path(database, path, sizeof(path));
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return VN_ESYS;
	}
	__atomic_add_fetch(w, 1, __ATOMIC_SEQ_CST);
	munmap(w, sizeof(uint32_t));
	return VN_OK;
}

static size_t
slot_of(const char *id)
{
	uint32_t	 h = 2166136261u;	/* FNV-1a */

	for (; *id != '\0'; id++)
		h = (h ^ (unsigned char)*id) * 16777619u;
	return h % CACHE_SLOTS;
}

/*
 * The cached row of id if no key changed since it was read and it is
 * fresh enough; returns 1 if so.
 */
static int
cache_get(const char *id, enum apikey_kind kind, struct keyrow *out)
{
	struct keyrow	*k = &cache[slot_of(id)];
	uint32_t	 gen;
	int		 hit;

	if (atomic_load(&gen_state) != 1)
		return 0;
	gen = keygen_now();
	pthread_mutex_lock(&cache_mu);
	hit = strcmp(k->id, id) == 0 && k->kind == kind && k->gen == gen &&
	    clock_ms() - k->read_ms < CACHE_MS;
	if (hit)
		*out = *k;
	pthread_mutex_unlock(&cache_mu);
	return hit;
}

static void
cache_put(const struct keyrow *row)
{
	pthread_mutex_lock(&cache_mu);
	cache[slot_of(row->id)] = *row;
	pthread_mutex_unlock(&cache_mu);
}

/* Read id's row from the database (and refresh the cache). */
static enum vn_err
read_row(struct db *db, const char *id, enum apikey_kind kind,
    struct keyrow *row)
{
	sqlite3_stmt	*st;
	int		 rc;

	memset(row, 0, sizeof(*row));
	snprintf(row->id, sizeof(row->id), "%s", id);
	row->kind = kind;
	/*
	 * The generation before the read: a revocation committed after it
	 * bumps it, so this row is never used past that revocation.
	 */
	keygen_open(db);
	row->gen = keygen_now();
	if ((st = db_stmt(db, kind == APIKEY_ADMIN ? STMT_ADMIN_KEY_BY_ID :
	    STMT_KEY_BY_ID)) == NULL)
		return VN_ESTORE;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		row->found = sqlite3_column_int(st, 2) == PEPPER_VERSION &&
		    db_col_blob(st, 1, row->hash, APIKEY_HASH_LEN);
		row->revoked = sqlite3_column_type(st, 3) != SQLITE_NULL;
		row->last_used = sqlite3_column_type(st, 4) == SQLITE_NULL ? 0 :
		    sqlite3_column_int64(st, 4);
		db_col_copy(st, 0, row->workspace_id,
		    sizeof(row->workspace_id));
	} else if (rc != SQLITE_DONE) {
		sqlite3_reset(st);
		return db_rc(db, rc, "key lookup");
	}
	sqlite3_reset(st);
	row->read_ms = clock_ms();
	cache_put(row);
	return VN_OK;
}

/*
 * Find the token in an Authorization header value: "Bearer", then
 * spaces, then the token, then optional trailing spaces.  The scheme is
 * case-insensitive (RFC 9110 §11.1).  Returns 1 and points tok into hdr
 * on success.  Pure; bounded by len.
 */
int
auth_bearer(const char *hdr, size_t len, const char **tok, size_t *toklen)
{
	size_t	 i, start;

	if (len > VN_MAX_AUTH || len < 7 || strncasecmp(hdr, "Bearer", 6) != 0)
		return 0;
	i = 6;
	if (hdr[i] != ' ' && hdr[i] != '\t')
		return 0;
	while (i < len && (hdr[i] == ' ' || hdr[i] == '\t'))
		i++;
	start = i;
	while (i < len && (unsigned char)hdr[i] > 0x20 &&
	    (unsigned char)hdr[i] < 0x7f)
		i++;
	if (i == start)
		return 0;
	*tok = hdr + start;
	*toklen = i - start;
	while (i < len && (hdr[i] == ' ' || hdr[i] == '\t'))
		i++;
	return i == len;
}

/*
 * Check the Authorization header value hdr (NULL when absent).  On
 * success fill who (who->admin for an admin key, whose workspace_id is
 * empty) and return VN_OK; which endpoints a kind may call is the
 * dispatcher's business.  VN_ENOKEY when no key was given,
 * VN_EAUTH for a malformed, unknown, wrong or revoked key, VN_ESTORE
 * when the database failed.
 */
enum vn_err
auth_check(struct store *store, const unsigned char *pepper,
    const char *hdr, struct principal *who)
{
	static const unsigned char dummy[APIKEY_HASH_LEN];
	unsigned char	 got[APIKEY_HASH_LEN];
	char		 id[APIKEY_ID_LEN + 1];
	const char	*tok;
	size_t		 toklen;
	enum apikey_kind kind;
	struct keyrow	 row;
	struct db	*db = NULL;
	sqlite3_stmt	*st;
	time_t		 now;
	enum vn_err	 err = VN_EAUTH;
	int		 rc;

	if (hdr == NULL || *hdr == '\0')
		return VN_ENOKEY;
	if (!auth_bearer(hdr, strlen(hdr), &tok, &toklen))
		return strncasecmp(hdr, "Bearer", 6) == 0 &&
		    strspn(hdr + 6, " \t") == strlen(hdr + 6) ?
		    VN_ENOKEY : VN_EAUTH;
	if (!apikey_parse_any(tok, toklen, &kind, id))
		return VN_EAUTH;

	if (!cache_get(id, kind, &row)) {
		if ((db = store_get(store)) == NULL)
			return VN_ESTORE;
		err = read_row(db, id, kind, &row);
		store_put(store, db);
		db = NULL;
		if (err != VN_OK)
			return err;
		err = VN_EAUTH;
	}
	if (!row.found)
		memcpy(row.hash, dummy, sizeof(row.hash));

	/* The same work whether or not the id exists. */
	apikey_hash(tok, toklen, pepper, got);
	if (sodium_memcmp(got, row.hash, APIKEY_HASH_LEN) != 0 ||
	    !row.found || row.revoked)
		goto out;

	memcpy(who->key_id, id, sizeof(who->key_id));
	memcpy(who->workspace_id, row.workspace_id, sizeof(who->workspace_id));
	who->admin = kind == APIKEY_ADMIN;
	err = VN_OK;
	now = time(NULL);
	if (row.last_used >= now - TOUCH_INTERVAL ||
	    (db = store_get(store)) == NULL)
		goto out;
	if ((st = db_stmt(db, kind == APIKEY_ADMIN ? STMT_ADMIN_KEY_TOUCH :
	    STMT_KEY_TOUCH)) != NULL) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)(now - TOUCH_INTERVAL));
		/* A busy database must not fail the request over a stamp. */
		if ((rc = sqlite3_step(st)) != SQLITE_DONE)
			log_debug("last_used_at not updated (%d)", rc);
		sqlite3_reset(st);
	}
	/* The cached row learns the stamp, so others do not write it. */
	row.last_used = (int64_t)now;
	cache_put(&row);
out:
	store_put(store, db);
	sodium_memzero(got, sizeof(got));
	sodium_memzero(&row, sizeof(row));
	if (err != VN_OK)
		memset(who, 0, sizeof(*who));
	return err;
}
