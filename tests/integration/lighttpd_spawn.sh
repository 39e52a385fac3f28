#!/bin/bash
# lighttpd_spawn.sh: lighttpd with the external-socket variant of
# etc/lighttpd.conf.sample (its "bin-path" and "max-procs" lines dropped,
# as its comment says) in front of one venna-fcgi started by spawn-fcgi,
# as the sample's spawn-fcgi line does: a plain worker on fd 0, as the
# web server's user, sharing the database and ledger with vennactl.
. "${top_srcdir:-.}/tests/stack.sh"

require lighttpd "$LIGHTTPD"
require spawn-fcgi "$SPAWN_FCGI"
require node "$NODE"
require curl "$(command -v curl)"

stack_new
web_stack || { echo "Bail out! the stack"; exit 1; }
stack_give
spawn() {
	local u=
	[ "$(id -u)" -eq 0 ] && u="-u $STACK_WWW_USER"
	# -n: no fork, so $! is venna-fcgi itself once spawn-fcgi execs it.
	# shellcheck disable=SC2086
	"$SPAWN_FCGI" -n -s "$STACK/venna.sock" $u -- "$VENNA_FCGI" \
	    -c "$STACK/venna.conf" -t 64 2>>"$STACK/venna.log" &
	VENNA_PID=$!
	stack_track "$VENNA_PID"
	wait_listen "$STACK/venna.sock"
}
spawn || { echo "Bail out! spawn-fcgi"; exit 1; }
start_lighttpd spawn || { echo "Bail out! lighttpd"; exit 1; }
AUTH_A="Authorization: Bearer $KEY_A"
ctl() { as_www "$VENNACTL" -c "$STACK/venna.conf" "$@"; }
chat() {
	http POST "$BASE_URL/chat/completions" -H "$AUTH_A" \
	    -H 'content-type: application/json' "$@"
}

check "the sample's variant B has no bin-path" \
    eval '! grep -q "\"bin-path\"" "$STACK/lighttpd/venna.conf"'
http GET "$BASE_URL/models" -H "$AUTH_A"
is "$HTTP_STATUS" 200 "GET /v1/models with a key"
http GET "$BASE_URL/models"
is "$HTTP_STATUS" 401 "no key: 401"
check "  Venna's envelope" is_envelope
chat -d '{"model":"m","messages":[{"role":"user","content":"spawned"}]}'
is "$HTTP_STATUS" 200 "a chat completion from the mock upstream"
check "  the reply" grep -q '"content":"mock reply to: spawned"' <<<"$HTTP_BODY"
check_streaming m 10 100

check "spawn-fcgi ran venna-fcgi as one process, no master" \
    eval '[ -z "$(pgrep -P "$VENNA_PID")" ] && grep -q "^$VENNA_FCGI" "/proc/$VENNA_PID/cmdline"'
if [ "$(id -u)" -eq 0 ]; then
	is "$(ps -o user= -p "$VENNA_PID" | tr -d ' ')" "$STACK_WWW_USER" \
	    "  as the web server's user (-u)"
	is "$(stat -c %U "$STACK/venna.sock")" "$STACK_WWW_USER" \
	    "  which owns the socket"
fi
check "  a worker with 64 threads" \
    grep -q "worker serving with 64 threads" "$STACK/venna.log"

body='{"model":"m","messages":[{"role":"user","content":"count these four words"}]}'
"$NODE" "$top_srcdir/tests/node/load.mjs" "$BASE_URL/chat/completions" \
    "$KEY_A" 16 2000 - "$body" > "$STACK/load.json"
load=$(cat "$STACK/load.json")
echo "# 16 clients for 2 s: $load"
check "no request failed with 16 at once" grep -q '"failed":0' <<<"$load"
okc=$(sed -n 's/.*"ok":\([0-9]*\).*/\1/p' <<<"$load")
n=$(ctl usage --format csv --by model 2>/dev/null |
    awk -F, '$2 == "m" { print $3 }')
echo "# usage by model: $(ctl usage --format csv --by model 2>/dev/null | tr '\n' ' ')"
is "$n" "$((okc + 2))" "vennactl usage counts every request served"
# chat_200: model m's successful chat completions as /metrics counts them.
chat_200() {
	curl -s "${BASE_URL%/v1}/metrics" | sed -n \
	    's|^venna_requests_total{route="/v1/chat/completions",model="m",upstream="mock",status="200"} ||p'
}
is "$(chat_200)" "$((okc + 2))" \
    "/metrics counts the same requests, from a worker spawn-fcgi started"

# The worker stops (SIGTERM, drained); lighttpd answers 503 meanwhile and
# uses the socket again once spawn-fcgi has started a new one.
kill -TERM "$VENNA_PID"
for i in $(seq 1 100); do [ -e "/proc/$VENNA_PID" ] || break; sleep 0.05; done
http GET "$BASE_URL/models" -H "$AUTH_A"
check "with the worker gone lighttpd answers 5xx ($HTTP_STATUS)" \
    [ "${HTTP_STATUS:0:1}" = 5 ]
check "  as an envelope (the sample's error documents)" is_envelope
spawn || { echo "Bail out! spawn-fcgi again"; exit 1; }
for i in $(seq 1 50); do
	http GET "$BASE_URL/models" -H "$AUTH_A"
	[ "$HTTP_STATUS" = 200 ] && break
	sleep 0.2
done
is "$HTTP_STATUS" 200 "a worker spawned again is used again"
is "$(chat_200)" "$((okc + 2))" \
    "  and its /metrics still has them (the counters are not the worker's)"

check "integrity_check is ok" eval 'ctl db check >/dev/null'
if grep -rqE "vk_[A-Za-z0-9]{12}_|$KEY_A|$KEY_B|Bearer " "$STACK"/*.log \
    "$STACK"/lighttpd/*.log; then
	not_ok "no key or Authorization value in any log"
else
	ok "no key or Authorization value in any log"
fi
tap_done
