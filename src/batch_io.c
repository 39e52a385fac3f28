/*
 * batch_io.c: a batch's files (batch_io.h).
 *
 * Indexing streams the input file through the same JSONL validator as
 * uploads (jsonl.c), adds the batch's own rules (openai-api.md §3.5: one
 * model, every url the batch's endpoint, no streaming) and records one
 * batch_lines row per request with its place in the file, so a runner
 * reads back one line at a time and memory never holds the file.
 *
 * Finishing writes the output and error files from the committed
 * results, adds an error line for every line that never ran, and records
 * the files and the batch's end in one transaction.  The two file ids
 * are derived from the batch id, so a finish killed between storing the
 * content and committing is simply done again under the same names.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "admission.h"
#include "batch_io.h"
#include "buf.h"
#include "cfg.h"
#include "db.h"
#include "files.h"
#include "filestore.h"
#include "ids.h"
#include "jsonl.h"
#include "log.h"
#include "runner.h"
#include "store.h"

#define INDEX_ROWS	2000	/* batch_lines rows per transaction */
#define INDEX_ERRORS	20	/* errors kept for errors.data */
#define READ_CHUNK	(64 * 1024)
#define SCAN_PAGE	256	/* results or lines read at a time */
#define ERRORS_JSON_MAX	(64 * 1024)

struct index_row {
	int64_t		 line;
	uint64_t	 off;
	size_t		 len;
	char		 custom_id[BATCH_CUSTOM_ID_MAX + 1];
};

struct index_error {
	const char	*code;		/* static */
	const char	*param;		/* static; NULL: null */
	size_t		 line;		/* 0: null */
	char		 message[256];
};

/* An indexing in progress: the jsonl callback's argument. */
struct indexer {
	struct runner		*rn;
	struct batch_state	*b;
	struct index_row	*rows;		/* INDEX_ROWS, not yet stored */
	size_t			 nrows;
	size_t			 total;
	size_t			 model_line;	/* where model was first seen */
	char			 model[JSONL_MAX_MODEL + 1];
	struct index_error	 err[INDEX_ERRORS];
	size_t			 nerr;		/* kept */
	size_t			 nerr_all;	/* found */
	enum vn_err		 store_err;	/* a flush failed */
};

static void
add_error(struct indexer *ix, const char *code, const char *param,
    size_t line, const char *fmt, ...) VN_PRINTF(5, 6);

/* Note a validation error; the first INDEX_ERRORS are reported. */
static void
add_error(struct indexer *ix, const char *code, const char *param,
    size_t line, const char *fmt, ...)
{
	struct index_error	*e;
	va_list			 ap;

	ix->nerr_all++;
	if (ix->nerr == INDEX_ERRORS)
		return;
	e = &ix->err[ix->nerr++];
	e->code = code;
	e->param = param;
	e->line = line;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
}

/* Store the rows gathered so far, in one short transaction. */
static enum vn_err
flush_rows(struct indexer *ix)
{
	struct db	*db;
	sqlite3_stmt	*st;
	size_t		 i;
	enum vn_err	 rc;

	if (ix->nrows == 0)
		return VN_OK;
	if ((db = store_get(ix->rn->store)) == NULL)
		return VN_ESTORE;
	rc = db_begin(db);
	for (i = 0; i < ix->nrows && rc == VN_OK; i++) {
		if ((st = db_stmt(db, STMT_BLINE_INSERT)) == NULL) {
			rc = VN_ESTORE;
			break;
		}
		sqlite3_bind_int64(st, 1, ix->b->seq);
		sqlite3_bind_int64(st, 2, ix->rows[i].line);
		sqlite3_bind_text(st, 3, ix->rows[i].custom_id, -1,
		    SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)ix->rows[i].off);
		sqlite3_bind_int64(st, 5, (sqlite3_int64)ix->rows[i].len);
		rc = db_rc(db, sqlite3_step(st), "batch line index");
		sqlite3_reset(st);
	}
	rc = db_end(db, rc);
	store_put(ix->rn->store, db);
	ix->nrows = 0;
	return rc;
}

