#!/usr/bin/env bash
# t_71_rmail_conformance.sh - scanpost speaks RMail as RPost documents it,
# against the strict rmail-sim (DESIGN 3.2; the sources are named in
# tests/fixtures/rmail and in sim/rmail):
#   TimeZoneOffset "+hh:mm" (a bare number is refused), large mail as
#   IsLargeMail alone, the SideNote copy flags, the registered combinations
#   RPost's add-on refuses (a 400 naming the fields), and RMail's own words
#   kept when a business failure comes as HTTP 400, in both shapes.
set -uo pipefail
. "$ROOT/tests/lib/assert.sh"
. "$ROOT/tests/lib/http.sh"
. "$ROOT/tests/lib/jobs.sh"

pdf=$SP_TMP/doc.pdf
make_pdf "$pdf" 40
stat_of() { # ENDPOINT FIELD: a counter of rmail-sim's /_sim/stats
	curl -sS --cacert "$SP_CA" "$RMAIL_URL/_sim/stats" | jq -r --arg e "$1" ".[\$e].$2 // 0"
}
# sent_job SPEC: create, upload, submit, wait for sent; M is RMail's record.
sent_job() {
	job_create "$1"
	assert_status "create 201" 201
	device_put "$JOB_UPLOAD" "$pdf" doc.pdf application/pdf
	job_submit
	assert_eq "sent" sent "$(job_wait sent 40)"
	M=$(rmail_messages_for "$JOB_ID" | jq -c '.[0]')
}
# failed_job SPEC: the same, ending failed; the job's JSON is in $HTTP_BODY.
failed_job() {
	job_create "$1"
	device_put "$JOB_UPLOAD" "$pdf" doc.pdf application/pdf
	job_submit
	assert_eq "failed" failed "$(job_wait failed 40)"
}

rmail_req POST /_sim/reset
rmail_faults_clear
sp_signin
assert_status "sign in" 201
sp_auth

# --- 7. TimeZoneOffset: "+hh:mm", as the Mail help page defines it ---------------
sent_job '{"to":["alice@example.org"],"subject":"tz"}'
tz=$(jq -r '.time_zone_offset' <<<"$M")
assert_match "TimeZoneOffset reached RMail as +hh:mm" '^[+-][0-9]{2}:[0-9]{2}$' "$tz"
assert_eq "TimeZoneOffset is this host's offset" "$(date +%:z)" "$tz"
# The strict sim refuses what scanpost used to send ("0").
rmail_req POST /Token --data-urlencode grant_type=password \
	--data-urlencode username=demo@example.com --data-urlencode "password=$(demo_password)"
tok=$(jq -r .access_token "$HTTP_BODY")
rmail_req POST /api/v1/Mail -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
	--data-binary '{"To":"a@example.org","TimeZoneOffset":"0"}'
assert_status "rmail-sim refuses TimeZoneOffset \"0\" with 400" 400
assert_jq "with RMail's envelope naming TimeZoneOffset" '.Status == "Failure" and (.Message[0].Message | test("TimeZoneOffset"))'

# --- 8. large mail: IsLargeMail alone, the path the REST help page describes -------
lft0=$(stat_of /api/v1/Mail/LargeFileTransfer calls)
sent_job '{"to":["alice@example.org"],"subject":"large","registered":{"large_mail":"force"}}'
assert_eq "forced large mail: IsLargeMail true" true "$(jq -r .is_large_mail <<<"$M")"
assert_eq "no X-RPost-LargeMail key" null "$(jq -r '.large_mail_key' <<<"$M")"
assert_eq "no X-RPost-LargeMail option" null "$(jq -r '.options."X-RPost-LargeMail"' <<<"$M")"
assert_eq "LargeFileTransfer never called" "$lft0" "$(stat_of /api/v1/Mail/LargeFileTransfer calls)"
assert_json "the job reports large_mail" '.large_mail' true
sent_job '{"to":["alice@example.org"],"subject":"small"}'
assert_eq "a small scan: IsLargeMail false" false "$(jq -r .is_large_mail <<<"$M")"

# --- 9. SideNote copy flags, and the combinations RMail's add-on refuses -----------
sent_job '{"to":["alice@example.org"],"cc":["carol@example.com"],"bcc":["dave@example.net"],
 "subject":"sidenote","registered":{"sidenote":"For the file","sidenote_cc":true}}'
