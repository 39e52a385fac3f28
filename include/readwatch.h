/*
 * readwatch.h: deadlines on blocking reads of the web server's
 * connection.  libfcgi reads a request body with plain blocking
 * read(2) and returns only once it has what was asked or the
 * connection ended, so a sender trickling a byte now and then holds
 * the request thread for as long as it likes, whatever timeout each
 * read(2) has.  A watched read registers its socket and deadline; one
 * thread per process shuts the socket's read side down when the
 * deadline passes, which ends the read at once (end of file).
 */
#ifndef READWATCH_H
#define READWATCH_H

#include "venna.h"

#define READWATCH_MAX	4096	/* reads watched at once per process */

int	readwatch_begin(int fd, long long deadline_ms);
int	readwatch_end(int slot);

#endif /* READWATCH_H */
