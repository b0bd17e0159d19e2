# shellcheck shell=bash
# tests/attack/battery.sh - hostile requests against the running stack,
# sourced by tests/attack/run (assert.sh, http.sh and jobs.sh loaded,
# SP_COOKIE/SP_CSRF the demo user's session).  Every request must be
# refused with a fitting 4xx (or the filing protocol's refusal word), none
# answered 5xx, none succeed.

DEMO_COOKIE=$SP_COOKIE DEMO_CSRF=$SP_CSRF
DEMO_AUTH=(-H "Cookie: __Host-sp_session=$SP_COOKIE" -H "X-CSRF-Token: $SP_CSRF")
pdf=$SP_TMP/attack.pdf
make_pdf "$pdf" 20
no_5xx() { # NAME: the last answer was no server error
	if [ "${HTTP_STATUS:-000}" -ge 500 ] || [ "${HTTP_STATUS:-000}" = 000 ]; then
		sp_fail "$1: no 5xx" "status ${HTTP_STATUS:-none}" "$(sp_body_excerpt)"
	fi
}
refused_4xx() { # NAME: the last answer was a 4xx refusal
	assert_match "$1 is refused (4xx)" '^4[0-9][0-9]$' "${HTTP_STATUS:-000}"
}

# ---- another user's job ---------------------------------------------------------------
job_create
mine=$JOB_ID
mine_up=$JOB_UPLOAD
sp_signin "$OTHER_USER" "$(other_password)"
OTHER_AUTH=(-H "Cookie: __Host-sp_session=$SP_COOKIE" -H "X-CSRF-Token: $SP_CSRF")
OTHER_CSRF=$SP_CSRF
sp_req GET "/api/v1/jobs/$mine" "${OTHER_AUTH[@]}"
assert_error "another user's job: GET" 404 not_found
sp_req POST "/api/v1/jobs/$mine/submit" "${OTHER_AUTH[@]}" -H 'Content-Type: application/json' --data '{}'
assert_error "another user's job: submit" 404 not_found
sp_req DELETE "/api/v1/jobs/$mine" "${OTHER_AUTH[@]}"
assert_error "another user's job: cancel" 404 not_found
sp_req GET /api/v1/jobs "${OTHER_AUTH[@]}"
assert_jq "another user's list does not hold it" "[.jobs[].id] | index(\"$mine\") | not"
SP_COOKIE=$DEMO_COOKIE SP_CSRF=$DEMO_CSRF
job_get "$mine"
assert_json "... and it is untouched" .state awaiting_scan

# ---- CSRF -------------------------------------------------------------------------------
sp_json POST /api/v1/jobs '{"to":["alice@example.org"]}' "${DEMO_AUTH[0]}" "${DEMO_AUTH[1]}"
assert_error "CSRF: create without X-CSRF-Token" 403 csrf_failed
sp_json POST /api/v1/jobs '{"to":["alice@example.org"]}' "${DEMO_AUTH[0]}" "${DEMO_AUTH[1]}" \
	-H "X-CSRF-Token: $OTHER_CSRF"
assert_error "CSRF: another session's token" 403 csrf_failed
sp_req DELETE "/api/v1/jobs/$mine" "${DEMO_AUTH[0]}" "${DEMO_AUTH[1]}" -H "X-CSRF-Token: ${OTHER_CSRF}x"
assert_error "CSRF: cancel with a wrong token" 403 csrf_failed
sp_req DELETE /api/v1/session "${DEMO_AUTH[0]}" "${DEMO_AUTH[1]}"
assert_error "CSRF: sign-out without the token" 403 csrf_failed

# ---- upload tokens: reuse and cross-job use ----------------------------------------------------
job_create
theirs=$JOB_ID
theirs_up=$JOB_UPLOAD
device_put "${mine_up%/*}/${theirs_up##*/}" "$pdf" a.pdf application/pdf
assert_status "upload: job A's path with job B's token" 403
device_put "${theirs_up%/*/*}/$mine/${theirs_up##*/}" "$pdf" a.pdf application/pdf
assert_status "upload: job B's token on job A" 403
device_put "$mine_up" "$pdf" a.pdf application/pdf
assert_status "upload: the right link works" 200
device_job_log "$mine_up"
job_submit "$mine"
assert_status "submit" 202
device_put "$mine_up" "$pdf" b.pdf application/pdf
assert_status "upload: the link once the job is submitted (reuse)" 403
device_op "$mine_up" ListDir /
assert_status "upload: a folder operation on a used link" 403

