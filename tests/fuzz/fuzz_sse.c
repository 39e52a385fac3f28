/*
 * fuzz_sse.c: the SSE parser (src/sse.c) on arbitrary bytes.  Not only
 * "no crash": the input is parsed in one piece, cut in two at a point
 * taken from the input, cut into small pieces, and fed byte by byte, and
 * each way must give the same events and error as a naive one-shot
 * parser written here from the standard's text.  That is done twice, with
 * a roomy cap and with a tiny one.  After every feed the parser must hold
 * no more than its cap.  A difference is an abort().
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "sse.h"

#define ROOMY		1024
#define BYTEWISE_MAX	1024	/* longest input fed byte by byte */

/* What a run produced: a hash of its events, their number, its error. */
struct outcome {
	uint64_t	 h;
	size_t		 n;
	size_t		 stop;
	size_t		 max;
	enum vn_err	 rc;
};

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static uint64_t		 fnv(uint64_t, const void *, size_t);
static enum vn_err	 emit(struct outcome *, const char *, size_t,
			    const char *, size_t, const char *, size_t);
static enum vn_err	 on_event(void *, const struct sse_event *);
static void		 check_held(const struct sse_parser *);
static void		 real(const uint8_t *, size_t, size_t, uint64_t,
			    struct outcome *);
static void		 naive(const uint8_t *, size_t, struct outcome *);
static void		 same(const struct outcome *, const struct outcome *);

static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char	*s = p;

	while (n-- > 0)
		h = (h ^ *s++) * 0x100000001b3ULL;
	return h;
}

/* Fold one event into o; VN_ECLIENT once o->stop events were seen. */
static enum vn_err
emit(struct outcome *o, const char *ev, size_t evlen, const char *id,
    size_t idlen, const char *data, size_t datalen)
{
	o->h = fnv(o->h, &evlen, sizeof(evlen));
	o->h = fnv(o->h, ev, evlen);
	o->h = fnv(o->h, &idlen, sizeof(idlen));
	o->h = fnv(o->h, id, idlen);
	o->h = fnv(o->h, &datalen, sizeof(datalen));
	o->h = fnv(o->h, data, datalen);
	return ++o->n == o->stop ? VN_ECLIENT : VN_OK;
}

/* The parser's callback: what no event may ever look like, then emit. */
static enum vn_err
on_event(void *arg, const struct sse_event *ev)
{
	struct outcome	*o = arg;

	if (ev->event[ev->event_len] != '\0' || ev->id[ev->id_len] != '\0' ||
	    memchr(ev->event, '\n', ev->event_len) != NULL ||
	    memchr(ev->event, '\r', ev->event_len) != NULL ||
	    memchr(ev->id, '\n', ev->id_len) != NULL ||
	    memchr(ev->id, '\r', ev->id_len) != NULL ||
	    memchr(ev->id, '\0', ev->id_len) != NULL ||
	    memchr(ev->data, '\r', ev->data_len) != NULL ||
	    ev->event_len + ev->id_len + ev->data_len > o->max)
		abort();
	return emit(o, ev->event, ev->event_len, ev->id, ev->id_len,
	    ev->data, ev->data_len);
}

/* Memory stays within the cap whatever the input. */
static void
check_held(const struct sse_parser *ps)
{
	if (ps->data.len + ps->event.len + ps->id.len + ps->val.len +
	    ps->pendlen > ps->max ||
	    ps->data.cap > ps->max + 1 || ps->event.cap > ps->max + 1 ||
	    ps->id.cap > ps->max + 1 || ps->val.cap > ps->max + 1)
		abort();
}

/*
 * Parse p with src/sse.c in pieces: mode 0 whole, 1 cut in two at a
 * point from seed, 2 pieces of 1-16 bytes from seed, 3 byte by byte.
 */
static void
real(const uint8_t *p, size_t n, size_t mode, uint64_t seed,
    struct outcome *o)
{
	struct sse_parser	 ps;
	size_t			 off, k, i;
	enum vn_err		 rc;

