/*
 * cfg.c: venna.conf.  Each section has a table of options (name, type,
 * where the value goes, range, default); parsing, defaults and checks all
 * go through those tables, as redis does with its static_configs[].  An
 * unknown key, a bad value or a missing reference is an error that names
 * the file and line.  Defaults are written as text and parsed by the
 * same code as the file, so a default can never be a value the file
 * could not hold.
 *
 * The file may hold upstream keys (api_key), and api_key_file names
 * more: every buffer that held the file's text or a key file's bytes is
 * wiped with sodium_memzero() (a memset() before free() is dead code a
 * compiler may drop), so each key stays in memory once, in its
 * cfg_upstream, until cfg_free() wipes that too.
 */
#include "config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "cfg.h"
#include "log.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR	"/usr/local/etc"
#endif
#ifndef LOCALSTATEDIR
#define LOCALSTATEDIR	"/usr/local/var"
#endif

#define MAX_SECRET_FILE	4096

enum opt_type {
	OPT_STRING,	/* any text */
	OPT_PATH,	/* a file name, relative to the config file */
	OPT_URL,	/* http(s)://host[:port][/path] */
	OPT_INT,	/* integer within [min, max] */
	OPT_SIZE,	/* bytes with optional k/m/g suffix */
	OPT_DURATION,	/* ms/s/m/h suffix; a bare number is seconds */
	OPT_BOOL,	/* yes/no/true/false/on/off/1/0 */
	OPT_LOGLEVEL,	/* error/warn/info/debug */
	OPT_SYNC,	/* full/normal */
	OPT_UPTYPE,	/* openai/echo */
	OPT_ROUTES,	/* upstream list of a model */
	OPT_PRICE,	/* dollars per million tokens */
	OPT_FACTOR,	/* 0 to 10 with two decimals, kept in percent */
	OPT_BASEPATH,	/* "" or "/prefix" */
	OPT_COUNT,	/* int64_t within [min, max]; 0 is often "none" */
	OPT_SHARE	/* a count, or a percentage of the pool ("50%") */
};

struct opt {
	const char	*name;
	enum opt_type	 type;
	size_t		 off;
	long long	 min, max;
	const char	*def;	/* default as text; NULL: none */
};

#define SRV(f)	offsetof(struct cfg, f)
#define UPS(f)	offsetof(struct cfg_upstream, f)
#define MDL(f)	offsetof(struct cfg_model, f)
#define LL	LLONG_MAX

