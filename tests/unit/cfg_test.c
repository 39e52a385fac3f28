/*
 * cfg_test.c: venna.conf parsing: defaults, every value type, the
 * upstream list syntax, and errors that name file and line.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "../tap.h"

static struct cfg *
parse(const char *text, char *err, size_t errsz)
{
	return cfg_parse(text, strlen(text), "/etc/venna/venna.conf", 0, err,
	    errsz);
}

/* Expect a parse error mentioning want (file:line and reason). */
static void
bad(const char *text, const char *want, const char *name)
{
	struct cfg	*c;
	char		 err[512] = "";

	c = parse(text, err, sizeof(err));
	ok(c == NULL && strstr(err, want) != NULL, "%s", name);
	if (c != NULL || strstr(err, want) == NULL)
		printf("#   error was \"%s\", want \"%s\"\n", err, want);
	cfg_free(c);
}

int
main(void)
{
	struct cfg		*c;
	const struct cfg_model	*m;
	char			 err[512];
	size_t			 sz;
	long			 ms;

	c = parse("", err, sizeof(err));
	ok(c != NULL, "an empty file is valid");
	if (c == NULL)
		return done_testing();
	is_int(c->max_body, 16 << 20, "default max_body is 16m");
	is_int(c->max_json_depth, 64, "default JSON depth");
	is_int(c->batch_price_pct, 50, "batch price factor 0.5 is 50%");
	is_int(c->nmodels, 1, "without models the demo model is served");
	is_str(c->models[0].name, "venna-1", "demo model name");
	is_str(c->upstreams[c->models[0].routes[0].upstream].name, "echo",
	    "demo model uses the echo upstream");
	ok(c->upstreams[0].type == UPSTREAM_ECHO, "echo is built in");
	ok(strstr(c->pepper_file, "venna.pepper") != NULL &&
	    strstr(c->data_dir, "/files") != NULL,
	    "pepper and files default beside the database");
	ok(c->log_format == 0 && c->log_file == NULL,
	    "text lines to stderr by default");
	cfg_free(c);

	c = parse(
	    "# comment\n"
	    "[server]\n"
	    "database = state/venna.db\n"
	    "max_body = 2m\n"
	    "drain_timeout = 1500ms\n"
	    "log_level = debug\n"
	    "log_format = json\n"
	    "log_file = log/venna.log\n"
	    "synchronous = normal\n"
	    "base_path = /venna\n"
	    "\n"
	    "[upstream gpu1]\n"
	    "base_url = http://10.0.0.1:8000/v1/\n"
	    "api_key = sk-secret\n"
	    "connect_timeout = 2s\n"
	    "[upstream gpu2]\n"
	    "base_url = https://gpu2.example/v1\n"
	    "[upstream openai]\n"
	    "base_url = https://api.openai.com/v1\n"
	    "\n"
	    "[model chat]\n"
	    "upstream = gpu1:3 | gpu2, openai\n"
	    "upstream_model = llama-3-8b\n"
	    "input_price = 0.15\n"
	    "output_price = 0.6\n"
	    "[model embed]\n"
	    "upstream = echo\n", err, sizeof(err));
	ok(c != NULL, "a full file parses");
	if (c == NULL) {
		printf("# %s\n", err);
		return done_testing();
	}
	is_str(c->database, "/etc/venna/state/venna.db",
	    "relative paths are relative to the file");
	is_int(c->max_body, 2 << 20, "size suffix");
	is_int(c->drain_timeout_ms, 1500, "duration in ms");
	is_int(c->log_level, 3, "log level");
	is_int(c->log_format, 1, "log format");
	is_str(c->log_file, "/etc/venna/log/venna.log",
	    "log_file is a path like the others");
	is_int(c->synchronous_full, 0, "synchronous normal");
	is_str(c->base_path, "/venna", "base_path");
	is_str(c->upstreams[0].base_url, "http://10.0.0.1:8000/v1",
	    "trailing slash dropped from base_url");
	is_str(c->upstreams[0].api_key, "sk-secret", "api_key");
	is_int(c->upstreams[0].connect_timeout_ms, 2000, "connect_timeout");
	is_int(c->upstreams[0].total_timeout_ms, 600000,
	    "total_timeout default");
	m = cfg_model_find(c, "chat");
	ok(m != NULL && m->nroutes == 3, "three routes");
	if (m != NULL && m->nroutes == 3) {
		is_str(c->upstreams[m->routes[0].upstream].name, "gpu1",
		    "route 1");
		is_int(m->routes[0].weight, 3, "route 1 weight");
		is_int(m->routes[0].tier, 0, "route 1 tier");
		is_int(m->routes[1].tier, 0, "route 2 shares the tier");
		is_int(m->routes[1].weight, 1, "default weight");
		is_int(m->routes[2].tier, 1, "route 3 is the fallback tier");
		is_str(m->upstream_model, "llama-3-8b", "upstream_model");
		is_int(m->input_price, 150000, "$0.15/M = 150000 pUSD/token");
		is_int(m->output_price, 600000, "$0.60/M");
		is_int(m->cached_input_price, 150000,
		    "cached price defaults to input price");
	}
	m = cfg_model_find(c, "embed");
	ok(m != NULL && strcmp(m->upstream_model, "embed") == 0,
	    "upstream_model defaults to the model name");
	ok(cfg_model_find(c, "venna-1") == NULL,
	    "no demo model once models are defined");
	cfg_free(c);

	ok(cfg_parse_size("512m", &sz) && sz == 512u << 20, "size 512m");
	ok(!cfg_parse_size("12x", &sz), "bad size suffix");
	ok(!cfg_parse_size("-1", &sz), "negative size");
	ok(cfg_parse_duration("2m", &ms) && ms == 120000, "duration 2m");
	ok(cfg_parse_duration("30", &ms) && ms == 30000, "bare seconds");
	ok(!cfg_parse_duration("30d", &ms), "bad duration unit");

	bad("[server]\nbogus = 1\n", "venna.conf:2: unknown option \"bogus\"",
	    "unknown key names file and line");
	bad("[server]\nmax_body = lots\n", "venna.conf:2: max_body",
	    "bad size");
	bad("[server]\nworkers = 0\n", ":2: workers", "out of range");
	bad("[server]\nworkers = 2\nworkers = 3\n", ":3: \"workers\" is set "
	    "twice", "duplicate key");
	bad("[servers]\n", ":1: unknown section", "unknown section");
	bad("[upstream]\n", ":1: [upstream NAME]", "section without name");
	bad("[upstream a]\nbase_url = ftp://x\n", ":2: base_url",
	    "non-http URL");
	bad("[upstream a]\nbase_url = http://user:pw@x\n", ":2: base_url",
	    "credentials in URL");
	bad("[upstream a]\nbase_url = http://x/?q=1\n", ":2: base_url",
	    "query in URL");
	bad("[upstream a]\ntype = openai\n", "base_url is required",
	    "openai upstream without base_url");
	bad("[upstream a]\nbase_url = http://x\napi_key = k\n"
	    "api_key_file = /k\n", "exclude each other", "two key sources");
	bad("[model m]\nupstream = nosuch\n", ":2: upstream: no [upstream "
	    "nosuch]", "unknown upstream named at its line");
	bad("[model m]\nupstream_model = x\n", "\"upstream\" is required",
	    "model without upstream");
	bad("[model m]\nupstream = echo:0\n", "weight", "zero weight");
	bad("[model m]\nupstream = echo, echo\n", "listed twice",
	    "upstream listed twice");
	bad("[model m]\nupstream = echo\ninput_price = 0.1234567\n",
	    "input_price", "price with seven decimals");
	bad("[model m]\nupstream = echo\n[model m]\nupstream = echo\n",
	    ":3: [model m] is defined twice", "duplicate model");
	bad("key = v\n", ":1: option outside", "option outside a section");
	bad("[server\n", ":1: expected \"[section]\"", "broken header");
	bad("[server]\nlog_level = loud\n", "log_level", "bad log level");
	bad("[server]\nlog_format = xml\n", "log_format: expected text or "
	    "json", "bad log format");
	bad("[server]\nlog_file =\n", "log_file", "empty log_file");
	bad("[server]\nbase_path = /a/\n", "base_path", "base_path slash");
	bad("[server]\nbatch_price_factor = 0.555\n", "batch_price_factor",
	    "factor with three decimals");
	bad("[server]\nbatch_price_factor = 11\n", "batch_price_factor",
	    "factor over 10");
	{
		static const char nul[] = "[server]\n\0x = 1\n";

		c = cfg_parse(nul, sizeof(nul) - 1, "n.conf", 0, err,
		    sizeof(err));
		ok(c == NULL && strstr(err, "n.conf:2: NUL") != NULL,
		    "NUL byte rejected with its line");
		cfg_free(c);
	}
	return done_testing();
}
