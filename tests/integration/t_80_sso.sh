#!/usr/bin/env bash
# t_80_sso.sh - single sign-on through scanpost-ssod (DESIGN 3.4), with the
# proof a real printer has: the security token of its logged-in user
# (GetSecurityTokenRequest, Xerox's XrxSession.js), a SAML 2.0 assertion
# signed by the site's identity provider.
#
# The device-sim hands out tokens signed by the stack's stand-in provider
# (var/sso-idp/idp.key); this test also signs its own with the xmlsec1 tool
# (not our code), with that key and with a key of its own, to make tokens
# that are stale, early, forged, for another issuer or another printer.
# Checked: a token becomes a ticket once (a replay is refused); consent
# stores, no consent stores nothing, a later launch signs in without
# typing, forget removes the row; another RMail account never replaces the
# stored one; a changed RMail password leads back to the sign-in and the
# new one replaces the row; the vault is ciphertext only and closed to
# every role but scanpost_sso; each refusal is audited with its reason; a
# row altered in the database counts as nothing stored; scanpostctl sso.
#
# Uses the stack's device-sim (127.0.0.1:8081, serial 3TB123456) with device
# users of its own, and an rmail-sim account of its own (added to
# var/rmail/accounts for the run and removed after).
set -uo pipefail
. "$ROOT/tests/lib/assert.sh"
. "$ROOT/tests/lib/http.sh"

DEVICE_URL=${DEVICE_URL:-http://127.0.0.1:8081}
SERIAL=3TB123456
IDP_KEY=$SP_VAR/sso-idp/idp.key
IDP_CRT=$SP_VAR/sso-idp/idp.crt
ACCOUNTS=$SP_VAR/rmail/accounts
NS_SES=http://www.xerox.com/webservices/office/cuisession/1
ISSUER=$(sed -n 's/^sso_idp_issuer = //p' "$SP_VAR/ssod.conf")
AUDIENCE=$(sed -n 's/^sso_audience = //p' "$SP_VAR/ssod.conf")

run_id=$(date +%s)$$
DUSER=t80-$run_id@example.test   # the device user (the token's NameID)
RUSER=sso-$run_id@example.com    # the RMail account behind it
PW1=$(openssl rand -base64 18 | tr '+/' '-_')
PW2=$(openssl rand -base64 18 | tr '+/' '-_')
OTHER_RUSER=other@example.com
OTHER_PW=$(cat "$SP_VAR/other-password")
OTHER_SERIAL=T80-$run_id

psql_q() { sp_psql -XAt -v ON_ERROR_STOP=1 -c "$1" 2>&1; }
ctl() { "$SCANPOSTCTL" "$@"; }
T0=$(psql_q "SELECT now()")

# ---- the rmail-sim account of this run ----------------------------------------
accounts_orig=$SP_TMP/accounts.orig
cp -p "$ACCOUNTS" "$accounts_orig"
rmail_hup() { kill -HUP "$(cat "$SP_VAR/run/rmail-sim.pid")"; }
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
	ctl sso remove-device "$OTHER_SERIAL" >/dev/null 2>&1
	rm -rf "$SP_TMP"
}
trap cleanup EXIT

# ---- the printer -------------------------------------------------------------------
device_config() { # JSON
	curl -s -o /dev/null -w '%{http_code}' --max-time 10 -H 'Content-Type: application/json' \
		--data-binary "$1" "$DEVICE_URL/_sim/config"
}
# device_login USER: a person logs in at the printer (a new login session).
device_login() {
	device_config "$(jq -nc --arg u "$1" '{user: $u, user_email: "t80@example.com"}')" >/dev/null
}
# device_token: GetSecurityToken as the weblet sends it, with what the api
# names at GET /api/v1/session/sso/ticket; sets DEV_T ("" on a fault).
device_token() {
	local env='<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
	local key_b64
	key_b64=$(printf '%s' "$SSO_KEY" | base64 -w0)
	curl -s --max-time 10 -H 'Content-Type: text/xml; charset=utf-8' -H 'SOAPAction: ""' \
		--data-binary "$env<GetSecurityTokenRequest xmlns=\"$NS_SES\"><ServiceProvider>$SSO_PROVIDER</ServiceProvider><SecurityTokenKey>$key_b64</SecurityTokenKey></GetSecurityTokenRequest></soap:Body></soap:Envelope>" \
		"$DEVICE_URL/webservices/office/cuisession/1" >"$SP_TMP/token.xml"
	DEV_T=$(sed -n 's/.*<SecurityToken>\([A-Za-z0-9+\/=]*\)<\/SecurityToken>.*/\1/p' "$SP_TMP/token.xml")
}

