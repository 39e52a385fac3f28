/*
 * mock_log.c: the request log and the /_mock/ endpoints.  The last
 * LOG_MAX requests (other than /_mock/ ones) are kept as received:
 * method, target, raw header block and body (the parsed JSON when it
 * parses, and its bytes), and rendered only when GET /_mock/requests asks.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json.h>

#include "mock.h"

struct logent {
	char		*method, *target, *hdrs, *raw;
	json_object	*json;
	double		 time;		/* unix seconds, ms precision */
};

static struct logent	 logring[LOG_MAX];
static size_t		 loghead, logcount;

/* Free what e holds and clear it. */
static void
log_free(struct logent *e)
{
	free(e->method);
	free(e->target);
	free(e->hdrs);
	free(e->raw);
	json_object_put(e->json);
	memset(e, 0, sizeof(*e));
}

/*
 * Remember q; the oldest entry goes once LOG_MAX are kept.  The body is
 * kept parsed when it is JSON of at most LOG_JSON_MAX bytes, otherwise
 * as a string of at most LOG_BODY_MAX bytes, so that tests of size caps
 * do not pin gigabytes here.
 */
void
log_add(const struct req *q)
{
	struct logent	*e;
	struct timespec	 ts;

	if (logcount < LOG_MAX)
		e = &logring[(loghead + logcount++) % LOG_MAX];
	else {
		e = &logring[loghead];
		loghead = (loghead + 1) % LOG_MAX;
		log_free(e);
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	e->time = (double)ts.tv_sec + (double)(ts.tv_nsec / 1000000) / 1000.0;
	e->method = xstrndup(q->method, strlen(q->method));
	e->target = xstrndup(q->target, q->targetlen);
	e->hdrs = xstrndup(q->hdrs, q->hdrslen);
	if (q->json != NULL && q->bodylen <= LOG_JSON_MAX)
		e->json = json_object_get(q->json);
	/* The bytes too: a parse would hide what json-c changes. */
	e->raw = xstrndup(q->body, q->bodylen > LOG_BODY_MAX ?
	    LOG_BODY_MAX : q->bodylen);
}

/* Forget every entry. */
void
log_clear(void)
{
	while (logcount > 0) {
		log_free(&logring[loghead]);
		loghead = (loghead + 1) % LOG_MAX;
		logcount--;
	}
	loghead = 0;
}

/* GET /_mock/requests: the log, oldest first. */
void
log_requests(struct resp *r, struct req *q)
{
	json_object	*a, *o, *hs, *h;
	struct logent	*e;
	const char	*p, *eol, *colon, *v;
	char		 num[32];
	size_t		 i;

	(void)q;
	a = json_object_new_array();
	for (i = 0; i < logcount; i++) {
		e = &logring[(loghead + i) % LOG_MAX];
		hs = json_object_new_array();
		for (p = e->hdrs; *p != '\0'; p = *eol ? eol + 2 : eol) {
			eol = strstr(p, "\r\n");
			if (eol == NULL)
				eol = p + strlen(p);
			colon = memchr(p, ':', (size_t)(eol - p));
			if (colon == NULL)
				continue;
			for (v = colon + 1; v < eol && (*v == ' ' ||
			    *v == '\t'); v++)
				continue;
			h = json_object_new_object();
			json_object_object_add(h, "name",
			    json_object_new_string_len(p, (int)(colon - p)));
			json_object_object_add(h, "value",
			    json_object_new_string_len(v, (int)(eol - v)));
			json_object_array_add(hs, h);
		}
		o = json_object_new_object();
		json_object_object_add(o, "method",
		    json_object_new_string(e->method));
		json_object_object_add(o, "path",
		    json_object_new_string(e->target));
		json_object_object_add(o, "headers", hs);
		json_object_object_add(o, "body", e->json != NULL ?
		    json_object_get(e->json) : json_object_new_string(e->raw));
		json_object_object_add(o, "body_text",
		    json_object_new_string(e->raw));
		snprintf(num, sizeof(num), "%.3f", e->time);
		json_object_object_add(o, "time",
		    json_object_new_double_s(e->time, num));
		json_object_array_add(a, o);
	}
	resp_json(r, 200, a);
}

/* POST /_mock/reset: forget the log and zero the counters. */
void
log_reset(struct resp *r, struct req *q)
{
	json_object	*o;

	(void)q;
	log_clear();
	stats.requests = stats.bytes_out = stats.aborted = 0;
	o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	resp_json(r, 200, o);
}

/* GET /_mock/stats: the counters of struct mock_stats. */
void
log_stats(struct resp *r, struct req *q)
{
	json_object	*o;

	(void)q;
	o = json_object_new_object();
	json_object_object_add(o, "requests",
	    json_object_new_int64((int64_t)stats.requests));
	/* The stats request itself is under way; do not count it. */
	json_object_object_add(o, "active",
	    json_object_new_int64(stats.active - 1));
	json_object_object_add(o, "bytes_out",
	    json_object_new_int64((int64_t)stats.bytes_out));
	json_object_object_add(o, "aborted",
	    json_object_new_int64((int64_t)stats.aborted));
	json_object_object_add(o, "connections",
	    json_object_new_int64(stats.conns));
	resp_json(r, 200, o);
}
