/*
 * jsonl_test.c: the batch file validator.  What each request line
 * yields (line number, offset, length, custom_id, url, model, stream);
 * every error kind with the line it names; the same verdict and the
 * same lines however the file is cut into chunks, at every byte offset
 * and byte by byte; the caps (line length, 50,000 requests, nesting).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jsonl.h"
#include "../tap.h"

#define L(id, rest)	"{\"custom_id\":\"" id "\",\"method\":\"POST\"," \
			"\"url\":\"/v1/chat/completions\",\"body\":" rest "}"
#define OKBODY		"{\"model\":\"m\",\"messages\":[]}"

struct run {
	enum vn_err	 rc;
	const char	*code;
	size_t		 line;
	char		 msg[VN_ERRMSG];
	struct buf	 trace;		/* one text line per request line */
	int		 stop_at;	/* callback refuses this line */
};

static enum vn_err
on_line(void *arg, const struct jsonl_line *l)
{
	struct run	*r = arg;

	buf_addf(&r->trace, "%zu@%llu+%zu %s %s %s %s %d |%.*s|\n", l->line,
	    (unsigned long long)l->offset, l->length, l->custom_id, l->method,
	    l->url, l->model != NULL ? l->model : "-", l->stream,
	    (int)l->body_len, l->body);
	if (r->stop_at != 0 && (size_t)r->stop_at == l->line)
		return VN_ECONFLICT;
	return VN_OK;
}

static const struct jsonl_callbacks cb = { on_line };

/*
 * Validate s[0..n) fed as: the first k bytes then the rest (step 0), or
 * step bytes at a time.
 */
static void
run(const char *s, size_t n, size_t k, size_t step,
    const struct jsonl_limits *lim, struct run *r)
{
	struct jsonl	 j;
	size_t		 off, c;

	buf_reset(&r->trace);
	jsonl_init(&j, lim, &cb, r);
	off = k < n ? k : n;
	r->rc = jsonl_feed(&j, s, off);
	for (; off < n; off += c) {
		c = step == 0 ? n - off : step;
		if (c > n - off)
			c = n - off;
		r->rc = jsonl_feed(&j, s + off, c);
	}
	if (r->rc == VN_OK)
		r->rc = jsonl_finish(&j);
	r->code = jsonl_error_code(&j);
	r->line = jsonl_error_line(&j);
	snprintf(r->msg, sizeof(r->msg), "%s", jsonl_error(&j));
	jsonl_free(&j);
}

static int
same(const struct run *a, const struct run *b)
{
	return a->rc == b->rc && a->line == b->line &&
	    strcmp(a->msg, b->msg) == 0 &&
	    (a->code == NULL) == (b->code == NULL) &&
	    (a->code == NULL || strcmp(a->code, b->code) == 0) &&
	    a->trace.len == b->trace.len &&
	    (a->trace.len == 0 ||
	    memcmp(a->trace.data, b->trace.data, a->trace.len) == 0);
}

static const struct jsonl_limits deflim = { 4096, JSONL_MAX_LINES, 8 };

