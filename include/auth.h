/*
 * auth.h: who is calling.  The Authorization header is parsed by a pure
 * function (auth_bearer); auth_check() verifies the key against the
 * store and names the workspace it acts for.
 */
#ifndef AUTH_H
#define AUTH_H

#include "venna.h"
#include "apikey.h"
#include "workspace.h"

/* Beside the database: the key generation counter (auth.c). */
#define AUTH_KEYGEN_SUFFIX	".keygen"
/*
 * How long a worker trusts a cached key row when the key generation
 * counter cannot tell it of a change.
 */
#define AUTH_CACHE_MS		500

struct principal {
	char	workspace_id[WS_ID_LEN + 1];	/* "" for an admin key */
	char	key_id[APIKEY_ID_LEN + 1];
	int	admin;				/* an admin (vka_) key */
};

int		auth_bearer(const char *hdr, size_t len, const char **tok,
		    size_t *toklen);
enum vn_err	auth_check(struct store *, const unsigned char *pepper,
		    const char *hdr, struct principal *);
enum vn_err	auth_keygen_bump(const char *database, char *err,
		    size_t errsz);

#endif /* AUTH_H */
