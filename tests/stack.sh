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
VENNA_BATCH="$top_builddir/venna-batch"
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

# The programs several tests need, by the same rule as require.
require_sqlite3() {
	: "${SQLITE3_BIN:=$(command -v sqlite3)}"
	require sqlite3 "$SQLITE3_BIN"
}
require_sdk() {
	if [ ! -d "$top_srcdir/tests/node/node_modules/openai" ] &&
	    [ ! -f "${VENNA_OPENAI_SDK:-}" ]; then
		require "the openai npm package (tests/node)" ""
	fi
}
# What the tests that drive a stack with curl through nginx need: nginx,
# node (free ports, JSON), curl, sqlite3 and the mock upstream.
require_curl_stack() {
	require nginx "$NGINX_BIN"
	require node "$NODE"
	require curl "$(command -v curl)"
	require_sqlite3
	require mock_upstream "$MOCK_UPSTREAM"
}
require_apache() {
	require apache2 "$APACHE2"
	[ -f "$APACHE_MODULES/mod_fcgid.so" ] ||
	    require "mod_fcgid (libapache2-mod-fcgid)" ""
}

# run_sdk FILE: run one of tests/node's SDK suites; its TAP is the
# test's output.
run_sdk() {
	cd "$top_srcdir/tests/node" && "$NODE" --test-reporter=tap "$1"
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
# upstreams, more [server] keys go in via STACK_SERVER).  Run as root
# (CI), the tests' processes stay root, which venna-fcgi and
# venna-batch do only when told to (user = root); stack_give makes it
# the web server's user.  STACK_NO_USER: a build older than that option
# (bench/run's base).  STACK_SHARE: a workspace's max_concurrent
# (bench/run's one-workspace loads take the whole pool).
stack_conf() {
	{
		echo "[server]"
		[ "$(id -u)" -eq 0 ] && [ -z "${STACK_NO_USER:-}" ] &&
		    echo "user = root"
		echo "database = $STACK/venna.db"
		echo "log_level = ${STACK_LOG_LEVEL:-info}"
		echo "synchronous = ${STACK_SYNC:-normal}"
		[ -n "${STACK_SHARE:-}" ] &&
		    echo "max_concurrent = $STACK_SHARE"
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
# port, the access log's path (NGINX_ACCESS_LOG=off: none) and the
# include path of fastcgi_params are changed.  BASE_URL is set to the
# gateway's /v1.
start_nginx() {
	local port=${1:-$(free_port)} d="$STACK/nginx"
	local log="${NGINX_ACCESS_LOG:-$d/access.log venna}"
	mkdir -p "$d/tmp"
	cp /etc/nginx/fastcgi_params "$d/fastcgi_params"
	sed -e "s|unix:/run/venna/venna.sock|unix:$STACK/venna.sock|" \
	    -e "s|listen 127.0.0.1:8080;|listen 127.0.0.1:$port;|" \
	    -e "s|access_log /var/log/nginx/venna.access.log venna;|access_log $log;|" \
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

# What a sanitizer writes: ASan, LeakSanitizer, TSan, UBSan.
SAN_REPORT='(ERROR|WARNING|FATAL): [A-Za-z]*Sanitizer|^SUMMARY: [A-Za-z]*Sanitizer|runtime error: '

# Sanitizer reports in the logs of the stack's processes: one whose
# report went to stderr (its *SAN_OPTIONS did not reach it) rather than
# to tests/sanitizer.sh's directory.  Copied there to fail the test, or
# printed when there is none (make run, bench).
stack_scan_logs() {
	local f name
	find "$STACK" -type f -name '*.log' ! -name 'access.log' |
	    while read -r f; do
		grep -qE "$SAN_REPORT" "$f" 2>/dev/null || continue
		name=log.$(echo "${f#"$STACK"/}" | tr '/' '_')
		awk -v re="$SAN_REPORT" '$0 ~ re { on = 1 } on && n++ < 400' \
		    "$f" > "$STACK/$name.san"
		if [ -n "${VENNA_SAN_DIR:-}" ] && [ -d "$VENNA_SAN_DIR" ]; then
			cp "$STACK/$name.san" "$VENNA_SAN_DIR/$name.$$"
		else
			echo "# sanitizer report in $f:" >&2
			sed 's/^/#   /' "$STACK/$name.san" >&2
		fi
	done
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
	stack_scan_logs
	if [ "${KEEP_STACK:-0}" = 1 ]; then
		echo "# stack kept in $STACK" >&2
	else
		rm -rf "$STACK"
	fi
	STACK=
}

# http METHOD URL [curl args...]: sets HTTP_STATUS, HTTP_BODY,
# HTTP_HEADERS, HTTP_TIME (seconds the exchange took) and HTTP_SENT (the
# bytes of request body curl sent).
http() {
	local method=$1 url=$2 w
	shift 2
	local out="$STACK/http.out" hdr="$STACK/http.hdr"
	: > "$out"
	: > "$hdr"
	w=$(curl -s -o "$out" -D "$hdr" \
	    -w '%{http_code} %{time_total} %{size_upload}' \
	    -X "$method" "$url" "$@")
	read -r HTTP_STATUS HTTP_TIME HTTP_SENT <<<"$w"
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

# ---- Apache (mod_fcgid) and lighttpd -------------------------------------
#
# Under these servers the web server spawns venna-fcgi itself (mod_fcgid,
# lighttpd's bin-path) or spawn-fcgi does, so Venna runs as the web
# server's user.  Apache refuses to run as root, so when the tests run as
# root the servers run as $STACK_WWW_USER and $STACK is handed to it
# (stack_give); vennactl then runs as that user too (as_www), as it must
# in production: files it made as root would lock the workers out.

: "${STACK_WWW_USER:=www-data}"
: "${APACHE2:=$(command -v apache2 || echo /usr/sbin/apache2)}"
: "${APACHE_MODULES:=/usr/lib/apache2/modules}"
: "${LIGHTTPD:=$(command -v lighttpd || echo /usr/sbin/lighttpd)}"
: "${SPAWN_FCGI:=$(command -v spawn-fcgi)}"

# Give $STACK (database, pepper, ledger, sockets) to the server's user.
# When that user cannot reach the build tree (a clone in a private
# directory, as CI's sanitizer run makes), the programs it runs are
# copied into $STACK/bin and VENNA_FCGI and VENNACTL point there.
stack_give() {
	[ "$(id -u)" -eq 0 ] || return 0
	if ! runuser -u "$STACK_WWW_USER" -- test -x "$VENNA_FCGI" ||
	    ! runuser -u "$STACK_WWW_USER" -- test -x "$VENNACTL"; then
		mkdir -p "$STACK/bin"
		cp "$VENNA_FCGI" "$VENNACTL" "$STACK/bin/"
		VENNA_FCGI="$STACK/bin/${VENNA_FCGI##*/}"
		VENNACTL="$STACK/bin/${VENNACTL##*/}"
	fi
	[ -f "$STACK/venna.conf" ] &&
	    sed -i "s/^user = root\$/user = $STACK_WWW_USER/" "$STACK/venna.conf"
	chown -R "$STACK_WWW_USER:" "$STACK"
}

# as_www COMMAND...: run a command as the server's user (as is, unless root).
as_www() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u "$STACK_WWW_USER" -- "$@"
	else
		"$@"
	fi
}

# start_apache [vhost|htaccess] [PORT]: Apache 2.4 with mod_fcgid (and
# mod_headers, which the samples need), in the foreground, from its own
# httpd.conf under $STACK/apache (pid file, logs, runtime and mod_fcgid's
# IPC directories all there).
#   vhost     includes etc/apache-fcgid.conf.sample with only the port
#             and the paths of venna-fcgi, venna.conf and the logs
#             changed; BASE_URL is http://127.0.0.1:PORT/v1.
#   htaccess  a shared host: mod_fcgid with the host's defaults,
#             ".fcgi" handled by mod_fcgid, AllowOverride All; www/.htaccess
#             and www/venna.fcgi (paths changed) copied into the directory
#             "venna" of its document root; BASE_URL is .../venna/v1
#             (venna.conf needs base_path = /venna).
# APACHE_EXTRA: more lines for the server config (what a host would set).
# APACHE_NAME: the directory under $STACK (default "apache"), for a second
# Apache in one stack.
start_apache() {
	local mode=${1:-vhost} port=${2:-$(free_port)} m v val
	local d="$STACK/${APACHE_NAME:-apache}"
	stack_give	# first: it may move VENNA_FCGI
	mkdir -p "$d/run" "$d/fcgid" "$d/htdocs"
	: > "$d/venna.conf"
	case $mode in
	vhost)
		sed -e "s|<VirtualHost \*:80>|<VirtualHost *:$port>|" \
		    -e "s|/usr/local/bin/venna-fcgi|$VENNA_FCGI|" \
		    -e "s|/etc/venna/venna.conf|$STACK/venna.conf|" \
		    -e "s|\${APACHE_LOG_DIR}|$d|" \
		    "$top_srcdir/etc/apache-fcgid.conf.sample" > "$d/venna.conf"
		BASE_URL="http://127.0.0.1:$port/v1"
		;;
	htaccess)
		mkdir -p "$d/htdocs/venna"
		cp "$top_srcdir/www/.htaccess" "$d/htdocs/venna/.htaccess"
		sed -e "s|/home/example/venna/bin/venna-fcgi|$VENNA_FCGI|" \
		    -e "s|/home/example/venna/etc/venna.conf|$STACK/venna.conf|" \
		    "$top_srcdir/www/venna.fcgi" > "$d/htdocs/venna/venna.fcgi"
		chmod 755 "$d/htdocs/venna/venna.fcgi"
		BASE_URL="http://127.0.0.1:$port/venna/v1"
		;;
	*)
		echo "start_apache: vhost or htaccess" >&2
		return 1
		;;
	esac
	{
		echo "ServerRoot $d"
		echo "ServerName 127.0.0.1"
		echo "Listen 127.0.0.1:$port"
		echo "PidFile $d/httpd.pid"
		echo "DefaultRuntimeDir $d/run"
		echo "Mutex file:$d/run default"
		echo "ErrorLog $d/error.log"
		echo "LogLevel ${APACHE_LOG_LEVEL:-warn}"
		if [ "$(id -u)" -eq 0 ]; then
			echo "User $STACK_WWW_USER"
			echo "Group $(id -gn "$STACK_WWW_USER")"
		fi
		for m in mpm_event authz_core mime rewrite alias headers fcgid; do
			echo "LoadModule ${m}_module $APACHE_MODULES/mod_$m.so"
		done
		echo "StartServers 1"
		echo "TypesConfig /etc/mime.types"
		echo "LogFormat \"%h \\\"%r\\\" %>s %b %D\" timed"
		echo "CustomLog $d/access.log timed"
		echo "DocumentRoot $d/htdocs"
		echo "<Directory />"
		echo "	AllowOverride None"
		echo "	Require all denied"
		echo "</Directory>"
		echo "<Directory $d/htdocs>"
		echo "	AllowOverride All"
		echo "	Require all granted"
		echo "</Directory>"
		echo "AccessFileName .htaccess"
		echo "FcgidIPCDir $d/fcgid"
		echo "FcgidProcessTableFile $d/fcgid/shm"
		# mod_fcgid gives what it spawns a clean environment: the
		# sanitizers' options (tests/sanitizer.sh) are passed on.
		for v in ASAN_OPTIONS UBSAN_OPTIONS TSAN_OPTIONS LSAN_OPTIONS; do
			eval "val=\${$v:-}"
			[ -n "$val" ] && echo "FcgidInitialEnv $v \"$val\""
		done
		echo "AddHandler fcgid-script .fcgi"
		[ -n "${APACHE_EXTRA:-}" ] && printf '%s\n' "$APACHE_EXTRA"
		echo "Include $d/venna.conf"
	} > "$d/httpd.conf"
	stack_give
	"$APACHE2" -d "$d" -f "$d/httpd.conf" -DFOREGROUND \
	    >>"$d/stderr.log" 2>&1 &
	stack_track $!
	APACHE_PID=$!
	APACHE_PORT=$port
	export BASE_URL APACHE_PORT
	wait_listen "$port"
}

# start_lighttpd [bin-path|spawn] [PORT]: lighttpd in the foreground,
# its main config under $STACK/lighttpd including etc/lighttpd.conf.sample
# with only paths changed (the error documents of etc/lighttpd-errors are
# copied to $STACK/lighttpd/errors, where the server's user reads them).
#   bin-path  lighttpd spawns venna-fcgi itself (the sample as shipped)
#   spawn     the sample's external-socket variant (its comment says:
#             drop the "bin-path" and "max-procs" lines); the caller
#             starts spawn-fcgi on $STACK/venna.sock first
# BASE_URL is http://127.0.0.1:PORT/v1.
start_lighttpd() {
	local mode=${1:-bin-path} port=${2:-$(free_port)} d="$STACK/lighttpd"
	local drop=
	stack_give	# first: it may move VENNA_FCGI
	mkdir -p "$d/upload" "$d/htdocs" "$d/run" "$d/errors"
	cp "$top_srcdir"/etc/lighttpd-errors/venna-*.html "$d/errors/"
	case $mode in
	bin-path) ;;
	spawn) drop='/"bin-path"\|"max-procs"/d' ;;
	*)
		echo "start_lighttpd: bin-path or spawn" >&2
		return 1
		;;
	esac
	sed -e "s|/usr/local/bin/venna-fcgi|$VENNA_FCGI|" \
	    -e "s|/etc/venna/venna.conf|$STACK/venna.conf|" \
	    -e "s|/run/lighttpd/venna.sock|$STACK/venna.sock|" \
	    -e "s|/etc/lighttpd/venna-errors/|$d/errors/|" \
	    -e "${drop:-s|^\$||}" \
	    "$top_srcdir/etc/lighttpd.conf.sample" > "$d/venna.conf"
	{
		echo "server.document-root = \"$d/htdocs\""
		echo "server.bind = \"127.0.0.1\""
		echo "server.port = $port"
		echo "server.pid-file = \"$d/lighttpd.pid\""
		echo "server.errorlog = \"$d/error.log\""
		echo "server.upload-dirs = ( \"$d/upload\" )"
		if [ "$(id -u)" -eq 0 ]; then
			echo "server.username = \"$STACK_WWW_USER\""
			echo "server.groupname = \"$(id -gn "$STACK_WWW_USER")\""
		fi
		echo "server.modules = ( \"mod_accesslog\" )"
		echo "accesslog.filename = \"$d/access.log\""
		[ -n "${LIGHTTPD_EXTRA:-}" ] && printf '%s\n' "$LIGHTTPD_EXTRA"
		echo "include \"$d/venna.conf\""
	} > "$d/lighttpd.conf"
	stack_give
	"$LIGHTTPD" -D -f "$d/lighttpd.conf" >>"$d/stderr.log" 2>&1 &
	stack_track $!
	LIGHTTPD_PID=$!
	LIGHTTPD_PORT=$port
	BASE_URL="http://127.0.0.1:$port/v1"
	export BASE_URL LIGHTTPD_PORT
	wait_listen "$port"
}

