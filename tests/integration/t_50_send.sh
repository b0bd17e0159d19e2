#!/usr/bin/env bash
# t_50_send.sh - the secure send path end to end (DESIGN 2 steps 7-9):
# create, device upload, submit, sent; byte-identical at RMail with the
# chosen Options; then no chunk, no wrapped key and no token left.
set -uo pipefail
. "$ROOT/tests/lib/assert.sh"
. "$ROOT/tests/lib/http.sh"
. "$ROOT/tests/lib/jobs.sh"

rmail_req POST /_sim/reset
sp_signin
assert_status "sign in" 201
sp_auth

# --- create: validation first
job_create '{"to":[]}'
assert_error "empty To is 400" 400
assert_jq "the message names to" '.error.message | test("to")'
job_create '{"to":["alice@example.org"],"scan":{"resolution":"RES_999"}}'
assert_error "bad resolution is 400" 400
assert_jq "the message names scan.resolution" '.error.message | test("scan.resolution")'
job_create '{"to":["alice@example.org"],"colour":"x"}'
assert_error "unknown key is 400" 400
sp_json POST /api/v1/jobs '{"to":["alice@example.org"]}' -H "Cookie: __Host-sp_session=$SP_COOKIE"
assert_error "create without CSRF is 403" 403 csrf_failed

# --- create a job with registered settings
spec='{"to":["alice@example.org","bob@example.net"],"cc":["carol@example.com"],
 "subject":"Signed lease","body":"Please find the lease attached.",
 "registered":{"marked":true,"encryption":"always_pdf","esign":true,"sidenote":"Note for you"},
 "scan":{"format":"PDF","resolution":"RES_200X200","file_name":"Lease & co"}}'
job_create "$spec"
assert_status "create 201" 201
assert_jq "answer has id, state, upload_url, expiry, template" \
	'.id and .state == "awaiting_scan" and (.upload_url | startswith("https://")) and .upload_expires_at and .template'
assert_match "upload URL is one-time /scan/{id}/{token}" "/scan/$JOB_ID/[A-Za-z0-9_-]{43}\$" "$JOB_UPLOAD"
assert_true "template names the upload path" grep -q "XrxHTTPScriptLocation = \"/scan/$JOB_ID/" "$JOB_TEMPLATE"
assert_true "template has the resolution" grep -q 'Resolution = RES_200X200;' "$JOB_TEMPLATE"
assert_false "template has no raw & from the file name" grep -q '&' "$JOB_TEMPLATE"

job_submit
assert_error "submit before any upload is 409" 409 nothing_uploaded

# --- the device uploads one PDF
pdf=$SP_TMP/lease.pdf
make_pdf "$pdf" 700
device_put "$JOB_UPLOAD" "$pdf" "Lease.pdf" application/pdf
assert_status "device PutFile 200" 200
assert_eq "filing protocol success is an empty body" 0 "$(stat -c %s "$HTTP_BODY")"
chunks=$(db_scalar "SELECT count(*) FROM scanpost.document_chunks WHERE job_id = '$JOB_ID'")
assert_match "ciphertext chunks stored" '^[1-9]' "$chunks"
plain_hits=$(db_scalar "SELECT count(*) FROM scanpost.document_chunks WHERE job_id = '$JOB_ID' AND position('\\x255044462d'::bytea in ciphertext) = 1")
assert_eq "no chunk starts with the plaintext %PDF- header" 0 "$plain_hits"

job_get
assert_jq "job lists the one file" '.files | length == 1'
assert_json "file sha256 is the plaintext's" '.files[0].sha256' "$(sha256_of "$pdf")"
assert_json "file bytes" '.files[0].bytes' "$(stat -c %s "$pdf")"

device_job_log "$JOB_UPLOAD"
assert_status "device files its job log 200" 200
# --- submit, then sign out at once: the token must outlive the session
# only until the job is handed over.
sid=$(db_scalar "SELECT session_id FROM scanpost.jobs WHERE id = '$JOB_ID'")
t0=$(date +%s.%N)
job_submit
assert_status "submit 202" 202
assert_json "submit answers queued" '.state' queued
sp_req DELETE /api/v1/session "${AUTH[@]}"
assert_status "sign out with a job queued 204" 204
# The session is over: the API no longer shows the job, the database does.
state=$(db_wait_state sent 20)
t1=$(date +%s.%N)
assert_eq "job sent" sent "$state"
assert_true "sent within 20 s" awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a < 20) }'
tid=$(db_scalar "SELECT tracking_id FROM scanpost.jobs WHERE id = '$JOB_ID'")
assert_match "tracking id recorded" '.+' "$tid"

msgs=$(rmail_messages_for "$JOB_ID")
assert_eq "rmail-sim holds exactly one message for the job" 1 "$(jq length <<<"$msgs")"
m=$(jq -c '.[0]' <<<"$msgs")
assert_eq "same tracking id at RMail" "$tid" "$(jq -r '.tracking_id // .TrackingId' <<<"$m")"
assert_eq "attachment is byte-identical (sha256)" "$(sha256_of "$pdf")" \
	"$(jq -r '(.attachments // .Attachments)[0].sha256' <<<"$m")"
assert_eq "attachment name is the safe file name" "Lease.pdf" \
	"$(jq -r '(.attachments // .Attachments)[0].name' <<<"$m")"
