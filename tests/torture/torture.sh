#!/bin/bash
# torture.sh: fail the N-th call of every fallible function an
# operation makes, and check that nothing is lost (the issue "Fault
# torture"; SQLite's I/O-error and OOM loops and curl's torture mode
# are the models).
#
# For each operation (ops.sh) on a stack with synchronous = normal,
# then = full where durability is at stake:
#   1. a counting run: every wrapped call the process under test makes
#      is counted, and traced to its call site (fault.c, trace=1), so
#      the driver knows K for each function and which N reaches which
#      site;
#   2. one run per N (every N up to the cap; beyond it, the first N of
#      every call site, then evenly spaced ones), with call N failing
#      (mode once), writing or reading half (torn), or failing from N
#      on (from);
#   3. after each run, with the fault off: the operation's invariants
#      and those of the whole stack (lib.sh global_check); after the
#      runs of an operation that touches files, what venna-batch's sweep
#      must leave.
# Each run is one TAP test; its outcome is ok (a success), clean (a
# clean error), library (a crash inside libfcgi or json-c, the two
# known library cases, contained), unreached (the run made fewer than N
# calls) or violation (a broken invariant, a crash of ours, a hang: the
# test fails).  --report writes the coverage table.
#
# usage: torture.sh [--fast] [--ops "OP..."] [--fns "FN..."]
#            [--modes "once torn from"] [--sync "normal full"]
#            [--n "N..."] [--site REGEX] [--cap N] [--report FILE]
#   --fast    the subset `make check` runs (torture_fast.sh)
#   --n       exactly these N (a reproduction: with one op, fn and mode)
#   --site    only the N whose call site matches REGEX (e.g. run_lines)
#   --cap     runs per operation, function and mode at most
# A violation prints the command that reproduces it.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/torture/lib.sh"
. "$top_srcdir/tests/torture/ops.sh"

ALL_OPS="upload upload_batch file_delete chat chat_stream embeddings
responses responses_chain responses_bg batch batch_create key_create
key_revoke usage_import"
ALL_FNS="${FN_ORDER[*]}"
# Where synchronous = full changes what is synced: the journal, the
# uploads, the batch results, stored responses.
FULL_OPS="upload upload_batch chat chat_stream responses batch"
FULL_FNS="write pwrite writev fsync fdatasync rename open"

OPS=$ALL_OPS FNS=$ALL_FNS MODES= SYNCS="normal full" NS= SITE_RE= CAP=60
REPORT= FAST=0 FROM_CAP=12 TORN_CAP=20 PRIORITY= PRIORITY_VIA=
while [ $# -gt 0 ]; do
	case $1 in
	--fast) FAST=1 ;;
	--ops | --op) OPS=$2; shift ;;
	--fns | --fn) FNS=$2; shift ;;
	--modes | --mode) MODES=$2; shift ;;
	--sync) SYNCS=$2; shift ;;
	--n) NS=$2; shift ;;
	--site) SITE_RE=$2; shift ;;
	--cap) CAP=$2; shift ;;
	--report) REPORT=$2; shift ;;
	*) echo "usage: see the head of $0" >&2; exit 2 ;;
	esac
	shift
done
if [ "$FAST" = 1 ]; then
	# A few minutes: the first N of each call site, a handful per
	# function, the modes that differ, and the known defects' sites.
	CAP=${TORTURE_FAST_CAP:-1} FROM_CAP=1 TORN_CAP=1
	CURL_MAX_TIME=${TORTURE_TIMEOUT:-5} BG_WAIT=4
	FULL_OPS="upload chat batch" FULL_FNS="fsync fdatasync pwrite"
	# The call sites of known defects and of the paths that keep data:
	# each is run once, whatever its N, wherever the code moves it.
	PRIORITY='^(run_lines|refill|commit|line_thread|check_line|files_insert|wake|keep|respstore_start|respstore_finish) src/|^[^<]*< (refill|commit|keep|auth_keygen_bump|print_secret) src/|< (files_json|check_line) src/'
	# The two library cases, once each: in chat and in a batch pass.
	PRIORITY_VIA_chat='FCGX_Accept_r'
	PRIORITY_VIA_batch='__strdup < libjson-c:json_tokener_parse_ex'
