/*
 * api_admin_limits.c: the Admin API's limits (issue #16): a project's
 * rate limits per model, the spend limits and spend alerts of the
 * organization and of each project, a project's model permissions.
 * Thin, as api_admin.c: each handler parses its path, query and body,
 * calls admin_limits.c, and writes the OpenAPI document's object.
 *
 * Amounts: the document gives threshold_amount in cents (an integer);
 * Venna keeps picodollars, as its ledger does (cents * 1e10), so an
 * amount set here reads back exactly.
 *
 * Where the document is silent:
 *  - a rate limit's id is "rl-" and the model's name, as its list
 *    example; a configured model has one whether or not it has an
 *    override.  A limit of 0 is no limit; null in an update puts a
 *    limit back to the model's default from venna.conf;
 *  - a spend limit that is not set is a 404 (GET and DELETE);
 *  - model permissions that are not set read as an empty deny list,
 *    which is what they mean: every model;
 *  - an archived project's limits read as they were and take no
 *    change (409), as it takes no new key.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

#include "admin.h"
#include "admin_limits.h"
#include "admin_query.h"
#include "api.h"
#include "api_admin_reply.h"
#include "buf.h"
#include "cfg.h"
#include "ctx.h"
#include "fault.h"
#include "jsonx.h"
#include "limits_store.h"
#include "reply.h"
#include "store.h"
#include "url.h"

#define PERM_MODELS_MAX	CFG_MAX_SECTIONS

/*
 * An operation's failure as the answer.  what names the object of a
 * 404 other than the project (which the handlers check first).
 */
static enum vn_err
op_fault(struct ctx *c, enum vn_err rc, const char *what, const char *id)
{
	switch (rc) {
	case VN_ENOTFOUND:
		return fault_set(&c->fault, rc, NULL, NULL, "No such %s: "
		    "'%.100s'.", what, id);
	case VN_ECONFLICT:
		return fault_set(&c->fault, rc, NULL, NULL, "Project "
		    "'%.100s' is archived: its limits do not change.",
		    c->nparams > 0 ? c->params[0] : "");
	default:
		return rc;
	}
}

/*
 * The project of the path (params[0]), when the route has one: it
 * exists (404) and, to_change, is not archived (409).  NULL for the
 * organization's routes.
 */
static enum vn_err
project(struct ctx *c, struct db *db, int to_change, const char **id)
{
	enum vn_err	 rc;

	*id = NULL;
	if (c->nparams == 0 || strncmp(c->path, "/v1/organization/projects/",
	    26) != 0)
		return VN_OK;
	*id = c->params[0];
	if ((rc = admin_project_open(db, *id, to_change)) == VN_ENOTFOUND)
		return fault_set(&c->fault, rc, NULL, NULL, "No such project: "
		    "'%.100s'.", *id);
	return op_fault(c, rc, "project", *id);
}

/*
 * limit, after, before and order of a list.  limit is lo to 100,
 * deflt when absent; order only when order_ok.
 */
