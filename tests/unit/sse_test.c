/*
 * sse_test.c: src/sse.c.  Every stream in the table is parsed whole,
 * then cut in two at every point, then in three at every pair of points
 * (short streams), then fed byte by byte; each way must give the events
 * and the error the table expects.  Events are rendered as
 * "<event|id|data>" with CR, LF and NUL escaped.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "sse.h"
#include "../tap.h"

#define S(s)		(s), sizeof(s) - 1
#define MAX_DEFAULT	4096
#define LOG_MAX		(1024 * 1024)
#define THREE_WAY_MAX	80	/* longest stream cut at every pair */

struct tcase {
	const char	*name;
	const char	*in;
	size_t		 len;
	size_t		 max;	/* 0: MAX_DEFAULT */
	int		 stop;	/* the callback fails on this event (1-based) */
	const char	*want;
	enum vn_err	 rc;	/* first error of feed, else of finish */
};

struct sink {
	struct buf	*log;
	int		 n;
	int		 stop;
};

static enum vn_err	 record(void *, const struct sse_event *);
static void		 render(struct buf *, const char *, size_t);
static enum vn_err	 run(const struct tcase *, const size_t *, size_t,
			    struct buf *);
static int		 same(const struct tcase *, const size_t *, size_t,
			    const struct buf *, enum vn_err, struct buf *);
static void		 test_case(const struct tcase *);
static enum vn_err	 keep_ptr(void *, const struct sse_event *);
static void		 test_zero_copy(void);
static void		 test_growth(void);
static void		 test_huge(void);
static void		 test_trim(void);
static void		 test_sticky(void);
static void		 test_free(void);

/* An OpenAI chat.completion.chunk with the given delta. */
#define CHUNK(d) \
	"{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\"," \
	"\"created\":1700000000,\"model\":\"gpt-4o\"," \
	"\"choices\":[{\"index\":0," \
	"\"delta\":" d "}]}"

