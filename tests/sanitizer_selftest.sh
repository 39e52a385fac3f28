#!/bin/bash
# sanitizer_selftest.sh: tests/sanitizer.sh, which every test runs
# under, turns a sanitizer report from any process a test starts into a
# failed test with the report in the log, and changes nothing else.
#
# Each case runs a small test of its own under the wrapper, as make
# check would, and looks at what the wrapper made of it.  In every
# build: reports planted as files and as a line in a server's log.  In
# a sanitizer build (VENNA_SANITIZERS, from configure): real reports
# from tests/san_plant, a server with its stderr thrown away, as the
# web server's user, and as the program Apache (mod_fcgid), lighttpd and
# spawn-fcgi start in place of venna-fcgi.  None of these reports
# reaches this test's own directory: the inner wrapper has its own.
. "${top_srcdir:-.}/tests/stack.sh"

WRAP="$top_srcdir/tests/sanitizer.sh"
PLANT="$top_builddir/tests/san_plant"
: "${VENNA_SANITIZERS:=none}"

work=$(mktemp -d "${TMPDIR:-/tmp}/venna-sanself.XXXXXX")
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT

# inner BODY: run BODY (bash, with stack.sh available) as a test under
# the wrapper; OUT is what the wrapper printed, RC its exit status.
inner() {
	{
		echo "#!/bin/bash"
		echo ". '$top_srcdir/tests/stack.sh'"
		echo "PLANT='$PLANT'"
		printf '%s\n' "$1"
	} > "$work/inner.sh"
	chmod 755 "$work/inner.sh"
	OUT=$(sh "$WRAP" "$work/inner.sh" 2>"$work/inner.err")
	RC=$?
}

# has LINE-REGEX: OUT has a line matching it.
has() { grep -qE "$1" <<<"$OUT"; }
show() { sed 's/^/#   | /' <<<"$OUT"; }

# ---- the wrapper itself, in every build
inner 'echo "ok 1 - a"; echo "ok 2 - b"; echo "1..2"'
is "$OUT" "ok 1 - a
ok 2 - b
1..2" "a clean test's TAP is passed through unchanged"
is "$RC" 0 "  and its status"

inner 'echo "not ok 1 - a"; echo "1..1"; exit 1'
is "$RC" 1 "a failing test's status is kept"
check "  and no report is made up" eval '! has "sanitizer report"'

inner 'echo "1..0 # SKIP not here"'
is "$OUT" "1..0 # SKIP not here" "a skip plan is passed through"

inner 'printf "==42==ERROR: AddressSanitizer: heap-use-after-free\n#0 0x1 in f x.c:3\n" > "$VENNA_SAN_DIR/asan.venna-fcgi.42"
echo "ok 1 - fine"; echo "1..1"'
check "a report file fails the test: one more 'not ok'" \
    has '^not ok - sanitizer report: asan\.venna-fcgi\.42'
check "  with the report in the log" \
    has '^# ==42==ERROR: AddressSanitizer: heap-use-after-free$'
check "  and its stack" has '^# #0 0x1 in f x\.c:3$'
is "$(tail -n 1 <<<"$OUT")" "1..2" "  counted in the plan, which stays last"
has "sanitizer report" || show

inner 'stack_new
echo "x.c:1:2: runtime error: signed integer overflow" >> "$STACK/venna.log"
echo "ok 1 - fine"; echo "1..1"'
check "a report in a server's log (its stderr) fails the test" \
    has '^not ok - sanitizer report: log\.venna\.log\.'
check "  with the line" has '^# x\.c:1:2: runtime error: signed integer overflow$'

inner 'for i in 1 2 3 4 5; do echo "==1==WARNING: ThreadSanitizer: data race $i" > "$VENNA_SAN_DIR/tsan.x.$i"; done
echo "ok 1"; echo "1..1"'
is "$(grep -c '^not ok - sanitizer report' <<<"$OUT")" 5 \
    "one 'not ok' per report"
is "$(tail -n 1 <<<"$OUT")" "1..6" "  all counted"

