/*
 * cfg_value.c: the values of venna.conf.  Each option of cfg.c's tables
 * has a type (enum opt_type); this file turns the text of one option
 * into a value of that type, within the range its table gives, or
 * fails with a message that names the option.  The parsers of sizes and
 * durations are also cfg.h's, for the command lines that take them.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addrlist.h"
#include "cfg.h"
#include "cfg_int.h"
#include "log.h"

/*
 * Parse a size: digits with an optional k, m or g suffix (powers of
 * 1024).  Returns 1 and sets *out on success.
 */
int
cfg_parse_size(const char *s, size_t *out)
{
	char			*end;
	unsigned long long	 v, mul = 1;

	if (!isdigit((unsigned char)*s))
		return 0;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return 0;
	switch (tolower((unsigned char)*end)) {
	case '\0': break;
	case 'k': mul = 1ULL << 10; end++; break;
	case 'm': mul = 1ULL << 20; end++; break;
	case 'g': mul = 1ULL << 30; end++; break;
	default: return 0;
	}
	if (*end != '\0' || v > SIZE_MAX / mul)
		return 0;
	*out = (size_t)(v * mul);
	return 1;
}

/*
 * Parse a duration into milliseconds: digits with ms, s, m or h; a bare
 * number is seconds.  Returns 1 on success.
 */
int
cfg_parse_duration(const char *s, long *out)
{
	char			*end;
	unsigned long long	 v, mul;

	if (!isdigit((unsigned char)*s))
		return 0;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return 0;
	if (strcmp(end, "ms") == 0)
		mul = 1;
	else if (*end == '\0' || strcmp(end, "s") == 0)
		mul = 1000;
	else if (strcmp(end, "m") == 0)
		mul = 60 * 1000;
	else if (strcmp(end, "h") == 0)
		mul = 3600 * 1000;
	else
		return 0;
	if (v > LONG_MAX / mul)
		return 0;
	*out = (long)(v * mul);
	return 1;
}

/*
 * A price in dollars per million tokens, up to six decimals, to
 * picodollars per token: $X/1M tokens = X * 10^6 pUSD per token, which
 * is exact for six decimals.  Returns 1 on success.
 */
static int
parse_price(const char *s, int64_t *out)
{
	int64_t	 whole = 0, frac = 0;
	int	 nfrac = 0;

	if (!isdigit((unsigned char)*s))
		return 0;
	for (; isdigit((unsigned char)*s); s++) {
		if (whole > 1000000)
			return 0;
		whole = whole * 10 + (*s - '0');
	}
	if (*s == '.') {
		for (s++; isdigit((unsigned char)*s); s++) {
			if (++nfrac > 6)
				return 0;
			frac = frac * 10 + (*s - '0');
		}
		if (nfrac == 0)
			return 0;
	}
	if (*s != '\0')
		return 0;
	for (; nfrac < 6; nfrac++)
		frac *= 10;
	*out = whole * 1000000 + frac;
	return 1;
}

static int
parse_bool(const char *s, int *out)
{
	static const char *yes[] = { "yes", "true", "on", "1" };
	static const char *no[] = { "no", "false", "off", "0" };
	size_t	 i;

	for (i = 0; i < VN_NELEM(yes); i++) {
		if (strcmp(s, yes[i]) == 0) {
			*out = 1;
			return 1;
		}
		if (strcmp(s, no[i]) == 0) {
			*out = 0;
			return 1;
		}
	}
	return 0;
}

/*
 * Accept only http:// and https:// URLs with a host, no credentials, no
 * query, no fragment and no whitespace: the upstream URL is the one
 * thing that decides where a provider key is sent.
 */
static int
url_ok(const char *s)
{
	const char	*host, *p;

	if (strncmp(s, "http://", 7) == 0)
		host = s + 7;
	else if (strncmp(s, "https://", 8) == 0)
		host = s + 8;
	else
		return 0;
	if (*host == '\0' || *host == '/' || *host == ':')
		return 0;
	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '#' ||
		    *p == '?' || *p == '\\')
			return 0;
	p = strchr(host, '/');
	if (memchr(host, '@', p != NULL ? (size_t)(p - host) : strlen(host)))
		return 0;
	return 1;
}

static char *
make_path(struct parser *p, const char *v)
{
	char	*out;
	size_t	 n;

	if (v[0] == '/' || p->basedir == NULL)
		return strdup(v);
	n = strlen(p->basedir) + strlen(v) + 2;
	if ((out = malloc(n)) != NULL)
		snprintf(out, n, "%s/%s", p->basedir, v);
	return out;
}

