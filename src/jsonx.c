/*
 * jsonx.c: parsing untrusted JSON with every cap set before any byte is
 * read (depth bombs, trailing garbage, invalid UTF-8), and typed field
 * checks whose messages and codes follow the OpenAI API's
 * (openai-api.md §6.2), so SDK users see familiar errors.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <json.h>

#include "fault.h"
#include "jscan.h"
#include "jsonx.h"

/* "ctx.key" or "key": the name the API reports in "param". */
static void
param_name(char *out, size_t outsz, const char *ctx, const char *key)
{
	if (ctx != NULL && *ctx != '\0')
		snprintf(out, outsz, "%s.%s", ctx, key);
	else
		snprintf(out, outsz, "%s", key);
}

const char *
jsonx_type_name(struct json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_null: return "null";
	case json_type_boolean: return "a boolean";
	case json_type_double: return "a decimal";
	case json_type_int: return "an integer";
	case json_type_object: return "an object";
	case json_type_array: return "an array";
	case json_type_string: return "a string";
	}
	return "an unknown type";
}

/*
 * Parse len bytes as one JSON value, at most depth levels deep, whose
 * tree would cost json-c at most max_cost bytes (jscan.h; 0: the
 * default cap, JSONX_MAX_COST).  Only whitespace may follow the value.
 * On success *out is the caller's (json_object_put).  VN_EJSON, or
 * VN_ETOOBIG over the cost, with a message otherwise.
 */
enum vn_err
jsonx_parse_capped(const char *s, size_t len, int depth, size_t max_cost,
    struct json_object **out, struct fault *f)
{
	struct json_tokener	*tok = NULL;
	struct json_object	*o = NULL;
	enum json_tokener_error	 jerr;
	struct jscan_result	 scan;
	enum vn_err		 rc = VN_EJSON;

	*out = NULL;
	if (len > (size_t)INT32_MAX)
		return fault_set(f, VN_ETOOBIG, NULL, NULL,
		    "The JSON body is too large.");
	switch (jscan_check(s, len, depth, max_cost > 0 ? max_cost :
	    JSONX_MAX_COST, &scan)) {
	case JSCAN_OK:
		break;
	case JSCAN_DEPTH:
		return fault_set(f, VN_EJSON, NULL, NULL, "We could not parse "
		    "the JSON body of your request: it is nested deeper than "
		    "%d levels.", depth);
	case JSCAN_COST:
		return fault_set(f, VN_ETOOBIG, NULL, "request_too_large",
		    "The JSON body has too many values to process: its %zu "
		    "bytes would take more than %zu MiB of memory (%zu values "
		    "by byte %zu).", len, (max_cost > 0 ? max_cost :
		    JSONX_MAX_COST) >> 20, scan.values, scan.bad);
	default:
		return fault_set(f, VN_EJSON, NULL, NULL, "We could not parse "
		    "the JSON body of your request: %s at byte %zu. The API "
		    "expects a JSON payload.", scan.bad >= len ?
		    "it ends early" : "invalid JSON", scan.bad);
	}
	if ((tok = json_tokener_new_ex(depth)) == NULL)
		return fault_set(f, VN_ENOMEM, NULL, NULL, "%s",
		    "Out of memory.");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_ALLOW_TRAILING_CHARS | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, s, (int)len);
	jerr = json_tokener_get_error(tok);
	/*
	 * A number that ends the text (the scan has seen it whole): json-c
	 * waits for what could follow, and the end of the string says
	 * there is nothing.
	 */
	if (o == NULL && jerr == json_tokener_continue) {
		o = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
	}
	if (o == NULL || jerr != json_tokener_success) {
		/*
		 * The scan has passed the text, depth included, so json-c
		 * failing on it means its memory ran out (0.16 has no error
		 * of its own for that): the server's failure, not the
		 * client's.
		 */
		if (jerr == json_tokener_error_depth)
			fault_set(f, VN_EJSON, NULL, NULL, "We could not parse "
			    "the JSON body of your request: it is nested "
			    "deeper than %d levels.", depth);
		else
			rc = fault_set(f, VN_ENOMEM, NULL, NULL, "The server "
			    "ran out of memory while reading the JSON body "
			    "(%s).", json_tokener_error_desc(jerr));
		goto out;
	}
	*out = o;
	o = NULL;
	rc = VN_OK;
