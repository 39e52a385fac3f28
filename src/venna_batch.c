/*
 * venna_batch.c: main() of venna-batch, one pass of Venna's deferred
 * work, meant for cron every minute (etc/venna-batch.cron.sample).
 *
 * Started as root (a root crontab), it first becomes the user of -u or
 * of "user" in [server], so that every file it makes belongs to the
 * workers' user; without one it refuses to run (priv.c).
 *
 * A pass:
 *  1. opens the database (migrating its schema) and a usage journal of
 *     its own;
 *  2. imports the workers' usage journals and checkpoints the WAL, under
 *     the checkpoint lock the workers' checkpointer also takes;
 *  3. runs each task of the table below in order, each with what is left
 *     of batch_time_budget: the reclaiming of deleted and expired files,
 *     spend alerts (fired and delivered to alert_command), background
 *     responses whose worker died, queued batches;
 *  4. imports its own usage rows, and exits 0.
 *
 * Every task claims its work with a lease in the database and records
 * its progress as it goes, so passes may overlap (a slow pass and the
 * next tick) and may be killed at any moment: the next pass resumes
 * where this one stopped, and nothing is done twice that was recorded
 * once.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <unistd.h>

#include "background.h"
#include "batch.h"
#include "cfg.h"
#include "checkpoint.h"
#include "clock.h"
#include "db.h"
#include "filestore.h"
#include "ids.h"
#include "lease.h"
#include "ledger.h"
#include "limits_store.h"
#include "log.h"
#include "metrics.h"
#include "orphans.h"
#include "priv.h"
#include "runner.h"
#include "store.h"
#include "upstream.h"

#define FILES_BUDGET_MS	5000
#define ALERTS_BUDGET_MS	20000	/* delivering, per pass */
#define ALERT_TIMEOUT_MS	30000	/* one run of alert_command */
#define ALERT_LEASE_S		120	/* > the timeout: a live run keeps it */
#define ALERT_BACKOFF_MAX_S	3600	/* a failing command: once an hour */

static enum vn_err	files_task(struct runner *);
static enum vn_err	alerts_task(struct runner *);

static const struct task {
	const char	*name;
	enum vn_err	(*run)(struct runner *);
} tasks[] = {
	{ "files", files_task },
	{ "alerts", alerts_task },
	{ "responses", background_recover_task },
	{ "batches", batch_task },
};

/*
 * Reclaim deleted and expired files (filestore.c).  First, and capped,
 * so that a pass busy with batches still reclaims space every minute.
 */
static enum vn_err
files_task(struct runner *rn)
{
	struct filestore_purged	 p;
	struct db		*db;
	long long		 left = rn->deadline_ms - clock_ms();
	long			 budget;
	size_t			 orphans = 0;
	enum vn_err		 rc;

	if ((db = store_get(rn->store)) == NULL)
		return VN_ESTORE;
	budget = left < FILES_BUDGET_MS ? (long)left : FILES_BUDGET_MS;
	rc = filestore_purge(rn->cfg, db, budget, &p);
	if (rc == VN_OK)
		orphans = orphans_sweep(rn->cfg, db, time(NULL),
		    clock_ms() + budget, &p.incomplete);
	store_put(rn->store, db);
	if (orphans > 0)
		log_info("files: %zu orphaned contents removed%s", orphans,
		    p.incomplete ? " (out of time)" : "");
	return rc;
}

/*
 * Run alert_command (path, no shell) with json on its standard input
 * and its output on our standard error (cron mails it), in a process
 * group of its own, killed whole after timeout_ms.  Returns 0 when it
 * exited 0; otherwise -1 with why.  Nothing is held meanwhile: the
 * row's lease is an ordinary UPDATE already committed.
 */
