/*
 * respconv.h: the Responses API (/v1/responses) over any chat-completions
 * upstream, by translation.  A create request is checked, its input is
 * normalised into the items GET /v1/responses/{id}/input_items lists, and
 * it becomes a chat.completions request; a chat.completion, or the
 * chat.completion.chunk payloads of a stream, become output items, usage
 * and the Responses stream events (openai-api.md §5).  Pure: no I/O, no
 * database, no clock; the caller stores, sends and times.
 */
#ifndef RESPCONV_H
#define RESPCONV_H

#include "venna.h"

struct fault;
struct json_object;

#define RESPCONV_STREAM_MAX	(16 * 1024 * 1024)	/* text + arguments */
#define RESPCONV_MAX_CALLS	128	/* tool calls in one answer */
#define RESPCONV_MAX_ITEMS	256	/* output items in one answer */
#define RESPCONV_ERRMSG		256

/* What respconv_check() read; strings point into the request. */
struct respconv_opts {
	const char	*model;
	const char	*previous_response_id;	/* NULL if none */
	int		 stream;
	int		 store;		/* 1 unless "store": false */
	int		 background;
};

/*
 * An answer in Responses terms.  output and usage are references the
 * holder drops with respconv_result_free(); the strings are static or
 * inside.
 */
struct respconv_result {
	struct json_object	*output;	/* array of output items */
	struct json_object	*usage;		/* Responses usage or NULL */
	const char		*status;	/* completed, incomplete... */
	const char		*incomplete_reason;	/* or NULL */
	const char		*error_code;	/* "server_error" or NULL */
	char			 error_message[RESPCONV_ERRMSG];
	int64_t			 input_tokens;
	int64_t			 output_tokens;
	int			 have_usage;
};

/*
 * What a Response object is made of.  req is the checked create request
 * (the source of every echo); the rest is the response's own state.
 * NULL or 0 gives the JSON null or the default the API shows.
 */
struct respconv_fields {
	struct json_object	*req;
	const char		*id;		/* resp_... */
	const char		*status;	/* NULL: in_progress */
	int64_t			 created_at;
	int64_t			 completed_at;	/* 0: null */
	const char		*model;		/* NULL: the request's */
	struct json_object	*output;	/* NULL: [] */
	struct json_object	*usage;		/* Responses usage or NULL */
	const char		*error_code;	/* NULL: "error": null */
	const char		*error_message;
	const char		*incomplete_reason;	/* NULL: null */
	const char		*service_tier;	/* NULL: the request's */
};

/*
 * The stream converter's callback: one Responses event, its type and
 * its JSON text (NUL-terminated, valid only during the call).  An error
 * it returns stops the events (not the conversion) and is handed back
 * from every later call.
 */
typedef enum vn_err	(*respconv_emit_fn)(void *, const char *,
			    const char *, size_t);

struct respconv_item;

/*
 * One streamed answer.  The fields are the converter's; the caller may
 * read seq, the next sequence_number (seq - 1 was the last one sent).
 */
struct respconv_stream {
	struct json_object	*req;		/* a reference held */
	char			 id[VN_MAX_ID + 1];
	char			*model;
	int64_t			 created_at;
	respconv_emit_fn	 emit;
	void			*arg;
	int64_t			 seq;
	size_t			 max;		/* cap on held bytes */
	size_t			 held;
	struct respconv_item	*items;
	size_t			 nitems;
	size_t			 itemscap;
	size_t			 ncalls;
	long			 open_msg;	/* item index or -1 */
	long			 last_call;	/* item index or -1 */
	struct json_object	*usage;		/* Responses usage or NULL */
	const char		*finish;	/* finish_reason or NULL */
	int			 started;
	int			 saw_done;
	int			 ended;
	int			 failed;
	enum vn_err		 err;		/* sticky callback error */
	char			 error_message[RESPCONV_ERRMSG];
	struct json_object	*final;		/* the terminal Response */
};

/* respconv.c */
enum vn_err	 respconv_check(struct json_object *, struct respconv_opts *,
		    struct fault *);
enum vn_err	 respconv_input_items(struct json_object *,
		    struct json_object **, struct fault *);

/* respconv_chat.c */
enum vn_err	 respconv_chat_request(struct json_object *,
		    struct json_object *, const char *, struct json_object **,
		    struct fault *);

/* respconv_output.c */
enum vn_err	 respconv_output(struct json_object *,
		    struct respconv_result *, struct fault *);
enum vn_err	 respconv_usage(struct json_object *, struct json_object **);
struct json_object *respconv_response(const struct respconv_fields *);
enum vn_err	 respconv_stream_result(const struct respconv_stream *,
		    struct respconv_result *);
void		 respconv_result_free(struct respconv_result *);

/* respconv_stream.c */
enum vn_err	 respconv_stream_init(struct respconv_stream *,
		    const struct respconv_fields *, size_t, respconv_emit_fn,
		    void *);
enum vn_err	 respconv_stream_start(struct respconv_stream *);
enum vn_err	 respconv_stream_chunk(struct respconv_stream *, const char *,
		    size_t);
enum vn_err	 respconv_stream_finish(struct respconv_stream *, int64_t,
		    const char *);
struct json_object *respconv_stream_response(const struct respconv_stream *);
void		 respconv_stream_free(struct respconv_stream *);

#endif /* RESPCONV_H */
