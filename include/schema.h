/*
 * schema.h: the database schema as a list of forward-only migrations,
 * tracked in PRAGMA user_version.
 */
#ifndef SCHEMA_H
#define SCHEMA_H

#include "venna.h"

extern const char *const schema_migrations[];

int	schema_latest(void);

#endif /* SCHEMA_H */
