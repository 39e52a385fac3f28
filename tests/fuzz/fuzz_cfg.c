/*
 * fuzz_cfg.c: venna.conf parsing (src/cfg.c) on arbitrary bytes, with
 * the file system left alone (read_files = 0).
 */
#include "config.h"

#include <stdint.h>
#include <stddef.h>

#include "cfg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfg	*c;
	char		 err[512];

	if (size > 65536)
		return 0;
	c = cfg_parse((const char *)data, size, "fuzz.conf", 0, err,
	    sizeof(err));
	cfg_free(c);
	return 0;
}
