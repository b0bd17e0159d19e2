#!/usr/bin/env bash
# selftest.sh - end-to-end test of rmail-sim over real HTTPS with curl.
#
# Makes a throwaway CA and server certificate, starts rmail-sim on
# 127.0.0.1:18444 (and a short-lived-token instance on 18445), and drives
# every endpoint: tokens, uploads (30 MB, sha256 checked), large-file
# transfer, mail, status queries, /_sim inspection, every fault kind,
# expired tokens, garbage input, SIGHUP and SIGTERM.
#
# usage: sim/rmail/selftest.sh
#   RMAIL_SIM=path/to/rmail-sim   binary to test (default: next to this script)
#   RMAIL_SIM_WRAP="valgrind --error-exitcode=99 --leak-check=full"
#                                 command prefix to run the simulator under
# Prints "N passed, N failed"; exits 1 when anything failed.
set -u

here=$(cd "$(dirname "$0")" && pwd)
SIM=${RMAIL_SIM:-$here/rmail-sim}
FIXTURES=${RMAIL_FIXTURES:-$here/../../tests/fixtures/rmail}
read -r -a WRAP <<<"${RMAIL_SIM_WRAP:-}"
PORT=18444
PORT2=18445
BASE=https://127.0.0.1:$PORT
BASE2=https://127.0.0.1:$PORT2
passed=0
failed=0
pids=()

for tool in curl jq openssl sha256sum; do
	command -v "$tool" >/dev/null || { echo "selftest: needs $tool" >&2; exit 2; }
done
[ -x "$SIM" ] || { echo "selftest: no executable $SIM (set RMAIL_SIM)" >&2; exit 2; }

T=$(mktemp -d "${TMPDIR:-/tmp}/rmail-sim-test.XXXXXX")
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

ok() { passed=$((passed + 1)); echo "ok   - $1"; }
fail() { failed=$((failed + 1)); echo "FAIL - $1${2:+ ($2)}"; }
# check NAME COMMAND...: passes when the command succeeds.
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else fail "$name" "status=$STATUS body=$(head -c 300 "$T/body" 2>/dev/null)"; fi
}

# req METHOD URL [curl args...]: sets STATUS, CURLRC; body in $T/body, headers in $T/headers.
req() {
	local method=$1 url=$2
	shift 2
	STATUS=$(curl -sS --cacert "$T/ca.pem" -X "$method" -o "$T/body" -D "$T/headers" \
		-w '%{http_code}' "$@" "$url" 2>"$T/curl.err")
	CURLRC=$?
}
body() { cat "$T/body"; }
jbody() { jq -r "$1" "$T/body" 2>/dev/null; }
header() { tr -d '\r' <"$T/headers" | awk -v h="$1" 'BEGIN{IGNORECASE=1} tolower($0) ~ "^"tolower(h)":" {sub(/^[^:]*: */,""); print}'; }
matches() { [[ "$1" =~ $2 ]]; } # STRING ERE
quiet() { "$@" >/dev/null 2>&1; }
auth() { echo "Authorization: Bearer $1"; }
json() { echo "Content-Type: application/json"; }

wait_up() { # URL
	for _ in $(seq 1 300); do
		curl -s -o /dev/null --cacert "$T/ca.pem" "$1/_sim/stats" && return 0
		sleep 0.1
	done
	return 1
}

start_sim() { # PORT STORE LOG [extra args]: sets LAST_PID
	local port=$1 store=$2 log=$3
	shift 3
	"${WRAP[@]}" "$SIM" --listen "127.0.0.1:$port" --cert "$T/server.pem" --key "$T/server.key" \
		--accounts "$T/accounts" --store "$store" "$@" 2>"$log" &
	LAST_PID=$!
	pids+=("$LAST_PID")
}

stop_sim() { # PID: SIGTERM, wait at most 20 s, sets STOP_RC and STOP_SECONDS
	local pid=$1 start=$SECONDS
	kill -TERM "$pid"
	for _ in $(seq 1 200); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	wait "$pid"
	STOP_RC=$?
	STOP_SECONDS=$((SECONDS - start))
}

# --- certificates: a CA and a server certificate for 127.0.0.1 ---------------
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/ca.key" -out "$T/ca.pem" -days 2 \
	-subj "/CN=rmail-sim test CA" -addext basicConstraints=critical,CA:TRUE \
	-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout "$T/server.key" -out "$T/server.csr" \
	-subj "/CN=127.0.0.1" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$T/ext"
openssl x509 -req -in "$T/server.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial \
	-days 2 -extfile "$T/ext" -out "$T/server.pem" 2>/dev/null

ALICE_PW='p&ss=w+rd %x:y'
cat >"$T/accounts" <<EOF
# test accounts
alice@example.org:$ALICE_PW

bob@example.org:hunter2
EOF

# --- command line -------------------------------------------------------------
"$SIM" --help >"$T/help" 2>&1
check "--help exits 0 and prints usage" grep -q -- "--accounts" "$T/help"
"$SIM" --listen 127.0.0.1:1 --cert "$T/nope.pem" --key "$T/server.key" --accounts "$T/accounts" \
	--store "$T/s0" 2>"$T/err"
rc=$?
check "unreadable cert exits 2 naming the file" test "$rc" = 2 -a -n "$(grep nope.pem "$T/err")"
"$SIM" --listen 127.0.0.1:1 --cert "$T/server.pem" --key "$T/server.key" --accounts "$T/accounts" \
	--store "$T/s0" --token-ttl x 2>"$T/err"
check "bad --token-ttl exits 2" test $? = 2
printf 'no colon here\n' >"$T/badaccounts"
"$SIM" --listen 127.0.0.1:1 --cert "$T/server.pem" --key "$T/server.key" \
	--accounts "$T/badaccounts" --store "$T/s0" 2>"$T/err"
rc=$?
check "malformed accounts file exits 2 naming file and line" \
	test "$rc" = 2 -a -n "$(grep 'badaccounts:1' "$T/err")"
"$SIM" --listen 127.0.0.1:1 --cert "$T/server.key" --key "$T/server.key" --accounts "$T/accounts" \
	--store "$T/s0" 2>"$T/err"
