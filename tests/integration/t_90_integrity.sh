#!/usr/bin/env bash
# t_90_integrity.sh - the integrity holes of issue 9, against the real stack
# (DESIGN 3.5-3.7): a tampered size is refused and nothing is sent; a key
# rotation during a slow upload loses nothing; the api role cannot read
# sealed tokens nor change sizes, digests or recipients; an upload that
# outlives its link is refused at commit; every deletion path leaves exactly
# one document_deleted audit row.
# (A TrackingId with quotes needs an RMail answer rmail-sim cannot give: the
# regress tier covers it, tests/regress/test_integrity.c.)
set -uo pipefail
. "$ROOT/tests/lib/assert.sh"
. "$ROOT/tests/lib/http.sh"
. "$ROOT/tests/lib/jobs.sh"

CTL=${SCANPOSTCTL:-$ROOT/tests/lib/scanpostctl}

# db_as ROLE SQL: runs SQL as ROLE (the owner connects, then SET ROLE, so
# only ROLE's privileges apply); prints what psql printed, errors included.
db_as() {
	sp_psql -XAtq -v ON_ERROR_STOP=1 -c "SET ROLE $1" -c "$2" 2>&1
}
deleted_rows() { # JOB: document_deleted audit rows of the job
	db_scalar "SELECT count(*) FROM scanpost.audit_events WHERE event = 'document_deleted' AND job_id = '$1'"
}
chunks_of() { db_scalar "SELECT count(*) FROM scanpost.document_chunks WHERE job_id = '$1'"; }
files_of() { db_scalar "SELECT count(*) FROM scanpost.job_files WHERE job_id = '$1'"; }

# slow_put URL FILE NAME RATE OUT: the device's PutFile at RATE bytes/s in
# the background; the HTTP status lands in OUT.  nginx hands /scan/ bodies
# on as they come (fastcgi_request_buffering off), so the api's upload
# transaction lasts as long as the transfer.
slow_put() {
	curl -sS --cacert "$SP_CA" --max-time 120 --limit-rate "$4" -o /dev/null \
		-w '%{http_code}' -F theOperation=PutFile -F destDir=/ -F "destName=$3" \
		-F "sendfile=@$2;type=application/pdf;filename=$3" "$1" >"$5" 2>/dev/null &
}

rmail_req POST /_sim/reset
sp_signin
assert_status "sign in" 201
sp_auth
pdf=$SP_TMP/doc.pdf
make_pdf "$pdf" 1024

# --- 4. grants: the api role cannot read sealed tokens nor change what is sent
job_create
device_put_all "$JOB_UPLOAD" "$pdf" doc.pdf application/pdf
assert_status "upload (and the job log) for the grants checks" 200
out=$(db_as scanpost_api "SELECT count(token_sealed) FROM scanpost.sessions")
assert_match "scanpost_api cannot SELECT sealed tokens" 'permission denied' "$out"
out=$(db_as scanpost_api "UPDATE scanpost.job_files SET bytes = 262144 WHERE job_id = '$JOB_ID'")
assert_match "scanpost_api cannot UPDATE job_files.bytes" 'permission denied' "$out"
out=$(db_as scanpost_api "UPDATE scanpost.job_files SET sha256 = sha256('x') WHERE job_id = '$JOB_ID'")
assert_match "scanpost_api cannot UPDATE job_files.sha256" 'permission denied' "$out"
out=$(db_as scanpost_api "UPDATE scanpost.jobs SET to_addrs = '{mallory@example.org}' WHERE id = '$JOB_ID'")
assert_match "scanpost_api cannot change a job's recipients" 'permission denied' "$out"
out=$(db_as scanpost_sender "UPDATE scanpost.job_files SET bytes = 262144 WHERE job_id = '$JOB_ID'")
assert_match "scanpost_sender cannot UPDATE job_files.bytes either" 'permission denied' "$out"
out=$(db_as scanpost_api "DELETE FROM scanpost.job_files WHERE job_id = '$JOB_ID'")
assert_match "scanpost_api cannot DELETE a file row" 'permission denied' "$out"
out=$(db_as scanpost_api "DELETE FROM scanpost.filing_entries WHERE job_id = '$JOB_ID'")
assert_match "no filing deletion takes a document's entry" "not a filing operation's to delete" "$out"
assert_eq "the size is unchanged" "$(stat -c %s "$pdf")" \
	"$(db_scalar "SELECT bytes FROM scanpost.job_files WHERE job_id = '$JOB_ID'")"

