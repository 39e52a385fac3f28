/*
 * files.h: the Files API (openai-api.md §2): file objects, their rows,
 * and the handlers of /v1/files (api.h).  The row functions are for
 * every module that uses files (the Batches runner reads input files
 * and writes output files through them); each takes the workspace, so
 * no caller can reach another workspace's file, and a file that is
 * deleted or expired is "not found" to all of them.
 */
#ifndef FILES_H
#define FILES_H

#include <time.h>

#include "venna.h"
#include "filestore.h"

#define FILE_PURPOSE_MAX	32
#define FILE_DETAILS_MAX	512	/* status_details kept */
#define FILES_LIST_MAX		10000	/* limit, and its default */
#define FILE_EXPIRY_MIN		3600	/* expires_after[seconds] */
#define FILE_EXPIRY_MAX		2592000
#define FILE_BATCH_EXPIRY	2592000	/* purpose batch, by default */

struct buf;
struct fault;

struct file_obj {
	char		 id[VN_MAX_ID + 1];
	char		 filename[FILE_NAME_MAX + 1];
	char		 purpose[FILE_PURPOSE_MAX + 1];
	int64_t		 bytes;
	int64_t		 created_at;
	int64_t		 expires_at;	/* 0: never */
	char		 status[16];	/* "processed" */
	char		 status_details[FILE_DETAILS_MAX + 1];	/* "": null */
};

struct files_query {
	const char	*purpose;	/* NULL: every purpose */
	long		 limit;		/* 1 to FILES_LIST_MAX */
	int		 asc;		/* oldest first */
	const char	*after;		/* a file id, or NULL */
	long long	 offset;	/* -1: none; else skip, and count */
};

int		 files_purpose_ok(const char *, int upload);
enum vn_err	 files_json(struct buf *, const struct file_obj *);
enum vn_err	 files_get(struct db *, const char *ws, const char *id,
		    time_t now, struct file_obj *);
enum vn_err	 files_insert(struct db *, const char *ws,
		    const struct file_obj *);
enum vn_err	 files_delete(struct db *, const char *ws, const char *id,
		    time_t now);
enum vn_err	 files_list(struct db *, const char *ws,
		    const struct files_query *, time_t now, struct buf *out,
		    struct fault *);

#endif /* FILES_H */
