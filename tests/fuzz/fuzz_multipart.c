/*
 * fuzz_multipart.c: src/multipart.c on arbitrary bodies.  The input is
 * a Content-Type header value, a LF, then the body, so the boundary
 * parser is fuzzed too and a seed reads like a request.  Not only "no
 * crash": the body is parsed whole, in two chunks split at a point taken
 * from the input, in pseudo-random chunks and (when small) byte by
 * byte, and abort() is called unless every way yields the same parts,
 * data and result.  Also checked: no delivered data holds the delimiter,
 * and after each feed the bytes held back are a proper prefix of it.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "multipart.h"

#define MAX_INPUT	(64 * 1024)
#define MAX_CT		512

struct rec {
	struct buf	 tr;		/* every event, data as 'D' byte */
	struct buf	 data;		/* the open part's data */
	const char	*delim;		/* CRLF "--" boundary */
	size_t		 dlen;
	size_t		 fed;		/* body bytes fed so far */
	size_t		 start;		/* where the open part's data began */
	int		 inpart;
};

int		 LLVMFuzzerTestOneInput(const uint8_t *, size_t);
static void	 must(int);
static void	 tr_str(struct rec *, char, const char *);
static enum vn_err rec_begin(void *, const struct mp_part *);
static enum vn_err rec_data(void *, const char *, size_t);
static enum vn_err rec_end(void *);
static void	 no_delim(const struct rec *);
static enum vn_err parse(const char *, const char *, size_t, size_t,
		    size_t, unsigned int, struct rec *, const char **);
static void	 same(enum vn_err, const char *, const struct rec *,
		    enum vn_err, const char *, const struct rec *);

static const struct mp_callbacks cb = { rec_begin, rec_data, rec_end };
static const struct mp_limits lim = { 8, 512, 8 };

static void
must(int cond)
{
	if (!cond)
		abort();
}

static void
tr_str(struct rec *r, char tag, const char *s)
{
	must(buf_addc(&r->tr, tag) == VN_OK);
	if (s != NULL)
		must(buf_add(&r->tr, s, strlen(s) + 1) == VN_OK);
}

static enum vn_err
rec_begin(void *arg, const struct mp_part *pt)
{
	struct rec	*r = arg;

	must(!r->inpart && pt->name != NULL);
	tr_str(r, 'B', pt->name);
	tr_str(r, pt->filename != NULL ? 'F' : 'f', pt->filename);
	tr_str(r, pt->content_type != NULL ? 'T' : 't', pt->content_type);
	buf_reset(&r->data);
	r->inpart = 1;
	r->start = r->fed;
	return VN_OK;
}

static enum vn_err
rec_data(void *arg, const char *p, size_t n)
{
	struct rec	*r = arg;
	size_t		 i;

	must(r->inpart && n > 0);
	for (i = 0; i < n; i++) {
		must(buf_addc(&r->tr, 'D') == VN_OK);
		must(buf_addc(&r->tr, p[i]) == VN_OK);
	}
	must(buf_add(&r->data, p, n) == VN_OK);
	return VN_OK;
}

/* The delimiter never reaches the data. */
static void
no_delim(const struct rec *r)
{
	must(r->data.len < r->dlen ||
	    memmem(r->data.data, r->data.len, r->delim, r->dlen) == NULL);
}

static enum vn_err
rec_end(void *arg)
{
	struct rec	*r = arg;

	must(r->inpart);
	no_delim(r);
	r->inpart = 0;
	tr_str(r, 'E', NULL);
	return VN_OK;
}

/*
 * Parse body[0..n): first k bytes, then chunks of step bytes (0: the
 * rest at once), or if seed is not 0, of 1 to 16 bytes drawn from an
 * LCG.  Fills r and returns the result; *msg gets the message.  Byte by
 * byte, part_begin runs in the feed of the LF before the data, so the
 * held-back tail can be checked exactly.
 */
