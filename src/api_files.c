/*
 * api_files.c: /v1/files (openai-api.md §2).
 *
 * An upload is streamed: the body is read from FastCGI in 64 KiB chunks
 * straight into the multipart parser, whose file part goes to a
 * temporary file (filestore.c), so a 1 GiB upload costs a worker the
 * chunk, the parser and one JSONL line at most.  The limits apply as
 * the bytes arrive: max_upload always, max_batch_upload and the JSONL
 * checks of a batch file as soon as the purpose is known.  SDKs send
 * "purpose" before or after "file"; when it comes after, a batch file
 * is checked by reading the temporary file back.  Nothing is visible
 * until the content is durable (fsync, rename, fsync) and its row is
 * inserted; any failure before that removes the temporary file.
 *
 * A download streams the content in 64 KiB chunks, or, with files_accel
 * set, hands it to the web server with X-Accel-Redirect so nginx sends
 * it itself.  Every lookup is by id and workspace (files.c): another
 * workspace's file, a deleted and an expired one all answer the same
 * 404 as a file that never was.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>


#include "api.h"
#include "buf.h"
#include "cfg.h"
#include "ctx.h"
#include "db.h"
#include "files.h"
#include "filestore.h"
#include "jsonl.h"
#include "log.h"
#include "multipart.h"
#include "reply.h"
#include "store.h"
#include "url.h"

#define UPLOAD_SLACK	(64 * 1024)	/* the form around the file */
#define FIELD_MAX	64		/* bytes of a text field's value */
#define LIST_BODY_MAX	(32 * 1024 * 1024)
#define DISPOSITION_MAX	2048

/* The text fields of an upload form, besides "file". */
enum field { F_PURPOSE, F_ANCHOR, F_SECONDS, F__MAX };

static const char *const field_name[F__MAX] = {
	"purpose", "expires_after[anchor]", "expires_after[seconds]"
};

#define IN_NONE	(-1)
#define IN_FILE	(-2)

/* One upload in progress; the multipart callbacks' argument. */
struct upload {
	struct ctx		*c;
	struct filestore_tmp	 tmp;
	struct jsonl		 jl;
	int			 jl_live;	/* checking as bytes arrive */
	int			 in;		/* IN_*, or the enum field */
	size_t			 vlen;		/* of the field being read */
	int			 files;		/* "file" parts begun */
	int			 file_done;	/* ... and ended */
	int			 refused;	/* a callback set c->fault */
	uint64_t		 max;		/* bytes the file may hold */
	long			 seconds;	/* expires_after[seconds] */
	int			 given[F__MAX];
	char			 value[F__MAX][FIELD_MAX + 1];
	char			 filename[FILE_NAME_MAX + 1];
};

static enum vn_err	 refuse(struct upload *, enum vn_err);
static enum vn_err	 disk_fault(struct ctx *, const struct filestore_tmp *);
static void		 batch_check_start(struct upload *);
static enum vn_err	 jsonl_fault(struct upload *);
static enum vn_err	 up_begin(void *, const struct mp_part *);
static enum vn_err	 up_data(void *, const char *, size_t);
static enum vn_err	 field_done(struct upload *, enum field);
static enum vn_err	 up_end(void *);
static enum vn_err	 read_form(struct upload *, struct multipart *, char *);
static enum vn_err	 batch_recheck(struct upload *, char *);
static enum vn_err	 store_upload(struct upload *, char *);
static enum vn_err	 not_found(struct ctx *);
static enum vn_err	 lookup(struct ctx *, struct file_obj *);

static const struct mp_callbacks up_cb = { up_begin, up_data, up_end };
static const struct mp_limits up_lim = { 8, 8192, 16 };

/* A callback's refusal: c->fault holds the details already. */
static enum vn_err
refuse(struct upload *u, enum vn_err rc)
{
	u->refused = 1;
	return rc;
}

