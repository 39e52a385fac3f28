/*
 * multipart_test.c: src/multipart.c.  Every body is parsed whole, split
 * in two at every offset, and byte by byte; the parts seen (names,
 * filenames, types, data, and the result) must be the same each time.
 * Then the caps, the boundary parser, and a large streamed body for
 * constant memory and linear time.
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/time.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "multipart.h"
#include "../tap.h"

#define TR_MAX	8192

/* check_n() on a C string body. */
#define check_s(label, bnd, body, lim, want, msg) \
	check_n(label, bnd, body, strlen(body), lim, want, msg)

/* A callback set that only counts and hashes, for big bodies. */
struct sink {
	unsigned long long	 bytes;
	unsigned long		 hash;
	size_t			 parts, ends;
};

/* What the callbacks saw, as text: {name;filename;type}data{/} ... */
struct rec {
	char		 tr[TR_MAX];
	size_t		 len;
	int		 overflow;
	enum vn_err	 begin_rc;	/* part_begin returns this */
};

static void		 tr_add(struct rec *, const char *, size_t);
static enum vn_err	 rec_begin(void *, const struct mp_part *);
static enum vn_err	 rec_data(void *, const char *, size_t);
static enum vn_err	 rec_end(void *);
static enum vn_err	 run(const char *, const char *, size_t,
			    const struct mp_limits *, size_t, size_t,
			    struct rec *, const char **);
static void		 check(const char *, const char *, const char *,
			    const struct mp_limits *, enum vn_err,
			    const char *);
static void		 check_n(const char *, const char *, const char *,
			    size_t, const struct mp_limits *, enum vn_err,
			    const char *);
static enum vn_err	 no_dotdot(void *, const struct mp_part *);
static long		 maxrss_kb(void);
static enum vn_err	 sink_begin(void *, const struct mp_part *);
static enum vn_err	 sink_data(void *, const char *, size_t);
static enum vn_err	 sink_end(void *);
static void		 fill(char *, size_t, unsigned int *);
static double		 time_parse(const char *, size_t);
static void		 test_bodies(void);
static void		 test_errors(void);
static void		 test_limits(void);
static void		 test_callback(void);
static void		 test_boundary(void);
static void		 test_garbage(void);
static void		 test_large(void);
static void		 test_linear(void);

static const struct mp_callbacks rec_cb = { rec_begin, rec_data, rec_end };
static const struct mp_limits lim_default = { 16, 8192, 16 };

static void
tr_add(struct rec *r, const char *p, size_t n)
{
	if (n > TR_MAX - r->len) {
		r->overflow = 1;
		return;
	}
	memcpy(r->tr + r->len, p, n);
	r->len += n;
}

static enum vn_err
rec_begin(void *arg, const struct mp_part *pt)
{
	struct rec	*r = arg;
	const char	*s;

	tr_add(r, "{", 1);
	tr_add(r, pt->name, strlen(pt->name));
	tr_add(r, ";", 1);
	s = pt->filename != NULL ? pt->filename : "(null)";
	tr_add(r, s, strlen(s));
	tr_add(r, ";", 1);
	s = pt->content_type != NULL ? pt->content_type : "(null)";
	tr_add(r, s, strlen(s));
	tr_add(r, "}", 1);
	return r->begin_rc;
}

static enum vn_err
rec_data(void *arg, const char *p, size_t n)
{
	struct rec	*r = arg;

	if (n == 0)
		r->overflow = 1;	/* empty calls are a bug */
	tr_add(r, p, n);
	return VN_OK;
}

static enum vn_err
rec_end(void *arg)
{
	tr_add(arg, "{/}", 3);
	return VN_OK;
}

/*
 * Parse body: first k bytes, then the rest in chunks of step bytes (0:
 * the rest at once).  Returns the final result and the message in *msg;
 * r->overflow is set if the parser misbehaved (error not sticky, empty
 * data call, transcript too long).
 */
static enum vn_err
run(const char *bnd, const char *body, size_t len,
    const struct mp_limits *lim, size_t k, size_t step, struct rec *r,
    const char **msg)
{
	struct multipart mp;
	size_t		 off, n;
	enum vn_err	 rc, prev = VN_OK, brc = r->begin_rc;

	memset(r, 0, sizeof(*r));
	r->begin_rc = brc;
	multipart_init(&mp, bnd, lim, &rec_cb, r);
	off = k < len ? k : len;
	prev = multipart_feed(&mp, body, off);
	for (; off < len; off += n) {
		n = step == 0 || step > len - off ? len - off : step;
		rc = multipart_feed(&mp, body + off, n);
		if (prev != VN_OK && rc != prev)
			r->overflow = 1;
		prev = rc;
	}
	rc = multipart_finish(&mp);
	if (prev != VN_OK && rc != prev)
		r->overflow = 1;
	if (rc != VN_OK && multipart_feed(&mp, "x", 1) != rc)
		r->overflow = 1;
	*msg = multipart_error(&mp);
	multipart_free(&mp);
	multipart_free(&mp);
	return rc;
}

