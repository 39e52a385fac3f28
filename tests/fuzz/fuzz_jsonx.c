/*
 * fuzz_jsonx.c: the JSON scanner (src/jscan.c) and the bounded parse of
 * request bodies (src/jsonx.c), and the typed field checks on whatever
 * it yields.
 */
#include "config.h"

#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>

#include <json.h>

#include "fault.h"
#include "jscan.h"
#include "jsonx.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object	*o = NULL;
	struct fault		 f;
	const char		*s;
	int64_t			 n;
	double			 d;
	int			 b;

	struct jscan_span	 k, v, e;
	struct jscan_result	 r;
	const char		*t = (const char *)data, *end = t + size;
	char			 key[256];
	size_t			 i = 0, j, len;
	enum jscan_verdict	 verdict;

	/*
	 * The scanner's walkers on what its check accepts: every span lies
	 * inside the text and is itself one valid JSON text; every key
	 * decodes; the check agrees with json-c (under no cost cap).
	 */
	verdict = jscan_check(t, size, 64, 0, &r);
	if (verdict == JSCAN_OK) {
		while (jscan_member_next(t, size, &i, &k, &v)) {
			if (k.p < t || k.p + k.n > end || v.p < t ||
			    v.p + v.n > end || !jscan_valid(k.p, k.n, 1) ||
			    !jscan_valid(v.p, v.n, 64) ||
			    jscan_string(&k, key, sizeof(key), &len) == 0)
				abort();
			for (j = 0; jscan_element_next(v.p, v.n, &j, &e);)
				if (e.p < v.p || e.p + e.n > v.p + v.n ||
				    !jscan_valid(e.p, e.n, 64))
					abort();
		}
		if (jscan_member(t, size, "usage", &v) &&
		    (v.p < t || v.p + v.n > end || !jscan_valid(v.p, v.n, 64)))
			abort();
	} else if (r.bad > size)
		abort();
	if (jsonx_parse((const char *)data, size, 64, &o, &f) == VN_OK) {
		if (verdict != JSCAN_OK)
			abort();
		json_object_put(o);
		o = NULL;
	} else if (verdict == JSCAN_OK && f.err != VN_ETOOBIG)
		abort();	/* json-c refused what the check passed */
	if (jsonx_object((const char *)data, size, 64, 0, &o, &f) != VN_OK)
		return 0;
	(void)jsonx_string(o, "model", NULL, 1, 256, &s, &f);
	(void)jsonx_int(o, "n", NULL, 0, 1, 128, &n, NULL, &f);
	(void)jsonx_number(o, "temperature", NULL, 0, 2, &d, NULL, &f);
	(void)jsonx_bool(o, "stream", NULL, &b, NULL, &f);
	(void)jsonx_metadata(o, "metadata", &f);
	(void)jsonx_to_string(o, NULL);
	json_object_put(o);
	return 0;
}
