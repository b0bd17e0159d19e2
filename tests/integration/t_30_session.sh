#!/usr/bin/env bash
# t_30_session.sh - sign in and out (DESIGN 2 step 2, 3.1 POST/GET/DELETE
# /api/v1/session): cookie attributes, validation errors, CSRF, RMail
# failures, and no token or password in the database.
set -uo pipefail
. "$ROOT/tests/lib/assert.sh"
. "$ROOT/tests/lib/http.sh"

pw=$(demo_password)
assert_match "demo password exists" '.{12,}' "$pw"

# --- sign in
sp_signin
assert_status "sign-in 201" 201
assert_header "sign-in answers JSON" Content-Type '^application/json'
assert_eq "sign-in user" "$DEMO_USER" "$(session_user)"
assert_jq "sign-in csrf_token" '.csrf_token | type == "string" and length >= 16'
assert_jq "sign-in has no token or password" \
	'[.. | strings] | all(. != "'"$pw"'") and (tostring | test("access_token") | not)'
cookie_line=$(http_header Set-Cookie)
assert_match "Set-Cookie __Host-sp_session" '^__Host-sp_session=[^;]{16,}' "$cookie_line"
# The __Host- prefix (RFC 6265bis, 4.1.3.2): Secure, Path=/, and no Domain.
assert_no_match "cookie has no Domain" ';[[:space:]]*Domain=' "$cookie_line"
assert_match "cookie Secure" ';[[:space:]]*Secure([;[:space:]]|$)' "$cookie_line"
assert_match "cookie HttpOnly" ';[[:space:]]*HttpOnly([;[:space:]]|$)' "$cookie_line"
assert_match "cookie SameSite=Strict" ';[[:space:]]*SameSite=Strict([;[:space:]]|$)' "$cookie_line"
assert_match "cookie Path=/" ';[[:space:]]*Path=/([;[:space:]]|$)' "$cookie_line"
cookie=$SP_COOKIE
csrf=$SP_CSRF

sp_req GET /api/v1/session -H "Cookie: __Host-sp_session=$cookie"
assert_status "GET session with cookie 200" 200
assert_eq "GET session same user" "$DEMO_USER" "$(session_user)"
assert_json "GET session same csrf_token" '.csrf_token' "$csrf"

sp_req GET /api/v1/session
assert_error "GET session without cookie" 401

sp_req GET /api/v1/session -H "Cookie: __Host-sp_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
assert_error "GET session with a forged cookie" 401

# --- no secret in the database: neither the password, nor the cookie
# secret (only its hash is stored), nor anything shaped like an RMail
# bearer token.  rmail-sim issues 32 random bytes as unpadded base64url
# (43 characters) and keeps only their hash, so the token itself cannot be
# asked for: the dump must hold no 43-character base64url word at all
# (bytea is dumped as \x + hex, never 43 characters: 21-byte values are
# excluded below).
dump=$SP_TMP/dump.sql
if sp_pg_dump >"$dump" 2>"$SP_TMP/dump.err"; then
	sp_pass "pg_dump of the scanpost database"
	assert_true "dump has the sessions table" grep -q 'scanpost.sessions' "$dump"
	assert_file_lacks "dump lacks the password" "$pw" "$dump"
	assert_file_lacks "dump lacks the session cookie secret" "$cookie" "$dump"
	tokens=$(grep -oE '(^|[^A-Za-z0-9_-])[A-Za-z0-9_-]{43}([^A-Za-z0-9_-]|$)' "$dump" |
		grep -oE '[A-Za-z0-9_-]{43}' | grep -vE '^x[0-9a-f]{42}$' | grep -vxF -- "$csrf" | wc -l)
	assert_eq "dump has no bearer-token-shaped value" 0 "$tokens"
	sealed=$(sp_psql -XAt -c \
		"SELECT count(*) FROM scanpost.sessions WHERE ended_at IS NULL AND token_sealed IS NOT NULL" 2>/dev/null)
	assert_match "the open session holds a sealed token" '^[1-9][0-9]*$' "$sealed"
else
	sp_fail "pg_dump of the scanpost database" "$(head -c 300 "$SP_TMP/dump.err")"
fi

