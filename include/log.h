/*
 * log.h: leveled logging to stderr (or a log file put in its place) or
 * syslog, as text or one JSON object per line.  Each line names the
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

enum log_format {
	LOG_FMT_TEXT = 0,	/* "TIME PROGRAM[PID] LEVEL REQUEST: MESSAGE" */
	LOG_FMT_JSON		/* one object per line (jsonesc.h) */
};

/* The longest JSON line; under PIPE_BUF, so one write(2) stays whole. */
#define LOG_JSON_MAX	4096

struct jline;

void	log_init(const char *ident, enum log_level, int use_syslog);
void	log_set_level(enum log_level);
int	log_level_parse(const char *, enum log_level *);
void	log_set_request(const char *request_id);
void	log_msg(enum log_level, const char *, ...) VN_PRINTF(2, 3);
int	log_format_parse(const char *, enum log_format *);
enum log_format log_get_format(void);
int	log_enabled(enum log_level);
enum vn_err log_output(enum log_format, const char *file, char *err,
	    size_t errsz);
void	log_reopen(void);
void	log_json_head(struct jline *, enum log_level);
void	log_json_write(enum log_level, struct jline *);

#define log_error(...)	log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif /* LOG_H */
