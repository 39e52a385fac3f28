/*
 * db.h: one SQLite connection, opened by the process (or thread) that
 * uses it, with the recipe of reliability.md §1c, its prepared
 * statements cached by name (enum stmt, sql.h), and transactions that
 * may write always started with BEGIN IMMEDIATE.
 */
#ifndef DB_H
#define DB_H

#include "venna.h"
#include "sql.h"

struct buf;
struct sqlite3;
struct sqlite3_stmt;

struct db {
	struct sqlite3		*h;
	struct sqlite3_stmt	*stmt[STMT__MAX];
	int			 in_txn;
	long			 busy_timeout_ms;
	long long		 busy_since;	/* when the current wait began */
	struct db		*next;	/* free list of the pool (store.c) */
};

#define DB_OPEN_CREATE	0x01	/* create the file (vennactl init only) */
#define DB_OPEN_DURABLE	0x02	/* synchronous=FULL whatever the config */

struct db	*db_open(const struct cfg *, int flags, char *err, size_t errsz);
void		 db_close(struct db *);
struct sqlite3_stmt *db_stmt(struct db *, enum stmt);
enum vn_err	 db_begin(struct db *);
enum vn_err	 db_commit(struct db *);
void		 db_rollback(struct db *);
enum vn_err	 db_end(struct db *, enum vn_err);
enum vn_err	 db_exec(struct db *, enum stmt);
enum vn_err	 db_rc(struct db *, int rc, const char *what);
int		 db_changes(struct db *);
int		 db_version_ok(void);
const char	*db_version(void);
enum vn_err	 db_checkpoint(struct db *, int truncate);
void		 db_col_copy(struct sqlite3_stmt *, int, char *, size_t);
int		 db_col_dup(struct sqlite3_stmt *, int, char **);
int		 db_col_blob(struct sqlite3_stmt *, int, void *, size_t);
enum vn_err	 db_col_add(struct sqlite3_stmt *, int, struct buf *);
enum vn_err	 db_col_add_json(struct sqlite3_stmt *, int, struct buf *);
int		 db_col_is(struct sqlite3_stmt *, int, const char *);

#endif /* DB_H */
