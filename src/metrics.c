/*
 * metrics.c: the segment of counters and histograms (metrics.h), and
 * its exposition.
 *
 * The segment is a header (with one robust process-shared mutex), a
 * table of processes and an open-addressing hash table of series.  An
 * update finds its series without the lock: a series is written whole
 * and then published by a release store of its state, and is never
 * moved or removed while the segment lives, so a reader that sees it
 * published sees it whole.  Only adding a series takes the lock (the
 * probe is repeated under it, so two processes adding the same series
 * make one).  A process killed while holding the lock leaves at most a
 * slot written but unpublished, which the next adder overwrites.
 *
 * Values are 64-bit counters updated with atomic adds: nothing is lost
 * under concurrency and nothing waits.  A histogram keeps its buckets
 * uncumulated (one add per observation) and its sum in microseconds;
 * the exposition cumulates them and takes the count from their total,
 * so a scrape never shows a count its buckets do not add up to.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "metrics.h"
#include "segfile.h"

#define MSEG_MAGIC	0x3154454d4e4e4556ULL	/* "VENNMET1" */
#define MSEG_VERSION	1
#define SEP		'\x1f'	/* between label values in a key */
#define PROBES		64	/* slots looked at before giving up */

enum family_type {
	FT_COUNTER,
	FT_HISTOGRAM
};

static const struct family {
	const char	*name;
	const char	*help;
	enum family_type type;
	int		 nlabels;
	const char	*labels[METRICS_LABELS];
	double		 scale;		/* a value's unit in the exposition */
} families[MET__N] = {
	[MET_REQUESTS] = { "venna_requests_total",
	    "Requests answered, by route, model, upstream and status.",
	    FT_COUNTER, 4, { "route", "model", "upstream", "status" }, 1 },
	[MET_REQUEST_SECONDS] = { "venna_request_duration_seconds",
	    "Time from a request's arrival to its last byte.",
	    FT_HISTOGRAM, 2, { "route", "model" }, 1e-6 },
	[MET_TTFB_SECONDS] = { "venna_time_to_first_byte_seconds",
	    "Time from a request's arrival to its status and headers.",
	    FT_HISTOGRAM, 2, { "route", "model" }, 1e-6 },
	[MET_UPSTREAM_SECONDS] = { "venna_upstream_duration_seconds",
	    "Time of one attempt on an upstream, to its last byte.",
	    FT_HISTOGRAM, 2, { "upstream", "model" }, 1e-6 },
	[MET_UPSTREAM_FAILURES] = { "venna_upstream_failures_total",
	    "Upstream attempts that failed (unreachable, timed out, 5xx, "
	    "429, a broken answer).",
	    FT_COUNTER, 2, { "upstream", "model" }, 1 },
	[MET_UPSTREAM_COOLDOWNS] = { "venna_upstream_cooldowns_total",
	    "Times an upstream was set aside (unreachable, or it asked "
	    "to be left alone).",
	    FT_COUNTER, 1, { "upstream" }, 1 },
	[MET_TOKENS] = { "venna_tokens_total",
	    "Tokens billed, by workspace, model and kind.",
	    FT_COUNTER, 3, { "workspace", "model", "kind" }, 1 },
	[MET_COST] = { "venna_cost_usd_total",
	    "Cost billed, in US dollars.",
	    FT_COUNTER, 2, { "workspace", "model" }, 1e-12 },
	[MET_WORKER_STARTS] = { "venna_worker_starts_total",
	    "Worker processes started.", FT_COUNTER, 0, { NULL }, 1 },
	[MET_WORKER_CRASHES] = { "venna_worker_crashes_total",
	    "Workers that died of a signal or a failure exit (the "
	    "supervisor starts another).", FT_COUNTER, 0, { NULL }, 1 },
	[MET_BATCH_LINES] = { "venna_batch_lines_total",
	    "Batch lines finished, by outcome.",
	    FT_COUNTER, 1, { "outcome" }, 1 },
};

/* Upper bounds of the finite buckets, in microseconds. */
static const long bucket_us[METRICS_BUCKETS] = {
	5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000, 10000000, 30000000, 60000000, 300000000
};

struct series {
	uint32_t	 state;		/* 1 once published; never back */
	uint32_t	 family;
	uint32_t	 hash;
	uint32_t	 spare;
	char		 key[METRICS_KEY_MAX];	/* values joined by SEP */
	/* counter: v[0]; histogram: buckets, overflow, sum in us */
	uint64_t	 v[METRICS_BUCKETS + 2];
};

