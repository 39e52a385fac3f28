/*
 * priv.h: the user Venna's long-running programs run as.  Started as
 * root (a web server's init script, cron), venna-fcgi binds its socket
 * and then becomes the configured user, and venna-batch becomes it at
 * once; without one they refuse to run as root.
 */
#ifndef PRIV_H
#define PRIV_H

#include <sys/types.h>

#include "venna.h"

#define PRIV_NAME_MAX	64

struct priv_user {
	char	 name[PRIV_NAME_MAX];	/* the user, as looked up */
	char	 group[PRIV_NAME_MAX];	/* its group, or the one given */
	uid_t	 uid;
	gid_t	 gid;
};

enum vn_err	priv_lookup(const char *spec, struct priv_user *,
		    char *err, size_t errsz);
enum vn_err	priv_drop(const struct priv_user *, int strict, char *err,
		    size_t errsz);

#endif /* PRIV_H */
