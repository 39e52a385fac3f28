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

/*
 * The host and port an http:// or https:// URL (an upstream's base_url)
 * connects to, for a reachability probe: the port is the URL's or the
 * scheme's (80, 443); an IPv6 literal comes back without its brackets;
 * user information, never allowed by venna.conf, is skipped all the
 * same.  Pure.  Returns 1, or 0 for another scheme, an empty host, a
 * port that is not 1-65535, or a result that does not fit.
 */
int
url_host_port(const char *url, char *host, size_t hostsz, char *port,
    size_t portsz)
{
	const char	*h, *end, *p, *hs, *ps = NULL, *defport;
	size_t		 hn, pn = 0, i;
	long		 v = 0;

	if (strncmp(url, "http://", 7) == 0) {
		h = url + 7;
		defport = "80";
	} else if (strncmp(url, "https://", 8) == 0) {
		h = url + 8;
		defport = "443";
	} else
		return 0;
	end = h + strcspn(h, "/?#");
	for (p = h; p < end; p++)
		if (*p == '@')
			h = p + 1;
	if (h < end && *h == '[') {
		if ((p = memchr(h, ']', (size_t)(end - h))) == NULL)
			return 0;
		hs = h + 1;
		hn = (size_t)(p - hs);
		if (++p < end && *p != ':')
			return 0;
	} else {
		hs = h;
		p = memchr(h, ':', (size_t)(end - h));
		hn = (size_t)((p != NULL ? p : end) - h);
	}
	if (p != NULL && p < end) {
		ps = p + 1;
		pn = (size_t)(end - ps);
	}
	if (hn == 0 || hn >= hostsz)
		return 0;
	/* "host:" is the scheme's port (RFC 3986, 3.2.3). */
	if (pn == 0) {
		ps = defport;
		pn = strlen(defport);
	}
	for (i = 0; i < pn; i++) {
		if (!isdigit((unsigned char)ps[i]) || i >= 5)
			return 0;
		v = v * 10 + (ps[i] - '0');
	}
	if (v < 1 || v > 65535 || pn >= portsz)
		return 0;
	memcpy(host, hs, hn);
	host[hn] = '\0';
	memcpy(port, ps, pn);
	port[pn] = '\0';
	return 1;
}
