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

	/* batches: what the API shows (BATCH_COLS) */
#define BATCH_COLS							\
	    "id, endpoint, model, errors, input_file_id, completion_window,"\
	    " status, output_file_id, error_file_id, created_at,"		\
	    " in_progress_at, expires_at, finalizing_at, completed_at,"	\
	    " failed_at, expired_at, cancelling_at, cancelled_at, total,"	\
	    " completed, failed, metadata, input_tokens, cached_tokens,"	\
	    " output_tokens"
	[STMT_BATCH_INSERT] =
	    "INSERT INTO batches (id, workspace_id, key_id, endpoint,"
	    " input_file_id, completion_window, status, metadata, created_at,"
	    " expires_at, output_expires_after) VALUES (?1, ?2, ?3, ?4, ?5,"
	    " ?6, 'validating', ?7, ?8, ?9, ?10)",
	[STMT_BATCH_GET] =
	    "SELECT " BATCH_COLS " FROM batches"
	    " WHERE id = ?1 AND workspace_id = ?2",
	[STMT_BATCH_SEQ] =
	    "SELECT seq FROM batches WHERE id = ?1 AND workspace_id = ?2",
	[STMT_BATCH_LIST] =
	    "SELECT " BATCH_COLS " FROM batches"
	    " WHERE workspace_id = ?1 AND seq < ?2 ORDER BY seq DESC LIMIT ?3",
	[STMT_BATCH_CANCEL] =
	    "UPDATE batches SET status = 'cancelling', cancelling_at = ?3"
	    " WHERE id = ?1 AND workspace_id = ?2"
	    " AND status IN ('validating', 'in_progress', 'finalizing')",
	[STMT_BATCH_INPUT_FILE] =
	    "SELECT purpose, bytes FROM files WHERE id = ?1"
	    " AND workspace_id = ?2 AND deleted_at IS NULL"
	    " AND (expires_at IS NULL OR expires_at > ?3)",

	/* batches: the runner */
	/*
	 * Work to claim, oldest first, with its holder; the runner takes
	 * a row whose lease is free, expired, or held by a dead owner
	 * (lease.h), the guard re-checking that nothing changed since.
	 */
	[STMT_BATCH_CANDIDATES] =
	    "SELECT seq, lease_owner, lease_until FROM batches"
	    " WHERE status IN ('validating', 'in_progress', 'finalizing',"
	    " 'cancelling') ORDER BY seq LIMIT ?1",
	[STMT_BATCH_TAKE] =
	    "UPDATE batches SET lease_owner = ?2, lease_until = ?3"
	    " WHERE seq = ?1 AND status IN ('validating', 'in_progress',"
	    " 'finalizing', 'cancelling') AND (lease_owner IS NULL"
	    " OR lease_until < ?4 OR lease_owner = ?5)",
	[STMT_BATCH_RENEW] =
	    "UPDATE batches SET lease_until = ?3"
	    " WHERE seq = ?1 AND lease_owner = ?2",
	[STMT_BATCH_RELEASE] =
	    "UPDATE batches SET lease_owner = NULL, lease_until = NULL"
	    " WHERE seq = ?1 AND lease_owner = ?2",
	[STMT_BATCH_BY_SEQ] =
	    "SELECT id, workspace_id, key_id, endpoint, input_file_id, status,"
	    " expires_at, total, model, output_expires_after FROM batches"
	    " WHERE seq = ?1",
	[STMT_BATCH_TO_PROGRESS] =
	    "UPDATE batches SET status = 'in_progress', in_progress_at = ?2,"
	    " total = ?3, model = ?4 WHERE seq = ?1 AND status = 'validating'",
	[STMT_BATCH_TO_FAILED] =
	    "UPDATE batches SET status = 'failed', failed_at = ?2, errors = ?3"
	    " WHERE seq = ?1 AND status = 'validating'",
	[STMT_BATCH_TO_FINALIZING] =
	    "UPDATE batches SET status = 'finalizing', finalizing_at = ?2"
	    " WHERE seq = ?1 AND status = 'in_progress'",
	/* ?2: completed, cancelled or expired; the matching stamp is set */
	[STMT_BATCH_TO_END] =
	    "UPDATE batches SET status = ?2,"
	    " completed_at = CASE ?2 WHEN 'completed' THEN ?3 END,"
	    " cancelled_at = CASE ?2 WHEN 'cancelled' THEN ?3 END,"
	    " expired_at = CASE ?2 WHEN 'expired' THEN ?3 END,"
	    " output_file_id = ?4, error_file_id = ?5,"
	    " lease_owner = NULL, lease_until = NULL"
	    " WHERE seq = ?1 AND status IN ('validating', 'in_progress',"
	    " 'finalizing', 'cancelling')",
	[STMT_BATCH_COUNT] =
	    "UPDATE batches SET completed = completed + ?2,"
	    " failed = failed + ?3, input_tokens = input_tokens + ?4,"
	    " cached_tokens = cached_tokens + ?5,"
	    " output_tokens = output_tokens + ?6 WHERE seq = ?1",
	[STMT_BLINE_INSERT] =
	    "INSERT INTO batch_lines (batch_seq, line, custom_id,"
	    " input_offset, input_length) VALUES (?1, ?2, ?3, ?4, ?5)",
	[STMT_BLINE_PENDING] =
	    "SELECT line, custom_id, input_offset, input_length"
	    " FROM batch_lines WHERE batch_seq = ?1 AND state = 0"
	    " AND line > ?2 ORDER BY line LIMIT ?3",
	[STMT_BLINE_SETTLE] =
	    "UPDATE batch_lines SET state = ?3"
	    " WHERE batch_seq = ?1 AND line = ?2 AND state = 0",
	[STMT_BRESULT_INSERT] =
	    "INSERT INTO batch_results (batch_seq, line, is_error, result)"
	    " VALUES (?1, ?2, ?3, ?4)",
	[STMT_BRESULT_SCAN] =
	    "SELECT line, is_error, result FROM batch_results"
	    " WHERE batch_seq = ?1"
	    " AND line > ?2 ORDER BY line LIMIT ?3",
	[STMT_BLINE_PURGE] =
	    "DELETE FROM batch_lines WHERE batch_seq = ?1",
	[STMT_BRESULT_PURGE] =
	    "DELETE FROM batch_results WHERE batch_seq = ?1",
