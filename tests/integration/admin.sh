#!/bin/bash
# admin.sh: the Admin API from the shell: vennactl's admin commands and
# the audit rows they leave (a Unix user as actor), the audit log being
# append-only, admin_api = off hiding /v1/organization, failed admin
# authentications logged without the key and slowed down per address,
# an archived workspace's keys refused at once, the last admin key
# deletable.
. "${top_srcdir:-.}/tests/stack.sh"

require nginx "$NGINX_BIN"
require node "$NODE"
require_sqlite3

stack_new
stack_conf
stack_init || { echo "Bail out! stack_init"; exit 1; }
ctl() { "$VENNACTL" -c "$STACK/venna.conf" "$@"; }
me=$(id -un)

# run ARGS...: sets RC, OUT, ERR.
run() {
	"$@" >"$STACK/out" 2>"$STACK/err"
	RC=$?
	OUT=$(cat "$STACK/out")
	ERR=$(cat "$STACK/err")
}
org() {	# org METHOD PATH KEY [curl args]: an Admin API call
	local m=$1 p=$2 k=$3
	shift 3
	http "$m" "$BASE_URL/organization$p" -H "Authorization: Bearer $k" "$@"
}

# ---- vennactl
run ctl admin-key create --name ops
is "$RC" 0 "admin-key create: exit 0"
check "  prints the key alone on one line" \
    eval '[ "$(wc -l < "$STACK/out")" -eq 1 ] && grep -qE "^vka_[A-Za-z0-9]{12}_[A-Za-z0-9]{49}$" "$STACK/out"'
ADMIN=$OUT
AID=${ADMIN:4:12}
check "  says on stderr it is shown once" grep -q "shown only this once" "$STACK/err"
run ctl admin-key list
check "admin-key list shows it, not its secret" \
    eval 'grep -q "^$AID .*ops" "$STACK/out" && ! grep -q "${ADMIN:17:20}" "$STACK/out"'
run ctl admin-key create --name $'bad\tname'
is "$RC" 2 "admin-key create with a control character in the name: exit 2"
run ctl workspace create gamma
is "$RC" 0 "workspace create gamma"
GAMMA=$OUT
KEY_G=$(ctl key create gamma --name g 2>/dev/null)
run ctl workspace rename gamma delta
is "$RC" 0 "workspace rename gamma delta"
run ctl workspace rename delta alpha
is "$RC" 1 "renaming onto a taken name: exit 1"
run ctl key revoke "${KEY_B:3:12}"
is "$RC" 0 "key revoke"
run ctl audit --limit 100
is "$RC" 0 "vennactl audit: exit 0"
for t in project.created project.updated api_key.created api_key.deleted; do
	check "  $t is audited with actor session:unix:$me" \
	    grep -qP "\t$t\tsession:unix:$me\t" "$STACK/out"
done
is "$(sql "SELECT count(*) FROM audit_log WHERE type = 'project.created'
    AND actor_type = 'session' AND actor_id = 'unix:$me'")" 3 \
    "  alpha, beta and gamma were made by vennactl, as $me"
is "$(sql "SELECT count(*) FROM audit_log WHERE type = 'api_key.created'
    AND resource_id = '$AID'")" 1 "  and the admin key, by its id"

# The audit log is append-only, even for sqlite3(1).
n=$(sql "SELECT count(*) FROM audit_log")
sql "UPDATE audit_log SET type = 'x'" 2>/dev/null
sql "DELETE FROM audit_log" 2>/dev/null
is "$(sql "SELECT count(*) FROM audit_log WHERE type != 'x'")" "$n" \
    "the audit log refuses UPDATE and DELETE"

# ---- admin_api = off (the default): /v1/organization is unknown.
start_venna -w 2 -t 4 || { echo "Bail out! venna-fcgi"; exit 1; }
start_nginx || { echo "Bail out! nginx"; exit 1; }
org GET /projects "$ADMIN"
is "$HTTP_STATUS" 404 "admin_api off: an admin key gets 404"
check "  unknown_url, as any unknown path" is_envelope unknown_url
org GET /projects "$KEY_A"
is "$HTTP_STATUS" 404 "  and a workspace key too"
org GET /projects nokey
is "$HTTP_STATUS" 401 "  and no key is still 401 first"
http GET "$BASE_URL/models" -H "Authorization: Bearer $ADMIN"
is "$HTTP_STATUS" 401 "an admin key on /v1/models: 401"
check "  missing the model scope" grep -q "Missing scopes: model.request" <<<"$HTTP_BODY"

# ---- admin_api = on
kill -TERM "$VENNA_PID"; wait "$VENNA_PID" 2>/dev/null
rm -f "$STACK/venna.sock"
STACK_SERVER="admin_api = on"
stack_conf
start_venna -w 2 -t 4 || { echo "Bail out! venna-fcgi"; exit 1; }
org GET /projects "$ADMIN"
is "$HTTP_STATUS" 200 "admin_api on: GET /v1/organization/projects"
echo "$HTTP_BODY" | "$NODE" "$top_srcdir/tests/node/validate.mjs" GET \
    /v1/organization/projects 200 2>&1 | sed 's/^/# /'
