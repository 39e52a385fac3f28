/*
 * admin_limits.h: the limits as the Admin API and vennactl change them
 * (schema 10): a project's rate limits per model, the spend limits and
 * spend alerts of the organization and of each project, a project's
 * model permissions, and Venna's own: a key's limits, a workspace's
 * share of the pool.  As admin.h's operations: each change runs in one
 * transaction with its audit row; after its commit the limits
 * generation is bumped (limiter_bump()), so every process drops its
 * cached limits before its next request.
 *
 * A project_id of NULL is the organization, where the API has both.
 */
#ifndef ADMIN_LIMITS_H
#define ADMIN_LIMITS_H

#include "venna.h"
#include "admin.h"
#include "limiter.h"

#define ADMIN_RL_PREFIX		"rl-"	/* a rate limit's id: "rl-MODEL" */
#define ADMIN_MODEL_MAX		128	/* CFG_MAX_NAME */
#define ADMIN_RL_ID_MAX		(3 + ADMIN_MODEL_MAX)
#define ADMIN_ALERT_ID_LEN	(6 + 20)	/* "alert_" + 20 */
#define ADMIN_ALERTS_MAX	100	/* a scope's spend alerts */
#define ADMIN_RECIPIENTS_MAX	20
#define ADMIN_EMAIL_MAX		254
#define ADMIN_SUBJECT_MAX	200
/* A JSON array of addresses (admin_email_ok(): nothing to escape). */
#define ADMIN_RECIPIENTS_JSON	(ADMIN_RECIPIENTS_MAX * \
				    (ADMIN_EMAIL_MAX + 3) + 3)

/* A project's rate limit for one model, as the API shows it. */
struct admin_rate_limit {
	char	 id[ADMIN_RL_ID_MAX + 1];
	char	 model[ADMIN_MODEL_MAX + 1];
	int64_t	 max[LIM__N];		/* in force: override or default */
	int64_t	 ovr[LIM__N];		/* the override, -1: none */
};

/* What an update changes: val -1 puts a limit back to its default. */
struct admin_limit_change {
	int	 set[LIM__N];
	int64_t	 val[LIM__N];
};

/* Pages of rate limits (models in venna.conf's order) and of alerts. */
struct admin_cursor_page {
	long		 limit;
	const char	*after, *before;	/* ids, or NULL */
	int		 desc;			/* alerts: order=desc */
};

struct admin_alert {
	char	 id[ADMIN_ALERT_ID_LEN + 1];
	int64_t	 threshold_pusd;
	char	 recipients[ADMIN_RECIPIENTS_JSON];	/* a JSON array */
	char	 subject[ADMIN_SUBJECT_MAX + 1];	/* text, not JSON */
	int	 has_subject;
	int64_t	 created_at;
	int64_t	 fired_month;		/* 0: not yet */
};

struct admin_perm {
	char	 mode[16];		/* "" when none is set */
	char	*model_ids;		/* a JSON array; owned */
};

struct cfg;
struct cfg_model;

/* The Admin API's name of each kind of rate limit, as limiter.h's. */
extern const char *const admin_limit_names[LIM__N];

#define ADMIN_LIMITS_AUDIT_MAX	900	/* admin_audit.data holds 1024 */

/* admin_limits.c */
void		admin_changed_limits(const struct admin_env *);
const char	*admin_limits_scope(const char *project_id);
enum vn_err	admin_limits_audit(struct admin_env *, const char *project_id,
		    const char *resource, const char *what, const char *value);
enum vn_err	admin_project_open(struct db *, const char *project_id,
		    int to_change);
const struct cfg_model *admin_rl_model(const struct cfg *, const char *id);
enum vn_err	admin_rl_get(struct db *, const struct cfg *,
		    const char *project_id, const struct cfg_model *,
		    struct admin_rate_limit *);
enum vn_err	admin_rl_list(struct db *, const struct cfg *,
		    const char *project_id, const struct admin_cursor_page *,
		    admin_each, void *, int *more);
enum vn_err	admin_rl_update(struct admin_env *, const struct cfg *,
		    const char *project_id, const struct cfg_model *,
		    const struct admin_limit_change *,
		    struct admin_rate_limit *);
enum vn_err	admin_spend_get(struct db *, const char *project_id,
		    int64_t *pusd);
enum vn_err	admin_spend_set(struct admin_env *, const char *project_id,
		    int64_t pusd);
enum vn_err	admin_spend_delete(struct admin_env *,
		    const char *project_id, int *existed);
enum vn_err	admin_perm_get(struct db *, const char *project_id,
		    struct admin_perm *);
enum vn_err	admin_perm_set(struct admin_env *, const char *project_id,
		    const char *mode, const char *model_ids,
		    struct admin_perm *);
enum vn_err	admin_perm_delete(struct admin_env *, const char *project_id);
void		admin_perm_free(struct admin_perm *);
enum vn_err	admin_key_limits_get(struct db *, const char *key_id,
		    struct limit_set *, char workspace_id[WS_ID_LEN + 1]);
enum vn_err	admin_key_limits_set(struct admin_env *, const char *key_id,
		    const struct admin_limit_change *, struct limit_set *);
enum vn_err	admin_concurrency_get(struct db *, const char *project_id,
		    long *max);
enum vn_err	admin_concurrency_set(struct admin_env *,
		    const char *project_id, long max);

/* admin_limits_alerts.c */
enum vn_err	admin_alert_create(struct admin_env *, const char *project_id,
		    const struct admin_alert *in, struct admin_alert *out);
enum vn_err	admin_alert_get(struct db *, const char *project_id,
		    const char *id, struct admin_alert *);
enum vn_err	admin_alert_list(struct db *, const char *project_id,
		    const struct admin_cursor_page *, admin_each, void *,
		    int *more);
enum vn_err	admin_alert_update(struct admin_env *, const char *project_id,
		    const char *id, const struct admin_alert *in,
		    struct admin_alert *out);
enum vn_err	admin_alert_delete(struct admin_env *, const char *project_id,
		    const char *id);
int		admin_email_ok(const char *);

#endif /* ADMIN_LIMITS_H */