#undef BATCH_COLS

	/*
	 * files: what the API shows (FILE_COLS).  A file is visible while
	 * not deleted and not expired (?now); the list statements use the
	 * partial indexes on (workspace_id[, purpose], seq), ?3 being the
	 * keyset cursor (the seq of the "after" file).
	 */
#define FILE_COLS							\
	    "id, filename, purpose, bytes, created_at, expires_at, status,"	\
	    " status_details"
#define FILE_VISIBLE							\
	    " deleted_at IS NULL AND (expires_at IS NULL OR expires_at > ?2)"
	[STMT_FILE_INSERT] =
	    "INSERT INTO files (id, workspace_id, filename, purpose, bytes,"
	    " created_at, expires_at, status, status_details)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[STMT_FILE_GET] =
	    "SELECT " FILE_COLS " FROM files"
	    " WHERE id = ?3 AND workspace_id = ?1 AND" FILE_VISIBLE,
	[STMT_FILE_DELETE] =
	    "UPDATE files SET deleted_at = ?2"
	    " WHERE id = ?3 AND workspace_id = ?1 AND" FILE_VISIBLE,
	/* deleted files too: a client may delete what it pages through */
	[STMT_FILE_SEQ] =
	    "SELECT seq FROM files WHERE id = ?2 AND workspace_id = ?1",
	[STMT_FILE_LIST_DESC] =
	    "SELECT " FILE_COLS " FROM files WHERE workspace_id = ?1 AND"
	    FILE_VISIBLE " AND seq < ?3 ORDER BY seq DESC LIMIT ?4 OFFSET ?5",
	[STMT_FILE_LIST_ASC] =
	    "SELECT " FILE_COLS " FROM files WHERE workspace_id = ?1 AND"
	    FILE_VISIBLE " AND seq > ?3 ORDER BY seq ASC LIMIT ?4 OFFSET ?5",
	[STMT_FILE_LIST_PURPOSE_DESC] =
	    "SELECT " FILE_COLS " FROM files WHERE workspace_id = ?1 AND"
	    " purpose = ?6 AND" FILE_VISIBLE
	    " AND seq < ?3 ORDER BY seq DESC LIMIT ?4 OFFSET ?5",
	[STMT_FILE_LIST_PURPOSE_ASC] =
	    "SELECT " FILE_COLS " FROM files WHERE workspace_id = ?1 AND"
	    " purpose = ?6 AND" FILE_VISIBLE
	    " AND seq > ?3 ORDER BY seq ASC LIMIT ?4 OFFSET ?5",
	[STMT_FILE_COUNT] =
	    "SELECT count(*) FROM files WHERE workspace_id = ?1 AND"
	    FILE_VISIBLE " AND (?3 IS NULL OR purpose = ?3)",
	/* venna-batch: expired files are deleted as of their expiry */
	[STMT_FILE_EXPIRE] =
	    "UPDATE files SET deleted_at = expires_at WHERE seq IN"
	    " (SELECT seq FROM files WHERE expires_at <= ?1"
	    " AND deleted_at IS NULL LIMIT ?2)",
	/* an unfinished batch's input file stays until the batch ends */
	[STMT_FILE_RECLAIMABLE] =
	    "SELECT seq, id FROM files WHERE deleted_at IS NOT NULL"
	    " AND deleted_at <= ?1 AND seq > ?3"
	    " AND id NOT IN (SELECT input_file_id FROM batches"
	    "  WHERE status IN ('validating', 'in_progress', 'finalizing',"
	    "  'cancelling'))"
	    " ORDER BY seq LIMIT ?2",
	[STMT_FILE_FORGET] =
	    "DELETE FROM files WHERE seq = ?1 AND deleted_at IS NOT NULL",
	/* venna-batch: does any row, deleted or not, name this content? */
	[STMT_FILE_KNOWN] =
	    "SELECT 1 FROM files WHERE id = ?1",
