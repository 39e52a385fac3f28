#!/bin/bash
# limits.sh: limits enforced by every process of a pool, through a real
# nginx: a requests-per-minute limit admits exactly N across three
# worker processes; the x-ratelimit-* headers on every admitted answer;
# a key's own limit (vennactl limits key); model permissions set with
# the Admin API hide a model from /v1/models and answer 404 for it; a
# spend alert crossed on the request path is audited and queued once; a
# token limit refuses a request that can never fit, without a
# Retry-After; a workspace's share of the pool (max_concurrent) answers
# 429 at once while another workspace is served; a slow upload is cut
# off with 408; batches are paced to batch_1_day_max_input_tokens
# (lines wait, they do not fail) and a batch that can never fit in a
# day fails at validation with token_limit_exceeded.
. "${top_srcdir:-.}/tests/stack.sh"

require_curl_stack

stack_new
start_mock || { echo "Bail out! mock"; exit 1; }
STACK_SERVER="max_concurrent = 0
upload_timeout = 3s
admin_api = on"
stack_conf "[upstream mock]
base_url = $MOCK_URL/v1
[model m-rpm]
upstream = echo
max_requests_per_1_minute = 20
[model m-tpm]
upstream = echo
max_tokens_per_1_minute = 1000
[model m-slow]
upstream = mock
upstream_model = gpt-mock?latency=3000
[model m-batch]
upstream = echo
batch_1_day_max_input_tokens = 400
[model m-priced]
upstream = echo
input_price = 1000
output_price = 1000
[model venna-1]
upstream = echo"
stack_init || { echo "Bail out! stack_init"; exit 1; }
start_venna -w 3 -t 16 || { echo "Bail out! venna-fcgi"; exit 1; }
start_nginx || { echo "Bail out! nginx"; exit 1; }
ctl() { "$VENNACTL" -c "$STACK/venna.conf" "$@"; }

# burst N MODEL: N chat requests at once with KEY_A; their statuses,
# one per line, in $STACK/burst.status, headers in $STACK/burst.N.hdr.
burst() {
	local n=$1 model=$2
	rm -f "$STACK"/burst.*
	seq 1 "$n" | xargs -P "$n" -I{} curl -s -o "$STACK/burst.{}.body" \
	    -D "$STACK/burst.{}.hdr" -w '%{http_code}\n' \
	    -H "Authorization: Bearer $KEY_A" \
	    -H 'Content-Type: application/json' \
	    -d "{\"model\":\"$model\",\"max_tokens\":8,\"messages\":[{\"role\":\"user\",\"content\":\"hi {}\"}]}" \
	    "$BASE_URL/chat/completions" > "$STACK/burst.status"
}
count() { grep -c "^$1\$" "$STACK/burst.status"; }

# ---- 1: a requests-per-minute limit across three processes ----
burst 60 m-rpm
is "$(count 200)" 20 "m-rpm (20 a minute): exactly 20 of 60 concurrent requests admitted across 3 workers"
is "$(count 429)" 40 "  the other 40 get 429"
f=$(grep -l '^HTTP/1.1 429' "$STACK"/burst.*.hdr | head -n 1)
b=${f%.hdr}.body
HTTP_BODY=$(cat "$b")
is "$(jv 'b.error.code')" rate_limit_exceeded "  a 429's code is rate_limit_exceeded"
is "$(jv 'b.error.type')" requests "  its type is requests"
check "  its message names the limit and when to retry" \
    eval 'jv b.error.message | grep -qE "requests per min \(RPM\): Limit 20, Used 20, Requested 1\. Please try again in [0-9]+s\."'
check "  it carries Retry-After" grep -qi '^retry-after: [1-9][0-9]*' "$f"
f=$(grep -l '^HTTP/1.1 200' "$STACK"/burst.*.hdr | head -n 1)
check "  an admitted answer carries x-ratelimit-limit-requests: 20" \
    grep -qi '^x-ratelimit-limit-requests: 20' "$f"