# craft KEY CRT NAMEID [ISSUER AUDIENCE ISSUED NOT_BEFORE NOT_AFTER] (times as
# offsets in seconds from now): a token signed by the xmlsec1 tool; sets DEV_T.
craft() {
	local now id
	now=$(date +%s)
	id=_t80$(openssl rand -hex 16)
	at() { date -u -d "@$((now + $1))" +%Y-%m-%dT%H:%M:%SZ; }
	cat >"$SP_TMP/tmpl.xml" <<EOF
<Assertion xmlns="urn:oasis:names:tc:SAML:2.0:assertion" ID="$id" IssueInstant="$(at "${6:-0}")" Version="2.0"><Issuer>${4:-$ISSUER}</Issuer><Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo><CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><Reference URI="#$id"><Transforms><Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></Transforms><DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><DigestValue/></Reference></SignedInfo><SignatureValue/><KeyInfo><X509Data><X509Certificate/></X509Data></KeyInfo></Signature><Subject><NameID>$3</NameID><SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><SubjectConfirmationData NotOnOrAfter="$(at "${8:-3600}")"/></SubjectConfirmation></Subject><Conditions NotBefore="$(at "${7:--300}")" NotOnOrAfter="$(at "${8:-3600}")"><AudienceRestriction><Audience>${5:-$AUDIENCE}</Audience></AudienceRestriction></Conditions></Assertion>
EOF
	xmlsec1 --sign --privkey-pem "$1,$2" --id-attr:ID urn:oasis:names:tc:SAML:2.0:assertion:Assertion \
		--output "$SP_TMP/signed.xml" "$SP_TMP/tmpl.xml" 2>"$SP_TMP/xmlsec1.err" || {
		sp_fail "xmlsec1 signs a crafted token" "$(head -c 300 "$SP_TMP/xmlsec1.err")"
		DEV_T=
		return
	}
	DEV_T=$(base64 -w0 "$SP_TMP/signed.xml")
}

# ---- the api ---------------------------------------------------------------------
sso_post() { # METHOD PATH BODY [CURL ARGS]
	SP_COOKIE=
	SP_CSRF=
	sp_json "$@"
	if [ "$HTTP_STATUS" = 201 ]; then
		SP_COOKIE=$(http_header Set-Cookie | sed -n 's/^__Host-sp_session=\([^;]*\).*/\1/p')
		SP_CSRF=$(jq -r '.csrf_token // empty' "$HTTP_BODY" 2>/dev/null)
	fi
}
# ticket_for TOKEN [SERIAL]: POST /api/v1/session/sso/ticket; sets TICKET.
ticket_for() {
	sp_json POST /api/v1/session/sso/ticket \
		"$(jq -nc --arg t "$1" --arg s "${2:-$SERIAL}" '{device: {serial: $s, security_token: $t}}')"
	TICKET=$(jq -r '.sso_ticket // empty' "$HTTP_BODY" 2>/dev/null)
}
tdev() { jq -nc --arg t "${1:-$TICKET}" '{ticket: $t}'; }
# signin PASSWORD REMEMBER [DEVICE-JSON [USER]]: POST /api/v1/session.
signin() {
	local body
	body=$(jq -nc --arg u "${4:-$RUSER}" --arg p "$1" --argjson r "$2" \
		'{username: $u, password: $p, remember: $r}')
	if [ -n "${3:-}" ]; then
		body=$(jq -c --argjson d "$3" '. + {device: $d}' <<<"$body")
	fi
	sso_post POST /api/v1/session "$body"
}
# launch: a person logs in at the printer and opens the app: a new token,
# its ticket, POST /api/v1/session/sso.
launch() {
	device_login "${1:-$DUSER}"
	device_token
	ticket_for "$DEV_T"
	sso_post POST /api/v1/session/sso "$(jq -nc --argjson d "$(tdev)" '{device: $d}')"
}
vault_rows() { psql_q "SELECT count(*) FROM scanpost.sso_vault WHERE identity = '${1:-$DUSER}'"; }
sealed_md5() { psql_q "SELECT md5(sealed) FROM scanpost.sso_vault WHERE identity = '$DUSER'"; }
audit_count() { # EVENT [EXTRA SQL CONDITION]
	psql_q "SELECT count(*) FROM scanpost.audit_events WHERE at >= '$T0' AND event = '$1' ${2:-}"
}
refused_audited() { # REASON [CLAIMED]: sso_refused events with REASON (and CLAIMED)
	audit_count sso_refused "AND detail->>'reason' = '$1' ${2:+AND detail->>'claimed_user' = '$2'}"
}

