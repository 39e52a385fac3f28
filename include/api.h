/*
 * api.h: the handlers of the route table, one section per api_*.c file.
 * A handler answers the request itself and returns VN_OK, or returns an
 * error (with req_fail() details) for the dispatcher to report.
 */
#ifndef API_H
#define API_H

#include "venna.h"

/* api_batches.c */
enum vn_err	api_batches_create(struct req *);
enum vn_err	api_batches_list(struct req *);
enum vn_err	api_batches_get(struct req *);
enum vn_err	api_batches_cancel(struct req *);

/* api_chat.c */
struct call_spec;
struct relay;
enum vn_err	api_chat_completions(struct req *);
enum vn_err	api_embeddings(struct req *);
enum vn_err	api_chat_echo(struct req *, struct relay *,
		    const struct call_spec *);

/* api_files.c */
enum vn_err	api_files_create(struct req *);
enum vn_err	api_files_list(struct req *);
enum vn_err	api_files_get(struct req *);
enum vn_err	api_files_delete(struct req *);
enum vn_err	api_files_content(struct req *);

/* api_models.c */
enum vn_err	api_models_list(struct req *);
enum vn_err	api_models_get(struct req *);

/* api_responses.c */
enum vn_err	api_responses_create(struct req *);
enum vn_err	api_responses_get(struct req *);
enum vn_err	api_responses_delete(struct req *);
enum vn_err	api_responses_cancel(struct req *);
enum vn_err	api_responses_input_items(struct req *);

#endif /* API_H */
