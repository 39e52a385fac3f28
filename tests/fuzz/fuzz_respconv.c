/*
 * fuzz_respconv.c: the Responses translation (src/respconv*.c) on
 * arbitrary bytes, two ways each input.  Whole, as a create request: a
 * request that passes respconv_check() must normalise, translate (with
 * its own items as history too) and echo without failing; the same JSON
 * is also taken as a chat.completion.  Line by line, as the data of a
 * chat.completion.chunk stream, under a cap and with a callback that
 * may fail part way, both taken from the input: every event must be
 * valid JSON with its type and the next sequence_number, a stream must
 * end with exactly one terminal event, and the converter may never hold
 * more than its cap.  A broken promise is an abort().
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

#include "ids.h"
#include "jscan.h"
#include "jsonx.h"
#include "respconv.h"
#include "fault.h"

#define MAX_INPUT	65536
#define REQ		"{\"model\":\"m\",\"input\":\"x\",\"background\":true}"

struct watch {
	int64_t		 n;		/* events seen */
	int64_t		 fail_at;	/* the callback fails here (0 never) */
	int		 terminal;	/* terminal events seen */
};

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static uint64_t		 fnv(const uint8_t *, size_t);
static void		 request(const char *, size_t);
static enum vn_err	 watch(void *, const char *, const char *, size_t);
static void		 stream(const char *, size_t, uint64_t);

static uint64_t
fnv(const uint8_t *p, size_t n)
{
	uint64_t	 h = 0xcbf29ce484222325ULL;

	while (n-- > 0)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return h;
}

/* The input as a create request and as a chat.completion. */
static void
request(const char *p, size_t n)
{
	struct respconv_fields	 rf;
	struct respconv_result	 res;
	struct respconv_opts	 o;
	struct json_object	*req = NULL, *items = NULL, *chat = NULL,
				*r = NULL;
	struct fault		 f;

	memset(&f, 0, sizeof(f));
	if (jsonx_parse(p, n, 64, &req, &f) != VN_OK)
		return;
	if (respconv_output(req, &res, &f) == VN_OK) {
		if (res.output == NULL || res.status == NULL)
			abort();
		respconv_result_free(&res);
	}
	if (respconv_check(req, &o, &f) != VN_OK) {
		if (f.err != VN_EINVAL || f.msg[0] == '\0')
			abort();
		goto out;
	}
	if (o.model == NULL || (o.background && !o.store))
		abort();
	if (respconv_input_items(req, &items, &f) != VN_OK ||
	    !json_object_is_type(items, json_type_array))
		abort();
	if (respconv_chat_request(req, items, "upstream", &chat, &f) ==
	    VN_OK) {
		if (jsonx_to_string(chat, NULL) == NULL)
			abort();
	} else if (f.err != VN_EINVAL)
		abort();
	json_object_put(chat);
	chat = NULL;
	if (respconv_chat_request(req, NULL, NULL, &chat, &f) != VN_OK &&
	    f.err != VN_EINVAL)
		abort();
	memset(&rf, 0, sizeof(rf));
	rf.req = req;
	rf.id = "resp_fuzz";
	rf.status = "completed";
	rf.output = items;
	if ((r = respconv_response(&rf)) == NULL ||
	    jsonx_to_string(r, NULL) == NULL)
		abort();
out:
	json_object_put(r);
	json_object_put(chat);
	json_object_put(items);
	json_object_put(req);
}

/* The converter's callback: what every event must be. */
static enum vn_err
watch(void *arg, const char *type, const char *json, size_t len)
{
	struct watch		*w = arg;
	struct jscan_span	 v;
	size_t			 tlen = strlen(type);
	char			 num[32];

	if (strlen(json) != len || !jscan_valid(json, len, 128) ||
	    !jscan_member(json, len, "type", &v) ||
	    v.n != tlen + 2 || memcmp(v.p + 1, type, tlen) != 0 ||
	    !jscan_member(json, len, "sequence_number", &v) ||
	    v.n >= sizeof(num))
		abort();
	memcpy(num, v.p, v.n);
	num[v.n] = '\0';
	if (strtoll(num, NULL, 10) != w->n || w->terminal > 0)
		abort();
	if (strcmp(type, "response.completed") == 0 ||
	    strcmp(type, "response.incomplete") == 0 ||
	    strcmp(type, "response.failed") == 0)
		w->terminal++;
	return ++w->n == w->fail_at ? VN_ECLIENT : VN_OK;
}

/* The input's lines as the data of a chunk stream. */
static void
stream(const char *p, size_t n, uint64_t h)
{
	struct respconv_stream	 s;
	struct respconv_fields	 base;
	struct respconv_result	 res;
	struct json_object	*req = NULL;
	struct watch		 w;
	struct fault		 f;
	const char		*nl;
	size_t			 max, off, k;
	enum vn_err		 rc = VN_OK;

	memset(&w, 0, sizeof(w));
	w.fail_at = (h & 7) == 0 ? (int64_t)((h >> 3) % 16) : 0;
	max = (h >> 8) % 2 == 0 ? 0 : 1 + (h >> 9) % 64;
	if (jsonx_parse(REQ, sizeof(REQ) - 1, 8, &req, &f) != VN_OK)
		abort();
	memset(&base, 0, sizeof(base));
	base.req = req;
	base.id = "resp_fuzz";
	base.created_at = 1;
	if (respconv_stream_init(&s, &base, max, watch, &w) != VN_OK)
		abort();
	for (off = 0; off < n; off += k + 1) {
		nl = memchr(p + off, '\n', n - off);
		k = nl != NULL ? (size_t)(nl - (p + off)) : n - off;
		rc = respconv_stream_chunk(&s, p + off, k);
		if (s.held > s.max)
			abort();
		if (rc == VN_EUPSTREAM)
			break;
	}
	rc = respconv_stream_finish(&s, 2, (h >> 16) % 8 == 0 ?
	    "transport error" : NULL);
	if ((w.fail_at == 0 && (rc != VN_OK || w.terminal != 1)) ||
	    s.seq != w.n)
		abort();
	if (respconv_stream_result(&s, &res) != VN_OK || res.output == NULL ||
	    !json_object_is_type(res.output, json_type_array))
		abort();
	respconv_result_free(&res);
	respconv_stream_free(&s);
	json_object_put(req);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int	 init;

	if (size > MAX_INPUT)
		return 0;
	if (!init) {
		if (!ids_init())
			abort();
		init = 1;
	}
	request((const char *)data, size);
	stream((const char *)data, size, fnv(data, size));
	return 0;
}
