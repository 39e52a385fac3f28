/*
 * filestore_test.c: file contents on disk.  Client filenames are
 * sanitised (table below) and never reach a path: the only names on
 * disk are the temporary ones and <shard>/<id>.  The write path leaves
 * exactly one complete file or nothing (commit, abort, a write that
 * fails, a bad id).  Content-Disposition can never carry CR, LF or a
 * quote.  filestore_purge() reclaims deleted and expired files after
 * their grace, abandoned uploads after an hour and, in an hourly walk,
 * contents that no row names, and nothing else.
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "cfg.h"
#include "db.h"
#include "files.h"
#include "filestore.h"
#include "ids.h"
#include "clock.h"
#include "orphans.h"
#include "workspace.h"
#include "../tap.h"
#include "test_cfg.h"

static char	 dir[] = "/tmp/venna-filestore-test.XXXXXX";

static const struct {
	const char	*in;
	size_t		 len;		/* 0: strlen */
	const char	*out;
} names[] = {
	{ "report.pdf", 0, "report.pdf" },
	{ "../../etc/passwd", 0, "passwd" },
	{ "/etc/shadow", 0, "shadow" },
	{ "C:\\Users\\me\\report.pdf", 0, "report.pdf" },
	{ "a\r\nb.txt", 0, "ab.txt" },
	{ "a\0b.txt", 7, "ab.txt" },
	{ "say \"hi\".txt", 0, "say hi.txt" },
	{ "tab\there", 0, "tabhere" },
	{ "  spaced name.txt  ", 0, "spaced name.txt" },
	{ "h\xc3\xa9llo w\xc3\xb6rld.txt", 0, "h\xc3\xa9llo w\xc3\xb6rld.txt" },
	{ "\xf0\x9f\x98\x80.jsonl", 0, "\xf0\x9f\x98\x80.jsonl" },
	{ "a\xff\xfe" "b.txt", 0, "ab.txt" },
	{ "\xc0\xaf" "etc", 0, "etc" },			/* overlong "/" */
	{ "\xed\xa0\x80x", 0, "x" },			/* a surrogate */
	{ "\xc3", 0, "upload" },			/* truncated */
	{ "evil\xe2\x80\xaetxt.exe", 0, "eviltxt.exe" },	/* RLO */
	{ "zero\xe2\x80\x8bwidth", 0, "zerowidth" },
	{ "\xc2\x85next", 0, "next" },			/* C1 NEL */
	{ "\xef\xbb\xbf" "bom.txt", 0, "bom.txt" },
	{ "del\x7f.txt", 0, "del.txt" },
	{ "", 0, "upload" },
	{ ".", 0, "upload" },
	{ "..", 0, "upload" },
	{ "dir/", 0, "upload" },
	{ "\r\n", 0, "upload" },
	{ ".hidden", 0, ".hidden" },
	{ "a..b", 0, "a..b" },
};

/* Entries of dir/files/sub (sub may be ""), "." and ".." aside. */
static int
entries(const char *sub)
{
	char		 path[1024];
	struct dirent	*de;
	DIR		*d;
	int		 n = 0;

	snprintf(path, sizeof(path), "%s/files/%s", dir, sub);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static int
valid_utf8(const char *s, size_t n)
{
	size_t	 i = 0, k, len;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];

		len = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
		if (c >= 0x80 && c < 0xc2)
			return 0;
		if (i + len > n)
			return 0;
		for (k = 1; k < len; k++)
			if (((unsigned char)s[i + k] & 0xc0) != 0x80)
				return 0;
		i += len;
	}
	return 1;
}

/* Store n bytes of c as file id; returns 1 if it worked. */
static int
store(const struct cfg *cfg, const char *id, size_t n, char c)
{
	struct filestore_tmp t;
	char		 buf[4096];
	size_t		 k;

	memset(buf, c, sizeof(buf));
	if (filestore_tmp_open(cfg, &t) != VN_OK)
		return 0;
	for (k = 0; k < n; k += sizeof(buf))
		if (filestore_tmp_write(&t, buf, n - k < sizeof(buf) ?
		    n - k : sizeof(buf)) != VN_OK) {
			filestore_tmp_abort(&t);
			return 0;
		}
	return filestore_tmp_commit(cfg, &t, id) == VN_OK;
}