check "  and x-ratelimit-remaining-requests" \
    grep -qiE '^x-ratelimit-remaining-requests: [0-9]+' "$f"
check "  and x-ratelimit-reset-requests as a duration" \
    grep -qiE '^x-ratelimit-reset-requests: [0-9.]+(ms|s)|^x-ratelimit-reset-requests: [0-9]+m[0-9]+s' "$f"
rem=$(grep -l '^HTTP/1.1 200' "$STACK"/burst.*.hdr | xargs cat | tr -d '\r' |
    sed -n 's/^x-ratelimit-remaining-requests: //Ip' | sort -n | tr '\n' ' ')
is "$rem" "$(seq 0 19 | tr '\n' ' ')" "  the 20 admitted saw remaining 19 down to 0, each once"
HTTP_BODY=""
chat_b() {
	http POST "$BASE_URL/chat/completions" -H "Authorization: Bearer $KEY_B" \
	    -H 'Content-Type: application/json' \
	    -d '{"model":"m-rpm","messages":[{"role":"user","content":"b"}]}'
}
chat_b
is "$HTTP_STATUS" 200 "another workspace has its own window for m-rpm"

ctl usage >/dev/null 2>&1
rows=$(sql "SELECT count(*) FROM usage WHERE model = 'm-rpm'")
is "$rows" 21 "refused requests are not billed: 21 usage rows for m-rpm"

# ---- 1b: a key's own limit, over all models ----
ctl limits key "${KEY_B:3:12}" --rpm 3 >/dev/null 2>&1
codes=$(for i in 1 2 3 4 5; do
	curl -s -o "$STACK/kb.$i" -w '%{http_code} ' -H "Authorization: Bearer $KEY_B" \
	    -H 'Content-Type: application/json' \
	    -d '{"model":"venna-1","messages":[{"role":"user","content":"k"}]}' \
	    "$BASE_URL/chat/completions"
done)
is "$codes" "200 200 200 429 429 " "a key limited to 3 requests a minute (vennactl limits key): its 4th and 5th refused"
HTTP_BODY=$(cat "$STACK/kb.5")
check "  the message names the key's limit" \
    eval 'jv b.error.message | grep -q "in API key ${KEY_B:3:12} on requests per min"'
ctl limits key "${KEY_B:3:12}" --rpm none >/dev/null 2>&1
http POST "$BASE_URL/chat/completions" -H "Authorization: Bearer $KEY_B" \
    -H 'Content-Type: application/json' \
    -d '{"model":"venna-1","messages":[{"role":"user","content":"k"}]}'
is "$HTTP_STATUS" 200 "  lifted, at once on every worker"

# ---- 1c: model permissions and spend alerts, set with the Admin API ----
ADMIN=$(ctl admin-key create --name t 2>/dev/null)
WS_B=$(sql "SELECT id FROM workspaces WHERE name = 'beta'")
WS_A=$(sql "SELECT id FROM workspaces WHERE name = 'alpha'")
http POST "$BASE_URL/organization/projects/$WS_B/model_permissions" \
    -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
    -d '{"mode":"deny_list","model_ids":["m-rpm"]}'
is "$HTTP_STATUS" 200 "deny m-rpm to beta (Admin API)"
http GET "$BASE_URL/models" -H "Authorization: Bearer $KEY_B"
is "$(jv 'b.data.map(m => m.id).includes("m-rpm")')" false "  beta's /v1/models no longer lists it"
is "$(jv 'b.data.map(m => m.id).includes("venna-1")')" true "  but still the others"
http GET "$BASE_URL/models/m-rpm" -H "Authorization: Bearer $KEY_B"
is "$HTTP_STATUS" 404 "  GET /v1/models/m-rpm: 404, as for a model it does not know"
chat_b
is "$HTTP_STATUS" 404 "  a chat completion with it: 404"
is "$(jv 'b.error.code')" model_not_found "  model_not_found"
http GET "$BASE_URL/models" -H "Authorization: Bearer $KEY_A"
is "$(jv 'b.data.map(m => m.id).includes("m-rpm")')" true "  alpha still sees it"
http POST "$BASE_URL/organization/projects/$WS_A/spend_alerts" \
    -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
    -d '{"threshold_amount":2,"currency":"USD","interval":"month","notification_channel":{"type":"email","recipients":["ops@example.com"]}}'
