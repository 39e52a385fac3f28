/*
 * auth.c: verify a workspace key.  The order of the checks is the point
 * (reliability.md §2b):
 *   1. the header's shape and the key's checksum, with no database read,
 *      so junk costs nothing;
 *   2. the row, by the public id;
 *   3. the keyed hash, compared in constant time.
 * An unknown id still hashes and compares against a dummy, so an unknown
 * id and a wrong secret take the same time.  Nothing here logs a key.
 */
#include "config.h"

#include <string.h>
#include <strings.h>
#include <time.h>

#include <sodium.h>
#include <sqlite3.h>

#include "auth.h"
#include "db.h"
#include "log.h"
#include "store.h"

/* last_used_at is refreshed at most this often: it costs a write. */
#define TOUCH_INTERVAL	60

/*
 * Find the token in an Authorization header value: "Bearer", then
 * spaces, then the token, then optional trailing spaces.  The scheme is
 * case-insensitive (RFC 9110 §11.1).  Returns 1 and points tok into hdr
 * on success.  Pure; bounded by len.
 */
int
auth_bearer(const char *hdr, size_t len, const char **tok, size_t *toklen)
{
	size_t	 i, start;

	if (len > VN_MAX_AUTH || len < 7 || strncasecmp(hdr, "Bearer", 6) != 0)
		return 0;
	i = 6;
	if (hdr[i] != ' ' && hdr[i] != '\t')
		return 0;
	while (i < len && (hdr[i] == ' ' || hdr[i] == '\t'))
		i++;
	start = i;
	while (i < len && (unsigned char)hdr[i] > 0x20 &&
	    (unsigned char)hdr[i] < 0x7f)
		i++;
	if (i == start)
		return 0;
	*tok = hdr + start;
	*toklen = i - start;
	while (i < len && (hdr[i] == ' ' || hdr[i] == '\t'))
		i++;
	return i == len;
}

/*
 * Check the Authorization header value hdr (NULL when absent).  On
 * success fill who and return VN_OK.  VN_ENOKEY when no key was given,
 * VN_EAUTH for a malformed, unknown, wrong or revoked key, VN_ESTORE
 * when the database failed.
 */
enum vn_err
auth_check(struct store *store, const unsigned char *pepper,
    const char *hdr, struct principal *who)
{
	static const unsigned char dummy[APIKEY_HASH_LEN];
	unsigned char	 want[APIKEY_HASH_LEN], got[APIKEY_HASH_LEN];
	char		 id[APIKEY_ID_LEN + 1];
	const char	*tok;
	size_t		 toklen;
	struct db	*db = NULL;
	sqlite3_stmt	*st;
	int		 rc, found = 0, revoked = 0, touch = 0;
	time_t		 now;
	enum vn_err	 err = VN_EAUTH;

	if (hdr == NULL || *hdr == '\0')
		return VN_ENOKEY;
	if (!auth_bearer(hdr, strlen(hdr), &tok, &toklen))
		return strncasecmp(hdr, "Bearer", 6) == 0 &&
		    strspn(hdr + 6, " \t") == strlen(hdr + 6) ?
		    VN_ENOKEY : VN_EAUTH;
	if (!apikey_parse(tok, toklen, id))
		return VN_EAUTH;

	memcpy(want, dummy, sizeof(want));
	if ((db = store_get(store)) == NULL)
		return VN_ESTORE;
	now = time(NULL);
	if ((st = db_stmt(db, STMT_KEY_BY_ID)) == NULL) {
		err = VN_ESTORE;
		goto out;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 1) == APIKEY_HASH_LEN &&
		    sqlite3_column_int(st, 2) == PEPPER_VERSION) {
			found = 1;
			memcpy(want, sqlite3_column_blob(st, 1),
			    APIKEY_HASH_LEN);
		}
		revoked = sqlite3_column_type(st, 3) != SQLITE_NULL;
		touch = sqlite3_column_type(st, 4) == SQLITE_NULL ||
		    sqlite3_column_int64(st, 4) < now - TOUCH_INTERVAL;
		strncpy(who->workspace_id,
		    (const char *)sqlite3_column_text(st, 0), WS_ID_LEN);
		who->workspace_id[WS_ID_LEN] = '\0';
	} else if (rc != SQLITE_DONE) {
		sqlite3_reset(st);
		err = db_rc(db, rc, "key lookup");
		goto out;
	}
	sqlite3_reset(st);

	/* The same work whether or not the id exists. */
	apikey_hash(tok, toklen, pepper, got);
	if (sodium_memcmp(got, want, APIKEY_HASH_LEN) != 0 || !found ||
	    revoked)
		goto out;

	memcpy(who->key_id, id, sizeof(who->key_id));
	err = VN_OK;
	if (touch && (st = db_stmt(db, STMT_KEY_TOUCH)) != NULL) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)(now - TOUCH_INTERVAL));
		/* A busy database must not fail the request over a stamp. */
		if ((rc = sqlite3_step(st)) != SQLITE_DONE)
			log_debug("last_used_at not updated (%d)", rc);
		sqlite3_reset(st);
	}
out:
	store_put(store, db);
	sodium_memzero(got, sizeof(got));
	sodium_memzero(want, sizeof(want));
	if (err != VN_OK)
		memset(who, 0, sizeof(*who));
	return err;
}