static int
exists(const char *id)
{
	char		 path[1024];
	struct stat	 st;

	snprintf(path, sizeof(path), "%s/files/%.2s/%s", dir, id + 5, id);
	return stat(path, &st) == 0;
}

static void
sanitizer(void)
{
	char		 out[FILE_NAME_MAX + 1], in[1024], want[512];
	size_t		 i, n, len;

	for (i = 0; i < VN_NELEM(names); i++) {
		len = names[i].len != 0 ? names[i].len : strlen(names[i].in);
		n = filestore_sanitize(names[i].in, len, out, sizeof(out));
		is_str(out, names[i].out, "sanitize name %zu", i);
		is_int(n, strlen(out), "  returns its length");
	}
	memset(in, 'a', 300);
	memcpy(in + 300, ".jsonl", 7);
	n = filestore_sanitize(in, strlen(in), out, sizeof(out));
	memset(want, 'a', 249);
	memcpy(want + 249, ".jsonl", 7);
	ok(n == FILE_NAME_MAX && strcmp(out, want) == 0,
	    "a long name is cut to %d bytes and keeps its extension",
	    FILE_NAME_MAX);
	for (i = 0; i < 200; i++)
		memcpy(in + 2 * i, "\xc3\xa9", 2);
	in[400] = '\0';
	n = filestore_sanitize(in, 400, out, sizeof(out));
	ok(n == 254 && valid_utf8(out, n),
	    "a long UTF-8 name is cut between characters (%zu bytes)", n);
	memcpy(in + 400, ".txt", 5);
	n = filestore_sanitize(in, 404, out, sizeof(out));
	ok(n == 254 && valid_utf8(out, n) && strcmp(out + 250, ".txt") == 0,
	    "  and keeps its extension");
	for (i = 0; i < 256; i++)
		in[i] = (char)(255 - i);
	n = filestore_sanitize(in, 256, out, sizeof(out));
	ok(valid_utf8(out, n) && strpbrk(out, "\r\n\"\\/") == NULL &&
	    strlen(out) == n, "every byte value: valid UTF-8, no CR, LF, "
	    "quote, slash or backslash left");
	ok(filestore_sanitize("x", 1, out, 10) == 0 && out[0] == '\0',
	    "a short output buffer gets nothing");
}

static void
disposition(void)
{
	char	 d[2048], name[600];
	size_t	 i;

	ok(filestore_disposition("h\xc3\xa9llo 100%.txt", d, sizeof(d)) &&
	    strcmp(d, "attachment; filename=\"h_llo 100_.txt\"; "
	    "filename*=UTF-8''h%C3%A9llo%20100%25.txt") == 0,
	    "Content-Disposition: ASCII fallback and RFC 5987 form: %s", d);
	ok(filestore_disposition("a\"b\r\nSet-Cookie: x=1\\", d, sizeof(d)) &&
	    strpbrk(d, "\r\n\\") == NULL &&
	    strchr(strchr(d, '"') + 1, '"') == strrchr(d, '"'),
	    "no CR, LF, backslash or stray quote whatever the name: %s", d);
	for (i = 0; i < 599; i++)
		name[i] = (char)(1 + i % 255);
	name[599] = '\0';
	ok(filestore_disposition(name, d, sizeof(d)) &&
	    strpbrk(d, "\r\n") == NULL, "every byte value fits in 2 KiB");
	ok(!filestore_disposition("abc", d, 10), "too small: refused");
}

static void
ids(void)
{
	char	 id[FILE_ID_LEN + 1], rel[128];

	filestore_id_new(id);
	ok(strlen(id) == FILE_ID_LEN && strncmp(id, "file-", 5) == 0 &&
	    filestore_id_ok(id), "a new id: file- and 24 base62 characters");
	ok(filestore_relpath(id, rel, sizeof(rel)) && rel[2] == '/' &&
	    memcmp(rel, id + 5, 2) == 0 && strcmp(rel + 3, id) == 0,
	    "its path: <shard>/<id>");
	ok(!filestore_id_ok("file-../x") && !filestore_id_ok("file-a/b") &&
	    !filestore_id_ok("../file-ab") && !filestore_id_ok("file-") &&
	    !filestore_id_ok("file-a") && !filestore_id_ok("FILE-ab") &&
	    !filestore_id_ok("file-ab\n") && !filestore_id_ok("file-a.b") &&
	    !filestore_id_ok("file-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaa"),
	    "ids that are not ours never become paths");
	ok(!filestore_relpath("file-../../etc", rel, sizeof(rel)),
	    "  nor a relative path");
}

