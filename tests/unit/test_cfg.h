/*
 * test_cfg.h: the configuration the database-backed unit tests start
 * from, parsed from text as venna.conf would be.
 */
#ifndef TEST_CFG_H
#define TEST_CFG_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cfg.h"

/*
 * Parse the configuration printf(fmt, ...) makes; NULL (and the reason
 * printed as a TAP comment) when it does not parse.  The caller frees
 * the result with cfg_free().
 */
static struct cfg *
test_cfg(const char *fmt, ...)
{
	char		 text[1024], err[512];
	struct cfg	*c;
	va_list		 ap;
	int		 n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(text)) {
		printf("# test_cfg: configuration text too long\n");
		return NULL;
	}
	c = cfg_parse(text, strlen(text), "/nonexistent/venna.conf", 0, err,
	    sizeof(err));
	if (c == NULL)
		printf("# %s\n", err);
	return c;
}

#endif
