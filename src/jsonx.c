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
 * Strict RFC 8259 syntax check, run before json-c sees the bytes: json-c
 * accepts single-quoted keys, NaN, Infinity and lone surrogates even in
 * its strict mode, and a gateway that re-serializes a body must not
 * forward any of them.  One linear pass, an explicit stack bounded by
 * depth, no allocation.  Returns 0 and the offset of the first bad byte
 * in *bad, or 1 when the input is one valid JSON text.
 */
#define JV_MAX_DEPTH	1024

static size_t
jv_space(const char *s, size_t i, size_t n)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' ||
	    s[i] == '\r'))
		i++;
	return i;
}

static int
jv_hex4(const char *s, size_t i, size_t n, unsigned *out)
{
	unsigned	 v = 0;
	size_t		 k;
	int		 c;

	if (n - i < 4)
		return 0;
	for (k = 0; k < 4; k++) {
		c = (unsigned char)s[i + k];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return 0;
	}
	*out = v;
	return 1;
}

/* A string starting at s[i] == '"'; returns the offset after it or 0. */
static size_t
jv_string(const char *s, size_t i, size_t n)
{
	unsigned	 u, lo;
	unsigned char	 c;
	size_t		 len, k;

	for (i++; i < n; ) {
		c = (unsigned char)s[i];
		if (c == '"')
			return i + 1;
		if (c < 0x20)
			return 0;
		if (c == '\\') {
			if (++i >= n)
				return 0;
			switch (s[i]) {
			case '"': case '\\': case '/': case 'b': case 'f':
			case 'n': case 'r': case 't':
				i++;
				continue;
			case 'u':
				if (!jv_hex4(s, i + 1, n, &u))
					return 0;
				i += 5;
				if (u >= 0xdc00 && u <= 0xdfff)
					return 0;	/* lone low surrogate */
				if (u >= 0xd800 && u <= 0xdbff) {
					if (n - i < 6 || s[i] != '\\' ||
					    s[i + 1] != 'u' ||
					    !jv_hex4(s, i + 2, n, &lo) ||
					    lo < 0xdc00 || lo > 0xdfff)
						return 0;
					i += 6;
				}
				continue;
			default:
				return 0;
			}
		}
		if (c < 0x80) {
			i++;
			continue;
		}
		/* UTF-8: no overlongs, no surrogates, nothing past U+10FFFF. */
		if (c >= 0xc2 && c <= 0xdf)
			len = 2;
		else if (c >= 0xe0 && c <= 0xef)
			len = 3;
		else if (c >= 0xf0 && c <= 0xf4)
			len = 4;
		else
			return 0;
		if (n - i < len)
			return 0;
		for (k = 1; k < len; k++)
			if (((unsigned char)s[i + k] & 0xc0) != 0x80)
				return 0;
		if ((c == 0xe0 && (unsigned char)s[i + 1] < 0xa0) ||
		    (c == 0xed && (unsigned char)s[i + 1] > 0x9f) ||
		    (c == 0xf0 && (unsigned char)s[i + 1] < 0x90) ||
		    (c == 0xf4 && (unsigned char)s[i + 1] > 0x8f))
			return 0;
		i += len;
	}
	return 0;
}

/* A number at s[i]; returns the offset after it or 0. */
static size_t
jv_number(const char *s, size_t i, size_t n)
{
	size_t	 start;

	if (i < n && s[i] == '-')
		i++;
	if (i >= n)
		return 0;
	if (s[i] == '0')
		i++;
	else if (s[i] >= '1' && s[i] <= '9')
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	else
		return 0;
	if (i < n && s[i] == '.') {
		start = ++i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == start)
			return 0;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		start = i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == start)
			return 0;
	}
	return i;
}

static int
jv_validate(const char *s, size_t n, int depth, size_t *bad, int *too_deep)
{
	char	 stack[JV_MAX_DEPTH];	/* '{' or '[' per open level */
	int	 top = 0;
	size_t	 i = 0, next;
	int	 want_value = 1;	/* else: want ',' or a closer */

	*too_deep = 0;
	if (depth > JV_MAX_DEPTH)
		depth = JV_MAX_DEPTH;
	for (;;) {
		i = jv_space(s, i, n);
		if (i >= n)
			break;
		if (want_value) {
			switch (s[i]) {
			case '{':
			case '[':
				if (top >= depth) {
					*too_deep = 1;
					goto fail;
				}
				stack[top++] = s[i];
				i = jv_space(s, i + 1, n);
				if (i < n && (s[i] == (stack[top - 1] == '{' ?
				    '}' : ']'))) {
					top--;
					i++;
					want_value = 0;
					break;
				}
				if (stack[top - 1] == '{') {
					if (i >= n || s[i] != '"')
						goto fail;
					goto key;
				}
				continue;
			case '"':
				if ((next = jv_string(s, i, n)) == 0)
					goto fail;
				i = next;
				want_value = 0;
				break;
			case 't':
			case 'f':
			case 'n':
				next = s[i] == 'f' ? 5 : 4;
				if (n - i < next || memcmp(s + i, s[i] == 't' ?
				    "true" : s[i] == 'f' ? "false" : "null",
				    next) != 0)
					goto fail;
				i += next;
				want_value = 0;
				break;
			default:
				if ((next = jv_number(s, i, n)) == 0)
					goto fail;
				i = next;
				want_value = 0;
				break;
			}
			if (top == 0)
				break;
			continue;
		}
		/* After a value inside a container. */
		if (top == 0)
			goto fail;
		if (s[i] == (stack[top - 1] == '{' ? '}' : ']')) {
			top--;
			i++;
			if (top == 0)
				break;
			continue;
		}
		if (s[i] != ',')
			goto fail;
		i = jv_space(s, i + 1, n);
		if (stack[top - 1] == '[') {
			want_value = 1;
			continue;
		}
		if (i >= n || s[i] != '"')
			goto fail;
key:
		if ((next = jv_string(s, i, n)) == 0)
			goto fail;
		i = jv_space(s, next, n);
		if (i >= n || s[i] != ':')
			goto fail;
		i++;
		want_value = 1;
	}
	i = jv_space(s, i, n);
	if (top == 0 && !want_value && i == n)
		return 1;
fail:
	*bad = i;
	return 0;
}

