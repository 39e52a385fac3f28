/*
 * venna_fcgi.c: main() of venna-fcgi.
 *
 * With -l it binds the socket and runs the supervised pool (prefork.c).
 * Without -l, if fd 0 is a listening socket, a web server (mod_fcgid,
 * spawn-fcgi, lighttpd's bin-path) has spawned it: it serves on fd 0 as
 * a single worker and leaves supervision to the web server.  Started by
 * systemd with a socket (LISTEN_PID, LISTEN_FDS), it runs the pool on
 * that socket instead of binding one: -l and "listen" are ignored.
 *
 * Started as root, it becomes the user of -u (or "user" in [server])
 * once the socket is bound, before anything opens the state; without
 * one it refuses to run (priv.c).
 */
#include "config.h"

#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <fcgiapp.h>
#include <json.h>
#include <sodium.h>

#include "auth.h"
#include "cfg.h"
#include "db.h"
#include "ids.h"
#include "listener.h"
#include "log.h"
#include "metrics.h"
#include "prefork.h"
#include "priv.h"
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
	    "[-c file] [-l socket] [-m mode] [-t threads] "
	    "[-u user[:group]] [-w workers]\n");
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

/*
 * What -n checks on disk, beyond the file: the state each process opens,
 * as the user running the check.  need is the access(2) mode; a path
 * that must exist says so, the others are checked when present
 * (vennactl init, or another user's process, made them).
 */
struct state_check {
	const char	*what;
	size_t		 off;		/* of the path in struct cfg */
	const char	*suffix;	/* appended to that path */
	int		 dir;		/* the directory of the path */
	int		 need;
	int		 must_exist;
};

static const struct state_check state_checks[] = {
	{ "the database's directory", offsetof(struct cfg, database), "", 1,
	    W_OK | X_OK, 1 },
	{ "the database", offsetof(struct cfg, database), "", 0,
	    R_OK | W_OK, 0 },
	{ "the database's WAL", offsetof(struct cfg, database), "-wal", 0,
	    R_OK | W_OK, 0 },
	{ "the database's shared memory", offsetof(struct cfg, database),
	    "-shm", 0, R_OK | W_OK, 0 },
	{ "the key generation file", offsetof(struct cfg, database),
	    AUTH_KEYGEN_SUFFIX, 0, R_OK, 0 },
	{ "the pepper", offsetof(struct cfg, pepper_file), "", 0, R_OK, 0 },
	{ "data_dir", offsetof(struct cfg, data_dir), "", 0, W_OK | X_OK, 0 },
};

/*
 * Check that the state cfg names is usable by this process's user:
 * the database's directory exists and is writable (the database, its
 * -wal and -shm, the usage journals and the leases are created there),
 * and whatever exists of the rest can be opened.  Prints each problem;
 * returns the number found.
 */
static int
check_state(const struct cfg *cfg)
{
	const struct state_check *c;
	const struct passwd	*pw;
	struct stat		 st;
	char			 path[PATH_MAX], user[64];
	const char		*d;
	size_t			 i;
	int			 bad = 0;

	if ((pw = getpwuid(geteuid())) != NULL)
		snprintf(user, sizeof(user), "%s", pw->pw_name);
	else
		snprintf(user, sizeof(user), "uid %ld", (long)geteuid());
	for (i = 0; i < VN_NELEM(state_checks); i++) {
		c = &state_checks[i];
		snprintf(path, sizeof(path), "%s%s",
		    *(char *const *)((const char *)cfg + c->off), c->suffix);
		if (c->dir) {
			/* dirname() may return its argument or a constant. */
			d = dirname(path);
			memmove(path, d, strlen(d) + 1);
		}
		if (stat(path, &st) == -1) {
			if (errno == ENOENT && !c->must_exist)
				continue;
			warnx("%s %s: %s%s", c->what, path, strerror(errno),
			    errno == ENOENT ? " (\"vennactl init\" makes it)" :
			    "");
			bad++;
		} else if (c->dir && !S_ISDIR(st.st_mode)) {
			warnx("%s %s is not a directory", c->what, path);
			bad++;
		} else if (access(path, c->need) == -1) {
			warnx("%s %s is not %s by %s, the user Venna runs as",
			    c->what, path, c->need & W_OK ? "writable" :
			    "readable", user);
			bad++;
		}
	}
	return bad;
}

