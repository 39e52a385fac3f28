#!/bin/bash
# metrics.sh: a real Prometheus scrapes /metrics through nginx while the
# official SDK sends a known mix of requests to three workers; what
# Prometheus' HTTP API answers equals what the client saw, per route,
# model and status, and the tokens billed per model, also after a
# worker was killed and another started in its place (the counters live
# in the segment every process maps, not in a worker).  Also: /metrics
# shows the same counts whichever worker answers, it is refused to an
# address metrics_allow does not list unless an admin key comes with
# the scrape, and metrics = off takes it away.
. "${top_srcdir:-.}/tests/stack.sh"

: "${PROMETHEUS_BIN:=$(command -v prometheus)}"
require nginx "$NGINX_BIN"
require node "$NODE"
require mock_upstream "$MOCK_UPSTREAM"
require prometheus "$PROMETHEUS_BIN"
require_sdk

stack_new
start_mock || { echo "Bail out! mock_upstream"; exit 1; }
DOWN_PORT=$(free_port)	# nothing listens there
STACK_SHARE=100%
STACK_SERVER="metrics_allow = 127.0.0.1"
stack_conf "[upstream ok]
base_url = $MOCK_URL/v1
[upstream down]
base_url = http://127.0.0.1:$DOWN_PORT/v1
[model m-ok]
upstream = ok
upstream_model = gpt-mock
[model m-down]
upstream = down
[upstream echo]
type = echo
[model venna-1]
upstream = echo"
stack_init || { echo "Bail out! stack_init"; exit 1; }
start_venna -w 3 -t 4 || { echo "Bail out! venna-fcgi"; exit 1; }
start_nginx || { echo "Bail out! nginx"; exit 1; }
METRICS_URL="http://127.0.0.1:$NGINX_PORT/metrics"
ADMIN=$("$VENNACTL" -c "$STACK/venna.conf" admin-key create 2>/dev/null)

# Prometheus on a free port, scraping every second, its data in $STACK.
PROM_PORT=$(free_port)
mkdir -p "$STACK/prometheus/data"
cat > "$STACK/prometheus/prometheus.yml" <<EOT
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: venna
    metrics_path: /metrics
    static_configs:
      - targets: ['127.0.0.1:$NGINX_PORT']
EOT
"$PROMETHEUS_BIN" --config.file="$STACK/prometheus/prometheus.yml" \
    --storage.tsdb.path="$STACK/prometheus/data" \
    --web.listen-address="127.0.0.1:$PROM_PORT" \
    2>>"$STACK/prometheus/prometheus.log" &
stack_track $!
PROM="http://127.0.0.1:$PROM_PORT"
for _ in $(seq 1 200); do
	curl -sf "$PROM/-/ready" >/dev/null 2>&1 && break
	sleep 0.1
done
check "Prometheus is ready" curl -sf "$PROM/-/ready"

# promql QUERY: the instant vector as "label|label|...=value" lines,
# sorted; LABELS (space-separated) names the labels, in order.
promql() {
	curl -s "$PROM/api/v1/query" --data-urlencode "query=$1" |
	    LABELS="$2" "$NODE" -e '
let s = ""; process.stdin.on("data", (d) => s += d).on("end", () => {
	const r = JSON.parse(s);
	if (r.status !== "success") { console.log("error " + s); return; }
	const names = process.env.LABELS.split(" ").filter((x) => x);
	const out = r.data.result.map((e) => names.map((n) =>
	    e.metric[n] ?? "").join("|") + "=" + Number(e.value[1]));
	console.log(out.sort().join("\n"));
});'
}

# want KIND: the tally of the client, as promql prints it.
want() {
	"$NODE" -e '
const t = JSON.parse(require("fs").readFileSync(process.argv[1]));
const m = t[process.argv[2]];
console.log(Object.keys(m).map((k) => k + "=" + m[k]).sort().join("\n"));
' "$STACK/tally.json" "$1"
}

REQ_QUERY='sum by (route, model, status) (venna_requests_total{route=~"/v1/.*"})'
TOK_QUERY='sum by (model, kind) (venna_tokens_total)'

# wait_scraped: until Prometheus shows the tally (a scrape after the
# last request), at most 30 s; then the comparison is the test.
wait_scraped() {
	local w
	w=$(want requests)
	for _ in $(seq 1 60); do
		[ "$(promql "$REQ_QUERY" "route model status")" = "$w" ] &&
		    return 0
		sleep 0.5
	done
	return 1
}

pids() { pgrep -P "$VENNA_PID" | sort; }
served_by() {
	grep -E 'POST /v1/(chat/completions|embeddings) ' "$STACK/venna.log" |
	    sed -n 's/.*venna-fcgi\[\([0-9]*\)\].*/\1/p' | sort -u | wc -l
}

