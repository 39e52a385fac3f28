/*
 * fuzz_path.c: what a request path goes through before a handler sees
 * it (src/request.c req_path_ok, pct_decode, query_get; src/router.c
 * router_find).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "url.h"
#include "router.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct route_match	 m;
	char			*s;
	char			 out[CTX_MAX_PARAM + 1];
	size_t			 i;

	if (size > VN_MAX_PATH + VN_MAX_QUERY)
		return 0;
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	(void)url_query_get(s, "limit", out, sizeof(out));
	(void)url_pct_decode(s, size, out, sizeof(out));
	if (url_path_ok(s, strlen(s)) &&
	    router_find("GET", s, &m) == ROUTE_FOUND)
		for (i = 0; i < m.nparams; i++)
			(void)url_pct_decode(m.param[i], m.paramlen[i], out,
			    sizeof(out));
	free(s);
	return 0;
}
