#!/usr/bin/env bash
# t_36_limits.sh - the limits of issue 10 through the real nginx and api:
# sign-in per client address (nginx limit_req/limit_conn, 429 with
# Retry-After), sign-in per RMail user name (the api's throttle in
# PostgreSQL: 429 with Retry-After, an audit row per refused attempt, no
# name in clear), the cap on a person's unfinished jobs (409
# too_many_open_jobs), HSTS with includeSubDomains, and an error log that
# never holds an upload token.
#
# The hammering comes from addresses of its own (127.0.0.21..24: every
# 127/8 address is this host's loopback), so the per-address budget of
# 127.0.0.1, which every other test signs in from, is untouched.
set -uo pipefail
. "$ROOT/tests/lib/assert.sh"
. "$ROOT/tests/lib/http.sh"
. "$ROOT/tests/lib/jobs.sh"

conf() { # KEY DEFAULT: a value of var/api.conf
	local v
	v=$(sed -n "s/^$1 = //p" "$SP_VAR/api.conf")
	printf '%s\n' "${v:-$2}"
}
run_id=$(openssl rand -hex 4)
ACCOUNTS=$SP_VAR/rmail/accounts
accounts_orig=$SP_TMP/accounts.orig
cp -p "$ACCOUNTS" "$accounts_orig"
rmail_hup() { kill -HUP "$(cat "$SP_VAR/run/rmail-sim.pid")"; }
cleanup() {
	cat "$accounts_orig" >"$ACCOUNTS" && rmail_hup
	rmail_faults_clear >/dev/null 2>&1
	rm -rf "$SP_TMP"
}
trap cleanup EXIT

# ---- per RMail user name: the api's throttle ---------------------------------
RUSER=t36-$run_id@example.com
RPASS=$(openssl rand -hex 12)
{
	cat "$accounts_orig"
	printf '%s:%s\n' "$RUSER" "$RPASS"
} >"$ACCOUNTS"
rmail_hup
sleep 0.5
attempts=$(conf signin_attempts 5)
block=$(conf signin_block 300)
name_hash=$(printf 'scanpost-signin-throttle-v1\0%s' "$(printf '%s' "$RUSER" | tr 'A-Z' 'a-z')" |
	sha256sum | cut -c1-64)
audits() { db_scalar "SELECT count(*) FROM scanpost.audit_events WHERE event = 'signin_throttled' AND lower(actor) = '$RUSER'"; }

signin_from() { # ADDRESS USER PASSWORD
	sp_json POST /api/v1/session "$(signin_body "$2" "$3")" --interface "$1"
}

signin_from 127.0.0.21 "$RUSER" "$RPASS"
assert_status "the account signs in" 201
ok=0
for i in $(seq 1 "$attempts"); do
	signin_from 127.0.0.21 "$RUSER" "wrong-$i"
	[ "$HTTP_STATUS" = 401 ] && ok=$((ok + 1))
done
assert_eq "$attempts wrong passwords are RMail's refusals (401)" "$attempts" "$ok"
signin_from 127.0.0.21 "$RUSER" wrong-again
assert_error "the attempt after signin_attempts" 429 rate_limited
assert_header "... says when to try again (Retry-After, seconds)" Retry-After '^[0-9]+$'
wait=$(http_header Retry-After)
assert_true "... within signin_block ($block s): $wait" test "${wait:-0}" -ge 1 -a "${wait:-0}" -le "$block"
# From another address, with the right password: still refused.
signin_from 127.0.0.22 "$RUSER" "$RPASS"
assert_error "the right password, another address, same name: refused" 429 rate_limited
signin_from 127.0.0.22 "$(printf '%s' "$RUSER" | tr 'a-z' 'A-Z')" "$RPASS"
assert_status "... the name in capitals too" 429
assert_eq "an audit row per refused attempt" 3 "$(audits)"
assert_eq "the counter row is there, keyed by the name's hash" 1 \
	"$(db_scalar "SELECT count(*) FROM scanpost.signin_throttle WHERE name_hash = '\\x$name_hash' AND blocked_until > now()")"
assert_eq "... and holds no name in clear" 0 \
	"$(db_scalar "SELECT count(*) FROM scanpost.signin_throttle t WHERE t::text ILIKE '%t36-%'")"
assert_eq "the api logged the refusal without the password" 0 \
	"$(grep -c -F "$RPASS" "$SP_VAR/log/scanpost-api.log")"
# The block over (as if signin_block had passed): the right password works
# and clears the count.
db_scalar "UPDATE scanpost.signin_throttle SET blocked_until = now() - interval '1 s' WHERE name_hash = '\\x$name_hash'" >/dev/null
signin_from 127.0.0.21 "$RUSER" "$RPASS"
assert_status "once the block is over the right password signs in" 201
assert_eq "... and the count is gone" 0 \
	"$(db_scalar "SELECT count(*) FROM scanpost.signin_throttle WHERE name_hash = '\\x$name_hash'")"
# RMail down is not the person's fault: it does not count.
rmail_fault '{"kind":"status","status":503,"path":"/Token","count":'"$((attempts + 1))"'}' >/dev/null
fails=0
for i in $(seq 0 "$attempts"); do
	signin_from 127.0.0.21 "$RUSER" "$RPASS"
	[ "$HTTP_STATUS" = 502 ] && fails=$((fails + 1))
done
rmail_faults_clear >/dev/null
assert_eq "$((attempts + 1)) sign-ins while RMail fails are 502" "$((attempts + 1))" "$fails"
signin_from 127.0.0.21 "$RUSER" "$RPASS"
assert_status "... and cost no attempt: the next sign-in works" 201