check "a key given as certificate exits 2" test $? = 2

# --- start --------------------------------------------------------------------
start_sim $PORT "$T/store" "$T/sim.log"
SIM_PID=$LAST_PID
wait_up "$BASE" || { echo "rmail-sim did not come up"; cat "$T/sim.log"; exit 1; }

# --- /Token ---------------------------------------------------------------------
req POST "$BASE/token" --data-urlencode grant_type=password \
	--data-urlencode username=ALICE@example.org --data-urlencode "password=$ALICE_PW"
check "token: 200 for a URL-encoded password with & = + % and space" test "$STATUS" = 200
ALICE=$(jbody .access_token)
check "token: 43 base64url chars" matches "$ALICE" '^[A-Za-z0-9_-]{43}$'
check "token: token_type bearer, expires_in 14 days, canonical userName" \
	test "$(jbody '.token_type + " " + (.expires_in|tostring) + " " + .userName')" = "bearer 1209600 alice@example.org"
check "token: .issued and .expires are RFC 1123 dates" \
	matches "$(jbody '.[".issued"]')|$(jbody '.[".expires"]')" \
	'^[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} GMT\|[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} GMT$'
check "token: Cache-Control no-store" test "$(header cache-control)" = no-store
req POST "$BASE/Token" -d 'grant_type=password&username=bob%40example.org&password=hunter2'
BOB=$(jbody .access_token)
check "token: second user" test "$STATUS" = 200 -a -n "$BOB"
req POST "$BASE/Token" -d 'grant_type=password&username=bob@example.org&password=wrong'
check "token: bad password is 400 invalid_grant with the service's wording" \
	test "$STATUS|$(jbody .error)|$(jbody .error_description)" = "400|invalid_grant|The user name or password is incorrect."
req POST "$BASE/Token" -d 'grant_type=client_credentials&username=bob@example.org&password=hunter2'
check "token: other grant_type is 400 unsupported_grant_type" \
	test "$STATUS|$(jbody .error)" = "400|unsupported_grant_type"
req POST "$BASE/Token" -d 'grant_type=password&username=bob@example.org&password=%zz'
check "token: bad %-escape is 400" test "$STATUS" = 400
req GET "$BASE/Token"
check "token: GET is 405 with Allow: POST" test "$STATUS|$(header allow)" = "405|POST"
# RPost's add-on sends the field as "Password" (com_rpost_rmail.js): names ignore case.
req POST "$BASE/Token" -d 'grant_type=password&username=bob%40example.org&Password=hunter2'
check "token: form field names match ignoring case (Password)" test "$STATUS|$(jbody .token_type)" = "200|bearer"
# Help index: "Content type for this request is application/x-www-form-urlencoded".
req POST "$BASE/Token" -H "$(json)" -d '{"grant_type":"password","username":"bob@example.org","password":"hunter2"}'
check "token: a JSON body is 400 unsupported_grant_type (OWIN reads forms only)" \
	test "$STATUS|$(jbody .error)" = "400|unsupported_grant_type"
check "token: the error has token_error.json's members" \
	test "$(jq -c '[keys[] | select(. == "error")]' "$T/body")" = '["error"]' 

# --- auth -------------------------------------------------------------------------
req POST "$BASE/api/v1/Mail" -H "$(json)" -d '{}'
check "no token: 401 with the service's message and a Bearer challenge" \
	test "$STATUS|$(jbody .Message)|$(header www-authenticate)" = "401|Authorization has been denied for this request.|Bearer"
req POST "$BASE/api/v1/Mail" -H "$(json)" -H "$(auth AAAAbogus)" -d '{}'
check "unknown token: 401" test "$STATUS" = 401
req POST "$BASE/api/v1/Mail" -H "$(json)" -H "Authorization: Basic Zm9vOmJhcg==" -d '{}'
check "non-bearer scheme: 401" test "$STATUS" = 401

# --- /api/Upload -------------------------------------------------------------------
printf 'hello, registered world\n' >"$T/small.pdf"
req POST "$BASE/api/upload" -H "$(auth "$ALICE")" -F "file=@$T/small.pdf;filename=Scan 1.pdf"
SMALL_ID=$(jbody .)
check "upload: 200 with the id as a JSON string" \
	test "$STATUS" = 200 -a "$(jq -r type "$T/body")" = string -a -n "$SMALL_ID"
head -c 30000000 /dev/urandom >"$T/big.bin"
BIG_SHA=$(sha256sum "$T/big.bin" | cut -d' ' -f1)
req POST "$BASE/api/Upload" -H "$(auth "$ALICE")" -F "file=@$T/big.bin;filename=big.pdf"
BIG_ID=$(jbody .)
check "upload: 30 MB file accepted" test "$STATUS" = 200 -a -n "$BIG_ID"
req GET "$BASE/_sim/uploads"
check "upload: /_sim/uploads records bytes and sha256 equal to sha256sum" \
	test "$(jq -r --arg id "$BIG_ID" '.[] | select(.id==$id) | "\(.bytes) \(.sha256) \(.filename) \(.user)"' "$T/body")" \
	= "30000000 $BIG_SHA big.pdf alice@example.org"
check "upload: filename from Content-Disposition kept" \
	test "$(jq -r --arg id "$SMALL_ID" '.[] | select(.id==$id) | .filename' "$T/body")" = "Scan 1.pdf"
check "upload: the stored file has the uploaded bytes" \
	test "$(sha256sum "$T/store/upload-$BIG_ID" | cut -d' ' -f1)" = "$BIG_SHA"
req POST "$BASE/api/Upload" -H "$(auth "$ALICE")" -F "other=@$T/small.pdf"
check "upload: no part named file is 400" test "$STATUS" = 400
req POST "$BASE/api/Upload" -H "$(auth "$ALICE")" -H "$(json)" -d '{}'
check "upload: not multipart is 415" test "$STATUS" = 415
req POST "$BASE/api/Upload" -H "$(auth "$ALICE")" -H 'Content-Type: multipart/form-data; boundary=XX' \
	--data-binary $'--XX\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nabc'