static const struct opt server_opts[] = {
	{ "listen", OPT_STRING, SRV(listen), 0, 0, NULL },
	{ "user", OPT_STRING, SRV(user), 0, 0, NULL },
	{ "database", OPT_PATH, SRV(database), 0, 0,
	    LOCALSTATEDIR "/lib/venna/venna.db" },
	{ "data_dir", OPT_PATH, SRV(data_dir), 0, 0, NULL },
	{ "pepper_file", OPT_PATH, SRV(pepper_file), 0, 0, NULL },
	{ "base_path", OPT_BASEPATH, SRV(base_path), 0, 0, "" },
	{ "max_body", OPT_SIZE, SRV(max_body), 1024, 1LL << 31, "16m" },
	{ "max_json_depth", OPT_INT, SRV(max_json_depth), 4, 1000, "64" },
	{ "max_json_memory", OPT_SIZE, SRV(max_json_memory), 65536,
	    1LL << 32, "32m" },
	{ "request_memory", OPT_SIZE, SRV(request_memory), 1LL << 20,
	    1LL << 40, "256m" },
	{ "max_context", OPT_SIZE, SRV(max_context), 4096, 1LL << 32, "8m" },
	{ "max_upload", OPT_SIZE, SRV(max_upload), 1024, 1LL << 40, "512m" },
	{ "max_batch_upload", OPT_SIZE, SRV(max_batch_upload), 1024,
	    1LL << 40, "200m" },
	{ "files_accel", OPT_BASEPATH, SRV(files_accel), 0, 0, "" },
	{ "log_level", OPT_LOGLEVEL, SRV(log_level), 0, 0, "info" },
	{ "log_syslog", OPT_BOOL, SRV(log_syslog), 0, 0, "no" },
	{ "workers", OPT_INT, SRV(workers), 1, 256, "2" },
	{ "threads", OPT_INT, SRV(threads), 1, 4096, "64" },
	{ "max_requests", OPT_INT, SRV(max_requests), 0, LL, "100000" },
	{ "drain_timeout", OPT_DURATION, SRV(drain_timeout_ms), 0,
	    86400000, "600s" },
	{ "busy_timeout", OPT_DURATION, SRV(busy_timeout_ms), 100,
	    600000, "10s" },
	{ "synchronous", OPT_SYNC, SRV(synchronous_full), 0, 0, "normal" },
	{ "db_connections", OPT_INT, SRV(db_connections), 1, 256, "4" },
	{ "stream_keepalive", OPT_DURATION, SRV(stream_keepalive_ms), 0,
	    3600000, "15s" },
	{ "batch_time_budget", OPT_DURATION, SRV(batch_time_budget_ms), 1000,
	    86400000, "50s" },
	{ "batch_concurrency", OPT_INT, SRV(batch_concurrency), 1, 1024,
	    "32" },
	{ "batch_price_factor", OPT_FACTOR, SRV(batch_price_pct), 0, 1000,
	    "0.5" },
	{ "max_upstream_response", OPT_SIZE, SRV(max_upstream_response), 4096,
	    1LL << 32, "64m" },
	{ "background_threads", OPT_INT, SRV(background_threads), 1, 1024,
	    "16" },
	{ "admin_api", OPT_BOOL, SRV(admin_api), 0, 0, "off" },
	/* Half the pool by default: one workspace never holds it all. */
	{ "max_concurrent", OPT_SHARE, SRV(max_concurrent), 0, 1000000,
	    "50%" },
	{ "alert_command", OPT_PATH, SRV(alert_command), 0, 0, NULL },
	{ "upload_min_rate", OPT_SIZE, SRV(upload_min_rate), 0, 1LL << 30,
	    "4k" },
	{ "upload_timeout", OPT_DURATION, SRV(upload_timeout_ms), 1000,
	    86400000, "30m" },
	{ NULL, 0, 0, 0, 0, NULL }
};

static const struct opt upstream_opts[] = {
	{ "type", OPT_UPTYPE, UPS(type), 0, 0, "openai" },
	{ "base_url", OPT_URL, UPS(base_url), 0, 0, NULL },
	{ "api_key", OPT_STRING, UPS(api_key), 0, 0, NULL },
	{ "api_key_file", OPT_PATH, UPS(api_key_file), 0, 0, NULL },
	{ "connect_timeout", OPT_DURATION, UPS(connect_timeout_ms), 1,
	    600000, "5s" },
	{ "first_byte_timeout", OPT_DURATION, UPS(first_byte_timeout_ms), 1,
	    86400000, "120s" },
	{ "idle_timeout", OPT_DURATION, UPS(idle_timeout_ms), 1,
	    86400000, "60s" },
	{ "total_timeout", OPT_DURATION, UPS(total_timeout_ms), 1,
	    86400000, "600s" },
	{ "max_retry_after", OPT_DURATION, UPS(max_retry_after_ms), 0,
	    600000, "10s" },
	{ NULL, 0, 0, 0, 0, NULL }
};

static const struct opt model_opts[] = {
	{ "upstream", OPT_ROUTES, 0, 0, 0, NULL },
	{ "upstream_model", OPT_STRING, MDL(upstream_model), 0, 0, NULL },
	{ "input_price", OPT_PRICE, MDL(input_price), 0, 0, "0" },
	{ "output_price", OPT_PRICE, MDL(output_price), 0, 0, "0" },
	{ "cached_input_price", OPT_PRICE, MDL(cached_input_price), 0, 0,
	    NULL },
	{ "batch_concurrency", OPT_INT, MDL(batch_concurrency), 0, 1024,
	    "0" },
	{ "owned_by", OPT_STRING, MDL(owned_by), 0, 0, "venna" },
	{ "created", OPT_INT, MDL(created), 0, 4102444800LL, "1767225600" },
	{ "max_requests_per_1_minute", OPT_COUNT, MDL(limits.max[LIM_RPM]),
	    0, LL, "0" },
	{ "max_tokens_per_1_minute", OPT_COUNT, MDL(limits.max[LIM_TPM]),
	    0, LL, "0" },
	{ "max_requests_per_1_day", OPT_COUNT, MDL(limits.max[LIM_RPD]),
	    0, LL, "0" },
	{ "batch_1_day_max_input_tokens", OPT_COUNT,
	    MDL(limits.max[LIM_BATCH_TPD]), 0, LL, "0" },
	{ "reserve_output_tokens", OPT_COUNT, MDL(reserve_output_tokens), 1,
	    100000000, "4096" },
	{ NULL, 0, 0, 0, 0, NULL }
};

