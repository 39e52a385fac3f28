/*
 * schema.c: forward-only migrations.  Migration N takes a database at
 * user_version N-1 to N; a released migration is never edited, only
 * followed by a new one.  The table is data: db.c applies it when it
 * opens a database.
 */
#include "config.h"

#include "schema.h"

const char *const schema_migrations[] = {
	/* 1: workspaces, their API keys, and the usage ledger. */
	"CREATE TABLE workspaces ("
	"  id TEXT PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  created_at INTEGER NOT NULL"
	");"
	/* Only a keyed hash of each key is kept: a dump yields no key. */
	"CREATE TABLE api_keys ("
	"  id TEXT PRIMARY KEY,"
	"  workspace_id TEXT NOT NULL REFERENCES workspaces(id),"
	"  name TEXT,"
	"  hash BLOB NOT NULL,"
	"  pepper_version INTEGER NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  last_used_at INTEGER,"
	"  revoked_at INTEGER"
	");"
	"CREATE INDEX api_keys_workspace ON api_keys(workspace_id);"
	/* One row per request that reached a model, success or not. */
	"CREATE TABLE usage ("
	"  id INTEGER PRIMARY KEY,"
	"  request_id TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  workspace_id TEXT NOT NULL,"
	"  key_id TEXT,"
	"  endpoint TEXT NOT NULL,"
	"  model TEXT,"
	"  upstream TEXT,"
	"  prompt_tokens INTEGER NOT NULL DEFAULT 0,"
	"  completion_tokens INTEGER NOT NULL DEFAULT 0,"
	"  cached_tokens INTEGER NOT NULL DEFAULT 0,"
	"  cost_pusd INTEGER NOT NULL DEFAULT 0,"
	"  status INTEGER NOT NULL,"
	"  latency_ms INTEGER NOT NULL,"
	"  batch_id TEXT"
	");"
	"CREATE INDEX usage_workspace_time ON usage(workspace_id, created_at);"
	"CREATE INDEX usage_time ON usage(created_at);",

	/*
	 * 2: one index fewer on the ledger, the table every request
	 * writes; reports by time alone scan, which is what they do
	 * anyway over a whole workspace set.
	 */
	"DROP INDEX usage_time;",

	/*
	 * 3: how far each ledger journal has been imported into usage;
	 * advanced in the same transaction as the rows it covers.
	 */
	"CREATE TABLE ledger_files ("
	"  name TEXT PRIMARY KEY,"
	"  imported INTEGER NOT NULL"
	");",

	/*
	 * 4: files.  The content lives in data_dir under a name made from
	 * the id (never from the client's filename, kept here as metadata
	 * only).  seq orders a workspace's files for keyset pagination;
	 * deleted_at hides a file at once, venna-batch reclaims its
	 * content later.
	 */
	"CREATE TABLE files ("
	"  seq INTEGER PRIMARY KEY,"
	"  id TEXT NOT NULL UNIQUE,"
	"  workspace_id TEXT NOT NULL REFERENCES workspaces(id),"
	"  filename TEXT NOT NULL,"
	"  purpose TEXT NOT NULL,"
	"  bytes INTEGER NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  expires_at INTEGER,"
	"  status TEXT NOT NULL DEFAULT 'processed',"
	"  status_details TEXT,"
	"  deleted_at INTEGER"
	");"
	"CREATE INDEX files_workspace ON files(workspace_id, seq)"
	"  WHERE deleted_at IS NULL;"
	"CREATE INDEX files_workspace_purpose ON files(workspace_id, purpose,"
	"  seq) WHERE deleted_at IS NULL;"
	"CREATE INDEX files_expiry ON files(expires_at)"
	"  WHERE expires_at IS NOT NULL AND deleted_at IS NULL;"
	"CREATE INDEX files_deleted ON files(deleted_at)"
	"  WHERE deleted_at IS NOT NULL;",

	/*
	 * 5: batches.  batch_lines indexes the input file (one row per line,
	 * with its place in the file); a line's result is kept in
	 * batch_results, committed with the line's state, until the output
	 * and error files are written.  A runner holds a batch through
	 * lease_owner/lease_until.
	 */
	"CREATE TABLE batches ("
	"  seq INTEGER PRIMARY KEY,"
	"  id TEXT NOT NULL UNIQUE,"
	"  workspace_id TEXT NOT NULL REFERENCES workspaces(id),"
	"  key_id TEXT,"
	"  endpoint TEXT NOT NULL,"
	"  model TEXT,"
	"  input_file_id TEXT NOT NULL,"
	"  completion_window TEXT NOT NULL,"
	"  status TEXT NOT NULL,"
	"  output_file_id TEXT,"
	"  error_file_id TEXT,"
	"  errors TEXT,"
	"  metadata TEXT,"
	"  created_at INTEGER NOT NULL,"
	"  in_progress_at INTEGER,"
	"  expires_at INTEGER,"
	"  finalizing_at INTEGER,"
	"  completed_at INTEGER,"
	"  failed_at INTEGER,"
	"  expired_at INTEGER,"
	"  cancelling_at INTEGER,"
	"  cancelled_at INTEGER,"
	"  total INTEGER NOT NULL DEFAULT 0,"
	"  completed INTEGER NOT NULL DEFAULT 0,"
	"  failed INTEGER NOT NULL DEFAULT 0,"
	"  input_tokens INTEGER NOT NULL DEFAULT 0,"
	"  cached_tokens INTEGER NOT NULL DEFAULT 0,"
	"  output_tokens INTEGER NOT NULL DEFAULT 0,"
	"  lease_owner TEXT,"
	"  lease_until INTEGER"
	");"
	"CREATE INDEX batches_workspace ON batches(workspace_id, seq);"
	"CREATE INDEX batches_work ON batches(status)"
	"  WHERE status IN ('validating', 'in_progress', 'finalizing',"
	"  'cancelling');"
	"CREATE TABLE batch_lines ("
	"  batch_seq INTEGER NOT NULL REFERENCES batches(seq),"
	"  line INTEGER NOT NULL,"
	"  custom_id TEXT NOT NULL,"
	"  input_offset INTEGER NOT NULL,"
	"  input_length INTEGER NOT NULL,"
	"  state INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (batch_seq, line)"
	") WITHOUT ROWID;"
	"CREATE INDEX batch_lines_pending ON batch_lines(batch_seq, line)"
	"  WHERE state = 0;"
	"CREATE TABLE batch_results ("
	"  batch_seq INTEGER NOT NULL REFERENCES batches(seq),"
	"  line INTEGER NOT NULL,"
	"  is_error INTEGER NOT NULL,"
	"  result TEXT NOT NULL,"
	"  PRIMARY KEY (batch_seq, line)"
	") WITHOUT ROWID;",

	/*
	 * 6: stored responses and their input items.  A response keeps its
	 * create request (for the fields it echoes) and its output items;
	 * previous_response_id chains them.  lease_owner/lease_until hold a
	 * background response while a process works on it.
	 */
	"CREATE TABLE responses ("
	"  seq INTEGER PRIMARY KEY,"
	"  id TEXT NOT NULL UNIQUE,"
	"  workspace_id TEXT NOT NULL REFERENCES workspaces(id),"
	"  key_id TEXT,"
	"  previous_response_id TEXT,"
	"  model TEXT NOT NULL,"
	"  status TEXT NOT NULL,"
	"  background INTEGER NOT NULL,"
	"  request TEXT NOT NULL,"
	"  output TEXT,"
	"  usage TEXT,"
	"  error TEXT,"
	"  incomplete_details TEXT,"
	"  created_at INTEGER NOT NULL,"
	"  completed_at INTEGER,"
	"  cancel_requested INTEGER NOT NULL DEFAULT 0,"
	"  lease_owner TEXT,"
	"  lease_until INTEGER,"
	"  deleted_at INTEGER"
	");"
	"CREATE INDEX responses_background ON responses(status)"
	"  WHERE background = 1 AND status IN ('queued', 'in_progress');"
	"CREATE TABLE response_items ("
	"  response_seq INTEGER NOT NULL REFERENCES responses(seq),"
	"  seq INTEGER NOT NULL,"
	"  item_id TEXT NOT NULL,"
	"  item TEXT NOT NULL,"
	"  PRIMARY KEY (response_seq, seq)"
	") WITHOUT ROWID;",

	/*
	 * 7: a batch's output_expires_after (seconds after the output and
	 * error files are made); NULL keeps FILE_BATCH_EXPIRY.
	 */
	"ALTER TABLE batches ADD COLUMN output_expires_after INTEGER;",

	/*
	 * 8: the responses that continue a response, found when it is
	 * deleted (responses.deleted_at hides one that others continue).
	 */
	"CREATE INDEX responses_previous ON responses(previous_response_id,"
	"  workspace_id) WHERE previous_response_id IS NOT NULL;",

	/*
	 * 9: the Admin API.  A workspace is an OpenAI project: archived_at
	 * stops its keys at once, its objects stay.  Keys keep the last
	 * characters a listing shows (tail) and, when made for a service
	 * account, its id.  Admin keys are a kind of their own, hashed like
	 * workspace keys.  The audit log is append-only: the triggers
	 * refuse any change to a row once written.
	 */
	"ALTER TABLE workspaces ADD COLUMN archived_at INTEGER;"
	"ALTER TABLE api_keys ADD COLUMN tail TEXT;"
	"ALTER TABLE api_keys ADD COLUMN service_account_id TEXT;"
	"CREATE TABLE service_accounts ("
	"  seq INTEGER PRIMARY KEY,"
	"  id TEXT NOT NULL UNIQUE,"
	"  workspace_id TEXT NOT NULL REFERENCES workspaces(id),"
	"  name TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  deleted_at INTEGER"
	");"
	"CREATE INDEX service_accounts_workspace ON"
	"  service_accounts(workspace_id, seq) WHERE deleted_at IS NULL;"
	"CREATE TABLE admin_keys ("
	"  seq INTEGER PRIMARY KEY,"
	"  id TEXT NOT NULL UNIQUE,"
	"  name TEXT,"
	"  hash BLOB NOT NULL,"
	"  pepper_version INTEGER NOT NULL,"
	"  tail TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  expires_at INTEGER,"
	"  last_used_at INTEGER,"
	"  revoked_at INTEGER,"
	"  created_by TEXT NOT NULL"
	");"
	"CREATE TABLE audit_log ("
	"  seq INTEGER PRIMARY KEY,"
	"  id TEXT NOT NULL UNIQUE,"
	"  type TEXT NOT NULL,"
	"  effective_at INTEGER NOT NULL,"
	"  project_id TEXT,"
	"  actor_type TEXT NOT NULL,"
	"  actor_id TEXT NOT NULL,"
	"  actor_ip TEXT,"
	"  resource_id TEXT,"
	"  data TEXT"
	");"
	"CREATE INDEX audit_log_time ON audit_log(effective_at);"
	"CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log"
	"  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
	"CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log"
	"  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
	/*
	 * Usage aggregates, for the Admin API's usage and costs: every
	 * ledger row, however it is inserted, is added to its minute, hour
	 * and day bucket, keyed by what the API groups and filters by
	 * (kind 1: completions and responses, 2: embeddings); a missing
	 * key or model is ''.  Rows present before this migration are
	 * added once, here.
	 */
	"CREATE TABLE usage_agg ("
	"  width INTEGER NOT NULL,"
	"  start INTEGER NOT NULL,"
	"  kind INTEGER NOT NULL,"
	"  workspace_id TEXT NOT NULL,"
	"  key_id TEXT NOT NULL,"
	"  model TEXT NOT NULL,"
	"  batch INTEGER NOT NULL,"
	"  requests INTEGER NOT NULL,"
	"  errors INTEGER NOT NULL,"
	"  input INTEGER NOT NULL,"
	"  cached INTEGER NOT NULL,"
	"  output INTEGER NOT NULL,"
	"  cost_pusd INTEGER NOT NULL,"
	"  PRIMARY KEY (width, start, kind, workspace_id, key_id, model, batch)"
	") WITHOUT ROWID;"
	"CREATE TRIGGER usage_agg_add AFTER INSERT ON usage BEGIN"
	"  INSERT INTO usage_agg SELECT w.width,"
	"   NEW.created_at - NEW.created_at % w.width,"
	"   CASE NEW.endpoint WHEN '/v1/embeddings' THEN 2 ELSE 1 END,"
	"   NEW.workspace_id, coalesce(NEW.key_id, ''),"
	"   coalesce(NEW.model, ''), NEW.batch_id IS NOT NULL, 1,"
	"   NEW.status >= 400, NEW.prompt_tokens, NEW.cached_tokens,"
	"   NEW.completion_tokens, NEW.cost_pusd"
	"   FROM (SELECT 60 AS width UNION ALL SELECT 3600"
	"   UNION ALL SELECT 86400) w WHERE true"
	"  ON CONFLICT (width, start, kind, workspace_id, key_id, model, batch)"
	"  DO UPDATE SET requests = requests + excluded.requests,"
	"   errors = errors + excluded.errors, input = input + excluded.input,"
	"   cached = cached + excluded.cached,"
	"   output = output + excluded.output,"
	"   cost_pusd = cost_pusd + excluded.cost_pusd;"
	" END;"
	"INSERT INTO usage_agg SELECT w.width, u.created_at - u.created_at %"
	"  w.width, CASE u.endpoint WHEN '/v1/embeddings' THEN 2 ELSE 1 END,"
	"  u.workspace_id, coalesce(u.key_id, ''), coalesce(u.model, ''),"
	"  u.batch_id IS NOT NULL, count(*), sum(u.status >= 400),"
	"  sum(u.prompt_tokens), sum(u.cached_tokens),"
	"  sum(u.completion_tokens), sum(u.cost_pusd)"
	"  FROM usage u, (SELECT 60 AS width UNION ALL SELECT 3600"
	"  UNION ALL SELECT 86400) w GROUP BY 1, 2, 3, 4, 5, 6, 7;",

	/*
	 * 10: limits (issue #16).  What is stored here is what the Admin
	 * API and vennactl set; the counting is limiter.c's, in memory
	 * shared by the processes of the host.  A workspace id of '' is
	 * the organization (spend limits and alerts exist at both levels).
	 * Amounts are picodollars, as usage.cost_pusd.
	 *
	 * rate_limits: a workspace's overrides of a model's limits; NULL
	 * is the model's default from venna.conf, 0 no limit.  A row whose
	 * columns are all NULL is deleted rather than kept.
	 */
	"CREATE TABLE rate_limits ("
	"  workspace_id TEXT NOT NULL REFERENCES workspaces(id),"
	"  model TEXT NOT NULL,"
	"  max_requests_per_1_minute INTEGER,"
	"  max_tokens_per_1_minute INTEGER,"
	"  max_requests_per_1_day INTEGER,"
	"  batch_1_day_max_input_tokens INTEGER,"
	"  updated_at INTEGER NOT NULL,"
	"  PRIMARY KEY (workspace_id, model)"
	") WITHOUT ROWID;"
	/* A key's own limits over all models (Venna's); 0 is no limit. */
	"CREATE TABLE key_limits ("
	"  key_id TEXT PRIMARY KEY REFERENCES api_keys(id),"
	"  max_requests_per_1_minute INTEGER NOT NULL,"
	"  max_tokens_per_1_minute INTEGER NOT NULL,"
	"  max_requests_per_1_day INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL"
	") WITHOUT ROWID;"
	/*
	 * A workspace's settings that are not per model: its share of the
	 * pool (max_concurrent; NULL: the server's, 0: none).
	 */
	"CREATE TABLE workspace_limits ("
	"  workspace_id TEXT PRIMARY KEY REFERENCES workspaces(id),"
	"  max_concurrent INTEGER,"
	"  updated_at INTEGER NOT NULL"
	") WITHOUT ROWID;"
	/* Hard spend limits, a month each; no row: no limit. */
	"CREATE TABLE spend_limits ("
	"  workspace_id TEXT PRIMARY KEY,"
	"  threshold_pusd INTEGER NOT NULL CHECK (threshold_pusd > 0),"
	"  updated_at INTEGER NOT NULL"
	") WITHOUT ROWID;"
	/*
	 * Spend alerts.  fired_month is the first second of the month the
	 * alert last fired in: it fires once a month at most, whoever
	 * notices the crossing first (a worker settling a call, or
	 * venna-batch's sweep).
	 */
	"CREATE TABLE spend_alerts ("
	"  seq INTEGER PRIMARY KEY,"
	"  id TEXT NOT NULL UNIQUE,"
	"  workspace_id TEXT NOT NULL,"
	"  threshold_pusd INTEGER NOT NULL CHECK (threshold_pusd >= 0),"
	"  recipients TEXT NOT NULL,"
	"  subject_prefix TEXT,"
	"  created_at INTEGER NOT NULL,"
	"  fired_month INTEGER"
	");"
	"CREATE INDEX spend_alerts_scope ON spend_alerts(workspace_id,"
	"  threshold_pusd);"
	/*
	 * Which models a workspace may call: model_ids is a JSON array of
	 * model names, an allow list or a deny list; no row: all of them.
	 */
	"CREATE TABLE model_permissions ("
	"  workspace_id TEXT PRIMARY KEY REFERENCES workspaces(id),"
	"  mode TEXT NOT NULL CHECK (mode IN ('allow_list', 'deny_list')),"
	"  model_ids TEXT NOT NULL,"
	"  updated_at INTEGER NOT NULL"
	") WITHOUT ROWID;"
	/*
	 * Fired alerts waiting for venna-batch to run alert_command with
	 * payload (the JSON it reads): one row per firing, made in the
	 * transaction that marks the alert fired.  A pass claims a
	 * row with a lease (lease.h) and marks it delivered once the
	 * command exited 0; a failure waits until not_before.
	 */
	"CREATE TABLE alert_outbox ("
	"  seq INTEGER PRIMARY KEY,"
	"  alert_id TEXT NOT NULL,"
	"  month INTEGER NOT NULL,"
	"  payload TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  not_before INTEGER NOT NULL DEFAULT 0,"
	"  last_error TEXT,"
	"  lease_owner TEXT,"
	"  lease_until INTEGER,"
	"  delivered_at INTEGER"
	");"
	"CREATE INDEX alert_outbox_pending ON alert_outbox(seq)"
	"  WHERE delivered_at IS NULL;",
	/*
	 * 11: one row that GET /readyz rewrites (ready.c): a real write is
	 * the only proof that the database takes writes now (no other
	 * process holds the write lock, the disk has room).
	 */
	"CREATE TABLE readiness ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  checked_at INTEGER NOT NULL"
	");"
	"INSERT INTO readiness (id, checked_at) VALUES (1, 0);",
};

/* The version a database has once every migration ran. */
int
schema_latest(void)
{
	return (int)VN_NELEM(schema_migrations);
}
