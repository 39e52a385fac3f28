/*
 * jsonx_test.c: the bounded JSON parse and the typed field checks, with
 * the OpenAI-style messages and codes they report.
 */
#include "config.h"

#include <string.h>

#include <json.h>

#include "jsonx.h"
#include "fault.h"
#include "../tap.h"

static enum vn_err
parse(const char *s, struct json_object **o, struct fault *f)
{
	memset(f, 0, sizeof(*f));
	return jsonx_object(s, strlen(s), 8, 0, o, f);
}

int
main(void)
{
	struct json_object	*o = NULL;
	struct fault		 f;
	const char		*s = NULL;
	int64_t			 n = 0;
	double			 d = 0;
	int			 b = 0, present = 0;
	char			 deep[64];

	is_int(parse("{\"a\":1}", &o, &f), VN_OK, "an object parses");
	json_object_put(o);
	is_int(parse(" {\"a\":1} \n", &o, &f), VN_OK, "surrounding spaces");
	json_object_put(o);
	is_int(parse("", &o, &f), VN_EJSON, "empty body");
	is_int(parse("{\"a\":1} x", &o, &f), VN_EJSON, "trailing garbage");
	ok(strstr(f.msg, "at byte 8") != NULL, "  says where");
	is_int(parse("{\"a\":1", &o, &f), VN_EJSON, "truncated");
	is_int(parse("{'a':1}", &o, &f), VN_EJSON, "single quotes");
	is_int(parse("{\"a\":1,}", &o, &f), VN_EJSON, "trailing comma");
	is_int(parse("{\"a\":NaN}", &o, &f), VN_EJSON, "NaN");
	is_int(parse("{\"a\":Infinity}", &o, &f), VN_EJSON, "Infinity");
	is_int(parse("{\"a\":01}", &o, &f), VN_EJSON, "leading zero");
	is_int(parse("{\"a\":\"\\ud800\"}", &o, &f), VN_EJSON,
	    "lone surrogate escape");
	is_int(parse("{\"a\":\"\\ud83d\\ude00\"}", &o, &f), VN_OK,
	    "surrogate pair");
	json_object_put(o);
	is_int(parse("{\"a\":\"\xed\xa0\x80\"}", &o, &f), VN_EJSON,
	    "UTF-8 encoded surrogate");
	is_int(parse("{\"a\":\"\xc0\xaf\"}", &o, &f), VN_EJSON,
	    "overlong UTF-8");
	is_int(parse("{\"a\":[1,2,{\"b\":null}],\"c\":-1.5e+3}", &o, &f),
	    VN_OK, "nested values and exponents");
	json_object_put(o);
	is_int(parse("{\"a\" 1}", &o, &f), VN_EJSON, "missing colon");
	is_int(parse("{\"a\":1 \"b\":2}", &o, &f), VN_EJSON,
	    "missing comma");
	is_int(parse("{\"a\":\"x\ny\"}", &o, &f), VN_EJSON,
	    "raw newline in a string");
	is_int(parse("[1,2]", &o, &f), VN_EINVAL, "an array is not an object");
	is_int(parse("{\"a\":\"\xff\"}", &o, &f), VN_EJSON, "invalid UTF-8");
	memset(deep, '[', 20);
	strcpy(deep + 20, "");
	{
		char	 body[64];

		snprintf(body, sizeof(body), "{\"a\":%.*s", 12, deep);
		is_int(parse(body, &o, &f), VN_EJSON, "deeper than the cap");
		ok(strstr(f.msg, "deeper than 8") != NULL, "  says so");
	}

	is_int(parse("{\"model\":\"m\",\"n\":3,\"t\":0.5,\"s\":true,"
	    "\"bad\":\"x\",\"meta\":{\"k\":\"v\"}}", &o, &f), VN_OK,
	    "fields parse");
	is_int(jsonx_string(o, "model", NULL, 1, 10, &s, &f), VN_OK,
	    "required string present");
	is_str(s, "m", "  value");
	is_int(jsonx_string(o, "model", NULL, 1, 0, &s, &f), VN_EINVAL,
	    "string over its cap");
	is_str(f.code, "string_above_max_length", "  code");
	is_int(jsonx_string(o, "missing", NULL, 1, 10, &s, &f), VN_EINVAL,
	    "required string missing");
	is_str(f.code, "missing_required_parameter", "  code");
	is_str(f.param, "missing", "  param");
	is_int(jsonx_string(o, "n", "messages[0]", 1, 10, &s, &f), VN_EINVAL,
	    "wrong type");
	is_str(f.param, "messages[0].n", "  param with context");
	is_str(f.code, "invalid_type", "  code");
	ok(strstr(f.msg, "expected a string, but got an integer") != NULL,
	    "  message");
	is_int(jsonx_int(o, "n", NULL, 1, 1, 128, &n, &present, &f), VN_OK,
	    "integer in range");
	ok(n == 3 && present, "  value");
	is_int(jsonx_int(o, "n", NULL, 1, 4, 128, &n, NULL, &f), VN_EINVAL,
	    "integer out of range");
	is_str(f.code, "invalid_value", "  code");
	is_int(jsonx_int(o, "absent", NULL, 0, 1, 2, &n, &present, &f),
	    VN_OK, "optional integer absent");
	ok(!present, "  reported absent");
	is_int(jsonx_number(o, "t", NULL, 0, 2, &d, &present, &f), VN_OK,
	    "number");
	ok(d == 0.5 && present, "  value");
	is_int(jsonx_number(o, "n", NULL, 0, 2, &d, NULL, &f), VN_EINVAL,
	    "number out of range");
	is_int(jsonx_bool(o, "s", NULL, &b, &present, &f), VN_OK, "boolean");
	ok(b == 1 && present, "  value");
	is_int(jsonx_bool(o, "bad", NULL, &b, NULL, &f), VN_EINVAL,
	    "boolean of the wrong type");
	is_int(jsonx_metadata(o, "meta", &f), VN_OK, "metadata");
	is_int(jsonx_metadata(o, "n", &f), VN_EINVAL, "metadata not object");
	json_object_put(o);

	is_int(parse("{\"meta\":{\"k\":1}}", &o, &f), VN_OK, "parse");
	is_int(jsonx_metadata(o, "meta", &f), VN_EINVAL,
	    "metadata values must be strings");
	json_object_put(o);
	/* A body whose tree would pass the cap is refused before json-c. */
	memset(&f, 0, sizeof(f));
	is_int(jsonx_object("{\"a\":[{},{},{},{}]}", 19, 8, 4000, &o, &f),
	    VN_ETOOBIG, "four empty objects over a 4,000-byte tree cap");
	is_str(f.code, "request_too_large", "  code request_too_large");
	ok(o == NULL, "  nothing built");
	is_int(parse("{\"a\":[{},{},{},{}]}", &o, &f), VN_OK,
	    "  under the default cap: parsed");
	json_object_put(o);
	return done_testing();
}