/*
 * One body, three ways: whole, in two chunks split at every offset, and
 * byte by byte.  Checks the result, the message (wantmsg is a substring;
 * NULL: not checked) and that all ways agree.
 */
static void
check_n(const char *label, const char *bnd, const char *body, size_t len,
    const struct mp_limits *lim, enum vn_err want, const char *wantmsg)
{
	static struct rec one, other;
	const char	*msg, *msg2;
	enum vn_err	 rc, rc2;
	size_t		 k;
	int		 same = 1;

	one.begin_rc = other.begin_rc = VN_OK;
	rc = run(bnd, body, len, lim, len, 0, &one, &msg);
	is_int(rc, want, "%s: result", label);
	if (wantmsg != NULL) {
		ok(strstr(msg, wantmsg) != NULL, "%s: message", label);
		if (strstr(msg, wantmsg) == NULL)
			printf("#   got \"%s\", want \"%s\"\n", msg, wantmsg);
	}
	ok(!one.overflow, "%s: callbacks sane", label);
	for (k = 0; k <= len && same; k++) {
		rc2 = run(bnd, body, len, lim, k, 0, &other, &msg2);
		same = rc2 == rc && other.len == one.len && !other.overflow &&
		    memcmp(other.tr, one.tr, one.len) == 0 &&
		    strcmp(msg, msg2) == 0;
		if (!same)
			printf("#   differs when split at %zu\n", k);
	}
	ok(same, "%s: same at all %zu split points", label, len + 1);
	rc2 = run(bnd, body, len, lim, 1, 1, &other, &msg2);
	ok(rc2 == rc && other.len == one.len && !other.overflow &&
	    memcmp(other.tr, one.tr, one.len) == 0 &&
	    strcmp(msg, msg2) == 0, "%s: same byte by byte", label);
}

/* check_n() on a C string, then compare its transcript with wanttr. */
static void
check(const char *label, const char *bnd, const char *body,
    const struct mp_limits *lim, enum vn_err want, const char *wanttr)
{
	static struct rec r;
	const char	*msg;
	int		 eq;

	check_n(label, bnd, body, strlen(body), lim, want, NULL);
	if (wanttr == NULL)
		return;
	r.begin_rc = VN_OK;
	(void)run(bnd, body, strlen(body), lim, strlen(body), 0, &r, &msg);
	eq = r.len == strlen(wanttr) && memcmp(r.tr, wanttr, r.len) == 0;
	ok(eq, "%s: parts", label);
	if (!eq)
		printf("#   got  \"%.*s\"\n#   want \"%s\"\n", (int)r.len,
		    r.tr, wanttr);
}

#define SDKB	"0b4f7e2f6c1d4a5e9a8b3c2d1e0f9a8b"
#define CD	"Content-Disposition: form-data; "

