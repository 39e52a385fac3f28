#!/bin/bash
# model.sh: powerloss.so and powercut do what the power-loss tests take
# them to do, shown with coreutils under the library: an unsynced
# write is lost and a synced one kept, an overwrite is undone to the
# bytes it replaced, a cut keeps a prefix of each file's unsynced writes
# (torn or not) per file independently, names (with -n) vanish unless
# their directory was synced, a rename goes back and the file it
# replaced returns, a truncation is undone, and a log that lost track
# stops the cut.
. "${top_srcdir:-.}/tests/stack.sh"

POWERLOSS_SO="$top_builddir/tests/powerloss/powerloss.so"
POWERCUT="$top_builddir/tests/powerloss/powercut"
require powercut "$POWERCUT"
[ -f "$POWERLOSS_SO" ] || require "powerloss.so (make check builds it)" ""

stack_new
R=$STACK/root
L=$STACK/log
mkdir -p "$R" "$L"
pl() {
	env LD_PRELOAD="$POWERLOSS_SO" POWERLOSS_ROOT="$R" POWERLOSS_LOG="$L" \
	    "$@"
}
# put FILE TEXT [dd options...]: TEXT written to FILE by dd, traced.
put() {
	local f=$1 t=$2
	shift 2
	printf '%s' "$t" | pl dd of="$f" status=none "$@"
}
cut_() { "$POWERCUT" "$@" "$L" "$R" > "$STACK/cut.out" 2>&1; }

put "$R/a" "synced." conv=fsync
put "$R/a" "lost." oflag=append conv=notrunc
cut_ -z
is "$(cat "$R/a")" "synced." "an unsynced append is lost, the synced data kept"
check "  the cut says so" grep -q '^# powercut: a: 0 of 1 unsynced' \
    "$STACK/cut.out"

put "$R/a" "kept." oflag=append conv=notrunc
cut_ -a
is "$(cat "$R/a")" "synced.kept." "-a keeps every unsynced write (a crash of processes only)"

put "$R/a" "XY" bs=1 seek=2 conv=notrunc
is "$(cat "$R/a")" "syXYed.kept." "  (an overwrite, before the cut)"
cut_ -z
is "$(cat "$R/a")" "synced.kept." "an unsynced overwrite is undone to the bytes it replaced"

put "$R/a" "" conv=fsync
is "$(stat -c %s "$R/a")" 0 "  (a synced truncation)"
put "$R/a" "0123456789" conv=fsync
pl truncate -s 3 "$R/a"
cut_ -z
is "$(cat "$R/a")" "0123456789" "an unsynced ftruncate is undone"

# Four unsynced appends to each of two files, cut with many seeds: each
# file is its synced part plus a prefix of the appends, some torn, and
# the two files are cut independently.
full="base+one+two+three+four+"
prefix=1 torn=0 differ=0 middle=0
for s in $(seq 1 40); do
	for f in b c; do
		put "$R/$f" "base+" conv=fsync
		for w in one two three four; do
			put "$R/$f" "$w+" oflag=append conv=notrunc
		done
	done
	cut_ -s "$s" -t 50
	for f in b c; do
		got=$(cat "$R/$f")
		case $full in "$got"*) ;; *) prefix=0 ;; esac
		case $got in base+*) ;; *) prefix=0 ;; esac
		case $got in
		base+ | base+one+ | base+one+two+ | base+one+two+three+ | "$full") ;;
		*) torn=$((torn + 1)) ;;
		esac
		case $got in
		base+one+ | base+one+two+ | base+one+two+three+) middle=1 ;;
		esac
	done
	[ "$(cat "$R/b")" != "$(cat "$R/c")" ] && differ=$((differ + 1))
	rm -f "$R/b" "$R/c"
	"$POWERCUT" -S "$L"
done
check "a random cut keeps the synced data and a prefix of the writes" \
    [ "$prefix" -eq 1 ]
check "  some prefixes stop in the middle" [ "$middle" -eq 1 ]
check "  some last writes are torn ($torn of 80)" [ "$torn" -gt 0 ]
check "  files are cut independently ($differ of 40 differ)" \
    [ "$differ" -gt 0 ]

# Names: a directory made and a file created in it are lost with -n
# unless the directories holding them were synced.
pl mkdir "$R/d"
put "$R/d/n" "data" conv=fsync
cut_ -n -z
check "with -n, an unsynced mkdir is undone with what it holds" \
    [ ! -e "$R/d" ]
pl mkdir "$R/d"
pl sync "$R"
put "$R/d/n" "data" conv=fsync
pl sync "$R/d"
put "$R/d/m" "data" conv=fsync
cut_ -n -z
check "  a name synced in its directory stays" [ -f "$R/d/n" ]
check "  a file created since its directory's sync goes, synced data or not" \
    [ ! -e "$R/d/m" ]
put "$R/d/m" "data" conv=fsync
cut_ -z
check "  without -n, names are durable at once" [ -f "$R/d/m" ]

put "$R/t" "old" conv=fsync
pl sync "$R"
put "$R/t.new" "new" conv=fsync
pl mv "$R/t.new" "$R/t"
is "$(cat "$R/t")" "new" "  (a file renamed over another)"
cut_ -n -z
is "$(cat "$R/t" 2>&1) $(ls "$R" | grep -c t.new)" "old 0" \
    "an unsynced rename is undone: the replaced file is back, the new name gone"
put "$R/t.new" "new" conv=fsync
pl mv "$R/t.new" "$R/t"
pl sync "$R"
cut_ -n -z
is "$(cat "$R/t")" "new" "  a rename synced in its directory stays"

: > "$L/BROKEN"
cut_ -z
is "$?" 2 "a log that lost track stops the cut"
"$POWERCUT" -S "$L"
printf x | dd of="$R/a" conv=notrunc status=none
printf x | pl dd of="$STACK/outside" status=none
is "$(ls "$L" | grep -c '^[0-9]*-[0-9]*$')" 0 \
    "nothing is logged for a process without the library, nor outside the root"
tap_done
