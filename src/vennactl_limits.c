/*
 * vennactl_limits.c: "vennactl limits": what a workspace, a key and the
 * organization may use (issue #16), through admin_limits.c, the code
 * the Admin API runs, so every change is audited (with the Unix user
 * as its actor) and in force on every worker at once.
 *
 *   limits show WORKSPACE      everything stored for it, and what is
 *                              in force (an override marked with '*')
 *   limits set WORKSPACE ...   rate limits of one model (--model),
 *                              its share of the pool, its spend limit
 *   limits key KEY_ID ...      a key's own limits, over all models
 *   limits org [--spend USD]   the organization's spend limit
 *
 * Values: a number; 0 or "none" for no limit; "default" to go back to
 * venna.conf's (rate limits, --max-concurrent).  Amounts are dollars
 * with at most two decimals ("12.50"); the Admin API shows them in
 * cents.  Everything is printed as tab-separated lines for scripts.
 */
#include "config.h"

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "admin.h"
#include "admin_limits.h"
#include "apikey.h"
#include "cfg.h"
#include "db.h"
#include "limits_store.h"
#include "vennactl_limits.h"
#include "workspace.h"

#define F_SET	0x01
#define F_KEY	0x02
#define F_ORG	0x04

enum flag {
	FL_MODEL,
	FL_RPM,
	FL_TPM,
	FL_RPD,
	FL_BATCH_TPD,
	FL_CONCURRENT,
	FL_SPEND,
	FL__N
};

/* The options of the commands, and which command takes which. */
static const struct {
	const char	*name;
	int		 lim;		/* enum limit_kind, or -1 */
	unsigned	 where;
} flags[FL__N] = {
	[FL_MODEL] = { "--model", -1, F_SET },
	[FL_RPM] = { "--rpm", LIM_RPM, F_SET | F_KEY },
	[FL_TPM] = { "--tpm", LIM_TPM, F_SET | F_KEY },
	[FL_RPD] = { "--rpd", LIM_RPD, F_SET | F_KEY },
	[FL_BATCH_TPD] = { "--batch-tpd", LIM_BATCH_TPD, F_SET },
	[FL_CONCURRENT] = { "--max-concurrent", -1, F_SET },
	[FL_SPEND] = { "--spend", -1, F_SET | F_ORG },
};

struct args {
	const char	*pos;		/* the one positional word, or NULL */
	const char	*val[FL__N];	/* NULL: not given */
	int		 nflags;
};

static void
usage_of(const char *line)
{
	fprintf(stderr, "usage: vennactl [-c file] %s\n", line);
	exit(2);
}

/* Split the words into flags this command takes and one positional. */
static void
parse_args(int argc, char **argv, unsigned where, int npos,
    const char *line, struct args *a)
{
	int	 i, f;

	memset(a, 0, sizeof(*a));
	for (i = 0; i < argc; i++) {
		if (strncmp(argv[i], "--", 2) != 0) {
			if (a->pos != NULL || npos == 0)
				usage_of(line);
			a->pos = argv[i];
			continue;
		}
		for (f = 0; f < FL__N; f++)
			if (strcmp(flags[f].name, argv[i]) == 0 &&
			    (flags[f].where & where))
				break;
		if (f == FL__N) {
			warnx("unknown option %s", argv[i]);
			usage_of(line);
		}
		if (i + 1 >= argc)
			errx(2, "%s needs a value", argv[i]);
		a->val[f] = argv[++i];
		a->nflags++;
	}
	if (npos == 1 && a->pos == NULL)
		usage_of(line);
}

/*
 * A limit given on the command line: digits (0: no limit), "none"
 * (0), or, when dflt_ok, "default" (-1).  Exits 2 on anything else.
 */
static int64_t
parse_limit(const char *flag, const char *s, int64_t max, int dflt_ok)
{
	int64_t		 v = 0;
	const char	*p;

	if (strcmp(s, "none") == 0)
		return 0;
	if (dflt_ok && strcmp(s, "default") == 0)
		return -1;
	for (p = s; *p >= '0' && *p <= '9' && v <= max; p++)
		v = v * 10 + (*p - '0');
	if (p == s || *p != '\0' || v > max)
		errx(2, "%s: expected a number from 0 to %lld, \"none\"%s",
		    flag, (long long)max, dflt_ok ? " or \"default\"" : "");
	return v;
}