static enum vn_err
page_query(struct ctx *c, long lo, long deflt, int order_ok,
    struct admin_cursor_page *pg, char after[ADMIN_RL_ID_MAX + 1],
    char before[ADMIN_RL_ID_MAX + 1])
{
	char		 v[ADMIN_RL_ID_MAX + 1], *end = v;
	int		 r;

	memset(pg, 0, sizeof(*pg));
	pg->limit = deflt;
	if ((r = url_query_get(c->query, "limit", v, sizeof(v))) != 0) {
		pg->limit = r == 1 && v[0] >= '0' && v[0] <= '9' &&
		    strlen(v) <= 4 ? strtol(v, &end, 10) : -1;
		if (pg->limit < lo || pg->limit > AQ_LIMIT_MAX || *end != '\0')
			return fault_set(&c->fault, VN_EINVAL, "limit",
			    "invalid_value", "Invalid 'limit': expected an "
			    "integer from %ld to %d.", lo, AQ_LIMIT_MAX);
	}
	if ((r = url_query_get(c->query, "after", after,
	    ADMIN_RL_ID_MAX + 1)) == -1 || (r == 1 && after[0] == '\0'))
		return fault_set(&c->fault, VN_EINVAL, "after",
		    "invalid_value", "Invalid 'after': expected an object id.");
	pg->after = r == 1 ? after : NULL;
	if ((r = url_query_get(c->query, "before", before,
	    ADMIN_RL_ID_MAX + 1)) == -1 || (r == 1 && before[0] == '\0'))
		return fault_set(&c->fault, VN_EINVAL, "before",
		    "invalid_value", "Invalid 'before': expected an object "
		    "id.");
	pg->before = r == 1 ? before : NULL;
	if (!order_ok)
		return VN_OK;
	if ((r = url_query_get(c->query, "order", v, sizeof(v))) == 0 ||
	    (r == 1 && strcmp(v, "asc") == 0))
		return VN_OK;
	if (r == 1 && strcmp(v, "desc") == 0) {
		pg->desc = 1;
		return VN_OK;
	}
	return fault_set(&c->fault, VN_EINVAL, "order", "invalid_value",
	    "Invalid 'order': expected asc or desc.");
}

/* currency "USD" and interval "month", both required. */
static enum vn_err
usd_month(struct ctx *c)
{
	const char	*cur = NULL, *iv = NULL;
	enum vn_err	 rc;

	if ((rc = jsonx_string(c->json, "currency", NULL, 1, 16, &cur,
	    &c->fault)) != VN_OK ||
	    (rc = jsonx_string(c->json, "interval", NULL, 1, 16, &iv,
	    &c->fault)) != VN_OK)
		return rc;
	if (strcmp(cur, "USD") != 0)
		return fault_set(&c->fault, VN_EINVAL, "currency",
		    "invalid_value", "Invalid 'currency': only USD is "
		    "supported.");
	if (strcmp(iv, "month") != 0)
		return fault_set(&c->fault, VN_EINVAL, "interval",
		    "invalid_value", "Invalid 'interval': only month is "
		    "supported.");
	return VN_OK;
}

/* ---- rate limits ---- */

static enum vn_err
rl_json(struct buf *b, const void *obj, const char *object)
{
	const struct admin_rate_limit *r = obj;
	enum vn_err	 rc;
	int		 i;

	if ((rc = buf_addf(b, "{\"object\":\"%s\",\"id\":", object)) !=
	    VN_OK ||
	    (rc = buf_add_json_string(b, r->id, strlen(r->id))) != VN_OK ||
	    (rc = buf_addstr(b, ",\"model\":")) != VN_OK ||
	    (rc = buf_add_json_string(b, r->model, strlen(r->model))) != VN_OK)
		return rc;
	for (i = 0; i < LIM__N; i++)
		if ((rc = buf_addf(b, ",\"%s\":%lld", admin_limit_names[i],
		    (long long)r->max[i])) != VN_OK)
			return rc;
	return buf_addc(b, '}');
}

enum vn_err
api_admin_rl_list(struct ctx *c)
{
	struct admin_cursor_page pg;
	struct api_admin_listing		 l;
	struct buf		 b;
	struct db		*db = NULL;
	const char		*pid;
	char			 after[ADMIN_RL_ID_MAX + 1];
	char			 before[ADMIN_RL_ID_MAX + 1];
	int			 more = 0;
	enum vn_err		 rc;

	buf_init(&b, API_ADMIN_MAX_BODY);
	if ((rc = page_query(c, 1, AQ_LIMIT_MAX, 0, &pg, after, before)) !=
	    VN_OK)
		goto out;
	if ((db = store_get(c->store)) == NULL) {
		rc = VN_ESTORE;
		goto out;
	}
	if ((rc = project(c, db, 0, &pid)) != VN_OK)
		goto out;
	if ((rc = api_admin_list_begin(&l, &b, rl_json, "project.rate_limit",
	    offsetof(struct admin_rate_limit, id))) == VN_OK)
		rc = admin_rl_list(db, c->cfg, pid, &pg, api_admin_list_each,
		    &l, &more);
	if (rc == VN_OK)
		rc = api_admin_list_end(&l, more);
	else if (rc == VN_EINVAL)
		rc = fault_set(&c->fault, rc, pg.after != NULL ? "after" :
		    "before", "invalid_value", "Invalid cursor: no rate limit "
		    "of this project has that id.");
out:
	store_put(c->store, db);
	return api_admin_answer(c, &b, rc);
}

