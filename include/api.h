/*
 * api.h: the handlers of the route table, one section per api_*.c file.
 * A handler answers the request itself and returns VN_OK, or returns an
 * error (with its details in c->fault) for the dispatcher to report.
 */
#ifndef API_H
#define API_H

#include "venna.h"

/* api_admin.c: /v1/organization (admin keys only) */
enum vn_err	api_admin_projects_create(struct ctx *);
enum vn_err	api_admin_projects_list(struct ctx *);
enum vn_err	api_admin_projects_get(struct ctx *);
enum vn_err	api_admin_projects_update(struct ctx *);
enum vn_err	api_admin_projects_archive(struct ctx *);
enum vn_err	api_admin_keys_create(struct ctx *);
enum vn_err	api_admin_keys_list(struct ctx *);
enum vn_err	api_admin_keys_get(struct ctx *);
enum vn_err	api_admin_keys_delete(struct ctx *);
enum vn_err	api_admin_sa_create(struct ctx *);
enum vn_err	api_admin_sa_list(struct ctx *);
enum vn_err	api_admin_sa_get(struct ctx *);
enum vn_err	api_admin_sa_delete(struct ctx *);
enum vn_err	api_admin_pkeys_list(struct ctx *);
enum vn_err	api_admin_pkeys_get(struct ctx *);
enum vn_err	api_admin_pkeys_delete(struct ctx *);
enum vn_err	api_admin_audit_list(struct ctx *);

/* api_admin_limits.c: rate limits, spend limits and alerts, model
 * permissions; the organization's routes and a project's share them */
enum vn_err	api_admin_rl_list(struct ctx *);
enum vn_err	api_admin_rl_update(struct ctx *);
enum vn_err	api_admin_spend_get(struct ctx *);
enum vn_err	api_admin_spend_set(struct ctx *);
enum vn_err	api_admin_spend_delete(struct ctx *);
enum vn_err	api_admin_alert_create(struct ctx *);
enum vn_err	api_admin_alert_list(struct ctx *);
enum vn_err	api_admin_alert_get(struct ctx *);
enum vn_err	api_admin_alert_update(struct ctx *);
enum vn_err	api_admin_alert_delete(struct ctx *);
enum vn_err	api_admin_perm_get(struct ctx *);
enum vn_err	api_admin_perm_set(struct ctx *);
enum vn_err	api_admin_perm_delete(struct ctx *);

/* api_admin_usage.c */
enum vn_err	api_admin_usage_completions(struct ctx *);
enum vn_err	api_admin_usage_embeddings(struct ctx *);
enum vn_err	api_admin_costs(struct ctx *);

/* api_batches.c */
enum vn_err	api_batches_create(struct ctx *);
enum vn_err	api_batches_list(struct ctx *);
enum vn_err	api_batches_get(struct ctx *);
enum vn_err	api_batches_cancel(struct ctx *);

/* api_chat.c */
enum vn_err	api_chat_completions(struct ctx *);
enum vn_err	api_embeddings(struct ctx *);

/* api_files.c */
enum vn_err	api_files_create(struct ctx *);
enum vn_err	api_files_list(struct ctx *);
enum vn_err	api_files_get(struct ctx *);
enum vn_err	api_files_delete(struct ctx *);
enum vn_err	api_files_content(struct ctx *);

/* api_models.c */
enum vn_err	api_models_list(struct ctx *);
enum vn_err	api_models_get(struct ctx *);

/* api_responses.c */
enum vn_err	api_responses_create(struct ctx *);
enum vn_err	api_responses_get(struct ctx *);
enum vn_err	api_responses_delete(struct ctx *);
enum vn_err	api_responses_cancel(struct ctx *);
enum vn_err	api_responses_input_items(struct ctx *);

#endif /* API_H */
