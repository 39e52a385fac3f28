#!/bin/bash
# admin_limits.sh: the stored limits (issue #16) from the shell, behind
# nginx with admin_api = on:
#  - hostile input to the Admin API's limits: another workspace's ids,
#    archived and unknown projects, unknown models, negative, huge and
#    garbage numbers, bodies of the wrong types, a workspace key;
#  - vennactl limits, and round trips between it and the API;
#  - spend alerts delivered by venna-batch to a real alert_command:
#    the JSON on its standard input, delivered once, a failure and a
#    timeout retried later, two overlapping passes delivering each
#    alert once.
. "${top_srcdir:-.}/tests/stack.sh"

require nginx "$NGINX_BIN"
require node "$NODE"
require_sqlite3

stack_new
MODELS="[model venna-1]
upstream = echo
input_price = 100
output_price = 200
[model venna-2]
upstream = echo
input_price = 1
output_price = 1"
STACK_SERVER="admin_api = on"
stack_conf "$MODELS"
stack_init || { echo "Bail out! stack_init"; exit 1; }
ctl() { "$VENNACTL" -c "$STACK/venna.conf" "$@"; }
ADMIN=$(ctl admin-key create --name limits 2>/dev/null) ||
    { echo "Bail out! admin-key create"; exit 1; }
ALPHA=$(sql "SELECT id FROM workspaces WHERE name = 'alpha'")
BETA=$(sql "SELECT id FROM workspaces WHERE name = 'beta'")
# The alert command: what it reads, appended to a file; $STACK/alert.mode
# says how it ends (ok, fail, hang).
# One write per alert: two passes run it at once.
cat > "$STACK/alert" <<EOF
#!/bin/sh
line=\$(cat)
printf '%s\n' "\$line" >> "$STACK/alerts.jsonl"
case \$(cat "$STACK/alert.mode") in
fail) exit 3 ;;
hang) sleep 60 ;;
slow) sleep 1 ;;
esac
exit 0
EOF
chmod 755 "$STACK/alert"
echo ok > "$STACK/alert.mode"

