/*
 * background.h: background responses ("background": true).  The create
 * call stores the response queued, held by the worker process that took
 * it, and hands it to that process's executor, so the work starts at
 * once; a cancel ends it in the database and the runner, which looks
 * every tick, aborts the upstream call.  When the process dies first,
 * its lease owner's lock frees and venna-batch's recovery task takes
 * the response over on its next pass.
 */
#ifndef BACKGROUND_H
#define BACKGROUND_H

#include "venna.h"

struct background;
struct runner;

struct background *background_new(const struct cfg *, struct store *);
int		 background_submit(struct background *, int64_t seq);
void		 background_stop(struct background *, long long deadline_ms);
enum vn_err	 background_run(const struct cfg *, struct store *,
		    void **upstream, int64_t seq, const char *owner);
enum vn_err	 background_recover_task(struct runner *);

#endif /* BACKGROUND_H */
