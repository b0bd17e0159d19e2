#!/usr/bin/env bash
# t_38_reload.sh - SIGHUP re-reads the configuration (issue 13): the keys a
# running program may take apply at once, the others are named as needing
# a restart, a bad file changes nothing, and an upload in flight during the
# reload is neither dropped nor held up.  For scanpost-api, scanpost-sender
# and scanpost-ssod alike.
set -uo pipefail
. "$ROOT/tests/lib/assert.sh"
. "$ROOT/tests/lib/http.sh"
. "$ROOT/tests/lib/jobs.sh"

pid_of() { cat "$SP_VAR/run/$1.pid"; }
log_of() { printf '%s' "$SP_VAR/log/$1.log"; }
# count_in DAEMON TEXT: lines of its log holding TEXT
count_in() { grep -cF -- "$2" "$(log_of "$1")"; }
# wait_log DAEMON TEXT N: until TEXT is in N lines of its log (10 s)
wait_log() {
	local i
	for i in $(seq 1 50); do
		[ "$(count_in "$1" "$2")" -ge "$3" ] && return 0
		sleep 0.2
	done
	return 1
}
# set_key FILE KEY VALUE: the stack's config with KEY set to VALUE, written
# in place (the daemon's user must still own and read it)
set_key() {
	local t=$SP_TMP/set_key.tmp
	if grep -q "^$2 = " "$1"; then
		sed "s|^$2 = .*|$2 = $3|" "$1" >"$t"
	else
		{ cat "$1"; printf '%s = %s\n' "$2" "$3"; } >"$t"
	fi
	cat "$t" >"$1"
}
# put_back SAVED FILE: FILE's content as saved, in place
put_back() { cat "$1" >"$2"; }
expires_in() { # the job JSON's upload_expires_at, in seconds from now
	local at
	at=$(jq -r .upload_expires_at "$HTTP_BODY")
	echo $(($(date -u -d "$at" +%s) - $(date -u +%s)))
}

API=scanpost-api
api_conf=$SP_VAR/api.conf
saved=$SP_TMP/api.conf.saved
cp -p "$api_conf" "$saved"
api_pid=$(pid_of $API)

sp_signin
assert_status "sign-in" 201
sp_auth
job_create
assert_status "a job before the reload" 201
before=$(expires_in)
assert_true "its upload link lives upload_ttl (1800 s)" test "$before" -gt 1700

# --- an upload in flight while the configuration is reloaded
pdf=$SP_TMP/reload.pdf
make_pdf "$pdf" 200
job_create
slow_job=$JOB_ID
curl -sS --cacert "$SP_CA" --max-time 60 --limit-rate 40000 -o /dev/null -w '%{http_code}' \
	-F theOperation=PutFile -F destDir=/ -F destName=reload.pdf \
	-F "sendfile=@$pdf;type=application/pdf;filename=reload.pdf" "$JOB_UPLOAD" \
	>"$SP_TMP/slow.status" 2>/dev/null &
slow=$!
sleep 1

# --- a reloadable key and a restart-only key change
set_key "$api_conf" upload_ttl 600
set_key "$api_conf" api_workers 5
reloads=$(count_in $API '"event":"config_reloaded"')
t0=$(date +%s%N)
kill -HUP "$api_pid"
assert_true "scanpost-api logs the reload" wait_log $API '"event":"config_reloaded"' $((reloads + 1))
line=$(grep -F '"event":"config_reloaded"' "$(log_of $API)" | tail -n 1)
assert_match "it names the key it took" '"applied":"upload_ttl"' "$line"
assert_match "and the key that needs a restart" '"restart_needed":"api_workers"' "$line"
sp_req GET /api/v1/session -H "Cookie: __Host-sp_session=$SP_COOKIE"
assert_status "requests go on during and after the reload" 200
ms=$((($(date +%s%N) - t0) / 1000000))
assert_true "the reload did not wait for the upload in flight (${ms} ms)" test "$ms" -lt 5000
assert_eq "the same scanpost-api process (no restart)" "$api_pid" "$(pid_of $API)"
job_create
assert_status "a job after the reload" 201
after=$(expires_in)
assert_true "its link lives the new upload_ttl (600 s): $after s" \
	bash -c "[ $after -gt 500 ] && [ $after -le 600 ]"

wait "$slow"
assert_eq "the upload in flight finished with 200" 200 "$(cat "$SP_TMP/slow.status")"
assert_eq "and its document is kept" 1 \
	"$(db_scalar "SELECT count(*) FROM scanpost.job_files WHERE job_id = '$slow_job'")"

# --- a bad file changes nothing
set_key "$api_conf" upload_ttl 5
failures=$(count_in $API '"event":"config_reload_failed"')
kill -HUP "$api_pid"
assert_true "a bad value is refused and logged" \
	wait_log $API '"event":"config_reload_failed"' $((failures + 1))
assert_match "naming the key" 'upload_ttl' \
	"$(grep -F '"event":"config_reload_failed"' "$(log_of $API)" | tail -n 1)"
job_create
assert_status "the api goes on with what it had" 201
after=$(expires_in)
assert_true "the last good upload_ttl still holds (600 s): $after s" \
	bash -c "[ $after -gt 500 ] && [ $after -le 600 ]"

# --- back as the stack wrote it
put_back "$saved" "$api_conf"
reloads=$(count_in $API '"event":"config_reloaded"')
kill -HUP "$api_pid"
assert_true "reloaded back" wait_log $API '"event":"config_reloaded"' $((reloads + 1))
job_create
assert_true "upload_ttl is 1800 s again" test "$(expires_in)" -gt 1700

# --- scanpost-sender and scanpost-ssod reload the same way
for d in scanpost-sender:sender scanpost-ssod:ssod; do
	name=${d%%:*} conf=$SP_VAR/${d#*:}.conf
	cp -p "$conf" "$SP_TMP/saved.conf"
	set_key "$conf" janitor_interval 45
	reloads=$(count_in "$name" '"event":"config_reloaded"')
	kill -HUP "$(pid_of "$name")"
	assert_true "$name logs the reload" wait_log "$name" '"event":"config_reloaded"' $((reloads + 1))
	assert_match "$name took janitor_interval" '"applied":"janitor_interval"' \
		"$(grep -F '"event":"config_reloaded"' "$(log_of "$name")" | tail -n 1)"
	put_back "$SP_TMP/saved.conf" "$conf"
	kill -HUP "$(pid_of "$name")"
	assert_true "$name still runs" kill -0 "$(pid_of "$name")"
done