/*
 * Dollars with at most two decimals ("12", "12.5", "0.01") into cents,
 * at most LIMITS_CENTS_MAX and more than 0.  Returns 1, or 0.  Pure.
 */
int
vennactl_parse_usd(const char *s, int64_t *cents)
{
	int64_t		 v = 0;
	int		 dec = -1;

	if (*s == '$')
		s++;
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++) {
		if (*s == '.' && dec < 0) {
			dec = 0;
			continue;
		}
		if (*s < '0' || *s > '9' || dec == 2 ||
		    v > LIMITS_CENTS_MAX)
			return 0;
		v = v * 10 + (*s - '0');
		if (dec >= 0)
			dec++;
	}
	for (dec = dec < 0 ? 0 : dec; dec < 2; dec++)
		v *= 10;
	if (v <= 0 || v > LIMITS_CENTS_MAX)
		return 0;
	*cents = v;
	return 1;
}

static void
print_usd(const char *name, int64_t pusd)
{
	int64_t	 cents = pusd / LIMITS_PUSD_PER_CENT;

	if (pusd == 0)
		printf("%s\tnone\n", name);
	else
		printf("%s\t%lld.%02lld\tUSD a month\n", name,
		    (long long)(cents / 100), (long long)(cents % 100));
}

static struct db *
open_db(const struct cfg *cfg)
{
	struct db	*db;
	char		 e[VN_ERRMSG];

	/* Limits are rare writes: always durable, as keys are. */
	if ((db = db_open(cfg, DB_OPEN_DURABLE, e, sizeof(e))) == NULL)
		errx(1, "%s", e);
	return db;
}

static void
env_init(const struct cfg *cfg, struct db *db, struct admin_env *env)
{
	memset(env, 0, sizeof(*env));
	env->db = db;
	env->database = cfg->database;
	admin_actor_unix(&env->actor);
}

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

/* Why a change failed, as vennactl says it; exits 1. */
static void
fail(enum vn_err rc, const char *what, const char *name)
{
	if (rc == VN_ECONFLICT)
		errx(1, "workspace %s is archived: its limits do not change",
		    name);
	if (rc == VN_ENOTFOUND)
		errx(1, "no %s %s", what, name);
	errx(1, "cannot change the limits of %s %s", what, name);
}

static int
alert_print(void *arg, const void *obj)
{
	const struct admin_alert *a = obj;
	int64_t			 cents = a->threshold_pusd /
	    LIMITS_PUSD_PER_CENT;

	(void)arg;
	printf("spend_alert\t%s\t%lld.%02lld\t%s\t%s\n", a->id,
	    (long long)(cents / 100), (long long)(cents % 100),
	    a->recipients, a->fired_month != 0 ? "fired this month" : "-");
	return 0;
}

static void
alerts_print(struct db *db, const char *project_id)
{
	struct admin_cursor_page pg;
	int			 more;

	memset(&pg, 0, sizeof(pg));
	pg.limit = ADMIN_ALERTS_MAX;
	if (admin_alert_list(db, project_id, &pg, alert_print, NULL, &more) !=
	    VN_OK)
		errx(1, "cannot read the spend alerts");
}

static int
rl_print(void *arg, const void *obj)
{
	const struct admin_rate_limit *r = obj;
	int			 i;

	(void)arg;
	printf("rate_limit\t%s", r->model);
	for (i = 0; i < LIM__N; i++)
		printf("\t%lld%s", (long long)r->max[i], r->ovr[i] >= 0 ?
		    "*" : "");
	printf("\n");
	return 0;
}

