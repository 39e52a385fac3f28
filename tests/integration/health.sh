#!/bin/bash
# health.sh: GET /healthz and /readyz through nginx (etc/nginx.conf.sample)
# without a key: /readyz turns 503, naming the cause, when a model's only
# upstream goes down, when another process holds the database's write
# lock and when the database's disk fills up, and turns back to 200 when
# each recovers; it answers within 2 s when an upstream swallows
# connects; HEAD answers, POST is a 405.  The database lives on a private
# tmpfs, to be filled: the test needs root (as CI runs it).
. "${top_srcdir:-.}/tests/stack.sh"

require_curl_stack
require perl "$(command -v perl)"
[ "$(id -u)" -eq 0 ] || require "root (to mount a tmpfs)" ""

stack_new
STATE=$(mktemp -d "${TMPDIR:-/tmp}/venna-health.XXXXXX")
mount -t tmpfs -o size=64m tmpfs "$STATE" ||
    { echo "Bail out! cannot mount a tmpfs on $STATE"; exit 1; }
trap 'stack_stop; umount "$STATE" && rmdir "$STATE"' EXIT

UP_PORT=$(free_port)
DB="$STATE/venna.db"

# start_up: the mock upstream on UP_PORT (the model's only upstream).
start_up() {
	"$MOCK_UPSTREAM" -p "$UP_PORT" >/dev/null 2>>"$STACK/mock.log" &
	UP_PID=$!
	stack_track "$UP_PID"
	wait_listen "$UP_PORT"
}

# readyz_becomes STATUS: poll /readyz (10 s at most) until three
# answers in a row are STATUS: every worker has seen the change, each
# after its own cached probe expired.
readyz_becomes() {
	local want=$1 run=0 i
	for i in $(seq 1 100); do
		http GET "$OPS/readyz"
		if [ "$HTTP_STATUS" = "$want" ]; then
			run=$((run + 1))
			[ $run -ge 3 ] && return 0
		else
			run=0
		fi
		sleep 0.1
	done
	return 1
}

# The blackhole: a listener with a backlog of 0 that never accepts,
# its queue taken by one connection: the kernel drops every later SYN,
# so a connect to it neither succeeds nor fails.
perl -MSocket -e '
socket(my $s, PF_INET, SOCK_STREAM, 0) or die "socket: $!";
bind($s, pack_sockaddr_in(0, inet_aton("127.0.0.1"))) or die "bind: $!";
listen($s, 0) or die "listen: $!";
socket(my $c, PF_INET, SOCK_STREAM, 0) or die "socket: $!";
connect($c, getsockname($s)) or die "connect: $!";
my ($port) = unpack_sockaddr_in(getsockname($s));
$| = 1;
print "port=$port\n";
sleep 3600;' > "$STACK/hole.out" 2>>"$STACK/hole.log" &
stack_track $!
for _ in $(seq 1 100); do
	HOLE_PORT=$(sed -n 's/^port=//p' "$STACK/hole.out")
	[ -n "$HOLE_PORT" ] && break
	sleep 0.05
done
[ -n "$HOLE_PORT" ] || { echo "Bail out! the blackhole did not start"; exit 1; }

start_up || { echo "Bail out! mock upstream"; exit 1; }
STACK_SERVER="ready_min_free = 16m"
UPKEY="sk-up-$RANDOM$RANDOM-secret"
MODELS="[upstream up]
base_url = http://127.0.0.1:$UP_PORT/v1
api_key = $UPKEY
[upstream local]
type = echo
[model m]
upstream = up
[model e]
upstream = local"
stack_conf "$MODELS"
sed -i "s|^database = .*|database = $DB|" "$STACK/venna.conf"
stack_init || { echo "Bail out! stack_init"; exit 1; }
start_venna -w 2 || { echo "Bail out! venna-fcgi"; exit 1; }
start_nginx || { echo "Bail out! nginx"; exit 1; }
OPS=${BASE_URL%/v1}

# ---- the answers
http GET "$OPS/healthz"
is "$HTTP_STATUS" 200 "GET /healthz without a key: 200"
is "$HTTP_BODY" '{"status":"ok"}' "  {\"status\":\"ok\"}"
check "  JSON" grep -qi '^content-type: application/json' <<<"$HTTP_HEADERS"
check "  never cached" grep -qi '^cache-control: no-store' <<<"$HTTP_HEADERS"
http GET "$OPS/readyz"
is "$HTTP_STATUS" 200 "GET /readyz without a key: 200"
is "$(jv b.status)" ready "  status ready"
is "$(jv b.checks.database)" ok "  database ok"
is "$(jv b.checks.models.m)" ok "  model m (the mock) ok"
is "$(jv b.checks.models.e)" ok "  model e (echo) ok"
check "  never cached" grep -qi '^cache-control: no-store' <<<"$HTTP_HEADERS"
# head PATH: "STATUS BODY_BYTES" of HEAD PATH.
head() {
	curl -s -I -o /dev/null -w '%{http_code} %{size_download}' "$OPS$1"
}
is "$(head /readyz)" "200 0" "HEAD /readyz: 200, no body"
is "$(head /healthz)" "200 0" "HEAD /healthz: 200, no body"
http POST "$OPS/readyz" -d '{}'
is "$HTTP_STATUS" 405 "POST /readyz: 405"
check "  an envelope" is_envelope method_not_allowed
check "  Allow: GET, HEAD" grep -qi '^allow: GET, HEAD' <<<"$HTTP_HEADERS"
http GET "$OPS/healthz/x"
is "$HTTP_STATUS" 404 "/healthz/x is no operations path: nginx's 404"
http GET "$OPS/metrics" --interface 127.0.0.2
check "/metrics from loopback reaches Venna" grep -qi '^x-request-id: req_' \
    <<<"$HTTP_HEADERS"

