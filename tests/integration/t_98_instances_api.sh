#!/usr/bin/env bash
# t_98_instances_api.sh - two scanpost-api instances behind nginx's
# upstreams (issue 11, README "Several instances"): one is killed with
# SIGKILL while uploads and job reads flow, and nothing a client would try
# again is lost.  nginx sends every new request to the one left (a refused
# connect moves a request on, nginx/scanpost.conf); a job read that was
# inside the dead instance is retried by nginx itself (GET is idempotent);
# an upload that was inside it ends in 502 and the device files it again,
# as a Xerox device retries a failed PutFile.  Job creation is no part of
# the kill window: a POST that reached a dying worker is not retried by
# anyone (it may have committed), which is the point of the rule.
# Leaves the stack as it found it: one instance of each.
set -uo pipefail
. "$ROOT/tests/lib/assert.sh"
. "$ROOT/tests/lib/http.sh"
. "$ROOT/tests/lib/jobs.sh"

restore() {
	STACK_SKIP_BUILD=1 "$ROOT/stack" up --api 1 --senders 1 >"$SP_TMP/restore.log" 2>&1 ||
		cat "$SP_TMP/restore.log"
	rm -rf "$SP_TMP"
}
trap restore EXIT

NJOBS=12    # uploads in the window, 3 at a time
UPLOAD_KIB=768

STACK_SKIP_BUILD=1 "$ROOT/stack" up --api 2 >"$SP_TMP/up.log" 2>&1
assert_eq "./stack up --api 2 starts" 0 "$?" || tail -n 20 "$SP_TMP/up.log"
api2=$(cat "$SP_VAR/run/scanpost-api-2.pid" 2>/dev/null)
assert_true "instance 2 runs (var/run/scanpost-api-2.pid)" kill -0 "${api2:-0}"
assert_true "instance 2 has its own sockets" test -S "$SP_VAR/run/api-2.sock" -a -S "$SP_VAR/run/upload-2.sock"
assert_eq "nginx's upstreams name both instances" 4 \
	"$(grep -cE 'server unix:.*/(api|upload)(-2)?\.sock' "$SP_VAR/nginx/scanpost.conf")"
assert_match "instance 2 logs with its own name" '"instance":"[^"]*/scanpost-api-2"' \
	"$(head -n 1 "$SP_VAR/log/scanpost-api-2.log")"

sp_signin
assert_status "sign-in" 201
sp_auth
# The jobs, created before the window; each one's upload URL and template.
: >"$SP_TMP/jobs"
for ((i = 0; i < NJOBS; i++)); do
	job_create '{"to":["alice@example.org"],"subject":"failover"}'
	[ "$HTTP_STATUS" = 201 ] && printf '%s %s\n' "$JOB_ID" "$JOB_UPLOAD" >>"$SP_TMP/jobs"
done
assert_eq "jobs created" "$NJOBS" "$(wc -l <"$SP_TMP/jobs")"
make_pdf "$SP_TMP/doc.pdf" $UPLOAD_KIB

# upload_as_device URL: PutFile and the job log, each sent again once when
# it fails (at most 3 tries), slowed to about 1.5 s per file so that some
# are inside an instance when it dies.  Prints "ok TRIES" (of the file) or
# "lost STATUS".
upload_as_device() {
	local url=$1 try status
	for try in 1 2 3; do
		status=$(curl -s --cacert "$SP_CA" --max-time 30 --limit-rate 512k -o /dev/null \
			-w '%{http_code}' -F theOperation=PutFile -F destDir=/ -F destName=doc.pdf \
			-F "sendfile=@$SP_TMP/doc.pdf;type=application/pdf;filename=doc.pdf" "$url")
		[ "$status" = 200 ] && break
		sleep 0.5
	done
	[ "$status" = 200 ] || { echo "lost $status"; return; }
	local tries=$try
	printf '[service xrx_svc_general]\n{\n\tboolean SuppressJobLog = FALSE;\n}\nend\n' >"$SP_TMP/jl.$$"
	for try in 1 2 3; do
		status=$(curl -s --cacert "$SP_CA" --max-time 30 -o /dev/null -w '%{http_code}' \
			-F theOperation=PutFile -F destDir=/ -F destName=Scan.XST \
			-F "sendfile=@$SP_TMP/jl.$$;type=application/octet-stream;filename=Scan.XST" "$url")
		[ "$status" = 200 ] && break
		sleep 0.5
	done
	[ "$status" = 200 ] && echo "ok $tries" || echo "lost joblog $status"
}