int
vennactl_limits_show(const struct cfg *cfg, int argc, char **argv)
{
	struct admin_cursor_page pg;
	struct admin_project	 p;
	struct admin_perm	 perm;
	struct args		 a;
	struct db		*db;
	int64_t			 pusd;
	long			 conc;
	int			 more, i;

	parse_args(argc, argv, 0, 1, VENNACTL_LIMITS_SHOW, &a);
	db = open_db(cfg);
	find_ws(db, a.pos, &p);
	printf("workspace\t%s\t%s%s\n", p.name, p.id, p.archived_at != 0 ?
	    "\tarchived" : "");
	if (admin_spend_get(db, p.id, &pusd) != VN_OK)
		errx(1, "cannot read the spend limit");
	print_usd("spend_limit", pusd);
	if (admin_spend_get(db, NULL, &pusd) != VN_OK)
		errx(1, "cannot read the spend limit");
	print_usd("organization_spend_limit", pusd);
	if (admin_concurrency_get(db, p.id, &conc) != VN_OK)
		errx(1, "cannot read the workspace's limits");
	if (conc >= 0)
		printf("max_concurrent\t%ld*\n", conc);
	else
		printf("max_concurrent\t%ld\n", cfg->max_concurrent);
	if (admin_perm_get(db, p.id, &perm) != VN_OK)
		errx(1, "cannot read the model permissions");
	printf("model_permissions\t%s\t%s\n", perm.mode[0] != '\0' ?
	    perm.mode : "none", perm.model_ids);
	admin_perm_free(&perm);
	printf("#\tMODEL");
	for (i = 0; i < LIM__N; i++)
		printf("\t%s", admin_limit_names[i]);
	printf("\n");
	memset(&pg, 0, sizeof(pg));
	pg.limit = (long)cfg->nmodels;
	if (pg.limit > 0 && admin_rl_list(db, cfg, p.id, &pg, rl_print, NULL,
	    &more) != VN_OK)
		errx(1, "cannot read the rate limits");
	alerts_print(db, p.id);
	db_close(db);
	return 0;
}

int
vennactl_limits_set(const struct cfg *cfg, int argc, char **argv)
{
	struct admin_limit_change ch;
	struct admin_rate_limit	 r;
	struct admin_project	 p;
	struct admin_env	 env;
	const struct cfg_model	*m = NULL;
	struct args		 a;
	struct db		*db;
	int64_t			 cents = 0;
	long			 conc = -2;
	int			 f;
	enum vn_err		 rc;

	parse_args(argc, argv, F_SET, 1, VENNACTL_LIMITS_SET, &a);
	if (a.nflags == 0 || (a.val[FL_MODEL] != NULL && a.nflags == 1))
		errx(2, "nothing to set: give --rpm, --tpm, --rpd, "
		    "--batch-tpd (with --model), --max-concurrent or "
		    "--spend");
	memset(&ch, 0, sizeof(ch));
	for (f = 0; f < FL__N; f++) {
		if (flags[f].lim < 0 || a.val[f] == NULL)
			continue;
		ch.set[flags[f].lim] = 1;
		ch.val[flags[f].lim] = parse_limit(flags[f].name, a.val[f],
		    LIMITS_RATE_MAX, 1);
	}
	if (a.val[FL_MODEL] != NULL &&
	    (m = cfg_model_find(cfg, a.val[FL_MODEL])) == NULL)
		errx(1, "no model %s in %s", a.val[FL_MODEL], cfg->path !=
		    NULL ? cfg->path : "the configuration");
	for (f = 0; f < LIM__N; f++)
		if (ch.set[f] && m == NULL)
			errx(2, "rate limits are a model's: give --model");
	if (a.val[FL_CONCURRENT] != NULL)
		conc = (long)parse_limit("--max-concurrent",
		    a.val[FL_CONCURRENT], LIMITS_CONCURRENT_MAX, 1);
	if (a.val[FL_SPEND] != NULL && strcmp(a.val[FL_SPEND], "none") != 0 &&
	    !vennactl_parse_usd(a.val[FL_SPEND], &cents))
		errx(2, "--spend: expected dollars from 0.01 to %lld, at most "
		    "two decimals, or \"none\"", LIMITS_CENTS_MAX / 100);
	db = open_db(cfg);
	find_ws(db, a.pos, &p);
	env_init(cfg, db, &env);
	/* One change after the other: each is audited on its own. */
	if (m != NULL && (rc = admin_rl_update(&env, cfg, p.id, m, &ch, &r)) !=
	    VN_OK)
		fail(rc, "workspace", p.name);
	if (conc != -2 && (rc = admin_concurrency_set(&env, p.id, conc)) !=
	    VN_OK)
		fail(rc, "workspace", p.name);
	if (a.val[FL_SPEND] != NULL) {
		if (cents > 0)
			rc = admin_spend_set(&env, p.id, cents *
			    LIMITS_PUSD_PER_CENT);
		else
			rc = admin_spend_delete(&env, p.id, &f);
		if (rc != VN_OK)
			fail(rc, "workspace", p.name);
	}
	db_close(db);
	fprintf(stderr, "vennactl: limits of workspace %s changed\n", p.name);
	return vennactl_limits_show(cfg, 1, (char *[]){ p.id, NULL });
}

