#!/bin/bash
# web_errors.sh: every answer under /v1 is an OpenAI error envelope, the
# ones the web server in front makes itself included, through each
# sample as shipped (tests/stack.sh changes only paths and ports):
# nginx, Apache with mod_fcgid (virtual host, and .htaccess on a shared
# host), lighttpd (bin-path, and spawn-fcgi).  For each server: a 100 KB
# Authorization header, two Authorization headers, a URL over the limit,
# a body declared at 600 MB and never sent (answered at once, nothing
# stored), a 20 MB body to a JSON endpoint, TRACE, a worker killed while
# it holds a request, and a pool that is gone (and, under nginx, a
# download range past the end of the file): the status, the
# Content-Type, the envelope's four keys and its type.  The large body
# limit belongs to POST /v1/files alone (a 20 MB upload passes), and a
# key sent in the query string never reaches the sample's access log.
. "${top_srcdir:-.}/tests/stack.sh"

require nginx "$NGINX_BIN"
require_apache
require lighttpd "$LIGHTTPD"
require spawn-fcgi "$SPAWN_FCGI"
require node "$NODE"
require curl "$(command -v curl)"

# The fixtures: a header of 100 KB, a query of 10 KB; 20 MB of bytes
# in each stack (twenty_mb).
BIG_AUTH="Authorization: Bearer $(head -c 100000 /dev/zero | tr '\0' a)"
LONG_QUERY="x=$(head -c 10000 /dev/zero | tr '\0' a)"
twenty_mb() {
	TWENTY_MB="$STACK/twenty.bin"
	head -c 20000000 /dev/zero > "$TWENTY_MB"
}

# The envelope of the last answer: "type/typeof code", or what is wrong.
envelope_kind() {
	"$NODE" -e '
let b;
try { b = JSON.parse(process.argv[1]); } catch (e) { console.log("not JSON"); process.exit(0); }
const e = b.error;
if (!e || Object.keys(b).length !== 1) { console.log("no error object"); process.exit(0); }
for (const k of ["message", "type", "param", "code"])
	if (!(k in e)) { console.log("no " + k); process.exit(0); }
if (typeof e.message !== "string" || e.message === "") { console.log("no message"); process.exit(0); }
console.log(e.type + "/" + typeof e.code);
' "$HTTP_BODY"
}

content_type() {
	sed -n 's/^content-type: *//Ip' <<<"$HTTP_HEADERS" | tail -n 1 |
	    sed 's/ *;.*//'
}

# expect_error WHAT STATUS: the last answer is STATUS with an envelope
# (type invalid_request_error below 500, server_error from 500, a
# string code) served as application/json.  STATUS "400h": the host's
# own HTML page, which a .htaccess cannot change (see www/.htaccess):
# checked so that the documented limit stays true.
expect_error() {
	local what=$1 want=$2 type=invalid_request_error
	if [ "${want%h}" != "$want" ]; then
		want=${want%h}
		is "$HTTP_STATUS" "$want" "$SERVER: $what: $want"
		is "$(content_type)" text/html \
		    "  the host's page, not the .htaccess's (documented)"
		return
	fi
	[ "$want" -ge 500 ] && type=server_error
	is "$HTTP_STATUS" "$want" "$SERVER: $what: $want"
	is "$(content_type)" application/json "  Content-Type application/json"
	is "$(envelope_kind)" "$type/string" \
	    "  an envelope: message, $type, param, a code"
}

# The request the workers are killed under: the mock answers it after
# 3 s.  In flight once the mock holds it.
SLOW='{"model":"m","messages":[{"role":"user","content":"slow"}],"mock":{"latency":3000}}'
slow_in_flight() {
	local i
	for i in $(seq 1 100); do
		curl -s "$MOCK_URL/_mock/stats" | grep -q '"active":[1-9]' &&
		    return 0
		sleep 0.05
	done
	return 1
}

