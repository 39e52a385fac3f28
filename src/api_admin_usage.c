/*
 * api_admin_usage.c: GET /v1/organization/usage/completions,
 * /usage/embeddings and /costs: pages of time buckets, each with one
 * result per group, from admin_usage.c's aggregates.
 *
 * Buckets are aligned on UTC multiples of their width: start_time is
 * rounded down to its bucket, so every number is the sum of the ledger
 * rows whose created_at falls in the bucket shown.  Every bucket of the
 * page is listed, empty ones with no result.  end_time (exclusive)
 * defaults to now; page is the start of the next page's first bucket
 * (the next_page of the previous answer).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "admin_query.h"
#include "api.h"
#include "buf.h"
#include "ctx.h"
#include "reply.h"
#include "store.h"

#define USAGE_MAX_BODY	(16 * 1024 * 1024)

enum report { R_COMPLETIONS, R_EMBEDDINGS, R_COSTS };

/* What each report groups by, takes, and its page sizes by width. */
static const struct {
	const char	*object;
	int		 kind;
	const char	*groups[4];
} reports[] = {
	[R_COMPLETIONS] = { "organization.usage.completions.result", 1,
	    { "project_id", "api_key_id", "model", "batch" } },
	[R_EMBEDDINGS] = { "organization.usage.embeddings.result", 2,
	    { "project_id", "api_key_id", "model", NULL } },
	[R_COSTS] = { "organization.costs.result", 0,
	    { "project_id", "line_item", NULL, NULL } },
};

static const struct {
	long	 width;
	long	 def, max;	/* buckets a page */
} widths[] = {
	{ 60, 60, 1440 },
	{ 3600, 24, 168 },
	{ 86400, 7, 31 },
};

/* The page being written. */
struct page {
	struct buf	*b;
	enum report	 rep;
	long		 width;
	int64_t		 next;		/* the start of the next bucket */
	int		 open;		/* a bucket is open */
	size_t		 nres;		/* results in the open bucket */
	const struct admin_usage_query *q;
};

static enum vn_err
bucket_open(struct page *p)
{
	enum vn_err	 rc;

	if ((rc = buf_addf(p->b, "%s{\"object\":\"bucket\",\"start_time\":"
	    "%lld,\"end_time\":%lld,\"results\":[", p->open ? "]}," : "",
	    (long long)p->next, (long long)(p->next + p->width))) != VN_OK)
		return rc;
	p->open = 1;
	p->nres = 0;
	p->next += p->width;
	return VN_OK;
}

/* "key":"value", or "key":null when not grouped by it. */
static enum vn_err
group(struct buf *b, const char *key, int grouped, const char *v)
{
	enum vn_err	 rc;

	if ((rc = buf_addf(b, ",\"%s\":", key)) != VN_OK)
		return rc;
	return grouped ? buf_add_json_string(b, v, strlen(v)) :
	    buf_addstr(b, "null");
}

/* Picodollars as an exact decimal number of dollars. */
static enum vn_err
dollars(struct buf *b, int64_t pusd)
{
	return buf_addf(b, "{\"value\":%lld.%012lld,\"currency\":\"usd\"}",
	    (long long)(pusd / 1000000000000LL),
	    (long long)(pusd % 1000000000000LL));
}

static int
page_each(void *arg, const void *obj)
{
	const struct admin_usage_row *r = obj;
	struct page	*p = arg;
	const struct admin_usage_query *q = p->q;
	struct buf	*b = p->b;

	while (!p->open || r->start >= p->next)
		if (bucket_open(p) != VN_OK)
			return -1;
	if ((p->nres++ > 0 && buf_addc(b, ',') != VN_OK) ||
	    buf_addf(b, "{\"object\":\"%s\"", reports[p->rep].object) !=
	    VN_OK)
		return -1;
	if (p->rep == R_COSTS) {
		if (buf_addstr(b, ",\"amount\":") != VN_OK ||
		    dollars(b, r->cost_pusd) != VN_OK ||
		    group(b, "line_item", q->by_model, r->model) != VN_OK ||
		    group(b, "project_id", q->by_project, r->project_id) !=
		    VN_OK)
			return -1;
		return buf_addc(b, '}') != VN_OK ? -1 : 0;
	}
	if (buf_addf(b, ",\"input_tokens\":%lld,\"num_model_requests\":%lld",
	    (long long)r->input, (long long)r->requests) != VN_OK ||
	    (p->rep == R_COMPLETIONS && buf_addf(b, ",\"output_tokens\":%lld,"
	    "\"input_cached_tokens\":%lld,\"input_audio_tokens\":0,"
	    "\"output_audio_tokens\":0", (long long)r->output,
	    (long long)r->cached) != VN_OK) ||
	    group(b, "project_id", q->by_project, r->project_id) != VN_OK ||
	    buf_addstr(b, ",\"user_id\":null") != VN_OK ||
	    group(b, "api_key_id", q->by_key, r->key_id) != VN_OK ||
	    group(b, "model", q->by_model, r->model) != VN_OK)
		return -1;
	if (p->rep == R_COMPLETIONS &&
	    buf_addf(b, ",\"batch\":%s", !q->by_batch ? "null" :
	    r->batch ? "true" : "false") != VN_OK)
		return -1;
	return buf_addc(b, '}') != VN_OK ? -1 : 0;
}

