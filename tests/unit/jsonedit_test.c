/*
 * jsonedit_test.c: top-level member edits over an object's bytes.
 */
#include "config.h"

#include <string.h>

#include "buf.h"
#include "jsonedit.h"
#include "../tap.h"

static const char *
apply(const char *s, const struct jsonedit *e, size_t ne, struct buf *b)
{
	buf_free(b);
	buf_init(b, 4096);
	if (jsonedit_apply(s, strlen(s), e, ne, b) != VN_OK)
		return "<error>";
	return b->data;
}

int
main(void)
{
	struct jsonedit	 e[3];
	struct buf	 b;

	buf_init(&b, 4096);
	e[0] = (struct jsonedit){ "model", "\"up\"", 4, 1 };
	e[1] = (struct jsonedit){ "api_key", NULL, 0, 0 };
	e[2] = (struct jsonedit){ "x", "true", 4, 1 };
	is_str(apply("{\"model\" : \"a\",\"seed\":18446744073709551616,"
	    "\"f\":1.0,\"s\":\"\\u00e9\\/\"}", e, 1, &b),
	    "{\"model\" : \"up\",\"seed\":18446744073709551616,\"f\":1.0,"
	    "\"s\":\"\\u00e9\\/\"}", "a value replaced, the rest as sent");
	is_str(apply("{\"api_key\":\"k\",\"a\":1,\"api_key\":2}", e, 2, &b),
	    "{\"a\":1,\"model\":\"up\"}",
	    "every duplicate dropped; an absent key added");
	is_str(apply(" { } ", e, 3, &b), "{\"model\":\"up\",\"x\":true}",
	    "an empty object gets the added members");
	is_str(apply("{\"model\":1,\"model\":2}", e, 1, &b),
	    "{\"model\":\"up\",\"model\":\"up\"}",
	    "each occurrence replaced: no duplicate passes another value");
	is_str(apply("{\"m\\u006fdel\":\"a\"}", e, 1, &b),
	    "{\"m\\u006fdel\":\"up\"}", "an escaped key is the same key");
	is_str(apply("{\"api_key\":\"k\"}", e + 1, 1, &b), "{}",
	    "the only member dropped");
	is_str(apply("[1]", e, 1, &b), "<error>", "not an object");
	buf_free(&b);
	buf_init(&b, 8);
	is_int(jsonedit_apply("{\"a\":\"0123456789\"}", 16, e, 0, &b),
	    VN_ETOOBIG, "the output's cap holds");
	buf_free(&b);
	return done_testing();
}
