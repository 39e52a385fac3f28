/*
 * cfg_load.c: where the configuration comes from.  The file -c names,
 * else $VENNA_CONF, else the default path if it exists, else the
 * built-in defaults; the file is read whole (capped at CFG_MAX_FILE)
 * and handed to cfg_parse(), and its text wiped after, since it may
 * hold upstream keys.  The database path is made canonical here, once
 * the configuration is parsed, because every process must name the
 * same file.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "cfg.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR	"/usr/local/etc"
#endif

/*
 * Make the database path absolute and canonical: every process must
 * open the same name, or SQLite's crash recovery looks for the -wal
 * file in the wrong place (howtocorrupt.html §2.6).  The file itself
 * may not exist yet; its directory must.
 */
static int
canonical_database(struct cfg *c, char *err, size_t errsz)
{
	char	 real[PATH_MAX];
	char	*d = NULL, *b = NULL, *out = NULL;
	size_t	 n;
	int	 ok = 0;

	if ((d = strdup(c->database)) == NULL ||
	    (b = strdup(c->database)) == NULL)
		goto out;
	if (realpath(dirname(d), real) == NULL) {
		ok = 1;		/* vennactl init creates the directory */
		goto out;
	}
	n = strlen(real) + strlen(basename(b)) + 2;
	if ((out = malloc(n)) == NULL)
		goto out;
	snprintf(out, n, "%s/%s", real, basename(b));
	free(c->database);
	c->database = out;
	ok = 1;
out:
	if (!ok)
		snprintf(err, errsz, "out of memory");
	free(d);
	free(b);
	return ok;
}

/*
 * Read and parse the file at path.  Returns NULL with the reason in err
 * (a missing file included).
 */
struct cfg *
cfg_load(const char *path, char *err, size_t errsz)
{
	struct cfg	*c = NULL;
	struct stat	 st;
	char		*text = NULL;
	ssize_t		 n;
	size_t		 got = 0, cap = 0;
	int		 fd = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > CFG_MAX_FILE) {
		snprintf(err, errsz, "%s: not a regular file of at most %d "
		    "bytes", path, CFG_MAX_FILE);
		goto out;
	}
	cap = (size_t)st.st_size + 1;
	if ((text = malloc(cap)) == NULL) {
		snprintf(err, errsz, "out of memory");
		goto out;
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, text + got, (size_t)st.st_size - got);
		if (n <= 0) {
			snprintf(err, errsz, "%s: read failed", path);
			goto out;
		}
		got += (size_t)n;
	}
	if ((c = cfg_parse(text, got, path, 1, err, errsz)) != NULL &&
	    !canonical_database(c, err, errsz)) {
		cfg_free(c);
		c = NULL;
	}
out:
	if (fd != -1)
		close(fd);
	if (text != NULL)
		sodium_memzero(text, cap);	/* it may hold api_key lines */
	free(text);
	return c;
}

/*
 * The configuration used when there is no file: every default, the echo
 * upstream and the demo model venna-1 on it.
 */
struct cfg *
cfg_builtin(char *err, size_t errsz)
{
	struct cfg	*c;

	if ((c = cfg_parse("", 0, NULL, 0, err, errsz)) != NULL &&
	    !canonical_database(c, err, errsz)) {
		cfg_free(c);
		c = NULL;
	}
	return c;
}

/* Where venna.conf is looked for without -c or VENNA_CONF. */
const char *
cfg_default_path(void)
{
	return SYSCONFDIR "/venna.conf";
}

/*
 * The configuration every program runs with: the file *path names (-c),
 * else $VENNA_CONF, else the default path when it exists, else the
 * built-in defaults.  *path is set to the file used (NULL: built-ins).
 * NULL with why in err when the file does not load.
 */
struct cfg *
cfg_open(const char **path, char *err, size_t errsz)
{
	const char	*p = *path;

	if (p == NULL && (p = getenv("VENNA_CONF")) != NULL && *p == '\0')
		p = NULL;
	if (p == NULL && access(cfg_default_path(), F_OK) == 0)
		p = cfg_default_path();
	*path = p;
	return p != NULL ? cfg_load(p, err, errsz) : cfg_builtin(err, errsz);
}