int
vennactl_limits_key(const struct cfg *cfg, int argc, char **argv)
{
	struct admin_limit_change ch;
	struct admin_env	 env;
	struct limit_set	 l;
	enum apikey_kind	 kind;
	struct args		 a;
	struct db		*db;
	char			 id[APIKEY_ID_LEN + 1];
	char			 ws[WS_ID_LEN + 1];
	size_t			 len;
	int			 f;
	enum vn_err		 rc;

	parse_args(argc, argv, F_KEY, 1, VENNACTL_LIMITS_KEY, &a);
	len = strlen(a.pos);
	/* A whole key is a secret: its id is kept, the rest wiped. */
	if (len != APIKEY_ID_LEN) {
		if (!apikey_parse_any(a.pos, len, &kind, id) ||
		    kind == APIKEY_ADMIN) {
			sodium_memzero((char *)a.pos, len);
			errx(2, "expected a key id (%d characters) or a whole "
			    "workspace key", APIKEY_ID_LEN);
		}
		sodium_memzero((char *)a.pos, len);
	} else
		memcpy(id, a.pos, sizeof(id));
	memset(&ch, 0, sizeof(ch));
	for (f = 0; f < FL__N; f++)
		if (flags[f].lim >= 0 && a.val[f] != NULL) {
			ch.set[flags[f].lim] = 1;
			ch.val[flags[f].lim] = parse_limit(flags[f].name,
			    a.val[f], LIMITS_RATE_MAX, 0);
		}
	db = open_db(cfg);
	if (a.nflags > 0) {
		env_init(cfg, db, &env);
		if ((rc = admin_key_limits_set(&env, id, &ch, &l)) != VN_OK)
			fail(rc, "key", id);
		fprintf(stderr, "vennactl: limits of key %s changed\n", id);
	}
	if ((rc = admin_key_limits_get(db, id, &l, ws)) != VN_OK)
		fail(rc, "key", id);
	db_close(db);
	printf("key\t%s\t%s\n", id, ws);
	for (f = 0; f < LIM_BATCH_TPD; f++)
		printf("%s\t%lld\n", admin_limit_names[f],
		    (long long)l.max[f]);
	return 0;
}

int
vennactl_limits_org(const struct cfg *cfg, int argc, char **argv)
{
	struct admin_env	 env;
	struct args		 a;
	struct db		*db;
	int64_t			 cents = 0, pusd;
	int			 existed;
	enum vn_err		 rc;

	parse_args(argc, argv, F_ORG, 0, VENNACTL_LIMITS_ORG, &a);
	if (a.val[FL_SPEND] != NULL && strcmp(a.val[FL_SPEND], "none") != 0 &&
	    !vennactl_parse_usd(a.val[FL_SPEND], &cents))
		errx(2, "--spend: expected dollars from 0.01 to %lld, at most "
		    "two decimals, or \"none\"", LIMITS_CENTS_MAX / 100);
	db = open_db(cfg);
	if (a.val[FL_SPEND] != NULL) {
		env_init(cfg, db, &env);
		rc = cents > 0 ? admin_spend_set(&env, NULL, cents *
		    LIMITS_PUSD_PER_CENT) : admin_spend_delete(&env, NULL,
		    &existed);
		if (rc != VN_OK)
			errx(1, "cannot change the organization's spend limit");
		fprintf(stderr, "vennactl: the organization's spend limit "
		    "changed\n");
	}
	if (admin_spend_get(db, NULL, &pusd) != VN_OK)
		errx(1, "cannot read the spend limit");
	print_usd("organization_spend_limit", pusd);
	alerts_print(db, NULL);
	db_close(db);
	return 0;
}
