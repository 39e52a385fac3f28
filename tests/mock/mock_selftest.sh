#!/bin/sh
# mock_selftest.sh: TAP test of tests/mock/mock_upstream itself, with curl:
# the OpenAI shapes it answers and the knobs the gateway tests rely on.
# Environment: MOCK_UPSTREAM (default $top_builddir/tests/mock/mock_upstream),
# CURL_BIN (default curl).  Without curl it skips, except under CI=true.
set -u

mock=${MOCK_UPSTREAM:-${top_builddir:-.}/tests/mock/mock_upstream}
curl=${CURL_BIN:-curl}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mockself.XXXXXX") || exit 1
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

if ! command -v "$curl" >/dev/null 2>&1; then
	if [ "${CI:-}" = true ]; then
		echo "1..1"
		echo "not ok 1 - curl not found (required under CI)"
		exit 1
	fi
	echo "1..0 # SKIP curl not found"
	exit 0
fi

n=0
fails=0
ok() {	# ok COND-STATUS NAME
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		fails=$((fails + 1))
	fi
}
has() {	# has FILE STRING: FILE contains STRING literally
	grep -qF -- "$2" "$1"
}

"$mock" -p 0 -k sk-test > "$tmp/port" 2> "$tmp/err" &
pid=$!
i=0
while ! grep -q '^port=' "$tmp/port" 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
port=$(sed -n 's/^port=//p' "$tmp/port")
if [ -z "$port" ]; then
	echo "1..1"
	echo "not ok 1 - mock_upstream did not start: $(cat "$tmp/err")"
	exit 1
fi
base=http://127.0.0.1:$port
chat=$base/v1/chat/completions
auth="Authorization: Bearer sk-test"
msgs='"messages":[{"role":"user","content":"hello world"}]'

# call NAME [curl args...]: body in $tmp/NAME.body, headers in
# $tmp/NAME.head, curl's exit status in $rc, "code time" in $tmp/NAME.w
call() {
	name=$1
	shift
	"$curl" -s -N -D "$tmp/$name.head" -o "$tmp/$name.body" \
	    -w '%{http_code} %{time_total}\n' "$@" > "$tmp/$name.w"
	rc=$?
	code=$(cut -d' ' -f1 "$tmp/$name.w")
	secs=$(cut -d' ' -f2 "$tmp/$name.w")
}
atleast() {	# atleast SECS MIN
	awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'
}

echo "1..26"

call plain -H "$auth" $chat -d "{\"model\":\"m\",$msgs,\"extra\":{\"a\":1}}"
has "$tmp/plain.body" '"object":"chat.completion"' &&
    has "$tmp/plain.body" '"content":"mock reply to: hello world","refusal":null' &&
    has "$tmp/plain.body" '"finish_reason":"stop"' &&
    has "$tmp/plain.body" '"prompt_tokens":2,"completion_tokens":5,"total_tokens":7'
ok $? "non-stream chat.completion, reply and word-count usage"

call nokey $chat -d "{\"model\":\"m\",$msgs}"
[ "$code" = 401 ] && has "$tmp/nokey.body" '"param":null,"code":null'
ok $? "-k: 401 envelope without Authorization"

call badkey -H 'Authorization: Bearer nope' $chat -d "{\"model\":\"m\",$msgs}"
[ "$code" = 401 ] && has "$tmp/badkey.body" '"code":"invalid_api_key"'
ok $? "-k: 401 invalid_api_key with a wrong key"

call stream -H "$auth" $chat -d "{\"model\":\"m\",$msgs,\"stream\":true,\"stream_options\":{\"include_usage\":true},\"mock\":{\"chunks\":3}}"
has "$tmp/stream.head" 'Content-Type: text/event-stream' &&
    [ "$(grep -c '^data: ' "$tmp/stream.body")" = 7 ] &&
    [ "$(sed -n 1p "$tmp/stream.body" | grep -c '"delta":{"role":"assistant","content":""}')" = 1 ] &&
    [ "$(grep -c '"usage":null}$' "$tmp/stream.body")" = 5 ] &&
    has "$tmp/stream.body" '"choices":[],"usage":{"prompt_tokens":2,"completion_tokens":5,"total_tokens":7' &&
    [ "$(grep '^data: ' "$tmp/stream.body" | tail -n 1)" = 'data: [DONE]' ]
