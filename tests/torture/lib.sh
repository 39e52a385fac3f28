#!/bin/bash
# lib.sh: the fault torture's machinery, sourced by tests/torture/torture.sh.
#
# A stack as tests/stack.sh makes it (the mock upstream, a real nginx,
# real SQLite files), with venna-fcgi run as one worker of one request
# thread under fault.so, and venna-batch and vennactl run under it when
# they are the process under test.  The control file (fault.c) is how
# the driver arms a fault in the worker without restarting it.
#
# An operation OP is four functions:
#   op_OP_kind     prints "worker" (the fault goes to the venna-fcgi
#                  worker), or "batch"/"ctl" (to venna-batch/vennactl);
#   op_OP_before   fault-free preparation for one run (may be empty);
#   op_OP_run      the operation itself, while the fault is armed;
#                  sets ANSWER (what the client saw, for the report);
#   op_OP_check    the operation's invariants, fault off; each broken
#                  one is reported with violate.
# After every run the invariants every operation shares are checked
# too (global_check).
. "${top_srcdir:-.}/tests/stack.sh"

FAULT_SO=${FAULT_SO:-$top_builddir/tests/torture/fault.so}
# The counters of the control file, in fault.c's order.
FN_ORDER=(write pwrite writev fsync fdatasync rename open read pread
    malloc calloc realloc)
CURL_MAX_TIME=${TORTURE_TIMEOUT:-10}	# seconds: longer is a hang
BATCH_MAX_TIME=60

# ---- the control file ------------------------------------------------------

# fault_init: an empty control file, disarmed.
fault_init() {
	CTL="$STACK/fault.ctl"
	head -c 4096 /dev/zero > "$CTL"
	FAULT_GEN=0
	fault_set fn=off
}

# fault_set KEY=VALUE...: a new line for every process that has
# fault.so (fault.c: fn, n, mode, errno, pid, trace); the counters are
# zeroed first, so they count from this line on.
fault_set() {
	FAULT_GEN=$((FAULT_GEN + 1))
	head -c 3584 /dev/zero |
	    dd of="$CTL" bs=512 seek=1 conv=notrunc status=none
	printf '%-511s\n' "$(printf '%012d' "$FAULT_GEN") $*" |
	    dd of="$CTL" bs=512 count=1 conv=notrunc status=none
	rm -f "$CTL.site" "$CTL.trace"
}

