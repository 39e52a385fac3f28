#!/bin/bash
# files.sh: /v1/files with curl through a real nginx configured from
# etc/nginx.conf.sample: upload, list, retrieve, download and delete;
# binary content byte for byte; the caps (413); bad forms (400 with
# param); batch JSONL errors naming the line; client filenames kept
# sanitised and never used on disk; keyset pagination; one workspace
# never sees another's files; deleted and expired files vanish;
# downloads handed to nginx (files_accel); a 200 MB upload and download
# in flat worker memory; a short body (cgi-fcgi straight to the socket)
# and a client that gives up leave nothing; a full disk is a 5xx and
# the gateway works on once space is back.
. "${top_srcdir:-.}/tests/stack.sh"

require nginx "$NGINX_BIN"
require node "$NODE"
require curl "$(command -v curl)"
require_sqlite3
require cgi-fcgi "$(command -v cgi-fcgi)"
[ "$(id -u)" -eq 0 ] || require "root (to mount a small tmpfs)" ""

stack_new
SMALL="$STACK/small"
trap 'mountpoint -q "$SMALL" && umount "$SMALL"; stack_stop' EXIT
STACK_SERVER="max_upload = 1m
max_batch_upload = 64k"
stack_conf
stack_init || { echo "Bail out! stack_init"; exit 1; }
start_venna -w 1 -t 8 || { echo "Bail out! venna-fcgi"; exit 1; }
start_nginx || { echo "Bail out! nginx"; exit 1; }
# The sample's download location points at /var/lib/venna/files.
sed -i "s|alias /var/lib/venna/files/;|alias $STACK/files/;|" \
    "$STACK/nginx/venna.conf"
kill -HUP "$(cat "$STACK/nginx/nginx.pid")"
"$VENNACTL" -c "$STACK/venna.conf" workspace create gamma >/dev/null
KEY_C=$("$VENNACTL" -c "$STACK/venna.conf" key create gamma --name t \
    2>/dev/null)
sleep 0.5

# ---- helpers -------------------------------------------------------------

# err: "status/param/code" of the last answer, for one-line checks.
err() { echo "$HTTP_STATUS/$(jv 'b.error.param')/$(jv 'b.error.code')"; }

# conforms METHOD PATH: the last answer fits the OpenAPI document's
# schema for it (tests/node/validate.mjs; the reasons go to the log).
conforms() {
	"$NODE" "$top_srcdir/tests/node/validate.mjs" "$1" "$2" \
	    "$HTTP_STATUS" < "$STACK/http.out"
}

# up ARGS...: POST /v1/files with curl -F ARGS as KEY (default KEY_A).
up() {
	http POST "$BASE_URL/files" -H "Authorization: Bearer ${KEY:-$KEY_A}" \
	    "$@"
}

# A hand-made form in $MP, boundary "bnd": mp_field NAME VALUE,
# mp_file DISPOSITION-PARAMS PATH, mp_end; then up_mp.
mp_start() { MP="$STACK/mp.body"; : > "$MP"; }
mp_field() {
	printf -- '--bnd\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n' \
	    "$1" "$2" >> "$MP"
}
mp_file() {
	printf -- '--bnd\r\nContent-Disposition: form-data; name="file"; %s\r\nContent-Type: application/octet-stream\r\n\r\n' \
	    "$1" >> "$MP"
	cat "$2" >> "$MP"
	printf '\r\n' >> "$MP"
}
mp_end() { printf -- '--bnd--\r\n' >> "$MP"; }
up_mp() {
	up -H 'Content-Type: multipart/form-data; boundary=bnd' \
	    --data-binary "@$MP" "$@"
}

# get PATH [KEY]: GET with a key (default KEY_A).
get() { http GET "$BASE_URL$1" -H "Authorization: Bearer ${2:-$KEY_A}"; }
del() { http DELETE "$BASE_URL$1" -H "Authorization: Bearer ${2:-$KEY_A}"; }

# No file under data_dir but tmp/ and <2 chars>/file-<base62>.
only_ids() {
	local bad
	bad=$(cd "$1" && find . -mindepth 1 \( -type d -name tmp -prune \) -o \
	    -print | grep -Ev '^\./[A-Za-z0-9]{2}(/file-[A-Za-z0-9]+)?$')
	[ -z "$bad" ] || { echo "# unexpected: $bad"; return 1; }
}
no_temp() { [ -z "$(ls -A "$1/tmp" 2>/dev/null)" ]; }

