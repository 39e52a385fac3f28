/*
 * fuzz_path.c: what a request path goes through before a handler sees
 * it (src/request.c req_path_ok, pct_decode, query_get; src/router.c
 * router_find).
 *
 * Each function's verdict must be the one its rules give, computed here
 * independently, in both directions, and what it accepts must have the
 * promised shape: an accepted path is absolute, within VN_MAX_PATH, with
 * no empty, "." or ".." segment and no control byte, space or
 * backslash; a decoded value holds no NUL or control byte, fits its
 * buffer and encodes back to what decodes the same; a route found
 * matches its pattern segment by segment, each parameter one non-empty
 * segment of the path.  The length-bounded functions read an exact-size
 * copy without a terminator, so a read past the input is an ASan
 * report.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "url.h"
#include "router.h"
#include "must.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *const methods[] = { "GET", "POST", "DELETE", "PUT" };

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The path rule of req_path_ok, segment by segment. */
static int
path_rule(const unsigned char *p, size_t n)
{
	size_t	 i, s, e;

	if (n == 0 || n > VN_MAX_PATH || p[0] != '/')
		return 0;
	for (i = 0; i < n; i++)
		if (p[i] <= 0x20 || p[i] == 0x7f || p[i] == '\\')
			return 0;
	for (s = 1; s <= n; s = e + 1) {
		for (e = s; e < n && p[e] != '/'; e++)
			continue;
		if (e == s || (e - s == 1 && p[s] == '.') ||
		    (e - s == 2 && p[s] == '.' && p[s + 1] == '.'))
			return 0;
	}
	return 1;
}

/*
 * Percent-decoding as pct_decode promises: %XX (either case) is a
 * byte, anything else itself; no byte below 0x20 nor 0x7f in the
 * result.  Returns the decoded length, or -1.
 */
static long
decode_rule(const unsigned char *s, size_t n, unsigned char *out)
{
	size_t	 i, o = 0;
	int	 c;

	for (i = 0; i < n; i++) {
		c = s[i];
		if (c == '%') {
			if (n - i < 3 || hexval(s[i + 1]) < 0 ||
			    hexval(s[i + 2]) < 0)
				return -1;
			c = hexval(s[i + 1]) * 16 + hexval(s[i + 2]);
			i += 2;
		}
		if (c < 0x20 || c == 0x7f)
			return -1;
		out[o++] = (unsigned char)c;
	}
	return (long)o;
}

/* pct_decode into an exact-size buffer of outsz bytes. */
static void
check_decode(const unsigned char *s, size_t n, size_t outsz)
{
	unsigned char	*want;
	char		*out, *enc, *back;
	long		 wl;
	size_t		 i;
	int		 got;

	if ((want = malloc(n + 1)) == NULL || (out = malloc(outsz)) == NULL) {
		free(want);
		return;
	}
	wl = decode_rule(s, n, want);
	got = url_pct_decode((const char *)s, n, out, outsz);
	MUST(got == (wl >= 0 && (size_t)wl < outsz));
	if (got) {
		MUST(strlen(out) == (size_t)wl &&
		    memcmp(out, want, (size_t)wl) == 0);
		for (i = 0; i < (size_t)wl; i++)
			MUST((unsigned char)out[i] >= 0x20 && out[i] != 0x7f);
		/* Every byte escaped decodes back to the same bytes. */
		if ((enc = malloc(3 * (size_t)wl + 1)) != NULL &&
		    (back = malloc((size_t)wl + 1)) != NULL) {
			for (i = 0; i < (size_t)wl; i++)
				snprintf(enc + 3 * i, 4, "%%%02X",
				    (unsigned char)out[i]);
			MUST(url_pct_decode(enc, 3 * (size_t)wl, back,
			    (size_t)wl + 1) && strcmp(back, out) == 0);
			free(back);
		}
		free(enc);
	}
	free(out);
	free(want);
}

