/*
 * mock_buf.c: bounded byte buffers and JSON string escaping for the mock
 * upstream.  An append past a buffer's cap frees the buffer and fails,
 * so no caller is left holding half a message.  Allocation failure is
 * fatal: this is a test server, and dying loudly beats limping.
 */
#include "config.h"

#include <err.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

#include "mock.h"

/* Never returns NULL: allocation failure is fatal. */
void *
xrealloc(void *p, size_t n)
{
	if ((p = realloc(p, n == 0 ? 1 : n)) == NULL)
		err(1, "realloc");
	return p;
}

/* A NUL-terminated copy of s[0..n); never NULL. */
char *
xstrndup(const char *s, size_t n)
{
	char	*p;

	p = xrealloc(NULL, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* Release b's storage; b stays usable, empty, with the same max. */
void
sb_free(struct sbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

/*
 * Make room for n more bytes (and a NUL).  Past the cap the buffer is
 * freed and -1 returned, so a failed append never leaves half a message.
 */
int
sb_reserve(struct sbuf *b, size_t n)
{
	size_t	 ncap;

	if (n > b->max || b->len > b->max - n) {
		sb_free(b);
		return -1;
	}
	if (b->len + n + 1 <= b->cap)
		return 0;
	ncap = b->cap < 256 ? 256 : b->cap;
	while (ncap < b->len + n + 1)
		ncap *= 2;
	if (ncap > b->max + 1)
		ncap = b->max + 1;
	b->p = xrealloc(b->p, ncap);
	b->cap = ncap;
	return 0;
}

/* Append n bytes of p; -1 (b freed) past the cap. */
int
sb_add(struct sbuf *b, const void *p, size_t n)
{
	if (sb_reserve(b, n) == -1)
		return -1;
	if (n > 0)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

/* Append the string s; -1 (b freed) past the cap. */
int
sb_adds(struct sbuf *b, const char *s)
{
	return sb_add(b, s, strlen(s));
}

/* Append a json-c object in compact form. */
int
sb_addj(struct sbuf *b, json_object *o)
{
	return sb_adds(b, json_object_to_json_string_ext(o, JFLAGS));
}

/*
 * Append s[0..n) as a quoted JSON string.  The hot path of streaming:
 * rendering each delta through json-c objects would cost several
 * allocations per chunk, so this escapes directly (", \, controls).
 */
int
sb_jstr(struct sbuf *b, const char *s, size_t n)
{
	static const char	 hex[] = "0123456789abcdef";
	char			 e[8];
	size_t			 i, run;
	unsigned char		 ch;
	int			 rc = 0;

	rc |= sb_add(b, "\"", 1);
	for (i = 0; i < n; ) {
		run = i;
		while (i < n && (unsigned char)s[i] >= 0x20 && s[i] != '"' &&
		    s[i] != '\\')
			i++;
		rc |= sb_add(b, s + run, i - run);
		if (i == n)
			break;
		ch = (unsigned char)s[i++];
		e[0] = '\\';
		e[2] = '\0';
		switch (ch) {
		case '"': e[1] = '"'; break;
		case '\\': e[1] = '\\'; break;
		case '\n': e[1] = 'n'; break;
		case '\r': e[1] = 'r'; break;
		case '\t': e[1] = 't'; break;
		default:
			memcpy(e + 1, "u00", 3);
			e[4] = hex[ch >> 4];
			e[5] = hex[ch & 15];
			e[6] = '\0';
			break;
		}
		rc |= sb_adds(b, e);
	}
	rc |= sb_add(b, "\"", 1);
	return rc ? -1 : 0;
}