opts=$(jq -c .options <<<"$M")
assert_eq "X-RPost-Sidenote-Text" "For the file" "$(jq -r '."X-RPost-Sidenote-Text"' <<<"$opts")"
assert_eq "X-RPost-Sidenote-Cc 1" 1 "$(jq -r '."X-RPost-Sidenote-Cc"' <<<"$opts")"
assert_eq "X-RPost-Sidenote-Bcc 0" 0 "$(jq -r '."X-RPost-Sidenote-Bcc"' <<<"$opts")"

refused() { # NAME SPEC FIELD OTHER-FIELD
	local msg
	job_create "$2"
	assert_error "$1: 400" 400 invalid_field
	msg=$(jq -r '.error.message' "$HTTP_BODY")
	assert_true "$1: names $3" grep -qF -- "$3" <<<"$msg"
	assert_true "$1: names $4" grep -qF -- "$4" <<<"$msg"
}
refused "unmarked with TLS encryption" '{"to":["a@example.org"],"registered":{"marked":false,"encryption":"tls_preferred"}}' \
	registered.encryption registered.marked
refused "unmarked with encrypted PDF" '{"to":["a@example.org"],"registered":{"marked":false,"encryption":"always_pdf"}}' \
	registered.encryption registered.marked
refused "unmarked with e-sign" '{"to":["a@example.org"],"registered":{"marked":false,"encryption":"off","esign":true}}' \
	registered.esign registered.marked
refused "e-sign with forced large mail" '{"to":["a@example.org"],"registered":{"esign":true,"large_mail":"force"}}' \
	registered.large_mail registered.esign
refused "SideNote on Cc copies without a Cc" '{"to":["a@example.org"],"registered":{"sidenote":"n","sidenote_cc":true}}' \
	registered.sidenote_cc '(cc)'
refused "SideNote on Bcc copies without a SideNote" '{"to":["a@example.org"],"bcc":["b@example.org"],"registered":{"sidenote_bcc":true}}' \
	registered.sidenote_bcc registered.sidenote
sent_job '{"to":["alice@example.org"],"subject":"unmarked","registered":{"marked":false}}'
assert_eq "unmarked, encryption left out: X-RPost-Type 2" 2 "$(jq -r '.options."X-RPost-Type"' <<<"$M")"
assert_eq "unmarked defaults to no encryption" null "$(jq -r '.options."X-RPost-SecuRmail"' <<<"$M")"

# e-sign with a scan too large for ordinary mail: failed in words, nothing sent.
job_create '{"to":["alice@example.org"],"subject":"big esign","registered":{"esign":true}}'
big=$SP_TMP/big.pdf
make_pdf "$big" $((21 * 1024))
device_put "$JOB_UPLOAD" "$big" big.pdf application/pdf
job_submit
assert_eq "e-sign over the large-mail threshold: failed" failed "$(job_wait failed 60)"
assert_json "error code esign_too_large" '.error.code' esign_too_large
assert_jq "the message says what to do" '.error.message | test("without e-sign")'
assert_eq "nothing at RMail" 0 "$(rmail_messages_for "$JOB_ID" | jq length)"
rm -f "$big"

# --- 11. RMail's reason kept when a business failure comes as HTTP 400 --------------
rmail_fault '{"kind":"business","status":400,"path":"/api/v1/Mail","count":1,"message":"Recipient domain is blocked"}'
assert_status "fault: business failure as HTTP 400" 201
failed_job '{"to":["alice@example.org"],"subject":"blocked"}'
assert_json "error code rmail_rejected" '.error.code' rmail_rejected
assert_json "RMail's words, from the envelope answered 400" '.error.message' "Recipient domain is blocked"
assert_eq "one attempt: a refusal is not retried" 1 "$(db_scalar "SELECT attempts FROM scanpost.jobs WHERE id = '$JOB_ID'")"
rmail_fault '{"kind":"raw","status":400,"path":"/api/v1/Mail","count":1,"message":"{\"Message\":\"The request is invalid.\",\"ModelState\":{\"mail.To\":[\"The To field is not valid.\"]}}"}'
assert_status "fault: ASP.NET Message/ModelState as HTTP 400" 201
failed_job '{"to":["alice@example.org"],"subject":"modelstate"}'
assert_json "error code rmail_rejected" '.error.code' rmail_rejected
assert_jq "RMail's words, from Message and ModelState" \
	'.error.message | test("The request is invalid") and test("The To field is not valid")'
rmail_fault '{"kind":"business","path":"/api/v1/Mail","count":1,"message":"Account suspended"}'
failed_job '{"to":["alice@example.org"],"subject":"suspended"}'
assert_json "the 200 shape keeps RMail's words too" '.error.message' "Account suspended"
rmail_faults_clear
