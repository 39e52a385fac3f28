/*
 * fcgi_minimal.c: the reference of the throughput benchmarks: the
 * least a libfcgi application can do to answer the same bytes as Venna.
 * N pre-forked processes, each in the classic FCGX_Accept_r loop; no
 * threads, no routing, no authentication, no database, no logging, no
 * upstream.  It reads the request body (as Venna must) and answers
 * Venna's GET /v1/models, or the contents of FILE with -f.
 *
 *   fcgi_minimal -s SOCKET [-w PROCS] [-f FILE]
 */
#include "config.h"

#include <sys/prctl.h>
#include <sys/wait.h>

#include <err.h>
#include <stdio.h>
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

static const char	*out = answer;
static int		 outlen = (int)sizeof(answer) - 1;

static int
serve(int fd)
{
	FCGX_Request	 r;
	char		 in[16384];

	FCGX_InitRequest(&r, fd, 0);
	while (FCGX_Accept_r(&r) >= 0) {
		while (FCGX_GetStr(in, sizeof(in), r.in) > 0)
			;
		FCGX_PutStr(out, outlen, r.out);
		FCGX_Finish_r(&r);
	}
	return 0;
}

/* The answer to serve: headers for FILE's bytes, then the bytes. */
static void
load(const char *path)
{
	static char	 body[1 << 20], buf[(1 << 20) + 512];
	FILE		*fp;
	size_t		 n;
	int		 h;

	if ((fp = fopen(path, "rb")) == NULL)
		err(1, "%s", path);
	n = fread(body, 1, sizeof(body), fp);
	fclose(fp);
	h = snprintf(buf, sizeof(buf), "Status: 200 OK\r\n"
	    "Content-Type: application/json\r\n"
	    "x-request-id: req_000000000000000000000000\r\n"
	    "Content-Length: %zu\r\n\r\n", n);
	memcpy(buf + h, body, n);
	out = buf;
	outlen = h + (int)n;
}

int
main(int argc, char *argv[])
{
	const char	*sock = NULL;
	int		 ch, i, procs = 2, fd;

	while ((ch = getopt(argc, argv, "f:s:w:")) != -1)
		switch (ch) {
		case 'f':
			load(optarg);
			break;
		case 's':
			sock = optarg;
			break;
		case 'w':
			procs = atoi(optarg);
			break;
		default:
			errx(2, "usage: fcgi_minimal -s socket [-w procs] "
			    "[-f file]");
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
