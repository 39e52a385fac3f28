/*
 * listener.h: the FastCGI listening socket: a unix socket path or
 * HOST:PORT, or the socket a web server hands us on fd 0.
 */
#ifndef LISTENER_H
#define LISTENER_H

#include "venna.h"

int	listener_open(const char *spec, int mode, char *err, size_t errsz);
int	listener_is_listening(int fd);
int	listener_is_unix_path(const char *spec);

#endif /* LISTENER_H */
