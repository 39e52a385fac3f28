/*
 * batch_io.h: a batch's files: indexing and checking the input file,
 * writing the output and error files, and the transitions that go with
 * them.
 */
#ifndef BATCH_IO_H
#define BATCH_IO_H

#include "venna.h"
#include "apikey.h"
#include "jsonl.h"
#include "workspace.h"

#define BATCH_CUSTOM_ID_MAX	512
#define BATCH_MAX_LINES		50000
#define BATCH_LEASE_S		60	/* a runner's hold, renewed */

struct cfg_model;
struct runner;

/* What a pass knows of the batch it works on. */
struct batch_state {
	int64_t			 seq;
	char			 id[VN_MAX_ID];
	char			 workspace_id[WS_ID_LEN + 1];
	char			 key_id[APIKEY_ID_LEN + 1];
	char			 endpoint[64];
	char			 input_file_id[VN_MAX_ID];
	char			 status[16];
	char			 model[JSONL_MAX_MODEL + 1];
	int64_t			 expires_at;
	int64_t			 total;
	int64_t			 output_expiry;	/* s; 0: the default */
	const struct cfg_model	*m;
	int			 input_fd;
};

enum vn_err	 batch_io_index(struct runner *, struct batch_state *);
enum vn_err	 batch_io_open_input(struct runner *, struct batch_state *);
enum vn_err	 batch_io_finish(struct runner *, struct batch_state *,
		    const char *end);
int		 batch_io_to_finalizing(struct runner *, struct batch_state *);
int		 batch_io_cancelling(struct runner *, struct batch_state *);
int		 batch_io_lease(struct runner *, int64_t seq, int release);
char		*batch_io_error_line(const char *custom_id, const char *code,
		    const char *message);

#endif /* BATCH_IO_H */
