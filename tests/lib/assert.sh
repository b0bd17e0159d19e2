# shellcheck shell=bash
# tests/lib/assert.sh - assertions for the shell integration tests.
#
# Source it from a test script.  Every assertion prints one line (`ok` or
# `FAIL` with the details) and appends a PASS/FAIL record to $SP_RESULTS,
# which tests/integration/run counts.  Assertions never exit: a test goes on
# after a failure, so one run shows every broken behaviour.
#
# Each assertion returns 0 when it held and 1 when it failed, so a test may
# branch on it.  Assertions that look for secrets (assert_file_lacks, assert_text_lacks)
# never print the secret itself.

: "${SP_RESULTS:=/dev/null}"
: "${SP_TEST:=$(basename "$0")}"

sp_pass() {
	printf '  ok    %s\n' "$1"
	printf 'PASS\t%s\t%s\n' "$SP_TEST" "$1" >>"$SP_RESULTS"
}

# sp_fail NAME DETAIL...: one FAIL record; each DETAIL on its own line.
sp_fail() {
	local name=$1
	shift
	printf '  FAIL  %s\n' "$name"
	if [ $# -gt 0 ]; then
		printf '          %s\n' "$@"
	fi
	printf 'FAIL\t%s\t%s%s\n' "$SP_TEST" "$name" "${1:+: $1}" >>"$SP_RESULTS"
	return 1
}

# The first 300 bytes of the last HTTP answer, for failure messages.
sp_body_excerpt() {
	if [ -n "${HTTP_BODY:-}" ] && [ -s "$HTTP_BODY" ]; then
		printf 'body: %s' "$(head -c 300 "$HTTP_BODY" | tr '\n\r' '  ')"
	else
		printf 'body: (empty)%s' "${HTTP_CURL_ERROR:+; curl: $HTTP_CURL_ERROR}"
	fi
}

assert_eq() { # NAME EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then
		sp_pass "$1"
	else
		sp_fail "$1" "expected: $2" "actual:   $3"
	fi
}

assert_ne() { # NAME UNEXPECTED ACTUAL
	if [ "$2" != "$3" ]; then
		sp_pass "$1"
	else
		sp_fail "$1" "expected anything but: $2"
	fi
}

assert_match() { # NAME ERE ACTUAL
	if printf '%s\n' "$3" | grep -Eq -- "$2"; then
		sp_pass "$1"
	else
		sp_fail "$1" "expected to match: $2" "actual: $3"
	fi
}

assert_no_match() { # NAME ERE ACTUAL
	if printf '%s\n' "$3" | grep -Eq -- "$2"; then
		sp_fail "$1" "expected not to match: $2" "actual: $3"
	else
		sp_pass "$1"
	fi
}

# assert_true NAME CMD...: CMD exits 0.  assert_false: it does not.
assert_true() {
	local name=$1
	shift
	if "$@" >/dev/null 2>&1; then
		sp_pass "$name"
	else
		sp_fail "$name" "command failed: $*"
	fi
}

assert_false() {
	local name=$1
	shift
	if "$@" >/dev/null 2>&1; then
		sp_fail "$name" "command succeeded but should not: $*"
	else
		sp_pass "$name"
	fi
}

# Status of the last sp_req/rmail_req.
assert_status() { # NAME EXPECTED
	if [ "${HTTP_STATUS:-}" = "$2" ]; then
		sp_pass "$1"
	else
		sp_fail "$1" "expected HTTP $2, got ${HTTP_STATUS:-none}" "$(sp_body_excerpt)"
	fi
}

# assert_json NAME FILTER EXPECTED: `jq -r FILTER` of the last body.
assert_json() {
	local actual
	if ! actual=$(jq -r "$2" "$HTTP_BODY" 2>&1); then
		sp_fail "$1" "body is not JSON or filter failed ($2)" "$(sp_body_excerpt)"
		return
	fi
	if [ "$actual" = "$3" ]; then
		sp_pass "$1"
	else
		sp_fail "$1" "$2: expected $3, got $actual" "$(sp_body_excerpt)"
	fi
}

# assert_jq NAME EXPR: `jq -e EXPR` of the last body is true.
assert_jq() {
	if jq -e "$2" "$HTTP_BODY" >/dev/null 2>&1; then
		sp_pass "$1"
	else
		sp_fail "$1" "not true: $2" "$(sp_body_excerpt)"
	fi
}

# assert_header NAME HEADER ERE: the last answer has HEADER matching ERE
# (header names compare case-insensitively).
assert_header() {
	local v
	v=$(http_header "$2")
	if [ -z "$v" ]; then
		sp_fail "$1" "no $2 header"
	elif printf '%s\n' "$v" | grep -Eq -- "$3"; then
		sp_pass "$1"
	else
		sp_fail "$1" "$2: expected to match $3" "actual: $v"
	fi
}

# assert_error NAME STATUS [CODE]: the last answer is the JSON error
# envelope {"error":{"code","message"}} with STATUS (and CODE), served as
# application/json (DESIGN 3.1).
assert_error() {
	local name=$1 status=$2 code=${3:-} rc=0
	assert_status "$name: status $status" "$status" || rc=1
	assert_header "$name: JSON content type" Content-Type '^application/json' || rc=1
	if [ -n "$code" ]; then
		assert_json "$name: error.code" '.error.code' "$code" || rc=1
	else
		assert_jq "$name: error.code is snake_case" \
			'.error.code | type == "string" and test("^[a-z][a-z0-9_]*$")' || rc=1
	fi
	assert_jq "$name: error.message is text" \
		'.error.message | type == "string" and length > 0' || rc=1
	return $rc
}

# assert_file_lacks NAME NEEDLE FILE: FILE does not contain NEEDLE (fixed
# string).  The needle is a secret: only the line numbers are printed.
assert_file_lacks() {
	local lines
	if [ -z "$2" ]; then
		sp_fail "$1" "nothing to look for (an earlier step failed)"
		return
	fi
	if lines=$(grep -nF -- "$2" "$3" | cut -d: -f1 | head -n 5 | tr '\n' ' ') && [ -n "$lines" ]; then
		sp_fail "$1" "found in $3 at line(s) $lines"
	else
		sp_pass "$1"
	fi
}
