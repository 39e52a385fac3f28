/*
 * fuzz_auth.c: the Authorization header and key parsers (src/auth.c
 * auth_bearer, src/apikey.c apikey_parse), which see every request's
 * untrusted header before anything else does.
 */
#include "config.h"

#include <stdint.h>
#include <stddef.h>

#include "apikey.h"
#include "auth.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*tok;
	size_t		 toklen;
	char		 id[APIKEY_ID_LEN + 1];

	if (auth_bearer((const char *)data, size, &tok, &toklen))
		(void)apikey_parse(tok, toklen, id);
	(void)apikey_parse((const char *)data, size, id);
	return 0;
}
