#!/bin/bash
# sdk_lighttpd.sh: the official OpenAI Node SDK suite (tests/node/run.mjs,
# every endpoint's tests) against the gateway behind lighttpd, which
# spawns venna-fcgi itself ("bin-path"), configured from
# etc/lighttpd.conf.sample.
. "${top_srcdir:-.}/tests/stack.sh"

require lighttpd "$LIGHTTPD"
require node "$NODE"
require_sdk

stack_new
stack_conf
stack_init || { echo "Bail out! stack_init"; exit 1; }
start_lighttpd bin-path || { echo "Bail out! lighttpd"; exit 1; }
run_sdk run.mjs