/*
 * The limits an update sets: integers from 0 (no limit), null (the
 * model's default).  The document's image and audio limits are no
 * limits of Venna's: asked for, they are refused, not ignored.
 */
static enum vn_err
rl_body(struct ctx *c, struct admin_limit_change *ch)
{
	static const char *const unsupported[] = {
		"max_images_per_1_minute", "max_audio_megabytes_per_1_minute"
	};
	struct json_object	*v;
	enum vn_err		 rc;
	size_t			 i;

	memset(ch, 0, sizeof(*ch));
	for (i = 0; i < VN_NELEM(unsupported); i++)
		if (json_object_object_get_ex(c->json, unsupported[i], &v))
			return fault_set(&c->fault, VN_EINVAL, unsupported[i],
			    "invalid_value", "Invalid '%s': Venna has no such "
			    "limit.", unsupported[i]);
	for (i = 0; i < LIM__N; i++) {
		if (!json_object_object_get_ex(c->json, admin_limit_names[i],
		    &v))
			continue;
		ch->set[i] = 1;
		ch->val[i] = -1;
		if (v == NULL)
			continue;
		if ((rc = jsonx_int(c->json, admin_limit_names[i], NULL, 1, 0,
		    LIMITS_RATE_MAX, &ch->val[i], NULL, &c->fault)) != VN_OK)
			return rc;
	}
	return VN_OK;
}

enum vn_err
api_admin_rl_update(struct ctx *c)
{
	struct admin_limit_change ch;
	struct admin_rate_limit	 r;
	struct admin_env	 env;
	const struct cfg_model	*m;
	const char		*pid;
	struct buf		 b;
	enum vn_err		 rc;

	if ((rc = rl_body(c, &ch)) != VN_OK)
		return rc;
	if (api_admin_env_open(c, &env) == NULL)
		return VN_ESTORE;
	if ((rc = project(c, env.db, 1, &pid)) == VN_OK) {
		if ((m = admin_rl_model(c->cfg, c->params[1])) == NULL)
			rc = fault_set(&c->fault, VN_ENOTFOUND, NULL, NULL,
			    "No such rate limit: '%.100s' (the ids are %s and "
			    "a configured model's name).", c->params[1],
			    ADMIN_RL_PREFIX);
		else
			rc = op_fault(c, admin_rl_update(&env, c->cfg, pid, m,
			    &ch, &r), "project", pid);
	}
	store_put(c->store, env.db);
	if (rc != VN_OK)
		return rc;
	buf_init(&b, API_ADMIN_MAX_BODY);
	return api_admin_answer(c, &b, rl_json(&b, &r, "project.rate_limit"));
}

/* ---- spend limits ---- */

static enum vn_err
spend_json(struct buf *b, int64_t pusd, const char *object)
{
	return buf_addf(b, "{\"object\":\"%s\",\"threshold_amount\":%lld,"
	    "\"currency\":\"USD\",\"interval\":\"month\",\"enforcement\":"
	    "{\"status\":\"enforcing\"}}", object,
	    (long long)(pusd / LIMITS_PUSD_PER_CENT));
}

/* "organization" or "project", as the route's objects begin. */
static const char *
kind(const char *pid)
{
	return pid != NULL ? "project" : "organization";
}