check "upload: truncated multipart is 400" test "$STATUS" = 400
req POST "$BASE/api/Upload" -F "file=@$T/small.pdf"
check "upload: without token 401" test "$STATUS" = 401
req POST "$BASE/api/v1/Upload" -H "$(auth "$ALICE")" -F "file=@$T/small.pdf;filename=v1.pdf"
check "upload: api/v1/Upload answers as api/Upload (help index lists both)" \
	test "$STATUS|$(jq -r type "$T/body")" = "200|string"
req POST "$BASE/api/Upload" -H "$(auth "$BOB")" -F "file=@$T/small.pdf;filename=bob.pdf"
BOB_UPLOAD=$(jbody .)

# --- /api/v1/Mail/LargeFileTransfer -------------------------------------------------
req POST "$BASE/api/v1/Mail/LargeFileTransfer" -H "$(auth "$ALICE")" -H "$(json)" \
	-d "{\"Attachments\":[\"$BIG_ID\"],\"SenderAddress\":\"alice@example.org\"}"
LFT_KEY=$(jbody .Key)
check "large-file transfer: 200 with a Key" test "$STATUS" = 200 -a -n "$LFT_KEY" -a "$LFT_KEY" != null
req POST "$BASE/api/v1/mail/largefiletransfer" -H "$(auth "$ALICE")" -H "$(json)" \
	-d "{\"attachments\":[\"$BOB_UPLOAD\"]}"
check "large-file transfer: another user's upload is 400" test "$STATUS" = 400
req POST "$BASE/api/v1/Mail/LargeFileTransfer" -H "$(auth "$ALICE")" -H "$(json)" -d '{"Attachments":["nope"]}'
check "large-file transfer: unknown id is 400" test "$STATUS" = 400

# --- /api/v1/Mail ------------------------------------------------------------------------
MAIL=$(jq -n --arg a "$SMALL_ID" '{To:"carol@example.com; dave@example.net", Cc:"erin@example.com",
	Bcc:"", Subject:"Contract", Body:"Please sign.", TimeZoneOffset:"-05:00", Attachments:[$a],
	Options:{"X-RPost-Type":"1","X-RPost-App":"scanpost","X-RPost-TLS":"1","X-RPost-SecuRmail":"1",
	"X-RPost-Sidenote-Text":"note","X-RPost-Sidenote-Cc":"1","X-RPost-Sidenote-Bcc":"0",
	"X-RPost-CustomerTrackingId":"job-1"}, IsLargeMail:false}')
req POST "$BASE/api/v1/Mail" -H "$(auth "$ALICE")" -H "$(json)" -d "$MAIL"
TID=$(jbody .ResultContent.TrackingId)
check "mail: success envelope" \
	test "$STATUS|$(jbody '"\(.StatusCode)|\(.StatusText)|\(.Status)|\(.Message[0].Message)"')" = "200|200|OK|Success|Message sent"
check "mail: TrackingId and MessageId" test -n "$TID" -a "$TID" != null -a "$(jbody '.Message[0].MessageId')" != null
MAIL_LC=$(jq -n --arg a "$SMALL_ID" '{to:"frank@example.com", subject:"lower", body:"b",
	attachments:[$a], options:{"x-rpost-type":"2","x-rpost-customertrackingid":"job-2"}}')
req POST "$BASE/API/V1/MAIL/" -H "$(auth "$ALICE")" -H "$(json)" -d "$MAIL_LC"
TID2=$(jbody .ResultContent.TrackingId)
check "mail: path and field names match ignoring case" test "$STATUS|$(jbody .Status)" = "200|Success"
req GET "$BASE/_sim/messages"
cp "$T/body" "$T/messages.json"
M1=$(jq -c --arg t "$TID" '.[] | select(.tracking_id==$t)' "$T/messages.json")
check "sim/messages: recipients split on ;" \
	test "$(jq -c '[.to, .cc, .bcc]' <<<"$M1")" = '[["carol@example.com","dave@example.net"],["erin@example.com"],[]]'
check "sim/messages: subject, body length, user, customer tracking id" \
	test "$(jq -r '"\(.subject)|\(.body_bytes)|\(.user)|\(.customer_tracking_id)|\(.is_large_mail)"' <<<"$M1")" \
	= "Contract|12|alice@example.org|job-1|false"
check "sim/messages: all options" \
	test "$(jq -c '.options' <<<"$M1")" = '{"X-RPost-Type":"1","X-RPost-App":"scanpost","X-RPost-TLS":"1","X-RPost-SecuRmail":"1","X-RPost-Sidenote-Text":"note","X-RPost-Sidenote-Cc":"1","X-RPost-Sidenote-Bcc":"0","X-RPost-CustomerTrackingId":"job-1"}'
check "sim/messages: the time zone offset as sent" test "$(jq -r .time_zone_offset <<<"$M1")" = "-05:00"
check "sim/messages: attachment name, bytes, sha256" \
	test "$(jq -r '.attachments[0] | "\(.name)|\(.bytes)|\(.sha256)"' <<<"$M1")" \
	= "Scan 1.pdf|24|$(sha256sum "$T/small.pdf" | cut -d' ' -f1)"
check "sim/messages: lower-case option names stored canonically" \
	test "$(jq -r --arg t "$TID2" '.[] | select(.tracking_id==$t) | .options["X-RPost-CustomerTrackingId"]' "$T/messages.json")" = job-2

mailfail() { # JSON, expected substring of the failure message: HTTP 200, Status Failure
	req POST "$BASE/api/v1/Mail" -H "$(auth "$ALICE")" -H "$(json)" -d "$1"
	[ "$STATUS|$(jbody .Status)|$(jbody .StatusCode)" = "200|Failure|400" ] &&
		[[ "$(jbody '.Message[0].Message')" == *"$2"* ]]
}
mailfail400() { # the same envelope answered as HTTP 400 (DESIGN 3.2)
	req POST "$BASE/api/v1/Mail" -H "$(auth "$ALICE")" -H "$(json)" -d "$1"
	[ "$STATUS|$(jbody .Status)|$(jbody .StatusCode)" = "400|Failure|400" ] &&
		[[ "$(jbody '.Message[0].Message')" == *"$2"* ]]
}
check "mail: missing To is a business failure (HTTP 200)" mailfail '{"Subject":"x"}' "required"
check "mail: bad address is a business failure naming it" mailfail '{"To":"ok@example.org;not an address"}' "not an address"
check "mail: recipients separated by ',' are split too (Mail help)" \
	mailfail '{"To":"ok@example.org,not an address"}' "not an address"
