/*
 * fuzz_jsonl.c: src/jsonl.c on arbitrary files.  Not only "no crash":
 * each input is validated whole, in two chunks split at a point taken
 * from the input, in pseudo-random chunks and (when small) byte by
 * byte, with small limits so the caps are reached, and abort() is
 * called unless every way gives the same verdict, message, line and
 * request lines.  Each request line must also be what the input holds
 * at its offset: within the input, increasing, its body inside it.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jsonl.h"

#define MAX_INPUT	(64 * 1024)

struct rec {
	struct buf	 tr;		/* every request line, as text */
	const char	*in;		/* the whole input */
	size_t		 n;
	size_t		 last_line;
	uint64_t	 last_end;
};

int		 LLVMFuzzerTestOneInput(const uint8_t *, size_t);
static void	 must(int);
static enum vn_err on_line(void *, const struct jsonl_line *);
static void	 parse(const char *, size_t, size_t, unsigned int,
		    const struct jsonl_limits *, struct rec *,
		    enum vn_err *, char *, size_t *);

static const struct jsonl_callbacks cb = { on_line };

static void
must(int cond)
{
	if (!cond)
		abort();
}

static enum vn_err
on_line(void *arg, const struct jsonl_line *l)
{
	struct rec	*r = arg;

	must(l->line > r->last_line && l->offset >= r->last_end);
	must(l->offset + l->length <= r->n && l->length > 0);
	must(memcmp(r->in + l->offset, l->text, l->length) == 0);
	must(l->custom_id[0] != '\0' && strlen(l->custom_id) <=
	    JSONL_MAX_CUSTOM_ID);
	must(strcmp(l->method, "POST") == 0 &&
	    strncmp(l->url, "/v1/", 4) == 0);
	must(l->body >= l->text && l->body + l->body_len <= l->text +
	    l->length && l->body[0] == '{' && l->body[l->body_len - 1] == '}');
	must(l->stream == 0 || l->stream == 1);
	r->last_line = l->line;
	r->last_end = l->offset + l->length;
	must(buf_addf(&r->tr, "%zu %llu %zu %s %s %s %d %zu\n", l->line,
	    (unsigned long long)l->offset, l->length, l->custom_id, l->url,
	    l->model != NULL ? l->model : "-", l->stream, l->body_len) ==
	    VN_OK);
	return VN_OK;
}

/*
 * Validate in[0..n): the first k bytes, then chunks of 1 to 16 bytes
 * from an LCG seeded with seed, or (seed 0) the rest at once.
 */
static void
parse(const char *in, size_t n, size_t k, unsigned int seed,
    const struct jsonl_limits *lim, struct rec *r, enum vn_err *rc,
    char *msg, size_t *line)
{
	struct jsonl	 j;
	size_t		 off, c;
	enum vn_err	 prev;

	buf_reset(&r->tr);
	r->in = in;
	r->n = n;
	r->last_line = 0;
	r->last_end = 0;
	jsonl_init(&j, lim, &cb, r);
	off = k < n ? k : n;
	prev = jsonl_feed(&j, in, off);
	for (; off < n; off += c) {
		if (seed != 0) {
			seed = seed * 1103515245 + 12345;
			c = 1 + (seed >> 16) % 16;
		} else
			c = n - off;
		if (c > n - off)
			c = n - off;
		*rc = jsonl_feed(&j, in + off, c);
		must(prev == VN_OK || *rc == prev);
		prev = *rc;
	}
	*rc = jsonl_finish(&j);
	must(prev == VN_OK || *rc == prev);
	must((*rc == VN_OK) == (jsonl_error_code(&j) == NULL));
	must(*rc == VN_OK || jsonl_feed(&j, "\n", 1) == *rc);
	snprintf(msg, VN_ERRMSG, "%s", jsonl_error(&j));
	*line = jsonl_error_line(&j);
	must(*line <= n + 1);
	jsonl_free(&j);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rec one, other;
	static char	 m1[VN_ERRMSG], m2[VN_ERRMSG];
	const struct jsonl_limits lims[2] = {
		{ 4096, JSONL_MAX_LINES, 16 },
		{ 64, 3, 3 },		/* reach the caps */
	};
	const char	*in = (const char *)data;
	unsigned int	 h = 2166136261u;
	size_t		 i, l1, l2;
	enum vn_err	 rc1, rc2;

	if (size > MAX_INPUT)
		return 0;
	for (i = 0; i < size; i++)
		h = (h ^ data[i]) * 16777619u;
	buf_init(&one.tr, 16 * MAX_INPUT);
	buf_init(&other.tr, 16 * MAX_INPUT);
	for (i = 0; i < 2; i++) {
		parse(in, size, size, 0, &lims[i], &one, &rc1, m1, &l1);
		parse(in, size, size > 0 ? h % (size + 1) : 0, 0, &lims[i],
		    &other, &rc2, m2, &l2);
		must(rc1 == rc2 && l1 == l2 && strcmp(m1, m2) == 0 &&
		    one.tr.len == other.tr.len && (one.tr.len == 0 ||
		    memcmp(one.tr.data, other.tr.data, one.tr.len) == 0));
		parse(in, size, h % 17, h | 1, &lims[i], &other, &rc2, m2,
		    &l2);
		must(rc1 == rc2 && l1 == l2 && strcmp(m1, m2) == 0 &&
		    one.tr.len == other.tr.len && (one.tr.len == 0 ||
		    memcmp(one.tr.data, other.tr.data, one.tr.len) == 0));
	}
	buf_free(&one.tr);
	buf_free(&other.tr);
	return 0;
}