/*
 * tap.h's ok() evaluates its condition more than once: every step with
 * an effect runs first, into a variable, and ok() only reads it.
 */
static void
write_path(const struct cfg *cfg)
{
	struct filestore_tmp t;
	struct rlimit	 rl, old;
	char		 id[FILE_ID_LEN + 1], *big, *r, back[16];
	uint64_t	 size = 0;
	size_t		 i, n = 20 * 1024 * 1024 + 3;
	int		 fd, c, e;

	big = malloc(n);
	r = malloc(n);
	for (i = 0; i < n; i++)
		big[i] = (char)(i * 7);
	filestore_id_new(id);
	c = filestore_tmp_open(cfg, &t) == VN_OK && entries("tmp") == 1;
	ok(c, "an upload starts as one temporary file");
	c = filestore_tmp_write(&t, big, 5) == VN_OK &&
	    filestore_tmp_write(&t, big + 5, n - 5) == VN_OK;
	ok(c && t.bytes == n, "20 MiB written (writeback started on the way)");
	c = filestore_tmp_read(&t, 3, back, 4) == 4;
	ok(c && memcmp(back, big + 3, 4) == 0, "and read back");
	c = filestore_tmp_commit(cfg, &t, id) == VN_OK;
	ok(c && t.fd == -1 && t.dirfd == -1, "committed");
	ok(entries("tmp") == 0 && entries("") == 2 && exists(id),
	    "only tmp/ and <shard>/<id> exist, the temporary file is gone");
	fd = filestore_open(cfg, id, &size);
	ok(fd != -1 && size == n, "the content opens with its size");
	c = fd != -1 && read(fd, r, n) == (ssize_t)n;
	ok(c && memcmp(r, big, n) == 0, "  byte for byte");
	if (fd != -1)
		close(fd);
	c = filestore_unlink(cfg, id) == VN_OK;
	e = exists(id);
	c = c && filestore_unlink(cfg, id) == VN_OK;
	ok(c && !e, "unlinked (twice is fine)");
	fd = filestore_open(cfg, id, &size);
	e = errno;
	ok(fd == -1 && e == ENOENT, "  and no longer opens");

	c = filestore_tmp_open(cfg, &t) == VN_OK &&
	    filestore_tmp_write(&t, "abc", 3) == VN_OK;
	filestore_tmp_abort(&t);
	filestore_tmp_abort(&t);
	ok(c && entries("tmp") == 0,
	    "aborted: nothing left (abort is idempotent)");

	memset(&t, 0, sizeof(t));
	t.fd = t.dirfd = fd = open("/dev/null", O_RDONLY);
	filestore_tmp_abort(&t);
	ok(fcntl(fd, F_GETFD) != -1, "aborting one never opened touches "
	    "no descriptor");
	close(fd);

	c = filestore_tmp_open(cfg, &t) == VN_OK &&
	    filestore_tmp_write(&t, "abc", 3) == VN_OK &&
	    filestore_tmp_commit(cfg, &t, "../../escape") == VN_ESYS;
	ok(c && entries("tmp") == 0 && entries("") == 2,
	    "a commit under a bad id fails and leaves nothing");

	/* A write that fails (here: the file size limit) is reported. */
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	rl = old;
	rl.rlim_cur = 4096;
	setrlimit(RLIMIT_FSIZE, &rl);
	c = filestore_tmp_open(cfg, &t) == VN_OK &&
	    filestore_tmp_write(&t, big, 65536) == VN_ESYS;
	e = t.error;
	c = c && filestore_tmp_write(&t, "x", 1) == VN_ESYS;
	ok(c && e == EFBIG,
	    "a failed write is VN_ESYS with its errno, and stays failed");
	c = filestore_tmp_commit(cfg, &t, id) == VN_ESYS;
	ok(c && !exists(id) && entries("tmp") == 0,
	    "  a commit after it fails and cleans up");
	setrlimit(RLIMIT_FSIZE, &old);
	free(big);
	free(r);
}