enum section_kind { SEC_NONE, SEC_SERVER, SEC_UPSTREAM, SEC_MODEL };

struct parser {
	struct cfg	*cfg;
	const char	*fname;
	const char	*basedir;	/* for relative paths; NULL: as given */
	int		 read_files;
	int		 line;
	enum section_kind kind;
	void		*section;	/* struct cfg, cfg_upstream, cfg_model */
	const struct opt *opts;
	unsigned char	 seen[32];	/* which options this section set */
	char		*err;
	size_t		 errsz;
	/* model routes are resolved once every upstream is known */
	struct pending {
		size_t	 model;
		int	 line;
		char	*text;
	}		*pending;
	size_t		 npending;
};

static int	cfg_fail(struct parser *, const char *, ...) VN_PRINTF(2, 3);

static int
cfg_fail(struct parser *p, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	n = snprintf(p->err, p->errsz, "%s:%d: ", p->fname, p->line);
	if (n < 0 || (size_t)n >= p->errsz)
		return 0;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errsz - (size_t)n, fmt, ap);
	va_end(ap);
	return 0;
}

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
static int
cfg_set_opt(struct parser *p, const struct opt *o, const char *v)
{
	char		*base = p->section;
	char		**sp = (char **)(base + o->off);
	long		*lp = (long *)(base + o->off);
	long long	 ll;
	char		*end;
	size_t		 sz;
	long		 ms;
	int		 b;
	enum log_level	 lvl;

	switch (o->type) {
	case OPT_STRING:
	case OPT_PATH:
	case OPT_URL:
	case OPT_BASEPATH:
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
		errno = 0;
		ll = strtoll(v, &end, 10);
		if (errno != 0 || end == v || *end != '\0' ||
		    ll < o->min || ll > o->max)
			return cfg_fail(p, "%s: expected an integer from %lld "
			    "to %lld", o->name, o->min, o->max);
		*lp = (long)ll;
		return 1;
	case OPT_COUNT:
		errno = 0;
		ll = strtoll(v, &end, 10);
		if (errno != 0 || end == v || *end != '\0' ||
		    ll < o->min || ll > o->max)
			return cfg_fail(p, "%s: expected an integer from %lld "
			    "to %lld", o->name, o->min, o->max);
		*(int64_t *)(base + o->off) = ll;
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

/* Apply the defaults of every option the section did not set. */
static int
finish_section(struct parser *p)
{
	const struct opt	*o;
	size_t			 i;

	if (p->kind == SEC_NONE)
		return 1;
	for (i = 0, o = p->opts; o->name != NULL; o++, i++)
		if (!(p->seen[i / 8] & (1 << (i % 8))) && o->def != NULL &&
		    !cfg_set_opt(p, o, o->def))
			return 0;
	if (p->kind == SEC_UPSTREAM) {
		struct cfg_upstream *u = p->section;

		if (u->type == UPSTREAM_OPENAI && u->base_url == NULL)
			return cfg_fail(p, "[upstream %s] (line %d): base_url "
			    "is required for type openai", u->name, u->line);
		if (u->api_key != NULL && u->api_key_file != NULL)
			return cfg_fail(p, "[upstream %s] (line %d): api_key "
			    "and api_key_file exclude each other", u->name,
			    u->line);
	}
	p->kind = SEC_NONE;
	return 1;
}

static int
name_ok(const char *s)
{
	size_t	 n = strlen(s);

	if (n == 0 || n > CFG_MAX_NAME)
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr("-_.:/@+", *s) == NULL)
			return 0;
	return 1;
}

static struct cfg_upstream *
upstream_add(struct parser *p, const char *name)
{
	struct cfg		*c = p->cfg;
	struct cfg_upstream	*nu, *u;

	nu = realloc(c->upstreams, (c->nupstreams + 1) * sizeof(*nu));
	if (nu == NULL)
		return NULL;
	c->upstreams = nu;
	u = &nu[c->nupstreams];
	memset(u, 0, sizeof(*u));
	if ((u->name = strdup(name)) == NULL)
		return NULL;
	u->line = p->line;
	c->nupstreams++;
	return u;
}

/* Start a section from a header line "[kind name]" (brackets stripped). */
static int
begin_section(struct parser *p, char *hdr)
{
	struct cfg	*c = p->cfg;
	char		*kind, *name;
	size_t		 i;

	if (!finish_section(p))
		return 0;
	kind = hdr;
	name = strpbrk(hdr, " \t");
	if (name != NULL) {
		*name++ = '\0';
		while (*name == ' ' || *name == '\t')
			name++;
	}
	memset(p->seen, 0, sizeof(p->seen));
	if (strcmp(kind, "server") == 0) {
		if (name != NULL && *name != '\0')
			return cfg_fail(p, "[server] takes no name");
		p->kind = SEC_SERVER;
		p->section = c;
		p->opts = server_opts;
		return 1;
	}
	if (strcmp(kind, "upstream") != 0 && strcmp(kind, "model") != 0)
		return cfg_fail(p, "unknown section [%s]", kind);
	if (name == NULL || !name_ok(name))
		return cfg_fail(p, "[%s NAME]: the name must be 1 to %d "
		    "letters, digits or -_.:/@+", kind, CFG_MAX_NAME);
	if (c->nupstreams + c->nmodels >= CFG_MAX_SECTIONS)
		return cfg_fail(p, "too many sections (at most %d)",
		    CFG_MAX_SECTIONS);
	if (kind[0] == 'u') {
		for (i = 0; i < c->nupstreams; i++)
			if (strcmp(c->upstreams[i].name, name) == 0)
				return cfg_fail(p, "[upstream %s] is defined "
				    "twice (first at line %d)", name,
				    c->upstreams[i].line);
		if ((p->section = upstream_add(p, name)) == NULL)
			return cfg_fail(p, "out of memory");
		p->kind = SEC_UPSTREAM;
		p->opts = upstream_opts;
		return 1;
	} else {
		struct cfg_model *nm, *m;

		for (i = 0; i < c->nmodels; i++)
			if (strcmp(c->models[i].name, name) == 0)
				return cfg_fail(p, "[model %s] is defined "
				    "twice (first at line %d)", name,
				    c->models[i].line);
		nm = realloc(c->models, (c->nmodels + 1) * sizeof(*nm));
		if (nm == NULL)
			return cfg_fail(p, "out of memory");
		c->models = nm;
		m = &nm[c->nmodels];
		memset(m, 0, sizeof(*m));
		m->line = p->line;
		c->nmodels++;
		if ((m->name = strdup(name)) == NULL)
			return cfg_fail(p, "out of memory");
		p->kind = SEC_MODEL;
		p->section = m;
		p->opts = model_opts;
		return 1;
	}
}

static char *
trim(char *s)
{
	char	*e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* One "key = value" line inside the current section. */
static int
set_line(struct parser *p, char *line)
{
	const struct opt	*o;
	char			*eq, *key, *val;
	size_t			 i, n;

	if (p->kind == SEC_NONE)
		return cfg_fail(p, "option outside of any section");
	if ((eq = strchr(line, '=')) == NULL)
		return cfg_fail(p, "expected \"key = value\"");
	*eq = '\0';
	key = trim(line);
	val = trim(eq + 1);
	n = strlen(val);
	if (n >= 2 && val[0] == '"' && val[n - 1] == '"') {
		val[n - 1] = '\0';
		val++;
	}
	for (i = 0, o = p->opts; o->name != NULL; o++, i++)
		if (strcmp(o->name, key) == 0)
			break;
	if (o->name == NULL)
		return cfg_fail(p, "unknown option \"%s\" in this section",
		    key);
	if (p->seen[i / 8] & (1 << (i % 8)))
		return cfg_fail(p, "\"%s\" is set twice in this section", key);
	p->seen[i / 8] |= 1 << (i % 8);
	if (*val == '\0' && o->type != OPT_BASEPATH && o->type != OPT_STRING)
		return cfg_fail(p, "%s: empty value", key);
	return cfg_set_opt(p, o, val);
}

static int
find_upstream(const struct cfg *c, const char *name, size_t *idx)
{
	size_t	 i;

	for (i = 0; i < c->nupstreams; i++)
		if (strcmp(c->upstreams[i].name, name) == 0) {
			*idx = i;
			return 1;
		}
	return 0;
}

/*
 * Resolve "a:3 | b, c" into routes: tiers split on ',', members on '|',
 * each member NAME or NAME:WEIGHT.
 */
static int
resolve_routes(struct parser *p, struct pending *pd)
{
	struct cfg_model	*m = &p->cfg->models[pd->model];
	char			*tier, *tsave = NULL, *mem, *msave = NULL;
	char			*colon, *end, *name;
	unsigned		 ntier = 0;
	long			 w;
	size_t			 idx, i, first;

	p->line = pd->line;
	for (tier = strtok_r(pd->text, ",", &tsave); tier != NULL;
	    tier = strtok_r(NULL, ",", &tsave), ntier++) {
		first = m->nroutes;
		for (mem = strtok_r(tier, "|", &msave); mem != NULL;
		    mem = strtok_r(NULL, "|", &msave)) {
			name = trim(mem);
			w = 1;
			if ((colon = strrchr(name, ':')) != NULL &&
			    !find_upstream(p->cfg, name, &idx)) {
				*colon = '\0';
				errno = 0;
				w = strtol(colon + 1, &end, 10);
				if (errno != 0 || *end != '\0' || w < 1 ||
				    w > 1000)
					return cfg_fail(p, "upstream: weight "
					    "of \"%s\" must be 1 to 1000",
					    name);
				name = trim(name);
			}
			if (*name == '\0')
				return cfg_fail(p, "upstream: empty name in "
				    "the list");
			if (!find_upstream(p->cfg, name, &idx))
				return cfg_fail(p, "upstream: no [upstream %s] "
				    "is defined", name);
			for (i = 0; i < m->nroutes; i++)
				if (m->routes[i].upstream == idx)
					return cfg_fail(p, "upstream: \"%s\" "
					    "is listed twice", name);
			if (m->nroutes == CFG_MAX_ROUTES)
				return cfg_fail(p, "upstream: at most %d "
				    "upstreams per model", CFG_MAX_ROUTES);
			m->routes[m->nroutes].upstream = idx;
			m->routes[m->nroutes].weight = (unsigned)w;
			m->routes[m->nroutes].tier = ntier;
			m->nroutes++;
		}
		/* Tiers are numbered without gaps: none may be empty. */
		if (m->nroutes == first)
			return cfg_fail(p, "upstream: an empty tier in the "
			    "list");
	}
	if (m->nroutes == 0)
		return cfg_fail(p, "upstream: the list is empty");
	return 1;
}

/*
 * Read a small secret file (an upstream key), trimming the trailing
 * newline.  Returns NULL and sets the error on failure.
 */
static char *
read_secret(struct parser *p, const char *path, int line)
{
	char	 tmp[MAX_SECRET_FILE + 1];
	char	*s;
	ssize_t	 n;
	int	 fd;

	p->line = line;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		cfg_fail(p, "api_key_file %s: %s", path, strerror(errno));
		return NULL;
	}
	n = read(fd, tmp, sizeof(tmp));
	close(fd);
	s = NULL;
	if (n < 0 || n > MAX_SECRET_FILE) {
		cfg_fail(p, "api_key_file %s: unreadable or over %d bytes",
		    path, MAX_SECRET_FILE);
		goto out;
	}
	tmp[n] = '\0';
	s = trim(tmp);
	s[strcspn(s, "\r\n")] = '\0';
	if (*s == '\0') {
		cfg_fail(p, "api_key_file %s: empty", path);
		s = NULL;
		goto out;
	}
	s = strdup(s);
out:
	sodium_memzero(tmp, sizeof(tmp));
	return s;
}

/* Derived defaults and cross-section checks, after the last line. */
static int
finish_config(struct parser *p)
{
	struct cfg	*c = p->cfg;
	char		*dir = NULL, *tmp = NULL;
	size_t		 i, n, idx = 0;
	int		 ok = 0;

	/* The echo upstream exists in every configuration. */
	if (!find_upstream(c, "echo", &idx)) {
		struct cfg_upstream *u;

		if ((u = upstream_add(p, "echo")) == NULL)
			return cfg_fail(p, "out of memory");
		u->type = UPSTREAM_ECHO;
		p->kind = SEC_UPSTREAM;
		p->section = u;
		p->opts = upstream_opts;
		memset(p->seen, 0, sizeof(p->seen));
		p->seen[0] = 1;		/* "type", first in upstream_opts */
		if (!finish_section(p))
			return 0;
	}
	/*
	 * Until the operator defines a model, serve the demo model on the
	 * echo upstream, so a fresh install answers the quickstart example.
	 */
	if (c->nmodels == 0) {
		struct cfg_model *m;

		if ((m = calloc(1, sizeof(*m))) == NULL ||
		    (m->name = strdup("venna-1")) == NULL) {
			free(m);
			return cfg_fail(p, "out of memory");
		}
		c->models = m;
		c->nmodels = 1;
		p->kind = SEC_MODEL;
		p->section = m;
		p->opts = model_opts;
		memset(p->seen, 0, sizeof(p->seen));
		if (!finish_section(p))
			return 0;
		find_upstream(c, "echo", &idx);
		m->routes[0].upstream = idx;
		m->routes[0].weight = 1;
		m->nroutes = 1;
	}
	for (i = 0; i < p->npending; i++)
		if (!resolve_routes(p, &p->pending[i]))
			return 0;
	for (i = 0; i < c->nmodels; i++) {
		p->line = c->models[i].line;
		if (c->models[i].nroutes == 0)
			return cfg_fail(p, "[model %s]: \"upstream\" is "
			    "required", c->models[i].name);
		if (c->models[i].upstream_model == NULL &&
		    (c->models[i].upstream_model =
		    strdup(c->models[i].name)) == NULL)
			return cfg_fail(p, "out of memory");
		if (c->models[i].cached_input_price == 0)
			c->models[i].cached_input_price =
			    c->models[i].input_price;
	}
	for (i = 0; i < c->nupstreams; i++)
		if (p->read_files && c->upstreams[i].api_key_file != NULL &&
		    (c->upstreams[i].api_key = read_secret(p,
		    c->upstreams[i].api_key_file,
		    c->upstreams[i].line)) == NULL)
			return 0;
	/* A share of the pool, now that its size is known. */
	if (c->max_concurrent < 0)
		c->max_concurrent_pct = (int)-c->max_concurrent;
	cfg_set_pool(c, c->workers, c->threads);

	/* data_dir and pepper_file live beside the database by default. */
	if ((tmp = strdup(c->database)) == NULL)
		goto oom;
	if ((dir = strdup(dirname(tmp))) == NULL)
		goto oom;
	n = strlen(dir) + 32;
	if (c->data_dir == NULL) {
		if ((c->data_dir = malloc(n)) == NULL)
			goto oom;
		snprintf(c->data_dir, n, "%s/files", dir);
	}
	if (c->pepper_file == NULL) {
		if ((c->pepper_file = malloc(n)) == NULL)
			goto oom;
		snprintf(c->pepper_file, n, "%s/venna.pepper", dir);
	}
	ok = 1;
	goto out;
oom:
	cfg_fail(p, "out of memory");
out:
	free(tmp);
	free(dir);
	return ok;
}

/*
 * The pool's size as it runs (venna-fcgi's -w and -t override the
 * file's), and the share of it max_concurrent gives a workspace when
 * it is a percentage.
 */
void
cfg_set_pool(struct cfg *c, long workers, long threads)
{
	c->workers = workers;
	c->threads = threads;
	if (c->max_concurrent_pct == 0)
		return;
	c->max_concurrent = workers * threads * c->max_concurrent_pct / 100;
	if (c->max_concurrent < 1)
		c->max_concurrent = 1;
}

/*
 * Parse venna.conf text.  fname names the source in error messages and
 * anchors relative paths (unless it is NULL, as for the built-ins).
 * With read_files 0 nothing on disk is touched (the fuzz target uses
 * this).  Returns a configuration the caller frees with cfg_free(), or
 * NULL with "FILE:LINE: reason" in err.
 */
struct cfg *
cfg_parse(const char *text, size_t len, const char *fname, int read_files,
    char *err, size_t errsz)
{
	struct parser	 p;
	struct cfg	*c = NULL;
	char		 line[CFG_MAX_LINE + 1];
	char		*fcopy = NULL, *s, *close;
	const char	*cur, *nl, *end = text + len;
	size_t		 n, i;
	int		 ok = 0;

	memset(&p, 0, sizeof(p));
	p.fname = fname != NULL ? fname : "(built-in)";
	p.read_files = read_files;
	p.err = err;
	p.errsz = errsz;
	if (errsz > 0)
		err[0] = '\0';
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		cfg_fail(&p, "out of memory");
		goto out;
	}
	p.cfg = c;
	if (fname != NULL) {
		if ((c->path = strdup(fname)) == NULL ||
		    (fcopy = strdup(fname)) == NULL) {
			cfg_fail(&p, "out of memory");
			goto out;
		}
		p.basedir = dirname(fcopy);
	}
	/* Server defaults first, so an absent [server] still has them. */
	p.kind = SEC_SERVER;
	p.section = c;
	p.opts = server_opts;
	if (!finish_section(&p))
		goto out;

	for (cur = text; cur < end; cur = nl + 1) {
		p.line++;
		if ((nl = memchr(cur, '\n', (size_t)(end - cur))) == NULL)
			nl = end;
		n = (size_t)(nl - cur);
		if (n > CFG_MAX_LINE) {
			cfg_fail(&p, "line longer than %d bytes", CFG_MAX_LINE);
			goto out;
		}
		if (memchr(cur, '\0', n) != NULL) {
			cfg_fail(&p, "NUL byte in the file");
			goto out;
		}
		memcpy(line, cur, n);
		line[n] = '\0';
		s = trim(line);
		if (*s == '\0' || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			if ((close = strchr(s, ']')) == NULL ||
			    *trim(close + 1) != '\0') {
				cfg_fail(&p, "expected \"[section]\"");
				goto out;
			}
			*close = '\0';
			if (!begin_section(&p, trim(s + 1)))
				goto out;
			continue;
		}
		if (!set_line(&p, s))
			goto out;
	}
	if (!finish_section(&p))
		goto out;
	if (!finish_config(&p))
		goto out;
	ok = 1;
out:
	/* The last line read may have been "api_key = ...". */
	sodium_memzero(line, sizeof(line));
	for (i = 0; i < p.npending; i++)
		free(p.pending[i].text);
	free(p.pending);
	free(fcopy);
	if (!ok) {
		cfg_free(c);
		return NULL;
	}
	return c;
}