/* jsonl callback: the batch's rules for one request line, then index it. */
static enum vn_err
index_line(void *arg, const struct jsonl_line *l)
{
	struct indexer		*ix = arg;
	struct index_row	*row;

	if (strcmp(l->url, ix->b->endpoint) != 0)
		add_error(ix, "mismatched_url", "url", l->line,
		    "Line %zu: url '%.64s' is not the batch's endpoint "
		    "'%s'.", l->line, l->url, ix->b->endpoint);
	if (l->model == NULL)
		add_error(ix, "missing_model", "body.model", l->line,
		    "Line %zu: body.model is required.", l->line);
	else if (ix->model_line == 0) {
		snprintf(ix->model, sizeof(ix->model), "%s", l->model);
		ix->model_line = l->line;
	} else if (strcmp(ix->model, l->model) != 0)
		add_error(ix, "mismatched_model", "body.model", l->line,
		    "Line %zu: each batch must contain requests for a single "
		    "model ('%.64s' here, '%.64s' on line %zu).", l->line,
		    l->model, ix->model, ix->model_line);
	if (l->stream)
		add_error(ix, "unsupported_value", "body.stream", l->line,
		    "Line %zu: batch requests cannot stream; remove "
		    "body.stream.", l->line);
	if (ix->nerr_all > 0)
		return VN_OK;	/* nothing will run: stop indexing */
	row = &ix->rows[ix->nrows++];
	row->line = (int64_t)l->line;
	row->off = l->offset;
	row->len = l->length;
	snprintf(row->custom_id, sizeof(row->custom_id), "%s", l->custom_id);
	ix->total++;
	if (ix->nrows == INDEX_ROWS && (ix->store_err = flush_rows(ix)) !=
	    VN_OK)
		return ix->store_err;
	return VN_OK;
}

