/*
 * fuzz_ledger.c: the usage journal's line parser (src/ledger.c), which
 * reads files that a killed process or a full disk may have cut short.
 */
#include "config.h"

#include <stdint.h>
#include <stddef.h>
#include <string.h>

#include "ledger.h"
#include "usage.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ledger_row	 u;
	char			 store[1100];
	const uint8_t		*nl;

	while (size > 0) {
		nl = memchr(data, '\n', size);
		(void)ledger_parse_line((const char *)data,
		    nl != NULL ? (size_t)(nl - data) : size, &u, store,
		    sizeof(store));
		if (nl == NULL)
			break;
		size -= (size_t)(nl - data) + 1;
		data = nl + 1;
	}
	return 0;
}
