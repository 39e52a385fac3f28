/*
 * jsonedit.h: a JSON object forwarded as its bytes, with some top-level
 * members set or dropped.  Values a gateway does not own go out exactly
 * as the client sent them: no number is rounded or clamped, no string
 * re-escaped, as a parse and re-serialization would.
 */
#ifndef JSONEDIT_H
#define JSONEDIT_H

#include "venna.h"

struct buf;

struct jsonedit {
	const char	*key;
	const char	*value;		/* JSON text; NULL: drop the member */
	size_t		 len;		/* of value */
	int		 add;		/* append it when the key is absent */
};

enum vn_err	jsonedit_apply(const char *, size_t, const struct jsonedit *,
		    size_t nedits, struct buf *out);

#endif /* JSONEDIT_H */
