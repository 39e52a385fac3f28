/*
 * fuzz_jsonx.c: the bounded JSON parse of request bodies (src/jsonx.c)
 * and the typed field checks on whatever it yields.
 */
#include "config.h"

#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>

#include <json.h>

#include "jsonx.h"
#include "fault.h"

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

	const char		*v;
	size_t			 vlen;

	/* The byte-level member lookup on what the validator accepts. */
	if (jsonx_valid((const char *)data, size, 64) &&
	    jsonx_member((const char *)data, size, "usage", &v, &vlen) &&
	    (v < (const char *)data || v + vlen > (const char *)data + size ||
	    !jsonx_valid(v, vlen, 64)))
		abort();
	if (jsonx_object((const char *)data, size, 64, &o, &f) != VN_OK)
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