# ---- a model's only upstream goes down, and comes back
kill "$UP_PID"
wait "$UP_PID" 2>/dev/null
check "the upstream down: /readyz 503" readyz_becomes 503
is "$(jv b.status)" not_ready "  status not_ready"
check "  names model m and its upstream" grep -q \
    '"m":"no usable upstream: up (connect: Connection refused)"' \
    <<<"$HTTP_BODY"
is "$(jv b.checks.models.e)" ok "  model e still ok"
is "$(jv b.checks.database)" ok "  database ok"
check "  Retry-After" grep -qi '^retry-after: [0-9]' <<<"$HTTP_HEADERS"
check "  no URL, no key" eval '! grep -q -e ":$UP_PORT" -e "$UPKEY" <<<"$HTTP_BODY"'
http GET "$OPS/healthz"
is "$HTTP_STATUS" 200 "  /healthz still 200 (the pool answers)"
start_up || { echo "Bail out! mock upstream again"; exit 1; }
check "the upstream back: /readyz 200 again" readyz_becomes 200

# ---- another process holds the write lock, then lets go
mkfifo "$STACK/hold"
"$SQLITE3_BIN" "$DB" < "$STACK/hold" > "$STACK/hold.out" 2>&1 &
HOLD_PID=$!
stack_track "$HOLD_PID"
exec 7> "$STACK/hold"
echo "BEGIN EXCLUSIVE; UPDATE readiness SET checked_at = 1;" >&7
locked=0
for _ in $(seq 1 100); do
	if ! "$SQLITE3_BIN" -cmd ".timeout 0" "$DB" \
	    "BEGIN IMMEDIATE; ROLLBACK;" >/dev/null 2>&1; then
		locked=1
		break
	fi
	sleep 0.05
done
is "$locked" 1 "sqlite3 holds the write lock"
sleep 1.1	# each process's last database verdict holds for a second
t0=$(date +%s%N)
http GET "$OPS/readyz"
ms=$((($(date +%s%N) - t0) / 1000000))
is "$HTTP_STATUS" 503 "the write lock held: /readyz 503"
check "  database: not writable, locked" grep -q \
    '"database":"not writable: database is locked"' <<<"$HTTP_BODY"
check "  within 2 s (${ms} ms: a short wait for the lock)" [ "$ms" -lt 2000 ]
http GET "$OPS/healthz"
is "$HTTP_STATUS" 200 "  /healthz still 200"
echo "COMMIT;" >&7
exec 7>&-
wait "$HOLD_PID" 2>/dev/null
check "the lock released: /readyz 200 again" readyz_becomes 200

# ---- the disk fills up, then has room again
dd if=/dev/zero of="$STATE/filler" bs=1M 2>/dev/null
check "the database's filesystem is full" [ "$(df -k --output=avail "$STATE" | tail -n 1 | tr -d ' ')" -lt 1024 ]
check "the disk full: /readyz 503" readyz_becomes 503
check "  database: names the free space" grep -q \
    '"database":"free space on its filesystem is [0-9]* KiB, under ready_min_free (16384 KiB)"' \
    <<<"$HTTP_BODY"
is "$(jv b.checks.models.m)" ok "  model m ok"
http GET "$OPS/healthz"
is "$HTTP_STATUS" 200 "  /healthz still 200"
rm -f "$STATE/filler"
check "room again: /readyz 200 again" readyz_becomes 200

# ---- an upstream that swallows connects: /readyz still answers at once
stack_conf "$MODELS
[upstream hole]
base_url = http://127.0.0.1:$HOLE_PORT/v1
[upstream hole2]
base_url = http://127.0.0.1:$HOLE_PORT/v2
[model h]
upstream = hole, hole2"
sed -i "s|^database = .*|database = $DB|" "$STACK/venna.conf"
kill -TERM "$VENNA_PID"
wait "$VENNA_PID" 2>/dev/null
rm -f "$STACK/venna.sock"
start_venna -w 2 || { echo "Bail out! venna-fcgi again"; exit 1; }
slowest=0
for _ in 1 2 3 4; do
	http GET "$OPS/readyz"
	ms=$(awk -v t="$HTTP_TIME" 'BEGIN { printf "%d", t * 1000 }')
	[ "$ms" -gt "$slowest" ] && slowest=$ms
done
is "$HTTP_STATUS" 503 "an upstream that never answers a connect: /readyz 503"
check "  within 2 s (slowest ${slowest} ms)" [ "$slowest" -lt 2000 ]
check "  names model h and both upstreams" grep -q \
    '"h":"no usable upstream: hole (no answer to a connect within 500 ms); hole2 (no answer to a connect within 500 ms)"' \
    <<<"$HTTP_BODY"
is "$(jv b.checks.models.m)" ok "  model m ok"

tap_done
