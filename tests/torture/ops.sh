#!/bin/bash
# ops.sh: the operations the fault torture runs (lib.sh says what an
# operation is made of).  Each check states the invariant it holds the
# operation to; a broken one is a violation, reported with the call
# that failed and where.

# ---- inputs ------------------------------------------------------------------

# make_inputs: the files the operations send, made once per stack.
make_inputs() {
	head -c 100000 /dev/urandom > "$STACK/in/up.bin"
	{
		for i in 1 2 3 4; do
			printf '{"custom_id":"c%d","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[{"role":"user","content":"line %d"}]}}\n' "$i" "$i"
		done
		# Valid JSONL, but the handler refuses it: a line of the
		# error file in every run, faults or not.
		printf '{"custom_id":"c5","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":"not a list"}}\n'
	} > "$STACK/in/batch.jsonl"
	BATCH_IDS="c1 c2 c3 c4 c5"
	BATCH_ERRORS=1		# lines that fail without any fault
}

# upload_file PATH PURPOSE: a fault-free upload; UP_ID.
upload_file() {
	req POST /files -F "purpose=$2" -F "file=@$1"
	UP_ID=$(js "json_extract(b, '\$.id')")
	[ "$STATUS" = 200 ] && [ -n "$UP_ID" ]
}

files_mark() {
	FILES_MARK=$(sql "SELECT coalesce(max(seq), 0) FROM files")
}

# ---- upload ------------------------------------------------------------------
# A 2xx upload is listed and byte-identical; a refused one leaves no
# row and, after the sweep, no content (sweep_check).

op_upload_kind() { echo worker; }
op_upload_before() { files_mark; }
op_upload_run() {
	req POST /files -F purpose=user_data -F "file=@$STACK/in/up.bin"
}
op_upload_check() { upload_check "$STACK/in/up.bin" user_data; }

op_upload_batch_kind() { echo worker; }
op_upload_batch_before() { files_mark; }
op_upload_batch_run() {
	req POST /files -F purpose=batch -F "file=@$STACK/in/batch.jsonl"
}
op_upload_batch_check() { upload_check "$STACK/in/batch.jsonl" batch; }

upload_check() {
	local src=$1 purpose=$2 id bytes rows
	rows=$(sql "SELECT id FROM files WHERE seq > $FILES_MARK")
	if judge_answer "the upload"; then
		OP_OK=1
		id=$(js "json_extract(b, '\$.id')")
		bytes=$(js "json_extract(b, '\$.bytes')")
		if [ "$(js "json_extract(b, '\$.object')")" != file ] ||
		    [ -z "$id" ] || [ "$bytes" != "$(stat -c %s "$src")" ]; then
			violate "a 200 that is not the file object: $(head -c 200 "$BODY_FILE")"
			return
		fi
		[ "$rows" = "$id" ] ||
		    violate "a 200 upload left rows '${rows//$'\n'/ }', not its own $id alone"
		curl -s -o "$STACK/dl" --max-time 10 \
		    "$BASE_URL/files/$id/content" -H "$AUTH_A"
		cmp -s "$STACK/dl" "$src" ||
		    violate "the 200 upload $id does not read back byte-identical"
		echo "$id $src" >> "$STACK/ok.files"
	else
		OP_OK=0
		if [ -n "$rows" ]; then
			lost_in_transit "an upload answered $ANSWER left the file row ${rows//$'\n'/ } (a retry duplicates it)"
		fi
	fi
}

# ---- file delete ---------------------------------------------------------------
# A 2xx delete hides the file at once and its content goes with the
# sweep; a refused one leaves the file as it was.

