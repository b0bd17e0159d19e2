#!/usr/bin/env bash
# t_56_policy.sh - the administrator's policy (issue 12, README Admin policy)
# through the real API: a new file takes effect without a restart, every
# rule holds against a client that tries to go around the weblet, a broken
# file keeps the last good policy, and copy to myself reaches RMail with
# the signed-in address, however the request asks.
set -uo pipefail
. "$ROOT/tests/lib/assert.sh"
. "$ROOT/tests/lib/http.sh"
. "$ROOT/tests/lib/jobs.sh"

POLICY=$SP_VAR/policy.conf
SAVED=$SP_TMP/policy.saved
cp "$POLICY" "$SAVED"
restore() { cat "$SAVED" >"$POLICY.new" && chmod 644 "$POLICY.new" && mv -f "$POLICY.new" "$POLICY"; }
trap restore EXIT

# set_policy TEXT: writes the file as an administrator would (a new file
# moved into place), then waits out the api's check interval (2 s).
set_policy() {
	printf '%s\n' "$1" >"$POLICY.new"
	chmod 644 "$POLICY.new"
	mv -f "$POLICY.new" "$POLICY"
	sleep 2.5
}

# send_job SPEC: create, upload, submit, wait for sent; JOB_ID is the job.
send_job() {
	job_create "$1"
	assert_status "create 201" 201 || return 1
	make_pdf "$SP_TMP/p.pdf" 20
	device_put_all "$JOB_UPLOAD" "$SP_TMP/p.pdf" Scan.pdf application/pdf
	job_submit
	assert_status "submit 202" 202
	assert_eq "job sent" sent "$(job_wait sent 30)"
}

rmail_req POST /_sim/reset
sp_req GET /api/v1/policy
assert_error "policy without a session is 401" 401 not_signed_in
sp_signin
assert_status "sign in" 201
sp_auth

# --- no policy: nothing locked, copy to myself allowed
set_policy '# nothing'
sp_req GET /api/v1/policy "${AUTH[@]}"
assert_status "GET /api/v1/policy 200" 200
assert_jq "no policy: nothing locked, 50 recipients, Bcc and copy allowed" \
	'.locked == {registered: {}, scan: {}} and .max_recipients == 50 and .bcc_allowed == true
	 and .copy_to_me == "allowed" and .allowed_domains == []'

# --- a clinic's policy, taken without a restart
api_pid=$(cat "$SP_VAR/run/scanpost-api.pid" 2>/dev/null)
set_policy 'lock.registered.encryption = always_pdf
lock.scan.resolution = RES_200X200
default.scan.color = BLACK_AND_WHITE
hide = registered.reference
allowed_domains = example.org
outside_domains = refuse
max_recipients = 3
bcc_allowed = false
copy_to_me = off'
sp_req GET /api/v1/policy "${AUTH[@]}"
assert_jq "the new policy is served" \
	'.locked.registered.encryption == "always_pdf" and .locked.scan.resolution == "RES_200X200"
	 and .defaults.scan.color == "BLACK_AND_WHITE" and .hidden.registered == ["reference"]
	 and .allowed_domains == ["example.org"] and .outside_domains == "refuse"
	 and .max_recipients == 3 and .bcc_allowed == false and .copy_to_me == "off"'
assert_eq "same api process (no restart)" "$api_pid" "$(cat "$SP_VAR/run/scanpost-api.pid" 2>/dev/null)"

# --- each rule, tried around the weblet
jobs_before=$(db_scalar "SELECT count(*) FROM scanpost.jobs WHERE owner = '$DEMO_USER'")
job_create '{"to":["a@example.org"],"registered":{"encryption":"off"}}'
assert_error "locked encryption sent as off" 400 policy_violation
assert_json "rule named" '.error.rule' lock.registered.encryption
assert_jq "field named" '.error.fields == ["registered.encryption"]'
assert_jq "message says who set it" '.error.message | test("administrator")'
job_create '{"to":["a@example.org"],"scan":{"resolution":"RES_600X600"}}'
assert_error "locked resolution sent as 600 dpi" 400 policy_violation
assert_json "resolution rule named" '.error.rule' lock.scan.resolution
job_create '{"to":["a@example.org"],"registered":{"reference":"Case 7"}}'
assert_error "hidden reference sent" 400 policy_violation
assert_json "hide rule named" '.error.rule' hide
assert_jq "hidden field named" '.error.fields == ["registered.reference"]'
job_create '{"to":["a@example.org"],"bcc":["b@example.org"]}'
assert_error "Bcc when not allowed" 400 policy_violation
assert_json "bcc rule named" '.error.rule' bcc_allowed
assert_jq "bcc field named" '.error.fields == ["bcc[0]"]'
job_create '{"to":["a@example.org","b@example.org"],"cc":["c@example.org","d@example.org"]}'
assert_error "four recipients with max 3" 400 policy_violation
assert_json "max rule named" '.error.rule' max_recipients
assert_jq "the fourth named" '.error.fields == ["cc[1]"]'
job_create '{"to":["a@example.org"],"cc":["eve@elsewhere.example"]}'
assert_error "outside domain refused" 400 policy_violation
assert_json "domain rule named" '.error.rule' allowed_domains
assert_jq "the outside address named" '.error.fields == ["cc[0]"]'
job_create '{"to":["a@example.org"],"cc":["eve@elsewhere.example"],"confirm_outside_domains":true}'
assert_error "refuse mode: a confirmation does not help" 400 policy_violation
job_create '{"to":["a@example.org"],"copy_to_me":true}'
assert_error "copy to myself when off" 400 policy_violation
assert_json "copy rule named" '.error.rule' copy_to_me
assert_eq "no job made by any refused request" "$jobs_before" \
	"$(db_scalar "SELECT count(*) FROM scanpost.jobs WHERE owner = '$DEMO_USER'")"

