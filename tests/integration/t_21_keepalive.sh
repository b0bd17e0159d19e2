#!/usr/bin/env bash
# t_21_keepalive.sh - nginx keeps its FastCGI connections to the API pool
# (upstream scanpost_api, fastcgi_keep_conn on; cgi/conns.c), a body the
# api refused unread never reaches the next request on the connection,
# and the status poll that reads its job in the session's statement
# (ROUTE_READS_JOB) still answers only the session's own user.
set -uo pipefail
. "$ROOT/tests/lib/assert.sh"
. "$ROOT/tests/lib/http.sh"
. "$ROOT/tests/lib/jobs.sh"

api_sock=$SP_VAR/run/api.sock
api_conns() { ss -xH state connected src "$api_sock" 2>/dev/null | wc -l; }

for _ in 1 2 3 4 5 6; do sp_req GET /healthz; done
assert_status "GET /healthz 200" 200
assert_true "connections to the API pool stay open after their answers" \
	test "$(api_conns)" -ge 1

# A sign-in-less POST with a 60 KiB body is refused before the body is
# read; the next requests (on the same kept connections) must be whole.
big=$(head -c 61440 /dev/zero | tr '\0' 'a')
bad=0
for _ in 1 2 3 4 5 6 7 8; do
	sp_json POST /api/v1/jobs "{\"subject\":\"$big\"}"
	[ "$HTTP_STATUS" = 401 ] || bad=$((bad + 1))
	sp_req GET /healthz
	{ [ "$HTTP_STATUS" = 200 ] && jq -e '.status == "ok"' "$HTTP_BODY" >/dev/null; } ||
		bad=$((bad + 1))
done
assert_eq "refused bodies left nothing behind for the next request" 0 "$bad"

sp_signin
assert_status "sign-in" 201
job_create '{"to":["keepalive@example.org"]}'
mine=$JOB_ID
AUTH_MINE="Cookie: __Host-sp_session=$SP_COOKIE"
CSRF_MINE=$SP_CSRF
job_get "$mine"
assert_status "GET own job" 200
assert_jq "own job read with the session" ".id == \"$mine\""
sp_req GET /api/v1/jobs/00000000-0000-4000-8000-000000000000 -H "$AUTH_MINE"
assert_error "GET unknown job" 404
sp_req GET /api/v1/jobs/not-a-uuid -H "$AUTH_MINE"
assert_error "GET malformed job id" 404
sp_req GET "/api/v1/jobs/$mine"
assert_error "GET job without a session" 401
sp_req GET "/api/v1/jobs/$mine" -H "Cookie: __Host-sp_session=${SP_COOKIE%?}x"
assert_error "GET job with a wrong cookie" 401

sp_signin "$OTHER_USER" "$(other_password)"
assert_status "sign-in as another user" 201
job_get "$mine"
assert_error "another user's GET of the job" 404

sp_req DELETE "/api/v1/jobs/$mine" -H "$AUTH_MINE" -H "X-CSRF-Token: $CSRF_MINE"
assert_status "DELETE own job" 204