# ---- preconditions -----------------------------------------------------------------
assert_true "scanpost-ssod listens on var/run/ssod.sock" test -S "$SP_VAR/run/ssod.sock"
assert_true "xmlsec1 is there to sign test tokens" command -v xmlsec1
assert_match "the stack names an issuer" '^https://' "$ISSUER"
sp_req GET /api/v1/session/sso/ticket
assert_status "GET /api/v1/session/sso/ticket names what to ask the printer for" 200
SSO_PROVIDER=$(jq -r .service_provider "$HTTP_BODY")
SSO_KEY=$(jq -r .security_token_key "$HTTP_BODY")
assert_eq "the service provider is the one Xerox's own app asks for" Office365 "$SSO_PROVIDER"
assert_match "a security token key is named" '^.{8,}$' "$SSO_KEY"
set_account_password "$PW1"
for _ in $(seq 1 25); do
	signin "$PW1" false
	[ "$HTTP_STATUS" = 201 ] && break
	sleep 0.2
done
assert_status "the run's RMail account signs in" 201

# ---- no device user: no token, nothing stored ------------------------------------
device_config '{"user":null}' >/dev/null
device_token
assert_eq "a guest session has no security token" "" "$DEV_T"
assert_true "the printer answers a fault" grep -q 'Fault' "$SP_TMP/token.xml"
signin "$PW1" true
assert_status "remember without a device user signs in" 201
assert_json "remember without a device user: sso_stored false" .sso_stored false

# ---- a token becomes a ticket, once ------------------------------------------------
device_login "$DUSER"
device_token
assert_match "the printer hands out its user's token" '^[A-Za-z0-9+/]{200,}=*$' "$DEV_T"
first_token=$DEV_T
ticket_for "$DEV_T"
assert_status "the token is exchanged for a ticket" 201
assert_json "the ticket names the token's subject" .device_user "$DUSER"
assert_match "a ticket" '^[a-z0-9-]+\.[A-Za-z0-9_-]+$' "$TICKET"
assert_file_lacks "the ticket does not show whom it names" "$DUSER" <(printf '%s' "$TICKET")
first_ticket=$TICKET
ticket_for "$first_token"
assert_error "the same token twice" 403 sso_assertion_refused
assert_eq "the replay is audited" 1 "$(refused_audited replayed "$DUSER")"
device_token
assert_eq "the same login session hands out the same token" "$first_token" "$DEV_T"
TICKET=$first_ticket

# ---- no consent: nothing stored -------------------------------------------------------
signin "$PW1" false "$(tdev)"
assert_status "sign-in without consent 201" 201
assert_json "without consent: sso_stored false" .sso_stored false
assert_eq "without consent: no vault row" 0 "$(vault_rows)"
sso_post POST /api/v1/session/sso "$(jq -nc --argjson d "$(tdev)" '{device: $d}')"
assert_error "signing in with the ticket, nothing stored" 404 sso_not_stored

# ---- consent: stored, sealed ------------------------------------------------------------
signin "$PW1" true "$(tdev)"
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
	for table in sso_vault sso_token_uses; do
		out=$(psql_q "SET ROLE $role; SELECT count(*) FROM scanpost.$table")
		assert_match "as $role, reading $table is refused" 'permission denied' "$out"
	done