run() {
	"$@" >"$STACK/out" 2>"$STACK/err"
	RC=$?
	OUT=$(cat "$STACK/out")
	ERR=$(cat "$STACK/err")
}
# org METHOD PATH [BODY]: an Admin API call with the admin key.
org() {
	local m=$1 p=$2
	if [ $# -gt 2 ]; then
		http "$m" "$BASE_URL/organization$p" \
		    -H "Authorization: Bearer $ADMIN" \
		    -H "Content-Type: application/json" --data-binary "$3"
	else
		http "$m" "$BASE_URL/organization$p" \
		    -H "Authorization: Bearer $ADMIN"
	fi
}
# valid METHOD PATH: $HTTP_BODY conforms to the OpenAPI document.
valid() {
	echo "$HTTP_BODY" | "$NODE" "$top_srcdir/tests/node/validate.mjs" \
	    "$1" "/v1/organization$2" "$HTTP_STATUS" >/dev/null 2>"$STACK/v.err"
}
# refused STATUS PARAM WHAT: the last answer was STATUS with an
# envelope naming PARAM ("null" for none).
refused() {
	is "$HTTP_STATUS" "$1" "$3: $1"
	is "$(jv 'b.error && String(b.error.param)')" "$2" "  param $2"
}

start_venna -w 2 -t 4 || { echo "Bail out! venna-fcgi"; exit 1; }
start_nginx || { echo "Bail out! nginx"; exit 1; }

# ---- rate limits
org GET "/projects/$ALPHA/rate_limits"
is "$HTTP_STATUS" 200 "rate limits of alpha"
check "  a ProjectRateLimitListResponse" valid GET "/projects/$ALPHA/rate_limits"
is "$(jv 'b.data.map((r) => r.id).join(" ")')" "rl-venna-1 rl-venna-2" \
    "  one per configured model, rl-MODEL"
org GET "/projects/$ALPHA/rate_limits?limit=1"
is "$(jv '[b.data.length, b.has_more, b.last_id].join(" ")')" \
    "1 true rl-venna-1" "  limit=1: a page"
org GET "/projects/$ALPHA/rate_limits?after=rl-venna-1"
is "$(jv 'b.data.map((r) => r.id).join(" ") + " " + b.has_more')" \
    "rl-venna-2 false" "  after: the next"
org GET "/projects/$ALPHA/rate_limits?before=rl-venna-2"
is "$(jv 'b.data.map((r) => r.id).join(" ")')" "rl-venna-1" \
    "  before: the one before"
for q in limit=0 limit=101 limit=-1 limit=abc "after=rl-nosuch" \
    "after=$ALPHA"; do
	org GET "/projects/$ALPHA/rate_limits?$q"
	is "$HTTP_STATUS" 400 "  ?$q: 400"
done
org POST "/projects/$ALPHA/rate_limits/rl-venna-1" \
    '{"max_requests_per_1_minute": 100, "max_tokens_per_1_minute": 0}'
is "$HTTP_STATUS" 200 "update rl-venna-1"
check "  a ProjectRateLimit" valid POST "/projects/$ALPHA/rate_limits/rl-venna-1"
is "$(jv '[b.max_requests_per_1_minute, b.max_tokens_per_1_minute].join(" ")')" \
    "100 0" "  its values"
org GET "/projects/$BETA/rate_limits"
is "$(jv 'b.data[0].max_requests_per_1_minute')" 0 "  beta's untouched"
for body in '{"max_requests_per_1_minute": -1}' \
    '{"max_requests_per_1_minute": 99999999999999999999}' \
    '{"max_requests_per_1_minute": 1e30}' \
    '{"max_requests_per_1_minute": 1.5}' \
    '{"max_requests_per_1_minute": "100"}' \
    '{"max_requests_per_1_minute": true}' \
    '{"max_tokens_per_1_minute": [1]}'; do
	org POST "/projects/$ALPHA/rate_limits/rl-venna-1" "$body"
	refused 400 "$(echo "$body" | sed 's/^{"\([a-z_0-9]*\)".*/\1/')" \
	    "  $body"
done
org POST "/projects/$ALPHA/rate_limits/rl-venna-1" \
    '{"max_images_per_1_minute": 5}'
refused 400 max_images_per_1_minute "  an image limit (none in Venna)"
for body in '[1,2]' '"x"' '{"max_requests_per_1_minute":' ''; do
	org POST "/projects/$ALPHA/rate_limits/rl-venna-1" "$body"
	is "$HTTP_STATUS" 400 "  body '$body': 400"
done
org GET "/projects/$ALPHA/rate_limits"
is "$(jv 'b.data[0].max_requests_per_1_minute')" 100 "  none of them changed it"
for id in rl-nosuch rl_venna-1 venna-1 rl-; do
	org POST "/projects/$ALPHA/rate_limits/$id" '{"max_requests_per_1_minute": 1}'
	is "$HTTP_STATUS" 404 "  unknown rate limit $id: 404"
done
org POST "/projects/ws_nosuchproject00/rate_limits/rl-venna-1" \
    '{"max_requests_per_1_minute": 1}'
is "$HTTP_STATUS" 404 "  an unknown project: 404"
org POST "/projects/$ALPHA/rate_limits/rl-venna-1" \
    '{"max_requests_per_1_minute": null}'
is "$(jv 'b.max_requests_per_1_minute')" 0 "null: back to the model's default"
http POST "$BASE_URL/organization/projects/$ALPHA/rate_limits/rl-venna-1" \
    -H "Authorization: Bearer $KEY_A" -H "Content-Type: application/json" \
    --data-binary '{"max_requests_per_1_minute": 1}'
is "$HTTP_STATUS" 401 "a workspace key: 401"
is "$(sql "SELECT count(*) FROM audit_log WHERE type = 'rate_limit.updated'
    AND resource_id = 'rl-venna-1' AND project_id = '$ALPHA'
    AND actor_type = 'api_key'")" 2 "each update audited, by the admin key"
org GET "/audit_logs?event_types%5B%5D=rate_limit.updated"
check "  the audit log shows them as the document says" valid GET /audit_logs
is "$(jv 'b.data[0].type + " " + JSON.stringify(b.data[0]["rate_limit.updated"].changes_requested)')" \
    'rate_limit.updated {"reset_to_default":["max_requests_per_1_minute"]}' \
    "  with what was asked"

# ---- spend limits
org GET /spend_limit
refused 404 null "no organization spend limit yet"
org POST /spend_limit '{"threshold_amount": 10000, "currency": "USD", "interval": "month"}'
is "$HTTP_STATUS" 200 "organization spend limit: \$100"
check "  an OrganizationSpendLimitResource" valid POST /spend_limit
is "$(jv '[b.object, b.threshold_amount, b.enforcement.status].join(" ")')" \
    "organization.spend_limit 10000 enforcing" "  in cents"
is "$(sql "SELECT threshold_pusd FROM spend_limits WHERE workspace_id = ''")" \
    100000000000000 "  kept in picodollars (\$100 = 1e14)"
org POST "/projects/$ALPHA/spend_limit" '{"threshold_amount": 1234, "currency": "USD", "interval": "month"}'
is "$HTTP_STATUS" 200 "alpha's spend limit"
check "  a ProjectSpendLimitResource" valid POST "/projects/$ALPHA/spend_limit"
for body in '{"threshold_amount": 0, "currency": "USD", "interval": "month"}=threshold_amount' \
    '{"threshold_amount": -5, "currency": "USD", "interval": "month"}=threshold_amount' \
    '{"threshold_amount": 900000001, "currency": "USD", "interval": "month"}=threshold_amount' \
    '{"threshold_amount": "10", "currency": "USD", "interval": "month"}=threshold_amount' \
    '{"currency": "USD", "interval": "month"}=threshold_amount' \
    '{"threshold_amount": 10, "currency": "EUR", "interval": "month"}=currency' \
    '{"threshold_amount": 10, "interval": "month"}=currency' \
    '{"threshold_amount": 10, "currency": "USD", "interval": "day"}=interval' \
    '{"threshold_amount": 10, "currency": "USD", "interval": 1}=interval'; do
	org POST "/projects/$ALPHA/spend_limit" "${body%=*}"
	refused 400 "${body##*=}" "  ${body%=*}"
done
org GET "/projects/$ALPHA/spend_limit"
is "$(jv 'b.threshold_amount')" 1234 "  still \$12.34"
org GET "/projects/ws_nosuchproject00/spend_limit"
is "$HTTP_STATUS" 404 "  an unknown project: 404"
org DELETE "/projects/$BETA/spend_limit"
refused 404 null "deleting beta's, which has none"
run ctl limits show alpha
check "vennactl limits show: alpha's \$12.34" grep -qP '^spend_limit\t12.34\t' "$STACK/out"
check "  and the organization's \$100" grep -qP '^organization_spend_limit\t100.00\t' "$STACK/out"

# ---- vennactl round trips
run ctl limits set alpha --model venna-1 --rpm 7 --rpd 1000 --max-concurrent 2 --spend 56.78
is "$RC" 0 "vennactl limits set"
org GET "/projects/$ALPHA/rate_limits"
is "$(jv '[b.data[0].max_requests_per_1_minute, b.data[0].max_requests_per_1_day].join(" ")')" \
    "7 1000" "  the API sees the rate limits at once"
org GET "/projects/$ALPHA/spend_limit"
is "$(jv 'b.threshold_amount')" 5678 "  and the spend limit, in cents"
org POST "/projects/$ALPHA/rate_limits/rl-venna-1" '{"max_tokens_per_1_minute": 9000}'
run ctl limits show alpha
check "vennactl sees the API's change, marked as an override" \
    grep -qP '^rate_limit\tvenna-1\t7\*\t9000\*\t1000\*\t0$' "$STACK/out"
check "  the workspace's max_concurrent" grep -qP '^max_concurrent\t2\*$' "$STACK/out"
org POST /spend_limit '{"threshold_amount": 250000, "currency": "USD", "interval": "month"}'
run ctl limits org
check "vennactl limits org: \$2500" grep -qP '^organization_spend_limit\t2500.00\t' "$STACK/out"
run ctl limits org --spend none
org GET /spend_limit
is "$HTTP_STATUS" 404 "vennactl limits org --spend none: gone for the API"
KID_A=${KEY_A:3:12}
run ctl limits key "$KEY_A" --rpm 5 --tpm none
is "$RC" 0 "vennactl limits key with a whole key"
check "  shows its limits and workspace" grep -qP "^key\t$KID_A\t$ALPHA$" "$STACK/out"
check "  the whole key is not printed" eval '! grep -q "${KEY_A:16:20}" "$STACK/out" "$STACK/err"'
is "$(sql "SELECT max_requests_per_1_minute FROM key_limits WHERE key_id = '$KID_A'")" 5 \
    "  stored"
is "$(sql "SELECT count(*) FROM audit_log WHERE type = 'api_key.updated'
    AND resource_id = '$KID_A' AND actor_type = 'session'")" 1 "  audited"
for args in "set alpha --rpm 5" "set alpha --model venna-1 --rpm -1" \
    "set alpha --model venna-1 --rpm 1e3" "set alpha --spend 1.234" \
    "set alpha --spend 0" "set alpha --max-concurrent lots" "set alpha" \
    "set alpha --model venna-1 --bogus 1" "key $KID_A --batch-tpd 5" \
    "key $ADMIN --rpm 1" "key short --rpm 1" "org --rpm 1" "show"; do
	run ctl limits $args
	is "$RC" 2 "vennactl limits $args: exit 2"
done
for args in "set nosuch --spend 1" "set alpha --model nosuch --rpm 1" \
    "key nosuchkey000 --rpm 1" "show nosuch"; do
	run ctl limits $args
	is "$RC" 1 "vennactl limits $args: exit 1"
done

# ---- another workspace's ids, archived projects, spend alerts
alert='{"threshold_amount": 0, "currency": "USD", "interval": "month",
    "notification_channel": {"type": "email", "recipients": ["ops@example.com"],
    "subject_prefix": "Venna"}}'
