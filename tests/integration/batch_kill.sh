#!/bin/bash
# batch_kill.sh: venna-batch is safe to kill and to overlap.
#  1. A 30,000-line batch; passes killed with SIGKILL at 20 random
#     moments, each followed at once by the next pass (as an overlapping
#     cron tick would find it), then passes until the batch is done:
#     every custom_id exactly once across the output and error files,
#     each line billed once, the status only ever moved forward, and
#     integrity_check ok.
#  2. Three passes started at once on three fresh batches: the upstream
#     sees each line exactly once.
# Straight to the database through the API's files and batches, with
# curl through nginx.
. "${top_srcdir:-.}/tests/stack.sh"

require nginx "$NGINX_BIN"
require node "$NODE"
require mock_upstream "$MOCK_UPSTREAM"
require_sqlite3

stack_new
# m-kill runs at most 16 lines per 10 ms, 1,600 lines/s: the 30,000
# lines outlast the kills (20 x at most 0.5 s) on any machine.
start_mock latency=10 || { echo "Bail out! mock"; exit 1; }
KILL_URL=$MOCK_URL
start_mock latency=2 || { echo "Bail out! mock"; exit 1; }
PAIR_URL=$MOCK_URL
stack_conf "[upstream kill]
base_url = $KILL_URL/v1
[upstream pair]
base_url = $PAIR_URL/v1
[model m-kill]
upstream = kill
input_price = 1
batch_concurrency = 16
[model m-pair]
upstream = pair"
stack_init || { echo "Bail out! stack_init"; exit 1; }
start_venna -w 1 -t 4 || { echo "Bail out! venna-fcgi"; exit 1; }
start_nginx || { echo "Bail out! nginx"; exit 1; }

# new_batch MODEL LINES: upload a batch file and create its batch; BID.
new_batch() {
	local model=$1 n=$2
	awk -v m="$model" -v n="$n" 'BEGIN { for (i = 1; i <= n; i++)
	    printf "{\"custom_id\":\"%s-%d\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"line %d\"}]}}\n", m, i, m, i }' \
	    > "$STACK/$model.jsonl"
	http POST "$BASE_URL/files" -H "Authorization: Bearer $KEY_A" \
	    -F purpose=batch -F "file=@$STACK/$model.jsonl"
	local fid
	fid=$(echo "$HTTP_BODY" | sed -n 's/.*"id":"\(file-[^"]*\)".*/\1/p')
	http POST "$BASE_URL/batches" -H "Authorization: Bearer $KEY_A" \
	    -H 'Content-Type: application/json' \
	    -d "{\"input_file_id\":\"$fid\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}"
	BID=$(echo "$HTTP_BODY" | sed -n 's/.*"id":"\(batch_[^"]*\)".*/\1/p')
	[ -n "$BID" ]
}

# custom_ids of batch $1's output and error files, one per line.
result_ids() {
	local f
	for f in $(sql "SELECT output_file_id FROM batches WHERE id = '$1'") \
	    $(sql "SELECT error_file_id FROM batches WHERE id = '$1'"); do
		curl -s "$BASE_URL/files/$f/content" \
		    -H "Authorization: Bearer $KEY_A"
	done | grep -o '"custom_id":"[^"]*"' | cut -d'"' -f4
}

rank() {
	case $1 in
	validating) echo 0 ;; in_progress) echo 1 ;; finalizing) echo 2 ;;
	completed) echo 3 ;; *) echo 9 ;;
	esac
}

# ---- 1: twenty kills ----
N=30000
new_batch m-kill $N || { echo "Bail out! batch"; exit 1; }
kid=$BID
kills=0 last=0 backwards=0 seen=""
for i in $(seq 1 20); do
	"$VENNA_BATCH" -c "$STACK/venna.conf" 2>>"$STACK/batch.log" &
	pid=$!
	sleep "0.$(printf '%02d' $((RANDOM % 45 + 5)))"
	if kill -9 "$pid" 2>/dev/null; then
		kills=$((kills + 1))
	fi
	wait "$pid" 2>/dev/null
	s=$(sql "SELECT status FROM batches WHERE id = '$kid'")
	seen="$seen $s"
	r=$(rank "$s")
	[ "$r" -lt "$last" ] && backwards=1
	last=$r
done
echo "# statuses after each kill:$seen"
check "20 passes were killed mid-run ($kills)" [ "$kills" -eq 20 ]
done_before=$(sql "SELECT completed FROM batches WHERE id = '$kid'")
check "  and the batch was still running after them ($done_before of $N)" \
    [ "$done_before" -lt "$N" ]
for i in $(seq 1 30); do
	s=$(sql "SELECT status FROM batches WHERE id = '$kid'")
	[ "$s" = completed ] && break
	"$VENNA_BATCH" -c "$STACK/venna.conf" 2>>"$STACK/batch.log"
	r=$(rank "$(sql "SELECT status FROM batches WHERE id = '$kid'")")
	[ "$r" -lt "$last" ] && backwards=1
	last=$r
done
is "$(sql "SELECT status FROM batches WHERE id = '$kid'")" completed \
    "the batch completes after the kills"
is "$backwards" 0 "  its status only moved forward"
is "$(sql "SELECT total || ' ' || completed || ' ' || failed FROM batches WHERE id = '$kid'")" \
    "$N $N 0" "  request_counts: $N total, all completed"
result_ids "$kid" | sort > "$STACK/kill.ids"
is "$(wc -l < "$STACK/kill.ids")" "$N" "  $N result lines"
is "$(sort -u "$STACK/kill.ids" | wc -l)" "$N" "  every custom_id exactly once"
cut -d'"' -f4 "$STACK/m-kill.jsonl" | sort > "$STACK/kill.want"
check "  the very custom_ids of the input" cmp -s "$STACK/kill.ids" \
    "$STACK/kill.want"
"$VENNACTL" -c "$STACK/venna.conf" usage >/dev/null 2>&1
is "$(sql "SELECT count(*) FROM usage WHERE batch_id = '$kid'")" "$N" \
    "  one usage row per line, however often a line was sent"
is "$(sql "SELECT count(*) FROM batches WHERE lease_owner IS NOT NULL")" 0 \
    "  no lease left behind"
integrity() { "$VENNACTL" -c "$STACK/venna.conf" db check >/dev/null; }
check "integrity_check is ok" integrity

# ---- 2: three passes at once, on three batches ----
M=2000
pair=""
for i in 1 2 3; do
	new_batch m-pair $M || { echo "Bail out! batch"; exit 1; }
	pair="$pair $BID"
done
stat() { curl -s "$PAIR_URL/_mock/stats" | sed 's/.*"requests":\([0-9]*\).*/\1/'; }
before=$(stat)
pids=""
for i in 1 2 3; do
	"$VENNA_BATCH" -c "$STACK/venna.conf" 2>>"$STACK/batch.log" &
	pids="$pids $!"
done
wait $pids
for i in $(seq 1 10); do
	[ "$(sql "SELECT count(*) FROM batches WHERE status != 'completed'")" = 0 ] &&
	    break
	"$VENNA_BATCH" -c "$STACK/venna.conf" 2>>"$STACK/batch.log"
done
after=$(stat)
is "$(sql "SELECT count(*) FROM batches WHERE status = 'completed'")" 4 \
    "three overlapping passes complete three batches"
is "$((after - before))" "$((3 * M))" \
    "  the upstream got each of their $((3 * M)) lines once"
n=0
for b in $pair; do
	n=$((n + $(result_ids "$b" | sort -u | wc -l)))
done
is "$n" "$((3 * M))" "  every custom_id in their files"
tap_done
