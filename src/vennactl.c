/*
 * vennactl.c: the operator's command line.  Subcommands are a table of
 * {words, handler, usage}; each handler opens the database itself, so
 * vennactl can run beside a live pool (SQLite WAL: its reads never
 * block the workers, its writes are short transactions).
 *
 * Workspaces, keys and admin keys change through admin_*.c, the code
 * the Admin API runs: each change is audited with the Unix user who
 * ran vennactl as its actor.
 *
 * What a key looks like is printed once, by "key create" and
 * "admin-key create", alone on one line of stdout, so scripts can capture it; everything else goes to
 * stderr or is a listing that never includes a secret.  Secrets are
 * wiped with sodium_memzero() once used: the new key, the pepper, and a
 * whole key given to "key revoke" on the command line (also out of
 * /proc/PID/cmdline, while the command waits for the database).
 */
#include "config.h"

#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "admin.h"
#include "admin_query.h"
#include "apikey.h"
#include "auth.h"
#include "cfg.h"
#include "db.h"
#include "ids.h"
#include "ledger.h"
#include "report.h"
#include "schema.h"
#include "vennactl_limits.h"
#include "workspace.h"

struct ctl {
	struct cfg	*cfg;
	const char	*cfgpath;
	int		 argc;	/* words after the subcommand */
	char		**argv;
};

struct command {
	const char	*word1, *word2;
	int		(*fn)(struct ctl *);
	const char	*usage;
};

static int	cmd_init(struct ctl *);
static int	cmd_ws_create(struct ctl *);
static int	cmd_ws_list(struct ctl *);
static int	cmd_key_create(struct ctl *);
static int	cmd_key_list(struct ctl *);
static int	cmd_key_revoke(struct ctl *);
static int	cmd_ws_rename(struct ctl *);
static int	cmd_ws_archive(struct ctl *);
static int	cmd_akey_create(struct ctl *);
static int	cmd_akey_list(struct ctl *);
static int	cmd_akey_delete(struct ctl *);
static int	cmd_audit(struct ctl *);
static int	cmd_usage(struct ctl *);
static int	cmd_db_check(struct ctl *);

/* The limits commands live in vennactl_limits.c. */
#define LIMITS_CMD(name)						\
static int								\
cmd_limits_##name(struct ctl *c)					\
{									\
	return vennactl_limits_##name(c->cfg, c->argc, c->argv);	\
}
LIMITS_CMD(show)
LIMITS_CMD(set)
LIMITS_CMD(key)
LIMITS_CMD(org)
#undef LIMITS_CMD

static const struct command commands[] = {
	{ "init", NULL, cmd_init, "init" },
	{ "workspace", "create", cmd_ws_create, "workspace create NAME" },
	{ "workspace", "list", cmd_ws_list, "workspace list" },
	{ "workspace", "rename", cmd_ws_rename,
	    "workspace rename WORKSPACE NEWNAME" },
	{ "workspace", "archive", cmd_ws_archive,
	    "workspace archive WORKSPACE" },
	{ "key", "create", cmd_key_create,
	    "key create WORKSPACE [--name LABEL]" },
	{ "key", "list", cmd_key_list, "key list [--workspace NAME]" },
	{ "key", "revoke", cmd_key_revoke, "key revoke ID" },
	{ "admin-key", "create", cmd_akey_create,
	    "admin-key create [--name LABEL]" },
	{ "admin-key", "list", cmd_akey_list, "admin-key list" },
	{ "admin-key", "delete", cmd_akey_delete, "admin-key delete ID" },
	{ "audit", NULL, cmd_audit, "audit [--limit N]" },
	{ "usage", NULL, cmd_usage,
	    "usage [--workspace NAME] [--since DATE] [--by model|key|day] "
	    "[--format table|json|csv]" },
	{ "limits", "show", cmd_limits_show, VENNACTL_LIMITS_SHOW },
	{ "limits", "set", cmd_limits_set, VENNACTL_LIMITS_SET },
	{ "limits", "key", cmd_limits_key, VENNACTL_LIMITS_KEY },
	{ "limits", "org", cmd_limits_org, VENNACTL_LIMITS_ORG },
	{ "db", "check", cmd_db_check, "db check" },
	{ NULL, NULL, NULL, NULL }
};

