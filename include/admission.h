/*
 * admission.h: limits on the request path.  A workspace's request takes
 * one of its slots in the pool for as long as it runs; a model call is
 * admitted against the rate and spend limits before any upstream is
 * called, and settled with what it really used once its usage row is
 * written.  The counting is limiter.c's; the limits are the database's
 * (limits_store.c); this file turns them into 429s and headers.
 */
#ifndef ADMISSION_H
#define ADMISSION_H

#include "venna.h"
#include "limiter.h"

struct cfg_model;
struct json_object;

/* A model call, as admission sees it. */
struct admission_call {
	const struct cfg_model	*model;
	const char		*model_name;	/* as the client named it */
	struct json_object	*body;		/* its caps: max_tokens, n */
	size_t			 body_len;	/* the upstream body's bytes */
	int			 embeddings;	/* no output tokens */
};

/* One model call's admission, from admit to settle. */
struct admission {
	int			 admitted;
	int			 batch;		/* a batch line's call */
	struct limiter_grant	 grant;
	int64_t			 reserve_pusd;
	int64_t			 next_alert;	/* limits_view's */
};

enum vn_err	admission_enter(struct ctx *);
void		admission_leave(struct ctx *);
enum vn_err	admission_admit(struct ctx *, const struct admission_call *,
		    struct admission *);
void		admission_settle(struct ctx *, struct admission *,
		    int64_t prompt, int64_t completion, int64_t cost_pusd);
enum vn_err	admission_model_allowed(struct ctx *, const char *model,
		    int *allowed);
enum vn_err	admission_model(struct ctx *, const char *name,
		    const struct cfg_model **);
int64_t		admission_output_cap(const struct admission_call *);
struct limiter	*admission_limiter(const struct cfg *);
enum vn_err	admission_batch_check(struct store *, const struct cfg *,
		    const char *workspace_id, const struct cfg_model *,
		    uint64_t input_bytes, const char **code, char *msg,
		    size_t msgsz);
void		admission_reset_text(long ms, char *out, size_t outsz);

#endif /* ADMISSION_H */
