#!/bin/bash
# secrets.sh: a secret Venna reads lives in one place in memory, the
# one that uses it, and nowhere else: the buffers that held it on the
# way in are wiped.  vennactl is caught while it waits for the database
# (another process holds the write lock) and its memory is read through
# /proc/PID/mem:
#  - a whole key given to "key revoke" is gone from its memory and from
#    /proc/PID/cmdline (ps shows no key);
#  - an upstream key written in venna.conf (api_key) and one read from
#    an api_key_file are each found exactly once (the configuration
#    that holds them), not also in the file's text or a read buffer;
#  - the pepper, in use by "key create", is there once, and its hex
#    text from the pepper file is not.
. "${top_srcdir:-.}/tests/stack.sh"

if [ "$(id -u)" -ne 0 ]; then
	require "root (to read another process's memory)" ""
fi
require node "$NODE"
require_sqlite3

stack_new
rnd() { head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
inline="sk-inline-$(rnd)"
filekey="sk-file-$(rnd)"
printf '%s\n' "$filekey" > "$STACK/upstream.key"
chmod 600 "$STACK/upstream.key"
stack_conf "[upstream inline]
base_url = http://127.0.0.1:9/v1
api_key = $inline
[upstream fromfile]
base_url = http://127.0.0.1:9/v1
api_key_file = $STACK/upstream.key
[model m]
upstream = inline, fromfile"
stack_init || { echo "Bail out! stack_init"; exit 1; }

# hold_lock SECONDS: another process holds the database's write lock.
hold_lock() {
	printf 'BEGIN IMMEDIATE;\n.shell sleep %s\nCOMMIT;\n' "$1" |
	    "$SQLITE3_BIN" "$STACK/venna.db" >/dev/null 2>&1 &
	LOCK_PID=$!
	stack_track "$LOCK_PID"
	sleep 0.3
}
# waiting PID: wait until PID has the database open (it then waits for
# the lock, its arguments and configuration long read).
waiting() {
	local i
	for i in $(seq 1 60); do
		ls -l "/proc/$1/fd" 2>/dev/null | grep -q 'venna\.db$' &&
		    return 0
		sleep 0.05
	done
	return 1
}
# count PID NEEDLE...: how many times each needle (text, or hex:HEX for
# bytes) is in PID's writable memory, space-separated.
count() {
	"$NODE" - "$@" <<'EOF'
const fs = require('fs');
const [pid, ...needles] = process.argv.slice(2);
const bufs = needles.map((n) => n.startsWith('hex:') ?
    Buffer.from(n.slice(4), 'hex') : Buffer.from(n));
const counts = bufs.map(() => 0);
const longest = Math.max(...bufs.map((b) => b.length));
const CH = 1 << 20;
const fd = fs.openSync(`/proc/${pid}/mem`, 'r');
for (const line of fs.readFileSync(`/proc/${pid}/maps`, 'utf8').trim().split('\n')) {
	const f = line.split(/\s+/);
	if (!f[1].startsWith('rw'))
		continue;
	const [a, b] = f[0].split('-').map((h) => parseInt(h, 16));
	// A sanitizer's shadow memory: terabytes reserved, nothing of ours.
	if (b - a > (1 << 30))
		continue;
	for (let pos = a; pos < b; pos += CH) {
		const len = Math.min(CH + longest - 1, b - pos);
		const buf = Buffer.alloc(len);
		let got = 0;
		try { got = fs.readSync(fd, buf, 0, len, pos); } catch (e) { break; }
		bufs.forEach((n, i) => {
			for (let at = buf.indexOf(n); at !== -1 && at < Math.min(CH, got);
			    at = buf.indexOf(n, at + 1))
				if (at + n.length <= got) counts[i]++;
		});
	}
}
console.log(counts.join(' '));
EOF
}

# "key revoke" with the whole key, waiting for the write lock.
hold_lock 4
# (stack_init exports the keys: not into this process's environment.)
env -u KEY_A -u KEY_B "$VENNACTL" -c "$STACK/venna.conf" key revoke "$KEY_A" \
    2>"$STACK/revoke.err" &
pid=$!
stack_track "$pid"
check "vennactl key revoke waits for the database" waiting "$pid"
cmdline=$(tr '\0' ' ' < "/proc/$pid/cmdline")
echo "# its command line now: $cmdline"
check "  the whole key is gone from /proc/PID/cmdline" \
    eval '! grep -qF "$KEY_A" <<<"$cmdline"'
check "  which still shows the command" grep -q 'key revoke' <<<"$cmdline"
set -- $(count "$pid" "$KEY_A" "$inline" "$filekey")
is "${1:-}" 0 "  the whole key is nowhere in its memory"
is "${2:-}" 1 "  venna.conf's api_key is in its memory once (the configuration)"
is "${3:-}" 1 "  the api_key_file's key is in its memory once"
wait "$pid"
is "$?" 0 "  and once the lock is free, the key is revoked"

# "key create": the pepper is loaded and in use while it waits.
hold_lock 4
env -u KEY_A -u KEY_B "$VENNACTL" -c "$STACK/venna.conf" key create alpha \
    >/dev/null 2>&1 &
pid=$!
stack_track "$pid"
check "vennactl key create waits for the database" waiting "$pid"
pepper_hex=$(head -c 64 "$STACK/venna.pepper")
set -- $(count "$pid" "$pepper_hex" "hex:$pepper_hex")
is "${1:-}" 0 "  the pepper file's hex text is nowhere in its memory"
is "${2:-}" 1 "  the pepper itself is there once, in use"
wait "$pid"
is "$?" 0 "  and once the lock is free, the key is made"
tap_done