static void
test_bodies(void)
{
	static const char bin[] =
	    "--" "bnd" "\r\n"
	    CD "name=\"file\"; filename=\"b.bin\"\r\n"
	    "Content-Type: application/octet-stream\r\n"
	    "\r\n"
	    "\r\n\r\r\n--\r\n-\n--bnd\r--bnd\r\n-\r\n--\r\n--b\r\n--bn"
	    "\0\xff\r\n--\0bnd\r\r\n"
	    "\r\n--bnd--\r\n";
	static const char binwant[] =
	    "{file;b.bin;application/octet-stream}"
	    "\r\n\r\r\n--\r\n-\n--bnd\r--bnd\r\n-\r\n--\r\n--b\r\n--bn"
	    "\0\xff\r\n--\0bnd\r\r\n{/}";
	static struct rec r;
	const char	*msg;

	/* openai-python (httpx): fields first, then the file. */
	check("SDK upload", SDKB,
	    "--" SDKB "\r\n"
	    CD "name=\"purpose\"\r\n\r\nbatch\r\n"
	    "--" SDKB "\r\n"
	    CD "name=\"expires_after[anchor]\"\r\n\r\ncreated_at\r\n"
	    "--" SDKB "\r\n"
	    CD "name=\"expires_after[seconds]\"\r\n\r\n3600\r\n"
	    "--" SDKB "\r\n"
	    CD "name=\"file\"; filename=\"batch.jsonl\"\r\n"
	    "Content-Type: application/jsonl\r\n\r\n"
	    "{\"custom_id\":\"r1\",\"method\":\"POST\"}\n"
	    "{\"custom_id\":\"r2\",\"method\":\"POST\"}\n"
	    "\r\n--" SDKB "--\r\n",
	    &lim_default, VN_OK,
	    "{purpose;(null);(null)}batch{/}"
	    "{expires_after[anchor];(null);(null)}created_at{/}"
	    "{expires_after[seconds];(null);(null)}3600{/}"
	    "{file;batch.jsonl;application/jsonl}"
	    "{\"custom_id\":\"r1\",\"method\":\"POST\"}\n"
	    "{\"custom_id\":\"r2\",\"method\":\"POST\"}\n{/}");

	/* openai-node (undici FormData): file first, no trailing CRLF. */
	check("undici upload", "----formdata-undici-0123456789",
	    "------formdata-undici-0123456789\r\n"
	    CD "name=\"file\"; filename=\"in.jsonl\"\r\n"
	    "Content-Type: application/octet-stream\r\n\r\n"
	    "{}\n\r\n"
	    "------formdata-undici-0123456789\r\n"
	    CD "name=\"purpose\"\r\n\r\nfine-tune\r\n"
	    "------formdata-undici-0123456789--",
	    &lim_default, VN_OK,
	    "{file;in.jsonl;application/octet-stream}{}\n{/}"
	    "{purpose;(null);(null)}fine-tune{/}");

	check_n("binary with near-delimiters", "bnd", bin, sizeof(bin) - 1,
	    &lim_default, VN_OK, NULL);
	r.begin_rc = VN_OK;
	(void)run("bnd", bin, sizeof(bin) - 1, &lim_default, 0, 0, &r, &msg);
	ok(r.len == sizeof(binwant) - 1 &&
	    memcmp(r.tr, binwant, r.len) == 0, "binary data: parts");

	check("empty data", "b",
	    "--b\r\n" CD "name=\"a\"\r\n\r\n\r\n"
	    "--b\r\n" CD "name=\"b\"; filename=\"\"\r\n"
	    "Content-Type: application/octet-stream\r\n\r\n\r\n--b--\r\n",
	    &lim_default, VN_OK,
	    "{a;(null);(null)}{/}{b;;application/octet-stream}{/}");

	/* A CR that breaks a partial match may itself start the real one. */
	check("data ending in CR", "bnd",
	    "--bnd\r\n\r\nab\r\r\n--bnd\r\n\r\n\r\n-\r\n--bn\r\n--bnd--",
	    &lim_default, VN_OK,
	    "{;(null);(null)}ab\r{/}{;(null);(null)}\r\n-\r\n--bn{/}");

	check("no headers", "b", "--b\r\n\r\nxy\r\n--b--", &lim_default,
	    VN_OK, "{;(null);(null)}xy{/}");

	check("no headers, LF", "b", "--b\n\nxy\r\n--b--", &lim_default,
	    VN_OK, "{;(null);(null)}xy{/}");

	check("preamble and epilogue", "b",
	    "This is a preamble.\r\n--not\r\n--b \r\n"
	    CD "name=\"a\"\r\n\r\n1\r\n--b--\r\nepilogue\r\n--b\r\nx",
	    &lim_default, VN_OK, "{a;(null);(null)}1{/}");

	check("CRLF preamble", "b",
	    "\r\n\r\n\r\n--b\r\n" CD "name=\"a\"\r\n\r\n1\r\n--b--",
	    &lim_default, VN_OK, "{a;(null);(null)}1{/}");

	check("LF lines", "b",
	    "junk\n--b\n" CD "name=\"a\"\nContent-Type: text/plain\n\n"
	    "v\nw\n--b\r\n--b--\n",
	    &lim_default, VN_OK, "{a;(null);text/plain}v\nw\n--b{/}");

	check("transport padding", "b",
	    "--b \t \r\n" CD "name=\"a\"\r\n\r\n1\r\n--b\t\r\n"
	    CD "name=\"c\"\r\n\r\n2\r\n--b-- \r\n",
	    &lim_default, VN_OK, "{a;(null);(null)}1{/}{c;(null);(null)}2{/}");

	check("zero parts", "b", "--b--\r\n", &lim_default, VN_OK, "");

	check("filenames", "b",
	    "--b\r\n" CD "name=\"q\"; filename=\"a\\\"b\\\\c.txt\"\r\n\r\n\r\n"
	    "--b\r\n" CD "name=\"w\"; filename=\"C:\\dir\\f.txt\"\r\n\r\n\r\n"
	    "--b\r\n" CD "name=t;filename=report.pdf\r\n\r\n\r\n"
	    "--b\r\n" CD "name=\"u\"; filename=\"x.txt\"; "
	    "filename*=UTF-8''%E2%82%AC%20rates.txt\r\n\r\n\r\n"
	    "--b\r\n" CD "filename*=utf-8'en'a%2fb; name=\"v\"\r\n\r\n\r\n"
	    "--b\r\n" CD "name=\"l\"; filename=\"l.txt\"; "
	    "filename*=iso-8859-1''%A3.txt\r\n\r\n\r\n"
	    "--b\r\n" CD "name=\"\xc3\xa9\"; filename=\"\xe2\x82\xac.txt\"\r\n"
	    "\r\n\r\n--b--",
	    &lim_default, VN_OK,
	    "{q;a\"b\\c.txt;(null)}{/}"
	    "{w;C:\\dir\\f.txt;(null)}{/}"
	    "{t;report.pdf;(null)}{/}"
	    "{u;\xe2\x82\xac rates.txt;(null)}{/}"
	    "{v;a/b;(null)}{/}"
	    "{l;l.txt;(null)}{/}"
	    "{\xc3\xa9;\xe2\x82\xac.txt;(null)}{/}");

	check("header case and others", "b",
	    "--b\r\ncontent-disposition:FORM-DATA;NAME=\"a\"  \r\n"
	    "X-Other: ignored; name=\"zz\"\r\n"
	    "CONTENT-TYPE:   text/plain; charset=utf-8 \r\n\r\n1\r\n--b--",
	    &lim_default, VN_OK, "{a;(null);text/plain; charset=utf-8}1{/}");

	check("boundary with specials", "'()+_,-./:=? x",
	    "--'()+_,-./:=? x\r\n" CD "name=\"a\"\r\n\r\n--'()+_,-./:=? \r\n"
	    "--'()+_,-./:=? x--",
	    &lim_default, VN_OK, "{a;(null);(null)}--'()+_,-./:=? {/}");
}

