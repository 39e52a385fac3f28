/*
 * files.c: file rows and file objects.  Every statement here carries
 * the workspace (reliability.md §4, IDOR): a file of another workspace,
 * a deleted file and an expired one are all simply "not found", at
 * every use site.  Listing is keyset pagination on seq over the partial
 * indexes of schema migration 4, so a page costs the same at the end of
 * a million files as at the start; only "offset" adds a count.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "buf.h"
#include "db.h"
#include "fault.h"
#include "files.h"

/* Purposes: those a client may upload, and those Venna makes. */
static const struct {
	const char	*name;
	int		 upload;
} purposes[] = {
	{ "assistants", 1 },
	{ "batch", 1 },
	{ "fine-tune", 1 },
	{ "vision", 1 },
	{ "user_data", 1 },
	{ "evals", 1 },
	{ "assistants_output", 0 },
	{ "batch_output", 0 },
	{ "fine-tune-results", 0 },
};

static void	 row_obj(sqlite3_stmt *, struct file_obj *);
static enum vn_err cursor(struct db *, const char *,
		    const struct files_query *, sqlite3_int64 *,
		    struct fault *);
static enum vn_err count(struct db *, const char *,
		    const struct files_query *, time_t, long long *);

/* Is s a purpose (upload: one a client may upload)?  Pure. */
int
files_purpose_ok(const char *s, int upload)
{
	size_t	 i;

	for (i = 0; i < VN_NELEM(purposes); i++)
		if (strcmp(s, purposes[i].name) == 0)
			return !upload || purposes[i].upload;
	return 0;
}

/* Append the file object f (openai-api.md §2.3) to b. */
enum vn_err
files_json(struct buf *b, const struct file_obj *f)
{
	enum vn_err	 rc;

	if ((rc = buf_addstr(b, "{\"id\":")) != VN_OK ||
	    (rc = buf_add_json_string(b, f->id, strlen(f->id))) != VN_OK ||
	    (rc = buf_addf(b, ",\"object\":\"file\",\"bytes\":%lld,"
	    "\"created_at\":%lld", (long long)f->bytes,
	    (long long)f->created_at)) != VN_OK)
		return rc;
	/* The spec types expires_at as an integer: never is absent. */
	rc = f->expires_at != 0 ? buf_addf(b, ",\"expires_at\":%lld",
	    (long long)f->expires_at) : VN_OK;
	if (rc != VN_OK ||
	    (rc = buf_addstr(b, ",\"filename\":")) != VN_OK ||
	    (rc = buf_add_json_string(b, f->filename,
	    strlen(f->filename))) != VN_OK ||
	    (rc = buf_addstr(b, ",\"purpose\":")) != VN_OK ||
	    (rc = buf_add_json_string(b, f->purpose,
	    strlen(f->purpose))) != VN_OK ||
	    (rc = buf_addstr(b, ",\"status\":")) != VN_OK ||
	    (rc = buf_add_json_string(b, f->status,
	    strlen(f->status))) != VN_OK)
		return rc;
	/* A string in the spec, never null: none is absent. */
	if (f->status_details[0] != '\0' &&
	    ((rc = buf_addstr(b, ",\"status_details\":")) != VN_OK ||
	    (rc = buf_add_json_string(b, f->status_details,
	    strlen(f->status_details))) != VN_OK))
		return rc;
	return buf_addc(b, '}');
}

/* A row of the FILE_COLS statements (sql.c) into f. */
static void
row_obj(sqlite3_stmt *st, struct file_obj *f)
{
	db_col_copy(st, 0, f->id, sizeof(f->id));
	db_col_copy(st, 1, f->filename, sizeof(f->filename));
	db_col_copy(st, 2, f->purpose, sizeof(f->purpose));
	f->bytes = sqlite3_column_int64(st, 3);
	f->created_at = sqlite3_column_int64(st, 4);
	f->expires_at = sqlite3_column_int64(st, 5);
	db_col_copy(st, 6, f->status, sizeof(f->status));
	db_col_copy(st, 7, f->status_details, sizeof(f->status_details));
}

/*
 * File id of workspace ws, if visible at now, into f.  VN_ENOTFOUND
 * when it is missing, another workspace's, deleted or expired.
 */
enum vn_err
files_get(struct db *db, const char *ws, const char *id, time_t now,
    struct file_obj *f)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = db_stmt(db, STMT_FILE_GET)) == NULL)
		return VN_ESTORE;
	sqlite3_bind_text(st, 1, ws, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
	sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		row_obj(st, f);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return VN_OK;
	return rc == SQLITE_DONE ? VN_ENOTFOUND : db_rc(db, rc, "file get");
}

/*
 * Record file f of workspace ws, whose content is already stored.  An
 * empty status is "processed"; expires_at 0 is never.
 */
