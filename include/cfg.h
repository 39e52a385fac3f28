/*
 * cfg.h: venna.conf, parsed.  One INI-style file with a [server]
 * section, repeated [upstream NAME] and [model NAME] sections.  The
 * parser is a pure function over bytes (cfg_parse) so it can be fuzzed;
 * cfg_load() adds the file reading.
 */
#ifndef CFG_H
#define CFG_H

#include "venna.h"
#include "limiter.h"

#define CFG_MAX_FILE		(1024 * 1024)	/* venna.conf size cap */
#define CFG_MAX_LINE		4096		/* one line */
#define CFG_MAX_SECTIONS	1024		/* upstreams + models */
#define CFG_MAX_ROUTES		16		/* upstreams per model */
#define CFG_MAX_NAME		128		/* section names */

enum upstream_type {
	UPSTREAM_OPENAI = 0,	/* any OpenAI-compatible HTTP server */
	UPSTREAM_ECHO		/* answered in-process, deterministically */
};

struct cfg_upstream {
	char		*name;
	enum upstream_type type;
	char		*base_url;	/* no trailing slash; NULL for echo */
	char		*api_key;	/* secret: never logged or echoed */
	char		*api_key_file;
	long		 connect_timeout_ms;
	long		 first_byte_timeout_ms;
	long		 idle_timeout_ms;
	long		 total_timeout_ms;
	long		 max_retry_after_ms;	/* longest Retry-After honoured */
	int		 line;			/* of the section header */
};

/*
 * One entry of a model's "upstream" list.  Entries are tried tier by
 * tier in the order written; within a tier (names joined by '|') the
 * first pick is weighted and the rest follow as fallbacks.
 */
struct cfg_route {
	size_t		 upstream;	/* index into cfg.upstreams */
	unsigned	 weight;	/* >= 1 */
	unsigned	 tier;		/* 0 for the first comma-separated group */
};

struct cfg_model {
	char		*name;
	char		*upstream_model;	/* defaults to name */
	struct cfg_route routes[CFG_MAX_ROUTES];
	size_t		 nroutes;
	int64_t		 input_price;	/* picodollars per token */
	int64_t		 output_price;
	int64_t		 cached_input_price;
	long		 batch_concurrency;	/* 0: the server's */
	char		*owned_by;
	long		 created;	/* unix seconds shown in /v1/models */
	struct limit_set limits;	/* defaults for every workspace */
	int64_t		 reserve_output_tokens;	/* when a request sets no cap */
	int		 line;
};

struct cfg {
	char		*path;		/* the file, or NULL for built-ins */
	/* [server] */
	char		*listen;
	char		*user;		/* USER[:GROUP] to run as, or NULL */
	char		*database;	/* absolute, canonical when possible */
	char		*data_dir;
	char		*pepper_file;
	char		*base_path;	/* URL prefix before /v1, or "" */
	size_t		 max_body;	/* JSON request body cap */
	long		 max_json_depth;
	size_t		 max_json_memory;	/* a body's json-c tree */
	size_t		 request_memory;	/* per worker process */
	size_t		 max_context;	/* a conversation's stored items */
	size_t		 max_upload;	/* file upload cap */
	size_t		 max_batch_upload;
	char		*files_accel;	/* X-Accel-Redirect prefix, or "" */
	long		 log_level;	/* enum log_level */
	int		 log_syslog;
	int		 metrics;	/* count, and serve /metrics */
	char		*metrics_allow;	/* may read /metrics with no key */
	long		 log_format;	/* enum log_format */
	char		*log_file;	/* in place of stderr, or NULL */
	long		 workers;
	long		 threads;
	long		 max_requests;	/* per worker, 0 = never recycle */
	long		 drain_timeout_ms;
	long		 busy_timeout_ms;
	int		 synchronous_full;
	long		 db_connections;	/* per process */
	long		 stream_keepalive_ms;	/* 0: none */
	long		 batch_time_budget_ms;	/* one venna-batch pass */
	long		 batch_concurrency;	/* lines in flight */
	long		 batch_price_pct;	/* batch price, % of live */
	size_t		 max_upstream_response;	/* a non-streamed answer */
	long		 background_threads;	/* per process */
	int		 admin_api;	/* serve /v1/organization */
	long		 max_concurrent;	/* per workspace; 0: none */
	int		 max_concurrent_pct;	/* of the pool, or 0: a count */
	char		*alert_command;	/* spend alerts, or NULL */
	size_t		 upload_min_rate;	/* bytes/s an upload keeps up */
	long		 upload_timeout_ms;	/* an upload's whole body */
	size_t		 ready_min_free;	/* /readyz: free disk floor */
	/* the rest */
	struct cfg_upstream *upstreams;
	size_t		 nupstreams;
	struct cfg_model *models;
	size_t		 nmodels;
};

struct cfg	*cfg_parse(const char *text, size_t len, const char *fname,
		    int read_files, char *err, size_t errsz);
struct cfg	*cfg_load(const char *path, char *err, size_t errsz);
struct cfg	*cfg_builtin(char *err, size_t errsz);
const char	*cfg_default_path(void);
struct cfg	*cfg_open(const char **path, char *err, size_t errsz);
void		 cfg_free(struct cfg *);
const struct cfg_model *cfg_model_find(const struct cfg *, const char *);
void		 cfg_set_pool(struct cfg *, long workers, long threads);
int		 cfg_parse_size(const char *, size_t *);
int		 cfg_parse_duration(const char *, long *);

#endif /* CFG_H */