ok $? "stream: role chunk, 3 content chunks, finish, usage chunk, [DONE]"

content=$(grep -o '"delta":{"content":"[^"]*"}' "$tmp/stream.body" |
    sed 's/.*"content":"//; s/"}$//' | tr -d '\n')
[ "$content" = "mock reply to: hello world" ]
ok $? "stream: the content deltas add up to the reply"

call nousage -H "$auth" $chat -d "{\"model\":\"m\",$msgs,\"stream\":true}"
! has "$tmp/nousage.body" '"usage"' && has "$tmp/nousage.body" '"finish_reason":"stop"'
ok $? "stream without include_usage carries no usage key"

call s429 -H "$auth" $chat -d "{\"model\":\"m\",$msgs,\"mock\":{\"status\":429,\"retry_after\":7}}"
[ "$code" = 429 ] && has "$tmp/s429.head" 'Retry-After: 7' &&
    has "$tmp/s429.body" '"code":"rate_limit_exceeded"'
ok $? "status=429 retry_after=7"

call mq -H "$auth" $chat -d "{\"model\":\"gpt-x?status=503&latency=10\",$msgs}"
[ "$code" = 503 ] && has "$tmp/mq.body" '"type":"service_unavailable_error"'
ok $? "knobs in the model name's query"

call lat -H "$auth" $chat -d "{\"model\":\"m\",$msgs,\"mock\":{\"latency\":300}}"
[ "$code" = 200 ] && atleast "$secs" 0.28
ok $? "latency=300 delays the answer ($secs s)"

call fb -H "$auth" $chat -d "{\"model\":\"m\",$msgs,\"stream\":true,\"mock\":{\"first_byte\":300,\"chunks\":1}}"
[ "$code" = 200 ] && atleast "$secs" 0.28 && has "$tmp/fb.body" 'data: [DONE]'
ok $? "first_byte=300 ($secs s)"

call ival -H "$auth" $chat -d "{\"model\":\"m\",$msgs,\"stream\":true,\"mock\":{\"chunks\":5,\"interval\":60}}"
atleast "$secs" 0.28 && [ "$(grep -c '^data: ' "$tmp/ival.body")" = 8 ]
ok $? "interval=60 paces 5 chunks ($secs s)"

call cut -H "$auth" $chat -d "{\"model\":\"m\",$msgs,\"stream\":true,\"mock\":{\"cut\":1}}"
# Complete events end in "}"; the half event that follows does not.
[ "$rc" = 18 ] && [ "$(grep -c '^data: .*}$' "$tmp/cut.body")" = 2 ] &&
    [ "$(grep -c '"delta":{"content"' "$tmp/cut.body")" = 1 ] &&
    [ "$(tail -n 1 "$tmp/cut.body" | grep -c '^data: {.*[^}]$')" = 1 ]
ok $? "cut=1: role and one chunk, half an event, then close (curl rc $rc)"

call cutns -H "$auth" $chat -d "{\"model\":\"m\",$msgs,\"mock\":{\"cut\":0}}"
[ "$rc" = 18 ]
ok $? "cut on a non-stream answer: body cut short (curl rc $rc)"

call garb -H "$auth" $chat -d "{\"model\":\"m\",$msgs,\"mock\":{\"garbage\":1}}"
[ "$code" = 200 ] && ! grep -q '^{' "$tmp/garb.body"
ok $? "garbage=1: 200 with a body that is not JSON"

