/*
 * api_admin.c: the Admin API's handlers (/v1/organization: projects,
 * admin keys, service accounts, project keys, the audit log).  Thin:
 * each parses its path, query and body, calls admin_*.c, and writes the
 * OpenAI object it answers.  The dispatcher has already checked that
 * the caller holds an admin key and that admin_api is on.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "admin.h"
#include "admin_query.h"
#include "api.h"
#include "api_admin_reply.h"
#include "buf.h"
#include "cfg.h"
#include "ctx.h"
#include "jsonx.h"
#include "reply.h"
#include "store.h"


static enum vn_err
add_str(struct buf *b, const char *s)
{
	return buf_add_json_string(b, s, strlen(s));
}

/* "key":"value" or "key":null for "". */
static enum vn_err
add_kv(struct buf *b, const char *key, const char *s)
{
	enum vn_err	 rc;

	if ((rc = buf_addf(b, ",\"%s\":", key)) != VN_OK)
		return rc;
	return s[0] != '\0' ? add_str(b, s) : buf_addstr(b, "null");
}

/* "key":N or "key":null for 0. */
static enum vn_err
add_time(struct buf *b, const char *key, int64_t t)
{
	return t != 0 ? buf_addf(b, ",\"%s\":%lld", key, (long long)t) :
	    buf_addf(b, ",\"%s\":null", key);
}

static enum vn_err
project_json(struct buf *b, const void *obj, const char *object VN_UNUSED)
{
	const struct admin_project *p = obj;
	enum vn_err	 rc;

	if ((rc = buf_addstr(b, "{\"id\":")) != VN_OK ||
	    (rc = add_str(b, p->id)) != VN_OK ||
	    (rc = buf_addstr(b, ",\"object\":\"organization.project\","
	    "\"name\":")) != VN_OK ||
	    (rc = add_str(b, p->name)) != VN_OK ||
	    (rc = buf_addf(b, ",\"created_at\":%lld",
	    (long long)p->created_at)) != VN_OK ||
	    (rc = add_time(b, "archived_at", p->archived_at)) != VN_OK)
		return rc;
	return buf_addf(b, ",\"status\":\"%s\"}", p->archived_at != 0 ?
	    "archived" : "active");
}

/* The operator or admin key that made an admin key, as its owner. */
static enum vn_err
akey_json(struct buf *b, const void *obj, const char *object VN_UNUSED)
{
	const struct admin_key *k = obj;
	enum vn_err	 rc;

	if ((rc = buf_addstr(b, "{\"object\":\"organization.admin_api_key\","
	    "\"id\":")) != VN_OK ||
	    (rc = add_str(b, k->id)) != VN_OK ||
	    (rc = add_kv(b, "name", k->name)) != VN_OK ||
	    (rc = add_kv(b, "redacted_value", k->redacted)) != VN_OK ||
	    (rc = buf_addf(b, ",\"created_at\":%lld",
	    (long long)k->created_at)) != VN_OK ||
	    (rc = add_time(b, "expires_at", k->expires_at)) != VN_OK ||
	    (rc = add_time(b, "last_used_at", k->last_used_at)) != VN_OK ||
	    (rc = buf_addf(b, ",\"owner\":{\"type\":\"%s\",\"object\":\"%s\","
	    "\"id\":", strncmp(k->owner, "unix:", 5) == 0 ? "user" :
	    "api_key", strncmp(k->owner, "unix:", 5) == 0 ?
	    "organization.user" : "organization.admin_api_key")) != VN_OK ||
	    (rc = add_str(b, k->owner)) != VN_OK ||
	    (rc = buf_addstr(b, ",\"name\":")) != VN_OK ||
	    (rc = add_str(b, k->owner)) != VN_OK)
		return rc;
	return buf_addf(b, ",\"created_at\":%lld,\"role\":\"owner\"}}",
	    (long long)k->created_at);
}

