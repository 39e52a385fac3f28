/*
 * jsonesc_test.c: JSON strings out of any bytes, and the one-line
 * objects of the log, cut to fit and still JSON.
 */
#include "config.h"

#include <string.h>

#include <json.h>

#include "jsonesc.h"
#include "../tap.h"

/* esc(s, n, dstsz): s escaped into a buffer of dstsz bytes. */
static char	 out[256];
static size_t	 used;

static const char *
esc(const char *s, size_t n, size_t dstsz)
{
	memset(out, 'X', sizeof(out));
	(void)jsonesc(out, dstsz, s, n, &used);
	return out;
}

/* Does text parse as JSON whose type is t? */
static int
parses_as(const char *text, json_type t)
{
	struct json_object	*o = json_tokener_parse(text);
	int			 ok = o != NULL && json_object_is_type(o, t);

	json_object_put(o);
	return ok;
}

int
main(void)
{
	struct jline	 j;
	char		 line[64], big[600];
	size_t		 n;

	is_str(esc("plain", 5, 64), "\"plain\"", "plain text is quoted");
	is_str(esc("a\"b\\c", 5, 64), "\"a\\\"b\\\\c\"",
	    "quotes and backslashes are escaped");
	is_str(esc("\n\r\t", 3, 64), "\"\\n\\r\\t\"", "short escapes");
	is_str(esc("\x01\x1f\x7f", 3, 64), "\"\\u0001\\u001f\\u007f\"",
	    "control characters and DEL as \\u00XX");
	is_str(esc("a\0b", 3, 64), "\"a\\u0000b\"", "a NUL is escaped");
	is_str(esc("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14, 64),
	    "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"",
	    "valid UTF-8 passes as it is");
	is_str(esc("\xff", 1, 64), "\"\\ufffd\"", "a stray byte is U+FFFD");
	is_str(esc("\xc0\xaf", 2, 64), "\"\\ufffd\\ufffd\"",
	    "an overlong form is not UTF-8");
	is_str(esc("\xed\xa0\x80", 3, 64), "\"\\ufffd\\ufffd\\ufffd\"",
	    "a surrogate is not UTF-8");
	is_str(esc("\xf4\x90\x80\x80", 4, 64),
	    "\"\\ufffd\\ufffd\\ufffd\\ufffd\"", "past U+10FFFF is not UTF-8");
	is_str(esc("\xe2\x82", 2, 64), "\"\\ufffd\\ufffd\"",
	    "a sequence cut at the end is not UTF-8");

	is_str(esc("abcdef", 6, 6), "\"abc\"", "cut to fit, NUL included");
	is_int(used, 3, "  and says how much went in");
	is_str(esc("ab\"cd", 5, 6), "\"ab\"", "an escape is never split");
	is_str(esc("\xe2\x82\xac\xe2\x82\xac", 6, 7), "\"\xe2\x82\xac\"",
	    "nor a UTF-8 sequence");
	is_int(jsonesc(out, 2, "a", 1, &used), 0,
	    "no room for \"\": nothing written");
	is_int(jsonesc(out, 3, "a", 1, &used), 2, "room for \"\" only");

	jline_begin(&j, line, sizeof(line));
	jline_str(&j, "a", "x");
	jline_int(&j, "n", -42);
	jline_raw(&j, "ms", "1.500");
	jline_str(&j, "none", NULL);
	n = jline_end(&j);
	is_str(line, "{\"a\":\"x\",\"n\":-42,\"ms\":1.500}\n",
	    "members, a NULL string left out, the newline");
	is_int(n, strlen(line), "  the length returned");
	ok(!j.cut, "  nothing cut");

	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	jline_begin(&j, line, sizeof(line));
	jline_str(&j, "a", "x");
	jline_str(&j, "msg", big);
	jline_int(&j, "late", 1);
	n = jline_end(&j);
	ok(j.cut && n < sizeof(line) && line[n - 1] == '\n' &&
	    line[n] == '\0', "a long member is cut within the cap");
	line[n - 1] = '\0';
	ok(parses_as(line, json_type_object), "  and the line is JSON");

	jline_begin(&j, line, 8);
	jline_str(&j, "key", "value");
	jline_end(&j);
	is_str(line, "{}\n", "no room at all: an empty object");
	return done_testing();
}
