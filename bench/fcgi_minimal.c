/*
 * fcgi_minimal.c: the reference of the GET /v1/models benchmark: the
 * least a libfcgi application can do to answer the same bytes.  N
 * pre-forked processes, each in the classic FCGX_Accept_r loop, no
 * threads, no routing, no authentication, no database, no logging.
 *
 *   fcgi_minimal -s SOCKET [-w PROCS]
 */
#include "config.h"

#include <sys/prctl.h>
#include <sys/wait.h>

#include <err.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>

/* The same answer as Venna's, headers included. */
static const char answer[] =
	"Status: 200 OK\r\n"
	"Content-Type: application/json\r\n"
	"x-request-id: req_000000000000000000000000\r\n"
	"Content-Length: 100\r\n"
	"\r\n"
	"{\"object\":\"list\",\"data\":[{\"id\":\"venna-1\",\"object\":\"model\","
	"\"created\":1767225600,\"owned_by\":\"venna\"}]}";

static int
serve(int fd)
{
	FCGX_Request	 r;

	FCGX_InitRequest(&r, fd, 0);
	while (FCGX_Accept_r(&r) >= 0) {
		FCGX_PutStr(answer, (int)sizeof(answer) - 1, r.out);
		FCGX_Finish_r(&r);
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	const char	*sock = NULL;
	int		 ch, i, procs = 2, fd;

	while ((ch = getopt(argc, argv, "s:w:")) != -1)
		switch (ch) {
		case 's':
			sock = optarg;
			break;
		case 'w':
			procs = atoi(optarg);
			break;
		default:
			errx(2, "usage: fcgi_minimal -s socket [-w procs]");
		}
	if (sock == NULL || procs < 1)
		errx(2, "usage: fcgi_minimal -s socket [-w procs]");
	if (FCGX_Init() != 0 || (fd = FCGX_OpenSocket(sock, 4096)) < 0)
		errx(1, "cannot listen on %s", sock);
	for (i = 0; i < procs; i++)
		if (fork() == 0) {
			/* Stopping the parent stops the pool. */
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			return serve(fd);
		}
	while (wait(NULL) > 0)
		;
	return 0;
}
