#!/bin/bash
# sdk_apache_htaccess.sh: the official OpenAI Node SDK suite
# (tests/node/run.mjs) against the gateway on "shared hosting": www/.htaccess
# and www/venna.fcgi in the directory "venna" of an Apache document root,
# base_path = /venna, on a host that set the two server-wide values the
# .htaccess asks for.
. "${top_srcdir:-.}/tests/stack.sh"

require_apache
require node "$NODE"
require_sdk

stack_new
STACK_SERVER="base_path = /venna"
stack_conf
stack_init || { echo "Bail out! stack_init"; exit 1; }
APACHE_EXTRA="FcgidOutputBufferSize 0
FcgidMaxRequestLen 537919488" start_apache htaccess ||
    { echo "Bail out! apache"; exit 1; }
run_sdk run.mjs
