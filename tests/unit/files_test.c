/*
 * files_test.c: file rows on a real database.  Every lookup is scoped
 * to its workspace (another's file, a deleted and an expired one are
 * all "not found"); listing pages with exact has_more, first_id and
 * last_id in both orders, with "after" cursors (a foreign or unknown
 * one refused, a deleted one of the same workspace still usable),
 * purpose filter, offset and total; and a page of 100 out of 1,000,000
 * files takes at most 5 ms (FILES_TEST_ROWS changes the count).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json.h>
#include <sqlite3.h>

#include "buf.h"
#include "cfg.h"
#include "clock.h"
#include "db.h"
#include "files.h"
#include "ids.h"
#include "fault.h"
#include "workspace.h"
#include "../tap.h"
#include "test_cfg.h"

static char	 dir[] = "/tmp/venna-files-test.XXXXXX";
static struct db *db;
static char	 wsa[WS_ID_LEN + 1], wsb[WS_ID_LEN + 1];
static char	 ids[25][FILE_ID_LEN + 1];	/* ws A's, oldest first */

static enum vn_err
add(const char *ws, char *id, const char *purpose, int64_t exp)
{
	struct file_obj	 f;

	memset(&f, 0, sizeof(f));
	filestore_id_new(f.id);
	strcpy(f.filename, "n\"ame.txt");
	snprintf(f.purpose, sizeof(f.purpose), "%s", purpose);
	f.bytes = 42;
	f.created_at = time(NULL);
	f.expires_at = exp;
	if (id != NULL)
		strcpy(id, f.id);
	return files_insert(db, ws, &f);
}

/*
 * List ws with q; the answer parsed into *out (the caller puts it).
 * Returns the error, with f filled on VN_EINVAL.
 */
static enum vn_err
list(const char *ws, const struct files_query *q, struct json_object **out,
    struct fault *f)
{
	struct buf	 b;
	enum vn_err	 rc;

	*out = NULL;
	memset(f, 0, sizeof(*f));
	buf_init(&b, 64 * 1024 * 1024);
	rc = files_list(db, ws, q, time(NULL), &b, f);
	if (rc == VN_OK)
		*out = json_tokener_parse(b.data);
	buf_free(&b);
	return rc;
}

static const char *
str(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || v == NULL)
		return "(null)";
	return json_object_get_string(v);
}

static size_t
count(struct json_object *o)
{
	struct json_object *d;

	return json_object_object_get_ex(o, "data", &d) ?
	    json_object_array_length(d) : 0;
}

static const char *
nth(struct json_object *o, size_t i)
{
	struct json_object *d;

	json_object_object_get_ex(o, "data", &d);
	return str(json_object_array_get_idx(d, i), "id");
}

static void
scoping(void)
{
	struct file_obj	 f;
	char		 exp[FILE_ID_LEN + 1], del[FILE_ID_LEN + 1];
	time_t		 now = time(NULL);
	enum vn_err	 a, b, c, d;

	a = files_get(db, wsa, ids[0], now, &f);
	ok(a == VN_OK && strcmp(f.id, ids[0]) == 0 && f.bytes == 42 &&
	    strcmp(f.purpose, "user_data") == 0 && f.expires_at == 0 &&
	    strcmp(f.status, "processed") == 0, "a file of its workspace");
	b = files_get(db, wsb, ids[0], now, &f);
	c = files_delete(db, wsb, ids[0], now);
	d = files_get(db, wsa, ids[0], now, &f);
	ok(b == VN_ENOTFOUND && c == VN_ENOTFOUND && d == VN_OK,
	    "another workspace can neither see nor delete it");
	add(wsa, exp, "batch", now - 1);
	a = files_get(db, wsa, exp, now, &f);
	b = files_delete(db, wsa, exp, now);
	ok(a == VN_ENOTFOUND && b == VN_ENOTFOUND,
	    "an expired file is not found, not even to delete");
	add(wsa, del, "user_data", 0);
	a = files_delete(db, wsa, del, now);
	b = files_get(db, wsa, del, now, &f);
	c = files_delete(db, wsa, del, now);
	ok(a == VN_OK && b == VN_ENOTFOUND && c == VN_ENOTFOUND,
	    "a deleted file is gone at once; deleting it again is 404");
}