/* Become pu (see priv_drop), or exit. */
static void
become(const struct priv_user *pu, int strict)
{
	char	 err[VN_ERRMSG];

	if (priv_drop(pu, strict, err, sizeof(err)) != VN_OK)
		errx(1, "%s", err);
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
	struct priv_user	 user, *pu = NULL;
	struct cfg		*cfg = NULL;
	sigset_t		 usr1;
	const char		*cfgpath = NULL, *listen_spec = NULL;
	const char		*user_spec = NULL;
	char			 err[VN_ERRMSG];
	long			 workers = -1, threads = -1, mode = 0660;
	int			 ch, check = 0, fd = -1, status, activated;
	int			 wflag = 0, tflag = 0, uflag = 0;

	/*
	 * SIGUSR1 (reopen the log) must not kill a process still starting
	 * up, as it would by default: it waits, blocked, until the master
	 * (prefork.c) or the worker's signal thread (worker.c) takes it.
	 */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	while ((ch = getopt_long(argc, argv, "c:hl:m:nt:u:Vw:", longopts,
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
		case 'u':
			user_spec = optarg;
			uflag = 1;
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
	if (user_spec == NULL)
		user_spec = cfg->user;
	if (user_spec != NULL) {
		if (priv_lookup(user_spec, &user, err, sizeof(err)) != VN_OK)
			errx(1, "%s: %s", uflag ? "-u" : "user", err);
		pu = &user;
	}
	if (check) {
		/* The file first: it is fine even where the state is not. */
		printf("%s: configuration OK (%zu models, %zu upstreams)\n",
		    cfgpath != NULL ? cfgpath : "built-in defaults",
		    cfg->nmodels, cfg->nupstreams);
		/* The state, as the user the workers would run as. */
		log_init("venna-fcgi", LOG_LVL_WARN, 0);
		if (priv_drop(pu, uflag, err, sizeof(err)) != VN_OK) {
			warnx("%s", err);
			status = 1;
		} else
			status = check_state(cfg) == 0 ? 0 : 1;
		cfg_free(cfg);
		return status;
	}
	log_init("venna-fcgi", (enum log_level)cfg->log_level,
	    cfg->log_syslog);
	/* Opened before privileges are dropped, as other daemons do. */
	if (log_output((enum log_format)cfg->log_format, cfg->log_file, err,
	    sizeof(err)) != VN_OK)
		errx(1, "%s", err);
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
	/* Before any fork: the workers must not see the variables. */
	if ((activated = listener_systemd(&fd, err, sizeof(err))) == -1)
		errx(1, "%s", err);
	if (activated) {
		log_info("serving the socket systemd passed%s%s",
		    listen_spec != NULL ? ", not " : "",
		    listen_spec != NULL ? listen_spec : "");
		listen_spec = NULL;
	}

	/* Root without a user is refused before anything is bound. */
	if (pu == NULL && geteuid() == 0)
		become(NULL, 0);

	if (!activated && listen_spec == NULL) {
		if (!listener_is_listening(FASTCGI_LISTEN_FD))
			errx(2, "no -l socket given and fd 0 is not a "
			    "listening socket (see venna-fcgi(8))");
		/* Spawned by a web server: one worker, it supervises. */
		become(pu, uflag);
		status = worker_main(cfg, FASTCGI_LISTEN_FD, (int)threads,
		    -1);
		cfg_free(cfg);
		return status;
	}

	if (!activated && (fd = listener_open(listen_spec, (int)mode, err,
	    sizeof(err))) == -1)
		errx(1, "%s", err);
	/*
	 * The socket made as root goes to the user and group, so that the
	 * web server reaches it through the group (mode 0660, -m).  One
	 * systemd made is its socket unit's to set.
	 */
	if (!activated && pu != NULL && geteuid() == 0 && pu->uid != 0 &&
	    listener_is_unix_path(listen_spec) &&
	    chown(listen_spec, pu->uid, pu->gid) == -1)
		errx(1, "chown %s: %s", listen_spec, strerror(errno));
	become(pu, uflag);
	/*
	 * Its own pool: a workspace's share follows -w and -t.  (A worker
	 * a web server spawned cannot know how many siblings it has: its
	 * share is taken of venna.conf's workers x threads.)
	 */
	cfg_set_pool(cfg, workers, threads);
	/* The supervisor counts the workers that die (metrics.h). */
	(void)metrics_open(cfg->database, cfg->metrics, METRICS_ROLE_OTHER,
	    0);
	memset(&po, 0, sizeof(po));
	po.cfgpath = cfgpath;
	po.cfgp = &cfg;
	po.listen_fd = fd;
	po.workers = (int)workers;
	po.threads = (int)threads;
	po.workers_fixed = wflag;
	po.threads_fixed = tflag;
	status = prefork_run(&po);
	metrics_close();
	close(fd);
	if (!activated && listener_is_unix_path(listen_spec))
		unlink(listen_spec);
	cfg_free(cfg);
	return status;
}