static const struct tcase cases[] = {
	{ "openai chat stream", S(
	    "data: " CHUNK("{\"role\":\"assistant\",\"content\":\"\"}") "\n\n"
	    "data: " CHUNK("{\"content\":\"Hi\"}") "\n\n"
	    "data: " CHUNK("{}") "\n\n"
	    "data: [DONE]\n\n"), 0, 0,
	    "<||" CHUNK("{\"role\":\"assistant\",\"content\":\"\"}") ">"
	    "<||" CHUNK("{\"content\":\"Hi\"}") ">"
	    "<||" CHUNK("{}") ">"
	    "<||[DONE]>", VN_OK },
	{ "responses api event pairs", S(
	    "event: response.created\n"
	    "data: {\"type\":\"response.created\"}\n\n"
	    "event: response.output_text.delta\n"
	    "data: {\"type\":\"response.output_text.delta\","
	    "\"delta\":\"Hi\"}\n\n"
	    "event: response.completed\n"
	    "data: {\"type\":\"response.completed\"}\n\n"), 0, 0,
	    "<response.created||{\"type\":\"response.created\"}>"
	    "<response.output_text.delta||{\"type\":"
	    "\"response.output_text.delta\",\"delta\":\"Hi\"}>"
	    "<response.completed||{\"type\":\"response.completed\"}>", VN_OK },
	{ "empty stream", S(""), 0, 0, "", VN_OK },
	{ "blank lines only", S("\n\r\n\r\n\n"), 0, 0, "", VN_OK },
	{ "crlf", S("data: a\r\n\r\ndata: b\r\n\r\n"), 0, 0,
	    "<||a><||b>", VN_OK },
	{ "lone cr", S("data: a\r\rdata: b\rdata: c\r\r"), 0, 0,
	    "<||a><||b\\nc>", VN_OK },
	{ "mixed endings", S("data: a\r\ndata: b\n\r\ndata: c\rdata: d\n\r"
	    "data: e\n\n\r\n"), 0, 0, "<||a\\nb><||c\\nd><||e>", VN_OK },
	{ "lf then cr is two endings", S("data: a\n\rdata: b\n\n"), 0, 0,
	    "<||a><||b>", VN_OK },
	{ "multi-line data", S("data: one\ndata: two\ndata: three\n\n"), 0, 0,
	    "<||one\\ntwo\\nthree>", VN_OK },
	{ "comments", S(": ping\n\n:\ndata: a\n: between\ndata: b\n\n"
	    ":only\n\n"), 0, 0, "<||a\\nb>", VN_OK },
	{ "leading space rule", S("data:x\n\ndata: x\n\ndata:  x\n\n"
	    "data:x \n\n"), 0, 0, "<||x><||x><|| x><||x >", VN_OK },
	{ "field without colon", S("data\n\ndata\ndata\n\nevent\ndata: x\n\n"),
	    0, 0, "<||><||\\n><||x>", VN_OK },
	{ "empty data line", S("data:\n\ndata: \n\n"), 0, 0, "<||><||>",
	    VN_OK },
	{ "event without data resets", S("event: a\n\ndata: x\n\n"
	    "event: b\nid: 1\n\ndata: y\n\n"), 0, 0, "<||x><|1|y>", VN_OK },
	{ "last event type wins", S("event: a\nevent: b\ndata: x\n\n"), 0, 0,
	    "<b||x>", VN_OK },
	{ "id persists", S("id: 7\ndata: a\n\ndata: b\n\nid\ndata: c\n\n"),
	    0, 0, "<|7|a><|7|b><||c>", VN_OK },
	{ "id with nul ignored", S("id: 1\nid: 2\0x\ndata: a\n\n"), 0, 0,
	    "<|1|a>", VN_OK },
	{ "nul in data kept", S("data: a\0b\n\n"), 0, 0, "<||a\\0b>", VN_OK },
	{ "retry and unknown fields", S("retry: 1000\nfoo: bar\ndatax: no\n"
	    "Data: no\ndata: x\nretry\n\n"), 0, 0, "<||x>", VN_OK },
	{ "long unknown field name", S("averyveryverylongfieldname: v\n"
	    "eventually: v\ndata: x\n\n"), 0, 0, "<||x>", VN_OK },
	{ "colon in value", S("data: a:b: c\n\n"), 0, 0, "<||a:b: c>", VN_OK },
	{ "bom stripped", S("\xef\xbb\xbf" "data: x\n\n"), 0, 0, "<||x>",
	    VN_OK },
	{ "bom only once", S("\xef\xbb\xbf\xef\xbb\xbf" "data: x\n\n"
	    "data: y\n\n"), 0, 0, "<||y>", VN_OK },
	{ "partial bom is text", S("\xef\xbb" "data: x\n\ndata: y\n\n"), 0, 0,
	    "<||y>", VN_OK },
	{ "bom then blank", S("\xef\xbb\xbf\ndata: x\n\n"), 0, 0, "<||x>",
	    VN_OK },
	{ "utf-8 data", S("data: h\xc3\xa9llo \xf0\x9f\x99\x82\n\n"), 0, 0,
	    "<||h\xc3\xa9llo \xf0\x9f\x99\x82>", VN_OK },
	{ "line at the cap", S("data: 0123456789\n\n"), 16, 0,
	    "<||0123456789>", VN_OK },
	{ "line over the cap", S("data: 0123456789a\n\n"), 16, 0, "",
	    VN_ETOOBIG },
	{ "comment over the cap", S("data: a\n\n: 0123456789abcdef\n\n"), 16,
	    0, "<||a>", VN_ETOOBIG },
	{ "partial line over the cap", S("data: ok\n\ndata: 0123456789abc"),
	    16, 0, "<||ok>", VN_ETOOBIG },
	{ "multi-line data at the cap", S("data: abc\ndata: def\n\n"), 12, 0,
	    "<||abc\\ndef>", VN_OK },
	{ "multi-line data over the cap", S("data: abc\ndata: def\n\n"), 11, 0,
	    "", VN_ETOOBIG },
	{ "cap is per event", S("data: 0123456789\n\ndata: 0123456789\n\n"),
	    16, 0, "<||0123456789><||0123456789>", VN_OK },
	{ "event and id at the cap", S("id: 12345\nevent: 1234\ndata: x\n\n"),
	    16, 0, "<1234|12345|x>", VN_OK },
	{ "event and id over the cap",
	    S("id: 12345\nevent: 1234\ndata: xy\n\n"), 16, 0, "", VN_ETOOBIG },
	{ "truncated event", S("data: a\n\ndata: b\n"), 0, 0, "<||a>",
	    VN_EUPSTREAM },
	{ "truncated line", S("data: a\n\ndata: b"), 0, 0, "<||a>",
	    VN_EUPSTREAM },
	{ "truncated comment", S("data: a\n\n: keep-alive"), 0, 0, "<||a>",
	    VN_EUPSTREAM },
	{ "truncated bom", S("\xef\xbb"), 0, 0, "", VN_EUPSTREAM },
	{ "event only at end", S("data: a\n\nevent: x\nid: 2\n"), 0, 0,
	    "<||a>", VN_OK },
	{ "ends in cr", S("data: a\r\r"), 0, 0, "<||a>", VN_OK },
	{ "callback error stops", S("data: 1\n\ndata: 2\n\ndata: 3\n\n"), 0, 2,
	    "<||1><||2>", VN_ECLIENT },
};