check "mail: unknown option is a 400 business failure naming it" \
	mailfail400 '{"To":"a@example.org","Options":{"X-RPost-Bogus":"1"}}' "X-RPost-Bogus"
check "mail: X-RPost-Type other than 1/2 is a 400 business failure" \
	mailfail400 '{"To":"a@example.org","Options":{"X-RPost-Type":"7"}}' "X-RPost-Type"
check "mail: unknown X-RPost-LargeMail key is a business failure" \
	mailfail '{"To":"a@example.org","IsLargeMail":true,"Options":{"X-RPost-LargeMail":"feedface"}}' "large-file"
check "mail: 30 MB as ordinary mail is a business failure naming IsLargeMail" \
	mailfail "{\"To\":\"a@example.org\",\"Attachments\":[\"$BIG_ID\"]}" "IsLargeMail"
req POST "$BASE/api/v1/Mail" -H "$(auth "$ALICE")" -H "$(json)" \
	-d "{\"To\":\"a@example.org\",\"Attachments\":[\"$BIG_ID\"],\"IsLargeMail\":true,\"TimeZoneOffset\":\"+00:00\",\"Options\":{\"X-RPost-CustomerTrackingId\":\"job-islarge\"}}"
check "mail: 30 MB with IsLargeMail alone succeeds (the REST path)" test "$STATUS|$(jbody .Status)" = "200|Success"

# TimeZoneOffset: Mail help, "specified in format +-hh:mm"; the sample sends null.
tzmail() { jq -nc --argjson tz "$1" '{To:"a@example.org", TimeZoneOffset:$tz}'; }
for tz in null '"+00:00"' '"-05:00"' '"+05:30"' '"+14:00"' '"-12:00"'; do
	req POST "$BASE/api/v1/Mail" -H "$(auth "$ALICE")" -H "$(json)" -d "$(tzmail "$tz")"
	check "mail: TimeZoneOffset $tz is accepted" test "$STATUS|$(jbody .Status)" = "200|Success"
done
req POST "$BASE/api/v1/Mail" -H "$(auth "$ALICE")" -H "$(json)" -d '{"To":"a@example.org"}'
check "mail: TimeZoneOffset absent is accepted" test "$STATUS|$(jbody .Status)" = "200|Success"
for tz in '"0"' 0 '"+0"' '"+1:00"' '"+01:0"' '"01:00"' '"+15:00"' '"+01:60"' '"UTC"' '"+01:00 "'; do
	check "mail: TimeZoneOffset $tz is a 400 business failure naming it" \
		mailfail400 "$(tzmail "$tz")" "TimeZoneOffset"
done

