/*
 * jscan.c: JSON over bytes (jscan.h).
 *
 * The check runs before json-c sees a text: json-c accepts
 * single-quoted keys, NaN, Infinity and lone surrogates even in its
 * strict mode, and a gateway that forwards or re-serializes a body must
 * not pass any of them on; it also has no cap but depth, and a 16 MiB
 * body of empty objects would cost it gigabytes.  One linear pass, an
 * explicit stack bounded by depth, no allocation.
 *
 * The walkers assume a text the check accepted: strings are skipped
 * whole, brackets counted.
 */
#include "config.h"

#include <string.h>

#include "jscan.h"

size_t
jscan_space(const char *s, size_t i, size_t n)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' ||
	    s[i] == '\r'))
		i++;
	return i;
}

static int
hex4(const char *s, size_t i, size_t n, unsigned *out)
{
	unsigned	 v = 0;
	size_t		 k;
	int		 c;

	if (i > n || n - i < 4)
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
check_string(const char *s, size_t i, size_t n)
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
				if (!hex4(s, i + 1, n, &u))
					return 0;
				i += 5;
				if (u >= 0xdc00 && u <= 0xdfff)
					return 0;	/* lone low surrogate */
				if (u >= 0xd800 && u <= 0xdbff) {
					if (n - i < 6 || s[i] != '\\' ||
					    s[i + 1] != 'u' ||
					    !hex4(s, i + 2, n, &lo) ||
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
check_number(const char *s, size_t i, size_t n)
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

/*
 * Check that s[0..n) is one JSON text, nested at most depth levels, and
 * that json-c's tree of it would cost at most max_cost bytes (0: any).
 * Fills *r (the first bad byte, the values and the cost counted so far).
 */
enum jscan_verdict
jscan_check(const char *s, size_t n, int depth, size_t max_cost,
    struct jscan_result *r)
{
	char			 stack[JSCAN_MAX_DEPTH]; /* '{' or '[' */
	int			 top = 0;
	size_t			 i = 0, next;
	int			 want_value = 1;	/* else ',' or closer */
	enum jscan_verdict	 why = JSCAN_SYNTAX;

	memset(r, 0, sizeof(*r));
	if (depth > JSCAN_MAX_DEPTH)
		depth = JSCAN_MAX_DEPTH;
	for (;;) {
		i = jscan_space(s, i, n);
		if (i >= n)
			break;
		if (want_value) {
			r->values++;
			switch (s[i]) {
			case '{':
			case '[':
				if (top >= depth) {
					why = JSCAN_DEPTH;
					goto fail;
				}
				r->cost += s[i] == '{' ? JSCAN_COST_OBJECT :
				    JSCAN_COST_ARRAY;
				stack[top++] = s[i];
				i = jscan_space(s, i + 1, n);
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
				if ((next = check_string(s, i, n)) == 0)
					goto fail;
				r->cost += JSCAN_COST_SCALAR + (next - i);
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
				r->cost += JSCAN_COST_SCALAR;
				i += next;
				want_value = 0;
				break;
			default:
				if ((next = check_number(s, i, n)) == 0)
					goto fail;
				r->cost += JSCAN_COST_SCALAR;
				i = next;
				want_value = 0;
				break;
			}
			if (max_cost > 0 && r->cost > max_cost) {
				why = JSCAN_COST;
				goto fail;
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
		i = jscan_space(s, i + 1, n);
		if (stack[top - 1] == '[') {
			want_value = 1;
			continue;
		}
		if (i >= n || s[i] != '"')
			goto fail;
key:
		if ((next = check_string(s, i, n)) == 0)
			goto fail;
		r->cost += JSCAN_COST_MEMBER + (next - i);
		i = jscan_space(s, next, n);
		if (i >= n || s[i] != ':')
			goto fail;
		i++;
		want_value = 1;
	}
	i = jscan_space(s, i, n);
	if (top == 0 && !want_value && i == n)
		return JSCAN_OK;
fail:
	r->bad = i;
	return why;
}

/* 1 if s is one valid JSON text no deeper than depth. */
int
jscan_valid(const char *s, size_t n, int depth)
{
	struct jscan_result	 r;

	return jscan_check(s, n, depth, 0, &r) == JSCAN_OK;
}

/* In a valid text: the offset after the string opening at s[i]. */
static size_t
skip_string(const char *s, size_t i, size_t n)
{
	for (i++; i < n && s[i] != '"'; i++)
		if (s[i] == '\\')
			i++;
	return i < n ? i + 1 : n;
}

/* In a valid text: the offset after the value starting at s[i]. */
size_t
jscan_skip(const char *s, size_t i, size_t n)
{
	size_t	 depth = 0;

	if (i < n && s[i] == '"')
		return skip_string(s, i, n);
	if (i < n && s[i] != '{' && s[i] != '[') {
		/* A number or a literal: up to the next delimiter. */
		while (i < n && strchr(",}] \t\r\n", s[i]) == NULL)
			i++;
		return i;
	}
	for (; i < n; i++) {
		if (s[i] == '"')
			i = skip_string(s, i, n) - 1;
		else if (s[i] == '{' || s[i] == '[')
			depth++;
		else if ((s[i] == '}' || s[i] == ']') && --depth == 0)
			return i + 1;
	}
	return n;
}

/*
 * The next member of the valid JSON object s[0..n), *i being where the
 * walk stands (0 to start).  Sets the key's span (quotes included) and
 * the value's.  Returns 0 after the last member, or when s is not an
 * object.
 */
int
jscan_member_next(const char *s, size_t n, size_t *i, struct jscan_span *k,
    struct jscan_span *v)
{
	size_t	 p = jscan_space(s, *i, n), e;

	if (*i == 0 && (p >= n || s[p] != '{'))
		return 0;
	if (p < n && (s[p] == '{' || s[p] == ','))
		p = jscan_space(s, p + 1, n);
	if (p >= n || s[p] != '"')
		return 0;
	e = skip_string(s, p, n);
	k->p = s + p;
	k->n = e - p;
	p = jscan_space(s, e, n);
	p = jscan_space(s, p + 1, n);		/* past the ':' */
	e = jscan_skip(s, p, n);
	v->p = s + p;
	v->n = e - p;
	*i = jscan_space(s, e, n);
	return 1;
}

/*
 * The next element of the valid JSON array s[0..n), *i being where the
 * walk stands (0 to start).  Returns 0 after the last one, or when s is
 * not an array.
 */
int
jscan_element_next(const char *s, size_t n, size_t *i, struct jscan_span *v)
{
	size_t	 p = jscan_space(s, *i, n), e;

	if (*i == 0) {
		if (p >= n || s[p] != '[')
			return 0;
		p = jscan_space(s, p + 1, n);
	} else if (p < n && s[p] == ',')
		p = jscan_space(s, p + 1, n);
	else
		return 0;
	if (p >= n || s[p] == ']')
		return 0;
	e = jscan_skip(s, p, n);
	v->p = s + p;
	v->n = e - p;
	*i = jscan_space(s, e, n);
	return 1;
}

/*
 * The value of the top-level member key of the valid JSON object
 * s[0..n).  With duplicate keys the last counts, as in json-c, so a
 * scan and a tree never disagree.  Returns 1 if found.
 */
int
jscan_member(const char *s, size_t n, const char *key, struct jscan_span *v)
{
	struct jscan_span	 k, val;
	size_t			 i = 0;
	int			 found = 0;

	while (jscan_member_next(s, n, &i, &k, &val))
		if (jscan_key_is(&k, key)) {
			*v = val;
			found = 1;
		}
	return found;
}

/*
 * Does the key span (a valid JSON string, quotes included) decode to
 * name?  Unescaped keys are compared as they are.
 */
int
jscan_key_is(const struct jscan_span *k, const char *name)
{
	char	 buf[256];
	size_t	 len, nlen = strlen(name);

	if (k->n < 2)
		return 0;
	if (memchr(k->p, '\\', k->n) == NULL)
		return k->n - 2 == nlen && memcmp(k->p + 1, name, nlen) == 0;
	if (nlen >= sizeof(buf))
		return 0;
	return jscan_string(k, buf, sizeof(buf), &len) == 1 && len == nlen &&
	    memcmp(buf, name, len) == 0;
}

/* Append code point u to out as UTF-8; 0 if it does not fit. */
static int
put_utf8(char *out, size_t outsz, size_t *o, unsigned u)
{
	unsigned char	 b[4];
	size_t		 k, len;

	if (u < 0x80) {
		b[0] = (unsigned char)u;
		len = 1;
	} else if (u < 0x800) {
		b[0] = (unsigned char)(0xc0 | u >> 6);
		b[1] = (unsigned char)(0x80 | (u & 0x3f));
		len = 2;
	} else if (u < 0x10000) {
		b[0] = (unsigned char)(0xe0 | u >> 12);
		b[1] = (unsigned char)(0x80 | (u >> 6 & 0x3f));
		b[2] = (unsigned char)(0x80 | (u & 0x3f));
		len = 3;
	} else {
		b[0] = (unsigned char)(0xf0 | u >> 18);
		b[1] = (unsigned char)(0x80 | (u >> 12 & 0x3f));
		b[2] = (unsigned char)(0x80 | (u >> 6 & 0x3f));
		b[3] = (unsigned char)(0x80 | (u & 0x3f));
		len = 4;
	}
	if (outsz - *o <= len)
		return 0;
	for (k = 0; k < len; k++)
		out[(*o)++] = (char)b[k];
	return 1;
}

/*
 * Decode the string span v (valid JSON, quotes included) into out,
 * NUL-terminated, its length in *len.  Returns 1 on success, 0 when v
 * is not a string, -1 when it holds a NUL or does not fit in outsz.
 */
int
jscan_string(const struct jscan_span *v, char *out, size_t outsz,
    size_t *len)
{
	const char	*s = v->p;
	size_t		 i, n = v->n, o = 0;
	unsigned	 u, lo;
	char		 c;

	if (n < 2 || s[0] != '"' || s[n - 1] != '"' || outsz == 0)
		return 0;
	for (i = 1; i < n - 1; i++) {
		c = s[i];
		if (c != '\\') {
			if (c == '\0' || outsz - o <= 1)
				return -1;
			out[o++] = c;
			continue;
		}
		if (++i >= n - 1)
			return 0;
		switch (s[i]) {
		case 'b': c = '\b'; break;
		case 'f': c = '\f'; break;
		case 'n': c = '\n'; break;
		case 'r': c = '\r'; break;
		case 't': c = '\t'; break;
		case 'u':
			if (!hex4(s, i + 1, n, &u))
				return 0;
			i += 4;
			if (u >= 0xd800 && u <= 0xdbff) {
				if (i + 6 >= n || s[i + 1] != '\\' ||
				    s[i + 2] != 'u' || !hex4(s, i + 3, n, &lo) ||
				    lo < 0xdc00 || lo > 0xdfff)
					return 0;
				u = 0x10000 + ((u - 0xd800) << 10) +
				    (lo - 0xdc00);
				i += 6;
			}
			if (u == 0)
				return -1;
			if (!put_utf8(out, outsz, &o, u))
				return -1;
			continue;
		default:
			c = s[i];	/* '"', '\\' or '/' */
			break;
		}
		if (outsz - o <= 1)
			return -1;
		out[o++] = c;
	}
	out[o] = '\0';
	*len = o;
	return 1;
}