# ---- real reports, in a sanitizer build
# have WHAT PROGRAM [FILE]: whether a server is installed; a missing one
# is a failure under CI=true (as require has it), a skip elsewhere.
have() {
	if [ -n "$2" ] && [ -x "$2" ] && { [ -z "${3:-}" ] || [ -f "$3" ]; }; then
		return 0
	fi
	if [ "${CI:-}" = true ]; then
		not_ok "$1 is required under CI=true but missing"
	else
		tap_n=$((tap_n + 1))
		echo "ok $tap_n # SKIP $1 not installed"
	fi
	return 1
}

# plant_case NAME MODE FILE-PREFIX LINE-REGEX [HOW]: san_plant MODE run
# HOW (default: in the background, stderr thrown away, as a server).
plant_case() {
	local name=$1 mode=$2 prefix=$3 re=$4
	local how=${5:-'"$PLANT" '"$mode"' 2>/dev/null & wait'}
	inner "$how
echo 'ok 1 - did its work'; echo '1..1'"
	check "$name: a failed test" \
	    has "^not ok - sanitizer report: $prefix\.san_plant\."
	check "  with the report" has "$re"
	has "sanitizer report: $prefix" || show
}

case $VENNA_SANITIZERS in
address)
	plant_case "ASan, stderr thrown away" asan asan \
	    '^# .*ERROR: AddressSanitizer: heap-use-after-free'
	plant_case "UBSan" ubsan ubsan \
	    '^# .*runtime error: signed integer overflow'
	plant_case "LeakSanitizer" leak asan \
	    '^# .*ERROR: LeakSanitizer: detected memory leaks'
	kind=asan
	re='^# .*ERROR: AddressSanitizer: heap-use-after-free'
	;;
thread)
	plant_case "TSan, stderr thrown away" tsan tsan \
	    '^# .*WARNING: ThreadSanitizer: data race'
	kind=tsan
	re='^# .*WARNING: ThreadSanitizer: data race'
	;;
*)
	"$PLANT" >/dev/null
	# Real reports need a sanitizer build: .ci/run makes two.
	is "$?" 77 "san_plant does nothing wrong without a sanitizer"
	kind=
	;;
esac

if [ -n "$kind" ]; then
	if [ "$(id -u)" -eq 0 ]; then
		cp "$PLANT" "$work/san_plant"
		plant_case "as the web server's user" "$kind" "$kind" "$re" \
		    'runuser -u "$STACK_WWW_USER" -- '"'$work/san_plant'"' 2>/dev/null'
	fi
	# What the web servers start: the plant in venna-fcgi's place.
	# wait_for: its report, written through the options passed on.
	wait_for='for i in $(seq 1 100); do
	ls "$VENNA_SAN_DIR"/'"$kind"'.san_plant.* >/dev/null 2>&1 && break
	sleep 0.1
done'
	if have "Apache with mod_fcgid" "$APACHE2" \
	    "$APACHE_MODULES/mod_fcgid.so"; then
		plant_case "Apache (mod_fcgid) passes the options on" \
		    "$kind" "$kind" "$re" 'stack_new; stack_conf
VENNA_FCGI="$PLANT"
start_apache vhost >/dev/null 2>&1
curl -s -o /dev/null --max-time 5 "$BASE_URL/models"
'"$wait_for"
	fi
	have lighttpd "$LIGHTTPD" &&
	plant_case "lighttpd (bin-path) passes them on" "$kind" "$kind" "$re" \
	    'stack_new; stack_conf; VENNA_FCGI="$PLANT"
start_lighttpd bin-path >/dev/null 2>&1
'"$wait_for"
	have spawn-fcgi "$SPAWN_FCGI" &&
	plant_case "spawn-fcgi passes them on" "$kind" "$kind" "$re" \
	    'stack_new; VENNA_FCGI="$PLANT"; stack_give; u=
[ "$(id -u)" -eq 0 ] && u="-u $STACK_WWW_USER"
"$SPAWN_FCGI" -n -s "$STACK/venna.sock" $u -- "$VENNA_FCGI" 2>/dev/null &
stack_track $!
'"$wait_for"
fi

tap_done