# Option names and values, and the combinations RPost's add-on never sends
# (tests/fixtures/rmail/options.json names the source of each).
OPTS=$FIXTURES/options.json
combo_mail() { # RULE-INDEX: the rule's options, with Cc/Bcc unless it says no_cc/no_bcc
	jq -c --argjson i "$1" --arg a "$SMALL_ID" '.refused_combinations[$i] as $r |
		{To:"a@example.org", Attachments:[$a], Options:$r.options,
		 IsLargeMail:($r.is_large_mail // false)}
		+ (if $r.no_cc then {} else {Cc:"c@example.org"} end)
		+ (if $r.no_bcc then {} else {Bcc:"b@example.org"} end)' "$OPTS"
}
n_rules=$(jq '.refused_combinations | length' "$OPTS")
check "fixture: options.json lists refused combinations" test "$n_rules" -ge 8
for i in $(seq 0 $((n_rules - 1))); do
	name=$(jq -r ".refused_combinations[$i].name" "$OPTS")
	req POST "$BASE/api/v1/Mail" -H "$(auth "$ALICE")" -H "$(json)" -d "$(combo_mail "$i")"
	check "mail: refused combination \"$name\" is a 400 business failure" \
		test "$STATUS|$(jbody .Status)" = "400|Failure"
done
ALLOWED=$(jq -nc --arg a "$SMALL_ID" '{To:"a@example.org", Cc:"c@example.org", Bcc:"b@example.org",
	Attachments:[$a], TimeZoneOffset:"+01:00", Options:{"X-RPost-Type":"1","X-RPost-App":"t",
	"X-RPost-TLS":"1","X-RPost-SecuRmail":"1","X-RPost-SecuRmail-AutoPassword":"1",
	"X-RPost-SendPassword":"1","X-RPost-Esign":"1","X-RPost-Sidenote-Text":"n",
	"X-RPost-Sidenote-Cc":"1","X-RPost-Sidenote-Bcc":"1","X-RPost-CustomerTrackingId":"job-all"}}')
req POST "$BASE/api/v1/Mail" -H "$(auth "$ALICE")" -H "$(json)" -d "$ALLOWED"
check "mail: every option the add-on sends, in a combination it allows, succeeds" \
	test "$STATUS|$(jbody .Status)" = "200|Success"
check "fixture: that send used every option options.json lists but LargeMail" \
	test "$(jq -c '[.options | keys[] | select(. != "X-RPost-LargeMail")] | sort' "$OPTS")" \
	= "$(jq -c '.Options | keys | sort' <<<"$ALLOWED")"
req POST "$BASE/api/v1/Mail" -H "$(auth "$ALICE")" -H "$(json)" \
	-d "{\"To\":\"a@example.org\",\"Options\":{\"X-RPost-Type\":\"2\",\"X-RPost-SecuRmail\":\"0\",\"X-RPost-Esign\":\"0\"}}"
check "mail: unmarked with the flags off succeeds" test "$STATUS|$(jbody .Status)" = "200|Success"

# The documented request itself (mail_request.json), with real attachment ids.
DOC_MAIL=$(jq -c --arg a "$SMALL_ID" '.request | .Attachments = [$a] | .From = null' "$FIXTURES/mail_request.json")
req POST "$BASE/api/v1/Mail" -H "$(auth "$ALICE")" -H "$(json)" -d "$DOC_MAIL"
check "fixture: mail_request.json is accepted" test "$STATUS|$(jbody .Status)" = "200|Success"
check "fixture: the answer has mail_response.json's members" \
	test "$(jq -c 'keys' "$T/body")" = "$(jq -c '.response | keys' "$FIXTURES/mail_response.json")"
req POST "$BASE/api/v1/Mail" -H "$(auth "$ALICE")" -H "$(json)" \
	-d "{\"To\":\"a@example.org\",\"Attachments\":[\"$BIG_ID\"],\"IsLargeMail\":true,\"Options\":{\"X-RPost-LargeMail\":\"$LFT_KEY\",\"X-RPost-CustomerTrackingId\":\"job-large\"}}"
check "mail: large mail with its transfer key succeeds" test "$STATUS|$(jbody .Status)" = "200|Success"
req GET "$BASE/_sim/messages"
check "sim/messages: large mail recorded with key and sha256" \
	test "$(jq -r '.[] | select(.customer_tracking_id=="job-large") | "\(.is_large_mail)|\(.large_mail_key)|\(.attachments[0].sha256)"' "$T/body")" \
	= "true|$LFT_KEY|$BIG_SHA"
req POST "$BASE/api/v1/Mail" -H "$(auth "$ALICE")" -H "$(json)" -d "{\"To\":\"a@example.org\",\"Attachments\":[\"$BOB_UPLOAD\"]}"
check "mail: another user's attachment is 400" test "$STATUS" = 400
req POST "$BASE/api/v1/Mail" -H "$(auth "$ALICE")" -H "$(json)" -d '{"To":"a@example.org",'
check "mail: malformed JSON is 400 with Message" test "$STATUS" = 400 -a "$(jbody .Message)" != null
req POST "$BASE/api/v1/Mail" -H "$(auth "$ALICE")" -H "$(json)" -d '{"To":["a@example.org"]}'
check "mail: To as an array is 400" test "$STATUS" = 400
req POST "$BASE/api/v1/Mail" -H "$(auth "$ALICE")" -d 'To=a@example.org'
check "mail: form body is 415" test "$STATUS" = 415
req GET "$BASE/api/v1/Mail" -H "$(auth "$ALICE")"
check "mail: GET is 405" test "$STATUS" = 405
req GET "$BASE/api/v1/nothing"
check "unknown path is 404" test "$STATUS" = 404
head -c 4096 /dev/urandom >"$T/garbage"
req POST "$BASE/api/v1/Mail" -H "$(auth "$ALICE")" -H "$(json)" --data-binary "@$T/garbage"
check "mail: random bytes are 400" test "$STATUS" = 400
head -c 2000000 /dev/zero | tr '\0' ' ' >"$T/hugejson"
req POST "$BASE/api/v1/Mail" -H "$(auth "$ALICE")" -H "$(json)" --data-binary "@$T/hugejson"
check "mail: body over 1 MiB is 413" test "$STATUS" = 413

# --- MessageStatus and MessageInfo -------------------------------------------------------
# Status help: filters are StartDate/EndDate (at most 24 h) and TrackingId;
# with a TrackingId the dates are ignored; CustomerTrackingId is not a member
# of the binding model, so it filters nothing.
NOW=$(date -u +%s)
FROM=$(date -u -d "@$((NOW - 3600))" +%Y-%m-%dT%H:%M:%SZ)
TO=$(date -u -d "@$((NOW + 3600))" +%Y-%m-%dT%H:%M:%S+00:00)
req POST "$BASE/api/v1/Receipt/MessageStatus" -H "$(auth "$ALICE")" -H "$(json)" \
	-d "{\"TrackingId\":\"$TID\",\"StartDate\":\"2001-01-01T00:00:00Z\",\"EndDate\":\"2001-01-01T00:00:01Z\"}"
check "status by TrackingId (dates ignored): one Delivered result with every recipient" \
	test "$(jbody '"\(.Status)|\(.ResultContent|length)|\(.ResultContent[0].Status)|\(.ResultContent[0].CustomerTrackingId)|\([.ResultContent[0].Recipients[].Address]|join(","))|\([.ResultContent[0].Recipients[].RecipientType]|join(","))|\(.ResultContent[0].Recipients[0].DeliveryStatus)|\(.ResultContent[0].Recipients[0].OpenedDate)"')" \
	= "Success|1|Delivered|job-1|carol@example.com,dave@example.net,erin@example.com|To,To,Cc|Delivered to Mailbox|null"
check "status: each result has exactly the members of ReceiptMessageDetailsModel" \
	test "$(jq -c '.ResultContent[0] | keys' "$T/body")" \
	= "$(jq -c '.response.ResultContent[0] | keys' "$FIXTURES/message_status_response.json")"
check "status: each recipient has exactly the members of ReceiptRecipientData" \
	test "$(jq -c '.ResultContent[0].Recipients[0] | keys' "$T/body")" \
	= "$(jq -c '.response.ResultContent[0].Recipients[0] | keys' "$FIXTURES/message_status_response.json")"
check "status: dates without a zone (2024-11-21T10:15:32)" \
	matches "$(jbody '.ResultContent[0].Date')" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}$'
req POST "$BASE/api/v1/receipt/messagestatus" -H "$(auth "$ALICE")" -H "$(json)" -d '{"customertrackingid":"job-2"}'
check "status: CustomerTrackingId alone is no filter (400: no window)" test "$STATUS" = 400
req POST "$BASE/api/v1/Receipt/MessageStatus" -H "$(auth "$ALICE")" -H "$(json)" \
	-d "{\"StartDate\":\"$FROM\",\"EndDate\":\"$TO\",\"CustomerTrackingId\":\"job-never\"}"
check "status: CustomerTrackingId with a window filters nothing" test "$STATUS|$(jbody '.ResultContent|length > 1')" = "200|true"
check "status by window: the caller finds job-2 by its CustomerTrackingId" \
	test "$(jbody '[.ResultContent[] | select(.CustomerTrackingId=="job-2") | .TrackingId] | join(",")')" = "$TID2"
WINDOW_N=$(jbody '.ResultContent|length')
check "status by window: every message alice sent in it" test "$WINDOW_N" = "$(curl -s --cacert "$T/ca.pem" "$BASE/_sim/messages" | jq '[.[] | select(.user=="alice@example.org")] | length')"
req POST "$BASE/api/v1/Receipt/MessageStatus" -H "$(auth "$BOB")" -H "$(json)" -d "{\"StartDate\":\"$FROM\",\"EndDate\":\"$TO\"}"
check "status by window: none for bob" test "$(jbody '.ResultContent|length')" = 0
DOC_STATUS=$(jq -c --arg f "$FROM" --arg t "$(date -u -d "@$((NOW + 60))" +%Y-%m-%dT%H:%M:%S+00:00)" \
	'.request | .StartDate = $f | .EndDate = $t' "$FIXTURES/message_status_request.json")
req POST "$BASE/api/v1/Receipt/MessageStatus" -H "$(auth "$ALICE")" -H "$(json)" -d "$DOC_STATUS"
check "fixture: message_status_request.json (TrackingId null) is a window query" \
	test "$STATUS|$(jbody '.ResultContent|length')" = "200|$WINDOW_N"
req POST "$BASE/api/v1/Receipt/MessageStatus" -H "$(auth "$ALICE")" -H "$(json)" -d '{"StartDate":"2024-01-01T00:00:00Z","EndDate":"2024-01-02T00:00:00+00:00"}'
check "status: a window of exactly 24 h is answered" test "$STATUS" = 200
req POST "$BASE/api/v1/Receipt/MessageStatus" -H "$(auth "$ALICE")" -H "$(json)" -d '{"StartDate":"2024-01-01T00:00:00Z","EndDate":"2024-01-02T00:00:01Z"}'
check "status: window over 24 h is 400" test "$STATUS" = 400
req POST "$BASE/api/v1/Receipt/MessageStatus" -H "$(auth "$ALICE")" -H "$(json)" -d '{"StartDate":"2024-01-01T00:00:00Z"}'
check "status: a window needs both dates" test "$STATUS" = 400
req POST "$BASE/api/v1/Receipt/MessageStatus" -H "$(auth "$ALICE")" -H "$(json)" -d '{"StartDate":"yesterday","EndDate":"today"}'
check "status: unparsable dates are 400" test "$STATUS" = 400
req POST "$BASE/api/v1/Receipt/MessageStatus" -H "$(auth "$ALICE")" -H "$(json)" -d '{}'
check "status: nothing to search by is 400" test "$STATUS" = 400
req GET "$BASE/api/v1/MessageInfo/$TID" -H "$(auth "$ALICE")"
check "MessageInfo: a collection holding the message (Info help)" \
	test "$STATUS|$(jbody '.ResultContent|type')|$(jbody '.ResultContent|length')|$(jbody .ResultContent[0].TrackingId)" = "200|array|1|$TID"
req GET "$BASE/api/v1/messageinfo/$TID" -H "$(auth "$BOB")"
check "MessageInfo: another user's message is not in the collection" test "$STATUS|$(jbody '.ResultContent|length')" = "200|0"
req GET "$BASE/api/v1/MessageInfo/NOPE" -H "$(auth "$ALICE")"
check "MessageInfo: an unknown id gives an empty collection" test "$STATUS|$(jbody '.ResultContent|length')" = "200|0"

# --- faults -------------------------------------------------------------------------------
SIMPLE_MAIL='{"To":"x@example.org","Subject":"f"}'
sendmail() { req POST "$BASE/api/v1/Mail" -H "$(auth "$ALICE")" -H "$(json)" "$@" -d "$SIMPLE_MAIL"; }
stat_of() { curl -s --cacert "$T/ca.pem" "$BASE/_sim/stats" | jq -r ".[\"/api/v1/Mail\"].$1"; }

req POST "$BASE/_sim/faults" -d '{"kind":"status","status":503,"count":2,"path":"/API/v1/mail"}'
check "faults: rule added (201)" test "$STATUS|$(jbody .kind)|$(jbody .count)" = "201|status|2"
req GET "$BASE/_sim/faults"
check "faults: listed" test "$(jbody 'length')" = 1
calls0=$(stat_of calls)
sendmail; s1=$STATUS
sendmail; s2=$STATUS
sendmail; s3=$STATUS
check "faults: status 503 for the next 2 calls, then normal" test "$s1 $s2 $s3" = "503 503 200"
check "stats: calls and faults counted" test "$(( $(stat_of calls) - calls0 ))|$(stat_of faults)" = "3|2"
req POST "$BASE/_sim/faults" -d '{"kind":"retry_after","retry_after":7}'
sendmail
check "faults: retry_after is 429 with Retry-After" test "$STATUS|$(header retry-after)" = "429|7"
req POST "$BASE/_sim/faults" -d '{"kind":"unauthorized","path":"/api/v1/Mail"}'
sendmail
check "faults: unauthorized is 401 despite a good token" test "$STATUS" = 401
req POST "$BASE/_sim/faults" -d '{"kind":"business","message":"Quota exceeded"}'
sendmail
check "faults: business is 200 Failure with the message" \
	test "$STATUS|$(jbody .Status)|$(jbody '.Message[0].Message')" = "200|Failure|Quota exceeded"
req POST "$BASE/_sim/faults" -d '{"kind":"business","status":400,"message":"Recipient domain is blocked"}'
sendmail
check "faults: business with status 400 answers the same envelope as HTTP 400" \
	test "$STATUS|$(jbody .Status)|$(jbody .StatusCode)|$(jbody '.Message[0].Message')" = "400|Failure|400|Recipient domain is blocked"
req POST "$BASE/_sim/faults" -d '{"kind":"business","status":500}'
check "faults: business answers 200 or 400 only" test "$STATUS" = 400
req POST "$BASE/_sim/faults" -d '{"kind":"raw","status":200,"path":"/api/v1/Receipt/MessageStatus","message":"{\"Status\":\"Success\",\"ResultContent\":{}}"}'
check "faults: raw rule added" test "$STATUS|$(jbody .kind)" = "201|raw"
req POST "$BASE/api/v1/Receipt/MessageStatus" -H "$(auth "$ALICE")" -H "$(json)" -d '{}'
check "faults: raw answers its body verbatim" test "$STATUS|$(jq -c . "$T/body")" = '200|{"Status":"Success","ResultContent":{}}'
req POST "$BASE/_sim/faults" -d '{"kind":"raw","status":200}'
check "faults: raw without a body is 400" test "$STATUS" = 400
req POST "$BASE/_sim/faults" -d '{"kind":"stale","latency_ms":60000,"path":"/api/v1/Receipt/MessageStatus"}'
req POST "$BASE/api/v1/Receipt/MessageStatus" -H "$(auth "$ALICE")" -H "$(json)" -d "{\"TrackingId\":\"$TID\"}"
check "faults: stale hides a message accepted within latency_ms" test "$STATUS|$(jbody '.ResultContent|length')" = "200|0"
req POST "$BASE/api/v1/Receipt/MessageStatus" -H "$(auth "$ALICE")" -H "$(json)" -d "{\"TrackingId\":\"$TID\"}"
check "faults: after the stale rule is used, the message is listed" test "$(jbody '.ResultContent|length')" = 1
req POST "$BASE/_sim/faults" -d '{"kind":"stale","path":"/api/v1/Mail"}'
check "faults: stale only for the status paths" test "$STATUS" = 400
req POST "$BASE/_sim/faults" -d '{"kind":"latency","latency_ms":700}'
t0=$(date +%s%N)
sendmail
t1=$(date +%s%N)
check "faults: latency delays, then answers normally" test "$STATUS" = 200 -a $(( (t1 - t0) / 1000000 )) -ge 700
req POST "$BASE/_sim/faults" -d '{"kind":"drop"}'
sendmail
check "faults: drop closes without an answer" test "$CURLRC" != 0 -a "$STATUS" = 000
req POST "$BASE/_sim/faults" -d '{"kind":"hang","path":"/api/v1/Receipt"}'
t0=$SECONDS
req POST "$BASE/api/v1/Receipt/MessageStatus" -H "$(auth "$ALICE")" -H "$(json)" --max-time 2 -d '{}'
check "faults: hang outlasts the client timeout" test "$CURLRC" = 28
sendmail
check "faults: path filter leaves other endpoints alone; server still answers" test "$STATUS" = 200
msgs_before=$(curl -s --cacert "$T/ca.pem" "$BASE/_sim/messages" | jq length)
acc_before=$(stat_of accepted)
req POST "$BASE/_sim/faults" -d '{"kind":"drop","after_accept":true}'
req POST "$BASE/api/v1/Mail" -H "$(auth "$ALICE")" -H "$(json)" \
	-d '{"To":"x@example.org","Options":{"X-RPost-CustomerTrackingId":"job-lost-reply"}}'
check "faults: after_accept drop gives the client no answer" test "$CURLRC" != 0 -a "$STATUS" = 000
check "faults: after_accept drop still recorded the message" \
	test "$(curl -s --cacert "$T/ca.pem" "$BASE/_sim/messages" | jq length)|$(stat_of accepted)" = "$((msgs_before + 1))|$((acc_before + 1))"
req POST "$BASE/api/v1/Receipt/MessageStatus" -H "$(auth "$ALICE")" -H "$(json)" -d "{\"StartDate\":\"$FROM\",\"EndDate\":\"$TO\"}"
check "faults: the lost send is found by its CustomerTrackingId in the window" \
	test "$(jbody '[.ResultContent[] | select(.CustomerTrackingId=="job-lost-reply")] | length')" = 1
req POST "$BASE/_sim/faults" -d '{"kind":"status","status":500,"after_accept":true}'
req POST "$BASE/api/Upload" -H "$(auth "$ALICE")" -F "file=@$T/small.pdf;filename=x.pdf"
check "faults: after_accept rules skip non-mail calls" test "$STATUS" = 200
sendmail
check "faults: after_accept status answers 500 after recording" \
	test "$STATUS|$(curl -s --cacert "$T/ca.pem" "$BASE/_sim/messages" | jq length)" = "500|$((msgs_before + 2))"
req POST "$BASE/_sim/faults" -d '{"kind":"status","rate":1}'
sendmail; s1=$STATUS
req POST "$BASE/Token" -d 'grant_type=password&username=bob@example.org&password=hunter2'
s2=$STATUS
check "faults: rate 1 hits every RMail endpoint" test "$s1 $s2" = "500 500"
req DELETE "$BASE/_sim/faults"
check "faults: DELETE clears" test "$STATUS|$(jbody .cleared)" = "200|1"
sendmail
check "faults: cleared rules no longer fire" test "$STATUS" = 200
req POST "$BASE/_sim/faults" -d '{"kind":"explode"}'
check "faults: unknown kind is 400" test "$STATUS" = 400
req POST "$BASE/_sim/faults" -d '{"kind":"drop","cuont":3}'
check "faults: unknown member is 400" test "$STATUS" = 400
req POST "$BASE/_sim/faults" -d '{"kind":"latency","after_accept":true}'
check "faults: after_accept with latency is 400" test "$STATUS" = 400
req POST "$BASE/_sim/faults" -d '{"kind":"status","rate":1.5}'
check "faults: rate above 1 is 400" test "$STATUS" = 400

# --- garbage on the wire --------------------------------------------------------------------
printf 'GARBAGE \x01\x02\r\n\r\n' | timeout 5 openssl s_client -quiet -connect 127.0.0.1:$PORT \
	-CAfile "$T/ca.pem" >/dev/null 2>&1
printf '\x16\x03\x01\x00\x05hello' | timeout 5 bash -c "cat >/dev/tcp/127.0.0.1/$PORT" 2>/dev/null
req GET "$BASE/_sim/stats"
check "garbage request line and broken TLS hello: server keeps serving" test "$STATUS" = 200

# --- concurrency: 20 clients upload and send at once ------------------------------------------
before=$(curl -s --cacert "$T/ca.pem" "$BASE/_sim/messages" | jq length)
clients=()
for i in $(seq 1 20); do
	(
		id=$(curl -s --cacert "$T/ca.pem" -H "$(auth "$BOB")" -F "file=@$T/small.pdf;filename=p$i.pdf" \
			"$BASE/api/Upload" | jq -r .)
		curl -s --cacert "$T/ca.pem" -H "$(auth "$BOB")" -H "$(json)" \
			-d "{\"To\":\"p$i@example.org\",\"Attachments\":[\"$id\"],\"Options\":{\"X-RPost-CustomerTrackingId\":\"par-$i\"}}" \
			"$BASE/api/v1/Mail" | jq -r .Status >"$T/par.$i"
	) &
	clients+=($!)
done
wait "${clients[@]}"
check "concurrency: 20 parallel upload+send all succeed" test "$(cat "$T"/par.* | grep -c '^Success$')" = 20
req GET "$BASE/_sim/messages"
check "concurrency: 20 distinct messages recorded, each with its attachment" \
	test "$(jq '[.[] | select(.customer_tracking_id // "" | startswith("par-"))] | [length, (map(.tracking_id)|unique|length), (map(.attachments[0].name)|unique|length)] | join(",")' -r "$T/body")|$(jq length "$T/body")" \
	= "20,20,20|$((before + 20))"

# --- SIGHUP reloads accounts ------------------------------------------------------------------
echo 'zoe@example.org:new-pass' >>"$T/accounts"
kill -HUP "$SIM_PID"
sleep 0.5
req POST "$BASE/Token" -d 'grant_type=password&username=zoe@example.org&password=new-pass'
check "SIGHUP: new account can sign in" test "$STATUS" = 200

# --- reset ---------------------------------------------------------------------------------
req POST "$BASE/_sim/faults" -d '{"kind":"drop","path":"/api/v1/MessageInfo"}'
req POST "$BASE/_sim/reset"
check "reset: 200" test "$STATUS" = 200
check "reset: messages, uploads, faults gone" \
	test "$(curl -s --cacert "$T/ca.pem" "$BASE/_sim/messages" | jq length)|$(curl -s --cacert "$T/ca.pem" "$BASE/_sim/uploads" | jq length)|$(curl -s --cacert "$T/ca.pem" "$BASE/_sim/faults" | jq length)" = "0|0|0"
check "reset: stored files deleted" test -z "$(ls "$T/store")"
req GET "$BASE/api/v1/MessageInfo/$TID" -H "$(auth "$ALICE")"
check "reset: old tokens are unknown" test "$STATUS" = 401

# --- expiry and upload limit: a second instance ----------------------------------------------
start_sim $PORT2 "$T/store2" "$T/sim2.log" --token-ttl 2 --max-upload 1000
SIM2_PID=$LAST_PID
wait_up "$BASE2" || fail "second instance starts"
short_token() { # a fresh 2-second token from the second instance
	curl -s --cacert "$T/ca.pem" "$BASE2/Token" \
		-d 'grant_type=password&username=bob@example.org&password=hunter2' | jq -r .access_token
}
req POST "$BASE2/Token" -d 'grant_type=password&username=bob@example.org&password=hunter2'
check "ttl: expires_in follows --token-ttl" test "$(jbody .expires_in)" = 2
head -c 1001 /dev/urandom >"$T/k1001"
head -c 1000 /dev/urandom >"$T/k1000"
head -c 5000000 /dev/urandom >"$T/5m"
req POST "$BASE2/api/Upload" -H "$(auth "$(short_token)")" -F "file=@$T/k1000;filename=a"
check "max-upload: a file of exactly the limit is accepted" test "$STATUS" = 200
req POST "$BASE2/api/Upload" -H "$(auth "$(short_token)")" -F "file=@$T/k1001;filename=a"
check "max-upload: one byte over is 413" test "$STATUS" = 413
req POST "$BASE2/api/Upload" -H "$(auth "$(short_token)")" -F "file=@$T/5m;filename=c"
check "max-upload: a much larger upload is refused with 413" test "$STATUS" = 413
check "max-upload: refused files leave nothing behind" test "$(ls "$T/store2" | grep -c part)" = 0
SHORT=$(short_token)
req GET "$BASE2/api/v1/MessageInfo/X" -H "$(auth "$SHORT")"
check "ttl: a fresh token works" test "$STATUS" = 200
sleep 3
req GET "$BASE2/api/v1/MessageInfo/X" -H "$(auth "$SHORT")"
check "ttl: an expired token gets 401" test "$STATUS" = 401
stop_sim "$SIM2_PID"
check "second instance exits 0 on SIGTERM" test "$STOP_RC" = 0

# --- logs -----------------------------------------------------------------------------------------
check "log: every stderr line is a JSON object" quiet jq -e -s 'all(type == "object")' "$T/sim.log"
check "log: one line per request with method, path, status, duration_ms" \
	test "$(jq -s '[.[] | select(.event=="request" and .method and .path and (.duration_ms|type)=="number")] | length' "$T/sim.log")" -gt 50
check "log: no password or token appears" \
	bash -c '! grep -qF -e "$1" -e "$2" -e "$3" -e "hunter2" "$4"' _ "$ALICE_PW" "$ALICE" "$BOB" "$T/sim.log"

# --- SIGTERM while a request hangs ------------------------------------------------------------------
req POST "$BASE/_sim/faults" -d '{"kind":"hang"}'
curl -s --cacert "$T/ca.pem" -o /dev/null -X POST "$BASE/Token" -d x --max-time 60 &
HANGING=$!
sleep 1
stop_sim "$SIM_PID"
check "SIGTERM exits 0 promptly with a hung request in flight" test "$STOP_RC" = 0 -a "$STOP_SECONDS" -le 10
wait "$HANGING" 2>/dev/null

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
