#!/usr/bin/env bash
# t_80_sso.sh - single sign-on through scanpost-ssod (DESIGN 3.4): consent
# stores, no consent stores nothing, a later launch signs in without typing,
# forget removes the row, a changed RMail password leads back to the sign-in
# and the new one replaces the row; the vault is ciphertext only and closed
# to every role but scanpost_sso; stale, replayed, forged, future,
# wrong-serial and unknown-device assertions are refused and audited; a row
# altered in the database counts as nothing stored.
#
# Uses the stack's device-sim (127.0.0.1:8081, serial 3TB123456, whose key
# is var/keys/sso-devices/3TB123456.key) with a device user of its own, and
# an rmail-sim account of its own (added to var/rmail/accounts for the run
# and removed after), so the demo accounts and other tests are untouched.
set -uo pipefail
. "$ROOT/tests/lib/assert.sh"
. "$ROOT/tests/lib/http.sh"

DEVICE_URL=${DEVICE_URL:-http://127.0.0.1:8081}
SERIAL=3TB123456
KEY_FILE=$ROOT/var/keys/sso-devices/$SERIAL.key
ACCOUNTS=$ROOT/var/rmail/accounts
NS_SES=http://www.xerox.com/webservices/office/cuisession/1

run_id=$(date +%s)$$
DUSER=t80-$run_id                  # the device user (the vault's identity)
RUSER=sso-$run_id@example.com      # the RMail account behind it
PW1=$(openssl rand -base64 18 | tr '+/' '-_')
PW2=$(openssl rand -base64 18 | tr '+/' '-_')

psql_q() { "$ROOT/stack" psql -XAt -v ON_ERROR_STOP=1 -c "$1" 2>&1; }
T0=$(psql_q "SELECT now()")

# ---- the rmail-sim account of this run ----------------------------------------
accounts_orig=$SP_TMP/accounts.orig
cp -p "$ACCOUNTS" "$accounts_orig"
rmail_hup() { kill -HUP "$(cat "$ROOT/var/run/rmail-sim.pid")"; }
set_account_password() { # PASSWORD: rewritten in place (owner and mode kept)
	{
		cat "$accounts_orig"
		printf '%s:%s\n' "$RUSER" "$1"
	} >"$ACCOUNTS"
	rmail_hup
}
cleanup() {
	cat "$accounts_orig" >"$ACCOUNTS" && rmail_hup
	device_config '{"user":null}' >/dev/null 2>&1
	rm -rf "$SP_TMP"
}
trap cleanup EXIT

# ---- the device: its logged-in user and its assertion ------------------------------
device_config() { # JSON
	curl -s -o /dev/null -w '%{http_code}' --max-time 10 -H 'Content-Type: application/json' \
		--data-binary "$1" "$DEVICE_URL/_sim/config"
}
# device_assertion: GetSessionInformation; sets DEV_A and DEV_S ("" without).
device_assertion() {
	local env='<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
	curl -s --max-time 10 -H 'Content-Type: text/xml; charset=utf-8' -H 'SOAPAction: ""' \
		--data-binary "$env<GetSessionInformationRequest xmlns=\"$NS_SES\"/></soap:Body></soap:Envelope>" \
		"$DEVICE_URL/webservices/office/cuisession/1" >"$SP_TMP/session.xml"
	# Information is an escaped XML document: &lt;ssoAssertion&gt;...&lt;/...
	DEV_A=$(grep -o 'ssoAssertion&gt;[A-Za-z0-9_-]*' "$SP_TMP/session.xml" | head -n 1 | sed 's/.*&gt;//')
	DEV_S=$(grep -o 'ssoSignature&gt;[A-Za-z0-9_-]*' "$SP_TMP/session.xml" | head -n 1 | sed 's/.*&gt;//')
}
device_obj() { # [ASSERTION SIGNATURE SERIAL]: the "device" object of a request
	jq -nc --arg a "${1:-$DEV_A}" --arg s "${2:-$DEV_S}" --arg n "${3:-$SERIAL}" \
		'{assertion: $a, signature: $s, serial: $n}'
}
b64url() { basenc --base64url | tr -d '=\n'; }
# craft USER SERIAL ISSUED_AT KEYHEX: an assertion signed by us, as a device
# holding KEYHEX would sign it; sets DEV_A and DEV_S.
craft() {
	local s="$1|$2|$3|$(openssl rand -hex 16)"
	DEV_A=$(printf '%s' "$s" | b64url)
	DEV_S=$(printf '%s' "$s" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$4" -binary | b64url)
}

# signin PASSWORD REMEMBER [DEVICE-JSON]: POST /api/v1/session; on 201 sets
# SP_COOKIE and SP_CSRF.
signin() {
	local body
	body=$(jq -nc --arg u "$RUSER" --arg p "$1" --argjson r "$2" '{username: $u, password: $p, remember: $r}')
	if [ -n "${3:-}" ]; then
		body=$(jq -c --argjson d "$3" '. + {device: $d}' <<<"$body")
	fi
	sso_post POST /api/v1/session "$body"
}
sso_post() { # METHOD PATH BODY [CURL ARGS]
	SP_COOKIE=
	SP_CSRF=
	sp_json "$@"
	if [ "$HTTP_STATUS" = 201 ]; then
		SP_COOKIE=$(http_header Set-Cookie | sed -n 's/^sp_session=\([^;]*\).*/\1/p')
		SP_CSRF=$(jq -r '.csrf_token // empty' "$HTTP_BODY" 2>/dev/null)
	fi
}
sso_launch() { # a later launch: a fresh assertion, POST /api/v1/session/sso
	device_assertion
	sso_post POST /api/v1/session/sso "$(jq -nc --argjson d "$(device_obj)" '{device: $d}')"
}
vault_rows() { psql_q "SELECT count(*) FROM scanpost.sso_vault WHERE identity = '$DUSER'"; }
audit_count() { # EVENT [EXTRA SQL CONDITION]
	psql_q "SELECT count(*) FROM scanpost.audit_events WHERE at >= '$T0' AND event = '$1' ${2:-}"
}
refused_audited() { # REASON: an sso_refused event for our user with REASON
	audit_count sso_refused "AND detail->>'reason' = '$1' AND detail->>'claimed_user' = '$DUSER'"
}

# ---- preconditions -----------------------------------------------------------------
assert_true "scanpost-ssod listens on var/run/ssod.sock" test -S "$ROOT/var/run/ssod.sock"
assert_true "the device-sim's SSO key file exists" test -s "$KEY_FILE"
KEYHEX=$(tr -d ' \n' <"$KEY_FILE")
assert_match "the device key is 64 hex digits" '^[0-9a-f]{64}$' "$KEYHEX"
set_account_password "$PW1"
for _ in $(seq 1 25); do
	signin "$PW1" false
	[ "$HTTP_STATUS" = 201 ] && break
	sleep 0.2
done
assert_status "the run's RMail account signs in" 201

# ---- no device user: no assertion, nothing stored ----------------------------------------
device_config '{"user":null}' >/dev/null
device_assertion
assert_eq "a guest session carries no assertion" "" "$DEV_A"
signin "$PW1" true
assert_status "remember without a device user signs in" 201
assert_json "remember without a device user: sso_stored false" .sso_stored false

assert_eq "device user logged in" 200 "$(device_config "$(jq -nc --arg u "$DUSER" '{user: $u, user_email: "t80@example.com"}')")"
device_assertion
assert_match "the device vouches for its user" '^[A-Za-z0-9_-]{40,}$' "$DEV_A"

# ---- no consent: nothing stored ---------------------------------------------------------
signin "$PW1" false "$(device_obj)"
assert_status "sign-in without consent 201" 201
assert_json "without consent: sso_stored false" .sso_stored false
assert_eq "without consent: no vault row" 0 "$(vault_rows)"
sso_launch
assert_error "a launch with nothing stored" 404 sso_not_stored

# ---- consent: stored, sealed --------------------------------------------------------------
device_assertion
signin "$PW1" true "$(device_obj)"
assert_status "sign-in with consent 201" 201
assert_json "with consent: sso_stored true" .sso_stored true
assert_eq "with consent: one vault row" 1 "$(vault_rows)"
assert_eq "sso_stored audited" 1 "$(audit_count sso_stored "AND actor = '$DUSER'")"

dump=$SP_TMP/dump.sql
vault_dump=$SP_TMP/vault.sql
if sp_pg_dump >"$dump" 2>"$SP_TMP/dump.err" &&
	sp_pg_dump --data-only -t scanpost.sso_vault >"$vault_dump" 2>>"$SP_TMP/dump.err"; then
	sp_pass "pg_dump of the database and of sso_vault"
	assert_true "the vault's dump has our row" grep -qF -- "$DUSER" "$vault_dump"
	assert_file_lacks "the dump lacks the stored password" "$PW1" "$dump"
	assert_file_lacks "the dump lacks the stored password in hex" \
		"$(printf '%s' "$PW1" | od -An -tx1 | tr -d ' \n')" "$dump"
	assert_file_lacks "the vault's dump lacks the RMail username" "$RUSER" "$vault_dump"
	assert_file_lacks "the vault's dump lacks the RMail username in hex" \
		"$(printf '%s' "$RUSER" | od -An -tx1 | tr -d ' \n')" "$vault_dump"
else
	sp_fail "pg_dump of the database and of sso_vault" "$(head -c 300 "$SP_TMP/dump.err")"
fi
for role in scanpost_api scanpost_readonly scanpost_sender; do
	out=$(psql_q "SET ROLE $role; SELECT count(*) FROM scanpost.sso_vault")
	assert_match "as $role, reading sso_vault is refused" 'permission denied' "$out"
	out=$(psql_q "SET ROLE $role; SELECT count(*) FROM scanpost.sso_nonces")
	assert_match "as $role, reading sso_nonces is refused" 'permission denied' "$out"
done
out=$(psql_q "SET ROLE scanpost_sso; SELECT count(*) FROM scanpost.sso_vault WHERE identity = '$DUSER'" | tail -n 1)
assert_eq "as scanpost_sso, the vault is readable" 1 "$out"

# ---- a later launch signs in with no typing -------------------------------------------------
sso_launch
assert_status "a later launch signs in" 201
assert_json "the launch's user is the stored RMail user" .user "$RUSER"
assert_json "the launch says sso" .sso true
assert_match "the launch sets the session cookie" '^.{16,}$' "$SP_COOKIE"
assert_jq "the answer holds no password" '[.. | strings] | all(. != "'"$PW1"'")'
sp_req GET /api/v1/session -H "Cookie: sp_session=$SP_COOKIE"
assert_status "the SSO session is a session" 200
assert_eq "sso_used audited" 1 "$(audit_count sso_used "AND actor = '$DUSER'")"
assert_eq "the row's last use is recorded" t \
	"$(psql_q "SELECT last_used_at IS NOT NULL FROM scanpost.sso_vault WHERE identity = '$DUSER'")"
launched_a=$DEV_A
launched_s=$DEV_S

# ---- refused assertions ----------------------------------------------------------------------
sso_post POST /api/v1/session/sso "$(jq -nc --argjson d "$(device_obj "$launched_a" "$launched_s")" '{device: $d}')"
assert_error "a replayed assertion" 403 sso_assertion_refused
assert_eq "the replay is audited" 1 "$(refused_audited replayed)"

device_assertion
if [ "${DEV_S:0:1}" = A ]; then forged_s=B${DEV_S:1}; else forged_s=A${DEV_S:1}; fi
sso_post POST /api/v1/session/sso "$(jq -nc --argjson d "$(device_obj "$DEV_A" "$forged_s")" '{device: $d}')"
assert_error "a forged signature" 403 sso_assertion_refused
assert_eq "the forgery is audited" 1 "$(refused_audited forged)"

craft "$DUSER" "$SERIAL" "$(date +%s)" "$(openssl rand -hex 32)"
sso_post POST /api/v1/session/sso "$(jq -nc --argjson d "$(device_obj)" '{device: $d}')"
assert_error "an assertion signed with another key" 403 sso_assertion_refused
assert_eq "another key's signature is audited as forged" 2 "$(refused_audited forged)"

device_assertion
sso_post POST /api/v1/session/sso "$(jq -nc --argjson d "$(device_obj "$DEV_A" "$DEV_S" OTHER-1)" '{device: $d}')"
assert_error "a genuine assertion presented for another serial" 403 sso_assertion_refused
assert_eq "the wrong serial is audited" 1 "$(refused_audited wrong_serial)"

craft "$DUSER" "$SERIAL" "$(($(date +%s) - 120))" "$KEYHEX"
sso_post POST /api/v1/session/sso "$(jq -nc --argjson d "$(device_obj)" '{device: $d}')"
assert_error "an assertion issued 120 s ago" 403 sso_assertion_refused
assert_eq "the stale assertion is audited" 1 "$(refused_audited stale)"

craft "$DUSER" "$SERIAL" "$(($(date +%s) + 120))" "$KEYHEX"
sso_post POST /api/v1/session/sso "$(jq -nc --argjson d "$(device_obj)" '{device: $d}')"
assert_error "an assertion issued 120 s ahead" 403 sso_assertion_refused
assert_eq "the future assertion is audited" 1 "$(refused_audited future)"

craft "$DUSER" "NOKEY-$run_id" "$(date +%s)" "$KEYHEX"
sso_post POST /api/v1/session/sso "$(jq -nc --argjson d "$(device_obj "$DEV_A" "$DEV_S" "NOKEY-$run_id")" '{device: $d}')"
assert_error "an assertion of a device without a key" 403 sso_assertion_refused
assert_eq "the unknown device is audited" 1 "$(refused_audited unknown_device)"

craft "$DUSER" "$SERIAL" "$(date +%s)" "$KEYHEX"
assert_match "our own crafting matches the device's" '^[A-Za-z0-9_-]+$' "$DEV_A"
sso_post POST /api/v1/session/sso "$(jq -nc --argjson d "$(device_obj)" '{device: $d}')"
assert_status "a fresh assertion crafted with the device key is accepted" 201

# ---- validation ----------------------------------------------------------------------------
sp_json POST /api/v1/session/sso '{}'
assert_error "session/sso without device" 400
device_assertion
sp_json POST /api/v1/session/sso "$(jq -nc --argjson d "$(device_obj)" '{device: $d, admin: true}')"
assert_error "session/sso with an unknown key" 400
sp_json POST /api/v1/session/sso "$(jq -nc --argjson d "$(device_obj)" '{device: ($d + {extra: 1})}')"
assert_error "a device object with an unknown key" 400
sp_json POST /api/v1/session/sso '{"device": "yes"}'
assert_error "a device that is no object" 400
signin "$PW1" true '{"assertion":"YWJj","signature":"short","serial":"3TB123456"}'
assert_error "sign-in with a malformed device signature" 400

# ---- the RMail password changed: back to the sign-in, the entry replaced ---------------------------
set_account_password "$PW2"
for _ in $(seq 1 25); do
	signin "$PW1" false
	[ "$HTTP_STATUS" = 401 ] && break
	sleep 0.2
done
assert_error "the old password no longer works at RMail" 401 rmail_auth_failed
sso_launch
assert_error "a launch with stale stored credentials" 401 sso_credentials_refused
assert_eq "no cookie when the stored credentials are refused" "" "$(http_header Set-Cookie)"
assert_eq "sso_credentials_refused audited" 1 "$(audit_count sso_credentials_refused "AND actor = '$DUSER'")"
assert_eq "the refused row is kept until replaced" 1 "$(vault_rows)"
sealed_before=$(psql_q "SELECT md5(sealed) FROM scanpost.sso_vault WHERE identity = '$DUSER'")
device_assertion
signin "$PW2" true "$(device_obj)"
assert_status "signing in again with the new password" 201
assert_json "the new password is stored" .sso_stored true
assert_ne "the vault row was replaced" "$sealed_before" \
	"$(psql_q "SELECT md5(sealed) FROM scanpost.sso_vault WHERE identity = '$DUSER'")"
sso_launch
assert_status "the next launch signs in with the new password" 201

# ---- a vault row altered in the database: nothing stored -----------------------------------------
psql_q "UPDATE scanpost.sso_vault SET sealed = set_byte(sealed, 20, get_byte(sealed, 20) # 1) WHERE identity = '$DUSER'" >/dev/null
sso_launch
assert_error "a launch over an altered row" 404 sso_not_stored
assert_eq "the unreadable row is audited" 1 "$(audit_count sso_vault_unreadable "AND actor = '$DUSER'")"
device_assertion
signin "$PW2" true "$(device_obj)"
assert_json "a new sign-in with consent replaces the altered row" .sso_stored true
sso_launch
assert_status "and the launch works again" 201

# A row sealed for another identity, moved into ours, does not open either:
# the identity is the associated data.
DUSER2=$DUSER-b
device_config "$(jq -nc --arg u "$DUSER2" '{user: $u}')" >/dev/null
device_assertion
signin "$PW2" true "$(device_obj)"
assert_json "a second device user stores the same account" .sso_stored true
psql_q "UPDATE scanpost.sso_vault v SET kid = o.kid, sealed = o.sealed FROM scanpost.sso_vault o
	WHERE v.identity = '$DUSER' AND o.identity = '$DUSER2'" >/dev/null
device_config "$(jq -nc --arg u "$DUSER" '{user: $u}')" >/dev/null
sso_launch
assert_error "a launch over a row moved from another identity" 404 sso_not_stored
assert_eq "the moved row is audited as unreadable" 2 "$(audit_count sso_vault_unreadable "AND actor = '$DUSER'")"
"$ROOT/stack" scanpostctl sso forget "$DUSER2" >/dev/null 2>&1
device_assertion
signin "$PW2" true "$(device_obj)"
assert_json "stored again" .sso_stored true

# ---- forget ---------------------------------------------------------------------------------------
sso_launch
assert_status "signed in by SSO before forgetting" 201
cookie=$SP_COOKIE
csrf=$SP_CSRF
device_assertion
forget_body=$(jq -nc --argjson d "$(device_obj)" '{device: $d}')
sp_json DELETE /api/v1/session/sso "$forget_body"
assert_error "forget without a session" 401
sp_json DELETE /api/v1/session/sso "$forget_body" -H "Cookie: sp_session=$cookie"
assert_error "forget without X-CSRF-Token" 403
assert_eq "the row survives the refused forgets" 1 "$(vault_rows)"
sp_json DELETE /api/v1/session/sso "$forget_body" -H "Cookie: sp_session=$cookie" -H "X-CSRF-Token: $csrf"
assert_status "forget my stored sign-in: 204" 204
assert_eq "forget removes the row" 0 "$(vault_rows)"
assert_eq "sso_forgotten audited" 1 "$(audit_count sso_forgotten "AND actor = '$DUSER'")"
device_assertion
sp_json DELETE /api/v1/session/sso "$(jq -nc --argjson d "$(device_obj)" '{device: $d}')" \
	-H "Cookie: sp_session=$cookie" -H "X-CSRF-Token: $csrf"
assert_error "forget again" 404 sso_not_stored
sso_launch
assert_error "a launch after forget" 404 sso_not_stored
sp_req DELETE /api/v1/session -H "Cookie: sp_session=$cookie" -H "X-CSRF-Token: $csrf"

# ---- scanpostctl sso ----------------------------------------------------------------------------------
key_sum=$(sha256sum "$KEY_FILE")
"$ROOT/stack" scanpostctl sso exchange-key "$SERIAL" >"$SP_TMP/ctl.out" 2>&1
assert_eq "exchange-key refuses to overwrite without --force" 1 "$?"
assert_eq "the device key is unchanged" "$key_sum" "$(sha256sum "$KEY_FILE")"
"$ROOT/stack" scanpostctl sso list-devices >"$SP_TMP/ctl.out" 2>&1
assert_true "list-devices lists the device-sim" grep -q "^$SERIAL " "$SP_TMP/ctl.out"

tmp_serial=T80-$run_id
"$ROOT/stack" scanpostctl sso exchange-key "$tmp_serial" >"$SP_TMP/ctl.out" 2>"$SP_TMP/ctl.err"
assert_eq "exchange-key for a new device" 0 "$?"
tmp_key=$(grep -E '^[0-9a-f]{64}$' "$SP_TMP/ctl.out")
assert_eq "the printed key is the key file's" "$tmp_key" \
	"$(tr -d '\n' <"$ROOT/var/keys/sso-devices/$tmp_serial.key")"
assert_eq "the new key file is 0600" 600 "$(stat -c %a "$ROOT/var/keys/sso-devices/$tmp_serial.key")"
assert_file_lacks "exchange-key logs no key" "$tmp_key" "$SP_TMP/ctl.err"
craft "$DUSER" "$tmp_serial" "$(date +%s)" "$tmp_key"
sso_post POST /api/v1/session/sso "$(jq -nc --argjson d "$(device_obj "$DEV_A" "$DEV_S" "$tmp_serial")" '{device: $d}')"
assert_error "the new device's assertion is accepted (nothing stored)" 404 sso_not_stored
"$ROOT/stack" scanpostctl sso revoke-device "$tmp_serial" >/dev/null 2>&1
assert_eq "revoke-device" 0 "$?"
assert_false "the revoked key file is gone" test -e "$ROOT/var/keys/sso-devices/$tmp_serial.key"
craft "$DUSER" "$tmp_serial" "$(date +%s)" "$tmp_key"
sso_post POST /api/v1/session/sso "$(jq -nc --argjson d "$(device_obj "$DEV_A" "$DEV_S" "$tmp_serial")" '{device: $d}')"
assert_error "the revoked device's assertion is refused" 403 sso_assertion_refused

device_assertion
signin "$PW2" true "$(device_obj)"
assert_json "stored once more, for the admin's forget" .sso_stored true
"$ROOT/stack" scanpostctl sso forget "$DUSER" >/dev/null 2>&1
assert_eq "scanpostctl sso forget" 0 "$?"
assert_eq "the admin's forget removes the row" 0 "$(vault_rows)"
"$ROOT/stack" scanpostctl sso forget "$DUSER" >/dev/null 2>&1
assert_eq "forgetting nothing fails" 1 "$?"

# ---- no secret in the logs -------------------------------------------------------------------------
for log in scanpost-ssod scanpost-api; do
	assert_file_lacks "$log.log lacks the first password" "$PW1" "$ROOT/var/log/$log.log"
	assert_file_lacks "$log.log lacks the second password" "$PW2" "$ROOT/var/log/$log.log"
done
assert_file_lacks "scanpost-api.log lacks the device signature" "$launched_s" "$ROOT/var/log/scanpost-api.log"
assert_file_lacks "scanpost-ssod.log lacks the device signature" "$launched_s" "$ROOT/var/log/scanpost-ssod.log"
