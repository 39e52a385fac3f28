/*
 * replay.c: main() for a fuzz target outside libFuzzer.  Feeds every
 * file of the target's committed corpus to it once and prints TAP, so
 * `make check` replays each corpus under whatever sanitizers the build
 * has; a crash or a sanitizer report fails the test.  The corpus is
 * $top_srcdir/tests/fuzz/corpus/NAME for a program called NAME_replay,
 * or the files named on the command line.
 */
#include "config.h"

#include <dirent.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int	n, failed;

static void
replay(const char *path)
{
	FILE	*fp;
	uint8_t	*data = NULL;
	long	 len;

	n++;
	if ((fp = fopen(path, "rb")) == NULL ||
	    fseek(fp, 0, SEEK_END) != 0 || (len = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET) != 0 ||
	    (data = malloc((size_t)len + 1)) == NULL ||
	    fread(data, 1, (size_t)len, fp) != (size_t)len) {
		printf("not ok %d - %s: unreadable\n", n, path);
		failed++;
		if (fp != NULL)
			fclose(fp);
		free(data);
		return;
	}
	fclose(fp);
	LLVMFuzzerTestOneInput(data, (size_t)len);
	free(data);
	printf("ok %d - %s\n", n, path);
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
main(int argc, char *argv[])
{
	char		 dir[4096], path[8192], self[4096];
	char		**names = NULL, *p;
	const char	*top;
	struct dirent	*de;
	DIR		*d;
	size_t		 i, nn = 0;

	if (argc > 1) {
		for (i = 1; i < (size_t)argc; i++)
			replay(argv[i]);
		printf("1..%d\n", n);
		return failed > 0;
	}
	snprintf(self, sizeof(self), "%s", argv[0]);
	p = basename(self);
	if (strstr(p, "_replay") != NULL)
		*strstr(p, "_replay") = '\0';
	if ((top = getenv("top_srcdir")) == NULL)
		top = ".";
	snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s", top, p);
	if ((d = opendir(dir)) == NULL) {
		printf("1..0 # SKIP no corpus at %s\n", dir);
		return getenv("CI") != NULL ? 1 : 0;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		names = realloc(names, (nn + 1) * sizeof(*names));
		if (names == NULL || (names[nn] = strdup(de->d_name)) == NULL)
			return 1;
		nn++;
	}
	closedir(d);
	if (nn > 0)
		qsort(names, nn, sizeof(*names), by_name);
	for (i = 0; i < nn; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		replay(path);
		free(names[i]);
	}
	free(names);
	printf("1..%d\n", n);
	return failed > 0 || n == 0;
}
