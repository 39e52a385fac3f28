#!/bin/bash
# privileges.sh: started as root, venna-fcgi and venna-batch give root
# up for the user they are told to run as, or refuse to run.
#  - without -u or "user", as root: both refuse, and make nothing;
#  - venna-fcgi -u nobody: the socket is bound as root and handed to
#    nobody; the master and every worker run as nobody:nogroup (real,
#    effective, saved and filesystem ids, no capabilities, no other
#    groups, no_new_privs), serve through nginx, and every file they
#    make is nobody's; a SIGHUP reload (the file read as nobody) and a
#    stop still work;
#  - venna-batch -u nobody becomes nobody before it opens the database;
#  - -u names an unknown user: refused; a user that is not root cannot
#    become another.
. "${top_srcdir:-.}/tests/stack.sh"

if [ "$(id -u)" -ne 0 ]; then
	require "root (these checks start the programs as root)" ""
fi
require nginx "$NGINX_BIN"
require node "$NODE"
require runuser "$(command -v runuser)"
require timeout "$(command -v timeout)"

U=nobody
uid=$(id -u "$U")
gid=$(id -g "$U")
G=$(id -gn "$U")

stack_new
stack_conf
stack_init || { echo "Bail out! stack_init"; exit 1; }
# The same configuration without "user = root" (which stack_conf adds
# for the other tests).
grep -v '^user = ' "$STACK/venna.conf" > "$STACK/plain.conf"
# The state belongs to the user the programs will run as.
chown -R "$U:$G" "$STACK"
chown root:root "$STACK/venna.conf" "$STACK/plain.conf"
chmod 644 "$STACK/venna.conf" "$STACK/plain.conf"

# root_owned: state files under $STACK that are not the user's (the
# test's own files and nginx's are left out).
root_owned() {
	find "$STACK" -path "$STACK/nginx" -prune -o ! -user "$U" -print |
	    grep -vE "^$STACK/(plain.conf|venna.conf|pids|venna.log|batch.log|out|err|http.out|http.hdr|bin(/.*)?)$"
}

# run ARGS...: sets RC, ERR.  A program that should have refused but
# runs is stopped after 10 s (timeout's status, 124).
run() {
	timeout 10 "$@" >"$STACK/out" 2>"$STACK/err"
	RC=$?
	ERR=$(cat "$STACK/err")
}

# ---- refused without a user ----
run "$VENNA_FCGI" -c "$STACK/plain.conf" -l "$STACK/refused.sock"
is "$RC" 1 "venna-fcgi as root without -u or user: exit 1"
check "  says it refuses root and how to name a user" \
    grep -q 'refusing to run as root.*-u USER' <<<"$ERR"
check "  and binds nothing" [ ! -e "$STACK/refused.sock" ]
run "$VENNA_BATCH" -c "$STACK/plain.conf"
is "$RC" 1 "venna-batch as root without -u or user: exit 1"
check "  says it refuses root" grep -q 'refusing to run as root' <<<"$ERR"
is "$(root_owned)" "" "  and neither made a file as root"
run "$VENNA_FCGI" -c "$STACK/plain.conf" -l "$STACK/refused.sock" -u nosuchuser
is "$RC" 1 "-u with an unknown user: exit 1"
check "  naming it" grep -q 'no user named nosuchuser' <<<"$ERR"
run "$VENNA_FCGI" -c "$STACK/plain.conf" -l "$STACK/refused.sock" -u "$U:nosuchgroup"
is "$RC" 1 "-u with an unknown group: exit 1"
check "  naming it" grep -q 'no group named nosuchgroup' <<<"$ERR"

# ---- venna-batch -u: nobody before the database ----
# A database only root can open: a pass that dropped root cannot.
chown root:root "$STACK/venna.db"
chmod 600 "$STACK/venna.db"
run "$VENNA_BATCH" -c "$STACK/plain.conf" -u "$U"
is "$RC" 1 "venna-batch -u $U on a database only root can open: exit 1 (root is gone)"
chown "$U:$G" "$STACK/venna.db"
chmod 640 "$STACK/venna.db"
run "$VENNA_BATCH" -c "$STACK/plain.conf" -u "$U:$G"
is "$RC" 0 "venna-batch -u $U:$G on the user's state: a pass, exit 0"
[ "$RC" -eq 0 ] || sed 's/^/#   /' "$STACK/err"
sed "s/^user = .*/user = $U/" "$STACK/venna.conf" > "$STACK/user.conf"
run "$VENNA_BATCH" -c "$STACK/user.conf"
is "$RC" 0 "venna-batch with user = $U in [server]: exit 0"
rm -f "$STACK/user.conf"
is "$(root_owned)" "" "  every file its passes made is $U's"

