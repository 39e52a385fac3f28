#!/bin/bash
# lib.sh: power-loss rounds, sourced by the tests of tests/powerloss.
#
# A round: Venna (venna-fcgi and its workers, venna-batch passes) runs
# under powerloss.so, which keeps an undo log of every unsynced write
# under Venna's state directory ($STATE); a client (load.mjs) keeps chat
# completions, streams and uploads going through nginx, a batch runs;
# at a random moment every process of Venna is stopped, then killed
# (SIGSTOP first: a worker must not see its master die and drain);
# powercut rewinds each file to its last synced state plus a random
# prefix of its unsynced writes (some torn); Venna is started again on
# what is left, without the library, and the promises are checked.
# The checks are cumulative: what one round showed kept must still be
# there after the next.
#
# The caller sets PL_SYNC (normal or full) and may set:
#   PL_ROUNDS, PL_SEED       how many rounds; the seed (printed)
#   PL_TORN                  percent of files whose last kept write is
#                            torn
#   PL_CUT                   more powercut options (-n: names too)
#   PL_WORST_EVERY           every so many rounds the cut keeps no
#                            unsynced write at all (-z)
#   PL_IMPORT_MS             normal: how much older than the database's
#                            last sync a lost success may be (the
#                            checkpointer imports, then syncs)
#   PL_TODO_ROWS, PL_TODO_FILES, PL_TODO_JOURNALS
#                            a known defect breaking that promise: its
#                            check is a TAP TODO (expected to fail; an
#                            unexpected pass fails the test, so the mark
#                            goes with the fix)
#   PL_KEEP_ON_FAIL=1        stop at the first failing round, keep $STACK
. "${top_srcdir:-.}/tests/stack.sh"

POWERLOSS_SO="$top_builddir/tests/powerloss/powerloss.so"
POWERCUT="$top_builddir/tests/powerloss/powercut"
: "${PL_ROUNDS:=4}"
: "${PL_SEED:=$(( $(date +%s) % 100000 ))}"
: "${PL_TORN:=30}"
: "${PL_CUT:=}"
: "${PL_IMPORT_MS:=1000}"
: "${PL_BATCH_LINES:=120}"
: "${PL_WORST_EVERY:=2}"

require nginx "$NGINX_BIN"
require node "$NODE"
require mock_upstream "$MOCK_UPSTREAM"
require powercut "$POWERCUT"
[ -f "$POWERLOSS_SO" ] || require "powerloss.so (make check builds it)" ""
require_sqlite3

# The database is in $STATE, not where stack.sh's sql looks.
sql() { "$SQLITE3_BIN" "$STATE/venna.db" "$1"; }

# pl_is GOT WANT NAME [TODO]: is, or with TODO (a known defect) a TAP
# TODO check: its failure is expected and does not fail the test, its
# pass is an XPASS, which does.
pl_is() {
	local failed=$tap_failed
	if [ -n "${4:-}" ]; then
		is "$1" "$2" "$3 # TODO $4"
		tap_failed=$failed
	else
		is "$1" "$2" "$3"
	fi
}

# pl_conf FILE BATCH_CONCURRENCY: Venna's configuration, the state in
# $STATE.  The batch model is slow under load (its lines are in flight
# when the power goes) and fast when the batch is finished after.
pl_conf() {
	{
		echo "[server]"
		[ "$(id -u)" -eq 0 ] && echo "user = root"
		echo "database = $STATE/venna.db"
		echo "log_level = info"
		echo "synchronous = $PL_SYNC"
		echo "[upstream mock]"
		echo "base_url = $MOCK_URL/v1"
		echo "[upstream slow]"
		echo "base_url = $SLOW_URL/v1"
		echo "[model m]"
		echo "upstream = mock"
		echo "input_price = 1"
		echo "output_price = 2"
		echo "[model m-batch]"
		echo "upstream = slow"
		echo "batch_concurrency = $2"
	} > "$1"
}

pl_setup() {
	stack_new
	STATE=$STACK/state
	PLOG=$STACK/plog
	mkdir -p "$STATE" "$PLOG"
	# The batch's lines take 100 ms, two at a time while the load runs:
	# about 6 s for the batch, so the power goes with lines in flight.
	start_mock latency=100 || return 1
	SLOW_URL=$MOCK_URL
	start_mock latency=20 || return 1
	pl_conf "$STACK/venna.conf" 2
	pl_conf "$STACK/finish.conf" 32
	stack_init || return 1
	start_nginx || return 1
	OK=$STACK/ok.all		# every success seen so far
	: > "$OK"
	: > "$STACK/batches"
	echo "# seed $PL_SEED, synchronous = $PL_SYNC, $PL_ROUNDS rounds," \
	    "torn $PL_TORN%, powercut options: ${PL_CUT:-none}"
}

