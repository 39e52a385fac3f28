/*
 * vennactl_int.h: what vennactl's files share.  Private to
 * src/vennactl.c (main, the command table, the workspace, audit, usage
 * and database commands, and the helpers below) and src/vennactl_keys.c
 * (the key and admin-key commands).  It sits beside them rather than in
 * include/ because it is no module's interface.
 *
 * The helpers exit as vennactl does: a usage error with status 2, a
 * failure (no such workspace, a database error) with status 1.
 */
#ifndef VENNACTL_INT_H
#define VENNACTL_INT_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "admin.h"
#include "apikey.h"
#include "cfg.h"
#include "db.h"

/* One run of vennactl: its configuration and the command's words. */
struct ctl {
	struct cfg	*cfg;
	const char	*cfgpath;
	int		 argc;	/* words after the subcommand */
	char		**argv;
};

/* vennactl.c: the usage on stderr, exit 2. */
void		 ctl_usage(void);

/* vennactl.c: the command's words. */
const char	*ctl_flag(struct ctl *, const char *name);
int		 ctl_positional(struct ctl *, char **out, int max);
void		 ctl_check_flags(struct ctl *, const char *const *allowed);

/* vennactl.c: the database and what the commands look up in it. */
struct db	*ctl_open_db(struct ctl *);
void		 ctl_need_workspace(struct db *, const char *name);
void		 ctl_find_ws(struct db *, const char *,
		    struct admin_project *);
void		 ctl_load_pepper(struct ctl *, unsigned char[PEPPER_LEN]);
void		 ctl_env_init(struct ctl *, struct db *,
		    const unsigned char *pepper, struct admin_env *);

/* vennactl.c: times as listings print them, "-" for none. */
void		 ctl_fmt_time(sqlite3_stmt *, int col, char *, size_t);
void		 ctl_print_time(int64_t, char *, size_t);

/* vennactl_keys.c: "key create|list|revoke", "admin-key ...". */
int		 ctl_key_create(struct ctl *);
int		 ctl_key_list(struct ctl *);
int		 ctl_key_revoke(struct ctl *);
int		 ctl_akey_create(struct ctl *);
int		 ctl_akey_list(struct ctl *);
int		 ctl_akey_delete(struct ctl *);

#endif /* VENNACTL_INT_H */