org POST "/projects/$ALPHA/spend_alerts" "$alert"
is "$HTTP_STATUS" 200 "an alert for alpha at \$0"
check "  a ProjectSpendAlert" valid POST "/projects/$ALPHA/spend_alerts"
AL1=$(jv 'b.id')
check "  an alert_ id" grep -q '^alert_' <<<"$AL1"
org GET "/projects/$BETA/spend_alerts/$AL1"
is "$HTTP_STATUS" 404 "  not through beta's path (GET)"
org POST "/projects/$BETA/spend_alerts/$AL1" "$alert"
is "$HTTP_STATUS" 404 "  (POST)"
org DELETE "/projects/$BETA/spend_alerts/$AL1"
is "$HTTP_STATUS" 404 "  (DELETE)"
org GET "/spend_alerts/$AL1"
is "$HTTP_STATUS" 404 "  nor as the organization's"
org GET "/projects/$BETA/spend_alerts?after=$AL1"
is "$HTTP_STATUS" 400 "  nor as a cursor in beta's list"
org GET "/projects/$ALPHA/spend_alerts/$AL1"
is "$(jv 'b.notification_channel.recipients[0]')" "ops@example.com" \
    "  alpha's own path shows it"
for body in \
    '{"threshold_amount": 1, "currency": "USD", "interval": "month"}=notification_channel' \
    '{"threshold_amount": 1, "currency": "USD", "interval": "month", "notification_channel": "x"}=notification_channel' \
    '{"threshold_amount": 1, "currency": "USD", "interval": "month", "notification_channel": {"type": "sms", "recipients": []}}=notification_channel.type' \
    '{"threshold_amount": 1, "currency": "USD", "interval": "month", "notification_channel": {"type": "email"}}=notification_channel.recipients' \
    '{"threshold_amount": 1, "currency": "USD", "interval": "month", "notification_channel": {"type": "email", "recipients": "a@b.c"}}=notification_channel.recipients' \
    '{"threshold_amount": 1, "currency": "USD", "interval": "month", "notification_channel": {"type": "email", "recipients": ["a b@c.d"]}}=notification_channel.recipients[0]' \
    '{"threshold_amount": 1, "currency": "USD", "interval": "month", "notification_channel": {"type": "email", "recipients": ["ok@x.y", 7]}}=notification_channel.recipients[1]' \
    '{"threshold_amount": 1, "currency": "USD", "interval": "month", "notification_channel": {"type": "email", "recipients": ["$(id)@x"]}}=notification_channel.recipients[0]' \
    '{"threshold_amount": 1, "currency": "USD", "interval": "month", "notification_channel": {"type": "email", "recipients": [], "subject_prefix": "a\u0007b"}}=notification_channel.subject_prefix' \
    '{"threshold_amount": -1, "currency": "USD", "interval": "month", "notification_channel": {"type": "email", "recipients": []}}=threshold_amount'; do
	org POST "/projects/$ALPHA/spend_alerts" "${body%=*}"
	refused 400 "${body##*=}" "  alert body: ${body%=*}"