/* The callback: render the event into the log; fail on the stop-th. */
static enum vn_err
record(void *arg, const struct sse_event *ev)
{
	struct sink	*s = arg;

	buf_addc(s->log, '<');
	render(s->log, ev->event, ev->event_len);
	buf_addc(s->log, '|');
	render(s->log, ev->id, ev->id_len);
	buf_addc(s->log, '|');
	render(s->log, ev->data, ev->data_len);
	buf_addc(s->log, '>');
	if (ev->event[ev->event_len] != '\0' || ev->id[ev->id_len] != '\0')
		buf_addstr(s->log, "(unterminated)");
	return ++s->n == s->stop ? VN_ECLIENT : VN_OK;
}

static void
render(struct buf *b, const char *p, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		switch (p[i]) {
		case '\n': buf_addstr(b, "\\n"); break;
		case '\r': buf_addstr(b, "\\r"); break;
		case '\0': buf_addstr(b, "\\0"); break;
		default: buf_addc(b, p[i]); break;
		}
}

/*
 * Feed tc's stream cut at the ncut offsets in cut (ascending), then
 * finish.  Every call after the first failure must repeat its error; if
 * one does not, "(not sticky)" goes into the log.  Returns the first
 * error, or VN_OK.
 */
static enum vn_err
run(const struct tcase *tc, const size_t *cut, size_t ncut, struct buf *log)
{
	struct sse_parser	 ps;
	struct sink		 s;
	size_t			 i, from, to;
	enum vn_err		 rc, first = VN_OK;

	s.log = log;
	s.n = 0;
	s.stop = tc->stop;
	buf_reset(log);
	sse_init(&ps, tc->max != 0 ? tc->max : MAX_DEFAULT);
	for (i = 0, from = 0; i <= ncut; i++, from = to) {
		to = i < ncut ? cut[i] : tc->len;
		rc = sse_feed(&ps, tc->in + from, to - from, record, &s);
		if (first == VN_OK)
			first = rc;
		else if (rc != first)
			buf_addstr(log, "(not sticky)");
	}
	rc = sse_finish(&ps, record, &s);
	if (first == VN_OK)
		first = rc;
	else if (rc != first)
		buf_addstr(log, "(not sticky)");
	sse_free(&ps);
	sse_free(&ps);
	return first;
}

