/*
 * relay.h: carrying one model call's answer back to the client, from an
 * upstream or from the echo model: the body of a non-streamed answer,
 * or the events of a stream, relayed one by one.
 */
#ifndef RELAY_H
#define RELAY_H

#include "venna.h"
#include "buf.h"
#include "sse.h"

struct ctx;

/*
 * Where a stream's chunks go instead of the client (the Responses API
 * turns them into its own events): every chat.completion.chunk, the
 * held finish chunks and the usage chunk included, then end() once the
 * usage row is written.
 */
struct relay_sink {
	enum vn_err	(*chunk)(void *arg, const char *json, size_t len);
	enum vn_err	(*end)(void *arg);
	void		*arg;
};

struct relay {
	struct ctx	*c;
	int		 stream;
	int		 client_usage;	/* the client asked for usage */
	long		 keepalive_ms;
	const struct relay_sink *sink;	/* NULL: the client gets chunks */

	/* one attempt */
	long		 status;	/* the upstream's HTTP status */
	struct buf	 body;		/* a non-streamed 2xx answer */
	size_t		 body_held;	/* its memory, taken */
	struct buf	 errbody;	/* a non-2xx answer, capped */
	struct sse_parser sse;
	int		 done;		/* [DONE] seen */
	int		 bad;		/* garbage or over a cap */
	int		 upstream_error; /* an error event in the stream */

	/* the whole request */
	int		 started;	/* event-stream headers sent */
	int		 forwarded;	/* a data event reached the client */
	struct buf	 held;		/* finish chunks, held until billed */
	int64_t		 prompt, completion, cached;
	int		 have_usage;
	struct buf	 usage_chunk;	/* the usage chunk, for the client */
	int64_t		 deltas;	/* content chunks (estimates) */
	long long	 last_write_ms;
};

void		relay_init(struct relay *, struct ctx *, int stream,
		    int client_usage);
void		relay_attempt(struct relay *);
void		relay_free(struct relay *);
enum vn_err	relay_on_data(void *, long status, const char *, size_t);
enum vn_err	relay_on_tick(void *, int got_bytes);
enum vn_err	relay_chunk(void *, const char *json, size_t len);
enum vn_err	relay_stream_finish(struct relay *);
int		relay_truncated(struct relay *);

#endif /* RELAY_H */
