#!/bin/bash
# make_run.sh: the newcomer's path, `make run` (tests/quickstart.sh), as
# the README describes it, in a directory of its own on a free port:
#  - it serves the demo key it prints;
#  - a batch completes: venna-batch runs every few seconds with the
#    stack, and the banner says so;
#  - the vennactl command the banner prints, and the one the README
#    gives, work on make run's state;
#  - Ctrl-C (here SIGTERM: a background job ignores SIGINT) stops every
#    process it started, the batch loop included;
#  - when the port is taken, by any server or by another make run, it
#    fails with a message naming the port and VENNA_PORT, and starts
#    nothing.
. "${top_srcdir:-.}/tests/stack.sh"

require nginx "$NGINX_BIN"
require node "$NODE"
require curl "$(command -v curl)"

stack_new
run_dir="$STACK/run"
mkdir -p "$run_dir"
port=$(free_port)

# quickstart DIR PORT: make run's recipe, in DIR, in the background;
# QPID is its pid, its output DIR/out and DIR/err.
quickstart() {
	(cd "$1" && VENNA_PORT=$2 top_srcdir="$top_srcdir" \
	    top_builddir="$top_builddir" NODE="$NODE" NGINX_BIN="$NGINX_BIN" \
	    exec bash "$top_srcdir/tests/quickstart.sh" >"$1/out" 2>"$1/err") &
	QPID=$!
	stack_track "$QPID"
}
# wait_for FILE PATTERN SECONDS
wait_for() {
	local i
	for i in $(seq 1 $(($3 * 10))); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
alive() { kill -0 "$1" 2>/dev/null; }

quickstart "$run_dir" "$port"
first_qpid=$QPID
if ! wait_for "$run_dir/out" "Venna is running" 30; then
	sed 's/^/# /' "$run_dir/err"
	echo "Bail out! make run did not start"
	exit 1
fi
ok "make run starts on port $port"
banner=$(cat "$run_dir/out")
key=$(grep -o 'vk_[A-Za-z0-9_]*' <<<"$banner" | head -n 1)
BASE_URL="http://127.0.0.1:$port/v1"
http GET "$BASE_URL/models" -H "Authorization: Bearer $key"
is "$HTTP_STATUS" 200 "the demo key it prints works"

# The banner's vennactl command, run as printed.
cmd=$(grep -E '^ +/.*/vennactl -c .*/var/venna.conf workspace list$' \
    <<<"$banner" | sed 's/^ *//')
check "the banner prints a vennactl command with -c .../var/venna.conf" \
    [ -n "$cmd" ]
out=$(cd / && eval "$cmd" 2>&1)
check "  which lists the demo workspace, from any directory" \
    grep -q ' demo ' <<<"$out"
# The README's, from the directory make run ran in (./vennactl there is
# the build tree's).
readme=$(grep -o '\./vennactl -c var/venna.conf workspace list' \
    "$top_srcdir/README.md" | head -n 1)
check "the README gives the same command" [ -n "$readme" ]
out=$(cd "$run_dir" && eval "${readme/.\/vennactl/$VENNACTL}" 2>&1)
check "  which works as written" grep -q ' demo ' <<<"$out"
out=$(cd "$run_dir" && VENNA_CONF="$run_dir/var/venna.conf" \
    "$VENNACTL" key list --workspace demo 2>&1)
check "  and so does VENNA_CONF, as the banner says" \
    grep -q ' demo ' <<<"$out"

# A batch goes from validating to completed with no cron.
check "the banner says venna-batch runs" \
    grep -q 'venna-batch runs every' <<<"$banner"
printf '%s\n' \
    '{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"venna-1","messages":[{"role":"user","content":"one"}]}}' \
    '{"custom_id":"b","method":"POST","url":"/v1/chat/completions","body":{"model":"venna-1","messages":[{"role":"user","content":"two"}]}}' \
    > "$STACK/in.jsonl"
http POST "$BASE_URL/files" -H "Authorization: Bearer $key" \
    -F purpose=batch -F "file=@$STACK/in.jsonl"
file_id=$(jv b.id)
http POST "$BASE_URL/batches" -H "Authorization: Bearer $key" \
    -H 'Content-Type: application/json' \
    -d "{\"input_file_id\":\"$file_id\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}"
is "$HTTP_STATUS" 200 "a batch is created"
batch_id=$(jv b.id)
status=
for _ in $(seq 1 60); do
	http GET "$BASE_URL/batches/$batch_id" -H "Authorization: Bearer $key"
	status=$(jv b.status)
	[ "$status" = completed ] && break
	sleep 0.5
done
is "$status" completed "  and completes within 30 s, with no cron"
is "$(jv b.request_counts.completed)" 2 "  both lines done"

# The port is taken: by any server, or by make run itself.
other_port=$(free_port)
"$NODE" -e 'require("net").createServer((c) => { c.on("error", () => {});
c.end("HTTP/1.0 200 OK\r\n\r\nnot venna\n"); }).listen(+process.argv[1], "127.0.0.1")' \
    "$other_port" &
stack_track $!
wait_listen "$other_port" || { echo "Bail out! the other server"; exit 1; }
for taken in "$other_port:another server" "$port:a running make run"; do
	p=${taken%%:*}
	d="$STACK/taken.$p"
	mkdir -p "$d"
	quickstart "$d" "$p"
	t=0
	while alive "$QPID" && [ "$t" -lt 100 ]; do sleep 0.1; t=$((t + 1)); done
	check "make run on port $p, taken by ${taken#*:}, gives up" \
	    eval '! alive "$QPID"'
	kill -TERM "$QPID" 2>/dev/null	# when it did not give up
	wait "$QPID"
	rc=$?
	check "  with a non-zero exit ($rc)" [ "$rc" -ne 0 ]
	check "  naming the port" grep -q "127.0.0.1:$p is already in use" "$d/err"
	check "  and VENNA_PORT" grep -q 'VENNA_PORT=' "$d/err"
	check "  without saying it runs" eval '! grep -q "is running" "$d/out"'
	check "  and without starting anything" \
	    eval '[ ! -s "$d/var/pids" ] && [ ! -e "$d/var/venna.sock" ]'
	sed 's/^/#   /' "$d/err"
done
http GET "$BASE_URL/models" -H "Authorization: Bearer $key"
is "$HTTP_STATUS" 200 "the first make run still serves"

# Ctrl-C: everything make run started goes away, the batch loop too.
started=$(cat "$run_dir/var/pids")
check "make run recorded what it started" [ "$(wc -w <<<"$started")" -ge 3 ]
kill -TERM "$first_qpid"
wait "$first_qpid"
is "$?" 0 "stopping make run exits 0"
left=
for _ in $(seq 1 50); do
	left=
	for pid in $started; do alive "$pid" && left="$left $pid"; done
	[ -z "$left" ] && break
	sleep 0.1
done
is "$left" "" "  and leaves none of its processes running"
check "  nor a venna-batch" eval '! pgrep -f "^$VENNA_BATCH -c $run_dir/" >/dev/null'
check "  nor its socket" [ ! -e "$run_dir/var/venna.sock" ]
tap_done
