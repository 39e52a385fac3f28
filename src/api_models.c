/*
 * api_models.c: GET /v1/models and GET /v1/models/{model}.  The models
 * are the [model NAME] sections of the configuration: what a workspace
 * key may ask for, as OpenAI model objects (openai-api.md §7), but for
 * those its workspace's model permissions deny.
 */
#include "config.h"

#include <string.h>

#include "admission.h"
#include "api.h"
#include "buf.h"
#include "cfg.h"
#include "ctx.h"
#include "reply.h"

#define MODELS_MAX_BODY	(4 * 1024 * 1024)

static enum vn_err
model_json(struct buf *b, const struct cfg_model *m)
{
	enum vn_err	 rc;

	if ((rc = buf_addstr(b, "{\"id\":")) != VN_OK ||
	    (rc = buf_add_json_string(b, m->name, strlen(m->name))) != VN_OK ||
	    (rc = buf_addf(b, ",\"object\":\"model\",\"created\":%ld,"
	    "\"owned_by\":", m->created)) != VN_OK ||
	    (rc = buf_add_json_string(b, m->owned_by,
	    strlen(m->owned_by))) != VN_OK)
		return rc;
	return buf_addc(b, '}');
}

enum vn_err
api_models_list(struct ctx *c)
{
	struct buf	 b;
	size_t		 i, shown = 0;
	int		 allowed;
	enum vn_err	 rc;

	buf_init(&b, MODELS_MAX_BODY);
	rc = buf_addstr(&b, "{\"object\":\"list\",\"data\":[");
	for (i = 0; rc == VN_OK && i < c->cfg->nmodels; i++) {
		/* A model the workspace may not use is not shown. */
		if ((rc = admission_model_allowed(c, c->cfg->models[i].name,
		    &allowed)) != VN_OK || !allowed)
			continue;
		if (shown++ > 0)
			rc = buf_addc(&b, ',');
		if (rc == VN_OK)
			rc = model_json(&b, &c->cfg->models[i]);
	}
	if (rc == VN_OK)
		rc = buf_addstr(&b, "]}");
	if (rc == VN_OK)
		rc = reply_json(c, 200, b.data, b.len);
	buf_free(&b);
	return rc;
}

enum vn_err
api_models_get(struct ctx *c)
{
	const struct cfg_model	*m;
	struct buf		 b;
	enum vn_err		 rc;

	if ((rc = admission_model(c, c->params[0], &m)) != VN_OK)
		return rc;
	buf_init(&b, MODELS_MAX_BODY);
	if ((rc = model_json(&b, m)) == VN_OK)
		rc = reply_json(c, 200, b.data, b.len);
	buf_free(&b);
	return rc;
}