# pl_venna [traced]: the pool on $STACK/venna.sock, under powerloss.so
# when traced.
pl_venna() {
	rm -f "$STACK/venna.sock"
	if [ "${1:-}" = traced ]; then
		pl_env "$VENNA_FCGI" -c "$STACK/venna.conf" \
		    -l "$STACK/venna.sock" -w 2 -t 8 2>>"$STACK/venna.log" &
	else
		"$VENNA_FCGI" -c "$STACK/venna.conf" -l "$STACK/venna.sock" \
		    -w 2 -t 8 2>>"$STACK/venna.log" &
	fi
	VENNA_PID=$!
	stack_track "$VENNA_PID"
	wait_listen "$STACK/venna.sock"
}

# pl_env COMMAND...: COMMAND under powerloss.so.  A sanitizer's runtime
# wants to be first among the libraries; here it comes second.
pl_env() {
	env LD_PRELOAD="$POWERLOSS_SO" POWERLOSS_ROOT="$STATE" \
	    POWERLOSS_LOG="$PLOG" \
	    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
	    "$@"
}

pl_stop_venna() {
	kill -TERM "$VENNA_PID" 2>/dev/null
	wait "$VENNA_PID" 2>/dev/null
}

# A batch of PL_BATCH_LINES lines on m-batch, created through the API;
# its id is appended to $STACK/batches with its input file's name.
pl_batch() {
	local r=$1 f="$STACK/batch.$1.jsonl" fid bid
	awk -v n="$PL_BATCH_LINES" -v r="$r" 'BEGIN { for (i = 1; i <= n; i++)
	    printf "{\"custom_id\":\"r%d-%d\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"m-batch\",\"messages\":[{\"role\":\"user\",\"content\":\"line %d\"}]}}\n", r, i, i }' \
	    > "$f"
	http POST "$BASE_URL/files" -H "Authorization: Bearer $KEY_A" \
	    -F purpose=batch -F "file=@$f"
	fid=$(jv b.id)
	http POST "$BASE_URL/batches" -H "Authorization: Bearer $KEY_A" \
	    -H 'Content-Type: application/json' \
	    -d "{\"input_file_id\":\"$fid\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}"
	bid=$(jv b.id)
	case $bid in
	batch_*) echo "$bid $f $(date +%s%3N)" >> "$STACK/batches" ;;
	*) echo "# round $r: the batch was not created: $HTTP_BODY" ;;
	esac
}

# The pids of the processes that loaded powerloss.so with this log and
# are still alive (zombies are dead: they write nothing).
pl_pids() {
	local f p st
	for f in "$PLOG"/pids/*; do
		[ -e "$f" ] || continue
		p=${f##*/}
		st=$(awk '{ print $3 }' "/proc/$p/stat" 2>/dev/null) || continue
		[ "$st" = Z ] && continue
		# The pid is ours only if its environment names our log.
		tr '\0' '\n' < "/proc/$p/environ" 2>/dev/null |
		    grep -qxF "POWERLOSS_LOG=$PLOG" && echo "$p"
	done
}

# The power goes: every process of Venna stopped at once (and any it
# forks meanwhile), then killed, then gone.
pl_blackout() {
	local all="" p new i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		new=""
		for p in $(pl_pids); do
			case " $all " in *" $p "*) continue ;; esac
			kill -STOP "$p" 2>/dev/null
			new="$new $p"
		done
		[ -z "$new" ] && [ "$i" -gt 2 ] && break
		all="$all$new"
		sleep 0.02
	done
	for p in $all; do
		kill -KILL "$p" 2>/dev/null
	done
	for i in $(seq 1 200); do
		[ -z "$(pl_pids)" ] && break
		sleep 0.05
	done
	wait "$VENNA_PID" 2>/dev/null
	[ -z "$(pl_pids)" ]
}

