/*
 * filestore.h: the bytes of files, on disk under data_dir.  A file is
 * written to a temporary file in data_dir/tmp, synced, renamed to
 * data_dir/<shard>/<id> and its directory synced, so a name under a
 * shard always holds complete content.  Paths are made from server ids
 * only: a client's filename is sanitised here and kept as metadata, and
 * never touches the file system.  filestore_purge() is venna-batch's
 * reclaimer for deleted and expired files and abandoned uploads.
 */
#ifndef FILESTORE_H
#define FILESTORE_H

#include <sys/types.h>

#include "venna.h"

#define FILE_ID_PREFIX		"file-"
#define FILE_ID_RAND		24
#define FILE_ID_LEN		(5 + FILE_ID_RAND)
#define FILE_NAME_MAX		255	/* bytes of a stored filename */
#define FILESTORE_CHUNK		(64 * 1024)	/* one read or write */
#define FILESTORE_TMP_AGE	3600	/* s before a temp file is abandoned */
#define FILESTORE_GRACE		600	/* s a deleted file's content stays */

/*
 * An upload being written: filestore_tmp_open() fills it.  Aborting a
 * zeroed one that was never opened does nothing.
 */
struct filestore_tmp {
	int		 live;		/* opened; not committed or aborted */
	int		 fd;		/* the temporary file; -1 when closed */
	int		 dirfd;		/* data_dir/tmp; -1 when closed */
	char		 name[32];	/* the temporary file's name there */
	uint64_t	 bytes;		/* written so far */
	uint64_t	 flushed;	/* handed to writeback so far */
	int		 error;		/* errno of the first failure, or 0 */
};

/* What one filestore_purge() run did. */
struct filestore_purged {
	size_t		 expired;	/* rows hidden at their expiry */
	size_t		 reclaimed;	/* contents removed with their rows */
	size_t		 temps;		/* abandoned temporary files removed */
	int		 incomplete;	/* the time budget ran out */
};

void		 filestore_id_new(char out[FILE_ID_LEN + 1]);
int		 filestore_id_ok(const char *);
int		 filestore_relpath(const char *id, char *out, size_t outsz);
enum vn_err	 filestore_tmp_open(const struct cfg *,
		    struct filestore_tmp *);
enum vn_err	 filestore_tmp_write(struct filestore_tmp *, const void *,
		    size_t);
ssize_t		 filestore_tmp_read(struct filestore_tmp *, uint64_t off,
		    void *, size_t);
enum vn_err	 filestore_tmp_commit(const struct cfg *,
		    struct filestore_tmp *, const char *id);
void		 filestore_tmp_abort(struct filestore_tmp *);
int		 filestore_open(const struct cfg *, const char *id,
		    uint64_t *size);
enum vn_err	 filestore_unlink(const struct cfg *, const char *id);
size_t		 filestore_sanitize(const char *, size_t, char *out,
		    size_t outsz);
int		 filestore_disposition(const char *name, char *out,
		    size_t outsz);
enum vn_err	 filestore_purge(const struct cfg *, struct db *,
		    long budget_ms, struct filestore_purged *);

#endif /* FILESTORE_H */