# restart_venna: stop the pool and start it on the current STACK_SERVER.
restart_venna() {
	local i
	kill -TERM "$VENNA_PID"
	for i in $(seq 1 200); do
		kill -0 "$VENNA_PID" 2>/dev/null || break
		sleep 0.05
	done
	stack_conf
	start_venna -w 1 -t 8
}

workers_kib() {
	local p
	for p in $(pgrep -P "$VENNA_PID"); do
		awk '/^VmRSS:/ { print $2 }' "/proc/$p/status"
	done | awk '{ s += $1 } END { print s + 0 }'
}

# ---- upload, retrieve, download, delete -----------------------------------

"$NODE" -e 'const b = Buffer.alloc(256 * 33);
for (let i = 0; i < b.length; i++) b[i] = (i * 7 + (i >> 8)) & 255;
process.stdout.write(b)' > "$STACK/bytes.bin"
up -F purpose=assistants -F "file=@$STACK/bytes.bin;filename=../../etc/bytes.bin"
is "$HTTP_STATUS" 200 "upload: 200"
ID=$(jv b.id)
check "  id file-..." grep -Eq '^file-[A-Za-z0-9]{24}$' <<<"$ID"
is "$(jv 'b.object + " " + b.bytes + " " + b.filename + " " + b.purpose + " " + b.status')" \
    "file 8448 bytes.bin assistants processed" \
    "  object, bytes, filename (basename only), purpose, status"
is "$(jv '[typeof b.created_at, Math.abs(b.created_at - Date.now() / 1000) < 600, "expires_at" in b, "status_details" in b]')" \
    '["number",true,false,false]' "  created_at now, no expires_at, no status_details"
is "$(jv 'Object.keys(b).sort().join()')" \
    "bytes,created_at,filename,id,object,purpose,status" \
    "  exactly the fields of the file object"
check "  fits the OpenAPI document" conforms POST /v1/files
check "  stored at <shard>/<id>" test -f "$STACK/files/${ID:5:2}/$ID"
check "  no temporary file left" no_temp "$STACK/files"

get "/files/$ID"
is "$HTTP_STATUS/$(jv b.id)/$(jv b.bytes)" "200/$ID/8448" "retrieve"
check "  fits the OpenAPI document" conforms GET "/v1/files/$ID"

rm -f "$STACK/dl"
H=$(curl -s -D - -o "$STACK/dl" -H "Authorization: Bearer $KEY_A" \
    "$BASE_URL/files/$ID/content" | tr -d '\r')
check "download: every byte value round-trips" cmp -s "$STACK/bytes.bin" "$STACK/dl"
check "  Content-Length" grep -qi '^content-length: 8448$' <<<"$H"
check "  Content-Type application/octet-stream" \
    grep -qi '^content-type: application/octet-stream$' <<<"$H"
check "  Content-Disposition: attachment, both filename forms" \
    grep -q "^Content-Disposition: attachment; filename=\"bytes.bin\"; filename\*=UTF-8''bytes.bin$" <<<"$H"

del "/files/$ID"
is "$HTTP_STATUS/$(jv 'JSON.stringify(b)')" \
    "200/{\"id\":\"$ID\",\"object\":\"file\",\"deleted\":true}" "delete"
check "  fits the OpenAPI document" conforms DELETE "/v1/files/$ID"
get "/files/$ID"
is "$(err)/$(jv b.error.message)" "404/id/null/No such File object: $ID" \
    "  then retrieve: 404, param id, No such File object"
check "  an envelope" is_envelope
check "  fits the OpenAPI document" conforms GET "/v1/files/$ID"
get "/files/$ID/content"
is "$(err)" "404/id/null" "  content: 404"
del "/files/$ID"
is "$(err)" "404/id/null" "  delete again: 404"
check "  its content stays for venna-batch" test -f "$STACK/files/${ID:5:2}/$ID"
get "/files/file-nosuchfile000000000000"
is "$(err)/$(jv b.error.message)" \
    "404/id/null/No such File object: file-nosuchfile000000000000" \
    "an unknown id: the same 404"

# ---- filenames ---------------------------------------------------------------