is "$HTTP_STATUS" 200 "a spend alert at 2 cents for alpha (Admin API)"
for i in $(seq 1 8); do
	curl -s -o /dev/null -H "Authorization: Bearer $KEY_A" \
	    -H 'Content-Type: application/json' \
	    -d '{"model":"m-priced","messages":[{"role":"user","content":"one two three four five"}]}' \
	    "$BASE_URL/chat/completions"
done
is "$(sql "SELECT count(*) FROM audit_log WHERE type = 'spend_alert.crossed' AND project_id = '$WS_A'")" 1 \
    "  crossing it on the request path writes one audit entry, not one per request"
is "$(sql "SELECT count(*) FROM alert_outbox")" 1 "  and queues one delivery for venna-batch"

# ---- 2: tokens per minute ----
http POST "$BASE_URL/chat/completions" -H "Authorization: Bearer $KEY_A" \
    -H 'Content-Type: application/json' \
    -d '{"model":"m-tpm","max_tokens":5000,"messages":[{"role":"user","content":"x"}]}'
is "$HTTP_STATUS" 429 "m-tpm (1000 a minute): a request for up to 5000 tokens is refused"
is "$(jv 'b.error.type')" tokens "  type tokens"
check "  'Request too large', no retry can help" \
    eval 'jv b.error.message | grep -q "^Request too large for m-tpm"'
check "  so no Retry-After" eval '! grep -qi "^retry-after" <<<"$HTTP_HEADERS"'
http POST "$BASE_URL/chat/completions" -H "Authorization: Bearer $KEY_A" \
    -H 'Content-Type: application/json' \
    -d '{"model":"m-tpm","max_tokens":100,"messages":[{"role":"user","content":"x"}]}'
is "$HTTP_STATUS" 200 "  a request for up to 100 tokens is admitted"
check "  with x-ratelimit-limit-tokens: 1000" \
    grep -qi '^x-ratelimit-limit-tokens: 1000' <<<"$HTTP_HEADERS"
left=$(sed -n 's/^x-ratelimit-remaining-tokens: //Ip' <<<"$HTTP_HEADERS")
check "  and the estimate (body + max_tokens) taken from the window ($left left)" \
    test "${left:-1000}" -lt 900 -a "${left:-0}" -gt 800

# ---- 3: a workspace's share of the pool ----
slow() {
	curl -s -o /dev/null -w '%{http_code}\n' \
	    -H "Authorization: Bearer $1" -H 'Content-Type: application/json' \
	    -d '{"model":"m-slow","messages":[{"role":"user","content":"s"}]}' \
	    "$BASE_URL/chat/completions"
}
ctl limits set alpha --max-concurrent 2 >/dev/null 2>&1
slow "$KEY_A" > "$STACK/slow.1" &
s1=$!
slow "$KEY_A" > "$STACK/slow.2" &
s2=$!
sleep 1
http GET "$BASE_URL/models" -H "Authorization: Bearer $KEY_A"
is "$HTTP_STATUS" 429 "alpha's max_concurrent set to 2: its third request while two run gets 429"
check "  at once (${HTTP_TIME}s)" awk -v t="$HTTP_TIME" 'BEGIN { exit !(t < 1.5) }'
check "  saying why" eval 'jv b.error.message | grep -q "Too many requests in flight"'
f=$(grep -l '^HTTP/1.1 429' "$STACK"/burst.*.hdr | head -n 1)
check "  and the 429 of a rate limit carries the refused window's headers" \
    eval 'grep -qi "^x-ratelimit-remaining-requests: 0" "$f" &&
    grep -qi "^x-ratelimit-limit-requests: 20" "$f"'