op_file_delete_kind() { echo worker; }
op_file_delete_before() {
	upload_file "$STACK/in/up.bin" user_data ||
	    violate "setup: a fault-free upload answered $STATUS"
	DEL_ID=$UP_ID
}
op_file_delete_run() { req DELETE "/files/$DEL_ID"; }
op_file_delete_check() {
	if judge_answer "the delete"; then
		OP_OK=1
		[ "$(js "json_extract(b, '\$.deleted')")" = 1 ] &&
		    [ "$(js "json_extract(b, '\$.id')")" = "$DEL_ID" ] ||
		    violate "a 200 delete that is not the deletion object: $(head -c 200 "$BODY_FILE")"
		req GET "/files/$DEL_ID"
		[ "$STATUS" = 404 ] ||
		    violate "deleted with a 200, the file still answers $STATUS"
		echo "$DEL_ID" >> "$STACK/gone.files"
	else
		OP_OK=0
		req GET "/files/$DEL_ID/content"
		if [ "$STATUS" = 200 ] && cmp -s "$BODY_FILE" "$STACK/in/up.bin"
		then
			echo "$DEL_ID $STACK/in/up.bin" >> "$STACK/ok.files"
		else
			lost_in_transit "a delete answered $ANSWER, yet the file is gone ($STATUS)"
			echo "$DEL_ID" >> "$STACK/gone.files"
		fi
	fi
}

# ---- chat, embeddings -------------------------------------------------------------
# A 200 is whole and has exactly one usage row, billed; an error has
# none billed as a success.

CHAT='{"model":"m","messages":[{"role":"user","content":"four words of torture"}]}'
CHAT_STREAM='{"model":"m","stream":true,"messages":[{"role":"user","content":"four words of torture"}]}'

op_chat_kind() { echo worker; }
op_chat_before() { usage_mark; }
op_chat_run() { chat_request "$CHAT"; }
op_chat_check() {
	if judge_answer "the chat completion"; then
		OP_OK=1
		[ "$(js "json_extract(b, '\$.object') = 'chat.completion' AND
		    json_type(b, '\$.choices[0].message.content') = 'text'")" = 1 ] ||
		    violate "a half-written 200: $(head -c 200 "$BODY_FILE")"
		check_billing 1 "$RID"
	else
		OP_OK=0
		check_billing 0 "$RID"
	fi
}

op_embeddings_kind() { echo worker; }
op_embeddings_before() { usage_mark; }
op_embeddings_run() {
	req POST /embeddings -H 'content-type: application/json' \
	    -d '{"model":"m","input":"four words of torture"}'
}
op_embeddings_check() {
	if judge_answer "the embeddings"; then
		OP_OK=1
		[ "$(js "json_extract(b, '\$.object') = 'list' AND
		    json_type(b, '\$.data[0].embedding') = 'array'")" = 1 ] ||
		    violate "a half-written 200: $(head -c 200 "$BODY_FILE")"
		check_billing 1 "$RID"
	else
		OP_OK=0
		check_billing 0 "$RID"
	fi
}

# A stream: [DONE] after whole JSON events is a success (one row); a
# stream that stops must say why in an error event, unless its worker
# died (the client then sees the stream cut, never a false [DONE]).
op_chat_stream_kind() { echo worker; }
op_chat_stream_before() { usage_mark; }
op_chat_stream_run() { chat_request "$CHAT_STREAM"; }
op_chat_stream_check() {
	local bad done_n err_n
	if ! judge_answer "the stream"; then
		OP_OK=0
		check_billing 0 "$RID"
		return
	fi
	tr -d '\r' < "$BODY_FILE" | sed -n 's/^data: //p' > "$STACK/events"
	done_n=$(grep -c '^\[DONE\]$' "$STACK/events")
	err_n=$(grep -c '^{"error"' "$STACK/events")
	bad=$(grep -v '^\[DONE\]$' "$STACK/events" |
	    awk '{ gsub(/'\''/, "'\'''\''"); print "SELECT json_valid('\''" $0 "'\'');" }' |
	    "$SQLITE3_BIN" :memory: | grep -c '^0$')
	if [ "$done_n" = 1 ] && [ "$err_n" = 0 ]; then
		OP_OK=1
		[ "$bad" = 0 ] || violate "a stream with [DONE] carries $bad broken events"
		check_billing 1 "$RID"
		return
	fi
	OP_OK=0
	ANSWER="200 stream, ended by ${err_n} error event(s)"
	if [ "$done_n" != 0 ]; then
		violate "a stream with both an error and [DONE]"
	elif [ "$err_n" = 0 ]; then
		ANSWER="200 stream, cut"
		# Cut is all a stream can be when its worker died, or when
		# the write to the web server is what failed (nothing more
		# can be said on it); otherwise it must say why.
		if [ -z "$CRASH" ] && ! client_write_fault; then
			violate "a 200 stream cut with neither [DONE] nor an error event, its worker alive"
		fi
		if client_write_fault; then
			ANSWER_RID=
		fi
	fi
	check_billing 0 "$RID"
}