static void
paging(void)
{
	struct files_query q = { NULL, 10, 0, NULL, -1 };
	struct json_object *o = NULL;
	struct fault	 f;
	struct json_object *v;
	char		 after[FILE_ID_LEN + 1], foreign[FILE_ID_LEN + 1];
	int		 page, asc, good;
	size_t		 seen, i, want[3] = { 10, 10, 5 };
	enum vn_err	 rc;

	for (asc = 0; asc < 2; asc++) {
		q.asc = asc;
		q.after = NULL;
		good = 1;
		seen = 0;
		for (page = 0; page < 3; page++) {
			rc = list(wsa, &q, &o, &f);
			if (rc != VN_OK || o == NULL ||
			    count(o) != want[page]) {
				good = 0;
				break;
			}
			for (i = 0; i < count(o); i++, seen++)
				if (strcmp(nth(o, i), ids[asc ? seen :
				    24 - seen]) != 0)
					good = 0;
			json_object_object_get_ex(o, "has_more", &v);
			if (json_object_get_boolean(v) != (page < 2) ||
			    strcmp(str(o, "first_id"), nth(o, 0)) != 0 ||
			    strcmp(str(o, "last_id"), nth(o,
			    count(o) - 1)) != 0 ||
			    json_object_object_get_ex(o, "total", &v))
				good = 0;
			snprintf(after, sizeof(after), "%s",
			    str(o, "last_id"));
			q.after = after;
			json_object_put(o);
		}
		ok(good && seen == 25, "%s: 25 files in pages of 10, 10 and 5, "
		    "has_more exact, first_id/last_id, no total",
		    asc ? "asc" : "desc");
	}

	q.asc = 0;
	q.after = ids[0];	/* the oldest: nothing after it */
	rc = list(wsa, &q, &o, &f);
	ok(rc == VN_OK && count(o) == 0 &&
	    strcmp(str(o, "first_id"), "") == 0 &&
	    strcmp(str(o, "last_id"), "") == 0,
	    "an empty page: first_id and last_id are \"\"");
	json_object_put(o);

	add(wsb, foreign, "user_data", 0);
	q.after = foreign;
	rc = list(wsa, &q, &o, &f);
	ok(rc == VN_EINVAL && strcmp(f.param, "after") == 0 &&
	    f.code != NULL && strcmp(f.code, "invalid_value") == 0,
	    "another workspace's id as 'after' is refused (param after)");
	q.after = "file-doesnotexist";
	rc = list(wsa, &q, &o, &f);
	ok(rc == VN_EINVAL && strcmp(f.param, "after") == 0,
	    "  so is an unknown one");

	files_delete(db, wsa, ids[20], time(NULL));
	q.after = ids[20];
	rc = list(wsa, &q, &o, &f);
	ok(rc == VN_OK && count(o) == 10 && strcmp(nth(o, 0), ids[19]) == 0,
	    "a deleted file still works as a cursor (delete while paging)");
	json_object_put(o);
	q.after = NULL;
	q.limit = 100;
	rc = list(wsa, &q, &o, &f);
	good = rc == VN_OK && count(o) == 24;
	for (i = 0; good && i < count(o); i++)
		if (strcmp(nth(o, i), ids[20]) == 0)
			good = 0;
	ok(good, "  and is not listed");
	json_object_put(o);

	q.limit = 5;
	q.offset = 3;
	rc = list(wsa, &q, &o, &f);
	ok(rc == VN_OK && count(o) == 5 && strcmp(nth(o, 0), ids[21]) == 0 &&
	    json_object_object_get_ex(o, "total", &v) &&
	    json_object_get_int(v) == 24, "offset skips rows and adds total");
	json_object_put(o);
	q.offset = 22;
	rc = list(wsa, &q, &o, &f);
	json_object_object_get_ex(o, "has_more", &v);
	ok(rc == VN_OK && count(o) == 2 && !json_object_get_boolean(v),
	    "  the last rows, has_more false");
	json_object_put(o);

	q.offset = -1;
	q.limit = 100;
	q.purpose = "batch";
	rc = list(wsa, &q, &o, &f);
	ok(rc == VN_OK && count(o) == 3 && strcmp(nth(o, 0), ids[24]) == 0,
	    "the purpose filter");
	json_object_put(o);
	rc = list(wsb, &q, &o, &f);
	ok(rc == VN_OK && count(o) == 0, "  and the workspace still applies");
	json_object_put(o);
}