/*
 * Make the database path absolute and canonical: every process must
 * open the same name, or SQLite's crash recovery looks for the -wal
 * file in the wrong place (howtocorrupt.html §2.6).  The file itself
 * may not exist yet; its directory must.
 */
static int
canonical_database(struct cfg *c, char *err, size_t errsz)
{
	char	 real[PATH_MAX];
	char	*d = NULL, *b = NULL, *out = NULL;
	size_t	 n;
	int	 ok = 0;

	if ((d = strdup(c->database)) == NULL ||
	    (b = strdup(c->database)) == NULL)
		goto out;
	if (realpath(dirname(d), real) == NULL) {
		ok = 1;		/* vennactl init creates the directory */
		goto out;
	}
	n = strlen(real) + strlen(basename(b)) + 2;
	if ((out = malloc(n)) == NULL)
		goto out;
	snprintf(out, n, "%s/%s", real, basename(b));
	free(c->database);
	c->database = out;
	ok = 1;
out:
	if (!ok)
		snprintf(err, errsz, "out of memory");
	free(d);
	free(b);
	return ok;
}

/*
 * Read and parse the file at path.  Returns NULL with the reason in err
 * (a missing file included).
 */
struct cfg *
cfg_load(const char *path, char *err, size_t errsz)
{
	struct cfg	*c = NULL;
	struct stat	 st;
	char		*text = NULL;
	ssize_t		 n;
	size_t		 got = 0, cap = 0;
	int		 fd = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > CFG_MAX_FILE) {
		snprintf(err, errsz, "%s: not a regular file of at most %d "
		    "bytes", path, CFG_MAX_FILE);
		goto out;
	}
	cap = (size_t)st.st_size + 1;
	if ((text = malloc(cap)) == NULL) {
		snprintf(err, errsz, "out of memory");
		goto out;
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, text + got, (size_t)st.st_size - got);
		if (n <= 0) {
			snprintf(err, errsz, "%s: read failed", path);
			goto out;
		}
		got += (size_t)n;
	}
	if ((c = cfg_parse(text, got, path, 1, err, errsz)) != NULL &&
	    !canonical_database(c, err, errsz)) {
		cfg_free(c);
		c = NULL;
	}