# check_errors BIG TWO LONG TRACE KILLED GONE: the listed bad requests
# through $BASE_URL and the expected status of each (see expect_error;
# GONE "-": the server restarts Venna itself, so there is no gone pool
# to ask).  KILL_PIDS is a command printing the pids to kill -9;
# STOP_POOL one that stops the pool for good.
check_errors() {
	local big=$1 two=$2 long=$3 trace=$4 killed=$5 gone=$6 pids

	http GET "$BASE_URL/models" -H "$AUTH_A"
	is "$HTTP_STATUS" 200 "$SERVER: GET /v1/models with a key: 200"

	http GET "$BASE_URL/models" -H "$BIG_AUTH"
	expect_error "a 100 KB Authorization header" "$big"

	http GET "$BASE_URL/models" -H "Authorization: Bearer $KEY_A" \
	    -H "Authorization: Bearer $KEY_B"
	expect_error "two Authorization headers" "$two"

	http GET "$BASE_URL/models?$LONG_QUERY" -H "$AUTH_A"
	expect_error "a 10 KB URL" "$long"

	http POST "$BASE_URL/chat/completions" -H "$AUTH_A" \
	    -H 'content-type: application/json' \
	    -H 'Content-Length: 629145600' -m 10
	expect_error "a chat body declared at 600 MB, never sent" 413
	check "  answered at once (${HTTP_TIME}s)" \
	    awk -v t="$HTTP_TIME" 'BEGIN { exit !(t < 2) }'
	http POST "$BASE_URL/files" -H "$AUTH_A" \
	    -H 'content-type: multipart/form-data; boundary=x' \
	    -H 'Content-Length: 629145600' -m 10
	expect_error "an upload declared at 600 MB, never sent" 413
	check "  answered at once (${HTTP_TIME}s)" \
	    awk -v t="$HTTP_TIME" 'BEGIN { exit !(t < 2) }'

	http POST "$BASE_URL/chat/completions" -H "$AUTH_A" \
	    -H 'content-type: application/json' --data-binary "@$TWENTY_MB"
	expect_error "a 20 MB chat body" 413
	is "$(jv b.error.message)" "The request body is too large." \
	    "  refused by the web server, not by Venna"
	# curl asks "Expect: 100-continue" and sends the body only when
	# told to: the server refused it unread, so it stored none of it.
	is "$HTTP_SENT" 0 "  before reading a byte of it"

	http POST "$BASE_URL/files" -H "$AUTH_A" -F purpose=user_data \
	    -F "file=@$TWENTY_MB;filename=twenty.bin"
	is "$HTTP_STATUS" 200 "$SERVER: a 20 MB upload to POST /v1/files: 200"
	is "$(jv b.bytes)" 20000000 "  stored whole: uploads keep the large limit"

	http TRACE "$BASE_URL/models" -H "$AUTH_A"
	expect_error "TRACE /v1/models" "$trace"
	if [ "${trace%h}" = "$trace" ]; then
		check "  with Allow" grep -qi '^allow: *[A-Z]' <<<"$HTTP_HEADERS"
	fi

	# A worker killed while it holds a request.
	(
		http POST "$BASE_URL/chat/completions" -H "$AUTH_A" \
		    -H 'content-type: application/json' -d "$SLOW" -m 30
		declare -p HTTP_STATUS HTTP_BODY HTTP_HEADERS > "$STACK/slow.vars"
	) &
	local bg=$!
	slow_in_flight || echo "# the slow request never reached the mock"
	pids=$(eval "$KILL_PIDS")
	[ -n "$pids" ] && kill -9 $pids
	wait "$bg"
	. "$STACK/slow.vars"
	expect_error "the workers killed (${pids//$'\n'/ }) mid-request" "$killed"

	if [ "$gone" != - ]; then
		eval "$STOP_POOL"
		http GET "$BASE_URL/models" -H "$AUTH_A"
		expect_error "the pool gone" "$gone"
	fi
}