# --- validation (400), type (415), size (413)
sp_signin "$DEMO_USER" "wrong-$pw"
assert_error "wrong password" 401 rmail_auth_failed
assert_eq "no cookie on failure" "" "$(http_header Set-Cookie)"

sp_signin "nobody@example.com" "$pw"
assert_error "unknown user" 401 rmail_auth_failed

sp_json POST /api/v1/session '{"username": "demo@example.com", "password": '
assert_error "malformed JSON" 400

sp_json POST /api/v1/session '["demo@example.com"]'
assert_error "JSON that is no object" 400

sp_json POST /api/v1/session \
	"$(jq -nc --arg p "$pw" '{username: "demo@example.com", password: $p, admin: true}')"
assert_error "unknown key" 400

sp_json POST /api/v1/session '{"username": "demo@example.com"}'
assert_error "missing password" 400

sp_json POST /api/v1/session "$(jq -nc --arg p "$pw" '{password: $p}')"
assert_error "missing username" 400

sp_json POST /api/v1/session \
	"$(jq -nc --arg p "$pw" '{username: "demo@example.com", password: $p, remember: "yes"}')"
assert_error "remember not a boolean" 400

sp_req POST /api/v1/session -H 'Content-Type: text/plain' \
	--data-binary "$(signin_body "$DEMO_USER" "$pw")"
assert_error "text/plain body" 415

sp_req POST /api/v1/session -H 'Content-Type: application/x-www-form-urlencoded' \
	--data-urlencode "username=$DEMO_USER" --data-urlencode "password=$pw"
assert_error "form body" 415

big=$(head -c 70000 /dev/zero | tr '\0' 'a')
sp_json POST /api/v1/session "{\"username\":\"$DEMO_USER\",\"password\":\"$big\"}"
assert_error "body over 64 KiB" 413

# --- sign out: CSRF first
sp_req DELETE /api/v1/session -H "Cookie: __Host-sp_session=$cookie"
assert_error "DELETE without X-CSRF-Token" 403
sp_req DELETE /api/v1/session -H "Cookie: __Host-sp_session=$cookie" -H "X-CSRF-Token: x$csrf"
assert_error "DELETE with a wrong X-CSRF-Token" 403
sp_req GET /api/v1/session -H "Cookie: __Host-sp_session=$cookie"
assert_status "session survives the refused DELETEs" 200

sp_req DELETE /api/v1/session -H "Cookie: __Host-sp_session=$cookie" -H "X-CSRF-Token: $csrf"
assert_status "DELETE session 204" 204
assert_eq "DELETE session has no body" 0 "$(wc -c <"$HTTP_BODY")"
sp_req GET /api/v1/session -H "Cookie: __Host-sp_session=$cookie"
assert_error "GET after sign-out" 401
sealed=$(sp_psql -XAt -c \
	"SELECT count(*) FROM scanpost.sessions s WHERE s.ended_at IS NOT NULL AND s.token_sealed IS NOT NULL
	   AND NOT EXISTS (SELECT 1 FROM scanpost.jobs j WHERE j.session_id = s.id
	                   AND j.state IN ('awaiting_scan', 'queued', 'sending'))" 2>/dev/null)
assert_eq "no sealed token outlives its session without a pending job" 0 "$sealed"

# --- RMail down: 502 rmail_unavailable, then back to normal
for fault in '{"kind": "status", "status": 503, "path": "/Token", "count": 20}' \
	'{"kind": "drop", "path": "/Token", "count": 20}'; do
	kind=$(jq -r .kind <<<"$fault")
	rmail_fault "$fault"
	assert_match "rmail-sim takes the $kind fault" '^20[01]$' "$HTTP_STATUS"
	sp_signin
	assert_error "sign-in while RMail fails ($kind)" 502 rmail_unavailable
	rmail_faults_clear
	assert_match "rmail-sim faults cleared" '^20[04]$' "$HTTP_STATUS"
done
sp_signin
assert_status "sign-in works again after RMail recovers" 201
if [ -n "${SP_COOKIE:-}" ]; then
	sp_req DELETE /api/v1/session -H "Cookie: __Host-sp_session=$SP_COOKIE" -H "X-CSRF-Token: $SP_CSRF"
	assert_status "sign-out 204" 204
fi