static void
test_errors(void)
{
	static const char nul[] = "--b\r\n" CD "name=\"a\0\"\r\n\r\n\r\n--b--";

	check_s("missing close", "b", "--b\r\n" CD "name=\"a\"\r\n\r\nabc",
	    &lim_default, VN_EINVAL, "missing closing boundary");
	check_s("close without dash", "b",
	    "--b\r\n" CD "name=\"a\"\r\n\r\nabc\r\n--b-", &lim_default,
	    VN_EINVAL, "missing closing boundary");
	check_s("truncated in headers", "b", "--b\r\n" CD "name=",
	    &lim_default, VN_EINVAL, "missing closing boundary");
	check_s("empty body", "b", "", &lim_default, VN_EINVAL,
	    "missing opening boundary");
	check_s("no boundary", "b", "garbage\r\n-b\r\n", &lim_default,
	    VN_EINVAL, "missing opening boundary");
	check_s("boundary prefix in preamble", "b", "--bb\r\n",
	    &lim_default, VN_EINVAL, "malformed boundary delimiter");
	check_s("boundary prefix in data", "b",
	    "--b\r\n\r\nx\r\n--bad\r\n--b--", &lim_default, VN_EINVAL,
	    "malformed boundary delimiter");
	check_s("single dash close", "b", "--b-x", &lim_default,
	    VN_EINVAL, "malformed boundary delimiter");
	check_s("CR without LF", "b", "--b\rx", &lim_default, VN_EINVAL,
	    "malformed boundary delimiter");
	check_s("padding then junk", "b", "--b  x\r\n", &lim_default,
	    VN_EINVAL, "malformed boundary delimiter");
	check_s("folded header", "b",
	    "--b\r\n" CD "\r\n name=\"a\"\r\n\r\n\r\n--b--",
	    &lim_default, VN_EINVAL, "folded");
	check_n("NUL in header", "b", nul, sizeof(nul) - 1, &lim_default,
	    VN_EINVAL, "NUL");
	check_s("bare CR in header", "b",
	    "--b\r\n" CD "name=\"a\r\"\r\n\r\n\r\n--b--", &lim_default,
	    VN_EINVAL, "bare CR");
	check_s("header without colon", "b", "--b\r\nbroken\r\n\r\n\r\n--b--",
	    &lim_default, VN_EINVAL, "malformed part header");
	check_s("space before colon", "b",
	    "--b\r\nContent-Type : x\r\n\r\n\r\n--b--", &lim_default,
	    VN_EINVAL, "malformed part header");
	check_s("not form-data", "b",
	    "--b\r\nContent-Disposition: attachment; name=a\r\n\r\n\r\n--b--", &lim_default, VN_EINVAL, "not form-data");
	check_s("duplicate name", "b",
	    "--b\r\n" CD "name=a; name=b\r\n\r\n\r\n--b--", &lim_default,
	    VN_EINVAL, "duplicate");
	check_s("duplicate Content-Type", "b",
	    "--b\r\nContent-Type: a\r\ncontent-type: b\r\n\r\n\r\n--b--",
	    &lim_default, VN_EINVAL, "duplicate");
	check_s("duplicate Content-Disposition", "b",
	    "--b\r\n" CD "name=a\r\n" CD "name=b\r\n\r\n\r\n--b--",
	    &lim_default, VN_EINVAL, "duplicate");
	check_s("unterminated quote", "b",
	    "--b\r\n" CD "name=\"a\r\n\r\n\r\n--b--", &lim_default,
	    VN_EINVAL, "malformed part Content-Disposition");
	check_s("empty token", "b",
	    "--b\r\n" CD "name=; filename=x\r\n\r\n\r\n--b--",
	    &lim_default, VN_EINVAL, "malformed part Content-Disposition");
	check_s("junk after value", "b",
	    "--b\r\n" CD "name=\"a\"x\r\n\r\n\r\n--b--", &lim_default,
	    VN_EINVAL, "malformed part Content-Disposition");
	check_s("bad percent", "b",
	    "--b\r\n" CD "filename*=UTF-8''%zz\r\n\r\n\r\n--b--",
	    &lim_default, VN_EINVAL, "filename*");
	check_s("percent NUL", "b",
	    "--b\r\n" CD "filename*=UTF-8''a%00\r\n\r\n\r\n--b--",
	    &lim_default, VN_EINVAL, "filename*");
	check_s("truncated percent", "b",
	    "--b\r\n" CD "filename*=UTF-8''a%4\r\n\r\n\r\n--b--",
	    &lim_default, VN_EINVAL, "filename*");
	check_s("no charset quotes", "b",
	    "--b\r\n" CD "filename*=abc\r\n\r\n\r\n--b--",
	    &lim_default, VN_EINVAL, "filename*");
	check_s("bad init boundary", "b c ", "--b c \r\n", &lim_default,
	    VN_EINVAL, "invalid boundary");
	check_s("empty init boundary", "", "--\r\n", &lim_default,
	    VN_EINVAL, "invalid boundary");
}

