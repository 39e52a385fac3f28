/*
 * vennactl_keys.c: vennactl's key commands, for API keys ("key create",
 * "key list", "key revoke") and for Admin API keys ("admin-key create",
 * "admin-key list", "admin-key delete").  Changes go through admin_*.c,
 * the code the Admin API runs, and are audited with the Unix user who
 * ran vennactl as their actor.
 *
 * A new key is printed once, alone on one line of stdout, with write(2)
 * and wiped afterwards; a key that cannot be printed is taken back.  A
 * whole key given to "key revoke" or "admin-key delete" is wiped from
 * argv at once.
 */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "admin.h"
#include "admin_query.h"
#include "apikey.h"
#include "db.h"
#include "vennactl_int.h"

/*
 * Write a secret and a newline to stdout with write(2): a stdio buffer
 * would keep a copy no one wipes.  Returns 0, or -1 if it could not.
 */
static int
print_secret(const char *s)
{
	const char	*p;
	size_t		 left;
	ssize_t		 n;
	int		 i;

	if (fflush(stdout) != 0)
		return -1;
	for (i = 0; i < 2; i++)
		for (p = i == 0 ? s : "\n", left = strlen(p); left > 0; ) {
			if ((n = write(STDOUT_FILENO, p, left)) == -1) {
				if (errno == EINTR)
					continue;
				return -1;
			}
			p += n;
			left -= (size_t)n;
		}
	return 0;
}

static enum vn_err
withdraw_pkey(struct admin_env *env, const char *id)
{
	return admin_pkey_delete(env, NULL, id);
}

static enum vn_err
withdraw_akey(struct admin_env *env, const char *id)
{
	return admin_akey_delete(env, id);
}

/*
 * Print a new key (wiped from key afterwards) and exit 0 through the
 * caller; when it cannot be printed it was shown to no one, so it is
 * taken back with withdraw, and the command fails.  undo names the
 * vennactl command that takes it back by hand, should that fail too.
 */
static int
show_key(struct ctl *c, char *key, size_t keysz, const char *id,
    enum vn_err (*withdraw)(struct admin_env *, const char *),
    const char *undo)
{
	struct admin_env	 env;
	struct db		*db;
	int			 printed, saved;

	printed = print_secret(key) == 0;
	saved = errno;
	sodium_memzero(key, keysz);
	if (printed)
		return 0;
	db = ctl_open_db(c);
	ctl_env_init(c, db, NULL, &env);
	if (withdraw(&env, id) != VN_OK)
		errx(1, "cannot print the key (%s); take it back with "
		    "\"vennactl %s %s\"", strerror(saved), undo, id);
	db_close(db);
	errx(1, "cannot print the key (%s); it was taken back",
	    strerror(saved));
}

int
ctl_key_create(struct ctl *c)
{
	static const char *const allowed[] = { "--name", NULL };
	unsigned char		 pepper[PEPPER_LEN];
	struct admin_env	 env;
	struct admin_project	 p;
	struct admin_key	 k;
	struct db		*db;
	char			*ws[1];
	const char		*label;
	char			 key[APIKEY_MAX_LEN + 1];
	char			 id[APIKEY_ID_LEN + 1];
	enum vn_err		 rc;

	ctl_check_flags(c, allowed);
	if (ctl_positional(c, ws, 1) != 1)
		ctl_usage();
	if ((label = ctl_flag(c, "--name")) != NULL && strlen(label) > 200)
		errx(2, "--name: at most 200 characters");
	db = ctl_open_db(c);
	ctl_find_ws(db, ws[0], &p);
	ctl_load_pepper(c, pepper);
	ctl_env_init(c, db, pepper, &env);
	rc = admin_pkey_create(&env, p.id, label, &k, key);
	db_close(db);
	sodium_memzero(pepper, sizeof(pepper));
	if (rc == VN_ENOTFOUND)		/* deleted meanwhile */
		errx(1, "no workspace named %s", ws[0]);
	if (rc == VN_ECONFLICT)
		errx(1, "workspace %s is archived: it takes no new keys",
		    ws[0]);
	if (rc != VN_OK)
		errx(1, "cannot create a key");
	memcpy(id, k.id, sizeof(id));
	fprintf(stderr, "vennactl: key %s for workspace %s; it is shown "
	    "only this once\n", id, ws[0]);
	return show_key(c, key, sizeof(key), id, withdraw_pkey,
	    "key revoke");
}