static enum vn_err
sa_json(struct buf *b, const void *obj, const char *object VN_UNUSED)
{
	const struct admin_sa *sa = obj;
	enum vn_err	 rc;

	if ((rc = buf_addstr(b, "{\"object\":"
	    "\"organization.project.service_account\",\"id\":")) != VN_OK ||
	    (rc = add_str(b, sa->id)) != VN_OK ||
	    (rc = buf_addstr(b, ",\"name\":")) != VN_OK ||
	    (rc = add_str(b, sa->name)) != VN_OK)
		return rc;
	return buf_addf(b, ",\"role\":\"member\",\"created_at\":%lld}",
	    (long long)sa->created_at);
}

/*
 * A project key.  Its owner is its service account, or for a key made
 * with vennactl, the operator (a user of the Unix host, not of OpenAI:
 * no email is known, the field says so).
 */
static enum vn_err
pkey_json(struct buf *b, const void *obj, const char *object VN_UNUSED)
{
	const struct admin_key *k = obj;
	enum vn_err	 rc;

	if ((rc = buf_addstr(b, "{\"object\":\"organization.project.api_key\","
	    "\"redacted_value\":")) != VN_OK ||
	    (rc = add_str(b, k->redacted)) != VN_OK ||
	    (rc = buf_addstr(b, ",\"name\":")) != VN_OK ||
	    (rc = add_str(b, k->name)) != VN_OK ||
	    (rc = buf_addf(b, ",\"created_at\":%lld",
	    (long long)k->created_at)) != VN_OK ||
	    (rc = add_time(b, "last_used_at", k->last_used_at)) != VN_OK ||
	    (rc = buf_addstr(b, ",\"id\":")) != VN_OK ||
	    (rc = add_str(b, k->id)) != VN_OK ||
	    (rc = buf_addstr(b, ",\"owner_project_access\":\"active\"")) !=
	    VN_OK)
		return rc;
	if (k->sa.id[0] == '\0')
		return buf_addf(b, ",\"owner\":{\"type\":\"user\",\"user\":{"
		    "\"id\":\"operator\",\"email\":\"\",\"name\":\"operator\","
		    "\"created_at\":%lld,\"role\":\"owner\"}}}",
		    (long long)k->created_at);
	if ((rc = buf_addstr(b, ",\"owner\":{\"type\":\"service_account\","
	    "\"service_account\":{\"id\":")) != VN_OK ||
	    (rc = add_str(b, k->sa.id)) != VN_OK ||
	    (rc = buf_addstr(b, ",\"name\":")) != VN_OK ||
	    (rc = add_str(b, k->sa.name)) != VN_OK)
		return rc;
	return buf_addf(b, ",\"created_at\":%lld,\"role\":\"member\"}}}",
	    (long long)k->sa.created_at);
}

/*
 * An audit event.  The actor is an admin key (type api_key), or a Unix
 * user running vennactl (type session, the user's id "unix:NAME").
 */
static enum vn_err
audit_json(struct buf *b, const void *obj, const char *object VN_UNUSED)
{
	const struct admin_audit *a = obj;
	enum vn_err	 rc;

	if ((rc = buf_addstr(b, "{\"id\":")) != VN_OK ||
	    (rc = add_str(b, a->id)) != VN_OK ||
	    (rc = buf_addstr(b, ",\"type\":")) != VN_OK ||
	    (rc = add_str(b, a->type)) != VN_OK ||
	    (rc = buf_addf(b, ",\"effective_at\":%lld",
	    (long long)a->effective_at)) != VN_OK)
		return rc;
	if (a->project_id[0] != '\0' &&
	    ((rc = buf_addstr(b, ",\"project\":{\"id\":")) != VN_OK ||
	    (rc = add_str(b, a->project_id)) != VN_OK ||
	    (rc = buf_addstr(b, ",\"name\":")) != VN_OK ||
	    (rc = add_str(b, a->project_name)) != VN_OK ||
	    (rc = buf_addc(b, '}')) != VN_OK))
		return rc;
	if (strcmp(a->actor_type, "session") == 0) {
		if ((rc = buf_addstr(b, ",\"actor\":{\"type\":\"session\","
		    "\"session\":{\"user\":{\"id\":")) != VN_OK ||
		    (rc = add_str(b, a->actor_id)) != VN_OK ||
		    (rc = buf_addstr(b, "}}}")) != VN_OK)
			return rc;
	} else if ((rc = buf_addstr(b, ",\"actor\":{\"type\":\"api_key\","
	    "\"api_key\":{\"id\":")) != VN_OK ||
	    (rc = add_str(b, a->actor_id)) != VN_OK ||
	    (rc = buf_addstr(b, ",\"type\":\"service_account\","
	    "\"service_account\":{\"id\":")) != VN_OK ||
	    (rc = add_str(b, a->actor_id)) != VN_OK ||
	    (rc = buf_addstr(b, "}}}")) != VN_OK)
		return rc;
	if (a->data[0] != '\0' &&
	    ((rc = buf_addc(b, ',')) != VN_OK ||
	    (rc = add_str(b, a->type)) != VN_OK ||
	    (rc = buf_addc(b, ':')) != VN_OK ||
	    (rc = buf_addstr(b, a->data)) != VN_OK))
		return rc;
	return buf_addc(b, '}');
}