enum vn_err
api_admin_spend_get(struct ctx *c)
{
	struct db	*db;
	struct buf	 b;
	const char	*pid;
	char		 object[64];
	int64_t		 pusd = 0;
	enum vn_err	 rc;

	if ((db = store_get(c->store)) == NULL)
		return VN_ESTORE;
	if ((rc = project(c, db, 0, &pid)) == VN_OK)
		rc = admin_spend_get(db, pid, &pusd);
	store_put(c->store, db);
	if (rc == VN_OK && pusd == 0)
		rc = fault_set(&c->fault, VN_ENOTFOUND, NULL, NULL, "No spend "
		    "limit is set for this %s.", kind(pid));
	if (rc != VN_OK)
		return rc;
	snprintf(object, sizeof(object), "%s.spend_limit", kind(pid));
	buf_init(&b, API_ADMIN_MAX_BODY);
	return api_admin_answer(c, &b, spend_json(&b, pusd, object));
}

enum vn_err
api_admin_spend_set(struct ctx *c)
{
	struct admin_env	 env;
	struct buf		 b;
	const char		*pid;
	char			 object[64];
	int64_t			 cents;
	enum vn_err		 rc;

	if ((rc = jsonx_int(c->json, "threshold_amount", NULL, 1, 1,
	    LIMITS_CENTS_MAX, &cents, NULL, &c->fault)) != VN_OK ||
	    (rc = usd_month(c)) != VN_OK)
		return rc;
	if (api_admin_env_open(c, &env) == NULL)
		return VN_ESTORE;
	if ((rc = project(c, env.db, 1, &pid)) == VN_OK)
		rc = op_fault(c, admin_spend_set(&env, pid, cents *
		    LIMITS_PUSD_PER_CENT), "project", "");
	store_put(c->store, env.db);
	if (rc != VN_OK)
		return rc;
	snprintf(object, sizeof(object), "%s.spend_limit", kind(pid));
	buf_init(&b, API_ADMIN_MAX_BODY);
	return api_admin_answer(c, &b, spend_json(&b,
	    cents * LIMITS_PUSD_PER_CENT, object));
}

enum vn_err
api_admin_spend_delete(struct ctx *c)
{
	struct admin_env	 env;
	struct buf		 b;
	const char		*pid;
	int			 existed = 0;
	enum vn_err		 rc;

	if (api_admin_env_open(c, &env) == NULL)
		return VN_ESTORE;
	if ((rc = project(c, env.db, 1, &pid)) == VN_OK)
		rc = op_fault(c, admin_spend_delete(&env, pid, &existed),
		    "project", "");
	store_put(c->store, env.db);
	if (rc == VN_OK && !existed)
		rc = fault_set(&c->fault, VN_ENOTFOUND, NULL, NULL, "No spend "
		    "limit is set for this %s.", kind(pid));
	if (rc != VN_OK)
		return rc;
	buf_init(&b, API_ADMIN_MAX_BODY);
	return api_admin_answer(c, &b, buf_addf(&b, "{\"object\":"
	    "\"%s.spend_limit.deleted\",\"deleted\":true}", kind(pid)));
}

/* ---- spend alerts ---- */

static enum vn_err
alert_json(struct buf *b, const void *obj, const char *object)
{
	const struct admin_alert *a = obj;
	enum vn_err	 rc;

	if ((rc = buf_addstr(b, "{\"id\":")) != VN_OK ||
	    (rc = buf_add_json_string(b, a->id, strlen(a->id))) != VN_OK ||
	    (rc = buf_addf(b, ",\"object\":\"%s\",\"threshold_amount\":%lld,"
	    "\"currency\":\"USD\",\"interval\":\"month\","
	    "\"notification_channel\":{\"type\":\"email\",\"recipients\":%s,"
	    "\"subject_prefix\":", object, (long long)(a->threshold_pusd /
	    LIMITS_PUSD_PER_CENT), a->recipients)) != VN_OK ||
	    (rc = a->has_subject ? buf_add_json_string(b, a->subject,
	    strlen(a->subject)) : buf_addstr(b, "null")) != VN_OK)
		return rc;
	return buf_addstr(b, "}}");
}

/*
 * notification_channel: type "email", recipients (at most
 * ADMIN_RECIPIENTS_MAX addresses, admin_email_ok()), subject_prefix (a
 * string or null), into *a.
 */
