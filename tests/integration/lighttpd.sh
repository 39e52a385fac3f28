#!/bin/bash
# lighttpd.sh: the gateway behind lighttpd configured from
# etc/lighttpd.conf.sample with only paths and the port changed: lighttpd
# spawns venna-fcgi itself ("bin-path", two processes of 64 threads) as
# its own user.  Authorization, streams token by token
# (server.stream-response-body = 2), request bodies buffered by lighttpd,
# a killed process restarted, and the processes sharing the database and
# the usage ledger with vennactl.  (sdk_lighttpd.sh runs the SDK suite.)
. "${top_srcdir:-.}/tests/stack.sh"

require lighttpd "$LIGHTTPD"
require node "$NODE"
require curl "$(command -v curl)"
require_sqlite3

stack_new
web_stack || { echo "Bail out! the stack"; exit 1; }
start_lighttpd bin-path || { echo "Bail out! lighttpd"; exit 1; }
AUTH_A="Authorization: Bearer $KEY_A"
ctl() { as_www "$VENNACTL" -c "$STACK/venna.conf" "$@"; }
vennas() { pgrep -f "^$VENNA_FCGI -c $STACK/venna.conf -t 64\$" | sort; }
csv() { tr '\n' , | sed 's/,$//'; }

check_web_server lighttpd

before=$(vennas | csv)
is "$(vennas | wc -l)" 2 "lighttpd spawned max-procs = 2 venna-fcgi"
if [ "$(id -u)" -eq 0 ]; then
	is "$(ps -o user= -p "$before" | sort -u | tr -d ' ')" \
	    "$STACK_WWW_USER" "  as lighttpd's user"
fi
is "$(ps -o ppid= -p "$before" | sort -u | tr -d ' ')" "$LIGHTTPD_PID" \
    "  children of lighttpd, no Venna master"
check "  each a worker with 64 threads" \
    grep -q "worker serving with 64 threads" "$STACK/lighttpd/stderr.log"

# kill -9 of one process under load: lighttpd starts another; only the
# requests that process held can fail.
body='{"model":"m","messages":[{"role":"user","content":"count these four words"}],"mock":{"latency":50}}'
"$NODE" "$top_srcdir/tests/node/load.mjs" "$BASE_URL/chat/completions" \
    "$KEY_A" 16 4000 - "$body" "$STACK/ok.ids" > "$STACK/load.json" &
loadpid=$!
sleep 1.5
victim=$(vennas | head -n 1)
kill -9 "$victim"
wait "$loadpid"
load=$(cat "$STACK/load.json")
echo "# 16 clients for 4 s, one process killed: $load"
failed=$(sed -n 's/.*"failed":\([0-9]*\).*/\1/p' <<<"$load")
okc=$(sed -n 's/.*"ok":\([0-9]*\).*/\1/p' <<<"$load")
check "requests kept flowing ($okc ok)" [ "${okc:-0}" -gt 200 ]
check "  at most the killed process's 16 requests failed (${failed:-?})" \
    [ "${failed:-99}" -le 16 ]
for i in $(seq 1 50); do
	[ "$(vennas | wc -l)" -eq 2 ] && ! vennas | grep -qx "$victim" && break
	http GET "$BASE_URL/models" -H "$AUTH_A"
	sleep 0.1
done
after=$(vennas | csv)
check "  and lighttpd replaced it ($before -> $after)" \
    eval '[ "$(vennas | wc -l)" -eq 2 ] && ! vennas | grep -qx "$victim"'

check_shared_state lighttpd "$STACK"/lighttpd/*.log

kill -TERM "$LIGHTTPD_PID"
for i in $(seq 1 100); do
	[ -z "$(vennas)" ] && break
	sleep 0.1
done
check "stopping lighttpd stops its venna-fcgi processes" [ -z "$(vennas)" ]
tap_done
