/*
 * report.c: summing the usage ledger, from the aggregates kept as its
 * rows are inserted (schema 9), the ones the Admin API reports from.  Costs are kept in picodollars
 * (integers, exact) and printed as dollars with six decimals.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "buf.h"
#include "db.h"
#include "report.h"

static const char *const group_names[] = {
	[REPORT_BY_WORKSPACE] = NULL,
	[REPORT_BY_MODEL] = "model",
	[REPORT_BY_KEY] = "key",
	[REPORT_BY_DAY] = "day",
};

static const enum stmt group_stmts[] = {
	[REPORT_BY_WORKSPACE] = STMT_USAGE_BY_WORKSPACE,
	[REPORT_BY_MODEL] = STMT_USAGE_BY_MODEL,
	[REPORT_BY_KEY] = STMT_USAGE_BY_KEY,
	[REPORT_BY_DAY] = STMT_USAGE_BY_DAY,
};

/* "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SSZ" (UTC); NULL means 0. */
int
report_parse_since(const char *s, int64_t *out)
{
	struct tm	 tm;
	const char	*end;

	*out = 0;
	if (s == NULL)
		return 0;
	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm)) == NULL ||
	    *end != '\0') {
		memset(&tm, 0, sizeof(tm));
		if ((end = strptime(s, "%Y-%m-%d", &tm)) == NULL ||
		    *end != '\0')
			return -1;
	}
	*out = (int64_t)timegm(&tm);
	return 0;
}

int
report_parse_by(const char *s, enum report_by *out)
{
	size_t	 i;

	*out = REPORT_BY_WORKSPACE;
	if (s == NULL)
		return 0;
	for (i = 1; i < VN_NELEM(group_names); i++)
		if (strcmp(s, group_names[i]) == 0) {
			*out = (enum report_by)i;
			return 0;
		}
	return -1;
}

int
report_parse_format(const char *s, enum report_format *out)
{
	*out = REPORT_TABLE;
	if (s == NULL || strcmp(s, "table") == 0)
		return 0;
	if (strcmp(s, "json") == 0)
		*out = REPORT_JSON;
	else if (strcmp(s, "csv") == 0)
		*out = REPORT_CSV;
	else
		return -1;
	return 0;
}

/* Picodollars as "D.DDDDDD" dollars. */
void
report_dollars(int64_t pusd, char *out, size_t outsz)
{
	snprintf(out, outsz, "%s%lld.%06lld", pusd < 0 ? "-" : "",
	    (long long)(llabs(pusd) / 1000000000000LL),
	    (long long)(llabs(pusd) % 1000000000000LL / 1000000));
}

/* A CSV field, quoted when it needs to be (RFC 4180). */
static void
csv_field(FILE *fp, const char *s)
{
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, fp);
		return;
	}
	fputc('"', fp);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputc('"', fp);
		fputc(*s, fp);
	}
	fputc('"', fp);
}

static void
json_field(FILE *fp, const char *s)
{
	struct buf	 b;

	buf_init(&b, 4096);
	if (buf_add_json_string(&b, s, strlen(s)) == VN_OK)
		fputs(b.data, fp);
	else
		fputs("null", fp);
	buf_free(&b);
}

/*
 * Print the usage of o->workspace (or of all) since o->since, grouped
 * as o->by asks, in o->format.  Returns 0 on success.
 */
int
report_usage(struct db *db, const struct report_opts *o, FILE *fp)
{
	sqlite3_stmt	*st;
	const char	*gname = group_names[o->by];
	char		 ws[VN_MAX_ID + 1], grp[512];
	char		 cost[48];
	int64_t		 width;
	int		 rc, first = 1;

	if ((st = db_stmt(db, group_stmts[o->by])) == NULL)
		return -1;
	if (o->workspace != NULL)
		sqlite3_bind_text(st, 1, o->workspace, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, o->since);
	/*
	 * Whole days from the aggregates of days, else whole minutes from
	 * those of minutes and the seconds before the first from the
	 * ledger itself: every figure is exact.
	 */
	width = o->since % 86400 == 0 ? 86400 : 60;
	sqlite3_bind_int64(st, 3, width);
	sqlite3_bind_int64(st, 4, (o->since + width - 1) / width * width);

	if (o->format == REPORT_TABLE)
		fprintf(fp, "%-16s %-24s %9s %12s %12s %10s %14s %7s\n",
		    "WORKSPACE", gname != NULL ? gname : "", "REQUESTS",
		    "PROMPT_TOK", "COMPL_TOK", "CACHED", "COST_USD", "ERRORS");
	else if (o->format == REPORT_CSV)
		fprintf(fp, "workspace,%s%srequests,prompt_tokens,"
		    "completion_tokens,cached_tokens,cost_usd,errors\n",
		    gname != NULL ? gname : "", gname != NULL ? "," : "");
	else
		fputc('[', fp);

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		db_col_copy(st, 0, ws, sizeof(ws));
		if (sqlite3_column_type(st, 1) == SQLITE_NULL)
			snprintf(grp, sizeof(grp), "-");
		else
			db_col_copy(st, 1, grp, sizeof(grp));
		report_dollars(sqlite3_column_int64(st, 6), cost,
		    sizeof(cost));
		switch (o->format) {
		case REPORT_TABLE:
			fprintf(fp, "%-16s %-24s %9lld %12lld %12lld %10lld "
			    "%14s %7lld\n", ws, gname != NULL ? grp : "",
			    sqlite3_column_int64(st, 2),
			    sqlite3_column_int64(st, 3),
			    sqlite3_column_int64(st, 4),
			    sqlite3_column_int64(st, 5), cost,
			    sqlite3_column_int64(st, 7));
			break;
		case REPORT_CSV:
			csv_field(fp, ws);
			fputc(',', fp);
			if (gname != NULL) {
				csv_field(fp, grp);
				fputc(',', fp);
			}
			fprintf(fp, "%lld,%lld,%lld,%lld,%s,%lld\n",
			    sqlite3_column_int64(st, 2),
			    sqlite3_column_int64(st, 3),
			    sqlite3_column_int64(st, 4),
			    sqlite3_column_int64(st, 5), cost,
			    sqlite3_column_int64(st, 7));
			break;
		case REPORT_JSON:
			fputs(first ? "\n {\"workspace\":" : ",\n {\"workspace\":",
			    fp);
			json_field(fp, ws);
			if (gname != NULL) {
				fprintf(fp, ",\"%s\":", gname);
				json_field(fp, grp);
			}
			fprintf(fp, ",\"requests\":%lld,\"prompt_tokens\":%lld,"
			    "\"completion_tokens\":%lld,\"cached_tokens\":%lld,"
			    "\"cost_usd\":%s,\"errors\":%lld}",
			    sqlite3_column_int64(st, 2),
			    sqlite3_column_int64(st, 3),
			    sqlite3_column_int64(st, 4),
			    sqlite3_column_int64(st, 5), cost,
			    sqlite3_column_int64(st, 7));
			break;
		}
		first = 0;
	}
	sqlite3_reset(st);
	if (o->format == REPORT_JSON)
		fputs(first ? "]\n" : "\n]\n", fp);
	return rc == SQLITE_DONE ? 0 : -1;
}