# fault_read: FIRED (faults injected), FIRED_PID and COUNT[fn].
fault_read() {
	local v i=0
	v=($(od -An -v -t u8 -j 512 -N $((8 * (2 + ${#FN_ORDER[@]}))) \
	    "$CTL"))
	FIRED=${v[0]}
	FIRED_PID=${v[1]}
	declare -gA COUNT
	for i in "${!FN_ORDER[@]}"; do
		COUNT[${FN_ORDER[$i]}]=${v[$((i + 2))]}
	done
}

# with_fault COMMAND...: run COMMAND with fault.so.
with_fault() {
	env LD_PRELOAD="$FAULT_SO" VENNA_FAULT_CTL="$CTL" \
	    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
	    "$@"
}

# ---- symbols ---------------------------------------------------------------

# symbolize < FRAMES: for each frame "module+0xOFF[:sym+0xOFF]" on
# stdin, one per line, print "frame<TAB>where" where where is
# "function file:line" for our programs' frames (of the innermost
# function of ours when the compiler inlined some: the line that
# calls) or the library's symbol.
symbolize() {
	awk -v top="$top_srcdir" '
	{
		f = $1
		split(f, a, ":")
		mod = a[1]
		sub(/\+0x[0-9a-f]+$/, "", mod)
		off = substr(a[1], length(mod) + 2)
		if (mod ~ /\/(venna-fcgi|venna-batch|vennactl)$/) {
			want[mod] = want[mod] " " off
			frames[mod, off] = frames[mod, off] SUBSEP f
		} else {
			lib = mod
			sub(/.*\//, "", lib)
			sub(/\.so.*/, "", lib)
			s = a[2]
			sub(/\+0x[0-9a-f]+$/, "", s)
			print f "\t" lib (s != "" ? ":" s : "")
		}
	}
	END {
		for (mod in want) {
			cmd = "addr2line -a -f -i -C -e " mod want[mod]
			addr = ""
			while ((cmd | getline line) > 0) {
				if (line ~ /^0x[0-9a-f]+$/) {
					if (addr != "")
						emit(mod, addr, pick)
					addr = line
					sub(/^0x0*/, "0x", addr)
					if (addr == "0x")
						addr = "0x0"
					pick = ""
					n = 0
					continue
				}
				if (n++ % 2 == 0) {
					fn = line
					continue
				}
				loc = clean(line)
				# the first of ours, else the outermost
				if (pick == "" || pick !~ / src\//)
					if (pick == "" || loc ~ /^src\//)
						pick = fn " " loc
			}
			if (addr != "")
				emit(mod, addr, pick)
			close(cmd)
		}
	}
	function clean(loc,   i) {
		sub(/ \(discriminator.*/, "", loc)
		i = index(loc, top "/")
		if (i == 1)
			loc = substr(loc, length(top) + 2)
		sub(/.*\/third_party\//, "third_party/", loc)
		# out of tree (distcheck): "../src/x.c" and the like
		if (loc ~ /(^|\/)src\/[^\/]*:/)
			sub(/^.*src\//, "src/", loc)
		return loc
	}
	function emit(mod, addr, where,   k, m, i) {
		m = split(frames[mod, addr], k, SUBSEP)
		for (i = 2; i <= m; i++)
			print k[i] "\t" where
	}'
}

# Frames of a sanitizer's runtime (its interceptors sit between a call
# and the function it calls).
SANRT='^lib(asan|tsan|ubsan)|^__interceptor_|^__(asan|tsan|ubsan|sanitizer)|(asan|tsan|ubsan|sanitizer)_[a-z_]*\\.(o|cpp|cc|h):'

# site_of FILE: from a fault's stack (FILE: the .site or .crash block,
# a frame a line), "where" of the first two frames in our own code
# (src/), after the names of the library frames before them (at most
# two).
site_of() {
	grep -v '^fault \|^crash ' "$1" | symbolize_in_order |
	    awk -F'\t' -v SANRT="$SANRT" '
	# frames of a sanitizer runtime are not where the call comes from
	$2 ~ SANRT { next }
	$2 ~ / src\// {
		if (site == "") { site = $2; next }
		if ($2 != site) { site = site " < " $2; exit }
		next
	}
	site == "" && nvia < 2 { via = via (via != "" ? " < " : "") $2; nvia++ }
	END {
		if (site != "") print (via != "" ? via " < " : "") site
		else print (via != "" ? via : "?")
	}'
}

# symbolize_in_order: symbolize, keeping the order of the input lines.
symbolize_in_order() {
	local tmp="$STACK/sym.$$"
	cat > "$tmp.in"
	symbolize < "$tmp.in" > "$tmp.map"
	awk -F'\t' 'NR == FNR { m[$1] = $2; next } { print $1 "\t" m[$1] }' \
	    "$tmp.map" "$tmp.in"
	rm -f "$tmp.in" "$tmp.map"
}

# trace_sites FN < TRACE: for a counting run's trace, "N<TAB>site<TAB>
# ours" for each traced call of FN, where site is as in site_of and
# ours its first three frames in our code alone, so that sites can be
# sampled.
trace_sites() {
	local fn=$1 tmp="$STACK/trace.$$"
	awk -v fn="$fn" '$1 == fn' > "$tmp.calls"
	awk '{ for (i = 4; i <= NF; i++) print $i }' "$tmp.calls" |
	    sort -u | symbolize > "$tmp.map"
	awk -F'\t' -v OFS='\t' -v SANRT="$SANRT" '
	NR == FNR { m[$1] = $2; next }
	{
		split($0, w, " ")
		via = ""; nvia = 0; n = 0; last = ""
		for (i = 4; (i in w) && n < 3; i++) {
			s = m[w[i]]
			if (s ~ SANRT)
				continue
			if (s ~ / src\//) {
				if (s != last)
					ours[++n] = s
				last = s
				continue
			}
			if (n == 0 && nvia < 2) {
				via = via (via != "" ? " < " : "") s
				nvia++
			}
		}
		site = n == 0 ? "?" : n == 1 ? ours[1] : ours[1] " < " ours[2]
		deep = n == 3 ? site " < " ours[3] : site
		print w[2], (via != "" ? via " < " : "") site, deep
	}' "$tmp.map" "$tmp.calls"
	rm -f "$tmp.calls" "$tmp.map"
}

# ---- the stack -------------------------------------------------------------

# tstack_start SYNC: the stack on a new $STACK with synchronous=SYNC:
# the mock upstream; model "m" on it, priced; a batch runs one line at
# a time; the worker pool is one worker of one request thread with one
# database connection, so that the N-th call is the same call from one
# run to the next; fault.so given to venna-fcgi alone.
tstack_start() {
	local sync=$1
	stack_new
	fault_init
	start_mock || return 1
	# A transfer libcurl loses track of when one of its allocations
	# fails (a timer or a socket watch not kept) is ended by Venna's
	# own watchdog, the upstream's idle and first-byte timeouts: short
	# here, so that it shows within the client's patience.
	STACK_SYNC=$sync STACK_SERVER="db_connections = 1
background_threads = 1
batch_concurrency = 1" stack_conf "[upstream mock]
base_url = $MOCK_URL/v1
first_byte_timeout = 3s
idle_timeout = 3s
[model m]
upstream = mock
input_price = 1
output_price = 2"
	stack_init || return 1
	TSYNC=$sync
	: "${REAL_VENNA_FCGI:=$VENNA_FCGI}"
	# The wrapper keeps the pid (exec): VENNA_PID is the master.
	cat > "$STACK/venna-fcgi-fault" <<EOF
#!/bin/sh
LD_PRELOAD='$FAULT_SO' VENNA_FAULT_CTL='$CTL' exec '$REAL_VENNA_FCGI' "\$@"
EOF
	chmod +x "$STACK/venna-fcgi-fault"
	VENNA_FCGI="$STACK/venna-fcgi-fault"
	AUTH_A="Authorization: Bearer $KEY_A"
	: > "$STACK/ok.ids"		# request ids of every 2xx with a row
	: > "$STACK/ok.files"		# "id path" of every 2xx upload
	: > "$STACK/gone.files"		# ids of files deleted or refused
	: > "$STACK/aside.ids"		# the driver's own requests
	mkdir -p "$STACK/in"
	hold_checkpoint_lock
	pool_start || return 1
	start_nginx || return 1
	warm_up
}

# The workers' checkpointer imports journals and checkpoints every
# second: calls no operation makes, at times no run controls.  The
# driver holds the checkpoint lock instead (fd 9), so no process is
# the checkpointer; vennactl usage imports the journals when asked.
hold_checkpoint_lock() {
	exec 9>>"$STACK/venna.db.ckpt-lock"
	flock -n 9 || echo "# cannot take the checkpoint lock" >&2
}

# pool_start: venna-fcgi, one worker; WORKER its pid.
pool_start() {
	start_venna -w 1 -t 1 9>&- || return 1
	wait_worker
}

# wait_worker [SECONDS]: until the master has a worker; WORKER.
wait_worker() {
	local i max=$((${1:-15} * 20))
	for ((i = 0; i < max; i++)); do
		WORKER=$(pgrep -P "$VENNA_PID" | head -n 1)
		[ -n "$WORKER" ] && return 0
		sleep 0.05
	done
	return 1
}

# pool_restart: a fresh pool (after a crash: the master's backoff for
# workers that die young is reset).
pool_restart() {
	local pid=$VENNA_PID w
	w=$(pgrep -P "$pid")
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 1 60); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	# A wedged worker does not drain: it goes the hard way.
	kill -KILL "$pid" $w 2>/dev/null
	wait "$pid" 2>/dev/null
	workers_gone $w
	pool_start && warm_up
}

# pool_kill9: kill -9 the master and its worker (a power cut, as far as
# the processes go: nothing is closed, the WAL stays as it is).
pool_kill9() {
	local w
	w=$(pgrep -P "$VENNA_PID")
	kill -KILL "$VENNA_PID" $w 2>/dev/null
	wait "$VENNA_PID" 2>/dev/null
	workers_gone $w
}

# workers_gone PID...: until each killed worker is gone or a zombie
# (whose descriptors are closed): a dying worker still holds the
# listening socket, and the next master would find it answering and
# refuse to start.
workers_gone() {
	local p i
	for p in "$@"; do
		for ((i = 0; i < 100; i++)); do
			[ -d "/proc/$p" ] || break
			grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null &&
			    break
			sleep 0.05
		done
	done
}

# warm_up: what a first request does once (connections, statements,
# the upstream's keepalive), so counting runs see what later runs do.
# Their rows are the driver's, not a run's (new_rows leaves them out).
warm_up() {
	local i
	for i in 1 2; do
		aside_chat
		curl -s -o /dev/null "$BASE_URL/files?limit=1" -H "$AUTH_A"
		curl -s -o /dev/null "$BASE_URL/responses/resp_none" -H "$AUTH_A"
	done
	import_usage
}

# aside_chat: a fault-free chat completion of the driver's own; 0 if
# it answered 200 (its row is then expected, and kept apart).
# The answer of the run (STATUS, RID, the body) is left as it was.
aside_chat() {
	local status=$STATUS rc=$CURL_RC rid=$RID ok=0
	cp "$BODY_FILE" "$STACK/ans.keep" 2>/dev/null
	cp "$HDR_FILE" "$STACK/ans.keep.hdr" 2>/dev/null
	chat_request '{"model":"m","messages":[{"role":"user","content":"aside"}]}'
	if [ "$STATUS" = 200 ]; then
		ok=1
		echo "$RID" >> "$STACK/ok.ids"
		echo "$RID" >> "$STACK/aside.ids"
	fi
	ASIDE_STATUS=$STATUS
	STATUS=$status CURL_RC=$rc RID=$rid
	cp "$STACK/ans.keep" "$BODY_FILE" 2>/dev/null
	cp "$STACK/ans.keep.hdr" "$HDR_FILE" 2>/dev/null
	[ "$ok" = 1 ]
}

# ---- requests and answers ----------------------------------------------------

# req METHOD PATH [CURL ARGS...]: one request through nginx; sets
# STATUS, CURL_RC, BODY_FILE, HDR_FILE, RID (x-request-id).
req() {
	local method=$1 path=$2
	shift 2
	BODY_FILE="$STACK/ans.body"
	HDR_FILE="$STACK/ans.hdr"
	: > "$BODY_FILE"
	: > "$HDR_FILE"
	STATUS=$(curl -s -o "$BODY_FILE" -D "$HDR_FILE" -w '%{http_code}' \
	    --max-time "$CURL_MAX_TIME" -X "$method" "$BASE_URL$path" \
	    -H "$AUTH_A" "$@")
	CURL_RC=$?
	RID=$(tr -d '\r' < "$HDR_FILE" |
	    sed -n 's/^[Xx]-[Rr]equest-[Ii]d: *//p' | tail -n 1)
}

chat_request() {
	req POST /chat/completions -H 'content-type: application/json' \
	    -d "$1"
}

# js EXPR [FILE]: EXPR over b, the JSON text of FILE (default the last
# answer), by SQLite's JSON functions: NULL (empty) if b is not JSON.
js() {
	local f=${2:-$BODY_FILE}
	"$SQLITE3_BIN" :memory: "SELECT CASE WHEN json_valid(b) THEN $1 END
	    FROM (SELECT CAST(readfile('$f') AS TEXT) AS b)"
}

# is_envelope_file [FILE]: an OpenAI error envelope, four keys, alone.
is_envelope_file() {
	[ "$(js "json_type(b, '\$.error') = 'object' AND
	    json_type(b, '\$.error.message') = 'text' AND
	    json_type(b, '\$.error.type') = 'text' AND
	    json_type(b, '\$.error.param') IS NOT NULL AND
	    json_type(b, '\$.error.code') IS NOT NULL AND
	    (SELECT count(*) FROM json_each(b)) = 1" "${1:-$BODY_FILE}")" = 1 ]
}

# judge_answer WHAT: the outcome of one HTTP answer for the run:
# a 2xx is for the operation's check to judge (returns 0), anything
# else must be a clean envelope; a timeout is a hang.  Sets ANSWER.
judge_answer() {
	ANSWER_RID=$RID
	if [ "$CURL_RC" -eq 28 ]; then
		ANSWER="hang"
		violate "hang: no answer to $1 within ${CURL_MAX_TIME}s"
		return 1
	fi
	ANSWER=$STATUS
	case $STATUS in
	2??) return 0 ;;
	000)
		ANSWER="cut (curl $CURL_RC)"
		return 1
		;;
	esac
	if ! is_envelope_file; then
		violate "$1: $STATUS without a clean OpenAI error envelope: $(head -c 160 "$BODY_FILE" | tr -d '\r\n')"
	else
		ANSWER="$STATUS $(js "json_extract(b, '\$.error.code')")"
	fi
	return 1
}

# ---- findings ----------------------------------------------------------------

# violate TEXT: an invariant broken by this run.
violate() {
	PROBLEMS+=("$*")
}

# violate_once KEY TEXT: a broken invariant of the stack's state (a row
# without its content, ...): reported by the run that broke it, not
# again by every run after it.
violate_once() {
	grep -qxF -- "$1" "$STACK/reported" 2>/dev/null && return 0
	echo "$1" >> "$STACK/reported"
	violate "$2"
}

# lost_in_transit WHAT: for an error answer that left what a success
# leaves.  When Venna answered the error itself (its x-request-id is on
# the answer), it gave up on work it had committed: a violation.  When
# the web server answered (a 502: Venna's write to it failed after the
# commit, which must come first), the answer was lost on its way: no
# transaction spans the network, so that is noted, not a violation.
#
# Likewise when the failed call was the sync of an SQLite commit: SQLite
# reports the commit failed, but the transaction is whole in the WAL
# and comes back at recovery (the run kill -9s the pool to see it); its
# outcome is unknown to whoever made it, as after a crash.
lost_in_transit() {
	if sqlite_sync_fault; then
		ANSWER="$ANSWER; committed although its sync failed"
	elif [ -n "$ANSWER_RID" ]; then
		violate "$*"
	else
		ANSWER="$ANSWER; committed, the answer lost in transit"
	fi
}

sqlite_sync_fault() {
	case $SITE in
	*sqlite3OsSync*) return 0 ;;
	esac
	return 1
}

# ---- the usage ledger --------------------------------------------------------

import_usage() {
	"$VENNACTL" -c "$STACK/venna.conf" usage >/dev/null 2>>"$STACK/ctl.log"
}

usage_mark() {
	import_usage
	USAGE_MARK=$(sql "SELECT coalesce(max(id), 0) FROM usage")
}

# new_rows: "request_id|status|cost" of the rows since usage_mark.
new_rows() {
	sql "SELECT request_id, status, cost_pusd FROM usage
	    WHERE id > $USAGE_MARK ORDER BY id" |
	    grep -v -F -f "$STACK/aside.ids"
}

# check_billing OK RID: after an answer (OK 1: a success the client
# got, with request id RID), the rows the request left: a success has
# exactly one row, a 200 with its id; an error none billed as a
# success (but see lost_in_transit: the row is journaled before the
# answer goes out, as it must be).
check_billing() {
	local ok=$1 rid=$2 rows n200
	import_usage
	rows=$(new_rows)
	n200=$(grep -c '|200|' <<<"$rows")
	if [ "$ok" = 1 ]; then
		if [ "$n200" -ne 1 ] || ! grep -q "^$rid|200|" <<<"$rows"; then
			violate "the success $rid has $n200 usage rows billed as 200, not exactly one of its own: ${rows//$'\n'/; }"
		fi
		echo "$rid" >> "$STACK/ok.ids"
	elif [ "$n200" -ne 0 ]; then
		lost_in_transit "a request Venna answered with an error ($rid) left a usage row billed as a success: ${rows//$'\n'/; }"
	fi
}

# ---- what every run must leave ---------------------------------------------

# global_check: the database intact; every success the client saw so
# far has its usage row, once; no request id twice; every file row
# that is not deleted has its content, of its size.
global_check() {
	local v missing dups
	import_usage
	v=$(sql "PRAGMA integrity_check" 2>&1 | head -n 3)
	[ "$v" = ok ] || violate "integrity_check: ${v//$'\n'/; }"
	sql "SELECT request_id FROM usage" | sort > "$STACK/rows.ids"
	for v in $(sort -u "$STACK/ok.ids" | comm -23 - "$STACK/rows.ids"); do
		violate_once "norow $v" "the answered success $v has no usage row"
	done
	for v in $(uniq -d "$STACK/rows.ids"); do
		violate_once "dup $v" "usage rows twice for $v"
	done
	check_contents
}

# check_contents: every live file row has its content, of its size.
check_contents() {
	local id bytes rel size
	while IFS='|' read -r id bytes; do
		rel="${id:5:2}/$id"
		size=$(stat -c %s "$STACK/files/$rel" 2>/dev/null)
		[ "$size" = "$bytes" ] ||
		    violate_once "content $id" "file $id: row says $bytes bytes, content has ${size:-none}"
	done < <(sql "SELECT id, bytes FROM files WHERE deleted_at IS NULL")
}

# sweep_check: what venna-batch's reclaiming must leave, an hour
# later: no temporary upload, and no content that no row names; and
# every upload that was answered 2xx still listed and byte-identical.
# The clock is moved by ageing what is on disk and the deletions.
sweep_check() {
	local f id n
	sql "UPDATE files SET deleted_at = deleted_at - 7200
	    WHERE deleted_at IS NOT NULL"
	find "$STACK/files" -type f -exec touch -d '-3 hours' {} +
	rm -f "$STACK/files/.orphan-sweep"
	"$VENNA_BATCH" -c "$STACK/venna.conf" 2>>"$STACK/batch.log"
	n=$(find "$STACK/files/tmp" -type f 2>/dev/null | wc -l)
	[ "$n" -eq 0 ] || violate "$n temporary uploads left after the sweep"
	sql "SELECT id FROM files" | sort > "$STACK/rows.files"
	find "$STACK/files" -mindepth 2 -type f -name 'file-*' \
	    -printf '%f\n' | sort > "$STACK/disk.files"
	n=$(comm -13 "$STACK/rows.files" "$STACK/disk.files" | head -n 3)
	[ -z "$n" ] || violate "content no row names, after the sweep: ${n//$'\n'/ }"
	n=$(sort -u "$STACK/gone.files" | comm -12 - "$STACK/disk.files" |
	    head -n 3)
	[ -z "$n" ] ||
	    violate "content of deleted or refused files left after the sweep: ${n//$'\n'/ }"
	req GET "/files?limit=10000"
	while read -r id f; do
		grep -q "\"$id\"" "$BODY_FILE" ||
		    violate "upload $id was answered 200 but is not listed"
		curl -s -o "$STACK/dl" --max-time 10 \
		    "$BASE_URL/files/$id/content" -H "$AUTH_A"
		cmp -s "$STACK/dl" "$f" ||
		    violate "upload $id was answered 200 but its content differs"
	done < "$STACK/ok.files"
}

# health_check: after a run and its checks, the stack must serve as
# before: a fault-free request answers 200 and its usage row arrives.
# A run that leaves the stack broken (an upstream put to rest, a
# connection stuck in a transaction that holds the write lock) is a
# violation of that run, not of the ones after it: the pool is then
# restarted so that the next run starts clean.
health_check() {
	local why=
	if ! aside_chat; then
		why="the next request answers $ASIDE_STATUS"
		sleep 1.2
		aside_chat || why="$why, and again 1.2 s later ($ASIDE_STATUS)"
	fi
	import_usage
	if [ -n "$(tail -n 1 "$STACK/aside.ids")" ] &&
	    [ "$(sql "SELECT count(*) FROM usage WHERE request_id = '$(tail -n 1 "$STACK/aside.ids")'")" != 1 ]; then
		why="${why:+$why; }the next request's usage row is not imported (the database's write lock held?)"
	fi
	[ -z "$why" ] && return 0
	violate "after the run, the stack does not serve as before: $why"
	pool_restart
	# The rows the stuck worker journaled are imported now.
	import_usage
}

# crash_class SIGNAL FRAME WHERE: a crash after a fault, named.  The two
# known library cases, and only they, are "library:": libfcgi's
# assertion (SIGABRT in libfcgi) after its Malloc failed in
# FCGX_Accept_r, and json-c 0.16's SIGSEGV after a strdup of a key
# failed in json_tokener_parse_ex.  FRAME is the crash's first frame
# outside libc, WHERE its place in our code; SITE where the fault was.
crash_class() {
	local sig=$1 lib=$2 where=$3
	# Without a stack (lib empty), the signal and the fault's site.
	case $lib:$sig:$SITE in
	*/libfcgi.so*:6:*FCGX_Accept_r* | :6:*FCGX_Accept_r*)
		echo "library:libfcgi (signal $sig: $where)" ;;
	*/libjson-c.so*:11:*__strdup*json_tokener_parse_ex* | \
	    :11:*__strdup*json_tokener_parse_ex*)
		echo "library:json-c (signal $sig: $where)" ;;
	*) echo "crash (signal $sig) at ${where:-?}${lib:+, in ${lib%%+*}}" ;;
	esac
}

# worker_alive: WORKER runs (a zombie the master has not reaped yet
# does not).
worker_alive() {
	kill -0 "$WORKER" 2>/dev/null &&
	    ! grep -q '^State:.*Z' "/proc/$WORKER/status" 2>/dev/null
}

# ---- the worker's fate --------------------------------------------------------

# worker_fate: after a run, if the worker is gone: how it died (CRASH:
# "library:libfcgi", "library:json-c", "crash: ..." or "exit"), and
# whether that was contained: the master starts another, which serves.
worker_fate() {
	CRASH=
	worker_alive && return 0
	local sig where lib
	if [ -f "$CTL.crash" ] && grep -q "^crash .* pid=$WORKER\$" "$CTL.crash"; then
		awk -v p="pid=$WORKER" '/^crash /{on = ($3 == p); if (on) print; next} on' \
		    "$CTL.crash" > "$STACK/crash.one"
		sig=$(sed -n '1s/^crash sig=\([0-9]*\).*/\1/p' "$STACK/crash.one")
		# The first frame that is neither libc nor the loader.
		lib=$(sed 1d "$STACK/crash.one" | grep -v '/libc\.so\|/ld-linux' |
		    head -n 1)
		where=$(site_of "$STACK/crash.one")
		CRASH=$(crash_class "$sig" "$lib" "$where")
	else
		# No stack (a sanitizer's runtime owns the signals): what the
		# master saw.  The worker may not be reaped yet.
		for _ in $(seq 1 40); do
			grep -q "worker $WORKER \(killed\|exited\)" \
			    "$STACK/venna.log" && break
			sleep 0.05
		done
		sig=$(sed -n "s/.*worker $WORKER killed by signal \([0-9]*\).*/\1/p" \
		    "$STACK/venna.log" | tail -n 1)
		if [ -n "$sig" ]; then
			CRASH=$(crash_class "$sig" "" "no stack")
		else
			CRASH="exit: the worker ended ($(grep "worker $WORKER " "$STACK/venna.log" | tail -n 1))"
		fi
	fi
	rm -f "$CTL.crash"
	# Contained: another worker comes, and serves.
	if ! wait_worker 15; then
		violate "$CRASH, and no worker came back"
		pool_restart
		return 1
	fi
	aside_chat || violate "$CRASH; the next worker answers $ASIDE_STATUS"

	# A worker that ended on its own (a drain) is replaced at once: no
	# request is cut.  A crash outside the two known library cases is
	# a defect of ours.
	case $CRASH in
	library:* | exit:*) ;;
	*) violate "$CRASH" ;;
	esac
	pool_restart
	return 1
}