/* A page of 100 from a workspace of n files: best and median ms. */
static void
speed(long n)
{
	struct files_query q = { NULL, 100, 0, NULL, -1 };
	struct json_object *o;
	struct fault	 f;
	sqlite3_stmt	*st = NULL;
	char		 ws[WS_ID_LEN + 1], sql[512], mid[FILE_ID_LEN + 1];
	double		 t[21], tmp;
	struct timespec	 a, b;
	int		 i, j, rc;

	workspace_create(db, "big", ws);
	snprintf(sql, sizeof(sql), "WITH RECURSIVE c(x) AS (SELECT 1 UNION "
	    "ALL SELECT x + 1 FROM c WHERE x < %ld) INSERT INTO files (id, "
	    "workspace_id, filename, purpose, bytes, created_at) SELECT "
	    "printf('file-big%%016d', x), '%s', 'f.jsonl', CASE x %% 3 WHEN 0 "
	    "THEN 'batch' ELSE 'user_data' END, x, 1767225600 + x FROM c", n,
	    ws);
	rc = sqlite3_exec(db->h, "BEGIN", NULL, NULL, NULL) == SQLITE_OK &&
	    sqlite3_exec(db->h, sql, NULL, NULL, NULL) == SQLITE_OK &&
	    sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL) == SQLITE_OK;
	ok(rc, "%ld files in one workspace", n);
	snprintf(mid, sizeof(mid), "file-big%016ld", n / 2);
	for (i = 0; i < 21; i++) {
		q.after = i % 3 == 0 ? NULL : mid;
		q.asc = i % 2;
		q.purpose = i % 4 == 0 ? "batch" : NULL;
		clock_gettime(CLOCK_MONOTONIC, &a);
		rc = list(ws, &q, &o, &f);
		clock_gettime(CLOCK_MONOTONIC, &b);
		t[i] = (b.tv_sec - a.tv_sec) * 1e3 +
		    (b.tv_nsec - a.tv_nsec) / 1e6;
		if (rc != VN_OK || count(o) != 100)
			t[i] = 1e9;
		json_object_put(o);
	}
	for (i = 0; i < 21; i++)
		for (j = i + 1; j < 21; j++)
			if (t[j] < t[i]) {
				tmp = t[i];
				t[i] = t[j];
				t[j] = tmp;
			}
	ok(t[10] <= 5.0, "a page of 100 out of %ld: median %.2f ms, worst "
	    "%.2f ms (at most 5 ms)", n, t[10], t[20]);
	snprintf(sql, sizeof(sql), "EXPLAIN QUERY PLAN %s",
	    sql_text[STMT_FILE_LIST_PURPOSE_DESC]);
	rc = 0;
	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) == SQLITE_OK)
		while (sqlite3_step(st) == SQLITE_ROW)
			if (strstr((const char *)sqlite3_column_text(st, 3),
			    "files_workspace_purpose") != NULL)
				rc = 1;
	sqlite3_finalize(st);
	ok(rc, "  the purpose listing uses its index");
}

int
main(void)
{
	struct cfg	*cfg;
	char		 err[512], cmd[256];
	const char	*rows;
	int		 i, c;

	if (mkdtemp(dir) == NULL || !ids_init() ||
	    (cfg = test_cfg("[server]\ndatabase = %s/v.db\n", dir)) == NULL ||
	    (db = db_open(cfg, DB_OPEN_CREATE, err, sizeof(err))) == NULL ||
	    workspace_create(db, "a", wsa) != VN_OK ||
	    workspace_create(db, "b", wsb) != VN_OK) {
		printf("Bail out! cannot set up\n");
		return 1;
	}
	c = 1;
	for (i = 0; i < 25; i++)
		c &= add(wsa, ids[i], i % 10 == 4 ? "batch" : "user_data",
		    0) == VN_OK;
	ok(c, "25 files in workspace a");
	scoping();
	paging();
	rows = getenv("FILES_TEST_ROWS");
	speed(rows != NULL ? atol(rows) : 1000000);
	db_close(db);
	cfg_free(cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return done_testing();
}
