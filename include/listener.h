/*
 * listener.h: the FastCGI listening socket: a unix socket path or
 * HOST:PORT, the socket a web server hands us on fd 0, or the one
 * systemd passes (socket activation).
 */
#ifndef LISTENER_H
#define LISTENER_H

#include "venna.h"

/* sd_listen_fds(3): the first socket systemd passes. */
#define LISTENER_SYSTEMD_FD	3

int	listener_open(const char *spec, int mode, char *err, size_t errsz);
int	listener_is_listening(int fd);
int	listener_is_unix_path(const char *spec);
int	listener_activation_parse(const char *pid, const char *fds,
	    long self, char *err, size_t errsz);
int	listener_systemd(int *fdp, char *err, size_t errsz);

#endif /* LISTENER_H */
