#!/bin/bash
# sdk_batch_servers.sh: the official OpenAI Node SDK's files and batches
# tests (tests/node/batches.test.mjs, the stack of sdk_batch.sh) through
# Apache with mod_fcgid and through lighttpd ("bin-path"), each from its
# sample.  Uploads and downloads go through the web server; venna-batch
# runs as the web server's user, as the crontab sample has it, on the
# state the spawned workers share, and leaves nothing in it owned by
# root; the database stays intact.
. "${top_srcdir:-.}/tests/stack.sh"

require_apache
require lighttpd "$LIGHTTPD"
require node "$NODE"
require mock_upstream "$MOCK_UPSTREAM"
require venna-batch "$VENNA_BATCH"
require_sdk

# One stack per server (the tests count what a workspace holds), in a
# subshell whose status is the SDK's: stack_stop runs as it exits.
stack_for() {
	stack_new
	batch_stack || { echo "# the stack failed"; exit 2; }
	# venna-batch as the web server's user, from where it can run it.
	mkdir -p "$STACK/bin"
	cp "$VENNA_BATCH" "$STACK/bin/venna-batch"
	{
		echo '#!/bin/sh'
		if [ "$(id -u)" -eq 0 ]; then
			echo "exec runuser -u $STACK_WWW_USER -- $STACK/bin/venna-batch \"\$@\""
		else
			echo "exec $STACK/bin/venna-batch \"\$@\""
		fi
	} > "$STACK/bin/venna-batch-www"
	chmod 755 "$STACK/bin/venna-batch-www"
	export VENNA_BATCH="$STACK/bin/venna-batch-www"
	"$@" || { echo "# $1 failed"; exit 2; }
	run_sdk batches.test.mjs | sed 's/^/    /'
	[ "${PIPESTATUS[0]}" -eq 0 ] || exit 1
	[ "$(id -u)" -ne 0 ] ||
	    [ -z "$(find "$STACK/files" "$STACK/ledger" -user root)" ] ||
	    { echo "# files owned by root in the state"; exit 3; }
	as_www "$VENNACTL" -c "$STACK/venna.conf" db check >/dev/null ||
	    { echo "# integrity_check failed"; exit 4; }
}

(stack_for start_apache vhost)
is "$?" 0 "the SDK's files and batches tests pass behind Apache (mod_fcgid)"
(stack_for start_lighttpd bin-path)
is "$?" 0 "the SDK's files and batches tests pass behind lighttpd (bin-path)"
tap_done
