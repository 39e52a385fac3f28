#!/bin/bash
# import_twice.sh: a usage journal is imported once, whoever imports it.
# Found by the power-loss rounds, where `vennactl usage` ran while the
# restarted pool's checkpointer imported the journals the cut left: an
# importer that opened a dead journal while another held it (its
# LOCK_EX|LOCK_NB then fails, so the writer looks alive) waits for the
# other's transaction, which imports the rest, forgets the journal's
# offset (STMT_LEDGER_DROP) and then unlinks it; the first reads the
# offset as 0 and imported the whole journal again.  Here: five dead
# journals of 20,000 rows each and three `vennactl usage` at once, ten
# times (before the fix, the first time showed it).
. "${top_srcdir:-.}/tests/stack.sh"

require_sqlite3
stack_new
stack_conf
stack_init || { echo "Bail out! stack_init"; exit 1; }
ws=$(sql "SELECT id FROM workspaces WHERE name = 'alpha'")
mkdir -p "$STACK/ledger"
dups=0 tries=0
while [ "$tries" -lt 10 ] && [ "$dups" -eq 0 ]; do
	tries=$((tries + 1))
	for k in 1 2 3 4 5; do
		awk -v ws="$ws" -v p="$tries$k" 'BEGIN { for (i = 0; i < 20000; i++)
		    printf "1\t1796300000\treq_%s_%d\t%s\t-\t/v1/chat/completions\tm\tmock\t4\t5\t0\t100\t200\t3\t-\n", p, i, ws }' \
		    > "$STACK/ledger/9$tries$k-AAAAAAAA.ulog"
	done
	pids=""
	for i in 1 2 3; do
		"$VENNACTL" -c "$STACK/venna.conf" usage >/dev/null 2>&1 &
		pids="$pids $!"
	done
	wait $pids
	dups=$(sql "SELECT count(*) - count(DISTINCT request_id) FROM usage")
done
echo "# $tries tries, $(sql "SELECT count(*) FROM usage") rows, $dups twice;" \
    "offsets of journals that are gone: $(sql "SELECT count(*) FROM ledger_files")"
is "$dups" 0 "three importers at once: no row imported twice"
check "  no journal is left" bash -c '! ls "$1" | grep -q "\.ulog$"' _ "$STACK/ledger"
is "$(sql "SELECT count(*) FROM ledger_files")" 0 \
    "  nor the offset of one that is gone"
is "$(sql "SELECT count(DISTINCT request_id) FROM usage")" \
    "$((tries * 100000))" "  every row imported"
tap_done
