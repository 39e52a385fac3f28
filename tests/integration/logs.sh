#!/bin/bash
# logs.sh: log_format = json with a log_file.  Every line of a run is
# one JSON object; each request's access line carries the request id,
# status, model and tokens it was answered with; no key or
# Authorization value reaches the file; a file moved away is reopened
# on SIGUSR1, by the master and its workers and by a lone worker that
# spawn-fcgi started as a web server would.  With the default format
# the access line is the text it always was.
. "${top_srcdir:-.}/tests/stack.sh"

require nginx "$NGINX_BIN"
require node "$NODE"
require spawn-fcgi "$SPAWN_FCGI"

LOG=venna-json.log
BOGUS="sk-logtest-BOGUS-not-a-key-0123456789abcdef"

stack_new
STACK_SERVER="log_format = json
log_file = $LOG" stack_conf
stack_init || { echo "Bail out! stack_init"; exit 1; }
start_venna -w 2 -t 4 || { echo "Bail out! venna"; exit 1; }
start_nginx || { echo "Bail out! nginx"; exit 1; }
# A key of the right shape whose secret is wrong.
WRONG="${KEY_A%????}zzzz"

# send METHOD PATH KEY [BODY]: one request through nginx.  What Venna
# answered (request id, status, and for a model the model asked for
# and the tokens of its usage) is appended to $STACK/sent.
send() {
	local method=$1 path=$2 key=$3 body=${4:-} rid usage
	local args=(-H "Authorization: Bearer $key")
	[ -n "$body" ] && args+=(-H "Content-Type: application/json"
	    -d "$body")
	http "$method" "$BASE_URL$path" "${args[@]}"
	rid=$(sed -n 's/^x-request-id: *//Ip' <<<"$HTTP_HEADERS")
	usage=$("$NODE" -e '
const [body, sent] = process.argv.slice(1);
let u = null, m = "-";
try { m = JSON.parse(sent).model || "-"; } catch (e) {}
try { u = JSON.parse(body).usage; } catch (e) {
	for (const l of body.split("\n"))
		if (l.startsWith("data: {")) u = JSON.parse(l.slice(6)).usage || u;
}
console.log(u ? `${m} ${u.prompt_tokens} ${u.completion_tokens || 0}` :
    "- - -");' "$HTTP_BODY" "$body")
	echo "$rid $HTTP_STATUS $usage" >> "$STACK/sent"
}

# wait_logged FILE: the access line is written after the answer; wait
# until FILE has the last request's.
wait_logged() {
	local last
	last=$(tail -n 1 "$STACK/sent" | cut -d' ' -f1)
	for _ in $(seq 1 100); do
		grep -q "$last" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# json_lines FILE: ok if every line of FILE is one JSON object with the
# members every line has; prints "rid status model prompt completion"
# for each access line (those with a status) to FILE.access.
json_lines() {
	"$NODE" -e '
const fs = require("fs");
const f = process.argv[1];
const lines = fs.readFileSync(f, "utf8").split("\n");
let bad = 0, n = 0, out = [];
if (lines.pop() !== "") { console.log("# no newline at the end"); bad++; }
for (const l of lines) {
	n++;
	let o;
	try { o = JSON.parse(l); } catch (e) { console.log("# not JSON: " + l); bad++; continue; }
	if (typeof o !== "object" || o === null || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(o.time) ||
	    !["error", "warn", "info", "debug"].includes(o.level) ||
	    o.program !== "venna-fcgi" || !Number.isInteger(o.pid) ||
	    typeof o.msg !== "string") {
		console.log("# members missing: " + l); bad++; continue;
	}
	if (o.status === undefined) continue;
	out.push(o.model === undefined ? `${o.request_id} ${o.status} - - -` :
	    `${o.request_id} ${o.status} ${o.model} ${o.prompt_tokens} ${o.completion_tokens}`);
	if (typeof o.duration_ms !== "number" || o.method === undefined ||
	    o.path === undefined) {
		console.log("# access members missing: " + l); bad++;
	}
}
fs.writeFileSync(f + ".access", out.map(s => s + "\n").join(""));
console.log(`# ${n} lines, ${out.length} access lines`);
process.exit(bad === 0 && n > 0 ? 0 : 1);' "$1"
}

# no_secrets FILE...: none of the keys used, nor an Authorization
# value, is in the files.
no_secrets() {
	! grep -qF -e "$KEY_A" -e "$KEY_B" -e "$WRONG" -e "$BOGUS" \
	    -e "Bearer" -e "vk_" "$@"
}

CHAT='{"model":"venna-1","messages":[{"role":"user","content":"log me \"quoted\" \u00e9"}]}'
STREAM='{"model":"venna-1","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"stream me"}]}'
EMBED='{"model":"venna-1","input":["the cat sat","other"]}'
: > "$STACK/sent"
send POST /chat/completions "$KEY_A" "$CHAT"
is "$HTTP_STATUS" 200 "a chat completion"
send POST /chat/completions "$KEY_A" "$STREAM"
is "$HTTP_STATUS" 200 "a streamed one"
send POST /embeddings "$KEY_B" "$EMBED"
is "$HTTP_STATUS" 200 "embeddings"
send GET /models "$WRONG"
is "$HTTP_STATUS" 401 "a key with the wrong secret: 401"
send GET /models "$BOGUS"
is "$HTTP_STATUS" 401 "an Authorization value that is no key: 401"
send GET "/nowhere/%22\"" "$KEY_A"
is "$HTTP_STATUS" 404 "an unknown path with a quote in it: 404"
send POST /chat/completions "$KEY_A" \
    '{"model":"no-such-model","messages":[{"role":"user","content":"x"}]}'
is "$HTTP_STATUS" 404 "an unknown model: 404"

wait_logged "$STACK/$LOG"
check "every line of the log file is one JSON object" json_lines "$STACK/$LOG"
# The unknown model was asked for but is no configured model: none.
sed -i 's/^\([^ ]* 404\) no-such-model .*/\1 - - -/' "$STACK/sent"
sort "$STACK/sent" > "$STACK/sent.sorted"
sort "$STACK/$LOG.access" > "$STACK/access.sorted"
missing=$(comm -23 "$STACK/sent.sorted" "$STACK/access.sorted")
is "$missing" "" "each request's access line has its id, status, model and tokens"
check "  and the request ids are the ones clients saw" \
    [ "$(cut -d' ' -f1 "$STACK/sent" | grep -c '^req_')" -eq 7 ]
check "  the streamed request's tokens are counted" \
    grep -q "^$(sed -n 2p "$STACK/sent" | cut -d' ' -f1) 200 venna-1 [1-9]" \
    "$STACK/$LOG.access"
check "  the request's path, escaped" grep -qF '"path":"/v1/nowhere/%22\""' \
    "$STACK/$LOG"
check "  latencies and cost" grep -q '"ttfb_ms":[0-9.]*,"upstream_ms":[0-9.]*,.*"cost_usd":0\.[0-9]\{12\}' \
    "$STACK/$LOG"
check "no key or Authorization value in the log file" no_secrets "$STACK/$LOG"
check "nothing left on stderr" [ ! -s "$STACK/venna.log" ]

# ---- SIGUSR1: the master and its workers reopen a file moved away ------
# reopened FILE N: wait until N processes said so in FILE.
reopened() {
	for _ in $(seq 1 100); do
		[ "$(cat "$1" 2>/dev/null | grep -c '"msg":"log file reopened"')" \
		    -ge "$2" ] && return 0
		sleep 0.05
	done
	return 1
}

# rotate N LABEL: move the log away, SIGUSR1 to $VENNA_PID, requests;
# the new file has them, the moved one none.
rotate() {
	local n=$1 label=$2 i
	mv "$STACK/$LOG" "$STACK/$LOG.1"
	: > "$STACK/sent"
	kill -USR1 "$VENNA_PID"
	check "$label: SIGUSR1 opens the file anew in all $n processes" \
	    reopened "$STACK/$LOG" "$n"
	for i in 1 2 3 4 5 6; do
		send POST /chat/completions "$KEY_A" "$CHAT"
	done
	wait_logged "$STACK/$LOG"
	check "  every line of the new file is JSON" json_lines "$STACK/$LOG"
	is "$(cut -d' ' -f1 "$STACK/sent" | grep -cFf - "$STACK/$LOG")" 6 \
	    "  the requests after it are in the new file"
	is "$(cut -d' ' -f1 "$STACK/sent" | grep -cFf - "$STACK/$LOG.1")" 0 \
	    "  and not in the one moved away"
	check "  which is still all JSON" json_lines "$STACK/$LOG.1"
	check "  no key in either" no_secrets "$STACK/$LOG" "$STACK/$LOG.1"
	rm -f "$STACK/$LOG.1"
}
rotate 3 "master"

# A file that cannot be opened anew (a directory now holds its name):
# the old one stays, and says why.
mv "$STACK/$LOG" "$STACK/$LOG.1"
mkdir "$STACK/$LOG"
: > "$STACK/sent"
kill -USR1 "$VENNA_PID"
for _ in $(seq 1 100); do
	[ "$(grep -c '"msg":"cannot reopen the log' "$STACK/$LOG.1")" -ge 3 ] &&
	    break
	sleep 0.05
done
check "a failed reopen is logged in the file still open, by all 3"     [ "$(grep -c '"level":"error".*"msg":"cannot reopen the log, still writing to the old file: log_file [^ ]*: Is a directory"' "$STACK/$LOG.1")" -eq 3 ]
send GET /models "$KEY_A"
wait_logged "$STACK/$LOG.1"
check "  which goes on taking the lines" grep -q "$(cut -d' ' -f1 "$STACK/sent")" "$STACK/$LOG.1"
rmdir "$STACK/$LOG"
mv "$STACK/$LOG.1" "$STACK/$LOG"

kill -TERM "$VENNA_PID"
wait "$VENNA_PID"

# ---- a lone worker, spawned as mod_fcgid or spawn-fcgi would -----------
"$SPAWN_FCGI" -n -s "$STACK/venna.sock" -- "$VENNA_FCGI" \
    -c "$STACK/venna.conf" -t 4 2>>"$STACK/venna.log" &
VENNA_PID=$!
stack_track "$VENNA_PID"
wait_listen "$STACK/venna.sock" || { echo "Bail out! socket"; exit 1; }
# Once it serves: before that, the process may still be spawn-fcgi's.
send GET /models "$KEY_A"
is "$HTTP_STATUS" 200 "a lone worker serves"
rotate 1 "a lone worker"
kill -TERM "$VENNA_PID"
wait "$VENNA_PID"
rm -f "$STACK/venna.sock"

# ---- text, the default: the access line as it always was ---------------
stack_conf
start_venna -w 1 -t 2 || { echo "Bail out! venna"; exit 1; }
send GET /models "$KEY_A"
rid=$(cut -d' ' -f1 "$STACK/sent" | tail -n 1)
wait_logged "$STACK/venna.log"
check "text: the access line as before" grep -qE \
    "^[0-9T:-]+Z venna-fcgi\[[0-9]+\] info $rid: GET /v1/models 200 [0-9]+ms ws=ws_[A-Za-z0-9]+ key=[A-Za-z0-9]+$" \
    "$STACK/venna.log"
check "  no JSON in it" eval '! grep -q "^{" "$STACK/venna.log"'
tap_done
