#!/bin/bash
# quickstart.sh: `make run`.  A private nginx on 127.0.0.1:$VENNA_PORT
# (8080) in front of a venna-fcgi pool, state under ./var, the built-in
# defaults (model venna-1 on the echo upstream), a demo workspace and its
# key, and venna-batch run every few seconds as cron would run it, so
# batches complete.  Ctrl-C stops all of it.
#
# It fails, and says why, when the port is taken: a page served by
# someone else must never pass for Venna.
. "${top_srcdir:-.}/tests/stack.sh"

port=${VENNA_PORT:-8080}
STACK="$(pwd)/var"
KEEP_STACK=1
BATCH_EVERY=5		# seconds between venna-batch passes (cron: 60)

fail() {
	echo "make run: $*" >&2
	exit 1
}
port_taken() {
	fail "127.0.0.1:$port is already in use ($1); stop what runs" \
	    "there or pick another port, e.g. VENNA_PORT=$((port + 1))" \
	    "make run"
}

# Before anything starts: nobody may answer on the port.
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
	port_taken "something answers on it"
fi
mkdir -p "$STACK"
: > "$STACK/pids"
trap stack_stop EXIT
trap 'exit 0' INT TERM

# The configuration holds only where state lives: everything else is
# the built-in default, the demo model venna-1 included.
[ -f "$STACK/venna.conf" ] || cat > "$STACK/venna.conf" <<CONF
# Written by make run.  See etc/venna.conf.sample for every option.
[server]
database = venna.db
CONF
ctl() { "$VENNACTL" -c "$STACK/venna.conf" "$@"; }
ctl init 2>/dev/null || fail "vennactl init failed"
if ! ctl workspace list | grep -q ' demo '; then
	ctl workspace create demo >/dev/null
fi
# A demo convenience only: real keys are shown once and never stored.
if [ ! -s "$STACK/demo.key" ]; then
	(umask 077 && ctl key create demo --name "make run" \
	    2>/dev/null > "$STACK/demo.key")
fi
key=$(cat "$STACK/demo.key")

# Everything runs as whoever ran make run: a demonstration on loopback,
# its state in the tree.  For root that has to be said (-u root); a
# gateway in production names its own user (venna-fcgi(8)).
me=$(id -un)
start_venna -u "$me" || fail "venna-fcgi did not start: $(tail -n 1 \
    "$STACK/venna.log" 2>/dev/null) (log: $STACK/venna.log)"
start_nginx "$port" ||
    fail "nginx did not start on port $port; see $STACK/nginx/error.log"
nginx_pid=$(tail -n 1 "$STACK/pids")
# The port answered; make sure it is our nginx, in front of our pool,
# and not a server that took the port in the meantime.
sleep 0.2
if ! kill -0 "$nginx_pid" 2>/dev/null; then
	grep -q 'Address already in use' "$STACK/nginx/error.log" 2>/dev/null &&
	    port_taken "nginx could not bind it"
	fail "nginx stopped at once; see $STACK/nginx/error.log"
fi
probe=$(curl -s -o /dev/null -D - "http://127.0.0.1:$port/v1/models" |
    tr -d '\r')
grep -qi '^x-request-id: req_' <<<"$probe" ||
    port_taken "what answers on it is not this Venna"

# venna-batch, as cron would run it, but every few seconds: batches and
# the reclaiming of files do not wait a minute.  Stopped with the rest.
batch_loop() {
	local child=
	trap '[ -n "$child" ] && kill "$child" 2>/dev/null; exit 0' TERM
	while :; do
		"$VENNA_BATCH" -c "$STACK/venna.conf" -u "$me" \
		    2>>"$STACK/batch.log" &
		child=$!
		wait "$child"
		sleep "$BATCH_EVERY" &
		child=$!
		wait "$child"
	done
}
batch_loop &
stack_track $!

cat <<MSG

Venna is running on http://127.0.0.1:$port/v1  (Ctrl-C stops it)
State: $STACK
Logs:  $STACK/venna.log, $STACK/batch.log

Demo workspace key:
  $key

Try:
  curl http://127.0.0.1:$port/v1/models -H "Authorization: Bearer $key"
  curl http://127.0.0.1:$port/v1/chat/completions -H "Authorization: Bearer $key" -d '{"messages":[{"content":"Hello!","role":"user"}],"model":"venna-1"}'

Batches: venna-batch runs every $BATCH_EVERY s here (in production, cron runs it
every minute), so /v1/batches move from validating to completed.

Workspaces, keys and usage of this gateway: vennactl, on this state:
  $VENNACTL -c $STACK/venna.conf workspace list
  $VENNACTL -c $STACK/venna.conf key create demo --name me
  $VENNACTL -c $STACK/venna.conf usage --by model
(or export VENNA_CONF=$STACK/venna.conf and leave out -c)

MSG
wait
