#!/bin/bash
# sdk_responses.sh: the official OpenAI Node SDK's responses resource
# (tests/node/responses.test.mjs) through nginx, against the echo model
# and the mock upstream: plain, chained, streamed and background
# responses, retrieve, delete, cancel, input items, other workspaces.
. "${top_srcdir:-.}/tests/stack.sh"

require nginx "$NGINX_BIN"
require node "$NODE"
require mock_upstream "$MOCK_UPSTREAM"
require_sdk

stack_new
responses_stack || { echo "Bail out! the stack"; exit 1; }
start_venna -w 2 -t 8 || { echo "Bail out! venna-fcgi"; exit 1; }
start_nginx || { echo "Bail out! nginx"; exit 1; }
run_sdk responses.test.mjs
