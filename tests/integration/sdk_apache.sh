#!/bin/bash
# sdk_apache.sh: the official OpenAI Node SDK suite (tests/node/run.mjs,
# every endpoint's tests) against the gateway behind Apache and mod_fcgid,
# configured from etc/apache-fcgid.conf.sample.
. "${top_srcdir:-.}/tests/stack.sh"

require_apache
require node "$NODE"
require_sdk

stack_new
stack_conf
stack_init || { echo "Bail out! stack_init"; exit 1; }
start_apache vhost || { echo "Bail out! apache"; exit 1; }
run_sdk run.mjs