done
many=$(printf '"u%d@x.y",' $(seq 1 21))
org POST "/projects/$ALPHA/spend_alerts" "{\"threshold_amount\": 1, \"currency\": \"USD\", \"interval\": \"month\", \"notification_channel\": {\"type\": \"email\", \"recipients\": [${many%,}]}}"
refused 400 notification_channel.recipients "  21 recipients"
run ctl workspace create gamma
GAMMA=$OUT
ctl workspace archive gamma 2>/dev/null
for call in "POST /projects/$GAMMA/spend_limit {\"threshold_amount\":1,\"currency\":\"USD\",\"interval\":\"month\"}" \
    "POST /projects/$GAMMA/spend_alerts $(echo $alert | tr -d ' ')" \
    "POST /projects/$GAMMA/rate_limits/rl-venna-1 {\"max_requests_per_1_minute\":1}" \
    "POST /projects/$GAMMA/model_permissions {\"mode\":\"deny_list\",\"model_ids\":[]}" \
    "DELETE /projects/$GAMMA/model_permissions"; do
	set -- $call
	org "$@"
	is "$HTTP_STATUS" 409 "archived gamma: $1 $2: 409"
done
org GET "/projects/$GAMMA/rate_limits"
is "$HTTP_STATUS" 200 "  its limits still read"
run ctl limits set gamma --spend 1
is "$RC" 1 "  vennactl limits set on it: exit 1"
for p in rate_limits spend_alerts spend_limit model_permissions; do
	org GET "/projects/ws_nosuchproject00/$p"
	is "$HTTP_STATUS" 404 "unknown project: GET $p 404"
