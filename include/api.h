/*
 * api.h: the handlers of the route table, one section per api_*.c file.
 * A handler answers the request itself and returns VN_OK, or returns an
 * error (with req_fail() details) for the dispatcher to report.
 */
#ifndef API_H
#define API_H

#include "venna.h"

/* api_chat.c */
enum vn_err	api_chat_completions(struct req *);
enum vn_err	api_embeddings(struct req *);

/* api_models.c */
enum vn_err	api_models_list(struct req *);
enum vn_err	api_models_get(struct req *);

#endif /* API_H */
