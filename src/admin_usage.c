/*
 * admin_usage.c: usage and costs as the Admin API reports them, read
 * from the aggregates the schema keeps as ledger rows are inserted
 * (schema.c, migration 9: a trigger adds each row to its minute, hour
 * and day buckets).  A 30-day report reads at most 30 rows per group
 * instead of every ledger row of the month.
 */
#include "config.h"

#include <string.h>

#include <sqlite3.h>

#include "admin.h"
#include "db.h"

static int
usage_row(sqlite3_stmt *st, void *obj)
{
	struct admin_usage_row	*r = obj;

	memset(r, 0, sizeof(*r));
	r->start = sqlite3_column_int64(st, 0);
	db_col_copy(st, 1, r->project_id, sizeof(r->project_id));
	db_col_copy(st, 2, r->key_id, sizeof(r->key_id));
	db_col_copy(st, 3, r->model, sizeof(r->model));
	r->batch = sqlite3_column_type(st, 4) == SQLITE_NULL ? -1 :
	    sqlite3_column_int(st, 4);
	r->requests = sqlite3_column_int64(st, 5);
	r->input = sqlite3_column_int64(st, 6);
	r->cached = sqlite3_column_int64(st, 7);
	r->output = sqlite3_column_int64(st, 8);
	r->cost_pusd = sqlite3_column_int64(st, 9);
	r->errors = sqlite3_column_int64(st, 10);
	return 0;
}

static void
bind_list(sqlite3_stmt *st, int i, const char *json)
{
	if (json != NULL)
		sqlite3_bind_text(st, i, json, -1, SQLITE_STATIC);
}

/*
 * Hand each group of each bucket of q to each(), ordered by bucket
 * start then group.  Buckets without a row are not handed: the caller
 * makes them.
 */
enum vn_err
admin_usage(struct db *db, const struct admin_usage_query *q,
    admin_each each, void *arg)
{
	struct admin_usage_row	 r;
	sqlite3_stmt		*st;
	int			 more;

	if ((st = db_stmt(db, STMT_USAGE_AGG)) == NULL)
		return VN_ESTORE;
	sqlite3_bind_int64(st, 1, q->width);
	if (q->kind != 0)
		sqlite3_bind_int(st, 2, q->kind);
	sqlite3_bind_int64(st, 3, q->start);
	sqlite3_bind_int64(st, 4, q->end);
	sqlite3_bind_int(st, 5, q->by_project);
	sqlite3_bind_int(st, 6, q->by_key);
	sqlite3_bind_int(st, 7, q->by_model);
	sqlite3_bind_int(st, 8, q->by_batch);
	bind_list(st, 9, q->project_ids);
	bind_list(st, 10, q->api_key_ids);
	bind_list(st, 11, q->models);
	if (q->batch != -1)
		sqlite3_bind_int(st, 12, q->batch);
	return admin_list(db, st, -1, usage_row, &r, each, arg, &more);
}