done

# ---- model permissions
org GET "/projects/$ALPHA/model_permissions"
is "$(jv 'b.mode + " " + JSON.stringify(b.model_ids)')" 'deny_list []' \
    "none set: an empty deny list"
check "  a ProjectModelPermissions" valid GET "/projects/$ALPHA/model_permissions"
org POST "/projects/$ALPHA/model_permissions" '{"mode": "allow_list", "model_ids": ["venna-2", "venna-2"]}'
is "$(jv 'b.mode + " " + JSON.stringify(b.model_ids)')" 'allow_list ["venna-2"]' \
    "an allow list, each model once"
org POST "/projects/$ALPHA/model_permissions" '{"mode": "allow_list", "model_ids": ["gpt-nosuch"]}'
refused 404 'model_ids[0]' "  an unknown model"
check "  model_not_found" is_envelope model_not_found
for body in '{"mode": "maybe", "model_ids": []}=mode' '{"model_ids": []}=mode' \
    '{"mode": "deny_list"}=model_ids' '{"mode": "deny_list", "model_ids": "venna-1"}=model_ids' \
    '{"mode": "deny_list", "model_ids": [1]}=model_ids[0]'; do
	org POST "/projects/$ALPHA/model_permissions" "${body%=*}"
	refused 400 "${body##*=}" "  ${body%=*}"
done
run ctl limits show alpha
check "vennactl shows the allow list" grep -qP '^model_permissions\tallow_list\t\["venna-2"\]$' "$STACK/out"
org DELETE "/projects/$ALPHA/model_permissions"
is "$(jv 'b.object + " " + b.deleted')" "project.model_permissions.deleted true" \
    "deleted"

# ---- spend alerts delivered by venna-batch, to the command venna.conf
# names (the workers need not know it: only venna-batch runs it)
STACK_SERVER="admin_api = on
alert_command = $STACK/alert"
stack_conf "$MODELS"
# Spend: a few calls of venna-1 (priced), in alpha's ledger.
for i in 1 2 3; do
	http POST "$BASE_URL/chat/completions" -H "Authorization: Bearer $KEY_A" \
	    -H "Content-Type: application/json" \
	    --data-binary '{"model":"venna-1","messages":[{"role":"user","content":"hello there"}]}'
done
is "$HTTP_STATUS" 200 "alpha spends"
org POST "/projects/$ALPHA/spend_alerts" "$(sed 's/"threshold_amount": 0/"threshold_amount": 90000000/' <<<"$alert")"
AL_BIG=$(jv 'b.id')
run "$VENNA_BATCH" -c "$STACK/venna.conf" -t 20
is "$RC" 0 "venna-batch: exit 0"
is "$(grep -c . "$STACK/alerts.jsonl")" 1 "  alert_command ran once"
"$NODE" -e '
const a = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8").trim());
const want = { object: "project.spend_alert.crossed", id: process.argv[2],
    project_id: process.argv[3], project_name: "alpha", threshold_amount: 0,
    currency: "USD", interval: "month" };
for (const [k, v] of Object.entries(want))
	if (a[k] !== v) { console.log(`# ${k}: ${a[k]}`); process.exit(1); }
