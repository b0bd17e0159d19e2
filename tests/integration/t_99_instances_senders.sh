#!/usr/bin/env bash
# t_99_instances_senders.sh - two scanpost-sender instances share one queue
# (issue 11, README "Several instances"): 200 jobs, RMail answering Mail
# after 200 ms, and one sender killed with SIGKILL halfway while it holds
# jobs.  Every job is sent exactly once (counted at rmail-sim by its
# CustomerTrackingId) and none waits longer than the dead sender's lease
# plus a janitor round: the other sender takes the orphaned jobs over and,
# for one whose Mail may have reached RMail, asks RMail before sending
# again.  Leaves the stack as it found it: one instance of each.
set -uo pipefail
. "$ROOT/tests/lib/assert.sh"
. "$ROOT/tests/lib/http.sh"
. "$ROOT/tests/lib/jobs.sh"

NJOBS=200
LANES=4

restore() {
	rmail_faults_clear >/dev/null 2>&1
	# Writes api.conf afresh (jobs_open_max back), which restarts the api.
	STACK_SKIP_BUILD=1 "$ROOT/stack" up --api 1 --senders 1 >"$SP_TMP/restore.log" 2>&1 ||
		cat "$SP_TMP/restore.log"
	rm -rf "$SP_TMP"
}
trap restore EXIT

STACK_SKIP_BUILD=1 "$ROOT/stack" up --senders 2 >"$SP_TMP/up.log" 2>&1
assert_eq "./stack up --senders 2 starts" 0 "$?" || tail -n 20 "$SP_TMP/up.log"
s1=$(cat "$SP_VAR/run/scanpost-sender.pid" 2>/dev/null)
s2=$(cat "$SP_VAR/run/scanpost-sender-2.pid" 2>/dev/null)
assert_true "sender 1 runs" kill -0 "${s1:-0}"
assert_true "sender 2 runs (var/run/scanpost-sender-2.pid)" kill -0 "${s2:-0}"
lease=$(sed -n 's/^sender_lease = //p' "$SP_VAR/sender.conf")
janitor=$(sed -n 's/^janitor_interval = //p' "$SP_VAR/sender.conf")

# 200 open jobs of one person: above the stack's jobs_open_max, raised for
# this test (a reloadable key: SIGHUP).
sed -i 's/^jobs_open_max = .*/jobs_open_max = 1000/' "$SP_VAR/api.conf"
kill -HUP "$(cat "$SP_VAR/run/scanpost-api.pid")"
sleep 0.5

sp_signin
assert_status "sign-in" 201
sp_auth
DOC=$SP_TMP/doc.pdf
make_pdf "$DOC" 8

# LANES creators at once, each with its own answer and scratch files (the
# job log a device files is written afresh per job: a shared one would
# change under another lane's upload).
lane_tmp() { # LANE
	SP_TMP=$SP_TMP/lane.$1
	mkdir -p "$SP_TMP"
	HTTP_BODY=$SP_TMP/body HTTP_HEADERS=$SP_TMP/headers
}
create_lane() { # LANE
	local out=$SP_TMP/ids.$1
	lane_tmp "$1"
	local try
	for ((i = $1; i < NJOBS; i += LANES)); do
		for try in 1 2 3; do
			job_create '{"to":["alice@example.org"],"subject":"two senders"}'
			if [ "$HTTP_STATUS" = 201 ]; then
				device_put_all "$JOB_UPLOAD" "$DOC" doc.pdf application/pdf
				[ "$HTTP_STATUS" = 200 ] && echo "$JOB_ID" && break
			fi
			echo "job $i, try $try: $HTTP_STATUS $(sp_body_excerpt)" >&2
		done
	done >"$out"
}
for ((l = 0; l < LANES; l++)); do create_lane $l & done
wait
cat "$SP_TMP"/ids.* >"$SP_TMP/ids"
assert_eq "$NJOBS jobs created and uploaded" "$NJOBS" "$(wc -l <"$SP_TMP/ids")"
list=$(awk '{ printf "%s\x27%s\x27", (NR > 1 ? "," : ""), $1 }' "$SP_TMP/ids")
sent_count() {
	db_scalar "SELECT count(*) FROM scanpost.jobs WHERE id IN ($list) AND state = 'sent'"
}

