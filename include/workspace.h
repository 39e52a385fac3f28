/*
 * workspace.h: workspaces and the keys that act for them, as stored.
 */
#ifndef WORKSPACE_H
#define WORKSPACE_H

#include "venna.h"
#include "apikey.h"

#define WS_ID_LEN	(3 + 16)	/* "ws_" + 16 */
#define WS_NAME_MAX	64

int		workspace_name_ok(const char *);
enum vn_err	workspace_create(struct db *, const char *name,
		    char id[WS_ID_LEN + 1]);
enum vn_err	workspace_find(struct db *, const char *name,
		    char id[WS_ID_LEN + 1]);
enum vn_err	workspace_key_create(struct db *, const unsigned char *pepper,
		    const char *ws_name, const char *label,
		    char key[APIKEY_LEN + 1], char id[APIKEY_ID_LEN + 1]);
enum vn_err	workspace_key_insert(struct db *, const unsigned char *pepper,
		    const char *ws_id, const char *sa_id, const char *label,
		    char key[APIKEY_LEN + 1], char id[APIKEY_ID_LEN + 1]);
enum vn_err	workspace_key_revoke(struct db *, const char *id);

#endif /* WORKSPACE_H */
