#!/usr/bin/env bash
# t_10_tls.sh - nginx speaks TLS 1.2 and 1.3 only, redirects plain HTTP
# with 308, and sends the security headers (issue 2; nginx/snippets/).
set -uo pipefail
. "$ROOT/tests/lib/assert.sh"
. "$ROOT/tests/lib/http.sh"

host=${SP_URL#https://}

# The client must be willing to speak the old versions, or a refusal would
# prove nothing: OpenSSL 3 refuses TLS < 1.2 itself at security level >= 1,
# hence @SECLEVEL=0.  The refusal must be the server's: its
# "protocol version" alert (RFC 8446 6.2) in curl's trace.
for v in 1.0 1.1; do
	out=$(curl -sv -o /dev/null --max-time 10 --tlsv$v --tls-max $v \
		--ciphers 'DEFAULT:@SECLEVEL=0' --cacert "$SP_CA" "$SP_URL/" 2>&1)
	rc=$?
	assert_ne "TLS $v handshake fails" 0 "$rc"
	assert_match "TLS $v refused by the server (protocol version alert)" \
		'alert.*protocol version|alert protocol version' "$out"
done

for v in 1.2 1.3; do
	out=$(curl -sv -o /dev/null --max-time 10 --tlsv$v --tls-max $v \
		--cacert "$SP_CA" "$SP_URL/" 2>&1)
	rc=$?
	assert_eq "TLS $v handshake succeeds" 0 "$rc"
	assert_match "TLS $v negotiated" "SSL connection using TLSv$v" "$out"
done

# Only AEAD suites with forward secrecy under TLS 1.2: a CBC suite the
# client offers alone is refused.
out=$(curl -sv -o /dev/null --max-time 10 --tlsv1.2 --tls-max 1.2 \
	--ciphers ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA --cacert "$SP_CA" "$SP_URL/" 2>&1)
assert_ne "TLS 1.2 CBC-only client refused" 0 "$?"

# Session tickets are off (forward secrecy): a TLS 1.2 handshake gets no
# ticket from the server.
out=$(openssl s_client -connect "$host" -tls1_2 -CAfile "$SP_CA" </dev/null 2>&1)
assert_match "TLS 1.2 certificate verifies against var/tls/ca.crt" 'Verify return code: 0 \(ok\)' "$out"
assert_no_match "no TLS 1.2 session ticket" 'TLS session ticket:' "$out"

# The certificate names localhost and 127.0.0.1.
san=$(openssl s_client -connect "$host" -CAfile "$SP_CA" </dev/null 2>/dev/null |
	openssl x509 -noout -ext subjectAltName 2>/dev/null)
assert_match "certificate SAN has 127.0.0.1" 'IP Address:127\.0\.0\.1' "$san"
assert_match "certificate SAN has localhost" 'DNS:localhost' "$san"

# Plain HTTP answers 308 to the same path on HTTPS (method and body kept).
http_url=http://127.0.0.1:8080
for path in "/" "/api/v1/session?x=1"; do
	code=$(curl -s -o /dev/null -D "$SP_TMP/h" -w '%{http_code}' --max-time 10 "$http_url$path")
	loc=$(grep -i '^location:' "$SP_TMP/h" | sed -e 's/^[^:]*:[[:space:]]*//' -e 's/\r$//')
	assert_eq "HTTP $path answers 308" 308 "$code"
	assert_eq "HTTP $path redirects to HTTPS" "$SP_URL$path" "$loc"
done
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X POST --data x "$http_url/api/v1/session")
assert_eq "HTTP POST answers 308 too" 308 "$code"

# Security headers on the weblet.
sp_req GET /
assert_match "GET / answers" '^(200|403|404)$' "$HTTP_STATUS"
assert_header "HSTS" Strict-Transport-Security 'max-age=[1-9][0-9]{6,}; *includeSubDomains'
assert_header "nosniff" X-Content-Type-Options '^nosniff$'
assert_header "no framing" X-Frame-Options '^DENY$'
assert_header "no referrer" Referrer-Policy '^no-referrer$'
assert_header "CSP default-src self" Content-Security-Policy "default-src 'self'"
assert_header "CSP frame-ancestors none" Content-Security-Policy "frame-ancestors 'none'"
csp=$(http_header Content-Security-Policy)
assert_no_match "CSP allows no inline script or eval" "unsafe-inline|unsafe-eval" "$csp"
assert_match "CSP script-src self (or default)" "script-src 'self'|^default-src 'self'" "$csp"
assert_eq "no server version" "nginx" "$(http_header Server)"

# The headers stay on error answers.
sp_req GET /no-such-file
assert_status "unknown static file 404" 404
assert_header "HSTS on 404" Strict-Transport-Security 'max-age='
assert_header "CSP on 404" Content-Security-Policy "default-src 'self'"
