#!/usr/bin/env bash
# t_70_send_faults.sh - never lost, never sent twice (DESIGN 3.5): RMail
# failing, throttling, refusing, or accepting while the sender dies; and a
# document altered at rest is never sent.
set -uo pipefail
. "$ROOT/tests/lib/assert.sh"
. "$ROOT/tests/lib/http.sh"
. "$ROOT/tests/lib/jobs.sh"

pdf=$SP_TMP/f.pdf
make_pdf "$pdf" 200

# queued_job [SPEC]: create, upload one PDF, submit; JOB_ID is queued.
queued_job() {
	job_create "${1:-}"
	device_put_all "$JOB_UPLOAD" "$pdf" f.pdf application/pdf
	job_submit
}
attempts_of() { db_scalar "SELECT attempts FROM scanpost.jobs WHERE id = '$JOB_ID'"; }
fault() { rmail_fault "$1"; assert_status "fault set: $2" 201; }

rmail_req POST /_sim/reset
sp_signin
sp_auth

# --- RMail answers 500 twice, then accepts: sent exactly once.
fault '{"kind":"status","status":500,"path":"/api/v1/Mail","count":2}' "500 x2 on Mail"
queued_job
assert_eq "500 twice then success: sent" sent "$(job_wait sent 40)"
assert_eq "three attempts" 3 "$(attempts_of)"
assert_eq "exactly one message at RMail" 1 "$(rmail_messages_for "$JOB_ID" | jq length)"
rmail_faults_clear

# --- 429 with Retry-After: the wait is honoured.
fault '{"kind":"retry_after","retry_after":4,"path":"/api/v1/Mail","count":1}' "429 Retry-After 4"
t0=$(date +%s)
queued_job
assert_eq "429 then success: sent" sent "$(job_wait sent 40)"
t1=$(date +%s)
assert_true "waited at least Retry-After (4 s)" test $((t1 - t0)) -ge 4
assert_eq "two attempts" 2 "$(attempts_of)"
rmail_faults_clear

# --- a business failure fails at once, with RMail's reason.
fault '{"kind":"business","path":"/api/v1/Mail","count":1,"message":"Recipient domain is blocked"}' "business failure"
queued_job
assert_eq "business failure: failed" failed "$(job_wait failed 30)"
assert_json "error code rmail_rejected" '.error.code' rmail_rejected
assert_jq "error message is RMail's" '.error.message | test("Recipient domain is blocked")'
assert_eq "one attempt only" 1 "$(attempts_of)"
assert_eq "nothing accepted at RMail" 0 "$(rmail_messages_for "$JOB_ID" | jq length)"
rmail_faults_clear

# --- RMail refuses the token (401): failed with rmail_auth_expired.
fault '{"kind":"unauthorized","path":"/api/Upload","count":1}' "401 on Upload"
queued_job
assert_eq "401: failed" failed "$(job_wait failed 30)"
assert_json "error code rmail_auth_expired" '.error.code' rmail_auth_expired
rmail_faults_clear

# --- RMail accepts the mail but the answer is lost: the retry asks
# MessageStatus first and records the job as sent without a second copy.
fault '{"kind":"drop","path":"/api/v1/Mail","count":1,"after_accept":true}' "accept then drop"
queued_job
assert_eq "accepted-then-dropped: sent" sent "$(job_wait sent 40)"
assert_eq "still exactly one message at RMail" 1 "$(rmail_messages_for "$JOB_ID" | jq length)"
assert_eq "tracking id is RMail's" "$(rmail_messages_for "$JOB_ID" | jq -r '.[0].tracking_id // .[0].TrackingId')" \
	"$(db_scalar "SELECT tracking_id FROM scanpost.jobs WHERE id = '$JOB_ID'")"
rmail_faults_clear

# --- the sender is killed (SIGKILL) after RMail accepted, before it could
# commit: after a restart the job ends sent, with one message at RMail.
fault '{"kind":"hang","path":"/api/v1/Mail","count":1,"after_accept":true}' "accept then hang"
queued_job
for _ in $(seq 1 80); do
	[ "$(rmail_messages_for "$JOB_ID" | jq length)" = 1 ] && break
	sleep 0.25
done
assert_eq "RMail accepted the mail" 1 "$(rmail_messages_for "$JOB_ID" | jq length)"
assert_eq "the job is still sending" sending "$(db_scalar "SELECT state FROM scanpost.jobs WHERE id = '$JOB_ID'")"
sender_kill
rmail_faults_clear
sender_start
lease=$(sed -n 's/^sender_lease = //p' "$SP_VAR/sender.conf")
assert_eq "after restart and rescue: sent" sent "$(job_wait sent $((lease + 40)))"
assert_eq "exactly one message at RMail after the crash" 1 "$(rmail_messages_for "$JOB_ID" | jq length)"

# --- a stored chunk altered in the database: integrity_error, nothing sent.
job_create
device_put_all "$JOB_UPLOAD" "$pdf" f.pdf application/pdf
db_scalar "UPDATE scanpost.document_chunks SET ciphertext = set_byte(ciphertext, 40, get_byte(ciphertext, 40) # 1) WHERE job_id = '$JOB_ID' AND chunk_index = 0" >/dev/null
job_submit
assert_eq "altered chunk: failed" failed "$(job_wait failed 30)"
assert_json "error code integrity_error" '.error.code' integrity_error
assert_eq "nothing sent for the altered document" 0 "$(rmail_messages_for "$JOB_ID" | jq length)"