# client_write_fault: did the fault strike a write to the web server?
# From N on, every later write fails: the web server's too.
client_write_fault() {
	[ "$MODE" = from ] && case $FN in write | writev) return 0 ;; esac
	case $SITE in
	*OS_Write* | *o_flush* | *fcgi_out*) return 0 ;;
	esac
	return 1
}

# ---- responses ------------------------------------------------------------------
# A 200 response is stored (GET finds it) and billed once; a chain
# survives a failed turn: the turn before it still answers and can be
# continued.

op_responses_kind() { echo worker; }
op_responses_before() { usage_mark; }
op_responses_run() {
	req POST /responses -H 'content-type: application/json' \
	    -d '{"model":"m","input":"four words of torture"}'
}
op_responses_check() {
	local id
	if judge_answer "the response"; then
		OP_OK=1
		id=$(js "json_extract(b, '\$.id')")
		[ "$(js "json_extract(b, '\$.object') = 'response' AND
		    json_extract(b, '\$.status') = 'completed'")" = 1 ] ||
		    violate "a half-written 200: $(head -c 200 "$BODY_FILE")"
		check_billing 1 "$RID"
		req GET "/responses/$id"
		[ "$STATUS" = 200 ] ||
		    violate "the 200 response $id is not stored: GET answers $STATUS"
	else
		OP_OK=0
		check_billing 0 "$RID"
	fi
}

# The first turn of the chains: made once per stack, fault-free.
chain_root() {
	[ -n "${CHAIN_ROOT:-}" ] && return 0
	req POST /responses -H 'content-type: application/json' \
	    -d '{"model":"m","input":"the first turn"}'
	CHAIN_ROOT=$(js "json_extract(b, '\$.id')")
	import_usage
	echo "$RID" >> "$STACK/ok.ids"
}

# continue_from ID: a fault-free turn after ID; 0 if it answers 200.
continue_from() {
	req POST /responses -H 'content-type: application/json' \
	    -d "{\"model\":\"m\",\"input\":\"and then?\",\"previous_response_id\":\"$1\"}"
	[ "$STATUS" = 200 ] && echo "$RID" >> "$STACK/ok.ids"
	[ "$STATUS" = 200 ]
}

op_responses_chain_kind() { echo worker; }
op_responses_chain_before() { chain_root; usage_mark; }
op_responses_chain_run() {
	req POST /responses -H 'content-type: application/json' \
	    -d "{\"model\":\"m\",\"input\":\"the next turn\",\"previous_response_id\":\"$CHAIN_ROOT\"}"
}
op_responses_chain_check() {
	local id
	if judge_answer "the chained response"; then
		OP_OK=1
		id=$(js "json_extract(b, '\$.id')")
		[ "$(js "json_extract(b, '\$.status') = 'completed' AND
		    json_extract(b, '\$.previous_response_id') = '$CHAIN_ROOT'")" = 1 ] ||
		    violate "a half-written 200: $(head -c 200 "$BODY_FILE")"
		check_billing 1 "$RID"
		continue_from "$id" ||
		    violate "the 200 turn $id cannot be continued: $STATUS $(head -c 160 "$BODY_FILE")"
	else
		OP_OK=0
		check_billing 0 "$RID"
	fi
	req GET "/responses/$CHAIN_ROOT"
	[ "$STATUS" = 200 ] ||
	    violate "after the turn, the turn before it answers $STATUS"
	continue_from "$CHAIN_ROOT" ||
	    violate "after the turn, the turn before it cannot be continued: $STATUS $(head -c 160 "$BODY_FILE")"
}

