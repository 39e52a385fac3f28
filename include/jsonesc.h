/*
 * jsonesc.h: JSON string literals and one-line JSON objects written
 * into fixed buffers, for the log: whatever bytes go in (a client's
 * path, a message quoting a body), what comes out is valid JSON, even
 * when it has to be cut short to fit.
 */
#ifndef JSONESC_H
#define JSONESC_H

#include "venna.h"

size_t	jsonesc(char *dst, size_t dstsz, const char *src, size_t len,
	    size_t *used);

/*
 * An object being written into buf, cap bytes in all: the members go
 * in one by one, and one that does not fit is cut (a string) or left
 * out (anything else), with cut set; jline_end closes it.
 */
struct jline {
	char	*buf;
	size_t	 cap;
	size_t	 len;
	int	 members;
	int	 cut;
};

void	jline_begin(struct jline *, char *buf, size_t cap);
void	jline_str(struct jline *, const char *key, const char *val);
void	jline_strn(struct jline *, const char *key, const char *val,
	    size_t len);
void	jline_raw(struct jline *, const char *key, const char *json);
void	jline_int(struct jline *, const char *key, long long);
size_t	jline_end(struct jline *);

#endif /* JSONESC_H */