static void
test_limits(void)
{
	struct mp_limits lim;
	char		 body[4096];
	size_t		 i;
	int		 n;

	/* Two parts with two parts allowed; then three. */
	lim = lim_default;
	lim.max_parts = 2;
	check("parts at cap", "b",
	    "--b\r\n\r\n1\r\n--b\r\n\r\n2\r\n--b--", &lim, VN_OK, NULL);
	check_s("parts over cap", "b",
	    "--b\r\n\r\n1\r\n--b\r\n\r\n2\r\n--b\r\n\r\n3\r\n--b--", &lim,
	    VN_ETOOBIG, "too many parts");

	/* Many tiny parts: refused at the cap, not after reading them. */
	n = snprintf(body, sizeof(body), "--b\r\n");
	for (i = 0; i < 100; i++)
		n += snprintf(body + n, sizeof(body) - n, "\r\n\r\n--b\r\n");
	check_n("100 parts, cap 16", "b", body, (size_t)n, NULL, VN_ETOOBIG,
	    "too many parts");

	lim = lim_default;
	lim.max_headers = 2;
	check("headers at cap", "b",
	    "--b\r\nA: 1\r\nB: 2\r\n\r\n\r\n--b--", &lim, VN_OK,
	    "{;(null);(null)}{/}");
	check_s("headers over cap", "b",
	    "--b\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n\r\n--b--", &lim,
	    VN_ETOOBIG, "too many part headers");

	/*
	 * Header bytes count each line with one byte for its end, plus the
	 * CR of the blank line: "A: 12\r\nB: 34\r\n\r\n" is 6 + 6 + 1.
	 */
	lim = lim_default;
	lim.max_header_bytes = 13;
	check("header bytes at cap", "b",
	    "--b\r\nA: 12\r\nB: 34\r\n\r\n\r\n--b--", &lim, VN_OK, NULL);
	lim.max_header_bytes = 12;
	check_s("header bytes over cap", "b",
	    "--b\r\nA: 12\r\nB: 34\r\n\r\n\r\n--b--", &lim, VN_ETOOBIG,
	    "part headers too large");

	/* One endless header line fails at the cap, long before its end. */
	lim = lim_default;
	lim.max_header_bytes = 64;
	n = snprintf(body, sizeof(body), "--b\r\nX-Long: ");
	memset(body + n, 'a', 2000);
	n += 2000;
	check_n("endless header line", "b", body, (size_t)n, &lim,
	    VN_ETOOBIG, "part headers too large");

	/* The header buffer is reused part to part, within its cap. */
	lim.max_header_bytes = 40;
	check("header bytes per part", "b",
	    "--b\r\n" CD "name=a\r\n\r\n\r\n--b\r\n" CD "name=b\r\n\r\n\r\n"
	    "--b--", &lim, VN_OK, NULL);
}