# check_streaming MODEL [CHUNKS [INTERVAL_MS]]: TAP checks that a stream
# from the mock upstream (CHUNKS content chunks INTERVAL_MS apart,
# default 10 x 100 ms) reaches the client through $BASE_URL token by
# token: complete, and spread over the time the upstream took rather
# than in one burst at the end (what a buffering web server does).
check_streaming() {
	local model=$1 n=${2:-10} iv=${3:-100} j v
	j=$("$NODE" "$top_srcdir/tests/node/sse_timing.mjs" "$BASE_URL" \
	    "$KEY_A" "$model" "$n" "$iv")
	echo "# stream timing: $j"
	[ -n "$j" ] || j='{"gaps_ms":[]}'
	v=$("$NODE" -e '
const o = JSON.parse(process.argv[1]), n = +process.argv[2],
    iv = +process.argv[3];
const spaced = o.gaps_ms.filter((g) => g >= iv / 2).length;
console.log([o.status, o.content, o.done,
    o.spread_ms >= 0.6 * (n - 1) * iv && spaced >= n - 3].join(" "));
' "$j" "$n" "$iv" 2>/dev/null)
	set -- $v
	is "${1:-}" 200 "a stream through the server: 200"
	is "${2:-}" "$n" "  all $n content chunks"
	is "${3:-}" true "  and [DONE]"
	is "${4:-}" true "  token by token: spread over ~$(((n - 1) * iv)) ms, not one burst"
}

# check_web_server NAME: what every web server in front of Venna must get
# right, through $BASE_URL with $AUTH_A (model "m" on the mock, venna-1
# on echo): the Authorization header reaches Venna, Venna's envelopes
# and 404s, query strings, a chat completion, a stream that arrives as
# it is made, bodies over the server's usual limits, chunked bodies, and
# Venna's own 413.
# The web server samples pass /v1/organization (the Admin API) from
# this host's address only: another loopback address gets the server's
# own 403, as an envelope, while 127.0.0.1 reaches Venna (whose
# admin_api is off here: its 404).
check_admin_addresses() {
	http GET "$BASE_URL/organization/projects" -H "$AUTH_A" \
	    --interface 127.0.0.2
	is "$HTTP_STATUS" 403 "/v1/organization from 127.0.0.2: the sample's 403"
	check "  as an envelope" is_envelope forbidden
	http GET "$BASE_URL/organization/projects" -H "$AUTH_A"
	is "$HTTP_STATUS" 404 "  from 127.0.0.1 it reaches Venna (admin_api off)"
	check "  Venna's unknown_url" is_envelope unknown_url
	check_ops_paths
}

# The operations paths beside $BASE_URL's /v1 (so under base_path too)
# reach Venna without a key; so does /metrics from loopback (the
# samples refuse other addresses but those an administrator adds).
check_ops_paths() {
	local root=${BASE_URL%/v1}
	http GET "$root/healthz"
	is "$HTTP_STATUS" 200 "GET /healthz without a key: 200"
	is "$HTTP_BODY" '{"status":"ok"}' "  Venna's answer"
	http GET "$root/readyz"
	is "$HTTP_STATUS" 200 "GET /readyz without a key: 200"
	http GET "$root/metrics" --interface 127.0.0.2
	check "/metrics from 127.0.0.2 reaches Venna" grep -qi \
	    '^x-request-id: req_' <<<"$HTTP_HEADERS"
}

check_web_server() {
	local name=$1 big
	http GET "$BASE_URL/models" -H "$AUTH_A"
	is "$HTTP_STATUS" 200 "GET /v1/models with a key: Authorization reaches Venna"
	check "  lists venna-1" grep -q '"id":"venna-1"' <<<"$HTTP_BODY"
	check "  carries x-request-id" grep -qi '^x-request-id: req_' \
	    <<<"$HTTP_HEADERS"
	http GET "$BASE_URL/models"
	is "$HTTP_STATUS" 401 "no key: 401"
	check "  Venna's envelope" is_envelope
	http GET "$BASE_URL/models" -H "Authorization: Bearer vk_garbage"
	is "$HTTP_STATUS" 401 "a malformed key: 401"
	check "  invalid_api_key" is_envelope invalid_api_key
	http GET "$BASE_URL/no/such/thing" -H "$AUTH_A"
	is "$HTTP_STATUS" 404 "an unknown path under /v1: Venna's 404"
	check "  unknown_url" is_envelope unknown_url
	check_admin_addresses
	http GET "$BASE_URL/models?x=1&y=%2F" -H "$AUTH_A"
	is "$HTTP_STATUS" 200 "a query string passes through"

	web_chat -d "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"through $name\"}]}"
	is "$HTTP_STATUS" 200 "a chat completion from the mock upstream"
	check "  the reply" grep -q "\"content\":\"mock reply to: through $name\"" \
	    <<<"$HTTP_BODY"

	check_streaming m 10 100

	# mod_fcgid's default FcgidMaxRequestLen (128 KiB) would answer 500.
	big=$(head -c 600000 /dev/zero | tr '\0' 'a')
	printf '{"model":"venna-1","messages":[{"role":"user","content":"%s"}]}' \
	    "$big" > "$STACK/big.json"
	web_chat --data-binary "@$STACK/big.json"
	is "$HTTP_STATUS" 200 "a 600 KB body: 200"
	check "  echoed whole" [ "${#HTTP_BODY}" -gt 600000 ]
	web_chat -H 'Transfer-Encoding: chunked' --data-binary "@$STACK/big.json"
	is "$HTTP_STATUS" 200 "the same body chunked (no Content-Length): 200"
	head -c $((17 * 1024 * 1024)) /dev/zero > "$STACK/huge.bin"
	web_chat --data-binary "@$STACK/huge.bin"
	is "$HTTP_STATUS" 413 "a body over Venna's max_body reaches Venna: its 413"
	check "  as an envelope" is_envelope
}

# jv EXPR: EXPR evaluated with b = JSON.parse($HTTP_BODY); strings raw,
# everything else as JSON.
jv() {
	"$NODE" -e 'let b; try { b = JSON.parse(process.argv[1]); }
catch (e) { console.log("<not JSON>"); process.exit(0); }
let v; try { v = eval(process.argv[2]); } catch (e) { v = "<" + e.message + ">"; }
console.log(typeof v === "string" ? v : JSON.stringify(v));' \
	    "$HTTP_BODY" "$1"
}

# sql STATEMENT: run STATEMENT on the stack's database (require_sqlite3).
sql() { "$SQLITE3_BIN" "$STACK/venna.db" "$1"; }

# web_stack: the stack the web-server tests share, on $STACK: model "m"
# on a mock upstream (priced), venna-1 on echo, the workspaces and keys
# of stack_init.
web_stack() {
	start_mock || return 1
	stack_conf "[upstream mock]
base_url = $MOCK_URL/v1
[model m]
upstream = mock
input_price = 1
output_price = 2
[model venna-1]
upstream = echo"
	stack_init
}

# check_shared_state NAME LOG...: after load.mjs wrote the request ids
# it saw succeed to $STACK/ok.ids, the processes NAME spawned share
# their state with vennactl run as the same user (ctl): every success
# has its usage row, a key made or revoked by vennactl counts on every
# process within a second, the database is intact and no key reached
# the LOG files.
check_shared_state() {
	local name=$1 missing key out
	shift
	out=$(ctl usage --format csv 2>&1)
	check "vennactl usage, as $name's user, reads the ledger" \
	    grep -q '^alpha,' <<<"$out"
	as_www "$SQLITE3_BIN" "$STACK/venna.db" \
	    "SELECT request_id FROM usage WHERE model = 'm' AND status = 200" |
	    sort > "$STACK/rows.ids"
	sort -u "$STACK/ok.ids" > "$STACK/ok.sorted"
	missing=$(comm -23 "$STACK/ok.sorted" "$STACK/rows.ids" | wc -l)
	is "$missing" 0 "  every one of the $(grep -c . "$STACK/ok.sorted") completions the client saw has its usage row"

	key=$(ctl key create alpha 2>/dev/null)
	is "$(key_codes "$key")" "200:10 " "a key made by vennactl works at once"
	ctl key revoke "$key" 2>/dev/null
	sleep 1
	is "$(key_codes "$key")" "401:10 " \
	    "a key revoked by vennactl is refused by every process within a second"

	check "integrity_check is ok" eval 'ctl db check >/dev/null'
	if grep -qE "vk_[A-Za-z0-9]{12}_|$KEY_A|$KEY_B|Bearer " "$@"; then
		not_ok "no key or Authorization value in $name's logs"
	else
		ok "no key or Authorization value in $name's logs"
	fi
}

# key_codes KEY: the statuses of ten GET /v1/models with KEY, counted.
key_codes() {
	local i
	for i in $(seq 1 10); do
		curl -s -o /dev/null -w '%{http_code}\n' "$BASE_URL/models" \
		    -H "Authorization: Bearer $1"
	done | sort | uniq -c | awk '{ printf "%s:%s ", $2, $1 }'
}

# responses_stack: the stack tests/node/responses.test.mjs expects, on
# $STACK: venna-1 on echo, m-mock on a mock upstream, m-slow on the same
# mock answering after 4 s, the workspaces of stack_init; MOCK_URL
# exported.
responses_stack() {
	start_mock || return 1
	export MOCK_URL
	stack_conf "[upstream echo]
type = echo
[upstream mock]
base_url = $MOCK_URL/v1
[model venna-1]
upstream = echo
[model m-mock]
upstream = mock
upstream_model = gpt-mock
[model m-slow]
upstream = mock
upstream_model = gpt-mock?latency=4000"
	stack_init
}

# web_chat CURL-ARGS...: POST /v1/chat/completions with $AUTH_A.
web_chat() {
	http POST "$BASE_URL/chat/completions" -H "$AUTH_A" \
	    -H 'content-type: application/json' "$@"
}

# batch_stack: the stack tests/node/batches.test.mjs expects, on
# $STACK: two mock upstreams (m-mock priced, m-slow 300 ms a request,
# two lines at a time), the echo model (m-echo), the workspaces of
# stack_init and a third, gamma (KEY_C).
batch_stack() {
	start_mock latency=300 || return 1
	SLOW_URL=$MOCK_URL
	start_mock || return 1
	stack_conf "[upstream mock]
base_url = $MOCK_URL/v1
[upstream slow]
base_url = $SLOW_URL/v1
[upstream echo]
type = echo
[model m-mock]
upstream = mock
input_price = 1
output_price = 2
[model m-slow]
upstream = slow
batch_concurrency = 2
[model m-echo]
upstream = echo"
	stack_init || return 1
	"$VENNACTL" -c "$STACK/venna.conf" workspace create gamma >/dev/null &&
	KEY_C=$("$VENNACTL" -c "$STACK/venna.conf" key create gamma \
	    --name t 2>/dev/null) || return 1
	export KEY_C VENNA_CONF="$STACK/venna.conf"
}
