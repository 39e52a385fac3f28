/*
 * sql.c: the text of every statement, indexed by enum stmt (sqlbox keeps
 * its statements the same way).  Statements that a client's request can
 * reach always carry the workspace in their WHERE clause.
 */
#include "config.h"

#include "sql.h"

const char *const sql_text[STMT__MAX] = {
	[STMT_BEGIN] = "BEGIN IMMEDIATE",
	[STMT_COMMIT] = "COMMIT",
	[STMT_ROLLBACK] = "ROLLBACK",

	[STMT_WS_INSERT] =
	    "INSERT INTO workspaces (id, name, created_at) VALUES (?1, ?2, ?3)",
	[STMT_WS_BY_NAME] =
	    "SELECT id, name, created_at FROM workspaces WHERE name = ?1",
	[STMT_WS_LIST] =
	    "SELECT w.id, w.name, w.created_at,"
	    " (SELECT count(*) FROM api_keys k"
	    "  WHERE k.workspace_id = w.id AND k.revoked_at IS NULL)"
	    " FROM workspaces w ORDER BY w.created_at, w.id",

	[STMT_KEY_INSERT] =
	    "INSERT INTO api_keys (id, workspace_id, name, hash,"
	    " pepper_version, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[STMT_KEY_BY_ID] =
	    "SELECT workspace_id, hash, pepper_version, revoked_at,"
	    " last_used_at FROM api_keys WHERE id = ?1",
	[STMT_KEY_TOUCH] =
	    "UPDATE api_keys SET last_used_at = ?2 WHERE id = ?1"
	    " AND (last_used_at IS NULL OR last_used_at < ?3)",
	[STMT_KEY_LIST] =
	    "SELECT k.id, k.name, w.name, k.created_at, k.last_used_at,"
	    " k.revoked_at FROM api_keys k"
	    " JOIN workspaces w ON w.id = k.workspace_id"
	    " WHERE ?1 IS NULL OR w.name = ?1"
	    " ORDER BY k.created_at, k.id",
	[STMT_KEY_REVOKE] =
	    "UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1"
	    " AND revoked_at IS NULL",

	[STMT_USAGE_INSERT] =
	    "INSERT INTO usage (request_id, created_at, workspace_id, key_id,"
	    " endpoint, model, upstream, prompt_tokens, completion_tokens,"
	    " cached_tokens, cost_pusd, status, latency_ms, batch_id)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
	    " ?14)",

	/* usage reports: ?1 workspace name or NULL, ?2 since (unix s) */
#define USAGE_REPORT(group)						\
	    "SELECT w.name, " group ", count(*), sum(u.prompt_tokens),"	\
	    " sum(u.completion_tokens), sum(u.cached_tokens),"		\
	    " sum(u.cost_pusd), sum(u.status >= 400)"			\
	    " FROM usage u JOIN workspaces w ON w.id = u.workspace_id"	\
	    " WHERE (?1 IS NULL OR w.name = ?1) AND u.created_at >= ?2"	\
	    " GROUP BY 1, 2 ORDER BY 1, 2"
	[STMT_USAGE_BY_WORKSPACE] = USAGE_REPORT("NULL"),
	[STMT_USAGE_BY_MODEL] = USAGE_REPORT("u.model"),
	[STMT_USAGE_BY_KEY] = USAGE_REPORT("u.key_id"),
	[STMT_USAGE_BY_DAY] = USAGE_REPORT("date(u.created_at, 'unixepoch')"),
#undef USAGE_REPORT

	[STMT_LEDGER_OFFSET] =
	    "SELECT imported FROM ledger_files WHERE name = ?1",
	[STMT_LEDGER_SET] =
	    "INSERT INTO ledger_files (name, imported) VALUES (?1, ?2)"
	    " ON CONFLICT (name) DO UPDATE SET imported = excluded.imported",
	[STMT_LEDGER_DROP] =
	    "DELETE FROM ledger_files WHERE name = ?1",
};