static enum vn_err
parse(const char *bnd, const char *body, size_t n, size_t k, size_t step,
    unsigned int seed, struct rec *r, const char **msg)
{
	struct multipart mp;
	size_t		 off, c, lag;
	enum vn_err	 rc, prev;

	buf_reset(&r->tr);
	buf_reset(&r->data);
	r->inpart = 0;
	multipart_init(&mp, bnd, &lim, &cb, r);
	must(mp.err == VN_OK);
	off = k < n ? k : n;
	r->fed = off;
	prev = multipart_feed(&mp, body, off);
	for (; off < n; off += c) {
		if (seed != 0) {
			seed = seed * 1103515245 + 12345;
			c = 1 + (seed >> 16) % 16;
		} else
			c = step == 0 ? n - off : step;
		if (c > n - off)
			c = n - off;
		r->fed = off + c;
		rc = multipart_feed(&mp, body + off, c);
		must(prev == VN_OK || rc == prev);
		prev = rc;
		if (step == 1 && rc == VN_OK && r->inpart) {
			lag = r->fed - r->start - r->data.len;
			must(lag < r->dlen &&
			    memcmp(body + r->fed - lag, r->delim, lag) == 0);
		}
	}
	rc = multipart_finish(&mp);
	must(prev == VN_OK || rc == prev);
	must(rc == VN_OK || multipart_feed(&mp, "--", 2) == rc);
	if (r->inpart)
		no_delim(r);
	*msg = multipart_error(&mp);
	multipart_free(&mp);
	return rc;
}

/* The same parts, data and result, however the body is cut. */
static void
same(enum vn_err rc, const char *m1, const struct rec *one,
    enum vn_err rc2, const char *m2, const struct rec *other)
{
	must(rc2 == rc && strcmp(m1, m2) == 0);
	must(other->tr.len == one->tr.len && (one->tr.len == 0 ||
	    memcmp(other->tr.data, one->tr.data, one->tr.len) == 0));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rec one, other;
	char		 ct[MAX_CT + 1], bnd[MP_BOUNDARY_MAX + 1];
	char		 delim[MP_BOUNDARY_MAX + 5];
	const char	*in = (const char *)data, *body, *lf, *m1, *m2;
	size_t		 n, i, k;
	unsigned int	 h = 2166136261u;
	enum vn_err	 rc, rc2;

	if (size > MAX_INPUT)
		return 0;
	if ((lf = memchr(in, '\n', size < MAX_CT ? size : MAX_CT)) == NULL)
		return 0;
	memcpy(ct, in, (size_t)(lf - in));
	ct[lf - in] = '\0';
	if (!multipart_boundary(ct, bnd))
		return 0;
	must(strlen(bnd) >= 1 && strlen(bnd) <= MP_BOUNDARY_MAX);
	body = lf + 1;
	n = size - (size_t)(body - in);
	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)body[i]) * 16777619u;

	memcpy(delim, "\r\n--", 4);
	strcpy(delim + 4, bnd);
	buf_init(&one.tr, 4 * MAX_INPUT);
	buf_init(&one.data, MAX_INPUT);
	buf_init(&other.tr, 4 * MAX_INPUT);
	buf_init(&other.data, MAX_INPUT);
	one.delim = other.delim = delim;
	one.dlen = other.dlen = strlen(delim);

	rc = parse(bnd, body, n, n, 0, 0, &one, &m1);
	must(m1 != NULL && (rc == VN_OK) == (strcmp(m1, "no error") == 0));
	k = n > 0 ? h % (n + 1) : 0;
	rc2 = parse(bnd, body, n, k, 0, 0, &other, &m2);
	same(rc, m1, &one, rc2, m2, &other);
	rc2 = parse(bnd, body, n, h % 17, 0, h | 1, &other, &m2);
	same(rc, m1, &one, rc2, m2, &other);
	if (n <= 4096) {
		rc2 = parse(bnd, body, n, 1, 1, 0, &other, &m2);
		same(rc, m1, &one, rc2, m2, &other);
	}
	buf_free(&one.tr);
	buf_free(&one.data);
	buf_free(&other.tr);
	buf_free(&other.data);
	return 0;
}