out:
	if (fd != -1)
		close(fd);
	if (text != NULL)
		sodium_memzero(text, cap);	/* it may hold api_key lines */
	free(text);
	return c;
}

/*
 * The configuration used when there is no file: every default, the echo
 * upstream and the demo model venna-1 on it.
 */
struct cfg *
cfg_builtin(char *err, size_t errsz)
{
	struct cfg	*c;

	if ((c = cfg_parse("", 0, NULL, 0, err, errsz)) != NULL &&
	    !canonical_database(c, err, errsz)) {
		cfg_free(c);
		c = NULL;
	}
	return c;
}

/* Where venna.conf is looked for without -c or VENNA_CONF. */
const char *
cfg_default_path(void)
{
	return SYSCONFDIR "/venna.conf";
}

/*
 * The configuration every program runs with: the file *path names (-c),
 * else $VENNA_CONF, else the default path when it exists, else the
 * built-in defaults.  *path is set to the file used (NULL: built-ins).
 * NULL with why in err when the file does not load.
 */
struct cfg *
cfg_open(const char **path, char *err, size_t errsz)
{
	const char	*p = *path;

	if (p == NULL && (p = getenv("VENNA_CONF")) != NULL && *p == '\0')
		p = NULL;
	if (p == NULL && access(cfg_default_path(), F_OK) == 0)
		p = cfg_default_path();
	*path = p;
	return p != NULL ? cfg_load(p, err, errsz) : cfg_builtin(err, errsz);
}

const struct cfg_model *
cfg_model_find(const struct cfg *c, const char *name)
{
	size_t	 i;

	for (i = 0; i < c->nmodels; i++)
		if (strcmp(c->models[i].name, name) == 0)
			return &c->models[i];
	return NULL;
}

void
cfg_free(struct cfg *c)
{
	size_t	 i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nupstreams; i++) {
		free(c->upstreams[i].name);
		free(c->upstreams[i].base_url);
		if (c->upstreams[i].api_key != NULL) {
			sodium_memzero(c->upstreams[i].api_key,
			    strlen(c->upstreams[i].api_key));
			free(c->upstreams[i].api_key);
		}
		free(c->upstreams[i].api_key_file);
	}
	free(c->upstreams);
	for (i = 0; i < c->nmodels; i++) {
		free(c->models[i].name);
		free(c->models[i].upstream_model);
		free(c->models[i].owned_by);
	}
	free(c->models);
	free(c->path);
	free(c->listen);
	free(c->user);
	free(c->database);
	free(c->data_dir);
	free(c->pepper_file);
	free(c->base_path);
	free(c->files_accel);
	free(c->alert_command);
	free(c);
}