static const struct option longopts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

/*
 * -h and --help (before or after the command): the usage on stdout,
 * exit 0.  A usage error: the same text on stderr, exit 2.
 */
static void
usage_to(int status)
{
	const struct command	*c;
	FILE			*out = status == 0 ? stdout : stderr;

	fprintf(out, "usage: vennactl [-hV] [-c file] command ...\n");
	for (c = commands; c->word1 != NULL; c++)
		fprintf(out, "       vennactl [-c file] %s\n", c->usage);
	exit(status);
}

static void
usage(void)
{
	usage_to(2);
}

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

/*
 * Find "--name VALUE" among the words; removes nothing, and a flag
 * given twice takes the last value.  Returns NULL when absent.
 */
static const char *
flag(struct ctl *c, const char *name)
{
	const char	*v = NULL;
	int		 i;

	for (i = 0; i < c->argc; i++)
		if (strcmp(c->argv[i], name) == 0) {
			if (i + 1 >= c->argc)
				errx(2, "%s needs a value", name);
			v = c->argv[++i];
		}
	return v;
}

/* The positional words, skipping "--flag value" pairs. */
static int
positional(struct ctl *c, char **out, int max)
{
	int	 i, n = 0;

	for (i = 0; i < c->argc; i++) {
		if (strncmp(c->argv[i], "--", 2) == 0) {
			i++;
			continue;
		}
		if (n == max)
			errx(2, "unexpected argument: %s", c->argv[i]);
		out[n++] = c->argv[i];
	}
	return n;
}

static void
check_flags(struct ctl *c, const char *const *allowed)
{
	const char *const *a;
	int		 i;

	for (i = 0; i < c->argc; i++) {
		if (strncmp(c->argv[i], "--", 2) != 0)
			continue;
		for (a = allowed; *a != NULL; a++)
			if (strcmp(*a, c->argv[i]) == 0)
				break;
		if (*a == NULL)
			errx(2, "unknown option %s", c->argv[i]);
		i++;
	}
}

static struct db *
open_db(struct ctl *c)
{
	struct db	*db;
	char		 e[VN_ERRMSG];

	/* Keys and workspaces are rare writes: always durable. */
	if ((db = db_open(c->cfg, DB_OPEN_DURABLE, e, sizeof(e))) == NULL)
		errx(1, "%s", e);
	return db;
}

/*
 * Every command that takes a workspace names an existing one: a typo
 * must not read as "no keys" or "no usage".  Exits 1 when it does not.
 */
static void
need_workspace(struct db *db, const char *name)
{
	char		 id[WS_ID_LEN + 1];
	enum vn_err	 rc;

	rc = workspace_name_ok(name) ? workspace_find(db, name,
	    id) : VN_ENOTFOUND;
	if (rc == VN_ENOTFOUND)
		errx(1, "no workspace named %s (see \"vennactl workspace "
		    "list\")", name);
	if (rc != VN_OK)
		errx(1, "cannot look workspace %s up", name);
}

static void
load_pepper(struct ctl *c, unsigned char pepper[PEPPER_LEN])
{
	char	 e[VN_ERRMSG];

	if (apikey_pepper_load(c->cfg->pepper_file, pepper, e,
	    sizeof(e)) != VN_OK)
		errx(1, "%s", e);
}

/* mkdir -p with mode for the directories Venna keeps state in. */
static void
make_dirs(const char *path, mode_t mode)
{
	char	 tmp[4096];
	char	*p;

	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
		errx(1, "%s: path too long", path);
	for (p = tmp + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, mode) == -1 && errno != EEXIST)
			err(1, "mkdir %s", tmp);
		*p = '/';
	}
	if (mkdir(tmp, mode) == -1 && errno != EEXIST)
		err(1, "mkdir %s", tmp);
}

/*
 * Create what is missing: the state directories, the pepper, the
 * database at the latest schema.  Refuses to make a new pepper for a
 * database that already holds keys: every key would stop working.
 */