	sse_init(&ps, o->max);
	o->rc = VN_OK;
	/* An empty first piece (mode 1) is a feed too: sse_feed(p, 0). */
	for (off = 0, i = 0; off < n || i == 0; off += k, i++) {
		if (mode == 0)
			k = n;
		else if (mode == 1)
			k = i == 0 ? seed % (n + 1) : n - off;
		else if (mode == 2) {
			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			k = 1 + seed % 16;
		} else
			k = 1;
		if (k > n - off)
			k = n - off;
		rc = sse_feed(&ps, off > 0 ? (const char *)p + off :
		    (const char *)p, k, on_event, o);
		check_held(&ps);
		if (o->rc == VN_OK)
			o->rc = rc;
		else if (rc != o->rc)
			abort();
	}
	rc = sse_finish(&ps, on_event, o);
	if (o->rc == VN_OK)
		o->rc = rc;
	else if (rc != o->rc)
		abort();
	sse_free(&ps);
}

/*
 * The standard's algorithm over the whole input, with the same cap rule
 * (values held plus the line may not pass max).  A stream that is only
 * the start of a BOM is a truncated stream, as in src/sse.c.
 */
static void
naive(const uint8_t *in, size_t n, struct outcome *o)
{
	struct buf	 data, event, id;
	const char	*p = (const char *)in, *v, *colon;
	size_t		 i = 0, s, len, vlen, nlen;
	int		 have = 0;
	enum vn_err	 rc = VN_OK;

	buf_init(&data, SIZE_MAX - 1);
	buf_init(&event, SIZE_MAX - 1);
	buf_init(&id, SIZE_MAX - 1);
	if (n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	else if (n > 0 && n < 3 && memcmp(p, "\xef\xbb\xbf", n) == 0)
		rc = VN_EUPSTREAM;
	while (rc == VN_OK && i < n) {
		for (s = i; i < n && p[i] != '\r' && p[i] != '\n'; i++)
			continue;
		len = i - s;
		if (data.len + event.len + id.len + len > o->max) {
			rc = VN_ETOOBIG;
			break;
		}
		if (i == n) {
			rc = VN_EUPSTREAM;
			break;
		}
		i += p[i] == '\r' && i + 1 < n && p[i + 1] == '\n' ? 2 : 1;
		if (len == 0) {
			if (have)
				rc = emit(o, buf_cstr(&event), event.len,
				    buf_cstr(&id), id.len, buf_cstr(&data),
				    data.len);
			have = 0;
			buf_reset(&data);
			buf_reset(&event);
			continue;
		}
		if ((colon = memchr(p + s, ':', len)) != NULL) {
			nlen = (size_t)(colon - (p + s));
			v = colon + 1;
			vlen = len - nlen - 1;
			if (vlen > 0 && *v == ' ') {
				v++;
				vlen--;
			}
		} else {
			nlen = len;
			v = "";
			vlen = 0;
		}
		if (nlen == 4 && memcmp(p + s, "data", 4) == 0) {
			if (have)
				buf_addc(&data, '\n');
			buf_add(&data, v, vlen);
			have = 1;
		} else if (nlen == 5 && memcmp(p + s, "event", 5) == 0) {
			buf_reset(&event);
			buf_add(&event, v, vlen);
		} else if (nlen == 2 && memcmp(p + s, "id", 2) == 0 &&
		    memchr(v, '\0', vlen) == NULL) {
			buf_reset(&id);
			buf_add(&id, v, vlen);
		}
	}
	if (rc == VN_OK && have)
		rc = VN_EUPSTREAM;
	o->rc = rc;
	buf_free(&data);
	buf_free(&event);
	buf_free(&id);
}

static void
same(const struct outcome *a, const struct outcome *b)
{
	if (a->h != b->h || a->n != b->n || a->rc != b->rc)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct outcome	 init, want, got;
	uint64_t	 h;
	size_t		 pass, mode;

	if (size > 65536)
		return 0;
	h = fnv(0xcbf29ce484222325ULL, data, size);
	for (pass = 0; pass < 2; pass++) {
		memset(&init, 0, sizeof(init));
		init.h = 0xcbf29ce484222325ULL;
		init.max = pass == 0 ? ROOMY : 1 + (h >> 32) % 48;
		init.stop = (h >> 8) % 8;
		want = init;
		naive(data, size, &want);
		for (mode = 0; mode < 4; mode++) {
			if (mode == 3 && size > BYTEWISE_MAX)
				break;
			got = init;
			real(data, size, mode, h, &got);
			same(&want, &got);
		}
	}
	return 0;
}
