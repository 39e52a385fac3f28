/*
 * apikey_test.c: the key format, its checksum, the Authorization header
 * parser, and the keyed hash.
 */
#include "config.h"

#include <string.h>

#include <sodium.h>

#include "apikey.h"
#include "auth.h"
#include "ids.h"
#include "../tap.h"

int
main(void)
{
	char		 key[APIKEY_LEN + 1], key2[APIKEY_LEN + 1];
	char		 id[APIKEY_ID_LEN + 1], id2[APIKEY_ID_LEN + 1];
	unsigned char	 pepper[PEPPER_LEN], h1[APIKEY_HASH_LEN];
	unsigned char	 h2[APIKEY_HASH_LEN];
	const char	*tok;
	size_t		 toklen, i;
	int		 all_ok;

	ok(ids_init(), "libsodium initialises");
	apikey_generate(key, id);
	is_int(strlen(key), 65, "a key is 65 characters");
	ok(strncmp(key, "vk_", 3) == 0 && key[15] == '_', "vk_<id>_ layout");
	ok(apikey_parse(key, strlen(key), id2) && strcmp(id, id2) == 0,
	    "a fresh key parses and yields its id");
	is_int(apikey_crc32("123456789", 9), 0xcbf43926u,
	    "CRC-32 check value");

	all_ok = 1;
	for (i = 3; i < APIKEY_LEN; i++) {
		memcpy(key2, key, sizeof(key));
		key2[i] = key2[i] == 'a' ? 'b' : 'a';
		if (i == 15)
			continue;
		if (apikey_parse(key2, APIKEY_LEN, id2))
			all_ok = 0;
	}
	ok(all_ok, "any one-character change is caught by the checksum");
	ok(!apikey_parse(key, APIKEY_LEN - 1, id2), "short key refused");
	ok(!apikey_parse("sk-whatever", 11, id2), "foreign key refused");
	memcpy(key2, key, sizeof(key));
	key2[20] = '!';
	ok(!apikey_parse(key2, APIKEY_LEN, id2), "non-base62 refused");

	apikey_generate(key2, id2);
	ok(strcmp(key, key2) != 0 && strcmp(id, id2) != 0,
	    "two keys differ");

	randombytes_buf(pepper, sizeof(pepper));
	apikey_hash(key, APIKEY_LEN, pepper, h1);
	apikey_hash(key, APIKEY_LEN, pepper, h2);
	ok(memcmp(h1, h2, sizeof(h1)) == 0, "the hash is deterministic");
	pepper[0] ^= 1;
	apikey_hash(key, APIKEY_LEN, pepper, h2);
	ok(memcmp(h1, h2, sizeof(h1)) != 0, "the pepper changes the hash");

	ok(auth_bearer("Bearer abc", 10, &tok, &toklen) && toklen == 3 &&
	    memcmp(tok, "abc", 3) == 0, "Bearer token");
	ok(auth_bearer("bearer   abc  ", 14, &tok, &toklen) && toklen == 3,
	    "case-insensitive scheme, extra spaces");
	ok(!auth_bearer("Basic abc", 9, &tok, &toklen), "Basic refused");
	ok(!auth_bearer("Bearer", 6, &tok, &toklen), "no token");
	ok(!auth_bearer("Bearerabc", 9, &tok, &toklen), "no separator");
	ok(!auth_bearer("Bearer a b", 10, &tok, &toklen), "two tokens");
	ok(!auth_bearer("Bearer a\x01", 9, &tok, &toklen), "control byte");
	{
		char long_hdr[VN_MAX_AUTH + 10];

		memset(long_hdr, 'a', sizeof(long_hdr));
		memcpy(long_hdr, "Bearer ", 7);
		ok(!auth_bearer(long_hdr, sizeof(long_hdr), &tok, &toklen),
		    "over-long header refused");
	}
	return done_testing();
}