/* Every error kind: the text, the code expected and the line named. */
static const struct {
	const char	*text;
	const char	*code;
	size_t		 line;
} bad[] = {
	{ L("a", OKBODY) "\n{\"custom_id\":\n", "invalid_json", 2 },
	{ L("a", OKBODY) "\n" L("b", OKBODY) "\n[1,2]\n",
	    "invalid_json_line", 3 },
	{ "\"just a string\"\n", "invalid_json_line", 1 },
	{ "{\"method\":\"POST\",\"url\":\"/v1/x\",\"body\":{}}\n",
	    "missing_custom_id", 1 },
	{ "{\"custom_id\":7,\"method\":\"POST\",\"url\":\"/v1/x\","
	    "\"body\":{}}\n", "invalid_custom_id", 1 },
	{ L("a", OKBODY) "\n" L("", OKBODY) "\n", "invalid_custom_id", 2 },
	{ "{\"custom_id\":\"a\\u0000b\",\"method\":\"POST\",\"url\":"
	    "\"/v1/x\",\"body\":{}}\n", "invalid_custom_id", 1 },
	{ "{\"custom_id\":\"a\",\"method\":\"GET\",\"url\":\"/v1/x\","
	    "\"body\":{}}\n", "invalid_method", 1 },
	{ "{\"custom_id\":\"a\",\"url\":\"/v1/x\",\"body\":{}}\n",
	    "invalid_method", 1 },
	{ "{\"custom_id\":\"a\",\"method\":\"post\",\"url\":\"/v1/x\","
	    "\"body\":{}}\n", "invalid_method", 1 },
	{ "{\"custom_id\":\"a\",\"method\":\"POST\",\"body\":{}}\n",
	    "invalid_url", 1 },
	{ "{\"custom_id\":\"a\",\"method\":\"POST\",\"url\":\"chat\","
	    "\"body\":{}}\n", "invalid_url", 1 },
	{ "{\"custom_id\":\"a\",\"method\":\"POST\",\"url\":\"/v1/\","
	    "\"body\":{}}\n", "invalid_url", 1 },
	{ "{\"custom_id\":\"a\",\"method\":\"POST\",\"url\":\"/v1/x\"}\n",
	    "invalid_body", 1 },
	{ "{\"custom_id\":\"a\",\"method\":\"POST\",\"url\":\"/v1/x\","
	    "\"body\":[]}\n", "invalid_body", 1 },
	{ "{\"custom_id\":\"a\",\"method\":\"POST\",\"url\":\"/v1/x\","
	    "\"body\":\"{}\"}\n", "invalid_body", 1 },
	{ L("a", "{\"model\":5}") "\n", "invalid_model", 1 },
	{ "{\"custom_id\":\"a\",\"custom_id\":\"b\",\"method\":\"POST\","
	    "\"url\":\"/v1/x\",\"body\":{}}\n", "duplicate_key", 1 },
	{ "{\"custom_id\":\"a\",\"custom\\u005fid\":\"b\",\"method\":"
	    "\"POST\",\"url\":\"/v1/x\",\"body\":{}}\n", "duplicate_key", 1 },
	{ L("a", "{\"model\":\"x\",\"model\":\"y\"}") "\n",
	    "duplicate_key", 1 },
	{ L("a", "{\"stream\":true,\"stream\":false}") "\n",
	    "duplicate_key", 1 },
	{ L("a", OKBODY) "\n" L("b", OKBODY) "\n" L("a", OKBODY) "\n",
	    "duplicate_custom_id", 3 },
	{ L("x\\u0079", OKBODY) "\n" L("xy", OKBODY) "\n",
	    "duplicate_custom_id", 2 },
	{ L("a", "{\"bad\":\"\xff\"}") "\n", "invalid_json", 1 },
	{ L("a", "{\"d\":[[[[[[[[[1]]]]]]]]]}") "\n", "invalid_json", 1 },
	{ L("a", "{\"n\":NaN}") "\n", "invalid_json", 1 },
	{ "", "empty_file", 0 },
	{ "\n\r\n  \n", "empty_file", 0 },
};

/* Files that pass, with what each must yield. */
static const struct {
	const char	*text;
	const char	*trace;
} good[] = {
	{ L("a", OKBODY) "\n",
	    "1@0+97 a POST /v1/chat/completions m 0 |" OKBODY "|\n" },
	/* CRLF, a blank line, no final LF, escapes, stream, no model */
	{ L("r\\u0031", "{\"model\":\"m\\/1\",\"stream\":true}") "\r\n\r\n"
	    "{\"body\":{},\"url\":\"/v1/embeddings\",\"method\":\"POST\","
	    "\"custom_id\":\"r2\",\"extra\":[1,{\"custom_id\":\"x\"}]}",
	    "1@0+106 r1 POST /v1/chat/completions m/1 1 |{\"model\":\"m\\/1\","
	    "\"stream\":true}|\n"
	    "3@110+97 r2 POST /v1/embeddings - 0 |{}|\n" },
	/* a byte-order mark before the first line */
	{ "\xef\xbb\xbf" L("a", "{}") "\n",
	    "1@3+72 a POST /v1/chat/completions - 0 |{}|\n" },
};

