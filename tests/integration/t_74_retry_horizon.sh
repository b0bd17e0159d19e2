#!/usr/bin/env bash
# t_74_retry_horizon.sh - a job RMail keeps failing is delayed, not failed,
# and says so everywhere (issue 10, DESIGN 3.5): the job JSON
# (next_attempt_at, error), scanpostctl queue list, the DBA view (as
# scanpost_readonly) and /metrics; then it is sent once.  And an outage past
# the old six-attempt window (seven 503s) still ends sent, exactly once.
set -uo pipefail
. "$ROOT/tests/lib/assert.sh"
. "$ROOT/tests/lib/http.sh"
. "$ROOT/tests/lib/jobs.sh"

pdf=$SP_TMP/h.pdf
make_pdf "$pdf" 50
fault() { rmail_fault "$1"; assert_status "fault set: $2" 201; }

rmail_req POST /_sim/reset
sp_signin
sp_auth

# --- RMail answers 503 to every Upload for now: the job waits, and says why.
fault '{"kind":"status","status":503,"path":"/api/Upload","count":1000}' "503 on Upload"
job_create
device_put_all "$JOB_UPLOAD" "$pdf" h.pdf application/pdf
job_submit
assert_status "submitted" 202
for _ in $(seq 1 80); do
	job_get
	[ "$(jq -r '.error.code // empty' "$HTTP_BODY")" = rmail_unavailable ] && break
	sleep 0.25
done
assert_json "delayed job is queued" '.state' queued
assert_json "its error says why" '.error.code' rmail_unavailable
assert_jq "it says when the next try is" '.next_attempt_at | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$")'
assert_eq "no message at RMail yet" 0 "$(rmail_messages_for "$JOB_ID" | jq length)"

list=$("$SCANPOSTCTL" queue list --state queued 2>&1)
assert_match "queue list says: delayed, next try at ..., because ..." \
	"delayed, next try at [0-9T:-]+Z, because " "$(grep "$JOB_ID" <<<"$list")"

# The DBA's view, read as the DBA's role (its grants, sql/011).
row=$(db_scalar "SET ROLE scanpost_readonly; SELECT last_error_code || ' ' || may_be_at_rmail FROM scanpost.retrying WHERE id = '$JOB_ID'")
assert_eq "scanpost.retrying lists it for scanpost_readonly" "rmail_unavailable false" "$row"

sp_req GET /metrics
assert_status "metrics" 200
assert_true "metrics count retrying jobs" grep -Eq '^scanpost_jobs_retrying [1-9][0-9]*$' "$HTTP_BODY"
assert_true "metrics give the oldest retry's age" \
	grep -Eq '^scanpost_oldest_retry_age_seconds [0-9]+$' "$HTTP_BODY"

# RMail recovers: the job goes out, once.
rmail_faults_clear
db_scalar "UPDATE scanpost.jobs SET next_attempt_at = now() WHERE id = '$JOB_ID'" >/dev/null
assert_eq "sent once RMail answers" sent "$(job_wait sent 40)"
assert_eq "exactly one message at RMail" 1 "$(rmail_messages_for "$JOB_ID" | jq length)"
assert_json "no error left on the sent job" '.error' null

# --- seven 503s in a row (the old limit was six attempts): still sent, once.
fault '{"kind":"status","status":503,"path":"/api/v1/Mail","count":7}' "503 x7 on Mail"
job_create
device_put_all "$JOB_UPLOAD" "$pdf" h.pdf application/pdf
job_submit
# The delays grow (1, 2, 4 s ... with jitter, and the settle time before
# MessageStatus); waiting them all out takes minutes, so each time the job
# waits, it is made due at once: the choices stay the sender's.
for _ in $(seq 1 240); do
	state=$(db_scalar "SELECT state FROM scanpost.jobs WHERE id = '$JOB_ID'")
	[ "$state" = queued ] && db_scalar "UPDATE scanpost.jobs SET next_attempt_at = now(),
		updated_at = now() - interval '1 hour' WHERE id = '$JOB_ID' AND state = 'queued'" >/dev/null
	case $state in sent | failed | delivery_unknown) break ;; esac
	sleep 0.25
done
assert_eq "seven 503s to Mail: sent" sent "$state"
assert_eq "still exactly one message at RMail" 1 "$(rmail_messages_for "$JOB_ID" | jq length)"
assert_eq "no send_failed row" 0 \
	"$(db_scalar "SELECT count(*) FROM scanpost.audit_events WHERE job_id = '$JOB_ID' AND event = 'send_failed'")"
rmail_faults_clear