out:
	if (o != NULL)
		json_object_put(o);
	json_tokener_free(tok);
	return rc;
}

/* jsonx_parse_capped() with the default cost cap. */
enum vn_err
jsonx_parse(const char *s, size_t len, int depth, struct json_object **out,
    struct fault *f)
{
	return jsonx_parse_capped(s, len, depth, 0, out, f);
}

/* As jsonx_parse_capped(), and the value must be an object. */
enum vn_err
jsonx_object(const char *s, size_t len, int depth, size_t max_cost,
    struct json_object **out, struct fault *f)
{
	enum vn_err	 rc;

	if ((rc = jsonx_parse_capped(s, len, depth, max_cost, out, f)) !=
	    VN_OK)
		return rc;
	if (!json_object_is_type(*out, json_type_object)) {
		fault_set(f, VN_EINVAL, NULL, "invalid_type",
		    "The request body must be a JSON object, but got %s.",
		    jsonx_type_name(*out));
		json_object_put(*out);
		*out = NULL;
		return VN_EINVAL;
	}
	return VN_OK;
}

static enum vn_err
missing(struct fault *f, const char *ctx, const char *key)
{
	char	 p[64];

	param_name(p, sizeof(p), ctx, key);
	return fault_set(f, VN_EINVAL, p, "missing_required_parameter",
	    "Missing required parameter: '%s'.", p);
}

static enum vn_err
bad_type(struct fault *f, const char *ctx, const char *key,
    const char *want, struct json_object *got)
{
	char	 p[64];

	param_name(p, sizeof(p), ctx, key);
	return fault_set(f, VN_EINVAL, p, "invalid_type",
	    "Invalid type for '%s': expected %s, but got %s instead.", p,
	    want, jsonx_type_name(got));
}

/*
 * A string field of at most maxlen bytes and no NUL (these are names,
 * ids, roles, choices).  Absent or null: VN_OK with *out untouched,
 * unless required.  *out points into o.
 */
enum vn_err
jsonx_string(struct json_object *o, const char *key, const char *ctx,
    int required, size_t maxlen, const char **out, struct fault *f)
{
	struct json_object	*v;
	char			 p[64];

	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return required ? missing(f, ctx, key) : VN_OK;
	if (!json_object_is_type(v, json_type_string))
		return bad_type(f, ctx, key, "a string", v);
	if ((size_t)json_object_get_string_len(v) > maxlen) {
		param_name(p, sizeof(p), ctx, key);
		return fault_set(f, VN_EINVAL, p, "string_above_max_length",
		    "Invalid '%s': string too long. Expected a string with "
		    "maximum length %zu, but got a string with length %d "
		    "instead.", p, maxlen, json_object_get_string_len(v));
	}
	/* Names, ids and roles: a NUL inside would cut them short. */
	if (strlen(json_object_get_string(v)) !=
	    (size_t)json_object_get_string_len(v)) {
		param_name(p, sizeof(p), ctx, key);
		return fault_set(f, VN_EINVAL, p, "invalid_value",
		    "Invalid value for '%s': it must not contain a NUL "
		    "character.", p);
	}
	*out = json_object_get_string(v);
	return VN_OK;
}

/* An integer field within [min, max]. */
enum vn_err
jsonx_int(struct json_object *o, const char *key, const char *ctx,
    int required, int64_t min, int64_t max, int64_t *out, int *present,
    struct fault *f)
{
	struct json_object	*v;
	int64_t			 n;
	char			 p[64];

	if (present != NULL)
		*present = 0;
	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return required ? missing(f, ctx, key) : VN_OK;
	if (!json_object_is_type(v, json_type_int))
		return bad_type(f, ctx, key, "an integer", v);
	n = json_object_get_int64(v);
	if (n < min || n > max) {
		param_name(p, sizeof(p), ctx, key);
		return fault_set(f, VN_EINVAL, p, "invalid_value",
		    "Invalid value for '%s': expected an integer from %lld "
		    "to %lld, but got %lld.", p, (long long)min,
		    (long long)max, (long long)n);
	}
	*out = n;
	if (present != NULL)
		*present = 1;
	return VN_OK;
}