static enum vn_err
channel_body(struct ctx *c, struct json_object *ch, struct admin_alert *a)
{
	static const char ctxname[] = "notification_channel";
	struct json_object	*rs, *r;
	struct buf		 b;
	const char		*type = NULL, *subj = NULL, *s;
	char			 p[64];
	size_t			 i, n;
	enum vn_err		 rc;

	if ((rc = jsonx_string(ch, "type", ctxname, 1, 16, &type,
	    &c->fault)) != VN_OK)
		return rc;
	if (strcmp(type, "email") != 0)
		return fault_set(&c->fault, VN_EINVAL,
		    "notification_channel.type", "invalid_value", "Invalid "
		    "'notification_channel.type': only email is supported.");
	if (!json_object_object_get_ex(ch, "recipients", &rs) || rs == NULL)
		return fault_set(&c->fault, VN_EINVAL,
		    "notification_channel.recipients",
		    "missing_required_parameter", "Missing required "
		    "parameter: 'notification_channel.recipients'.");
	if (!json_object_is_type(rs, json_type_array) ||
	    (n = json_object_array_length(rs)) > ADMIN_RECIPIENTS_MAX)
		return fault_set(&c->fault, VN_EINVAL,
		    "notification_channel.recipients", "invalid_value",
		    "Invalid 'notification_channel.recipients': expected an "
		    "array of at most %d email addresses.",
		    ADMIN_RECIPIENTS_MAX);
	buf_init(&b, sizeof(a->recipients) - 1);
	rc = buf_addc(&b, '[');
	for (i = 0; rc == VN_OK && i < n; i++) {
		r = json_object_array_get_idx(rs, i);
		s = json_object_is_type(r, json_type_string) ?
		    json_object_get_string(r) : NULL;
		if (s == NULL || strlen(s) != (size_t)
		    json_object_get_string_len(r) || !admin_email_ok(s)) {
			snprintf(p, sizeof(p), "notification_channel."
			    "recipients[%zu]", i);
			rc = fault_set(&c->fault, VN_EINVAL, p,
			    "invalid_value", "Invalid '%s': expected an email "
			    "address (local@domain, ASCII, at most %d "
			    "characters).", p, ADMIN_EMAIL_MAX);
			break;
		}
		if (i > 0)
			rc = buf_addc(&b, ',');
		if (rc == VN_OK)
			rc = buf_add_json_string(&b, s, strlen(s));
	}
	if (rc == VN_OK)
		rc = buf_addc(&b, ']');
	if (rc == VN_OK)
		memcpy(a->recipients, b.data, b.len + 1);
	buf_free(&b);
	if (rc != VN_OK)
		return rc;
	if ((rc = jsonx_string(ch, "subject_prefix", ctxname, 0,
	    ADMIN_SUBJECT_MAX, &subj, &c->fault)) != VN_OK)
		return rc;
	if (subj != NULL && *subj != '\0' &&
	    !admin_text_ok(subj, ADMIN_SUBJECT_MAX))
		return fault_set(&c->fault, VN_EINVAL,
		    "notification_channel.subject_prefix", "invalid_value",
		    "Invalid 'notification_channel.subject_prefix': expected "
		    "UTF-8 without control characters.");
	if ((a->has_subject = subj != NULL))
		snprintf(a->subject, sizeof(a->subject), "%s", subj);
	return VN_OK;
}

/* The body of a create or an update (CreateSpendAlertBody). */
static enum vn_err
alert_body(struct ctx *c, struct admin_alert *a)
{
	struct json_object	*ch;
	int64_t			 cents;
	enum vn_err		 rc;

	memset(a, 0, sizeof(*a));
	if ((rc = jsonx_int(c->json, "threshold_amount", NULL, 1, 0,
	    LIMITS_CENTS_MAX, &cents, NULL, &c->fault)) != VN_OK ||
	    (rc = usd_month(c)) != VN_OK)
		return rc;
	a->threshold_pusd = cents * LIMITS_PUSD_PER_CENT;
	if (!json_object_object_get_ex(c->json, "notification_channel", &ch) ||
	    ch == NULL)
		return fault_set(&c->fault, VN_EINVAL, "notification_channel",
		    "missing_required_parameter", "Missing required parameter: "
		    "'notification_channel'.");
	if (!json_object_is_type(ch, json_type_object))
		return fault_set(&c->fault, VN_EINVAL, "notification_channel",
		    "invalid_type", "Invalid type for 'notification_channel': "
		    "expected an object, but got %s instead.",
		    jsonx_type_name(ch));
	return channel_body(c, ch, a);
}