fi

require nginx "$NGINX_BIN"
require curl "$(command -v curl)"
require addr2line "$(command -v addr2line)"
require_sqlite3
[ -f "$FAULT_SO" ] || require "tests/torture/fault.so (make check builds it)" ""

RESULTS=$(mktemp "${TMPDIR:-/tmp}/torture-results.XXXXXX")

# The errno a failed call gets: the one its callers must survive.
errno_for() {
	case $1 in
	write | pwrite | writev) echo ENOSPC ;;
	malloc | calloc | realloc) echo ENOMEM ;;
	*) echo EIO ;;
	esac
}

# The modes tried on FN (unless --modes).
modes_for() {
	if [ -n "$MODES" ]; then
		echo "$MODES"
		return
	fi
	if [ "$FAST" = 1 ]; then
		case $1 in
		write | pwrite) echo "once torn" ;;
		malloc) echo "once from" ;;
		*) echo once ;;
		esac
		return
	fi
	case $1 in
	write | pwrite | writev | read | pread) echo "once torn from" ;;
	*) echo "once from" ;;
	esac
}

# pick_ns K CAP SITES: the N to run, from 1..K: all of them up to CAP;
# beyond, the first N of CAP call sites (SITES: "N<TAB>site" lines;
# spread evenly over the sites in the order they are reached), then
# the last N of sites, then evenly spaced N, CAP in all; and, past the
# cap, the first N of every site that matches $PRIORITY (the places of
# known defects, in the fast subset).  With --site, the first and last
# N of each matching site only.
pick_ns() {
	local k=$1 cap=$2 sites=$3
	if [ -n "$SITE_RE" ]; then
		awk -F'\t' -v re="$SITE_RE" '$2 ~ re {
			if (!($2 in first)) first[$2] = $1
			last[$2] = $1
		} END { for (s in first) { print first[s]; print last[s] } }' \
		    "$sites" | sort -n -u
		return
	fi
	{
		if [ "$k" -le "$cap" ]; then
			seq 1 "$k"
		else
			awk -F'\t' -v c="$cap" '
			!($2 in seen) { seen[$2] = 1; first[++n] = $1 }
			{ last[$2] = $1 }
			END {
				if (n <= c)
					for (i = 1; i <= n; i++) print first[i]
				else if (c == 1)
					print first[int((n + 1) / 2)]
				else
					for (i = 0; i < c; i++)
						print first[1 + int(i * (n - 1) / (c - 1))]
				for (s in last) print last[s]
			}' "$sites"
			awk -v k="$k" -v c="$cap" 'BEGIN {
				for (i = 0; i < c; i++)
					print (c == 1 ? int((k + 1) / 2) : 1 + int(i * (k - 1) / (c - 1)))
			}'
		fi | awk -v c="$cap" '!($1 in seen) && n < c { seen[$1] = 1; n++; print }'
		[ -n "$PRIORITY" ] && awk -F'\t' -v re="$PRIORITY" \
		    '$3 ~ re && !($3 in seen) { seen[$3] = 1; print $1 }' "$sites"
		[ -n "$PRIORITY_VIA" ] && awk -F'\t' -v re="$PRIORITY_VIA" \
		    '$2 ~ re && !($2 in seen) { seen[$2] = 1; print $1 }' "$sites"
	} | sort -n -u
}

target_of() {
	case $(op_"$1"_kind) in
	worker) echo "pid=$WORKER" ;;
	batch) echo "prog=venna-batch" ;;
	ctl) echo "prog=vennactl" ;;
	esac
}

# after_run KIND DURABLE: the process under test's fate, and for a
# failed sync (DURABLE 1) a kill -9 of the pool at once, before anything
# writes the WAL again: what a failed sync may have left there comes
# back at recovery, as it would after a crash or a power cut.
after_run() {
	local kind=$1 durable=$2
	# A request that never got its answer: the worker may be wedged;
	# the checks need one that is not (the hang itself is reported by
	# the operation's check).
	if [ "$kind" = worker ] && [ "${CURL_RC:-0}" = 28 ] && worker_alive; then
		pool_restart
		return
	fi
	if [ "$kind" = worker ] && [ "$durable" = 0 ]; then
		worker_fate
		return
	fi
	if [ "$kind" = worker ] && ! worker_alive; then
		worker_fate
	fi
	if [ "$durable" = 1 ]; then
		pool_kill9
		pool_start && warm_up || violate "no pool after a kill -9"
	fi
}