/* The query's parameters of which; a 400 naming the bad one. */
static enum vn_err
query(struct ctx *c, unsigned which, struct admin_query *q)
{
	char	 param[64], msg[256];

	if (admin_query_parse(c->query, which, q, param, sizeof(param), msg,
	    sizeof(msg)))
		return VN_OK;
	return fault_set(&c->fault, VN_EINVAL, param, "invalid_value", "%s",
	    msg);
}

/* A name from the body: required, 1 to max bytes of printable UTF-8. */
static enum vn_err
body_name(struct ctx *c, size_t max, const char **out)
{
	enum vn_err	 rc;

	if ((rc = jsonx_string(c->json, "name", NULL, 1, max, out,
	    &c->fault)) != VN_OK)
		return rc;
	if (!admin_text_ok(*out, max))
		return fault_set(&c->fault, VN_EINVAL, "name", "invalid_value",
		    "Invalid 'name': expected 1 to %zu bytes of UTF-8 without "
		    "control characters.", max);
	return VN_OK;
}

/*
 * Turn an operation's failure into the answer: what (an object's kind)
 * and id name the object for a 404.
 */
static enum vn_err
op_fault(struct ctx *c, enum vn_err rc, const char *what, const char *id)
{
	switch (rc) {
	case VN_ENOTFOUND:
		return fault_set(&c->fault, rc, NULL, NULL, "No such %s: "
		    "'%.100s'.", what, id);
	case VN_EINVAL:
		return fault_set(&c->fault, rc, "after", "invalid_value",
		    "Invalid 'after': no such object in this list.");
	default:
		return rc;
	}
}


/* ---- projects ---- */

enum vn_err
api_admin_projects_create(struct ctx *c)
{
	struct admin_env	 env;
	struct admin_project	 p;
	struct buf		 b;
	const char		*name;
	enum vn_err		 rc;

	if ((rc = body_name(c, WS_NAME_MAX, &name)) != VN_OK)
		return rc;
	if (!workspace_name_ok(name))
		return fault_set(&c->fault, VN_EINVAL, "name", "invalid_value",
		    "Invalid 'name': a project name is 1 to %d letters, "
		    "digits, '.', '_' or '-', not starting with '-'.",
		    WS_NAME_MAX);
	if (api_admin_env_open(c, &env) == NULL)
		return VN_ESTORE;
	rc = admin_project_create(&env, name, &p);
	store_put(c->store, env.db);
	if (rc == VN_ECONFLICT)
		return fault_set(&c->fault, rc, "name", "invalid_value",
		    "A project named '%s' already exists.", name);
	buf_init(&b, API_ADMIN_MAX_BODY);
	return api_admin_answer(c, &b, rc == VN_OK ? project_json(&b, &p,
	    NULL) : rc);
}

