/*
 * fault.c: the error table and the OpenAI error envelope.  Every error
 * Venna reports goes through err_table[]: one row per enum vn_err, so a
 * status or an error type is decided in exactly one place.  Envelopes
 * always carry all four keys (openai-api.md §6).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "fault.h"

static const struct {
	int		 status;
	const char	*type;
	const char	*code;		/* default; NULL is JSON null */
	const char	*message;	/* default */
} err_table[VN__MAX] = {
	[VN_OK] = { 200, NULL, NULL, NULL },
	[VN_ENOMEM] = { 500, "server_error", NULL,
	    "The server ran out of memory while processing your request." },
	[VN_EINVAL] = { 400, "invalid_request_error", NULL,
	    "The request is invalid." },
	[VN_EJSON] = { 400, "invalid_request_error", NULL,
	    "We could not parse the JSON body of your request. The API "
	    "expects a JSON payload." },
	[VN_ENOKEY] = { 401, "invalid_request_error", NULL,
	    "You didn't provide an API key. You need to provide your API key "
	    "in an Authorization header using Bearer auth (i.e. "
	    "Authorization: Bearer YOUR_KEY)." },
	[VN_EAUTH] = { 401, "invalid_request_error", "invalid_api_key",
	    "Incorrect API key provided. Ask your Venna operator for a "
	    "valid workspace key." },
	[VN_EPERM] = { 403, "invalid_request_error", "permission_denied",
	    "You are not allowed to do this." },
	[VN_ENOTFOUND] = { 404, "invalid_request_error", NULL,
	    "No such object." },
	[VN_ENOROUTE] = { 404, "invalid_request_error", "unknown_url",
	    "Invalid URL." },
	[VN_ENOMODEL] = { 404, "invalid_request_error", "model_not_found",
	    "The model does not exist or you do not have access to it." },
	[VN_EMETHOD] = { 405, "invalid_request_error", "method_not_allowed",
	    "Method not allowed." },
	[VN_ECONFLICT] = { 409, "invalid_request_error", NULL,
	    "The object is in a state that does not allow this." },
	[VN_ETOOBIG] = { 413, "invalid_request_error", "request_too_large",
	    "The request is too large." },
	[VN_EMEDIA] = { 415, "invalid_request_error", "unsupported_media_type",
	    "Unsupported Content-Type." },
	[VN_ELIMIT] = { 429, "rate_limit_exceeded", "rate_limit_exceeded",
	    "Rate limit reached." },
	/* Not worth retrying soon: the SDKs are told so (reply.c). */
	[VN_EQUOTA] = { 429, "insufficient_quota", "insufficient_quota",
	    "You exceeded your current quota, please check your plan and "
	    "billing details." },
	[VN_EUNIMPL] = { 501, "not_implemented", "not_implemented",
	    "This endpoint is not implemented yet on Venna gateway." },
	[VN_EUPSTREAM] = { 502, "server_error", "upstream_error",
	    "The upstream model server failed to answer." },
	[VN_EUNAVAIL] = { 503, "server_error", "service_unavailable",
	    "No upstream model server is available. Please retry." },
	[VN_ETIMEOUT] = { 504, "server_error", "upstream_timeout",
	    "The upstream model server did not answer in time." },
	[VN_ESTORE] = { 500, "server_error", NULL,
	    "The server had an error while processing your request." },
	[VN_ESYS] = { 500, "server_error", NULL,
	    "The server had an error while processing your request." },
	[VN_ECLIENT] = { 499, "server_error", NULL,
	    "The client closed the connection." },
	[VN_ECONFIG] = { 500, "server_error", NULL,
	    "The server is misconfigured." },
};

/*
 * Record a failure in f.  param and code may be NULL; code must outlive
 * f (a static string).  Returns err, so callers can "return
 * fault_set(...)".
 */
enum vn_err
fault_set(struct fault *f, enum vn_err err, const char *param,
    const char *code, const char *fmt, ...)
{
	va_list	 ap;

	f->err = err;
	f->code = code;
	snprintf(f->param, sizeof(f->param), "%s", param != NULL ? param : "");
	va_start(ap, fmt);
	vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
	va_end(ap);
	return err;
}

int
fault_err_status(enum vn_err e)
{
	return (unsigned)e < VN__MAX ? err_table[e].status : 500;
}

const char *
fault_err_type(enum vn_err e)
{
	return (unsigned)e < VN__MAX && err_table[e].type != NULL ?
	    err_table[e].type : "server_error";
}

/* The status f is reported with: its own, else the table's. */
int
fault_status(const struct fault *f)
{
	return f->status != 0 ? f->status : fault_err_status(f->err);
}

/* The reason phrase of a status line. */
const char *
fault_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 499: return "Client Closed Request";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 507: return "Insufficient Storage";
	default: return status < 400 ? "OK" : "Error";
	}
}

/*
 * Append {"error":{"message","type","param","code"}} for f to b.  An
 * empty message and a NULL code take the table's defaults.
 */
enum vn_err
fault_envelope(struct buf *b, const struct fault *f)
{
	enum vn_err	 e = (unsigned)f->err < VN__MAX ? f->err : VN_ESYS;
	const char	*msg, *code, *type;
	enum vn_err	 rc;

	msg = f->msg[0] != '\0' ? f->msg : err_table[e].message;
	if (msg == NULL)
		msg = "";
	code = f->code != NULL ? f->code : err_table[e].code;
	type = f->type[0] != '\0' ? f->type : fault_err_type(e);
	if ((rc = buf_addstr(b, "{\"error\":{\"message\":")) != VN_OK ||
	    (rc = buf_add_json_string(b, msg, strlen(msg))) != VN_OK ||
	    (rc = buf_addstr(b, ",\"type\":")) != VN_OK ||
	    (rc = buf_add_json_string(b, type, strlen(type))) != VN_OK ||
	    (rc = buf_addstr(b, ",\"param\":")) != VN_OK)
		return rc;
	rc = f->param[0] != '\0' ?
	    buf_add_json_string(b, f->param, strlen(f->param)) :
	    buf_addstr(b, "null");
	if (rc != VN_OK || (rc = buf_addstr(b, ",\"code\":")) != VN_OK)
		return rc;
	rc = code != NULL ? buf_add_json_string(b, code, strlen(code)) :
	    buf_addstr(b, "null");
	if (rc != VN_OK)
		return rc;
	return buf_addstr(b, "}}");
}