/*
 * A write, sync or rename failed.  A full disk is 507, so the client
 * (and the SDKs, which retry 5xx) can tell it from a bug; either way
 * the envelope is OpenAI's and nothing of the upload remains.
 */
static enum vn_err
disk_fault(struct ctx *c, const struct filestore_tmp *t)
{
	if (t->error == ENOSPC || t->error == EDQUOT) {
		fault_set(&c->fault, VN_ESYS, NULL, "insufficient_storage",
		    "There is not enough space left to store the file.");
		c->fault.status = 507;
		return VN_ESYS;
	}
	return fault_set(&c->fault, VN_ESYS, NULL, NULL,
	    "The server could not store the file. Please retry.");
}

/* A batch file: its JSONL checks start with its first byte. */
static void
batch_check_start(struct upload *u)
{
	struct jsonl_limits lim;

	lim.max_line = u->c->cfg->max_body;
	lim.max_lines = JSONL_MAX_LINES;
	lim.max_depth = (int)u->c->cfg->max_json_depth + 1;
	jsonl_init(&u->jl, &lim, NULL, NULL);
	u->jl_live = 1;
}

/* The JSONL verdict as an error envelope naming the line. */
static enum vn_err
jsonl_fault(struct upload *u)
{
	if (jsonl_error_code(&u->jl) != NULL &&
	    strcmp(jsonl_error_code(&u->jl), "out_of_memory") == 0)
		return refuse(u, fault_set(&u->c->fault, VN_ENOMEM, NULL, NULL,
		    "Out of memory."));
	return refuse(u, fault_set(&u->c->fault, VN_EINVAL, "file",
	    "invalid_batch_file", "The file is not a valid batch input "
	    "file (JSONL): %s", jsonl_error(&u->jl)));
}

/*
 * A part begins: "file" (once; its filename is sanitised now, and a
 * batch file's checks start if the purpose came first) or one of the
 * text fields (once each).  Any other name is refused.
 */
static enum vn_err
up_begin(void *arg, const struct mp_part *p)
{
	struct upload	*u = arg;
	const char	*fn;
	int		 f;

	if (strcmp(p->name, "file") == 0) {
		if (u->files++ > 0)
			return refuse(u, fault_set(&u->c->fault, VN_EINVAL,
			    "file", NULL,
			    "Only one file may be uploaded at once."));
		fn = p->filename != NULL ? p->filename : "";
		filestore_sanitize(fn, strlen(fn), u->filename,
		    sizeof(u->filename));
		if (u->given[F_PURPOSE] &&
		    strcmp(u->value[F_PURPOSE], "batch") == 0) {
			if (u->max > u->c->cfg->max_batch_upload)
				u->max = u->c->cfg->max_batch_upload;
			batch_check_start(u);
		}
		u->in = IN_FILE;
		return VN_OK;
	}
	for (f = 0; f < F__MAX; f++) {
		if (strcmp(p->name, field_name[f]) != 0)
			continue;
		if (u->given[f]++)
			return refuse(u, fault_set(&u->c->fault, VN_EINVAL,
			    field_name[f], NULL, "'%s' was given more than "
			    "once.", field_name[f]));
		u->in = f;
		u->vlen = 0;
		return VN_OK;
	}
	return refuse(u, fault_set(&u->c->fault, VN_EINVAL, p->name,
	    "unknown_parameter", "Unknown parameter: '%.60s'.", p->name));
}

/*
 * Bytes of the current part: the file's go through the size cap and
 * the JSONL checks, then to the temporary file; a field's are kept up
 * to FIELD_MAX.
 */