static int
cmd_init(struct ctl *c)
{
	struct db	*db;
	sqlite3_stmt	*st = NULL;
	char		 e[VN_ERRMSG], dir[4096];
	int		 had_pepper, nkeys = 0;

	if (c->argc != 0)
		usage();
	umask(027);	/* the database, its WAL and the files: not public */
	snprintf(dir, sizeof(dir), "%s", c->cfg->database);
	make_dirs(dirname(dir), 0750);
	make_dirs(c->cfg->data_dir, 0750);
	had_pepper = access(c->cfg->pepper_file, F_OK) == 0;
	if ((db = db_open(c->cfg, DB_OPEN_CREATE | DB_OPEN_DURABLE, e,
	    sizeof(e))) == NULL)
		errx(1, "%s", e);
	if (!had_pepper) {
		if (sqlite3_prepare_v2(db->h, "SELECT count(*) FROM api_keys",
		    -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) ==
		    SQLITE_ROW)
			nkeys = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
		if (nkeys > 0)
			errx(1, "%s is missing but the database holds %d keys; "
			    "restore the pepper file instead of making a new "
			    "one", c->cfg->pepper_file, nkeys);
		if (apikey_pepper_create(c->cfg->pepper_file, e,
		    sizeof(e)) != VN_OK)
			errx(1, "%s", e);
	}
	db_close(db);
	/* The key generation file, owned by whoever owns the state. */
	if (auth_keygen_bump(c->cfg->database, e, sizeof(e)) != VN_OK)
		errx(1, "%s", e);
	fprintf(stderr, "vennactl: database %s (schema %d), pepper %s, "
	    "files %s: ready\n", c->cfg->database, schema_latest(),
	    c->cfg->pepper_file, c->cfg->data_dir);
	return 0;
}

/* An env acting as the Unix user running vennactl. */
static void
env_init(struct ctl *c, struct db *db, const unsigned char *pepper,
    struct admin_env *env)
{
	memset(env, 0, sizeof(*env));
	env->db = db;
	env->pepper = pepper;
	env->database = c->cfg->database;
	admin_actor_unix(&env->actor);
}

static enum vn_err
ws_create(struct ctl *c, struct db *db, const char *name,
    char id[WS_ID_LEN + 1])
{
	struct admin_env	 env;
	struct admin_project	 p;
	enum vn_err		 rc;

	env_init(c, db, NULL, &env);
	if ((rc = admin_project_create(&env, name, &p)) == VN_OK)
		memcpy(id, p.id, WS_ID_LEN + 1);
	return rc;
}

/* A workspace by name or id; exits 1 when there is none. */
static void
find_ws(struct db *db, const char *s, struct admin_project *p)
{
	enum vn_err	 rc;

	if ((rc = admin_project_find(db, s, p)) == VN_ENOTFOUND)
		errx(1, "no workspace named %s (see \"vennactl workspace "
		    "list\")", s);
	if (rc != VN_OK)
		errx(1, "cannot look workspace %s up", s);
}

static int
cmd_ws_rename(struct ctl *c)
{
	struct admin_env	 env;
	struct admin_project	 p;
	struct db		*db;
	char			*arg[2];
	enum vn_err		 rc;

	if (positional(c, arg, 2) != 2)
		usage();
	if (!workspace_name_ok(arg[1]))
		errx(2, "workspace names are 1 to %d letters, digits, '.', "
		    "'_' or '-'", WS_NAME_MAX);
	db = open_db(c);
	find_ws(db, arg[0], &p);
	env_init(c, db, NULL, &env);
	rc = admin_project_rename(&env, p.id, arg[1], &p);
	db_close(db);
	if (rc == VN_ECONFLICT)
		errx(1, "workspace %s already exists", arg[1]);
	if (rc != VN_OK)
		errx(1, "cannot rename workspace %s", arg[0]);
	fprintf(stderr, "vennactl: workspace %s renamed %s\n", p.id, arg[1]);
	return 0;
}

/* Archive: its keys stop at once on every worker, its objects stay. */
static int
cmd_ws_archive(struct ctl *c)
{
	struct admin_env	 env;
	struct admin_project	 p;
	struct db		*db;
	char			*arg[1];
	enum vn_err		 rc;

	if (positional(c, arg, 1) != 1)
		usage();
	db = open_db(c);
	find_ws(db, arg[0], &p);
	env_init(c, db, NULL, &env);
	rc = admin_project_archive(&env, p.id, &p);
	db_close(db);
	if (rc != VN_OK)
		errx(1, "cannot archive workspace %s", arg[0]);
	fprintf(stderr, "vennactl: workspace %s archived; its keys no "
	    "longer work\n", p.id);
	return 0;
}

