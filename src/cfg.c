/*
 * cfg.c: venna.conf.  Each section has a table of options (name, type,
 * where the value goes, range, default); parsing, defaults and checks all
 * go through those tables, as redis does with its static_configs[].  An
 * unknown key, a bad value or a missing reference is an error that names
 * the file and line.  Defaults are written as text and parsed by the
 * same code as the file, so a default can never be a value the file
 * could not hold.  This file reads the lines, the sections and the
 * references between them; the text of one option becomes its value in
 * cfg_value.c, and the file is found and read in cfg_load.c.
 *
 * The file may hold upstream keys (api_key), and api_key_file names
 * more: every buffer that held the file's text or a key file's bytes is
 * wiped with sodium_memzero() (a memset() before free() is dead code a
 * compiler may drop), so each key stays in memory once, in its
 * cfg_upstream, until cfg_free() wipes that too.
 */
#include "config.h"

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
#include "cfg_int.h"

#ifndef LOCALSTATEDIR
#define LOCALSTATEDIR	"/usr/local/var"
#endif

#define MAX_SECRET_FILE	4096

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
	{ "metrics", OPT_BOOL, SRV(metrics), 0, 0, "yes" },
	{ "metrics_allow", OPT_ADDRS, SRV(metrics_allow), 0, 0,
	    "127.0.0.0/8 ::1" },
	{ "log_format", OPT_LOGFORMAT, SRV(log_format), 0, 0, "text" },
	{ "log_file", OPT_PATH, SRV(log_file), 0, 0, NULL },
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
	{ "ready_min_free", OPT_SIZE, SRV(ready_min_free), 0, 1LL << 50,
	    "64m" },
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

int
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
	if (*val == '\0' && o->type != OPT_BASEPATH &&
	    o->type != OPT_STRING && o->type != OPT_ADDRS)
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
	free(c->metrics_allow);
	free(c->log_file);
	free(c);
}
