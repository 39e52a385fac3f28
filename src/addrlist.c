/*
 * addrlist.c: address lists (addrlist.h).  Each entry is copied into a
 * bounded buffer and read with inet_pton, so nothing here trusts the
 * list's or the address's length or shape.
 */
#include "config.h"

#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addrlist.h"

#define ENTRY_MAX	64	/* "ffff:...:ffff/128" fits with room */

/* An address or network: 16 bytes (IPv4 mapped into IPv6) and bits. */
struct net {
	unsigned char	 a[16];
	int		 bits;
};

/* Parse an address alone into n (IPv4 mapped, 128 or 32+96 bits). */
static int
parse_addr(const char *s, struct net *n)
{
	unsigned char	 v4[4];

	memset(n, 0, sizeof(*n));
	if (inet_pton(AF_INET, s, v4) == 1) {
		n->a[10] = n->a[11] = 0xff;
		memcpy(n->a + 12, v4, 4);
		n->bits = 128;
		return 4;
	}
	if (inet_pton(AF_INET6, s, n->a) == 1) {
		n->bits = 128;
		return 6;
	}
	return 0;
}

/* Parse "ADDR" or "ADDR/BITS" (len bytes of s) into n. */
static int
parse_entry(const char *s, size_t len, struct net *n)
{
	char		 buf[ENTRY_MAX + 1], *slash, *end;
	long		 bits;
	int		 family;

	if (len == 0 || len > ENTRY_MAX)
		return 0;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if ((slash = strchr(buf, '/')) != NULL)
		*slash = '\0';
	if ((family = parse_addr(buf, n)) == 0)
		return 0;
	if (slash == NULL)
		return 1;
	if (slash[1] < '0' || slash[1] > '9')
		return 0;
	bits = strtol(slash + 1, &end, 10);
	if (*end != '\0' || bits > (family == 4 ? 32 : 128))
		return 0;
	n->bits = (int)bits + (family == 4 ? 96 : 0);
	return 1;
}

static int
net_has(const struct net *n, const struct net *addr)
{
	int	 full = n->bits / 8, rest = n->bits % 8;

	if (memcmp(n->a, addr->a, (size_t)full) != 0)
		return 0;
	return rest == 0 || ((n->a[full] ^ addr->a[full]) &
	    (0xff << (8 - rest))) == 0;
}

/*
 * Walk the entries of list: fn gets each one's bytes; a nonzero return
 * stops the walk and is returned.
 */
static int
walk(const char *list, int (*fn)(const char *, size_t, void *), void *arg)
{
	const char	*p = list, *e;
	size_t		 n = 0;
	int		 rc;

	while (n < ADDRLIST_MAX && list[n] != '\0')
		n++;
	if (list[n] != '\0')
		return -1;
	while (*p != '\0') {
		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		for (e = p; *e != '\0' && *e != ' ' && *e != ',' &&
		    *e != '\t'; e++)
			continue;
		if ((rc = fn(p, (size_t)(e - p), arg)) != 0)
			return rc;
		p = e;
	}
	return 0;
}

struct check {
	char	*err;
	size_t	 errsz;
};

static int
check_one(const char *s, size_t len, void *arg)
{
	struct check	*c = arg;
	struct net	 n;

	if (parse_entry(s, len, &n))
		return 0;
	snprintf(c->err, c->errsz, "not an address or network: \"%.*s\"",
	    (int)(len > ENTRY_MAX ? ENTRY_MAX : len), s);
	return -1;
}

int
addrlist_check(const char *list, char *err, size_t errsz)
{
	struct check	 c = { err, errsz };
	int		 rc;

	if ((rc = walk(list, check_one, &c)) == 0)
		return 1;
	if (rc == -1 && strlen(list) >= ADDRLIST_MAX)
		snprintf(err, errsz, "the list is longer than %d bytes",
		    ADDRLIST_MAX);
	return 0;
}

static int
match_one(const char *s, size_t len, void *arg)
{
	struct net	 n;

	return parse_entry(s, len, &n) && net_has(&n, arg) ? 1 : 0;
}

int
addrlist_match(const char *list, const char *addr)
{
	struct net	 a;
	char		 buf[ENTRY_MAX + 1];
	size_t		 len;

	if (list == NULL || addr == NULL ||
	    (len = strnlen(addr, ENTRY_MAX + 1)) > ENTRY_MAX)
		return 0;
	memcpy(buf, addr, len);
	buf[len] = '\0';
	if (!parse_addr(buf, &a))
		return 0;
	return walk(list, match_one, &a) == 1;
}
