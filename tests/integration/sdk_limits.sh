#!/bin/bash
# sdk_limits.sh: the official OpenAI Node SDK (tests/node/
# limits.test.mjs) against limits, behind nginx configured from
# etc/nginx.conf.sample, with a pool of two processes.
. "${top_srcdir:-.}/tests/stack.sh"

require nginx "$NGINX_BIN"
require node "$NODE"
require_sdk

stack_new
stack_conf "[model m-rpm5]
upstream = echo
max_requests_per_1_minute = 5
max_tokens_per_1_minute = 100000
[model m-tpm]
upstream = echo
max_tokens_per_1_minute = 100000
[model m-priced]
upstream = echo
input_price = 1000
output_price = 1000
[model venna-1]
upstream = echo"
stack_init || { echo "Bail out! stack_init"; exit 1; }
"$VENNACTL" -c "$STACK/venna.conf" limits set beta --spend 0.10 \
    >/dev/null || { echo "Bail out! limits set"; exit 1; }
start_venna -w 2 -t 8 || { echo "Bail out! venna-fcgi"; exit 1; }
start_nginx || { echo "Bail out! nginx"; exit 1; }
run_sdk limits.test.mjs
