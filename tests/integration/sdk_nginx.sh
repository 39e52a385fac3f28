#!/bin/bash
# sdk_nginx.sh: the official OpenAI Node SDK (tests/node) against the
# gateway behind nginx, configured from etc/nginx.conf.sample.
. "${top_srcdir:-.}/tests/stack.sh"

require nginx "$NGINX_BIN"
require node "$NODE"
require_sdk

stack_new
stack_conf
stack_init || { echo "Bail out! stack_init"; exit 1; }
start_venna -w 2 -t 8 || { echo "Bail out! venna-fcgi"; exit 1; }
start_nginx || { echo "Bail out! nginx"; exit 1; }
run_sdk run.mjs
