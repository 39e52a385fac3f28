/*
 * venna_fcgi.c: main() of venna-fcgi.
 *
 * With -l it binds the socket and runs the supervised pool (prefork.c).
 * Without -l, if fd 0 is a listening socket, a web server (mod_fcgid,
 * spawn-fcgi, lighttpd's bin-path) has spawned it: it serves on fd 0 as
 * a single worker and leaves supervision to the web server.
 */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <fcgiapp.h>
#include <json.h>
#include <sodium.h>

#include "cfg.h"
#include "db.h"
#include "ids.h"
#include "listener.h"
#include "log.h"
#include "prefork.h"
#include "worker.h"

/* The FastCGI convention: a spawned application finds its socket here. */
#define FASTCGI_LISTEN_FD	0

static const struct option longopts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

/* -h and --help: the usage on stdout, exit 0; a usage error: stderr, 2. */
static void
usage(int status)
{
	fprintf(status == 0 ? stdout : stderr, "usage: venna-fcgi [-hnV] "
	    "[-c file] [-l socket] [-m mode] [-t threads] [-w workers]\n");
	exit(status);
}

static long
number(const char *s, long min, long max, const char *what)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		errx(2, "%s must be a number from %ld to %ld", what, min, max);
	return v;
}

static void
version(void)
{
	curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);

	printf("venna-fcgi %s\n", PACKAGE_VERSION);
	printf("SQLite %s%s\n", db_version(), db_version_ok() ? "" :
	    " (UNSAFE: predates 3.51.3, the WAL-reset fix)");
	printf("libcurl %s, json-c %s, libsodium %s\n", cv->version,
	    json_c_version(), sodium_version_string());
}

int
main(int argc, char *argv[])
{
	struct prefork_opts	 po;
	struct cfg		*cfg = NULL;
	const char		*cfgpath = NULL, *listen_spec = NULL;
	char			 err[VN_ERRMSG];
	long			 workers = -1, threads = -1, mode = 0660;
	int			 ch, check = 0, fd, status;
	int			 wflag = 0, tflag = 0;

	while ((ch = getopt_long(argc, argv, "c:hl:m:nt:Vw:", longopts,
	    NULL)) != -1)
		switch (ch) {
		case 'c':
			cfgpath = optarg;
			break;
		case 'h':
			usage(0);
			break;
		case 'l':
			listen_spec = optarg;
			break;
		case 'm':
			mode = strtol(optarg, NULL, 8);
			if (mode <= 0 || mode > 0777)
				errx(2, "-m: expected an octal mode");
			break;
		case 'n':
			check = 1;
			break;
		case 't':
			threads = number(optarg, 1, 4096, "-t");
			tflag = 1;
			break;
		case 'V':
			version();
			return 0;
		case 'w':
			workers = number(optarg, 1, 256, "-w");
			wflag = 1;
			break;
		default:
			usage(2);
		}
	if (optind != argc)
		usage(2);

	if ((cfg = cfg_open(&cfgpath, err, sizeof(err))) == NULL)
		errx(1, "%s", err);
	if (check) {
		printf("%s: configuration OK (%zu models, %zu upstreams)\n",
		    cfgpath != NULL ? cfgpath : "built-in defaults",
		    cfg->nmodels, cfg->nupstreams);
		cfg_free(cfg);
		return 0;
	}
	log_init("venna-fcgi", (enum log_level)cfg->log_level,
	    cfg->log_syslog);
	if (!db_version_ok())
		errx(1, "SQLite %s predates 3.51.3 and can corrupt a WAL "
		    "database shared by several processes; rebuild with "
		    "./bootstrap", db_version());
	if (!ids_init())
		errx(1, "libsodium failed to initialise");
	if (workers == -1)
		workers = cfg->workers;
	if (threads == -1)
		threads = cfg->threads;
	if (listen_spec == NULL)
		listen_spec = cfg->listen;

	if (listen_spec == NULL) {
		if (!listener_is_listening(FASTCGI_LISTEN_FD))
			errx(2, "no -l socket given and fd 0 is not a "
			    "listening socket (see venna-fcgi(8))");
		/* Spawned by a web server: one worker, it supervises. */
		status = worker_main(cfg, FASTCGI_LISTEN_FD, (int)threads,
		    -1);
		cfg_free(cfg);
		return status;
	}

	if ((fd = listener_open(listen_spec, (int)mode, err, sizeof(err))) ==
	    -1)
		errx(1, "%s", err);
	memset(&po, 0, sizeof(po));
	po.cfgpath = cfgpath;
	po.cfgp = &cfg;
	po.listen_fd = fd;
	po.workers = (int)workers;
	po.threads = (int)threads;
	po.workers_fixed = wflag;
	po.threads_fixed = tflag;
	status = prefork_run(&po);
	close(fd);
	if (listener_is_unix_path(listen_spec))
		unlink(listen_spec);
	cfg_free(cfg);
	return status;
}