# pl_round R: one round, its checks as TAP.
pl_round() {
	local r=$1 ms t0 T runner load cutopts rc
	echo "# ---- round $r (cut seed $((PL_SEED * 100 + r)))"
	"$POWERCUT" -S "$PLOG"
	pl_venna traced || { not_ok "round $r: Venna starts"; return 1; }
	t0=$(date +%s%3N)
	pl_batch "$r"
	(
		while :; do
			pl_env "$VENNA_BATCH" -c "$STACK/venna.conf" \
			    2>>"$STACK/batch.log"
			sleep 0.2
		done
	) &
	runner=$!
	"$NODE" "$top_srcdir/tests/powerloss/load.mjs" "$BASE_URL" "$KEY_A" \
	    "$STACK/ok.$r" m 4 2 "$((PL_SEED + r))" &
	load=$!
	# 2.5 to 6 s of load, by the seed.
	ms=$(( 2500 + (PL_SEED * 7919 + r * 104729) % 3500 ))
	sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
	kill -KILL "$runner" 2>/dev/null
	wait "$runner" 2>/dev/null
	T=$(date +%s%3N)
	check "round $r: the power goes $((T - t0)) ms into the load" \
	    pl_blackout
	kill -TERM "$load" 2>/dev/null
	wait "$load"
	cat "$STACK/ok.$r" >> "$OK"
	echo "# $(grep -c '^chat' "$STACK/ok.$r") completions and" \
	    "$(grep -c '^file' "$STACK/ok.$r") uploads seen succeed"
	# shellcheck disable=SC2086
	cutopts="-s $((PL_SEED * 100 + r)) -t $PL_TORN -T $T $PL_CUT"
	# Every PL_WORST_EVERY-th round loses all of the page cache: the
	# most a cut at that instant can take.
	[ "$PL_WORST_EVERY" -gt 0 ] && [ $((r % PL_WORST_EVERY)) -eq 0 ] &&
	    cutopts="$cutopts -z"
	echo "# powercut $cutopts"
	# shellcheck disable=SC2086
	"$POWERCUT" $cutopts "$PLOG" "$STATE" > "$STACK/cut.$r" 2>&1
	rc=$?
	check "  powercut rewinds the state ($(grep -c 'kept' "$STACK/cut.$r") objects)" \
	    [ "$rc" -eq 0 ]
	[ "$rc" -eq 0 ] || sed 's/^/#   /' "$STACK/cut.$r"
	grep -E 'venna\.db|ledger' "$STACK/cut.$r" | head -n 8
	pl_window "$r" "$((T - t0))"
	rc=$tap_failed
	pl_after "$r" "$T" "$PL_W"
	# PL_KEEP_ON_FAIL=1: stop at the first round that fails, and keep
	# the stack (its logs, journals and database) for a post-mortem.
	if [ "${PL_KEEP_ON_FAIL:-0}" = 1 ] && [ "$tap_failed" -gt "$rc" ]; then
		KEEP_STACK=1
		tap_done
		exit 1
	fi
}

# pl_window R ROUND_MS: how long before the cut a success may be and be
# lost under normal.  What the database had synced by then stays, so:
# the age of the WAL's last sync (powercut -T says; a WAL with nothing
# unsynced: 0; never synced in the round: the round), plus
# PL_IMPORT_MS, into PL_W.  PL_FRESH counts the rounds where that sync was at most
# 2 s old: the checkpointer at work.
pl_window() {
	local line age
	line=$(grep 'powercut: venna\.db-wal:' "$STACK/cut.$1")
	if [ -z "$line" ]; then
		age=0
	else
		age=$(sed -n 's/.*last synced \(-\{0,1\}[0-9]*\) ms before.*/\1/p' \
		    <<< "$line")
		[ -n "$age" ] || age=$2
	fi
	[ "$age" -lt 0 ] && age=0
	[ "$age" -le 2000 ] && PL_FRESH=$((${PL_FRESH:-0} + 1))
	echo "# the database was last synced $age ms before the cut"
	PL_W=$((age + PL_IMPORT_MS))
}

# Chat completions the client saw succeed and the usage table lacks:
# "RID MS" lines.
pl_lost_chats() {
	sql "SELECT request_id FROM usage" | sort > "$STACK/rows.ids"
	awk '$1 == "chat" { print $2, $3 }' "$OK" | sort > "$STACK/chat.ok"
	join -v 1 "$STACK/chat.ok" "$STACK/rows.ids"
}

# pl_forget KIND LIST: the KIND lines of $OK whose ids are the first
# words of LIST's lines are dropped (lost within the window allowed).
pl_forget() {
	awk -v kind="$1" -v list="$2" '
	    BEGIN { while ((getline l < list) > 0) { split(l, w, " ");
		gone[w[1]] = 1 } }
	    !($1 == kind && ($2 in gone))' "$OK" > "$OK.new" &&
	    mv "$OK.new" "$OK"
}

