/*
 * addrlist_test.c: address lists as venna.conf holds them (metrics_allow):
 * what parses, what an address matches, IPv4 mapped into IPv6, network
 * edges, and hostile shapes (overlong entries and lists, garbage).
 */
#include "config.h"

#include <string.h>

#include "addrlist.h"
#include "../tap.h"

static int
valid(const char *list)
{
	char	 err[128];

	return addrlist_check(list, err, sizeof(err));
}

int
main(void)
{
	char	 err[128], big[ADDRLIST_MAX + 64];

	ok(valid(""), "an empty list");
	ok(valid("127.0.0.1 ::1"), "addresses");
	ok(valid("127.0.0.0/8, ::1/128,10.0.0.0/8\t192.0.2.0/24"),
	    "networks, commas and tabs");
	ok(valid("0.0.0.0/0 ::/0"), "everything");
	ok(!valid("localhost"), "a host name is refused");
	ok(!addrlist_check("127.0.0.1 nope", err, sizeof(err)) &&
	    strstr(err, "\"nope\"") != NULL, "the error names the entry");
	ok(!valid("10.0.0.0/33"), "IPv4 bits over 32");
	ok(!valid("::/129"), "IPv6 bits over 128");
	ok(!valid("10.0.0.0/"), "no bits after /");
	ok(!valid("10.0.0.0/-1"), "negative bits");
	ok(!valid("10.0.0.0/8x"), "junk after bits");
	ok(!valid("10.0.0.0/8/8"), "two slashes");
	ok(!valid("1.2.3.4.5"), "five octets");
	memset(big, 'a', 200);
	big[200] = '\0';
	ok(!valid(big), "an overlong entry");
	memset(big, ' ', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "::1", 3);
	ok(!addrlist_check(big, err, sizeof(err)) &&
	    strstr(err, "longer") != NULL, "an overlong list");

	ok(addrlist_match("127.0.0.0/8 ::1", "127.0.0.1"), "loopback");
	ok(addrlist_match("127.0.0.0/8 ::1", "127.255.0.9"), "all of /8");
	ok(!addrlist_match("127.0.0.1", "127.0.0.2"), "one address only");
	ok(addrlist_match("127.0.0.0/8 ::1", "::1"), "IPv6 loopback");
	ok(addrlist_match("127.0.0.0/8", "::ffff:127.0.0.1"),
	    "IPv4 mapped into IPv6 matches its IPv4 network");
	ok(!addrlist_match("::1", "127.0.0.1"), "::1 is not 127.0.0.1");
	ok(addrlist_match("192.0.2.128/25", "192.0.2.200"), "inside /25");
	ok(!addrlist_match("192.0.2.128/25", "192.0.2.127"),
	    "just outside /25");
	ok(addrlist_match("2001:db8::/33", "2001:db8:7fff::1"),
	    "inside an IPv6 /33");
	ok(!addrlist_match("2001:db8::/33", "2001:db8:8000::1"),
	    "just outside it");
	ok(addrlist_match("0.0.0.0/0", "8.8.8.8"), "/0 takes any IPv4");
	ok(!addrlist_match("0.0.0.0/0", "2001:db8::1"),
	    "an IPv4 /0 takes no IPv6");
	ok(addrlist_match("::/0", "8.8.8.8"), "::/0 takes all");
	ok(!addrlist_match("", "127.0.0.1"), "an empty list takes none");
	ok(!addrlist_match("127.0.0.1 junk", "10.0.0.1"),
	    "a bad entry matches nothing");
	ok(addrlist_match("junk 127.0.0.1", "127.0.0.1"),
	    "... and does not hide the good ones");
	ok(!addrlist_match("127.0.0.0/8", "127.0.0.1 "), "a padded address");
	ok(!addrlist_match("127.0.0.0/8", ""), "an empty address");
	ok(!addrlist_match("127.0.0.0/8", NULL), "no address");
	ok(!addrlist_match(NULL, "127.0.0.1"), "no list");
	memset(big, '1', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ok(!addrlist_match("0.0.0.0/0", big), "an overlong address");
	return done_testing();
}
