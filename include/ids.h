/*
 * ids.h: object ids and request ids: a fixed prefix ("file-", "batch_",
 * "req_", ...) followed by random base62 characters from libsodium.
 */
#ifndef IDS_H
#define IDS_H

#include "venna.h"

extern const char base62[63];

int	ids_init(void);
void	ids_random(char *out, size_t nchars);
void	ids_new(char *out, size_t outsz, const char *prefix, size_t nrand);

#endif /* IDS_H */
