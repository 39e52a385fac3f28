/*
 * mock.h: what the parts of the mock upstream (tests/mock/) share.  The
 * program is one event loop (mock_upstream.c) around pieces that never
 * touch a socket: bounded buffers (mock_buf.c), the HTTP request parser
 * (mock_http.c), knobs (mock_knobs.c), OpenAI bodies and SSE events
 * (mock_openai.c) and the request log (mock_log.c).
 */
#ifndef MOCK_H
#define MOCK_H

#include <stddef.h>
#include <stdint.h>

#include <json.h>

#define MAX_HEAD	(64 * 1024)		/* request line and headers */
#define MAX_BODY	(64 * 1024 * 1024)	/* request body; 413 beyond */
#define MAX_CHUNKLINE	1024			/* chunk-size line, request */
#define MAX_OUT		(256 * 1024 * 1024)	/* unsent output, one conn */
#define MAX_TEXT	(1024 * 1024)		/* "text" knob */
#define MAX_PAD		(64 * 1024 * 1024)	/* "bytes" knob */
#define MAX_DELAY	3600000			/* ms, any delay knob */
#define MAX_CHUNKS	100000			/* "chunks" knob */
#define QUOTE_MAX	200			/* user text echoed back */
#define LOG_MAX		100			/* requests kept for the log */
#define LOG_BODY_MAX	(64 * 1024)		/* body kept as a string */
#define LOG_JSON_MAX	(1024 * 1024)		/* more JSON: logged as text */
#define JFLAGS		(JSON_C_TO_STRING_PLAIN | \
			    JSON_C_TO_STRING_NOSLASHESCAPE)

/* A byte buffer with a hard cap; it frees itself when an append fails. */
struct sbuf {
	char	*p;		/* NUL-terminated when non-NULL */
	size_t	 len;
	size_t	 cap;
	size_t	 max;
};

/* Per-request behaviour; names, ranges and meaning in knob_tab[]. */
struct knobs {
	long	 latency, jitter, chunks, interval, status, retry_after;
	long	 cut, garbage, never, first_byte, split, tool_calls, bytes;
	long	 ts;
	char	*text;		/* owned; NULL: the default reply */
};

/* Chunked request body decoder states. */
enum dstate { D_SIZE, D_DATA, D_CRLF, D_TRAILER };

/* Request parsing state; reset after every request. */
struct pstate {
	size_t		 scan;		/* where the CRLFCRLF search resumes */
	size_t		 hdrlen;	/* 0 until the head is complete */
	long long	 clen;		/* -1: no Content-Length */
	int		 chunked;	/* Transfer-Encoding: chunked */
	int		 keepalive;	/* the connection may be reused */
	int		 http10;	/* HTTP/1.0 request */
	int		 expect;	/* Expect: 100-continue */
	int		 sent100;	/* and 100 Continue was sent */
	char		 method[16];
	size_t		 targetoff, targetlen, pathlen;	/* in the buffer */
	size_t		 hdrsoff, hdrslen;	/* header lines, CRLF between */
	size_t		 authoff, authlen;	/* Authorization value */
	enum dstate	 ds;		/* chunked decoding: */
	size_t		 dpos;		/* next byte to decode */
	size_t		 dout;		/* end of the decoded body */
	size_t		 dleft;		/* bytes left in this chunk */
};

/* The events of a chat stream, in order. */
enum step { S_ROLE, S_GARBAGE, S_CONTENT, S_FINISH, S_USAGE, S_DONE, S_END };

/* A complete request; pointers into the connection's input buffer. */
struct req {
	char		 method[16];
	const char	*target, *path, *hdrs, *auth, *body;
	size_t		 targetlen, pathlen, hdrslen, authlen, bodylen;
	size_t		 reqlen;	/* bytes to consume afterwards */
	json_object	*json;		/* parsed body or NULL; borrowed */
};

/* One response under way. */
struct resp {
	struct knobs	 k;
	int		 status;	/* HTTP status of the answer */
	int		 stream;	/* SSE; otherwise body is the answer */
	int		 include_usage;	/* stream_options.include_usage */
	int		 tool;		/* answer with a function call */
	const char	*ctype;
	struct sbuf	 body;		/* non-stream body */
	char		*head;		/* chunk JSON up to ',"choices"' */
	char		*text;		/* reply text or tool arguments */
	size_t		 textlen;
	char		*tool_name;
	char		 call_id[32];
	long		 ptok, ctok;
	enum step	 step;
	long		 ci;		/* content chunks sent */
	uint64_t	 due;		/* when the current step was due */
	long		 after_split;	/* delay once split pieces are out */
};

/* A status line reason and the error envelope sent with that status. */
struct errdef {
	int		 status;
	const char	*reason, *type, *code, *msg;
};

/* Counters for GET /_mock/stats. */
struct mock_stats {
	unsigned long long	 requests;	/* excluding /_mock/ */
	unsigned long long	 bytes_out;
	unsigned long long	 aborted;	/* client left mid-response */
	long			 active;	/* responses under way */
	long			 conns;		/* open connections */
};

extern struct mock_stats	 stats;

/* mock_upstream.c */
uint64_t	 mock_rnd(void);

/* mock_buf.c */
void		*xrealloc(void *, size_t);
char		*xstrndup(const char *, size_t);
void		 sb_free(struct sbuf *);
int		 sb_reserve(struct sbuf *, size_t);
int		 sb_add(struct sbuf *, const void *, size_t);
int		 sb_adds(struct sbuf *, const char *);
int		 sb_addj(struct sbuf *, json_object *);
int		 sb_jstr(struct sbuf *, const char *, size_t);

/* mock_http.c */
int		 http_parse(struct pstate *, struct sbuf *, struct req *,
		    int *);

/* mock_knobs.c */
void		 knobs_init(struct knobs *);
void		 knobs_copy(struct knobs *, const struct knobs *);
int		 knobs_set(struct knobs *, const char *, size_t, const char *,
		    json_object *, char *, size_t);
int		 knobs_resolve(struct knobs *, const struct knobs *,
		    json_object *, char *, size_t);

/* mock_openai.c */
const struct errdef *openai_errdef(int);
void		 openai_id(char *, size_t, const char *);
struct resp	*resp_new(void);
void		 resp_free(struct resp *);
void		 resp_json(struct resp *, int, json_object *);
void		 resp_error(struct resp *, int, const char *, const char *,
		    const char *);
void		 openai_chat(struct resp *, struct req *);
void		 openai_embeddings(struct resp *, struct req *);
void		 openai_models(struct resp *, struct req *);
int		 openai_event(struct resp *, enum step, struct sbuf *);

/* mock_log.c */
void		 log_add(const struct req *);
void		 log_clear(void);
void		 log_requests(struct resp *, struct req *);
void		 log_reset(struct resp *, struct req *);
void		 log_stats(struct resp *, struct req *);

#endif /* MOCK_H */
