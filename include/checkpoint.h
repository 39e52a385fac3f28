/*
 * checkpoint.h: the single WAL checkpointer.  Every process that writes
 * the database runs a checkpoint thread; only the holder of the
 * checkpoint lock (a flock beside the database) checkpoints.
 */
#ifndef CHECKPOINT_H
#define CHECKPOINT_H

#include "venna.h"

struct checkpointer;

struct checkpointer	*checkpoint_start(const struct cfg *, struct store *);
void			 checkpoint_stop(struct checkpointer *);
enum vn_err		 checkpoint_once(const struct cfg *, struct db *,
			    int wait);

#endif /* CHECKPOINT_H */