static enum vn_err
no_dotdot(void *arg, const struct mp_part *pt)
{
	(*(int *)arg)++;
	return pt->filename != NULL && strstr(pt->filename, "..") != NULL ?
	    VN_EPERM : VN_OK;
}

static void
test_callback(void)
{
	static const char body[] =
	    "--b\r\n" CD "name=\"a\"\r\n\r\n1\r\n"
	    "--b\r\n" CD "name=\"f\"; filename=\"../../etc/x\"\r\n\r\n2\r\n"
	    "--b\r\n" CD "name=\"c\"\r\n\r\n3\r\n--b--";
	struct mp_callbacks cb = { no_dotdot, NULL, NULL };
	struct multipart mp;
	static struct rec r;
	const char	*msg;
	int		 calls = 0;

	multipart_init(&mp, "b", NULL, &cb, &calls);
	is_int(multipart_feed(&mp, body, sizeof(body) - 1), VN_EPERM,
	    "callback error propagates");
	is_int(calls, 2, "parsing stopped at the rejected part");
	is_int(multipart_feed(&mp, "--b--", 5), VN_EPERM,
	    "callback error is sticky");
	is_int(multipart_finish(&mp), VN_EPERM, "finish returns it too");
	multipart_free(&mp);

	r.begin_rc = VN_ESYS;
	is_int(run("b", body, sizeof(body) - 1, NULL, 10, 1, &r, &msg),
	    VN_ESYS, "callback error in byte-by-byte feed");
	is_str(msg, "part rejected", "callback error message");

	memset(&mp, 0, sizeof(mp));
	multipart_free(&mp);
	multipart_init(&mp, "b", NULL, NULL, NULL);
	is_int(multipart_feed(&mp, body, sizeof(body) - 1), VN_OK,
	    "no callbacks");
	is_int(multipart_finish(&mp), VN_OK, "no callbacks: finish");
	is_str(multipart_error(&mp), "no error", "no error message");
	multipart_free(&mp);
}

