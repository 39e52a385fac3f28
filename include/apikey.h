/*
 * apikey.h: the workspace key format and its hashing.
 *
 *   vk_ <12 id> _ <43 secret> <6 checksum>      (65 characters)
 *
 * The id is public and indexes the database row.  The secret is 43
 * base62 characters (256 bits).  The checksum is the CRC-32 of all that
 * precedes it in 6 base62 characters, so junk and typos are refused
 * without touching the database, and leaked keys are easy to scan for.
 * Only crypto_generichash(key, pepper) is stored.
 *
 * Admin keys (the Admin API's, /v1/organization) have the same shape
 * behind the prefix "vka_" (66 characters): a kind of key of its own,
 * told apart by its prefix and length before any lookup, stored in a
 * table of its own, hashed the same way.
 */
#ifndef APIKEY_H
#define APIKEY_H

#include "venna.h"

#define APIKEY_PREFIX		"vk_"
#define APIKEY_ID_LEN		12
#define APIKEY_SECRET_LEN	43
#define APIKEY_CRC_LEN		6
#define APIKEY_LEN		(3 + APIKEY_ID_LEN + 1 + APIKEY_SECRET_LEN + \
				 APIKEY_CRC_LEN)
#define APIKEY_HASH_LEN		32
#define PEPPER_LEN		32
#define PEPPER_VERSION		1

#define APIKEY_ADMIN_PREFIX	"vka_"
#define APIKEY_ADMIN_LEN	(APIKEY_LEN + 1)
#define APIKEY_MAX_LEN		APIKEY_ADMIN_LEN
/* The characters of a key a listing shows (the checksum's last ones). */
#define APIKEY_TAIL_LEN		4
/* "vka_..." and the tail */
#define APIKEY_REDACTED_MAX	(4 + 3 + APIKEY_TAIL_LEN)

enum apikey_kind {
	APIKEY_WORKSPACE,	/* vk_: model endpoints, one workspace */
	APIKEY_ADMIN		/* vka_: /v1/organization only */
};

void		apikey_generate(char key[APIKEY_LEN + 1],
		    char id[APIKEY_ID_LEN + 1]);
int		apikey_parse(const char *, size_t, char id[APIKEY_ID_LEN + 1]);
void		apikey_hash(const char *, size_t, const unsigned char *pepper,
		    unsigned char out[APIKEY_HASH_LEN]);
void		apikey_generate_kind(enum apikey_kind,
		    char key[APIKEY_MAX_LEN + 1], char id[APIKEY_ID_LEN + 1]);
int		apikey_parse_any(const char *, size_t, enum apikey_kind *,
		    char id[APIKEY_ID_LEN + 1]);
size_t		apikey_len(enum apikey_kind);
void		apikey_redact(enum apikey_kind, const char *tail,
		    char out[APIKEY_REDACTED_MAX + 1]);
uint32_t	apikey_crc32(const void *, size_t);
enum vn_err	apikey_pepper_load(const char *path,
		    unsigned char out[PEPPER_LEN], char *err, size_t errsz);
enum vn_err	apikey_pepper_create(const char *path, char *err, size_t errsz);

#endif /* APIKEY_H */
