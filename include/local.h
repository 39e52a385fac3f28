/*
 * local.h: the in-process upstreams (the echo model), as call.c runs
 * them: the answer goes into the relay like an upstream's would.
 */
#ifndef LOCAL_H
#define LOCAL_H

#include "venna.h"

struct call_spec;
struct relay;

enum vn_err	local_chat(struct ctx *, struct relay *,
		    const struct call_spec *);
enum vn_err	local_embeddings(struct ctx *, struct relay *,
		    const struct call_spec *);

#endif /* LOCAL_H */
