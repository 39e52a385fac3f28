/*
 * batch.h: running batches (venna-batch's batch task).
 */
#ifndef BATCH_H
#define BATCH_H

#include "venna.h"

struct runner;

enum vn_err	batch_task(struct runner *);

#endif /* BATCH_H */
