/*
 * local.c: the built-in echo upstream, answering in-process through the
 * relay like any remote upstream: chat completions (streamed or not,
 * for the Chat Completions and the Responses APIs alike) and
 * embeddings.  The answers themselves are echo.c's.
 */
#include "config.h"

#include <string.h>
#include <time.h>

#include "call.h"
#include "ctx.h"
#include "echo.h"
#include "ids.h"
#include "local.h"
#include "relay.h"

/*
 * The echo upstream's chat completions, answering through the relay like
 * any upstream (also the Responses API's, which speaks chat upstream).
 */
enum vn_err
local_chat(struct ctx *c, struct relay *rl, const struct call_spec *sp)
{
	struct echo_reply	 rep;
	char			 id[48];
	long			 created = (long)time(NULL);
	enum vn_err		 rc;

	if ((rc = echo_chat(sp->body, &rep, &c->fault)) != VN_OK)
		return rc;
	ids_new(id, sizeof(id), "chatcmpl-", 29);
	rl->prompt = rep.prompt_tokens;
	rl->completion = rep.completion_tokens * rep.n;
	rl->have_usage = 1;
	if (sp->stream)
		/* Usage always: the relay gives it to whoever asked. */
		rc = echo_stream(&rep, id, created, sp->model_name, 1,
		    relay_chunk, rl);
	else
		rc = echo_completion(&rep, id, created, sp->model_name,
		    &rl->body);
	echo_reply_free(&rep);
	if (rc != VN_OK && c->fault.err == VN_OK)
		fault_set(&c->fault, rc, NULL, NULL, "The echo model failed.");
	return rc;
}

/* The echo upstream's embeddings. */
enum vn_err
local_embeddings(struct ctx *c, struct relay *rl, const struct call_spec *sp)
{
	int64_t		 tokens = 0;
	enum vn_err	 rc;

	rc = echo_embeddings(sp->body, sp->model_name, &rl->body, &tokens,
	    &c->fault);
	rl->prompt = tokens;
	rl->have_usage = 1;
	if (rc != VN_OK && c->fault.err == VN_OK)
		fault_set(&c->fault, rc, NULL, NULL, "The echo model failed.");
	return rc;
}
