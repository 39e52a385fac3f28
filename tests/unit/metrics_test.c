/*
 * metrics_test.c: the metrics segment on its own: counts exact when
 * several processes add at once, histograms cumulated in the
 * exposition, label values escaped, the pool's gauges counting live
 * processes only, counts kept across a close and reopen, a full series
 * table dropping (and counting) instead of failing, and metrics = off.
 */
#include "config.h"

#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "metrics.h"
#include "../tap.h"

static char	 db[256];

/* The exposition now, NUL-terminated; the caller frees it. */
static char *
expose(void)
{
	struct buf	 b;

	buf_init(&b, 64 << 20);
	if (metrics_write(&b) != VN_OK || buf_addc(&b, '\0') != VN_OK) {
		buf_free(&b);
		return strdup("");
	}
	return buf_steal(&b);
}

/* Whether the exposition holds line (a whole line). */
static int
has_line(const char *line)
{
	char	*text = expose(), *p;
	size_t	 n = strlen(line);
	int	 found = 0;

	for (p = text; p != NULL && *p != '\0' && !found;
	    p = strchr(p, '\n') != NULL ? strchr(p, '\n') + 1 : NULL)
		found = strncmp(p, line, n) == 0 && p[n] == '\n';
	free(text);
	return found;
}

static void
test_concurrent(void)
{
	const char	*l[4] = { "/v1/chat/completions", "m", "up", "200" };
	pid_t		 kids[4];
	int		 i, k, status, all = 1;

	for (k = 0; k < 4; k++) {
		if ((kids[k] = fork()) == 0) {
			/* Each process maps the segment on its own. */
			if (metrics_open(db, 1, METRICS_ROLE_OTHER, 0) != 0)
				_exit(2);
			for (i = 0; i < 20000; i++) {
				metrics_add(MET_REQUESTS, l, 1);
				metrics_observe(MET_REQUEST_SECONDS, l,
				    i % 2 ? 3000 : 700000);
			}
			metrics_close();
			_exit(0);
		}
	}
	for (k = 0; k < 4; k++)
		if (waitpid(kids[k], &status, 0) != kids[k] ||
		    !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			all = 0;
	ok(all, "four processes added at once");
	ok(has_line("venna_requests_total{route=\"/v1/chat/completions\","
	    "model=\"m\",upstream=\"up\",status=\"200\"} 80000"),
	    "80000 counted: none lost");
	ok(has_line("venna_request_duration_seconds_bucket{route=\""
	    "/v1/chat/completions\",model=\"m\",le=\"0.005\"} 40000"),
	    "the 3 ms half in the 5 ms bucket");
	ok(has_line("venna_request_duration_seconds_bucket{route=\""
	    "/v1/chat/completions\",model=\"m\",le=\"0.5\"} 40000"),
	    "buckets are cumulative: 0.5 s still 40000");
	ok(has_line("venna_request_duration_seconds_bucket{route=\""
	    "/v1/chat/completions\",model=\"m\",le=\"1\"} 80000"),
	    "the 700 ms half by 1 s");
	ok(has_line("venna_request_duration_seconds_bucket{route=\""
	    "/v1/chat/completions\",model=\"m\",le=\"+Inf\"} 80000"),
	    "+Inf is all");
	ok(has_line("venna_request_duration_seconds_count{route=\""
	    "/v1/chat/completions\",model=\"m\"} 80000"), "count");
	ok(has_line("venna_request_duration_seconds_sum{route=\""
	    "/v1/chat/completions\",model=\"m\"} 28120.000000"),
	    "sum in seconds");
}

static void
test_labels(void)
{
	const char	*l[3] = { "ws_\"q\\\n", "m", "prompt" };
	const char	*sep[3] = { "ws\x1f" "x", "m", "prompt" };
	char		 huge[300];

	metrics_add(MET_TOKENS, l, 7);
	ok(has_line("venna_tokens_total{workspace=\"ws_\\\"q\\\\\\n\","
	    "model=\"m\",kind=\"prompt\"} 7"), "label values escaped");
	metrics_add(MET_TOKENS, sep, 1);
	memset(huge, 'w', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	l[0] = huge;
	metrics_add(MET_TOKENS, l, 1);
	ok(has_line("venna_metrics_dropped_total 0") == 0,
	    "(the pool's gauges are metrics_http's, not here)");
	metrics_add(MET_COST, (const char *const[]){ "ws", "m" },
	    1500000000000ULL);
	ok(has_line("venna_cost_usd_total{workspace=\"ws\",model=\"m\"} "
	    "1.5"), "picodollars shown in dollars");
	ok(has_line("venna_worker_crashes_total 0"),
	    "a family without labels reads 0 before its first add");
}

static void
test_pool(void)
{
	struct metrics_pool p;
	pid_t		 kid;
	int		 fds[2], status;
	char		 c;

	metrics_close();
	ok(metrics_open(db, 1, METRICS_ROLE_WORKER, 8) == 0, "reopened");
	ok(has_line("venna_tokens_total{workspace=\"ws_\\\"q\\\\\\n\","
	    "model=\"m\",kind=\"prompt\"} 7"), "counts kept across a reopen");
	metrics_busy(1);
	metrics_pool(&p);
	is_int(p.workers, 1, "one live worker: this process");
	is_int(p.threads, 8, "its 8 threads");
	is_int(p.busy, 1, "one busy");
	is_int(p.dropped, 2, "the key with a separator and the overlong "
	    "one were dropped");
	if (pipe(fds) == -1 || (kid = fork()) == -1)
		return;
	if (kid == 0) {
		close(fds[0]);
		metrics_open(db, 1, METRICS_ROLE_WORKER, 4);
		metrics_busy(2);
		(void)write(fds[1], "x", 1);
		pause();
		_exit(0);
	}
	close(fds[1]);
	(void)read(fds[0], &c, 1);
	metrics_pool(&p);
	is_int(p.workers, 2, "a second worker");
	is_int(p.threads, 12, "threads of both");
	is_int(p.busy, 3, "busy of both");
	kill(kid, SIGKILL);
	waitpid(kid, &status, 0);
	metrics_pool(&p);
	is_int(p.workers, 1, "a killed worker no longer counts");
	is_int(p.busy, 1, "nor its busy threads");
	metrics_busy(-1);
	metrics_pool(&p);
	is_int(p.busy, 0, "none busy");
	close(fds[0]);
}

static void
test_full(void)
{
	struct metrics_pool p;
	const char	*l[3] = { NULL, "m", "prompt" };
	char		 ws[32];
	int		 i;

	for (i = 0; i < METRICS_SERIES + 100; i++) {
		snprintf(ws, sizeof(ws), "ws_%d", i);
		l[0] = ws;
		metrics_add(MET_TOKENS, l, 1);
	}
	metrics_pool(&p);
	ok(p.dropped > 100, "a full table drops new series (%llu)",
	    (unsigned long long)p.dropped);
	ok(has_line("venna_tokens_total{workspace=\"ws_0\",model=\"m\","
	    "kind=\"prompt\"} 1"), "the series it had stay");
	l[0] = "ws_0";
	metrics_add(MET_TOKENS, l, 1);
	ok(has_line("venna_tokens_total{workspace=\"ws_0\",model=\"m\","
	    "kind=\"prompt\"} 2"), "and still count");
}

int
main(void)
{
	char	 dir[] = "/tmp/metrics_test.XXXXXX";
	char	*text;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(db, sizeof(db), "%s/venna.db", dir);

	ok(metrics_open(db, 0, METRICS_ROLE_OTHER, 0) == 0 &&
	    !metrics_enabled(), "metrics = off: no segment");
	metrics_add(MET_WORKER_STARTS, NULL, 1);
	text = expose();
	is_str(text, "", "... and nothing to show");
	free(text);
	ok(metrics_open("relative.db", 1, METRICS_ROLE_OTHER, 0) == -1,
	    "a relative database path is refused");
	ok(metrics_open(db, 1, METRICS_ROLE_OTHER, 0) == 0 &&
	    metrics_enabled(), "the segment opens");
	test_concurrent();
	test_labels();
	test_pool();
	test_full();
	metrics_close();
	snprintf(db, sizeof(db), "rm -rf %s", dir);
	(void)system(db);
	return done_testing();
}