printf 'x' > "$STACK/x.txt"
mp_start
mp_field purpose user_data
mp_file "filename*=UTF-8''..%2F..%2Fetc%2Fpa%0D%0Ass%22wd%E2%80%AE.txt" "$STACK/x.txt"
mp_end
up_mp
FN_ID=$(jv b.id)
is "$HTTP_STATUS/$(jv b.filename)" "200/passwd.txt" \
    "a filename with ../, CR, LF, a quote and RLO is kept sanitised"
H=$(curl -s -D - -o /dev/null -H "Authorization: Bearer $KEY_A" \
    "$BASE_URL/files/$FN_ID/content")
check "  the download's Content-Disposition has no CR/LF injection" \
    grep -q "^Content-Disposition: attachment; filename=\"passwd.txt\"; filename\*=UTF-8''passwd.txt"$'\r'"\$" <<<"$H"
mp_start
mp_field purpose user_data
printf -- '--bnd\r\nContent-Disposition: form-data; name="file"; filename="a\rb"\r\n\r\nx\r\n--bnd--\r\n' >> "$MP"
up_mp
is "$(err)" "400/null/invalid_multipart" "a bare CR in a part header: 400"
up -F purpose=user_data -F "file=@$STACK/x.txt;filename=héllo wörld 😀.txt"
is "$HTTP_STATUS/$(jv b.filename)" "200/héllo wörld 😀.txt" "a UTF-8 filename is kept"
check "data_dir holds only <shard>/<id> names" only_ids "$STACK/files"
check "  and nothing named after a client's file" \
    test -z "$(find "$STACK/files" -name '*passwd*' -o -name '*bytes*' -o -name '*llo*')"

# ---- bad forms ---------------------------------------------------------------

up -H 'Content-Type: text/plain' --data-binary 'hello'
is "$(err)" "415/null/unsupported_media_type" "not multipart: 415"
check "  an envelope" is_envelope
check "  fits the OpenAPI document" conforms POST /v1/files
up -H 'Content-Type: application/json' --data-binary '{"purpose":"batch"}'
is "$(err)" "415/null/unsupported_media_type" "JSON: 415"
up -H 'Content-Type: multipart/form-data' --data-binary 'x'
is "$(err)" "400/null/invalid_multipart" "multipart without a boundary: 400"
check "  an envelope" is_envelope
up -F purpose=user_data
is "$(err)" "400/file/missing_required_parameter" "no file part: 400, param file"
up -F "file=@$STACK/x.txt"
is "$(err)" "400/purpose/missing_required_parameter" "no purpose: 400, param purpose"
up -F purpose=fine-tune-results -F "file=@$STACK/x.txt"
is "$(err)" "400/purpose/invalid_value" "a purpose clients may not upload: 400"
up -F purpose=nonsense -F "file=@$STACK/x.txt"
is "$(err)" "400/purpose/invalid_value" "a wrong purpose: 400, param purpose"
up -F purpose=user_data -F 'expires_after[anchor]=last_used' \
    -F 'expires_after[seconds]=3600' -F "file=@$STACK/x.txt"
is "$(err)" "400/expires_after[anchor]/invalid_value" \
    "expires_after[anchor] other than created_at: 400"
for s in 3599 2592001 12x -5 ""; do
	up -F purpose=user_data -F 'expires_after[anchor]=created_at' \
	    -F "expires_after[seconds]=$s" -F "file=@$STACK/x.txt"
	is "$(err)" "400/expires_after[seconds]/invalid_value" \
	    "expires_after[seconds]=$s: 400"
done
up -F purpose=user_data -F 'expires_after[anchor]=created_at' \
    -F "file=@$STACK/x.txt"
is "$(err)" "400/expires_after[seconds]/missing_required_parameter" \
    "an anchor without seconds: 400"
up -F purpose=user_data -F 'expires_after[seconds]=3600' -F "file=@$STACK/x.txt"
is "$(err)" "400/expires_after[anchor]/missing_required_parameter" \
    "seconds without an anchor: 400"
up -F purpose=user_data -F color=blue -F "file=@$STACK/x.txt"
is "$(err)" "400/color/unknown_parameter" "an unknown field: 400, param color"
up -F purpose=user_data -F purpose=batch -F "file=@$STACK/x.txt"
is "$(err)" "400/purpose/null" "a field twice: 400"
up -F purpose=user_data -F "file=@$STACK/x.txt" -F "file=@$STACK/x.txt"
is "$(err)" "400/file/null" "two files: 400"
mp_start
mp_field purpose user_data
printf -- '--bnd\r\nContent-Disposition: form-data; name="file"; filename="t"\r\n\r\nno end' >> "$MP"
up_mp
is "$(err)" "400/null/invalid_multipart" "no closing boundary: 400"
check "  an envelope" is_envelope
check "  no temporary file left by any of them" no_temp "$STACK/files"