static enum vn_err
up_data(void *arg, const char *p, size_t n)
{
	struct upload	*u = arg;

	if (u->in == IN_FILE) {
		if (u->tmp.bytes + n > u->max)
			return refuse(u, fault_set(&u->c->fault, VN_ETOOBIG,
			    "file", NULL,
			    "The file is larger than the limit of %llu "
			    "bytes%s.", (unsigned long long)u->max,
			    u->jl_live ? " for batch input files" : ""));
		if (u->jl_live && jsonl_feed(&u->jl, p, n) != VN_OK)
			return jsonl_fault(u);
		if (filestore_tmp_write(&u->tmp, p, n) != VN_OK)
			return refuse(u, disk_fault(u->c, &u->tmp));
		return VN_OK;
	}
	if (u->in < 0)
		return VN_OK;
	if (u->vlen + n > FIELD_MAX)
		return refuse(u, fault_set(&u->c->fault, VN_EINVAL,
		    field_name[u->in], "invalid_value",
		    "'%s' is longer than %d bytes.", field_name[u->in],
		    FIELD_MAX));
	memcpy(u->value[u->in] + u->vlen, p, n);
	u->vlen += n;
	return VN_OK;
}

/*
 * A text field is complete: check it now, so a bad purpose or expiry
 * fails before the file is read.
 */
static enum vn_err
field_done(struct upload *u, enum field f)
{
	const struct cfg *cfg = u->c->cfg;
	const char	*v = u->value[f];
	char		*end;

	u->value[f][u->vlen] = '\0';
	switch (f) {
	case F_PURPOSE:
		if (!files_purpose_ok(v, 1))
			return refuse(u, fault_set(&u->c->fault, VN_EINVAL,
			    "purpose", "invalid_value",
			    "Invalid 'purpose': '%.64s' is "
			    "not one of 'assistants', 'batch', 'fine-tune', "
			    "'vision', 'user_data', 'evals'.", v));
		if (strcmp(v, "batch") == 0 && u->files > 0 &&
		    u->tmp.bytes > cfg->max_batch_upload)
			return refuse(u, fault_set(&u->c->fault, VN_ETOOBIG,
			    "file", NULL,
			    "The file is larger than the limit of %zu "
			    "bytes for batch input files.",
			    cfg->max_batch_upload));
		break;
	case F_ANCHOR:
		if (strcmp(v, "created_at") != 0)
			return refuse(u, fault_set(&u->c->fault, VN_EINVAL,
			    field_name[f], "invalid_value", "Invalid '%s': "
			    "the only anchor is 'created_at'.",
			    field_name[f]));
		break;
	case F_SECONDS:
		errno = 0;
		u->seconds = strtol(v, &end, 10);
		if (v[0] < '0' || v[0] > '9' || *end != '\0' || errno != 0 ||
		    u->seconds < FILE_EXPIRY_MIN ||
		    u->seconds > FILE_EXPIRY_MAX)
			return refuse(u, fault_set(&u->c->fault, VN_EINVAL,
			    field_name[f], "invalid_value", "Invalid '%s': "
			    "expected an integer from %d to %d.",
			    field_name[f], FILE_EXPIRY_MIN, FILE_EXPIRY_MAX));
		break;
	default:
		break;
	}
	return VN_OK;
}

/* A part ends: the file is complete, or a field is checked. */
static enum vn_err
up_end(void *arg)
{
	struct upload	*u = arg;
	int		 in = u->in;

	u->in = IN_NONE;
	if (in == IN_FILE) {
		u->file_done = 1;
		return VN_OK;
	}
	return in >= 0 ? field_done(u, (enum field)in) : VN_OK;
}

/*
 * Feed the body to the parser, chunk by chunk, up to Content-Length.
 * A body shorter than announced (the client left) is refused.  After a
 * refusal the rest of the announced body is read and dropped, so the
 * web server, still sending it, gets our answer and not a reset.
 */