# ---- venna-fcgi -u nobody ----
start_venna -u "$U" -w 2 -t 4 || { echo "Bail out! venna-fcgi"; exit 1; }
start_nginx || { echo "Bail out! nginx"; exit 1; }
http GET "$BASE_URL/models" -H "Authorization: Bearer $KEY_A"
is "$HTTP_STATUS" 200 "the pool run as $U serves through nginx"
http POST "$BASE_URL/chat/completions" -H "Authorization: Bearer $KEY_A" \
    -H 'content-type: application/json' \
    -d '{"model":"venna-1","messages":[{"role":"user","content":"as nobody"}]}'
is "$HTTP_STATUS" 200 "  and chat completions (the usage journal is written)"
is "$(stat -c '%U:%G %a' "$STACK/venna.sock")" "$U:$G 660" \
    "the socket bound as root is handed to $U:$G, mode 660"

# ids PID: "uid-line gid-line groups caps nnp" from /proc/PID/status.
ids() {
	awk '/^Uid:/ { u = $2 "," $3 "," $4 "," $5 }
	    /^Gid:/ { g = $2 "," $3 "," $4 "," $5 }
	    /^Groups:/ { $1 = ""; gr = $0; sub(/^ */, "", gr); sub(/ *$/, "", gr) }
	    /^CapEff:/ { c = $2 } /^NoNewPrivs:/ { n = $2 }
	    END { print u, g, "[" gr "]", c, n }' "/proc/$1/status"
}
want="$uid,$uid,$uid,$uid $gid,$gid,$gid,$gid [$(id -G "$U" | tr ' ' '\n' | sort -n | tr '\n' ' ' | sed 's/ $//')] 0000000000000000 1"
is "$(ids "$VENNA_PID")" "$want" "the master: uid, gid, groups, capabilities, no_new_privs"
workers=$(pgrep -P "$VENNA_PID")
is "$(wc -w <<<"$workers")" 2 "  two workers"
for w in $workers; do
	is "$(ids "$w")" "$want" "  worker $w: the same"
done
is "$(root_owned)" "" "every file the pool made is $U's (database files, journals, leases)"

# SIGHUP: the master, now nobody, reads the file again.
kill -HUP "$VENNA_PID"
for _ in $(seq 1 50); do
	grep -q 'starting generation 1' "$STACK/venna.log" && break
	sleep 0.1
done
check "a SIGHUP reload works as $U" grep -q 'starting generation 1' "$STACK/venna.log"
sleep 0.5
http GET "$BASE_URL/models" -H "Authorization: Bearer $KEY_A"
is "$HTTP_STATUS" 200 "  and the new generation serves"
for w in $(pgrep -P "$VENNA_PID"); do
	is "$(ids "$w")" "$want" "  its worker $w runs as $U too"
done

# A user that is not root cannot become another.
bin="$VENNA_FCGI"
if ! runuser -u "$U" -- test -x "$bin"; then
	mkdir -p "$STACK/bin" && cp "$VENNA_FCGI" "$STACK/bin/" &&
	    bin="$STACK/bin/venna-fcgi"
fi
run runuser -u "$U" -- "$bin" -c "$STACK/plain.conf" -l "$STACK/other.sock" \
    -u root
is "$RC" 1 "as $U, -u root: exit 1"
check "  only root can switch users" grep -q 'cannot become root: only root can' <<<"$ERR"

# Stopping: the master, as nobody, still removes its socket.
kill -TERM "$VENNA_PID"
for _ in $(seq 1 100); do kill -0 "$VENNA_PID" 2>/dev/null || break; sleep 0.1; done
check "SIGTERM stops the pool" eval '! kill -0 "$VENNA_PID" 2>/dev/null'
check "  and its socket is removed" [ ! -e "$STACK/venna.sock" ]
tap_done
