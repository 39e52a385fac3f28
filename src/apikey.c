/*
 * apikey.c: making, checking and hashing workspace keys, and the pepper
 * (the secret hashing key kept in a file beside the database, never in
 * it).  A keyed BLAKE2b is the right tool for 256-bit random secrets: a
 * password hash would add nothing but a per-request cost an attacker
 * could use against us (reliability.md §2a).
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "apikey.h"
#include "ids.h"

/*
 * The kinds of key: the prefix is all that differs; the offsets below
 * are relative to its end.
 */
static const struct {
	const char	*prefix;
	size_t		 plen;
} kinds[] = {
	[APIKEY_WORKSPACE] = { APIKEY_PREFIX, 3 },
	[APIKEY_ADMIN] = { APIKEY_ADMIN_PREFIX, 4 },
};

#define SEP_OFF		APIKEY_ID_LEN
#define SECRET_OFF	(SEP_OFF + 1)
#define CRC_OFF		(SECRET_OFF + APIKEY_SECRET_LEN)

/* CRC-32 (IEEE 802.3, as zlib), bitwise: keys are short. */
uint32_t
apikey_crc32(const void *p, size_t n)
{
	const unsigned char	*s = p;
	uint32_t		 crc = 0xffffffffu;
	int			 k;

	while (n-- > 0) {
		crc ^= *s++;
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
	}
	return ~crc;
}

static void
crc_encode(uint32_t v, char out[APIKEY_CRC_LEN])
{
	int	 i;

	for (i = APIKEY_CRC_LEN - 1; i >= 0; i--) {
		out[i] = base62[v % 62];
		v /= 62;
	}
}

static int
is_base62(const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= 'a' && s[i] <= 'z')))
			return 0;
	return 1;
}

/* The length of a key of kind k. */
size_t
apikey_len(enum apikey_kind k)
{
	return kinds[k].plen + CRC_OFF + APIKEY_CRC_LEN;
}

/* Mint a key of kind k and its public id.  ids_init() must have run. */
void
apikey_generate_kind(enum apikey_kind k, char key[APIKEY_MAX_LEN + 1],
    char id[APIKEY_ID_LEN + 1])
{
	size_t	 p = kinds[k].plen;

	memcpy(key, kinds[k].prefix, p);
	ids_random(key + p, APIKEY_ID_LEN);
	key[p + SEP_OFF] = '_';
	ids_random(key + p + SECRET_OFF, APIKEY_SECRET_LEN);
	crc_encode(apikey_crc32(key, p + CRC_OFF), key + p + CRC_OFF);
	key[p + CRC_OFF + APIKEY_CRC_LEN] = '\0';
	memcpy(id, key + p, APIKEY_ID_LEN);
	id[APIKEY_ID_LEN] = '\0';
}

/* Mint a workspace key and its public id. */
void
apikey_generate(char key[APIKEY_LEN + 1], char id[APIKEY_ID_LEN + 1])
{
	char	 tmp[APIKEY_MAX_LEN + 1];

	apikey_generate_kind(APIKEY_WORKSPACE, tmp, id);
	memcpy(key, tmp, APIKEY_LEN + 1);
	sodium_memzero(tmp, sizeof(tmp));
}

/*
 * Check that s (n bytes) is a well-formed key of either kind with a
 * correct checksum; set *kind and copy its public id out.  Returns 1 if
 * so.  The kinds differ in length, so at most one can match.  Pure: no
 * I/O, no secrets compared, so its timing leaks nothing.
 */
int
apikey_parse_any(const char *s, size_t n, enum apikey_kind *kind,
    char id[APIKEY_ID_LEN + 1])
{
	char	 crc[APIKEY_CRC_LEN];
	size_t	 k, p;

	for (k = 0; k < VN_NELEM(kinds); k++) {
		p = kinds[k].plen;
		if (n != apikey_len((enum apikey_kind)k) ||
		    memcmp(s, kinds[k].prefix, p) != 0)
			continue;
		if (s[p + SEP_OFF] != '_' ||
		    !is_base62(s + p, APIKEY_ID_LEN) ||
		    !is_base62(s + p + SECRET_OFF,
		    APIKEY_SECRET_LEN + APIKEY_CRC_LEN))
			return 0;
		crc_encode(apikey_crc32(s, p + CRC_OFF), crc);
		if (memcmp(crc, s + p + CRC_OFF, APIKEY_CRC_LEN) != 0)
			return 0;
		memcpy(id, s + p, APIKEY_ID_LEN);
		id[APIKEY_ID_LEN] = '\0';
		*kind = (enum apikey_kind)k;
		return 1;
	}
	return 0;
}

