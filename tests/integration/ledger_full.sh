#!/bin/bash
# ledger_full.sh: a usage row that cannot be journaled withholds its
# answer.  The journal directory is a tmpfs filled to a few bytes short
# of full: the next row's write is short or fails.  The client gets a
# 500 (an error event on a stream, no [DONE]), never a 200 without its
# row; once there is room again, rows are journaled and imported.
. "${top_srcdir:-.}/tests/stack.sh"

require nginx "$NGINX_BIN"
require node "$NODE"
require_sqlite3
[ "$(id -u)" -eq 0 ] || require "root (to mount a small tmpfs)" ""

stack_new
trap 'd=$STACK; stack_stop; mountpoint -q "$d/ledger" && umount "$d/ledger"' EXIT
stack_conf "[upstream echo]
type = echo
[model e]
upstream = echo"
stack_init || { echo "Bail out! stack_init"; exit 1; }
mkdir -p "$STACK/ledger"
mount -t tmpfs -o size=64k tmpfs "$STACK/ledger" ||
    { echo "Bail out! mount a 64 KiB tmpfs"; exit 1; }
start_venna -w 1 -t 4 || { echo "Bail out! venna-fcgi"; exit 1; }
start_nginx || { echo "Bail out! nginx"; exit 1; }
H="Authorization: Bearer $KEY_A"
J='Content-Type: application/json'
ask() {
	http POST "$BASE_URL/chat/completions" -H "$H" -H "$J" -d \
	    "{\"model\":\"e\",\"messages\":[{\"role\":\"user\",\"content\":\"$1\"}]$2}"
}

# Fill the journal's file system but for 40 bytes: a row is ~150.
free=$(df -B1 --output=avail "$STACK/ledger" | tail -1)
head -c $((free - 40)) /dev/zero > "$STACK/ledger/filler" 2>/dev/null
ask "first words"
is "$HTTP_STATUS" 500 "the journal is full: 500, not a 200 without a row"
check "  usage_not_recorded, an envelope" is_envelope usage_not_recorded
ask "stream words" ',"stream":true'
check "a stream: its words went out, then an error event" \
    grep -q '"code":"usage_not_recorded"' <<< "$HTTP_BODY"
check "  and no [DONE]" bash -c '! grep -q "\[DONE\]" <<< "$1"' _ "$HTTP_BODY"
check "  nor its finish" bash -c '! grep -q "\"finish_reason\":\"stop\"" <<< "$1"' \
    _ "$HTTP_BODY"

rm -f "$STACK/ledger/filler"
ask "room again"
is "$HTTP_STATUS" 200 "room again: 200"
rid=$(sed -n 's/^x-request-id: //p' <<< "$HTTP_HEADERS")
"$VENNACTL" -c "$STACK/venna.conf" usage > /dev/null 2>&1
is "$(sql "SELECT count(*) FROM usage WHERE request_id = '$rid' AND status = 200")" 1 \
    "  its row is imported"
is "$(sql "SELECT count(*) FROM usage")" 1 \
    "  and no row for the answers withheld"
# The pool holds the journal open: stopped first, the tmpfs can go.
kill -TERM "$VENNA_PID" 2>/dev/null
while kill -0 "$VENNA_PID" 2>/dev/null; do sleep 0.05; done
umount "$STACK/ledger"
tap_done