int
main(void)
{
	static struct run one, other;
	struct jsonl_limits lim;
	struct buf	 big;
	const char	*s;
	size_t		 i, n, k, bad_split;
	int		 all;
	char		 want[32];

	buf_init(&one.trace, 1 << 20);
	buf_init(&other.trace, 1 << 20);

	for (i = 0; i < VN_NELEM(good); i++) {
		s = good[i].text;
		run(s, strlen(s), strlen(s), 0, &deflim, &one);
		is_int(one.rc, VN_OK, "good file %zu passes", i);
		is_str(one.trace.data != NULL ? one.trace.data : "",
		    good[i].trace, "  and yields its lines");
	}

	for (i = 0; i < VN_NELEM(bad); i++) {
		s = bad[i].text;
		run(s, strlen(s), strlen(s), 0, &deflim, &one);
		ok(one.rc != VN_OK && one.code != NULL &&
		    strcmp(one.code, bad[i].code) == 0 &&
		    one.line == bad[i].line, "bad file %zu: %s on line %zu",
		    i, bad[i].code, bad[i].line);
		if (one.code == NULL || strcmp(one.code, bad[i].code) != 0 ||
		    one.line != bad[i].line)
			printf("#   got %s on line %zu: %s\n",
			    one.code != NULL ? one.code : "(none)", one.line,
			    one.msg);
		snprintf(want, sizeof(want), "Line %zu", bad[i].line);
		if (bad[i].line > 0)
			ok(strstr(one.msg, want) != NULL,
			    "  the message names line %zu", bad[i].line);
	}
	run(bad[21].text, strlen(bad[21].text), 1000, 0, &deflim, &one);
	ok(strstr(one.msg, "of line 1") != NULL,
	    "a duplicate custom_id names the first line too: %s", one.msg);

	/* Every split of every sample gives the same verdict and lines. */
	bad_split = 0;
	for (i = 0; i < VN_NELEM(good) + VN_NELEM(bad); i++) {
		s = i < VN_NELEM(good) ? good[i].text :
		    bad[i - VN_NELEM(good)].text;
		n = strlen(s);
		run(s, n, n, 0, &deflim, &one);
		for (k = 0; k <= n; k++) {
			run(s, n, k, 0, &deflim, &other);
			if (!same(&one, &other))
				bad_split++;
		}
		run(s, n, 0, 1, &deflim, &other);
		if (!same(&one, &other))
			bad_split++;
	}
	is_int(bad_split, 0, "every split at every byte, and byte by byte, "
	    "agrees with the whole");

	/* Caps: line length, cut across chunks or not. */
	lim = deflim;
	lim.max_line = 97;
	s = L("a", OKBODY) "\n" L("bb", OKBODY) "\n";
	run(s, strlen(s), strlen(s), 0, &lim, &one);
	ok(one.rc == VN_ETOOBIG && strcmp(one.code, "line_too_long") == 0 &&
	    one.line == 2, "a line of max_line bytes passes, one more fails "
	    "(line %zu)", one.line);
	all = 1;
	for (k = 0; k <= strlen(s); k++) {
		run(s, strlen(s), k, 0, &lim, &other);
		all &= same(&one, &other);
	}
	ok(all, "  wherever the chunks are cut");
	s = L("a", OKBODY) "\r\n";
	run(s, strlen(s), 3, 0, &lim, &one);
	is_int(one.rc, VN_OK, "  its CR does not count");

	/* Caps: 50,000 requests pass, the 50,001st is named. */
	buf_init(&big, 16 * 1024 * 1024);
	for (i = 1; i <= JSONL_MAX_LINES; i++)
		buf_addf(&big, "{\"custom_id\":\"req-%zu\",\"method\":\"POST\","
		    "\"url\":\"/v1/embeddings\",\"body\":{\"input\":\"x\"}}\n",
		    i);
	lim = deflim;
	lim.max_lines = 1000000;	/* clamped to JSONL_MAX_LINES */
	run(big.data, big.len, 70001, 65536, &lim, &one);
	is_int(one.rc, VN_OK, "50,000 distinct requests pass, in 64 KiB "
	    "chunks");
	buf_addstr(&big, "\n" L("last", "{}") "\n");
	run(big.data, big.len, 65536, 65536, &lim, &one);
	ok(one.rc == VN_ETOOBIG && strcmp(one.code, "too_many_lines") == 0 &&
	    one.line == 50002, "the 50,001st request is refused, naming its "
	    "line (%zu)", one.line);
	buf_free(&big);
	lim.max_lines = 2;
	s = L("a", "{}") "\n\n" L("b", "{}") "\n" L("c", "{}") "\n";
	run(s, strlen(s), strlen(s), 0, &lim, &one);
	ok(one.rc == VN_ETOOBIG && one.line == 4,
	    "blank lines count in the numbering, not as requests");

	/* The callback can stop the file; its error comes back. */
	s = L("a", "{}") "\n" L("b", "{}") "\n" L("c", "{}") "\n";
	one.stop_at = 2;
	run(s, strlen(s), strlen(s), 0, &deflim, &one);
	ok(one.rc == VN_ECONFLICT && one.line == 2 &&
	    strcmp(one.code, "rejected") == 0,
	    "a callback's refusal stops the file at that line");
	one.stop_at = 0;

	buf_free(&one.trace);
	buf_free(&other.trace);
	return done_testing();
}