static int
alert_run(const char *path, const char *json, long timeout_ms, char *why,
    size_t whysz)
{
	struct sigaction sa;
	struct timespec	 ts = { 0, 10 * 1000000L };
	long long	 end = clock_ms() + timeout_ms;
	size_t		 left = strlen(json);
	ssize_t		 n;
	pid_t		 pid, w;
	int		 p[2], status, fd;

	if (pipe2(p, O_CLOEXEC) == -1) {
		snprintf(why, whysz, "pipe: %s", strerror(errno));
		return -1;
	}
	if ((pid = fork()) == -1) {
		snprintf(why, whysz, "fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		/* Only async-signal-safe calls until exec. */
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_DFL;
		sigaction(SIGPIPE, &sa, NULL);
		setpgid(0, 0);
		if (dup2(p[0], STDIN_FILENO) == -1 ||
		    dup2(STDERR_FILENO, STDOUT_FILENO) == -1)
			_exit(126);
		for (fd = STDERR_FILENO + 1; fd < 1024; fd++)
			close(fd);
		execl(path, path, (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid);	/* both sides: no race with the kill */
	close(p[0]);
	/* Far below a pipe's buffer: never blocks, even if unread. */
	while (left > 0 && ((n = write(p[1], json, left)) > 0 ||
	    (n == -1 && errno == EINTR)))
		if (n > 0) {
			json += n;
			left -= (size_t)n;
		}
	close(p[1]);
	while ((w = waitpid(pid, &status, WNOHANG)) == 0 &&
	    clock_ms() < end)
		nanosleep(&ts, NULL);
	if (w == 0) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
			continue;
		snprintf(why, whysz, "timed out after %ld ms", timeout_ms);
		return -1;
	}
	if (w == -1) {
		snprintf(why, whysz, "waitpid: %s", strerror(errno));
		return -1;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		snprintf(why, whysz, "exited %d", WEXITSTATUS(status));
	else
		snprintf(why, whysz, "killed by signal %d",
		    WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	return -1;
}

/*
 * Spend alerts: fire those the month's settled spend has passed and no
 * worker fired (limits_alerts_sweep()), then deliver the outbox: each
 * fired alert is claimed with a lease, handed to alert_command, and
 * marked delivered when the command exited 0.  A failure is retried
 * later, each time twice as late (up to an hour); a pass killed while
 * a command runs leaves the row to the next pass, which runs it again:
 * delivery is at least once, and the JSON's id and period_start tell a
 * repeat.  Without alert_command, fired alerts wait for one.
 */
static enum vn_err
alerts_task(struct runner *rn)
{
	struct limits_outbox_row row;
	long long		 deadline, left;
	char			 why[128];
	int			 fired = 0, got, sent = 0, failed = 0;
	enum vn_err		 rc;
	int64_t			 now, backoff;

	if ((rc = limits_alerts_sweep(rn->store, (int64_t)time(NULL),
	    &fired)) != VN_OK)
		log_warn("alerts: the month's spend could not be checked");
	else if (fired > 0)
		log_info("alerts: %d spend alerts fired", fired);
	if (rn->cfg->alert_command == NULL) {
		if (fired > 0)
			log_info("alerts: no alert_command is set; they wait "
			    "for one");
		return rc;
	}
	deadline = clock_ms() + ALERTS_BUDGET_MS;
	if (deadline > rn->deadline_ms)
		deadline = rn->deadline_ms;
	while ((left = deadline - clock_ms()) >= 1000) {
		now = (int64_t)time(NULL);
		if ((rc = limits_outbox_claim(rn->store, rn->cfg, rn->owner,
		    now, ALERT_LEASE_S, &row, &got)) != VN_OK || !got)
			break;
		if (alert_run(rn->cfg->alert_command, row.payload,
		    left < ALERT_TIMEOUT_MS ? (long)left : ALERT_TIMEOUT_MS,
		    why, sizeof(why)) == 0) {
			if (limits_outbox_done(rn->store, rn->owner, row.seq,
			    (int64_t)time(NULL)) == VN_OK)
				sent++;
		} else {
			backoff = row.attempts >= 7 ? ALERT_BACKOFF_MAX_S :
			    60LL << (row.attempts > 0 ? row.attempts - 1 : 0);
			if (backoff > ALERT_BACKOFF_MAX_S)
				backoff = ALERT_BACKOFF_MAX_S;
			log_warn("alerts: %s: %s (attempt %ld; again in %llds)",
			    rn->cfg->alert_command, why, row.attempts,
			    (long long)backoff);
			(void)limits_outbox_fail(rn->store, rn->owner, row.seq,
			    (int64_t)time(NULL) + backoff, why);
			failed++;
		}
		free(row.payload);
	}
	if (sent > 0)
		log_info("alerts: %d delivered", sent);
	return rc != VN_OK || failed > 0 ? VN_EUNAVAIL : VN_OK;
}

static const struct option longopts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

/* -h and --help: the usage on stdout, exit 0; a usage error: stderr, 2. */
static void
usage(int status)
{
	fprintf(status == 0 ? stdout : stderr,
	    "usage: venna-batch [-hv] [-c file] [-t seconds] "
	    "[-u user[:group]]\n");
	exit(status);
}

/* Import the usage journals, then checkpoint; under the lock. */
static void
housekeeping(struct runner *rn)
{
	struct db	*db;
	long		 rows = 0;

	if ((db = store_get(rn->store)) == NULL)
		return;
	if (ledger_import(rn->cfg, db, &rows) != VN_OK)
		log_warn("the usage ledger was not fully imported");
	else if (rows > 0)
		log_info("imported %ld usage rows", rows);
	(void)checkpoint_once(rn->cfg, db, 0);
	store_put(rn->store, db);
}

int
main(int argc, char *argv[])
{
	struct runner	 rn;
	struct priv_user user, *pu = NULL;
	struct cfg	*cfg = NULL;
	const char	*cfgpath = NULL, *user_spec = NULL;
	char		 e[VN_ERRMSG];
	long		 budget = -1;
	size_t		 i;
	int		 ch, verbose = 0, status = 0, uflag = 0;

	while ((ch = getopt_long(argc, argv, "c:ht:u:v", longopts, NULL)) !=
	    -1)
		switch (ch) {
		case 'c':
			cfgpath = optarg;
			break;
		case 'h':
			usage(0);
			break;
		case 't':
			budget = strtol(optarg, NULL, 10);
			if (budget < 1 || budget > 86400)
				errx(2, "-t: seconds from 1 to 86400");
			break;
		case 'u':
			user_spec = optarg;
			uflag = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			usage(2);
		}
	if (optind != argc)
		usage(2);
	if ((cfg = cfg_open(&cfgpath, e, sizeof(e))) == NULL)
		errx(1, "%s", e);
	if (user_spec == NULL)
		user_spec = cfg->user;
	if (user_spec != NULL) {
		if (priv_lookup(user_spec, &user, e, sizeof(e)) != VN_OK)
			errx(1, "%s: %s", uflag ? "-u" : "user", e);
		pu = &user;
	}
	log_init("venna-batch", verbose ? LOG_LVL_DEBUG :
	    (enum log_level)cfg->log_level, cfg->log_syslog);
	if (log_output((enum log_format)cfg->log_format, cfg->log_file, e,
	    sizeof(e)) != VN_OK)
		errx(1, "%s", e);
	/* Before the state is touched: what it creates is the user's. */
	if (priv_drop(pu, uflag, e, sizeof(e)) != VN_OK)
		errx(1, "%s", e);
	if (!db_version_ok())
		errx(1, "SQLite %s predates 3.51.3; rebuild with ./bootstrap",
		    db_version());
	if (!ids_init() || upstream_global_init() != VN_OK)
		errx(1, "libsodium or libcurl failed to initialise");
	signal(SIGPIPE, SIG_IGN);
	(void)metrics_open(cfg->database, cfg->metrics, METRICS_ROLE_OTHER, 0);

	memset(&rn, 0, sizeof(rn));
	rn.cfg = cfg;
	rn.deadline_ms = clock_ms() + (budget > 0 ? budget * 1000 :
	    cfg->batch_time_budget_ms);
	if ((rn.store = store_new(cfg, 4)) == NULL || ledger_open(cfg) !=
	    VN_OK || lease_owner_begin(cfg, "run") != VN_OK)
		errx(1, "cannot open the database, the usage journal or the "
		    "lease directory");
	snprintf(rn.owner, sizeof(rn.owner), "%s", lease_owner());
	housekeeping(&rn);
	for (i = 0; i < VN_NELEM(tasks); i++) {
		if (clock_ms() >= rn.deadline_ms)
			break;
		log_debug("task %s", tasks[i].name);
		if (tasks[i].run(&rn) != VN_OK) {
			log_warn("task %s failed; the next pass retries it",
			    tasks[i].name);
			status = 1;
		}
	}
	lease_owner_end();
	ledger_close();
	housekeeping(&rn);
	store_free(rn.store);
	cfg_free(cfg);
	return status;
}
