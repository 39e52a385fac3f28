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
	    "  WHERE k.workspace_id = w.id AND k.revoked_at IS NULL),"
	    " w.archived_at FROM workspaces w ORDER BY w.created_at, w.id",

	[STMT_KEY_INSERT] =
	    "INSERT INTO api_keys (id, workspace_id, name, hash,"
	    " pepper_version, created_at, tail, service_account_id)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	/* an archived workspace's keys read as revoked */
	[STMT_KEY_BY_ID] =
	    "SELECT k.workspace_id, k.hash, k.pepper_version,"
	    " coalesce(k.revoked_at, w.archived_at), k.last_used_at"
	    " FROM api_keys k JOIN workspaces w ON w.id = k.workspace_id"
	    " WHERE k.id = ?1",
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

	/*
	 * The Admin API.  Admin keys read as STMT_KEY_BY_ID does (no
	 * workspace; an expired key reads as revoked).  Lists are keyset
	 * pages: ?after is the rowid/seq of the cursor object, looked up
	 * within the same workspace first.
	 */
	[STMT_ADMIN_KEY_BY_ID] =
	    "SELECT '', hash, pepper_version, CASE"
	    " WHEN revoked_at IS NOT NULL THEN revoked_at"
	    " WHEN expires_at IS NOT NULL AND expires_at <="
	    " CAST(strftime('%s', 'now') AS INTEGER) THEN expires_at END,"
	    " last_used_at FROM admin_keys WHERE id = ?1",
	[STMT_ADMIN_KEY_TOUCH] =
	    "UPDATE admin_keys SET last_used_at = ?2 WHERE id = ?1"
	    " AND (last_used_at IS NULL OR last_used_at < ?3)",
#define PROJ_COLS	"id, name, created_at, archived_at"
	[STMT_PROJ_GET] =
	    "SELECT " PROJ_COLS " FROM workspaces WHERE id = ?1",
	[STMT_PROJ_ROWID] =
	    "SELECT rowid FROM workspaces WHERE id = ?1",
	[STMT_PROJ_LIST] =
	    "SELECT " PROJ_COLS " FROM workspaces WHERE rowid > ?1"
	    " AND (?2 OR archived_at IS NULL) ORDER BY rowid LIMIT ?3",
	[STMT_PROJ_RENAME] =
	    "UPDATE workspaces SET name = ?2 WHERE id = ?1",
	[STMT_PROJ_ARCHIVE] =
	    "UPDATE workspaces SET archived_at = ?2 WHERE id = ?1"
	    " AND archived_at IS NULL",
#undef PROJ_COLS
	[STMT_SA_INSERT] =
	    "INSERT INTO service_accounts (id, workspace_id, name, created_at)"
	    " VALUES (?1, ?2, ?3, ?4)",
	[STMT_SA_GET] =
	    "SELECT id, name, created_at FROM service_accounts"
	    " WHERE id = ?1 AND workspace_id = ?2 AND deleted_at IS NULL",
	[STMT_SA_SEQ] =
	    "SELECT seq FROM service_accounts"
	    " WHERE id = ?1 AND workspace_id = ?2",
	[STMT_SA_LIST] =
	    "SELECT id, name, created_at FROM service_accounts"
	    " WHERE workspace_id = ?1 AND deleted_at IS NULL AND seq > ?2"
	    " ORDER BY seq LIMIT ?3",
	[STMT_SA_DELETE] =
	    "UPDATE service_accounts SET deleted_at = ?3"
	    " WHERE id = ?1 AND workspace_id = ?2 AND deleted_at IS NULL",
	[STMT_SA_REVOKE_KEYS] =
	    "UPDATE api_keys SET revoked_at = ?2"
	    " WHERE service_account_id = ?1 AND revoked_at IS NULL",
#define PKEY_COLS							\
	    "k.id, k.name, k.tail, k.created_at, k.last_used_at, s.id,"	\
	    " s.name, s.created_at"
	[STMT_PKEY_GET] =
	    "SELECT " PKEY_COLS " FROM api_keys k"
	    " LEFT JOIN service_accounts s ON s.id = k.service_account_id"
	    " WHERE k.id = ?1 AND k.workspace_id = ?2"
	    " AND k.revoked_at IS NULL",
	[STMT_PKEY_SEQ] =
	    "SELECT rowid FROM api_keys WHERE id = ?1 AND workspace_id = ?2",
	[STMT_PKEY_LIST] =
	    "SELECT " PKEY_COLS " FROM api_keys k"
	    " LEFT JOIN service_accounts s ON s.id = k.service_account_id"
	    " WHERE k.workspace_id = ?1 AND k.revoked_at IS NULL"
	    " AND k.rowid > ?2 ORDER BY k.rowid LIMIT ?3",
	[STMT_PKEY_REVOKE] =
	    "UPDATE api_keys SET revoked_at = ?3"
	    " WHERE id = ?1 AND workspace_id = ?2 AND revoked_at IS NULL",
	[STMT_PKEY_WS] =
	    "SELECT workspace_id FROM api_keys WHERE id = ?1",