up -F purpose=user_data -F 'expires_after[anchor]=created_at' \
    -F 'expires_after[seconds]=3600' -F "file=@$STACK/x.txt"
is "$HTTP_STATUS/$(jv 'b.expires_at - b.created_at')" "200/3600" \
    "expires_after: expires_at = created_at + seconds"

# ---- caps: max_upload = 1m, max_batch_upload = 64k -------------------------

head -c 1048576 /dev/urandom > "$STACK/1m"
head -c 1048577 /dev/urandom > "$STACK/1m+1"
up -F purpose=user_data -F "file=@$STACK/1m"
is "$HTTP_STATUS/$(jv b.bytes)" "200/1048576" "a file of exactly max_upload: 200"
up -F purpose=user_data -F "file=@$STACK/1m+1"
is "$(err)" "413/file/request_too_large" "one byte more: 413, param file"
check "  fits the OpenAPI document" conforms POST /v1/files
check "  names the limit" grep -q '1048576 bytes' <<<"$(jv b.error.message)"
up -H 'Transfer-Encoding: chunked' -F purpose=user_data -F "file=@$STACK/1m"
is "$HTTP_STATUS/$(jv b.bytes)" "200/1048576" "sent chunked (no Content-Length): 200"
up -H 'Transfer-Encoding: chunked' -F purpose=user_data -F "file=@$STACK/1m+1"
is "$(err)" "413/file/request_too_large" "  one byte more: 413"
mp_start
head -c 1200000 /dev/zero | tr '\0' p >> "$MP"
printf '\r\n' >> "$MP"
mp_field purpose user_data
mp_file 'filename="x"' "$STACK/x.txt"
mp_end
up_mp -H 'Transfer-Encoding: chunked'
is "$(err)" "413/file/request_too_large" "a chunked body over the cap before any file: 413"
check "  says why" grep -q 'request body is larger' <<<"$(jv b.error.message)"
head -c 3000000 /dev/urandom > "$STACK/3m"
up -F purpose=user_data -F "file=@$STACK/3m"
is "$(err)" "413/file/request_too_large" "a body far over it: 413"
check "  no temporary file left" no_temp "$STACK/files"

line() { printf '{"custom_id":"%s","method":"POST","url":"/v1/chat/completions","body":{"model":"venna-1","messages":[{"role":"user","content":"%s"}]}}\n' "$1" "$2"; }
for i in $(seq 1 500); do line "r$i" "hello hello hello hello hello"; done \
    > "$STACK/big.jsonl"
up -F purpose=batch -F "file=@$STACK/big.jsonl"
is "$(err)" "413/file/request_too_large" \
    "a batch file over max_batch_upload (purpose first): 413"
check "  names the batch limit" grep -q '65536 bytes for batch' <<<"$(jv b.error.message)"
up -F "file=@$STACK/big.jsonl" -F purpose=batch
is "$(err)" "413/file/request_too_large" "  purpose after the file: 413 too"
up -F purpose=user_data -F "file=@$STACK/big.jsonl"
is "$HTTP_STATUS" 200 "the same bytes as user_data: 200"
check "  no temporary file left" no_temp "$STACK/files"

# ---- batch files -------------------------------------------------------------

{ line a x; line b y; line c z; } > "$STACK/ok.jsonl"
for order in first last; do
	if [ $order = first ]; then
		up -F purpose=batch -F "file=@$STACK/ok.jsonl"
	else
		up -F "file=@$STACK/ok.jsonl" -F purpose=batch
	fi
	is "$HTTP_STATUS/$(jv b.purpose)/$(jv 'b.expires_at - b.created_at')" \
	    "200/batch/2592000" "a valid batch file (purpose $order): 200, expires in 30 days"
done
up -F purpose=batch -F 'expires_after[anchor]=created_at' \
    -F 'expires_after[seconds]=7200' -F "file=@$STACK/ok.jsonl"
is "$HTTP_STATUS/$(jv 'b.expires_at - b.created_at')" "200/7200" \
    "  expires_after overrides the 30 days"
