/*
 * jsonesc.c: JSON strings out of arbitrary bytes, into fixed buffers.
 * The log writes one line per write(2) from a buffer on the stack, so
 * nothing here allocates; and a log line built from what a client sent
 * must still parse, so every byte that is not part of valid UTF-8
 * becomes U+FFFD, control characters (and DEL) are escaped, and a
 * string cut to fit is cut between characters, never inside an escape
 * or a UTF-8 sequence.  Valid UTF-8 passes through as it is: what a
 * JSON parser reads back is what went in.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "jsonesc.h"

/* Room jline_end needs: "}\n" and the NUL. */
#define JLINE_TAIL	3

/*
 * The length of the valid UTF-8 sequence at s (n bytes available), or
 * 0 if s does not start one: overlong forms, surrogates and code points
 * past U+10FFFF are not valid (RFC 3629).
 */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	unsigned char	 lo = 0x80, hi = 0xbf;
	size_t		 need, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;
		else if (s[0] == 0xed)
			hi = 0x9f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 4;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < need || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < need; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return need;
}

/*
 * Write src (len bytes, NULs allowed) as a JSON string literal, quotes
 * included, into dst (dstsz bytes with the terminating NUL).  If it
 * does not fit, as much as fits is written, up to a character, and the
 * literal is closed all the same.  Sets *used (if not NULL) to the
 * bytes of src written, which is len when it all fit.  Returns the
 * length of the literal, or 0 if dstsz cannot hold even "".
 */
size_t
jsonesc(char *dst, size_t dstsz, const char *src, size_t len, size_t *used)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)src;
	char		 esc[8];
	const char	*out;
	size_t		 i = 0, o = 1, n, take;

	if (used != NULL)
		*used = 0;
	if (dstsz < 3)
		return 0;
	dst[0] = '"';
	while (i < len) {
		take = 1;
		out = esc;
		switch (s[i]) {
		case '"':  n = 2; memcpy(esc, "\\\"", 2); break;
		case '\\': n = 2; memcpy(esc, "\\\\", 2); break;
		case '\n': n = 2; memcpy(esc, "\\n", 2); break;
		case '\r': n = 2; memcpy(esc, "\\r", 2); break;
		case '\t': n = 2; memcpy(esc, "\\t", 2); break;
		default:
			if (s[i] < 0x20 || s[i] == 0x7f) {
				n = 6;
				memcpy(esc, "\\u00", 4);
				esc[4] = hex[s[i] >> 4];
				esc[5] = hex[s[i] & 0xf];
			} else if ((take = utf8_len(s + i, len - i)) == 0) {
				take = 1;
				n = 6;
				memcpy(esc, "\\ufffd", 6);
			} else {
				n = take;
				out = (const char *)s + i;
			}
			break;
		}
		/* Keep room for the closing quote and the NUL. */
		if (o + n + 2 > dstsz)
			break;
		memcpy(dst + o, out, n);
		o += n;
		i += take;
	}
	dst[o++] = '"';
	dst[o] = '\0';
	if (used != NULL)
		*used = i;
	return o;
}

/* Start an object in buf (cap bytes, at least 8). */
void
jline_begin(struct jline *j, char *buf, size_t cap)
{
	j->buf = buf;
	j->cap = cap;
	j->len = 1;
	j->members = 0;
	j->cut = 0;
	buf[0] = '{';
	buf[1] = '\0';
}

/*
 * Write `,"key":` and return the room left for the value, or 0 (with
 * nothing written) if there is none.  Keys are the program's own.
 */
static size_t
member(struct jline *j, const char *key)
{
	size_t	 room = j->cap - JLINE_TAIL - j->len;
	int	 n;

	n = snprintf(j->buf + j->len, room + 1, "%s\"%s\":",
	    j->members > 0 ? "," : "", key);
	if (n < 0 || (size_t)n >= room) {
		j->buf[j->len] = '\0';
		j->cut = 1;
		return 0;
	}
	return room - (size_t)n;
}

/* A member whose value is text (len bytes); cut to fit if need be. */
void
jline_strn(struct jline *j, const char *key, const char *val, size_t len)
{
	size_t	 start = j->len, room, n, w, used;

	if ((room = member(j, key)) == 0)
		return;
	n = strlen(j->buf + start);
	if ((w = jsonesc(j->buf + start + n, room + 1, val, len, &used)) ==
	    0) {
		j->buf[start] = '\0';
		j->cut = 1;
		return;
	}
	if (used < len)
		j->cut = 1;
	j->len = start + n + w;
	j->members++;
}

/* A member whose value is a string; NULL leaves the member out. */
void
jline_str(struct jline *j, const char *key, const char *val)
{
	if (val != NULL)
		jline_strn(j, key, val, strlen(val));
}

/* A member whose value is already JSON (a number, true, null). */
void
jline_raw(struct jline *j, const char *key, const char *json)
{
	size_t	 start = j->len, room, n;

	if ((room = member(j, key)) == 0)
		return;
	n = strlen(j->buf + start);
	if (strlen(json) > room) {
		j->buf[start] = '\0';
		j->cut = 1;
		return;
	}
	memcpy(j->buf + start + n, json, strlen(json) + 1);
	j->len = start + n + strlen(json);
	j->members++;
}

void
jline_int(struct jline *j, const char *key, long long v)
{
	char	 num[24];

	snprintf(num, sizeof(num), "%lld", v);
	jline_raw(j, key, num);
}

/* Close the object and end the line.  Returns its length. */
size_t
jline_end(struct jline *j)
{
	memcpy(j->buf + j->len, "}\n", 3);
	j->len += 2;
	return j->len;
}
