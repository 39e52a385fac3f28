/*
 * db.c: a SQLite connection done the way a database shared by many
 * processes needs it (reliability.md §1):
 *  - opened by the process that uses it, after fork, never inherited;
 *  - WAL, with a busy timeout long enough to cover another process's
 *    crash recovery;
 *  - no automatic checkpoints: one checkpointer at a time runs them
 *    (checkpoint.c), which keeps the WAL-reset race away;
 *  - every transaction that may write starts with BEGIN IMMEDIATE, so
 *    the busy timeout applies at BEGIN and no upgrade can fail later;
 *  - statements prepared once per connection and always reset after
 *    use, so no statement holds a read snapshot open.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "buf.h"
#include "cfg.h"
#include "clock.h"
#include "db.h"
#include "log.h"
#include "schema.h"

#define SQLITE_MIN_SAFE	3051003		/* WAL-reset bug fixed */
#define BUSY_FIRST_US	20		/* first wait for the write lock */
#define BUSY_MAX_US	2000		/* longest single wait */

/* 1 when the linked SQLite is free of the WAL-reset bug. */
int
db_version_ok(void)
{
	return sqlite3_libversion_number() >= SQLITE_MIN_SAFE;
}

const char *
db_version(void)
{
	return sqlite3_libversion();
}

/*
 * Wait for another connection's write lock.  SQLite's own busy handler
 * sleeps 1, 2, 5, 10 ... ms, but the writes here (a usage row, a state
 * change) hold the lock for some ten microseconds, so it would leave a
 * waiter asleep long after the lock is free.  This one starts at 20 us
 * and doubles up to 2 ms, until busy_timeout has passed.
 */
static int
on_busy(void *arg, int count)
{
	struct db	*db = arg;
	struct timespec	 ts;
	long		 us;

	if (count == 0)
		db->busy_since = clock_ms();
	else if (clock_ms() - db->busy_since >= db->busy_timeout_ms)
		return 0;
	us = BUSY_FIRST_US << (count < 7 ? count : 7);
	if (us > BUSY_MAX_US)
		us = BUSY_MAX_US;
	ts.tv_sec = 0;
	ts.tv_nsec = us * 1000;
	nanosleep(&ts, NULL);
	return 1;
}

static int
exec_pragma(sqlite3 *h, const char *sql, char *err, size_t errsz)
{
	char	*emsg = NULL;

	if (sqlite3_exec(h, sql, NULL, NULL, &emsg) != SQLITE_OK) {
		snprintf(err, errsz, "%s: %s", sql,
		    emsg != NULL ? emsg : sqlite3_errmsg(h));
		sqlite3_free(emsg);
		return 0;
	}
	return 1;
}

static int
user_version(sqlite3 *h, int *v)
{
	sqlite3_stmt	*st = NULL;
	int		 ok = 0;

	if (sqlite3_prepare_v2(h, "PRAGMA user_version", -1, &st, NULL) ==
	    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
		*v = sqlite3_column_int(st, 0);
		ok = 1;
	}
	sqlite3_finalize(st);
	return ok;
}

/*
 * Bring the schema to the latest version (schema.c's migrations).
 * Every opener runs this: the first to see an old version takes the
 * write lock (BEGIN IMMEDIATE), checks the version again and migrates;
 * the others wait on the lock and find nothing left to do.  Refuses a
 * database from a newer Venna rather than guessing at it.
 */
static enum vn_err
migrate(struct db *db, char *err, size_t errsz)
{
	char		*emsg = NULL;
	char		 pragma[64];
	int		 v = 0, i = 0;
	enum vn_err	 rc;

	if (!user_version(db->h, &v)) {
		snprintf(err, errsz, "cannot read the schema version: %s",
		    sqlite3_errmsg(db->h));
		return VN_ESTORE;
	}
	if (v == schema_latest())
		return VN_OK;
	if (v > schema_latest()) {
		snprintf(err, errsz, "the database has schema version %d, "
		    "newer than this program's %d", v, schema_latest());
		return VN_ESTORE;
	}
	if ((rc = db_begin(db)) != VN_OK) {
		snprintf(err, errsz, "cannot lock the database to migrate");
		return rc;
	}
	if (!user_version(db->h, &v))
		goto fail;
	for (i = v; i < schema_latest(); i++) {
		if (sqlite3_exec(db->h, schema_migrations[i], NULL, NULL,
		    &emsg) != SQLITE_OK)
			goto fail;
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d",
		    i + 1);
		if (sqlite3_exec(db->h, pragma, NULL, NULL, &emsg) !=
		    SQLITE_OK)
			goto fail;
	}
	return db_commit(db);
