/*
 * usage.c: writing the usage ledger and pricing its rows.  Prices are
 * picodollars per token (cfg_value.c), so costs are exact integers; a
 * product that would overflow saturates instead of wrapping.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json.h>
#include <sqlite3.h>

#include "cfg.h"
#include "db.h"
#include "ledger.h"
#include "log.h"
#include "store.h"
#include "usage.h"

static int64_t
mul_sat(int64_t a, int64_t b)
{
	int64_t	 r;

	if (a <= 0 || b <= 0)
		return 0;
	if (__builtin_mul_overflow(a, b, &r))
		return INT64_MAX;
	return r;
}

static int64_t
add_sat(int64_t a, int64_t b)
{
	int64_t	 r;

	if (__builtin_add_overflow(a, b, &r))
		return INT64_MAX;
	return r;
}

/*
 * The cost of a request in picodollars: cached input tokens at the
 * cached price, the rest of the input at the input price, the output at
 * the output price; factor_pct scales it (batch discount; 100 = none).
 */
int64_t
usage_cost(const struct cfg_model *m, int64_t prompt, int64_t cached,
    int64_t completion, int factor_pct)
{
	int64_t	 cost;

	if (m == NULL)
		return 0;
	if (cached > prompt)
		cached = prompt;
	cost = add_sat(add_sat(mul_sat(prompt - cached, m->input_price),
	    mul_sat(cached, m->cached_input_price)),
	    mul_sat(completion, m->output_price));
	if (factor_pct != 100)
		cost = cost / 100 * factor_pct + cost % 100 * factor_pct / 100;
	return cost;
}

static int64_t
field(struct json_object *o, const char *k)
{
	struct json_object	*v;

	if (o == NULL || !json_object_object_get_ex(o, k, &v) ||
	    !json_object_is_type(v, json_type_int))
		return 0;
	return json_object_get_int64(v) > 0 ? json_object_get_int64(v) : 0;
}

/*
 * Read the token counts of an OpenAI usage object, chat style
 * (prompt_tokens, completion_tokens) or Responses style (input_tokens,
 * output_tokens), with their cached-token details.  Missing counts are
 * 0.
 */
void
usage_from_json(struct json_object *u, int64_t *prompt, int64_t *completion,
    int64_t *cached)
{
	struct json_object	*d = NULL;

	*prompt = field(u, "prompt_tokens") + field(u, "input_tokens");
	*completion = field(u, "completion_tokens") +
	    field(u, "output_tokens");
	*cached = 0;
	if (u != NULL && (json_object_object_get_ex(u,
	    "prompt_tokens_details", &d) || json_object_object_get_ex(u,
	    "input_tokens_details", &d)))
		*cached = field(d, "cached_tokens");
}

/*
 * Record one row: appended to this process's ledger journal, from which
 * the importer moves it into the usage table (ledger.c).  Returns once
 * the row would survive this process being killed.
 */
enum vn_err
usage_record(const struct ledger_row *u)
{
	return ledger_append(u);
}

/* Copy one string of a held row; NULL stays NULL. */
static const char *
hold_str(char *dst, size_t dstsz, const char *src)
{
	if (src == NULL)
		return NULL;
	snprintf(dst, dstsz, "%s", src);
	return dst;
}

/*
 * Keep row u in h instead of journaling it; h owns copies of u's
 * strings (truncated at their fields' sizes, which hold every id and
 * name Venna accepts).
 */
void
usage_hold(struct usage_held *h, const struct ledger_row *u)
{
	h->row = *u;
	if (h->row.created_at == 0)
		h->row.created_at = (int64_t)time(NULL);
	h->row.request_id = hold_str(h->request_id, sizeof(h->request_id),
	    u->request_id);
	h->row.workspace_id = hold_str(h->workspace_id,
	    sizeof(h->workspace_id), u->workspace_id);
	h->row.key_id = hold_str(h->key_id, sizeof(h->key_id), u->key_id);
	h->row.endpoint = hold_str(h->endpoint, sizeof(h->endpoint),
	    u->endpoint);
	h->row.model = hold_str(h->model, sizeof(h->model), u->model);
	h->row.upstream = hold_str(h->upstream, sizeof(h->upstream),
	    u->upstream);
	h->row.batch_id = hold_str(h->batch_id, sizeof(h->batch_id),
	    u->batch_id);
	h->held = 1;
}
