/*
 * router_test.c: route matching, 404/405/501 decisions, path checks and
 * percent-decoding of parameters and query strings, the host and port
 * of an upstream URL, the operations paths.
 */
#include "config.h"

#include <string.h>

#include "ops.h"
#include "router.h"
#include "url.h"
#include "../tap.h"

static const struct {
	const char		*method, *path;
	enum route_result	 want;
	const char		*allow;
} cases[] = {
	{ "GET", "/v1/models", ROUTE_FOUND, NULL },
	{ "GET", "/v1/models/venna-1", ROUTE_FOUND, NULL },
	{ "GET", "/v1/models/a%2Fb", ROUTE_FOUND, NULL },
	{ "POST", "/v1/models", ROUTE_NOMETHOD, "GET" },
	{ "PUT", "/v1/models/x", ROUTE_NOMETHOD, "GET, DELETE" },
	{ "DELETE", "/v1/models/x", ROUTE_UNIMPL, NULL },
	{ "POST", "/v1/images/generations", ROUTE_UNIMPL, NULL },
	{ "GET", "/v1/fine_tuning/jobs/ftjob-1/events", ROUTE_UNIMPL, NULL },
	{ "GET", "/v1/images/generations", ROUTE_NOMETHOD, "POST" },
	{ "GET", "/v1/nonsense", ROUTE_NOPATH, NULL },
	{ "GET", "/v1", ROUTE_NOPATH, NULL },
	{ "GET", "/", ROUTE_NOPATH, NULL },
	{ "GET", "/v1/models/x/y", ROUTE_NOPATH, NULL },
	{ "GET", "/v2/models", ROUTE_NOPATH, NULL },
	{ "GET", "/v1/organization/projects", ROUTE_FOUND, NULL },
	{ "POST", "/v1/organization/projects/ws_1/archive", ROUTE_FOUND, NULL },
	{ "DELETE", "/v1/organization/projects/ws_1/api_keys/k", ROUTE_FOUND,
	    NULL },
	{ "GET", "/v1/organization/usage/completions", ROUTE_FOUND, NULL },
	{ "GET", "/v1/organization/users", ROUTE_UNIMPL, NULL },
	{ "GET", "/v1/organization/projects/ws_1/users", ROUTE_UNIMPL, NULL },
	{ "GET", "/v1/organization/projects/ws_1/rate_limits", ROUTE_FOUND,
	    NULL },
	{ "POST", "/v1/organization/projects/ws_1/rate_limits/rl-m",
	    ROUTE_FOUND, NULL },
	{ "DELETE", "/v1/organization/projects/ws_1/spend_alerts/alert_1",
	    ROUTE_FOUND, NULL },
	{ "PUT", "/v1/organization/spend_limit", ROUTE_NOMETHOD,
	    "GET, POST, DELETE" },
	{ "PUT", "/v1/organization/admin_api_keys", ROUTE_NOMETHOD,
	    "POST, GET" },
	{ "GET", "/v1/organization/nonsense", ROUTE_NOPATH, NULL },
};

/* url_host_port(): what a readiness probe connects to. */
static const struct {
	const char	*url, *host, *port;	/* host NULL: refused */
} hostports[] = {
	{ "http://127.0.0.1:8001/v1", "127.0.0.1", "8001" },
	{ "http://up.example/v1", "up.example", "80" },
	{ "https://api.example.com", "api.example.com", "443" },
	{ "https://api.example.com:/v1", "api.example.com", "443" },
	{ "http://[::1]:9000/v1", "::1", "9000" },
	{ "https://[2001:db8::5]/", "2001:db8::5", "443" },
	{ "http://user:pw@host:81/x", "host", "81" },
	{ "http://host:65535", "host", "65535" },
	{ "http://host:65536/v1", NULL, NULL },
	{ "http://host:0/v1", NULL, NULL },
	{ "http://host:8a/v1", NULL, NULL },
	{ "http://host:123456/v1", NULL, NULL },
	{ "http://[::1/v1", NULL, NULL },
	{ "http://[::1]x/v1", NULL, NULL },
	{ "http:///v1", NULL, NULL },
	{ "http://:80/v1", NULL, NULL },
	{ "ftp://host/v1", NULL, NULL },
	{ "", NULL, NULL },
};

