#!/bin/bash
# systemd.sh: the systemd units and socket activation.
#  - make install DESTDIR=... puts venna-fcgi.service, venna-fcgi.socket,
#    venna-batch.service and venna-batch.timer with the other examples,
#    naming the installed programs and configuration; systemd-analyze
#    verify finds nothing wrong in them (exit status 0 and not a line of
#    output), their programs and manual pages found where make install
#    put them; copies broken in a few ways fail it, so it does look;
#  - venna-fcgi started the way a socket unit starts it (by
#    systemd-socket-activate: LISTEN_PID, LISTEN_FDS, the socket on fd 3)
#    serves nginx on that socket with two workers sharing it, refuses a
#    descriptor that is no listening socket and more than one socket,
#    and stops on SIGTERM, leaving the socket to systemd.
. "${top_srcdir:-.}/tests/stack.sh"

: "${MAKE:=make}"
: "${SYSTEMD_ANALYZE:=$(command -v systemd-analyze)}"
: "${SOCKET_ACTIVATE:=$(command -v systemd-socket-activate)}"
require make "$(command -v "$MAKE")"
require "systemd-analyze (systemd)" "$SYSTEMD_ANALYZE"
require "systemd-socket-activate (systemd)" "$SOCKET_ACTIVATE"
# systemd-analyze verify looks up the units' Documentation= with man.
require "man (man-db)" "$(command -v man)"
require nginx "$NGINX_BIN"
require node "$NODE"
require curl "$(command -v curl)"

UNITS="venna-fcgi.socket venna-fcgi.service venna-batch.service
venna-batch.timer"

stack_new
dest="$STACK/dest"
mkdir -p "$dest"
if env -u MAKEFLAGS -u MFLAGS "$MAKE" -s --no-print-directory \
    -C "$top_builddir" install DESTDIR="$dest" >"$STACK/make.log" 2>&1; then
	ok "make install DESTDIR=... succeeds"
else
	not_ok "make install DESTDIR=... succeeds"
	sed 's/^/# /' "$STACK/make.log"
fi

# Where make install put things, as found in $dest.
found() {
	find "$dest" "$@" -print -quit | sed "s|^$dest||"
}
examples=$(dirname "$(found -name venna-fcgi.service)")
bindir=$(dirname "$(found -type f -name venna-fcgi)")
sysconfdir=$(dirname "$(found -name venna.conf.sample)")
statedir=$(found -type d -path '*/lib/venna')
mandir=$(dirname "$(dirname "$(found -name venna-fcgi.8)")")
echo "# examples=$examples bindir=$bindir sysconfdir=$sysconfdir"
echo "# statedir=$statedir mandir=$mandir"
for u in $UNITS; do
	check "$examples/$u" [ -f "$dest$examples/$u" ]
done
check "  no unit left with a placeholder" \
    eval '! grep -l "@[a-z]*@" "$dest$examples"/venna-*.s* "$dest$examples"/*.timer'
check "  venna-fcgi.service starts the installed venna-fcgi" \
    grep -q "^ExecStart=$bindir/venna-fcgi -c $sysconfdir/venna.conf\$" \
    "$dest$examples/venna-fcgi.service"
check "  venna-batch.service the installed venna-batch" \
    grep -q "^ExecStart=$bindir/venna-batch -c $sysconfdir/venna.conf\$" \
    "$dest$examples/venna-batch.service"
check "  both may write the state directory, and only it" \
    eval '[ "$(grep -h "^ReadWritePaths=" "$dest$examples"/venna-*.service |
    sort -u)" = "ReadWritePaths=$statedir" ]'

# The units as installed, their paths moved under $dest (where the
# programs, the configuration and the pages are): a path is moved where
# it starts a value, after "=" or a blank.
units="$STACK/units"
mkdir -p "$units"
for u in $UNITS; do
	sed -e "s#\([= ]\)$bindir/#\1$dest$bindir/#g" \
	    -e "s#\([= ]\)$sysconfdir/#\1$dest$sysconfdir/#g" \
	    -e "s#\([= ]\)$statedir\$#\1$dest$statedir#" \
	    "$dest$examples/$u" > "$units/$u"
done
# verify DIR: systemd-analyze verify on the units of DIR, its output in
# $STACK/verify.out; succeeds when it exits 0 and prints nothing.
verify() {
	local rc
	(cd "$1" && MANPATH="$dest$mandir" "$SYSTEMD_ANALYZE" verify \
	    $(for u in $UNITS; do echo "./$u"; done)) >"$STACK/verify.out" 2>&1
	rc=$?
	sed 's/^/#   /' "$STACK/verify.out"
	[ $rc -eq 0 ] && [ ! -s "$STACK/verify.out" ]
}
check "systemd-analyze verify: the four units, without a warning" \
    verify "$units"

# break SED-EXPR UNIT WHAT: a copy of the units with UNIT edited fails.
break_unit() {
	local b="$STACK/broken"
	rm -rf "$b"
	cp -r "$units" "$b"
	sed -i -e "$1" "$b/$2"
	if cmp -s "$units/$2" "$b/$2"; then
		not_ok "$3 (the edit changed nothing)"
		return
	fi
	check "$3" eval '! verify "$b"'
}
echo "# broken copies (the warnings expected):"
break_unit 's|/venna-fcgi -c|/venna-fcgx -c|' venna-fcgi.service \
    "  a program that is not there fails verify"
