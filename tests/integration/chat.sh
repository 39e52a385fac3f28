#!/bin/bash
# chat.sh: POST /v1/chat/completions and /v1/embeddings with curl through
# a real nginx, against the built-in echo model and mock upstreams: the
# request checks, what reaches the upstream (body, model, key), failover
# (connect errors, 5xx, 429 + Retry-After, timeouts, garbled answers,
# refused gateway credentials), pass-through of the upstream's 4xx,
# streaming (keepalives, in-band errors, cuts, a client that leaves),
# the usage ledger and `vennactl usage`, and no secret in any log.
. "${top_srcdir:-.}/tests/stack.sh"

require_curl_stack

stack_new

# The upstream key: only Venna's configuration holds it.
UPKEY="sk-up-$RANDOM$RANDOM-secret"
BADKEY="sk-wrong-$RANDOM$RANDOM"
start_mock -k "$UPKEY" || { echo "Bail out! mock ok"; exit 1; }
OK_URL=$MOCK_URL OK_PORT=$MOCK_PORT
start_mock status=500 || { echo "Bail out! mock 500"; exit 1; }
E500_URL=$MOCK_URL E500_PORT=$MOCK_PORT
start_mock status=429 retry_after=4 || { echo "Bail out! mock 429"; exit 1; }
R429_URL=$MOCK_URL R429_PORT=$MOCK_PORT
start_mock status=429 retry_after=100 || { echo "Bail out! mock 429L"; exit 1; }
R429L_URL=$MOCK_URL
start_mock never=1 || { echo "Bail out! mock never"; exit 1; }
HANG_URL=$MOCK_URL HANG_PORT=$MOCK_PORT
start_mock garbage=1 || { echo "Bail out! mock garbage"; exit 1; }
GARB_URL=$MOCK_URL
DOWN_PORT=$(free_port)	# nothing listens there

# -w 1: Retry-After cooldowns are per process; one process makes the
# "not called again" counts deterministic.
STACK_SERVER="max_body = 64k
stream_keepalive = 1s
max_upstream_response = 256k"
stack_conf "[upstream ok]
base_url = $OK_URL/v1
api_key = $UPKEY
[upstream e500]
base_url = $E500_URL/v1
[upstream r429]
base_url = $R429_URL/v1
[upstream r429long]
base_url = $R429L_URL/v1
max_retry_after = 1s
[upstream hang]
base_url = $HANG_URL/v1
first_byte_timeout = 2s
[upstream garb]
base_url = $GARB_URL/v1
[upstream down]
base_url = http://127.0.0.1:$DOWN_PORT/v1
connect_timeout = 2s
[upstream badkey]
base_url = $OK_URL/v1
api_key = $BADKEY
[upstream idle]
base_url = $OK_URL/v1
api_key = $UPKEY
idle_timeout = 1s

[model venna-1]
upstream = echo
input_price = 2
output_price = 3
[model m-ok]
upstream = ok
upstream_model = gpt-mock
input_price = 0.15
output_price = 0.6
[model m-chain]
upstream = down, e500, ok
upstream_model = gpt-mock
input_price = 0.15
output_price = 0.6
[model m-all]
upstream = down, e500
[model m-pass]
upstream = ok, e500
[model m-429]
upstream = r429
[model m-429-ok]
upstream = r429, ok
[model m-429cap]
upstream = r429long
[model m-hang]
upstream = hang
[model m-hang-e500]
upstream = hang, e500
[model m-hang-ok]
upstream = hang, ok
[model m-garb]
upstream = garb, ok
[model m-badkey]
upstream = badkey, ok
[model m-badkey-only]
upstream = badkey
[model m-idle]
upstream = idle
[model m-weighted]
upstream = e500 | ok
[model m-down-echo]
upstream = down, echo"
stack_init || { echo "Bail out! stack_init"; exit 1; }
start_venna -w 1 -t 16 || { echo "Bail out! venna-fcgi"; exit 1; }
start_nginx || { echo "Bail out! nginx"; exit 1; }
AUTH_A="Authorization: Bearer $KEY_A"
WS_A=$("$SQLITE3_BIN" "$STACK/venna.db" "SELECT id FROM workspaces WHERE name = 'alpha'")
WS_B=$("$SQLITE3_BIN" "$STACK/venna.db" "SELECT id FROM workspaces WHERE name = 'beta'")
KID_A=${KEY_A:3:12}
KID_B=${KEY_B:3:12}
: > "$STACK/rids"	# x-request-ids of the calls that reached a model

# ---- helpers -------------------------------------------------------------

