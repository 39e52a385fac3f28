/*
 * respstore.h: stored responses (/v1/responses) and their input items,
 * per workspace.  Every lookup a client can cause carries the workspace,
 * so another workspace's response is "not found" like a missing one.
 * The chain of previous_response_id is read back in one recursive
 * query, so a turn costs one read of its conversation however long the
 * chain.  Background responses are held by a lease (lease.h) while a
 * process runs them.
 */
#ifndef RESPSTORE_H
#define RESPSTORE_H

#include "venna.h"
#include "apikey.h"
#include "workspace.h"

#define RESPSTORE_CHAIN_MAX		10000	/* turns read back */
#define RESPSTORE_ITEMS_MAX		100	/* input_items limit */
#define RESPSTORE_LEASE_S		60	/* a runner's hold, renewed */

struct buf;
struct fault;
struct json_object;

/* A stored response; the strings it owns are NULL where the column is. */
struct respstore_row {
	int64_t		 seq;
	char		 id[VN_MAX_ID + 1];
	char		 workspace_id[WS_ID_LEN + 1];
	char		 key_id[APIKEY_ID_LEN + 1];
	char		 previous_response_id[VN_MAX_ID + 1];
	char		 model[257];
	char		 status[16];
	int		 background;
	int64_t		 created_at;
	int64_t		 completed_at;	/* 0: null */
	char		*request;	/* the create request's JSON */
	char		*output;	/* JSON array */
	char		*usage;		/* JSON object */
	char		*error;		/* JSON {code, message} */
	char		*incomplete;	/* the reason */
};

/* A response's end, or its first state. */
struct respstore_state {
	const char	*status;
	const char	*output;	/* JSON texts, or NULL */
	const char	*usage;
	const char	*error;
	const char	*incomplete;
	int64_t		 completed_at;	/* 0: null */
};

/* A response to store: the row's fixed part. */
struct respstore_new {
	const char	*id;
	const char	*workspace_id;
	const char	*key_id;	/* NULL for none */
	const char	*previous_response_id;	/* NULL for none */
	const char	*model;
	int		 background;
	const char	*request;
	int64_t		 created_at;
	const char	*lease_owner;	/* NULL: not held */
	struct respstore_state st;
};

void		 respstore_row_free(struct respstore_row *);
enum vn_err	 respstore_get(struct db *, const char *ws, const char *id,
		    struct respstore_row *);
enum vn_err	 respstore_get_seq(struct db *, int64_t seq,
		    struct respstore_row *);
enum vn_err	 respstore_history_size(struct db *, const char *ws,
		    const char *prev, size_t *bytes, struct fault *);
enum vn_err	 respstore_history(struct db *, const char *ws,
		    const char *prev, struct buf *);
enum vn_err	 respstore_insert(struct db *, const struct respstore_new *,
		    struct json_object *items, int64_t *seq);
enum vn_err	 respstore_finish(struct db *, int64_t seq, const char *owner,
		    const struct respstore_state *);
enum vn_err	 respstore_delete(struct db *, const char *ws, const char *id);
enum vn_err	 respstore_cancel(struct db *, const char *ws, const char *id);
enum vn_err	 respstore_items(struct db *, int64_t seq, int asc,
		    const char *after, long limit, struct buf *,
		    struct fault *);
int		 respstore_cancelled(struct db *, int64_t seq);
enum vn_err	 respstore_start(struct db *, int64_t seq, const char *owner);
int		 respstore_lease(struct db *, int64_t seq, const char *owner,
		    int release);
int64_t		 respstore_claim(struct db *, const struct cfg *,
		    const char *owner);

#endif /* RESPSTORE_H */
