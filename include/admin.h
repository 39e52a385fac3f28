/*
 * admin.h: the operations of the Admin API on what is stored: projects
 * (workspaces), admin keys, service accounts, project keys, the audit
 * log.  One module owns them; the HTTP handlers (api_admin*.c) and
 * vennactl only parse, call and print.  Every change is committed with
 * its audit row in one transaction; a change that must stop keys bumps
 * the key generation after its commit (auth.c), so every worker sees
 * it on its next request.
 */
#ifndef ADMIN_H
#define ADMIN_H

#include <stdint.h>

#include "venna.h"
#include "apikey.h"
#include "sql.h"
#include "workspace.h"

#define ADMIN_NAME_MAX		200	/* bytes of a key or account name */
#define ADMIN_SA_ID_LEN		(9 + 16)	/* "svc_acct_" + 16 */
#define ADMIN_AUDIT_ID_LEN	(6 + 20)	/* "audit_" + 20 */
#define ADMIN_IP_MAX		63

/*
 * Who acts, as the audit log shows it (OpenAI's actor shape):
 *   - an admin key: type "api_key", id the key's public id;
 *   - vennactl: type "session", id "unix:" and the Unix user's name
 *     (the user running it, whatever sudo made of it: getuid()).
 */
struct admin_actor {
	char	type[16];
	char	id[VN_MAX_ID + 1];
	char	ip[ADMIN_IP_MAX + 1];	/* the source address, or "" */
};

/* What an operation needs besides its arguments. */
struct admin_env {
	struct db		*db;
	const unsigned char	*pepper;	/* for minting keys */
	const char		*database;	/* its key generation file */
	struct admin_actor	 actor;
};

struct admin_project {
	char	 id[WS_ID_LEN + 1];
	char	 name[WS_NAME_MAX + 1];
	int64_t	 created_at;
	int64_t	 archived_at;		/* 0: active */
};

struct admin_sa {
	char	 id[ADMIN_SA_ID_LEN + 1];
	char	 name[ADMIN_NAME_MAX + 1];
	int64_t	 created_at;
};

/* A project key or an admin key, as listings show it. */
struct admin_key {
	char	 id[APIKEY_ID_LEN + 1];
	char	 name[ADMIN_NAME_MAX + 1];
	char	 redacted[APIKEY_REDACTED_MAX + 1];
	int64_t	 created_at;
	int64_t	 last_used_at;		/* 0: never */
	int64_t	 expires_at;		/* admin keys; 0: never */
	char	 owner[VN_MAX_ID + 1];	/* admin keys: the creator */
	struct admin_sa sa;		/* sa.id "": made by an operator */
};

/* A page: at most limit objects after the object whose id is after. */
struct admin_page {
	long		 limit;
	const char	*after;		/* NULL: from the start */
};

/* Audit log filters (admin_query.h parses them from a query string). */
struct admin_audit_filter {
	int64_t		 gt, lt;	/* effective_at bounds, exclusive */
	const char	*project_ids;	/* JSON arrays of strings, or NULL */
	const char	*event_types;
	const char	*actor_ids;
	const char	*resource_ids;
	const char	*after, *before;	/* audit ids, or NULL */
	long		 limit;
};

struct admin_audit {
	char	 id[ADMIN_AUDIT_ID_LEN + 1];
	char	 type[64];
	int64_t	 effective_at;
	char	 project_id[WS_ID_LEN + 1];	/* "" for none */
	char	 project_name[WS_NAME_MAX + 1];
	char	 actor_type[16];
	char	 actor_id[VN_MAX_ID + 1];
	char	 actor_ip[ADMIN_IP_MAX + 1];
	char	 resource_id[VN_MAX_ID + 1];
	char	 data[1024];			/* the event's JSON object */
};

struct sqlite3_stmt;

/* Called once per object of a list; non-zero stops with VN_ENOMEM. */
typedef int (*admin_each)(void *arg, const void *obj);

/* admin_ops.c: actors, projects, admin keys */
void		admin_actor_unix(struct admin_actor *);
void		admin_actor_key(struct admin_actor *, const char *key_id,
		    const char *ip);