static void
test_host_port(void)
{
	char	 host[64], port[8];
	size_t	 i;
	int	 got;

	for (i = 0; i < VN_NELEM(hostports); i++) {
		got = url_host_port(hostports[i].url, host, sizeof(host), port,
		    sizeof(port));
		if (hostports[i].host == NULL) {
			is_int(got, 0, "host and port of \"%s\": refused",
			    hostports[i].url);
			continue;
		}
		ok(got == 1 && strcmp(host, hostports[i].host) == 0 &&
		    strcmp(port, hostports[i].port) == 0,
		    "host and port of %s: %s %s", hostports[i].url,
		    hostports[i].host, hostports[i].port);
	}
	ok(!url_host_port("http://a-rather-long-host-name/", host, 8, port,
	    sizeof(port)), "a host longer than its buffer: refused");
}

int
main(void)
{
	struct route_match	 m;
	enum route_result	 got;
	char			 out[64];
	size_t			 i;

	for (i = 0; i < VN_NELEM(cases); i++) {
		got = router_find(cases[i].method, cases[i].path, &m);
		is_int(got, cases[i].want, "%s %s", cases[i].method,
		    cases[i].path);
		if (cases[i].allow != NULL)
			is_str(m.allow, cases[i].allow, "  Allow: %s",
			    cases[i].allow);
	}
	router_find("GET", "/v1/models/a%2Fb", &m);
	ok(m.nparams == 1 && m.paramlen[0] == 5 &&
	    memcmp(m.param[0], "a%2Fb", 5) == 0,
	    "a parameter is captured raw, one segment");
	ok(url_pct_decode(m.param[0], m.paramlen[0], out, sizeof(out)) &&
	    strcmp(out, "a/b") == 0, "and decoded on its own");

	ok(router_is_admin("/v1/organization") &&
	    router_is_admin("/v1/organization/projects"), "admin paths");
	ok(!router_is_admin("/v1/organizations") &&
	    !router_is_admin("/v1/models") && !router_is_admin("/v1/org"),
	    "and not admin paths");

	ok(url_path_ok("/v1/models", 10), "plain path");
	ok(!url_path_ok("/v1//models", 11), "empty segment");
	ok(!url_path_ok("/v1/./models", 12), "dot segment");
	ok(!url_path_ok("/v1/../etc", 10), "dot-dot segment");
	ok(!url_path_ok("/v1/models/", 11), "trailing slash");
	ok(!url_path_ok("v1/models", 9), "relative path");
	ok(!url_path_ok("/v1/mo dels", 11), "space");
	ok(!url_path_ok("/v1/a\\b", 7), "backslash");
	ok(url_path_ok("/v1/files/file-..x", 18), "dots inside a segment");

	ok(!url_pct_decode("%zz", 3, out, sizeof(out)), "bad escape");
	ok(!url_pct_decode("%4", 2, out, sizeof(out)), "truncated escape");
	ok(!url_pct_decode("%00", 3, out, sizeof(out)), "encoded NUL");
	ok(!url_pct_decode("%0a", 3, out, sizeof(out)), "encoded newline");
	ok(!url_pct_decode("abcdef", 6, out, 4), "output too small");

	is_int(url_query_get("limit=20&after=file-1", "after", out, sizeof(out)),
	    1, "query value found");
	is_str(out, "file-1", "query value");
	is_int(url_query_get("a=1&limit=x%20y+z", "limit", out, sizeof(out)), 1,
	    "encoded query value");
	is_str(out, "x y z", "decoded, '+' is a space");
	is_int(url_query_get("xlimit=1", "limit", out, sizeof(out)), 0,
	    "names match whole");
	is_int(url_query_get("limit=%G0", "limit", out, sizeof(out)), -1,
	    "malformed value");
	is_int(url_query_get("", "limit", out, sizeof(out)), 0, "empty query");

	test_host_port();
	ok(ops_find("/healthz") != NULL && ops_find("/readyz") != NULL,
	    "operations paths: /healthz, /readyz");
	ok(ops_find("/healthz/") == NULL && ops_find("/v1/healthz") == NULL &&
	    ops_find("/readyzz") == NULL && ops_find("/") == NULL,
	    "and exact: no prefix, no suffix, not under /v1");
	return done_testing();
}
