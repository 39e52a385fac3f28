/*
 * ledger.h: the usage ledger's journals.  Each process appends its rows
 * to a journal file of its own (one write(2) per row, before the answer
 * goes out); the importer moves them into the usage table in batches.
 */
#ifndef LEDGER_H
#define LEDGER_H

#include "venna.h"

struct usage_row;

enum vn_err	ledger_open(const struct cfg *);
void		ledger_close(void);
enum vn_err	ledger_append(const struct usage_row *);
enum vn_err	ledger_insert(struct db *, const struct usage_row *);
enum vn_err	ledger_import(const struct cfg *, struct db *, long *rows);
int		ledger_parse_line(const char *, size_t, struct usage_row *,
		    char *store, size_t storesz);

#endif /* LEDGER_H */