enum vn_err
api_admin_projects_list(struct ctx *c)
{
	struct admin_query	*q;
	struct admin_page	 pg;
	struct api_admin_listing		 l;
	struct buf		 b;
	struct db		*db = NULL;
	int			 more = 0;
	enum vn_err		 rc;

	if ((q = malloc(sizeof(*q))) == NULL)
		return VN_ENOMEM;
	buf_init(&b, API_ADMIN_MAX_BODY);
	if ((rc = query(c, AQ_PAGE | AQ_ARCHIVED, q)) != VN_OK)
		goto out;
	pg.limit = q->limit;
	pg.after = q->after[0] != '\0' ? q->after : NULL;
	if ((db = store_get(c->store)) == NULL) {
		rc = VN_ESTORE;
		goto out;
	}
	if ((rc = api_admin_list_begin(&l, &b, project_json, NULL,
	    offsetof(struct admin_project, id))) == VN_OK)
		rc = admin_project_list(db, q->include_archived, &pg,
		    api_admin_list_each, &l, &more);
	if (rc == VN_OK)
		rc = api_admin_list_end(&l, more);
	rc = op_fault(c, rc, "project", "");
out:
	store_put(c->store, db);
	free(q);
	return api_admin_answer(c, &b, rc);
}

enum vn_err
api_admin_projects_get(struct ctx *c)
{
	struct admin_project	 p;
	struct buf		 b;
	struct db		*db;
	enum vn_err		 rc;

	if ((db = store_get(c->store)) == NULL)
		return VN_ESTORE;
	rc = admin_project_get(db, c->params[0], &p);
	store_put(c->store, db);
	if (rc != VN_OK)
		return op_fault(c, rc, "project", c->params[0]);
	buf_init(&b, API_ADMIN_MAX_BODY);
	return api_admin_answer(c, &b, project_json(&b, &p, NULL));
}

enum vn_err
api_admin_projects_update(struct ctx *c)
{
	struct admin_env	 env;
	struct admin_project	 p;
	struct buf		 b;
	const char		*name;
	enum vn_err		 rc;

	if ((rc = body_name(c, WS_NAME_MAX, &name)) != VN_OK)
		return rc;
	if (!workspace_name_ok(name))
		return fault_set(&c->fault, VN_EINVAL, "name", "invalid_value",
		    "Invalid 'name': a project name is 1 to %d letters, "
		    "digits, '.', '_' or '-', not starting with '-'.",
		    WS_NAME_MAX);
	if (api_admin_env_open(c, &env) == NULL)
		return VN_ESTORE;
	rc = admin_project_rename(&env, c->params[0], name, &p);
	store_put(c->store, env.db);
	if (rc == VN_ECONFLICT)
		return fault_set(&c->fault, rc, "name", "invalid_value",
		    "A project named '%s' already exists.", name);
	if (rc != VN_OK)
		return op_fault(c, rc, "project", c->params[0]);
	buf_init(&b, API_ADMIN_MAX_BODY);
	return api_admin_answer(c, &b, project_json(&b, &p, NULL));
}

enum vn_err
api_admin_projects_archive(struct ctx *c)
{
	struct admin_env	 env;
	struct admin_project	 p;
	struct buf		 b;
	enum vn_err		 rc;

	if (api_admin_env_open(c, &env) == NULL)
		return VN_ESTORE;
	rc = admin_project_archive(&env, c->params[0], &p);
	store_put(c->store, env.db);
	if (rc != VN_OK)
		return op_fault(c, rc, "project", c->params[0]);
	buf_init(&b, API_ADMIN_MAX_BODY);
	return api_admin_answer(c, &b, project_json(&b, &p, NULL));
}

/* ---- admin keys ---- */

