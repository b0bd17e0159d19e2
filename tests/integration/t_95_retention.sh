#!/usr/bin/env bash
# t_95_retention.sh - data that does not pile up (issue 13): `scanpostctl
# retention run` deletes finished jobs, ended sessions and old audit events
# by their keep periods (defaults 90 / 30 / 365 days), writes the audit
# events out as JSON lines first, keeps what is younger or still needed,
# and the DBA view retention_due shows what is due.
set -uo pipefail
. "$ROOT/tests/lib/assert.sh"
. "$ROOT/tests/lib/http.sh"
. "$ROOT/tests/lib/jobs.sh"

CTL=${SCANPOSTCTL:-$ROOT/tests/lib/scanpostctl}
check_has() { # DESC NEEDLE TEXT: TEXT contains NEEDLE
	case $3 in
	*"$2"*) assert_eq "$1" "has: $2" "has: $2" ;;
	*) assert_eq "$1" "has: $2" "$(printf '%s' "$3" | head -c 300)" ;;
	esac
}
EXPORT_DIR=$SP_VAR/audit

t0=$(db_scalar "SELECT now()")
sp_signin
assert_status "sign-in" 201
sp_auth

# An old finished job in an old ended session, and a young one in the
# session now open.
job_create
old_job=$JOB_ID
sp_req DELETE "/api/v1/jobs/$old_job" -H "Cookie: __Host-sp_session=$SP_COOKIE" -H "X-CSRF-Token: $SP_CSRF"
assert_status "cancel the job to be aged" 204
job_create
young_job=$JOB_ID
sp_req DELETE "/api/v1/jobs/$young_job" -H "Cookie: __Host-sp_session=$SP_COOKIE" -H "X-CSRF-Token: $SP_CSRF"
old_session=$(db_scalar "INSERT INTO scanpost.sessions (id, secret_hash, rmail_user, expires_at, ended_at, end_reason, last_seen_at)
	VALUES (gen_random_uuid(), decode(md5(random()::text) || md5(random()::text), 'hex'), 'aged@example.com',
	        now() - interval '40 days', now() - interval '40 days', 'signout', now() - interval '40 days')
	RETURNING id" | head -n1)
young_ended=$(db_scalar "INSERT INTO scanpost.sessions (id, secret_hash, rmail_user, expires_at, ended_at, end_reason)
	VALUES (gen_random_uuid(), decode(md5(random()::text) || md5(random()::text), 'hex'), 'young@example.com',
	        now(), now() - interval '2 days', 'signout')
	RETURNING id" | head -n1)
db_scalar "UPDATE scanpost.jobs SET session_id = '$old_session', updated_at = now() - interval '100 days' WHERE id = '$old_job'" >/dev/null
marker="retention-test-$$-$RANDOM"
db_scalar "INSERT INTO scanpost.audit_events (at, event, actor, detail)
	SELECT now() - interval '400 days', 'test_old', 'tester', jsonb_build_object('marker', '$marker', 'n', g, 'quote', 'a\"b')
	FROM generate_series(1, 3) g" >/dev/null
db_scalar "INSERT INTO scanpost.audit_events (at, event, actor, detail)
	VALUES (now() - interval '300 days', 'test_young', 'tester', jsonb_build_object('marker', '$marker'))" >/dev/null

# --- a dry run counts and changes nothing
out=$("$CTL" retention run --dry-run 2>&1)
assert_eq "dry run exits 0" 0 $?
check_has "dry run counts the aged job" "due finished jobs older than 90 days: 1" "$out"
check_has "dry run counts the aged audit events" "due audit events older than 365 days: 3" "$out"
assert_eq "the dry run deleted nothing" 1 "$(db_scalar "SELECT count(*) FROM scanpost.jobs WHERE id = '$old_job'")"
assert_eq "no export written by a dry run" 0 "$(find "$EXPORT_DIR" -name 'audit-*.jsonl' -newer "$SP_VAR/api.conf" 2>/dev/null | xargs -r grep -l "$marker" | wc -l)"

# --- an export the run cannot write leaves everything in place
out=$(SCANPOST_AUDIT_EXPORT_DIR=$EXPORT_DIR/missing "$CTL" retention run 2>&1)
rc=$?
assert_eq "an unwritable export folder fails the run" 1 "$rc"
check_has "and says where" "audit_export_dir" "$out"
assert_eq "the aged audit events are still there" 3 "$(db_scalar "SELECT count(*) FROM scanpost.audit_events WHERE detail->>'marker' = '$marker' AND event = 'test_old'")"

# --- the run
out=$("$CTL" retention run 2>&1)
assert_eq "retention run exits 0" 0 $?
check_has "it deleted the aged job" "deleted finished jobs older than 90 days: 1" "$out"
check_has "it deleted the aged audit events" "deleted audit events older than 365 days: 3" "$out"
assert_eq "the aged job is gone" 0 "$(db_scalar "SELECT count(*) FROM scanpost.jobs WHERE id = '$old_job'")"
assert_eq "the young job stays" 1 "$(db_scalar "SELECT count(*) FROM scanpost.jobs WHERE id = '$young_job'")"
assert_eq "the aged session is gone once its job went" 0 "$(db_scalar "SELECT count(*) FROM scanpost.sessions WHERE id = '$old_session'")"
assert_eq "a recently ended session stays" 1 "$(db_scalar "SELECT count(*) FROM scanpost.sessions WHERE id = '$young_ended'")"
assert_eq "the aged audit events are gone" 0 "$(db_scalar "SELECT count(*) FROM scanpost.audit_events WHERE detail->>'marker' = '$marker' AND event = 'test_old'")"
assert_eq "a younger audit event stays" 1 "$(db_scalar "SELECT count(*) FROM scanpost.audit_events WHERE detail->>'marker' = '$marker' AND event = 'test_young'")"
assert_eq "the purge is audited (jobs_purged)" 1 "$(db_scalar "SELECT count(*) FROM scanpost.audit_events WHERE event = 'jobs_purged' AND at >= '$t0' AND detail->>'older_than_days' = '90' AND (detail->>'deleted')::int >= 1")"
assert_eq "the purge is audited (retention_purged, sessions and audit)" 2 "$(db_scalar "SELECT count(DISTINCT detail->>'kind') FROM scanpost.audit_events WHERE event = 'retention_purged' AND at >= '$t0'")"

export_file=$(grep -l "$marker" "$EXPORT_DIR"/audit-*.jsonl 2>/dev/null | head -n1)
assert_true "the audit events were written out first" test -n "$export_file"
if [ -n "$export_file" ]; then
	assert_eq "one line per aged event of this test" 3 "$(grep -c "$marker" "$export_file")"
	assert_true "every line is a JSON object" bash -c "jq -e -c 'select(type == \"object\")' '$export_file' >/dev/null"
	assert_eq "the details survive as written (quotes too)" 'a"b' "$(grep "$marker" "$export_file" | head -n1 | jq -r .detail.quote)"
	assert_eq "the file is readable by its owner and group only" 640 "$(stat -c %a "$export_file")"
fi

# --- the DBA view shows the settings applied and what is due now
assert_eq "retention_due lists the three kinds" 3 "$(db_scalar "SELECT count(*) FROM scanpost.retention_due")"
assert_eq "nothing is due right after a run" 0 "$(db_scalar "SELECT coalesce(sum(due), 0) FROM scanpost.retention_due")"
assert_eq "the audit keep period is the one applied" 365 "$(db_scalar "SELECT keep_days FROM scanpost.retention_due WHERE kind = 'audit_events'")"
db_scalar "INSERT INTO scanpost.audit_events (at, event, actor) VALUES (now() - interval '366 days', 'test_due', 'tester')" >/dev/null
assert_eq "a newly aged event shows as due" 1 "$(db_scalar "SELECT due FROM scanpost.retention_due WHERE kind = 'audit_events'")"
assert_eq "the read-only DBA role may read the view" 1 "$(sp_psql -XAtq -c "SET ROLE scanpost_readonly" -c "SELECT due FROM scanpost.retention_due WHERE kind = 'audit_events'" 2>&1)"

# --- audit export writes without deleting
out=$("$CTL" audit export --older-than 365 2>/dev/null)
assert_eq "audit export prints the due event" 1 "$(printf '%s\n' "$out" | grep -c '"test_due"')"
assert_eq "and deletes nothing" 1 "$(db_scalar "SELECT count(*) FROM scanpost.audit_events WHERE event = 'test_due'")"
"$CTL" audit export --older-than nonsense >/dev/null 2>&1
assert_eq "a bad --older-than is a usage error" 2 $?
"$CTL" retention run >/dev/null 2>&1
assert_eq "a second run within the same second writes a file of its own" 0 $?