done
for role in scanpost_api scanpost_sender; do
	out=$(psql_q "SET ROLE $role; SELECT count(*) FROM scanpost.sso_devices")
	assert_match "as $role, reading sso_devices is refused" 'permission denied' "$out"
done
out=$(psql_q "SET ROLE scanpost_readonly; SELECT count(*) FROM scanpost.sso_devices WHERE serial = '$SERIAL'" | tail -n 1)
assert_eq "a DBA sees which printers may sign people in" 1 "$out"
out=$(psql_q "SET ROLE scanpost_sso; SELECT count(*) FROM scanpost.sso_vault WHERE identity = '$DUSER'" | tail -n 1)
assert_eq "as scanpost_sso, the vault is readable" 1 "$out"
out=$(psql_q "SET ROLE scanpost_sso; INSERT INTO scanpost.sso_devices (serial) VALUES ('EVIL-1')")
assert_match "scanpost_sso cannot register printers" 'permission denied' "$out"

# ---- a later launch signs in with no typing ---------------------------------------------
launch
assert_status "a later launch signs in" 201
assert_json "the launch's user is the stored RMail user" .user "$RUSER"
assert_json "the launch says sso" .sso true
assert_match "the launch sets the session cookie" '^.{16,}$' "$SP_COOKIE"
assert_jq "the answer holds no password" '[.. | strings] | all(. != "'"$PW1"'")'
sp_req GET /api/v1/session -H "Cookie: __Host-sp_session=$SP_COOKIE"
assert_status "the SSO session is a session" 200
assert_eq "sso_used audited" 1 "$(audit_count sso_used "AND actor = '$DUSER'")"
assert_eq "the row's last use is recorded" t \
	"$(psql_q "SELECT last_used_at IS NOT NULL FROM scanpost.sso_vault WHERE identity = '$DUSER'")"
launched_token=$DEV_T
launched_ticket=$TICKET

# ---- refused tokens ---------------------------------------------------------------------------
ticket_for "$launched_token"
assert_error "a replayed token" 403 sso_assertion_refused
assert_eq "the replayed launch token is audited" 2 "$(refused_audited replayed "$DUSER")"

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$SP_TMP/evil.key" -out "$SP_TMP/evil.crt" \
	-days 1 -subj "/CN=not the site's identity provider" 2>/dev/null
craft "$SP_TMP/evil.key" "$SP_TMP/evil.crt" "$DUSER"
ticket_for "$DEV_T"
assert_error "a token signed by another key (its certificate in KeyInfo)" 403 sso_assertion_refused
assert_eq "the forgery is audited, naming nobody" 1 "$(refused_audited forged)"

device_login "$DUSER"
device_token
altered=$(printf '%s' "$DEV_T" | base64 -d | sed "s|$DUSER|boss-$run_id@example.test|" | base64 -w0)
ticket_for "$altered"
assert_error "a genuine token with its subject changed" 403 sso_assertion_refused
assert_eq "the altered token is audited as forged" 2 "$(refused_audited forged)"

craft "$IDP_KEY" "$IDP_CRT" "$DUSER" "https://evil.example.test/"
ticket_for "$DEV_T"
assert_error "a token of another issuer" 403 sso_assertion_refused
assert_eq "the other issuer is audited" 1 "$(refused_audited wrong_issuer "$DUSER")"

craft "$IDP_KEY" "$IDP_CRT" "$DUSER" "$ISSUER" "$AUDIENCE" -7200 -7500 86400
ticket_for "$DEV_T"
assert_error "a token issued two hours ago" 403 sso_assertion_refused
craft "$IDP_KEY" "$IDP_CRT" "$DUSER" "$ISSUER" "$AUDIENCE" -900 -1200 -300
ticket_for "$DEV_T"
assert_error "an expired token" 403 sso_assertion_refused
assert_eq "stale tokens are audited" 2 "$(refused_audited stale "$DUSER")"

