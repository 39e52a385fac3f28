#!/bin/bash
# quickstart.sh: `make run`.  A private nginx on 127.0.0.1:$VENNA_PORT
# (8080) in front of a venna-fcgi pool, state under ./var, the built-in
# defaults (model venna-1 on the echo upstream), a demo workspace and its
# key.  Ctrl-C stops both.
. "${top_srcdir:-.}/tests/stack.sh"

port=${VENNA_PORT:-8080}
STACK="$(pwd)/var"
KEEP_STACK=1
mkdir -p "$STACK"
if [ -S "$STACK/venna.sock" ] && (exec 3<>"/dev/tcp/127.0.0.1/$port") \
    2>/dev/null; then
	echo "make run: Venna already seems to run on port $port" >&2
	exit 1
fi
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
"$VENNACTL" -c "$STACK/venna.conf" init 2>/dev/null ||
    { echo "make run: vennactl init failed" >&2; exit 1; }
if ! "$VENNACTL" -c "$STACK/venna.conf" workspace list | grep -q ' demo '; then
	"$VENNACTL" -c "$STACK/venna.conf" workspace create demo >/dev/null
fi
# A demo convenience only: real keys are shown once and never stored.
if [ ! -s "$STACK/demo.key" ]; then
	(umask 077 && "$VENNACTL" -c "$STACK/venna.conf" key create demo \
	    --name "make run" 2>/dev/null > "$STACK/demo.key")
fi
key=$(cat "$STACK/demo.key")

rm -f "$STACK/venna.sock"
start_venna || { echo "make run: venna-fcgi did not start; see $STACK/venna.log" >&2; exit 1; }
start_nginx "$port" || { echo "make run: nginx did not start; see $STACK/nginx/error.log" >&2; exit 1; }

cat <<MSG

Venna is running on http://127.0.0.1:$port/v1  (Ctrl-C stops it)
State: $STACK   Logs: $STACK/venna.log

Demo workspace key:
  $key

Try:
  curl http://127.0.0.1:$port/v1/models -H "Authorization: Bearer $key"
  curl http://127.0.0.1:$port/v1/chat/completions -H "Authorization: Bearer $key" -d '{"messages":[{"content":"Hello!","role":"user"}],"model":"venna-1"}'

MSG
wait
