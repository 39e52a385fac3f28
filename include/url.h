/*
 * url.h: the request target's pieces, pure.  Paths are checked on their
 * raw bytes (routing happens on raw segments); only path parameters and
 * query values are percent-decoded, one by one, so an encoded "/" or
 * ".." can never change which route matches.
 */
#ifndef URL_H
#define URL_H

#include "venna.h"

int	url_path_ok(const char *path, size_t len);
int	url_pct_decode(const char *s, size_t n, char *out, size_t outsz);
int	url_query_get(const char *query, const char *name, char *out,
	    size_t outsz);
int	url_host_port(const char *url, char *host, size_t hostsz,
	    char *port, size_t portsz);

#endif /* URL_H */
