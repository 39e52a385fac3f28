/*
 * fuzz_auth.c: the Authorization header and key parsers (src/auth.c
 * auth_bearer, src/apikey.c apikey_parse), which see every request's
 * untrusted header before anything else does.
 *
 * The input is copied into a buffer of exactly its size, without a
 * terminator, so a read past the header is an ASan report (the replay
 * driver's own buffer has a spare byte).  Each parser's verdict must
 * be the one its rules give, computed here independently, in both
 * directions: nothing accepted that breaks a rule, nothing refused
 * that keeps them all.
 */
#include "config.h"

#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "apikey.h"
#include "auth.h"
#include "ids.h"
#include "must.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
is_ws(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/*
 * The rule: "Bearer" in any case, at least one space or tab, one token
 * of visible ASCII, optional spaces or tabs, the end; at most
 * VN_MAX_AUTH bytes.  Sets *off and *len to the token.
 */
static int
bearer_rule(const unsigned char *h, size_t n, size_t *off, size_t *len)
{
	static const char scheme[] = "bearer";
	size_t	 i, t;

	if (n > VN_MAX_AUTH || n < 7)
		return 0;
	for (i = 0; i < 6; i++)
		if ((h[i] | 0x20) != scheme[i])
			return 0;
	for (t = 6; t < n && is_ws(h[t]); t++)
		continue;
	if (t == 6 || t == n)
		return 0;
	for (i = t; i < n && h[i] >= 0x21 && h[i] <= 0x7e; i++)
		continue;
	*off = t;
	*len = i - t;
	for (; i < n; i++)
		if (!is_ws(h[i]))
			return 0;
	return *len > 0;
}

/*
 * The key format of apikey.h: "vk_", 12 base62, "_", 43 base62, then
 * the CRC-32 of the 59 bytes before it as 6 base62 digits, most
 * significant first.
 */
static int
key_rule(const unsigned char *k, size_t n)
{
	uint32_t v;
	size_t	 i;
	int	 d;

	if (n != APIKEY_LEN || memcmp(k, "vk_", 3) != 0 || k[15] != '_')
		return 0;
	for (i = 3; i < n; i++)
		if (i != 15 && memchr(base62, k[i], 62) == NULL)
			return 0;
	v = apikey_crc32(k, 59);
	for (d = 5; d >= 0; d--) {
		if (k[59 + d] != (unsigned char)base62[v % 62])
			return 0;
		v /= 62;
	}
	return 1;
}

static void
check_key(const unsigned char *k, size_t n)
{
	char	 id[APIKEY_ID_LEN + 1];
	int	 got;

	memset(id, '#', sizeof(id));
	got = apikey_parse((const char *)k, n, id);
	MUST(got == key_rule(k, n));
	if (got)
		MUST(memcmp(id, k + 3, APIKEY_ID_LEN) == 0 &&
		    id[APIKEY_ID_LEN] == '\0');
	else
		MUST(id[0] == '#' && id[APIKEY_ID_LEN] == '#');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int	 vector_checked;
	unsigned char	*h;
	const char	*tok = NULL;
	size_t		 toklen = 0, off = 0, len = 0, i;
	int		 got, want;

	/* The rule's CRC is IEEE 802.3's: its published check value. */
	if (!vector_checked) {
		MUST(apikey_crc32("123456789", 9) == 0xcbf43926u);
		vector_checked = 1;
	}
	if ((h = malloc(size > 0 ? size : 1)) == NULL)
		return 0;
	memcpy(h, data, size);

	got = auth_bearer((const char *)h, size, &tok, &toklen);
	want = bearer_rule(h, size, &off, &len);
	MUST(got == want);
	if (got) {
		MUST(tok == (const char *)h + off && toklen == len);
		MUST(toklen >= 1 && tok >= (const char *)h + 7 &&
		    tok + toklen <= (const char *)h + size);
		for (i = 0; i < toklen; i++)
			MUST(tok[i] > 0x20 && tok[i] < 0x7f);
		check_key((const unsigned char *)tok, toklen);
	}
	check_key(h, size);
	free(h);
	return 0;
}
