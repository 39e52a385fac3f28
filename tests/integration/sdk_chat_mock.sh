#!/bin/bash
# sdk_chat_mock.sh: the official OpenAI Node SDK (tests/node/
# chat_mock.test.mjs) against models served by the mock upstream, behind
# nginx configured from etc/nginx.conf.sample: what the upstream
# receives, streams relayed, failover, and the gateway's errors as the
# SDK's exception classes.
. "${top_srcdir:-.}/tests/stack.sh"

require nginx "$NGINX_BIN"
require node "$NODE"
require mock_upstream "$MOCK_UPSTREAM"
require_sdk

stack_new
UPKEY="sk-up-$RANDOM$RANDOM-sdk"
export UPKEY
start_mock -k "$UPKEY" || { echo "Bail out! mock_upstream"; exit 1; }
DOWN_PORT=$(free_port)	# nothing listens there
export DOWN_PORT
# ok serves; knobs (same mock) takes the error knobs, so that a 429's
# cooldown never touches ok; slow times out after 1 s.
stack_conf "[upstream ok]
base_url = $MOCK_URL/v1
api_key = $UPKEY
[upstream knobs]
base_url = $MOCK_URL/v1
api_key = $UPKEY
[upstream slow]
base_url = $MOCK_URL/v1
api_key = $UPKEY
first_byte_timeout = 1s
[upstream down]
base_url = http://127.0.0.1:$DOWN_PORT/v1
[model m-ok]
upstream = ok
upstream_model = gpt-mock
[model m-knobs]
upstream = knobs
upstream_model = gpt-mock
[model m-slow]
upstream = slow
[model m-fallback]
upstream = down, ok
upstream_model = gpt-mock"
stack_init || { echo "Bail out! stack_init"; exit 1; }
start_venna -w 2 -t 8 || { echo "Bail out! venna-fcgi"; exit 1; }
start_nginx || { echo "Bail out! nginx"; exit 1; }
run_sdk chat_mock.test.mjs