# --- 1. truncation: a size changed behind the sender's back (here by the
# owner, as a restored or tampered copy would be) fails the job, sends nothing
db_scalar "UPDATE scanpost.job_files SET bytes = 262144 WHERE job_id = '$JOB_ID'" >/dev/null
job_submit
assert_status "submit the tampered job 202" 202
assert_eq "tampered job failed" failed "$(job_wait failed 30)"
assert_json "with integrity_error" '.error.code' integrity_error
assert_eq "nothing reached RMail" 0 "$(rmail_messages_for "$JOB_ID" | jq length)"
tampered=$JOB_ID

# --- 2. rotate + retire during a slow upload: the document still opens and sends
job_create
slow_put "$JOB_UPLOAD" "$pdf" slow.pdf 131072 "$SP_TMP/slow.status"
put_pid=$!
sleep 2.5
assert_eq "the slow upload is still running" 0 "$(chunks_of "$JOB_ID")"
rot=$("$CTL" keys rotate doc 2>&1)
assert_match "keys rotate doc during the upload" 'new primary doc key' "$rot"
ret=$("$CTL" keys retire-unused doc 2>&1)
assert_match "keys retire-unused doc during the upload" 'retired doc key|kept doc key|nothing to retire' "$ret"
wait "$put_pid"
assert_eq "the slow upload is acknowledged" 200 "$(cat "$SP_TMP/slow.status")"
device_job_log "$JOB_UPLOAD"
job_submit
assert_status "submit the slow upload 202" 202
assert_eq "the slow upload is sent" sent "$(job_wait sent 40)"
assert_eq "byte-identical at RMail after the rotation" "$(sha256_of "$pdf")" \
	"$(rmail_messages_for "$JOB_ID" | jq -r '.[0] | (.attachments // .Attachments)[0].sha256')"

# --- 5. an upload that begins before its link expires and commits after it
job_create
db_scalar "UPDATE scanpost.jobs SET upload_expires_at = now() + interval '2 seconds' WHERE id = '$JOB_ID'" >/dev/null
slow_put "$JOB_UPLOAD" "$pdf" late.pdf 196608 "$SP_TMP/late.status"
wait $!
assert_eq "a commit after the link expired is 403" 403 "$(cat "$SP_TMP/late.status")"
assert_eq "nothing kept of the late upload" "0 0" "$(chunks_of "$JOB_ID") $(files_of "$JOB_ID")"

# --- every deletion path leaves exactly one document_deleted row
small=$SP_TMP/small.pdf
make_pdf "$small" 64
job_create
device_put_all "$JOB_UPLOAD" "$small" s.pdf application/pdf
job_submit
assert_eq "sent job" sent "$(job_wait sent 30)"
assert_eq "sent: one document_deleted" 1 "$(deleted_rows "$JOB_ID")"

job_create
device_put "$JOB_UPLOAD" "$small" s.pdf application/pdf
sp_req DELETE "/api/v1/jobs/$JOB_ID" "${AUTH[@]}"
assert_status "cancel with a document 204" 204
assert_eq "canceled: one document_deleted" 1 "$(deleted_rows "$JOB_ID")"
assert_eq "canceled: no chunk left" 0 "$(chunks_of "$JOB_ID")"

job_create
device_put "$JOB_UPLOAD" "$small" s.pdf application/pdf
at_signout=$JOB_ID
sp_req DELETE /api/v1/session "${AUTH[@]}"
assert_status "sign out with an upload waiting 204" 204
assert_eq "session end: the waiting job is canceled" canceled "$(db_wait_state canceled 5 "$at_signout")"
assert_eq "session end: one document_deleted" 1 "$(deleted_rows "$at_signout")"

# A new session: ending the last one canceled what it still waited for.
sp_signin
sp_auth
job_create
device_put "$JOB_UPLOAD" "$small" s.pdf application/pdf
expiring=$JOB_ID
db_scalar "UPDATE scanpost.jobs SET upload_expires_at = now() - interval '1 second' WHERE id = '$expiring'" >/dev/null
# The janitor runs every janitor_interval (30 s in the stack).
assert_eq "expired by the janitor" expired "$(db_wait_state expired 45 "$expiring")"
assert_eq "expired: one document_deleted" 1 "$(deleted_rows "$expiring")"
assert_eq "expired: no chunk left" 0 "$(chunks_of "$expiring")"

# scanpostctl queue purge of a failed job whose document is still kept
assert_match "the tampered job still keeps its document" '^[1-9]' "$(chunks_of "$tampered")"
db_scalar "UPDATE scanpost.jobs SET updated_at = now() - interval '2 days' WHERE id = '$tampered'" >/dev/null
out=$("$CTL" queue purge --state failed --older-than 1 --yes 2>&1)
assert_match "queue purge --state failed" 'deleted [1-9]' "$out"
assert_eq "purged: one document_deleted" 1 "$(deleted_rows "$tampered")"
assert_eq "purged: no chunk left" 0 "$(chunks_of "$tampered")"
