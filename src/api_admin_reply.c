/*
 * api_admin_reply.c: the Admin API's lists and answers
 * (api_admin_reply.h), shared by its handlers (api_admin.c,
 * api_admin_limits.c).  A list is {"object":"list","data":[...],
 * "first_id","last_id","has_more"}, the ids null when it is empty.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "admin.h"
#include "api_admin_reply.h"
#include "buf.h"
#include "cfg.h"
#include "ctx.h"
#include "reply.h"
#include "store.h"

/* Start the list l of objects written by fn into b. */
enum vn_err
api_admin_list_begin(struct api_admin_listing *l, struct buf *b,
    api_admin_obj_json fn, const char *object, size_t idoff)
{
	memset(l, 0, sizeof(*l));
	l->b = b;
	l->fn = fn;
	l->object = object;
	l->idoff = idoff;
	return buf_addstr(b, "{\"object\":\"list\",\"data\":[");
}

/* The admin_each callback that writes one object of the list. */
int
api_admin_list_each(void *arg, const void *obj)
{
	struct api_admin_listing *l = arg;
	const char	*id = (const char *)obj + l->idoff;

	if ((l->n > 0 && buf_addc(l->b, ',') != VN_OK) ||
	    l->fn(l->b, obj, l->object) != VN_OK)
		return -1;
	if (l->n++ == 0)
		snprintf(l->first, sizeof(l->first), "%s", id);
	snprintf(l->last, sizeof(l->last), "%s", id);
	return 0;
}

/* "key":"value", or "key":null for "". */
static enum vn_err
add_id(struct buf *b, const char *key, const char *s)
{
	enum vn_err	 rc;

	if ((rc = buf_addf(b, ",\"%s\":", key)) != VN_OK)
		return rc;
	return s[0] != '\0' ? buf_add_json_string(b, s, strlen(s)) :
	    buf_addstr(b, "null");
}

enum vn_err
api_admin_list_end(struct api_admin_listing *l, int more)
{
	enum vn_err	 rc;

	if ((rc = buf_addc(l->b, ']')) != VN_OK ||
	    (rc = add_id(l->b, "first_id", l->first)) != VN_OK ||
	    (rc = add_id(l->b, "last_id", l->last)) != VN_OK)
		return rc;
	return buf_addf(l->b, ",\"has_more\":%s}", more ? "true" : "false");
}

/* Reply with b, or fail with rc; frees b. */
enum vn_err
api_admin_answer(struct ctx *c, struct buf *b, enum vn_err rc)
{
	if (rc == VN_OK)
		rc = reply_json(c, 200, b->data, b->len);
	buf_free(b);
	return rc;
}

/*
 * A database handle and an env acting for the caller's admin key; the
 * caller gives the handle back with store_put().  NULL: no handle.
 */
struct db *
api_admin_env_open(struct ctx *c, struct admin_env *env)
{
	memset(env, 0, sizeof(*env));
	admin_actor_key(&env->actor, c->who.key_id, c->remote_addr);
	env->pepper = c->pepper;
	env->database = c->cfg->database;
	env->db = store_get(c->store);
	return env->db;
}