rmail_fault '{"kind":"latency","latency_ms":200,"path":"/api/v1/Mail","rate":1}' >/dev/null
submit_lane() { # LANE
	local ids=$SP_TMP/ids
	lane_tmp "$1"
	awk -v l="$1" -v n="$LANES" 'NR % n == l' "$ids" | while read -r id; do
		job_submit "$id"
		[ "$HTTP_STATUS" = 202 ] || echo "submit $id: $HTTP_STATUS"
	done
}
for ((l = 0; l < LANES; l++)); do submit_lane $l & done

# Halfway (half the jobs sent) and while sender 2 holds some: kill it.
held=0 half=0
for ((i = 0; i < 1200; i++)); do
	half=$(sent_count)
	held=$(db_scalar "SELECT count(*) FROM scanpost.jobs WHERE id IN ($list) AND lease_owner LIKE '%/scanpost-sender-2:%'")
	[ "${half:-0}" -ge $((NJOBS / 2)) ] && [ "${held:-0}" -gt 0 ] && break
	sleep 0.1
done
queue=$("$SCANPOSTCTL" -c "$CTL_CONF" queue list --state sending --limit 1000 2>&1)
kill -9 "$s2"
killed_at=$SECONDS
wait
assert_true "killed halfway, with jobs left to send ($half of $NJOBS sent)" \
	test "${half:-0}" -ge $((NJOBS / 2)) -a "${half:-0}" -lt "$NJOBS"
assert_match "sender 2 held jobs when killed ($held)" '^[1-9]' "$held"
assert_match "scanpostctl queue list shows which sender holds a job" \
	'/scanpost-sender-2:[0-9]+:[0-9]+' "$queue"

# None stuck beyond the lease: all sent within lease + janitor + 30 s.
limit=$((lease + janitor + 30))
n=0
while [ $((SECONDS - killed_at)) -le $limit ]; do
	n=$(sent_count)
	[ "${n:-0}" -ge $NJOBS ] && break
	sleep 0.5
done
took=$((SECONDS - killed_at))
rmail_faults_clear >/dev/null
assert_eq "every job sent, the last ${took}s after the kill (lease ${lease}s, limit ${limit}s)" \
	"$NJOBS" "$n"

# Exactly once, as rmail-sim counts the messages it accepted.
curl -sS --cacert "$SP_CA" --max-time 30 "$RMAIL_URL/_sim/messages" |
	jq -r '(if type == "array" then . else (.messages // []) end)[]
		| .options["X-RPost-CustomerTrackingId"] // .customer_tracking_id // empty' |
	grep -Fxf "$SP_TMP/ids" | sort | uniq -c | awk '{ print $1 }' | sort | uniq -c >"$SP_TMP/counts"
assert_eq "rmail-sim has each job exactly once" "$NJOBS 1" "$(awk '{ print $1, $2 }' "$SP_TMP/counts")" ||
	cat "$SP_TMP/counts"

# Both instances worked, each under its own name.
sent_by() { # INSTANCE: its job_sent lines for these jobs
	grep -h "\"instance\":\"[^\"]*/$1\",\"event\":\"job_sent\"" "$SP_VAR/log/$1.log" |
		grep -cFf "$SP_TMP/ids"
}
by1=$(sent_by scanpost-sender)
by2=$(sent_by scanpost-sender-2)
assert_match "sender 1 sent jobs under its name ($by1)" '^[1-9]' "$by1"
assert_match "sender 2 sent jobs under its name before it died ($by2)" '^[1-9]' "$by2"
