/*
 * fault_test.c: the error table and the envelope every error is sent
 * in (openai-api.md §6): one status and one type per error, all four
 * keys always, the table's defaults and a fault's own overrides.
 */
#include "config.h"

#include <string.h>

#include <json.h>

#include "buf.h"
#include "fault.h"
#include "../tap.h"

/* The envelope of f, parsed; NULL if it is not one. */
static struct json_object *
envelope(const struct fault *f)
{
	struct json_object	*o, *e, *v;
	struct buf		 b;
	static const char *const keys[] = { "message", "type", "param",
	    "code" };
	size_t			 i;

	buf_init(&b, 4096);
	if (fault_envelope(&b, f) != VN_OK) {
		buf_free(&b);
		return NULL;
	}
	o = json_tokener_parse(b.data);
	buf_free(&b);
	if (o == NULL || !json_object_object_get_ex(o, "error", &e) ||
	    json_object_object_length(o) != 1 ||
	    json_object_object_length(e) != 4)
		goto bad;
	for (i = 0; i < 4; i++)
		if (!json_object_object_get_ex(e, keys[i], &v))
			goto bad;
	return o;
bad:
	json_object_put(o);
	return NULL;
}

static const char *
member(struct json_object *o, const char *k)
{
	struct json_object	*e, *v;

	if (!json_object_object_get_ex(o, "error", &e) ||
	    !json_object_object_get_ex(e, k, &v) || v == NULL)
		return "(null)";
	return json_object_get_string(v);
}

int
main(void)
{
	struct json_object	*o;
	struct fault		 f;
	int			 e, s, every = 1;

	/* Every error: a status of its class, a type, a full envelope. */
	for (e = VN_ENOMEM; e < VN__MAX; e++) {
		s = fault_err_status((enum vn_err)e);
		memset(&f, 0, sizeof(f));
		f.err = (enum vn_err)e;
		o = envelope(&f);
		if (s < 400 || s > 599 || o == NULL ||
		    strcmp(member(o, "type"), fault_err_type(f.err)) != 0 ||
		    member(o, "message")[0] == '\0' ||
		    (s < 500 && s != 429 && s != 499 &&
		    strcmp(fault_err_type(f.err), "invalid_request_error") !=
		    0) || (s >= 500 && s != 501 &&
		    strcmp(fault_err_type(f.err), "server_error") != 0)) {
			printf("# error %d: status %d, type %s\n", e, s,
			    fault_err_type(f.err));
			every = 0;
		}
		json_object_put(o);
	}
	ok(every, "every error: a 4xx/5xx, its type, the four keys, a "
	    "message");
	is_int(fault_err_status(VN_EINVAL), 400, "invalid: 400");
	is_int(fault_err_status(VN_EAUTH), 401, "bad key: 401");
	is_int(fault_err_status(VN_ENOTFOUND), 404, "not found: 404");
	is_int(fault_err_status(VN_ETOOBIG), 413, "too big: 413");
	is_int(fault_err_status(VN_ELIMIT), 429, "limit: 429");
	is_int(fault_err_status(VN_EQUOTA), 429, "quota: 429");
	is_str(fault_err_type(VN_EQUOTA), "insufficient_quota",
	    "quota: insufficient_quota");
	is_int(fault_err_status(VN_EUNAVAIL), 503, "unavailable: 503");
	is_int(fault_err_status(VN__MAX), 500, "out of range: 500");
	is_str(fault_err_type(VN__MAX), "server_error",
	    "  and a server_error");

	memset(&f, 0, sizeof(f));
	f.err = VN_ENOMODEL;
	o = envelope(&f);
	is_str(member(o, "code"), "model_not_found", "the table's code");
	is_str(member(o, "param"), "(null)", "  param null when unset");
	json_object_put(o);

	memset(&f, 0, sizeof(f));
	is_int(fault_set(&f, VN_EINVAL, "messages[0].role", "invalid_value",
	    "Bad \"%s\" \\ \x01", "x"), VN_EINVAL, "fault_set returns err");
	o = envelope(&f);
	ok(o != NULL, "  quotes, backslashes and controls escaped");
	is_str(member(o, "message"), "Bad \"x\" \\ \x01", "  the message");
	is_str(member(o, "param"), "messages[0].role", "  the param");
	is_str(member(o, "code"), "invalid_value", "  the code");
	is_str(member(o, "type"), "invalid_request_error", "  the type");
	json_object_put(o);

	/* A passed-through upstream error keeps its status and type. */
	f.status = 422;
	snprintf(f.type, sizeof(f.type), "%s", "upstream_kind");
	is_int(fault_status(&f), 422, "a fault's status wins");
	o = envelope(&f);
	is_str(member(o, "type"), "upstream_kind", "  and its type");
	json_object_put(o);

	is_str(fault_reason(429), "Too Many Requests", "reason of 429");
	is_str(fault_reason(599), "Error", "an unknown 5xx: Error");
	return done_testing();
}
