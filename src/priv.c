/*
 * priv.c: becoming the configured user (slowcgi and httpd are the
 * model: bind as root, then give root up for good, then restrict what
 * is left).  Linux has no pledge(2); what it has is no_new_privs, which
 * makes every later execve(2) unable to gain privileges (no setuid
 * binary, no file capabilities), so a hijacked worker cannot climb back.
 *
 * The order matters: the supplementary groups and the group are set
 * while the process is still root (after setuid(2) it could no longer
 * change them), the user last, and then the result is checked, root
 * included: a setuid(0) that succeeds means the drop failed.
 */
#include "config.h"

#include <sys/types.h>
#ifdef HAVE_SYS_PRCTL_H
#include <sys/prctl.h>
#endif

#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "priv.h"

/* 1 if s is all digits (a numeric uid or gid). */
static int
numeric(const char *s, unsigned long *out)
{
	char	*end;

	if (*s == '\0' || !isdigit((unsigned char)*s))
		return 0;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno == 0 && *end == '\0';
}

/* The name of the user this process runs as, for messages. */
static void
current_user(char *out, size_t outsz)
{
	const struct passwd	*pw;

	if ((pw = getpwuid(geteuid())) != NULL)
		snprintf(out, outsz, "%s", pw->pw_name);
	else
		snprintf(out, outsz, "uid %lu", (unsigned long)geteuid());
}

/*
 * Look up "USER" or "USER:GROUP" (names, or numbers that the password
 * and group databases know).  Without GROUP, the user's own group.
 * Returns VN_OK, or VN_ECONFIG with the reason in err.
 */
enum vn_err
priv_lookup(const char *spec, struct priv_user *pu, char *err, size_t errsz)
{
	char			 user[PRIV_NAME_MAX];
	const char		*colon, *group = NULL;
	const struct passwd	*pw;
	const struct group	*gr;
	unsigned long		 n;
	size_t			 len;

	memset(pu, 0, sizeof(*pu));
	colon = strchr(spec, ':');
	len = colon != NULL ? (size_t)(colon - spec) : strlen(spec);
	if (len == 0 || len >= sizeof(user) ||
	    (colon != NULL && (colon[1] == '\0' ||
	    strlen(colon + 1) >= sizeof(pu->group)))) {
		snprintf(err, errsz, "\"%s\": expected USER or USER:GROUP",
		    spec);
		return VN_ECONFIG;
	}
	memcpy(user, spec, len);
	user[len] = '\0';
	if (colon != NULL)
		group = colon + 1;

	if ((pw = getpwnam(user)) == NULL && numeric(user, &n))
		pw = getpwuid((uid_t)n);
	if (pw == NULL) {
		snprintf(err, errsz, "no user named %s", user);
		return VN_ECONFIG;
	}
	snprintf(pu->name, sizeof(pu->name), "%s", pw->pw_name);
	pu->uid = pw->pw_uid;
	pu->gid = pw->pw_gid;
	if (group != NULL) {
		if ((gr = getgrnam(group)) == NULL && numeric(group, &n))
			gr = getgrgid((gid_t)n);
		if (gr == NULL) {
			snprintf(err, errsz, "no group named %s", group);
			return VN_ECONFIG;
		}
		pu->gid = gr->gr_gid;
	} else
		gr = getgrgid(pu->gid);
	if (gr != NULL)
		snprintf(pu->group, sizeof(pu->group), "%s", gr->gr_name);
	else
		snprintf(pu->group, sizeof(pu->group), "%lu",
		    (unsigned long)pu->gid);
	return VN_OK;
}

/*
 * Become pu, for good, if this process runs as root.  pu is NULL when
 * no user was named: root is then refused.  "root" itself keeps root,
 * which must be asked for by name.  A process that is not root stays
 * who it is: when pu names someone else, that is an error if strict
 * (the command line asked for it), otherwise a warning (a configuration
 * shared with processes a web server starts as its own user).  Last,
 * no_new_privs.  Returns VN_OK, or VN_EPERM with the reason in err.
 */
enum vn_err
priv_drop(const struct priv_user *pu, int strict, char *err, size_t errsz)
{
	char	 me[PRIV_NAME_MAX];

	current_user(me, sizeof(me));
	if (geteuid() == 0 && pu == NULL) {
		snprintf(err, errsz, "refusing to run as root: name the user "
		    "to run as with -u USER[:GROUP] or \"user\" in [server] "
		    "(-u root to run as root all the same)");
		return VN_EPERM;
	}
	if (geteuid() == 0 && pu->uid == 0)
		log_info("running as root, as asked (user root)");
	else if (geteuid() == 0) {
		if (initgroups(pu->name, pu->gid) == -1 ||
		    setgid(pu->gid) == -1 || setuid(pu->uid) == -1) {
			snprintf(err, errsz, "cannot become %s:%s: %s",
			    pu->name, pu->group, strerror(errno));
			return VN_EPERM;
		}
		if (getuid() != pu->uid || geteuid() != pu->uid ||
		    getgid() != pu->gid || getegid() != pu->gid ||
		    setuid(0) != -1) {
			snprintf(err, errsz, "cannot give root up for %s",
			    pu->name);
			return VN_EPERM;
		}
		log_debug("running as %s:%s", pu->name, pu->group);
	} else if (pu != NULL && pu->uid != geteuid()) {
		if (strict) {
			snprintf(err, errsz, "cannot become %s: only root can, "
			    "and this runs as %s", pu->name, me);
			return VN_EPERM;
		}
		log_warn("running as %s, not as %s: the configuration's "
		    "\"user\" applies when started as root", me, pu->name);
	}
#if defined(HAVE_SYS_PRCTL_H) && defined(PR_SET_NO_NEW_PRIVS)
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		log_warn("no_new_privs: %s", strerror(errno));
#endif
	return VN_OK;
}