#undef FILE_VISIBLE
#undef FILE_COLS

	/* responses: what a Response is made of (RESP_COLS) */
#define RESP_COLS							\
	    "seq, id, workspace_id, key_id, previous_response_id, model,"	\
	    " status, background, created_at, completed_at, request, output,"\
	    " usage, error, incomplete_details"
	/* RESP_STATE: the columns of struct respstore_state, in order */
#define RESP_STATE							\
	    "status, output, usage, error, incomplete_details, completed_at"
	[STMT_RESP_INSERT] =
	    "INSERT INTO responses (id, workspace_id, key_id,"
	    " previous_response_id, model, background, request, created_at, "
	    RESP_STATE ", lease_owner, lease_until) VALUES (?1, ?2, ?3, ?4,"
	    " ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"
	    " RETURNING seq",
	[STMT_RITEM_INSERT] =
	    "INSERT INTO response_items (response_seq, seq, item_id, item)"
	    " VALUES (?1, ?2, ?3, ?4)",
	[STMT_RESP_GET] =
	    "SELECT " RESP_COLS " FROM responses"
	    " WHERE id = ?1 AND workspace_id = ?2 AND deleted_at IS NULL",
	[STMT_RESP_BY_SEQ] =
	    "SELECT " RESP_COLS " FROM responses WHERE seq = ?1",
	/*
	 * A conversation as one JSON text, oldest turn first: for the
	 * response ?1 and its previous_response_id chain (within
	 * workspace ?2, at most ?3 deep), each turn's input items then its
	 * output items, comma-separated (the caller adds the brackets).
	 * One statement and one parse per request, however long the chain.
	 */
	[STMT_RESP_CHAIN] =
	    "WITH RECURSIVE chain(seq, prev, output, depth) AS ("
	    " SELECT seq, previous_response_id, output, 0"
	    "  FROM responses WHERE id = ?1 AND workspace_id = ?2"
	    " UNION ALL"
	    " SELECT r.seq, r.previous_response_id, r.output, c.depth + 1"
	    "  FROM chain c JOIN responses r"
	    "  ON r.id = c.prev AND r.workspace_id = ?2 WHERE c.depth < ?3),"
	    " parts(depth, k, s, t) AS ("
	    " SELECT c.depth, 0, i.seq, i.item FROM chain c"
	    "  JOIN response_items i ON i.response_seq = c.seq"
	    " UNION ALL"
	    " SELECT depth, 1, 0, substr(output, 2, length(output) - 2)"
	    "  FROM chain WHERE length(output) > 2)"
	    " SELECT group_concat(t, ',' ORDER BY depth DESC, k, s)"
	    " FROM parts",
	/*
	 * The bytes STMT_RESP_CHAIN would give, without reading them
	 * (octet_length reads a value's size, not its content): the items
	 * with the commas between them, and each output without brackets.
	 */
	[STMT_RESP_CHAIN_SIZE] =
	    "WITH RECURSIVE chain(seq, prev, depth) AS ("
	    " SELECT seq, previous_response_id, 0"
	    "  FROM responses WHERE id = ?1 AND workspace_id = ?2"
	    " UNION ALL"
	    " SELECT r.seq, r.previous_response_id, c.depth + 1"
	    "  FROM chain c JOIN responses r"
	    "  ON r.id = c.prev AND r.workspace_id = ?2 WHERE c.depth < ?3)"
	    " SELECT (SELECT coalesce(sum(octet_length(i.item) + 1), 0)"
	    "  FROM chain c JOIN response_items i ON i.response_seq = c.seq)"
	    " + (SELECT coalesce(sum(max(octet_length(r.output) - 1, 0)), 0)"
	    "  FROM chain c JOIN responses r ON r.seq = c.seq)",
	[STMT_RESP_PREV] =
	    "SELECT status FROM responses WHERE id = ?1 AND workspace_id = ?2"
	    " AND deleted_at IS NULL",
	[STMT_RITEM_SEQ] =
	    "SELECT seq FROM response_items WHERE response_seq = ?1"
	    " AND item_id = ?2 ORDER BY seq LIMIT 1",
	[STMT_RITEM_ASC] =
	    "SELECT item_id, item FROM response_items WHERE response_seq = ?1"
	    " AND seq > ?2 ORDER BY seq ASC LIMIT ?3",
	[STMT_RITEM_DESC] =
	    "SELECT item_id, item FROM response_items WHERE response_seq = ?1"
	    " AND seq < ?2 ORDER BY seq DESC LIMIT ?3",
	[STMT_RESP_SEQ] =
	    "SELECT seq, previous_response_id FROM responses"
	    " WHERE id = ?1 AND workspace_id = ?2 AND deleted_at IS NULL",
	/*
	 * Deleting: a response that others continue is only hidden (its
	 * items stay, for theirs); one that none continues goes, and so
	 * do hidden ancestors left with no continuation.
	 */
	[STMT_RESP_CONTINUED] =
	    "SELECT 1 FROM responses WHERE previous_response_id = ?1"
	    " AND workspace_id = ?2 LIMIT 1",
	[STMT_RESP_HIDE] =
	    "UPDATE responses SET deleted_at = ?2 WHERE seq = ?1",
	[STMT_RESP_HIDDEN] =
	    "SELECT seq, previous_response_id FROM responses"
	    " WHERE id = ?1 AND workspace_id = ?2 AND deleted_at IS NOT NULL",
	[STMT_RESP_DELETE] =
	    "DELETE FROM responses WHERE seq = ?1",
	[STMT_RITEM_PURGE] =
	    "DELETE FROM response_items WHERE response_seq = ?1",
	/* background only; a cancel ends it at once, the runner stops */
	[STMT_RESP_CANCEL] =
	    "UPDATE responses SET status = 'cancelled', cancel_requested = 1,"
	    " lease_owner = NULL, lease_until = NULL"
	    " WHERE id = ?1 AND workspace_id = ?2 AND background = 1"
	    " AND status IN ('queued', 'in_progress') AND deleted_at IS NULL",
	[STMT_RESP_STATUS] =
	    "SELECT CASE WHEN deleted_at IS NULL THEN status"
	    " ELSE 'deleted' END FROM responses WHERE seq = ?1",
	[STMT_RESP_START] =
	    "UPDATE responses SET status = 'in_progress' WHERE seq = ?1"
	    " AND lease_owner = ?2 AND status IN ('queued', 'in_progress')"
	    " AND deleted_at IS NULL",
	[STMT_RESP_FINISH] =
	    "UPDATE responses SET (" RESP_STATE ") = (?3, ?4, ?5, ?6, ?7, ?8),"
	    " lease_owner = NULL, lease_until = NULL"
	    " WHERE seq = ?1 AND lease_owner = ?2"
	    " AND status IN ('queued', 'in_progress')",
	/* background work to recover (venna-batch), as for batches */
	[STMT_RESP_CANDIDATES] =
	    "SELECT seq, lease_owner, lease_until FROM responses"
	    " WHERE background = 1 AND status IN ('queued', 'in_progress')"
	    " AND deleted_at IS NULL ORDER BY seq LIMIT ?1",
	[STMT_RESP_TAKE] =
	    "UPDATE responses SET lease_owner = ?2, lease_until = ?3"
	    " WHERE seq = ?1 AND background = 1"
	    " AND status IN ('queued', 'in_progress') AND (lease_owner IS NULL"
	    " OR lease_until < ?4 OR lease_owner = ?5)",
	[STMT_RESP_RENEW] =
	    "UPDATE responses SET lease_until = ?3"
	    " WHERE seq = ?1 AND lease_owner = ?2",
	[STMT_RESP_RELEASE] =
	    "UPDATE responses SET lease_owner = NULL, lease_until = NULL"
	    " WHERE seq = ?1 AND lease_owner = ?2",
#undef RESP_STATE
#undef RESP_COLS
};
