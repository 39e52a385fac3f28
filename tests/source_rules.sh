#!/bin/sh
# source_rules.sh: rules of the C sources that a compiler does not check.
#  1. A column's text or blob belongs to SQLite only until its statement
#     steps or resets (a batch's error once quoted heap bytes that way):
#     outside db.c it is only copied, with db_col_*().
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
cd "$top_srcdir" || exit 1

echo "1..1"
bad=$(grep -n 'sqlite3_column_\(text\|blob\)' src/*.c | grep -v '^src/db\.c:')
if [ -z "$bad" ]; then
	echo "ok 1 - no column text or blob read outside db.c's copies"
else
	echo "not ok 1 - column text or blob read outside db.c's copies"
	printf '%s\n' "$bad" | sed 's/^/# /'
	exit 1
fi