TEST_N=0
VIOLATIONS=0
PREV_CASE=none

# run_case SYNC OP FN MODE N: one run and its checks; one TAP line.
run_case() {
	local sync=$1 op=$2 fn=$3 mode=$4 n=$5 kind durable=0 outcome p
	PROBLEMS=()
	ANSWER=
	CRASH=
	OP_OK=0
	RC=0
	MODE=$mode
	FN=$fn
	kind=$(op_"$op"_kind)
	case $fn in fsync | fdatasync) durable=1 ;; esac
	op_"$op"_before
	fault_set "fn=$fn" "n=$n" "mode=$mode" "errno=$(errno_for "$fn")" \
	    "$(target_of "$op")"
	op_"$op"_run
	fault_read
	SITE=
	[ "$FIRED" -gt 0 ] && [ -s "$CTL.site" ] && SITE=$(site_of "$CTL.site")
	fault_set fn=off
	after_run "$kind" "$durable"
	op_"$op"_check
	global_check
	health_check
	if [ ${#PROBLEMS[@]} -gt 0 ]; then
		outcome=violation
	elif [[ $CRASH == library:* ]]; then
		outcome=library
	elif [ "$FIRED" = 0 ]; then
		outcome=unreached
		[ "$OP_OK" = 1 ] || {
			violate "failed ($ANSWER) with no fault injected: left over from the run before ($PREV_CASE)"
			outcome=violation
		}
	elif [ "$OP_OK" = 1 ]; then
		outcome=ok
	else
		outcome=clean
	fi
	TEST_N=$((TEST_N + 1))
	local what="$sync $op $fn#$n $mode: $outcome ($ANSWER)${SITE:+ at $SITE}"
	[ -n "$CRASH" ] && what="$what; $CRASH"
	if [ "$outcome" = violation ]; then
		VIOLATIONS=$((VIOLATIONS + 1))
		echo "not ok $TEST_N - $what"
		for p in "${PROBLEMS[@]}"; do
			echo "#   $p"
		done
		echo "#   reproduce: tests/torture/torture.sh --sync $sync --op $op --fn $fn --mode $mode --n $n"
	else
		echo "ok $TEST_N - $what"
	fi
	PREV_CASE="$op $fn#$n $mode${SITE:+ at $SITE}: $ANSWER"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$sync" "$op" "$fn" \
	    "$mode" "$n" "$outcome" "$ANSWER${CRASH:+; $CRASH}" "$SITE" \
	    "$(printf '%s; ' "${PROBLEMS[@]}")" >> "$RESULTS"
}

# plan_op SYNC OP: the counting run (fault-free, traced): COUNT[fn] and
# $STACK/plan.trace; one TAP line: the operation works without faults.
plan_op() {
	local sync=$1 op=$2 kind
	PROBLEMS=()
	ANSWER=
	CRASH=
	OP_OK=0
	RC=0
	MODE=once
	kind=$(op_"$op"_kind)
	# Once untraced, so that what only a first run does (a directory
	# made, a statement prepared) is not counted.
	op_"$op"_before
	op_"$op"_run
	after_run "$kind" 0
	op_"$op"_check
	OP_OK=0
	op_"$op"_before
	fault_set fn=none trace=1 "$(target_of "$op")"
	op_"$op"_run
	fault_read
	cp "$CTL.trace" "$STACK/plan.trace" 2>/dev/null || : > "$STACK/plan.trace"
	fault_set fn=off
	after_run "$kind" 0
	op_"$op"_check
	global_check
	[ "$OP_OK" = 1 ] || violate "the operation fails without any fault: $ANSWER"
	TEST_N=$((TEST_N + 1))
	local counts="" f
	for f in ${FN_ORDER[*]}; do
		[ "${COUNT[$f]}" -gt 0 ] && counts="$counts $f=${COUNT[$f]}"
	done
	if [ ${#PROBLEMS[@]} -gt 0 ]; then
		VIOLATIONS=$((VIOLATIONS + 1))
		echo "not ok $TEST_N - $sync $op without faults:$counts"
		for p in "${PROBLEMS[@]}"; do echo "#   $p"; done
		return 1
	fi
	echo "ok $TEST_N - $sync $op without faults:$counts"
	declare -gA PLAN_K
	for f in ${FN_ORDER[*]}; do
		PLAN_K[$f]=${COUNT[$f]}
		printf '%s\t%s\t%s\tK\t%s\n' "$sync" "$op" "$f" "${COUNT[$f]}" \
		    >> "$RESULTS"
	done
}

# sweep_op SYNC OP: after an operation's runs, what the sweep leaves.
sweep_op() {
	PROBLEMS=()
	sweep_check
	global_check
	TEST_N=$((TEST_N + 1))
	if [ ${#PROBLEMS[@]} -gt 0 ]; then
		VIOLATIONS=$((VIOLATIONS + 1))
		echo "not ok $TEST_N - $1 $2: after venna-batch's sweep"
		for p in "${PROBLEMS[@]}"; do echo "#   $p"; done
		printf '%s\t%s\tsweep\t-\t-\tviolation\t\t\t%s\n' "$1" "$2" \
		    "$(printf '%s; ' "${PROBLEMS[@]}")" >> "$RESULTS"
	else
		echo "ok $TEST_N - $1 $2: after venna-batch's sweep, nothing left behind, nothing lost"
	fi
}

run_sync() {
	local sync=$1 op fn mode k cap ns n via ops=$OPS fns=$FNS
	if [ "$sync" = full ] && [ -z "$NS" ]; then
		ops=$(for op in $OPS; do
			[[ " $FULL_OPS " == *" $op "* ]] && echo "$op"; done)
		fns=$(for fn in $FNS; do
			[[ " $FULL_FNS " == *" $fn "* ]] && echo "$fn"; done)
		[ -n "$ops" ] && [ -n "$fns" ] || return 0
	fi
	tstack_start "$sync" || { echo "Bail out! the $sync stack"; exit 1; }
	make_inputs
	echo "# synchronous = $sync: $STACK"
	for op in $ops; do
		plan_op "$sync" "$op" || continue
		if [ "${VENNA_SANITIZERS:-none}" != none ] && [ -z "${SAN_SAID:-}" ] &&
		    [ $((PLAN_K[malloc] + PLAN_K[calloc] + PLAN_K[realloc])) = 0 ]; then
			SAN_SAID=1
			echo "# $VENNA_SANITIZERS sanitizer build: its allocator is linked into the programs, ahead of fault.so, so allocations are not failed here; the other calls are"
		fi
		for fn in $fns; do
			k=${PLAN_K[$fn]}
			[ "$k" -gt 0 ] || [ -n "$NS" ] || continue
			trace_sites "$fn" < "$STACK/plan.trace" > "$STACK/sites"
			for mode in $(modes_for "$fn"); do
				case $mode in
				once) cap=$CAP ;;
				torn) cap=$TORN_CAP ;;
				from) cap=$FROM_CAP ;;
				esac
				via=PRIORITY_VIA_$op
				PRIORITY_VIA=${!via:-}
				if [ -n "$NS" ]; then
					ns=$NS
				else
					ns=$(pick_ns "$k" "$cap" "$STACK/sites")
				fi
				for n in $ns; do
					run_case "$sync" "$op" "$fn" "$mode" "$n"
				done
			done
		done
		case $op in
		upload | upload_batch | file_delete | batch | batch_create)
			[ -z "$NS" ] && sweep_op "$sync" "$op" ;;
		esac
	done
	stack_stop
	exec 9>&-
}

for sync in $SYNCS; do
	run_sync "$sync"
done
echo "1..$TEST_N"
if [ -n "$REPORT" ]; then
	"$top_srcdir/tests/torture/report.sh" "$RESULTS" > "$REPORT"
	echo "# coverage table written to $REPORT"
fi
rm -f "$RESULTS"
[ "$VIOLATIONS" -eq 0 ]
