/*
 * fuzz_admin_query.c: the Admin API's query parser and name check
 * (src/admin_query.c), which read untrusted query strings and bodies.
 *
 * The input, cut at its first NUL, is parsed for every endpoint kind.
 * Properties: on success every array is well-formed JSON of at most
 * AQ_VALUES_MAX strings made of id characters, the limit is in range,
 * the bounds are ordered as documented; on failure a parameter is
 * named with a reason.  admin_text_ok() agrees with an independent
 * UTF-8 check.
 */
#include "config.h"

#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "admin_query.h"
#include "must.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_list(const char *j, size_t n)
{
	size_t	 i, len = strlen(j), values = 0;

	if (len == 0) {
		MUST(n == 0);
		return;
	}
	MUST(len < AQ_LIST_BYTES && j[0] == '[' && j[len - 1] == ']');
	for (i = 1; i < len - 1; i++) {
		MUST(j[i] == '"');
		for (i++; j[i] != '"'; i++)
			MUST(j[i] != '\0' && j[i] != '\\' &&
			    (unsigned char)j[i] > 0x20);
		values++;
		i++;
		MUST(j[i] == ',' || i == len - 1);
	}
	MUST(values == n && n <= AQ_VALUES_MAX);
}

/* UTF-8 per RFC 3629, with no C0, DEL or C1 controls. */
static int
text_rule(const unsigned char *s, size_t n, size_t max)
{
	size_t		 i = 0, k, len;
	uint32_t	 cp;

	if (n == 0 || n > max)
		return 0;
	while (i < n) {
		if (s[i] < 0x80) {
			if (s[i] < 0x20 || s[i] == 0x7f)
				return 0;
			i++;
			continue;
		}
		if (s[i] > 0xf4)
			return 0;
		len = s[i] >= 0xf0 ? 4 : s[i] >= 0xe0 ? 3 : s[i] >= 0xc0 ?
		    2 : 0;
		if (len == 0 || i + len > n)
			return 0;
		cp = s[i] & (0xff >> (len + 1));
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
		    (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff) ||
		    (cp >= 0x80 && cp <= 0x9f))
			return 0;
		i += len;
	}
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned which[] = { AQ_PAGE, AQ_PAGE | AQ_ARCHIVED,
	    AQ_PAGE | AQ_AUDIT, AQ_USAGE };
	struct admin_query	*q;
	char			*s, param[64], msg[256];
	size_t			 i, l;

	if ((s = malloc(size + 1)) == NULL ||
	    (q = malloc(sizeof(*q))) == NULL) {
		free(s);
		return 0;
	}
	memcpy(s, data, size);
	s[size] = '\0';
	for (i = 0; i < sizeof(which) / sizeof(which[0]); i++) {
		if (!admin_query_parse(s, which[i], q, param, sizeof(param),
		    msg, sizeof(msg))) {
			MUST(param[0] != '\0' && msg[0] != '\0');
			continue;
		}
		MUST(param[0] == '\0');
		MUST(q->limit >= 1 && q->limit <= AQ_LIMIT_MAX);
		MUST(q->gt >= -1 && q->lt <= AQ_TIME_MAX + 1);
		MUST(strlen(q->after) <= AQ_VALUE_MAX &&
		    strlen(q->before) <= AQ_VALUE_MAX);
		MUST(q->width == 60 || q->width == 3600 || q->width == 86400);
		MUST(q->buckets == -1 || (q->buckets >= 1 &&
		    q->buckets <= AQ_BUCKETS_MAX));
		MUST(q->batch >= -1 && q->batch <= 1);
		MUST(q->start_time >= -1 && q->start_time <= AQ_TIME_MAX &&
		    q->end_time >= -1 && q->end_time <= AQ_TIME_MAX &&
		    q->page >= -1 && q->page <= AQ_TIME_MAX);
		for (l = 0; l < AQL__MAX; l++)
			check_list(q->list[l], q->nlist[l]);
	}
	MUST(admin_text_ok(s, 200) ==
	    text_rule((const unsigned char *)s, strlen(s), 200));
	free(q);
	free(s);
	return 0;
}
