/*
 * buf_test.c: the bounded buffer: appends, the cap, free-on-failure,
 * JSON string escaping.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "../tap.h"

int
main(void)
{
	struct buf	 b;
	char		*s;
	size_t		 i;

	buf_init(&b, 8);
	is_str(buf_cstr(&b), "", "empty buffer reads as \"\"");
	is_int(buf_addstr(&b, "abcd"), VN_OK, "append within the cap");
	is_int(buf_add(&b, "efgh", 4), VN_OK, "append up to the cap exactly");
	is_str(buf_cstr(&b), "abcdefgh", "contents and terminator");
	is_int(buf_addc(&b, 'x'), VN_ETOOBIG, "one byte over the cap fails");
	ok(b.data == NULL && b.len == 0, "a failed append frees the buffer");
	is_int(buf_addf(&b, "%d-%s", 42, "ok"), VN_OK, "usable after failure");
	is_str(buf_cstr(&b), "42-ok", "printf-style append");
	buf_consume(&b, 3);
	is_str(buf_cstr(&b), "ok", "consume drops the front");
	buf_free(&b);

	buf_init(&b, 299);
	is_int(buf_addf(&b, "%0300d", 1), VN_ETOOBIG,
	    "a long printf over the cap fails");
	buf_init(&b, 1000);
	is_int(buf_addf(&b, "%0300d", 1), VN_OK, "a long printf within it");
	is_int(b.len, 300, "all 300 bytes appended");
	buf_free(&b);

	buf_init(&b, 1 << 20);
	for (i = 0; i < 10000; i++)
		if (buf_add(&b, "0123456789", 10) != VN_OK)
			break;
	is_int(b.len, 100000, "many appends grow the buffer");
	s = buf_steal(&b);
	ok(s != NULL && b.data == NULL && strlen(s) == 100000,
	    "steal hands over the storage");
	free(s);

	buf_init(&b, 100);
	is_int(buf_add_json_string(&b, "a\"b\\c\n\x01\xc3\xa9", 9), VN_OK,
	    "JSON string escaping");
	is_str(buf_cstr(&b), "\"a\\\"b\\\\c\\n\\u0001\xc3\xa9\"",
	    "quotes, backslash, newline, control escaped; UTF-8 kept");
	buf_free(&b);
	ok(b.data == NULL && b.len == 0 && b.cap == 0 && b.max == 100,
	    "buf_free empties the buffer and keeps its cap");
	/* A double free here is what ASan would report. */
	buf_free(&b);
	ok(b.data == NULL && b.len == 0 && b.cap == 0,
	    "buf_free twice leaves it empty");
	is_int(buf_addstr(&b, "again"), VN_OK, "  and reusable");
	is_str(buf_cstr(&b), "again", "  with fresh contents");
	buf_free(&b);
	return done_testing();
}