http GET "$BASE_URL/models" -H "Authorization: Bearer $KEY_B"
is "$HTTP_STATUS" 200 "  beta is served meanwhile"
wait "$s1" "$s2"
is "$(cat "$STACK/slow.1" "$STACK/slow.2" | tr '\n' ' ')" "200 200 " \
    "  alpha's two long requests complete"
http GET "$BASE_URL/models" -H "Authorization: Bearer $KEY_A"
is "$HTTP_STATUS" 200 "  and alpha's slots are free again"

# ---- 4: a slow upload ----
# slow_upload BYTES PIECE PAUSE: POST /v1/files with beta's key, the
# multipart body sent PIECE bytes at a time, PAUSE seconds apart, over
# a raw connection (curl's --limit-rate sends its buffer at once and
# then waits); sets HTTP_STATUS, HTTP_BODY and HTTP_TIME.
slow_upload() {
	local bytes=$1 piece=$2 pause=$3 t0 t1 b=vennaSlowBoundary
	{
		printf -- '--%s\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nassistants\r\n' "$b"
		printf -- '--%s\r\nContent-Disposition: form-data; name="file"; filename="slow.txt"\r\nContent-Type: text/plain\r\n\r\n' "$b"
		head -c "$bytes" /dev/zero | tr '\0' 'a'
		printf -- '\r\n--%s--\r\n' "$b"
	} > "$STACK/slow.body"
	t0=$(date +%s.%N)
	exec 3<>"/dev/tcp/127.0.0.1/$NGINX_PORT"
	printf 'POST /v1/files HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\nContent-Type: multipart/form-data; boundary=%s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n' \
	    "$KEY_B" "$b" "$(stat -c %s "$STACK/slow.body")" >&3
	(
		off=0 size=$(stat -c %s "$STACK/slow.body")
		while [ "$off" -lt "$size" ]; do
			tail -c +$((off + 1)) "$STACK/slow.body" | head -c "$piece"
			off=$((off + piece))
			sleep "$pause"
		done
	) >&3 2>/dev/null &
	local sender=$!
	timeout 30 cat <&3 > "$STACK/slow.resp"
	t1=$(date +%s.%N)
	kill "$sender" 2>/dev/null
	wait "$sender" 2>/dev/null
	exec 3<&-
	HTTP_TIME=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
	HTTP_STATUS=$(head -n 1 "$STACK/slow.resp" | cut -d' ' -f2)
	HTTP_BODY=$(sed -n '/^\r$/,$p' "$STACK/slow.resp" | tail -n +2)
}
slow_upload 20000 500 0.25
is "$HTTP_STATUS" 408 "an upload slower than upload_timeout (3 s) allows: 408"
check "  after about 3 s, not the 10 s it would take (${HTTP_TIME}s)" \
    awk -v t="$HTTP_TIME" 'BEGIN { exit !(t >= 2.5 && t < 8) }'
is "$(jv 'b.error.code')" request_timeout "  code request_timeout"
slow_upload 20000 20000 0
is "$HTTP_STATUS" 200 "  the same upload at full speed is stored"
# ---- 5: batches and batch_1_day_max_input_tokens ----
# new_batch LINES: a batch of m-batch lines of 150 words (434 bytes:
# an estimated 108 input tokens each in the file, 90 in the call, and
# 150 once the echo model counted them); BID.
new_batch() {
	local n=$1 words
	words=$(printf 'w %.0s' $(seq 1 150))
	words=${words% }
	awk -v n="$n" -v p="$words" 'BEGIN { for (i = 1; i <= n; i++)
	    printf "{\"custom_id\":\"c-%d\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"m-batch\",\"messages\":[{\"role\":\"user\",\"content\":\"%s\"}]}}\n", i, p }' \
	    > "$STACK/b.jsonl"
	http POST "$BASE_URL/files" -H "Authorization: Bearer $KEY_A" \
	    -F purpose=batch -F "file=@$STACK/b.jsonl"
	local fid
	fid=$(jv 'b.id')
	http POST "$BASE_URL/batches" -H "Authorization: Bearer $KEY_A" \
	    -H 'Content-Type: application/json' \
	    -d "{\"input_file_id\":\"$fid\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}"
	BID=$(jv 'b.id')
}
batch() { "$VENNA_BATCH" -c "$STACK/venna.conf" 2>>"$STACK/batch.log"; }
bstate() {
	sql "SELECT status || ' ' || completed || ' ' || failed FROM batches WHERE id = '$1'"
}
# 400 tokens a day: the first batch's two lines settle at 300; of the
# next batch's two, one fits (300 + 90 estimated) and one waits.
new_batch 2; B1=$BID
batch
is "$(bstate "$B1")" "completed 2 0" "a batch within the day's input tokens runs"
new_batch 2; B2=$BID
batch
is "$(bstate "$B2")" "in_progress 1 0" "the next batch: one line fits the day's window, the other waits"
is "$(sql "SELECT count(*) FROM batch_lines l JOIN batches b ON b.seq = l.batch_seq WHERE b.id = '$B2' AND l.state = 0")" 1 \
    "  its waiting line is still pending, not failed"
