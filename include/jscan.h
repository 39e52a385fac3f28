/*
 * jscan.h: JSON over bytes, without building anything.  One strict
 * RFC 8259 check (UTF-8, surrogates, depth) that also counts what a
 * json-c tree of the text would cost, and walkers over validated text
 * that give the spans of members and elements.  Pure: no allocation, no
 * I/O; every caller that reads a member without a tree goes through
 * here.
 */
#ifndef JSCAN_H
#define JSCAN_H

#include "venna.h"

#define JSCAN_MAX_DEPTH		1024

/*
 * What json-c allocates per value, measured on json-c 0.16 (x86_64,
 * glibc): an object's hash table is most of it.  A string also costs
 * its bytes.  Used to refuse a text before json-c builds it.
 */
#define JSCAN_COST_OBJECT	800
#define JSCAN_COST_ARRAY	150
#define JSCAN_COST_MEMBER	100
#define JSCAN_COST_SCALAR	80

enum jscan_verdict {
	JSCAN_OK = 0,	/* one valid JSON text within the caps */
	JSCAN_SYNTAX,	/* invalid JSON, or text after the value */
	JSCAN_DEPTH,	/* nested deeper than allowed */
	JSCAN_COST	/* its tree would cost more than allowed */
};

struct jscan_result {
	size_t	 bad;		/* offset of the first bad byte */
	size_t	 values;	/* values of any kind */
	size_t	 cost;		/* estimated json-c tree bytes */
};

struct jscan_span {
	const char	*p;
	size_t		 n;
};

enum jscan_verdict jscan_check(const char *, size_t, int depth,
		    size_t max_cost, struct jscan_result *);
int		 jscan_valid(const char *, size_t, int depth);
size_t		 jscan_space(const char *, size_t i, size_t n);
size_t		 jscan_skip(const char *, size_t i, size_t n);
int		 jscan_member_next(const char *, size_t, size_t *i,
		    struct jscan_span *key, struct jscan_span *val);
int		 jscan_element_next(const char *, size_t, size_t *i,
		    struct jscan_span *val);
int		 jscan_member(const char *, size_t, const char *key,
		    struct jscan_span *val);
int		 jscan_key_is(const struct jscan_span *, const char *);
int		 jscan_string(const struct jscan_span *, char *out,
		    size_t outsz, size_t *len);

#endif /* JSCAN_H */