/* The errors object of openai-api.md §3.3, owned by the caller. */
static char *
errors_json(const struct indexer *ix)
{
	const struct index_error	*e;
	struct buf			 b;
	size_t				 i;
	enum vn_err			 rc;

	buf_init(&b, ERRORS_JSON_MAX);
	rc = buf_addstr(&b, "{\"object\":\"list\",\"data\":[");
	for (i = 0; i < ix->nerr && rc == VN_OK; i++) {
		e = &ix->err[i];
		if (i > 0)
			rc = buf_addc(&b, ',');
		if (rc == VN_OK)
			rc = buf_addf(&b, "{\"code\":\"%s\",\"message\":",
			    e->code);
		if (rc == VN_OK)
			rc = buf_add_json_string(&b, e->message,
			    strlen(e->message));
		if (rc == VN_OK)
			rc = e->param != NULL ? buf_addf(&b,
			    ",\"param\":\"%s\"", e->param) :
			    buf_addstr(&b, ",\"param\":null");
		if (rc == VN_OK)
			rc = e->line > 0 ? buf_addf(&b, ",\"line\":%zu}",
			    e->line) : buf_addstr(&b, ",\"line\":null}");
	}
	if (rc == VN_OK)
		rc = buf_addstr(&b, "]}");
	if (rc != VN_OK) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

/* Run one statement on the batch's seq; VN_OK if it ran. */
static enum vn_err
seq_stmt(struct db *db, enum stmt which, int64_t seq, const char *what)
{
	sqlite3_stmt	*st;
	enum vn_err	 rc;

	if ((st = db_stmt(db, which)) == NULL)
		return VN_ESTORE;
	sqlite3_bind_int64(st, 1, seq);
	rc = db_rc(db, sqlite3_step(st), what);
	sqlite3_reset(st);
	return rc;
}

/*
 * Record the outcome of indexing: in_progress with the lines stored, or
 * failed with the errors (and no lines).  One transaction.
 */
static enum vn_err
index_outcome(struct runner *rn, struct batch_state *b,
    const struct indexer *ix)
{
	struct db	*db;
	sqlite3_stmt	*st;
	char		*errors = NULL;
	time_t		 now = time(NULL);
	int		 failed = ix->nerr > 0;
	enum vn_err	 rc;

	if (failed && (errors = errors_json(ix)) == NULL)
		return VN_ENOMEM;
	if ((db = store_get(rn->store)) == NULL) {
		free(errors);
		return VN_ESTORE;
	}
	if ((rc = db_begin(db)) != VN_OK)
		goto out;
	if (failed)
		rc = seq_stmt(db, STMT_BLINE_PURGE, b->seq, "batch lines");
	if (rc == VN_OK && (st = db_stmt(db, failed ? STMT_BATCH_TO_FAILED :
	    STMT_BATCH_TO_PROGRESS)) != NULL) {
		sqlite3_bind_int64(st, 1, b->seq);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
		if (failed)
			sqlite3_bind_text(st, 3, errors, -1, SQLITE_STATIC);
		else {
			sqlite3_bind_int64(st, 3, (sqlite3_int64)ix->total);
			sqlite3_bind_text(st, 4, ix->model, -1,
			    SQLITE_STATIC);
		}
		rc = db_rc(db, sqlite3_step(st), "batch validated");
		sqlite3_reset(st);
	} else if (rc == VN_OK)
		rc = VN_ESTORE;
	rc = db_end(db, rc);
out:
	store_put(rn->store, db);
	free(errors);
	if (rc == VN_OK) {
		snprintf(b->status, sizeof(b->status), "%s", failed ?
		    "failed" : "in_progress");
		snprintf(b->model, sizeof(b->model), "%s", ix->model);
		b->total = (int64_t)ix->total;
		log_info("batch %s: %s (%zu requests, %zu errors)", b->id,
		    b->status, ix->total, ix->nerr_all);
	}
	return rc;
}

/*
 * Check the input file of a validating batch and index its lines; the
 * batch then is in_progress or failed (b->status says which).  Killed
 * midway, the next pass starts over: lines from before are purged.
 */
enum vn_err
batch_io_index(struct runner *rn, struct batch_state *b)
{
	struct indexer		 ix;
	struct jsonl		 jl;
	struct jsonl_limits	 lim;
	struct jsonl_callbacks	 cb = { index_line };
	struct file_obj		 fo;
	struct db		*db = NULL;
	const struct cfg_model	*m = NULL;
	const char		*code = NULL;
	char			*chunk = NULL;
	char			 msg[400];
	uint64_t		 size = 0;
	ssize_t			 n;
	int			 fd = -1;
	enum vn_err		 rc, frc = VN_OK;

	memset(&ix, 0, sizeof(ix));
	ix.rn = rn;
	ix.b = b;
	memset(&lim, 0, sizeof(lim));
	lim.max_line = rn->cfg->max_body;
	lim.max_lines = BATCH_MAX_LINES;
	lim.max_depth = (int)rn->cfg->max_json_depth + 1;
	jsonl_init(&jl, &lim, &cb, &ix);
	if ((ix.rows = calloc(INDEX_ROWS, sizeof(*ix.rows))) == NULL ||
	    (chunk = malloc(READ_CHUNK)) == NULL) {
		rc = VN_ENOMEM;
		goto out;
	}
	if ((db = store_get(rn->store)) == NULL) {
		rc = VN_ESTORE;
		goto out;
	}
	rc = files_get(db, b->workspace_id, b->input_file_id, time(NULL),
	    &fo);
	if (rc == VN_OK)
		rc = seq_stmt(db, STMT_BLINE_PURGE, b->seq, "batch lines");
	store_put(rn->store, db);
	if (rc == VN_ENOTFOUND) {
		add_error(&ix, "file_not_found", "input_file_id", 0,
		    "The input file %s was deleted or has expired.",
		    b->input_file_id);
		rc = index_outcome(rn, b, &ix);
		goto out;
	}
	if (rc != VN_OK)
		goto out;
	if ((fd = filestore_open(rn->cfg, b->input_file_id, &size)) == -1) {
		if (errno != ENOENT) {
			rc = VN_ESYS;
			goto out;
		}
		add_error(&ix, "file_not_found", "input_file_id", 0,
		    "The content of input file %s is missing.",
		    b->input_file_id);
		rc = index_outcome(rn, b, &ix);
		goto out;
	}
	while ((n = read(fd, chunk, READ_CHUNK)) > 0 &&
	    (frc = jsonl_feed(&jl, chunk, (size_t)n)) == VN_OK)
		continue;
	if (n == -1) {
		rc = VN_ESYS;
		goto out;
	}
	if (frc == VN_OK)
		frc = jsonl_finish(&jl);
	if (ix.store_err != VN_OK) {
		rc = ix.store_err;
		goto out;
	}
	/* Out of memory says nothing of the file: the next pass retries. */
	if (frc == VN_ENOMEM) {
		rc = VN_ENOMEM;
		goto out;
	}
	if (frc != VN_OK)
		add_error(&ix, jsonl_error_code(&jl) != NULL ?
		    jsonl_error_code(&jl) : "invalid_file", NULL,
		    jsonl_error_line(&jl), "%s", jsonl_error(&jl));
	if (ix.nerr == 0 && (m = cfg_model_find(rn->cfg, ix.model)) == NULL)
		add_error(&ix, "model_not_found", "body.model", ix.model_line,
		    "The model '%.64s' does not exist.", ix.model);
	if (ix.nerr == 0 && m != NULL) {
		if ((rc = admission_batch_check(rn->store, rn->cfg,
		    b->workspace_id, m, size, &code, msg, sizeof(msg))) !=
		    VN_OK)
			goto out;
		if (code != NULL)
			add_error(&ix, code, "body.model", ix.model_line,
			    "%s", msg);
	}
	if (ix.nerr == 0 && (rc = flush_rows(&ix)) != VN_OK)
		goto out;
	rc = index_outcome(rn, b, &ix);
out:
	if (fd != -1)
		close(fd);
	jsonl_free(&jl);
	free(chunk);
	free(ix.rows);
	return rc;
}

/*
 * Open the input file for reading lines back.  A file whose content is
 * gone leaves input_fd -1: each remaining line then fails on its own,
 * and the batch still ends with every custom_id accounted for.
 */
enum vn_err
batch_io_open_input(struct runner *rn, struct batch_state *b)
{
	uint64_t	 size;

	b->input_fd = filestore_open(rn->cfg, b->input_file_id, &size);
	if (b->input_fd != -1)
		return VN_OK;
	if (errno != ENOENT)
		return VN_ESYS;
	log_warn("batch %s: the content of input file %s is gone; its "
	    "remaining lines fail", b->id, b->input_file_id);
	return VN_OK;
}

/*
 * An error file line for a request that got no HTTP response
 * (openai-api.md §3.6); owned by the caller, NULL without memory.
 */
char *
batch_io_error_line(const char *custom_id, const char *code,
    const char *message)
{
	struct buf	 b;
	char		 rid[40];

	ids_new(rid, sizeof(rid), "batch_req_", 24);
	buf_init(&b, BATCH_CUSTOM_ID_MAX * 6 + 1024);
	if (buf_addf(&b, "{\"id\":\"%s\",\"custom_id\":", rid) != VN_OK ||
	    buf_add_json_string(&b, custom_id, strlen(custom_id)) != VN_OK ||
	    buf_addf(&b, ",\"response\":null,\"error\":{\"code\":\"%s\","
	    "\"message\":", code) != VN_OK ||
	    buf_add_json_string(&b, message, strlen(message)) != VN_OK ||
	    buf_addstr(&b, "}}") != VN_OK) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

/* One of the batch's two result files, written as lines come. */
struct outfile {
	const char		*kind;		/* "output", "error" */
	struct filestore_tmp	 tmp;
	int			 open;
	uint64_t		 lines;
	char			 id[FILE_ID_LEN + 1];
};

/*
 * The id of the batch's output or error file: "file-" and 24 base62
 * characters of a hash of the batch id and the kind.
 */
static void
outfile_id(const char *batch_id, const char *kind, char *out)
{
	static const char	 b62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "abcdefghijklmnopqrstuvwxyz";
	unsigned char		 h[FILE_ID_RAND];
	crypto_generichash_state st;
	size_t			 i;

	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	crypto_generichash_update(&st, (const unsigned char *)batch_id,
	    strlen(batch_id));
	crypto_generichash_update(&st, (const unsigned char *)"/", 1);
	crypto_generichash_update(&st, (const unsigned char *)kind,
	    strlen(kind));
	crypto_generichash_final(&st, h, sizeof(h));
	memcpy(out, FILE_ID_PREFIX, sizeof(FILE_ID_PREFIX) - 1);
	for (i = 0; i < FILE_ID_RAND; i++)
		out[sizeof(FILE_ID_PREFIX) - 1 + i] = b62[h[i] % 62];
	out[FILE_ID_LEN] = '\0';
}

/*
 * Append one line of n bytes to f, opening its temporary file on first
 * use.
 */
static enum vn_err
outfile_add(struct runner *rn, struct outfile *f, const void *text,
    size_t n)
{
	enum vn_err	 rc;

	if (!f->open) {
		if ((rc = filestore_tmp_open(rn->cfg, &f->tmp)) != VN_OK)
			return rc;
		f->open = 1;
	}
	if ((rc = filestore_tmp_write(&f->tmp, text, n)) == VN_OK &&
	    (rc = filestore_tmp_write(&f->tmp, "\n", 1)) == VN_OK)
		f->lines++;
	return rc;
}

/*
 * Call fn on every row of statement which (bound to the batch's seq, a
 * cursor on column 0, and a page size), a page at a time, so no more
 * than a page is read at once; the lease is renewed between pages.
 */
static enum vn_err
scan(struct runner *rn, struct batch_state *b, enum stmt which,
    enum vn_err (*fn)(struct runner *, sqlite3_stmt *, void *), void *arg)
{
	struct db	*db;
	sqlite3_stmt	*st;
	int64_t		 cursor = 0;
	size_t		 got;
	int		 step = SQLITE_DONE;
	enum vn_err	 rc = VN_OK;

	do {
		got = 0;
		if ((db = store_get(rn->store)) == NULL)
			return VN_ESTORE;
		if ((st = db_stmt(db, which)) == NULL) {
			store_put(rn->store, db);
			return VN_ESTORE;
		}
		sqlite3_bind_int64(st, 1, b->seq);
		sqlite3_bind_int64(st, 2, cursor);
		sqlite3_bind_int64(st, 3, SCAN_PAGE);
		while (rc == VN_OK && (step = sqlite3_step(st)) ==
		    SQLITE_ROW) {
			cursor = sqlite3_column_int64(st, 0);
			rc = fn(rn, st, arg);
			got++;
		}
		if (rc == VN_OK && step != SQLITE_ROW && step != SQLITE_DONE)
			rc = db_rc(db, step, "batch scan");
		sqlite3_reset(st);
		store_put(rn->store, db);
		if (rc == VN_OK)
			(void)batch_io_lease(rn, b->seq, 0);
	} while (rc == VN_OK && got == SCAN_PAGE);
	return rc;
}

/* The two result files being written. */
struct outfiles {
	struct outfile	*out, *err;
	const char	*code, *message;	/* for lines never run */
	struct buf	 line;			/* the row's, copied */
};

/* A committed result (line, is_error, result): to its file. */
static enum vn_err
result_row(struct runner *rn, sqlite3_stmt *st, void *arg)
{
	struct outfiles	*of = arg;
	enum vn_err	 rc;

	buf_reset(&of->line);
	if ((rc = db_col_add(st, 2, &of->line)) != VN_OK)
		return rc;
	return outfile_add(rn, sqlite3_column_int(st, 1) ? of->err : of->out,
	    of->line.data != NULL ? of->line.data : "", of->line.len);
}

/* A line never run (line, custom_id, ...): an error line saying why. */
static enum vn_err
unrun_row(struct runner *rn, sqlite3_stmt *st, void *arg)
{
	struct outfiles	*of = arg;
	char		 custom_id[BATCH_CUSTOM_ID_MAX + 1], *line;
	enum vn_err	 rc;

	db_col_copy(st, 1, custom_id, sizeof(custom_id));
	if ((line = batch_io_error_line(custom_id, of->code, of->message)) ==
	    NULL)
		return VN_ENOMEM;
	rc = outfile_add(rn, of->err, line, strlen(line));
	free(line);
	return rc;
}

/*
 * Write the output and error files: the committed results, then an
 * error line for every line that never ran, saying why (end).
 */
static enum vn_err
write_files(struct runner *rn, struct batch_state *b, const char *end,
    struct outfile *out, struct outfile *err)
{
	static const struct {
		const char	*end, *code, *message;
	} why[] = {
		{ "expired", "batch_expired", "This request could not be "
		    "executed before the completion window expired." },
		{ "cancelled", "batch_cancelled", "This request was not "
		    "executed because the batch was cancelled." },
		{ "completed", "batch_failed", "This request could not be "
		    "executed." },
	};
	struct outfiles	 of;
	size_t		 w;
	enum vn_err	 rc;

	for (w = 0; w < VN_NELEM(why) - 1 && strcmp(why[w].end, end) != 0;
	    w++)
		continue;
	of.out = out;
	of.err = err;
	of.code = why[w].code;
	of.message = why[w].message;
	buf_init(&of.line, rn->cfg->max_upstream_response + 65536);
	if ((rc = scan(rn, b, STMT_BRESULT_SCAN, result_row, &of)) == VN_OK)
		rc = scan(rn, b, STMT_BLINE_PENDING, unrun_row, &of);
	buf_free(&of.line);
	return rc;
}

/* Store f's content under its id; nothing to do for an unused one. */
static enum vn_err
outfile_commit(struct runner *rn, struct batch_state *b, struct outfile *f)
{
	if (!f->open)
		return VN_OK;
	outfile_id(b->id, f->kind, f->id);
	f->open = 0;
	return filestore_tmp_commit(rn->cfg, &f->tmp, f->id);
}

/* The files row of a stored result file, within the caller's txn. */
static enum vn_err
outfile_record(struct db *db, struct batch_state *b, struct outfile *f,
    time_t now)
{
	struct file_obj	 fo;

	memset(&fo, 0, sizeof(fo));
	snprintf(fo.id, sizeof(fo.id), "%s", f->id);
	snprintf(fo.filename, sizeof(fo.filename), "%s_%s.jsonl", b->id,
	    f->kind);
	snprintf(fo.purpose, sizeof(fo.purpose), "batch_output");
	fo.bytes = (int64_t)f->tmp.bytes;
	fo.created_at = now;
	fo.expires_at = now + (b->output_expiry > 0 ? b->output_expiry :
	    FILE_BATCH_EXPIRY);
	return files_insert(db, b->workspace_id, &fo);
}

/*
 * End the batch as end ("completed", "cancelled" or "expired"): write
 * its output and error files, then, in one transaction, record them,
 * set the status and its timestamp, and drop the batch's working rows.
 */
enum vn_err
batch_io_finish(struct runner *rn, struct batch_state *b, const char *end)
{
	struct outfile	 out, err;
	struct db	*db = NULL;
	sqlite3_stmt	*st;
	time_t		 now = time(NULL);
	enum vn_err	 rc;

	memset(&out, 0, sizeof(out));
	memset(&err, 0, sizeof(err));
	out.kind = "output";
	err.kind = "error";
	out.tmp.fd = out.tmp.dirfd = err.tmp.fd = err.tmp.dirfd = -1;
	if ((rc = write_files(rn, b, end, &out, &err)) != VN_OK ||
	    (rc = outfile_commit(rn, b, &out)) != VN_OK ||
	    (rc = outfile_commit(rn, b, &err)) != VN_OK)
		goto out;
	if ((db = store_get(rn->store)) == NULL) {
		rc = VN_ESTORE;
		goto out;
	}
	if ((rc = db_begin(db)) != VN_OK)
		goto out;
	if (out.id[0] != '\0')
		rc = outfile_record(db, b, &out, now);
	if (rc == VN_OK && err.id[0] != '\0')
		rc = outfile_record(db, b, &err, now);
	if (rc == VN_OK && (st = db_stmt(db, STMT_BATCH_TO_END)) != NULL) {
		sqlite3_bind_int64(st, 1, b->seq);
		sqlite3_bind_text(st, 2, end, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)now);
		if (out.id[0] != '\0')
			sqlite3_bind_text(st, 4, out.id, -1, SQLITE_STATIC);
		if (err.id[0] != '\0')
			sqlite3_bind_text(st, 5, err.id, -1, SQLITE_STATIC);
		rc = db_rc(db, sqlite3_step(st), "batch end");
		sqlite3_reset(st);
		/* Ended by someone else meanwhile: keep theirs. */
		if (rc == VN_OK && db_changes(db) != 1)
			rc = VN_ECONFLICT;
	} else if (rc == VN_OK)
		rc = VN_ESTORE;
	if (rc == VN_OK)
		rc = seq_stmt(db, STMT_BLINE_PURGE, b->seq, "batch lines");
	if (rc == VN_OK)
		rc = seq_stmt(db, STMT_BRESULT_PURGE, b->seq,
		    "batch results");
	rc = db_end(db, rc);
	if (rc == VN_OK) {
		snprintf(b->status, sizeof(b->status), "%s", end);
		log_info("batch %s: %s (%llu output lines, %llu error lines)",
		    b->id, end, (unsigned long long)out.lines,
		    (unsigned long long)err.lines);
	} else if (rc == VN_ECONFLICT) {
		log_info("batch %s: already ended elsewhere", b->id);
		rc = VN_OK;
	}
out:
	store_put(rn->store, db);
	filestore_tmp_abort(&out.tmp);
	filestore_tmp_abort(&err.tmp);
	return rc;
}

/* in_progress -> finalizing; 0 if the batch was in another state. */
int
batch_io_to_finalizing(struct runner *rn, struct batch_state *b)
{
	struct db	*db;
	sqlite3_stmt	*st;
	int		 moved = 0;

	if ((db = store_get(rn->store)) == NULL)
		return 0;
	if ((st = db_stmt(db, STMT_BATCH_TO_FINALIZING)) != NULL) {
		sqlite3_bind_int64(st, 1, b->seq);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL));
		moved = sqlite3_step(st) == SQLITE_DONE && db_changes(db) == 1;
		sqlite3_reset(st);
	}
	store_put(rn->store, db);
	if (moved)
		snprintf(b->status, sizeof(b->status), "finalizing");
	return moved;
}