/* url_query_get(q, name): the first "&"-separated name=value, decoded. */
static void
check_query(const char *q, const char *name)
{
	char		 out[CTX_MAX_PARAM + 1];
	unsigned char	 want[VN_MAX_PATH + VN_MAX_QUERY + 1];
	const char	*p, *amp;
	size_t		 nl = strlen(name), vl, i;
	long		 wl = -2;
	int		 got;

	for (p = q; wl == -2; p = amp + 1) {
		amp = strchr(p, '&');
		if (strncmp(p, name, nl) == 0 && p[nl] == '=') {
			vl = amp != NULL ? (size_t)(amp - p - nl - 1) :
			    strlen(p + nl + 1);
			wl = decode_rule((const unsigned char *)p + nl + 1, vl,
			    want);
			if (wl >= (long)sizeof(out))
				wl = -1;
		}
		if (amp == NULL)
			break;
	}
	got = url_query_get(q, name, out, sizeof(out));
	if (wl == -2) {
		MUST(got == 0);
		return;
	}
	MUST(got == (wl >= 0 ? 1 : -1));
	if (got != 1)
		return;
	for (i = 0; i < (size_t)wl; i++)
		if (want[i] == '+')
			want[i] = ' ';
	MUST(strlen(out) == (size_t)wl && memcmp(out, want, (size_t)wl) == 0);
	MUST(strchr(out, '+') == NULL);
}

/*
 * Whether path matches pattern: as many segments, each literal equal,
 * each "*" one non-empty segment, recorded in param/paramlen.
 */
static int
match_rule(const char *pat, const char *path, const char **param,
    size_t *paramlen, size_t *np)
{
	const char	*pe, *se;
	size_t		 pl, sl;

	*np = 0;
	while (*pat == '/' && *path == '/') {
		pat++;
		path++;
		pl = (pe = strchr(pat, '/')) != NULL ? (size_t)(pe - pat) :
		    strlen(pat);
		sl = (se = strchr(path, '/')) != NULL ? (size_t)(se - path) :
		    strlen(path);
		if (sl == 0)
			return 0;
		if (pl == 1 && *pat == '*') {
			if (*np == ROUTE_MAX_PARAMS)
				return 0;
			param[*np] = path;
			paramlen[(*np)++] = sl;
		} else if (pl != sl || memcmp(pat, path, sl) != 0)
			return 0;
		pat += pl;
		path += sl;
	}
	return *pat == '\0' && *path == '\0';
}

static int
listed(const char *allow, const char *method)
{
	size_t	 n = strlen(method);
	const char *p;

	for (p = allow; (p = strstr(p, method)) != NULL; p += n)
		if ((p == allow || p[-1] == ' ') &&
		    (p[n] == ',' || p[n] == '\0'))
			return 1;
	return 0;
}

static void
check_route(const char *path, const char *method)
{
	struct route_match	 m;
	const struct route	*r, *served = NULL;
	const struct openai_path *o;
	const char		*param[ROUTE_MAX_PARAMS];
	size_t			 paramlen[ROUTE_MAX_PARAMS], np, i;
	int			 documented = 0, other = 0;
	enum route_result	 rr;

	for (r = router_routes; r->method != NULL; r++)
		if (match_rule(r->pattern, path, param, paramlen, &np)) {
			if (strcmp(r->method, method) != 0)
				other = 1;
			else if (served == NULL)
				served = r;
		}
	for (o = openai_paths; o->method != NULL; o++)
		if (match_rule(o->pattern, path, param, paramlen, &np)) {
			if (strcmp(o->method, method) == 0)
				documented = 1;
			else
				other = 1;
		}

	rr = router_find(method, path, &m);
	if (served != NULL) {
		MUST(rr == ROUTE_FOUND && m.route == served);
		MUST(match_rule(served->pattern, path, param, paramlen, &np));
		MUST(m.nparams == np);
		for (i = 0; i < np; i++) {
			MUST(m.param[i] == param[i] &&
			    m.paramlen[i] == paramlen[i]);
			MUST(m.paramlen[i] > 0 &&
			    memchr(m.param[i], '/', m.paramlen[i]) == NULL);
		}
	} else if (documented)
		MUST(rr == ROUTE_UNIMPL);
	else if (other) {
		MUST(rr == ROUTE_NOMETHOD);
		MUST(m.allow[0] != '\0' && !listed(m.allow, method));
	} else
		MUST(rr == ROUTE_NOPATH);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char	*x;
	char		*s;
	size_t		 i;

	if (size > VN_MAX_PATH + VN_MAX_QUERY)
		return 0;
	if ((x = malloc(size > 0 ? size : 1)) == NULL)
		return 0;
	memcpy(x, data, size);
	if ((s = malloc(size + 1)) == NULL) {
		free(x);
		return 0;
	}
	memcpy(s, data, size);
	s[size] = '\0';

	MUST(url_path_ok((const char *)x, size) == path_rule(x, size));
	check_decode(x, size, CTX_MAX_PARAM + 1);
	check_decode(x, size, 1 + size % 16);
	check_query(s, "limit");
	check_query(s, "after");
	if (url_path_ok(s, strlen(s)))
		for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
			check_route(s, methods[i]);
	free(s);
	free(x);
	return 0;
}