# ---- path traversal in filing names ------------------------------------------------------------
for name in '../../etc/passwd.pdf' '..' '../x.pdf' '..\..\x.pdf' '/etc/passwd' \
	'a/../../b.pdf' 'dir/../../../c.pdf' '....//x.pdf'; do
	device_put "$theirs_up" "$pdf" "$name" application/pdf
	no_5xx "filing name '$name'"
	if [ "$HTTP_STATUS" = 200 ]; then
		assert_ne "filing name '$name': refused (XRXBADNAME/XRXERROR)" "" "$(cat "$HTTP_BODY")"
	else
		refused_4xx "filing name '$name'"
	fi
done
# Percent-encoding is not decoded: the name is kept as it came, in /.
device_put "$theirs_up" "$pdf" '%2e%2e%2fy.pdf' application/pdf
no_5xx "filing name '%2e%2e%2fy.pdf'"
assert_eq "an encoded '../' is a literal name in the job's own root" "/ %2e%2e%2fy.pdf" \
	"$(db_scalar "SELECT dir || ' ' || name FROM scanpost.filing_entries WHERE job_id = '$theirs' AND name LIKE '%2e%'")"
for dir in '../..' '/../../etc' '..\..' 'a/../../..'; do
	device_op "$theirs_up" MakeDir "$dir"
	no_5xx "filing folder '$dir'"
	assert_ne "filing folder '$dir': MakeDir refused" "" "$(cat "$HTTP_BODY")"
	device_op "$theirs_up" ListDir "$dir"
	assert_ne "filing folder '$dir': ListDir refused" "" "$(cat "$HTTP_BODY")"
done
assert_eq "no filing entry or document of job B names a parent folder" 0 \
	"$(db_scalar "SELECT count(*) FROM scanpost.filing_entries WHERE job_id = '$theirs' AND (name LIKE '%..%' OR dir LIKE '%..%')")"

# ---- oversize and deeply nested JSON --------------------------------------------------------------
head -c 70000 /dev/zero | tr '\0' 'a' | jq -Rc '{to: ["alice@example.org"], body: .}' >"$SP_TMP/big.json"
sp_req POST /api/v1/jobs "${DEMO_AUTH[@]}" -H 'Content-Type: application/json' --data-binary @"$SP_TMP/big.json"
assert_error "JSON over 64 KiB" 413 too_large
python3 -c 'print("[" * 200000 + "]" * 200000)' >"$SP_TMP/deep.json"
sp_req POST /api/v1/jobs "${DEMO_AUTH[@]}" -H 'Content-Type: application/json' --data-binary @"$SP_TMP/deep.json"
assert_error "200,000 nested arrays" 413 too_large
python3 -c 'print("{\"to\":" + "[" * 30000 + "]" * 30000 + "}")' >"$SP_TMP/deep.json"
sp_req POST /api/v1/jobs "${DEMO_AUTH[@]}" -H 'Content-Type: application/json' --data-binary @"$SP_TMP/deep.json"
assert_error "30,000 nested arrays under 64 KiB" 400 invalid_json
python3 -c 'print("{\"username\":" + "{\"a\":" * 6000 + "1" + "}" * 6000 + ",\"password\":\"x\"}")' >"$SP_TMP/deep.json"
sp_req POST /api/v1/session -H 'Content-Type: application/json' --data-binary @"$SP_TMP/deep.json"
refused_4xx "sign-in with 6,000 nested objects"
no_5xx "sign-in with 6,000 nested objects"

# ---- NUL and CRLF in every text field ----------------------------------------------------------------
# One-line fields refuse both; body and SideNote are several lines by
# nature, so CRLF is their content (a line break), never a header: NUL only.
job_with() { # JQ-PATH VALUE: a job body with that one field set
	jq -nc --arg v "$2" "{to: [\"alice@example.org\"]} | $1 = \$v"
}
for f in .subject '.to[0]' '.cc[0]' '.bcc[0]' .registered.reference .registered.sidenote \
	.body .scan.file_name .scan.language .registered.encryption .scan.format; do
	for what in NUL CRLF; do
		case $what in
		NUL) v=$'a\x01b' body=$(job_with "$f" "$v" | sed 's/\\u0001/\\u0000/') ;;
		CRLF) body=$(job_with "$f" $'a\r\nBcc: evil@example.org') ;;
		esac
		sp_json POST /api/v1/jobs "$body" "${DEMO_AUTH[@]}"
		if [ "$what" = CRLF ] && { [ "$f" = .body ] || [ "$f" = .registered.sidenote ]; }; then
			assert_status "CRLF in $f is a line break of that text" 201
			id=$(jq -r '.id // empty' "$HTTP_BODY")
			[ -n "$id" ] && sp_req DELETE "/api/v1/jobs/$id" "${DEMO_AUTH[@]}"
		else
			assert_error "$what in $f" 400 invalid_field
		fi
	done
