/*
 * log.c: the one place that writes log lines.  Messages may quote what
 * clients sent, so control characters are escaped before the line is
 * written: a client cannot forge log lines.  Nothing in Venna passes an
 * API key or Authorization value here; tests grep the logs to keep it so.
 *
 * A line is text or, with log_format = json, one JSON object.  Lines go
 * to syslog or to stderr; a log_file is opened and put in stderr's
 * place (dup2), so that what libraries write to stderr lands there too,
 * and log_reopen() does it again after the file was rotated away.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "jsonesc.h"
#include "log.h"

#define LOG_LINE_MAX	2048

static const char	*log_ident = "venna";
static enum log_level	 log_threshold = LOG_LVL_INFO;
static int		 log_syslog;
static enum log_format	 log_fmt = LOG_FMT_TEXT;
static char		 log_path[PATH_MAX];	/* "": stderr as inherited */
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

/* Whether a line of lvl would be written: callers that build one. */
int
log_enabled(enum log_level lvl)
{
	return lvl <= log_threshold;
}

/* Parse "text" or "json".  Returns 1 on success. */
int
log_format_parse(const char *s, enum log_format *out)
{
	if (strcmp(s, "text") == 0)
		*out = LOG_FMT_TEXT;
	else if (strcmp(s, "json") == 0)
		*out = LOG_FMT_JSON;
	else
		return 0;
	return 1;
}

enum log_format
log_get_format(void)
{
	return log_fmt;
}

/*
 * Open path for appending and make it stderr.  Returns 0 with err set
 * if it cannot be opened; stderr is then left as it was.
 */
static int
open_onto_stderr(const char *path, char *err, size_t errsz)
{
	int	 fd;

	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd == -1 || (fd != STDERR_FILENO &&
	    dup2(fd, STDERR_FILENO) == -1)) {
		snprintf(err, errsz, "log_file %s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return 0;
	}
	/* dup2() clears FD_CLOEXEC: stderr is still inherited. */
	if (fd != STDERR_FILENO)
		close(fd);
	return 1;
}

/*
 * Write lines in format fmt and, if file is not NULL, to that file in
 * place of stderr (a path too long to keep for log_reopen() is an
 * error).  Call once, before any thread starts.
 */
enum vn_err
log_output(enum log_format fmt, const char *file, char *err, size_t errsz)
{
	log_fmt = fmt;
	if (file == NULL)
		return VN_OK;
	if (strlen(file) >= sizeof(log_path)) {
		snprintf(err, errsz, "log_file: the path is too long");
		return VN_ECONFIG;
	}
	if (!open_onto_stderr(file, err, errsz))
		return VN_ECONFIG;
	memcpy(log_path, file, strlen(file) + 1);
	return VN_OK;
}

/*
 * Open the log file anew (it was moved away by a rotation) and put it
 * in place of the old one.  On failure the old one stays and the line
 * saying why goes there.  Without a log file it does nothing.  Not for
 * a signal handler: the thread or loop that waits for the signal.
 */
void
log_reopen(void)
{
	char	 err[VN_ERRMSG];

	if (log_path[0] == '\0') {
		log_debug("no log_file to reopen");
		return;
	}
	if (!open_onto_stderr(log_path, err, sizeof(err))) {
		log_error("cannot reopen the log, still writing to the old "
		    "file: %s", err);
		return;
	}
	log_info("log file reopened");
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

/*
 * Start a JSON line: the time (to the millisecond), the level, the
 * program, the process and the calling thread's request, if any.
 */
void
log_json_head(struct jline *j, enum log_level lvl)
{
	struct timespec	 ts;
	struct tm	 tm;
	char		 stamp[40];
	size_t		 n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(stamp + n, sizeof(stamp) - n, ".%03ldZ",
	    ts.tv_nsec / 1000000);
	jline_str(j, "time", stamp);
	jline_str(j, "level", levels[lvl].name);
	jline_str(j, "program", log_ident);
	jline_int(j, "pid", (long long)getpid());
	if (log_reqid[0] != '\0')
		jline_str(j, "request_id", log_reqid);
}

/*
 * End a JSON line and write it: the object is the syslog message, or
 * one write(2) to stderr.
 */
void
log_json_write(enum log_level lvl, struct jline *j)
{
	size_t	 n = jline_end(j);

	if (log_syslog) {
		j->buf[n - 1] = '\0';
		syslog(levels[lvl].prio, "%s", j->buf);
		return;
	}
	(void)write(STDERR_FILENO, j->buf, n);
}

static void
json_msg(enum log_level lvl, const char *msg)
{
	struct jline	 j;
	char		 line[LOG_JSON_MAX];

	jline_begin(&j, line, sizeof(line));
	log_json_head(&j, lvl);
	jline_str(&j, "msg", msg);
	log_json_write(lvl, &j);
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
	if (log_fmt == LOG_FMT_JSON) {
		json_msg(lvl, raw);
		return;
	}
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