# Job reads as the weblet polls, without any retry of its own: nginx's.
poll_jobs() {
	local id
	while [ ! -e "$SP_TMP/stop" ]; do
		while read -r id _; do
			curl -s --cacert "$SP_CA" --max-time 30 -o /dev/null -w '%{http_code}\n' \
				-H "Cookie: __Host-sp_session=$SP_COOKIE" "$SP_URL/api/v1/jobs/$id"
		done <"$SP_TMP/jobs" >>"$SP_TMP/reads.$BASHPID"
	done
}

poll_jobs &
p1=$!
poll_jobs &
p2=$!
lane() { # LANE: every third job
	local n=0 id url
	while read -r id url; do
		[ $((n++ % 3)) -eq "$1" ] && echo "$id $(upload_as_device "$url")"
	done <"$SP_TMP/jobs"
}
lane 0 >"$SP_TMP/up.0" &
l0=$!
lane 1 >"$SP_TMP/up.1" &
l1=$!
lane 2 >"$SP_TMP/up.2" &
l2=$!
# Mid-run: once instance 2 is inside an upload (a connection on its upload
# socket, as ss shows it), at most 10 s into the window.
busy2=0
for ((i = 0; i < 100; i++)); do
	busy2=$(ss -xH 2>/dev/null | grep -c "$SP_VAR/run/upload-2.sock")
	[ "$busy2" -gt 0 ] && break
	sleep 0.1
done
kill -9 "$api2"
killed_at=$SECONDS
wait $l0 $l1 $l2
touch "$SP_TMP/stop"
wait $p1 $p2
window=$((SECONDS - killed_at))

assert_false "instance 2 is gone" kill -0 "$api2"
assert_match "instance 2 was inside an upload when killed" '^[1-9]' "$busy2"
cat "$SP_TMP"/up.[012] | sort >"$SP_TMP/uploads"
assert_eq "every upload arrived, as the device retries (no 'lost')" "$NJOBS" \
	"$(grep -c ' ok ' "$SP_TMP/uploads")" || cat "$SP_TMP/uploads"
reads=$(cat "$SP_TMP"/reads.* | wc -l)
bad=$(cat "$SP_TMP"/reads.* | grep -vc '^200$')
assert_match "job reads ran during the window" '^[1-9][0-9]' "$reads"
assert_eq "no job read failed: nginx moved each to the live instance ($reads reads, ${window}s)" \
	0 "$bad" || sort "$SP_TMP"/reads.* | uniq -c
retried=$(grep -c ' ok [23]$' "$SP_TMP/uploads")
assert_match "an upload cut by the kill was filed again by the device" '^[1-9]' "$retried"
echo "  (uploads retried: $retried of $NJOBS; reads $reads)"

# Every job has its whole document: submit them all and see them sent.
while read -r id _; do
	job_submit "$id"
	[ "$HTTP_STATUS" = 202 ] || echo "submit $id: $HTTP_STATUS"
done <"$SP_TMP/jobs"
list=$(awk '{ printf "%s\x27%s\x27", (NR > 1 ? "," : ""), $1 }' "$SP_TMP/jobs")
for ((i = 0; i < 240; i++)); do
	sent=$(db_scalar "SELECT count(*) FROM scanpost.jobs WHERE id IN ($list) AND state = 'sent'")
	[ "${sent:-0}" -ge "$NJOBS" ] && break
	sleep 0.25
done
assert_eq "every job is sent after the failover" "$NJOBS" "$sent"

# Instance 1 serves alone, and /metrics names it.
sp_req GET /metrics
assert_match "metrics carry the serving instance's name" \
	'scanpost_workers\{pool="api",instance_name="[^"]*/scanpost-api"\}' "$(cat "$HTTP_BODY")"
