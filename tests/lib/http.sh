# shellcheck shell=bash
# tests/lib/http.sh - HTTP and stack helpers for the integration tests.
#
# Environment (set by tests/integration/run): SP_URL, SP_CA, RMAIL_URL, ROOT,
# SP_VAR (the stack's var/, where it really is: var/ may be a symbolic link),
# SP_PG_PORT (5433).
# sp_req/rmail_req leave the answer in HTTP_STATUS, HTTP_HEADERS (a file of
# header lines), HTTP_BODY (a file) and HTTP_CURL_ERROR (empty when curl
# itself succeeded).  Everything is loopback-only and time-bounded.

: "${ROOT:?ROOT is not set}"
: "${SP_URL:=https://127.0.0.1:8443}"
: "${SP_VAR:=$(readlink -f "$ROOT/var")}"
: "${SP_CA:=$SP_VAR/tls/ca.crt}"
: "${SP_PG_PORT:=5433}"
: "${RMAIL_URL:=https://127.0.0.1:8444}"

SP_TMP=$(mktemp -d "${TMPDIR:-/tmp}/sp-itest.XXXXXX")
trap 'rm -rf "$SP_TMP"' EXIT
HTTP_HEADERS=$SP_TMP/headers
HTTP_BODY=$SP_TMP/body
HTTP_STATUS=
HTTP_CURL_ERROR=

# http_req BASE METHOD PATH [CURL ARGS...]
http_req() {
	local base=$1 method=$2 path=$3
	shift 3
	: >"$HTTP_HEADERS"
	: >"$HTTP_BODY"
	HTTP_CURL_ERROR=
	if ! HTTP_STATUS=$(curl -sS --cacert "$SP_CA" --max-time 30 -X "$method" \
		-D "$HTTP_HEADERS" -o "$HTTP_BODY" -w '%{http_code}' "$@" "$base$path" \
		2>"$SP_TMP/curl.err"); then
		HTTP_CURL_ERROR=$(head -c 200 "$SP_TMP/curl.err")
		HTTP_STATUS=${HTTP_STATUS:-000}
	fi
}

sp_req() { http_req "$SP_URL" "$@"; }
rmail_req() { http_req "$RMAIL_URL" "$@"; }

# JSON POST/DELETE helpers: sp_json METHOD PATH JSON [CURL ARGS...]
sp_json() {
	local method=$1 path=$2 body=$3
	shift 3
	sp_req "$method" "$path" -H 'Content-Type: application/json' --data-binary "$body" "$@"
}

# The value of the last HEADER in the last answer ("" when absent).
http_header() {
	grep -i "^$1:" "$HTTP_HEADERS" | tail -n 1 | sed -e 's/^[^:]*:[[:space:]]*//' -e 's/\r$//'
}

# The demo account (./stack writes the password to var/demo-password).
DEMO_USER=demo@example.com
demo_password() { cat "$SP_VAR/demo-password"; }

signin_body() { # USER PASSWORD
	jq -nc --arg u "$1" --arg p "$2" '{username: $u, password: $p}'
}

# sp_signin [USER PASSWORD]: POST /api/v1/session; on 201 sets SP_COOKIE
# (the __Host-sp_session value) and SP_CSRF.
sp_signin() {
	local user=${1:-$DEMO_USER} pw=${2:-$(demo_password)}
	SP_COOKIE=
	SP_CSRF=
	sp_json POST /api/v1/session "$(signin_body "$user" "$pw")"
	if [ "$HTTP_STATUS" = 201 ]; then
		SP_COOKIE=$(http_header Set-Cookie | sed -n 's/^__Host-sp_session=\([^;]*\).*/\1/p')
		SP_CSRF=$(jq -r '.csrf_token // empty' "$HTTP_BODY" 2>/dev/null)
	fi
}

# The user named in a session answer, whether `user` is a string or an
# object with a username.
session_user() {
	jq -r '.user | if type == "object" then (.username // .name // .email) else . end' \
		"$HTTP_BODY" 2>/dev/null
}

# sp_psql [ARGS]: psql on the scanpost database as its owner, straight over
# the stack's unix socket (peer authentication maps the user that ran
# ./stack up, and the service user, to the scanpost roles).
sp_psql() {
	psql -X -h "$SP_VAR/run" -p "$SP_PG_PORT" -U scanpost_owner -d scanpost "$@"
}

# A plain-text dump of the scanpost database, taken as its owner.
sp_pg_dump() {
	pg_dump -h "$SP_VAR/run" -p "$SP_PG_PORT" -U scanpost_owner -d scanpost --no-owner "$@"
}

# rmail-sim fault injection (DESIGN 3.2): rmail_fault JSON / rmail_faults_clear.
rmail_fault() {
	rmail_req POST /_sim/faults -H 'Content-Type: application/json' --data-binary "$1"
}
rmail_faults_clear() {
	rmail_req DELETE /_sim/faults
}
