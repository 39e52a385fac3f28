/*
 * log.c: the one place that writes log lines.  Messages may quote what
 * clients sent, so control characters are escaped before the line is
 * written: a client cannot forge log lines.  Nothing in Venna passes an
 * API key or Authorization value here; tests grep the logs to keep it so.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX	2048

static const char	*log_ident = "venna";
static enum log_level	 log_threshold = LOG_LVL_INFO;
static int		 log_syslog;
static _Thread_local char log_reqid[VN_REQUEST_ID_LEN + 1];

static const struct {
	const char	*name;
	int		 prio;
} levels[] = {
	[LOG_LVL_ERROR] = { "error", LOG_ERR },
	[LOG_LVL_WARN]  = { "warn", LOG_WARNING },
	[LOG_LVL_INFO]  = { "info", LOG_INFO },
	[LOG_LVL_DEBUG] = { "debug", LOG_DEBUG },
};

/*
 * Set the program name shown on each line, the threshold, and whether
 * lines go to syslog (daemon facility) instead of stderr.
 */
void
log_init(const char *ident, enum log_level lvl, int use_syslog)
{
	log_ident = ident;
	log_threshold = lvl;
	log_syslog = use_syslog;
	if (use_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_set_level(enum log_level lvl)
{
	log_threshold = lvl;
}

/* Parse "error", "warn", "info" or "debug".  Returns 1 on success. */
int
log_level_parse(const char *s, enum log_level *out)
{
	size_t	 i;

	for (i = 0; i < VN_NELEM(levels); i++)
		if (strcasecmp(s, levels[i].name) == 0) {
			*out = (enum log_level)i;
			return 1;
		}
	return 0;
}

/*
 * Tag the calling thread's later lines with a request id; NULL clears
 * it.  The id is copied.
 */
void
log_set_request(const char *id)
{
	if (id == NULL) {
		log_reqid[0] = '\0';
		return;
	}
	strncpy(log_reqid, id, sizeof(log_reqid) - 1);
	log_reqid[sizeof(log_reqid) - 1] = '\0';
}

/* Copy src to dst, escaping control characters; dst is NUL-terminated. */
static void
escape_line(char *dst, size_t dstsz, const char *src)
{
	static const char hex[] = "0123456789abcdef";
	size_t	 o = 0;

	for (; *src != '\0' && o + 5 < dstsz; src++) {
		unsigned char c = (unsigned char)*src;
		if (c < 0x20 || c == 0x7f) {
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 0xf];
		} else
			dst[o++] = (char)c;
	}
	dst[o] = '\0';
}

void
log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list		 ap;
	char		 raw[LOG_LINE_MAX], clean[LOG_LINE_MAX];
	char		 stamp[32];
	struct tm	 tm;
	time_t		 now;
	int		 n;

	if (lvl > log_threshold)
		return;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	escape_line(clean, sizeof(clean), raw);

	if (log_syslog) {
		if (log_reqid[0] != '\0')
			syslog(levels[lvl].prio, "%s: %s", log_reqid, clean);
		else
			syslog(levels[lvl].prio, "%s", clean);
		return;
	}
	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	/*
	 * One write(2) per line, no stdio: threads do not queue on the
	 * stream's lock, and a line shorter than PIPE_BUF stays whole on
	 * a pipe or an O_APPEND file.
	 */
	if (log_reqid[0] != '\0')
		n = snprintf(raw, sizeof(raw), "%s %s[%ld] %s %s: %s\n", stamp,
		    log_ident, (long)getpid(), levels[lvl].name, log_reqid,
		    clean);
	else
		n = snprintf(raw, sizeof(raw), "%s %s[%ld] %s: %s\n", stamp,
		    log_ident, (long)getpid(), levels[lvl].name, clean);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(raw)) {
		n = sizeof(raw) - 1;
		raw[n - 1] = '\n';
	}
	(void)write(STDERR_FILENO, raw, (size_t)n);
}
