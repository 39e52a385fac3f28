#!/bin/bash
# openapi.sh: the check of answers against the OpenAI OpenAPI document
# (tests/node/openapi.test.mjs): what conforms passes, what does not is
# named, a violation fails the SDK test that met it, validate.mjs's exit
# codes.  No gateway: the test plays one.
. "${top_srcdir:-.}/tests/stack.sh"

require node "$NODE"
require_sdk

run_sdk openapi.test.mjs
