/*
 * sse.h: an incremental text/event-stream parser (WHATWG HTML, "event
 * stream interpretation").  Pure: bytes in, events out through a
 * callback; no I/O, no globals.  One parser per stream; the result does
 * not depend on how the stream is cut into sse_feed() calls.
 */
#ifndef SSE_H
#define SSE_H

#include "venna.h"
#include "buf.h"

/*
 * One dispatched event.  The pointers are valid only during the
 * callback.  event and id are NUL-terminated; data is NOT (it may point
 * into the caller's input), so use data_len.  data may hold NUL bytes.
 */
struct sse_event {
	const char	*event;		/* last "event:" value, "" if none */
	size_t		 event_len;
	const char	*data;		/* "data:" values joined by '\n' */
	size_t		 data_len;
	const char	*id;		/* last "id:" value, "" if none */
	size_t		 id_len;
};

/*
 * Called once per dispatched event.  A return other than VN_OK stops
 * parsing; sse_feed() returns it and the parser stays failed.
 */
typedef enum vn_err (*sse_cb)(void *arg, const struct sse_event *);

/* The field a line names, known once its colon (or its end) is seen. */
enum sse_field {
	SSE_FIELD_OTHER = 0,	/* comment, "retry", unknown: ignored */
	SSE_FIELD_DATA,
	SSE_FIELD_EVENT,
	SSE_FIELD_ID
};

/* Where the line being read stands. */
enum sse_lstate {
	SSE_LNAME = 0,		/* reading the field name */
	SSE_LSPACE,		/* just past the colon: one ' ' is dropped */
	SSE_LVALUE		/* reading the value */
};

/*
 * Internals, shown so callers can embed the parser; treat as opaque.
 * Invariant: held + linelen <= max, and data, event, id and val together
 * never hold more than max bytes.
 */
struct sse_parser {
	struct buf	 data;	/* data values, '\n'-joined */
	struct buf	 event;	/* event type of the event being built */
	struct buf	 id;	/* last event id; persists across events */
	struct buf	 val;	/* event/id value while its line is read */
	const char	*pend;	/* first data value, still in the input */
	size_t		 pendlen;
	size_t		 max;	/* cap on one event, from sse_init() */
	size_t		 held;	/* event bytes held when the line began */
	size_t		 linelen; /* bytes of the current line so far */
	char		 name[8]; /* field name of the current line */
	size_t		 namelen; /* > sizeof(name): longer than any known */
	enum sse_field	 field;
	enum sse_lstate	 lstate;
	enum vn_err	 err;	/* sticky: once set, every call fails */
	unsigned int	 bomlen; /* BOM bytes matched; 3 once decided */
	int		 have_data; /* a data line was seen in this event */
	int		 skiplf; /* the last chunk ended in CR */
};

void		 sse_init(struct sse_parser *, size_t max_event);
enum vn_err	 sse_feed(struct sse_parser *, const char *, size_t, sse_cb,
		    void *);
enum vn_err	 sse_finish(struct sse_parser *, sse_cb, void *);
void		 sse_free(struct sse_parser *);

#endif /* SSE_H */
