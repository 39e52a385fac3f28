/*
 * sql.h: the names of every SQL statement Venna runs.  The text lives in
 * one table in sql.c; code asks db_stmt() for a statement by name, so no
 * SQL is ever built from strings and every value is bound.
 */
#ifndef SQL_H
#define SQL_H

enum stmt {
	STMT_BEGIN,
	STMT_COMMIT,
	STMT_ROLLBACK,
	/* workspaces */
	STMT_WS_INSERT,
	STMT_WS_BY_NAME,
	STMT_WS_LIST,
	/* API keys */
	STMT_KEY_INSERT,
	STMT_KEY_BY_ID,
	STMT_KEY_TOUCH,
	STMT_KEY_LIST,
	STMT_KEY_REVOKE,
	/* usage ledger */
	STMT_USAGE_INSERT,
	STMT_USAGE_BY_WORKSPACE,
	STMT_USAGE_BY_MODEL,
	STMT_USAGE_BY_KEY,
	STMT_USAGE_BY_DAY,
	/* ledger journals imported */
	STMT_LEDGER_OFFSET,
	STMT_LEDGER_SET,
	STMT_LEDGER_DROP,
	STMT__MAX
};

extern const char *const sql_text[STMT__MAX];

#endif /* SQL_H */