if (!(a.spent_pusd > 0) || typeof a.crossed_at !== "number" ||
    a.notification_channel.recipients[0] !== "ops@example.com" ||
    a.notification_channel.subject_prefix !== "Venna" ||
    a.period_start % 86400 !== 0)
	process.exit(1);' "$STACK/alerts.jsonl" "$AL1" "$ALPHA"
is "$?" 0 "  with the alert's JSON on its standard input"
is "$(sql "SELECT count(*) FROM alert_outbox WHERE delivered_at IS NOT NULL
    AND alert_id = '$AL1'")" 1 "  marked delivered"
is "$(sql "SELECT count(*) FROM alert_outbox WHERE alert_id = '$AL_BIG'")" 0 \
    "  the \$900000 alert did not fire"
is "$(sql "SELECT count(*) FROM audit_log WHERE type = 'spend_alert.crossed'
    AND resource_id = '$AL1'")" 1 "  one audit row"
run "$VENNA_BATCH" -c "$STACK/venna.conf" -t 20
is "$(grep -c . "$STACK/alerts.jsonl")" 1 "the next pass: nothing again"

# A failing command, then one that hangs: retried later, not lost.
echo fail > "$STACK/alert.mode"
org POST /spend_alerts "$alert"
AL_ORG=$(jv 'b.id')
check "  an OrganizationSpendAlert" valid POST /spend_alerts
run "$VENNA_BATCH" -c "$STACK/venna.conf" -t 20
is "$RC" 1 "alert_command exits 3: venna-batch exits 1"
check "  and says so" grep -q "exited 3" "$STACK/err"
is "$(sql "SELECT attempts || ' ' || (delivered_at IS NULL) || ' ' ||
    (not_before > strftime('%s', 'now')) || ' ' || last_error
    FROM alert_outbox WHERE alert_id = '$AL_ORG'")" "1 1 1 exited 3" \
    "  the row waits for a later pass"
echo hang > "$STACK/alert.mode"
sql "UPDATE alert_outbox SET not_before = 0 WHERE alert_id = '$AL_ORG'"
t0=$(date +%s)
run "$VENNA_BATCH" -c "$STACK/venna.conf" -t 3
t1=$(date +%s)
check "a hanging alert_command is killed within the pass's budget ($((t1 - t0)) s)" \
    [ $((t1 - t0)) -le 8 ]
is "$(sql "SELECT attempts || ' ' || (delivered_at IS NULL) || ' ' ||
    (last_error LIKE 'timed out%') FROM alert_outbox
    WHERE alert_id = '$AL_ORG'")" "2 1 1" "  the row waits again"
echo ok > "$STACK/alert.mode"
sql "UPDATE alert_outbox SET not_before = 0 WHERE alert_id = '$AL_ORG'"
run "$VENNA_BATCH" -c "$STACK/venna.conf" -t 20
is "$(sql "SELECT delivered_at IS NOT NULL FROM alert_outbox
    WHERE alert_id = '$AL_ORG'")" 1 "delivered once the command works"
check "  as the organization's" eval 'tail -n 1 "$STACK/alerts.jsonl" |
    grep -q "\"object\":\"organization.spend_alert.crossed\",\"id\":\"$AL_ORG\",\"project_id\":null"'

# Two passes at once, a slow command, four alerts: each delivered once.
echo slow > "$STACK/alert.mode"
: > "$STACK/alerts.jsonl"
for i in 1 2 3 4; do org POST "/projects/$ALPHA/spend_alerts" "$alert"; done
"$VENNA_BATCH" -c "$STACK/venna.conf" -t 20 2>>"$STACK/batch.log" & b1=$!
"$VENNA_BATCH" -c "$STACK/venna.conf" -t 20 2>>"$STACK/batch.log" & b2=$!
wait $b1 $b2
is "$(grep -o '"id":"alert_[A-Za-z0-9]*"' "$STACK/alerts.jsonl" | sort | uniq -c |
    awk '{ print $1 }' | sort -u | tr '\n' ' ')" "1 " \
    "two overlapping passes: no alert delivered twice"
is "$(grep -o '"id":"alert_[A-Za-z0-9]*"' "$STACK/alerts.jsonl" | sort -u | wc -l)" 4 \
    "  and all four delivered"
is "$(sql "SELECT count(*) FROM alert_outbox WHERE delivered_at IS NULL")" 0 \
    "  nothing left in the outbox"
tap_done
