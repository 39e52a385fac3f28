/*
 * checkpoint.c: one checkpointer at a time.  All connections run with
 * wal_autocheckpoint=0, because several processes checkpointing the
 * same WAL at the same instant is the shape of the WAL-reset bug
 * (reliability.md S9) and concurrent checkpoints only contend anyway.
 * Instead, whoever holds an exclusive flock on "<database>.ckpt-lock"
 * checkpoints; the lock is a separate file, so taking it never touches
 * SQLite's own POSIX locks, and it is released by the kernel when its
 * holder dies.  venna-batch takes the same lock for its checkpoints.
 * The same process imports the usage ledger's journals (ledger.c) just
 * before, so the rows of the last second land in one transaction.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cfg.h"
#include "checkpoint.h"
#include "clock.h"
#include "db.h"
#include "ledger.h"
#include "log.h"
#include "store.h"

#define CKPT_INTERVAL_MS	1000
#define CKPT_RETRY_LOCK_MS	5000

struct checkpointer {
	const struct cfg	*cfg;
	struct store		*store;
	pthread_t		 tid;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	int			 stop;
	int			 lockfd;
};

static int
lock_open(const struct cfg *cfg)
{
	char	 path[4096];

	snprintf(path, sizeof(path), "%s.ckpt-lock", cfg->database);
	return open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
}

/*
 * Take the checkpoint lock and checkpoint once, with db.  With wait 0 a
 * held lock means someone else is the checkpointer and nothing is done.
 */
enum vn_err
checkpoint_once(const struct cfg *cfg, struct db *db, int wait)
{
	enum vn_err	 rc;
	int		 fd;

	if ((fd = lock_open(cfg)) == -1)
		return VN_ESYS;
	if (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) == -1) {
		close(fd);
		return errno == EWOULDBLOCK ? VN_OK : VN_ESYS;
	}
	rc = db_checkpoint(db, 0);
	close(fd);
	return rc;
}

static void
sleep_ms(struct checkpointer *c, long ms)
{
	struct timespec	 ts;

	clock_deadline(&ts, ms);
	pthread_mutex_lock(&c->mu);
	if (!c->stop)
		pthread_cond_timedwait(&c->cv, &c->mu, &ts);
	pthread_mutex_unlock(&c->mu);
}

static void *
run(void *arg)
{
	struct checkpointer	*c = arg;
	struct db		*db;
	int			 leader = 0;

	for (;;) {
		pthread_mutex_lock(&c->mu);
		if (c->stop) {
			pthread_mutex_unlock(&c->mu);
			break;
		}
		pthread_mutex_unlock(&c->mu);
		if (!leader) {
			if (c->lockfd == -1)
				c->lockfd = lock_open(c->cfg);
			if (c->lockfd != -1 &&
			    flock(c->lockfd, LOCK_EX | LOCK_NB) == 0) {
				leader = 1;
				log_debug("this process is the checkpointer");
			}
		}
		if (leader && (db = store_get(c->store)) != NULL) {
			long	 rows = 0;

			if (ledger_import(c->cfg, db, &rows) != VN_OK)
				log_warn("ledger import incomplete");
			(void)db_checkpoint(db, 0);
			store_put(c->store, db);
		}
		sleep_ms(c, leader ? CKPT_INTERVAL_MS : CKPT_RETRY_LOCK_MS);
	}
	if (c->lockfd != -1)
		close(c->lockfd);	/* releases the lock */
	return NULL;
}

/* Start the checkpoint thread of this process.  NULL on failure. */
struct checkpointer *
checkpoint_start(const struct cfg *cfg, struct store *store)
{
	struct checkpointer	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->cfg = cfg;
	c->store = store;
	c->lockfd = -1;
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	if (pthread_create(&c->tid, NULL, run, c) != 0) {
		pthread_mutex_destroy(&c->mu);
		pthread_cond_destroy(&c->cv);
		free(c);
		return NULL;
	}
	return c;
}

/* Stop and join the thread; hands the lock to the next process. */
void
checkpoint_stop(struct checkpointer *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	c->stop = 1;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->tid, NULL);
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	free(c);
}
