#!/bin/bash
# torture_fast.sh: the fault torture's fast subset, in `make check`: the
# first N of a few call sites of every function each operation calls,
# every mode, and both synchronous settings (torture.sh --fast).  The
# whole sweep is `make torture`.
exec "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/torture/torture.sh" \
    --fast "$@"
