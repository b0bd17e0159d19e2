#!/usr/bin/env bash
# t_73_rmail_check.sh - `scanpostctl rmail check`, the field engineer's look
# at an RMail account: sign in, upload, MessageStatus, each answer's shape
# against what scanpost reads; a test message only with --send-to; the
# password from a file or a prompt, never the command line, never printed.
set -uo pipefail
. "$ROOT/tests/lib/assert.sh"
. "$ROOT/tests/lib/http.sh"
. "$ROOT/tests/lib/jobs.sh"

mail_calls() {
	curl -sS --cacert "$SP_CA" "$RMAIL_URL/_sim/stats" | jq -r '.["/api/v1/Mail"].calls // 0'
}
# The check runs as the stack's service user: its password file is that
# user's, mode 0600 (the command refuses one others can read).
pwfile=$SP_VAR/rmail-check-password.test
trap 'rm -f "$pwfile"' EXIT
put_password() { # PASSWORD MODE
	printf '%s\n' "$1" >"$pwfile"
	chown --reference="$SP_VAR" "$pwfile"
	chmod "$2" "$pwfile"
}
out=$SP_TMP/check.out
check() { # ARGS...: runs the check, output in $out, status in CHECK_RC
	setsid -w "$SCANPOSTCTL" -c "$CTL_CONF" rmail check "$@" </dev/null >"$out" 2>&1
	CHECK_RC=$?
}

rmail_req POST /_sim/reset
rmail_faults_clear
pw=$(demo_password)
put_password "$pw" 600

# --- every answer as expected, no mail sent
m0=$(mail_calls)
check --user demo@example.com --password-file "$pwfile"
assert_eq "all shapes as expected: exit 0" 0 "$CHECK_RC"
assert_true "it signed in" grep -q '^Token (POST /Token)' "$out"
assert_true "it uploaded" grep -q '^Upload (POST /api/Upload' "$out"
assert_true "it asked MessageStatus for a window" grep -q '^MessageStatus (POST /api/v1/Receipt/MessageStatus, ' "$out"
assert_true "it shows the token's members" grep -qE '^ +ok +access_token +expected string +found string' "$out"
assert_true "it shows the status collection's type" grep -qE '^ +ok +ResultContent +expected array\|null +found array' "$out"
assert_true "it says no mail was sent" grep -q '^Mail: not sent' "$out"
assert_true "it ends saying everything matched" grep -q '^Result: every answer has the shape scanpost expects' "$out"
assert_eq "no mail sent without --send-to" "$m0" "$(mail_calls)"
assert_file_lacks "the password is not printed" "$pw" "$out"
assert_false "no bearer token is printed" grep -qE '[A-Za-z0-9_-]{43}' "$out"

# --- --send-to: one message, found again by its CustomerTrackingId
check --user demo@example.com --password-file "$pwfile" --send-to alice@example.org
assert_eq "send and find: exit 0" 0 "$CHECK_RC"
assert_true "it sent one message" grep -qE '^ +-> HTTP 200, TrackingId [0-9A-F]+, TimeZoneOffset [+-][0-9]{2}:[0-9]{2}$' "$out"
assert_true "MessageStatus listed it" grep -qE 'listed after [0-9]+ s' "$out"
assert_true "it checked MessageInfo's collection" grep -q '^MessageInfo (GET /api/v1/MessageInfo/' "$out"
assert_eq "exactly one mail sent" $((m0 + 1)) "$(mail_calls)"
rmail_req GET /_sim/messages
assert_jq "the test message carries a scanpost-check CustomerTrackingId" \
	'[.[] | select(.customer_tracking_id | startswith("scanpost-check-"))] | length == 1'
assert_file_lacks "the password is not printed (send)" "$pw" "$out"

# --- an answer of another shape: named, exit 1
rmail_fault '{"kind":"raw","status":200,"path":"/api/v1/Receipt/MessageStatus","count":1,"message":"{\"Status\":\"Success\",\"ResultContent\":{\"TrackingId\":\"X\"}}"}'
assert_status "fault: MessageStatus answers an object for the collection" 201
check --user demo@example.com --password-file "$pwfile"
assert_eq "a shape mismatch: exit 1" 1 "$CHECK_RC"
assert_true "the member is named as a mismatch" grep -qE '^ +MISMATCH +ResultContent +expected array\|null +found object' "$out"
assert_true "the result counts it" grep -qE '^Result: .*[1-9][0-9]* member\(s\) not as scanpost expects' "$out"
rmail_fault '{"kind":"raw","status":200,"path":"/Token","count":1,"message":"{\"token\":\"x\"}"}'
check --user demo@example.com --password-file "$pwfile"
assert_eq "a token answer without access_token: exit 1" 1 "$CHECK_RC"
assert_true "access_token named as absent" grep -qE '^ +MISMATCH +access_token +expected string +found absent' "$out"
rmail_faults_clear

# --- refusals, in RMail's words
put_password "not-the-password" 600
check --user demo@example.com --password-file "$pwfile"
assert_eq "a wrong password: exit 1" 1 "$CHECK_RC"
assert_true "RMail's refusal shown" grep -q 'FAILED (RMail refused the user name or password; HTTP 400)' "$out"
put_password "$pw" 644
check --user demo@example.com --password-file "$pwfile"
assert_eq "a password file others can read: exit 1" 1 "$CHECK_RC"
assert_true "it says chmod 600" grep -q 'chmod 600' "$out"
check --user demo@example.com
assert_eq "no terminal and no password file: exit 1" 1 "$CHECK_RC"
assert_true "it asks for --password-file" grep -q 'use --password-file' "$out"
check --user demo@example.com --password "$pw"
assert_eq "a password on the command line is refused: exit 2" 2 "$CHECK_RC"
assert_file_lacks "and not echoed back" "$pw" "$out"
check --password-file "$pwfile"
assert_eq "--user is required: exit 2" 2 "$CHECK_RC"
put_password "$pw" 600
check --user demo@example.com --password-file "$pwfile" --send-to "not an address"
assert_eq "--send-to needs an address: exit 2" 2 "$CHECK_RC"