static int
cmd_ws_create(struct ctl *c)
{
	struct db	*db;
	char		*name[1];
	char		 id[WS_ID_LEN + 1];
	enum vn_err	 rc;

	if (positional(c, name, 1) != 1)
		usage();
	if (!workspace_name_ok(name[0]))
		errx(2, "workspace names are 1 to %d letters, digits, '.', "
		    "'_' or '-'", WS_NAME_MAX);
	db = open_db(c);
	rc = ws_create(c, db, name[0], id);
	db_close(db);
	if (rc == VN_ECONFLICT)
		errx(1, "workspace %s already exists", name[0]);
	if (rc != VN_OK)
		errx(1, "cannot create workspace %s", name[0]);
	printf("%s\n", id);
	return 0;
}

static void
fmt_time(sqlite3_stmt *st, int col, char *out, size_t outsz)
{
	time_t		 t;
	struct tm	 tm;

	if (sqlite3_column_type(st, col) == SQLITE_NULL) {
		snprintf(out, outsz, "-");
		return;
	}
	t = (time_t)sqlite3_column_int64(st, col);
	gmtime_r(&t, &tm);
	strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int
cmd_ws_list(struct ctl *c)
{
	struct db	*db;
	sqlite3_stmt	*st;
	char		 created[32], archived[32], id[VN_MAX_ID + 1];
	char		 name[256];

	if (c->argc != 0)
		usage();
	db = open_db(c);
	if ((st = db_stmt(db, STMT_WS_LIST)) == NULL)
		errx(1, "database error");
	printf("%-20s %-24s %-20s %-5s %s\n", "ID", "NAME", "CREATED", "KEYS",
	    "ARCHIVED");
	while (sqlite3_step(st) == SQLITE_ROW) {
		fmt_time(st, 2, created, sizeof(created));
		fmt_time(st, 4, archived, sizeof(archived));
		db_col_copy(st, 0, id, sizeof(id));
		db_col_copy(st, 1, name, sizeof(name));
		printf("%-20s %-24s %-20s %-5d %s\n", id, name, created,
		    sqlite3_column_int(st, 3), archived);
	}
	sqlite3_reset(st);
	db_close(db);
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
	db = open_db(c);
	env_init(c, db, NULL, &env);
	if (withdraw(&env, id) != VN_OK)
		errx(1, "cannot print the key (%s); take it back with "
		    "\"vennactl %s %s\"", strerror(saved), undo, id);
	db_close(db);
	errx(1, "cannot print the key (%s); it was taken back",
	    strerror(saved));
}

static int
cmd_key_create(struct ctl *c)
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

	check_flags(c, allowed);
	if (positional(c, ws, 1) != 1)
		usage();
	if ((label = flag(c, "--name")) != NULL && strlen(label) > 200)
		errx(2, "--name: at most 200 characters");
	db = open_db(c);
	find_ws(db, ws[0], &p);
	load_pepper(c, pepper);
	env_init(c, db, pepper, &env);
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

static int
cmd_key_list(struct ctl *c)
{
	static const char *const allowed[] = { "--workspace", NULL };
	struct db	*db;
	sqlite3_stmt	*st;
	const char	*ws;
	char		*none[1];
	char		 created[32], used[32], revoked[32];
	char		 id[VN_MAX_ID + 1], label[256], wsid[VN_MAX_ID + 1];

	check_flags(c, allowed);
	if (positional(c, none, 0) != 0)
		usage();
	ws = flag(c, "--workspace");
	db = open_db(c);
	if (ws != NULL)
		need_workspace(db, ws);
	if ((st = db_stmt(db, STMT_KEY_LIST)) == NULL)
		errx(1, "database error");
	if (ws != NULL)
		sqlite3_bind_text(st, 1, ws, -1, SQLITE_STATIC);
	printf("%-14s %-20s %-16s %-20s %-20s %s\n", "ID", "LABEL",
	    "WORKSPACE", "CREATED", "LAST USED", "REVOKED");
	while (sqlite3_step(st) == SQLITE_ROW) {
		fmt_time(st, 3, created, sizeof(created));
		fmt_time(st, 4, used, sizeof(used));
		fmt_time(st, 5, revoked, sizeof(revoked));
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
static int
cmd_key_revoke(struct ctl *c)
{
	struct admin_env env;
	struct db	*db;
	char		*arg[1];
	char		 id[APIKEY_ID_LEN + 1];
	enum vn_err	 rc;
	size_t		 len;
	int		 whole;

	if (positional(c, arg, 1) != 1)
		usage();
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
	db = open_db(c);
	env_init(c, db, NULL, &env);
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
static int
cmd_akey_create(struct ctl *c)
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

	check_flags(c, allowed);
	if (positional(c, none, 0) != 0)
		usage();
	if ((label = flag(c, "--name")) != NULL &&
	    !admin_text_ok(label, ADMIN_NAME_MAX))
		errx(2, "--name: 1 to %d bytes of UTF-8, no control "
		    "characters", ADMIN_NAME_MAX);
	db = open_db(c);
	load_pepper(c, pepper);
	env_init(c, db, pepper, &env);
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

static void
print_time(int64_t t, char *out, size_t outsz)
{
	time_t		 tt = (time_t)t;
	struct tm	 tm;

	if (t == 0) {
		snprintf(out, outsz, "-");
		return;
	}
	gmtime_r(&tt, &tm);
	strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Print an admin key; arg keeps the last one printed. */
static int
akey_print(void *arg, const void *obj)
{
	const struct admin_key	*k = obj;
	char			 created[32], used[32];

	print_time(k->created_at, created, sizeof(created));
	print_time(k->last_used_at, used, sizeof(used));
	printf("%-14s %-20s %-20s %-20s %s\n", k->id,
	    k->name[0] != '\0' ? k->name : "-", created, used, k->owner);
	memcpy(arg, k, sizeof(*k));
	return 0;
}

static int
cmd_akey_list(struct ctl *c)
{
	struct admin_page	 pg;
	struct admin_key	 last;
	struct db		*db;
	char			 after[APIKEY_ID_LEN + 1];
	int			 more = 1;

	if (c->argc != 0)
		usage();
	db = open_db(c);
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

static int
cmd_akey_delete(struct ctl *c)
{
	struct admin_env	 env;
	struct db		*db;
	char			*arg[1];
	char			 id[APIKEY_ID_LEN + 1];
	enum apikey_kind	 kind;
	size_t			 len;
	enum vn_err		 rc;
	int			 whole;

	if (positional(c, arg, 1) != 1)
		usage();
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
	db = open_db(c);
	env_init(c, db, NULL, &env);
	rc = admin_akey_delete(&env, id);
	db_close(db);
	if (rc == VN_ENOTFOUND)
		errx(1, "no active admin key %s", id);
	if (rc != VN_OK)
		errx(1, "cannot delete admin key %s", id);
	fprintf(stderr, "vennactl: admin key %s deleted\n", id);
	return 0;
}

static int
audit_print(void *arg, const void *obj)
{
	const struct admin_audit	*a = obj;
	char				 t[32];

	print_time(a->effective_at, t, sizeof(t));
	printf("%s\t%s\t%s\t%s:%s\t%s\t%s\n", t, a->id, a->type,
	    a->actor_type, a->actor_id,
	    a->project_id[0] != '\0' ? a->project_id : "-",
	    a->resource_id[0] != '\0' ? a->resource_id : "-");
	return 0;
}

/* The audit log, newest first, one tab-separated event a line. */
static int
cmd_audit(struct ctl *c)
{
	static const char *const allowed[] = { "--limit", NULL };
	struct admin_audit_filter f;
	struct db		*db;
	char			*none[1], *end;
	const char		*lim;
	int			 more;

	check_flags(c, allowed);
	if (positional(c, none, 0) != 0)
		usage();
	memset(&f, 0, sizeof(f));
	f.limit = 20;
	if ((lim = flag(c, "--limit")) != NULL) {
		f.limit = strtol(lim, &end, 10);
		if (*lim == '\0' || *end != '\0' || f.limit < 1 ||
		    f.limit > 100000)
			errx(2, "--limit: expected 1 to 100000");
	}
	f.gt = -1;
	f.lt = INT64_MAX;
	db = open_db(c);
	printf("TIME\tID\tTYPE\tACTOR\tPROJECT\tRESOURCE\n");
	if (admin_audit_list(db, &f, audit_print, NULL, &more) != VN_OK)
		errx(1, "cannot read the audit log");
	db_close(db);
	return 0;
}

static int
cmd_usage(struct ctl *c)
{
	static const char *const allowed[] = { "--workspace", "--since",
	    "--by", "--format", NULL };
	struct report_opts	 o;
	struct db		*db;
	char			*none[1];
	long			 rows;
	int			 rc;

	check_flags(c, allowed);
	if (positional(c, none, 0) != 0)
		usage();
	memset(&o, 0, sizeof(o));
	o.workspace = flag(c, "--workspace");
	if (report_parse_since(flag(c, "--since"), &o.since) != 0)
		errx(2, "--since: expected YYYY-MM-DD or "
		    "YYYY-MM-DDTHH:MM:SSZ");
	if (report_parse_by(flag(c, "--by"), &o.by) != 0)
		errx(2, "--by: expected model, key or day");
	if (report_parse_format(flag(c, "--format"), &o.format) != 0)
		errx(2, "--format: expected table, json or csv");
	db = open_db(c);
	if (o.workspace != NULL)
		need_workspace(db, o.workspace);
	/* The rows still in the workers' journals count too. */
	if (ledger_import(c->cfg, db, &rows) != VN_OK)
		warnx("some usage rows could not be imported yet");
	rc = report_usage(db, &o, stdout);
	db_close(db);
	if (rc != 0)
		errx(1, "cannot read the usage ledger");
	return 0;
}

static int
cmd_db_check(struct ctl *c)
{
	struct db	*db;
	sqlite3_stmt	*st = NULL;
	char		 verdict[256];
	int		 ok = 0;

	if (c->argc != 0)
		usage();
	db = open_db(c);
	if (sqlite3_prepare_v2(db->h, "PRAGMA integrity_check", -1, &st,
	    NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
		db_col_copy(st, 0, verdict, sizeof(verdict));
		printf("integrity_check: %s\n", verdict);
		ok = strcmp(verdict, "ok") == 0;
	}
	sqlite3_finalize(st);
	printf("schema: %d, SQLite %s\n", schema_latest(), db_version());
	db_close(db);
	return ok ? 0 : 1;
}

int
main(int argc, char *argv[])
{
	const struct command	*cmd;
	struct ctl		 c;
	char			 e[VN_ERRMSG];
	int			 ch, used;

	memset(&c, 0, sizeof(c));
	while ((ch = getopt_long(argc, argv, "+c:hV", longopts, NULL)) != -1)
		switch (ch) {
		case 'c':
			c.cfgpath = optarg;
			break;
		case 'h':
			usage_to(0);
			break;
		case 'V':
			printf("vennactl %s (SQLite %s)\n", PACKAGE_VERSION,
			    db_version());
			return 0;
		default:
			usage();
		}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		usage();
	/* No workspace, key id or flag value can be spelt -h or --help. */
	for (ch = 0; ch < argc; ch++)
		if (strcmp(argv[ch], "-h") == 0 ||
		    strcmp(argv[ch], "--help") == 0)
			usage_to(0);
	for (cmd = commands; cmd->word1 != NULL; cmd++) {
		if (strcmp(cmd->word1, argv[0]) != 0)
			continue;
		if (cmd->word2 == NULL)
			break;
		if (argc > 1 && strcmp(cmd->word2, argv[1]) == 0)
			break;
	}
	if (cmd->word1 == NULL)
		usage();
	used = cmd->word2 != NULL ? 2 : 1;
	c.argc = argc - used;
	c.argv = argv + used;

	if ((c.cfg = cfg_open(&c.cfgpath, e, sizeof(e))) == NULL)
		errx(1, "%s", e);
	if (!ids_init())
		errx(1, "libsodium failed to initialise");
	ch = cmd->fn(&c);
	cfg_free(c.cfg);
	return ch;
}