static enum vn_err
read_form(struct upload *u, struct multipart *mp, char *chunk)
{
	struct ctx	*c = u->c;
	long long	 len = c->content_length, got = 0;
	long long	 cap = (long long)c->cfg->max_upload + UPLOAD_SLACK;
	int		 n, want;
	enum vn_err	 rc = VN_OK;

	for (;;) {
		want = FILESTORE_CHUNK;
		if (len >= 0 && len - got < want)
			want = (int)(len - got);
		if (want == 0 || (rc != VN_OK && len < 0) ||
		    c->in.read == NULL ||
		    (n = c->in.read(c->in.arg, chunk, want)) <= 0)
			break;
		got += n;
		if (rc != VN_OK)
			continue;	/* draining what was announced */
		if (len < 0 && got > cap) {
			rc = refuse(u, fault_set(&c->fault, VN_ETOOBIG, "file",
			    NULL,
			    "The request body is larger than the limit of "
			    "%lld bytes for an upload.", cap));
			break;
		}
		rc = multipart_feed(mp, chunk, (size_t)n);
	}
	if (rc == VN_OK && c->in.stalled)
		return ctx_stalled(c);
	if (rc == VN_OK && len >= 0 && got < len)
		return fault_set(&c->fault, VN_EINVAL, NULL, "incomplete_body",
		    "The request body ended after %lld of its %lld bytes.",
		    got, len);
	if (rc == VN_OK)
		rc = multipart_finish(mp);
	if (rc == VN_OK || u->refused)
		return rc;
	if (rc == VN_ETOOBIG)
		return fault_set(&c->fault, VN_ETOOBIG, NULL, NULL,
		    "The multipart form is over a limit: %s.",
		    multipart_error(mp));
	if (rc == VN_EINVAL)
		return fault_set(&c->fault, VN_EINVAL, NULL,
		    "invalid_multipart",
		    "The multipart form is malformed: %s.",
		    multipart_error(mp));
	return rc;
}

/*
 * "purpose" came after the file: check the batch file now, reading the
 * temporary file back a chunk at a time.
 */
static enum vn_err
batch_recheck(struct upload *u, char *chunk)
{
	uint64_t	 off = 0;
	ssize_t		 n;

	batch_check_start(u);
	while ((n = filestore_tmp_read(&u->tmp, off, chunk,
	    FILESTORE_CHUNK)) > 0) {
		if (jsonl_feed(&u->jl, chunk, (size_t)n) != VN_OK)
			return jsonl_fault(u);
		off += (uint64_t)n;
	}
	if (n < 0 || off != u->tmp.bytes)
		return disk_fault(u->c, &u->tmp);
	return VN_OK;
}

/*
 * The form is whole: check what only the whole form can tell, make the
 * content durable under a new id, insert the row, and answer.
 */
static enum vn_err
store_upload(struct upload *u, char *chunk)
{
	struct ctx	*c = u->c;
	struct file_obj	 fo;
	struct buf	 b;
	struct db	*db = NULL;
	enum vn_err	 rc;
	int		 f;

	if (u->files == 0 || !u->file_done)
		return fault_set(&c->fault, VN_EINVAL, "file",
		    "missing_required_parameter",
		    "Missing required parameter: 'file'.");
	for (f = 0; f < F__MAX; f++)
		if (!u->given[f] && (f == F_PURPOSE ||
		    u->given[F_ANCHOR] || u->given[F_SECONDS]))
			return fault_set(&c->fault, VN_EINVAL, field_name[f],
			    "missing_required_parameter", "Missing required "
			    "parameter: '%s'.", field_name[f]);
	memset(&fo, 0, sizeof(fo));
	if (strcmp(u->value[F_PURPOSE], "batch") == 0) {
		if (!u->jl_live && (rc = batch_recheck(u, chunk)) != VN_OK)
			return rc;
		if (jsonl_finish(&u->jl) != VN_OK)
			return jsonl_fault(u);
		fo.expires_at = FILE_BATCH_EXPIRY;
	}
	filestore_id_new(fo.id);
	memcpy(fo.filename, u->filename, sizeof(fo.filename));
	memcpy(fo.purpose, u->value[F_PURPOSE], sizeof(fo.purpose));
	fo.bytes = (int64_t)u->tmp.bytes;
	fo.created_at = (int64_t)time(NULL);
	if (u->given[F_SECONDS])
		fo.expires_at = u->seconds;
	if (fo.expires_at != 0)
		fo.expires_at += fo.created_at;
	strcpy(fo.status, "processed");

	/*
	 * The answer before anything is kept: once the row is in, nothing
	 * may fail but the sending, or a retry would duplicate the file.
	 */
	buf_init(&b, 4 * FILE_NAME_MAX + 1024);
	if ((rc = files_json(&b, &fo)) != VN_OK)
		goto out;
	/* The disk first, with no database connection held. */
	if (filestore_tmp_commit(c->cfg, &u->tmp, fo.id) != VN_OK) {
		rc = disk_fault(c, &u->tmp);
		goto out;
	}
	if ((db = store_get(c->store)) == NULL)
		rc = VN_ESTORE;
	else
		rc = files_insert(db, c->who.workspace_id, &fo);
	store_put(c->store, db);
	if (rc != VN_OK) {
		/*
		 * The content stays: a commit that failed in its sync may
		 * still be in the WAL and come back with its row.  If it
		 * does not, venna-batch's orphan sweep reclaims it.
		 */
		rc = fault_set(&c->fault, rc, NULL, NULL,
		    "The server could not record the file. Please retry.");
		goto out;
	}
	rc = reply_json(c, 200, b.data, b.len);
out:
	buf_free(&b);
	return rc;
}

