/*
 * report.h: the usage ledger summed for operators (vennactl usage), as
 * a table, JSON or CSV.
 */
#ifndef REPORT_H
#define REPORT_H

#include <stdio.h>

#include "venna.h"

enum report_by { REPORT_BY_WORKSPACE, REPORT_BY_MODEL, REPORT_BY_KEY,
    REPORT_BY_DAY };
enum report_format { REPORT_TABLE, REPORT_JSON, REPORT_CSV };

struct report_opts {
	const char		*workspace;	/* NULL: all */
	int64_t			 since;		/* unix seconds */
	enum report_by		 by;
	enum report_format	 format;
};

int	report_parse_since(const char *, int64_t *);
int	report_parse_by(const char *, enum report_by *);
int	report_parse_format(const char *, enum report_format *);
int	report_usage(struct db *, const struct report_opts *, FILE *);
void	report_dollars(int64_t pusd, char *out, size_t outsz);

#endif /* REPORT_H */
