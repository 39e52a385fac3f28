/*
 * router.c: which handler serves a request.  The table below is the
 * whole HTTP surface of Venna; matching walks the raw path segment by
 * segment, so what a "*" captures is one segment and nothing in it can
 * reach another route.
 */
#include "config.h"

#include <string.h>

#include "api.h"
#include "router.h"

const struct route router_routes[] = {
#define ORG	"/v1/organization"
	{ "POST", ORG "/admin_api_keys", api_admin_keys_create, ROUTE_JSON },
	{ "GET", ORG "/admin_api_keys", api_admin_keys_list, 0 },
	{ "GET", ORG "/admin_api_keys/*", api_admin_keys_get, 0 },
	{ "DELETE", ORG "/admin_api_keys/*", api_admin_keys_delete, 0 },
	{ "GET", ORG "/audit_logs", api_admin_audit_list, 0 },
	{ "GET", ORG "/costs", api_admin_costs, 0 },
	{ "POST", ORG "/projects", api_admin_projects_create, ROUTE_JSON },
	{ "GET", ORG "/projects", api_admin_projects_list, 0 },
	{ "GET", ORG "/projects/*", api_admin_projects_get, 0 },
	{ "POST", ORG "/projects/*", api_admin_projects_update, ROUTE_JSON },
	{ "POST", ORG "/projects/*/archive", api_admin_projects_archive, 0 },
	{ "GET", ORG "/projects/*/api_keys", api_admin_pkeys_list, 0 },
	{ "GET", ORG "/projects/*/api_keys/*", api_admin_pkeys_get, 0 },
	{ "DELETE", ORG "/projects/*/api_keys/*", api_admin_pkeys_delete, 0 },
	{ "POST", ORG "/projects/*/service_accounts", api_admin_sa_create,
	    ROUTE_JSON },
	{ "GET", ORG "/projects/*/service_accounts", api_admin_sa_list, 0 },
	{ "GET", ORG "/projects/*/service_accounts/*", api_admin_sa_get, 0 },
	{ "DELETE", ORG "/projects/*/service_accounts/*", api_admin_sa_delete,
	    0 },
	{ "GET", ORG "/projects/*/model_permissions", api_admin_perm_get, 0 },
	{ "POST", ORG "/projects/*/model_permissions", api_admin_perm_set,
	    ROUTE_JSON },
	{ "DELETE", ORG "/projects/*/model_permissions", api_admin_perm_delete,
	    0 },
	{ "GET", ORG "/projects/*/rate_limits", api_admin_rl_list, 0 },
	{ "POST", ORG "/projects/*/rate_limits/*", api_admin_rl_update,
	    ROUTE_JSON },
	{ "POST", ORG "/projects/*/spend_alerts", api_admin_alert_create,
	    ROUTE_JSON },
	{ "GET", ORG "/projects/*/spend_alerts", api_admin_alert_list, 0 },
	{ "GET", ORG "/projects/*/spend_alerts/*", api_admin_alert_get, 0 },
	{ "POST", ORG "/projects/*/spend_alerts/*", api_admin_alert_update,
	    ROUTE_JSON },
	{ "DELETE", ORG "/projects/*/spend_alerts/*", api_admin_alert_delete,
	    0 },
	{ "GET", ORG "/projects/*/spend_limit", api_admin_spend_get, 0 },
	{ "POST", ORG "/projects/*/spend_limit", api_admin_spend_set,
	    ROUTE_JSON },
	{ "DELETE", ORG "/projects/*/spend_limit", api_admin_spend_delete, 0 },
	{ "POST", ORG "/spend_alerts", api_admin_alert_create, ROUTE_JSON },
	{ "GET", ORG "/spend_alerts", api_admin_alert_list, 0 },
	{ "GET", ORG "/spend_alerts/*", api_admin_alert_get, 0 },
	{ "POST", ORG "/spend_alerts/*", api_admin_alert_update, ROUTE_JSON },
	{ "DELETE", ORG "/spend_alerts/*", api_admin_alert_delete, 0 },
	{ "GET", ORG "/spend_limit", api_admin_spend_get, 0 },
	{ "POST", ORG "/spend_limit", api_admin_spend_set, ROUTE_JSON },
	{ "DELETE", ORG "/spend_limit", api_admin_spend_delete, 0 },
	{ "GET", ORG "/usage/completions", api_admin_usage_completions, 0 },
	{ "GET", ORG "/usage/embeddings", api_admin_usage_embeddings, 0 },
#undef ORG
	{ "POST", "/v1/batches", api_batches_create, ROUTE_JSON },
	{ "GET", "/v1/batches", api_batches_list, 0 },
	{ "GET", "/v1/batches/*", api_batches_get, 0 },
	{ "POST", "/v1/batches/*/cancel", api_batches_cancel, 0 },
	{ "POST", "/v1/chat/completions", api_chat_completions, ROUTE_JSON },
	{ "POST", "/v1/embeddings", api_embeddings, ROUTE_JSON },
	{ "POST", "/v1/files", api_files_create, ROUTE_RAWBODY },
	{ "GET", "/v1/files", api_files_list, 0 },
	{ "GET", "/v1/files/*", api_files_get, 0 },
	{ "DELETE", "/v1/files/*", api_files_delete, 0 },
	{ "GET", "/v1/files/*/content", api_files_content, 0 },
	{ "GET", "/v1/models", api_models_list, 0 },
	{ "GET", "/v1/models/*", api_models_get, 0 },
	{ "POST", "/v1/responses", api_responses_create, ROUTE_JSON },
	{ "GET", "/v1/responses/*", api_responses_get, 0 },
	{ "DELETE", "/v1/responses/*", api_responses_delete, 0 },
	{ "POST", "/v1/responses/*/cancel", api_responses_cancel, 0 },
	{ "GET", "/v1/responses/*/input_items", api_responses_input_items,
	    0 },
	{ NULL, NULL, NULL, 0 }
};

