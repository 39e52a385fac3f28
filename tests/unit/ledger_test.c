/*
 * ledger_test.c: usage rows through the journal: the line format, and
 * the importer's promises: every complete line exactly once, a dead
 * writer's torn last line dropped and its journal deleted, malformed
 * lines skipped.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "cfg.h"
#include "db.h"
#include "ids.h"
#include "ledger.h"
#include "usage.h"
#include "../tap.h"

static char	 dir[] = "/tmp/venna-ledger-test.XXXXXX";

static int
count(struct db *db, const char *sql)
{
	sqlite3_stmt	*st = NULL;
	int		 n = -1;

	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

static int
journals(void)
{
	char		 path[4200];
	struct dirent	*de;
	DIR		*d;
	int		 n = 0;

	snprintf(path, sizeof(path), "%s/ledger", dir);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		n += strstr(de->d_name, ".ulog") != NULL;
	closedir(d);
	return n;
}

static struct ledger_row
row(const char *rid, int64_t p)
{
	struct ledger_row u;

	memset(&u, 0, sizeof(u));
	u.request_id = rid;
	u.workspace_id = "ws_0123456789abcdef";
	u.key_id = "abcdefghijkl";
	u.endpoint = "/v1/chat/completions";
	u.model = "gpt-4o-mini";
	u.upstream = "openai";
	u.prompt_tokens = p;
	u.completion_tokens = 7;
	u.cost_pusd = 123456789;
	u.status = 200;
	u.latency_ms = 42;
	return u;
}

int
main(void)
{
	struct ledger_row u;
	struct cfg	*cfg;
	struct db	*db;
	char		 text[512], err[512], store[1100], rid[40], path[4200];
	char		 line[] = "1\t1767225600\treq_x\tws_y\t-\t/v1/embeddings"
			    "\tm\t-\t5\t0\t0\t10\t200\t3\tbatch_z";
	long		 rows;
	pid_t		 pid;
	int		 i, st, fd;

	if (mkdtemp(dir) == NULL || !ids_init())
		return 1;
	snprintf(text, sizeof(text), "[server]\ndatabase = %s/v.db\n", dir);
	if ((cfg = cfg_parse(text, strlen(text), "/x/venna.conf", 0, err,
	    sizeof(err))) == NULL || (db = db_open(cfg, DB_OPEN_CREATE, err,
	    sizeof(err))) == NULL) {
		printf("Bail out! %s\n", err);
		return 1;
	}

	ok(ledger_parse_line(line, strlen(line), &u, store, sizeof(store)),
	    "a journal line parses");
	ok(u.key_id == NULL && u.upstream == NULL, "  \"-\" is none");
	is_str(u.batch_id, "batch_z", "  the batch id");
	is_int(u.prompt_tokens, 5, "  prompt tokens");
	is_int(u.cost_pusd, 10, "  cost");
	is_int(u.created_at, 1767225600, "  time");
	line[0] = '2';
	ok(!ledger_parse_line(line, strlen(line), &u, store, sizeof(store)),
	    "another version is refused");
	ok(!ledger_parse_line("1\tx", 3, &u, store, sizeof(store)),
	    "too few fields");
	ok(!ledger_parse_line("1\t1\ta\tb\tc\td\te\tf\tx\t0\t0\t0\t0\t0\t-",
	    38, &u, store, sizeof(store)), "a non-number");

	/* A writer in a child process, so its death can be tested.  The
	 * TAP so far is flushed first, or the child could print it again
	 * (ThreadSanitizer's _exit flushes stdio). */
	fflush(stdout);
	if ((pid = fork()) == 0) {
		if (ledger_open(cfg) != VN_OK)
			_exit(2);
		for (i = 0; i < 100; i++) {
			snprintf(rid, sizeof(rid), "req_%d", i);
			u = row(rid, i);
			if (ledger_append(&u) != VN_OK)
				_exit(3);
		}
		_exit(0);
	}
	waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "100 rows journaled");
	is_int(journals(), 1, "  in one journal");

	is_int(ledger_import(cfg, db, &rows), VN_OK, "imported");
	is_int(rows, 100, "  100 rows");
	is_int(count(db, "SELECT count(*) FROM usage"), 100, "  in the table");
	is_int(count(db, "SELECT count(DISTINCT request_id) FROM usage"), 100,
	    "  each once");
	is_int(count(db, "SELECT sum(prompt_tokens) FROM usage"), 4950,
	    "  with their values");
	is_int(journals(), 0, "  and the dead writer's journal is deleted");
	is_int(ledger_import(cfg, db, &rows), VN_OK, "importing again");
	is_int(count(db, "SELECT count(*) FROM usage"), 100,
	    "  adds nothing");

	/* A live writer: rows arrive, the journal stays. */
	if (ledger_open(cfg) != VN_OK)
		return 1;
	u = row("req_live1", 1);
	ledger_append(&u);
	ledger_import(cfg, db, &rows);
	is_int(rows, 1, "a live writer's row is imported");
	is_int(journals(), 1, "  its journal stays");
	u = row("req_live2", 2);
	ledger_append(&u);
	ledger_import(cfg, db, &rows);
	is_int(rows, 1, "  only the new row next time");
	ledger_close();

	/* A dead writer's torn last line, and a malformed line. */
	snprintf(path, sizeof(path), "%s/ledger/999999-torn.ulog", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640);
	dprintf(fd, "1\t1767225600\treq_whole\tws_0123456789abcdef\t-\t"
	    "/v1/embeddings\tm\t-\t5\t0\t0\t10\t200\t3\t-\n");
	dprintf(fd, "garbage line\n");
	dprintf(fd, "1\t1767225600\treq_torn\tws_0");
	close(fd);
	is_int(ledger_import(cfg, db, &rows), VN_OK, "a dead writer's "
	    "journal with a torn tail");
	is_int(rows, 1, "  its one whole line imported");
	is_int(count(db, "SELECT count(*) FROM usage WHERE request_id IN "
	    "('req_whole', 'req_torn')"), 1, "  the torn one dropped");
	is_int(journals(), 0, "  all journals of dead writers deleted");
	is_int(count(db, "SELECT count(*) FROM ledger_files"), 0,
	    "  and forgotten");
	is_int(count(db, "SELECT count(*) FROM pragma_integrity_check WHERE "
	    "integrity_check = 'ok'"), 1, "integrity_check ok");

	db_close(db);
	cfg_free(cfg);
	snprintf(text, sizeof(text), "rm -rf %s", dir);
	if (system(text) != 0)
		printf("# could not remove %s\n", dir);
	return done_testing();
}