/* The alert id of the path: the last parameter. */
static const char *
alert_id(struct ctx *c)
{
	return c->params[c->nparams - 1];
}

static enum vn_err
alert_answer(struct ctx *c, const char *pid, const struct admin_alert *a)
{
	struct buf	 b;
	char		 object[64];

	snprintf(object, sizeof(object), "%s.spend_alert", kind(pid));
	buf_init(&b, API_ADMIN_MAX_BODY);
	return api_admin_answer(c, &b, alert_json(&b, a, object));
}

enum vn_err
api_admin_alert_create(struct ctx *c)
{
	struct admin_alert	*in = NULL, *out = NULL;
	struct admin_env	 env;
	const char		*pid;
	enum vn_err		 rc;

	if ((in = calloc(2, sizeof(*in))) == NULL)
		return VN_ENOMEM;
	out = in + 1;
	if ((rc = alert_body(c, in)) != VN_OK)
		goto out;
	if (api_admin_env_open(c, &env) == NULL) {
		rc = VN_ESTORE;
		goto out;
	}
	if ((rc = project(c, env.db, 1, &pid)) == VN_OK) {
		rc = admin_alert_create(&env, pid, in, out);
		if (rc == VN_EINVAL)
			rc = fault_set(&c->fault, rc, NULL, "invalid_value",
			    "This %s has %d spend alerts, the most it may "
			    "have.", kind(pid), ADMIN_ALERTS_MAX);
		rc = op_fault(c, rc, "project", "");
	}
	store_put(c->store, env.db);
	if (rc == VN_OK)
		rc = alert_answer(c, pid, out);
out:
	free(in);
	return rc;
}

enum vn_err
api_admin_alert_get(struct ctx *c)
{
	struct admin_alert	*a;
	struct db		*db;
	const char		*pid;
	enum vn_err		 rc;

	if ((a = malloc(sizeof(*a))) == NULL)
		return VN_ENOMEM;
	if ((db = store_get(c->store)) == NULL) {
		free(a);
		return VN_ESTORE;
	}
	if ((rc = project(c, db, 0, &pid)) == VN_OK)
		rc = op_fault(c, admin_alert_get(db, pid, alert_id(c), a),
		    "spend alert", alert_id(c));
	store_put(c->store, db);
	if (rc == VN_OK)
		rc = alert_answer(c, pid, a);
	free(a);
	return rc;
}

enum vn_err
api_admin_alert_list(struct ctx *c)
{
	struct admin_cursor_page pg;
	struct api_admin_listing		 l;
	struct buf		 b;
	struct db		*db = NULL;
	const char		*pid;
	char			 object[64];
	char			 after[ADMIN_RL_ID_MAX + 1];
	char			 before[ADMIN_RL_ID_MAX + 1];
	int			 more = 0;
	enum vn_err		 rc;

	buf_init(&b, API_ADMIN_MAX_BODY);
	if ((rc = page_query(c, 0, AQ_LIMIT_DEF, 1, &pg, after, before)) !=
	    VN_OK)
		goto out;
	if ((db = store_get(c->store)) == NULL) {
		rc = VN_ESTORE;
		goto out;
	}
	if ((rc = project(c, db, 0, &pid)) != VN_OK)
		goto out;
	snprintf(object, sizeof(object), "%s.spend_alert", kind(pid));
	if ((rc = api_admin_list_begin(&l, &b, alert_json, object,
	    offsetof(struct admin_alert, id))) == VN_OK)
		rc = admin_alert_list(db, pid, &pg, api_admin_list_each, &l,
		    &more);
	if (rc == VN_OK)
		rc = api_admin_list_end(&l, more);
	else if (rc == VN_EINVAL)
		rc = fault_set(&c->fault, rc, pg.after != NULL ? "after" :
		    "before", "invalid_value", "Invalid cursor: no spend alert "
		    "of this %s has that id.", kind(pid));
out:
	store_put(c->store, db);
	return api_admin_answer(c, &b, rc);
}

