#!/bin/bash
# plain_worker.sh: venna-fcgi without -l, spawned by a process manager
# that hands it a listening socket on fd 0 (here spawn-fcgi, as lighttpd
# and mod_fcgid do), serves as a single worker; SIGTERM stops it.
. "${top_srcdir:-.}/tests/stack.sh"

require nginx "$NGINX_BIN"
require spawn-fcgi "$SPAWN_FCGI"

stack_new
stack_conf
stack_init || { echo "Bail out! stack_init"; exit 1; }
"$SPAWN_FCGI" -n -s "$STACK/venna.sock" -- "$VENNA_FCGI" \
    -c "$STACK/venna.conf" -t 4 2>>"$STACK/venna.log" &
VENNA_PID=$!
stack_track "$VENNA_PID"
wait_listen "$STACK/venna.sock" || { echo "Bail out! socket"; exit 1; }
start_nginx || { echo "Bail out! nginx"; exit 1; }

http GET "$BASE_URL/models" -H "Authorization: Bearer $KEY_A"
is "$HTTP_STATUS" 200 "a worker on fd 0 serves /v1/models"
http POST "$BASE_URL/chat/completions" -H "Authorization: Bearer $KEY_A" \
    -d '{"model":"venna-1","messages":[{"role":"user","content":"fd zero"}]}'
is "$HTTP_STATUS" 200 "  and chat completions"
check "  the echo" grep -q '"content":"fd zero"' <<<"$HTTP_BODY"
check "it runs no master: one process" \
    [ -z "$(pgrep -P "$VENNA_PID")" ]
check "its log says so" grep -q "worker serving with 4 threads" "$STACK/venna.log"
kill -TERM "$VENNA_PID"
gone() { [ ! -e "/proc/$1" ] || grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat"; }
for i in $(seq 1 100); do gone "$VENNA_PID" && break; sleep 0.05; done
check "SIGTERM drains and stops it" gone "$VENNA_PID"

# Without -l and without a socket on fd 0 it refuses to start.
out=$("$VENNA_FCGI" -c "$STACK/venna.conf" </dev/null 2>&1)
check "without -l or a socket on fd 0 it explains and exits" \
    grep -q "fd 0 is not a listening socket" <<<"$out"
tap_done
