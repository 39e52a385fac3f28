#!/bin/bash
# vennactl.sh: what an operator's typo or a badly prepared host gets.
#  - every vennactl command that takes a workspace refuses an unknown
#    one (exit 1, a message naming it) instead of printing nothing;
#  - venna-fcgi -n checks, beyond the file, that the database's
#    directory exists and is writable by the user it runs as, and that
#    the state present is usable; it still says the file itself is fine.
. "${top_srcdir:-.}/tests/stack.sh"

stack_new
stack_conf
stack_init || { echo "Bail out! stack_init"; exit 1; }
ctl() { "$VENNACTL" -c "$STACK/venna.conf" "$@"; }

# run ARGS...: sets RC, OUT, ERR.
run() {
	"$@" >"$STACK/out" 2>"$STACK/err"
	RC=$?
	OUT=$(cat "$STACK/out")
	ERR=$(cat "$STACK/err")
}

for cmd in "key create nosuch --name x" "key list --workspace nosuch" \
    "usage --workspace nosuch" "usage --workspace nosuch --by model"; do
	# shellcheck disable=SC2086
	run ctl $cmd
	is "$RC" 1 "vennactl $cmd: exit 1"
	check "  names the unknown workspace" \
	    grep -q 'no workspace named nosuch' <<<"$ERR"
	is "$OUT" "" "  prints nothing on stdout"
done
run ctl key create '-bad/name'
is "$RC" 1 "vennactl key create with an impossible name: exit 1"
check "  no workspace named ..." grep -q 'no workspace named -bad/name' <<<"$ERR"
# The same commands with a workspace that exists still work.
run ctl key list --workspace alpha
is "$RC" 0 "vennactl key list --workspace alpha: exit 0"
check "  lists alpha's key" grep -q ' alpha ' <<<"$OUT"
run ctl usage --workspace alpha --format csv
is "$RC" 0 "vennactl usage --workspace alpha: exit 0"
is "$(ctl workspace list | grep -c nosuch)" 0 "  and no workspace was made by the failures"

# venna-fcgi -n and the state on disk.
n_check() { "$VENNA_FCGI" -n -c "$1"; }
run n_check "$STACK/venna.conf"
is "$RC" 0 "venna-fcgi -n on a prepared state: exit 0"
check "  configuration OK" grep -q 'configuration OK' <<<"$OUT"
is "$ERR" "" "  and no complaint"

mkdir -p "$STACK/other"
sed "s|^database = .*|database = $STACK/other/missing/venna.db|" \
    "$STACK/venna.conf" > "$STACK/other/missing.conf"
run n_check "$STACK/other/missing.conf"
is "$RC" 1 "venna-fcgi -n when the database's directory is missing: exit 1"
check "  the file itself is fine" grep -q 'configuration OK' <<<"$OUT"
check "  the message names the directory" \
    grep -q "database's directory $STACK/other/missing: No such file" <<<"$ERR"
check "  and says what makes it" grep -q 'vennactl init' <<<"$ERR"

# A directory another user owns: writable by root, not by the user the
# check runs as.  As root, that user is nobody (runuser); otherwise the
# directory is made read-only.
mkdir -p "$STACK/ro"
sed "s|^database = .*|database = $STACK/ro/venna.db|" \
    "$STACK/venna.conf" > "$STACK/ro/venna.conf"
chmod 755 "$STACK/ro"
if [ "$(id -u)" -eq 0 ]; then
	bin="$VENNA_FCGI"
	if ! runuser -u nobody -- test -x "$bin"; then
		mkdir -p "$STACK/bin" && cp "$VENNA_FCGI" "$STACK/bin/" &&
		    bin="$STACK/bin/venna-fcgi"
	fi
	run runuser -u nobody -- "$bin" -n -c "$STACK/ro/venna.conf"
	who=nobody
else
	chmod 555 "$STACK/ro"
	run n_check "$STACK/ro/venna.conf"
	who=$(id -un)
	chmod 755 "$STACK/ro"
fi
is "$RC" 1 "venna-fcgi -n when the database's directory is not writable: exit 1"
check "  the message names the directory and the user ($who)" \
    grep -q "database's directory $STACK/ro is not writable by $who" <<<"$ERR"

# A database the user cannot write.
chmod 444 "$STACK/venna.db"
if [ "$(id -u)" -eq 0 ]; then
	chmod 777 "$STACK"
	run runuser -u nobody -- "$bin" -n -c "$STACK/venna.conf"
	chmod 755 "$STACK"
	is "$RC" 1 "venna-fcgi -n when the database and pepper are another user's: exit 1"
	check "  the pepper is named" \
	    grep -q "pepper $STACK/venna.pepper is not readable by nobody" <<<"$ERR"
	check "  and the key generation file" \
	    grep -q "key generation file $STACK/venna.db.keygen is not readable by nobody" <<<"$ERR"
else
	run n_check "$STACK/venna.conf"
	is "$RC" 1 "venna-fcgi -n when the database is read-only: exit 1"
fi
check "  the database is named" \
    grep -q "database $STACK/venna.db is not writable" <<<"$ERR"
chmod 640 "$STACK/venna.db"
tap_done
