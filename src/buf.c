/*
 * buf.c: bounded byte buffers (curl's dynbuf is the model).  An append
 * that would exceed the buffer's maximum, or an allocation failure, frees
 * the buffer and returns an error: the caller never sees a buffer holding
 * part of what it asked for.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

#define BUF_MIN_ALLOC	64

/*
 * Make an empty buffer that may hold at most "max" bytes.  Nothing is
 * allocated until the first append.
 */
void
buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

/* Release the storage; the buffer is empty and reusable afterwards. */
void
buf_free(struct buf *b)
{
	if (b == NULL)
		return;
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

/* Forget the contents but keep the storage for reuse. */
void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

/*
 * Append n bytes.  Returns VN_ETOOBIG when the result would exceed the
 * maximum and VN_ENOMEM when allocation fails; in both cases the buffer
 * has been freed.
 */
enum vn_err
buf_add(struct buf *b, const void *p, size_t n)
{
	size_t	 need, ncap;
	char	*nd;

	if (n > b->max || b->len > b->max - n) {
		buf_free(b);
		return VN_ETOOBIG;
	}
	need = b->len + n + 1;
	if (need > b->cap) {
		ncap = b->cap < BUF_MIN_ALLOC ? BUF_MIN_ALLOC : b->cap;
		while (ncap < need)
			ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
		if (ncap > b->max + 1)
			ncap = b->max + 1;
		if ((nd = realloc(b->data, ncap)) == NULL) {
			buf_free(b);
			return VN_ENOMEM;
		}
		b->data = nd;
		b->cap = ncap;
	}
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return VN_OK;
}

enum vn_err
buf_addstr(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

enum vn_err
buf_addc(struct buf *b, char c)
{
	return buf_add(b, &c, 1);
}

/* Append printf-style output; the same failure rules as buf_add(). */
enum vn_err
buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list	 ap;
	char	 small[256];
	char	*big = NULL;
	int	 n;
	enum vn_err rc;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		buf_free(b);
		return VN_EINVAL;
	}
	if ((size_t)n < sizeof(small))
		return buf_add(b, small, (size_t)n);
	if ((size_t)n > b->max) {
		buf_free(b);
		return VN_ETOOBIG;
	}
	if ((big = malloc((size_t)n + 1)) == NULL) {
		buf_free(b);
		return VN_ENOMEM;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	rc = buf_add(b, big, (size_t)n);
	free(big);
	return rc;
}

/*
 * Append s (n bytes) as a JSON string literal, quotes included.  Control
 * characters are escaped; bytes >= 0x80 are copied as they are, so the
 * input must already be valid UTF-8 if the output is to be.
 */
enum vn_err
buf_add_json_string(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t		 i, run;
	char		 esc[6];
	enum vn_err	 rc;

	if ((rc = buf_addc(b, '"')) != VN_OK)
		return rc;
	for (i = 0; i < n; ) {
		for (run = i; run < n; run++) {
			unsigned char c = (unsigned char)s[run];
			if (c < 0x20 || c == '"' || c == '\\')
				break;
		}
		if (run > i && (rc = buf_add(b, s + i, run - i)) != VN_OK)
			return rc;
		if ((i = run) == n)
			break;
		switch (s[i]) {
		case '"':  rc = buf_add(b, "\\\"", 2); break;
		case '\\': rc = buf_add(b, "\\\\", 2); break;
		case '\n': rc = buf_add(b, "\\n", 2); break;
		case '\r': rc = buf_add(b, "\\r", 2); break;
		case '\t': rc = buf_add(b, "\\t", 2); break;
		default:
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[((unsigned char)s[i] >> 4) & 0xf];
			esc[5] = hex[(unsigned char)s[i] & 0xf];
			rc = buf_add(b, esc, 6);
			break;
		}
		if (rc != VN_OK)
			return rc;
		i++;
	}
	return buf_addc(b, '"');
}

/* The contents as a C string; "" for a buffer that holds nothing. */
const char *
buf_cstr(const struct buf *b)
{
	return b->data != NULL ? b->data : "";
}

/*
 * Hand the storage to the caller, who frees it with free(3).  Returns
 * NULL for an empty, never-allocated buffer.  The buffer is left empty.
 */
char *
buf_steal(struct buf *b)
{
	char	*p = b->data;

	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	return p;
}

/* Drop the first n bytes (parsers that consume from the front). */
void
buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		buf_reset(b);
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
	b->data[b->len] = '\0';
}

/*
 * The end of a list object (openai-api.md §1.4) after its data items:
 * `],"first_id":..,"last_id":..,"has_more":..`.  The OpenAPI document
 * requires both ids as strings, never null, so an empty page has "".
 * The caller closes the object, after any field of its own.
 */
enum vn_err
buf_add_list_end(struct buf *b, const char *first, const char *last, int more)
{
	enum vn_err	 rc;

	rc = buf_addstr(b, "],\"first_id\":");
	if (rc == VN_OK)
		rc = buf_add_json_string(b, first, strlen(first));
	if (rc == VN_OK)
		rc = buf_addstr(b, ",\"last_id\":");
	if (rc == VN_OK)
		rc = buf_add_json_string(b, last, strlen(last));
	if (rc == VN_OK)
		rc = buf_addf(b, ",\"has_more\":%s", more ? "true" : "false");
	return rc;
}