enum vn_err
api_admin_keys_create(struct ctx *c)
{
	struct admin_env	 env;
	struct admin_key	 k;
	struct buf		 b;
	const char		*name;
	char			 key[APIKEY_MAX_LEN + 1];
	int64_t			 expires = 0;
	enum vn_err		 rc;

	if ((rc = body_name(c, ADMIN_NAME_MAX, &name)) != VN_OK ||
	    (rc = jsonx_int(c->json, "expires_in_seconds", NULL, 0, 1,
	    31536000, &expires, NULL, &c->fault)) != VN_OK)
		return rc;
	if (api_admin_env_open(c, &env) == NULL)
		return VN_ESTORE;
	rc = admin_akey_create(&env, name, expires, &k, key);
	store_put(c->store, env.db);
	if (rc != VN_OK)
		return rc;
	/* The object with "value" spliced in before its closing brace. */
	buf_init(&b, API_ADMIN_MAX_BODY);
	if ((rc = akey_json(&b, &k, NULL)) == VN_OK) {
		b.len--;
		if ((rc = buf_addstr(&b, ",\"value\":")) == VN_OK &&
		    (rc = add_str(&b, key)) == VN_OK)
			rc = buf_addc(&b, '}');
	}
	sodium_memzero(key, sizeof(key));
	if (rc == VN_OK)
		rc = reply_json(c, 200, b.data, b.len);
	if (b.data != NULL)
		sodium_memzero(b.data, b.len);
	buf_free(&b);
	return rc;
}

enum vn_err
api_admin_keys_list(struct ctx *c)
{
	struct admin_query	*q;
	struct admin_page	 pg;
	struct api_admin_listing		 l;
	struct buf		 b;
	struct db		*db = NULL;
	int			 more = 0;
	enum vn_err		 rc;

	if ((q = malloc(sizeof(*q))) == NULL)
		return VN_ENOMEM;
	buf_init(&b, API_ADMIN_MAX_BODY);
	if ((rc = query(c, AQ_PAGE, q)) != VN_OK)
		goto out;
	pg.limit = q->limit;
	pg.after = q->after[0] != '\0' ? q->after : NULL;
	if ((db = store_get(c->store)) == NULL) {
		rc = VN_ESTORE;
		goto out;
	}
	if ((rc = api_admin_list_begin(&l, &b, akey_json, NULL,
	    offsetof(struct admin_key, id))) == VN_OK)
		rc = admin_akey_list(db, &pg, api_admin_list_each, &l, &more);
	if (rc == VN_OK)
		rc = api_admin_list_end(&l, more);
	rc = op_fault(c, rc, "admin key", "");
out:
	store_put(c->store, db);
	free(q);
	return api_admin_answer(c, &b, rc);
}

enum vn_err
api_admin_keys_get(struct ctx *c)
{
	struct admin_key	 k;
	struct buf		 b;
	struct db		*db;
	enum vn_err		 rc;

	if ((db = store_get(c->store)) == NULL)
		return VN_ESTORE;
	rc = admin_akey_get(db, c->params[0], &k);
	store_put(c->store, db);
	if (rc != VN_OK)
		return op_fault(c, rc, "admin API key", c->params[0]);
	buf_init(&b, API_ADMIN_MAX_BODY);
	return api_admin_answer(c, &b, akey_json(&b, &k, NULL));
}

enum vn_err
api_admin_keys_delete(struct ctx *c)
{
	struct admin_env	 env;
	struct buf		 b;
	enum vn_err		 rc;

	if (api_admin_env_open(c, &env) == NULL)
		return VN_ESTORE;
	rc = admin_akey_delete(&env, c->params[0]);
	store_put(c->store, env.db);
	if (rc != VN_OK)
		return op_fault(c, rc, "admin API key", c->params[0]);
	buf_init(&b, API_ADMIN_MAX_BODY);
	if ((rc = buf_addstr(&b, "{\"id\":")) == VN_OK &&
	    (rc = add_str(&b, c->params[0])) == VN_OK)
		rc = buf_addstr(&b, ",\"object\":"
		    "\"organization.admin_api_key.deleted\",\"deleted\":true}");
	return api_admin_answer(c, &b, rc);
}

/* ---- service accounts ---- */

