#!/bin/bash
# sdk_admin_limits.sh: the Admin API's limits through the official SDK
# (tests/node/admin_limits.test.mjs) behind nginx, from
# etc/nginx.conf.sample, with admin_api = on and a pool of several
# workers: a change made on one worker holds on the others at once.
# The admin key comes from vennactl, as it must.
. "${top_srcdir:-.}/tests/stack.sh"

require nginx "$NGINX_BIN"
require node "$NODE"
require_sdk

stack_new
STACK_SERVER="admin_api = on"
stack_conf "[model venna-1]
upstream = echo
input_price = 1.5
output_price = 3
[model venna-2]
upstream = echo"
stack_init || { echo "Bail out! stack_init"; exit 1; }
ADMIN_KEY=$("$VENNACTL" -c "$STACK/venna.conf" admin-key create \
    --name sdk 2>/dev/null) || { echo "Bail out! admin-key create"; exit 1; }
STACK_CONF="$STACK/venna.conf"
export ADMIN_KEY STACK_CONF VENNACTL
start_venna -w 3 -t 8 || { echo "Bail out! venna-fcgi"; exit 1; }
start_nginx || { echo "Bail out! nginx"; exit 1; }
run_sdk admin_limits.test.mjs
