#!/bin/bash
# nginx.sh: the gateway through a real nginx configured from
# etc/nginx.conf.sample: keys, errors as OpenAI envelopes, request ids,
# revocation across workers, and the pool surviving kill -9, reloads and
# recycling under load with nothing lost and the database intact.
. "${top_srcdir:-.}/tests/stack.sh"

require nginx "$NGINX_BIN"
require node "$NODE"
require curl "$(command -v curl)"

stack_new
# The loads below are one workspace's, as many clients as the pool has
# threads: its share of the pool is the whole pool here (limits.sh
# shows the default share at work).
STACK_SERVER="max_concurrent = 100%"
stack_conf
stack_init || { echo "Bail out! stack_init"; exit 1; }
start_venna -w 2 -t 8 || { echo "Bail out! venna-fcgi"; exit 1; }
start_nginx || { echo "Bail out! nginx"; exit 1; }
AUTH_A="Authorization: Bearer $KEY_A"
# conforms METHOD PATH: the last answer fits the OpenAPI document's
# schema for it (tests/node/validate.mjs; the reasons go to the log).
conforms() {
	"$NODE" "$top_srcdir/tests/node/validate.mjs" "$1" "$2" \
	    "$HTTP_STATUS" < "$STACK/http.out"
}

http GET "$BASE_URL/models" -H "$AUTH_A"
is "$HTTP_STATUS" 200 "GET /v1/models with a key"
check "  lists venna-1" grep -q '"id":"venna-1"' <<<"$HTTP_BODY"
check "  carries x-request-id" grep -qi '^x-request-id: req_' <<<"$HTTP_HEADERS"
check "  fits the OpenAPI document" conforms GET /v1/models

http GET "$BASE_URL/models"
is "$HTTP_STATUS" 401 "no key: 401"
check "  an OpenAI envelope" is_envelope
check "  fits the OpenAPI document" conforms GET /v1/models
check "  names the scheme" grep -qi '^www-authenticate: Bearer' <<<"$HTTP_HEADERS"

http GET "$BASE_URL/models" -H "Authorization: Bearer vk_garbage"
is "$HTTP_STATUS" 401 "a malformed key: 401"
check "  invalid_api_key" is_envelope invalid_api_key

http GET "$BASE_URL/models" -H "Authorization: Basic dXNlcjpwYXNz"
is "$HTTP_STATUS" 401 "Basic auth: 401"
check "  an envelope" is_envelope

http GET "$BASE_URL/nothing/here" -H "$AUTH_A"
is "$HTTP_STATUS" 404 "an unknown path: 404"
check "  unknown_url envelope" is_envelope unknown_url

http GET "$BASE_URL/models/../models" -H "$AUTH_A" --path-as-is
is "$HTTP_STATUS" 404 "a dot-dot path is not normalised into a route"

http POST "$BASE_URL/models" -H "$AUTH_A"
is "$HTTP_STATUS" 405 "a wrong method: 405"
check "  method_not_allowed envelope" is_envelope method_not_allowed
check "  with Allow: GET" grep -qi '^allow: GET' <<<"$HTTP_HEADERS"

http POST "$BASE_URL/audio/speech" -H "$AUTH_A" -d '{}'
is "$HTTP_STATUS" 501 "a documented endpoint not served: 501"
check "  not_implemented envelope" is_envelope not_implemented
check "  fits the OpenAPI document" conforms POST /v1/audio/speech
check "  the documented message" grep -q "Endpoint 'POST /v1/audio/speech' is not implemented yet on Venna gateway" <<<"$HTTP_BODY"
check "  tells SDKs not to retry" grep -qi '^x-should-retry: false' <<<"$HTTP_HEADERS"

http GET "$BASE_URL/models/no-such" -H "$AUTH_A"
is "$HTTP_STATUS" 404 "an unknown model: 404"
check "  model_not_found envelope" is_envelope model_not_found

http GET "$BASE_URL/models/venna-1" -H "$AUTH_A"
is "$HTTP_STATUS" 200 "GET /v1/models/venna-1"
check "  fits the OpenAPI document" conforms GET /v1/models/venna-1

# A key revoked with vennactl fails on every worker within a second
# (workers keep a key's row for at most 500 ms).
KEY_C=$("$VENNACTL" -c "$STACK/venna.conf" key create alpha 2>/dev/null)
codes20() {
	for i in $(seq 1 20); do
		curl -s -o /dev/null -w '%{http_code}\n' "$BASE_URL/models" \
		    -H "Authorization: Bearer $KEY_C"
	done | sort | uniq -c | awk '{ printf "%s:%s ", $2, $1 }'
}
is "$(codes20)" "200:20 " "a new key works at once, on every worker"
"$VENNACTL" -c "$STACK/venna.conf" key revoke "$KEY_C" 2>/dev/null
sleep 1
is "$(codes20)" "401:20 " "a revoked key is refused by every worker within a second"

