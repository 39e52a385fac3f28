#!/bin/bash
# revoke.sh: "vennactl key revoke" takes effect at once on every worker.
# Each worker caches the key rows it reads; the cache is keyed to a
# generation counter that vennactl bumps after its commit, so the very
# next request after vennactl returns, on whichever worker, is a 401,
# even though every worker has just used the key.
. "${top_srcdir:-.}/tests/stack.sh"

require nginx "$NGINX_BIN"
require node "$NODE"
require_sqlite3

stack_new
# Eight requests at once from one workspace on an 8-thread pool: the
# whole pool is its share (the default, half, would refuse some with
# 429 on a slow run; limits.sh tests that).
STACK_SHARE=100%
stack_conf
stack_init || { echo "Bail out! stack_init"; exit 1; }
start_venna -w 2 -t 4 || { echo "Bail out! venna-fcgi"; exit 1; }
start_nginx || { echo "Bail out! nginx"; exit 1; }
ctl() { "$VENNACTL" -c "$STACK/venna.conf" "$@"; }

check "vennactl init made the key generation file" \
    [ -f "$STACK/venna.db.keygen" ]

code() {
	curl -s -o /dev/null -w '%{http_code}' "$BASE_URL/models" \
	    -H "Authorization: Bearer $1"
}
# warm KEY: 40 requests, 8 at a time, so both workers and most of their
# threads have read the key and cached its row.  Prints their codes.
warm() {
	local i
	for i in $(seq 1 5); do
		for _ in $(seq 1 8); do code "$1" & done
		wait
	done | fold -w3 | sort | uniq -c | awk '{ printf "%s:%s ", $2, $1 }'
	echo
}

for round in 1 2 3 4 5; do
	key=$(ctl key create alpha --name "round $round" 2>/dev/null)
	is "$(warm "$key")" "200:40 " "round $round: a new key works on every worker"
	if [ "$round" -eq 5 ]; then
		# The whole key is accepted by revoke too.
		ctl key revoke "$key" 2>"$STACK/revoke.err"
	else
		ctl key revoke "${key:3:12}" 2>"$STACK/revoke.err"
	fi
	first=$(code "$key")
	is "$first" 401 "  revoked: the very next request is refused"
	is "$(key_codes "$key")" "401:10 " "  and so are the next ten, on every worker"
	check "  vennactl said so" grep -q "revoked" "$STACK/revoke.err"
done

# Other keys keep their cache and keep working.
is "$(key_codes "$KEY_A")" "200:10 " "another key of the workspace still works"
is "$(key_codes "$KEY_B")" "200:10 " "and another workspace's key"
# A revocation made behind vennactl's back (sqlite3) is not announced:
# the cached rows expire within half a second.
key=$(ctl key create alpha --name sql 2>/dev/null)
warm "$key" >/dev/null
sql "UPDATE api_keys SET revoked_at = 1 WHERE id = '${key:3:12}'"
sleep 0.6
is "$(key_codes "$key")" "401:10 " "a key revoked with sqlite3 is refused after half a second"

check "no worker complained about the key generation file" \
    eval '! grep -q "keygen" "$STACK/venna.log"'
tap_done
