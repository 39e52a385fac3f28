#!/bin/bash
# sdk_batch.sh: the official OpenAI Node SDK's files and batches
# resources (tests/node/batches.test.mjs) through nginx, with venna-batch
# run between the calls as cron would; then what the SDK cannot show:
# the batch's usage rows at the batch price factor, expiry, and the
# reclaiming of deleted files.
. "${top_srcdir:-.}/tests/stack.sh"

require nginx "$NGINX_BIN"
require node "$NODE"
require mock_upstream "$MOCK_UPSTREAM"
require_sqlite3
require_sdk

stack_new
batch_stack || { echo "Bail out! the stack"; exit 1; }
start_venna -w 2 -t 8 || { echo "Bail out! venna-fcgi"; exit 1; }
start_nginx || { echo "Bail out! nginx"; exit 1; }
export VENNA_BATCH
# conforms METHOD PATH: the last answer fits the OpenAPI document's
# schema for it (tests/node/validate.mjs; the reasons go to the log).
conforms() {
	"$NODE" "$top_srcdir/tests/node/validate.mjs" "$1" "$2" \
	    "$HTTP_STATUS" < "$STACK/http.out"
}

run_sdk batches.test.mjs | sed 's/^/    /'
sdk=${PIPESTATUS[0]}
is "$sdk" 0 "the SDK's batch tests pass"

"$VENNACTL" -c "$STACK/venna.conf" usage >/dev/null 2>&1

# The first SDK test's batch: 30 lines, billed at half price, once each.
bid=$(sql "SELECT id FROM batches WHERE total = 30")
rows=$(sql "SELECT count(*) FROM usage WHERE batch_id = '$bid'")
is "$rows" 30 "each line of the batch has one usage row"
bad=$(sql "SELECT count(*) FROM usage WHERE batch_id = '$bid' AND (key_id IS NULL OR cost_pusd * 2 != prompt_tokens * 1000000 + completion_tokens * 2000000)")
is "$bad" 0 "  at half the model's price, billed to the key"
left=$(sql "SELECT count(*) FROM batch_lines")
is "$left" 0 "finished batches leave no working rows"

# Expiry: a batch past its window ends expired, its finished lines in
# the output file and the unrun ones batch_expired errors (the clock is
# moved by moving expires_at).  m-slow makes a 1 s pass leave lines.
for i in $(seq 1 30); do
	echo "{\"custom_id\":\"x$i\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"m-slow\",\"messages\":[{\"role\":\"user\",\"content\":\"late $i\"}]}}"
done > "$STACK/late.jsonl"
http POST "$BASE_URL/files" -H "Authorization: Bearer $KEY_A" \
    -F purpose=batch -F "file=@$STACK/late.jsonl"
fid=$(echo "$HTTP_BODY" | sed -n 's/.*"id":"\(file-[^"]*\)".*/\1/p')
http POST "$BASE_URL/batches" -H "Authorization: Bearer $KEY_A" \
    -H 'Content-Type: application/json' \
    -d "{\"input_file_id\":\"$fid\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}"
xid=$(echo "$HTTP_BODY" | sed -n 's/.*"id":"\(batch_[^"]*\)".*/\1/p')
"$VENNA_BATCH" -c "$STACK/venna.conf" -t 1 2>>"$STACK/batch.log"
ran=$(sql "SELECT completed FROM batches WHERE id = '$xid'")
check "a 1 s pass ran some lines of the slow batch ($ran)" \
    [ "$ran" -gt 0 ] && [ "$ran" -lt 30 ]
sql "UPDATE batches SET expires_at = strftime('%s','now') - 1 WHERE id = '$xid'"
"$VENNA_BATCH" -c "$STACK/venna.conf" 2>>"$STACK/batch.log"
http GET "$BASE_URL/batches/$xid" -H "Authorization: Bearer $KEY_A"
check "past its window, the batch is expired" \
    grep -q '"status":"expired"' <<< "$HTTP_BODY"
check "  with expired_at set" grep -q '"expired_at":[0-9]' <<< "$HTTP_BODY"
check "  fits the OpenAPI document" conforms GET "/v1/batches/$xid"
ofid=$(echo "$HTTP_BODY" | sed -n 's/.*"output_file_id":"\([^"]*\)".*/\1/p')
efid=$(echo "$HTTP_BODY" | sed -n 's/.*"error_file_id":"\([^"]*\)".*/\1/p')
http GET "$BASE_URL/files/$ofid/content" -H "Authorization: Bearer $KEY_A"
n=$(grep -c '"status_code":200' <<< "$HTTP_BODY")
is "$n" "$ran" "  the lines that ran are in its output file"
printf '%s\n' "$HTTP_BODY" > "$STACK/late.out"
http GET "$BASE_URL/files/$efid/content" -H "Authorization: Bearer $KEY_A"
n=$(grep -c '"response":null,"error":{"code":"batch_expired"' <<< "$HTTP_BODY")
is "$n" "$((30 - ran))" "  the others are batch_expired errors"
printf '%s\n' "$HTTP_BODY" >> "$STACK/late.out"
ids=$(grep -o '"custom_id":"x[0-9]*"' "$STACK/late.out" | sort -u | wc -l)
is "$ids" 30 "  every custom_id once"

# Deleting a file hides it at once; venna-batch reclaims its content
# once the grace period is over.
http DELETE "$BASE_URL/files/$fid" -H "Authorization: Bearer $KEY_A"
is "$HTTP_STATUS" 200 "a file is deleted"
rel=$(ls "$STACK"/files/*/"$fid" 2>/dev/null | head -1)
check "  its content stays for the grace period" [ -n "$rel" ]
sql "UPDATE files SET deleted_at = deleted_at - 3600 WHERE id = '$fid'"
"$VENNA_BATCH" -c "$STACK/venna.conf" 2>>"$STACK/batch.log"
check "  and venna-batch reclaims it after" [ ! -e "$rel" ]
gone=$(sql "SELECT count(*) FROM files WHERE id = '$fid'")
is "$gone" 0 "  with its row"
tap_done
