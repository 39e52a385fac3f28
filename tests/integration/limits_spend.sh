#!/bin/bash
# limits_spend.sh: a hard spend limit under concurrency, through nginx
# and a pool of three processes.  Twenty rounds, each a fresh workspace
# whose monthly spend limit allows about 50 of 200 requests sent at
# once: every refusal is 429 insufficient_quota, and the spend the
# ledger settled never passes the limit, also in the rounds where a
# worker is killed (SIGKILL) in the middle of the burst.  First the
# organization's limit, over two workspaces at once.
. "${top_srcdir:-.}/tests/stack.sh"

require nginx "$NGINX_BIN"
require node "$NODE"
require curl "$(command -v curl)"
require_sqlite3

stack_new
start_mock || { echo "Bail out! mock"; exit 1; }
# $1,000 per million tokens: a request of this test (about 35 tokens
# estimated, max_tokens 8) reserves about $0.035, and is answered after
# 400 ms, so that the 200 of a round are in flight together; their
# share of the pool is not limited here (max_concurrent = 0).
STACK_SERVER="max_concurrent = 0"
stack_conf "[upstream mock]
base_url = $MOCK_URL/v1
[model m-spend]
upstream = mock
upstream_model = gpt-mock?latency=400
input_price = 1000
output_price = 1000
[model venna-1]
upstream = echo"
stack_init || { echo "Bail out! stack_init"; exit 1; }
start_venna -w 3 -t 64 || { echo "Bail out! venna-fcgi"; exit 1; }
start_nginx || { echo "Bail out! nginx"; exit 1; }
ctl() { "$VENNACTL" -c "$STACK/venna.conf" "$@"; }
LIMIT_USD=1.75
LIMIT_PUSD=1750000000000

# burst KEY N: N requests at once; statuses in $STACK/st, bodies of the
# 429s in $STACK/b.*.
burst() {
	local key=$1 n=$2
	rm -f "$STACK"/b.*
	seq 1 "$n" | xargs -P "$n" -I{} curl -s -o "$STACK/b.{}" \
	    -w '%{http_code}\n' -H "Authorization: Bearer $key" \
	    -H 'Content-Type: application/json' \
	    -d '{"model":"m-spend","max_tokens":8,"messages":[{"role":"user","content":"spend some money {}"}]}' \
	    "$BASE_URL/chat/completions" > "$STACK/st"
}
# settled WS: the workspace's spend in the ledger, in picodollars.
settled() {
	ctl usage >/dev/null 2>&1	# imports the journals
	sql "SELECT coalesce(sum(cost_pusd), 0) FROM usage WHERE workspace_id = '$1'"
}
workers() { pgrep -P "$VENNA_PID" | head -n 3; }

# ---- the organization's limit, shared by two workspaces ----
# First: a killed worker's reservations count as spent (limiter.h), so
# the rounds below would leave the organization less room than its
# ledger shows.
w1=$(ctl workspace create org1) && k1=$(ctl key create org1 2>/dev/null)
w2=$(ctl workspace create org2) && k2=$(ctl key create org2 2>/dev/null)
before=$(ctl usage >/dev/null 2>&1; sql "SELECT coalesce(sum(cost_pusd), 0) FROM usage")
# The organization's limit leaves room for about 30 requests at once.
org_usd=$(awk -v b="$before" 'BEGIN { printf "%.2f", b / 1e12 + 1.0 }')
ctl limits org --spend "$org_usd" >/dev/null || not_ok "limits org"
sleep 0.2
burst2() {
	seq 1 100 | xargs -P 100 -I{} curl -s -o /dev/null -w '%{http_code}\n' \
	    -H "Authorization: Bearer $k2" -H 'Content-Type: application/json' \
	    -d '{"model":"m-spend","max_tokens":8,"messages":[{"role":"user","content":"org {}"}]}' \
	    "$BASE_URL/chat/completions" > "$STACK/st2"
}
burst "$k1" 100 &
b1=$!
burst2
wait "$b1"
total=$(ctl usage >/dev/null 2>&1; sql "SELECT coalesce(sum(cost_pusd), 0) FROM usage")
lim=$(awk -v u="$org_usd" 'BEGIN { printf "%.0f", u * 1e12 }')
check "the organization's limit holds over two workspaces at once ($total <= $lim pusd)" \
    test "$total" -le "$lim"
check "  and refused some of each" \
    eval 'grep -q "^429$" "$STACK/st" && grep -q "^429$" "$STACK/st2"'

ctl limits org --spend none >/dev/null || not_ok "limits org --spend none lifts it"

over=0 badcode=0 rounds_ok=0 admitted_all=""
for r in $(seq 1 20); do
	ws=$(ctl workspace create "spend$r") || { not_ok "round $r: workspace"; continue; }
	key=$(ctl key create "spend$r" 2>/dev/null)
	ctl limits set "spend$r" --spend "$LIMIT_USD" >/dev/null ||
	    { not_ok "round $r: limits set"; continue; }
	sleep 0.2	# the processes see the new limit
	if [ $((r % 2)) -eq 0 ]; then
		burst "$key" 200 &
		bp=$!
		sleep 0.$((RANDOM % 4 + 1))
		kill -KILL "$(workers | shuf -n 1)" 2>/dev/null
		wait "$bp"
	else
		burst "$key" 200
	fi
	n200=$(grep -c '^200$' "$STACK/st")
	n429=$(grep -c '^429$' "$STACK/st")
	admitted_all="$admitted_all $n200"
	codes=$(for f in "$STACK"/b.*; do
		grep -o '"code":"[a-z_]*"' "$f" | head -n 1
	done | sort | uniq -c | grep -v '"code":"insufficient_quota"' |
	    grep -c .)
	[ "$n429" -gt 0 ] && [ "$codes" -gt 0 ] && [ $((r % 2)) -eq 1 ] &&
	    badcode=$((badcode + 1))
	s=$(settled "$ws")
	if [ "$s" -gt "$LIMIT_PUSD" ]; then
		over=$((over + 1))
		echo "# round $r: settled $s pusd > $LIMIT_PUSD"
	fi
	[ "$n200" -ge 20 ] && [ "$n429" -ge 50 ] && rounds_ok=$((rounds_ok + 1))
	echo "# round $r: $n200 admitted, $n429 refused, settled $s pusd"
done
is "$over" 0 "20 rounds of 200 concurrent requests (half with a worker killed): settled spend never passes the limit"
is "$badcode" 0 "  every refusal in the rounds without a kill is insufficient_quota"
is "$rounds_ok" 20 "  each round admits a share of the 200 and refuses the rest (admitted:$admitted_all)"


tap_done
