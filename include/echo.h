/*
 * echo.h: the built-in "echo" upstream.  It answers in-process and
 * deterministically, in the exact shapes of the OpenAI API: the reply
 * repeats the last user message (or calls a tool when tools are given),
 * and one token is one whitespace-separated word.
 */
#ifndef ECHO_H
#define ECHO_H

#include "venna.h"

struct buf;
struct fault;
struct json_object;

#define ECHO_MAX_CHOICES	128

struct echo_reply {
	char		*text;		/* the reply, or NULL for a tool call */
	size_t		 text_len;	/* it may hold NUL characters */
	char		*tool_name;	/* the function called, or NULL */
	char		*tool_args;	/* its arguments, a JSON text */
	char		 call_id[32];
	const char	*finish_reason;	/* "stop", "length", "tool_calls" */
	int		 n;		/* choices */
	int64_t		 prompt_tokens;
	int64_t		 completion_tokens;
};

/* Each chunk of a streamed reply goes to the caller through this. */
typedef enum vn_err (*echo_emit)(void *arg, const char *json, size_t len);

enum vn_err	echo_chat(struct json_object *request, struct echo_reply *,
		    struct fault *);
void		echo_reply_free(struct echo_reply *);
enum vn_err	echo_completion(const struct echo_reply *, const char *id,
		    long created, const char *model, struct buf *out);
enum vn_err	echo_stream(const struct echo_reply *, const char *id,
		    long created, const char *model, int include_usage,
		    echo_emit, void *arg);
enum vn_err	echo_embeddings(struct json_object *request, const char *model,
		    struct buf *out, int64_t *tokens, struct fault *);
int64_t		echo_count_words(const char *, size_t);

#endif /* ECHO_H */