#undef PKEY_COLS
#define AKEY_COLS							\
	    "id, name, tail, created_at, expires_at, last_used_at, created_by"
	[STMT_AKEY_INSERT] =
	    "INSERT INTO admin_keys (id, name, hash, pepper_version, tail,"
	    " created_at, expires_at, created_by)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[STMT_AKEY_GET] =
	    "SELECT " AKEY_COLS " FROM admin_keys"
	    " WHERE id = ?1 AND revoked_at IS NULL",
	[STMT_AKEY_SEQ] =
	    "SELECT seq FROM admin_keys WHERE id = ?1",
	[STMT_AKEY_LIST] =
	    "SELECT " AKEY_COLS " FROM admin_keys"
	    " WHERE revoked_at IS NULL AND seq > ?1 ORDER BY seq LIMIT ?2",
	[STMT_AKEY_REVOKE] =
	    "UPDATE admin_keys SET revoked_at = ?2"
	    " WHERE id = ?1 AND revoked_at IS NULL",
#undef AKEY_COLS
	[STMT_AUDIT_INSERT] =
	    "INSERT INTO audit_log (id, type, effective_at, project_id,"
	    " actor_type, actor_id, actor_ip, resource_id, data)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[STMT_AUDIT_SEQ] =
	    "SELECT seq FROM audit_log WHERE id = ?1",
	/*
	 * Between the cursors ?1 (after: older than) and ?2 (before: newer
	 * than), effective_at in (?3, ?4); each list filter is a JSON array
	 * of strings, or NULL for none.  Newest first; the _ASC form, for a
	 * page just newer than "before", is read oldest first and handed
	 * out newest first (admin_audit.c).
	 */
#define AUDIT_LIST(order)						\
	    "SELECT a.id, a.type, a.effective_at, a.project_id, a.actor_type,"\
	    " a.actor_id, a.actor_ip, a.resource_id, a.data, w.name"	\
	    " FROM audit_log a LEFT JOIN workspaces w ON w.id = a.project_id"\
	    " WHERE a.seq < ?1 AND a.seq > ?2"				\
	    " AND a.effective_at > ?3 AND a.effective_at < ?4"		\
	    " AND (?5 IS NULL OR a.project_id IN"			\
	    "  (SELECT value FROM json_each(?5)))"			\
	    " AND (?6 IS NULL OR a.type IN (SELECT value FROM json_each(?6)))"\
	    " AND (?7 IS NULL OR a.actor_id IN"				\
	    "  (SELECT value FROM json_each(?7)))"			\
	    " AND (?8 IS NULL OR a.resource_id IN"			\
	    "  (SELECT value FROM json_each(?8)))"			\
	    " ORDER BY a.seq " order " LIMIT ?9"
	[STMT_AUDIT_LIST] = AUDIT_LIST("DESC"),
	[STMT_AUDIT_LIST_ASC] = AUDIT_LIST("ASC"),
#undef AUDIT_LIST
	/*
	 * Usage and costs from the aggregates (schema 9): buckets of width
	 * ?1 from ?3 to ?4, of kind ?2 (NULL: every kind); ?5..?8 group
	 * by workspace, key, model, batch (a column not grouped reads
	 * NULL); ?9..?11 JSON arrays of workspaces, keys, models to keep
	 * (NULL: all); ?12 batch or not (NULL: both).
	 */
	[STMT_USAGE_AGG] =
	    "SELECT start, CASE WHEN ?5 THEN workspace_id END,"
	    " CASE WHEN ?6 THEN key_id END, CASE WHEN ?7 THEN model END,"
	    " CASE WHEN ?8 THEN batch END, sum(requests), sum(input),"
	    " sum(cached), sum(output), sum(cost_pusd), sum(errors)"
	    " FROM usage_agg WHERE width = ?1 AND start >= ?3 AND start < ?4"
	    " AND (?2 IS NULL OR kind = ?2)"
	    " AND (?9 IS NULL OR workspace_id IN"
	    "  (SELECT value FROM json_each(?9)))"
	    " AND (?10 IS NULL OR key_id IN (SELECT value FROM json_each(?10)))"
	    " AND (?11 IS NULL OR model IN (SELECT value FROM json_each(?11)))"
	    " AND (?12 IS NULL OR batch = ?12)"
	    " GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5",

	/*
	 * Limits (schema 10).  A workspace id of '' is the organization.
	 * STMT_LIM_VIEW reads, in one row, what the request path needs of
	 * workspace ?1 and model ?2: the model's overrides (NULL: the
	 * default), both spend limits, the workspace's share of the pool,
	 * and whether its model permissions let the model through (NULL:
	 * no permissions set).
	 */
