/*
 * fuzz_jsonesc.c: the log's JSON strings (src/jsonesc.c).  Whatever
 * the bytes: the literal is one JSON string that json-c reads in full;
 * when no byte had to be replaced (no \ufffd escape), json-c reads back
 * exactly the input; a literal cut to a small buffer is still a string
 * and still a prefix of the input; a log line holding the bytes, cut
 * or not, is one JSON object.
 */
#include "config.h"

#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

#include "jsonesc.h"
#include "must.h"

#define MAX_INPUT	4096

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/*
 * Parse text (len bytes) as a whole JSON text of type t, or abort.
 * Returns the object, which the caller puts.
 */
static struct json_object *
must_parse(const char *text, size_t len, json_type t)
{
	struct json_tokener	*tok;
	struct json_object	*o;

	MUST((tok = json_tokener_new()) != NULL);
	o = json_tokener_parse_ex(tok, text, (int)len);
	MUST(o != NULL && json_object_is_type(o, t));
	MUST(json_tokener_get_parse_end(tok) == len);
	json_tokener_free(tok);
	return o;
}

/* The literal lit (of the first used bytes of in) reads back as them. */
static void
must_round_trip(const char *lit, size_t litlen, const char *in, size_t used)
{
	struct json_object	*o;

	o = must_parse(lit, litlen, json_type_string);
	if (strstr(lit, "\\ufffd") == NULL) {
		MUST((size_t)json_object_get_string_len(o) == used);
		MUST(memcmp(json_object_get_string(o), in, used) == 0);
	}
	json_object_put(o);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*in = (const char *)data;
	struct jline	 j;
	char		*lit, line[512];
	size_t		 cap, n, used, small;

	if (size > MAX_INPUT)
		return 0;
	/* Room for the worst case: six bytes a byte, quotes, NUL. */
	cap = size * 6 + 3;
	MUST((lit = malloc(cap)) != NULL);
	n = jsonesc(lit, cap, in, size, &used);
	MUST(n > 0 && n < cap && lit[n] == '\0' && used == size);
	must_round_trip(lit, n, in, used);

	/* Cut short: a buffer sized by the first byte. */
	small = size > 0 ? data[0] % 64 : 0;
	n = jsonesc(lit, small, in, size, &used);
	if (small < 3)
		MUST(n == 0);
	else {
		MUST(n > 0 && n < small && used <= size);
		must_round_trip(lit, n, in, used);
	}
	free(lit);

	/* A log line: the bytes as a member, cut to the line's cap. */
	cap = 8 + (size > 1 ? data[1] : 0) * 2;
	if (cap > sizeof(line))
		cap = sizeof(line);
	jline_begin(&j, line, cap);
	jline_str(&j, "time", "2026-12-03T19:30:00.123Z");
	jline_int(&j, "pid", 123);
	jline_strn(&j, "msg", in, size);
	jline_raw(&j, "ms", "1.000");
	n = jline_end(&j);
	MUST(n < cap && line[n] == '\0' && line[n - 1] == '\n');
	json_object_put(must_parse(line, n - 1, json_type_object));
	return 0;
}
