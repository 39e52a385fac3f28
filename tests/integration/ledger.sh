#!/bin/bash
# ledger.sh: every chat completion the client saw succeed has its usage
# row, even when workers are killed with SIGKILL in the middle of a load
# run; the database stays intact.  Through nginx, with a mock upstream
# that takes 20 ms, so requests are in flight when the kills land.
. "${top_srcdir:-.}/tests/stack.sh"

require nginx "$NGINX_BIN"
require node "$NODE"
require_sqlite3

stack_new
start_mock latency=20 || { echo "Bail out! mock"; exit 1; }
stack_conf "[upstream mock]
base_url = $MOCK_URL/v1
[model m]
upstream = mock
input_price = 1
output_price = 2"
stack_init || { echo "Bail out! stack_init"; exit 1; }
start_venna -w 3 -t 16 || { echo "Bail out! venna-fcgi"; exit 1; }
start_nginx || { echo "Bail out! nginx"; exit 1; }

body='{"model":"m","messages":[{"role":"user","content":"count these four words"}]}'
"$NODE" "$top_srcdir/tests/node/load.mjs" "$BASE_URL/chat/completions" \
    "$KEY_A" 24 7000 - "$body" "$STACK/ok.ids" > "$STACK/load.json" &
loadpid=$!
kills=0
# Workers killed young look like a crash loop to the master, which then
# waits before respawning: space the kills so each finds a worker.
for i in $(seq 1 8); do
	sleep 0.75
	victim=$(pgrep -P "$VENNA_PID" | shuf -n 1)
	[ -n "$victim" ] && kill -9 "$victim" && kills=$((kills + 1))
done
wait "$loadpid"
echo "# load: $(cat "$STACK/load.json"), $kills workers killed"
okc=$(grep -c . "$STACK/ok.ids")
check "requests succeeded through the kills ($okc)" [ "$okc" -gt 500 ]
check "and $kills workers were killed" [ "$kills" -ge 5 ]

# The rows of killed workers' journals are imported too.
import_usage() {
	"$VENNACTL" -c "$STACK/venna.conf" usage > /dev/null 2> "$STACK/usage.err" ||
	    { sed 's/^/# /' "$STACK/usage.err"; return 1; }
}
check "vennactl usage imports every journal" import_usage
"$SQLITE3_BIN" "$STACK/venna.db" "SELECT request_id FROM usage" |
    sort > "$STACK/rows.ids"
sort -u "$STACK/ok.ids" > "$STACK/ok.sorted"
missing=$(comm -23 "$STACK/ok.sorted" "$STACK/rows.ids" | wc -l)
is "$missing" 0 "every request the client saw succeed has its usage row"
dups=$("$SQLITE3_BIN" "$STACK/venna.db" "SELECT count(*) - count(DISTINCT request_id) FROM usage")
is "$dups" 0 "no row twice"
"$SQLITE3_BIN" "$STACK/venna.db" "SELECT request_id FROM usage WHERE status = 200 AND prompt_tokens = 4 AND completion_tokens > 0 AND cost_pusd = 4000000 + 2000000 * completion_tokens" |
    sort > "$STACK/billed.ids"
unbilled=$(comm -23 "$STACK/ok.sorted" "$STACK/billed.ids" | wc -l)
is "$unbilled" 0 "  each a 200 with its tokens and its cost"
integrity() { "$VENNACTL" -c "$STACK/venna.conf" db check >/dev/null; }
check "integrity_check is ok" integrity
tap_done
