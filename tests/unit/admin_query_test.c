/*
 * admin_query_test.c: the Admin API's query strings and names
 * (src/admin_query.c), hostile ones first: limits out of range or not
 * numbers, cursors and array values that are not ids, too many values,
 * effective_at bounds combined, parameters an endpoint does not read;
 * and the key kinds of apikey.c that the Admin API adds.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_query.h"
#include "apikey.h"
#include "ids.h"
#include "../tap.h"

static struct admin_query	 q;
static char			 param[64], msg[256];

static int
parse(const char *s, unsigned which)
{
	return admin_query_parse(s, which, &q, param, sizeof(param), msg,
	    sizeof(msg));
}

/* Refused, naming want as the parameter. */
static void
refused(const char *s, unsigned which, const char *want)
{
	ok(!parse(s, which) && strcmp(param, want) == 0 && msg[0] != '\0',
	    "refused: %.60s (param %s: %s)", s, param, msg);
}

int
main(void)
{
	static char	 big[8192];
	char		 key[APIKEY_MAX_LEN + 1], id[APIKEY_ID_LEN + 1];
	char		 id2[APIKEY_ID_LEN + 1], red[APIKEY_REDACTED_MAX + 1];
	enum apikey_kind k;
	size_t		 n;
	int		 i;

	ok(parse("", AQ_PAGE) && q.limit == AQ_LIMIT_DEF &&
	    q.after[0] == '\0' && q.include_archived == 0, "defaults");
	ok(parse("limit=100&after=ws_abc", AQ_PAGE) && q.limit == 100 &&
	    strcmp(q.after, "ws_abc") == 0, "limit and after");
	ok(parse("limit=1", AQ_PAGE) && q.limit == 1, "limit=1");
	refused("limit=0", AQ_PAGE, "limit");
	refused("limit=101", AQ_PAGE, "limit");
	refused("limit=-1", AQ_PAGE, "limit");
	refused("limit=abc", AQ_PAGE, "limit");
	refused("limit=", AQ_PAGE, "limit");
	refused("limit", AQ_PAGE, "limit");
	refused("limit=99999999999999999999999", AQ_PAGE, "limit");
	refused("limit=1e3", AQ_PAGE, "limit");
	refused("limit=%2B5", AQ_PAGE, "limit");
	refused("after=a%22b", AQ_PAGE, "after");
	refused("after=a%00b", AQ_PAGE, "after");
	refused("after=%zz", AQ_PAGE, "after");
	ok(parse("limit=junk", AQ_ARCHIVED) && q.limit == AQ_LIMIT_DEF,
	    "a parameter the endpoint does not read is ignored");
	ok(parse("include_archived=true", AQ_ARCHIVED) &&
	    q.include_archived == 1, "include_archived=true");
	ok(parse("include_archived=false", AQ_ARCHIVED) &&
	    q.include_archived == 0, "include_archived=false");
	refused("include_archived=maybe", AQ_ARCHIVED, "include_archived");
	ok(parse("unknown=1&&=&x", AQ_PAGE), "unknown and empty pieces");

	/* effective_at: every bound as an exclusive one, the tightest. */
	ok(parse("effective_at%5Bgte%5D=100&effective_at%5Blte%5D=200",
	    AQ_AUDIT) && q.gt == 99 && q.lt == 201, "gte and lte, encoded");
	ok(parse("effective_at[gt]=100&effective_at[gte]=50&"
	    "effective_at[lt]=150&effective_at[lte]=170", AQ_AUDIT) &&
	    q.gt == 100 && q.lt == 150, "the tightest bounds win");
	ok(parse("", AQ_AUDIT) && q.gt == -1 && q.lt > AQ_TIME_MAX,
	    "no bounds: everything");
	refused("effective_at[gte]=-5", AQ_AUDIT, "effective_at[gte]");
	refused("effective_at[lt]=99999999999", AQ_AUDIT, "effective_at[lt]");
	refused("effective_at[gt]=now", AQ_AUDIT, "effective_at[gt]");

	/* arrays */
	ok(parse("project_ids%5B%5D=ws_a&project_ids%5B%5D=ws_b&"
	    "event_types[]=project.created&actor_ids[]=unix:root&"
	    "resource_ids=key1", AQ_AUDIT) &&
	    strcmp(q.list[AQL_PROJECT_IDS], "[\"ws_a\",\"ws_b\"]") == 0 &&
	    strcmp(q.list[AQL_EVENT_TYPES], "[\"project.created\"]") == 0 &&
	    strcmp(q.list[AQL_ACTOR_IDS], "[\"unix:root\"]") == 0 &&
	    strcmp(q.list[AQL_RESOURCE_IDS], "[\"key1\"]") == 0 &&
	    q.nlist[AQL_PROJECT_IDS] == 2, "arrays as JSON");
	ok(parse("", AQ_AUDIT) && q.list[AQL_PROJECT_IDS][0] == '\0',
	    "an absent array is empty");
	refused("project_ids[]=a%22%5D", AQ_AUDIT, "project_ids[]");
	refused("event_types[]=", AQ_AUDIT, "event_types[]");
	refused("actor_ids[]=a%5Cb", AQ_AUDIT, "actor_ids[]");
	/* 1000 values: refused at the cap, whatever the query's length. */
	for (i = 0, n = 0; i < 1000 && n + 32 < sizeof(big); i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n,
		    "%sproject_ids[]=ws_%d", i > 0 ? "&" : "", i);
	refused(big, AQ_AUDIT, "project_ids[]");
	for (i = 0, n = 0; i < AQ_VALUES_MAX; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n,
		    "%sproject_ids[]=ws_%d", i > 0 ? "&" : "", i);
	ok(parse(big, AQ_AUDIT) && q.nlist[AQL_PROJECT_IDS] == AQ_VALUES_MAX,
	    "exactly %d values pass", AQ_VALUES_MAX);
	memset(big, 'a', 200);
	memcpy(big, "after=", 6);
	big[200] = '\0';
	refused(big, AQ_PAGE, "after");

	/* usage and costs */
	ok(parse("start_time=1700000000&end_time=1700086400&bucket_width=1h&"
	    "group_by%5B%5D=project_id&group_by[]=model&models[]=meta/llama-3&"
	    "batch=true&limit=168&page=1700003600", AQ_USAGE) &&
	    q.start_time == 1700000000 && q.end_time == 1700086400 &&
	    q.width == 3600 && q.batch == 1 && q.buckets == 168 &&
	    q.page == 1700003600 &&
	    strcmp(q.list[AQL_GROUP_BY], "[\"project_id\",\"model\"]") == 0 &&
	    strcmp(q.list[AQL_MODELS], "[\"meta/llama-3\"]") == 0,
	    "a usage query");
	ok(parse("", AQ_USAGE) && q.start_time == -1 && q.width == 86400 &&
	    q.buckets == -1 && q.batch == -1 && q.page == -1,
	    "usage defaults");
	ok(parse("limit=1440", AQ_USAGE) && q.buckets == 1440,
	    "a usage limit goes past a list's");
	refused("limit=1441", AQ_USAGE, "limit");
	refused("bucket_width=2d", AQ_USAGE, "bucket_width");
	refused("bucket_width=", AQ_USAGE, "bucket_width");
	refused("batch=yes", AQ_USAGE, "batch");
	refused("start_time=-1", AQ_USAGE, "start_time");
	refused("start_time=17e8", AQ_USAGE, "start_time");
	refused("page=abc", AQ_USAGE, "page");

	/* names */
	ok(admin_text_ok("Service account", 200), "a plain name");
	ok(admin_text_ok("caf\xc3\xa9 \xe2\x98\x83 \xf0\x9f\x9a\x80", 200),
	    "unicode name");
	ok(!admin_text_ok("", 200), "empty name");
	ok(!admin_text_ok("tab\there", 200), "control character");
	ok(!admin_text_ok("\xc0\xaf", 200), "overlong encoding");
	ok(!admin_text_ok("\xed\xa0\x80", 200), "surrogate");
	ok(!admin_text_ok("\xe2\x98", 200), "cut sequence");
	ok(!admin_text_ok("\xc2\x85", 200), "C1 control");
	memset(big, 'x', 201);
	big[201] = '\0';
	ok(!admin_text_ok(big, 200), "201 bytes over a cap of 200");
	big[200] = '\0';
	ok(admin_text_ok(big, 200), "200 bytes at the cap");

	/* key kinds */
	if (!ids_init())
		return 1;
	apikey_generate_kind(APIKEY_ADMIN, key, id);
	ok(strlen(key) == APIKEY_ADMIN_LEN && memcmp(key, "vka_", 4) == 0,
	    "an admin key: vka_, %d characters", APIKEY_ADMIN_LEN);
	ok(apikey_parse_any(key, strlen(key), &k, id2) && k == APIKEY_ADMIN &&
	    strcmp(id, id2) == 0, "parses as an admin key");
	ok(!apikey_parse(key, strlen(key), id2),
	    "and is no workspace key");
	key[10] ^= 1;
	ok(!apikey_parse_any(key, strlen(key), &k, id2),
	    "a changed character breaks its checksum");
	apikey_generate_kind(APIKEY_WORKSPACE, key, id);
	ok(apikey_parse_any(key, strlen(key), &k, id2) &&
	    k == APIKEY_WORKSPACE && apikey_parse(key, strlen(key), id2),
	    "a workspace key parses as one");
	apikey_redact(APIKEY_ADMIN, "AbCd", red);
	is_str(red, "vka_...AbCd", "an admin key redacted");
	apikey_redact(APIKEY_WORKSPACE, NULL, red);
	is_str(red, "vk_...", "a key without a known tail");
	return done_testing();
}