# background: queued at once, then run by the worker's executor (the
# fault is kept armed until the row is final, watched in the database,
# not through the worker).  It must end: completed (stored, billed
# once) or failed (billed never); left running, venna-batch's
# recovery must end it.
op_responses_bg_kind() { echo worker; }
op_responses_bg_before() { usage_mark; }
op_responses_bg_run() {
	BG_ID=
	req POST /responses -H 'content-type: application/json' \
	    -d '{"model":"m","input":"four words of torture","background":true}'
	[ "$STATUS" = 200 ] || return 0
	BG_ID=$(js "json_extract(b, '\$.id')")
	[ -n "$BG_ID" ] && bg_wait "${BG_WAIT:-10}"
}

# bg_wait SECONDS: until the background response is final; BG_STATUS.
bg_wait() {
	local i
	for ((i = 0; i < $1 * 20; i++)); do
		BG_STATUS=$(sql "SELECT status FROM responses WHERE id = '$BG_ID'")
		case $BG_STATUS in
		completed | failed | cancelled | incomplete) return 0 ;;
		esac
		sleep 0.05
	done
	return 1
}

op_responses_bg_check() {
	local rows n200
	if ! judge_answer "the background response"; then
		OP_OK=0
		check_billing 0 "$RID"
		return
	fi
	if [ -z "$BG_ID" ] || [ "$(js "json_extract(b, '\$.status') IN ('queued', 'in_progress')")" != 1 ]; then
		OP_OK=0
		violate "a half-written 200 (the background response's object): '$(head -c 200 "$BODY_FILE")'"
		check_billing 0 "$RID"
		return
	fi
	if ! bg_wait 0; then
		# The worker lives but the response does not move: the
		# recovery of venna-batch is the last resort.
		"$VENNA_BATCH" -c "$STACK/venna.conf" 2>>"$STACK/batch.log"
		bg_wait 3 ||
		    violate "hang: background response $BG_ID still $BG_STATUS after ${BG_WAIT:-10} s, a venna-batch pass and 3 s more"
	fi
	import_usage
	rows=$(new_rows)
	n200=$(grep -c '|200|' <<<"$rows")
	case $BG_STATUS in
	completed)
		OP_OK=1
		ANSWER="200 queued, then completed"
		[ "$n200" = 1 ] ||
		    violate "background response $BG_ID completed with $n200 usage rows billed as 200"
		grep '|200|' <<<"$rows" | cut -d'|' -f1 >> "$STACK/ok.ids"
		req GET "/responses/$BG_ID"
		[ "$(js "json_extract(b, '\$.status')")" = completed ] ||
		    violate "background response $BG_ID completed in the database, GET says $STATUS $(head -c 120 "$BODY_FILE")"
		;;
	*)
		OP_OK=0
		ANSWER="200 queued, then ${BG_STATUS:-none}"
		[ "$n200" = 0 ] ||
		    violate "background response $BG_ID ended $BG_STATUS yet has a usage row billed as 200"
		;;
	esac
}

# ---- batches ------------------------------------------------------------------------
# A pass of venna-batch under the fault, then fault-free passes until
# the batch ends: it must end as it would have without the fault
# (completed, the same lines failed), every custom_id exactly once
# across the output and error files, request_counts agreeing with the
# files, each output line billed once.