/* Whether a cancel was asked for since the batch was loaded. */
int
batch_io_cancelling(struct runner *rn, struct batch_state *b)
{
	struct db	*db;
	sqlite3_stmt	*st;
	int		 yes = 0;

	if ((db = store_get(rn->store)) == NULL)
		return 0;
	if ((st = db_stmt(db, STMT_BATCH_BY_SEQ)) != NULL) {
		sqlite3_bind_int64(st, 1, b->seq);
		if (sqlite3_step(st) == SQLITE_ROW)
			yes = db_col_is(st, 5, "cancelling");
		sqlite3_reset(st);
	}
	store_put(rn->store, db);
	return yes;
}

/*
 * Renew (release 0) or drop (1) this pass's lease on batch seq.  Returns
 * 1 while the pass holds it.
 */
int
batch_io_lease(struct runner *rn, int64_t seq, int release)
{
	struct db	*db;
	sqlite3_stmt	*st;
	int		 held = 0;

	if ((db = store_get(rn->store)) == NULL)
		return 0;
	if ((st = db_stmt(db, release ? STMT_BATCH_RELEASE :
	    STMT_BATCH_RENEW)) != NULL) {
		sqlite3_bind_int64(st, 1, seq);
		sqlite3_bind_text(st, 2, rn->owner, -1, SQLITE_STATIC);
		if (!release)
			sqlite3_bind_int64(st, 3, (sqlite3_int64)time(NULL) +
			    BATCH_LEASE_S);
		held = sqlite3_step(st) == SQLITE_DONE && db_changes(db) == 1;
		sqlite3_reset(st);
	}
	store_put(rn->store, db);
	return held;
}
