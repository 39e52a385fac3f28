/*
 * fuzz_ledger.c: the usage journal's line parser (src/ledger.c), which
 * reads files that a killed process or a full disk may have cut short.
 *
 * The input is a journal: its lines are parsed as the importer parses
 * them.  A line that is refused must leave the row untouched (nothing
 * half-applied).  A line that is accepted must hold exactly 15 fields,
 * version "1" first, and the row must say exactly what the line says:
 * each string is its field ("-" is none where a field is optional),
 * each number is its field's value, not truncated to fit.  Then the
 * row goes through the real writer (ledger_append, into a journal in a
 * temporary directory) and the line it wrote must parse back to the
 * same row, but for what the writer normalises: an empty string is
 * written "-", a created_at of 0 or less means now.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "ids.h"
#include "ledger.h"
#include "must.h"
#include "usage.h"

#define JOURNAL_LINE	1024	/* ledger.c's LEDGER_LINE */
#define FIELDS		15

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct cfg *cfg;
static char	 dir[4096], jdir[4200];
static int	 rfd = -1;
static off_t	 roff;

/*
 * Start a journal of this process and open it for reading; then remove
 * it and its directories at once: the writer and the reader keep their
 * descriptors, and a run that aborts leaves nothing behind.
 */
static int
journal_start(void)
{
	struct dirent	*de;
	DIR		*d;
	char		 journal[4608];

	ledger_close();
	if (rfd != -1)
		close(rfd);
	rfd = -1;
	roff = 0;
	journal[0] = '\0';
	if ((mkdir(dir, 0700) == -1 && errno != EEXIST) ||
	    ledger_open(cfg) != VN_OK || (d = opendir(jdir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (strstr(de->d_name, ".ulog") != NULL)
			snprintf(journal, sizeof(journal), "%s/%s", jdir,
			    de->d_name);
	closedir(d);
	if (journal[0] != '\0')
		rfd = open(journal, O_RDONLY | O_CLOEXEC);
	(void)unlink(journal);
	(void)rmdir(jdir);
	(void)rmdir(dir);
	return rfd != -1;
}

/* Where the journals go: a fresh name under $TMPDIR, once a process. */
static int
setup(void)
{
	char		 conf[4200], err[256];
	const char	*tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/fuzz_ledger.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (!ids_init() || mkdtemp(dir) == NULL)
		return 0;
	snprintf(conf, sizeof(conf), "[server]\ndatabase = %s/v.db\n", dir);
	snprintf(jdir, sizeof(jdir), "%s/ledger", dir);
	if ((cfg = cfg_parse(conf, strlen(conf), NULL, 0, err,
	    sizeof(err))) == NULL) {
		(void)rmdir(dir);
		return 0;
	}
	return journal_start();
}

/* Write u with the real writer and read back the line it wrote. */
static int
rewrite(const struct ledger_row *u, char *line, size_t sz, size_t *len)
{
	ssize_t	 n;
	char	*nl;

	/* Journals rotate at 64 MiB; a fresh one well before. */
	if (roff > (16 << 20))
		MUST(journal_start());
	if (ledger_append(u) != VN_OK)
		return 0;
	n = pread(rfd, line, sz, roff);
	MUST(n > 0 && (nl = memchr(line, '\n', (size_t)n)) != NULL);
	*len = (size_t)(nl - line);
	roff += (off_t)*len + 1;
	MUST(roff == lseek(rfd, 0, SEEK_END));
	return 1;
}

static int
same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/*
 * What the writer makes of a string: "" is written "-" (none, where the
 * field is optional); a tab, newline or CR is written '?'.
 */
static int
same_written(const char *orig, const char *back, int optional)
{
	size_t	 i;

	if (orig == NULL || *orig == '\0')
		return optional ? back == NULL : same(back, "-");
	if (back == NULL || strlen(back) != strlen(orig))
		return 0;
	for (i = 0; orig[i] != '\0'; i++)
		if (back[i] != (strchr("\t\n\r", orig[i]) != NULL ? '?' :
		    orig[i]))
			return 0;
	return 1;
}

/* The row says what the line says. */
static void
check_row(const char *line, size_t n, const struct ledger_row *u,
    const char *store, size_t storesz)
{
	const char	*f[FIELDS];
	char		 copy[JOURNAL_LINE + 1], *p;
	long long	 v[7];
	size_t		 k, i;

	MUST(n < sizeof(copy));
	memcpy(copy, line, n);
	copy[n] = '\0';
	for (k = 0, p = copy; k < FIELDS && p != NULL; k++) {
		f[k] = p;
		if ((p = strchr(p, '\t')) != NULL)
			*p++ = '\0';
	}
	MUST(k == FIELDS && p == NULL && strcmp(f[0], "1") == 0);
	for (i = 0; i < 7; i++) {
		errno = 0;
		v[i] = strtoll(f[i == 0 ? 1 : 7 + i], &p, 10);
		MUST(errno == 0 && *p == '\0');
	}
	MUST(u->created_at == v[0] && u->prompt_tokens == v[1] &&
	    u->completion_tokens == v[2] && u->cached_tokens == v[3] &&
	    u->cost_pusd == v[4] && u->status == v[5] &&
	    u->latency_ms == v[6]);
	MUST(same(u->request_id, f[2]) && same(u->workspace_id, f[3]) &&
	    same(u->endpoint, f[5]));
	MUST(strcmp(f[4], "-") == 0 ? u->key_id == NULL :
	    same(u->key_id, f[4]));
	MUST(strcmp(f[6], "-") == 0 ? u->model == NULL : same(u->model, f[6]));
	MUST(strcmp(f[7], "-") == 0 ? u->upstream == NULL :
	    same(u->upstream, f[7]));
	MUST(strcmp(f[14], "-") == 0 ? u->batch_id == NULL :
	    same(u->batch_id, f[14]));
	/* Every string lives in the caller's store. */
	MUST(u->request_id >= store && u->request_id < store + storesz);
	MUST(u->batch_id == NULL ||
	    (u->batch_id >= store && u->batch_id < store + storesz));
}

static void
check_line(const char *line, size_t n)
{
	struct ledger_row u, sentinel, back;
	char		 store[JOURNAL_LINE + 1], store2[JOURNAL_LINE + 1];
	char		 out[JOURNAL_LINE + 2];
	size_t		 len;

	memset(&u, 0xa5, sizeof(u));
	memcpy(&sentinel, &u, sizeof(u));
	if (!ledger_parse_line(line, n, &u, store, sizeof(store))) {
		MUST(memcmp(&u, &sentinel, sizeof(u)) == 0);
		return;
	}
	check_row(line, n, &u, store, sizeof(store));
	if (!rewrite(&u, out, sizeof(out), &len)) {
		/* Only a line near the cap may grow past it ("" -> "-"). */
		MUST(n + 2 * FIELDS >= JOURNAL_LINE);
		return;
	}
	MUST(ledger_parse_line(out, len, &back, store2, sizeof(store2)));
	check_row(out, len, &back, store2, sizeof(store2));
	MUST(u.created_at > 0 ? back.created_at == u.created_at :
	    back.created_at > 0);
	MUST(same_written(u.request_id, back.request_id, 0) &&
	    same_written(u.workspace_id, back.workspace_id, 0) &&
	    same_written(u.key_id, back.key_id, 1) &&
	    same_written(u.endpoint, back.endpoint, 0) &&
	    same_written(u.model, back.model, 1) &&
	    same_written(u.upstream, back.upstream, 1) &&
	    same_written(u.batch_id, back.batch_id, 1));
	MUST(back.prompt_tokens == u.prompt_tokens &&
	    back.completion_tokens == u.completion_tokens &&
	    back.cached_tokens == u.cached_tokens &&
	    back.cost_pusd == u.cost_pusd && back.status == u.status &&
	    back.latency_ms == u.latency_ms);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int	 ready = -1;
	const uint8_t	*nl;

	if (ready == -1)
		ready = setup();
	MUST(ready);
	while (size > 0) {
		nl = memchr(data, '\n', size);
		check_line((const char *)data, nl != NULL ?
		    (size_t)(nl - data) : size);
		if (nl == NULL)
			break;
		size -= (size_t)(nl - data) + 1;
		data = nl + 1;
	}
	return 0;
}
