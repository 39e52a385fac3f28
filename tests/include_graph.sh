#!/bin/sh
# include_graph.sh: the modules of src/ include each other without a
# cycle.  A module is a header of include/ with the sources that
# implement it: x.c, or x_*.c when no header of that longer name exists
# (api_chat.c is api.h's, batch_run.c batch.h's).  An edge runs from a
# module to every header its files include; tsort(1) finds any loop.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
cd "$top_srcdir" || exit 1

headers=$(for h in include/*.h; do basename "$h" .h; done)

# The module a file of src/ or include/ belongs to.
module() {
	b=$(basename "$1"); b=${b%.*}
	case $b in venna_fcgi|venna_batch|vennactl) echo "$b"; return ;; esac
	best=$b
	for h in $headers; do
		[ "$h" = "$b" ] && { echo "$b"; return; }
		case $b in "$h"_*)
			[ ${#h} -gt ${#best} ] || [ "$best" = "$b" ] && best=$h ;;
		esac
	done
	echo "$best"
}

edges=$(mktemp)
trap 'rm -f "$edges" "$edges.err"' EXIT
n=0
for f in src/*.c include/*.h; do
	m=$(module "$f")
	for inc in $(sed -n 's/^#include "\([a-z0-9_]*\)\.h".*/\1/p' "$f"); do
		[ "$inc" = config ] && continue
		echo "$m $inc"
		n=$((n + 1))
	done
done > "$edges"

echo "1..2"
if [ -s "$edges" ]; then
	echo "ok 1 - $(wc -l < "$edges") includes read from src/ and include/"
else
	echo "not ok 1 - no include read"
fi
# A module including its own header is no loop.
if awk '$1 != $2' "$edges" | tsort > /dev/null 2> "$edges.err"; then
	echo "ok 2 - the include graph of the modules has no cycle"
else
	echo "not ok 2 - the include graph of the modules has a cycle"
	sed 's/^/# /' "$edges.err"
	exit 1
fi