/*
 * The end of the JSON value starting at s[i], in a text already known
 * to be valid: strings are skipped whole, brackets counted.  Pure.
 */
static size_t
jv_skip(const char *s, size_t i, size_t n)
{
	size_t	 depth = 0;

	for (; i < n; i++) {
		switch (s[i]) {
		case '"':
			for (i++; i < n && s[i] != '"'; i++)
				if (s[i] == '\\')
					i++;
			if (depth == 0)
				return i + 1;
			break;
		case '{':
		case '[':
			depth++;
			break;
		case '}':
		case ']':
			if (depth == 0)
				return i;	/* the end of the enclosing one */
			if (--depth == 0)
				return i + 1;
			break;
		case ',':
			if (depth == 0)
				return i;
			break;
		default:
			break;
		}
	}
	return n;
}

/*
 * Find the top-level member key of the JSON object s (n bytes, already
 * validated) and give the span of its value.  Returns 1 if found.  The
 * key must not need escapes.  Pure: lets a caller read one member of a
 * large answer without building the whole tree.
 */
int
jsonx_member(const char *s, size_t n, const char *key, const char **val,
    size_t *vlen)
{
	size_t	 i, klen = strlen(key), kstart, kend, end;

	i = jv_space(s, 0, n);
	if (i >= n || s[i] != '{')
		return 0;
	for (i = jv_space(s, i + 1, n); i < n && s[i] == '"'; ) {
		kstart = i + 1;
		if ((kend = jv_string(s, i, n)) == 0)
			return 0;
		/* kend is past the closing quote: the key is kstart..kend-1 */
		i = jv_space(s, kend, n);
		if (i >= n || s[i] != ':')
			return 0;
		i = jv_space(s, i + 1, n);
		end = jv_skip(s, i, n);
		if (kend - 1 - kstart == klen &&
		    memcmp(s + kstart, key, klen) == 0) {
			*val = s + i;
			*vlen = end - i;
			while (*vlen > 0 && strchr(" \t\r\n", (*val)[*vlen - 1]))
				(*vlen)--;
			return *vlen > 0;
		}
		i = jv_space(s, end, n);
		if (i < n && s[i] == ',')
			i = jv_space(s, i + 1, n);
	}
	return 0;
}

/* 1 if s is one valid JSON text no deeper than depth.  Pure. */
int
jsonx_valid(const char *s, size_t len, int depth)
{
	size_t	 bad;
	int	 deep;

	return jv_validate(s, len, depth, &bad, &deep);
}

/*
 * Parse len bytes as one JSON value, at most depth levels deep.  Only
 * whitespace may follow the value.  On success *out is the caller's
 * (json_object_put).  VN_EJSON with a message otherwise.
 */
enum vn_err
jsonx_parse(const char *s, size_t len, int depth, struct json_object **out,
    struct fault *f)
{
	struct json_tokener	*tok = NULL;
	struct json_object	*o = NULL;
	enum json_tokener_error	 jerr;
	size_t			 end = 0;
	int			 deep = 0;
	enum vn_err		 rc = VN_EJSON;

	*out = NULL;
	if (len > (size_t)INT32_MAX)
		return fault_set(f, VN_ETOOBIG, NULL, NULL,
		    "The JSON body is too large.");
	if (!jv_validate(s, len, depth, &end, &deep)) {
		if (deep)
			return fault_set(f, VN_EJSON, NULL, NULL, "We could "
			    "not parse the JSON body of your request: it is "
			    "nested deeper than %d levels.", depth);
		return fault_set(f, VN_EJSON, NULL, NULL, "We could not parse "
		    "the JSON body of your request: %s at byte %zu. The API "
		    "expects a JSON payload.", end >= len ? "it ends early" :
		    "invalid JSON", end);
	}
	if ((tok = json_tokener_new_ex(depth)) == NULL)
		return fault_set(f, VN_ENOMEM, NULL, NULL, "%s",
		    "Out of memory.");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_ALLOW_TRAILING_CHARS | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, s, (int)len);
	jerr = json_tokener_get_error(tok);
	if (o == NULL || jerr != json_tokener_success) {
		if (jerr == json_tokener_continue)
			fault_set(f, VN_EJSON, NULL, NULL, "We could not parse "
			    "the JSON body of your request: it ends early. "
			    "The API expects a JSON payload.");
		else if (jerr == json_tokener_error_depth)
			fault_set(f, VN_EJSON, NULL, NULL, "We could not parse "
			    "the JSON body of your request: it is nested "
			    "deeper than %d levels.", depth);
		else
			fault_set(f, VN_EJSON, NULL, NULL, "We could not parse "
			    "the JSON body of your request: %s at byte %zu. "
			    "The API expects a JSON payload.",
			    json_tokener_error_desc(jerr),
			    json_tokener_get_parse_end(tok));
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

/* As jsonx_parse(), and the value must be an object. */
enum vn_err
jsonx_object(const char *s, size_t len, int depth, struct json_object **out,
    struct fault *f)
{
	enum vn_err	 rc;

	if ((rc = jsonx_parse(s, len, depth, out, f)) != VN_OK)
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

/* Compact serialization; the string belongs to o. */
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