static void
test_boundary(void)
{
	static const struct {
		const char	*ct;
		const char	*want;	/* NULL: rejected */
	} t[] = {
		{ "multipart/form-data; boundary=abc", "abc" },
		{ "Multipart/Form-Data; BOUNDARY=abc", "abc" },
		{ "MULTIPART/FORM-DATA;boundary=abc", "abc" },
		{ "multipart/form-data; charset=utf-8; boundary=\"a b:c\"",
		    "a b:c" },
		{ "multipart/form-data; boundary=abc; charset=utf-8", "abc" },
		{ "  multipart/form-data ; boundary = \"x\\y\" ;", "xy" },
		{ "multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxk"
		    "TrZu0gW", "----WebKitFormBoundary7MA4YWxkTrZu0gW" },
		{ "multipart/form-data; boundary=\"'()+_,-./:=?\"",
		    "'()+_,-./:=?" },
		{ "multipart/form-data; boundary="
		    "1234567890123456789012345678901234567890"
		    "123456789012345678901234567890",
		    "1234567890123456789012345678901234567890"
		    "123456789012345678901234567890" },
		{ "multipart/form-data; boundary="
		    "1234567890123456789012345678901234567890"
		    "1234567890123456789012345678901", NULL },
		{ "multipart/form-data; boundary=\""
		    "1234567890123456789012345678901234567890"
		    "1234567890123456789012345678901\"", NULL },
		{ NULL, NULL },
		{ "", NULL },
		{ "multipart/form-data", NULL },
		{ "multipart/form-data;", NULL },
		{ "multipart/form-data; charset=utf-8", NULL },
		{ "multipart/form-data; boundary=", NULL },
		{ "multipart/form-data; boundary=\"\"", NULL },
		{ "multipart/form-data; boundary=a@b", NULL },
		{ "multipart/form-data; boundary=\"a\\\"b\"", NULL },
		{ "multipart/form-data; boundary=\"abc \"", NULL },
		{ "multipart/form-data; boundary=\"abc", NULL },
		{ "multipart/form-data; boundary=a; boundary=a", NULL },
		{ "multipart/form-data; boundary=abc junk", NULL },
		{ "multipart/form-data; =abc", NULL },
		{ "multipart/form-data boundary=abc", NULL },
		{ "multipart/form-datax; boundary=abc", NULL },
		{ "multipart/mixed; boundary=abc", NULL },
		{ "text/plain; boundary=abc", NULL },
		{ "multipart/form-data; xboundary=abc", NULL },
		{ "multipart/form-data; boundary=a\x01", NULL },
	};
	char		 out[MP_BOUNDARY_MAX + 1], *big;
	size_t		 i, n;
	int		 rc;

	for (i = 0; i < VN_NELEM(t); i++) {
		strcpy(out, "unchanged");
		rc = multipart_boundary(t[i].ct, out);
		is_int(rc, t[i].want != NULL, "boundary %zu: %s", i,
		    t[i].ct != NULL ? t[i].ct : "(null)");
		is_str(out, t[i].want != NULL ? t[i].want : "unchanged",
		    "boundary %zu: value", i);
	}

	/* CVE-2024-24762: a long run of backslashes is one pass. */
	n = 1 << 20;
	if ((big = malloc(n + 64)) == NULL)
		abort();
	strcpy(big, "multipart/form-data; boundary=\"");
	memset(big + strlen(big), '\\', n);
	big[31 + n] = '\0';
	ok(!multipart_boundary(big, out), "1 MiB of backslashes rejected");
	free(big);
}

/* Random bytes, and random bytes after a good start: errors, no crash. */
static void
test_garbage(void)
{
	static char	 body[4096];
	struct multipart mp;
	static struct rec r;
	size_t		 i, j, bad = 0;
	unsigned int	 seed = 12345;
	static const char alpha[] = "-\r\nb:=\";a ";
	enum vn_err	 rc;

	for (i = 0; i < 200; i++) {
		for (j = 0; j < sizeof(body); j++) {
			seed = seed * 1103515245 + 12345;
			body[j] = i % 2 ? (char)(seed >> 16) :
			    alpha[(seed >> 16) % (sizeof(alpha) - 1)];
		}
		if (i % 4 == 3)
			memcpy(body, "--b\r\n", 5);
		memset(&r, 0, sizeof(r));
		multipart_init(&mp, "b", NULL, &rec_cb, &r);
		(void)multipart_feed(&mp, body, sizeof(body));
		rc = multipart_finish(&mp);
		if (rc != VN_EINVAL && rc != VN_ETOOBIG && rc != VN_OK)
			bad++;
		multipart_free(&mp);
	}
	is_int(bad, 0, "garbage: only EINVAL/ETOOBIG/OK");
}

static long
maxrss_kb(void)
{
	struct rusage	 ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}


static enum vn_err
sink_begin(void *arg, const struct mp_part *pt VN_UNUSED)
{
	((struct sink *)arg)->parts++;
	return VN_OK;
}

static enum vn_err
sink_data(void *arg, const char *p, size_t n)
{
	struct sink	*s = arg;
	size_t		 i;

	for (i = 0; i < n; i++)
		s->hash = s->hash * 31 + (unsigned char)p[i];
	s->bytes += n;
	return VN_OK;
}

static enum vn_err
sink_end(void *arg)
{
	((struct sink *)arg)->ends++;
	return VN_OK;
}

/*
 * A chunk of data that is mostly near-delimiters for boundary "boundary":
 * "\r\n--boundar", "\r\n--bound", "\r\r\n--", at varying offsets, so
 * that chunk edges fall inside partial matches.
 */
static void
fill(char *p, size_t n, unsigned int *seed)
{
	static const char *const pat[] = {
		"\r\n--boundar", "\r\n--bound", "\r\r\n--", "\r\n", "x",
		"\r\n--boundarY", "x\n--boundary"
	};
	size_t		 i = 0, k, l;

	while (i < n) {
		*seed = *seed * 1103515245 + 12345;
		k = (*seed >> 16) % VN_NELEM(pat);
		l = strlen(pat[k]);
		if (l > n - i)
			l = n - i;
		memcpy(p + i, pat[k], l);
		i += l;
	}
}