badfile() {
	printf '%s' "$1" > "$STACK/bad.jsonl"
	for order in first last; do
		if [ $order = first ]; then
			up -F purpose=batch -F "file=@$STACK/bad.jsonl"
		else
			up -F "file=@$STACK/bad.jsonl" -F purpose=batch
		fi
		is "$(err)" "400/file/invalid_batch_file" "$2 (purpose $order): 400"
		check "  the message names line $3" \
		    grep -q "Line $3[ :]" <<<"$(jv b.error.message)"
	done
}
badfile "$(line a x)
$(line b y)
{\"custom_id\":\"c\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":" \
    "JSON cut short on line 3" 3
badfile "$(line a x)
$(line a y)
" "a duplicate custom_id on line 2" 2
badfile "$(line a x)
{\"custom_id\":\"b\",\"method\":\"GET\",\"url\":\"/v1/x\",\"body\":{}}
" "method GET on line 2" 2
badfile "{\"method\":\"POST\",\"url\":\"/v1/x\",\"body\":{}}
" "no custom_id on line 1" 1
badfile "$(line a x)

{\"custom_id\":\"b\",\"method\":\"POST\",\"url\":\"/v1/x\"}
" "no body on line 3 (after a blank line)" 3
check "  no temporary file left" no_temp "$STACK/files"

# ---- pagination (workspace gamma: nothing but these 25 files) ---------------

: > "$STACK/ids"
for i in $(seq 1 25); do
	p=user_data
	[ $((i % 5)) -eq 0 ] && p=assistants
	KEY=$KEY_C up -F "purpose=$p" -F "file=@$STACK/x.txt;filename=f$i.txt"
	jv b.id >> "$STACK/ids"
done
is "$(sort -u "$STACK/ids" | grep -c '^file-')" 25 "25 files uploaded"
# page ORDER: walk with limit=10 and after; "n/n/n has_more... ok|bad"
page_walk() {
	local order=$1 after="" out="" ids=""
	local want
	if [ "$order" = asc ]; then want=$(cat "$STACK/ids"); else want=$(tac "$STACK/ids"); fi
	for _ in 1 2 3 4; do
		get "/files?limit=10&order=$order${after:+&after=$after}" "$KEY_C"
		[ "$HTTP_STATUS" = 200 ] || { echo "status $HTTP_STATUS"; return; }
		out="$out$(jv 'b.data.length + ":" + b.has_more + ":" + (b.first_id === (b.data[0] || {}).id) + ":" + (b.last_id === (b.data[b.data.length - 1] || {}).id)') "
		ids="$ids$(jv 'b.data.map(f => f.id).join("\n")')
"
		[ "$(jv b.has_more)" = true ] || break
		after=$(jv b.last_id)
	done
	[ "$(grep . <<<"$ids")" = "$want" ] && out="${out}in order" || out="${out}out of order"
	echo "$out"
}
is "$(page_walk desc)" "10:true:true:true 10:true:true:true 5:false:true:true in order" \
    "desc (the default order): 10, 10, 5; has_more exact; first_id/last_id"
is "$(page_walk asc)" "10:true:true:true 10:true:true:true 5:false:true:true in order" \
    "asc: the same, oldest first"
get "/files" "$KEY_C"
is "$(jv 'b.data.length + " " + b.has_more + " " + ("total" in b) + " " + (b.data[0].id === b.first_id)')" \
    "25 false false true" "no limit: all 25 (default 10,000), newest first, no total"
is "$(jv b.first_id)" "$(tail -n 1 "$STACK/ids")" "  first_id is the newest"
get "/files?limit=10&offset=5" "$KEY_C"
is "$(jv 'b.data.length + " " + b.total + " " + b.has_more')" "10 25 true" \
    "offset=5&limit=10: 10 files, total 25, has_more"
check "  fits the OpenAPI document" conforms GET /v1/files
is "$(jv b.first_id)" "$(tac "$STACK/ids" | sed -n 6p)" "  starting at the 6th newest"
get "/files?limit=10&offset=20" "$KEY_C"
is "$(jv 'b.data.length + " " + b.total + " " + b.has_more')" "5 25 false" \
    "offset=20: the last 5, has_more false"
get "/files?purpose=assistants" "$KEY_C"
is "$(jv 'b.data.length + " " + b.data.every(f => f.purpose === "assistants")')" \
    "5 true" "purpose=assistants: its 5 files only"
get "/files?purpose=assistants&limit=2&order=asc" "$KEY_C"
is "$(jv 'b.data.length + " " + b.has_more')" "2 true" "  with limit and order"
get "/files?purpose=vision" "$KEY_C"
is "$HTTP_STATUS/$(jv 'JSON.stringify([b.data, b.first_id, b.last_id, b.has_more])')" \
    '200/[[],"","",false]' "a purpose with no files: an empty page, ids \"\""
check "  fits the OpenAPI document" conforms GET /v1/files
for q in limit=0 limit=10001 limit=x "order=up" "purpose=nope" "offset=-1"; do
	get "/files?$q" "$KEY_C"
	is "$(err)" "400/${q%%=*}/invalid_value" "?$q: 400, param ${q%%=*}"
done
get "/files?after=$ID" "$KEY_C"
is "$(err)" "400/after/invalid_value" "after = another workspace's file: 400"
get "/files?after=file-nosuchfile000000000000" "$KEY_C"
is "$(err)" "400/after/invalid_value" "after = an unknown id: 400"

# ---- workspaces --------------------------------------------------------------

up -F purpose=user_data -F "file=@$STACK/bytes.bin"
A_ID=$(jv b.id)
get "/files/$A_ID" "$KEY_B"
is "$(err)/$(jv b.error.message)" "404/id/null/No such File object: $A_ID" \
    "another workspace's file: retrieve 404, as if missing"
get "/files/$A_ID/content" "$KEY_B"
is "$(err)/$(jv b.error.message)" "404/id/null/No such File object: $A_ID" \
    "  content 404"
del "/files/$A_ID" "$KEY_B"
is "$(err)/$(jv b.error.message)" "404/id/null/No such File object: $A_ID" \
    "  delete 404"
get "/files/$A_ID"
is "$HTTP_STATUS" 200 "  and the owner still has it"
for k in "$KEY_B" "$KEY_C"; do
	get "/files" "$k"
	check "  never in another workspace's list" \
	    test "$(jv "b.data.some(f => f.id === '$A_ID')")" = false
done

# ---- expiry ------------------------------------------------------------------

up -F purpose=user_data -F "file=@$STACK/x.txt"
E_ID=$(jv b.id)
"$SQLITE3_BIN" "$STACK/venna.db" \
    "UPDATE files SET expires_at = strftime('%s', 'now') - 10 WHERE id = '$E_ID'"
get "/files/$E_ID"
is "$(err)" "404/id/null" "an expired file: retrieve 404"
get "/files/$E_ID/content"
is "$(err)" "404/id/null" "  content 404"
get "/files"
is "$(jv "b.data.some(f => f.id === '$E_ID' || f.id === '$ID')")" false \
    "  neither it nor the deleted file is listed"

# ---- files_accel: downloads sent by nginx ---------------------------------

STACK_SERVER="max_upload = 1m
max_batch_upload = 64k
files_accel = /venna-files"
restart_venna || { echo "Bail out! restart"; exit 1; }
rm -f "$STACK/dl"
H=$(curl -s -D - -o "$STACK/dl" -H "Authorization: Bearer $KEY_A" \
    "$BASE_URL/files/$A_ID/content" | tr -d '\r')
check "files_accel: nginx sends the bytes, every one" cmp -s "$STACK/bytes.bin" "$STACK/dl"
check "  with Content-Length" grep -qi '^content-length: 8448$' <<<"$H"
check "  Content-Type" grep -qi '^content-type: application/octet-stream$' <<<"$H"
check "  and Venna's Content-Disposition" \
    grep -q '^Content-Disposition: attachment; filename="bytes.bin"' <<<"$H"
check "  and Venna's x-request-id" grep -q '^x-request-id: req_' <<<"$H"
R=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' -r 100-199 \
    -H "Authorization: Bearer $KEY_A" "$BASE_URL/files/$A_ID/content")
is "$R" "206 100" "  and Range requests"
get "/files/$A_ID/content" "$KEY_B"
is "$(err)" "404/id/null" "  still 404 for another workspace"
http GET "$BASE_URL/../venna-files/${A_ID:5:2}/$A_ID" --path-as-is
is "$HTTP_STATUS" 404 "  the internal location is not reachable from outside"

# ---- a 200 MB upload and download, flat memory ------------------------------

STACK_SERVER="max_upload = 300m"
restart_venna || { echo "Bail out! restart"; exit 1; }
up -F purpose=user_data -F "file=@$STACK/x.txt"	# warm: db, buffers
head -c 209715200 /dev/urandom > "$STACK/200m"
RSS0=$(workers_kib)
up -F purpose=user_data -F "file=@$STACK/200m"
BIG=$(jv b.id)
RSS1=$(workers_kib)
is "$HTTP_STATUS/$(jv b.bytes)" "200/209715200" "a 200 MB upload"
check "  worker RSS grew by less than 8 MiB ($RSS0 -> $RSS1 KiB)" \
    test $((RSS1 - RSS0)) -lt 8192
check "  no temporary file left" no_temp "$STACK/files"
curl -s -o "$STACK/dl" -H "Authorization: Bearer $KEY_A" "$BASE_URL/files/$BIG/content"
RSS2=$(workers_kib)
check "  downloaded byte for byte" cmp -s "$STACK/200m" "$STACK/dl"
check "  worker RSS still flat ($RSS1 -> $RSS2 KiB)" test $((RSS2 - RSS0)) -lt 8192
rm -f "$STACK/200m" "$STACK/dl"

# ---- short bodies and clients that leave ---------------------------------

{ printf -- '--bnd\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nuser_data\r\n'
  printf -- '--bnd\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\n'
  head -c 50000 /dev/zero; } > "$STACK/short"
OUT=$(env -i REQUEST_METHOD=POST REQUEST_URI=/v1/files \
    CONTENT_TYPE='multipart/form-data; boundary=bnd' CONTENT_LENGTH=1000000 \
    HTTP_AUTHORIZATION="Bearer $KEY_A" \
    cgi-fcgi -bind -connect "$STACK/venna.sock" < "$STACK/short")
check "a body shorter than its Content-Length (cgi-fcgi): 400" \
    grep -q '^Status: 400' <<<"$OUT"
check "  incomplete_body" grep -q '"code":"incomplete_body"' <<<"$OUT"
check "  no temporary file left" no_temp "$STACK/files"

head -c 60000000 /dev/urandom > "$STACK/60m"
curl -s -o /dev/null --limit-rate 4M -H "Authorization: Bearer $KEY_A" \
    -F purpose=user_data -F "file=@$STACK/60m" "$BASE_URL/files" &
CURL=$!
for i in $(seq 1 40); do
	[ -n "$(ls -A "$STACK/files/tmp")" ] && break
	sleep 0.1
done
check "a slow upload is being written" test -n "$(ls -A "$STACK/files/tmp")"
kill "$CURL"
wait "$CURL" 2>/dev/null
for i in $(seq 1 50); do
	no_temp "$STACK/files" && break
	sleep 0.1
done
check "  the client leaves: nothing left behind" no_temp "$STACK/files"
get "/files?limit=1"
check "  and nothing listed" test "$(jv 'b.data[0].bytes')" != 60000000
rm -f "$STACK/60m"

# ---- a full disk -------------------------------------------------------------

mkdir -p "$SMALL"
if mount -t tmpfs -o size=2m tmpfs "$SMALL"; then
	STACK_SERVER="max_upload = 300m
data_dir = $SMALL"
	restart_venna || { echo "Bail out! restart"; exit 1; }
	up -F purpose=user_data -F "file=@$STACK/3m"
	check "disk full: a 5xx" test "${HTTP_STATUS:0:1}" = 5
	is "$HTTP_STATUS/$(jv b.error.type)/$(jv b.error.code)" \
	    "507/server_error/insufficient_storage" \
	    "  507 insufficient_storage, server_error"
	check "  an envelope" is_envelope
	check "  with x-should-retry: false (the SDKs would resend it)" \
	    grep -qi '^x-should-retry: false$' <<<"$HTTP_HEADERS"
	check "  no temporary file left" no_temp "$SMALL"
	check "  no content left" test -z "$(find "$SMALL" -type f)"
	up -F purpose=user_data -F "file=@$STACK/bytes.bin"
	SMALL_ID=$(jv b.id)
	is "$HTTP_STATUS" 200 "  then a file that fits: 200"
	curl -s -o "$STACK/dl" -H "Authorization: Bearer $KEY_A" \
	    "$BASE_URL/files/$SMALL_ID/content"
	check "  and it downloads" cmp -s "$STACK/bytes.bin" "$STACK/dl"
	get "/files/$A_ID"
	is "$HTTP_STATUS" 200 "  the rest of the API works"
else
	not_ok "mount a 2 MiB tmpfs for the disk-full test"
fi

tap_done
