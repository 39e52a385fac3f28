/*
 * cfg_int.h: what the parser of venna.conf shares with the parsers of
 * its values.  Private to src/cfg.c (the file's lines, its sections and
 * the option tables) and src/cfg_value.c (one option's text to its
 * value); every other file uses cfg.h.  It sits beside them rather than
 * in include/ because it is no module's interface.
 */
#ifndef CFG_INT_H
#define CFG_INT_H

#include <stddef.h>

#include "venna.h"

struct cfg;

enum opt_type {
	OPT_STRING,	/* any text */
	OPT_PATH,	/* a file name, relative to the config file */
	OPT_URL,	/* http(s)://host[:port][/path] */
	OPT_INT,	/* integer within [min, max] */
	OPT_SIZE,	/* bytes with optional k/m/g suffix */
	OPT_DURATION,	/* ms/s/m/h suffix; a bare number is seconds */
	OPT_BOOL,	/* yes/no/true/false/on/off/1/0 */
	OPT_LOGLEVEL,	/* error/warn/info/debug */
	OPT_LOGFORMAT,	/* text/json */
	OPT_SYNC,	/* full/normal */
	OPT_UPTYPE,	/* openai/echo */
	OPT_ROUTES,	/* upstream list of a model */
	OPT_PRICE,	/* dollars per million tokens */
	OPT_FACTOR,	/* 0 to 10 with two decimals, kept in percent */
	OPT_BASEPATH,	/* "" or "/prefix" */
	OPT_COUNT,	/* int64_t within [min, max]; 0 is often "none" */
	OPT_SHARE,	/* a count, or a percentage of the pool ("50%") */
	OPT_ADDRS	/* addresses and networks (addrlist.h) */
};

struct opt {
	const char	*name;
	enum opt_type	 type;
	size_t		 off;
	long long	 min, max;
	const char	*def;	/* default as text; NULL: none */
};

enum section_kind { SEC_NONE, SEC_SERVER, SEC_UPSTREAM, SEC_MODEL };

struct parser {
	struct cfg	*cfg;
	const char	*fname;
	const char	*basedir;	/* for relative paths; NULL: as given */
	int		 read_files;
	int		 line;
	enum section_kind kind;
	void		*section;	/* struct cfg, cfg_upstream, cfg_model */
	const struct opt *opts;
	unsigned char	 seen[32];	/* which options this section set */
	char		*err;
	size_t		 errsz;
	/* model routes are resolved once every upstream is known */
	struct pending {
		size_t	 model;
		int	 line;
		char	*text;
	}		*pending;
	size_t		 npending;
};

/* cfg.c */
int	cfg_fail(struct parser *, const char *, ...) VN_PRINTF(2, 3);

/* cfg_value.c */
int	cfg_set_opt(struct parser *, const struct opt *, const char *);

#endif /* CFG_INT_H */