done
for f in username password; do
	for v in 'a\u0000b' 'a\r\nb'; do
		sp_json POST /api/v1/session "{\"username\":\"probe@example.org\",\"password\":\"pw\",\"$f\":\"$v\"}"
		no_5xx "sign-in with $v in $f"
		refused_4xx "sign-in with $v in $f"
	done
done
sp_req GET "/api/v1/jobs/%00" "${DEMO_AUTH[@]}"
refused_4xx "NUL in a path"
sp_req GET "/api/v1/jobs/x%0d%0aSet-Cookie:%20pwned=1" "${DEMO_AUTH[@]}"
refused_4xx "CRLF in a path"
assert_eq "... and no header was injected" "" "$(http_header Set-Cookie)"

# ---- 10,000 recipients -----------------------------------------------------------------------------
python3 -c 'import json; print(json.dumps({"to": ["r%d@example.org" % i for i in range(10000)]}))' >"$SP_TMP/many.json"
sp_req POST /api/v1/jobs "${DEMO_AUTH[@]}" -H 'Content-Type: application/json' --data-binary @"$SP_TMP/many.json"
assert_error "10,000 recipients" 413 too_large
python3 -c 'import json; print(json.dumps({"to": ["r%d@e.io" % i for i in range(20)], "cc": ["c%d@e.io" % i for i in range(20)], "bcc": ["b%d@e.io" % i for i in range(20)]}))' >"$SP_TMP/many.json"
sp_req POST /api/v1/jobs "${DEMO_AUTH[@]}" -H 'Content-Type: application/json' --data-binary @"$SP_TMP/many.json"
assert_error "60 recipients (under 64 KiB)" 400 invalid_field

# ---- session fixation -----------------------------------------------------------------------------------
planted=$(openssl rand 32 | base64 | tr '+/' '-_' | tr -d '=')
sp_json POST /api/v1/session "$(signin_body "$DEMO_USER" "$(demo_password)")" \
	-H "Cookie: __Host-sp_session=$planted"
assert_status "sign-in with a planted cookie" 201
issued=$(http_header Set-Cookie | sed -n 's/^__Host-sp_session=\([^;]*\).*/\1/p')
assert_ne "the session is a new secret, not the planted one" "$planted" "$issued"
sp_req GET /api/v1/session -H "Cookie: __Host-sp_session=$planted"
assert_error "the planted value opens nothing" 401 not_signed_in
sp_req GET /api/v1/session -H "Cookie: sp_session=$issued"
assert_error "a valid secret under the old, unprefixed name is not read" 401 not_signed_in
sp_req GET /api/v1/session -H "Cookie: __Host-sp_session=$planted; __Host-sp_session=$issued"
assert_error "a planted cookie before the real one is no way in" 401 not_signed_in
sp_req DELETE /api/v1/session -H "Cookie: __Host-sp_session=$issued" \
	-H "X-CSRF-Token: $(jq -r .csrf_token "$HTTP_BODY" 2>/dev/null)"

# ---- TRACE and other methods ------------------------------------------------------------------------------
for path in / /api/v1/session "/scan/$mine/x"; do
	for m in TRACE TRACK; do
		sp_req "$m" "$path" -H 'X-Attack-Echo: echo-me'
		assert_error "$m $path" 405 method_not_allowed
		assert_eq "$m $path echoes nothing" 0 "$(grep -c echo-me "$HTTP_BODY")"
	done
done
sp_req PUT /api/v1/jobs "${DEMO_AUTH[@]}"
assert_error "PUT /api/v1/jobs" 405 method_not_allowed

# ---- a forged Host ----------------------------------------------------------------------------------------------
sp_json POST /api/v1/jobs '{"to":["alice@example.org"]}' "${DEMO_AUTH[@]}" -H 'Host: evil.example'
no_5xx "a job created with Host: evil.example"
if [ "$HTTP_STATUS" = 201 ]; then
	assert_match "the upload link is the configured public URL, whatever Host says" \
		"^$SP_URL/scan/" "$(jq -r .upload_url "$HTTP_BODY")"
	sp_req DELETE "/api/v1/jobs/$(jq -r .id "$HTTP_BODY")" "${DEMO_AUTH[@]}"
else
	refused_4xx "a job created with Host: evil.example"
fi

sp_req DELETE "/api/v1/jobs/$theirs" "${DEMO_AUTH[@]}"
