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

void		apikey_generate(char key[APIKEY_LEN + 1],
		    char id[APIKEY_ID_LEN + 1]);
int		apikey_parse(const char *, size_t, char id[APIKEY_ID_LEN + 1]);
void		apikey_hash(const char *, size_t, const unsigned char *pepper,
		    unsigned char out[APIKEY_HASH_LEN]);
uint32_t	apikey_crc32(const void *, size_t);
enum vn_err	apikey_pepper_load(const char *path,
		    unsigned char out[PEPPER_LEN], char *err, size_t errsz);
enum vn_err	apikey_pepper_create(const char *path, char *err, size_t errsz);

#endif /* APIKEY_H */
