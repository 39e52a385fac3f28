/*
 * admin_query.c: parse an Admin API query string into struct
 * admin_query.  Pure: no allocation, no I/O; every value is decoded
 * into a buffer of fixed size and refused when it does not fit.  The
 * parameters are a table: name, kind, which endpoints read it.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "admin_query.h"
#include "url.h"

enum aq_kind {
	K_LIMIT,
	K_AFTER,
	K_BEFORE,
	K_BOOL,
	K_GT, K_GTE, K_LT, K_LTE,
	K_LIST,
	K_BUCKETS,
	K_START,
	K_END,
	K_WIDTH,
	K_BATCH,
	K_PAGE
};

static const struct {
	const char	*name;
	enum aq_kind	 kind;
	unsigned	 which;
	enum aq_list	 list;		/* K_LIST only */
} params[] = {
	{ "limit", K_LIMIT, AQ_PAGE, 0 },
	{ "after", K_AFTER, AQ_PAGE, 0 },
	{ "before", K_BEFORE, AQ_AUDIT, 0 },
	{ "include_archived", K_BOOL, AQ_ARCHIVED, 0 },
	{ "effective_at[gt]", K_GT, AQ_AUDIT, 0 },
	{ "effective_at[gte]", K_GTE, AQ_AUDIT, 0 },
	{ "effective_at[lt]", K_LT, AQ_AUDIT, 0 },
	{ "effective_at[lte]", K_LTE, AQ_AUDIT, 0 },
	{ "project_ids[]", K_LIST, AQ_AUDIT, AQL_PROJECT_IDS },
	{ "project_ids", K_LIST, AQ_AUDIT, AQL_PROJECT_IDS },
	{ "event_types[]", K_LIST, AQ_AUDIT, AQL_EVENT_TYPES },
	{ "event_types", K_LIST, AQ_AUDIT, AQL_EVENT_TYPES },
	{ "actor_ids[]", K_LIST, AQ_AUDIT, AQL_ACTOR_IDS },
	{ "actor_ids", K_LIST, AQ_AUDIT, AQL_ACTOR_IDS },
	{ "resource_ids[]", K_LIST, AQ_AUDIT, AQL_RESOURCE_IDS },
	{ "resource_ids", K_LIST, AQ_AUDIT, AQL_RESOURCE_IDS },
	{ "limit", K_BUCKETS, AQ_USAGE, 0 },
	{ "start_time", K_START, AQ_USAGE, 0 },
	{ "end_time", K_END, AQ_USAGE, 0 },
	{ "bucket_width", K_WIDTH, AQ_USAGE, 0 },
	{ "batch", K_BATCH, AQ_USAGE, 0 },
	{ "page", K_PAGE, AQ_USAGE, 0 },
	{ "project_ids[]", K_LIST, AQ_USAGE, AQL_PROJECT_IDS },
	{ "project_ids", K_LIST, AQ_USAGE, AQL_PROJECT_IDS },
	{ "api_key_ids[]", K_LIST, AQ_USAGE, AQL_API_KEY_IDS },
	{ "api_key_ids", K_LIST, AQ_USAGE, AQL_API_KEY_IDS },
	{ "models[]", K_LIST, AQ_USAGE, AQL_MODELS },
	{ "models", K_LIST, AQ_USAGE, AQL_MODELS },
	{ "group_by[]", K_LIST, AQ_USAGE, AQL_GROUP_BY },
	{ "group_by", K_LIST, AQ_USAGE, AQL_GROUP_BY },
};

/* The characters of ids, event types, models and "unix:NAME" actors. */
static int
value_ok(const char *s)
{
	size_t	 n = strlen(s), i;

	if (n == 0 || n > AQ_VALUE_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= 'a' && s[i] <= 'z') ||
		    strchr("._-:@+/", s[i]) != NULL))
			return 0;
	return 1;
}

/* Digits only, at most max: a limit or a Unix time. */
static int
number(const char *s, long long max, long long *out)
{
	long long	 v = 0;

	if (*s == '\0' || strlen(s) > 18)
		return 0;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return 0;
		v = v * 10 + (*s - '0');
	}
	if (v > max)
		return 0;
	*out = v;
	return 1;
}