export TALLY="$STACK/tally.json"
(run_sdk metrics.test.mjs) > "$STACK/sdk1.tap" 2>&1
check "the SDK sent the first half of the mix" grep -q '^# fail 0' \
    "$STACK/sdk1.tap" || sed 's/^/#   /' "$STACK/sdk1.tap"
is "$(want requests | awk -F= '{ s += $2 } END { print s }')" 33 \
    "the client tallied the 33 requests of the first half"
check "the requests were served by more than one worker" \
    [ "$(served_by)" -ge 2 ]
check "Prometheus scraped exactly the requests sent, by route, model and status" \
    wait_scraped
is "$(promql "$REQ_QUERY" "route model status")" "$(want requests)" \
    "the first half's counts through Prometheus' HTTP API"
is "$(promql "$TOK_QUERY" "model kind")" "$(want tokens)" \
    "the tokens billed per model and kind, as the answers reported them"

# Kill a worker that served; the supervisor starts another.
before=$(pids)
victim=$(echo "$before" | head -1)
kill -KILL "$victim"
for _ in $(seq 1 100); do
	now=$(pids)
	[ "$(echo "$now" | wc -l)" -eq 3 ] && ! echo "$now" |
	    grep -qx "$victim" && break
	sleep 0.1
done
check "a killed worker was replaced" [ "$(echo "$now" | wc -l)" -eq 3 ]

(run_sdk metrics.test.mjs) > "$STACK/sdk2.tap" 2>&1
check "the SDK sent the second half of the mix" grep -q '^# fail 0' \
    "$STACK/sdk2.tap" || sed 's/^/#   /' "$STACK/sdk2.tap"
check "after the restart Prometheus shows both halves, none lost or reset" \
    wait_scraped
is "$(promql "$REQ_QUERY" "route model status")" "$(want requests)" \
    "both halves' counts through Prometheus' HTTP API"
is "$(promql "$TOK_QUERY" "model kind")" "$(want tokens)" \
    "both halves' tokens"
is "$(promql 'venna_worker_crashes_total' "")" "=1" \
    "the killed worker is counted as a crash"
is "$(promql 'venna_workers' "")" "=3" "three live workers"
check "the down upstream's failures are counted" [ "$(promql \
    'sum(venna_upstream_failures_total{model="m-down"})' "" |
    cut -d= -f2)" -ge 1 ]
check "counter resets: none, in any series" [ "$(promql \
    'sum(resets(venna_requests_total[5m]))' "")" = "=0" ]
check "the request duration histogram counts every request" [ "$(promql \
    'sum(venna_request_duration_seconds_count{route=~"/v1/.*"})' "")" = \
    "=$(want requests | awk -F= '{ s += $2 } END { print s }')" ]

# Whichever worker answers, the same figures (nothing moves meanwhile:
# only the scrapes themselves, left out here).
for i in 1 2 3 4 5 6; do
	curl -s "$METRICS_URL" | grep '^venna_requests_total{route="/v1' |
	    md5sum
done | sort -u > "$STACK/sums"
is "$(wc -l < "$STACK/sums")" "1" \
    "six scrapes, any worker: one set of request counters"

# Who may scrape.
http GET "$METRICS_URL"
is "$HTTP_STATUS" "200" "127.0.0.1 (in metrics_allow) scrapes without a key"
check "the exposition's content type" grep -qi \
    '^content-type: text/plain; version=0.0.4' <<<"$HTTP_HEADERS"
http GET "$METRICS_URL" --interface 127.0.0.2
is "$HTTP_STATUS" "401" "127.0.0.2 (not listed) without a key: 401"
check "... in the OpenAI envelope" is_envelope
http GET "$METRICS_URL" --interface 127.0.0.2 -H "Authorization: Bearer $KEY_A"
is "$HTTP_STATUS" "401" "... with a workspace key: 401"
http GET "$METRICS_URL" --interface 127.0.0.2 -H "Authorization: Bearer $ADMIN"
is "$HTTP_STATUS" "200" "... with an admin key: 200"
check "... and the figures" grep -q '^venna_requests_total{' <<<"$HTTP_BODY"
check "an admin key was made" [ -n "$ADMIN" ]
leaks=$(grep -rlF -e "$KEY_A" -e "$ADMIN" "$STACK/venna.log" \
    "$STACK/nginx/error.log" "$STACK/nginx/access.log")
is "$leaks" "" "no key value in any log"

# metrics = off: no /metrics (404 like any unknown path), no counting.
stack_stop_venna() { kill -TERM "$VENNA_PID"; wait "$VENNA_PID" 2>/dev/null; }
stack_stop_venna
sed -i 's/^metrics_allow = 127.0.0.1$/metrics = off/' "$STACK/venna.conf"
start_venna -w 2 -t 4 || { echo "Bail out! venna-fcgi again"; exit 1; }
http GET "$METRICS_URL"
is "$HTTP_STATUS" "404" "metrics = off: /metrics is 404"
check "... in the OpenAI envelope" is_envelope

tap_done