/* Set one option from its text.  Returns 1 on success. */
int
cfg_set_opt(struct parser *p, const struct opt *o, const char *v)
{
	char		*base = p->section;
	char		**sp = (char **)(base + o->off);
	long		*lp = (long *)(base + o->off);
	long long	 ll;
	char		*end, why[128];
	size_t		 sz;
	long		 ms;
	int		 b;
	enum log_level	 lvl;
	enum log_format	 fmt;

	switch (o->type) {
	case OPT_STRING:
	case OPT_PATH:
	case OPT_URL:
	case OPT_BASEPATH:
	case OPT_ADDRS:
		if (o->type == OPT_ADDRS && !addrlist_check(v, why,
		    sizeof(why)))
			return cfg_fail(p, "%s: %s", o->name, why);
		if (o->type == OPT_URL && !url_ok(v))
			return cfg_fail(p, "%s: not an http:// or https:// URL "
			    "without credentials, query or fragment", o->name);
		if (o->type == OPT_BASEPATH && v[0] != '\0' &&
		    (v[0] != '/' || v[strlen(v) - 1] == '/' ||
		    strstr(v, "..") != NULL || strstr(v, "//") != NULL))
			return cfg_fail(p, "%s: must be empty or /prefix "
			    "without a trailing slash", o->name);
		if (o->type == OPT_PATH && v[0] == '\0')
			return cfg_fail(p, "%s: empty path", o->name);
		free(*sp);
		*sp = o->type == OPT_PATH ? make_path(p, v) : strdup(v);
		if (*sp == NULL)
			return cfg_fail(p, "out of memory");
		if (o->type == OPT_URL) {
			sz = strlen(*sp);
			while (sz > 0 && (*sp)[sz - 1] == '/')
				(*sp)[--sz] = '\0';
		}
		return 1;
	case OPT_INT:
	case OPT_COUNT:
		errno = 0;
		ll = strtoll(v, &end, 10);
		if (errno != 0 || end == v || *end != '\0' ||
		    ll < o->min || ll > o->max)
			return cfg_fail(p, "%s: expected an integer from %lld "
			    "to %lld", o->name, o->min, o->max);
		if (o->type == OPT_COUNT)
			*(int64_t *)(base + o->off) = ll;
		else
			*lp = (long)ll;
		return 1;
	case OPT_SHARE:
		/* A percentage is kept negative until the pool is known. */
		errno = 0;
		ll = strtoll(v, &end, 10);
		if (errno != 0 || end == v || ll < 0 || (*end == '%' ?
		    end[1] != '\0' || ll < 1 || ll > 100 :
		    *end != '\0' || ll > o->max))
			return cfg_fail(p, "%s: expected a count from 0 to "
			    "%lld or a percentage such as 50%%", o->name,
			    o->max);
		*lp = *end == '%' ? -(long)ll : (long)ll;
		return 1;
	case OPT_SIZE:
		if (!cfg_parse_size(v, &sz) || (long long)sz < o->min ||
		    (long long)sz > o->max)
			return cfg_fail(p, "%s: expected a size such as 16m "
			    "(from %lld to %lld bytes)", o->name, o->min,
			    o->max);
		*(size_t *)(base + o->off) = sz;
		return 1;
	case OPT_DURATION:
		if (!cfg_parse_duration(v, &ms) || ms < o->min ||
		    ms > o->max)
			return cfg_fail(p, "%s: expected a duration such as "
			    "30s or 500ms (from %lld to %lld ms)", o->name,
			    o->min, o->max);
		*lp = ms;
		return 1;
	case OPT_BOOL:
		if (!parse_bool(v, &b))
			return cfg_fail(p, "%s: expected yes or no", o->name);
		*(int *)(base + o->off) = b;
		return 1;
	case OPT_LOGLEVEL:
		if (!log_level_parse(v, &lvl))
			return cfg_fail(p, "%s: expected error, warn, info or "
			    "debug", o->name);
		*lp = (long)lvl;
		return 1;
	case OPT_LOGFORMAT:
		if (!log_format_parse(v, &fmt))
			return cfg_fail(p, "%s: expected text or json", o->name);
		*lp = (long)fmt;
		return 1;
	case OPT_SYNC:
		if (strcmp(v, "full") == 0)
			*(int *)(base + o->off) = 1;
		else if (strcmp(v, "normal") == 0)
			*(int *)(base + o->off) = 0;
		else
			return cfg_fail(p, "%s: expected full or normal",
			    o->name);
		return 1;
	case OPT_UPTYPE:
		if (strcmp(v, "openai") == 0)
			*(enum upstream_type *)(base + o->off) =
			    UPSTREAM_OPENAI;
		else if (strcmp(v, "echo") == 0)
			*(enum upstream_type *)(base + o->off) = UPSTREAM_ECHO;
		else
			return cfg_fail(p, "%s: expected openai or echo",
			    o->name);
		return 1;
	case OPT_FACTOR: {
		int64_t	 micro;

		/* A price in a different guise: six decimals, kept as %. */
		if (!parse_price(v, &micro) || micro % 10000 != 0 ||
		    micro / 10000 > o->max)
			return cfg_fail(p, "%s: expected a factor from 0 to "
			    "%lld with at most two decimals, such as 0.5",
			    o->name, o->max / 100);
		*lp = (long)(micro / 10000);
		return 1;
	}
	case OPT_PRICE:
		if (!parse_price(v, (int64_t *)(base + o->off)))
			return cfg_fail(p, "%s: expected dollars per million "
			    "tokens, such as 0.15 (at most six decimals)",
			    o->name);
		return 1;
	case OPT_ROUTES: {
		struct pending	*np;

		np = realloc(p->pending, (p->npending + 1) * sizeof(*np));
		if (np == NULL)
			return cfg_fail(p, "out of memory");
		p->pending = np;
		np[p->npending].model = p->cfg->nmodels - 1;
		np[p->npending].line = p->line;
		if ((np[p->npending].text = strdup(v)) == NULL)
			return cfg_fail(p, "out of memory");
		p->npending++;
		return 1;
	}
	}
	return cfg_fail(p, "internal: unknown option type");
}
