/*
 * venna.h: the vocabulary every module shares.  The error enum, the
 * limits that are not configurable, and forward declarations.  Module
 * headers include only this file and forward-declare the rest.
 */
#ifndef VENNA_H
#define VENNA_H

#include <stddef.h>
#include <stdint.h>

/*
 * One error code for the whole program.  Functions that can fail in more
 * than one way return it; fault.c maps each value to an HTTP status
 * and an OpenAI error type in one table (err_table[]).
 */
enum vn_err {
	VN_OK = 0,	/* success */
	VN_ENOMEM,	/* an allocation failed (500) */
	VN_EINVAL,	/* a request field is missing or invalid (400) */
	VN_EJSON,	/* the body is not valid JSON, or too deep (400) */
	VN_ENOKEY,	/* no API key was presented (401) */
	VN_EAUTH,	/* the API key is malformed, unknown or revoked (401) */
	VN_EPERM,	/* authenticated, but not allowed to do this (403) */
	VN_ENOTFOUND,	/* no such object in this workspace (404) */
	VN_ENOROUTE,	/* no such path under /v1 (404) */
	VN_ENOMODEL,	/* the model is not configured (404) */
	VN_EMETHOD,	/* the path exists, the method does not (405) */
	VN_ECONFLICT,	/* the object's state forbids this (409) */
	VN_ETOOBIG,	/* body or field over its configured limit (413) */
	VN_EMEDIA,	/* unsupported Content-Type (415) */
	VN_ELIMIT,	/* a rate limit or a share of the pool was hit (429) */
	VN_EQUOTA,	/* a spend limit would be passed (429) */
	VN_EUNIMPL,	/* an OpenAI endpoint Venna does not serve (501) */
	VN_EUPSTREAM,	/* every upstream failed or answered garbage (502) */
	VN_EUNAVAIL,	/* no upstream could take the request (503) */
	VN_ETIMEOUT,	/* the upstream did not answer in time (504) */
	VN_ESTORE,	/* the database failed (500) */
	VN_ESYS,	/* a system call failed (500) */
	VN_ECLIENT,	/* the client went away; nothing can be sent (499) */
	VN_ECONFIG,	/* the configuration is invalid (startup only) */
	VN__MAX
};

/* Caps that protect the process whatever the configuration says. */
#define VN_MAX_PATH		2048	/* request path, bytes */
#define VN_MAX_QUERY		4096	/* query string, bytes */
#define VN_MAX_AUTH		512	/* Authorization header, bytes */
#define VN_MAX_ID		64	/* object ids we mint or accept */
#define VN_REQUEST_ID_LEN	28	/* "req_" + 24 characters */
#define VN_ERRMSG		512	/* error message buffer */

struct buf;
struct cfg;
struct ctx;
struct store;
struct db;

#if defined(__GNUC__)
#define VN_PRINTF(f, a)	__attribute__((format(printf, f, a)))
#define VN_UNUSED	__attribute__((unused))
#else
#define VN_PRINTF(f, a)
#define VN_UNUSED
#endif

#define VN_NELEM(a)	(sizeof(a) / sizeof((a)[0]))

#endif /* VENNA_H */
