/*
 * ledger.h: the usage ledger's journals.  Each process appends its rows
 * to a journal file of its own (one write(2) per row, before the answer
 * goes out); the importer moves them into the usage table in batches.
 */
#ifndef LEDGER_H
#define LEDGER_H

#include "venna.h"

/* One row of the usage ledger, as a journal line carries it. */
struct ledger_row {
	int64_t		 created_at;	/* unix seconds; 0: now */
	const char	*request_id;
	const char	*workspace_id;
	const char	*key_id;	/* NULL for batch lines */
	const char	*endpoint;	/* "/v1/chat/completions", ... */
	const char	*model;		/* as the client named it */
	const char	*upstream;	/* that answered, or NULL */
	int64_t		 prompt_tokens;
	int64_t		 completion_tokens;
	int64_t		 cached_tokens;
	int64_t		 cost_pusd;
	int		 status;
	long		 latency_ms;
	const char	*batch_id;	/* NULL for live requests */
};

enum vn_err	ledger_open(const struct cfg *);
void		ledger_close(void);
enum vn_err	ledger_append(const struct ledger_row *);
enum vn_err	ledger_insert(struct db *, const struct ledger_row *);
enum vn_err	ledger_import(const struct cfg *, struct db *, long *rows);
enum vn_err	ledger_lag(const struct cfg *, struct db *, long long *bytes,
		    long *oldest_s);
int		ledger_parse_line(const char *, size_t, struct ledger_row *,
		    char *store, size_t storesz);

#endif /* LEDGER_H */