opts=$(jq -c '.options // .Options' <<<"$m")
assert_eq "X-RPost-Type marked" 1 "$(jq -r '."X-RPost-Type"' <<<"$opts")"
assert_eq "always-PDF: SecuRmail on" 1 "$(jq -r '."X-RPost-SecuRmail"' <<<"$opts")"
assert_eq "always-PDF: no X-RPost-TLS" null "$(jq -r '."X-RPost-TLS"' <<<"$opts")"
assert_eq "e-sign on" 1 "$(jq -r '."X-RPost-Esign"' <<<"$opts")"
assert_eq "SideNote text" "Note for you" "$(jq -r '."X-RPost-Sidenote-Text"' <<<"$opts")"
assert_eq "CustomerTrackingId is the job id" "$JOB_ID" "$(jq -r '."X-RPost-CustomerTrackingId"' <<<"$opts")"
assert_eq "X-RPost-App" scanpost "$(jq -r '."X-RPost-App"' <<<"$opts")"
# rmail-sim splits the ';'-joined To string back into addresses.
assert_eq "To reached RMail as two addresses" '["alice@example.org","bob@example.net"]' \
	"$(jq -c '.to // .To' <<<"$m")"

# --- nothing of the document or the credentials is left
assert_eq "no chunk left" 0 "$(db_scalar "SELECT count(*) FROM scanpost.document_chunks WHERE job_id = '$JOB_ID'")"
assert_eq "no wrapped data key left" 0 "$(db_scalar "SELECT count(*) FROM scanpost.job_files WHERE job_id = '$JOB_ID' AND dek_wrapped IS NOT NULL")"
assert_eq "no sealed token left for the session" 0 "$(db_scalar "SELECT count(*) FROM scanpost.sessions WHERE id = '$sid' AND token_sealed IS NOT NULL")"
assert_eq "file history kept (name, size, digest)" 1 "$(db_scalar "SELECT count(*) FROM scanpost.job_files WHERE job_id = '$JOB_ID'")"
assert_eq "audit: created, uploaded, submitted, sent, deleted" 5 \
	"$(db_scalar "SELECT count(DISTINCT event) FROM scanpost.audit_events WHERE job_id = '$JOB_ID' AND event IN ('job_created','uploaded','job_submitted','sent','document_deleted')")"

# --- an open session keeps its token for the next document
sp_signin
sp_auth
job_create '{"to":["dave@example.org"],"scan":{"format":"XSM_TIFF_V6"}}'
assert_status "create TIFF job 201" 201
for p in 1 2 3; do
	make_tiff "$SP_TMP/p$p.tif" $((50 * p))
	device_put "$JOB_UPLOAD" "$SP_TMP/p$p.tif" "page$p.tif" image/tiff
	assert_status "TIFF page $p PutFile 200" 200
done
device_job_log "$JOB_UPLOAD"
job_submit
assert_status "submit 3-file job" 202
assert_eq "3-file job sent" sent "$(job_wait sent 20)"
assert_jq "job lists 3 files" '.files | length == 3'
msgs=$(rmail_messages_for "$JOB_ID")
for p in 1 2 3; do
	assert_eq "page $p byte-identical at RMail" "$(sha256_of "$SP_TMP/p$p.tif")" \
		"$(jq -r --arg n "page$p.tif" '.[0] | (.attachments // .Attachments)[] | select(.name == $n) | .sha256' <<<"$msgs")"
done
sid=$(db_scalar "SELECT session_id FROM scanpost.jobs WHERE id = '$JOB_ID'")
assert_eq "open session keeps its sealed token" 1 "$(db_scalar "SELECT count(*) FROM scanpost.sessions WHERE id = '$sid' AND token_sealed IS NOT NULL")"

# --- a 30 MB document travels as large mail
job_create '{"to":["erin@example.org"]}'
big=$SP_TMP/big.pdf
make_pdf "$big" $((30 * 1024))
device_put "$JOB_UPLOAD" "$big" "Big.pdf" application/pdf
assert_status "30 MB PutFile 200" 200
device_job_log "$JOB_UPLOAD"
job_submit
assert_eq "30 MB job sent" sent "$(job_wait sent 60)"
assert_json "job reports large_mail" '.large_mail' true
m=$(rmail_messages_for "$JOB_ID" | jq -c '.[0]')
assert_eq "RMail saw IsLargeMail" true "$(jq -r '.is_large_mail // .IsLargeMail' <<<"$m")"
# RPost's REST Mail help page: IsLargeMail alone (no LargeFileTransfer key).
assert_eq "no X-RPost-LargeMail key" "" "$(jq -r '(.options // .Options)."X-RPost-LargeMail" // empty' <<<"$m")"
assert_eq "30 MB byte-identical" "$(sha256_of "$big")" "$(jq -r '(.attachments // .Attachments)[0].sha256' <<<"$m")"

# --- listing and cancel
sp_req GET /api/v1/jobs -H "Cookie: __Host-sp_session=$SP_COOKIE"
assert_status "list 200" 200
assert_jq "list newest first" '.jobs | length >= 2 and .[0].created_at >= .[1].created_at'
job_create
sp_req DELETE "/api/v1/jobs/$JOB_ID" "${AUTH[@]}"
assert_status "cancel awaiting job 204" 204
job_get
assert_json "canceled" '.state' canceled
sp_req DELETE "/api/v1/jobs/$JOB_ID" "${AUTH[@]}"
assert_error "cancel twice is 409" 409 wrong_state
