#!/bin/bash
# apache.sh: the gateway behind Apache 2.4 and mod_fcgid, configured from
# etc/apache-fcgid.conf.sample with only the port and paths changed.
# mod_fcgid spawns venna-fcgi itself, as Apache's user, one request per
# process: the Authorization header reaches Venna, streams go out token
# by token, bodies over mod_fcgid's default 128 KiB limit get through,
# and the processes share the database and the usage ledger with
# vennactl.  (tests/integration/sdk_apache.sh runs the SDK suite.)
. "${top_srcdir:-.}/tests/stack.sh"

require_apache
require node "$NODE"
require curl "$(command -v curl)"
require_sqlite3

stack_new
web_stack || { echo "Bail out! the stack"; exit 1; }
start_apache vhost || { echo "Bail out! apache"; exit 1; }
AUTH_A="Authorization: Bearer $KEY_A"
ctl() { as_www "$VENNACTL" -c "$STACK/venna.conf" "$@"; }

# The Authorization header is withheld from FastCGI applications unless
# FcgidPassHeader passes it.
check_web_server apache

# The processes: spawned by mod_fcgid as Apache's user, each a lone
# worker with one request thread, no master.
pids=$(pgrep -f "^$VENNA_FCGI -c $STACK/venna.conf -t 1\$")
check "mod_fcgid spawned venna-fcgi" [ -n "$pids" ]
if [ "$(id -u)" -eq 0 ]; then
	users=$(ps -o user= -p "$(echo $pids | tr ' ' ,)" | sort -u | tr -d ' ')
	is "$users" "$STACK_WWW_USER" "  as Apache's user"
fi
check "  each a worker with one thread" \
    grep -q "worker serving with 1 threads" "$STACK/apache/error.log"
parents=$(ps -o ppid= -p "$(echo $pids | tr ' ' ,)" | sort -u | tr -d ' ')
check "  children of Apache's process manager, not of a Venna master" \
    grep -q apache2 "/proc/${parents%%[^0-9]*}/cmdline"

# Concurrent requests: one per process, so mod_fcgid starts more.
body='{"model":"m","messages":[{"role":"user","content":"count these four words"}],"mock":{"latency":100}}'
"$NODE" "$top_srcdir/tests/node/load.mjs" "$BASE_URL/chat/completions" \
    "$KEY_A" 8 4000 - "$body" "$STACK/ok.ids" > "$STACK/load.json"
load=$(cat "$STACK/load.json")
echo "# 8 concurrent clients for 4 s: $load"
check "no request failed under concurrency" grep -q '"failed":0' <<<"$load"
n=$(pgrep -cf "^$VENNA_FCGI -c $STACK/venna.conf -t 1\$")
check "  served by several processes ($n)" [ "$n" -ge 2 ]

# Shared state: the rows of every process's ledger journal reach the
# database through vennactl, run as the same user.
check_shared_state Apache "$STACK"/apache/*.log

# Stopping Apache stops the processes it spawned.
kill -TERM "$APACHE_PID"
for i in $(seq 1 100); do
	pgrep -f "^$VENNA_FCGI -c $STACK/venna.conf" >/dev/null || break
	sleep 0.1
done
check "stopping Apache stops its venna-fcgi processes" \
    eval '! pgrep -f "^$VENNA_FCGI -c $STACK/venna.conf" >/dev/null'
tap_done