craft "$IDP_KEY" "$IDP_CRT" "$DUSER" "$ISSUER" "$AUDIENCE" 0 600
ticket_for "$DEV_T"
assert_error "a token not valid for ten more minutes" 403 sso_assertion_refused
assert_eq "the early token is audited" 1 "$(refused_audited future "$DUSER")"

ctl sso add-device "$OTHER_SERIAL" --audience "urn:scanpost:t80:$run_id" >"$SP_TMP/ctl.out" 2>&1
assert_eq "scanpostctl sso add-device with an audience of its own" 0 "$?"
craft "$IDP_KEY" "$IDP_CRT" "$DUSER" "$ISSUER" "urn:scanpost:t80:$run_id"
other_device_token=$DEV_T
ticket_for "$other_device_token"
assert_error "another printer's token presented by this one" 403 sso_assertion_refused
device_login "$DUSER"
device_token
ticket_for "$DEV_T" "$OTHER_SERIAL"
assert_error "this printer's token presented as another one" 403 sso_assertion_refused
assert_eq "both are audited as another audience" 2 "$(refused_audited wrong_audience "$DUSER")"
ticket_for "$other_device_token" "$OTHER_SERIAL"
assert_status "the other printer's token, from it, is accepted" 201

craft "$IDP_KEY" "$IDP_CRT" "$DUSER"
ticket_for "$DEV_T" "NOTREG-$run_id"
assert_error "a token from a printer that is not registered" 403 sso_assertion_refused
assert_eq "the unknown device is audited" 1 \
	"$(audit_count sso_refused "AND detail->>'reason' = 'unknown_device' AND detail->>'serial' = 'NOTREG-$run_id'")"

ticket_for "bm90IGEgU0FNTCBhc3NlcnRpb24="
assert_error "a token that is no SAML assertion" 403 sso_assertion_refused
sso_post POST /api/v1/session/sso '{"device": {"ticket": "k1.bm90LWEtdGlja2V0"}}'
assert_error "a ticket of nobody's making" 403 sso_assertion_refused
assert_eq "the bad ticket is audited" 1 "$(refused_audited ticket_invalid)"

craft "$IDP_KEY" "$IDP_CRT" "$DUSER"
ticket_for "$DEV_T"
assert_status "a fresh token signed with the provider's key (by another tool) is accepted" 201

# ---- another person ----------------------------------------------------------------------------
BUSER=t80b-$run_id@example.test
craft "$IDP_KEY" "$IDP_CRT" "$BUSER"
ticket_for "$DEV_T"
b_ticket=$TICKET
sso_post POST /api/v1/session/sso "$(jq -nc --argjson d "$(tdev "$b_ticket")" '{device: $d}')"
assert_error "another person's token does not open the stored sign-in" 404 sso_not_stored
signin "$OTHER_PW" false "" "$OTHER_RUSER"
sp_json DELETE /api/v1/session/sso "$(jq -nc --argjson d "$(tdev "$b_ticket")" '{device: $d}')" \
	-H "Cookie: __Host-sp_session=$SP_COOKIE" -H "X-CSRF-Token: $SP_CSRF"
assert_error "another person's ticket forgets nothing of ours" 404 sso_not_stored
assert_eq "our row is untouched" 1 "$(vault_rows)"

# ---- another RMail account never replaces the stored one -------------------------------------------
before=$(sealed_md5)
TICKET=$launched_ticket
signin "$OTHER_PW" true "$(tdev)" "$OTHER_RUSER"
assert_status "signing in with another RMail account still signs in" 201
assert_json "that account is not stored" .sso_stored false
assert_json "and the answer says why" .sso_error.code sso_other_account
assert_eq "the stored sign-in is unchanged" "$before" "$(sealed_md5)"
assert_eq "the refusal is audited" 1 \
	"$(audit_count sso_store_refused "AND actor = '$DUSER' AND detail->>'reason' = 'other_account'")"
launch
assert_json "the next launch is still the stored account" .user "$RUSER"

