#!/bin/bash
# campaign.sh: one fuzzing session of one target, recorded beside the
# corpora.  Runs a libFuzzer build of tests/fuzz/fuzz_TARGET (configure
# CC=clang --enable-fuzzing --enable-sanitizers: ASan and UBSan) for
# SECONDS of wall time on the committed corpus, merges what it found
# into tests/fuzz/corpus/TARGET, and appends one row to
# tests/fuzz/corpus/RUNS.md: the CPU seconds the fuzzer really got
# (user + system, which is what "a CPU-hour" counts on a shared
# machine), the inputs run, the corpus before and after, and the
# findings (crash, leak, timeout or out-of-memory artifacts).  A finding
# is kept in the build directory, named in the row, and fails the run.
#
#   tests/fuzz/campaign.sh BUILD_DIR TARGET SECONDS
#
# Run it niced when the machine is shared: the row counts CPU time, not
# wall time, so a starved run is recorded for what it did.
set -u
[ $# -eq 3 ] || { echo "usage: $0 BUILD_DIR TARGET SECONDS" >&2; exit 2; }
build=$(cd "$1" && pwd) || exit 2
target=$2 seconds=$3
src=$(cd "$(dirname "$0")/../.." && pwd)
fuzzer=$build/tests/fuzz/fuzz_$target
corpus=$src/tests/fuzz/corpus/$target
runs=$src/tests/fuzz/corpus/RUNS.md
[ -x "$fuzzer" ] || { echo "$0: no $fuzzer (make it in $build)" >&2; exit 2; }
[ -d "$corpus" ] || { echo "$0: no corpus $corpus" >&2; exit 2; }
case $seconds in '' | *[!0-9]*) echo "$0: SECONDS is a number" >&2; exit 2 ;; esac

work=$build/tests/fuzz/campaign-$target
artifacts=$work/artifacts
rm -rf "$work/new" && mkdir -p "$work/new" "$artifacts" || exit 1
dict=
[ -f "$src/tests/fuzz/$target.dict" ] && dict=-dict=$src/tests/fuzz/$target.dict

before=$(find "$corpus" -type f | wc -l)
found_before=$(find "$artifacts" -type f | wc -l)
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:symbolize=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# The fuzzer's CPU time, from the kernel's accounting of the child.
TIMEFORMAT='%U %S'
{ time "$fuzzer" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" $dict "$work/new" "$corpus" \
    > "$work/log" 2>&1; } 2> "$work/time"
rc=$?
read -r user sys < "$work/time"
cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%d", u + s }')
execs=$(awk '/stat::number_of_executed_units:/ { print $2 }' "$work/log" |
    tail -n 1)

# Keep only what adds coverage: merge the session's finds into the
# committed corpus.
"$fuzzer" -merge=1 $dict "$corpus" "$work/new" > "$work/merge.log" 2>&1 ||
    { echo "$0: merge failed, see $work/merge.log" >&2; exit 1; }
after=$(find "$corpus" -type f | wc -l)
findings=$(find "$artifacts" -type f | wc -l)
findings=$((findings - found_before))

if [ ! -f "$runs" ]; then
	cat > "$runs" <<'EOF'
# Fuzzing sessions

One row per session of `tests/fuzz/campaign.sh` (libFuzzer, ASan and
UBSan builds). CPU is the fuzzer's user + system seconds; a target's
total is the sum of its rows. Findings are fixed before their row lands
(the input joins the corpus, which `make check` replays).

| date | commit | target | CPU s | inputs run | corpus before | after | findings |
|---|---|---|---|---|---|---|---|
EOF
fi
printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' \
    "$(date -u +%Y-%m-%d)" \
    "$(git -C "$build" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
    "$target" "$cpu" "${execs:-?}" "$before" "$after" "$findings" >> "$runs"
echo "$target: ${cpu} CPU s, ${execs:-?} inputs, corpus $before -> $after, $findings findings (rc $rc)"
if [ "$findings" -gt 0 ] || { [ "$rc" -ne 0 ] && [ -z "$execs" ]; }; then
	echo "$0: see $work/log and $artifacts" >&2
	exit 1
fi
awk -F' *\\| *' '$4 == t && $5 ~ /^[0-9]+$/ { s += $5 }
    END { printf "%s: %.2f CPU hours recorded in all\n", t, s / 3600 }' \
    t="$target" "$runs"
