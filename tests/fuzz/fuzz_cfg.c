/*
 * fuzz_cfg.c: venna.conf parsing (src/cfg.c) on arbitrary bytes, with
 * the file system left alone (read_files = 0).
 *
 * A configuration that loads must satisfy what the rest of Venna takes
 * for granted: every number within its option's range, relative paths
 * anchored to the file's directory, names unique and well-formed, an
 * echo upstream, every model with 1 to CFG_MAX_ROUTES routes to
 * upstreams that exist, in tiers numbered from 0 without gaps.  One
 * that does not load must say where ("fuzz.conf:LINE: ").  Parsing the
 * same bytes twice must give the same configuration or the same error.
 */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stddef.h>
#include <string.h>

#include "cfg.h"
#include "log.h"
#include "must.h"

#define IN(v, lo, hi)	((long long)(v) >= (lo) && (long long)(v) <= (hi))

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* An OPT_PATH value: absolute, or relative to the file ("./..."). */
static int
anchored(const char *p)
{
	return p != NULL && (p[0] == '/' || strncmp(p, "./", 2) == 0);
}

/* base_path and files_accel: "" or "/x" without "..", "//" or a final '/'. */
static int
prefix_ok(const char *p)
{
	size_t	 n;

	if (p == NULL)
		return 0;
	if ((n = strlen(p)) == 0)
		return 1;
	return p[0] == '/' && p[n - 1] != '/' && strstr(p, "..") == NULL &&
	    strstr(p, "//") == NULL;
}

static int
name_ok(const char *s)
{
	size_t	 n;

	if (s == NULL || (n = strlen(s)) == 0 || n > CFG_MAX_NAME)
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr("-_.:/@+", *s) == NULL)
			return 0;
	return 1;
}

static int
url_ok(const char *u)
{
	const char	*host, *p, *slash;
	size_t		 n;

	if (u == NULL)
		return 0;
	if (strncmp(u, "http://", 7) == 0)
		host = u + 7;
	else if (strncmp(u, "https://", 8) == 0)
		host = u + 8;
	else
		return 0;
	n = strlen(u);
	if (*host == '\0' || *host == '/' || *host == ':' || u[n - 1] == '/')
		return 0;
	for (p = u; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '#' ||
		    *p == '?' || *p == '\\')
			return 0;
	slash = strchr(host, '/');
	return memchr(host, '@', slash != NULL ? (size_t)(slash - host) :
	    strlen(host)) == NULL;
}

static void
check_server(const struct cfg *c)
{
	MUST(anchored(c->database) && anchored(c->data_dir) &&
	    anchored(c->pepper_file));
	MUST(prefix_ok(c->base_path) && prefix_ok(c->files_accel));
	MUST(IN(c->max_body, 1024, 1LL << 31));
	MUST(IN(c->max_json_depth, 4, 1000));
	MUST(IN(c->max_upload, 1024, 1LL << 40));
	MUST(IN(c->max_batch_upload, 1024, 1LL << 40));
	MUST(IN(c->log_level, LOG_LVL_ERROR, LOG_LVL_DEBUG));
	MUST(c->log_syslog == 0 || c->log_syslog == 1);
	MUST(IN(c->workers, 1, 256) && IN(c->threads, 1, 4096));
	MUST(c->max_requests >= 0);
	MUST(IN(c->drain_timeout_ms, 0, 86400000));
	MUST(IN(c->busy_timeout_ms, 100, 600000));
	MUST(c->synchronous_full == 0 || c->synchronous_full == 1);
	MUST(IN(c->db_connections, 1, 256));
	MUST(IN(c->stream_keepalive_ms, 0, 3600000));
	MUST(IN(c->batch_time_budget_ms, 1000, 86400000));
	MUST(IN(c->batch_concurrency, 1, 1024));
	MUST(IN(c->batch_price_pct, 0, 1000));
	MUST(IN(c->max_upstream_response, 4096, 1LL << 32));
	MUST(IN(c->background_threads, 1, 1024));
}

static void
check_upstreams(const struct cfg *c)
{
	const struct cfg_upstream *u;
	size_t	 i, j, echo = 0;

	MUST(c->nupstreams >= 1 && c->nupstreams <= CFG_MAX_SECTIONS + 1);
	for (i = 0; i < c->nupstreams; i++) {
		u = &c->upstreams[i];
		MUST(name_ok(u->name));
		for (j = 0; j < i; j++)
			MUST(strcmp(c->upstreams[j].name, u->name) != 0);
		if (strcmp(u->name, "echo") == 0)
			echo++;
		MUST(u->type == UPSTREAM_OPENAI || u->type == UPSTREAM_ECHO);
		if (u->type == UPSTREAM_OPENAI)
			MUST(url_ok(u->base_url));
		else
			MUST(u->base_url == NULL || url_ok(u->base_url));
		/* read_files = 0: a key file is named, never read. */
		MUST(u->api_key == NULL || u->api_key_file == NULL);
		MUST(u->api_key_file == NULL || anchored(u->api_key_file));
		MUST(IN(u->connect_timeout_ms, 1, 600000));
		MUST(IN(u->first_byte_timeout_ms, 1, 86400000));
		MUST(IN(u->idle_timeout_ms, 1, 86400000));
		MUST(IN(u->total_timeout_ms, 1, 86400000));
		MUST(IN(u->max_retry_after_ms, 0, 600000));
	}
	MUST(echo == 1);
}