# new_batch: a fault-free upload and batch; BATCH_ID.
new_batch() {
	BATCH_ID=
	upload_file "$STACK/in/batch.jsonl" batch || {
		violate "setup: a fault-free batch upload answered $STATUS"
		return 1
	}
	echo "$UP_ID $STACK/in/batch.jsonl" >> "$STACK/ok.files"
	req POST /batches -H 'content-type: application/json' \
	    -d "{\"input_file_id\":\"$UP_ID\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}"
	BATCH_ID=$(js "json_extract(b, '\$.id')")
	[ "$STATUS" = 200 ] && [ -n "$BATCH_ID" ] || {
		violate "setup: a fault-free batch create answered $STATUS"
		return 1
	}
}

op_batch_kind() { echo batch; }
op_batch_before() { usage_mark; new_batch; }
op_batch_run() {
	[ -n "$BATCH_ID" ] || return 0
	with_fault timeout -k 5 "$BATCH_MAX_TIME" \
	    "$VENNA_BATCH" -c "$STACK/venna.conf" 2>>"$STACK/batch.log"
	RC=$?
	ANSWER="exit $RC"
}
op_batch_check() {
	[ -n "$BATCH_ID" ] || return 0
	cli_fate "venna-batch" || return 0
	batch_outcome "$BATCH_ID"
}

