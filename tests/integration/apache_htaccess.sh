#!/bin/bash
# apache_htaccess.sh: Venna on shared hosting.  A "host" Apache with
# mod_fcgid, ".fcgi" files handled by it and AllowOverride All; the user
# copies www/.htaccess and www/venna.fcgi (paths changed) into the
# directory "venna" of the document root and sets base_path = /venna.
# Twice: once on a host that set the two server-wide values the
# .htaccess asks for (FcgidOutputBufferSize 0, FcgidMaxRequestLen), once
# on a host with mod_fcgid's defaults, where the documented limits show:
# streams arrive in one burst, bodies over 128 KiB get 500.
. "${top_srcdir:-.}/tests/stack.sh"

require_apache
require node "$NODE"
require curl "$(command -v curl)"
require_sqlite3

stack_new
STACK_SERVER="base_path = /venna"
web_stack || { echo "Bail out! the stack"; exit 1; }
APACHE_EXTRA="FcgidOutputBufferSize 0
FcgidMaxRequestLen 537919488" start_apache htaccess ||
    { echo "Bail out! apache"; exit 1; }
AUTH_A="Authorization: Bearer $KEY_A"
ctl() { as_www "$VENNACTL" -c "$STACK/venna.conf" "$@"; }
chat() {
	http POST "$BASE_URL/chat/completions" -H "$AUTH_A" \
	    -H 'content-type: application/json' "$@"
}
big=$(head -c 600000 /dev/zero | tr '\0' 'a')
printf '{"model":"venna-1","messages":[{"role":"user","content":"%s"}]}' \
    "$big" > "$STACK/big.json"
vennas() { pgrep -f "^$VENNA_FCGI -c $STACK/venna.conf -t 1\$"; }

echo "# a host with FcgidOutputBufferSize 0 and FcgidMaxRequestLen raised"
http GET "$BASE_URL/models" -H "$AUTH_A"
is "$HTTP_STATUS" 200 "GET /venna/v1/models with a key: the rewrite passes Authorization"
check "  lists venna-1" grep -q '"id":"venna-1"' <<<"$HTTP_BODY"
check_admin_addresses
http GET "$BASE_URL/models"
is "$HTTP_STATUS" 401 "no key: 401"
check "  Venna's envelope" is_envelope
http GET "$BASE_URL/models" -H "Authorization: Bearer vk_garbage"
is "$HTTP_STATUS" 401 "a malformed key: 401 invalid_api_key"
http GET "$BASE_URL/models/venna-1?a=b" -H "$AUTH_A"
is "$HTTP_STATUS" 200 "a path below /venna/v1 with a query string"
http GET "$BASE_URL/no/such" -H "$AUTH_A"
is "$HTTP_STATUS" 404 "an unknown path: Venna's 404"
check "  unknown_url" is_envelope unknown_url
http GET "${BASE_URL%/v1}/.htaccess"
check "the .htaccess itself is never served" \
    eval '! grep -q RewriteEngine <<<"$HTTP_BODY"'
http GET "${BASE_URL%/v1}/venna.fcgi" -H "$AUTH_A"
is "$HTTP_STATUS" 404 "nor is venna.fcgi's text: the URL goes to Venna, a 404"
check "  an envelope" is_envelope unknown_url

chat -d '{"model":"m","messages":[{"role":"user","content":"shared host"}]}'
is "$HTTP_STATUS" 200 "a chat completion from the mock upstream"
check "  the reply" grep -q '"content":"mock reply to: shared host"' <<<"$HTTP_BODY"
check_streaming m 10 100
chat --data-binary "@$STACK/big.json"
is "$HTTP_STATUS" 200 "a 600 KB body: 200"

check "venna.fcgi execs venna-fcgi: the process is venna-fcgi itself" \
    [ -n "$(vennas)" ]
if [ "$(id -u)" -eq 0 ]; then
	users=$(ps -o user= -p "$(vennas | tr '\n' , | sed 's/,$//')" |
	    sort -u | tr -d ' ')
	is "$users" "$STACK_WWW_USER" "  running as the site's user"
fi
out=$(ctl usage --format csv 2>&1)
check "vennactl usage sees the requests served" grep -q '^alpha,' <<<"$out"
n=$(as_www "$SQLITE3_BIN" "$STACK/venna.db" \
    "SELECT count(*) FROM usage WHERE status = 200")
check "  their usage rows are in the database ($n)" [ "${n:-0}" -ge 3 ]

echo "# a host with mod_fcgid's defaults: the limits the .htaccess documents"
APACHE_NAME=apache-defaults APACHE_EXTRA= start_apache htaccess ||
    { echo "Bail out! apache (defaults)"; exit 1; }
http GET "$BASE_URL/models" -H "$AUTH_A"
is "$HTTP_STATUS" 200 "the rewrite alone passes Authorization"
http GET "$BASE_URL/models"
is "$HTTP_STATUS" 401 "  and no key is still 401"
j=$("$NODE" "$top_srcdir/tests/node/sse_timing.mjs" "$BASE_URL" "$KEY_A" \
    m 10 100)
echo "# stream timing: $j"
check "a stream is complete" grep -q '"content":10,"done":true' <<<"$j"
spread=$(sed -n 's/.*"spread_ms":\([0-9]*\).*/\1/p' <<<"$j")
check "  but held back by FcgidOutputBufferSize's 64 KiB: one burst (${spread} ms)" \
    [ "${spread:-1000}" -lt 300 ]
printf '{"model":"venna-1","messages":[{"role":"user","content":"%s"}]}' \
    "${big:0:200000}" > "$STACK/200k.json"
chat --data-binary "@$STACK/200k.json"
is "$HTTP_STATUS" 500 "a 200 KB body: FcgidMaxRequestLen's 128 KiB gives 500"
check "  as an envelope (the .htaccess's ErrorDocument)" is_envelope server_error
check "  logged by mod_fcgid" grep -q "exceeds MaxRequestLen (131072)" \
    "$STACK/apache-defaults/error.log"

check "integrity_check is ok" eval 'ctl db check >/dev/null'
if grep -rqE "vk_[A-Za-z0-9]{12}_|$KEY_A|$KEY_B|Bearer " "$STACK"/apache*/*.log; then
	not_ok "no key or Authorization value in Apache's logs"
else
	ok "no key or Authorization value in Apache's logs"
fi
tap_done