void		admin_changed_keys(const struct admin_env *);
enum vn_err	admin_project_create(struct admin_env *, const char *name,
		    struct admin_project *);
enum vn_err	admin_project_get(struct db *, const char *id,
		    struct admin_project *);
enum vn_err	admin_project_find(struct db *, const char *id_or_name,
		    struct admin_project *);
enum vn_err	admin_project_list(struct db *, int include_archived,
		    const struct admin_page *, admin_each, void *, int *more);
enum vn_err	admin_project_rename(struct admin_env *, const char *id,
		    const char *name, struct admin_project *);
enum vn_err	admin_project_archive(struct admin_env *, const char *id,
		    struct admin_project *);
enum vn_err	admin_akey_create(struct admin_env *, const char *name,
		    int64_t expires_in, struct admin_key *,
		    char key[APIKEY_MAX_LEN + 1]);
enum vn_err	admin_akey_get(struct db *, const char *id,
		    struct admin_key *);
enum vn_err	admin_akey_list(struct db *, const struct admin_page *,
		    admin_each, void *, int *more);
enum vn_err	admin_akey_delete(struct admin_env *, const char *id);

/* admin_ops.c, for the other admin_*.c */
enum vn_err	admin_cursor(struct db *, enum stmt, const char *id,
		    const char *workspace, int64_t *out);
enum vn_err	admin_list(struct db *, struct sqlite3_stmt *, long limit,
		    int (*row)(struct sqlite3_stmt *, void *obj), void *obj,
		    admin_each, void *, int *more);

/* admin_keys.c: service accounts and project keys */
enum vn_err	admin_sa_create(struct admin_env *, const char *project_id,
		    const char *name, struct admin_sa *, struct admin_key *,
		    char key[APIKEY_MAX_LEN + 1]);
enum vn_err	admin_sa_get(struct db *, const char *project_id,
		    const char *id, struct admin_sa *);
enum vn_err	admin_sa_list(struct db *, const char *project_id,
		    const struct admin_page *, admin_each, void *, int *more);
enum vn_err	admin_sa_delete(struct admin_env *, const char *project_id,
		    const char *id);
enum vn_err	admin_pkey_create(struct admin_env *, const char *project_id,
		    const char *name, struct admin_key *,
		    char key[APIKEY_MAX_LEN + 1]);
enum vn_err	admin_pkey_get(struct db *, const char *project_id,
		    const char *id, struct admin_key *);
enum vn_err	admin_pkey_list(struct db *, const char *project_id,
		    const struct admin_page *, admin_each, void *, int *more);
enum vn_err	admin_pkey_delete(struct admin_env *, const char *project_id,
		    const char *id);

/* Usage and costs over [start, end), in buckets of width seconds. */
struct admin_usage_query {
	int		 kind;		/* 1 completions, 2 embeddings, 0 all */
	long		 width;
	int64_t		 start, end;
	int		 by_project, by_key, by_model, by_batch;
	const char	*project_ids;	/* JSON arrays, or NULL for all */
	const char	*api_key_ids;
	const char	*models;
	int		 batch;		/* 1, 0, or -1 for both */
};

/* One group of one bucket; the fields not grouped by are empty / -1. */
struct admin_usage_row {
	int64_t	 start;
	char	 project_id[WS_ID_LEN + 1];
	char	 key_id[APIKEY_ID_LEN + 1];
	char	 model[VN_MAX_ID * 2 + 1];
	int	 batch;
	int64_t	 requests, errors, input, cached, output, cost_pusd;
};

/* admin_usage.c */
enum vn_err	admin_usage(struct db *, const struct admin_usage_query *,
		    admin_each, void *);

/* admin_audit.c */
enum vn_err	admin_audit_add(struct admin_env *, const char *type,
		    const char *project_id, const char *resource_id,
		    const char *data);
enum vn_err	admin_audit_list(struct db *,
		    const struct admin_audit_filter *, admin_each, void *,
		    int *more);

#endif /* ADMIN_H */
