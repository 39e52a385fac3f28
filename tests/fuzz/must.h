/*
 * must.h: a property of a fuzz target's output.  A failed one names
 * itself on stderr and aborts, so libFuzzer keeps the input as a crash
 * and the corpus replay under `make check` fails.
 */
#ifndef MUST_H
#define MUST_H

#include <stdio.h>
#include <stdlib.h>

#define MUST(c) do {							\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: property failed: %s\n",		\
		    __FILE__, __LINE__, #c);				\
		abort();						\
	}								\
} while (0)

#endif /* MUST_H */