call garbs -H "$auth" $chat -d "{\"model\":\"m\",$msgs,\"stream\":true,\"mock\":{\"garbage\":1}}"
has "$tmp/garbs.body" 'data: {"id": this is not json' && has "$tmp/garbs.body" 'data: [DONE]'
ok $? "garbage=1 in a stream: one bad data line"

call split -H "$auth" $chat -d "{\"model\":\"m\",$msgs,\"stream\":true,\"mock\":{\"split\":1,\"chunks\":3}}"
[ "$(grep -c '^data: ' "$tmp/split.body")" = 6 ] && atleast "$secs" 0.03
ok $? "split=1: events written in pieces arrive whole ($secs s)"

call text -H "$auth" $chat -d "{\"model\":\"m\",$msgs,\"mock\":{\"text\":\"one two three\"}}"
has "$tmp/text.body" '"content":"one two three"' && has "$tmp/text.body" '"completion_tokens":3'
ok $? "text knob"

tools='"tools":[{"type":"function","function":{"name":"get_weather","parameters":{}}}]'
call tool -H "$auth" $chat -d "{\"model\":\"m\",$msgs,$tools,\"mock\":{\"tool_calls\":1}}"
has "$tmp/tool.body" '"content":null' && has "$tmp/tool.body" '"name":"get_weather"' &&
    has "$tmp/tool.body" '"finish_reason":"tool_calls"'
ok $? "tool_calls=1: a function call"

call tools -H "$auth" $chat -d "{\"model\":\"m\",$msgs,$tools,\"stream\":true,\"mock\":{\"tool_calls\":1}}"
has "$tmp/tools.body" '"tool_calls":[{"index":0,"id":"call_' &&
    [ "$(grep -c '"tool_calls":\[{"index":0,"function":{"arguments"' "$tmp/tools.body")" = 5 ] &&
    has "$tmp/tools.body" '"finish_reason":"tool_calls"'
ok $? "tool_calls=1 in a stream: id/name first, then argument fragments"

call bytes -H "$auth" $chat -d "{\"model\":\"m\",$msgs,\"mock\":{\"bytes\":100000}}"
[ "$(wc -c < "$tmp/bytes.body")" -ge 100000 ]
ok $? "bytes=100000 pads the reply"

call emb -H "$auth" $base/v1/embeddings -d '{"model":"e","input":["a b","c"]}'
has "$tmp/emb.body" '"object":"embedding","index":1' &&
    has "$tmp/emb.body" '"usage":{"prompt_tokens":3,"total_tokens":3}'
ok $? "embeddings: one vector per input, word-count usage"

call models -H "$auth" $base/v1/models
has "$tmp/models.body" '"data":[{"id":"mock","object":"model"'
ok $? "GET /v1/models"

call nf -H "$auth" $base/v1/nope
[ "$code" = 404 ] && has "$tmp/nf.body" '"error":{"message"'
ok $? "404 envelope for unknown paths"

call chunked -H "$auth" -H 'Transfer-Encoding: chunked' $chat -d "{\"model\":\"m\",$msgs}"
[ "$code" = 200 ] && has "$tmp/chunked.body" 'mock reply to: hello world'
ok $? "chunked request body"

call never -m 0.5 -H "$auth" $chat -d "{\"model\":\"m\",$msgs,\"mock\":{\"never\":1}}"
sleep 0.1
call stats $base/_mock/stats
[ "$rc" = 0 ] && has "$tmp/stats.body" '"aborted":1,'
ok $? "never=1: no answer; the client's hang-up counts as aborted"

call log $base/_mock/requests
has "$tmp/log.body" '"extra":{"a":1}' &&
    has "$tmp/log.body" '{"name":"Authorization","value":"Bearer nope"}'
ok $? "/_mock/requests: bodies and headers as received"

echo "# mock stderr: $(cat "$tmp/err")"
kill "$pid"
wait "$pid"
st=$?
pid=
[ $fails -eq 0 ] || echo "# $fails failed"
[ $st -eq 0 ] || { echo "# mock_upstream exited with status $st"; exit 1; }
[ $fails -eq 0 ]
