#!/usr/bin/env bash
# t_63_filing_device.sh - the whole path from the printer's side, against
# the real stack: scanpost's template stored on sim/device with the requests
# Xerox's EIP library sends (tests/fixtures/eip/services.tsv), the scan
# filed to scanpost with lock file, working folder and job log
# (tests/fixtures/eip/filing/sequence_*.txt) and answered as Xerox's sample
# receiver does; an AltaLink and a VersaLink, whose template carries the
# app name (src/lib/template.h) and which files to /scanpost/scan/...
set -uo pipefail
. "$ROOT/tests/lib/assert.sh"
. "$ROOT/tests/lib/http.sh"
. "$ROOT/tests/lib/jobs.sh"

DEVICE_URL=${DEVICE_URL:-http://127.0.0.1:8081}
FIX=$ROOT/tests/fixtures/eip
NS_TM='http://www.xerox.com/webservices/office/template_management/1/'
NS_SCAN='http://www.xerox.com/webservices/scanservice/2'
NS_JM='http://xml.namespaces.xerox.com/enterprise/JobManagement/1'
ENV11='<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header></soap:Header><soap:Body>'
ENV12='<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Header></soap:Header><soap:Body>'
ENVEND='</soap:Body></soap:Envelope>'

# soap PATH ENVELOPE-START BODY: POSTs as the library does (text/xml,
# SOAPAction ""); the answer in $SP_TMP/soap.xml, the status in SOAP_STATUS.
soap() {
	printf '%s%s%s' "$2" "$3" "$ENVEND" >"$SP_TMP/soap-req.xml"
	SOAP_STATUS=$(curl -s --max-time 20 -o "$SP_TMP/soap.xml" -w '%{http_code}' \
		-H 'Content-Type: text/xml' -H 'SOAPAction: ""' \
		--data-binary @"$SP_TMP/soap-req.xml" "$DEVICE_URL$1")
}
xml_escape() { sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g'; }
sim() { curl -s --max-time 10 -X POST -d "$2" "$DEVICE_URL/_sim/$1" >/dev/null; }
device_job() { curl -s --max-time 10 "$DEVICE_URL/_sim/state" | jq -c --argjson id "$1" '.jobs[] | select(.id == $id)'; }

# scan_on_device: stores $JOB_TEMPLATE and scans it; polls as Xerox's sample
# does until Completed with a reason; sets DEV_JOB, DEV_STATE, DEV_REASON.
scan_on_device() {
	local name=scanpost-$JOB_ID.xst info i
	soap /webservices/office/template_management/1 "$ENV11" \
		"<PutTemplateRequest xmlns=\"$NS_TM\"><templateName>$name</templateName><templateContent>$(xml_escape <"$JOB_TEMPLATE")</templateContent></PutTemplateRequest>"
	assert_eq "PutTemplate of scanpost's template: 200" 200 "$SOAP_STATUS"
	soap /webservices/ScanService/2 "$ENV12" \
		"<InitiateScanWithTemplateRequest xmlns=\"$NS_SCAN\"><ScanTemplateID>$name</ScanTemplateID><IsFromTemplatePool>false</IsFromTemplatePool><Token></Token></InitiateScanWithTemplateRequest>"
	assert_eq "InitiateScanWithTemplate: 200" 200 "$SOAP_STATUS"
	DEV_JOB=$(sed -n 's/.*<JobID>\([0-9]*\)<\/JobID>.*/\1/p' "$SP_TMP/soap.xml")
	DEV_STATE= DEV_REASON=
	for i in $(seq 1 200); do
		soap /webservices/JobManagement/1 "$ENV12" \
			"<GetJobDetailsRequest xmlns=\"$NS_JM\"><JobData><JobIdentifierType>JobId</JobIdentifierType><JobIdentifierString>$DEV_JOB</JobIdentifierString></JobData><JobType>WorkflowScanning</JobType></GetJobDetailsRequest>"
		info=$(cat "$SP_TMP/soap.xml")
		DEV_STATE=$(sed -n 's/.*&lt;JobState&gt;\([A-Za-z]*\)&lt;.*/\1/p' <<<"$info")
		DEV_REASON=$(sed -n 's/.*&lt;JobStateReasons&gt;\([A-Za-z]*\)&lt;.*/\1/p' <<<"$info")
		[ "$DEV_STATE" = Completed ] && [ "$DEV_REASON" != None ] && return 0
		sleep 0.1
	done
}

# filing_is FIXTURE: the device's filing operations and scanpost's answers
# are the fixture's rows ("(listing)" and "(any)" match any answer).
filing_is() {
	local got want
	got=$(device_job "$DEV_JOB" | jq -r '.filing[] | [.operation, .dest_dir, .dest_name, .answer] | @tsv')
	want=$(grep -v '^#' "$1")
	paste <(printf '%s\n' "$got") <(printf '%s\n' "$want") | awk -F'\t' '
		{ a = ($8 == "\"\"") ? "" : $8
		  if ($1 != $5 || $2 != $6 || $3 != $7 || (a != "(listing)" && a != "(any)" && $4 != a)) bad = 1 }
		END { exit bad }' && [ "$(wc -l <<<"$got")" = "$(wc -l <<<"$want")" ]
}

sim reset '{}'
sim config '{"pages":2,"page_delay_ms":20}'
sp_signin
sp_auth

# --- an AltaLink, one file per page in a working folder
job_create '{"to":["frank@example.org"],"scan":{"format":"XSM_TIFF_V6","file_name":"Scan"}}'
assert_status "create an XSM job 201" 201
scan_on_device
assert_eq "the device completed the job" Completed/JobCompletedSuccessfully "$DEV_STATE/$DEV_REASON"
assert_true "filed as filing/sequence_xsm.txt, 2 pages" filing_is <(sed '/Scan_003.tif/d' "$FIX/filing/sequence_xsm.txt")
assert_eq "scanpost answered the lock check XRXNOTFOUND" XRXNOTFOUND \
	"$(device_job "$DEV_JOB" | jq -r '.filing[] | select(.operation == "GetFile") | .answer')"
assert_eq "two documents in, the job log recorded with them" "2 2" \
	"$(db_scalar "SELECT (SELECT count(*) FROM scanpost.job_files WHERE job_id = '$JOB_ID'), (SELECT files FROM scanpost.job_logs WHERE job_id = '$JOB_ID')" | tr '|' ' ')"
assert_eq "the pages are filed in the working folder" "/Scan.XSM /Scan.XSM" \
	"$(db_scalar "SELECT string_agg(dir, ' ') FROM scanpost.filing_entries WHERE job_id = '$JOB_ID' AND kind = 'document'")"
assert_eq "the lock was given back" 0 \
	"$(db_scalar "SELECT count(*) FROM scanpost.filing_entries WHERE job_id = '$JOB_ID' AND name = 'Scan.LCK'")"
job_submit
assert_status "submit 202 at once: the job log is in" 202
assert_eq "sent" sent "$(job_wait sent 30)"
assert_eq "RMail got the two pages" 2 \
	"$(rmail_messages_for "$JOB_ID" | jq '.[0] | (.attachments // .Attachments) | length')"

# --- a VersaLink: the template carries the app name, the device files to
# /scanpost/scan/...
sim config '{"family":"versalink","pages":1}'
job_create '{"to":["grace@example.org"],"device":{"family":"versalink"}}'
assert_status "create a VersaLink job 201" 201
assert_true "RepositoryName ends with the app name" grep -q 'RepositoryName = "[^"]*/scanpost";' "$JOB_TEMPLATE"
assert_true "XrxHTTPScriptLocation starts with it" grep -q "XrxHTTPScriptLocation = \"/scanpost/scan/$JOB_ID/" "$JOB_TEMPLATE"
scan_on_device
assert_eq "the VersaLink completed the job" Completed/JobCompletedSuccessfully "$DEV_STATE/$DEV_REASON"
assert_true "filed as filing/sequence_pdf.txt" filing_is "$FIX/filing/sequence_pdf.txt"
assert_true "nginx logged the upload at /scanpost/scan/ without its token" \
	grep -q "\"path\":\"/scanpost/scan/$JOB_ID/-\"" "$SP_VAR/log/nginx-access.log"
job_submit
assert_status "submit 202" 202
assert_eq "sent" sent "$(job_wait sent 30)"

# --- a VersaLink given an AltaLink template cannot file: nothing arrives
job_create '{"to":["heidi@example.org"]}'
scan_on_device
assert_eq "the VersaLink says the filing failed" Completed/FileTransferFailed "$DEV_STATE/$DEV_REASON"
job_submit
assert_error "submit: nothing arrived" 409 nothing_uploaded

sim reset '{}'
