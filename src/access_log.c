/*
 * access_log.c: the line a request leaves in the log when it ends.  A
 * failure of the server's (5xx but 501, which is Venna saying what it
 * does not serve) is a warning with the reason; anything else is info.
 * The text line is the one Venna always wrote; the JSON object carries
 * the same text as "msg" and each part as a member of its own, so that
 * a log shipper needs no pattern to read it.  No value here comes from
 * the Authorization header: the workspace and key are the ids that
 * authentication found, never the key itself.
 */
#include "config.h"

#include <stdio.h>

#include "access_log.h"
#include "auth.h"
#include "ctx.h"
#include "jsonesc.h"
#include "log.h"

#define PUSD_PER_USD	1000000000000LL

/* Microseconds as milliseconds with three decimals, a JSON number. */
static void
millis(struct jline *j, const char *key, long us)
{
	char	 num[32];

	snprintf(num, sizeof(num), "%ld.%03ld", us / 1000, us % 1000);
	jline_raw(j, key, num);
}

/* The request's members after the head and the text (msg). */
static void
members(struct jline *j, const struct ctx *c, long us)
{
	const struct ctx_stats *st = &c->stats;
	int64_t	 pusd;
	char	 num[48];

	jline_str(j, "method", c->method);
	jline_str(j, "path", c->path);
	jline_str(j, "route", st->route);
	jline_int(j, "status", c->status);
	if (c->who.workspace_id[0] != '\0')
		jline_str(j, "workspace", c->who.workspace_id);
	if (c->who.key_id[0] != '\0')
		jline_str(j, "key_id", c->who.key_id);
	jline_str(j, "model", st->model);
	jline_str(j, "upstream", st->upstream);
	millis(j, "duration_ms", us);
	if (st->ttfb_us >= 0)
		millis(j, "ttfb_ms", st->ttfb_us);
	if (st->upstream != NULL) {
		millis(j, "upstream_ms", st->upstream_us);
		jline_int(j, "upstream_failures", st->upstream_failures);
	}
	if (st->model != NULL) {
		jline_int(j, "prompt_tokens", st->prompt_tokens);
		jline_int(j, "completion_tokens", st->completion_tokens);
		/* Exact: picodollars as a decimal number of dollars. */
		pusd = st->cost_pusd > 0 ? st->cost_pusd : 0;
		snprintf(num, sizeof(num), "%lld.%012lld",
		    (long long)(pusd / PUSD_PER_USD),
		    (long long)(pusd % PUSD_PER_USD));
		jline_raw(j, "cost_usd", num);
	}
}

void
access_log(const struct ctx *c)
{
	enum log_level	 lvl = LOG_LVL_INFO;
	struct jline	 j;
	char		 text[VN_MAX_PATH + 1024], line[LOG_JSON_MAX];
	long		 us = ctx_elapsed_us(c);

	if (c->status >= 500 && c->status != 501)
		lvl = LOG_LVL_WARN;
	if (!log_enabled(lvl))
		return;
	snprintf(text, sizeof(text), "%s %s %d %ldms ws=%s key=%s%s%s",
	    c->method, c->path, c->status, us / 1000, c->who.workspace_id,
	    c->who.key_id, lvl == LOG_LVL_WARN ? ": " : "",
	    lvl != LOG_LVL_WARN ? "" : c->fault.msg[0] != '\0' ?
	    c->fault.msg : "failed");
	if (log_get_format() == LOG_FMT_TEXT) {
		log_msg(lvl, "%s", text);
		return;
	}
	/* The text may be long (the path, a reason): it goes last. */
	jline_begin(&j, line, sizeof(line));
	log_json_head(&j, lvl);
	members(&j, c, us);
	jline_str(&j, "msg", text);
	log_json_write(lvl, &j);
}