break_unit 's|^ProtectSystem=strict|ProtectSystem=stricter|' \
    venna-fcgi.service "  a value systemd cannot parse fails verify"
break_unit 's|^Type=oneshot|Typo=oneshot|' venna-batch.service \
    "  an unknown key fails verify"
break_unit 's|^OnCalendar=minutely|OnCalendar=every minute|' \
    venna-batch.timer "  a calendar that is none fails verify"
break_unit 's|^Documentation=man:venna-fcgi(8)|Documentation=man:venna-fgci(8)|' \
    venna-fcgi.socket "  a manual page that is not installed fails verify"

# ---- socket activation, behind nginx
# activate SOCKET... -- ARGS...: venna-fcgi with ARGS under
# systemd-socket-activate listening on each SOCKET, which execs it on
# the first connection: ACTIVATED is its pid from the start.
activate() {
	local socks=()
	while [ "$1" != -- ]; do
		socks+=(-l "$1")
		shift
	done
	shift
	"$SOCKET_ACTIVATE" "${socks[@]}" "$VENNA_FCGI" \
	    -c "$STACK/venna.conf" "$@" 2>>"$STACK/venna.log" &
	ACTIVATED=$!
	stack_track "$ACTIVATED"
	wait_listen "${socks[1]}"
}
stack_conf
stack_init || { echo "Bail out! stack_init"; exit 1; }
activate "$STACK/venna.sock" -- -w 2 -t 4 ||
    { echo "Bail out! no socket"; exit 1; }
MASTER=$ACTIVATED
start_nginx || { echo "Bail out! nginx"; exit 1; }

http GET "$BASE_URL/models" -H "Authorization: Bearer $KEY_A"
is "$HTTP_STATUS" 200 "activated: GET /v1/models with a key, through nginx"
check "  lists venna-1" grep -q '"id":"venna-1"' <<<"$HTTP_BODY"
http GET "$BASE_URL/models"
is "$HTTP_STATUS" 401 "  without a key: 401"
is "$(cat "/proc/$MASTER/comm" 2>/dev/null)" venna-fcgi \
    "  venna-fcgi is the process systemd-socket-activate started"
check "  serving the socket systemd passed" \
    grep -q "venna-fcgi\[$MASTER\] info: serving the socket systemd passed\$" \
    "$STACK/venna.log"
workers=$(pgrep -P "$MASTER" | sort)
is "$(echo "$workers" | grep -c .)" 2 "  two workers (-w 2)"
master_sock=$(readlink "/proc/$MASTER/fd/3")
check "  fd 3 of the master is a socket" eval '[[ $master_sock == socket:* ]]'
for w in $workers; do
	is "$(readlink "/proc/$w/fd/3")" "$master_sock" \
	    "  worker $w accepts on that very socket"
done
# Blocked in accept, the threads of both workers queue on the one
# socket and the kernel hands connections out in turn: both serve.
clients=()
for i in $(seq 1 24); do
	curl -s -o /dev/null -H "Authorization: Bearer $KEY_A" \
	    "$BASE_URL/models" &
	clients+=($!)
done
wait "${clients[@]}"
served=$(sed -n 's/.*venna-fcgi\[\([0-9]*\)\] info req_.*GET \/v1\/models 200 .*/\1/p' \
    "$STACK/venna.log" | sort -u)
is "$(echo "$served" | grep -c .)" 2 "  requests served by both workers"
is "$(echo "$served" | tr '\n' ' ')" "$(echo "$workers" | tr '\n' ' ')" \
    "  those two"

kill -TERM "$MASTER"
for _ in $(seq 1 100); do
	kill -0 "$MASTER" 2>/dev/null || break
	sleep 0.05
done
wait "$MASTER" 2>/dev/null
is "$?" 0 "SIGTERM: venna-fcgi drains and exits 0"
check "  its workers are gone" eval '! pgrep -P "$MASTER" >/dev/null'
check "  the socket is left to systemd" [ -S "$STACK/venna.sock" ]

# Refusals: exit status 1 and the reason.
refused() {
	local want=$1
	shift
	"$@" >"$STACK/refused.out" 2>&1
	local rc=$?
	sed 's/^/#   /' "$STACK/refused.out"
	[ $rc -eq 1 ] && grep -q "$want" "$STACK/refused.out"
}
check "LISTEN_FDS=1 with no socket on fd 3: refused" \
    refused "descriptor 3 is not a listening socket" \
    bash -c 'export LISTEN_PID=$$ LISTEN_FDS=1; exec 3</dev/null;
    exec "$0" -c "$1"' "$VENNA_FCGI" "$STACK/venna.conf"
# Two sockets: venna-fcgi starts on the first connection and refuses.
activate "$STACK/a.sock" "$STACK/b.sock" -- &&
    curl -s -m 5 --unix-socket "$STACK/a.sock" http://venna/ >/dev/null 2>&1
wait "$ACTIVATED"
is "$?" 1 "two sockets: refused"
check "  saying it serves one" grep -q "passed 2 sockets; venna-fcgi serves one" \
    "$STACK/venna.log"

tap_done
