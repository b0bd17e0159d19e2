#!/usr/bin/env bash
# t_97_restore_drill.sh - the restore drill (issue 13, README "Backups"):
# a job queued while no sender runs is in the backup; the cluster is wiped
# and restored from it into a new one; the job is then sent exactly once,
# and what happened after the backup is gone, as it should be.
set -uo pipefail
. "$ROOT/tests/lib/assert.sh"
. "$ROOT/tests/lib/http.sh"
. "$ROOT/tests/lib/jobs.sh"

sp_signin
assert_status "sign-in" 201
sp_auth
pdf=$SP_TMP/drill.pdf
make_pdf "$pdf" 300

# A queued job nobody sends yet: the sender is down.
sender_kill
job_create
queued=$JOB_ID
device_put_all "$JOB_UPLOAD" "$pdf" drill.pdf application/pdf
assert_status "upload 200" 200
job_submit
assert_status "submitted" 202
assert_eq "queued with no sender running" queued \
	"$(db_scalar "SELECT state FROM scanpost.jobs WHERE id = '$queued'")"
cluster_before=$(db_scalar "SELECT system_identifier FROM pg_control_system()")

backup=$SP_VAR/backup/drill-$$
out=$("$ROOT/stack" backup "$backup" 2>&1)
assert_eq "./stack backup exits 0" 0 $?
assert_true "the backup holds the roles" test -s "$backup/roles.sql"
assert_true "the backup holds the database" test -s "$backup/scanpost.dump"
assert_eq "the backup folder is private" 700 "$(stat -c %a "$backup")"

# After the backup: a job that the restore must not bring back.
job_create
later=$JOB_ID

out=$(STACK_SKIP_BUILD=1 "$ROOT/stack" restore "$backup" 2>&1)
rc=$?
assert_eq "./stack restore exits 0" 0 "$rc"
[ "$rc" = 0 ] || printf '%s\n' "$out" | tail -n 20 | sed 's/^/    /'
assert_ne "the cluster is a new one" "$cluster_before" \
	"$(db_scalar "SELECT system_identifier FROM pg_control_system()")"
assert_eq "the job created after the backup is gone" 0 \
	"$(db_scalar "SELECT count(*) FROM scanpost.jobs WHERE id = '$later'")"

# The restored stack sends the queued job, once, byte for byte.
assert_eq "the queued job is sent after the restore" sent "$(job_wait sent 60 "$queued")"
msgs=$(rmail_messages_for "$queued")
assert_eq "exactly one message at RMail" 1 "$(jq length <<<"$msgs")"
assert_eq "its document deleted after sending" 0 \
	"$(db_scalar "SELECT count(*) FROM scanpost.document_chunks WHERE job_id = '$queued'")"
sleep 3
assert_eq "still one message a moment later" 1 "$(rmail_messages_for "$queued" | jq length)"
sp_req GET /healthz
assert_status "healthz after the restore" 200