# --- what the request leaves out takes the policy's values
job_create '{"to":["A@Example.org"]}'
assert_status "a job within the policy 201" 201
settings=$(db_scalar "SELECT settings FROM scanpost.jobs WHERE id = '$JOB_ID'")
assert_eq "locked encryption stored" always_pdf "$(jq -r .registered.encryption <<<"$settings")"
assert_eq "locked resolution stored" RES_200X200 "$(jq -r .scan.resolution <<<"$settings")"
assert_eq "default color stored" BLACK_AND_WHITE "$(jq -r .scan.color <<<"$settings")"
assert_true "the template scans at the locked resolution" grep -q 'Resolution = RES_200X200;' "$JOB_TEMPLATE"
job_create '{"to":["a@example.org"],"scan":{"color":"FULL_COLOR","resolution":"RES_200X200"}}'
assert_status "a default may be changed, a lock sent as itself 201" 201
settings=$(db_scalar "SELECT settings FROM scanpost.jobs WHERE id = '$JOB_ID'")
assert_eq "the person's color kept" FULL_COLOR "$(jq -r .scan.color <<<"$settings")"

# --- a broken file keeps the last good policy, and says why in the log
set_policy 'lock.scan.resolution = RES_999'
job_create '{"to":["a@example.org"],"scan":{"resolution":"RES_600X600"}}'
assert_error "broken file: the last good lock still holds" 400 policy_violation
assert_true "the api logs the rejected file with line and key" \
	grep -q '"policy_rejected_kept_last".*policy.conf:1: lock.scan.resolution' "$SP_VAR/log/scanpost-api.log"

# --- scanpostctl policy check: the same reading, before a file is put in place
check=$SP_VAR/policy-check.conf
printf 'lock.scan.resolution = RES_999\n' >"$check"
chmod 644 "$check"
out=$("$SCANPOSTCTL" -c "$CTL_CONF" policy check "$check" 2>&1)
assert_eq "policy check of a bad file exits 1" 1 "$?"
assert_match "it names the file, line and key" 'policy-check.conf:1: lock.scan.resolution: scan.resolution must be one of' "$out"
printf 'lock.scan.resolution = RES_200X200\nbcc_allowed = false\n' >"$check"
out=$("$SCANPOSTCTL" -c "$CTL_CONF" policy check "$check" 2>/dev/null)
assert_eq "policy check of a good file exits 0" 0 "$?"
assert_eq "it prints what the weblet would be told" "RES_200X200 false" \
	"$(jq -r '"\(.locked.scan.resolution) \(.bcc_allowed)"' <<<"$out")"
rm -f "$check"

# --- ask mode: outside recipients need the person's yes
set_policy 'allowed_domains = example.org
outside_domains = ask'
job_create '{"to":["a@example.org","eve@elsewhere.example"]}'
assert_error "ask mode without confirmation" 409 policy_confirmation_required
assert_json "ask rule named" '.error.rule' allowed_domains
assert_jq "outside address named" '.error.fields == ["to[1]"]'
job_create '{"to":["a@example.org","eve@elsewhere.example"],"confirm_outside_domains":true}'
assert_status "ask mode with confirmation 201" 201

# --- copy to myself forced: the signed-in address arrives at RMail as Bcc
set_policy 'copy_to_me = forced'
job_create '{"to":["a@example.org"],"copy_to_me":false}'
assert_error "forced copy cannot be turned off" 400 policy_violation
send_job '{"to":["fran@example.org"],"subject":"Forced copy"}'
m=$(rmail_messages_for "$JOB_ID" | jq -c '.[0]')
assert_eq "forced: the sender's address is a Bcc recipient at RMail" 1 \
	"$(jq --arg me "$DEMO_USER" '[(.bcc // .Bcc)[] | select(ascii_downcase == $me)] | length' <<<"$m")"
assert_eq "forced: To unchanged" '["fran@example.org"]' "$(jq -c '.to // .To' <<<"$m")"

# --- allowed: only when asked, once, and never another address
set_policy 'copy_to_me = allowed'
send_job '{"to":["gus@example.org"],"copy_to_me":true}'
m=$(rmail_messages_for "$JOB_ID" | jq -c '.[0]')
assert_eq "asked: one copy to the sender" 1 \
	"$(jq --arg me "$DEMO_USER" '[(.bcc // .Bcc)[] | select(ascii_downcase == $me)] | length' <<<"$m")"
assert_eq "recipients at RMail: the To and the copy" 2 \
	"$(jq '[(.to // .To)[], (.cc // .Cc)[], (.bcc // .Bcc)[]] | length' <<<"$m")"
send_job '{"to":["hal@example.org"]}'
m=$(rmail_messages_for "$JOB_ID" | jq -c '.[0]')
assert_eq "not asked: no copy" 0 "$(jq '(.bcc // .Bcc) | length' <<<"$m")"
send_job "{\"to\":[\"$DEMO_USER\"],\"copy_to_me\":true}"
m=$(rmail_messages_for "$JOB_ID" | jq -c '.[0]')
assert_eq "already a recipient: not twice" 1 \
	"$(jq '[(.to // .To)[], (.cc // .Cc)[], (.bcc // .Bcc)[]] | length' <<<"$m")"

# --- a second account gets its own address, whatever the body says
sp_signin "$OTHER_USER" "$(other_password)"
sp_auth
job_create '{"to":["ivy@example.org"],"copy_to_me":true}'
assert_status "other account's job 201" 201
assert_eq "its copy goes to its own address" "[\"$OTHER_USER\"]" \
	"$(db_scalar "SELECT array_to_json(bcc_addrs) FROM scanpost.jobs WHERE id = '$JOB_ID'")"
