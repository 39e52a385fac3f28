/*
 * access_log.h: the one line logged per request when it ends, as text
 * (method, path, status, time, workspace, key id) or, with log_format =
 * json, as an object with everything ctx.stats recorded.
 */
#ifndef ACCESS_LOG_H
#define ACCESS_LOG_H

#include "venna.h"

void	access_log(const struct ctx *);

#endif /* ACCESS_LOG_H */
