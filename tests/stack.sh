#!/bin/bash
# stack.sh: start and stop Venna stacks on loopback; sourced by the
# integration tests, `make run` and bench/run.  Everything lives in one
# temporary directory ($STACK) and every process started is recorded,
# so stack_stop leaves nothing behind.  The web servers are configured
# from the samples in etc/ with only paths and ports changed, so the
# tests prove the samples work as shipped.
#
# Needs: top_srcdir, top_builddir (set by `make check`; defaulted here).

: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${NGINX_BIN:=$(command -v nginx || echo /usr/sbin/nginx)}"
: "${NODE:=$(command -v node)}"
export top_srcdir top_builddir

VENNA_FCGI="$top_builddir/venna-fcgi"
VENNACTL="$top_builddir/vennactl"
MOCK_UPSTREAM="$top_builddir/tests/mock/mock_upstream"

# TAP helpers for shell tests.
tap_n=0
tap_failed=0
ok() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $*"
}
not_ok() {
	tap_n=$((tap_n + 1))
	tap_failed=$((tap_failed + 1))
	echo "not ok $tap_n - $*"
}
# check NAME COMMAND...: ok if the command succeeds.
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}
# is GOT WANT NAME
is() {
	if [ "$1" = "$2" ]; then
		ok "$3"
	else
		not_ok "$3"
		echo "#   got '$1', want '$2'"
	fi
}
tap_done() {
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
}

# A missing server or tool skips the test on a developer's machine but
# fails it under CI=true: CI must run every integration test.
require() {
	local what=$1 path=$2
	if [ -n "$path" ] && [ -x "$path" ]; then
		return 0
	fi
	if [ "${CI:-}" = true ]; then
		echo "not ok 1 - $what is required under CI=true but missing"
		echo "1..1"
		exit 1
	fi
	echo "1..0 # SKIP $what not installed (run ./bootstrap)"
	exit 0
}