/* A workspace key only: apikey_parse_any() for callers that take no other. */
int
apikey_parse(const char *s, size_t n, char id[APIKEY_ID_LEN + 1])
{
	enum apikey_kind	 k;
	char			 tmp[APIKEY_ID_LEN + 1];

	if (!apikey_parse_any(s, n, &k, tmp) || k != APIKEY_WORKSPACE)
		return 0;
	memcpy(id, tmp, sizeof(tmp));
	return 1;
}

/*
 * What a listing shows of a key: its prefix and its last characters
 * (tail, NULL or "" for a key made before they were kept).
 */
void
apikey_redact(enum apikey_kind k, const char *tail,
    char out[APIKEY_REDACTED_MAX + 1])
{
	snprintf(out, APIKEY_REDACTED_MAX + 1, "%s...%.*s", kinds[k].prefix,
	    APIKEY_TAIL_LEN, tail != NULL ? tail : "");
}

/* The stored form of a key: BLAKE2b-256 keyed with the pepper. */
void
apikey_hash(const char *key, size_t n, const unsigned char *pepper,
    unsigned char out[APIKEY_HASH_LEN])
{
	crypto_generichash(out, APIKEY_HASH_LEN, (const unsigned char *)key,
	    n, pepper, PEPPER_LEN);
}

/*
 * Read the pepper: 64 hex characters and a newline.  A pepper readable
 * by other users is refused, as ssh refuses such a private key.
 */
enum vn_err
apikey_pepper_load(const char *path, unsigned char out[PEPPER_LEN], char *err,
    size_t errsz)
{
	char		 hex[PEPPER_LEN * 2 + 2];
	struct stat	 st;
	size_t		 binlen = 0;
	ssize_t		 n;
	int		 fd;
	enum vn_err	 rc = VN_ECONFIG;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		snprintf(err, errsz, "pepper %s: %s%s", path, strerror(errno),
		    errno == ENOENT ? " (run \"vennactl init\" first)" : "");
		return VN_ECONFIG;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errsz, "pepper %s: not a regular file", path);
		goto out;
	}
	if (st.st_mode & 077) {
		snprintf(err, errsz, "pepper %s: readable by others (mode "
		    "%03o); chmod 600 it", path, (unsigned)(st.st_mode & 0777));
		goto out;
	}
	n = read(fd, hex, sizeof(hex));
	if (n < PEPPER_LEN * 2 ||
	    sodium_hex2bin(out, PEPPER_LEN, hex, PEPPER_LEN * 2, NULL,
	    &binlen, NULL) != 0 || binlen != PEPPER_LEN) {
		snprintf(err, errsz, "pepper %s: expected %d hex characters",
		    path, PEPPER_LEN * 2);
		goto out;
	}
	rc = VN_OK;
out:
	sodium_memzero(hex, sizeof(hex));
	if (rc != VN_OK)
		sodium_memzero(out, PEPPER_LEN);	/* a partial pepper */
	close(fd);
	return rc;
}

/*
 * Create a new pepper file with mode 0600.  Refuses to overwrite one:
 * a new pepper would invalidate every key.
 */
enum vn_err
apikey_pepper_create(const char *path, char *err, size_t errsz)
{
	unsigned char	 bin[PEPPER_LEN];
	char		 hex[PEPPER_LEN * 2 + 2];
	size_t		 len;
	int		 fd;
	enum vn_err	 rc = VN_ESYS;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd == -1) {
		snprintf(err, errsz, "pepper %s: %s", path, strerror(errno));
		return errno == EEXIST ? VN_ECONFLICT : VN_ESYS;
	}
	randombytes_buf(bin, sizeof(bin));
	sodium_bin2hex(hex, sizeof(hex), bin, sizeof(bin));
	len = strlen(hex);
	hex[len++] = '\n';
	if (write(fd, hex, len) != (ssize_t)len || fsync(fd) != 0) {
		snprintf(err, errsz, "pepper %s: %s", path, strerror(errno));
		unlink(path);
		goto out;
	}
	rc = VN_OK;
out:
	sodium_memzero(bin, sizeof(bin));
	sodium_memzero(hex, sizeof(hex));
	close(fd);
	return rc;
}
