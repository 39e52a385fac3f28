#!/bin/bash
# journal_race.sh: a usage journal is never deleted under its writer.
# Found by the power-loss rounds: all the completions one worker
# answered in a round had no usage row, and its journal was gone before
# the power went.  journal_new() (src/ledger.c) created the journal,
# then took the shared flock that tells importers its writer lives; an
# importer that opened it in between got LOCK_EX|LOCK_NB, took the
# empty file for a dead writer's and deleted it, and the writer then
# appended every row it would ever write to the deleted file.  The
# journal is now locked under a name importers ignore, then renamed.
# Here the instant after each journal's creation (whatever its first
# name) is made 300 ms long
# (powerloss.so's POWERLOSS_CREATE_DELAY; nothing else of powerloss.so
# is used: before the fix, all 60 rows were lost, none without the
# delay) while `vennactl usage` imports in a loop, workers recycling
# every 10 requests: every completion answered 200 must have its row.
. "${top_srcdir:-.}/tests/stack.sh"

POWERLOSS_SO="$top_builddir/tests/powerloss/powerloss.so"
require nginx "$NGINX_BIN"
[ -f "$POWERLOSS_SO" ] || require "powerloss.so (make check builds it)" ""
require_sqlite3

stack_new
mkdir -p "$STACK/state" "$STACK/plog"
{
	echo "[server]"
	[ "$(id -u)" -eq 0 ] && echo "user = root"
	echo "database = $STACK/state/venna.db"
	echo "max_requests = 10"
	echo "[upstream echo]"
	echo "type = echo"
	echo "[model e]"
	echo "upstream = echo"
} > "$STACK/venna.conf"
stack_init || { echo "Bail out! stack_init"; exit 1; }
sql() { "$SQLITE3_BIN" "$STACK/state/venna.db" "$1"; }
(
	while :; do
		"$VENNACTL" -c "$STACK/venna.conf" usage >/dev/null 2>&1
	done
) &
importer=$!
stack_track "$importer"
env LD_PRELOAD="$POWERLOSS_SO" POWERLOSS_ROOT="$STACK/state" \
    POWERLOSS_LOG="$STACK/plog" POWERLOSS_CREATE_DELAY=.ulog:300 \
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
    "$VENNA_FCGI" -c "$STACK/venna.conf" -l "$STACK/venna.sock" -w 2 -t 2 \
    2>>"$STACK/venna.log" &
VENNA_PID=$!
stack_track "$VENNA_PID"
wait_listen "$STACK/venna.sock" || { echo "Bail out! venna-fcgi"; exit 1; }
start_nginx || { echo "Bail out! nginx"; exit 1; }

: > "$STACK/ok.ids"
for i in $(seq 1 60); do
	http POST "$BASE_URL/chat/completions" -H "Authorization: Bearer $KEY_A" \
	    -H 'Content-Type: application/json' \
	    -d "{\"model\":\"e\",\"messages\":[{\"role\":\"user\",\"content\":\"words $i\"}]}"
	[ "$HTTP_STATUS" = 200 ] &&
	    sed -n 's/^x-request-id: //p' <<< "$HTTP_HEADERS" >> "$STACK/ok.ids"
done
kill -KILL "$importer" 2>/dev/null
wait "$importer" 2>/dev/null
kill -TERM "$VENNA_PID"
wait "$VENNA_PID"
"$VENNACTL" -c "$STACK/venna.conf" usage >/dev/null 2>&1
sql "SELECT request_id FROM usage" | sort > "$STACK/rows.ids"
sort "$STACK/ok.ids" > "$STACK/ok.sorted"
n=$(grep -c . "$STACK/ok.sorted")
check "the requests were answered ($n of 60)" [ "$n" -ge 50 ]
missing=$(comm -23 "$STACK/ok.sorted" "$STACK/rows.ids" | wc -l)
echo "# $missing of $n completions answered 200 have no usage row"
is "$missing" 0 "every completion answered 200 has its usage row"
tap_done
