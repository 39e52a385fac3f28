#!/bin/sh
# sanitizer.sh TEST [ARGS...]: run one test of `make check` (every test
# goes through here: LOG_COMPILER) so that a sanitizer report from any
# process it starts fails it, with the report in the test's log.
#
# The servers a test starts send stderr to logs that nobody reads, and
# the ones a web server spawns (mod_fcgid, lighttpd, spawn-fcgi) to the
# web server's log; an exit status of theirs is seen by no one.  So
# every ASan, LeakSanitizer, UBSan and TSan report is written to a file
# instead (log_path, one file per process, the program's name in it),
# in a directory made for this test, any option already set kept.
# stack.sh passes the options through the web servers and adds what a
# server's own logs hold (stack_stop), in case one escaped.
#
# The test's TAP is passed through as it comes, but a plan at its end
# is held back: after the test, each report found becomes one more
# "not ok" with the report as comments, and the plan counts them.  The
# exit status is the test's.  Without a sanitizer in the build nothing
# writes there and this changes nothing.
set -u

dir=$(mktemp -d "${TMPDIR:-/tmp}/venna-san.XXXXXX") || exit 99
# Servers run as the web server's user when the tests run as root.
chmod 1777 "$dir"
VENNA_SAN_DIR=$dir
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$dir/asan:log_exe_name=1"
UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}print_stacktrace=1:log_path=$dir/ubsan:log_exe_name=1"
TSAN_OPTIONS="${TSAN_OPTIONS:+$TSAN_OPTIONS:}log_path=$dir/tsan:log_exe_name=1"
export VENNA_SAN_DIR ASAN_OPTIONS UBSAN_OPTIONS TSAN_OPTIONS

# Lines a report is kept to in the log; the rest is counted.
max_lines=${VENNA_SAN_MAX_LINES:-300}

{
	"$@"
	echo $? > "$dir/.rc"
} | awk -v planfile="$dir/.plan" '
	/^(not )?ok([ \t]|$)/ { n++ }
	/^1\.\.[0-9]+/ && n > 0 && plan == "" { plan = $0; next }
	{ print; fflush() }
	END { printf "%d %s\n", n, plan > planfile }'

rc=$(cat "$dir/.rc" 2>/dev/null || echo 99)
read -r n plan < "$dir/.plan" 2>/dev/null || { n=0; plan=; }
extra=0
for f in "$dir"/*; do
	[ -f "$f" ] && [ -s "$f" ] || continue
	extra=$((extra + 1))
	echo "not ok - sanitizer report: ${f##*/} (below)"
	sed -n "1,${max_lines}p" "$f" | sed 's/^/# /'
	total=$(wc -l < "$f")
	[ "$total" -gt "$max_lines" ] &&
	    echo "# ... $((total - max_lines)) more lines ($total in all)"
done
if [ -n "$plan" ]; then
	if [ "$extra" -gt 0 ]; then
		echo "1..$((n + extra))"
	else
		echo "$plan"
	fi
fi
rm -rf "$dir"
exit "$rc"