#define RL_COLS								\
	    "max_requests_per_1_minute, max_tokens_per_1_minute,"		\
	    " max_requests_per_1_day, batch_1_day_max_input_tokens"
	[STMT_LIM_VIEW] =
	    "SELECT r.max_requests_per_1_minute, r.max_tokens_per_1_minute,"
	    " r.max_requests_per_1_day, r.batch_1_day_max_input_tokens,"
	    " (SELECT threshold_pusd FROM spend_limits WHERE workspace_id = ?1),"
	    " (SELECT threshold_pusd FROM spend_limits WHERE workspace_id = ''),"
	    " (SELECT max_concurrent FROM workspace_limits"
	    "  WHERE workspace_id = ?1),"
	    " (SELECT (p.mode = 'allow_list') = EXISTS (SELECT 1"
	    "  FROM json_each(p.model_ids) WHERE value = ?2)"
	    "  FROM model_permissions p WHERE p.workspace_id = ?1),"
	    /* the lowest alert not fired in month ?3: a settle that
	     * stays below it needs no look at the alerts */
	    " (SELECT min(max(threshold_pusd, 1)) FROM spend_alerts"
	    "  WHERE workspace_id = ?1"
	    "  AND (fired_month IS NULL OR fired_month <> ?3))"
	    " FROM (SELECT 1) LEFT JOIN rate_limits r"
	    " ON r.workspace_id = ?1 AND r.model = ?2",
	[STMT_LIM_KEY] =
	    "SELECT max_requests_per_1_minute, max_tokens_per_1_minute,"
	    " max_requests_per_1_day FROM key_limits WHERE key_id = ?1",
	/* the day buckets of a month from ?2 on; ?1 NULL: every workspace */
	[STMT_LIM_SPENT] =
	    "SELECT coalesce(sum(cost_pusd), 0) FROM usage_agg"
	    " WHERE width = 86400 AND start >= ?2"
	    " AND (?1 IS NULL OR workspace_id = ?1)",
	/*
	 * The alerts of scope ?1 a spend going from ?2 to ?3 crosses, not
	 * yet fired in month ?4.  An alert at 0 fires on the first
	 * picodollar: its threshold counts as 1.
	 */
	[STMT_LIM_ALERTS_DUE] =
	    "SELECT id, threshold_pusd, recipients, subject_prefix"
	    " FROM spend_alerts WHERE workspace_id = ?1"
	    " AND max(threshold_pusd, 1) > ?2 AND max(threshold_pusd, 1) <= ?3"
	    " AND (fired_month IS NULL OR fired_month <> ?4)"
	    " ORDER BY threshold_pusd, seq",
	[STMT_LIM_ALERT_FIRE] =
	    "UPDATE spend_alerts SET fired_month = ?2 WHERE id = ?1"
	    " AND (fired_month IS NULL OR fired_month <> ?2)",
	[STMT_LIM_ALERT_SCOPES] =
	    "SELECT DISTINCT workspace_id FROM spend_alerts"
	    " WHERE fired_month IS NULL OR fired_month <> ?1",
	[STMT_OUTBOX_INSERT] =
	    "INSERT INTO alert_outbox (alert_id, month, payload, created_at)"
	    " VALUES (?1, ?2, ?3, ?4)",
	/* delivery, claimed as batches are (lease.h) */
	[STMT_OUTBOX_CANDIDATES] =
	    "SELECT seq, lease_owner, lease_until FROM alert_outbox"
	    " WHERE delivered_at IS NULL AND not_before <= ?1"
	    " ORDER BY seq LIMIT ?2",
	[STMT_OUTBOX_TAKE] =
	    "UPDATE alert_outbox SET lease_owner = ?2, lease_until = ?3,"
	    " attempts = attempts + 1 WHERE seq = ?1 AND delivered_at IS NULL"
	    " AND not_before <= ?4 AND (lease_owner IS NULL"
	    " OR lease_until < ?4 OR lease_owner = ?5)",
	[STMT_OUTBOX_PAYLOAD] =
	    "SELECT payload, attempts FROM alert_outbox"
	    " WHERE seq = ?1 AND lease_owner = ?2",
	[STMT_OUTBOX_DONE] =
	    "UPDATE alert_outbox SET delivered_at = ?3, lease_owner = NULL,"
	    " lease_until = NULL, last_error = NULL"
	    " WHERE seq = ?1 AND lease_owner = ?2",
	[STMT_OUTBOX_FAIL] =
	    "UPDATE alert_outbox SET lease_owner = NULL, lease_until = NULL,"
	    " not_before = ?3, last_error = ?4"
	    " WHERE seq = ?1 AND lease_owner = ?2",
	/* the Admin API and vennactl */
	[STMT_RL_GET] =
	    "SELECT " RL_COLS " FROM rate_limits"
	    " WHERE workspace_id = ?1 AND model = ?2",
	[STMT_RL_SET] =
	    "INSERT INTO rate_limits (workspace_id, model, " RL_COLS ","
	    " updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
	    " ON CONFLICT (workspace_id, model) DO UPDATE SET"
	    " max_requests_per_1_minute = excluded.max_requests_per_1_minute,"
	    " max_tokens_per_1_minute = excluded.max_tokens_per_1_minute,"
	    " max_requests_per_1_day = excluded.max_requests_per_1_day,"
	    " batch_1_day_max_input_tokens ="
	    " excluded.batch_1_day_max_input_tokens,"
	    " updated_at = excluded.updated_at",
	[STMT_RL_DROP] =
	    "DELETE FROM rate_limits WHERE workspace_id = ?1 AND model = ?2",
