#!/usr/bin/env bash
# t_20_health.sh - /healthz, request ids, the API's 404 envelope and the
# loopback-only /metrics (DESIGN 3.1, issue 2).
set -uo pipefail
. "$ROOT/tests/lib/assert.sh"
. "$ROOT/tests/lib/http.sh"

sp_req GET /healthz
assert_status "GET /healthz 200" 200
assert_header "healthz is JSON" Content-Type '^application/json'
assert_jq "healthz body is a JSON object" 'type == "object"'
assert_header "X-Request-Id present" X-Request-Id '^[0-9a-f]{32}$'
rid1=$(http_header X-Request-Id)
sp_req GET /healthz
assert_ne "X-Request-Id differs per request" "$rid1" "$(http_header X-Request-Id)"
assert_eq "one X-Request-Id header only" 1 "$(grep -ci '^x-request-id:' "$HTTP_HEADERS")"

sp_req GET /api/v1/nope
assert_error "GET /api/v1/nope" 404
assert_header "404 carries X-Request-Id" X-Request-Id '^[0-9a-f]{32}$'

sp_json POST /api/v1/nope '{}'
assert_error "POST /api/v1/nope" 404

# /metrics: from 127.0.0.1 it is served; from another loopback address
# (127.0.0.2, still this host) nginx refuses it with the JSON envelope.
sp_req GET /metrics
assert_status "GET /metrics from 127.0.0.1" 200
assert_header "metrics are text" Content-Type '^text/plain'
for series in scanpost_http_requests_total scanpost_upload_bytes_total scanpost_jobs \
	scanpost_send_latency_seconds scanpost_send_errors scanpost_database_up; do
	assert_true "metrics have $series" grep -q "^# TYPE $series " "$HTTP_BODY"
done
assert_true "metrics count healthz answers" \
	grep -qE '^scanpost_http_requests_total\{route="healthz",status="200",instance_name="[^"]+"\} [1-9]' "$HTTP_BODY"
sp_req GET /metrics --interface 127.0.0.2
assert_error "GET /metrics from 127.0.0.2" 403