enum vn_err
api_admin_sa_create(struct ctx *c)
{
	struct admin_env	 env;
	struct admin_sa		 sa;
	struct admin_key	 k;
	struct buf		 b;
	const char		*name;
	char			 key[APIKEY_MAX_LEN + 1];
	enum vn_err		 rc;

	if ((rc = body_name(c, ADMIN_NAME_MAX, &name)) != VN_OK)
		return rc;
	if (api_admin_env_open(c, &env) == NULL)
		return VN_ESTORE;
	rc = admin_sa_create(&env, c->params[0], name, &sa, &k, key);
	store_put(c->store, env.db);
	if (rc == VN_ECONFLICT)
		return fault_set(&c->fault, rc, NULL, NULL, "Project '%.100s' "
		    "is archived: it takes no new keys.", c->params[0]);
	if (rc != VN_OK)
		return op_fault(c, rc, "project", c->params[0]);
	buf_init(&b, API_ADMIN_MAX_BODY);
	if ((rc = sa_json(&b, &sa, NULL)) == VN_OK) {
		b.len--;
		if ((rc = buf_addstr(&b, ",\"api_key\":{\"object\":"
		    "\"organization.project.service_account.api_key\","
		    "\"value\":")) == VN_OK &&
		    (rc = add_str(&b, key)) == VN_OK &&
		    (rc = buf_addstr(&b, ",\"name\":")) == VN_OK &&
		    (rc = add_str(&b, k.name)) == VN_OK &&
		    (rc = buf_addf(&b, ",\"created_at\":%lld,\"id\":",
		    (long long)k.created_at)) == VN_OK &&
		    (rc = add_str(&b, k.id)) == VN_OK)
			rc = buf_addstr(&b, "}}");
	}
	sodium_memzero(key, sizeof(key));
	if (rc == VN_OK)
		rc = reply_json(c, 200, b.data, b.len);
	if (b.data != NULL)
		sodium_memzero(b.data, b.len);
	buf_free(&b);
	return rc;
}

/* The lists of a project: service accounts or keys. */
static enum vn_err
project_list(struct ctx *c, int keys)
{
	struct admin_query	*q;
	struct admin_page	 pg;
	struct api_admin_listing		 l;
	struct buf		 b;
	struct db		*db = NULL;
	int			 more = 0;
	enum vn_err		 rc;

	if ((q = malloc(sizeof(*q))) == NULL)
		return VN_ENOMEM;
	buf_init(&b, API_ADMIN_MAX_BODY);
	if ((rc = query(c, AQ_PAGE, q)) != VN_OK)
		goto out;
	pg.limit = q->limit;
	pg.after = q->after[0] != '\0' ? q->after : NULL;
	if ((db = store_get(c->store)) == NULL) {
		rc = VN_ESTORE;
		goto out;
	}
	if ((rc = api_admin_list_begin(&l, &b, keys ? pkey_json : sa_json,
	    NULL, keys ? offsetof(struct admin_key, id) :
	    offsetof(struct admin_sa, id))) == VN_OK)
		rc = keys ? admin_pkey_list(db, c->params[0], &pg,
		    api_admin_list_each, &l, &more) : admin_sa_list(db,
		    c->params[0], &pg, api_admin_list_each, &l, &more);
	if (rc == VN_OK)
		rc = api_admin_list_end(&l, more);
	rc = op_fault(c, rc, "project", c->params[0]);
out:
	store_put(c->store, db);
	free(q);
	return api_admin_answer(c, &b, rc);
}

enum vn_err
api_admin_sa_list(struct ctx *c)
{
	return project_list(c, 0);
}

enum vn_err
api_admin_sa_get(struct ctx *c)
{
	struct admin_sa		 sa;
	struct buf		 b;
	struct db		*db;
	enum vn_err		 rc;

	if ((db = store_get(c->store)) == NULL)
		return VN_ESTORE;
	rc = admin_sa_get(db, c->params[0], c->params[1], &sa);
	store_put(c->store, db);
	if (rc != VN_OK)
		return op_fault(c, rc, "service account", c->params[1]);
	buf_init(&b, API_ADMIN_MAX_BODY);
	return api_admin_answer(c, &b, sa_json(&b, &sa, NULL));
}

/* {"object":OBJECT,"id":ID,"deleted":true} */
static enum vn_err
deleted(struct ctx *c, const char *object, const char *id)
{
	struct buf	 b;
	enum vn_err	 rc;

	buf_init(&b, API_ADMIN_MAX_BODY);
	if ((rc = buf_addf(&b, "{\"object\":\"%s\",\"id\":", object)) ==
	    VN_OK && (rc = add_str(&b, id)) == VN_OK)
		rc = buf_addstr(&b, ",\"deleted\":true}");
	return api_admin_answer(c, &b, rc);
}