int
ctl_key_list(struct ctl *c)
{
	static const char *const allowed[] = { "--workspace", NULL };
	struct db	*db;
	sqlite3_stmt	*st;
	const char	*ws;
	char		*none[1];
	char		 created[32], used[32], revoked[32];
	char		 id[VN_MAX_ID + 1], label[256], wsid[VN_MAX_ID + 1];

	ctl_check_flags(c, allowed);
	if (ctl_positional(c, none, 0) != 0)
		ctl_usage();
	ws = ctl_flag(c, "--workspace");
	db = ctl_open_db(c);
	if (ws != NULL)
		ctl_need_workspace(db, ws);
	if ((st = db_stmt(db, STMT_KEY_LIST)) == NULL)
		errx(1, "database error");
	if (ws != NULL)
		sqlite3_bind_text(st, 1, ws, -1, SQLITE_STATIC);
	printf("%-14s %-20s %-16s %-20s %-20s %s\n", "ID", "LABEL",
	    "WORKSPACE", "CREATED", "LAST USED", "REVOKED");
	while (sqlite3_step(st) == SQLITE_ROW) {
		ctl_fmt_time(st, 3, created, sizeof(created));
		ctl_fmt_time(st, 4, used, sizeof(used));
		ctl_fmt_time(st, 5, revoked, sizeof(revoked));
		db_col_copy(st, 0, id, sizeof(id));
		db_col_copy(st, 1, label, sizeof(label));
		db_col_copy(st, 2, wsid, sizeof(wsid));
		printf("%-14s %-20s %-16s %-20s %-20s %s\n", id,
		    label[0] != '\0' ? label : "-", wsid, created, used,
		    revoked);
	}
	sqlite3_reset(st);
	db_close(db);
	return 0;
}

/* Revoke by public id; a whole key is accepted too (its id is used). */
int
ctl_key_revoke(struct ctl *c)
{
	struct admin_env env;
	struct db	*db;
	char		*arg[1];
	char		 id[APIKEY_ID_LEN + 1];
	enum vn_err	 rc;
	size_t		 len;
	int		 whole;

	if (ctl_positional(c, arg, 1) != 1)
		ctl_usage();
	len = strlen(arg[0]);
	whole = apikey_parse(arg[0], len, id);
	if (!whole && len == APIKEY_ID_LEN)
		memcpy(id, arg[0], sizeof(id));
	/* A whole key, or a mistyped one, is a secret: off argv now. */
	sodium_memzero(arg[0], len);
	if (!whole && len != APIKEY_ID_LEN)
		errx(2, "expected a key id (%d characters) or a whole key",
		    APIKEY_ID_LEN);
	/*
	 * admin_pkey_delete() commits, then tells every worker, whose next
	 * request re-reads the key.  Should telling fail, the revocation
	 * stands and their caches expire within half a second.
	 */
	db = ctl_open_db(c);
	ctl_env_init(c, db, NULL, &env);
	rc = admin_pkey_delete(&env, NULL, id);
	db_close(db);
	if (rc == VN_ENOTFOUND)
		errx(1, "no active key %s", id);
	if (rc != VN_OK)
		errx(1, "cannot revoke key %s", id);
	fprintf(stderr, "vennactl: key %s revoked\n", id);
	return 0;
}

/*
 * An admin key for the Admin API.  The first one has to come from
 * here: the API only mints keys for those who hold one.
 */
