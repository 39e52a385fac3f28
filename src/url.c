/*
 * url.c: request paths, percent-encoding and query strings (url.h).
 */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include "url.h"

/*
 * Check a path's shape: absolute, no empty, "." or ".." segment, no
 * control characters or spaces, no backslash.  Pure.  Returns 1 if fine.
 */
int
url_path_ok(const char *p, size_t n)
{
	size_t	 i, seg = 0;

	if (n == 0 || p[0] != '/' || n > VN_MAX_PATH)
		return 0;
	for (i = 1; i <= n; i++) {
		if (i == n || p[i] == '/') {
			size_t len = i - seg - 1;
			const char *s = p + seg + 1;

			if (len == 0)
				return 0;
			if ((len == 1 && s[0] == '.') ||
			    (len == 2 && s[0] == '.' && s[1] == '.'))
				return 0;
			seg = i;
			continue;
		}
		if ((unsigned char)p[i] <= 0x20 || p[i] == 0x7f ||
		    p[i] == '\\')
			return 0;
	}
	return 1;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Percent-decode n bytes of s into out (NUL-terminated); '+' is kept as
 * is.  Fails (returns 0) on a bad escape, on a decoded NUL or control
 * character, or if out is too small.  Pure.
 */
int
url_pct_decode(const char *s, size_t n, char *out, size_t outsz)
{
	size_t	 i, o = 0;
	int	 hi, lo;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '%') {
			if (i + 2 >= n)
				return 0;
			if ((hi = hexval(s[i + 1])) < 0 ||
			    (lo = hexval(s[i + 2])) < 0)
				return 0;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		}
		if (c < 0x20 || c == 0x7f)
			return 0;
		if (o + 1 >= outsz)
			return 0;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 1;
}

/*
 * Find name=value in a query string and decode the value into out
 * ('+' means space here, as HTML forms and the SDKs encode it).
 * Returns 1 if found and decoded, 0 if absent, -1 if malformed.
 */
int
url_query_get(const char *q, const char *name, char *out, size_t outsz)
{
	size_t	 nlen = strlen(name), vlen, i;
	const char *p, *amp, *v;

	for (p = q; p != NULL && *p != '\0'; p = amp != NULL ? amp + 1 : NULL) {
		amp = strchr(p, '&');
		if (strncmp(p, name, nlen) != 0 || p[nlen] != '=')
			continue;
		v = p + nlen + 1;
		vlen = amp != NULL ? (size_t)(amp - v) : strlen(v);
		if (!url_pct_decode(v, vlen, out, outsz))
			return -1;
		for (i = 0; out[i] != '\0'; i++)
			if (out[i] == '+')
				out[i] = ' ';
		return 1;
	}
	return 0;
}