enum vn_err
api_admin_sa_delete(struct ctx *c)
{
	struct admin_env	 env;
	enum vn_err		 rc;

	if (api_admin_env_open(c, &env) == NULL)
		return VN_ESTORE;
	rc = admin_sa_delete(&env, c->params[0], c->params[1]);
	store_put(c->store, env.db);
	if (rc != VN_OK)
		return op_fault(c, rc, "service account", c->params[1]);
	return deleted(c, "organization.project.service_account.deleted",
	    c->params[1]);
}

/* ---- project keys ---- */

enum vn_err
api_admin_pkeys_list(struct ctx *c)
{
	return project_list(c, 1);
}

enum vn_err
api_admin_pkeys_get(struct ctx *c)
{
	struct admin_key	 k;
	struct buf		 b;
	struct db		*db;
	enum vn_err		 rc;

	if ((db = store_get(c->store)) == NULL)
		return VN_ESTORE;
	rc = admin_pkey_get(db, c->params[0], c->params[1], &k);
	store_put(c->store, db);
	if (rc != VN_OK)
		return op_fault(c, rc, "API key", c->params[1]);
	buf_init(&b, API_ADMIN_MAX_BODY);
	return api_admin_answer(c, &b, pkey_json(&b, &k, NULL));
}

enum vn_err
api_admin_pkeys_delete(struct ctx *c)
{
	struct admin_env	 env;
	enum vn_err		 rc;

	if (api_admin_env_open(c, &env) == NULL)
		return VN_ESTORE;
	rc = admin_pkey_delete(&env, c->params[0], c->params[1]);
	store_put(c->store, env.db);
	if (rc != VN_OK)
		return op_fault(c, rc, "API key", c->params[1]);
	return deleted(c, "organization.project.api_key.deleted",
	    c->params[1]);
}

/* ---- the audit log ---- */

enum vn_err
api_admin_audit_list(struct ctx *c)
{
	struct admin_audit_filter f;
	struct admin_query	*q;
	struct api_admin_listing		 l;
	struct buf		 b;
	struct db		*db = NULL;
	int			 more = 0;
	enum vn_err		 rc;

	if ((q = malloc(sizeof(*q))) == NULL)
		return VN_ENOMEM;
	buf_init(&b, API_ADMIN_MAX_BODY);
	if ((rc = query(c, AQ_PAGE | AQ_AUDIT, q)) != VN_OK)
		goto out;
	memset(&f, 0, sizeof(f));
	f.limit = q->limit;
	f.gt = q->gt;
	f.lt = q->lt;
	f.after = q->after[0] != '\0' ? q->after : NULL;
	f.before = q->before[0] != '\0' ? q->before : NULL;
#define LIST(i)	(q->list[i][0] != '\0' ? q->list[i] : NULL)
	f.project_ids = LIST(AQL_PROJECT_IDS);
	f.event_types = LIST(AQL_EVENT_TYPES);
	f.actor_ids = LIST(AQL_ACTOR_IDS);
	f.resource_ids = LIST(AQL_RESOURCE_IDS);
#undef LIST
	if ((db = store_get(c->store)) == NULL) {
		rc = VN_ESTORE;
		goto out;
	}
	if ((rc = api_admin_list_begin(&l, &b, audit_json, NULL,
	    offsetof(struct admin_audit, id))) == VN_OK)
		rc = admin_audit_list(db, &f, api_admin_list_each, &l, &more);
	if (rc == VN_OK)
		rc = api_admin_list_end(&l, more);
	if (rc == VN_EINVAL)
		rc = fault_set(&c->fault, rc, f.before != NULL ? "before" :
		    "after", "invalid_value", "Invalid cursor: no such audit "
		    "log event.");
out:
	store_put(c->store, db);
	free(q);
	return api_admin_answer(c, &b, rc);
}