check "  the answer is a ProjectListResponse" eval 'echo "$HTTP_BODY" |
    "$NODE" "$top_srcdir/tests/node/validate.mjs" GET /v1/organization/projects 200'
org GET /projects "$KEY_A"
is "$HTTP_STATUS" 401 "a workspace key on /v1/organization: 401"
check "  missing the management scope" \
    grep -q "Missing scopes: api.management.read" <<<"$HTTP_BODY"
org GET /users "$ADMIN"
is "$HTTP_STATUS" 501 "users: 501"
check "  not_implemented" is_envelope not_implemented
# The nginx sample passes /v1/organization from this host's address
# only: from another loopback address, nginx answers 403 itself.
org GET /projects "$ADMIN" --interface 127.0.0.2
is "$HTTP_STATUS" 403 "from 127.0.0.2, the nginx sample refuses /v1/organization"
check "  with an envelope" is_envelope forbidden
http GET "$BASE_URL/models" -H "Authorization: Bearer $KEY_A" --interface 127.0.0.2
is "$HTTP_STATUS" 200 "  and passes the model endpoints"
org GET /nonsense "$ADMIN"
is "$HTTP_STATUS" 404 "an unknown admin path: 404"

# An archived workspace's keys: refused by the next request.
is "$(key_codes "$KEY_G")" "200:10 " "delta's key works"
run ctl workspace archive delta
is "$RC" 0 "workspace archive delta"
is "$(key_codes "$KEY_G")" "401:10 " "  its key is refused at once"
run ctl key create delta
is "$RC" 1 "  key create on an archived workspace: exit 1"
check "  workspace list says when it was archived" \
    eval 'ctl workspace list | grep -qE "^$GAMMA +delta .* [0-9]{4}-[0-9]{2}-[0-9]{2}T"'
check "  and not for the others" \
    eval 'ctl workspace list | grep -qE " alpha .* -$"'
org GET "/projects/$GAMMA" "$ADMIN"
check "  the project says archived" grep -q '"status":"archived"' <<<"$HTTP_BODY"
is "$(sql "SELECT actor_id FROM audit_log WHERE type = 'project.archived'")" \
    "unix:$me" "  audited as vennactl's"

# Failed admin authentications: logged without the key, slowed down.
bad="vka_${ADMIN:4:12}_$(printf 'Z%.0s' $(seq 1 49))"
for i in $(seq 1 10); do org GET /projects "$bad"; echo "$HTTP_STATUS"; done \
    > "$STACK/codes"
is "$(sort "$STACK/codes" | uniq -c | awk '{ printf "%s:%s ", $2, $1 }')" \
    "401:10 " "ten wrong admin keys: 401 each"
org GET /projects "$bad"
is "$HTTP_STATUS" 429 "the eleventh from the same address: 429"
check "  with Retry-After" grep -qi '^retry-after: [1-9]' <<<"$HTTP_HEADERS"
org GET /projects "$ADMIN"
is "$HTTP_STATUS" 429 "  even with the right key, until the window ends"
http GET "$BASE_URL/models" -H "Authorization: Bearer $KEY_A"
is "$HTTP_STATUS" 200 "  model endpoints are not affected"
check "the failures are logged with the address" \
    grep -q "admin authentication failed from 127.0.0.1" "$STACK/venna.log"
check "  never with the key" eval '! grep -q "${bad:17:30}" "$STACK/venna.log"'
check "  the counters are shared: one table beside the database" \
    [ -f "$STACK/venna.db.adminguard" ]

# The last admin key can delete itself; vennactl can always mint another.
kill -TERM "$VENNA_PID"; wait "$VENNA_PID" 2>/dev/null
rm -f "$STACK/venna.sock"
: > "$STACK/venna.db.adminguard"	# a new window, for the test only
start_venna -w 2 -t 4 || { echo "Bail out! venna-fcgi"; exit 1; }
run ctl admin-key list
n=$(($(wc -l < "$STACK/out") - 1))
is "$n" 1 "one admin key left"
org DELETE "/admin_api_keys/$AID" "$ADMIN"
is "$HTTP_STATUS" 200 "the last admin key deletes itself"
org GET /projects "$ADMIN"
is "$HTTP_STATUS" 401 "  and is refused next"
ADMIN2=$(ctl admin-key create 2>/dev/null)
org GET /projects "$ADMIN2"
is "$HTTP_STATUS" 200 "vennactl mints a new one that works at once"
run ctl admin-key delete "$ADMIN2"
is "$RC" 0 "admin-key delete takes a whole key too"
org GET /projects "$ADMIN2"
is "$HTTP_STATUS" 401 "  refused next"
tap_done
