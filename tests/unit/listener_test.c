/*
 * listener_test.c: reading systemd's socket activation variables
 * (sd_listen_fds(3)): sockets for this process, none when the variables
 * are absent or meant for another process, and malformed values refused
 * rather than half-read.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "listener.h"
#include "../tap.h"

#define SELF	4242L

struct tcase {
	const char	*pid;		/* LISTEN_PID, NULL: unset */
	const char	*fds;		/* LISTEN_FDS, NULL: unset */
	int		 want;
	const char	*what;
};

static const struct tcase cases[] = {
	{ "4242", "1", 1, "one socket for us" },
	{ "4242", "2", 2, "two sockets: counted (the caller refuses)" },
	{ "4242", "0", 0, "LISTEN_FDS=0: none" },
	{ NULL, NULL, 0, "no variables: not activated" },
	{ "4242", NULL, 0, "LISTEN_PID alone: not activated" },
	{ NULL, "1", 0, "LISTEN_FDS alone: not activated" },
	{ "4241", "1", 0, "another process's sockets (inherited): none" },
	{ "4241", "junk", 0, "  even with a LISTEN_FDS we could not read" },
	{ "", "1", -1, "LISTEN_PID empty: refused" },
	{ "42x", "1", -1, "LISTEN_PID with trailing junk: refused" },
	{ "-4242", "1", -1, "LISTEN_PID negative: refused" },
	{ "0", "1", -1, "LISTEN_PID 0: refused" },
	{ "99999999999999999999", "1", -1, "LISTEN_PID out of range: refused" },
	{ "4242", "", -1, "LISTEN_FDS empty: refused" },
	{ "4242", "1x", -1, "LISTEN_FDS with trailing junk: refused" },
	{ "4242", "-1", -1, "LISTEN_FDS negative: refused" },
	{ "4242", " 1", -1, "LISTEN_FDS with a leading blank: refused" },
};

static void
test_table(void)
{
	const struct tcase *c;
	char		 err[VN_ERRMSG];
	size_t		 i;
	int		 got;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		c = &cases[i];
		err[0] = '\0';
		got = listener_activation_parse(c->pid, c->fds, SELF, err,
		    sizeof(err));
		is_int(got, c->want, "%s", c->what);
		if (got == -1)
			ok(strstr(err, strcmp(c->pid, "4242") == 0 ?
			    "LISTEN_FDS" : "LISTEN_PID") != NULL,
			    "  the error names the variable");
		else
			is_str(err, "", "  no error");
	}
}

/* The count stops where descriptor numbers do. */
static void
test_limit(void)
{
	char	 err[VN_ERRMSG], n[32];

	snprintf(n, sizeof(n), "%d", INT_MAX);
	is_int(listener_activation_parse("4242", n, SELF, err, sizeof(err)),
	    -1, "LISTEN_FDS past the last descriptor: refused");
	snprintf(n, sizeof(n), "%d", INT_MAX - LISTENER_SYSTEMD_FD);
	is_int(listener_activation_parse("4242", n, SELF, err, sizeof(err)),
	    INT_MAX - LISTENER_SYSTEMD_FD, "  up to the last one: counted");
}

int
main(void)
{
	test_table();
	test_limit();
	return done_testing();
}
