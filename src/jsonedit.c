/*
 * jsonedit.c: top-level member edits over a JSON object's bytes
 * (jsonedit.h).  The object must be one a jscan check accepted.  Every
 * member is copied as it came (key, the space around the colon, value);
 * only the separators between members are rewritten, a comma each.
 * Every occurrence of an edited key is edited, so a duplicate can never
 * carry a value past it.
 */
#include "config.h"

#include <string.h>

#include "buf.h"
#include "jscan.h"
#include "jsonedit.h"

#define EDITS_MAX	16

/*
 * Append to out the object s[0..n) with edits e[0..ne) applied.
 * VN_EINVAL if s is not an object or ne is over EDITS_MAX; out's own
 * error (its cap, memory) otherwise.
 */
enum vn_err
jsonedit_apply(const char *s, size_t n, const struct jsonedit *e, size_t ne,
    struct buf *out)
{
	struct jscan_span	 k, v;
	int			 seen[EDITS_MAX];
	size_t			 i = 0, j, kept = 0;
	enum vn_err		 rc;

	if (ne > EDITS_MAX || n == 0 || s[jscan_space(s, 0, n)] != '{')
		return VN_EINVAL;
	memset(seen, 0, sizeof(seen));
	if ((rc = buf_addc(out, '{')) != VN_OK)
		return rc;
	while (jscan_member_next(s, n, &i, &k, &v)) {
		for (j = 0; j < ne && !jscan_key_is(&k, e[j].key); j++)
			continue;
		if (j < ne) {
			seen[j] = 1;
			if (e[j].value == NULL)
				continue;
		}
		if (kept++ > 0 && (rc = buf_addc(out, ',')) != VN_OK)
			return rc;
		if (j == ne)	/* untouched: key to value end, as sent */
			rc = buf_add(out, k.p, (size_t)(v.p + v.n - k.p));
		else if ((rc = buf_add(out, k.p, (size_t)(v.p - k.p))) ==
		    VN_OK)
			rc = buf_add(out, e[j].value, e[j].len);
		if (rc != VN_OK)
			return rc;
	}
	for (j = 0; j < ne; j++) {
		if (seen[j] || !e[j].add || e[j].value == NULL)
			continue;
		if ((kept++ > 0 && (rc = buf_addc(out, ',')) != VN_OK) ||
		    (rc = buf_add_json_string(out, e[j].key,
		    strlen(e[j].key))) != VN_OK ||
		    (rc = buf_addc(out, ':')) != VN_OK ||
		    (rc = buf_add(out, e[j].value, e[j].len)) != VN_OK)
			return rc;
	}
	return buf_addc(out, '}');
}
