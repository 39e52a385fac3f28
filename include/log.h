/*
 * log.h: leveled logging to stderr or syslog.  Each line names the
 * program, the process, and the request being served by the calling
 * thread, so one request can be followed through the log.
 */
#ifndef LOG_H
#define LOG_H

#include "venna.h"

enum log_level {
	LOG_LVL_ERROR = 0,	/* something failed that an operator must fix */
	LOG_LVL_WARN,		/* a request failed, or a fault was survived */
	LOG_LVL_INFO,		/* lifecycle: start, stop, reload, respawn */
	LOG_LVL_DEBUG		/* per-request detail */
};

void	log_init(const char *ident, enum log_level, int use_syslog);
void	log_set_level(enum log_level);
int	log_level_parse(const char *, enum log_level *);
void	log_set_request(const char *request_id);
void	log_msg(enum log_level, const char *, ...) VN_PRINTF(2, 3);

#define log_error(...)	log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif /* LOG_H */