/* A number (integer or decimal) field within [min, max]. */
enum vn_err
jsonx_number(struct json_object *o, const char *key, const char *ctx,
    double min, double max, double *out, int *present, struct fault *f)
{
	struct json_object	*v;
	double			 d;
	char			 p[64];

	if (present != NULL)
		*present = 0;
	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return VN_OK;
	if (!json_object_is_type(v, json_type_int) &&
	    !json_object_is_type(v, json_type_double))
		return bad_type(f, ctx, key, "a number", v);
	d = json_object_get_double(v);
	if (!isfinite(d) || d < min || d > max) {
		param_name(p, sizeof(p), ctx, key);
		return fault_set(f, VN_EINVAL, p, "invalid_value",
		    "Invalid value for '%s': expected a number from %g to "
		    "%g.", p, min, max);
	}
	*out = d;
	if (present != NULL)
		*present = 1;
	return VN_OK;
}

/* A boolean field. */
enum vn_err
jsonx_bool(struct json_object *o, const char *key, const char *ctx,
    int *out, int *present, struct fault *f)
{
	struct json_object	*v;

	if (present != NULL)
		*present = 0;
	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return VN_OK;
	if (!json_object_is_type(v, json_type_boolean))
		return bad_type(f, ctx, key, "a boolean", v);
	*out = json_object_get_boolean(v);
	if (present != NULL)
		*present = 1;
	return VN_OK;
}

/*
 * "metadata": null or an object of at most 16 string values, keys of at
 * most 64 and values of at most 512 characters (openai-api.md §1.5).
 */
enum vn_err
jsonx_metadata(struct json_object *o, const char *key, struct fault *f)
{
	struct json_object	*v;
	int			 n = 0;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return VN_OK;
	if (!json_object_is_type(v, json_type_object))
		return bad_type(f, NULL, key, "an object", v);
	json_object_object_foreach(v, mk, mv) {
		if (++n > 16)
			return fault_set(f, VN_EINVAL, key, "invalid_value",
			    "Invalid '%s': at most 16 pairs are allowed.",
			    key);
		if (strlen(mk) > 64)
			return fault_set(f, VN_EINVAL, key, "invalid_value",
			    "Invalid '%s': keys are at most 64 characters.",
			    key);
		if (!json_object_is_type(mv, json_type_string))
			return fault_set(f, VN_EINVAL, key, "invalid_type",
			    "Invalid '%s': values must be strings.", key);
		if (json_object_get_string_len(mv) > 512)
			return fault_set(f, VN_EINVAL, key, "invalid_value",
			    "Invalid '%s': values are at most 512 "
			    "characters.", key);
	}
	return VN_OK;
}

/* Compact serialization; the string belongs to o; NULL without memory. */
const char *
jsonx_to_string(struct json_object *o, size_t *len)
{
	size_t	 n = 0;
	const char *s;

	s = json_object_to_json_string_length(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
	if (len != NULL)
		*len = n;
	return s;
}

/*
 * A new string holding o's JSON text (tool arguments some servers send
 * as an object), or NULL when memory runs out.
 */
struct json_object *
jsonx_new_text(struct json_object *o)
{
	const char	*s;

	if ((s = jsonx_to_string(o, NULL)) == NULL)
		return NULL;
	return json_object_new_string(s);
}

/*
 * Building JSON without leaking on failure: each helper takes ownership
 * of what it is given, so a chain of them can end in one check.
 */

/* Add v under k; on any failure v is released and 0 returned. */
int
jsonx_put(struct json_object *o, const char *k, struct json_object *v)
{
	if (v == NULL)
		return 0;
	if (json_object_object_add(o, k, v) != 0) {
		json_object_put(v);
		return 0;
	}
	return 1;
}

/* A new object appended to array arr, or NULL when memory runs out. */
struct json_object *
jsonx_add_obj(struct json_object *arr)
{
	struct json_object	*o;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if (json_object_array_add(arr, o) != 0) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/*
 * Add a reference to src.key under k, if src has it and it is not null.
 * Returns 0 only when memory runs out.
 */
int
jsonx_put_ref(struct json_object *o, const char *k, struct json_object *src,
    const char *key)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(src, key, &v) || v == NULL)
		return 1;
	return jsonx_put(o, k, json_object_get(v));
}

/* o.key if o is an object and that is a string, else NULL. */
const char *
jsonx_str(struct json_object *o, const char *key)
{
	struct json_object	*v;

	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}
