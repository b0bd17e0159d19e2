#!/usr/bin/env bash
# t_62_filing_job_log.sh - the device's job log is scanpost's proof that
# every file is in (cgi/h_scan.c, src/lib/template.c SuppressJobLog = FALSE):
# its arrival is recorded and closes the set of documents; submit waits a
# bounded time for it and, without it, leaves the job awaiting its scan
# (409 scan_incomplete) to expire with its upload link; it counts against
# upload_max_bytes.
set -uo pipefail
. "$ROOT/tests/lib/assert.sh"
. "$ROOT/tests/lib/http.sh"
. "$ROOT/tests/lib/jobs.sh"

files_of() { db_scalar "SELECT count(*) FROM scanpost.job_files WHERE job_id = '$1'"; }
state_of() { db_scalar "SELECT state FROM scanpost.jobs WHERE id = '$1'"; }
logs_of() { db_scalar "SELECT count(*) FROM scanpost.job_logs WHERE job_id = '$1'"; }

sp_signin
sp_auth
pdf=$SP_TMP/a.pdf
make_pdf "$pdf" 120

# --- the template asks for the job log
job_create
assert_true "the template says SuppressJobLog = FALSE" grep -q 'boolean SuppressJobLog = FALSE;' "$JOB_TEMPLATE"

# --- Completed without the job log: submit waits, then 409; nothing is sent
device_put "$JOB_UPLOAD" "$pdf" Scan.pdf application/pdf
assert_status "PutFile 200" 200
t0=$SECONDS
job_submit
waited=$((SECONDS - t0))
assert_error "submit without the job log is 409" 409 scan_incomplete
assert_match "submit waited for it (${waited}s, bounded)" '^(1[3-9]|2[0-9])$' "$waited"
assert_eq "the job still awaits its scan" awaiting_scan "$(state_of "$JOB_ID")"
assert_eq "nothing at RMail" 0 "$(rmail_messages_for "$JOB_ID" | jq length)"

# --- the job log arrives: recorded, and the set of documents is closed
device_job_log "$JOB_UPLOAD"
assert_status "PutFile of the job log 200" 200
assert_eq "the job log answer is success" "" "$(cat "$HTTP_BODY")"
assert_eq "its arrival is recorded, with the one document in" "1 1" \
	"$(db_scalar "SELECT count(*), max(files) FROM scanpost.job_logs WHERE job_id = '$JOB_ID'" | tr '|' ' ')"
assert_eq "audit: job_log_arrived" 1 \
	"$(db_scalar "SELECT count(*) FROM scanpost.audit_events WHERE job_id = '$JOB_ID' AND event = 'job_log_arrived'")"
assert_eq "the job log is no document" 1 "$(files_of "$JOB_ID")"
device_put "$JOB_UPLOAD" "$pdf" Late.pdf application/pdf
assert_eq "a document after the job log: 200 XRXERROR" "200 XRXERROR" "$HTTP_STATUS $(cat "$HTTP_BODY")"
assert_eq "... and it is not stored" 1 "$(files_of "$JOB_ID")"
t0=$SECONDS
job_submit
assert_status "submit with the job log 202" 202
assert_eq "... at once" 1 $((SECONDS - t0 <= 2))
assert_eq "sent" sent "$(job_wait sent 30)"
msgs=$(rmail_messages_for "$JOB_ID")
assert_eq "RMail got the one document, not the job log" "Scan.pdf" \
	"$(jq -r '.[0] | (.attachments // .Attachments) | map(.name) | join(",")' <<<"$msgs")"

# --- the job log arriving while submit waits: submit goes through
job_create
device_put "$JOB_UPLOAD" "$pdf" Scan.pdf application/pdf
( sleep 3; device_job_log "$JOB_UPLOAD" ) &
logger=$!
t0=$SECONDS
job_submit
waited=$((SECONDS - t0))
wait "$logger"
assert_status "submit waited for the job log, then 202" 202
assert_match "... within the wait (${waited}s)" '^([2-9]|1[0-2])$' "$waited"
assert_eq "sent" sent "$(job_wait sent 30)"

# --- the job log never comes: the job expires with its upload link
job_create
device_put "$JOB_UPLOAD" "$pdf" Scan.pdf application/pdf
db_scalar "UPDATE scanpost.jobs SET upload_expires_at = now() - interval '1 second' WHERE id = '$JOB_ID'" >/dev/null
interval=$(sed -n 's/^janitor_interval = //p' "$SP_VAR/sender.conf" 2>/dev/null)
assert_eq "without its job log the job expires" expired "$(job_wait expired $((${interval:-30} + 15)))"
assert_eq "... its document deleted, nothing sent" "0 0" \
	"$(db_scalar "SELECT count(*) FROM scanpost.document_chunks WHERE job_id = '$JOB_ID'") $(rmail_messages_for "$JOB_ID" | jq length)"

# --- the job log counts against upload_max_bytes
cap=$(sed -n 's/^upload_max_bytes = //p' "$SP_VAR/api.conf")
if [ "${cap:-0}" -le $((64 * 1024 * 1024)) ]; then
	job_create
	{ printf '%%PDF-1.4\n'; head -c $((cap - 9 - 40)) /dev/zero; } >"$SP_TMP/full.pdf"
	device_put "$JOB_UPLOAD" "$SP_TMP/full.pdf" Full.pdf application/pdf
	assert_status "a document just under the cap 200" 200
	device_job_log "$JOB_UPLOAD"
	assert_status "a job log over what is left is 413" 413
	assert_eq "... and not recorded" 0 "$(logs_of "$JOB_ID")"
	rm -f "$SP_TMP/full.pdf"
else
	sp_fail "the job log counts against the cap" "the stack's cap ($cap) is too big to test here"
fi
