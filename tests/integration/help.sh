#!/bin/bash
# help.sh: -h and --help on venna-fcgi, venna-batch and vennactl print
# the usage on standard output and exit 0, before and without reading
# any configuration; an unknown option prints the same usage on
# standard error and exits 2; each manual page documents -h, --help.
. "${top_srcdir:-.}/tests/stack.sh"

: "${GROFF:=$(command -v groff)}"
require groff "$GROFF"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/venna-help.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# A configuration that cannot load: help must not need one.
export VENNA_CONF="$tmp/missing.conf"

# run NAME ARGS...: sets RC, OUT (stdout) and ERR (stderr).
run() {
	"$@" >"$tmp/out" 2>"$tmp/err"
	RC=$?
	OUT=$(cat "$tmp/out")
	ERR=$(cat "$tmp/err")
}

for prog in venna-fcgi venna-batch vennactl; do
	bin="$top_builddir/$prog"
	run "$bin" -h
	is "$RC" 0 "$prog -h exits 0"
	check "  the usage on stdout" grep -q "^usage: $prog " <<<"$OUT"
	is "$ERR" "" "  nothing on stderr"
	usage=$OUT

	run "$bin" --help
	is "$RC" 0 "$prog --help exits 0"
	is "$OUT" "$usage" "  the same usage on stdout"
	is "$ERR" "" "  nothing on stderr"

	run "$bin" -Z
	is "$RC" 2 "$prog -Z (unknown) exits 2"
	is "$OUT" "" "  nothing on stdout"
	is "$(sed -n '/^usage: /,$p' <<<"$ERR")" "$usage" \
	    "  the same usage on stderr"

	run "$bin" --no-such-option
	is "$RC" 2 "$prog --no-such-option exits 2"
	check "  with the usage on stderr" grep -q "^usage: $prog " <<<"$ERR"

	check "$prog(8) documents -h, --help" \
	    eval '"$GROFF" -mdoc -Tascii -P-cbou "$top_srcdir/man/$prog.8" \
	    2>/dev/null | grep -q "^ *-h, --help"'
done

# vennactl: help among a command's words, and an unknown command.
run "$top_builddir/vennactl" key list --help
is "$RC" 0 "vennactl key list --help exits 0"
check "  the usage on stdout" grep -q '^usage: vennactl ' <<<"$OUT"
run "$top_builddir/vennactl" workspace create -h
is "$RC" 0 "vennactl workspace create -h exits 0 (and creates nothing)"
run "$top_builddir/vennactl" no-such-command
is "$RC" 2 "vennactl no-such-command exits 2"
check "  with the usage on stderr" grep -q '^usage: vennactl ' <<<"$ERR"
tap_done