static void
check_models(const struct cfg *c)
{
	const struct cfg_model	*m;
	size_t			 i, j, k;

	MUST(c->nmodels >= 1 && c->nmodels <= CFG_MAX_SECTIONS);
	for (i = 0; i < c->nmodels; i++) {
		m = &c->models[i];
		MUST(name_ok(m->name));
		for (j = 0; j < i; j++)
			MUST(strcmp(c->models[j].name, m->name) != 0);
		MUST(cfg_model_find(c, m->name) == m);
		MUST(m->upstream_model != NULL);
		MUST(m->nroutes >= 1 && m->nroutes <= CFG_MAX_ROUTES);
		MUST(m->routes[0].tier == 0);
		for (j = 0; j < m->nroutes; j++) {
			MUST(m->routes[j].upstream < c->nupstreams);
			MUST(IN(m->routes[j].weight, 1, 1000));
			if (j > 0)
				MUST(m->routes[j].tier == m->routes[j - 1].tier ||
				    m->routes[j].tier ==
				    m->routes[j - 1].tier + 1);
			for (k = 0; k < j; k++)
				MUST(m->routes[k].upstream !=
				    m->routes[j].upstream);
		}
		MUST(m->input_price >= 0 && m->output_price >= 0 &&
		    m->cached_input_price >= 0);
		MUST(m->cached_input_price != 0 || m->input_price == 0);
		MUST(IN(m->batch_concurrency, 0, 1024));
		MUST(m->owned_by != NULL);
		MUST(IN(m->created, 0, 4102444800LL));
	}
}

/* Two parses of the same bytes, field by field. */
static void
check_same(const struct cfg *a, const struct cfg *b)
{
	size_t	 i, j;

	MUST(same_str(a->path, b->path) && same_str(a->listen, b->listen) &&
	    same_str(a->database, b->database) &&
	    same_str(a->data_dir, b->data_dir) &&
	    same_str(a->pepper_file, b->pepper_file) &&
	    same_str(a->base_path, b->base_path) &&
	    same_str(a->files_accel, b->files_accel));
	MUST(a->max_body == b->max_body &&
	    a->max_json_depth == b->max_json_depth &&
	    a->max_upload == b->max_upload &&
	    a->max_batch_upload == b->max_batch_upload &&
	    a->log_level == b->log_level && a->log_syslog == b->log_syslog &&
	    a->workers == b->workers && a->threads == b->threads &&
	    a->max_requests == b->max_requests &&
	    a->drain_timeout_ms == b->drain_timeout_ms &&
	    a->busy_timeout_ms == b->busy_timeout_ms &&
	    a->synchronous_full == b->synchronous_full &&
	    a->db_connections == b->db_connections &&
	    a->stream_keepalive_ms == b->stream_keepalive_ms &&
	    a->batch_time_budget_ms == b->batch_time_budget_ms &&
	    a->batch_concurrency == b->batch_concurrency &&
	    a->batch_price_pct == b->batch_price_pct &&
	    a->max_upstream_response == b->max_upstream_response &&
	    a->background_threads == b->background_threads);
	MUST(a->nupstreams == b->nupstreams && a->nmodels == b->nmodels);
	for (i = 0; i < a->nupstreams; i++) {
		const struct cfg_upstream *x = &a->upstreams[i],
		    *y = &b->upstreams[i];

		MUST(same_str(x->name, y->name) && x->type == y->type &&
		    same_str(x->base_url, y->base_url) &&
		    same_str(x->api_key, y->api_key) &&
		    same_str(x->api_key_file, y->api_key_file) &&
		    x->connect_timeout_ms == y->connect_timeout_ms &&
		    x->first_byte_timeout_ms == y->first_byte_timeout_ms &&
		    x->idle_timeout_ms == y->idle_timeout_ms &&
		    x->total_timeout_ms == y->total_timeout_ms &&
		    x->max_retry_after_ms == y->max_retry_after_ms &&
		    x->line == y->line);
	}
	for (i = 0; i < a->nmodels; i++) {
		const struct cfg_model *x = &a->models[i], *y = &b->models[i];

		MUST(same_str(x->name, y->name) &&
		    same_str(x->upstream_model, y->upstream_model) &&
		    same_str(x->owned_by, y->owned_by) &&
		    x->nroutes == y->nroutes &&
		    x->input_price == y->input_price &&
		    x->output_price == y->output_price &&
		    x->cached_input_price == y->cached_input_price &&
		    x->batch_concurrency == y->batch_concurrency &&
		    x->created == y->created && x->line == y->line);
		for (j = 0; j < x->nroutes; j++)
			MUST(x->routes[j].upstream == y->routes[j].upstream &&
			    x->routes[j].weight == y->routes[j].weight &&
			    x->routes[j].tier == y->routes[j].tier);
	}
}

/* "fuzz.conf:LINE: reason" */
static void
check_error(const char *err)
{
	const char	*p = err + strlen("fuzz.conf:");

	MUST(strncmp(err, "fuzz.conf:", strlen("fuzz.conf:")) == 0);
	MUST(isdigit((unsigned char)*p));
	while (isdigit((unsigned char)*p))
		p++;
	MUST(p[0] == ':' && p[1] == ' ' && p[2] != '\0');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfg	*c, *again;
	char		 err[512], err2[512];

	if (size > 65536)
		return 0;
	c = cfg_parse((const char *)data, size, "fuzz.conf", 0, err,
	    sizeof(err));
	again = cfg_parse((const char *)data, size, "fuzz.conf", 0, err2,
	    sizeof(err2));
	MUST((c == NULL) == (again == NULL));
	if (c == NULL) {
		check_error(err);
		MUST(strcmp(err, err2) == 0);
		return 0;
	}
	MUST(c->path != NULL && strcmp(c->path, "fuzz.conf") == 0);
	check_server(c);
	check_upstreams(c);
	check_models(c);
	check_same(c, again);
	cfg_free(c);
	cfg_free(again);
	return 0;
}