# pl_after R T W: restart on what the cut left and check; T is when the
# power went, W how long before it a success may be lost (normal).
pl_after() {
	local r=$1 T=$2 W=$3 lost old n bad b f
	check "  integrity_check is ok after the cut" \
	    eval '"$VENNACTL" -c "$STACK/venna.conf" db check >/dev/null'
	# The journals the cut left are imported before the pool starts:
	# with its checkpointer importing them at the same time, some would
	# be imported twice (import_twice.sh), which is not the power's
	# doing.
	"$VENNACTL" -c "$STACK/venna.conf" usage > /dev/null 2> "$STACK/import.$r"
	check "  the journals the cut left are imported" \
	    bash -c '! grep -q "could not be imported" "$1"' _ "$STACK/import.$r"
	sed 's/^/#   /' "$STACK/import.$r"
	pl_venna || { not_ok "  Venna starts again"; return 1; }

	is "$(sql "SELECT count(*) - count(DISTINCT request_id) FROM usage")" 0 \
	    "  no usage row twice"
	pl_lost_chats > "$STACK/lost.$r"
	lost=$(grep -c . "$STACK/lost.$r")
	old=$(awk -v T="$T" -v w="$W" '$2 < T - w' "$STACK/lost.$r" |
	    grep -c .)
	if [ "$lost" -gt 0 ]; then
		echo "# $lost completions lost, $(awk -v T="$T" \
		    'BEGIN { m = 0 } { if (T - $2 > m) m = T - $2 } END { print m }' \
		    "$STACK/lost.$r") ms before the cut at the oldest"
	fi
	if [ "$PL_SYNC" = full ]; then
		pl_is "$lost" 0 "  every completion the client saw succeed has its usage row" "${PL_TODO_ROWS:-}"
	else
		is "$old" 0 "  a completion lost is one of the last $W ms (since the database's last sync)"
	fi
	# What the next round holds to: what this one kept.
	pl_forget chat "$STACK/lost.$r"

	"$NODE" "$top_srcdir/tests/powerloss/files.mjs" "$BASE_URL" "$KEY_A" \
	    "$OK" > "$STACK/files.$r"
	is "$(grep -c . "$STACK/files.$r")" "$(grep -c '^file' "$OK")" \
	    "  every upload seen succeed is looked up"
	n=$(grep -c '^same' "$STACK/files.$r")
	bad=$(grep -c '^differs' "$STACK/files.$r")
	lost=$(grep -c '^absent' "$STACK/files.$r")
	old=$(awk -v T="$T" -v w="$W" '$1 == "absent" && $3 < T - w' \
	    "$STACK/files.$r" | grep -c .)
	grep -E '^(differs|absent)' "$STACK/files.$r" | head -n 5 | sed 's/^/#   /'
	is "$bad" 0 "  no upload listed with other content than it had ($n the same)"
	if [ "$PL_SYNC" = full ]; then
		pl_is "$lost" 0 "  every upload the client saw succeed is listed" "${PL_TODO_FILES:-}"
	else
		[ "$lost" -gt 0 ] && echo "# $lost uploads lost, $(awk -v T="$T" \
		    'BEGIN { m = 0 } $1 == "absent" { if (T - $3 > m) m = T - $3 }
		    END { print m }' "$STACK/files.$r") ms before the cut at the oldest"
		is "$old" 0 "  an upload lost is one of the last $W ms"
	fi
	awk '$1 == "absent" { print $2 }' "$STACK/files.$r" > "$STACK/gone.$r"
	pl_forget file "$STACK/gone.$r"

	pl_batches "$r" "$T" "$W"
	pl_orphans "$r"
	pl_journals "$r"
	pl_stop_venna
}

# Every file row names a content of its size.
pl_listed_have_content() {
	local id bytes p bad=0
	while IFS='|' read -r id bytes; do
		p="$STATE/files/${id:5:2}/$id"
		if [ ! -f "$p" ] || [ "$(stat -c %s "$p")" != "$bytes" ]; then
			echo "#   $id: $bytes bytes listed, content: $(stat -c %s "$p" 2>&1)"
			bad=$((bad + 1))
		fi
	done < <(sql "SELECT id, bytes FROM files WHERE status != 'deleted'")
	[ "$bad" -eq 0 ]
}

# The ids of the contents in data_dir's shards.
pl_contents() {
	find "$STATE/files" -mindepth 2 -maxdepth 2 -type f -name 'file-*' \
	    ! -path "$STATE/files/tmp/*" -printf '%f\n' | sort
}

