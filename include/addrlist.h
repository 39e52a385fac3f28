/*
 * addrlist.h: lists of client addresses as an operator writes them in
 * venna.conf ("127.0.0.1 ::1 10.0.0.0/8"), and whether an address is
 * in one.  Pure functions over bytes, for the config loader and for
 * what may read /metrics without a key.
 */
#ifndef ADDRLIST_H
#define ADDRLIST_H

#include <stddef.h>

#define ADDRLIST_MAX	1024	/* a list's length in bytes */

/*
 * Check list: addresses (IPv4 or IPv6) or networks (ADDR/BITS),
 * separated by spaces or commas; "" is an empty list.  Returns 1, or 0
 * with *err saying which entry is wrong.
 */
int	addrlist_check(const char *list, char *err, size_t errsz);

/*
 * Whether addr (as REMOTE_ADDR gives it) is in list.  An IPv4 address
 * mapped into IPv6 (::ffff:a.b.c.d) matches its IPv4 entries.  A list
 * or address that does not parse matches nothing.
 */
int	addrlist_match(const char *list, const char *addr);

#endif /* ADDRLIST_H */
