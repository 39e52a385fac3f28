#!/bin/bash
# sdk_responses_servers.sh: the official OpenAI Node SDK's responses
# tests (tests/node/responses.test.mjs, the stack of sdk_responses.sh)
# through Apache with mod_fcgid and through lighttpd ("bin-path"), each
# configured from its sample: chained, streamed and background
# responses work when the web server spawns the workers, one request
# thread each under mod_fcgid, and a background response outlives the
# request that created it in the process that runs it.
. "${top_srcdir:-.}/tests/stack.sh"

require_apache
require lighttpd "$LIGHTTPD"
require node "$NODE"
require mock_upstream "$MOCK_UPSTREAM"
require_sdk

# One stack per server (the tests count what a workspace holds), in a
# subshell whose status is the SDK's: stack_stop runs as it exits.
stack_for() {
	stack_new
	responses_stack || { echo "# the stack failed"; exit 2; }
	"$@" || { echo "# $1 failed"; exit 2; }
	run_sdk responses.test.mjs | sed 's/^/    /'
	[ "${PIPESTATUS[0]}" -eq 0 ] || exit 1
	as_www "$VENNACTL" -c "$STACK/venna.conf" db check >/dev/null ||
	    { echo "# integrity_check failed"; exit 4; }
}

(stack_for start_apache vhost)
is "$?" 0 "the SDK's responses tests pass behind Apache (mod_fcgid)"
(stack_for start_lighttpd bin-path)
is "$?" 0 "the SDK's responses tests pass behind lighttpd (bin-path)"
tap_done