# Print a free TCP port on 127.0.0.1.
free_port() {
	"$NODE" -e 'const s=require("net").createServer();
s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# Make $STACK and arrange for stack_stop at exit.
stack_new() {
	STACK=$(mktemp -d "${TMPDIR:-/tmp}/venna-stack.XXXXXX")
	chmod 755 "$STACK"
	: > "$STACK/pids"
	trap stack_stop EXIT
	trap 'exit 130' INT TERM
}

stack_track() {
	echo "$1" >> "$STACK/pids"
}

# Wait until a unix socket or TCP port accepts connections.
wait_listen() {
	local what=$1 i
	for i in $(seq 1 200); do
		case $what in
		/*) [ -S "$what" ] && return 0 ;;
		*) (exec 3<>"/dev/tcp/127.0.0.1/$what") 2>/dev/null && return 0 ;;
		esac
		sleep 0.05
	done
	echo "# nothing listens on $what" >&2
	return 1
}

# stack_conf [TEXT]: write $STACK/venna.conf; TEXT is appended (models,
# upstreams, more [server] keys go in via STACK_SERVER).
stack_conf() {
	{
		echo "[server]"
		echo "database = $STACK/venna.db"
		echo "log_level = ${STACK_LOG_LEVEL:-info}"
		echo "synchronous = ${STACK_SYNC:-normal}"
		[ -n "${STACK_SERVER:-}" ] && printf '%s\n' "$STACK_SERVER"
		[ -n "${1:-}" ] && printf '%s\n' "$1"
	} > "$STACK/venna.conf"
}

# Initialise state and mint keys: workspaces "alpha" and "beta" with
# keys KEY_A and KEY_B.
stack_init() {
	"$VENNACTL" -c "$STACK/venna.conf" init 2>/dev/null || return 1
	"$VENNACTL" -c "$STACK/venna.conf" workspace create alpha >/dev/null &&
	"$VENNACTL" -c "$STACK/venna.conf" workspace create beta >/dev/null ||
	    return 1
	KEY_A=$("$VENNACTL" -c "$STACK/venna.conf" key create alpha \
	    --name test 2>/dev/null) || return 1
	KEY_B=$("$VENNACTL" -c "$STACK/venna.conf" key create beta \
	    --name test 2>/dev/null) || return 1
	export KEY_A KEY_B
}

# start_venna [ARGS...]: the supervised pool on $STACK/venna.sock.
start_venna() {
	"$VENNA_FCGI" -c "$STACK/venna.conf" -l "$STACK/venna.sock" "$@" \
	    2>>"$STACK/venna.log" &
	VENNA_PID=$!
	stack_track "$VENNA_PID"
	wait_listen "$STACK/venna.sock"
}

# start_mock [KNOBS...]: the mock upstream on a free port; MOCK_PORT.
start_mock() {
	local out="$STACK/mock.$$.$RANDOM"
	"$MOCK_UPSTREAM" -p 0 "$@" > "$out" 2>>"$STACK/mock.log" &
	stack_track $!
	local i
	for i in $(seq 1 100); do
		MOCK_PORT=$([ -f "$out" ] && sed -n 's/^port=//p' "$out")
		[ -n "$MOCK_PORT" ] && break
		sleep 0.05
	done
	[ -n "$MOCK_PORT" ] || return 1
	MOCK_URL="http://127.0.0.1:$MOCK_PORT"
	export MOCK_PORT MOCK_URL
}

# nginx from etc/nginx.conf.sample: only the socket path, the listen
# port and the include path of fastcgi_params are changed.  BASE_URL is
# set to the gateway's /v1.
start_nginx() {
	local port=${1:-$(free_port)} d="$STACK/nginx"
	mkdir -p "$d/tmp"
	cp /etc/nginx/fastcgi_params "$d/fastcgi_params"
	sed -e "s|unix:/run/venna/venna.sock|unix:$STACK/venna.sock|" \
	    -e "s|listen 127.0.0.1:8080;|listen 127.0.0.1:$port;|" \
	    "$top_srcdir/etc/nginx.conf.sample" > "$d/venna.conf"
	{
		[ "$(id -u)" -eq 0 ] && echo "user root;"
		echo "daemon off;"
		echo "worker_processes ${NGINX_WORKERS:-1};"
		echo "pid $d/nginx.pid;"
		echo "error_log $d/error.log warn;"
		echo "events { worker_connections 8192; }"
		echo "http {"
		echo "	access_log ${NGINX_ACCESS_LOG:-$d/access.log};"
		echo "	client_body_temp_path $d/tmp/body;"
		echo "	fastcgi_temp_path $d/tmp/fastcgi;"
		echo "	proxy_temp_path $d/tmp/proxy;"
		echo "	uwsgi_temp_path $d/tmp/uwsgi;"
		echo "	scgi_temp_path $d/tmp/scgi;"
		echo "	include $d/venna.conf;"
		[ -n "${NGINX_EXTRA_HTTP:-}" ] && printf '%s\n' "$NGINX_EXTRA_HTTP"
		echo "}"
	} > "$d/nginx.conf"
	# nginx reads inherited sockets from $NGINX: keep it out.
	env -u NGINX "$NGINX_BIN" -p "$d" -c "$d/nginx.conf" \
	    -e "$d/error.log" 2>>"$d/error.log" &
	stack_track $!
	NGINX_PORT=$port
	BASE_URL="http://127.0.0.1:$port/v1"
	export BASE_URL NGINX_PORT
	wait_listen "$port"
}

# Stop everything this stack started (graceful first), keep $STACK when
# KEEP_STACK=1 for a post-mortem.
stack_stop() {
	local pid
	[ -n "${STACK:-}" ] && [ -f "$STACK/pids" ] || return 0
	while read -r pid; do
		kill -TERM "$pid" 2>/dev/null
	done < "$STACK/pids"
	for _ in $(seq 1 100); do
		local alive=0
		while read -r pid; do
			kill -0 "$pid" 2>/dev/null && alive=1
		done < "$STACK/pids"
		[ $alive -eq 0 ] && break
		sleep 0.05
	done
	while read -r pid; do
		kill -KILL "$pid" 2>/dev/null
	done < "$STACK/pids"
	if [ "${KEEP_STACK:-0}" = 1 ]; then
		echo "# stack kept in $STACK" >&2
	else
		rm -rf "$STACK"
	fi
	STACK=
}

# http METHOD URL [curl args...]: sets HTTP_STATUS, HTTP_BODY, HTTP_HEADERS.
http() {
	local method=$1 url=$2
	shift 2
	local out="$STACK/http.out" hdr="$STACK/http.hdr"
	HTTP_STATUS=$(curl -s -o "$out" -D "$hdr" -w '%{http_code}' \
	    -X "$method" "$url" "$@")
	HTTP_BODY=$(cat "$out")
	HTTP_HEADERS=$(tr -d '\r' < "$hdr")
}

# Is $HTTP_BODY an OpenAI error envelope with all four keys?  Optional
# $1: the expected code.
is_envelope() {
	"$NODE" -e '
const b = JSON.parse(process.argv[1]);
const e = b.error;
if (!e || typeof e.message !== "string" || typeof e.type !== "string" ||
    !("param" in e) || !("code" in e) || Object.keys(b).length !== 1)
	process.exit(1);
if (process.argv[2] && e.code !== process.argv[2]) process.exit(2);
' "$HTTP_BODY" "${1:-}"
}