new_batch 4; B3=$BID
batch
is "$(sql "SELECT status FROM batches WHERE id = '$B3'")" failed \
    "a batch larger than batch_1_day_max_input_tokens fails at validation"
check "  with token_limit_exceeded" eval \
    "sql \"SELECT errors FROM batches WHERE id = '$B3'\" | grep -q token_limit_exceeded"

# ---- 6: a spend limit reached mid-batch ----
# gamma may spend 5 cents a month; a line of m-priced (at the batch
# price, half) reserves about 1.6 cents (22 tokens of body, 10 of
# answer) and settles at about 1 cent: a few lines fit, the rest fail
# with insufficient_quota in the error file.
"$VENNACTL" -c "$STACK/venna.conf" workspace create gamma >/dev/null
KEY_C=$("$VENNACTL" -c "$STACK/venna.conf" key create gamma 2>/dev/null)
ctl limits set gamma --spend 0.05 >/dev/null 2>&1
awk 'BEGIN { for (i = 1; i <= 60; i++)
    printf "{\"custom_id\":\"q-%d\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"m-priced\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"a b c d e f g h i j\"}]}}\n", i }' \
    > "$STACK/q.jsonl"
http POST "$BASE_URL/files" -H "Authorization: Bearer $KEY_C" \
    -F purpose=batch -F "file=@$STACK/q.jsonl"
fid=$(jv 'b.id')
http POST "$BASE_URL/batches" -H "Authorization: Bearer $KEY_C" \
    -H 'Content-Type: application/json' \
    -d "{\"input_file_id\":\"$fid\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}"
BQ=$(jv 'b.id')
batch
batch
st=$(bstate "$BQ")
is "${st%% *}" completed "a batch that reaches its workspace's spend limit completes"
ok_n=$(echo "$st" | cut -d' ' -f2)
bad_n=$(echo "$st" | cut -d' ' -f3)
check "  some lines ran ($ok_n), the rest failed ($bad_n), none lost" \
    test "$ok_n" -gt 0 -a "$bad_n" -gt 0 -a $((ok_n + bad_n)) -eq 60
ef=$(sql "SELECT error_file_id FROM batches WHERE id = '$BQ'")
curl -s "$BASE_URL/files/$ef/content" -H "Authorization: Bearer $KEY_C" > "$STACK/q.err"
is "$(grep -c '"status_code":429' "$STACK/q.err")" "$bad_n" "  each failed line is a 429 in the error file"
is "$(grep -c '"code":"insufficient_quota"' "$STACK/q.err")" "$bad_n" "  with insufficient_quota"
ctl usage >/dev/null 2>&1
spent=$(sql "SELECT coalesce(sum(cost_pusd), 0) FROM usage u JOIN workspaces w ON w.id = u.workspace_id WHERE w.name = 'gamma'")
check "  and what the lines settled stays within the limit ($spent <= 50000000000 pusd)" \
    test "$spent" -le 50000000000

tap_done
