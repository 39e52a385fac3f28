/*
 * vennactl_limits.h: vennactl's "limits" commands (vennactl_limits.c),
 * hooked into vennactl.c's command table.  Each takes the words after
 * "limits show" (or set, key, org) and returns the exit status; a usage
 * error exits 2, a failure 1, as vennactl's other commands do.
 */
#ifndef VENNACTL_LIMITS_H
#define VENNACTL_LIMITS_H

#include "venna.h"

#define VENNACTL_LIMITS_SHOW	"limits show WORKSPACE"
#define VENNACTL_LIMITS_SET	"limits set WORKSPACE [--model MODEL] " \
	"[--rpm N] [--tpm N] [--rpd N] [--batch-tpd N] [--max-concurrent N] " \
	"[--spend USD]"
#define VENNACTL_LIMITS_KEY	"limits key KEY_ID [--rpm N] [--tpm N] " \
	"[--rpd N]"
#define VENNACTL_LIMITS_ORG	"limits org [--spend USD]"

int	vennactl_limits_show(const struct cfg *, int argc, char **argv);
int	vennactl_limits_set(const struct cfg *, int argc, char **argv);
int	vennactl_limits_key(const struct cfg *, int argc, char **argv);
int	vennactl_limits_org(const struct cfg *, int argc, char **argv);
int	vennactl_parse_usd(const char *, int64_t *cents);

#endif /* VENNACTL_LIMITS_H */
