/*
 * store.c: the per-process connection pool.  Connections are opened on
 * first demand, after fork and in the process that uses them (an
 * inherited connection corrupts databases), up to max_conns; a thread
 * that finds them all lent out waits for one.  Writers serialize inside
 * SQLite anyway, so a handful of connections serve hundreds of threads.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>

#include "cfg.h"
#include "db.h"
#include "log.h"
#include "store.h"

struct store {
	const struct cfg	*cfg;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	struct db		*idle;	/* free list */
	size_t			 open;	/* connections in existence */
	size_t			 max;
};

/* A pool for cfg's database.  Opens nothing yet.  NULL on ENOMEM. */
struct store *
store_new(const struct cfg *cfg, size_t max_conns)
{
	struct store	*s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->cfg = cfg;
	s->max = max_conns > 0 ? max_conns : 1;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	return s;
}

/* Close every idle connection.  All borrowed ones must be back. */
void
store_free(struct store *s)
{
	struct db	*db;

	if (s == NULL)
		return;
	while ((db = s->idle) != NULL) {
		s->idle = db->next;
		db_close(db);
	}
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s);
}

/*
 * Borrow a connection.  Returns NULL (logged) when a new connection
 * cannot be opened; the caller answers 500.  Give it back with
 * store_put() before any network I/O.
 */
struct db *
store_get(struct store *s)
{
	struct db	*db = NULL;
	char		 err[VN_ERRMSG];

	pthread_mutex_lock(&s->mu);
	for (;;) {
		if ((db = s->idle) != NULL) {
			s->idle = db->next;
			break;
		}
		if (s->open < s->max) {
			s->open++;
			pthread_mutex_unlock(&s->mu);
			if ((db = db_open(s->cfg, 0, err, sizeof(err))) ==
			    NULL) {
				log_error("database: %s", err);
				pthread_mutex_lock(&s->mu);
				s->open--;
				pthread_cond_signal(&s->cv);
				pthread_mutex_unlock(&s->mu);
			}
			return db;
		}
		pthread_cond_wait(&s->cv, &s->mu);
	}
	pthread_mutex_unlock(&s->mu);
	return db;
}

/* Return a borrowed connection; any open transaction is rolled back. */
void
store_put(struct store *s, struct db *db)
{
	if (db == NULL)
		return;
	if (db->in_txn)
		db_rollback(db);
	pthread_mutex_lock(&s->mu);
	db->next = s->idle;
	s->idle = db;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}
