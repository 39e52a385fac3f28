/*
 * ids.c: random identifiers.  Every id a client sees is minted here from
 * libsodium's CSPRNG, so ids are unguessable as well as unique: knowing
 * one workspace's file id says nothing about another's.
 */
#include "config.h"

#include <string.h>

#include <sodium.h>

#include "ids.h"

const char base62[63] =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/* Initialise libsodium (idempotent, thread-safe).  Returns 1 on success. */
int
ids_init(void)
{
	return sodium_init() >= 0;
}

/*
 * Fill out with n uniformly random base62 characters (no terminator).
 * Random bytes come 64 at a time (one getrandom call, not one per
 * character); a byte of 248 or more is dropped so that byte % 62 stays
 * uniform (248 = 4 * 62).
 */
void
ids_random(char *out, size_t n)
{
	unsigned char	 rnd[64];
	size_t		 i = 0, k = sizeof(rnd);

	while (i < n) {
		if (k == sizeof(rnd)) {
			randombytes_buf(rnd, sizeof(rnd));
			k = 0;
		}
		if (rnd[k] < 248)
			out[i++] = base62[rnd[k] % 62];
		k++;
	}
	sodium_memzero(rnd, sizeof(rnd));
}

/*
 * Write prefix followed by nrand random characters and a NUL into out,
 * which must hold strlen(prefix) + nrand + 1 bytes (truncated otherwise).
 */
void
ids_new(char *out, size_t outsz, const char *prefix, size_t nrand)
{
	size_t	 plen = strlen(prefix);

	if (outsz == 0)
		return;
	if (plen >= outsz)
		plen = outsz - 1;
	memcpy(out, prefix, plen);
	if (nrand > outsz - 1 - plen)
		nrand = outsz - 1 - plen;
	ids_random(out + plen, nrand);
	out[plen + nrand] = '\0';
}
