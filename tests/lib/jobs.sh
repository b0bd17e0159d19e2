# tests/lib/jobs.sh - the send path as the weblet and the device drive it:
# create a job, upload like a Xerox device (HTTP filing protocol), submit,
# wait for a state, and look the job up in rmail-sim.
# Needs assert.sh and http.sh sourced first, and SP_COOKIE/SP_CSRF set.

# sp_auth: sets AUTH, the curl arguments of the signed-in weblet (cookie
# and CSRF header): sp_req DELETE /api/v1/session "${AUTH[@]}".
sp_auth() { AUTH=(-H "Cookie: __Host-sp_session=$SP_COOKIE" -H "X-CSRF-Token: $SP_CSRF"); }

# job_create [JSON]: POST /api/v1/jobs; sets JOB_ID, JOB_UPLOAD (the URL) and
# JOB_TEMPLATE (a file) on 201.
job_create() {
	local body=${1:-'{"to":["alice@example.org"],"subject":"Test scan","body":"Hello"}'}
	JOB_ID=
	JOB_UPLOAD=
	sp_json POST /api/v1/jobs "$body" -H "Cookie: __Host-sp_session=$SP_COOKIE" \
		-H "X-CSRF-Token: $SP_CSRF"
	if [ "$HTTP_STATUS" = 201 ]; then
		JOB_ID=$(jq -r .id "$HTTP_BODY")
		JOB_UPLOAD=$(jq -r .upload_url "$HTTP_BODY")
		JOB_TEMPLATE=$SP_TMP/template.$JOB_ID
		jq -r .template "$HTTP_BODY" >"$JOB_TEMPLATE"
	fi
}

# device_put URL FILE NAME [CONTENT-TYPE [CURL ARGS...]]: the device's
# PutFile POST (CURL ARGS e.g. --limit-rate, a slow scanner).
device_put() {
	local url=$1 file=$2 name=$3 type=${4:-application/octet-stream}
	shift 3
	[ $# -gt 0 ] && shift
	http_req "" POST "$url" -F theOperation=PutFile -F destDir=/ -F "destName=$name" \
		-F "sendfile=@$file;type=$type;filename=$name" "$@"
}

# device_op URL OPERATION DIR [NAME] [CURL ARGS...]: one filing operation
# without a file (MakeDir, ListDir, GetFile, DeleteFile, RemoveDir,
# DeleteDirContents); the answer word is in HTTP_BODY.
device_op() {
	local url=$1 op=$2 dir=$3 name=${4:-}
	shift 3
	[ $# -gt 0 ] && shift
	http_req "" POST "$url" -F "theOperation=$op" -F "destDir=$dir" \
		${name:+-F "destName=$name"} "$@"
}

# device_job_log URL [DIR] [NAME]: the job log a device files after the last
# file (SuppressJobLog = FALSE, src/lib/template.c); scanpost sends a job
# only once it is in (cgi/h_scan.c).
device_job_log() {
	local url=$1 dir=${2:-/} name=${3:-Scan.XST}
	printf '[service xrx_svc_general]\n{\n\tboolean SuppressJobLog = FALSE;\n}\nend\n' \
		>"$SP_TMP/joblog.xst"
	http_req "" POST "$url" -F theOperation=PutFile -F "destDir=$dir" -F "destName=$name" \
		-F "sendfile=@$SP_TMP/joblog.xst;type=application/octet-stream;filename=$name"
}

# device_put_all URL FILE NAME [CONTENT-TYPE]: a whole scan of one file, as
# a device files it: the file, then the job log.
device_put_all() {
	device_put "$@"
	[ "$HTTP_STATUS" = 200 ] && device_job_log "$1"
}

job_submit() { # [ID]
	sp_req POST "/api/v1/jobs/${1:-$JOB_ID}/submit" -H "Cookie: __Host-sp_session=$SP_COOKIE" \
		-H "X-CSRF-Token: $SP_CSRF"
}

job_get() { # [ID]
	sp_req GET "/api/v1/jobs/${1:-$JOB_ID}" -H "Cookie: __Host-sp_session=$SP_COOKIE"
}

# job_wait STATE SECONDS [ID]: polls until the job is in STATE or a terminal
# state; prints the last state seen.
job_wait() {
	local want=$1 secs=$2 id=${3:-$JOB_ID} state="" i
	for ((i = 0; i < secs * 4; i++)); do
		job_get "$id"
		state=$(jq -r '.state // empty' "$HTTP_BODY" 2>/dev/null)
		case $state in
		"$want" | sent | failed | canceled | expired) break ;;
		esac
		sleep 0.25
	done
	printf '%s\n' "$state"
}

# db_wait_state STATE SECONDS [ID]: like job_wait, read from the database
# (for jobs whose session is over, which the API no longer shows).
db_wait_state() {
	local want=$1 secs=$2 id=${3:-$JOB_ID} state="" i
	for ((i = 0; i < secs * 4; i++)); do
		state=$(db_scalar "SELECT state FROM scanpost.jobs WHERE id = '$id'")
		case $state in
		"$want" | sent | failed | canceled | expired) break ;;
		esac
		sleep 0.25
	done
	printf '%s\n' "$state"
}

# rmail_messages_for ID: rmail-sim's accepted messages whose
# CustomerTrackingId is ID, as a JSON array.
rmail_messages_for() {
	curl -sS --cacert "$SP_CA" --max-time 10 "$RMAIL_URL/_sim/messages" |
		jq -c --arg id "$1" '[ (if type == "array" then . else (.messages // []) end)[]
			| select((.customer_tracking_id // .CustomerTrackingId // "") == $id) ]'
}

# A PDF-looking file of N KiB (a valid header, then random bytes).
make_pdf() { # FILE KIB
	{ printf '%%PDF-1.4\n%% scanpost test\n'; head -c "$(($2 * 1024))" /dev/urandom; } >"$1"
}
make_tiff() { # FILE KIB
	{ printf 'II*\000'; head -c "$(($2 * 1024))" /dev/urandom; } >"$1"
}
sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# db_scalar SQL: one value, as the database owner.
db_scalar() { sp_psql -XAtq -c "$1" 2>/dev/null; }

# Secondary test account (./stack writes it next to the demo one).
OTHER_USER=other@example.com
other_password() { cat "$SP_VAR/other-password"; }

# sender_kill: SIGKILL the running scanpost-sender (no cleanup, like a crash).
sender_kill() {
	local pid
	pid=$(cat "$SP_VAR/run/scanpost-sender.pid" 2>/dev/null) && kill -9 "$pid" 2>/dev/null
	sleep 0.5
}
# sender_start: start it again the way the stack does (same build).
sender_start() {
	STACK_SKIP_BUILD=1 "$ROOT/stack" up >/dev/null 2>&1
}