# kill -9 of one worker under load: it is replaced; only requests that
# worker held can fail; the database stays intact.
workers() { pgrep -P "$VENNA_PID" | sort | tr '\n' ' '; }
before=$(workers)
"$NODE" "$top_srcdir/tests/node/load.mjs" "$BASE_URL/models" "$KEY_A" 16 \
    3000 > "$STACK/load1.json" &
loadpid=$!
sleep 1
victim=$(pgrep -P "$VENNA_PID" | head -n 1)
kill -9 "$victim"
wait "$loadpid"
load=$(cat "$STACK/load1.json")
after=$(workers)
echo "# load during kill -9: $load"
failed=$(sed -n 's/.*"failed":\([0-9]*\).*/\1/p' <<<"$load")
okc=$(sed -n 's/.*"ok":\([0-9]*\).*/\1/p' <<<"$load")
replaced() { [ "$(wc -w <<<"$after")" -eq 2 ] && [ "$before" != "$after" ]; }
check "a killed worker is replaced" replaced
check "requests kept flowing ($okc ok)" [ "$okc" -gt 100 ]
check "at most the killed worker's 8 requests failed ($failed)" [ "$failed" -le 8 ]

# SIGHUP under load: a new model appears, no request fails.
cat >> "$STACK/venna.conf" <<CONF
[model venna-2]
upstream = echo
CONF
"$NODE" "$top_srcdir/tests/node/load.mjs" "$BASE_URL/models" "$KEY_A" 16 \
    2500 > "$STACK/load2.json" &
loadpid=$!
for i in 1 2 3 4; do sleep 0.4; kill -HUP "$VENNA_PID"; done
wait "$loadpid"
load=$(cat "$STACK/load2.json")
echo "# load during reload: $load"
check "no request failed during four reloads" grep -q '"failed":0' <<<"$load"
http GET "$BASE_URL/models/venna-2" -H "$AUTH_A"
is "$HTTP_STATUS" 200 "the reloaded configuration is served"

# A broken configuration is refused and the old one keeps serving.
cp "$STACK/venna.conf" "$STACK/venna.conf.good"
echo "bogus line" >> "$STACK/venna.conf"
kill -HUP "$VENNA_PID"
sleep 0.3
http GET "$BASE_URL/models/venna-2" -H "$AUTH_A"
is "$HTTP_STATUS" 200 "a broken configuration is not loaded"
check "  and the refusal names the line" grep -q "reload refused.*venna.conf:[0-9]*: expected" "$STACK/venna.log"

# Recycling after max_requests (200) under load: nothing fails.
sed 's/^\[server\]$/[server]\nmax_requests = 200/' "$STACK/venna.conf.good" \
    > "$STACK/venna.conf"
kill -HUP "$VENNA_PID"
sleep 0.3
"$NODE" "$top_srcdir/tests/node/load.mjs" "$BASE_URL/models" "$KEY_A" 16 \
    60000 10000 > "$STACK/load3.json"
load=$(cat "$STACK/load3.json")
echo "# load across recycling: $load"
check "no request failed while workers recycled" grep -q '"failed":0' <<<"$load"
recycled=$(grep -c "max_requests reached" "$STACK/venna.log")
check "  across $recycled recycled workers" [ "$recycled" -ge 20 ]

integrity() { "$VENNACTL" -c "$STACK/venna.conf" db check >/dev/null; }
check "integrity_check is ok" integrity
secret_re="vk_[A-Za-z0-9]{12}_|$KEY_A|$KEY_B|Bearer"
if grep -rqE "$secret_re" "$STACK"/*.log "$STACK"/nginx/*.log; then
	not_ok "no key or Authorization value in any log"
	grep -rnoE ".{0,80}($secret_re).{0,20}" "$STACK"/*.log \
	    "$STACK"/nginx/*.log | head -n 5 | sed 's/^/# found: /'
else
	ok "no key or Authorization value in any log"
fi

# SIGTERM: the master drains and exits, removing its socket.
kill -TERM "$VENNA_PID"
gone() { [ ! -e "/proc/$1" ] || grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat"; }
for i in $(seq 1 100); do gone "$VENNA_PID" && break; sleep 0.05; done
check "SIGTERM stops the pool" gone "$VENNA_PID"
check "  and removes the socket" [ ! -e "$STACK/venna.sock" ]
tap_done