int
ctl_akey_create(struct ctl *c)
{
	static const char *const allowed[] = { "--name", NULL };
	unsigned char		 pepper[PEPPER_LEN];
	struct admin_env	 env;
	struct admin_key	 k;
	struct db		*db;
	char			*none[1];
	const char		*label;
	char			 key[APIKEY_MAX_LEN + 1];
	enum vn_err		 rc;

	ctl_check_flags(c, allowed);
	if (ctl_positional(c, none, 0) != 0)
		ctl_usage();
	if ((label = ctl_flag(c, "--name")) != NULL &&
	    !admin_text_ok(label, ADMIN_NAME_MAX))
		errx(2, "--name: 1 to %d bytes of UTF-8, no control "
		    "characters", ADMIN_NAME_MAX);
	db = ctl_open_db(c);
	ctl_load_pepper(c, pepper);
	ctl_env_init(c, db, pepper, &env);
	rc = admin_akey_create(&env, label, 0, &k, key);
	db_close(db);
	sodium_memzero(pepper, sizeof(pepper));
	if (rc != VN_OK)
		errx(1, "cannot create an admin key");
	fprintf(stderr, "vennactl: admin key %s; it is shown only this "
	    "once\n", k.id);
	return show_key(c, key, sizeof(key), k.id, withdraw_akey,
	    "admin-key delete");
}

/* Print an admin key; arg keeps the last one printed. */
static int
akey_print(void *arg, const void *obj)
{
	const struct admin_key	*k = obj;
	char			 created[32], used[32];

	ctl_print_time(k->created_at, created, sizeof(created));
	ctl_print_time(k->last_used_at, used, sizeof(used));
	printf("%-14s %-20s %-20s %-20s %s\n", k->id,
	    k->name[0] != '\0' ? k->name : "-", created, used, k->owner);
	memcpy(arg, k, sizeof(*k));
	return 0;
}

int
ctl_akey_list(struct ctl *c)
{
	struct admin_page	 pg;
	struct admin_key	 last;
	struct db		*db;
	char			 after[APIKEY_ID_LEN + 1];
	int			 more = 1;

	if (c->argc != 0)
		ctl_usage();
	db = ctl_open_db(c);
	printf("%-14s %-20s %-20s %-20s %s\n", "ID", "LABEL", "CREATED",
	    "LAST USED", "CREATED BY");
	pg.limit = 100;
	pg.after = NULL;
	while (more) {
		if (admin_akey_list(db, &pg, akey_print, &last, &more) !=
		    VN_OK)
			errx(1, "cannot list admin keys");
		if (!more)
			break;
		memcpy(after, last.id, sizeof(after));
		pg.after = after;
	}
	db_close(db);
	return 0;
}

int
ctl_akey_delete(struct ctl *c)
{
	struct admin_env	 env;
	struct db		*db;
	char			*arg[1];
	char			 id[APIKEY_ID_LEN + 1];
	enum apikey_kind	 kind;
	size_t			 len;
	enum vn_err		 rc;
	int			 whole;

	if (ctl_positional(c, arg, 1) != 1)
		ctl_usage();
	len = strlen(arg[0]);
	whole = apikey_parse_any(arg[0], len, &kind, id) &&
	    kind == APIKEY_ADMIN;
	if (!whole && len == APIKEY_ID_LEN)
		memcpy(id, arg[0], sizeof(id));
	/* A whole key, or a mistyped one, is a secret: off argv now. */
	sodium_memzero(arg[0], len);
	if (!whole && len != APIKEY_ID_LEN)
		errx(2, "expected an admin key id (%d characters) or a whole "
		    "admin key", APIKEY_ID_LEN);
	db = ctl_open_db(c);
	ctl_env_init(c, db, NULL, &env);
	rc = admin_akey_delete(&env, id);
	db_close(db);
	if (rc == VN_ENOTFOUND)
		errx(1, "no active admin key %s", id);
	if (rc != VN_OK)
		errx(1, "cannot delete admin key %s", id);
	fprintf(stderr, "vennactl: admin key %s deleted\n", id);
	return 0;
}
