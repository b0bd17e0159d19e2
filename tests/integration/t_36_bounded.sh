#!/usr/bin/env bash
# t_36_bounded.sh - separate pools and bounded waits (issue 10, DESIGN 3.7)
# through nginx: printers uploading slowly hold the upload pool's workers,
# never the API's, so sign-in, job status and /healthz answer at once
# meanwhile; a second POST to a link that is uploading is 409 at once (the
# job row is locked NOWAIT); every slow upload still succeeds.
set -uo pipefail
. "$ROOT/tests/lib/assert.sh"
. "$ROOT/tests/lib/http.sh"
. "$ROOT/tests/lib/jobs.sh"

SLOW=8              # twice api_workers (4): a shared pool would be full
# Each trickles at 8 KiB/s for about 12 s; curl sends up to its 64 KiB
# buffer at once and then waits, so the body must be well above that for
# the upload to be still going when the probes below run.
RATE=8k
KIB=96
api_workers=$(sed -n 's/^api_workers = //p' "$SP_VAR/api.conf")

sp_signin
sp_auth
pdf=$SP_TMP/slow.pdf
make_pdf "$pdf" "$KIB"

urls=()
ids=()
for ((i = 0; i < SLOW; i++)); do
	job_create
	urls+=("$JOB_UPLOAD")
	ids+=("$JOB_ID")
done
first_job=${ids[0]}
assert_eq "$SLOW jobs made for slow uploads" "$SLOW" "${#urls[@]}"

# The uploads, in the background, each with its status and body kept.
pids=()
for ((i = 0; i < SLOW; i++)); do
	curl -sS --cacert "$SP_CA" --max-time 60 --limit-rate "$RATE" -o "$SP_TMP/up.$i.body" \
		-w '%{http_code}' -F theOperation=PutFile -F destDir=/ -F destName=slow.pdf \
		-F "sendfile=@$pdf;type=application/pdf;filename=slow.pdf" "${urls[$i]}" \
		>"$SP_TMP/up.$i.status" 2>"$SP_TMP/up.$i.err" &
	pids+=($!)
done
sleep 1.5 # every upload has its worker and its job row now

# ms CMD...: runs an http helper and prints how long it took, in ms.
ms() {
	local t0 t1
	t0=$(date +%s%N)
	"$@"
	t1=$(date +%s%N)
	MS=$(((t1 - t0) / 1000000))
}

ms sp_req GET /api/v1/session "${AUTH[@]}"
assert_status "GET /api/v1/session answers during $SLOW slow uploads" 200
assert_true "... at once ($MS ms < 2000)" [ "$MS" -lt 2000 ]
ms sp_req GET "/api/v1/jobs/$first_job" "${AUTH[@]}"
assert_status "job status answers during the uploads" 200
assert_true "... at once ($MS ms < 2000)" [ "$MS" -lt 2000 ]
ms sp_req GET /healthz
assert_status "/healthz stays 200 during the uploads" 200
assert_true "... at once ($MS ms < 2000)" [ "$MS" -lt 2000 ]
# A sign-in goes through RMail (rmail-sim) and a fresh session: still quick.
saved_cookie=$SP_COOKIE saved_csrf=$SP_CSRF
ms sp_signin
assert_status "a sign-in answers during the uploads" 201
assert_true "... at once ($MS ms < 3000)" [ "$MS" -lt 3000 ]
SP_COOKIE=$saved_cookie SP_CSRF=$saved_csrf
sp_auth

# A second POST to a link whose upload is in progress: 409, not a wait.
make_pdf "$SP_TMP/second.pdf" 4
ms device_put "${urls[0]}" "$SP_TMP/second.pdf" second.pdf application/pdf
assert_status "a second upload to a busy link is 409" 409
assert_true "... at once ($MS ms < 1500)" [ "$MS" -lt 1500 ]
assert_eq "... with the protocol's XRXERROR" XRXERROR "$(cat "$HTTP_BODY")"

for pid in "${pids[@]}"; do wait "$pid"; done
ok=0
for ((i = 0; i < SLOW; i++)); do
	if [ "$(cat "$SP_TMP/up.$i.status")" = 200 ] && ! grep -q XRX "$SP_TMP/up.$i.body"; then
		ok=$((ok + 1))
	fi
done
assert_eq "every slow upload succeeded" "$SLOW" "$ok"
assert_eq "the busy link kept the first upload's file only" 1 \
	"$(db_scalar "SELECT count(*) FROM scanpost.job_files WHERE job_id = '$first_job'")"
assert_true "the api runs $api_workers API workers apart from its upload pool" \
	grep -q '"event":"pool_started","pool":"upload"' "$SP_VAR/log/scanpost-api.log"
ms sp_req GET /healthz
assert_status "/healthz 200 after the uploads" 200

sp_req DELETE /api/v1/session "${AUTH[@]}"
