/*
 * responses.h: running one response of the Responses API over a chat
 * upstream: the chat call (routed, failed over and billed by call.c),
 * the answer converted back (respconv.h), stored (respstore.h), and
 * sent to the client, as JSON or as the API's events.  A background
 * response runs the same way on a request without a client
 * (background.h), its end recorded in its stored row.
 */
#ifndef RESPONSES_H
#define RESPONSES_H

#include "venna.h"
#include "buf.h"
#include "respconv.h"
#include "respstore.h"

struct json_object;

/* One response to run; the caller fills the first part. */
struct responses_turn {
	struct json_object	*req;		/* checked create request */
	const char		*request_text;	/* req as stored */
	const char		*model;		/* as the client named it */
	const char		*previous_response_id;	/* or NULL */
	struct json_object	*history;	/* the chain's items, or NULL */
	struct json_object	*items;		/* this turn's input items */
	char			 id[VN_MAX_ID + 1];
	int64_t			 created_at;
	int			 stream;	/* the client wants events */
	int			 store;		/* keep it (store: true) */
	int64_t			 seq;		/* background: its row */
	const char		*owner;		/* background: its holder */

	/* the run's own */
	struct ctx		*c;
	struct respconv_stream	 s;
	int			 s_live;
	struct buf		 terminal;	/* the last event, held */
	char			 terminal_type[40];
	int			 stored;
};

enum vn_err	 responses_run(struct ctx *, struct responses_turn *);
void		 responses_turn_free(struct responses_turn *);
enum vn_err	 responses_history(struct ctx *, const char *prev,
		    struct json_object **);
void		 responses_row(struct respstore_new *, const struct ctx *,
		    const struct responses_turn *);
struct json_object *responses_object(const struct respstore_row *,
		    struct json_object **req);

#endif /* RESPONSES_H */
