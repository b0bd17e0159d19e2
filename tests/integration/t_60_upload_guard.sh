#!/usr/bin/env bash
# t_60_upload_guard.sh - who may upload and what (DESIGN 3.1, 3.3): one-time
# tokens, owners, CSRF, sizes, types, malformed bodies; nothing is stored
# when an upload is refused.
set -uo pipefail
. "$ROOT/tests/lib/assert.sh"
. "$ROOT/tests/lib/http.sh"
. "$ROOT/tests/lib/jobs.sh"

chunks_of() { db_scalar "SELECT count(*) FROM scanpost.document_chunks WHERE job_id = '$1'"; }
files_of() { db_scalar "SELECT count(*) FROM scanpost.job_files WHERE job_id = '$1'"; }

sp_signin
sp_auth
pdf=$SP_TMP/a.pdf
make_pdf "$pdf" 300

job_create
good=$JOB_UPLOAD
bad=${good%/*}/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
device_put "$bad" "$pdf" a.pdf
assert_status "wrong upload token 403" 403
assert_eq "wrong token answers XRXERROR" XRXERROR "$(cat "$HTTP_BODY")"
device_put "${good%/*/*}/not-a-job/${good##*/}" "$pdf" a.pdf
assert_status "job id that is no uuid 403" 403
assert_eq "nothing stored after refused uploads" "0 0" "$(chunks_of "$JOB_ID") $(files_of "$JOB_ID")"

# --- type and shape of the body
printf 'just some text, not a scan\n' >"$SP_TMP/t.txt"
device_put "$good" "$SP_TMP/t.txt" notes.pdf text/plain
assert_status "a text file filed as a document is 415" 415
http_req "" POST "$good" -H 'Content-Type: multipart/form-data; boundary=XyZ' \
	--data-binary $'--XyZ\r\nContent-Disposition: form-data; name="theOperation"\r\n\r\nPutFile\r\n--XyZ\r\nContent-Disposition: form-data; name="sendfile"; filename="a.pdf"\r\n\r\n%PDF-1.4 truncated'
assert_status "truncated multipart is 400" 400
http_req "" POST "$good" -H 'Content-Type: multipart/form-data' --data-binary 'nothing'
assert_status "multipart without boundary is 400" 400
http_req "" POST "$good" -H 'Content-Type: application/pdf' --data-binary @"$pdf"
assert_status "a bare PDF body is 400" 400
assert_eq "nothing stored after malformed uploads" "0 0" "$(chunks_of "$JOB_ID") $(files_of "$JOB_ID")"

# --- the filing protocol's operations are t_61_filing_protocol.sh's; here
# only that an arrived document cannot be deleted through them.
device_put "$good" "$pdf" first.pdf application/pdf
assert_status "PutFile 200" 200
device_op "$good" DeleteFile / first.pdf
assert_eq "DeleteFile of a document answers XRXBADNAME" XRXBADNAME "$(cat "$HTTP_BODY")"
assert_eq "the document stays" 1 "$(files_of "$JOB_ID")"

# --- over the size cap (var/*.conf upload_max_bytes), on a fresh job
job_create
good=$JOB_UPLOAD
cap=$(sed -n 's/^upload_max_bytes = //p' "$SP_VAR/api.conf")
if [ "${cap:-0}" -le $((64 * 1024 * 1024)) ]; then
	make_pdf "$SP_TMP/huge.pdf" $((cap / 1024 + 64))
	device_put "$good" "$SP_TMP/huge.pdf" huge.pdf application/pdf
	assert_status "over upload_max_bytes is 413" 413
	assert_eq "nothing stored after 413" "0 0" "$(chunks_of "$JOB_ID") $(files_of "$JOB_ID")"
	rm -f "$SP_TMP/huge.pdf"
else
	sp_fail "over upload_max_bytes is 413" "the stack's cap ($cap) is too big to test here"
fi

# --- expired link
job_create
db_scalar "UPDATE scanpost.jobs SET upload_expires_at = now() - interval '1 second' WHERE id = '$JOB_ID'" >/dev/null
device_put "$JOB_UPLOAD" "$pdf" a.pdf application/pdf
assert_status "expired upload link 403" 403
assert_eq "nothing stored for the expired link" 0 "$(chunks_of "$JOB_ID")"

# --- used link: after submit the token is gone
job_create
device_put "$JOB_UPLOAD" "$pdf" a.pdf application/pdf
assert_status "upload 200" 200
device_job_log "$JOB_UPLOAD"
job_submit
assert_status "submit 202" 202
before=$(chunks_of "$JOB_ID")
device_put "$JOB_UPLOAD" "$pdf" again.pdf application/pdf
assert_status "reused upload link 403" 403
assert_eq "the reused link stored nothing" 1 "$(files_of "$JOB_ID")"
mine=$JOB_ID

# --- another user's job is not found
sp_signin "$OTHER_USER" "$(other_password)"
assert_status "second user signs in" 201
job_get "$mine"
assert_error "another user's job is 404" 404
sp_req POST "/api/v1/jobs/$mine/submit" -H "Cookie: __Host-sp_session=$SP_COOKIE" -H "X-CSRF-Token: $SP_CSRF"
assert_error "another user's submit is 404" 404
sp_req DELETE "/api/v1/jobs/$mine" -H "Cookie: __Host-sp_session=$SP_COOKIE" -H "X-CSRF-Token: $SP_CSRF"
assert_error "another user's cancel is 404" 404
sp_req GET /api/v1/jobs -H "Cookie: __Host-sp_session=$SP_COOKIE"
assert_jq "another user's list does not show it" "all(.jobs[]; .id != \"$mine\")"
sp_req DELETE "/api/v1/jobs/$mine" -H "Cookie: __Host-sp_session=$SP_COOKIE"
assert_error "a state change without CSRF is 403" 403 csrf_failed
