/*
 * listener.c: binding the FastCGI socket.  A unix socket is the safe
 * default (FastCGI has no authentication; reliability.md §3d): a stale
 * socket file is replaced, a live one or any other kind of file is
 * never touched.  TCP is for web servers on the same host; binding
 * beyond loopback is allowed but logged.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
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