# ---- per client address: nginx -------------------------------------------------
first=
limited=0
for i in $(seq 1 70); do
	sp_json POST /api/v1/session '{}' --interface 127.0.0.23
	[ -z "$first" ] && first=$HTTP_STATUS
	if [ "$HTTP_STATUS" = 429 ]; then
		limited=$((limited + 1))
		cp "$HTTP_HEADERS" "$SP_TMP/429.headers"
		cp "$HTTP_BODY" "$SP_TMP/429.body"
	fi
done
assert_eq "the first sign-in of an address reaches the api (400 for {})" 400 "$first"
assert_true "70 sign-ins at once from one address: nginx refuses some ($limited)" [ "$limited" -ge 10 ]
cp "$SP_TMP/429.headers" "$HTTP_HEADERS" 2>/dev/null
cp "$SP_TMP/429.body" "$HTTP_BODY" 2>/dev/null
HTTP_STATUS=429
assert_error "nginx's refusal" 429 rate_limited
assert_header "... with Retry-After" Retry-After '^[0-9]+$'
assert_header "... and the security headers (HSTS)" Strict-Transport-Security includeSubDomains
sp_req GET /api/v1/session --interface 127.0.0.23
assert_status "'who am I' from that address is not limited (401)" 401
sp_json POST /api/v1/session '{}'
assert_status "another address signs in as before" 400
first=
limited=0
for i in $(seq 1 90); do
	sp_json POST /api/v1/session/sso/ticket '{}' --interface 127.0.0.24
	[ -z "$first" ] && first=$HTTP_STATUS
	[ "$HTTP_STATUS" = 429 ] && limited=$((limited + 1))
done
assert_ne "the first SSO call of an address reaches the api" 429 "$first"
assert_true "90 SSO calls at once from one address: nginx refuses some ($limited)" [ "$limited" -ge 10 ]
# At most 10 sign-ins at once per address (limit_conn): 16 slow ones.
rmail_fault '{"kind":"latency","latency_ms":3000,"path":"/Token","count":16}' >/dev/null
for i in $(seq 1 16); do
	curl -s -o /dev/null -w '%{http_code}\n' --cacert "$SP_CA" --max-time 30 --interface 127.0.0.25 \
		-H 'Content-Type: application/json' --data-binary "$(signin_body "conn$i-$run_id@example.com" x)" \
		"$SP_URL/api/v1/session" >"$SP_TMP/conn.$i" &
done
wait
rmail_faults_clear >/dev/null
assert_true "16 slow sign-ins at once from one address: some are 429 (limit_conn)" \
	grep -qx 429 "$SP_TMP"/conn.*
assert_true "... and at most 10 reach RMail (401)" \
	[ "$(cat "$SP_TMP"/conn.* | grep -cx 401)" -le 10 ]

# ---- the cap on unfinished jobs --------------------------------------------------
cap=$(conf jobs_open_max 20)
sp_signin "$OTHER_USER" "$(other_password)"
sp_auth
open_jobs() { db_scalar "SELECT count(*) FROM scanpost.jobs WHERE owner = '$OTHER_USER' AND state IN ('awaiting_scan', 'queued', 'sending')"; }
room=$((cap - $(open_jobs)))
made=()
created=0
for i in $(seq 1 "$room"); do
	job_create '{"to":["alice@example.org"],"subject":"cap"}'
	[ "$HTTP_STATUS" = 201 ] && created=$((created + 1)) && made+=("$JOB_ID")
done
assert_eq "up to jobs_open_max ($cap) unfinished jobs are accepted" "$room" "$created"
job_create '{"to":["alice@example.org"],"subject":"cap"}'
assert_error "one more is refused" 409 too_many_open_jobs
assert_jq "... saying how many are allowed" ".error.message | test(\"$cap\")"
sp_req DELETE "/api/v1/jobs/${made[0]}" "${AUTH[@]}"
assert_status "cancel one" 204
job_create '{"to":["alice@example.org"],"subject":"cap"}'
assert_status "then there is room for one more" 201
made+=("$JOB_ID")
for id in "${made[@]:1}"; do
	sp_req DELETE "/api/v1/jobs/$id" "${AUTH[@]}"
done
assert_eq "the test's jobs are canceled" "$((cap - room))" "$(open_jobs)"

# ---- HSTS ---------------------------------------------------------------------------
sp_req GET /healthz
assert_header "HSTS covers subdomains" Strict-Transport-Security '^max-age=[1-9][0-9]{6,}; *includeSubDomains$'

# ---- the error log and the upload token ------------------------------------------------
token=T36tok$(openssl rand -hex 16)
errlog=$SP_VAR/log/nginx-error.log
http_req "" POST "$SP_URL/scan/00000000-0000-4000-8000-000000000000/$token" --max-time 10 \
	-H 'Content-Type: multipart/form-data; boundary=x' -H 'Content-Length: 2000000000' --data-binary x
assert_status "an upload over nginx's limit is 413" 413
sp_req POST "/api/v1/jobs?marker=$token" --max-time 10 -H 'Content-Type: application/json' \
	-H 'Content-Length: 2000000000' --data-binary x
assert_status "a JSON body over nginx's limit is 413" 413
sleep 0.5
assert_true "the error log records such refusals (the /api/ one)" grep -qF "marker=$token" "$errlog"
assert_eq "... but no /scan/ request line, so no upload token" 0 \
	"$(grep -F "$token" "$errlog" | grep -c '/scan/')"