/* POST /v1/files: a multipart upload (ROUTE_RAWBODY). */
enum vn_err
api_files_create(struct ctx *c)
{
	struct upload	*u = NULL;
	struct multipart mp;
	char		 bnd[MP_BOUNDARY_MAX + 1], *chunk = NULL;
	const char	*ct = c->content_type != NULL ? c->content_type : "";
	enum vn_err	 rc;

	memset(&mp, 0, sizeof(mp));
	ct += strspn(ct, " \t");
	if (!multipart_boundary(ct, bnd)) {
		if (strncasecmp(ct, "multipart/", 10) != 0)
			return fault_set(&c->fault, VN_EMEDIA, NULL, NULL,
			    "A file is "
			    "uploaded as multipart/form-data with the fields "
			    "'file' and 'purpose', not as '%.80s'.",
			    ct[0] != '\0' ? ct : "(no Content-Type)");
		return fault_set(&c->fault, VN_EINVAL, NULL,
		    "invalid_multipart",
		    "The request must be multipart/form-data with a valid "
		    "boundary.");
	}
	if (c->content_length > (long long)c->cfg->max_upload + UPLOAD_SLACK)
		return fault_set(&c->fault, VN_ETOOBIG, "file", NULL,
		    "The file is larger than the limit of %zu bytes.",
		    c->cfg->max_upload);
	if ((u = calloc(1, sizeof(*u))) == NULL ||
	    (chunk = malloc(FILESTORE_CHUNK)) == NULL) {
		rc = VN_ENOMEM;
		goto out;
	}
	u->c = c;
	u->in = IN_NONE;
	u->max = c->cfg->max_upload;
	if (filestore_tmp_open(c->cfg, &u->tmp) != VN_OK) {
		rc = disk_fault(c, &u->tmp);
		goto out;
	}
	multipart_init(&mp, bnd, &up_lim, &up_cb, u);
	if ((rc = read_form(u, &mp, chunk)) == VN_OK)
		rc = store_upload(u, chunk);
out:
	multipart_free(&mp);
	if (u != NULL) {
		jsonl_free(&u->jl);
		filestore_tmp_abort(&u->tmp);
	}
	free(u);
	free(chunk);
	return rc;
}

/* The 404 of every use site: the same for missing and foreign ids. */
static enum vn_err
not_found(struct ctx *c)
{
	const char	*id = c->params[0];
	size_t		 i, n = strlen(id);

	for (i = 0; i < n; i++)
		if ((unsigned char)id[i] <= 0x20 ||
		    (unsigned char)id[i] >= 0x7f)
			break;
	if (i < n || n > VN_MAX_ID)
		return fault_set(&c->fault, VN_ENOTFOUND, "id", NULL,
		    "No such File object.");
	return fault_set(&c->fault, VN_ENOTFOUND, "id", NULL,
	    "No such File object: %s", id);
}

