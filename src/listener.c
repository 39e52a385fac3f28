/*
 * listener.c: binding the FastCGI socket.  A unix socket is the safe
 * default (FastCGI has no authentication; reliability.md §3d): a stale
 * socket file is replaced, a live one or any other kind of file is
 * never touched.  TCP is for web servers on the same host; binding
 * beyond loopback is allowed but logged.  Under systemd the socket may
 * come ready-made instead (socket activation, sd_listen_fds(3)), which
 * is read here without libsystemd: two variables and a descriptor.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "listener.h"
#include "log.h"

#define BACKLOG	4096

int
listener_is_unix_path(const char *spec)
{
	return spec[0] == '/' || spec[0] == '.';
}

/* 1 if fd is a socket in the listening state (FastCGI's fd 0). */
int
listener_is_listening(int fd)
{
	int		 on = 0;
	socklen_t	 len = sizeof(on);

	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == -1)
		return 0;
	return on != 0;
}

static int
open_unix(const char *path, int mode, char *err, size_t errsz)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	int			 fd = -1, probe;
	mode_t			 old;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errsz, "%s: socket path too long", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errsz, "%s exists and is not a socket",
			    path);
			return -1;
		}
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe != -1 && connect(probe, (struct sockaddr *)&sun,
		    sizeof(sun)) == 0) {
			close(probe);
			snprintf(err, errsz, "%s: another process is listening "
			    "on it", path);
			return -1;
		}
		if (probe != -1)
			close(probe);
		unlink(path);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		goto fail;
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		umask(old);
		goto fail;
	}
	umask(old);
	if (chmod(path, (mode_t)mode) == -1 || listen(fd, BACKLOG) == -1)
		goto fail;
	return fd;
fail:
	snprintf(err, errsz, "%s: %s", path, strerror(errno));
	if (fd != -1)
		close(fd);
	return -1;
}

static int
open_tcp(const char *spec, char *err, size_t errsz)
{
	struct addrinfo	 hints, *res = NULL, *ai;
	char		 host[256];
	const char	*colon, *port;
	size_t		 hlen;
	int		 fd = -1, on = 1, rc;

	if ((colon = strrchr(spec, ':')) == NULL) {
		snprintf(err, errsz, "%s: expected a socket path or "
		    "HOST:PORT", spec);
		return -1;
	}
	port = colon + 1;
	hlen = (size_t)(colon - spec);
	if (hlen >= sizeof(host)) {
		snprintf(err, errsz, "%s: host too long", spec);
		return -1;
	}
	memcpy(host, spec, hlen);
	host[hlen] = '\0';
	if (hlen >= 2 && host[0] == '[' && host[hlen - 1] == ']') {
		memmove(host, host + 1, hlen - 2);
		host[hlen - 2] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(host[0] != '\0' ? host : "127.0.0.1", port,
	    &hints, &res)) != 0) {
		snprintf(err, errsz, "%s: %s", spec, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd == -1)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, BACKLOG) == 0)
			break;
		close(fd);
		fd = -1;
	}
	if (fd == -1)
		snprintf(err, errsz, "%s: %s", spec, strerror(errno));
	else if (strcmp(host, "127.0.0.1") != 0 && strcmp(host, "::1") != 0 &&
	    strcmp(host, "localhost") != 0 && host[0] != '\0')
		log_warn("FastCGI on %s: it has no authentication; keep it "
		    "behind a firewall or use a unix socket", spec);
	freeaddrinfo(res);
	return fd;
}

/*
 * Bind and listen on spec: a path (starting with / or .) for a unix
 * socket created with the given mode, otherwise HOST:PORT.  Returns the
 * descriptor, or -1 with the reason in err.
 */
int
listener_open(const char *spec, int mode, char *err, size_t errsz)
{
	if (listener_is_unix_path(spec))
		return open_unix(spec, mode, err, errsz);
	return open_tcp(spec, err, errsz);
}

/*
 * One decimal number from 0 to max, the whole string: 1 with it in
 * *out, else 0.  The environment is not ours to trust: "12abc", "-1"
 * and "" are malformed, not 12, -1 and 0.
 */
static int
decimal(const char *s, long max, long *out)
{
	char	*end;
	long	 v;

	if (*s < '0' || *s > '9')
		return 0;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return 0;
	*out = v;
	return 1;
}

/*
 * How many sockets systemd passed to the process self, from the values
 * of LISTEN_PID and LISTEN_FDS (NULL when unset).  0 when there are
 * none for us: a variable unset, or LISTEN_PID naming another process
 * (a parent's, inherited).  -1 with the reason in err when one is
 * malformed.  The sockets are the descriptors from
 * LISTENER_SYSTEMD_FD on.
 */
int
listener_activation_parse(const char *pid, const char *fds, long self,
    char *err, size_t errsz)
{
	long	 p, n;

	if (pid == NULL || fds == NULL)
		return 0;
	if (!decimal(pid, LONG_MAX, &p) || p == 0) {
		snprintf(err, errsz, "LISTEN_PID=\"%.32s\": not a process id",
		    pid);
		return -1;
	}
	if (p != self)
		return 0;
	if (!decimal(fds, INT_MAX - LISTENER_SYSTEMD_FD, &n)) {
		snprintf(err, errsz, "LISTEN_FDS=\"%.32s\": not a count of "
		    "descriptors", fds);
		return -1;
	}
	return (int)n;
}

/*
 * The listening socket systemd passed (a .socket unit, or
 * systemd-socket-activate): 1 with it in *fdp, 0 when there is none,
 * -1 with the reason in err.  The variables are removed either way, so
 * the workers and whatever they run never take them for their own.  The
 * socket is kept across fork (the workers share it, as they share one
 * made by listener_open) but not across exec.
 */
int
listener_systemd(int *fdp, char *err, size_t errsz)
{
	struct stat	 st;
	int		 n, fd = LISTENER_SYSTEMD_FD;

	n = listener_activation_parse(getenv("LISTEN_PID"),
	    getenv("LISTEN_FDS"), (long)getpid(), err, errsz);
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (n <= 0)
		return n;
	if (n > 1) {
		snprintf(err, errsz, "systemd passed %d sockets; venna-fcgi "
		    "serves one (a single ListenStream= in the socket unit)",
		    n);
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISSOCK(st.st_mode) ||
	    !listener_is_listening(fd)) {
		snprintf(err, errsz, "LISTEN_FDS: descriptor %d is not a "
		    "listening socket", fd);
		return -1;
	}
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1) {
		snprintf(err, errsz, "descriptor %d: %s", fd, strerror(errno));
		return -1;
	}
	*fdp = fd;
	return 1;
}