enum vn_err
api_admin_alert_update(struct ctx *c)
{
	struct admin_alert	*in = NULL, *out = NULL;
	struct admin_env	 env;
	const char		*pid;
	enum vn_err		 rc;

	if ((in = calloc(2, sizeof(*in))) == NULL)
		return VN_ENOMEM;
	out = in + 1;
	if ((rc = alert_body(c, in)) != VN_OK)
		goto out;
	if (api_admin_env_open(c, &env) == NULL) {
		rc = VN_ESTORE;
		goto out;
	}
	if ((rc = project(c, env.db, 1, &pid)) == VN_OK)
		rc = op_fault(c, admin_alert_update(&env, pid, alert_id(c), in,
		    out), "spend alert", alert_id(c));
	store_put(c->store, env.db);
	if (rc == VN_OK)
		rc = alert_answer(c, pid, out);
out:
	free(in);
	return rc;
}

enum vn_err
api_admin_alert_delete(struct ctx *c)
{
	struct admin_env	 env;
	struct buf		 b;
	const char		*pid;
	enum vn_err		 rc;

	if (api_admin_env_open(c, &env) == NULL)
		return VN_ESTORE;
	if ((rc = project(c, env.db, 1, &pid)) == VN_OK)
		rc = op_fault(c, admin_alert_delete(&env, pid, alert_id(c)),
		    "spend alert", alert_id(c));
	store_put(c->store, env.db);
	if (rc != VN_OK)
		return rc;
	buf_init(&b, API_ADMIN_MAX_BODY);
	if ((rc = buf_addstr(&b, "{\"id\":")) == VN_OK &&
	    (rc = buf_add_json_string(&b, alert_id(c),
	    strlen(alert_id(c)))) == VN_OK)
		rc = buf_addf(&b, ",\"object\":\"%s.spend_alert.deleted\","
		    "\"deleted\":true}", kind(pid));
	return api_admin_answer(c, &b, rc);
}

/* ---- model permissions ---- */

static enum vn_err
perm_answer(struct ctx *c, const struct admin_perm *p)
{
	struct buf	 b;
	enum vn_err	 rc;

	buf_init(&b, API_ADMIN_MAX_BODY);
	if ((rc = buf_addf(&b, "{\"object\":\"project.model_permissions\","
	    "\"mode\":\"%s\",\"model_ids\":", p->mode[0] != '\0' ? p->mode :
	    "deny_list")) == VN_OK && (rc = buf_addstr(&b, p->model_ids)) ==
	    VN_OK)
		rc = buf_addc(&b, '}');
	return api_admin_answer(c, &b, rc);
}

enum vn_err
api_admin_perm_get(struct ctx *c)
{
	struct admin_perm	 p;
	struct db		*db;
	const char		*pid;
	enum vn_err		 rc;

	memset(&p, 0, sizeof(p));
	if ((db = store_get(c->store)) == NULL)
		return VN_ESTORE;
	if ((rc = project(c, db, 0, &pid)) == VN_OK)
		rc = admin_perm_get(db, pid, &p);
	store_put(c->store, db);
	if (rc == VN_OK)
		rc = perm_answer(c, &p);
	admin_perm_free(&p);
	return rc;
}

/*
 * mode and model_ids: each a configured model (an unknown one is a
 * 404, as a request for it would be), each once, into a JSON array.
 */
