/*
 * vennactl.c: the operator's command line.  Subcommands are a table of
 * {words, handler, usage}; each handler opens the database itself, so
 * vennactl can run beside a live pool (SQLite WAL: its reads never
 * block the workers, its writes are short transactions).
 *
 * Workspaces, keys and admin keys change through admin_*.c, the code
 * the Admin API runs: each change is audited with the Unix user who
 * ran vennactl as its actor.  This file holds main, the table, the
 * helpers every command uses (vennactl_int.h) and the workspace,
 * audit, usage and database commands; the key and admin-key commands
 * are in vennactl_keys.c, the limits commands in vennactl_limits.c.
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
#include "vennactl_int.h"
#include "vennactl_limits.h"
#include "workspace.h"

struct command {
	const char	*word1, *word2;
	int		(*fn)(struct ctl *);
	const char	*usage;
};

static int	cmd_init(struct ctl *);
static int	cmd_ws_create(struct ctl *);
static int	cmd_ws_list(struct ctl *);
static int	cmd_ws_rename(struct ctl *);
static int	cmd_ws_archive(struct ctl *);
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
	{ "key", "create", ctl_key_create,
	    "key create WORKSPACE [--name LABEL]" },
	{ "key", "list", ctl_key_list, "key list [--workspace NAME]" },
	{ "key", "revoke", ctl_key_revoke, "key revoke ID" },
	{ "admin-key", "create", ctl_akey_create,
	    "admin-key create [--name LABEL]" },
	{ "admin-key", "list", ctl_akey_list, "admin-key list" },
	{ "admin-key", "delete", ctl_akey_delete, "admin-key delete ID" },
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

void
ctl_usage(void)
{
	usage_to(2);
}

/*
 * Find "--name VALUE" among the words; removes nothing, and a flag
 * given twice takes the last value.  Returns NULL when absent.
 */
const char *
ctl_flag(struct ctl *c, const char *name)
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
int
ctl_positional(struct ctl *c, char **out, int max)
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

void
ctl_check_flags(struct ctl *c, const char *const *allowed)
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

struct db *
ctl_open_db(struct ctl *c)
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
void
ctl_need_workspace(struct db *db, const char *name)
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

void
ctl_load_pepper(struct ctl *c, unsigned char pepper[PEPPER_LEN])
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
		ctl_usage();
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
void
ctl_env_init(struct ctl *c, struct db *db, const unsigned char *pepper,
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

	ctl_env_init(c, db, NULL, &env);
	if ((rc = admin_project_create(&env, name, &p)) == VN_OK)
		memcpy(id, p.id, WS_ID_LEN + 1);
	return rc;
}

/* A workspace by name or id; exits 1 when there is none. */
void
ctl_find_ws(struct db *db, const char *s, struct admin_project *p)
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

	if (ctl_positional(c, arg, 2) != 2)
		ctl_usage();
	if (!workspace_name_ok(arg[1]))
		errx(2, "workspace names are 1 to %d letters, digits, '.', "
		    "'_' or '-'", WS_NAME_MAX);
	db = ctl_open_db(c);
	ctl_find_ws(db, arg[0], &p);
	ctl_env_init(c, db, NULL, &env);
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

	if (ctl_positional(c, arg, 1) != 1)
		ctl_usage();
	db = ctl_open_db(c);
	ctl_find_ws(db, arg[0], &p);
	ctl_env_init(c, db, NULL, &env);
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

	if (ctl_positional(c, name, 1) != 1)
		ctl_usage();
	if (!workspace_name_ok(name[0]))
		errx(2, "workspace names are 1 to %d letters, digits, '.', "
		    "'_' or '-'", WS_NAME_MAX);
	db = ctl_open_db(c);
	rc = ws_create(c, db, name[0], id);
	db_close(db);
	if (rc == VN_ECONFLICT)
		errx(1, "workspace %s already exists", name[0]);
	if (rc != VN_OK)
		errx(1, "cannot create workspace %s", name[0]);
	printf("%s\n", id);
	return 0;
}

void
ctl_fmt_time(sqlite3_stmt *st, int col, char *out, size_t outsz)
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

/* A time in seconds, or "-" for 0, as ctl_fmt_time() prints it. */
void
ctl_print_time(int64_t t, char *out, size_t outsz)
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

static int
cmd_ws_list(struct ctl *c)
{
	struct db	*db;
	sqlite3_stmt	*st;
	char		 created[32], archived[32], id[VN_MAX_ID + 1];
	char		 name[256];

	if (c->argc != 0)
		ctl_usage();
	db = ctl_open_db(c);
	if ((st = db_stmt(db, STMT_WS_LIST)) == NULL)
		errx(1, "database error");
	printf("%-20s %-24s %-20s %-5s %s\n", "ID", "NAME", "CREATED", "KEYS",
	    "ARCHIVED");
	while (sqlite3_step(st) == SQLITE_ROW) {
		ctl_fmt_time(st, 2, created, sizeof(created));
		ctl_fmt_time(st, 4, archived, sizeof(archived));
		db_col_copy(st, 0, id, sizeof(id));
		db_col_copy(st, 1, name, sizeof(name));
		printf("%-20s %-24s %-20s %-5d %s\n", id, name, created,
		    sqlite3_column_int(st, 3), archived);
	}
	sqlite3_reset(st);
	db_close(db);
	return 0;
}

static int
audit_print(void *arg, const void *obj)
{
	const struct admin_audit	*a = obj;
	char				 t[32];

	ctl_print_time(a->effective_at, t, sizeof(t));
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

	ctl_check_flags(c, allowed);
	if (ctl_positional(c, none, 0) != 0)
		ctl_usage();
	memset(&f, 0, sizeof(f));
	f.limit = 20;
	if ((lim = ctl_flag(c, "--limit")) != NULL) {
		f.limit = strtol(lim, &end, 10);
		if (*lim == '\0' || *end != '\0' || f.limit < 1 ||
		    f.limit > 100000)
			errx(2, "--limit: expected 1 to 100000");
	}
	f.gt = -1;
	f.lt = INT64_MAX;
	db = ctl_open_db(c);
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

	ctl_check_flags(c, allowed);
	if (ctl_positional(c, none, 0) != 0)
		ctl_usage();
	memset(&o, 0, sizeof(o));
	o.workspace = ctl_flag(c, "--workspace");
	if (report_parse_since(ctl_flag(c, "--since"), &o.since) != 0)
		errx(2, "--since: expected YYYY-MM-DD or "
		    "YYYY-MM-DDTHH:MM:SSZ");
	if (report_parse_by(ctl_flag(c, "--by"), &o.by) != 0)
		errx(2, "--by: expected model, key or day");
	if (report_parse_format(ctl_flag(c, "--format"), &o.format) != 0)
		errx(2, "--format: expected table, json or csv");
	db = ctl_open_db(c);
	if (o.workspace != NULL)
		ctl_need_workspace(db, o.workspace);
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
		ctl_usage();
	db = ctl_open_db(c);
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
			ctl_usage();
		}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		ctl_usage();
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
		ctl_usage();
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
