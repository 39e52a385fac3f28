/*
 * usage.h: the usage ledger.  One row per request that reached model
 * routing, success or not, recorded before the answer's last byte goes
 * out, so a 200 the client saw always has its row (ledger.c keeps it).
 */
#ifndef USAGE_H
#define USAGE_H

#include "venna.h"
#include "ledger.h"

struct cfg_model;
struct json_object;

/*
 * A usage row kept instead of journaled, with copies of its strings: a
 * batch line's row is committed with the line's result, so a line run
 * twice (its pass killed before the commit) is billed once.
 */
struct usage_held {
	int		 held;		/* row is set */
	struct ledger_row row;		/* its strings point below */
	char		 request_id[VN_MAX_ID + 1];
	char		 workspace_id[VN_MAX_ID + 1];
	char		 key_id[VN_MAX_ID + 1];
	char		 endpoint[VN_MAX_ID + 1];
	char		 model[257];
	char		 upstream[257];
	char		 batch_id[VN_MAX_ID + 1];
};

int64_t		usage_cost(const struct cfg_model *, int64_t prompt,
		    int64_t cached, int64_t completion, int factor_pct);
void		usage_from_json(struct json_object *usage, int64_t *prompt,
		    int64_t *completion, int64_t *cached);
enum vn_err	usage_record(const struct ledger_row *);
void		usage_hold(struct usage_held *, const struct ledger_row *);

#endif /* USAGE_H */