/* Insert a row for file id with the given times (0: NULL). */
static void
row(struct db *db, const char *ws, const char *id, int64_t exp,
    int64_t del)
{
	struct file_obj	 f;
	char		 sql[256];

	memset(&f, 0, sizeof(f));
	snprintf(f.id, sizeof(f.id), "%s", id);
	strcpy(f.filename, "x");
	strcpy(f.purpose, "user_data");
	f.bytes = 10;
	f.created_at = time(NULL) - 86400;
	f.expires_at = exp;
	files_insert(db, ws, &f);
	if (del != 0) {
		snprintf(sql, sizeof(sql), "UPDATE files SET deleted_at = "
		    "%lld WHERE id = '%s'", (long long)del, id);
		sqlite3_exec(db->h, sql, NULL, NULL, NULL);
	}
}

static int
rows(struct db *db)
{
	sqlite3_stmt	*st = NULL;
	int		 n = -1;

	if (sqlite3_prepare_v2(db->h, "SELECT count(*) FROM files", -1, &st,
	    NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

static void
purge(const struct cfg *cfg)
{
	struct filestore_purged p;
	struct filestore_tmp t1, t2;
	struct timespec	 old[2];
	struct db	*db;
	char		 err[256], ws[WS_ID_LEN + 1], id[6][FILE_ID_LEN + 1];
	time_t		 now = time(NULL);
	int		 i;

	db = db_open(cfg, DB_OPEN_CREATE, err, sizeof(err));
	i = db != NULL && workspace_create(db, "w", ws) == VN_OK;
	ok(i, "a database");
	if (!i)
		return;
	for (i = 0; i < 6; i++) {
		filestore_id_new(id[i]);
		store(cfg, id[i], 10, 'x');
	}
	row(db, ws, id[0], 0, 0);				/* live */
	row(db, ws, id[1], 0, now - 2 * FILESTORE_GRACE);	/* deleted */
	row(db, ws, id[2], 0, now - 5);				/* just now */
	row(db, ws, id[3], now - 2 * FILESTORE_GRACE, 0);	/* expired */
	row(db, ws, id[4], now - 5, 0);				/* just now */
	row(db, ws, id[5], now + 3600, 0);			/* expires */
	filestore_tmp_open(cfg, &t1);
	filestore_tmp_open(cfg, &t2);
	old[0].tv_sec = old[1].tv_sec = now - FILESTORE_TMP_AGE - 60;
	old[0].tv_nsec = old[1].tv_nsec = 0;
	futimens(t1.fd, old);

	i = filestore_purge(cfg, db, 10000, &p) == VN_OK;
	ok(i, "purge runs");
	ok(p.expired == 2 && p.reclaimed == 2 && p.temps == 1 &&
	    !p.incomplete, "2 expired hidden, 2 reclaimed, 1 abandoned upload "
	    "(got %zu, %zu, %zu)", p.expired, p.reclaimed, p.temps);
	ok(exists(id[0]) && !exists(id[1]) && exists(id[2]) &&
	    !exists(id[3]) && exists(id[4]) && exists(id[5]),
	    "  the contents past their grace are gone, the rest stay");
	is_int(rows(db), 4, "  and so are their rows");
	ok(entries("tmp") == 1 && t2.fd != -1, "  a live upload is kept");
	i = filestore_purge(cfg, db, 10000, &p) == VN_OK;
	ok(i && p.expired == 0 && p.reclaimed == 0 && p.temps == 0,
	    "a second run finds nothing");
	i = filestore_purge(cfg, db, 0, &p) == VN_OK;
	ok(i && p.incomplete, "no time left: stops at once and says so");
	filestore_tmp_abort(&t1);
	filestore_tmp_abort(&t2);
	db_close(db);
}

/* Set the mtime of data_dir/REL to `age` seconds ago. */
static int
age(const char *rel, time_t secs)
{
	struct timespec	 t[2];
	char		 path[1024];

	snprintf(path, sizeof(path), "%s/files/%s", dir, rel);
	t[0].tv_sec = t[1].tv_sec = time(NULL) - secs;
	t[0].tv_nsec = t[1].tv_nsec = 0;
	return utimensat(AT_FDCWD, path, t, 0) == 0;
}

/* Write the sweep's state file, data_dir/.orphan-sweep. */
static void
sweep_state(long long began, int next)
{
	char	 path[1024];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/files/.orphan-sweep", dir);
	if ((f = fopen(path, "w")) != NULL) {
		fprintf(f, "%lld %d\n", began, next);
		fclose(f);
	}
}

/* What venna-batch's files task does: the reclaimer, then the walk. */
static int
purge_all(const struct cfg *cfg, struct db *db, long budget_ms,
    struct filestore_purged *p, size_t *orphans)
{
	if (filestore_purge(cfg, db, budget_ms, p) != VN_OK)
		return 0;
	*orphans = orphans_sweep(cfg, db, time(NULL), clock_ms() + budget_ms,
	    &p->incomplete);
	return 1;
}

static void
orphans(const struct cfg *cfg)
{
	struct filestore_purged p;
	struct db	*db;
	size_t		 n = 0;
	char		 err[256], ws[WS_ID_LEN + 1], id[3][FILE_ID_LEN + 1];
	char		 rel[64], stray[64];
	FILE		*f;
	time_t		 old = FILESTORE_TMP_AGE + 60;
	int		 i, shard;

	db = db_open(cfg, 0, err, sizeof(err));
	i = db != NULL && workspace_create(db, "o", ws) == VN_OK;
	ok(i, "orphans: a database");
	if (!i)
		return;
	for (i = 0; i < 3; i++) {
		filestore_id_new(id[i]);
		store(cfg, id[i], 10, 'o');
	}
	row(db, ws, id[0], 0, 0);	/* known, old */
	/* id[1]: no row, old: the orphan.  id[2]: no row, young. */
	for (i = 0; i < 2; i++) {
		snprintf(rel, sizeof(rel), "%.2s/%s", id[i] + 5, id[i]);
		ok(age(rel, old), "  content %d made %lld s old", i,
		    (long long)old);
	}
	/* A name Venna never makes is never touched. */
	snprintf(stray, sizeof(stray), "%.2s/notes.txt", id[1] + 5);
	snprintf(rel, sizeof(rel), "%s/files/%s", dir, stray);
	if ((f = fopen(rel, "w")) != NULL)
		fclose(f);
	age(stray, old);

	sweep_state(time(NULL) - 60, 0);	/* a walk ended a minute ago */
	i = purge_all(cfg, db, 10000, &p, &n);
	ok(i && n == 0 && exists(id[1]),
	    "a walk done within the hour: no other (got %zu)", n);

	sweep_state(time(NULL) - ORPHANS_EVERY - 1, 0);
	i = purge_all(cfg, db, 10000, &p, &n);
	ok(i && n == 1 && !p.incomplete,
	    "an hour later: one orphan removed (got %zu)", n);
	ok(exists(id[0]) && !exists(id[1]) && exists(id[2]),
	    "  the old content without a row is gone; with a row, or young, "
	    "kept");
	snprintf(rel, sizeof(rel), "%s/files/%s", dir, stray);
	ok(access(rel, F_OK) == 0, "  a name that is not a file id is kept");
	is_int(rows(db), 5, "  no row touched");

	/* A walk cut short resumes at its shard. */
	snprintf(rel, sizeof(rel), "%.2s/%s", id[2] + 5, id[2]);
	age(rel, old);
	shard = (int)(strchr(base62, id[2][5]) - base62) * 62 +
	    (int)(strchr(base62, id[2][6]) - base62);
	sweep_state(time(NULL) - 60, shard + 1);
	i = purge_all(cfg, db, 10000, &p, &n);
	ok(i && exists(id[2]), "a walk resumed past a shard leaves it");
	sweep_state(time(NULL) - 60, shard);
	i = purge_all(cfg, db, 10000, &p, &n);
	ok(i && n == 1 && !exists(id[2]),
	    "a walk resumed at a shard sweeps it");
	sweep_state(time(NULL) - 60, shard);
	i = purge_all(cfg, db, 0, &p, &n);
	ok(i && p.incomplete, "no time left: the walk waits for the next "
	    "pass");
	db_close(db);
}

int
main(void)
{
	struct cfg	*cfg;
	char		 cmd[256];

	if (mkdtemp(dir) == NULL || !ids_init() ||
	    (cfg = test_cfg("[server]\ndatabase = %s/v.db\ndata_dir = %s/files\n",
	    dir, dir)) == NULL) {
		printf("Bail out! cannot set up\n");
		return 1;
	}
	sanitizer();
	disposition();
	ids();
	write_path(cfg);
	purge(cfg);
	orphans(cfg);
	cfg_free(cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return done_testing();
}
