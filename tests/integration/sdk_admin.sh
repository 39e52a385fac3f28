#!/bin/bash
# sdk_admin.sh: the Admin API through the official SDK
# (tests/node/admin.test.mjs) behind nginx, from etc/nginx.conf.sample,
# with admin_api = on and a pool of several workers, so that "at once on
# every worker" is tested where it can fail.  The first admin key comes
# from vennactl, as it must.
. "${top_srcdir:-.}/tests/stack.sh"

require nginx "$NGINX_BIN"
require node "$NODE"
require_sdk
require_sqlite3

stack_new
# Bursts of 30 requests from one workspace test revocation on every
# worker: the whole pool is its share (the default, half of it, would
# refuse some of a burst with 429 on a slow run: limits.sh tests that).
STACK_SHARE=100%
STACK_SERVER="admin_api = on"
stack_conf "[model venna-1]
upstream = echo
input_price = 1.5
cached_input_price = 0.75
output_price = 3
[model venna-2]
upstream = echo
input_price = 0.25
output_price = 0.5"
stack_init || { echo "Bail out! stack_init"; exit 1; }
ADMIN_KEY=$("$VENNACTL" -c "$STACK/venna.conf" admin-key create \
    --name sdk 2>/dev/null) || { echo "Bail out! admin-key create"; exit 1; }
STACK_DB="$STACK/venna.db" STACK_CONF="$STACK/venna.conf"
export ADMIN_KEY STACK_DB STACK_CONF VENNACTL VENNA_BATCH SQLITE3_BIN
start_venna -w 3 -t 8 || { echo "Bail out! venna-fcgi"; exit 1; }
start_nginx || { echo "Bail out! nginx"; exit 1; }
run_sdk admin.test.mjs