# batch_outcome ID: fault-free passes until the batch ends, then its
# invariants.
batch_outcome() {
	local id=$1 i st out err total done failed ids n dup
	for i in 1 2 3 4; do
		st=$(sql "SELECT status FROM batches WHERE id = '$id'")
		case $st in
		completed | failed | expired | cancelled) break ;;
		esac
		"$VENNA_BATCH" -c "$STACK/venna.conf" 2>>"$STACK/batch.log"
	done
	st=$(sql "SELECT status FROM batches WHERE id = '$id'")
	ANSWER="$ANSWER, then $st"
	if [ "$st" != completed ]; then
		OP_OK=0
		violate "batch $id ended '$st' after fault-free passes, not completed: a transient fault changed its outcome ($(sql "SELECT errors FROM batches WHERE id = '$id'" | head -c 200))"
		return
	fi
	req GET "/batches/$id"
	cp "$BODY_FILE" "$STACK/batch.json"
	total=$(js "json_extract(b, '\$.request_counts.total')" "$STACK/batch.json")
	done=$(js "json_extract(b, '\$.request_counts.completed')" "$STACK/batch.json")
	failed=$(js "json_extract(b, '\$.request_counts.failed')" "$STACK/batch.json")
	: > "$STACK/batch.out"
	: > "$STACK/batch.err"
	out=$(js "json_extract(b, '\$.output_file_id')" "$STACK/batch.json")
	err=$(js "json_extract(b, '\$.error_file_id')" "$STACK/batch.json")
	[ -n "$out" ] && curl -s -o "$STACK/batch.out" --max-time 10 \
	    "$BASE_URL/files/$out/content" -H "$AUTH_A"
	[ -n "$err" ] && curl -s -o "$STACK/batch.err" --max-time 10 \
	    "$BASE_URL/files/$err/content" -H "$AUTH_A"
	ids=$(cat "$STACK/batch.out" "$STACK/batch.err" |
	    sed -n 's/.*"custom_id":"\([^"]*\)".*/\1/p' | sort)
	[ "$(echo $ids)" = "$BATCH_IDS" ] ||
	    violate "batch $id: custom_ids across output and error files are '$(echo $ids)', not each of '$BATCH_IDS' once"
	n=$(grep -c . "$STACK/batch.out")
	[ "$total" = 5 ] && [ "$done" = "$n" ] &&
	    [ "$failed" = "$(grep -c . "$STACK/batch.err")" ] ||
	    violate "batch $id: request_counts total=$total completed=$done failed=$failed, files hold $n output and $(grep -c . "$STACK/batch.err") error lines"
	if [ "$MODE" != from ] &&
	    [ "$(grep -c . "$STACK/batch.err")" -gt $((BATCH_ERRORS + 1)) ]; then
		violate "batch $id: $(grep -c . "$STACK/batch.err") lines in the error file for one failed call (without the fault: $BATCH_ERRORS): $(sed -n 's/.*"message":"\([^"]*\)".*/\1/p' "$STACK/batch.err" | sort | uniq -c | head -n 2 | tr '\n' ' ')"
	fi
	import_usage
	n=$(sql "SELECT count(*) FROM usage WHERE batch_id = '$id' AND status = 200")
	[ "$n" = "$done" ] ||
	    violate "batch $id: $n usage rows billed as 200 for $done completed lines"
	dup=$(sql "SELECT request_id FROM usage WHERE batch_id = '$id'
	    GROUP BY request_id HAVING count(*) > 1" | head -n 2)
	[ -z "$dup" ] || violate "batch $id: usage rows twice: $dup"
	OP_OK=$([ "$RC" = 0 ] && echo 1 || echo 0)
}

# batch_create: POST /v1/batches in the worker, under the fault; a 200
# batch then runs to completion; a refused one leaves no batch.
op_batch_create_kind() { echo worker; }
op_batch_create_before() {
	BATCH_MARK=$(sql "SELECT coalesce(max(seq), 0) FROM batches")
	upload_file "$STACK/in/batch.jsonl" batch ||
	    violate "setup: a fault-free batch upload answered $STATUS"
	echo "$UP_ID $STACK/in/batch.jsonl" >> "$STACK/ok.files"
	BC_FILE=$UP_ID
}
op_batch_create_run() {
	req POST /batches -H 'content-type: application/json' \
	    -d "{\"input_file_id\":\"$BC_FILE\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}"
}
op_batch_create_check() {
	local id rows
	rows=$(sql "SELECT id FROM batches WHERE seq > $BATCH_MARK")
	if judge_answer "the batch create"; then
		OP_OK=1
		id=$(js "json_extract(b, '\$.id')")
		[ "$(js "json_extract(b, '\$.object')")" = batch ] && [ "$rows" = "$id" ] || {
			violate "a 200 batch create that is not its batch alone: rows '$rows', $(head -c 160 "$BODY_FILE")"
			return
		}
		RC=0
		batch_outcome "$id"
	else
		OP_OK=0
		[ -z "$rows" ] ||
		    lost_in_transit "a batch create answered $ANSWER left the batch $rows"
	fi
}

# ---- vennactl ---------------------------------------------------------------------

# cli_fate NAME: after a command under the fault (RC its status): a
# crash is a library case or a violation; a timeout a hang.  Returns 1
# when the command did not end by itself.
cli_fate() {
	local sig where lib
	CRASH=
	[ "$RC" -lt 124 ] && return 0
	if [ "$RC" = 124 ] || [ "$RC" = 137 ]; then
		violate "hang: $1 still running after its time limit"
		return 1
	fi
	sig=$((RC - 128))
	if [ -f "$CTL.crash" ]; then
		lib=$(sed 1d "$CTL.crash" | grep -v '/libc\.so\|/ld-linux' |
		    head -n 1)
		where=$(site_of "$CTL.crash")
	fi
	CRASH=$(crash_class "$sig" "${lib:-}" "${where:-}")
	case $CRASH in
	library:*) ;;
	*) violate "$1: $CRASH" ;;
	esac
	rm -f "$CTL.crash"
	return 0
}