/* The file of the path, in the caller's workspace, into fo. */
static enum vn_err
lookup(struct ctx *c, struct file_obj *fo)
{
	struct db	*db;
	enum vn_err	 rc;

	if ((db = store_get(c->store)) == NULL)
		return VN_ESTORE;
	rc = files_get(db, c->who.workspace_id, c->params[0], time(NULL), fo);
	store_put(c->store, db);
	return rc == VN_ENOTFOUND ? not_found(c) : rc;
}

/* GET /v1/files/{id} */
enum vn_err
api_files_get(struct ctx *c)
{
	struct file_obj	 fo;
	struct buf	 b;
	enum vn_err	 rc;

	if ((rc = lookup(c, &fo)) != VN_OK)
		return rc;
	buf_init(&b, 4 * FILE_NAME_MAX + 2 * FILE_DETAILS_MAX + 1024);
	if ((rc = files_json(&b, &fo)) == VN_OK)
		rc = reply_json(c, 200, b.data, b.len);
	buf_free(&b);
	return rc;
}

/* DELETE /v1/files/{id}: hidden at once, reclaimed by venna-batch. */
enum vn_err
api_files_delete(struct ctx *c)
{
	struct db	*db;
	struct buf	 b;
	enum vn_err	 rc;

	if ((db = store_get(c->store)) == NULL)
		return VN_ESTORE;
	rc = files_delete(db, c->who.workspace_id, c->params[0], time(NULL));
	store_put(c->store, db);
	if (rc == VN_ENOTFOUND)
		return not_found(c);
	if (rc != VN_OK)
		return rc;
	buf_init(&b, 256);
	if ((rc = buf_addstr(&b, "{\"id\":")) == VN_OK &&
	    (rc = buf_add_json_string(&b, c->params[0],
	    strlen(c->params[0]))) == VN_OK &&
	    (rc = buf_addstr(&b, ",\"object\":\"file\",\"deleted\":true}")) ==
	    VN_OK)
		rc = reply_json(c, 200, b.data, b.len);
	buf_free(&b);
	return rc;
}

/*
 * GET /v1/files/{id}/content: the bytes, as a download.  With
 * files_accel the web server sends them (X-Accel-Redirect to an
 * internal location aliased to data_dir); otherwise they are streamed
 * here, 64 KiB at a time, with their length announced.
 */
enum vn_err
api_files_content(struct ctx *c)
{
	struct file_obj	 fo;
	char		 disp[DISPOSITION_MAX], rel[VN_MAX_ID + 8];
	char		 extra[DISPOSITION_MAX + 256], *chunk = NULL;
	uint64_t	 size = 0, sent = 0;
	ssize_t		 n;
	int		 fd = -1;
	enum vn_err	 rc;

	if ((rc = lookup(c, &fo)) != VN_OK)
		return rc;
	if ((fd = filestore_open(c->cfg, fo.id, &size)) == -1 ||
	    size != (uint64_t)fo.bytes) {
		log_error("files: the content of %s is %s", fo.id, fd == -1 ?
		    strerror(errno) : "not of its recorded size");
		rc = fault_set(&c->fault, VN_ESYS, NULL, NULL,
		    "The content of this file cannot be read.");
		goto out;
	}
	if (!filestore_disposition(fo.filename, disp, sizeof(disp)) ||
	    !filestore_relpath(fo.id, rel, sizeof(rel))) {
		rc = VN_ESYS;
		goto out;
	}
	snprintf(extra, sizeof(extra), "Content-Disposition: %s\r\n"
	    "X-Content-Type-Options: nosniff\r\n", disp);
	if (c->cfg->files_accel != NULL && c->cfg->files_accel[0] != '\0') {
		/* The web server sends the bytes, with their length. */
		snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra),
		    "X-Accel-Redirect: %s/%s\r\n", c->cfg->files_accel, rel);
		rc = reply_head(c, 200, "application/octet-stream", -1, extra);
		goto out;
	}
	if ((chunk = malloc(FILESTORE_CHUNK)) == NULL) {
		rc = VN_ENOMEM;
		goto out;
	}
	rc = reply_head(c, 200, "application/octet-stream", (long long)size,
	    extra);
	while (rc == VN_OK && sent < size) {
		n = read(fd, chunk, FILESTORE_CHUNK);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* Too late for a status: the client sees it short. */
			log_error("files: reading %s: %s", fo.id, n == 0 ?
			    "shorter than recorded" : strerror(errno));
			rc = VN_ESYS;
			break;
		}
		rc = reply_write(c, chunk, (size_t)n);
		sent += (uint64_t)n;
	}
