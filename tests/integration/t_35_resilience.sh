#!/usr/bin/env bash
# t_35_resilience.sh - the services outlive a database that drops them,
# sessions end on time, abandoned uploads expire, and a sender told to stop
# finishes what it is sending (DESIGN 3.5, 3.7; issues 2 and 3).
set -uo pipefail
. "$ROOT/tests/lib/assert.sh"
. "$ROOT/tests/lib/http.sh"
. "$ROOT/tests/lib/jobs.sh"

drop_backends() { # ROLE: terminate every connection of ROLE, as a restart would
	db_scalar "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = '$1'"
}
conf() { sed -n "s/^$1 = //p" "$SP_VAR/sender.conf"; }

# --- scanpost-api reconnects: every worker loses its connection at once.
sp_req GET /healthz
assert_status "healthz before" 200
killed=$(drop_backends scanpost_api)
assert_match "api connections were terminated" '^[1-9]' "$killed"
for i in 1 2 3 4 5 6 7 8; do
	sp_req GET /healthz
	[ "$HTTP_STATUS" = 200 ] || break
done
assert_status "healthz on every worker after the database dropped them" 200
sp_signin
assert_status "sign-in after the drop" 201
sp_auth

# --- a session ends when idle, and at its absolute lifetime
sid=$(db_scalar "SELECT id FROM scanpost.sessions WHERE ended_at IS NULL ORDER BY created_at DESC LIMIT 1")
idle=$(sed -n 's/^session_idle_timeout = //p' "$SP_VAR/api.conf")
db_scalar "UPDATE scanpost.sessions SET last_seen_at = now() - make_interval(secs => $idle + 5) WHERE id = '$sid'" >/dev/null
sp_req GET /api/v1/session -H "Cookie: __Host-sp_session=$SP_COOKIE"
assert_error "idle session is over" 401 not_signed_in

# --- a request writes last_seen_at only when it is older than the touch
# interval (issue 11: no durable commit per status poll)
every=$(sed -n 's/^session_touch_interval = //p' "$SP_VAR/api.conf")
sp_signin
sp_auth
sid=$(db_scalar "SELECT id FROM scanpost.sessions WHERE ended_at IS NULL ORDER BY created_at DESC LIMIT 1")
db_scalar "UPDATE scanpost.sessions SET last_seen_at = now() - make_interval(secs => $every - 5) WHERE id = '$sid'" >/dev/null
sp_req GET /api/v1/session -H "Cookie: __Host-sp_session=$SP_COOKIE"
assert_status "a session touched within the interval is found" 200
assert_eq "and its row is not written" t \
	"$(db_scalar "SELECT last_seen_at < now() - make_interval(secs => $every - 6) FROM scanpost.sessions WHERE id = '$sid'")"
db_scalar "UPDATE scanpost.sessions SET last_seen_at = now() - make_interval(secs => $every + 5) WHERE id = '$sid'" >/dev/null
sp_req GET /api/v1/session -H "Cookie: __Host-sp_session=$SP_COOKIE"
assert_status "a session last written before the interval is found" 200
assert_eq "and its last activity is written now" t \
	"$(db_scalar "SELECT last_seen_at > now() - interval '3 seconds' FROM scanpost.sessions WHERE id = '$sid'")"
sp_signin
sp_auth
sid=$(db_scalar "SELECT id FROM scanpost.sessions WHERE ended_at IS NULL ORDER BY created_at DESC LIMIT 1")
db_scalar "UPDATE scanpost.sessions SET expires_at = now() - interval '1 second' WHERE id = '$sid'" >/dev/null
sp_req GET /api/v1/session -H "Cookie: __Host-sp_session=$SP_COOKIE"
assert_error "session past its lifetime is over" 401 not_signed_in

# --- an upload never submitted expires, and its document goes
sp_signin
sp_auth
pdf=$SP_TMP/r.pdf
make_pdf "$pdf" 100
job_create
device_put "$JOB_UPLOAD" "$pdf" r.pdf application/pdf
assert_status "upload 200" 200
db_scalar "UPDATE scanpost.jobs SET upload_expires_at = now() - interval '1 second' WHERE id = '$JOB_ID'" >/dev/null
state=$(job_wait expired $(($(conf janitor_interval) + 15)))
assert_eq "abandoned upload expired by the janitor" expired "$state"
assert_json "expired job says why" '.error.code' upload_expired
assert_eq "expired job's chunks deleted" 0 "$(db_scalar "SELECT count(*) FROM scanpost.document_chunks WHERE job_id = '$JOB_ID'")"

# --- scanpost-sender reconnects too
drop_backends scanpost_sender >/dev/null
job_create
device_put_all "$JOB_UPLOAD" "$pdf" r.pdf application/pdf
job_submit
assert_eq "sent after the sender's connections dropped" sent "$(job_wait sent 40)"

# --- SIGTERM while sending: the send in flight finishes, then it exits 0
rmail_fault '{"kind":"latency","latency_ms":3000,"path":"/api/v1/Mail","count":1}' >/dev/null
job_create
device_put_all "$JOB_UPLOAD" "$pdf" r.pdf application/pdf
job_submit
for _ in $(seq 1 40); do
	[ "$(db_scalar "SELECT state FROM scanpost.jobs WHERE id = '$JOB_ID'")" = sending ] && break
	sleep 0.1
done
pid=$(cat "$SP_VAR/run/scanpost-sender.pid")
stops=$(grep -c '"event":"stopped"' "$SP_VAR/log/scanpost-sender.log")
kill -TERM "$pid"
t0=$SECONDS
while kill -0 "$pid" 2>/dev/null && [ $((SECONDS - t0)) -lt 20 ]; do sleep 0.2; done
assert_false "sender exited after SIGTERM" kill -0 "$pid"
assert_eq "it logged one more clean stop" $((stops + 1)) \
	"$(grep -c '"event":"stopped"' "$SP_VAR/log/scanpost-sender.log")"
assert_eq "the send in flight was finished, not dropped" sent \
	"$(db_scalar "SELECT state FROM scanpost.jobs WHERE id = '$JOB_ID'")"
assert_eq "and sent once" 1 "$(rmail_messages_for "$JOB_ID" | jq length)"
rmail_faults_clear >/dev/null
sender_start
assert_true "sender back after restart" kill -0 "$(cat "$SP_VAR/run/scanpost-sender.pid")"