# ---- validation ----------------------------------------------------------------------------------
sp_json POST /api/v1/session/sso/ticket '{}'
assert_error "ticket without device" 400
sp_json POST /api/v1/session/sso/ticket '{"device": {"serial": "3TB123456"}}'
assert_error "ticket without a token" 400
sp_json POST /api/v1/session/sso/ticket "$(jq -nc '{device: {serial: "3TB123456", security_token: "QUJD", extra: 1}}')"
assert_error "a device object with an unknown key" 400
sp_json POST /api/v1/session/sso/ticket '{"device": {"serial": "../../x", "security_token": "QUJD"}}'
assert_error "a serial that is none" 403 sso_assertion_refused
sp_json POST /api/v1/session/sso '{}'
assert_error "session/sso without device" 400
sp_json POST /api/v1/session/sso "$(jq -nc --argjson d "$(tdev)" '{device: $d, admin: true}')"
assert_error "session/sso with an unknown key" 400
sp_json POST /api/v1/session/sso '{"device": {"serial": "3TB123456", "security_token": "QUJD"}}'
assert_error "session/sso takes a ticket, not a token" 400
sp_json POST /api/v1/session/sso '{"device": "yes"}'
assert_error "a device that is no object" 400
signin "$PW1" true '{"ticket": ""}'
assert_error "sign-in with an empty ticket" 400

# ---- the RMail password changed: back to the sign-in, the entry replaced -----------------------------
set_account_password "$PW2"
for _ in $(seq 1 25); do
	signin "$PW1" false
	[ "$HTTP_STATUS" = 401 ] && break
	sleep 0.2
done
assert_error "the old password no longer works at RMail" 401 rmail_auth_failed
launch
assert_error "a launch with stale stored credentials" 401 sso_credentials_refused
assert_eq "no cookie when the stored credentials are refused" "" "$(http_header Set-Cookie)"
assert_eq "sso_credentials_refused audited" 1 "$(audit_count sso_credentials_refused "AND actor = '$DUSER'")"
assert_eq "the refused row is kept until replaced" 1 "$(vault_rows)"
before=$(sealed_md5)
signin "$PW2" true "$(tdev)"
assert_status "signing in again with the new password (same visit, same ticket)" 201
assert_json "the new password is stored" .sso_stored true
assert_ne "the vault row was replaced" "$before" "$(sealed_md5)"
launch
assert_status "the next launch signs in with the new password" 201

# ---- a vault row altered in the database: nothing stored ---------------------------------------------
psql_q "UPDATE scanpost.sso_vault SET sealed = set_byte(sealed, 20, get_byte(sealed, 20) # 1) WHERE identity = '$DUSER'" >/dev/null
launch
assert_error "a launch over an altered row" 404 sso_not_stored
assert_eq "the unreadable row is audited" 1 "$(audit_count sso_vault_unreadable "AND actor = '$DUSER'")"
signin "$PW2" true "$(tdev)"
assert_json "a new sign-in with consent replaces the unreadable row" .sso_stored true
assert_eq "the replaced unreadable row is audited too" 2 \
	"$(audit_count sso_vault_unreadable "AND actor = '$DUSER'")"
launch
assert_status "and the launch works again" 201

# A row sealed for another identity, moved into ours, does not open either:
# the identity is the associated data.
signin "$PW2" true "$(tdev "$b_ticket")"
assert_json "a second person stores the same account" .sso_stored true
psql_q "UPDATE scanpost.sso_vault v SET kid = o.kid, sealed = o.sealed FROM scanpost.sso_vault o
	WHERE v.identity = '$DUSER' AND o.identity = '$BUSER'" >/dev/null
launch
assert_error "a launch over a row moved from another identity" 404 sso_not_stored
assert_eq "the moved row is audited as unreadable" 3 "$(audit_count sso_vault_unreadable "AND actor = '$DUSER'")"
ctl sso forget "$BUSER" >/dev/null 2>&1
signin "$PW2" true "$(tdev)"
assert_json "stored again" .sso_stored true

