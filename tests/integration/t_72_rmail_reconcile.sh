#!/usr/bin/env bash
# t_72_rmail_reconcile.sh - after a send whose answer was lost, the sender
# asks MessageStatus by window and matches its CustomerTrackingId itself;
# an unclear answer (an error, a shape it cannot read, an empty window too
# soon after the attempt) means wait and ask again: the job is neither
# failed nor sent twice, and the waiting costs no attempt (DESIGN 3.5).
set -uo pipefail
. "$ROOT/tests/lib/assert.sh"
. "$ROOT/tests/lib/http.sh"
. "$ROOT/tests/lib/jobs.sh"

pdf=$SP_TMP/r.pdf
make_pdf "$pdf" 60
stat_of() { # ENDPOINT FIELD
	curl -sS --cacert "$SP_CA" "$RMAIL_URL/_sim/stats" | jq -r --arg e "$1" ".[\$e].$2 // 0"
}
status_calls() { stat_of /api/v1/Receipt/MessageStatus calls; }
mail_calls() { stat_of /api/v1/Mail calls; }
col() { db_scalar "SELECT $1 FROM scanpost.jobs WHERE id = '$JOB_ID'"; }
queued_job() {
	job_create "${1:-}"
	device_put_all "$JOB_UPLOAD" "$pdf" r.pdf application/pdf
	job_submit
}
fault() { rmail_fault "$1"; assert_status "fault set: $2" 201; }

# watch SECONDS: follows the job until it is sent or failed (or time is up);
# records every state and error code seen, and the most attempts.
watch() {
	local i s code a
	SEEN_STATES=" " SEEN_CODES=" " MAX_ATTEMPTS=0
	for ((i = 0; i < $1 * 4; i++)); do
		IFS='|' read -r s code a <<<"$(col "state || '|' || coalesce(last_error_code, '') || '|' || attempts")"
		[[ $SEEN_STATES == *" $s "* ]] || SEEN_STATES+="$s "
		[ -n "$code" ] && [[ $SEEN_CODES != *" $code "* ]] && SEEN_CODES+="$code "
		[ "${a:-0}" -gt "$MAX_ATTEMPTS" ] && MAX_ATTEMPTS=$a
		case $s in sent | failed) break ;; esac
		sleep 0.25
	done
	FINAL=$s
}

rmail_req POST /_sim/reset
rmail_faults_clear
sp_signin
sp_auth
max_attempts=$(sed -n 's/^sender_max_attempts = //p' "$SP_VAR/sender.conf")

# --- Mail accepted, the connection dropped; then MessageStatus fails more
# often than the job may be attempted: it waits and asks, never fails, never
# re-sends, and is sent once RMail answers clearly.
fault '{"kind":"drop","path":"/api/v1/Mail","count":1,"after_accept":true}' "Mail accepted, then dropped"
fault "{\"kind\":\"status\",\"status\":500,\"path\":\"/api/v1/Receipt/MessageStatus\",\"count\":$((max_attempts + 2))}" \
	"MessageStatus 500, $((max_attempts + 2)) times"
s0=$(status_calls)
m0=$(mail_calls)
queued_job
watch 120
assert_eq "the job ends sent" sent "$FINAL"
assert_false "it was never failed" grep -q " failed " <<<"$SEEN_STATES"
assert_true "it waited as rmail_status_unclear" grep -q " rmail_status_unclear " <<<"$SEEN_CODES"
assert_eq "exactly one message at RMail" 1 "$(rmail_messages_for "$JOB_ID" | jq length)"
assert_eq "Mail was called once: never re-sent on a guess" $((m0 + 1)) "$(mail_calls)"
assert_true "MessageStatus was asked after every failure, and once more" \
	test "$(status_calls)" -ge $((s0 + max_attempts + 3))
assert_eq "the tracking id is the one RMail gave" \
	"$(rmail_messages_for "$JOB_ID" | jq -r '.[0].tracking_id')" "$(col tracking_id)"
assert_true "the unclear answers cost no attempt (attempts stayed at most 2)" \
	test "$MAX_ATTEMPTS" -le 2
job_get
assert_json "the weblet sees it sent" '.state' sent
rmail_faults_clear

# --- MessageStatus answers a shape scanpost cannot read (a collection that is
# not one): unclear too, asked again.
fault '{"kind":"drop","path":"/api/v1/Mail","count":1,"after_accept":true}' "Mail accepted, then dropped"
fault '{"kind":"raw","status":200,"path":"/api/v1/Receipt/MessageStatus","count":2,"message":"{\"Status\":\"Success\",\"ResultContent\":{\"TrackingId\":\"X\"}}"}' \
	"MessageStatus answers an object for the collection"
m0=$(mail_calls)
queued_job
watch 60
assert_eq "unreadable status answer: sent in the end" sent "$FINAL"
assert_false "never failed" grep -q " failed " <<<"$SEEN_STATES"
assert_eq "one message at RMail" 1 "$(rmail_messages_for "$JOB_ID" | jq length)"
assert_eq "Mail was called once" $((m0 + 1)) "$(mail_calls)"
rmail_faults_clear

# --- A 5xx on Mail that RMail did not accept: the next attempt asks, the
# window is clearly empty (settled), and only then it sends again.
fault '{"kind":"status","status":503,"path":"/api/v1/Mail","count":1}' "Mail 503, not accepted"
s0=$(status_calls)
m0=$(mail_calls)
queued_job
watch 60
assert_eq "503 then a clear empty window: sent" sent "$FINAL"
assert_eq "two attempts" 2 "$(col attempts)"
assert_eq "Mail called twice (the 503 and the send)" $((m0 + 2)) "$(mail_calls)"
assert_true "MessageStatus asked before sending again" test "$(status_calls)" -gt "$s0"
assert_eq "one message at RMail" 1 "$(rmail_messages_for "$JOB_ID" | jq length)"
rmail_faults_clear

# --- The sender dies after RMail accepted; when the job is rescued,
# MessageStatus does not list the message yet (an empty window just after
# the attempt): the sender does not trust it, waits, and asks again.
fault '{"kind":"hang","path":"/api/v1/Mail","count":1,"after_accept":true}' "Mail accepted, then hung"
m0=$(mail_calls)
queued_job
for _ in $(seq 1 80); do
	[ "$(rmail_messages_for "$JOB_ID" | jq length)" = 1 ] && break
	sleep 0.25
done
assert_eq "RMail accepted the mail" 1 "$(rmail_messages_for "$JOB_ID" | jq length)"
sender_kill
rmail_faults_clear
fault '{"kind":"stale","path":"/api/v1/Receipt/MessageStatus","latency_ms":600000,"count":1}' \
	"MessageStatus does not list the message yet, once"
s0=$(status_calls)
log_lines=$(wc -l <"$SP_VAR/log/scanpost-sender.log")
sender_start
lease=$(sed -n 's/^sender_lease = //p' "$SP_VAR/sender.conf")
watch $((lease + 60))
assert_eq "rescued, listed late: sent" sent "$FINAL"
assert_eq "still exactly one message at RMail" 1 "$(rmail_messages_for "$JOB_ID" | jq length)"
assert_eq "Mail was called once" $((m0 + 1)) "$(mail_calls)"
assert_true "MessageStatus asked twice: the empty answer was not trusted" \
	test "$(status_calls)" -ge $((s0 + 2))
assert_true "the sender logged the unclear lookup" \
	grep -q '"event":"rmail_lookup".*"outcome":"unclear"' <(tail -n +"$((log_lines + 1))" "$SP_VAR/log/scanpost-sender.log")
rmail_faults_clear
