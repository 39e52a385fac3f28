/*
 * schema.h: the database schema as a list of forward-only migrations,
 * tracked in PRAGMA user_version.
 */
#ifndef SCHEMA_H
#define SCHEMA_H

#include "venna.h"

int		 schema_latest(void);
enum vn_err	 schema_migrate(struct db *, char *err, size_t errsz);

#endif /* SCHEMA_H */
