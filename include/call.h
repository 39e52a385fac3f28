/*
 * call.h: one model call made for a client: the attempts over the
 * model's upstreams in route order, failing over on 429, 5xx, timeouts
 * and broken connections, the usage row, and the answer sent back.
 */
#ifndef CALL_H
#define CALL_H

#include "venna.h"

struct cfg_model;
struct cfg_upstream;
struct json_object;
struct relay;

struct call_spec {
	const char		*endpoint;	/* "/v1/chat/completions" */
	const char		*path;		/* after base_url */
	const char		*expect;	/* key of a good answer */
	const struct cfg_model	*model;
	const char		*model_name;	/* as the client named it */
	struct json_object	*body;		/* the request, parsed */
	const char		*raw;		/* its bytes, or NULL */
	size_t			 raw_len;
	int			 stream;
	/* Answer in-process (the echo upstream), through the relay. */
	enum vn_err		(*local)(struct ctx *, struct relay *,
				    const struct call_spec *);
	/*
	 * Turn a non-streamed answer (the relay's body) into what the
	 * client gets, in place, before its usage row is written: a
	 * failure here is the call's (its row says so, and no 200 goes
	 * out).  NULL sends the upstream's answer as it is.
	 */
	enum vn_err		(*finish)(struct ctx *, struct relay *,
				    void *);
	void			*finish_arg;
};

enum call_outcome {
	CALL_SUCCESS,	/* a complete answer */
	CALL_RETRY,	/* this upstream failed; try the next */
	CALL_FINAL	/* stop: client error, client gone, or too late */
};

/* What the attempts of one call came to, for the error at the end. */
struct call_tally {
	int	 tried;
	int	 timeouts;
	int	 throttled;	/* 429/503 */
	long	 retry_after_ms;	/* smallest asked for */
};

struct upstream_res;

enum vn_err	call_model(struct ctx *, struct relay *,
		    const struct call_spec *);
enum call_outcome call_judge(struct ctx *, struct relay *,
		    const struct call_spec *, const struct cfg_upstream *,
		    size_t ui, const struct upstream_res *,
		    struct call_tally *);

#endif /* CALL_H */