static enum vn_err
perm_body(struct ctx *c, const char **mode, struct buf *ids)
{
	struct json_object	*a, *v;
	const char		*s;
	char			 p[64];
	size_t			 i, j, n;
	enum vn_err		 rc;

	if ((rc = jsonx_string(c->json, "mode", NULL, 1, 16, mode,
	    &c->fault)) != VN_OK)
		return rc;
	if (strcmp(*mode, "allow_list") != 0 && strcmp(*mode, "deny_list") !=
	    0)
		return fault_set(&c->fault, VN_EINVAL, "mode", "invalid_value",
		    "Invalid 'mode': expected allow_list or deny_list.");
	if (!json_object_object_get_ex(c->json, "model_ids", &a) || a == NULL)
		return fault_set(&c->fault, VN_EINVAL, "model_ids",
		    "missing_required_parameter", "Missing required parameter: "
		    "'model_ids'.");
	if (!json_object_is_type(a, json_type_array) ||
	    (n = json_object_array_length(a)) > PERM_MODELS_MAX)
		return fault_set(&c->fault, VN_EINVAL, "model_ids",
		    "invalid_value", "Invalid 'model_ids': expected an array "
		    "of at most %d model ids.", PERM_MODELS_MAX);
	if ((rc = buf_addc(ids, '[')) != VN_OK)
		return rc;
	for (i = 0; i < n; i++) {
		v = json_object_array_get_idx(a, i);
		snprintf(p, sizeof(p), "model_ids[%zu]", i);
		if (!json_object_is_type(v, json_type_string))
			return fault_set(&c->fault, VN_EINVAL, p,
			    "invalid_type", "Invalid type for '%s': expected "
			    "a string, but got %s instead.", p,
			    jsonx_type_name(v));
		s = json_object_get_string(v);
		if (strlen(s) != (size_t)json_object_get_string_len(v) ||
		    cfg_model_find(c->cfg, s) == NULL)
			return fault_set(&c->fault, VN_ENOMODEL, p,
			    "model_not_found", "The model '%.128s' does not "
			    "exist.", s);
		for (j = 0; j < i; j++)
			if (strcmp(json_object_get_string(
			    json_object_array_get_idx(a, j)), s) == 0)
				break;
		if (j < i)
			continue;
		if ((ids->len > 1 && (rc = buf_addc(ids, ',')) != VN_OK) ||
		    (rc = buf_add_json_string(ids, s, strlen(s))) != VN_OK)
			return rc;
	}
	return buf_addc(ids, ']');
}

enum vn_err
api_admin_perm_set(struct ctx *c)
{
	struct admin_perm	 p;
	struct admin_env	 env;
	struct buf		 ids;
	const char		*pid, *mode = NULL;
	enum vn_err		 rc;

	memset(&p, 0, sizeof(p));
	buf_init(&ids, API_ADMIN_MAX_BODY);
	if ((rc = perm_body(c, &mode, &ids)) != VN_OK)
		goto out;
	if (api_admin_env_open(c, &env) == NULL) {
		rc = VN_ESTORE;
		goto out;
	}
	if ((rc = project(c, env.db, 1, &pid)) == VN_OK)
		rc = op_fault(c, admin_perm_set(&env, pid, mode, ids.data, &p),
		    "project", pid);
	store_put(c->store, env.db);
	if (rc == VN_OK)
		rc = perm_answer(c, &p);
out:
	admin_perm_free(&p);
	buf_free(&ids);
	return rc;
}

enum vn_err
api_admin_perm_delete(struct ctx *c)
{
	struct admin_env	 env;
	struct buf		 b;
	const char		*pid;
	enum vn_err		 rc;

	if (api_admin_env_open(c, &env) == NULL)
		return VN_ESTORE;
	if ((rc = project(c, env.db, 1, &pid)) == VN_OK)
		rc = op_fault(c, admin_perm_delete(&env, pid), "project", pid);
	store_put(c->store, env.db);
	if (rc != VN_OK)
		return rc;
	buf_init(&b, API_ADMIN_MAX_BODY);
	return api_admin_answer(c, &b, buf_addstr(&b, "{\"object\":"
	    "\"project.model_permissions.deleted\",\"deleted\":true}"));
}
