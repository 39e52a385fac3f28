/*
 * admin_query.h: the query strings of the Admin API, parsed by a pure
 * function with a cap on everything: limit, cursors, include_archived,
 * effective_at[gt|gte|lt|lte] and the array filters the SDK sends as
 * repeated "name[]=value" (project_ids[], event_types[], ...).  An
 * array becomes a JSON array of strings, ready to bind (sql.c's
 * json_each); its values are restricted to the characters of ids and
 * event types, so they need no escaping.
 */
#ifndef ADMIN_QUERY_H
#define ADMIN_QUERY_H

#include <stdint.h>

#include "venna.h"

#define AQ_LIMIT_MAX	100	/* OpenAI's cap on a page */
#define AQ_LIMIT_DEF	20
#define AQ_VALUES_MAX	100	/* values of one array parameter */
#define AQ_VALUE_MAX	VN_MAX_ID
#define AQ_LIST_BYTES	(AQ_VALUES_MAX * (AQ_VALUE_MAX + 3) + 3)
#define AQ_TIME_MAX	4102444800LL	/* 2100-01-01: later is junk */

/* Which parameters an endpoint reads (others are ignored). */
#define AQ_PAGE		0x01	/* limit, after */
#define AQ_ARCHIVED	0x02	/* include_archived */
#define AQ_AUDIT	0x04	/* before, effective_at[...], the arrays */
#define AQ_USAGE	0x08	/* usage and costs: times, widths, groups */

#define AQ_BUCKETS_MAX	1440	/* a usage page: 1440 one-minute buckets */

enum aq_list {
	AQL_PROJECT_IDS,
	AQL_EVENT_TYPES,
	AQL_ACTOR_IDS,
	AQL_RESOURCE_IDS,
	AQL_API_KEY_IDS,
	AQL_MODELS,
	AQL_GROUP_BY,
	AQL__MAX
};

struct admin_query {
	long		 limit;
	char		 after[AQ_VALUE_MAX + 1];	/* "" when absent */
	char		 before[AQ_VALUE_MAX + 1];
	int		 include_archived;
	int64_t		 gt, lt;	/* effective_at, exclusive bounds */
	/* usage and costs; -1 when absent */
	int64_t		 start_time, end_time;
	long		 width;		/* bucket_width in seconds */
	long		 buckets;	/* limit, for usage: buckets a page */
	int		 batch;		/* 1, 0 */
	int64_t		 page;		/* a bucket's start */
	/* JSON arrays, "" when the parameter is absent */
	char		 list[AQL__MAX][AQ_LIST_BYTES];
	size_t		 nlist[AQL__MAX];
};

int	admin_query_parse(const char *query, unsigned which,
	    struct admin_query *, char *param, size_t paramsz, char *msg,
	    size_t msgsz);
int	admin_text_ok(const char *, size_t max);

#endif /* ADMIN_QUERY_H */
