/*
 * jsonl.h: batch input files (openai-api.md §3.5), validated as the
 * bytes arrive.  One JSON object per line with "custom_id" (unique in
 * the file), "method" POST, "url" and an object "body".  The validator
 * is a pure function over bytes fed in chunks of any size: memory is
 * one line (capped) plus a set of custom_id hashes (capped by the line
 * count), and every error names its line.  Each request line is also
 * handed to a callback with its place in the file and the fields the
 * Batches runner indexes, so uploads and the runner read files the
 * same way.
 */
#ifndef JSONL_H
#define JSONL_H

#include "venna.h"
#include "buf.h"

#define JSONL_MAX_LINES		50000	/* requests per batch file */
#define JSONL_MAX_CUSTOM_ID	512	/* bytes of a decoded custom_id */
#define JSONL_MAX_URL		512	/* bytes of a decoded url */
#define JSONL_MAX_MODEL		256	/* bytes of a decoded body.model */

struct jsonl_limits {
	size_t	 max_line;	/* bytes of one line, line end excluded */
	size_t	 max_lines;	/* request lines in the file */
	int	 max_depth;	/* JSON nesting of one line */
};

/* One request line; every pointer is valid during the callback only. */
struct jsonl_line {
	size_t		 line;		/* 1-based; blank lines count */
	uint64_t	 offset;	/* of its first byte in the file */
	size_t		 length;	/* its bytes, line end excluded */
	const char	*text;		/* those bytes, not NUL-terminated */
	const char	*custom_id;	/* decoded, NUL-terminated */
	const char	*method;	/* "POST" */
	const char	*url;		/* decoded, starts with "/v1/" */
	const char	*body;		/* the body object's span in text */
	size_t		 body_len;
	const char	*model;		/* body.model; NULL if absent */
	int		 stream;	/* body.stream is true */
};

/*
 * A callback returning other than VN_OK stops the validation:
 * jsonl_feed() returns that value now and on every later call.
 */
struct jsonl_callbacks {
	enum vn_err	(*line)(void *arg, const struct jsonl_line *);
};

struct jsonl_seen;			/* custom_id hash set (jsonl.c) */

/* Internals; callers only allocate it (on the stack is fine). */
struct jsonl {
	struct jsonl_limits	 lim;
	const struct jsonl_callbacks *cb;
	void			*arg;
	struct buf		 line;		/* a line split across chunks */
	size_t			 lineno;	/* of the line being read */
	size_t			 nreq;		/* request lines so far */
	uint64_t		 pos;		/* bytes fed so far */
	uint64_t		 start;		/* offset of the current line */
	struct jsonl_seen	*seen;
	enum vn_err		 err;		/* sticky */
	const char		*errcode;	/* static; NULL when none */
	size_t			 errline;	/* 0 when not about one line */
	char			 errmsg[VN_ERRMSG];
	char			 custom_id[JSONL_MAX_CUSTOM_ID + 1];
	char			 url[JSONL_MAX_URL + 1];
	char			 model[JSONL_MAX_MODEL + 1];
};

void		 jsonl_init(struct jsonl *, const struct jsonl_limits *,
		    const struct jsonl_callbacks *, void *arg);
enum vn_err	 jsonl_feed(struct jsonl *, const char *, size_t);
enum vn_err	 jsonl_finish(struct jsonl *);
void		 jsonl_free(struct jsonl *);
size_t		 jsonl_requests(const struct jsonl *);
const char	*jsonl_error(const struct jsonl *);
const char	*jsonl_error_code(const struct jsonl *);
size_t		 jsonl_error_line(const struct jsonl *);

#endif /* JSONL_H */