/* Does cutting at cut give want/wrc?  If not, say how, once. */
static int
same(const struct tcase *tc, const size_t *cut, size_t ncut,
    const struct buf *want, enum vn_err wrc, struct buf *log)
{
	size_t	 i;
	enum vn_err rc;

	rc = run(tc, cut, ncut, log);
	if (rc == wrc && log->len == want->len &&
	    memcmp(buf_cstr(log), buf_cstr(want), log->len) == 0)
		return 1;
	printf("#   %s: cut at", tc->name);
	for (i = 0; i < ncut && i < 8; i++)
		printf(" %zu", cut[i]);
	printf("%s: rc %d, \"%s\"\n", i < ncut ? " ..." : "", rc,
	    buf_cstr(log));
	return 0;
}

static void
test_case(const struct tcase *tc)
{
	struct buf	 want, log;
	size_t		 i, j, cut[2], *all = NULL;
	int		 good;
	enum vn_err	 rc;

	buf_init(&want, LOG_MAX);
	buf_init(&log, LOG_MAX);
	rc = run(tc, NULL, 0, &want);
	is_int(rc, tc->rc, "%s: error", tc->name);
	is_str(buf_cstr(&want), tc->want, "%s: events", tc->name);

	for (i = 0, good = 1; i <= tc->len && good; i++) {
		cut[0] = i;
		good = same(tc, cut, 1, &want, rc, &log);
	}
	ok(good, "%s: cut in two anywhere", tc->name);

	if (tc->len <= THREE_WAY_MAX) {
		for (i = 0, good = 1; i <= tc->len && good; i++)
			for (j = i; j <= tc->len && good; j++) {
				cut[0] = i;
				cut[1] = j;
				good = same(tc, cut, 2, &want, rc, &log);
			}
		ok(good, "%s: cut in three anywhere", tc->name);
	}

	if ((all = calloc(tc->len + 1, sizeof(*all))) != NULL)
		for (i = 0; i < tc->len; i++)
			all[i] = i + 1;
	ok(all != NULL && same(tc, all, tc->len, &want, rc, &log),
	    "%s: byte by byte", tc->name);
	free(all);
	buf_free(&want);
	buf_free(&log);
}

static const char	*seen_data;

static enum vn_err
keep_ptr(void *arg, const struct sse_event *ev)
{
	(void)arg;
	seen_data = ev->data;
	return VN_OK;
}

/* An event whole in one chunk reaches the callback without a copy. */
static void
test_zero_copy(void)
{
	struct sse_parser	 ps;
	static const char	 in[] = "data: hello\n\ndata: a\ndata: b\n\n";

	sse_init(&ps, 1024);
	is_int(sse_feed(&ps, in, sizeof(in) - 1, keep_ptr, NULL), VN_OK,
	    "zero copy: feed");
	ok(seen_data != NULL && seen_data != in + 6,
	    "zero copy: joined data is copied");
	is_int(sse_feed(&ps, in, 13, keep_ptr, NULL), VN_OK,
	    "zero copy: feed one event");
	ok(seen_data == in + 6, "zero copy: data points into the input");
	sse_free(&ps);
}

/*
 * A line arriving 7 bytes at a time fails exactly when it passes the
 * cap, and nothing grows past the cap meanwhile.
 */
static void
test_growth(void)
{
	struct sse_parser	 ps;
	size_t			 i, max = 1000, bad = 0;
	enum vn_err		 rc = VN_OK;

	sse_init(&ps, max);
	if (sse_feed(&ps, "data: ", 6, keep_ptr, NULL) != VN_OK)
		bad++;
	for (i = 1; i <= 200 && rc == VN_OK; i++) {
		rc = sse_feed(&ps, "xxxxxxx", 7, keep_ptr, NULL);
		if (ps.data.cap > max + 1 || ps.data.len > max)
			bad++;
	}
	is_int(rc, VN_ETOOBIG, "growth: over the cap");
	is_int(i - 1, 143, "growth: fails on the chunk that passes it");
	is_int(bad, 0, "growth: storage stays under the cap");
	ok(ps.data.data == NULL, "growth: storage freed on failure");
	sse_free(&ps);
}