# post PATH BODY [curl args...]: POST a JSON body with KEY (default
# KEY_A); sets HTTP_STATUS, HTTP_TIME (s), HTTP_BODY, HTTP_HEADERS, RID.
post() {
	local path=$1 body=$2 w
	shift 2
	rm -f "$STACK/post.out" "$STACK/post.hdr"
	w=$(curl -s -N -o "$STACK/post.out" -D "$STACK/post.hdr" \
	    -w '%{http_code} %{time_total}' \
	    -H "Authorization: Bearer ${KEY:-$KEY_A}" \
	    -H 'Content-Type: application/json' --data-binary "$body" "$@" \
	    "$BASE_URL$path")
	HTTP_STATUS=${w% *}
	HTTP_TIME=${w#* }
	HTTP_BODY=$(cat "$STACK/post.out" 2>/dev/null)
	HTTP_HEADERS=$(tr -d '\r' < "$STACK/post.hdr" 2>/dev/null)
	RID=$(sed -n 's/^x-request-id: *//Ip' <<<"$HTTP_HEADERS" | head -n 1)
}
chat() { post /chat/completions "$@"; }
# conforms METHOD PATH [FILE]: the last answer (post's, or http's with
# FILE $STACK/http.out) fits the OpenAPI document's schema for it, each
# event of a stream (tests/node/validate.mjs; the reasons go to the log).
conforms() {
	"$NODE" "$top_srcdir/tests/node/validate.mjs" "$1" "$2" \
	    "$HTTP_STATUS" < "${3:-$STACK/post.out}"
}
# A call that reached a model: one usage row is due.
billed() { echo "$RID" >> "$STACK/rids"; }

# The SSE body in $STACK/post.out, summarised as s for sse EXPR:
# s.data (data events but [DONE]), s.done, s.afterDone, s.comments,
# s.commentsBeforeData, s.bad (unparsable), s.content[i], s.chunks[i]
# (non-empty content deltas), s.finish[i], s.args[i], s.usageKey (chunks
# with a "usage" key), s.usage (the non-null one), s.usageChoices,
# s.error, s.last (the last data payload), s.ids, s.objects.
cat > "$STACK/sse.cjs" <<'JS'
const raw = require('fs').readFileSync(process.argv[2], 'utf8');
const s = { data: 0, done: false, afterDone: 0, comments: 0,
    commentsBeforeData: 0, bad: 0, content: {}, chunks: {}, finish: {},
    args: {}, usageKey: 0, usage: null, usageChoices: null, error: null,
    last: null, ids: [], objects: [], roles: 0 };
for (const line of raw.split('\n')) {
	if (line.startsWith(':')) {
		s.comments++;
		if (s.data === 0 && !s.done) s.commentsBeforeData++;
		continue;
	}
	if (!line.startsWith('data: ')) continue;
	const p = line.slice(6);
	s.last = p;
	if (p === '[DONE]') { s.done = true; continue; }
	if (s.done) s.afterDone++;
	s.data++;
	let o;
	try { o = JSON.parse(p); } catch (e) { s.bad++; continue; }
	if (o.error) { s.error = o.error; continue; }
	if (!s.ids.includes(o.id)) s.ids.push(o.id);
	if (!s.objects.includes(o.object)) s.objects.push(o.object);
	if ('usage' in o) s.usageKey++;
	if (o.usage) { s.usage = o.usage; s.usageChoices = o.choices; }
	for (const c of o.choices || []) {
		const i = c.index, d = c.delta || {};
		if (d.role) s.roles++;
		if (typeof d.content === 'string' && d.content !== '') {
			s.content[i] = (s.content[i] || '') + d.content;
			s.chunks[i] = (s.chunks[i] || 0) + 1;
		}
		for (const t of d.tool_calls || [])
			if (t.function && t.function.arguments)
				s.args[i] = (s.args[i] || '') + t.function.arguments;
		if (c.finish_reason) s.finish[i] = c.finish_reason;
	}
}
let v;
try { v = eval(process.argv[3]); } catch (e) { v = '<' + e.message + '>'; }
console.log(typeof v === 'string' ? v : JSON.stringify(v));
JS
sse() { "$NODE" "$STACK/sse.cjs" "$STACK/post.out" "$1"; }

# db SQL: query the database once every journaled usage row is in
# (vennactl usage imports the workers' ledger journals first).
db() {
	"$VENNACTL" -c "$STACK/venna.conf" usage >/dev/null 2>&1
	"$SQLITE3_BIN" -separator '|' "$STACK/venna.db" "$1"
}
# row RID: the usage row of a request, selected columns.
row() {
	db "SELECT workspace_id, key_id, endpoint, model, upstream,
	    prompt_tokens, completion_tokens, cached_tokens, cost_pusd, status
	    FROM usage WHERE request_id = '$1'"
}

mock_reset() {
	local u
	for u in "$@"; do curl -s -X POST "$u/_mock/reset" >/dev/null; done
}
# mock_calls URL: model calls the mock received since its last reset.
mock_calls() {
	curl -s "$1/_mock/requests" | "$NODE" -e '
let s = ""; process.stdin.on("data", (d) => s += d).on("end", () =>
console.log(JSON.parse(s).filter((r) => r.path.startsWith("/v1/")).length));'
}
mock_stat() {
	curl -s "$1/_mock/stats" | sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p"
}
# mock_last URL EXPR: EXPR over r, the last request the mock received.
mock_last() {
	curl -s "$1/_mock/requests" > "$STACK/mockreq.json"
	"$NODE" -e 'const a = JSON.parse(require("fs").readFileSync(process.argv[1]));
const r = a[a.length - 1];
const hdr = (n) => r.headers.filter((h) => h.name.toLowerCase() === n.toLowerCase()).map((h) => h.value);
let v; try { v = eval(process.argv[2]); } catch (e) { v = "<" + e.message + ">"; }
console.log(typeof v === "string" ? v : JSON.stringify(v));' \
	    "$STACK/mockreq.json" "$2"
}
# Does $HTTP_BODY name no upstream (host, port, URL) and no key?
no_leak() {
	local p
	for p in 127.0.0.1 localhost http: "sk-" "$UPKEY" "$BADKEY" \
	    "$OK_PORT" "$E500_PORT" "$R429_PORT" "$HANG_PORT" "$DOWN_PORT" \
	    "Bearer" "(mock)"; do
		if grep -qF -- "$p" <<<"$HTTP_BODY"; then
			echo "#   the body contains '$p': $HTTP_BODY"
			return 1
		fi
	done
}
lt() { "$NODE" -e 'process.exit(+process.argv[1] < +process.argv[2] ? 0 : 1)' "$1" "$2"; }
ge() { "$NODE" -e 'process.exit(+process.argv[1] >= +process.argv[2] ? 0 : 1)' "$1" "$2"; }
MSG='"messages":[{"role":"user","content":"hello there world"}]'

# ---- the echo model, as the README shows it --------------------------------

# curl -d sends application/x-www-form-urlencoded: a JSON body still works.
http POST "$BASE_URL/chat/completions" -H "$AUTH_A" \
    -d '{"messages":[{"role":"user","content":"Hello from curl"}],"model":"venna-1"}'
is "$HTTP_STATUS" 200 "README example (curl -d, form content type): 200"
is "$(jv 'b.choices[0].message.content')" "Hello from curl" "  the echo of the last user message"
is "$(jv '[b.object, b.model, /^chatcmpl-[A-Za-z0-9]+$/.test(b.id), typeof b.created, b.choices.length, b.choices[0].index, b.choices[0].message.role, b.choices[0].finish_reason]')" \
    '["chat.completion","venna-1",true,"number",1,0,"assistant","stop"]' \
    "  object, model, chatcmpl- id, one choice, role, finish_reason stop"
is "$(jv '[b.usage.prompt_tokens, b.usage.completion_tokens, b.usage.total_tokens]')" \
    "[3,3,6]" "  usage counts words: 3 + 3 = 6"
check "  Content-Type application/json" grep -qi '^content-type: application/json' <<<"$HTTP_HEADERS"
check "  fits the OpenAPI document" conforms POST /v1/chat/completions \
    "$STACK/http.out"
RID=$(sed -n 's/^x-request-id: *//Ip' <<<"$HTTP_HEADERS")
check "  an x-request-id" grep -q '^req_' <<<"$RID"
billed
# prices 2 and 3 $/M: 3 x 2e6 + 3 x 3e6 picodollars
is "$(row "$RID")" "$WS_A|$KID_A|/v1/chat/completions|venna-1|echo|3|3|0|15000000|200" \
    "  its ledger row: workspace, key, endpoint, model, upstream echo, tokens, cost, 200"
lat=$(db "SELECT latency_ms FROM usage WHERE request_id = '$RID'")
check "  with a latency ($lat ms)" lt "$lat" 10000

chat '{"model":"venna-1","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"one two three"}],"stream":true}'
billed
is "$HTTP_STATUS" 200 "echo stream: 200"
check "  text/event-stream" grep -qi '^content-type: text/event-stream' <<<"$HTTP_HEADERS"
is "$(sse '[s.content[0], s.chunks[0], s.roles, s.finish[0], s.done, s.last, s.bad, s.afterDone]')" \
    '["one two three",3,1,"stop",true,"[DONE]",0,0]' \
    "  one chunk per word, a role chunk, finish stop, [DONE] last"
check "  every event fits the OpenAPI document" \
    conforms POST /v1/chat/completions
is "$(sse '[s.usageKey, s.usage, s.ids.length, /^chatcmpl-/.test(s.ids[0]), s.objects]')" \
    '[0,null,1,true,["chat.completion.chunk"]]' \
    "  no usage key at all when include_usage was not asked; one chatcmpl- id"
is "$(row "$RID" | cut -d'|' -f5-10)" "echo|5|3|0|19000000|200" \
    "  billed anyway: system + user words, reply words"

chat '{"model":"venna-1",'"$MSG"',"stream":true,"stream_options":{"include_usage":true}}'
billed
is "$(sse '[s.content[0], s.usageKey, s.data, JSON.stringify(s.usageChoices), s.done]')" \
    '["hello there world",6,6,"[]",true]' \
    "  include_usage: every chunk has a usage key, the usage chunk has no choices"
is "$(sse '[s.usage.prompt_tokens, s.usage.completion_tokens, s.usage.total_tokens]')" \
    "[3,3,6]" "  the usage chunk's numbers"
is "$(sse 'JSON.parse(require("fs").readFileSync(process.argv[2], "utf8").split("\n").filter((l) => l.startsWith("data: {")).pop().slice(6)).choices.length')" \
    "0" "  the usage chunk comes last, before [DONE]"
check "  every event fits the OpenAPI document" \
    conforms POST /v1/chat/completions

chat '{"model":"venna-1","messages":[{"role":"user","content":"a b c d e"}],"max_tokens":2,"n":3}'
billed
is "$(jv 'b.choices.map((c) => c.index + ":" + c.message.content + ":" + c.finish_reason).join(",")')" \
    "0:a b:length,1:a b:length,2:a b:length" "max_tokens 2, n 3: three truncated choices, finish length"
is "$(jv '[b.usage.prompt_tokens, b.usage.completion_tokens]')" "[5,6]" \
    "  completion tokens count every choice"
check "  fits the OpenAPI document" conforms POST /v1/chat/completions

chat '{"model":"venna-1","messages":[{"role":"user","content":"x"}],"n":128}'
billed
is "$HTTP_STATUS/$(jv 'b.choices.length')" "200/128" "n = 128 is allowed"

# ---- embeddings on the echo model -----------------------------------------

post /embeddings '{"model":"venna-1","input":["the cat sat","the cat sat","other"],"dimensions":5}'
billed
is "$HTTP_STATUS" 200 "embeddings: 200"
is "$(jv '[b.object, b.model, b.data.length, b.data.map((d) => d.object + d.index + ":" + d.embedding.length).join(","), b.usage.prompt_tokens, b.usage.total_tokens]')" \
    '["list","venna-1",3,"embedding0:5,embedding1:5,embedding2:5",7,7]' \
    "  3 vectors of 5 floats, usage in words"
check "  fits the OpenAPI document" conforms POST /v1/embeddings
is "$(jv 'JSON.stringify(b.data[0].embedding) === JSON.stringify(b.data[1].embedding) && JSON.stringify(b.data[0].embedding) !== JSON.stringify(b.data[2].embedding) && b.data[0].embedding.every((x) => x >= -1 && x <= 1)')" \
    true "  equal inputs embed equally, others not; values in [-1, 1]"
is "$(row "$RID" | cut -d'|' -f3-10)" "/v1/embeddings|venna-1|echo|7|0|0|14000000|200" \
    "  ledger: endpoint /v1/embeddings, input tokens only"
e1=$(jv 'JSON.stringify(b.data[0].embedding)')
post /embeddings '{"model":"venna-1","input":"the cat sat","dimensions":5}'
billed
is "$(jv 'JSON.stringify(b.data[0].embedding)')" "$e1" "  deterministic across requests"
post /embeddings '{"model":"venna-1","input":"one"}'
billed
is "$(jv 'b.data[0].embedding.length')" 8 "  8 dimensions by default"
post /embeddings '{"model":"venna-1"}'
is "$HTTP_STATUS/$(jv 'b.error.param')/$(jv 'b.error.code')" \
    "400/input/missing_required_parameter" "embeddings without input: 400 param input"
check "  fits the OpenAPI document" conforms POST /v1/embeddings
post /embeddings '{"model":"venna-1","input":[]}'
is "$HTTP_STATUS/$(jv 'b.error.param')" "400/input" "embeddings with an empty input array: 400"
post /embeddings '{"model":"nope","input":"x"}'
is "$HTTP_STATUS/$(jv 'b.error.code')/$(jv 'b.error.param')" "404/model_not_found/model" \
    "embeddings of an unknown model: 404"

# ---- request checks -------------------------------------------------------

mock_reset "$OK_URL"
bad() {	# bad NAME STATUS PARAM CODE BODY
	chat "$5"
	local got
	got="$HTTP_STATUS/$(jv 'b.error.param')/$(jv 'b.error.code')/$(jv 'b.error.type')"
	is "$got" "$2/$3/$4/invalid_request_error" "$1"
	check "  an OpenAI envelope" is_envelope
}
bad "malformed JSON: 400" 400 null null '{"model":"m-ok",'"$MSG"
check "  fits the OpenAPI document" conforms POST /v1/chat/completions
bad "a JSON array body: 400 invalid_type" 400 null invalid_type '[{"model":"m-ok"}]'
deep=$(printf '{"a":%.0s' $(seq 1 70))1$(printf '}%.0s' $(seq 1 70))
bad "JSON nested 70 deep (max_json_depth 64): 400" 400 null null \
    "{\"model\":\"m-ok\",$MSG,\"x\":$deep}"
bad "an empty body: 400" 400 null null ''
bad "a JSON string body: 400" 400 null invalid_type '"hello"'
bad "no model: 400" 400 model missing_required_parameter "{$MSG}"
bad "a model that is not a string: 400" 400 model invalid_type "{\"model\":7,$MSG}"
bad "no messages: 400" 400 messages missing_required_parameter '{"model":"m-ok"}'
bad "messages null: 400" 400 messages missing_required_parameter '{"model":"m-ok","messages":null}'
bad "messages []: 400" 400 messages empty_array '{"model":"m-ok","messages":[]}'
bad "messages a string: 400" 400 messages invalid_type '{"model":"m-ok","messages":"hi"}'
bad "a message that is not an object: 400" 400 'messages[0]' invalid_type \
    '{"model":"m-ok","messages":["hi"]}'
bad "an unknown role: 400" 400 'messages[1].role' invalid_value \
    '{"model":"m-ok","messages":[{"role":"user","content":"a"},{"role":"robot","content":"b"}]}'
bad "no role: 400" 400 'messages[0].role' missing_required_parameter \
    '{"model":"m-ok","messages":[{"content":"a"}]}'
bad "a user message without content: 400" 400 'messages[0].content' \
    missing_required_parameter '{"model":"m-ok","messages":[{"role":"user"}]}'
bad "a user message with content null: 400" 400 'messages[0].content' \
    missing_required_parameter '{"model":"m-ok","messages":[{"role":"user","content":null}]}'
bad "content a number: 400" 400 'messages[0].content' invalid_type \
    '{"model":"m-ok","messages":[{"role":"user","content":5}]}'
bad "a tool message without tool_call_id: 400" 400 'messages[0].tool_call_id' \
    missing_required_parameter '{"model":"m-ok","messages":[{"role":"tool","content":"r"}]}'
bad "an assistant message with null content and no tool_calls: 400" 400 \
    'messages[0].content' missing_required_parameter \
    '{"model":"m-ok","messages":[{"role":"assistant","content":null}]}'
bad "stream not a boolean: 400" 400 stream invalid_type "{\"model\":\"m-ok\",$MSG,\"stream\":\"yes\"}"
bad "stream_options without stream: 400" 400 stream_options invalid_value \
    "{\"model\":\"m-ok\",$MSG,\"stream_options\":{\"include_usage\":true}}"
bad "stream_options with stream false: 400" 400 stream_options invalid_value \
    "{\"model\":\"m-ok\",$MSG,\"stream\":false,\"stream_options\":{\"include_usage\":true}}"
bad "stream_options not an object: 400" 400 stream_options invalid_type \
    "{\"model\":\"m-ok\",$MSG,\"stream\":true,\"stream_options\":true}"
bad "stream_options.include_usage not a boolean: 400" 400 \
    stream_options.include_usage invalid_type \
    "{\"model\":\"m-ok\",$MSG,\"stream\":true,\"stream_options\":{\"include_usage\":\"yes\"}}"
bad "n = 0: 400" 400 n invalid_value "{\"model\":\"m-ok\",$MSG,\"n\":0}"
bad "n = 129: 400" 400 n invalid_value "{\"model\":\"m-ok\",$MSG,\"n\":129}"
bad "n not an integer: 400" 400 n invalid_type "{\"model\":\"m-ok\",$MSG,\"n\":\"2\"}"
is "$(mock_calls "$OK_URL")" 0 "no refused request reached the upstream"

chat "{\"model\":\"no-such-model\",$MSG}"
is "$HTTP_STATUS/$(jv 'b.error.code')/$(jv 'b.error.param')/$(jv 'b.error.type')" \
    "404/model_not_found/model/invalid_request_error" "an unknown model: 404 model_not_found"
check "  names the model" grep -q "no-such-model" <<<"$(jv 'b.error.message')"
check "  an OpenAI envelope" is_envelope model_not_found

# Strings are compared whole: an embedded NUL (\u0000) is no terminator;
# names that hold one are refused as invalid.
chat '{"model":"venna-1\u0000junk","messages":[{"role":"user","content":"x"}]}'
is "$HTTP_STATUS/$(jv 'b.error && b.error.code')/$(jv 'b.error && b.error.param')" \
    "400/invalid_value/model" \
    "a model name with an embedded NUL is refused: 400 invalid_value"
[ "$HTTP_STATUS" = 200 ] && billed
chat '{"model":"venna-1","messages":[{"role":"user\u0000x","content":"x"}]}'
is "$HTTP_STATUS/$(jv 'b.error && b.error.param')" "400/messages[0].role" \
    "a role with an embedded NUL is an unknown role: 400"
[ "$HTTP_STATUS" = 200 ] && billed

chat '{"model":"venna-1","messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c1","content":"sunny"}]}'
billed
is "$HTTP_STATUS/$(jv 'b.choices[0].message.content')" "200/Tool result: sunny" \
    "assistant content null with tool_calls is allowed; after a tool: Tool result"

# max_body = 64k: a body just under it passes, one over it is 413.
head -c 60000 /dev/zero | tr '\0' 'a' > "$STACK/a60k"
printf '{"model":"venna-1","messages":[{"role":"user","content":"%s"}]}' \
    "$(cat "$STACK/a60k")" > "$STACK/under.json"
chat "@$STACK/under.json"
billed
is "$HTTP_STATUS/$(jv 'b.choices[0].message.content.length')" "200/60000" \
    "a body under max_body (64k) is served"
head -c 70000 /dev/zero | tr '\0' 'a' > "$STACK/a70k"
printf '{"model":"venna-1","messages":[{"role":"user","content":"%s"}]}' \
    "$(cat "$STACK/a70k")" > "$STACK/over.json"
chat "@$STACK/over.json"
is "$HTTP_STATUS/$(jv 'b.error.code')/$(jv 'b.error.type')" \
    "413/request_too_large/invalid_request_error" "a body over max_body: 413 request_too_large"
check "  an OpenAI envelope" is_envelope request_too_large
chat "@$STACK/over.json" -H 'Transfer-Encoding: chunked'
is "$HTTP_STATUS/$(jv 'b.error.code')" "413/request_too_large" \
    "  also when sent chunked, with no Content-Length"

# ---- what the upstream receives ---------------------------------------------

mock_reset "$OK_URL"
FULL='{"model":"m-ok","messages":[{"role":"system","content":"be kind"},{"role":"user","content":"héllo \"wörld\" 😀 / \\\\ ok"}],"temperature":0.25,"top_p":1,"seed":42,"user":"u-1","metadata":{"k":"v"},"x_custom":{"nested":[1,2.5,{"deep":null}],"flag":false},"api_base":"http://evil.example/v1","base_url":"http://evil.example","api_key":"sk-client-'$RANDOM'","api_version":"2024-01-01","custom_llm_provider":"openai","extra_headers":{"X-Evil":"1"}}'
chat "$FULL"
billed
is "$HTTP_STATUS" 200 "m-ok (mock upstream): 200"
is "$(jv 'b.choices[0].message.content')" 'mock reply to: héllo "wörld" 😀 / \\ ok' \
    "  the mock's reply to the last user message"
is "$(jv '[b.object, b.choices[0].finish_reason, b.usage.prompt_tokens, b.usage.completion_tokens]')" \
    '["chat.completion","stop",8,9]' "  the upstream's answer and usage"
want=$("$NODE" -e 'const b = JSON.parse(process.argv[1]); b.model = "gpt-mock";
for (const k of ["api_base","base_url","api_key","api_version","custom_llm_provider","extra_headers"]) delete b[k];
console.log(JSON.stringify(b));' "$FULL")
is "$(mock_last "$OK_URL" 'JSON.stringify(r.body)')" "$want" \
    "  the body arrives unchanged but for model (upstream_model) and the routing fields"
is "$(mock_last "$OK_URL" 'hdr("authorization")')" "[\"Bearer $UPKEY\"]" \
    "  the upstream gets exactly one Authorization: the configured key"
is "$(mock_last "$OK_URL" 'r.headers.some((h) => h.value.includes(process.env.KEY_A) || /evil/i.test(h.name + h.value))')" \
    false "  no client key and no extra_headers reach the upstream"
# 8 prompt words (2 + 6), 9 reply words at 0.15 / 0.60 $/M
is "$(row "$RID" | cut -d'|' -f4-10)" "m-ok|ok|8|9|0|6600000|200" \
    "  ledger: client's model name, upstream ok, tokens, cost 8x150000 + 9x600000 pUSD"

# Numbers json-c would clamp or rewrite, and escapes it would re-encode:
# the upstream gets the client's bytes, but for the model.
EXACT='{"model":"m-ok","messages":[{"role":"user","content":"caf\u00e9 \/ x"}],"seed":18446744073709551616,"n2":-0,"f":1.0,"g":1E400,"h":-9223372036854775809,"nested":{"big":123456789012345678901234567890}}'
mock_reset "$OK_URL"
chat "$EXACT"
billed
is "$HTTP_STATUS" 200 "a body with integers beyond 64 bits, -0, 1.0, 1E400: 200"
is "$(mock_last "$OK_URL" 'r.body_text')" "${EXACT/\"m-ok\"/\"gpt-mock\"}" \
    "  the upstream gets those bytes exactly, but for the model"

mock_reset "$OK_URL"
chat '{"model":"m-ok","messages":[{"role":"user","content":"stream this now"}],"stream":true,"mock":{"chunks":4}}'
billed
is "$HTTP_STATUS" 200 "m-ok stream: 200"
is "$(sse '[s.content[0], s.chunks[0], s.finish[0], s.done, s.last, s.bad]')" \
    '["mock reply to: stream this now",4,"stop",true,"[DONE]",0]' \
    "  the mock's 4 chunks relayed, reassembled exactly"
is "$(sse '[s.usageKey, s.usage]')" '[0,null]' \
    "  no usage chunk and no usage:null for a client that did not ask"
is "$(mock_last "$OK_URL" 'JSON.stringify([r.body.model, r.body.stream, r.body.stream_options, hdr("accept")])')" \
    '["gpt-mock",true,{"include_usage":true},["text/event-stream"]]' \
    "  the upstream is asked for the usage chunk anyway"
is "$(row "$RID" | cut -d'|' -f5-10)" "ok|3|6|0|4050000|200" \
    "  and the stream is billed from it (3 x 150000 + 6 x 600000)"

chat '{"model":"m-ok","messages":[{"role":"user","content":"stream this now"}],"stream":true,"stream_options":{"include_usage":false},"mock":{"chunks":3}}'
billed
is "$(sse '[s.content[0], s.usageKey, s.done]')" '["mock reply to: stream this now",0,true]' \
    "  include_usage false: no usage to the client"
is "$(mock_last "$OK_URL" 'JSON.stringify(r.body.stream_options)')" '{"include_usage":true}' \
    "  but the upstream is asked for it"

chat '{"model":"m-ok","messages":[{"role":"user","content":"stream this now"}],"stream":true,"stream_options":{"include_usage":true},"mock":{"chunks":3,"split":1}}'
billed
is "$(sse '[s.content[0], s.chunks[0], s.usageKey, s.usage && s.usage.prompt_tokens, s.usage && s.usage.completion_tokens, JSON.stringify(s.usageChoices), s.done, s.bad]')" \
    '["mock reply to: stream this now",3,6,3,6,"[]",true,0]' \
    "  include_usage true, events split in pieces: exact content, usage chunk last"

post /embeddings '{"model":"m-ok","input":["a b c","d"]}'
billed
is "$HTTP_STATUS/$(jv 'b.data.length')/$(jv 'b.data[0].embedding.length')/$(jv 'b.usage.prompt_tokens')" \
    "200/2/8/4" "embeddings relayed from the mock"
is "$(mock_last "$OK_URL" 'JSON.stringify([r.path, r.body.model, r.body.input])')" \
    '["/v1/embeddings","gpt-mock",["a b c","d"]]' "  model rewritten, input unchanged"
is "$(row "$RID" | cut -d'|' -f3-10)" "/v1/embeddings|m-ok|ok|4|0|0|600000|200" \
    "  billed as input tokens"

# ---- failover -----------------------------------------------------------

mock_reset "$OK_URL" "$E500_URL"
chat "{\"model\":\"m-chain\",$MSG}"
billed
is "$HTTP_STATUS/$(jv 'b.choices[0].message.content')" "200/mock reply to: hello there world" \
    "down, then 500, then ok: the ok upstream answers"
is "$(mock_calls "$E500_URL")/$(mock_calls "$OK_URL")" "1/1" "  each mock called once"
is "$(mock_last "$E500_URL" 'JSON.stringify(hdr("authorization"))')" "[]" \
    "  an upstream without api_key gets no Authorization at all"
is "$(row "$RID" | cut -d'|' -f4-10)" "m-chain|ok|3|6|0|4050000|200" \
    "  the ledger row names the upstream that answered"

chat "{\"model\":\"m-chain\",$MSG,\"stream\":true}"
billed
is "$HTTP_STATUS/$(sse '[s.content[0], s.done, s.error]')" \
    '200/["mock reply to: hello there world",true,null]' "  the same for a stream"

mock_reset "$E500_URL"
chat "{\"model\":\"m-all\",$MSG}"
billed
is "$HTTP_STATUS/$(jv 'b.error.type')/$(jv 'b.error.code')/$(jv 'b.error.param')" \
    "502/server_error/upstream_error/null" "every upstream down or 500: 502 server_error"
check "  an OpenAI envelope" is_envelope upstream_error
check "  naming no upstream host, port, URL or key" no_leak
is "$(row "$RID" | cut -d'|' -f4,6-10)" "m-all|0|0|0|0|502" "  ledger row status 502"
chat "{\"model\":\"m-all\",$MSG,\"stream\":true}"
billed
is "$HTTP_STATUS/$(jv 'b.error.code')" "502/upstream_error" \
    "  a stream that never started fails with a plain 502"
check "  as JSON, not as an event stream" grep -qi '^content-type: application/json' <<<"$HTTP_HEADERS"

chat "{\"model\":\"m-down-echo\",$MSG}"
billed
is "$HTTP_STATUS/$(jv 'b.choices[0].message.content')/$(row "$RID" | cut -d'|' -f5)" \
    "200/hello there world/echo" "down, then echo: the echo model answers"

mock_reset "$OK_URL" "$E500_URL"
codes=$(for i in $(seq 1 20); do
	curl -s -o /dev/null -w '%{http_code}\n' "$BASE_URL/chat/completions" \
	    -H "$AUTH_A" -d "{\"model\":\"m-weighted\",$MSG}"
done | sort | uniq -c | awk '{ printf "%s:%s ", $2, $1 }')
is "$codes" "200:20 " "equals (e500 | ok): every request served"
n500=$(mock_calls "$E500_URL")
nok=$(mock_calls "$OK_URL")
is "$nok" 20 "  ok answered each of them"
check "  e500 was picked first some of the time ($n500 of 20)" \
    [ "$n500" -ge 1 -a "$n500" -le 19 ]
is "$(db "SELECT count(*), sum(upstream = 'ok'), sum(status = 200) FROM usage WHERE model = 'm-weighted'")" \
    "20|20|20" "  20 ledger rows, each naming ok"
db "SELECT request_id FROM usage WHERE model = 'm-weighted'" >> "$STACK/rids"

# Retry-After: the 429 upstream rests for 4 s in this process (long
# enough that the requests made within it, on a loaded machine, are).
mock_reset "$R429_URL" "$OK_URL"
chat "{\"model\":\"m-429\",$MSG}"
billed
is "$HTTP_STATUS/$(jv 'b.error.type')/$(jv 'b.error.code')" "503/server_error/service_unavailable" \
    "all throttled (429): 503 service_unavailable"
is "$(sed -n 's/^retry-after: *//Ip' <<<"$HTTP_HEADERS")" 4 "  with Retry-After: 4 (the upstream's)"
check "  an envelope naming no upstream" no_leak
is "$(mock_calls "$R429_URL")" 1 "  the 429 upstream was called once"
chat "{\"model\":\"m-429-ok\",$MSG}"
billed
is "$HTTP_STATUS/$(row "$RID" | cut -d'|' -f5)" "200/ok" \
    "  during the cooldown a model with a fallback goes straight to it"
chat "{\"model\":\"m-429\",$MSG}"
billed
ra=$(sed -n 's/^retry-after: *//Ip' <<<"$HTTP_HEADERS")
is "$HTTP_STATUS" 503 "  and a model with no other upstream: 503 at once"
check "  Retry-After the rest of the wait (1 to 4, got '$ra')" grep -qx '[1-4]' <<<"$ra"
is "$(mock_calls "$R429_URL")" 1 "  the 429 upstream was not called again during the cooldown"
sleep 4.3
chat "{\"model\":\"m-429\",$MSG}"
billed
is "$HTTP_STATUS/$(mock_calls "$R429_URL")" "503/2" "  after the cooldown it is called again"

# A Retry-After longer than max_retry_after (1s) is capped.
mock_reset "$R429L_URL"
chat "{\"model\":\"m-429cap\",$MSG}"
billed
is "$HTTP_STATUS/$(sed -n 's/^retry-after: *//Ip' <<<"$HTTP_HEADERS")" "503/1" \
    "Retry-After: 100 from the upstream, capped by max_retry_after = 1s"
chat "{\"model\":\"m-429cap\",$MSG}"
billed
is "$(mock_calls "$R429L_URL")" 1 "  not called again within the second"
sleep 1.3
chat "{\"model\":\"m-429cap\",$MSG}"
billed
is "$(mock_calls "$R429L_URL")" 2 "  called again after it"

# Timeouts: hang never answers; its first_byte_timeout is 2s.
mock_reset "$E500_URL"
chat "{\"model\":\"m-hang-e500\",$MSG}"
billed
is "$HTTP_STATUS/$(jv 'b.error.type')/$(jv 'b.error.code')" "504/server_error/upstream_timeout" \
    "a timeout, then a 500: 504 upstream_timeout (any timeout wins)"
check "  after the first-byte timeout, not before (${HTTP_TIME}s >= 1.5)" ge "$HTTP_TIME" 1.5
check "  and well within bounds (${HTTP_TIME}s < 15)" lt "$HTTP_TIME" 15
check "  naming no upstream" no_leak
is "$(mock_calls "$E500_URL")" 1 "  the next upstream was tried after the timeout"
is "$(row "$RID" | cut -d'|' -f10)" 504 "  ledger row status 504"

chat "{\"model\":\"m-hang\",$MSG,\"stream\":true}"
billed
is "$HTTP_STATUS" 200 "a stream that times out after keepalives: 200 (headers were out)"
is "$(sse '[s.commentsBeforeData >= 1, s.data, s.error && s.error.code, s.error && s.error.type, s.done]')" \
    '[true,1,"upstream_timeout","server_error",false]' \
    "  keepalive comments, then one in-band error event, no [DONE]"
check "  every event fits the OpenAPI document" \
    conforms POST /v1/chat/completions
check "  within bounds (${HTTP_TIME}s < 15)" lt "$HTTP_TIME" 15
is "$(row "$RID" | cut -d'|' -f10)" 504 "  ledger row status 504"

mock_reset "$OK_URL"
chat "{\"model\":\"m-hang-ok\",$MSG,\"stream\":true}"
billed
is "$(sse '[s.commentsBeforeData >= 1, s.content[0], s.done, s.error]')" \
    '[true,"mock reply to: hello there world",true,null]' \
    "keepalives sent, then a timeout: the next upstream still serves the stream"
is "$(row "$RID" | cut -d'|' -f5,10)" "ok|200" "  billed to the ok upstream"

# Keepalive comments while the first token is awaited (stream_keepalive 1s).
chat "{\"model\":\"m-ok\",$MSG,\"stream\":true,\"mock\":{\"first_byte\":3500,\"chunks\":2}}"
billed
is "$(sse '[s.commentsBeforeData >= 2, s.content[0], s.done, s.bad]')" \
    '[true,"mock reply to: hello there world",true,0]' \
    "a 3.5 s wait for the first event: keepalive comments, then the answer"
check "  comments are ': keepalive'" grep -qx ': keepalive' "$STACK/post.out"

# Idle timeout after output began: in-band, no [DONE].
chat "{\"model\":\"m-idle\",$MSG,\"stream\":true,\"mock\":{\"chunks\":3,\"interval\":6000}}"
billed
is "$(sse '[s.roles, s.chunks[0] || 0, s.error && s.error.code, s.done]')" \
    '[1,0,"upstream_timeout",false]' \
    "silence mid-stream past idle_timeout: in-band upstream_timeout, no [DONE]"
check "  before the next chunk was due (${HTTP_TIME}s < 5.9)" lt "$HTTP_TIME" 5.9

# Garbled answers.
mock_reset "$GARB_URL" "$OK_URL"
chat "{\"model\":\"m-garb\",$MSG}"
billed
is "$HTTP_STATUS/$(jv 'b.choices[0].message.content')/$(row "$RID" | cut -d'|' -f5-7,10)" \
    "200/mock reply to: hello there world/ok|3|6|200" "a non-JSON answer: the next upstream serves and bills"
chat "{\"model\":\"m-garb\",$MSG,\"stream\":true}"
billed
is "$HTTP_STATUS/$(sse '[s.roles, s.error && s.error.type, s.error && s.error.code, s.done, s.bad]')" \
    '200/[1,"server_error","upstream_error",false,0]' \
    "a bad event after the role chunk: in-band error, no [DONE], no garbage relayed"
check "  every event fits the OpenAPI document" \
    conforms POST /v1/chat/completions
check "  the error event names no upstream" bash -c '! grep -qE "127\.0\.0\.1|sk-|http:" "$1"' _ "$STACK/post.out"

mock_reset "$OK_URL"
chat "{\"model\":\"m-ok\",$MSG,\"mock\":{\"bytes\":300000}}"
billed
is "$HTTP_STATUS/$(jv 'b.error.code')" "502/upstream_error" \
    "an answer over max_upstream_response (256k): 502"
check "  fits the OpenAPI document" conforms POST /v1/chat/completions

# Stream events of ~120 KB each, written in pieces: each spans several
# FastCGI records (at most 65,535 bytes) and must arrive whole.
chat '{"model":"m-ok","messages":[{"role":"user","content":"big"}],"stream":true,"mock":{"chunks":2,"bytes":240000,"split":1}}'
billed
is "$HTTP_STATUS/$(sse '[s.chunks[0], s.content[0].length, s.content[0].slice(0, 18), /^ x+$/.test(s.content[0].slice(18)), s.done, s.bad]')" \
    '200/[2,240000,"mock reply to: big",true,true,0]' \
    "events of 120 KB: relayed whole across FastCGI records"

# A stream cut mid-event after two content chunks.
chat '{"model":"m-ok","messages":[{"role":"user","content":"cut me off"}],"stream":true,"mock":{"chunks":4,"cut":2}}'
billed
is "$HTTP_STATUS/$(sse '[s.chunks[0], s.error && s.error.type, s.error && s.error.code, s.done, s.bad]')" \
    '200/[2,"server_error","upstream_error",false,0]' \
    "a stream cut mid-event: 2 chunks, an in-band error event, no [DONE]"
is "$(sse '"mock reply to: cut me off".startsWith(s.content[0]) && s.content[0].length < 25')" true \
    "  what came is a strict prefix of the reply"
is "$(sse 'JSON.parse(s.last).error !== undefined')" true "  the error event is the last event"
check "  every event fits the OpenAPI document" \
    conforms POST /v1/chat/completions
is "$(row "$RID" | cut -d'|' -f5,10)" "ok|502" "  ledger row status 502"

# Refused gateway credentials: never shown to the client.
mock_reset "$OK_URL"
chat "{\"model\":\"m-badkey\",$MSG}"
billed
is "$HTTP_STATUS/$(jv 'b.choices[0].message.content')/$(row "$RID" | cut -d'|' -f5)" \
    "200/mock reply to: hello there world/ok" "upstream 401 (wrong api_key): the next upstream serves"
is "$(mock_calls "$OK_URL")" 2 "  both were called"
chat "{\"model\":\"m-badkey-only\",$MSG}"
billed
is "$HTTP_STATUS/$(jv 'b.error.type')/$(jv 'b.error.code')" "502/server_error/upstream_error" \
    "  when no other upstream: 502, not the upstream's 401"
check "  the upstream's message is not shown" no_leak
check "  and not its code" bash -c '! grep -q invalid_api_key <<<"$1"' _ "$HTTP_BODY"
check "  the operator is told in the log" grep -q "upstream badkey refused the gateway's credentials" "$STACK/venna.log"

# The upstream's other 4xx pass through; no failover.
mock_reset "$OK_URL" "$E500_URL"
chat "{\"model\":\"m-pass\",$MSG,\"mock\":{\"status\":400}}"
billed
is "$HTTP_STATUS/$(jv 'b.error.message')/$(jv 'b.error.type')" \
    "400/The request is invalid (mock)./invalid_request_error" \
    "upstream 400: passed through with its status and message"
check "  in the four-key envelope" is_envelope
is "$(mock_calls "$E500_URL")" 0 "  the next upstream is not tried"
is "$(row "$RID" | cut -d'|' -f5,10)" "ok|400" "  ledger row status 400"
chat "{\"model\":\"m-pass\",$MSG,\"mock\":{\"status\":404}}"
billed
is "$HTTP_STATUS/$(jv 'b.error.code')/$(jv 'b.error.message')" \
    "404/model_not_found/The model does not exist or you do not have access to it (mock)." \
    "upstream 404: passed through with its code"
chat "{\"model\":\"m-pass\",$MSG,\"stream\":true,\"mock\":{\"status\":422}}"
billed
is "$HTTP_STATUS/$(jv 'b.error.message')" "422/Unprocessable entity (mock)." \
    "upstream 422 to a stream: passed through as JSON"
chat "{\"model\":\"m-pass\",$MSG,\"stream\":true,\"mock\":{\"status\":400,\"latency\":1800}}"
billed
is "$HTTP_STATUS/$(sse '[s.commentsBeforeData >= 1, s.error && s.error.message, s.error && s.error.type, s.done]')" \
    '200/[true,"The request is invalid (mock).","invalid_request_error",false]' \
    "upstream 400 after keepalives went out: in-band, with the upstream's message"
mock_reset "$OK_URL" "$E500_URL"
chat "{\"model\":\"m-pass\",$MSG,\"mock\":{\"status\":408}}"
billed
is "$HTTP_STATUS/$(mock_calls "$OK_URL")/$(mock_calls "$E500_URL")" "502/1/1" \
    "upstream 408 is not passed through: the next upstream is tried"

mock_reset "$OK_URL" "$E500_URL"
chat "{\"model\":\"m-pass\",$MSG,\"mock\":{\"status\":403}}"
billed
is "$HTTP_STATUS/$(jv 'b.error.code')/$(mock_calls "$OK_URL")/$(mock_calls "$E500_URL")" \
    "502/upstream_error/1/1" "upstream 403: not shown, the next upstream is tried"
check "  the upstream's message is not shown" no_leak

# ---- a client that leaves ---------------------------------------------------

mock_reset "$OK_URL"
t0=$(date +%s%N)
chat "{\"model\":\"m-ok\",$MSG,\"stream\":true,\"mock\":{\"chunks\":80,\"interval\":100}}" --max-time 1.5
billed
got=$(sse 's.chunks[0] || 0')
check "a client leaving mid-stream got part of it ($got chunks)" [ "$got" -ge 3 -a "$got" -lt 80 ]
for i in $(seq 1 80); do
	[ "$(mock_stat "$OK_URL" aborted)" = 1 ] && break
	sleep 0.1
done
t1=$(date +%s%N)
is "$(mock_stat "$OK_URL" aborted)/$(mock_stat "$OK_URL" active)" "1/0" \
    "  the upstream transfer is aborted"
check "  shortly after, not at the stream's end ($(( (t1 - t0) / 1000000 )) ms < 6500)" \
    [ $(( (t1 - t0) / 1000000 )) -lt 6500 ]
for i in $(seq 1 30); do
	[ -n "$(row "$RID")" ] && break
	sleep 0.1
done
is "$(row "$RID" | cut -d'|' -f4,5,10)" "m-ok|ok|499" "  its ledger row has status 499"

mock_reset "$OK_URL"
chat "{\"model\":\"m-ok\",$MSG,\"stream\":true,\"mock\":{\"first_byte\":8000}}" --max-time 1.5
billed
check "a client leaving while the stream waits got a keepalive" grep -qx ': keepalive' "$STACK/post.out"
for i in $(seq 1 40); do
	[ "$(mock_stat "$OK_URL" aborted)" = 1 ] && break
	sleep 0.1
done
is "$(mock_stat "$OK_URL" aborted)" 1 "  the upstream transfer is aborted"
for i in $(seq 1 30); do
	[ -n "$(row "$RID")" ] && break
	sleep 0.1
done
is "$(row "$RID" | cut -d'|' -f4,5,10)" "m-ok|ok|499" "  its ledger row has status 499"

mock_reset "$OK_URL"
chat "{\"model\":\"m-ok\",$MSG,\"mock\":{\"latency\":6000}}" --max-time 1
for i in $(seq 1 40); do
	[ "$(mock_stat "$OK_URL" aborted)" = 1 ] && break
	sleep 0.1
done
is "$(mock_stat "$OK_URL" aborted)" 1 "a client leaving a non-streamed call: the upstream call is aborted"
for i in $(seq 1 30); do
	last=$(db "SELECT model, status FROM usage ORDER BY id DESC LIMIT 1")
	[ "$last" = "m-ok|499" ] && break
	sleep 0.1
done
is "$last" "m-ok|499" "  its ledger row has status 499"
db "SELECT request_id FROM usage ORDER BY id DESC LIMIT 1" >> "$STACK/rids"

# ---- the ledger and vennactl usage --------------------------------------------

# Beta: a known set of calls.
KEY=$KEY_B
chat '{"model":"venna-1","messages":[{"role":"user","content":"one two three"}]}'
billed
chat '{"model":"venna-1","messages":[{"role":"user","content":"one two three"}],"stream":true}'
billed
post /embeddings '{"model":"venna-1","input":"alpha beta"}'
billed
chat '{"model":"m-ok","messages":[{"role":"user","content":"x y"}]}'
billed
chat "{\"model\":\"m-all\",$MSG}"
billed
KEY=
is "$(db "SELECT count(*), count(DISTINCT key_id), min(key_id) FROM usage WHERE workspace_id = '$WS_B'")" \
    "5|1|$KID_B" "beta: 5 rows, all with beta's key"
missing=$(sort "$STACK/rids" | uniq -c | awk '$1 > 1' | wc -l)
is "$missing" 0 "every request id is distinct"
ids=$(sed "s/.*/'&'/" "$STACK/rids" | paste -sd, -)
is "$(db "SELECT count(*), count(DISTINCT request_id) FROM usage WHERE request_id IN ($ids)")" \
    "$(wc -l < "$STACK/rids" | tr -d ' ')|$(wc -l < "$STACK/rids" | tr -d ' ')" \
    "one ledger row for each of the $(wc -l < "$STACK/rids" | tr -d ' ') model calls"
is "$(db "SELECT count(*) FROM usage WHERE request_id NOT IN ($ids)")" 0 \
    "  and no row for requests that never reached a model"

usage() { "$VENNACTL" -c "$STACK/venna.conf" usage "$@" 2>&1; }
is "$(usage --workspace beta --by model --format csv)" \
"workspace,model,requests,prompt_tokens,completion_tokens,cached_tokens,cost_usd,errors
beta,m-all,1,0,0,0,0.000000,1
beta,m-ok,1,2,5,0,0.000003,0
beta,venna-1,3,8,6,0,0.000034,0" "vennactl usage --by model --format csv (beta)"
is "$(usage --workspace beta --by model --format json | "$NODE" -e '
let s = ""; process.stdin.on("data", (d) => s += d).on("end", () =>
console.log(JSON.stringify(JSON.parse(s))));')" \
    '[{"workspace":"beta","model":"m-all","requests":1,"prompt_tokens":0,"completion_tokens":0,"cached_tokens":0,"cost_usd":0,"errors":1},{"workspace":"beta","model":"m-ok","requests":1,"prompt_tokens":2,"completion_tokens":5,"cached_tokens":0,"cost_usd":0.000003,"errors":0},{"workspace":"beta","model":"venna-1","requests":3,"prompt_tokens":8,"completion_tokens":6,"cached_tokens":0,"cost_usd":0.000034,"errors":0}]' \
    "vennactl usage --by model --format json (beta), valid JSON"
tbl=$(usage --workspace beta --by model --format table)
is "$(awk 'NR > 1 { print $1, $2, $3, $4, $5, $6, $7, $8 }' <<<"$tbl")" \
"beta m-all 1 0 0 0 0.000000 1
beta m-ok 1 2 5 0 0.000003 0
beta venna-1 3 8 6 0 0.000034 0" "vennactl usage --by model (table, beta)"
check "  with a header" grep -q '^WORKSPACE  *model  *REQUESTS  *PROMPT_TOK  *COMPL_TOK  *CACHED  *COST_USD  *ERRORS' <<<"$tbl"
is "$(usage --workspace beta --by key --format csv | tail -n +2)" \
    "beta,$KID_B,5,10,11,0,0.000037,1" "  --by key: beta's one key"
# Alpha's report holds alpha's rows only, and all of them.
a_json=$(usage --workspace alpha --by model --format json)
is "$("$NODE" -e 'const a = JSON.parse(process.argv[1]);
console.log(JSON.stringify([a.every((r) => r.workspace === "alpha"),
    a.reduce((n, r) => n + r.requests, 0)]));' "$a_json")" \
    "[true,$(db "SELECT count(*) FROM usage WHERE workspace_id = '$WS_A'")]" \
    "a workspace's usage does not appear under another workspace"
all=$(usage --format csv)
is "$(tail -n +2 <<<"$all" | cut -d, -f1,2 | tr '\n' ' ')" \
    "alpha,$(db "SELECT count(*) FROM usage WHERE workspace_id = '$WS_A'") beta,5 " \
    "  vennactl usage (all workspaces): one line each, the right counts"
is "$(db "SELECT count(*) FROM usage WHERE workspace_id = '$WS_B' AND request_id IN (SELECT request_id FROM usage WHERE workspace_id = '$WS_A')")" \
    0 "  no request is billed to both"

# ---- secrets stay out of the logs -------------------------------------------

leaks=
for s in "$KEY_A" "$KEY_B" "${KEY_A:16:20}" "${KEY_B:16:20}" "$UPKEY" \
    "$BADKEY" "Bearer" "sk-client-"; do
	if grep -qF -- "$s" "$STACK"/*.log "$STACK"/nginx/*.log; then
		leaks="$leaks ${s:0:12}..."
	fi
done
is "$leaks" "" "no workspace key, upstream key or Authorization value in any log"

tap_done