static int
add_value(struct admin_query *q, enum aq_list l, const char *v)
{
	char	*j = q->list[l];
	size_t	 n = strlen(j);

	if (q->nlist[l] == AQ_VALUES_MAX)
		return 0;
	/* value_ok() holds: no quote or backslash to escape. */
	snprintf(j + (n > 0 ? n - 1 : 0), AQ_LIST_BYTES - (n > 0 ? n - 1 : 0),
	    "%s\"%s\"]", n > 0 ? "," : "[", v);
	q->nlist[l]++;
	return 1;
}

/*
 * Parse query for an endpoint that reads the parameters of which.
 * Returns 1, or 0 with the offending parameter in param and the reason
 * in msg.  Parameters the endpoint does not read are ignored, as
 * OpenAI does.
 */
int
admin_query_parse(const char *query, unsigned which, struct admin_query *q,
    char *param, size_t paramsz, char *msg, size_t msgsz)
{
	char		 name[64], val[AQ_VALUE_MAX + 1];
	const char	*p, *amp, *eq;
	size_t		 i, nlen, vlen;
	long long	 v;

	memset(q, 0, sizeof(*q));
	q->limit = AQ_LIMIT_DEF;
	q->gt = -1;
	q->lt = AQ_TIME_MAX + 1;
	q->start_time = q->end_time = q->page = -1;
	q->width = 86400;
	q->buckets = -1;
	q->batch = -1;
	for (p = query; p != NULL && *p != '\0';
	    p = amp != NULL ? amp + 1 : NULL) {
		amp = strchr(p, '&');
		eq = memchr(p, '=', amp != NULL ? (size_t)(amp - p) :
		    strlen(p));
		nlen = eq != NULL ? (size_t)(eq - p) : amp != NULL ?
		    (size_t)(amp - p) : strlen(p);
		/* A name too long for the table is no parameter of ours. */
		if (nlen == 0 || !url_pct_decode(p, nlen, name, sizeof(name)))
			continue;
		for (i = 0; i < VN_NELEM(params); i++)
			if (strcmp(params[i].name, name) == 0 &&
			    (params[i].which & which))
				break;
		if (i == VN_NELEM(params))
			continue;
		snprintf(param, paramsz, "%s", name);
		vlen = eq == NULL ? 0 : amp != NULL ? (size_t)(amp - eq - 1) :
		    strlen(eq + 1);
		if (eq == NULL || !url_pct_decode(eq + 1, vlen, val,
		    sizeof(val))) {
			snprintf(msg, msgsz, "Invalid value for '%s': expected "
			    "at most %d characters.", name, AQ_VALUE_MAX);
			return 0;
		}
		switch (params[i].kind) {
		case K_LIMIT:
			if (!number(val, AQ_LIMIT_MAX, &v) || v < 1) {
				snprintf(msg, msgsz, "Invalid 'limit': expected "
				    "an integer from 1 to %d.", AQ_LIMIT_MAX);
				return 0;
			}
			q->limit = (long)v;
			break;
		case K_AFTER:
		case K_BEFORE:
			if (!value_ok(val)) {
				snprintf(msg, msgsz, "Invalid '%s': expected "
				    "an object id.", name);
				return 0;
			}
			snprintf(params[i].kind == K_AFTER ? q->after :
			    q->before, sizeof(q->after), "%s", val);
			break;
		case K_BOOL:
			if (strcmp(val, "true") == 0 || strcmp(val, "1") == 0)
				q->include_archived = 1;
			else if (strcmp(val, "false") == 0 ||
			    strcmp(val, "0") == 0)
				q->include_archived = 0;
			else {
				snprintf(msg, msgsz, "Invalid '%s': expected "
				    "true or false.", name);
				return 0;
			}
			break;
		case K_GT:
		case K_GTE:
		case K_LT:
		case K_LTE:
			if (!number(val, AQ_TIME_MAX, &v)) {
				snprintf(msg, msgsz, "Invalid '%s': expected "
				    "a Unix time in seconds.", name);
				return 0;
			}
			/* Every bound as an exclusive one. */
			if (params[i].kind == K_GT && v > q->gt)
				q->gt = v;
			else if (params[i].kind == K_GTE && v - 1 > q->gt)
				q->gt = v - 1;
			else if (params[i].kind == K_LT && v < q->lt)
				q->lt = v;
			else if (params[i].kind == K_LTE && v + 1 < q->lt)
				q->lt = v + 1;
			break;
		case K_BUCKETS:
			if (!number(val, AQ_BUCKETS_MAX, &v) || v < 1) {
				snprintf(msg, msgsz, "Invalid 'limit': expected "
				    "an integer from 1 to %d.", AQ_BUCKETS_MAX);
				return 0;
			}
			q->buckets = (long)v;
			break;
		case K_START:
		case K_END:
		case K_PAGE:
			if (!number(val, AQ_TIME_MAX, &v)) {
				snprintf(msg, msgsz, "Invalid '%s': expected "
				    "a Unix time in seconds.", name);
				return 0;
			}
			*(params[i].kind == K_START ? &q->start_time :
			    params[i].kind == K_END ? &q->end_time :
			    &q->page) = v;
			break;
		case K_WIDTH:
			if (strcmp(val, "1m") == 0)
				q->width = 60;
			else if (strcmp(val, "1h") == 0)
				q->width = 3600;
			else if (strcmp(val, "1d") == 0)
				q->width = 86400;
			else {
				snprintf(msg, msgsz, "Invalid 'bucket_width': "
				    "expected 1m, 1h or 1d.");
				return 0;
			}
			break;
		case K_BATCH:
			if (strcmp(val, "true") == 0 || strcmp(val, "1") == 0)
				q->batch = 1;
			else if (strcmp(val, "false") == 0 ||
			    strcmp(val, "0") == 0)
				q->batch = 0;
			else {
				snprintf(msg, msgsz, "Invalid 'batch': "
				    "expected true or false.");
				return 0;
			}
			break;
		case K_LIST:
			if (!value_ok(val)) {
				snprintf(msg, msgsz, "Invalid value in '%s': "
				    "expected an id of at most %d characters.",
				    name, AQ_VALUE_MAX);
				return 0;
			}
			if (!add_value(q, params[i].list, val)) {
				snprintf(msg, msgsz, "Too many values for "
				    "'%s': at most %d.", name, AQ_VALUES_MAX);
				return 0;
			}
			break;
		}
	}
	param[0] = '\0';
	return 1;
}