fail:
	snprintf(err, errsz, "migration to schema %d failed: %s", i + 1,
	    emsg != NULL ? emsg : sqlite3_errmsg(db->h));
	sqlite3_free(emsg);
	db_rollback(db);
	return VN_ESTORE;
}

/*
 * Open the configured database.  Without DB_OPEN_CREATE a missing file
 * is an error, so a mistyped path never yields an empty database.  The
 * schema is migrated to the latest version.  Returns NULL with the
 * reason in err.  The caller owns the result (db_close).
 */
struct db *
db_open(const struct cfg *cfg, int flags, char *err, size_t errsz)
{
	struct db	*db = NULL;
	char		 sql[128];
	int		 oflags, rc;

	if (!db_version_ok()) {
		snprintf(err, errsz, "SQLite %s predates 3.51.3 and can corrupt "
		    "a WAL database shared by several processes; rebuild "
		    "Venna with ./bootstrap", sqlite3_libversion());
		return NULL;
	}
	if ((db = calloc(1, sizeof(*db))) == NULL) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	oflags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	if (flags & DB_OPEN_CREATE)
		oflags |= SQLITE_OPEN_CREATE;
	rc = sqlite3_open_v2(cfg->database, &db->h, oflags, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errsz, "%s: %s%s", cfg->database,
		    db->h != NULL ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc),
		    rc == SQLITE_CANTOPEN && !(flags & DB_OPEN_CREATE) ?
		    " (run \"vennactl init\" first)" : "");
		goto fail;
	}
	sqlite3_extended_result_codes(db->h, 1);
	db->busy_timeout_ms = cfg->busy_timeout_ms;
	sqlite3_busy_handler(db->h, on_busy, db);
	snprintf(sql, sizeof(sql), "PRAGMA synchronous = %s",
	    cfg->synchronous_full || (flags & DB_OPEN_DURABLE) ?
	    "FULL" : "NORMAL");
	if (!exec_pragma(db->h, "PRAGMA journal_mode = WAL", err, errsz) ||
	    !exec_pragma(db->h, sql, err, errsz) ||
	    !exec_pragma(db->h, "PRAGMA foreign_keys = ON", err, errsz) ||
	    !exec_pragma(db->h, "PRAGMA wal_autocheckpoint = 0", err, errsz) ||
	    !exec_pragma(db->h, "PRAGMA journal_size_limit = 67108864", err,
	    errsz) ||
	    !exec_pragma(db->h, "PRAGMA mmap_size = 0", err, errsz) ||
	    !exec_pragma(db->h, "PRAGMA temp_store = MEMORY", err, errsz))
		goto fail;
	if (migrate(db, err, errsz) != VN_OK)
		goto fail;
	return db;
fail:
	db_close(db);
	return NULL;
}

void
db_close(struct db *db)
{
	size_t	 i;

	if (db == NULL)
		return;
	for (i = 0; i < STMT__MAX; i++)
		sqlite3_finalize(db->stmt[i]);
	sqlite3_close(db->h);
	free(db);
}

/*
 * The prepared statement for s, reset and with its bindings cleared.
 * Returns NULL (and logs) if it cannot be prepared, which means the
 * schema and the code disagree.
 */
sqlite3_stmt *
db_stmt(struct db *db, enum stmt s)
{
	if (db->stmt[s] == NULL) {
		if (sqlite3_prepare_v3(db->h, sql_text[s], -1,
		    SQLITE_PREPARE_PERSISTENT, &db->stmt[s], NULL) !=
		    SQLITE_OK) {
			log_error("cannot prepare statement %d: %s", (int)s,
			    sqlite3_errmsg(db->h));
			return NULL;
		}
		return db->stmt[s];
	}
	sqlite3_reset(db->stmt[s]);
	sqlite3_clear_bindings(db->stmt[s]);
	return db->stmt[s];
}

/*
 * Map a SQLite result code to ours, logging what failed.  SQLITE_DONE
 * and SQLITE_ROW are success.
 */
enum vn_err
db_rc(struct db *db, int rc, const char *what)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return VN_OK;
	case SQLITE_CONSTRAINT:
		return VN_ECONFLICT;
	case SQLITE_NOMEM:
		return VN_ENOMEM;
	default:
		log_error("database: %s: %s (%d)", what,
		    sqlite3_errmsg(db->h), rc);
		return VN_ESTORE;
	}
}