op_key_create_kind() { echo ctl; }
# A key that failed may leave a revoked row (the audit log names it),
# never a usable one.
op_key_create_before() {
	KEYS_MARK=$(sql "SELECT count(*) FROM api_keys WHERE revoked_at IS NULL")
}
op_key_create_run() {
	with_fault timeout -k 5 20 "$VENNACTL" -c "$STACK/venna.conf" \
	    key create alpha --name torture > "$STACK/ctl.out" \
	    2> "$STACK/ctl.err"
	RC=$?
	ANSWER="exit $RC"
}
op_key_create_check() {
	local key n code
	cli_fate vennactl || return 0
	n=$(sql "SELECT count(*) FROM api_keys WHERE revoked_at IS NULL")
	key=$(grep -o 'vk_[A-Za-z0-9_]*' "$STACK/ctl.out" | head -n 1)
	if [ "$RC" = 0 ]; then
		OP_OK=1
		[ -n "$key" ] || { violate "key create exit 0 without a key"; return; }
		[ "$n" = $((KEYS_MARK + 1)) ] ||
		    violate "key create exit 0 left $((n - KEYS_MARK)) new key rows"
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
		    "$BASE_URL/models" -H "Authorization: Bearer $key")
		[ "$code" = 200 ] || violate "the key made with exit 0 answers $code"
	else
		OP_OK=0
		[ -s "$STACK/ctl.err" ] || violate "key create failed (exit $RC) silently"
		[ -z "$key" ] || violate "key create printed a key and failed (exit $RC)"
		if [ "$n" != "$KEYS_MARK" ]; then
			if sqlite_sync_fault; then
				ANSWER="$ANSWER; committed although its sync failed"
			else
				violate "key create failed (exit $RC) yet left a usable key no one was shown"
			fi
		fi
	fi
}

# A revoke that says it worked is refused by the worker at once; one
# that failed leaves the key either working and not revoked, or
# revoked and refused: never revoked in the database and still let in.
op_key_revoke_kind() { echo ctl; }
op_key_revoke_before() {
	REV_KEY=$("$VENNACTL" -c "$STACK/venna.conf" key create alpha \
	    --name revoke 2>/dev/null)
	curl -s -o /dev/null --max-time 10 "$BASE_URL/models" \
	    -H "Authorization: Bearer $REV_KEY"
}
op_key_revoke_run() {
	with_fault timeout -k 5 20 "$VENNACTL" -c "$STACK/venna.conf" \
	    key revoke "$REV_KEY" > "$STACK/ctl.out" 2> "$STACK/ctl.err"
	RC=$?
	ANSWER="exit $RC"
}
op_key_revoke_check() {
	local revoked code
	cli_fate vennactl || return 0
	revoked=$(sql "SELECT revoked_at IS NOT NULL FROM api_keys
	    WHERE id = '${REV_KEY:3:12}'")
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
	    "$BASE_URL/models" -H "Authorization: Bearer $REV_KEY")
	if [ "$RC" = 0 ]; then
		OP_OK=1
		[ "$revoked" = 1 ] && [ "$code" = 401 ] ||
		    violate "key revoke exit 0, yet revoked=$revoked in the database and the worker answers $code"
	else
		OP_OK=0
		[ -s "$STACK/ctl.err" ] || violate "key revoke failed (exit $RC) silently"
		case $revoked:$code in
		0:200 | 1:401) ;;
		*) violate "key revoke failed (exit $RC): revoked=$revoked in the database, the worker answers $code" ;;
		esac
	fi
}

# The importer under the fault: journaled rows end up in the usage
# table exactly once, whatever pass is cut where.
op_usage_import_kind() { echo ctl; }
op_usage_import_before() {
	local i
	for i in 1 2; do
		chat_request "$CHAT"
		[ "$STATUS" = 200 ] && echo "$RID" >> "$STACK/ok.ids"
	done
}
op_usage_import_run() {
	with_fault timeout -k 5 20 "$VENNACTL" -c "$STACK/venna.conf" \
	    usage > /dev/null 2> "$STACK/ctl.err"
	RC=$?
	ANSWER="exit $RC"
}
op_usage_import_check() {
	cli_fate vennactl || return 0
	OP_OK=$([ "$RC" = 0 ] && echo 1 || echo 0)
	# global_check imports again and looks for every row, once.
}