enum vn_err
files_insert(struct db *db, const char *ws, const struct file_obj *f)
{
	sqlite3_stmt	*st;
	enum vn_err	 rc;

	if ((st = db_stmt(db, STMT_FILE_INSERT)) == NULL)
		return VN_ESTORE;
	sqlite3_bind_text(st, 1, f->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, ws, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, f->filename, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, f->purpose, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, f->bytes);
	sqlite3_bind_int64(st, 6, f->created_at);
	if (f->expires_at != 0)
		sqlite3_bind_int64(st, 7, f->expires_at);
	sqlite3_bind_text(st, 8, f->status[0] != '\0' ? f->status :
	    "processed", -1, SQLITE_STATIC);
	if (f->status_details[0] != '\0')
		sqlite3_bind_text(st, 9, f->status_details, -1,
		    SQLITE_STATIC);
	rc = db_rc(db, sqlite3_step(st), "file insert");
	sqlite3_reset(st);
	return rc;
}

/*
 * Delete file id of workspace ws: gone from the API at once, its
 * content left for filestore_purge().  VN_ENOTFOUND as files_get().
 */
enum vn_err
files_delete(struct db *db, const char *ws, const char *id, time_t now)
{
	sqlite3_stmt	*st;
	enum vn_err	 rc;

	if ((st = db_stmt(db, STMT_FILE_DELETE)) == NULL)
		return VN_ESTORE;
	sqlite3_bind_text(st, 1, ws, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
	sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
	rc = db_rc(db, sqlite3_step(st), "file delete");
	sqlite3_reset(st);
	if (rc == VN_OK && db_changes(db) == 0)
		rc = VN_ENOTFOUND;
	return rc;
}

/* The seq of q->after in ws, or VN_EINVAL (reported on f) if unknown. */
static enum vn_err
cursor(struct db *db, const char *ws, const struct files_query *q,
    sqlite3_int64 *seq, struct fault *f)
{
	sqlite3_stmt	*st;
	int		 rc;

	*seq = q->asc ? 0 : INT64_MAX;
	if (q->after == NULL)
		return VN_OK;
	if ((st = db_stmt(db, STMT_FILE_SEQ)) == NULL)
		return VN_ESTORE;
	sqlite3_bind_text(st, 1, ws, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, q->after, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*seq = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return VN_OK;
	if (rc != SQLITE_DONE)
		return db_rc(db, rc, "file cursor");
	return fault_set(f, VN_EINVAL, "after", "invalid_value",
	    "Invalid 'after': no file '%.80s' to list from.", q->after);
}

/* The number of files q lists from the start (for "total"). */
static enum vn_err
count(struct db *db, const char *ws, const struct files_query *q,
    time_t now, long long *n)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = db_stmt(db, STMT_FILE_COUNT)) == NULL)
		return VN_ESTORE;
	sqlite3_bind_text(st, 1, ws, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
	if (q->purpose != NULL)
		sqlite3_bind_text(st, 3, q->purpose, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return db_rc(db, rc, "file count");
}

/*
 * One page of ws's files as the list object of openai-api.md §1.4 into
 * out: q->limit + 1 rows are read so has_more is exact; first_id and
 * last_id are the page's ends (null when empty); "total" is added only
 * when q asks for an offset.  Errors about the query go to f.
 */
enum vn_err
files_list(struct db *db, const char *ws, const struct files_query *q,
    time_t now, struct buf *out, struct fault *f)
{
	static const enum stmt which[2][2] = {
		{ STMT_FILE_LIST_DESC, STMT_FILE_LIST_ASC },
		{ STMT_FILE_LIST_PURPOSE_DESC, STMT_FILE_LIST_PURPOSE_ASC },
	};
	struct file_obj	 fo;
	sqlite3_stmt	*st;
	sqlite3_int64	 seq;
	char		 first[VN_MAX_ID + 1] = "", last[VN_MAX_ID + 1] = "";
	long		 n = 0;
	long long	 total = 0;
	int		 rc = SQLITE_DONE, more = 0;
	enum vn_err	 err;

	if ((err = cursor(db, ws, q, &seq, f)) != VN_OK)
		return err;
	if (q->offset >= 0 && (err = count(db, ws, q, now, &total)) != VN_OK)
		return err;
	if ((st = db_stmt(db, which[q->purpose != NULL][q->asc != 0])) ==
	    NULL)
		return VN_ESTORE;
	sqlite3_bind_text(st, 1, ws, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
	sqlite3_bind_int64(st, 3, seq);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)q->limit + 1);
	sqlite3_bind_int64(st, 5, q->offset > 0 ? q->offset : 0);
	if (q->purpose != NULL)
		sqlite3_bind_text(st, 6, q->purpose, -1, SQLITE_STATIC);
	err = buf_addstr(out, "{\"object\":\"list\",\"data\":[");
	while (err == VN_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == q->limit) {
			more = 1;
			break;
		}
		row_obj(st, &fo);
		if (n == 0)
			memcpy(first, fo.id, sizeof(first));
		memcpy(last, fo.id, sizeof(last));
		if (n++ > 0)
			err = buf_addc(out, ',');
		if (err == VN_OK)
			err = files_json(out, &fo);
	}
	sqlite3_reset(st);
	if (err != VN_OK)
		return err;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_rc(db, rc, "file list");
	err = buf_add_list_end(out, first, last, more);
	if (err == VN_OK && q->offset >= 0)
		err = buf_addf(out, ",\"total\":%lld", total);
	if (err == VN_OK)
		err = buf_addc(out, '}');
	return err;
}