# send_query_keys, then check_log LOG: a key sent in the query string
# (?api_key=, ?key=) is not in the sample's access log, which logs the
# request all the same.  Checked last, once the server wrote its log
# (lighttpd writes it on a timer).
send_query_keys() {
	http GET "$BASE_URL/models?api_key=$KEY_A" -H "$AUTH_A"
	http GET "$BASE_URL/models/m?key=$KEY_B" -H "$AUTH_A"
	is "$HTTP_STATUS" 200 "$SERVER: a key in the query string is ignored"
}
check_log() {
	local log=$1 i
	for i in $(seq 1 100); do
		grep -q 'GET /v1/models/m ' "$log" 2>/dev/null && break
		sleep 0.1
	done
	check "$SERVER: the sample's access log has the request with ?key=" \
	    grep -q 'GET /v1/models/m ' "$log"
	check "  without the query string" eval '! grep -q "?key=" "$log"'
}

# check_secrets DIR...: no key or Authorization value in any log there.
check_secrets() {
	local re="vk_[A-Za-z0-9]{12}_|$KEY_A|$KEY_B|Bearer " logs
	logs=$(for d in "$@"; do ls "$d"/*.log; done 2>/dev/null)
	# shellcheck disable=SC2086
	if grep -qE "$re" $logs; then
		not_ok "$SERVER: no key or Authorization value in any log"
		grep -noE ".{0,60}($re).{0,20}" $logs | head -n 5 |
		    sed 's/^/# found: /'
	else
		ok "$SERVER: no key or Authorization value in any log"
	fi
}

# ---- nginx in front of the supervised pool, file downloads handed to
# nginx (files_accel; the sample's alias is data_dir, as files.sh sets it)
SERVER=nginx
stack_new
STACK_SERVER="data_dir = $STACK/files
files_accel = /venna-files"
web_stack || { echo "Bail out! the stack"; exit 1; }
STACK_SERVER=
start_venna -w 2 -t 8 || { echo "Bail out! venna-fcgi"; exit 1; }
start_nginx || { echo "Bail out! nginx"; exit 1; }
sed -i "s|alias /var/lib/venna/files/;|alias $STACK/files/;|" \
    "$STACK/nginx/venna.conf"
kill -HUP "$(cat "$STACK/nginx/nginx.pid")"
AUTH_A="Authorization: Bearer $KEY_A"
echo hello > "$STACK/hello.txt"
http POST "$BASE_URL/files" -H "$AUTH_A" -F purpose=user_data \
    -F "file=@$STACK/hello.txt"
id=$(jv b.id)
for i in $(seq 1 50); do	# until the reload is in effect
	http GET "$BASE_URL/files/$id/content" -H "$AUTH_A"
	[ "$HTTP_BODY" = hello ] && break
	sleep 0.1
done
http GET "$BASE_URL/files/$id/content" -H "$AUTH_A" -H 'Range: bytes=100-200'
expect_error "a download (sent by nginx) of a range past the end" 416
check "  with Content-Range" grep -qi '^content-range: bytes \*/6' \
    <<<"$HTTP_HEADERS"
twenty_mb
send_query_keys
KILL_PIDS='pgrep -P "$VENNA_PID"'
STOP_POOL='kill -TERM "$VENNA_PID"; wait "$VENNA_PID" 2>/dev/null'
check_errors 431 400 414 405 502 502
check_log "$STACK/nginx/access.log"
check_secrets "$STACK" "$STACK/nginx"
stack_stop

# ---- Apache, the virtual host of etc/apache-fcgid.conf.sample
SERVER=apache
VENNA_FCGI="$top_builddir/venna-fcgi"
VENNACTL="$top_builddir/vennactl"
stack_new
web_stack || { echo "Bail out! the stack"; exit 1; }
start_apache vhost || { echo "Bail out! apache"; exit 1; }
AUTH_A="Authorization: Bearer $KEY_A"
twenty_mb
send_query_keys
KILL_PIDS='pgrep -f "^$VENNA_FCGI -c $STACK/venna.conf -t 1\$"'
# mod_fcgid answers a process that stopped with 500, not 502.
check_errors 400 401 414 405 500 -
check_log "$STACK/apache/venna.access.log"
check_secrets "$STACK" "$STACK/apache"
stack_stop

# ---- Apache on a shared host: www/.htaccess, the host's settings
# (FcgidMaxRequestLen raised as the .htaccess asks; TraceEnable Off as
# Debian's security.conf has it).  What Apache answers before it reads
# a .htaccess is the host's page.  The access log is the host's too,
# so there is no log of ours to check.
SERVER=htaccess
VENNA_FCGI="$top_builddir/venna-fcgi"
VENNACTL="$top_builddir/vennactl"
stack_new
STACK_SERVER="base_path = /venna"
web_stack || { echo "Bail out! the stack"; exit 1; }
STACK_SERVER=
APACHE_EXTRA="FcgidOutputBufferSize 0
FcgidMaxRequestLen 537919488
TraceEnable Off" start_apache htaccess || { echo "Bail out! apache"; exit 1; }
AUTH_A="Authorization: Bearer $KEY_A"
twenty_mb
KILL_PIDS='pgrep -f "^$VENNA_FCGI -c $STACK/venna.conf -t 1\$"'
check_errors 400h 401 414h 405h 500 -
check_secrets "$STACK" "$STACK/apache"
stack_stop

# ---- lighttpd spawning venna-fcgi itself (bin-path)
SERVER=lighttpd
VENNA_FCGI="$top_builddir/venna-fcgi"
VENNACTL="$top_builddir/vennactl"
stack_new
web_stack || { echo "Bail out! the stack"; exit 1; }
start_lighttpd bin-path || { echo "Bail out! lighttpd"; exit 1; }
AUTH_A="Authorization: Bearer $KEY_A"
twenty_mb
send_query_keys
# lighttpd has no limit of its own on the request line: a long URL
# counts against the headers' (431).  TRACE reaches Venna: its 405.
KILL_PIDS='pgrep -f "^$VENNA_FCGI -c $STACK/venna.conf -t 64\$"'
check_errors 431 401 431 405 500 -
check_log "$STACK/lighttpd/access.log"
check_secrets "$STACK" "$STACK/lighttpd"
stack_stop

# ---- lighttpd in front of one worker from spawn-fcgi
SERVER=lighttpd-spawn
VENNA_FCGI="$top_builddir/venna-fcgi"
VENNACTL="$top_builddir/vennactl"
stack_new
web_stack || { echo "Bail out! the stack"; exit 1; }
stack_give
u=
[ "$(id -u)" -eq 0 ] && u="-u $STACK_WWW_USER"
# shellcheck disable=SC2086
"$SPAWN_FCGI" -n -s "$STACK/venna.sock" $u -- "$VENNA_FCGI" \
    -c "$STACK/venna.conf" -t 64 2>>"$STACK/venna.log" &
VENNA_PID=$!
stack_track "$VENNA_PID"
disown "$VENNA_PID"	# killed below on purpose: no "Killed" from bash
wait_listen "$STACK/venna.sock" || { echo "Bail out! spawn-fcgi"; exit 1; }
start_lighttpd spawn || { echo "Bail out! lighttpd"; exit 1; }
AUTH_A="Authorization: Bearer $KEY_A"
twenty_mb
send_query_keys
# Nothing restarts the worker: once killed, the pool is gone.
KILL_PIDS='echo "$VENNA_PID"'
STOP_POOL=:
check_errors 431 401 431 405 500 503
check_log "$STACK/lighttpd/access.log"
check_secrets "$STACK" "$STACK/lighttpd"
tap_done