/* A 1 GiB line is refused without storing it. */
static void
test_huge(void)
{
	struct sse_parser	 ps;
	char			*chunk = NULL;
	size_t			 i, sz = 1024 * 1024;
	enum vn_err		 rc = VN_OK;
	int			 bad = 0;

	if ((chunk = malloc(sz)) == NULL) {
		ok(0, "huge: malloc");
		return;
	}
	memset(chunk, 'a', sz);
	memcpy(chunk, "data: ", 6);
	sse_init(&ps, 64 * 1024);
	for (i = 0; i < 1024; i++) {
		rc = sse_feed(&ps, chunk, sz, keep_ptr, NULL);
		if (rc != VN_ETOOBIG || ps.data.cap > 0)
			bad++;
	}
	is_int(rc, VN_ETOOBIG, "huge: 1 GiB line refused");
	is_int(bad, 0, "huge: every chunk refused, nothing kept");
	sse_free(&ps);
	free(chunk);
}

/* A big event's storage is given back once it is dispatched. */
static void
test_trim(void)
{
	struct sse_parser	 ps;
	char			*big = NULL;
	size_t			 sz = 40000;
	enum vn_err		 rc = VN_ENOMEM;

	if ((big = malloc(sz)) != NULL) {
		memset(big, 'z', sz);
		memcpy(big, "event: e\ndata: ", 15);
		sse_init(&ps, 64 * 1024);
		rc = sse_feed(&ps, big, sz / 2, keep_ptr, NULL);
		ok(ps.data.cap > sz / 4, "trim: data held across feeds");
		if (rc == VN_OK)
			rc = sse_feed(&ps, big + sz / 2, sz / 2, keep_ptr, NULL);
		if (rc == VN_OK)
			rc = sse_feed(&ps, "\n\n", 2, keep_ptr, NULL);
		ok(ps.data.data == NULL && ps.data.cap == 0,
		    "trim: freed after dispatch");
		sse_free(&ps);
	}
	is_int(rc, VN_OK, "trim: big event parsed");
	free(big);
}

/* After a failure, every call repeats it, even for good input. */
static void
test_sticky(void)
{
	struct sse_parser	 ps;
	struct buf		 log;
	struct sink		 s = { &log, 0, 0 };

	buf_init(&log, 1024);
	sse_init(&ps, 8);
	is_int(sse_feed(&ps, S("data: 0123456789\n\n"), record, &s),
	    VN_ETOOBIG, "sticky: first failure");
	is_int(sse_feed(&ps, S("data: 1\n\n"), record, &s), VN_ETOOBIG,
	    "sticky: good input after it");
	is_int(sse_feed(&ps, NULL, 0, record, &s), VN_ETOOBIG,
	    "sticky: empty feed after it");
	is_int(sse_finish(&ps, record, &s), VN_ETOOBIG, "sticky: finish");
	is_int(s.n, 0, "sticky: no event after the failure");
	sse_free(&ps);
	buf_free(&log);
}

/* sse_free() on zeroed, used and freed parsers; reuse after sse_init(). */
static void
test_free(void)
{
	struct sse_parser	 ps;
	struct buf		 log;
	struct sink		 s = { &log, 0, 0 };

	memset(&ps, 0, sizeof(ps));
	sse_free(&ps);
	sse_free(NULL);
	buf_init(&log, 1024);
	sse_init(&ps, 1024);
	is_int(sse_feed(&ps, S("id: 1\nevent: e\ndata: a\ndata: b\n"), record,
	    &s), VN_OK, "free: feed");
	sse_free(&ps);
	sse_free(&ps);
	sse_init(&ps, 1024);
	is_int(sse_feed(&ps, S("data: c\n\n"), record, &s), VN_OK,
	    "free: reuse");
	is_int(sse_finish(&ps, record, &s), VN_OK, "free: reuse finish");
	is_str(buf_cstr(&log), "<||c>", "free: reuse starts clean");
	sse_free(&ps);
	buf_free(&log);
}

int
main(void)
{
	size_t	 i;

	for (i = 0; i < VN_NELEM(cases); i++)
		test_case(&cases[i]);
	test_zero_copy();
	test_growth();
	test_huge();
	test_trim();
	test_sticky();
	test_free();
	return done_testing();
}