/*
 * Match path against pattern; on success record the "*" segments in m.
 * Returns 1 on a match.  Pure.
 */
int
router_match(const char *pat, const char *path, struct route_match *m)
{
	const char	*pe, *se;
	size_t		 plen, slen;

	m->nparams = 0;
	for (;;) {
		if (*pat != '/' || *path != '/')
			return *pat == '\0' && *path == '\0';
		pat++;
		path++;
		pe = strchr(pat, '/');
		se = strchr(path, '/');
		plen = pe != NULL ? (size_t)(pe - pat) : strlen(pat);
		slen = se != NULL ? (size_t)(se - path) : strlen(path);
		if (slen == 0)
			return 0;
		if (plen == 1 && pat[0] == '*') {
			if (m->nparams == ROUTE_MAX_PARAMS)
				return 0;
			m->param[m->nparams] = path;
			m->paramlen[m->nparams] = slen;
			m->nparams++;
		} else if (plen != slen || memcmp(pat, path, slen) != 0)
			return 0;
		pat += plen;
		path += slen;
	}
}

static void
allow_add(char *allow, size_t sz, const char *method)
{
	size_t	 n = strlen(allow), mlen = strlen(method);
	const char *p;

	for (p = allow; (p = strstr(p, method)) != NULL; p += mlen)
		if ((p == allow || p[-1] == ' ') &&
		    (p[mlen] == ',' || p[mlen] == '\0'))
			return;
	if (n + mlen + 3 >= sz)
		return;
	if (n > 0) {
		memcpy(allow + n, ", ", 2);
		n += 2;
	}
	memcpy(allow + n, method, mlen + 1);
}

/*
 * Whether path is the Admin API's: /v1/organization and below, served
 * or not.  Pure.
 */
int
router_is_admin(const char *path)
{
	static const char org[] = "/v1/organization";

	return strncmp(path, org, sizeof(org) - 1) == 0 &&
	    (path[sizeof(org) - 1] == '\0' || path[sizeof(org) - 1] == '/');
}

/*
 * Look up method and path.  Served routes win; then the OpenAI document
 * decides between 501 and 405; otherwise 404.  Pure.
 */
enum route_result
router_find(const char *method, const char *path, struct route_match *m)
{
	struct route_match	 tmp;
	const struct route	*r;
	const struct openai_path *o;
	int			 other = 0;

	memset(m, 0, sizeof(*m));
	for (r = router_routes; r->method != NULL; r++) {
		if (!router_match(r->pattern, path, &tmp))
			continue;
		if (strcmp(r->method, method) == 0) {
			*m = tmp;
			m->route = r;
			return ROUTE_FOUND;
		}
		allow_add(m->allow, sizeof(m->allow), r->method);
		other = 1;
	}
	for (o = openai_paths; o->method != NULL; o++) {
		if (!router_match(o->pattern, path, &tmp))
			continue;
		if (strcmp(o->method, method) == 0)
			return ROUTE_UNIMPL;
		allow_add(m->allow, sizeof(m->allow), o->method);
		other = 1;
	}
	return other ? ROUTE_NOMETHOD : ROUTE_NOPATH;
}
