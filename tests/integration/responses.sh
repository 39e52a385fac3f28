#!/bin/bash
# responses.sh: what the SDK cannot show of /v1/responses, with curl
# through nginx:
#  - the stream's framing (event: lines, no [DONE]) and an upstream that
#    breaks mid-stream: response.failed, stored as failed;
#  - billing: one usage row per response, on /v1/responses; store:false
#    keeps nothing else;
#  - a background response whose worker is killed with SIGKILL is taken
#    over by the next venna-batch pass and completed;
#  - deleting a response that another continues keeps the continuation's
#    conversation whole, and removes what nothing needs any more;
#  - a conversation past max_context is refused before it is read.
. "${top_srcdir:-.}/tests/stack.sh"

require nginx "$NGINX_BIN"
require node "$NODE"
require mock_upstream "$MOCK_UPSTREAM"
require_sqlite3

stack_new
start_mock || { echo "Bail out! mock_upstream"; exit 1; }
STACK_SERVER="max_context = 64k"
stack_conf "[upstream mock]
base_url = $MOCK_URL/v1
[model m-mock]
upstream = mock
input_price = 1
output_price = 1
[model m-cut]
upstream = mock
upstream_model = gpt-mock?cut=2
[model m-slow]
upstream = mock
upstream_model = gpt-mock?latency=3000"
stack_init || { echo "Bail out! stack_init"; exit 1; }
start_venna -w 1 -t 4 || { echo "Bail out! venna-fcgi"; exit 1; }
start_nginx || { echo "Bail out! nginx"; exit 1; }
H="Authorization: Bearer $KEY_A"
J='Content-Type: application/json'
field() { sed -n "s/^{\"id\":\"\\(resp_[^\"]*\\)\".*/\\1/p" <<< "$1"; }
# conforms METHOD PATH: the last answer fits the OpenAPI document's
# schema for it, each event of a stream (tests/node/validate.mjs; the
# reasons go to the log).
conforms() {
	"$NODE" "$top_srcdir/tests/node/validate.mjs" "$1" "$2" \
	    "$HTTP_STATUS" < "$STACK/http.out"
}

# ---- framing ----
http POST "$BASE_URL/responses" -H "$H" -H "$J" \
    -d '{"model":"m-mock","input":"frame me","stream":true}'
is "$HTTP_STATUS" 200 "a streamed response is a 200"
check "  as text/event-stream" grep -qi '^content-type: text/event-stream' \
    <<< "$HTTP_HEADERS"
events=$(grep -c '^event: ' <<< "$HTTP_BODY")
datas=$(grep -c '^data: ' <<< "$HTTP_BODY")
check "  every data line has its event line ($events)" \
    [ "$events" -gt 5 ] && [ "$events" = "$datas" ]
check "  the event names the data's type" "$NODE" -e '
const evs = process.argv[1].split("\n\n").filter(Boolean);
for (const e of evs) {
	const [ev, data] = e.split("\n");
	if (JSON.parse(data.slice(6)).type !== ev.slice(7)) process.exit(1);
}' "$HTTP_BODY"
check "  no [DONE]" bash -c '! grep -q "\[DONE\]" <<< "$1"' _ "$HTTP_BODY"
last=$(grep '^event: ' <<< "$HTTP_BODY" | tail -1)
is "$last" "event: response.completed" "  it ends with response.completed"
check "  every event fits the OpenAPI document" conforms POST /v1/responses

# ---- an upstream that breaks mid-stream ----
http POST "$BASE_URL/responses" -H "$H" -H "$J" \
    -d '{"model":"m-cut","input":"cut me","stream":true}'
last=$(grep '^event: ' <<< "$HTTP_BODY" | tail -1)
is "$last" "event: response.failed" "a stream cut upstream ends in response.failed"
check "  after some text was sent" grep -q 'response.output_text.delta' \
    <<< "$HTTP_BODY"
check "  every event fits the OpenAPI document" conforms POST /v1/responses
rid=$(grep -o '"id":"resp_[^"]*"' <<< "$HTTP_BODY" | head -1 | cut -d'"' -f4)
is "$(sql "SELECT status FROM responses WHERE id = '$rid'")" failed \
    "  and it is stored as failed"
http GET "$BASE_URL/responses/$rid" -H "$H"
check "  its error says server_error" grep -q '"error":{"code":"server_error"' \
    <<< "$HTTP_BODY"
check "  fits the OpenAPI document" conforms GET "/v1/responses/$rid"

# ---- billing ----
http POST "$BASE_URL/responses" -H "$H" -H "$J" \
    -d '{"model":"m-mock","input":"bill me please","store":false}'
sid=$(field "$HTTP_BODY")
check "store:false answers a response ($sid)" [ -n "$sid" ]
check "  fits the OpenAPI document" conforms POST /v1/responses
is "$(sql "SELECT count(*) FROM responses WHERE id = '$sid'")" 0 \
    "  and keeps no response row"
"$VENNACTL" -c "$STACK/venna.conf" usage >/dev/null 2>&1
is "$(sql "SELECT count(*) FROM usage WHERE endpoint = '/v1/responses' AND model = 'm-mock' AND status = 200 AND prompt_tokens > 0 AND completion_tokens > 0 AND cost_pusd = (prompt_tokens + completion_tokens) * 1000000")" 2 \
    "each response that reached a model has its usage row, priced"

