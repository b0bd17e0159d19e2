#!/usr/bin/env bash
# t_40_logs.sh - the logs hold no password, session secret or bearer
# token, and every line scanpost-api writes is a JSON object (DESIGN 3.7).
# Runs after the sign-ins of t_30, and signs in once more itself.
set -uo pipefail
. "$ROOT/tests/lib/assert.sh"
. "$ROOT/tests/lib/http.sh"

log=$SP_VAR/log
pw=$(demo_password)

# One more sign-in, a failed one and a sign-out, so the logs have material
# even when this test runs alone.
sp_signin
assert_status "sign-in 201" 201
cookie=${SP_COOKIE:-}
csrf=${SP_CSRF:-}
sp_signin "$DEMO_USER" "wrong-$pw-marker"
assert_status "failed sign-in 401" 401
if [ -n "$cookie" ]; then
	sp_req DELETE /api/v1/session -H "Cookie: __Host-sp_session=$cookie" -H "X-CSRF-Token: $csrf"
	assert_status "sign-out 204" 204
fi
sleep 0.5

for f in scanpost-api rmail-sim scanpost-sender nginx-access; do
	file=$log/$f.log
	if [ ! -f "$file" ]; then
		sp_fail "$f.log exists" "no $file"
		continue
	fi
	assert_file_lacks "$f.log lacks the demo password" "$pw" "$file"
	assert_file_lacks "$f.log lacks the wrong password" "wrong-$pw-marker" "$file"
	if [ -n "$cookie" ]; then
		assert_file_lacks "$f.log lacks the session cookie" "$cookie" "$file"
		assert_file_lacks "$f.log lacks the CSRF token" "$csrf" "$file"
	fi
	# rmail-sim tokens are 43 characters of base64url (32 bytes); a request
	# id is 32 hex digits and a UUID 36 characters with hyphens, so no
	# legitimate log field has that shape.
	n=$(grep -oE '(^|[^A-Za-z0-9_-])[A-Za-z0-9_-]{43}([^A-Za-z0-9_-]|$)' "$file" | wc -l)
	assert_eq "$f.log has no bearer-token-shaped value" 0 "$n"
	assert_false "$f.log has no Authorization header" grep -qi 'bearer [A-Za-z0-9_-]' "$file"
done

# Every line of the api log (and of the access log) is one JSON object.
for f in scanpost-api scanpost-sender nginx-access; do
	file=$log/$f.log
	[ -f "$file" ] || continue
	lines=$(grep -c '' "$file")
	assert_match "$f.log is not empty" '^[1-9]' "$lines"
	bad=$(jq -R -r 'fromjson? // "BAD" | if type == "object" then empty else "BAD" end' "$file" | wc -l)
	if [ "$bad" -eq 0 ]; then
		sp_pass "$f.log: all $lines lines are JSON objects"
	else
		first=$(jq -R -r '. as $l | (fromjson? // null) | if type == "object" then empty else $l end' \
			"$file" | head -n 1 | cut -c1-200)
		sp_fail "$f.log: all lines are JSON objects" "$bad of $lines are not; first: $first"
	fi
done

# The api log follows requests: the sign-in above is there with its id.
assert_true "api log has request ids" grep -q '"request_id"' "$log/scanpost-api.log"