/* Set q's group flags from group_by[]; a 400 for one not offered. */
static enum vn_err
groups(struct ctx *c, enum report rep, const struct admin_query *aq,
    struct admin_usage_query *q)
{
	const char	*s = aq->list[AQL_GROUP_BY], *e;
	char		 g[AQ_VALUE_MAX + 1];
	size_t		 i, n;

	while (s != NULL && (s = strchr(s, '"')) != NULL) {
		if ((e = strchr(++s, '"')) == NULL)
			break;
		n = (size_t)(e - s);
		snprintf(g, sizeof(g), "%.*s", (int)n, s);
		s = e + 1;
		for (i = 0; i < 4; i++)
			if (reports[rep].groups[i] != NULL &&
			    strcmp(reports[rep].groups[i], g) == 0)
				break;
		if (i == 4)
			return fault_set(&c->fault, VN_EINVAL, "group_by",
			    "invalid_value", "Invalid 'group_by': '%s' is "
			    "not a grouping of this report.", g);
		*(i == 0 ? &q->by_project : i == 1 ? (rep == R_COSTS ?
		    &q->by_model : &q->by_key) : i == 2 ? &q->by_model :
		    &q->by_batch) = 1;
	}
	return VN_OK;
}

static enum vn_err
report(struct ctx *c, enum report rep)
{
	struct admin_usage_query q;
	struct admin_query	*aq;
	struct page		 p;
	struct buf		 b;
	struct db		*db = NULL;
	int64_t			 start, end, pend;
	long			 nb = 0;
	size_t			 w;
	enum vn_err		 rc;

	if ((aq = malloc(sizeof(*aq))) == NULL)
		return VN_ENOMEM;
	buf_init(&b, USAGE_MAX_BODY);
	memset(&q, 0, sizeof(q));
	if (!admin_query_parse(c->query, AQ_USAGE, aq, c->fault.param,
	    sizeof(c->fault.param), c->fault.msg, sizeof(c->fault.msg))) {
		rc = c->fault.err = VN_EINVAL;
		c->fault.code = "invalid_value";
		goto out;
	}
	if (aq->start_time < 0) {
		rc = fault_set(&c->fault, VN_EINVAL, "start_time",
		    "missing_required_parameter", "Missing required parameter: "
		    "'start_time'.");
		goto out;
	}
	if (rep == R_COSTS && aq->width != 86400) {
		rc = fault_set(&c->fault, VN_EINVAL, "bucket_width",
		    "invalid_value", "Invalid 'bucket_width': costs come in "
		    "1d buckets only.");
		goto out;
	}
	for (w = 0; widths[w].width != aq->width; w++)
		continue;
	nb = aq->buckets == -1 ? widths[w].def : aq->buckets;
	if (nb > widths[w].max) {
		rc = fault_set(&c->fault, VN_EINVAL, "limit", "invalid_value",
		    "Invalid 'limit': at most %ld buckets of this width.",
		    widths[w].max);
		goto out;
	}
	q.kind = reports[rep].kind;
	q.width = aq->width;
	q.batch = rep == R_COMPLETIONS ? aq->batch : -1;
	if ((rc = groups(c, rep, aq, &q)) != VN_OK)
		goto out;
#define LIST(i)	(aq->list[i][0] != '\0' ? aq->list[i] : NULL)
	q.project_ids = LIST(AQL_PROJECT_IDS);
	q.api_key_ids = rep != R_COSTS ? LIST(AQL_API_KEY_IDS) : NULL;
	q.models = rep != R_COSTS ? LIST(AQL_MODELS) : NULL;
#undef LIST
	start = aq->start_time - aq->start_time % q.width;
	end = aq->end_time >= 0 ? aq->end_time : (int64_t)time(NULL) + 1;
	if (aq->page >= 0) {
		if (aq->page < start || aq->page % q.width != 0) {
			rc = fault_set(&c->fault, VN_EINVAL, "page",
			    "invalid_value", "Invalid 'page': not a page of "
			    "this report.");
			goto out;
		}
		start = aq->page;
	}
	pend = start + nb * q.width;
	q.start = start;
	q.end = end < pend ? end : pend;
	memset(&p, 0, sizeof(p));
	p.b = &b;
	p.rep = rep;
	p.width = q.width;
	p.next = start;
	p.q = &q;
	if ((db = store_get(c->store)) == NULL) {
		rc = VN_ESTORE;
		goto out;
	}
	if ((rc = buf_addstr(&b, "{\"object\":\"page\",\"data\":[")) ==
	    VN_OK && q.start < q.end)
		rc = admin_usage(db, &q, page_each, &p);
	/* The empty buckets after the last row. */
	while (rc == VN_OK && p.next < q.end)
		rc = bucket_open(&p);
	if (rc == VN_OK && p.open)
		rc = buf_addstr(&b, "]}");
	if (rc == VN_OK)
		rc = pend < end ? buf_addf(&b, "],\"has_more\":true,"
		    "\"next_page\":\"%lld\"}", (long long)pend) :
		    buf_addstr(&b, "],\"has_more\":false,\"next_page\":null}");
	if (rc == VN_OK)
		rc = reply_json(c, 200, b.data, b.len);
out:
	store_put(c->store, db);
	buf_free(&b);
	free(aq);
	return rc;
}

enum vn_err
api_admin_usage_completions(struct ctx *c)
{
	return report(c, R_COMPLETIONS);
}

enum vn_err
api_admin_usage_embeddings(struct ctx *c)
{
	return report(c, R_EMBEDDINGS);
}

enum vn_err
api_admin_costs(struct ctx *c)
{
	return report(c, R_COSTS);
}