# ---- forget ---------------------------------------------------------------------------------------
launch
assert_status "signed in by SSO before forgetting" 201
cookie=$SP_COOKIE
csrf=$SP_CSRF
forget_body=$(jq -nc --argjson d "$(tdev)" '{device: $d}')
sp_json DELETE /api/v1/session/sso "$forget_body"
assert_error "forget without a session" 401
sp_json DELETE /api/v1/session/sso "$forget_body" -H "Cookie: __Host-sp_session=$cookie"
assert_error "forget without X-CSRF-Token" 403
assert_eq "the row survives the refused forgets" 1 "$(vault_rows)"
sp_json DELETE /api/v1/session/sso "$forget_body" -H "Cookie: __Host-sp_session=$cookie" -H "X-CSRF-Token: $csrf"
assert_status "forget my stored sign-in: 204" 204
assert_eq "forget removes the row" 0 "$(vault_rows)"
assert_eq "sso_forgotten audited" 1 "$(audit_count sso_forgotten "AND actor = '$DUSER'")"
sp_json DELETE /api/v1/session/sso "$forget_body" -H "Cookie: __Host-sp_session=$cookie" -H "X-CSRF-Token: $csrf"
assert_error "forget again" 404 sso_not_stored
launch
assert_error "a launch after forget" 404 sso_not_stored
sp_req DELETE /api/v1/session -H "Cookie: __Host-sp_session=$cookie" -H "X-CSRF-Token: $csrf"

# ---- scanpostctl sso ----------------------------------------------------------------------------------
ctl sso list-devices >"$SP_TMP/ctl.out" 2>&1
assert_true "list-devices lists the device-sim" grep -q "^$SERIAL " "$SP_TMP/ctl.out"
assert_true "list-devices shows the other printer's audience" grep -q "urn:scanpost:t80:$run_id" "$SP_TMP/ctl.out"
ctl sso add-device "$SERIAL" >/dev/null 2>&1
assert_eq "add-device refuses a printer registered already" 1 "$?"
device_login "$DUSER"
device_token
# Read from standard input: scanpostctl runs as the service user, who may
# not read this test's files.
printf '%s\n' "$DEV_T" | ctl sso check-token "$SERIAL" - >"$SP_TMP/check.out" 2>&1
assert_eq "check-token passes a token captured from the printer" 0 "$?"
assert_true "check-token names the subject" grep -q "subject: *$DUSER" "$SP_TMP/check.out"
assert_true "check-token gives the verdict" grep -q "verdict: *ok" "$SP_TMP/check.out"
ticket_for "$DEV_T"
assert_status "check-token used nothing up" 201
craft "$SP_TMP/evil.key" "$SP_TMP/evil.crt" "$DUSER"
printf '%s\n' "$DEV_T" | ctl sso check-token "$SERIAL" - >"$SP_TMP/check.out" 2>&1
assert_eq "check-token fails a forged token" 1 "$?"
assert_true "and says so" grep -q "verdict: *forged" "$SP_TMP/check.out"
ctl sso remove-device "$OTHER_SERIAL" >/dev/null 2>&1
assert_eq "remove-device" 0 "$?"
craft "$IDP_KEY" "$IDP_CRT" "$DUSER" "$ISSUER" "urn:scanpost:t80:$run_id"
ticket_for "$DEV_T" "$OTHER_SERIAL"
assert_error "the removed printer's tokens are refused" 403 sso_assertion_refused

launch
signin "$PW2" true "$(tdev)"
assert_json "stored once more, for the admin's forget" .sso_stored true
ctl sso forget "$DUSER" >/dev/null 2>&1
assert_eq "scanpostctl sso forget" 0 "$?"
assert_eq "the admin's forget removes the row" 0 "$(vault_rows)"
ctl sso forget "$DUSER" >/dev/null 2>&1
assert_eq "forgetting nothing fails" 1 "$?"

# ---- no secret in the logs -------------------------------------------------------------------------
for log in scanpost-ssod scanpost-api; do
	assert_file_lacks "$log.log lacks the first password" "$PW1" "$SP_VAR/log/$log.log"
	assert_file_lacks "$log.log lacks the second password" "$PW2" "$SP_VAR/log/$log.log"
	assert_file_lacks "$log.log lacks the printer's token" "${launched_token:0:80}" "$SP_VAR/log/$log.log"
	assert_file_lacks "$log.log lacks the ticket" "$launched_ticket" "$SP_VAR/log/$log.log"
done
