/*
 * jsonx.h: json-c with caps.  A bounded parse (size, depth, strict
 * syntax, valid UTF-8) and typed field checks that report the failing
 * parameter the way the OpenAI API does ("Invalid type for 'x'...").
 * Pure: no I/O; failures are written into a struct fault.
 */
#ifndef JSONX_H
#define JSONX_H

#include "venna.h"

/* The tree a parse may build unless its caller says (jscan.h). */
#define JSONX_MAX_COST	(64 * 1024 * 1024)

struct fault;
struct json_object;

enum vn_err	 jsonx_parse(const char *, size_t, int depth,
		    struct json_object **, struct fault *);
enum vn_err	 jsonx_parse_capped(const char *, size_t, int depth,
		    size_t max_cost, struct json_object **, struct fault *);
enum vn_err	 jsonx_object(const char *, size_t, int depth,
		    size_t max_cost, struct json_object **, struct fault *);
enum vn_err	 jsonx_string(struct json_object *, const char *key,
		    const char *ctx, int required, size_t maxlen,
		    const char **out, struct fault *);
enum vn_err	 jsonx_int(struct json_object *, const char *key,
		    const char *ctx, int required, int64_t min, int64_t max,
		    int64_t *out, int *present, struct fault *);
enum vn_err	 jsonx_number(struct json_object *, const char *key,
		    const char *ctx, double min, double max, double *out,
		    int *present, struct fault *);
enum vn_err	 jsonx_bool(struct json_object *, const char *key,
		    const char *ctx, int *out, int *present, struct fault *);
enum vn_err	 jsonx_metadata(struct json_object *, const char *key,
		    struct fault *);
const char	*jsonx_type_name(struct json_object *);
const char	*jsonx_to_string(struct json_object *, size_t *len);
struct json_object *jsonx_new_text(struct json_object *);
int		 jsonx_put(struct json_object *, const char *,
		    struct json_object *);
struct json_object *jsonx_add_obj(struct json_object *);
int		 jsonx_put_ref(struct json_object *, const char *,
		    struct json_object *, const char *);
const char	*jsonx_str(struct json_object *, const char *);

#endif /* JSONX_H */