struct proc {
	int32_t		 pid;		/* 0: free */
	uint32_t	 role;
	uint64_t	 start;		/* with pid, names the process */
	uint32_t	 threads;
	uint32_t	 busy;
};

struct mseg {
	struct segfile_hdr file;
	pthread_mutex_t	 mu;		/* adds series, claims procs */
	uint64_t	 dropped;
	struct proc	 proc[METRICS_PROCS];
	struct series	 series[METRICS_SERIES];
};

static struct mseg	*seg;		/* this process's mapping */
static pid_t		 seg_pid;	/* who mapped it */
static struct proc	*me;		/* our row in proc[], or NULL */

static int
seg_init(void *map, void *arg)
{
	struct mseg		*s = map;
	pthread_mutexattr_t	 ma;
	int			 rc;

	(void)arg;
	if (pthread_mutexattr_init(&ma) != 0)
		return 0;
	rc = pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED) ||
	    pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST) ||
	    pthread_mutex_init(&s->mu, &ma);
	pthread_mutexattr_destroy(&ma);
	return rc == 0;
}

/* Take the lock; a holder that died left nothing to repair. */
static int
seg_lock(void)
{
	int	 rc;

	if ((rc = pthread_mutex_lock(&seg->mu)) == EOWNERDEAD)
		rc = pthread_mutex_consistent(&seg->mu);
	return rc == 0;
}

/*
 * Claim a row for this process: a free one, or one whose process is
 * gone (killed without leaving it).
 */
static struct proc *
proc_claim(enum metrics_role role, int threads)
{
	struct proc	*p, *got = NULL;
	uint64_t	 start;
	char		 state;
	size_t		 i;

	start = segfile_proc_start(getpid(), &state);
	if (!seg_lock())
		return NULL;
	for (i = 0; i < METRICS_PROCS && got == NULL; i++) {
		p = &seg->proc[i];
		if (p->pid == 0 || !segfile_proc_alive(p->pid, p->start))
			got = p;
	}
	if (got != NULL) {
		got->role = (uint32_t)role;
		got->start = start;
		got->threads = threads > 0 ? (uint32_t)threads : 0;
		__atomic_store_n(&got->busy, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&got->pid, (int32_t)getpid(),
		    __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&seg->mu);
	return got;
}

int
metrics_open(const char *database, int enabled, enum metrics_role role,
    int threads)
{
	void	*map = NULL;
	char	 err[512];

	if (seg != NULL && seg_pid == getpid())
		return 0;
	if (seg != NULL) {
		/* Inherited across fork: the parent's row is not ours. */
		segfile_unmap(seg, sizeof(*seg));
		seg = NULL;
		me = NULL;
	}
	if (!enabled)
		return 0;
	if (segfile_map(database, METRICS_SUFFIX, sizeof(struct mseg),
	    MSEG_MAGIC, MSEG_VERSION, seg_init, NULL, &map, err,
	    sizeof(err)) != VN_OK) {
		log_error("metrics: %s", err);
		return -1;
	}
	seg = map;
	seg_pid = getpid();
	if ((me = proc_claim(role, threads)) == NULL)
		log_warn("metrics: no room to count this process in the "
		    "pool");
	if (role == METRICS_ROLE_WORKER)
		metrics_add(MET_WORKER_STARTS, NULL, 1);
	return 0;
}

void
metrics_close(void)
{
	if (seg == NULL || seg_pid != getpid())
		return;
	if (me != NULL)
		__atomic_store_n(&me->pid, 0, __ATOMIC_RELEASE);
	segfile_unmap(seg, sizeof(*seg));
	seg = NULL;
	me = NULL;
}

int
metrics_enabled(void)
{
	return seg != NULL;
}

/*
 * Join the label values into key (cap keysz).  0 if they do not fit:
 * such a series is dropped, never cut short into another one's key.
 */
static int
make_key(const struct family *f, const char *const *labels, char *key,
    size_t keysz, size_t *len)
{
	size_t	 o = 0, n;
	int	 i;

	for (i = 0; i < f->nlabels; i++) {
		const char *v = labels[i] != NULL ? labels[i] : "";

		n = strlen(v);
		if (memchr(v, SEP, n) != NULL || o + n + 2 > keysz)
			return 0;
		if (i > 0)
			key[o++] = SEP;
		memcpy(key + o, v, n);
		o += n;
	}
	key[o] = '\0';
	*len = o;
	return 1;
}

/* FNV-1a over the family and the key. */
static uint32_t
hash_key(enum metric m, const char *key, size_t len)
{
	uint32_t	 h = 2166136261u ^ (uint32_t)m;
	size_t		 i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)key[i]) * 16777619u;
	return h;
}