# Contents without a row are what a crash between the rename and the
# insert leaves; the orphan sweep must take every one.  Made old enough
# for it (an hour), with the sweep's state forgotten, then one pass.
pl_orphans() {
	local r=$1 before after
	check "  every file listed has its content, of its size" \
	    pl_listed_have_content
	sql "SELECT id FROM files" | sort > "$STACK/rows.files"
	pl_contents > "$STACK/disk.files"
	before=$(comm -13 "$STACK/rows.files" "$STACK/disk.files" | wc -l)
	find "$STATE/files" -type f -exec touch -d '-2 hours' {} +
	rm -f "$STATE/files/.orphan-sweep"
	"$VENNA_BATCH" -c "$STACK/finish.conf" 2>>"$STACK/batch.log"
	pl_contents > "$STACK/disk.files"
	after=$(comm -13 "$STACK/rows.files" "$STACK/disk.files" | wc -l)
	echo "# $before contents without a row before the sweep"
	is "$after" 0 "  the orphan sweep leaves no content without a row"
	is "$(find "$STATE/files/tmp" -type f 2>/dev/null | wc -l)" 0 \
	    "  and no abandoned upload"
}

# Journals whose writer is dead are deleted once imported.
pl_journals() {
	local f name pid stale=0
	"$VENNACTL" -c "$STACK/venna.conf" usage > /dev/null 2>&1
	for f in "$STATE"/ledger/*.ulog; do
		[ -e "$f" ] || continue
		name=${f##*/}
		pid=${name%%-*}
		kill -0 "$pid" 2>/dev/null && continue
		stale=$((stale + 1))
		echo "#   $name: $(stat -c %s "$f") bytes, imported to" \
		    "$(sql "SELECT imported FROM ledger_files WHERE name = '$name'")"
	done
	PL_STALE_JOURNALS=$stale
	[ "$stale" -gt 0 ] &&
	    echo "# $stale journals of dead writers left after the import"
	return 0
}

# After the rounds (normal): the checkpointer synced the database within
# 2 s of the cut in most rounds, so the window above stays short.
pl_sync_check() {
	check "the database was synced within 2 s of the cut in most rounds (${PL_FRESH:-0} of $PL_ROUNDS)" \
	    [ $((2 * ${PL_FRESH:-0})) -gt "$PL_ROUNDS" ]
}

# After the rounds: no journal of a dead writer is left once imported
# (what the last round's pl_journals counted: one left stays left).
# Checked once a round has lost all of the page cache; PL_TODO_JOURNALS
# marks a known defect.
pl_journals_check() {
	[ "$PL_WORST_EVERY" -gt 0 ] && [ "$PL_ROUNDS" -ge "$PL_WORST_EVERY" ] ||
	    return 0
	pl_is "${PL_STALE_JOURNALS:-0}" 0 \
	    "no journal of a dead writer is left once imported" \
	    "${PL_TODO_JOURNALS:-}"
}

# Every batch so far runs to its end once the power is back; each
# custom_id of its input once in its output, each line billed once.
pl_batches() {
	local r=$1 T=$2 W=$3 i bid f ms st left ids want n
	for i in $(seq 1 40); do
		left=$(sql "SELECT count(*) FROM batches WHERE status NOT IN ('completed', 'failed', 'cancelled', 'expired')")
		[ "$left" = 0 ] && break
		"$VENNA_BATCH" -c "$STACK/finish.conf" 2>>"$STACK/batch.log"
	done
	"$VENNACTL" -c "$STACK/venna.conf" usage > /dev/null 2>&1
	while read -r bid f ms; do
		st=$(sql "SELECT status || ' ' || total || ' ' || completed || ' ' || failed FROM batches WHERE id = '$bid'")
		if [ -z "$st" ] && [ "$PL_SYNC" = normal ] &&
		    [ "$ms" -ge $((T - W)) ]; then
			echo "# batch $bid, created $((T - ms)) ms before the cut, lost"
			sed -i "/^$bid /d" "$STACK/batches"
			continue
		fi
		is "$st" "completed $PL_BATCH_LINES $PL_BATCH_LINES 0" \
		    "  batch $bid: completed, every line counted once"
		ids=$(for f2 in $(sql "SELECT output_file_id FROM batches WHERE id = '$bid'") \
		    $(sql "SELECT error_file_id FROM batches WHERE id = '$bid'"); do
			curl -s "$BASE_URL/files/$f2/content" \
			    -H "Authorization: Bearer $KEY_A"
		done | grep -o '"custom_id":"[^"]*"' | cut -d'"' -f4 | sort)
		want=$(cut -d'"' -f4 "$f" | sort)
		check "    each custom_id of its input once in its output" \
		    [ "$ids" = "$want" ]
		n=$(sql "SELECT count(*) || ' ' || count(DISTINCT request_id) FROM usage WHERE batch_id = '$bid'")
		is "$n" "$PL_BATCH_LINES $PL_BATCH_LINES" "    each line billed once"
	done < "$STACK/batches"
}