#undef RL_COLS
	[STMT_KL_SET] =
	    "INSERT INTO key_limits (key_id, max_requests_per_1_minute,"
	    " max_tokens_per_1_minute, max_requests_per_1_day, updated_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (key_id) DO UPDATE SET"
	    " max_requests_per_1_minute = excluded.max_requests_per_1_minute,"
	    " max_tokens_per_1_minute = excluded.max_tokens_per_1_minute,"
	    " max_requests_per_1_day = excluded.max_requests_per_1_day,"
	    " updated_at = excluded.updated_at",
	[STMT_KL_DROP] =
	    "DELETE FROM key_limits WHERE key_id = ?1",
	[STMT_WL_GET] =
	    "SELECT max_concurrent FROM workspace_limits"
	    " WHERE workspace_id = ?1",
	[STMT_WL_SET] =
	    "INSERT INTO workspace_limits (workspace_id, max_concurrent,"
	    " updated_at) VALUES (?1, ?2, ?3) ON CONFLICT (workspace_id)"
	    " DO UPDATE SET max_concurrent = excluded.max_concurrent,"
	    " updated_at = excluded.updated_at",
	[STMT_WL_DROP] =
	    "DELETE FROM workspace_limits WHERE workspace_id = ?1",
	[STMT_SL_GET] =
	    "SELECT threshold_pusd FROM spend_limits WHERE workspace_id = ?1",
	[STMT_SL_SET] =
	    "INSERT INTO spend_limits (workspace_id, threshold_pusd,"
	    " updated_at) VALUES (?1, ?2, ?3) ON CONFLICT (workspace_id)"
	    " DO UPDATE SET threshold_pusd = excluded.threshold_pusd,"
	    " updated_at = excluded.updated_at",
	[STMT_SL_DROP] =
	    "DELETE FROM spend_limits WHERE workspace_id = ?1",
#define ALERT_COLS							\
	    "id, threshold_pusd, recipients, subject_prefix, created_at,"	\
	    " fired_month"
	[STMT_ALERT_INSERT] =
	    "INSERT INTO spend_alerts (id, workspace_id, threshold_pusd,"
	    " recipients, subject_prefix, created_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[STMT_ALERT_GET] =
	    "SELECT " ALERT_COLS " FROM spend_alerts"
	    " WHERE id = ?1 AND workspace_id = ?2",
	[STMT_ALERT_SEQ] =
	    "SELECT seq FROM spend_alerts WHERE id = ?1 AND workspace_id = ?2",
	/* between the cursors ?2 and ?3 (seqs, exclusive) */
	[STMT_ALERT_LIST_ASC] =
	    "SELECT " ALERT_COLS " FROM spend_alerts WHERE workspace_id = ?1"
	    " AND seq > ?2 AND seq < ?3 ORDER BY seq ASC LIMIT ?4",
	[STMT_ALERT_LIST_DESC] =
	    "SELECT " ALERT_COLS " FROM spend_alerts WHERE workspace_id = ?1"
	    " AND seq > ?2 AND seq < ?3 ORDER BY seq DESC LIMIT ?4",
	/* a new threshold may fire again this month */
	[STMT_ALERT_UPDATE] =
	    "UPDATE spend_alerts SET fired_month = CASE threshold_pusd"
	    " WHEN ?3 THEN fired_month END, threshold_pusd = ?3,"
	    " recipients = ?4, subject_prefix = ?5"
	    " WHERE id = ?1 AND workspace_id = ?2",
	[STMT_ALERT_DELETE] =
	    "DELETE FROM spend_alerts WHERE id = ?1 AND workspace_id = ?2",
	[STMT_ALERT_COUNT] =
	    "SELECT count(*) FROM spend_alerts WHERE workspace_id = ?1",
