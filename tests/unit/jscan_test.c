/*
 * jscan_test.c: the JSON scanner: the strict check, its depth and cost
 * caps, and the walkers over members, elements and strings.
 */
#include "config.h"

#include <string.h>

#include "jscan.h"
#include "../tap.h"

static enum jscan_verdict
check(const char *s, int depth, size_t max_cost, struct jscan_result *r)
{
	return jscan_check(s, strlen(s), depth, max_cost, r);
}

static int
span_is(const struct jscan_span *v, const char *want)
{
	return v->n == strlen(want) && memcmp(v->p, want, v->n) == 0;
}

static void
syntax(void)
{
	static const char *const good[] = {
		"{}", "[]", "0", "-0.5e+3", "\"\\u00e9\\ud83d\\ude00\"",
		" {\"a\" : [1, true, false, null, {\"b\":\"c\"}]} ", "\"é\"",
	};
	static const char *const bad[] = {
		"", "{", "{'a':1}", "[1,]", "{\"a\":1,}", "NaN", "Infinity",
		"01", "1.", "\"\\ud800\"", "\"\\udc00\"", "\"\x01\"",
		"\"\xc0\xaf\"", "\"\xed\xa0\x80\"", "{} {}", "[1] x", "tru",
		"\"\\x\"",
	};
	struct jscan_result	 r;
	size_t			 i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		is_int(check(good[i], 8, 0, &r), JSCAN_OK, "valid: %s",
		    good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_int(check(bad[i], 8, 0, &r), JSCAN_SYNTAX, "invalid: %zu",
		    i);
	is_int(check("[1, x]", 8, 0, &r), JSCAN_SYNTAX, "a bad byte");
	is_int(r.bad, 4, "  found at its offset");
	is_int(check("[[[1]]]", 3, 0, &r), JSCAN_OK, "depth 3 within 3");
	is_int(check("[[[[1]]]]", 3, 0, &r), JSCAN_DEPTH, "depth 4 over 3");
}

static void
cost(void)
{
	struct jscan_result	 r;
	char			 big[3 * 1000 + 2];
	size_t			 i;

	is_int(check("{\"a\":\"xy\"}", 8, 0, &r), JSCAN_OK, "cost counted");
	is_int(r.values, 2, "  two values");
	is_int(r.cost, JSCAN_COST_OBJECT + JSCAN_COST_MEMBER + 3 +
	    JSCAN_COST_SCALAR + 4, "  an object, a member, a string");
	/* A thousand empty objects: 3 bytes each, 800 bytes of tree each. */
	big[0] = '[';
	for (i = 0; i < 1000; i++)
		memcpy(big + 1 + 3 * i, i == 999 ? "{}]" : "{},", 3);
	big[sizeof(big) - 1] = '\0';
	is_int(check(big, 8, 0, &r), JSCAN_OK, "1,000 objects, no cap");
	ok(r.cost >= 1000 * JSCAN_COST_OBJECT, "  cost %zu", r.cost);
	is_int(check(big, 8, 100000, &r), JSCAN_COST, "  over a 100 kB cap");
	ok(r.bad < 3 * 200, "  refused early, at byte %zu", r.bad);
}

static void
walk(void)
{
	static const char doc[] = " { \"a\" : [1, {\"usage\":2}] ,"
	    "\"s\":\"x,}\\\"y\", \"usage\" : {\"prompt_tokens\": 3} ,"
	    "\"n\":null, \"d\":1, \"d\":2, \"e\\u0073c\":true }";
	struct jscan_span	 k, v;
	size_t			 i = 0, n = sizeof(doc) - 1;
	int			 count = 0;

	ok(jscan_valid(doc, n, 8), "a valid document");
	ok(jscan_member(doc, n, "usage", &v) &&
	    span_is(&v, "{\"prompt_tokens\": 3}"),
	    "the top-level member, not the nested one");
	ok(jscan_member(doc, n, "s", &v) && span_is(&v, "\"x,}\\\"y\""),
	    "a string value with , } and an escaped quote");
	ok(jscan_member(doc, n, "n", &v) && span_is(&v, "null"), "null");
	ok(jscan_member(doc, n, "d", &v) && span_is(&v, "2"),
	    "a duplicate key: the last counts, as in json-c");
	ok(jscan_member(doc, n, "esc", &v) && span_is(&v, "true"),
	    "an escaped key matches once decoded");
	ok(!jscan_member(doc, n, "us", &v), "a key prefix is not the key");
	ok(!jscan_member("[1]", 3, "a", &v), "not an object");
	ok(!jscan_member("{}", 2, "a", &v), "an empty object");
	while (jscan_member_next(doc, n, &i, &k, &v))
		count++;
	is_int(count, 7, "seven members walked");

	ok(jscan_member(doc, n, "a", &v), "an array");
	i = 0;
	ok(jscan_element_next(v.p, v.n, &i, &k) && span_is(&k, "1"),
	    "  its first element");
	ok(jscan_element_next(v.p, v.n, &i, &k) &&
	    span_is(&k, "{\"usage\":2}"), "  its second");
	ok(!jscan_element_next(v.p, v.n, &i, &k), "  and no third");
	i = 0;
	ok(!jscan_element_next("[ ]", 3, &i, &k), "an empty array");
	i = 0;
	ok(!jscan_element_next("{}", 2, &i, &k), "not an array");
}

static void
strings(void)
{
	struct jscan_span	 v;
	char			 out[16];
	size_t			 len = 0;

	v.p = "\"a\\n\\u00e9\\ud83d\\ude00\\/\"";
	v.n = strlen(v.p);
	is_int(jscan_string(&v, out, sizeof(out), &len), 1, "decoded");
	ok(len == 9 && memcmp(out, "a\n\xc3\xa9\xf0\x9f\x98\x80/", 9) == 0,
	    "  escapes and a surrogate pair become UTF-8");
	v.p = "\"\\u0000\"";
	v.n = strlen(v.p);
	is_int(jscan_string(&v, out, sizeof(out), &len), -1,
	    "a NUL is refused");
	v.p = "\"0123456789abcdef\"";
	v.n = strlen(v.p);
	is_int(jscan_string(&v, out, sizeof(out), &len), -1,
	    "16 bytes do not fit 16 with the NUL");
	v.p = "12";
	v.n = 2;
	is_int(jscan_string(&v, out, sizeof(out), &len), 0, "not a string");
}

int
main(void)
{
	syntax();
	cost();
	walk();
	strings();
	return done_testing();
}