/*
 * The published series of m with key, or NULL.  *free_at gets the
 * first unpublished slot on its probe path (where to add it), or -1.
 */
static struct series *
probe(enum metric m, const char *key, uint32_t h, long *free_at)
{
	struct series	*s;
	size_t		 i, at;

	*free_at = -1;
	for (i = 0; i < PROBES; i++) {
		at = (h + i) % METRICS_SERIES;
		s = &seg->series[at];
		if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) == 0) {
			*free_at = (long)at;
			return NULL;
		}
		if (s->hash == h && s->family == (uint32_t)m &&
		    strcmp(s->key, key) == 0)
			return s;
	}
	return NULL;
}

/* The series of m with these labels, added if new; NULL: dropped. */
static struct series *
series_of(enum metric m, const char *const *labels)
{
	const struct family *f = &families[m];
	struct series	*s;
	char		 key[METRICS_KEY_MAX];
	size_t		 len;
	uint32_t	 h;
	long		 at;

	if (!make_key(f, labels, key, sizeof(key), &len))
		goto dropped;
	h = hash_key(m, key, len);
	if ((s = probe(m, key, h, &at)) != NULL)
		return s;
	if (at == -1 || !seg_lock())
		goto dropped;
	/* Again under the lock: another process may have added it. */
	if ((s = probe(m, key, h, &at)) == NULL && at != -1) {
		s = &seg->series[at];
		memset(s->v, 0, sizeof(s->v));
		s->family = (uint32_t)m;
		s->hash = h;
		memcpy(s->key, key, len + 1);
		__atomic_store_n(&s->state, 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&seg->mu);
	if (s != NULL)
		return s;
dropped:
	__atomic_add_fetch(&seg->dropped, 1, __ATOMIC_RELAXED);
	return NULL;
}

void
metrics_add(enum metric m, const char *const *labels, uint64_t n)
{
	struct series	*s;

	if (seg == NULL || families[m].type != FT_COUNTER)
		return;
	if ((s = series_of(m, labels)) != NULL)
		__atomic_add_fetch(&s->v[0], n, __ATOMIC_RELAXED);
}

void
metrics_observe(enum metric m, const char *const *labels, long us)
{
	struct series	*s;
	size_t		 b;

	if (seg == NULL || families[m].type != FT_HISTOGRAM)
		return;
	if (us < 0)
		us = 0;
	for (b = 0; b < METRICS_BUCKETS && us > bucket_us[b]; b++)
		continue;
	if ((s = series_of(m, labels)) == NULL)
		return;
	__atomic_add_fetch(&s->v[b], 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&s->v[METRICS_BUCKETS + 1], (uint64_t)us,
	    __ATOMIC_RELAXED);
}

void
metrics_busy(int delta)
{
	if (seg == NULL || me == NULL)
		return;
	if (delta > 0)
		__atomic_add_fetch(&me->busy, (uint32_t)delta,
		    __ATOMIC_RELAXED);
	else
		__atomic_sub_fetch(&me->busy, (uint32_t)-delta,
		    __ATOMIC_RELAXED);
}

void
metrics_pool(struct metrics_pool *out)
{
	struct proc	*p;
	size_t		 i;
	pid_t		 pid;

	memset(out, 0, sizeof(*out));
	if (seg == NULL)
		return;
	for (i = 0; i < METRICS_PROCS; i++) {
		p = &seg->proc[i];
		pid = __atomic_load_n(&p->pid, __ATOMIC_ACQUIRE);
		if (pid == 0 || p->role != METRICS_ROLE_WORKER ||
		    !segfile_proc_alive(pid, p->start))
			continue;
		out->workers++;
		out->threads += p->threads;
		out->busy += __atomic_load_n(&p->busy, __ATOMIC_RELAXED);
	}
	out->dropped = __atomic_load_n(&seg->dropped, __ATOMIC_RELAXED);
}

/* A label value as the exposition format quotes it. */
static enum vn_err
add_label_value(struct buf *out, const char *v, size_t n)
{
	enum vn_err	 rc = VN_OK;
	size_t		 i;

	for (i = 0; i < n && rc == VN_OK; i++)
		if (v[i] == '\\' || v[i] == '"')
			rc = buf_addf(out, "\\%c", v[i]);
		else if (v[i] == '\n')
			rc = buf_addstr(out, "\\n");
		else
			rc = buf_addc(out, v[i]);
	return rc;
}

/*
 * name{l1="v1",...,extra} for series s; extra (le="...") may be NULL.
 */
static enum vn_err
add_name(struct buf *out, const struct family *f, const char *suffix,
    const struct series *s, const char *extra)
{
	const char	*v = s->key, *end;
	enum vn_err	 rc;
	int		 i, any = 0;

	if ((rc = buf_addf(out, "%s%s", f->name, suffix)) != VN_OK)
		return rc;
	for (i = 0; i < f->nlabels && rc == VN_OK; i++) {
		end = strchr(v, SEP);
		if (end == NULL)
			end = v + strlen(v);
		if ((rc = buf_addf(out, "%s%s=\"", any ? "," : "{",
		    f->labels[i])) == VN_OK &&
		    (rc = add_label_value(out, v, (size_t)(end - v))) ==
		    VN_OK)
			rc = buf_addc(out, '"');
		any = 1;
		v = *end == SEP ? end + 1 : end;
	}
	if (rc == VN_OK && extra != NULL)
		rc = buf_addf(out, "%s%s", any ? "," : "{", extra);
	if (rc == VN_OK && (any || extra != NULL))
		rc = buf_addc(out, '}');
	return rc;
}

static enum vn_err
write_histogram(struct buf *out, const struct family *f,
    const struct series *s)
{
	uint64_t	 cum = 0, v;
	char		 le[32];
	enum vn_err	 rc = VN_OK;
	size_t		 b;

	for (b = 0; b <= METRICS_BUCKETS && rc == VN_OK; b++) {
		v = __atomic_load_n(&s->v[b], __ATOMIC_RELAXED);
		cum += v;
		if (b < METRICS_BUCKETS)
			snprintf(le, sizeof(le), "le=\"%g\"",
			    (double)bucket_us[b] * f->scale);
		else
			snprintf(le, sizeof(le), "le=\"+Inf\"");
		if ((rc = add_name(out, f, "_bucket", s, le)) == VN_OK)
			rc = buf_addf(out, " %llu\n", (unsigned long long)cum);
	}
	v = __atomic_load_n(&s->v[METRICS_BUCKETS + 1], __ATOMIC_RELAXED);
	if (rc == VN_OK && (rc = add_name(out, f, "_sum", s, NULL)) == VN_OK)
		rc = buf_addf(out, " %.6f\n", (double)v * f->scale);
	if (rc == VN_OK &&
	    (rc = add_name(out, f, "_count", s, NULL)) == VN_OK)
		rc = buf_addf(out, " %llu\n", (unsigned long long)cum);
	return rc;
}

static enum vn_err
write_counter(struct buf *out, const struct family *f,
    const struct series *s)
{
	uint64_t	 v = __atomic_load_n(&s->v[0], __ATOMIC_RELAXED);
	enum vn_err	 rc;

	if ((rc = add_name(out, f, "", s, NULL)) != VN_OK)
		return rc;
	if (f->scale == 1)
		return buf_addf(out, " %llu\n", (unsigned long long)v);
	return buf_addf(out, " %.12g\n", (double)v * f->scale);
}

enum vn_err
metrics_write(struct buf *out)
{
	const struct family *f;
	const struct series *s;
	enum vn_err	 rc = VN_OK;
	size_t		 m, i;
	int		 any;

	if (seg == NULL)
		return VN_OK;
	for (m = 0; m < MET__N && rc == VN_OK; m++) {
		f = &families[m];
		rc = buf_addf(out, "# HELP %s %s\n# TYPE %s %s\n", f->name,
		    f->help, f->name, f->type == FT_COUNTER ? "counter" :
		    "histogram");
		any = 0;
		for (i = 0; i < METRICS_SERIES && rc == VN_OK; i++) {
			s = &seg->series[i];
			if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) !=
			    1 || s->family != m)
				continue;
			any = 1;
			rc = f->type == FT_COUNTER ? write_counter(out, f, s) :
			    write_histogram(out, f, s);
		}
		/* A family with no labels reads 0 before its first add. */
		if (rc == VN_OK && !any && f->nlabels == 0)
			rc = buf_addf(out, "%s 0\n", f->name);
	}
	return rc;
}
