/*
 * api_admin_reply.h: what every Admin API handler answers with: a
 * cursor list written object by object as the database hands them out,
 * an object or an error, and the admin env acting for the caller.
 */
#ifndef API_ADMIN_REPLY_H
#define API_ADMIN_REPLY_H

#include "venna.h"

/* The most an answer or a body of the Admin API holds. */
#define API_ADMIN_MAX_BODY	(2 * 1024 * 1024)
#define API_ADMIN_ID_MAX	160	/* an object id in a list */

struct admin_env;

/* Write one object; object is the listing's (its "object" value). */
typedef enum vn_err (*api_admin_obj_json)(struct buf *, const void *,
    const char *object);

/* A list being written: the objects, the first and last ids. */
struct api_admin_listing {
	struct buf		*b;
	api_admin_obj_json	 fn;
	const char		*object;	/* passed to fn, or NULL */
	size_t			 idoff;		/* of the object's id */
	size_t			 n;
	char			 first[API_ADMIN_ID_MAX + 1];
	char			 last[API_ADMIN_ID_MAX + 1];
};

enum vn_err	 api_admin_list_begin(struct api_admin_listing *,
		    struct buf *, api_admin_obj_json, const char *object,
		    size_t idoff);
int		 api_admin_list_each(void *listing, const void *obj);
enum vn_err	 api_admin_list_end(struct api_admin_listing *, int more);
enum vn_err	 api_admin_answer(struct ctx *, struct buf *, enum vn_err);
struct db	*api_admin_env_open(struct ctx *, struct admin_env *);

#endif /* API_ADMIN_REPLY_H */