/*
 * 64 MiB of adversarial data in one part, 64 KiB at a time: every byte
 * but the held-back tail is delivered after each chunk, in order, and
 * the peak RSS does not move.
 */
static void
test_large(void)
{
	static const struct mp_callbacks cb = { sink_begin, sink_data,
	    sink_end };
	const size_t	 chunk = 64 * 1024, total = 64 * 1024 * 1024;
	struct multipart mp;
	struct sink	 s;
	char		*p = NULL;
	const char	*head = "--boundary\r\n" CD
	    "name=\"file\"; filename=\"big.bin\"\r\n\r\n";
	unsigned long	 want = 0;
	unsigned int	 seed = 1;
	size_t		 fed, i, lag = 0;
	long		 rss0, rss1;
	enum vn_err	 rc = VN_OK;

	memset(&s, 0, sizeof(s));
	if ((p = malloc(chunk)) == NULL)
		abort();
	multipart_init(&mp, "boundary", NULL, &cb, &s);
	rc = multipart_feed(&mp, head, strlen(head));
	rss0 = maxrss_kb();
	for (fed = 0; fed < total && rc == VN_OK; fed += chunk) {
		fill(p, chunk, &seed);
		for (i = 0; i < chunk; i++)
			want = want * 31 + (unsigned char)p[i];
		rc = multipart_feed(&mp, p, chunk);
		if (fed + chunk - s.bytes > lag)
			lag = fed + chunk - s.bytes;
	}
	if (rc == VN_OK)
		rc = multipart_feed(&mp, "\r\n--boundary--\r\n", 16);
	if (rc == VN_OK)
		rc = multipart_finish(&mp);
	rss1 = maxrss_kb();
	is_int(rc, VN_OK, "64 MiB: parsed");
	ok(s.bytes == total && s.hash == want && s.parts == 1 &&
	    s.ends == 1, "64 MiB: every byte delivered, in order");
	ok(lag <= strlen("\r\n--boundary") - 1,
	    "64 MiB: at most %zu bytes held back", lag);
	ok(mp.hdr.cap <= MP_DEFAULT_HEADER_BYTES + 1, "header buffer capped");
	ok(rss1 - rss0 < 4096, "64 MiB: peak RSS grew %ld KiB", rss1 - rss0);
	multipart_free(&mp);
	free(p);
}

/* CPU seconds to parse n bytes of near-delimiters as one part's data. */
static double
time_parse(const char *p, size_t n)
{
	static const struct mp_callbacks cb = { sink_begin, sink_data,
	    sink_end };
	struct multipart mp;
	struct sink	 s;
	clock_t		 t0;
	double		 best = 1e9, t;
	int		 i;

	for (i = 0; i < 3; i++) {
		memset(&s, 0, sizeof(s));
		multipart_init(&mp, "boundary", NULL, &cb, &s);
		(void)multipart_feed(&mp, "--boundary\r\n\r\n", 14);
		t0 = clock();
		(void)multipart_feed(&mp, p, n);
		t = (double)(clock() - t0) / CLOCKS_PER_SEC;
		if (t < best)
			best = t;
		multipart_free(&mp);
	}
	return best;
}

/* Four times the input must cost about four times as much, not 16. */
static void
test_linear(void)
{
	const size_t	 n = 32 * 1024 * 1024;
	char		*p;
	size_t		 i;
	double		 t1, t4;
	static const char rep[] = "\r\n--boundar";

	if ((p = malloc(n)) == NULL)
		abort();
	for (i = 0; i < n; i++)
		p[i] = rep[i % (sizeof(rep) - 1)];
	t1 = time_parse(p, n / 4);
	t4 = time_parse(p, n);
	ok(t4 < 8 * t1 + 0.05, "linear: 8 MiB %.3fs, 32 MiB %.3fs", t1, t4);
	memset(p, '\r', n);
	t1 = time_parse(p, n / 4);
	t4 = time_parse(p, n);
	ok(t4 < 8 * t1 + 0.05, "linear (all CR): 8 MiB %.3fs, 32 MiB %.3fs",
	    t1, t4);
	free(p);
}

int
main(void)
{
	test_bodies();
	test_errors();
	test_limits();
	test_callback();
	test_boundary();
	test_garbage();
	test_large();
	test_linear();
	return done_testing();
}