#undef ALERT_COLS
	[STMT_PERM_GET] =
	    "SELECT mode, model_ids FROM model_permissions"
	    " WHERE workspace_id = ?1",
	[STMT_PERM_SET] =
	    "INSERT INTO model_permissions (workspace_id, mode, model_ids,"
	    " updated_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (workspace_id)"
	    " DO UPDATE SET mode = excluded.mode,"
	    " model_ids = excluded.model_ids, updated_at = excluded.updated_at",
	[STMT_PERM_DROP] =
	    "DELETE FROM model_permissions WHERE workspace_id = ?1",

	[STMT_USAGE_INSERT] =
	    "INSERT INTO usage (request_id, created_at, workspace_id, key_id,"
	    " endpoint, model, upstream, prompt_tokens, completion_tokens,"
	    " cached_tokens, cost_pusd, status, latency_ms, batch_id)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
	    " ?14)",

	/*
	 * usage reports: ?1 workspace name or NULL, ?2 since (unix s).
	 * They read the aggregates (schema 9) of width ?3 from ?4 on, ?4
	 * being since rounded up to a bucket, and the ledger rows of the
	 * less than a bucket between since and ?4 (none when since is on
	 * a bucket: that constant term skips the scan).
	 */
#define USAGE_REPORT(gagg, graw)					\
	    "SELECT w.name, x.grp, sum(x.n), sum(x.p), sum(x.c), sum(x.ca),"\
	    " sum(x.cost), sum(x.err) FROM ("				\
	    " SELECT workspace_id AS ws, " gagg " AS grp, requests AS n,"	\
	    "  input AS p, output AS c, cached AS ca, cost_pusd AS cost,"	\
	    "  errors AS err FROM usage_agg WHERE width = ?3 AND start >= ?4"\
	    " UNION ALL"						\
	    " SELECT workspace_id, " graw ", 1, prompt_tokens,"		\
	    "  completion_tokens, cached_tokens, cost_pusd, status >= 400"	\
	    "  FROM usage WHERE ?2 < ?4 AND created_at >= ?2"		\
	    "  AND created_at < ?4) x"					\
	    " JOIN workspaces w ON w.id = x.ws"				\
	    " WHERE ?1 IS NULL OR w.name = ?1"				\
	    " GROUP BY 1, 2 ORDER BY 1, 2"
	[STMT_USAGE_BY_WORKSPACE] = USAGE_REPORT("NULL", "NULL"),
	[STMT_USAGE_BY_MODEL] = USAGE_REPORT("nullif(model, '')", "model"),
	[STMT_USAGE_BY_KEY] = USAGE_REPORT("nullif(key_id, '')", "key_id"),
	[STMT_USAGE_BY_DAY] = USAGE_REPORT("date(start, 'unixepoch')",
	    "date(created_at, 'unixepoch')"),
#undef USAGE_REPORT

	[STMT_LEDGER_OFFSET] =
	    "SELECT imported FROM ledger_files WHERE name = ?1",
	[STMT_LEDGER_SET] =
	    "INSERT INTO ledger_files (name, imported) VALUES (?1, ?2)"
	    " ON CONFLICT (name) DO UPDATE SET imported = excluded.imported",
	[STMT_LEDGER_DROP] =
	    "DELETE FROM ledger_files WHERE name = ?1",
	[STMT_LEDGER_DONE] =
	    "SELECT name FROM ledger_files WHERE imported = ?1",
	[STMT_METRICS_BATCHES] =
	    "SELECT status, count(*) FROM batches WHERE status IN "
	    "('validating', 'in_progress', 'finalizing', 'cancelling') "
	    "GROUP BY status",
	[STMT_METRICS_LINES] =
	    "SELECT count(*) FROM batch_lines l JOIN batches b "
	    "ON b.seq = l.batch_seq WHERE l.state = 0 AND "
	    "b.status = 'in_progress'",

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

	[STMT_READY_TOUCH] =
	    "UPDATE readiness SET checked_at = ?1 WHERE id = 1",
};