/* Run a statement that returns no rows, then reset it. */
enum vn_err
db_exec(struct db *db, enum stmt s)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = db_stmt(db, s)) == NULL)
		return VN_ESTORE;
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return db_rc(db, rc, sql_text[s]);
}

/* Start a transaction that may write (BEGIN IMMEDIATE). */
enum vn_err
db_begin(struct db *db)
{
	enum vn_err	 rc;

	if ((rc = db_exec(db, STMT_BEGIN)) == VN_OK)
		db->in_txn = 1;
	return rc;
}

enum vn_err
db_commit(struct db *db)
{
	enum vn_err	 rc;

	rc = db_exec(db, STMT_COMMIT);
	if (rc != VN_OK)
		db_rollback(db);
	db->in_txn = 0;
	return rc;
}

/*
 * End the open transaction as the work in it went: commit when rc is
 * VN_OK, roll back otherwise.  Returns rc, or the commit's failure.
 */
enum vn_err
db_end(struct db *db, enum vn_err rc)
{
	if (rc == VN_OK)
		return db_commit(db);
	db_rollback(db);
	return rc;
}

/* Roll back if a transaction is open; safe to call when none is. */
void
db_rollback(struct db *db)
{
	if (sqlite3_get_autocommit(db->h) == 0)
		db_exec(db, STMT_ROLLBACK);
	db->in_txn = 0;
}

int
db_changes(struct db *db)
{
	return sqlite3_changes(db->h);
}

/*
 * Checkpoint the WAL into the database.  PASSIVE never waits for
 * readers; TRUNCATE (truncate != 0) also shrinks the WAL file to zero
 * when no reader is using it.  Callers hold the checkpoint lock.
 */
enum vn_err
db_checkpoint(struct db *db, int truncate)
{
	int	 rc, nlog = 0, nckpt = 0;

	rc = sqlite3_wal_checkpoint_v2(db->h, NULL, truncate ?
	    SQLITE_CHECKPOINT_TRUNCATE : SQLITE_CHECKPOINT_PASSIVE, &nlog,
	    &nckpt);
	if ((rc & 0xff) == SQLITE_BUSY)
		return VN_OK;	/* readers in the way: next time */
	if (rc == SQLITE_OK)
		log_debug("checkpoint: %d of %d WAL frames", nckpt, nlog);
	return db_rc(db, rc, "wal_checkpoint");
}

/*
 * A column's text or blob is SQLite's only until the statement steps
 * or resets: outside this file it is only ever copied, with these.
 * tests/source_rules.sh holds every other file to that.
 */

/* Copy column i's text into out, truncated; "" for NULL. */
void
db_col_copy(struct sqlite3_stmt *st, int i, char *out, size_t outsz)
{
	const unsigned char	*s = sqlite3_column_text(st, i);

	snprintf(out, outsz, "%s", s != NULL ? (const char *)s : "");
}

/*
 * Column i's text as a string of the caller's into *out, NULL for NULL.
 * Returns 0 when out of memory.
 */
int
db_col_dup(struct sqlite3_stmt *st, int i, char **out)
{
	const unsigned char	*s = sqlite3_column_text(st, i);

	*out = NULL;
	if (s == NULL)
		return sqlite3_column_type(st, i) == SQLITE_NULL;
	return (*out = strdup((const char *)s)) != NULL;
}

/* Copy column i's bytes into out when there are exactly n of them. */
int
db_col_blob(struct sqlite3_stmt *st, int i, void *out, size_t n)
{
	const void	*p = sqlite3_column_blob(st, i);

	if (p == NULL || (size_t)sqlite3_column_bytes(st, i) != n)
		return 0;
	memcpy(out, p, n);
	return 1;
}

/* Append column i's bytes to b (nothing for NULL). */
enum vn_err
db_col_add(struct sqlite3_stmt *st, int i, struct buf *b)
{
	const void	*p = sqlite3_column_blob(st, i);

	if (p == NULL)
		return VN_OK;
	return buf_add(b, p, (size_t)sqlite3_column_bytes(st, i));
}

/* Append column i's text to b as a JSON string ("" for NULL). */
enum vn_err
db_col_add_json(struct sqlite3_stmt *st, int i, struct buf *b)
{
	const unsigned char	*s = sqlite3_column_text(st, i);

	return buf_add_json_string(b, s != NULL ? (const char *)s : "",
	    (size_t)sqlite3_column_bytes(st, i));
}

/* Is column i's text s?  NULL is no text. */
int
db_col_is(struct sqlite3_stmt *st, int i, const char *s)
{
	const unsigned char	*v = sqlite3_column_text(st, i);

	return v != NULL && strcmp((const char *)v, s) == 0;
}