/*
 * A name as the API takes it: 1 to max bytes of UTF-8 (shortest forms,
 * no surrogates), no control characters.  Pure.
 */
int
admin_text_ok(const char *s, size_t max)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 n = strlen(s), i, k, more;
	unsigned long		 cp;

	if (n == 0 || n > max)
		return 0;
	for (i = 0; i < n; i += more + 1) {
		if (u[i] < 0x20 || u[i] == 0x7f)
			return 0;
		if (u[i] < 0x80) {
			more = 0;
			continue;
		}
		if (u[i] >= 0xc2 && u[i] <= 0xdf) {
			more = 1;
			cp = u[i] & 0x1f;
		} else if (u[i] >= 0xe0 && u[i] <= 0xef) {
			more = 2;
			cp = u[i] & 0x0f;
		} else if (u[i] >= 0xf0 && u[i] <= 0xf4) {
			more = 3;
			cp = u[i] & 0x07;
		} else
			return 0;
		if (i + more >= n)
			return 0;
		for (k = 1; k <= more; k++) {
			if ((u[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (u[i + k] & 0x3f);
		}
		if ((more == 2 && (cp < 0x800 || (cp >= 0xd800 &&
		    cp <= 0xdfff))) || (more == 3 && (cp < 0x10000 ||
		    cp > 0x10ffff)) || (cp >= 0x80 && cp <= 0x9f))
			return 0;
	}
	return 1;
}