# ---- a background response whose worker dies ----
http POST "$BASE_URL/responses" -H "$H" -H "$J" \
    -d '{"model":"m-slow","input":"survive this","background":true}'
bid=$(field "$HTTP_BODY")
sleep 0.5
is "$(sql "SELECT status FROM responses WHERE id = '$bid'")" in_progress \
    "a background response is running"
worker=$(pgrep -P "$VENNA_PID" | head -1)
kill -9 "$worker"
sleep 0.5
is "$(sql "SELECT status FROM responses WHERE id = '$bid'")" in_progress \
    "  its worker is killed; it stays in_progress"
t0=$(date +%s)
"$VENNA_BATCH" -c "$STACK/venna.conf" 2>>"$STACK/batch.log"
t1=$(date +%s)
is "$(sql "SELECT status FROM responses WHERE id = '$bid'")" completed \
    "  the next venna-batch pass completes it"
check "  within a minute ($((t1 - t0)) s)" [ $((t1 - t0)) -lt 60 ]
http GET "$BASE_URL/responses/$bid" -H "$H"
check "  with its answer" grep -q 'mock reply to: survive this' \
    <<< "$HTTP_BODY"
check "  fits the OpenAPI document" conforms GET "/v1/responses/$bid"
is "$(sql "SELECT count(*) FROM responses WHERE lease_owner IS NOT NULL")" 0 \
    "  and no lease left"
# ---- deleting a response that another continues ----
turn() {	# turn INPUT [PREVIOUS]: the new response's id
	local prev=
	[ -n "${2:-}" ] && prev=",\"previous_response_id\":\"$2\""
	http POST "$BASE_URL/responses" -H "$H" -H "$J" \
	    -d "{\"model\":\"m-mock\",\"input\":\"$1\"$prev}"
	field "$HTTP_BODY"
}
r1=$(turn "first turn alpha")
r2=$(turn "second turn beta" "$r1")
r3=$(turn "third turn gamma" "$r2")
check "a chain of three responses ($r1 $r2 $r3)" [ -n "$r1" ] && [ -n "$r2" ] &&
    [ -n "$r3" ]
http DELETE "$BASE_URL/responses/$r2" -H "$H"
is "$HTTP_STATUS/$(grep -o '"deleted":true' <<< "$HTTP_BODY")" 200/'"deleted":true' \
    "the middle one is deleted"
http GET "$BASE_URL/responses/$r2" -H "$H"
is "$HTTP_STATUS" 404 "  it is gone to GET"
http POST "$BASE_URL/responses" -H "$H" -H "$J" \
    -d "{\"model\":\"m-mock\",\"input\":\"x\",\"previous_response_id\":\"$r2\"}"
check "  and as a previous_response_id ($HTTP_STATUS)" \
    grep -q '"code":"previous_response_not_found"' <<< "$HTTP_BODY"
curl -s -X POST "$MOCK_URL/_mock/reset" >/dev/null
r4=$(turn "fourth turn delta" "$r3")
check "the last one is continued ($r4)" [ -n "$r4" ]
is "$(curl -s "$MOCK_URL/_mock/requests" | "$NODE" -e '
let s = ""; process.stdin.on("data", (d) => s += d).on("end", () => {
const m = JSON.parse(s).pop().body.messages.filter((x) => x.role === "user");
console.log(m.map((x) => typeof x.content === "string" ? x.content :
    x.content.map((p) => p.text).join("")).join("|")); });')" \
    "first turn alpha|second turn beta|third turn gamma|fourth turn delta" \
    "  with the whole conversation: the deleted turn's part of it stays"
http DELETE "$BASE_URL/responses/$r3" -H "$H"
is "$(sql "SELECT count(*) FROM responses WHERE id IN ('$r2', '$r3')")" 2 \
    "  deleting the one a continuation still needs keeps its items"
http DELETE "$BASE_URL/responses/$r4" -H "$H"
is "$(sql "SELECT group_concat(id) FROM responses WHERE id IN ('$r1', '$r2', '$r3', '$r4')")" \
    "$r1" "  deleting the last removes it and the hidden ones before it"
is "$(sql "SELECT count(*) FROM response_items WHERE response_seq NOT IN (SELECT seq FROM responses)")" \
    0 "  with their items"

# ---- a conversation past max_context (64k here) ----
big=$(head -c 30000 /dev/zero | tr '\0' 'a')
c1=$(turn "$big")
c2=$(turn "$big" "$c1")
c3=$(turn "$big" "$c2")
check "a third long turn, 60 KB of conversation before it, fits ($c3)" [ -n "$c3" ]
t0=$(date +%s%N)
http POST "$BASE_URL/responses" -H "$H" -H "$J" \
    -d "{\"model\":\"m-mock\",\"input\":\"one more\",\"previous_response_id\":\"$c3\"}"
t1=$(date +%s%N)
is "$HTTP_STATUS/$(sed -n 's/.*"code":"\([a-z_]*\)".*/\1/p' <<< "$HTTP_BODY")" \
    400/context_length_exceeded "a third is over max_context: 400 context_length_exceeded"
check "  answered in $(( (t1 - t0) / 1000000 )) ms" [ $(( (t1 - t0) / 1000000 )) -lt 2000 ]
tap_done