out:
	if (fd != -1)
		close(fd);
	free(chunk);
	return rc;
}

/*
 * GET /v1/files: ?purpose, limit (1-10000, default 10000), order
 * (asc|desc, default desc), after (a file id) and, as some gateways
 * offer, offset (adds "total").
 */
enum vn_err
api_files_list(struct ctx *c)
{
	struct files_query q = { NULL, FILES_LIST_MAX, 0, NULL, -1 };
	struct buf	 b;
	struct db	*db;
	char		 purpose[FILE_PURPOSE_MAX + 1], after[VN_MAX_ID + 1];
	char		 v[32], *end;
	int		 got;
	enum vn_err	 rc;

	got = url_query_get(c->query, "purpose", purpose, sizeof(purpose));
	if (got != 0 && (got < 0 || !files_purpose_ok(purpose, 0)))
		return fault_set(&c->fault, VN_EINVAL, "purpose",
		    "invalid_value", "Invalid 'purpose': not a file purpose.");
	q.purpose = got > 0 ? purpose : NULL;
	if ((got = url_query_get(c->query, "limit", v, sizeof(v))) != 0) {
		errno = 0;
		q.limit = strtol(v, &end, 10);
		if (got < 0 || v[0] < '0' || v[0] > '9' || *end != '\0' ||
		    errno != 0 || q.limit < 1 || q.limit > FILES_LIST_MAX)
			return fault_set(&c->fault, VN_EINVAL, "limit",
			    "invalid_value",
			    "Invalid 'limit': expected an integer from 1 to "
			    "%d.", FILES_LIST_MAX);
	}
	if ((got = url_query_get(c->query, "order", v, sizeof(v))) != 0) {
		if (got < 0 || (strcmp(v, "asc") != 0 &&
		    strcmp(v, "desc") != 0))
			return fault_set(&c->fault, VN_EINVAL, "order",
			    "invalid_value",
			    "Invalid 'order': expected 'asc' or 'desc'.");
		q.asc = strcmp(v, "asc") == 0;
	}
	if ((got = url_query_get(c->query, "after", after, sizeof(after))) < 0)
		return fault_set(&c->fault, VN_EINVAL, "after", "invalid_value",
		    "Invalid 'after': not a file id.");
	q.after = got > 0 && after[0] != '\0' ? after : NULL;
	if ((got = url_query_get(c->query, "offset", v, sizeof(v))) != 0) {
		errno = 0;
		q.offset = strtoll(v, &end, 10);
		if (got < 0 || v[0] < '0' || v[0] > '9' || *end != '\0' ||
		    errno != 0)
			return fault_set(&c->fault, VN_EINVAL, "offset",
			    "invalid_value",
			    "Invalid 'offset': expected an integer of 0 or "
			    "more.");
	}
	if ((db = store_get(c->store)) == NULL)
		return VN_ESTORE;
	buf_init(&b, LIST_BODY_MAX);
	rc = files_list(db, c->who.workspace_id, &q, time(NULL), &b,
	    &c->fault);
	store_put(c->store, db);
	if (rc == VN_OK)
		rc = reply_json(c, 200, b.data, b.len);
	buf_free(&b);
	return rc;
}
