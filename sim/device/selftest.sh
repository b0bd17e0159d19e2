#!/usr/bin/env bash
# selftest.sh - drives a real device-sim over HTTP like the weblet does, with
# a throwaway CA and an HTTPS filing receiver (filing_receiver.py), and checks
# the documents with poppler-utils (pdfinfo, pdftotext) and libtiff-tools
# (tiffinfo).
#
# usage: sim/device/selftest.sh
#   DEVICE_SIM=path/to/device-sim      (default: device-sim next to this script)
#   DEVICE_SIM_WRAPPER="valgrind --leak-check=full --error-exitcode=99"
#                                      (optional; runs the simulator under it and
#                                      checks its exit status at the end)
#   PORT_BASE=18100                    (uses PORT_BASE .. PORT_BASE+3)
# Prints "N passed, M failed"; exits non-zero when anything failed.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
SIM=${DEVICE_SIM:-$HERE/device-sim}
WRAP=${DEVICE_SIM_WRAPPER:-}
PORT_BASE=${PORT_BASE:-18100}
SIM_PORT=$PORT_BASE
SIM2_PORT=$((PORT_BASE + 1))
RECV_PORT=$((PORT_BASE + 2))
BASE=http://127.0.0.1:$SIM_PORT
WORK=$(mktemp -d "${TMPDIR:-/tmp}/device-sim-selftest.XXXXXX")
PASS=0
FAIL=0
SIM_PID=
SIM2_PID=
RECV_PID=
# Under valgrind everything is ~30x slower.
TIMEOUT=${SELFTEST_TIMEOUT:-$([ -n "$WRAP" ] && echo 240 || echo 30)}

for tool in curl openssl python3 pdfinfo pdftotext tiffinfo xmlsec1; do
	command -v "$tool" >/dev/null || { echo "selftest: needs $tool" >&2; exit 2; }
done
[ -x "$SIM" ] || { echo "selftest: no device-sim at $SIM (set DEVICE_SIM)" >&2; exit 2; }

cleanup() {
	for p in $SIM_PID $SIM2_PID $RECV_PID; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	if [ -n "${SELFTEST_KEEP:-}" ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

ok() { PASS=$((PASS + 1)); echo "ok   - $1"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL - $1${2:+: $2}"; }
check() { # check NAME COMMAND...
	local name=$1; shift
	if "$@"; then ok "$name"; else bad "$name"; fi
}

# ---- fixtures ---------------------------------------------------------------

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/ca.key" -out "$WORK/ca.pem" \
	-days 1 -subj "/CN=device-sim selftest CA" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout "$WORK/srv.key" -out "$WORK/srv.csr" \
	-subj "/CN=localhost" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$WORK/ext.cnf"
openssl x509 -req -in "$WORK/srv.csr" -CA "$WORK/ca.pem" -CAkey "$WORK/ca.key" \
	-CAcreateserial -out "$WORK/srv.pem" -days 1 -extfile "$WORK/ext.cnf" 2>/dev/null
# The identity provider whose security tokens the device hands out (sso.h).
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/idp.key" -out "$WORK/idp.crt" \
	-days 1 -subj "/CN=device-sim selftest identity provider" 2>/dev/null
SSO_TOKEN_KEY=selftest-token-key
printf '%s\n' "service_provider = Office365" "security_token_key = $SSO_TOKEN_KEY" \
	"issuer = https://idp.selftest.test/" "audience = urn:selftest:printers" \
	"signing_key = $WORK/idp.key" "signing_cert = $WORK/idp.crt" >"$WORK/idp.conf"
mkdir -p "$WORK/up"

python3 "$HERE/filing_receiver.py" "$RECV_PORT" "$WORK/srv.pem" "$WORK/srv.key" "$WORK/up" &
RECV_PID=$!
# shellcheck disable=SC2086
mkdir -p "$WORK/simtmp"
TMPDIR="$WORK/simtmp" $WRAP "$SIM" --listen "127.0.0.1:$SIM_PORT" --ca-file "$WORK/ca.pem" --serial 3TB999001 \
	--model "Xerox AltaLink C8170" --name "Selftest MFP" --canvas 1024x600 \
	--sso-idp "$WORK/idp.conf" 2>"$WORK/sim.log" &
SIM_PID=$!
# A second device without --ca-file: it must refuse the receiver's certificate.
"$SIM" --listen "127.0.0.1:$SIM2_PORT" 2>"$WORK/sim2.log" &
SIM2_PID=$!

wait_up() { # wait_up URL
	local i
	for i in $(seq 1 $((TIMEOUT * 10))); do
		curl -s -o /dev/null "$1" && return 0
		sleep 0.1
	done
	return 1
}
wait_up "$BASE/_sim/state" || { echo "selftest: device-sim did not start" >&2; cat "$WORK/sim.log"; exit 1; }
wait_up "http://127.0.0.1:$SIM2_PORT/_sim/state" || { echo "selftest: second device-sim did not start" >&2; exit 1; }
for i in $(seq 1 50); do
	curl -s --cacert "$WORK/ca.pem" -o /dev/null "https://127.0.0.1:$RECV_PORT/" && break
	sleep 0.1
done

# ---- helpers ------------------------------------------------------------------

ENV_OPEN='<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema"><soap:Body>'
ENV_CLOSE='</soap:Body></soap:Envelope>'
NS_TM='http://www.xerox.com/webservices/office/template_management/1/'
NS_SCAN='http://www.xerox.com/webservices/scanservice/2'
NS_JM='http://xml.namespaces.xerox.com/enterprise/JobManagement/1'
NS_DC='http://www.xerox.com/webservices/office/device_configuration/1'
NS_SES='http://www.xerox.com/webservices/office/cuisession/1'
P_TM=/webservices/office/template_management/1
P_SCAN=/webservices/ScanService/2
P_JM=/webservices/JobManagement/1
P_DC=/webservices/office/device_configuration/1
P_SES=/webservices/office/cuisession/1

# soap PATH BODYXML [BASEURL] -> response in $WORK/resp.xml, HTTP status in $STATUS
soap() {
	printf '%s%s%s' "$ENV_OPEN" "$2" "$ENV_CLOSE" >"$WORK/req.xml"
	STATUS=$(curl -s -o "$WORK/resp.xml" -w '%{http_code}' -H 'Content-Type: text/xml; charset=utf-8' \
		-H 'SOAPAction: ""' --data-binary @"$WORK/req.xml" "${3:-$BASE}$1")
}
# raw PATH FILE [CONTENT-TYPE]
raw() {
	STATUS=$(curl -s -o "$WORK/resp.xml" -w '%{http_code}' -H "Content-Type: ${3:-text/xml}" \
		--data-binary @"$2" "$BASE$1")
}
# xget ELEMENT [INNER]: text of the first ELEMENT (any namespace) in resp.xml;
# with INNER, ELEMENT's text is an escaped XML document and INNER is read in
# it (INNER may be "A|B|C": the three texts joined with '|').
xget() {
	python3 - "$WORK/resp.xml" "$@" <<'PY'
import sys, xml.etree.ElementTree as E
def find(root, name):
    for el in root.iter():
        if el.tag.split('}')[-1] == name:
            return el.text or ''
    return None
v = find(E.parse(sys.argv[1]).getroot(), sys.argv[2])
if v is not None and len(sys.argv) > 3:
    inner = E.fromstring(v.encode())
    vs = [find(inner, n) for n in sys.argv[3].split('|')]
    v = None if None in vs else '|'.join(vs)
if v is None:
    sys.exit(1)
print(v)
PY
}
xml_escape() { python3 -c 'import sys,html; print(html.escape(sys.stdin.read(), quote=False), end="")'; }

# template FORMAT RESOLUTION COLOR SIDES SIZE ORIENTATION SEARCHABLE NAME UPLOAD_PATH
# The same lines, in the same order, as scanpost's src/lib/template.c writes.
template() {
	cat <<T
[service xrx_svc_general]
{
	enum_DCS DCSDefinitionUsed = DCS_GENERIC;
	enum_encoding JobTemplateCharacterEncoding = UTF-8;
	string JobTemplateLanguageVersion = "4.00.07";
	string JobTemplateCreator = "scanpost";
	enum_confmethod ConfirmationMethod = NONE;
	boolean SuppressJobLog = TRUE;
}
end

[service xrx_svc_scan]
{
	enum_sided SidesToScan = $4;
	enum_colormode ColorMode = $3;
	enum_inputorientation InputOrientation = $6;
	enum_mediasize InputMediaSize = $5;
	enum_imagemode DocumentImageMode = MIXED;
}
end

[service xrx_svc_file]
{
	enum_filingprotocol FilingProtocol = XRXHTTPS;
	string RepositoryAlias = "scanpost";
	string RepositoryName = "127.0.0.1:$RECV_PORT";
	string XrxHTTPScriptLocation = "$9";
	string DocumentPath = "/";
	boolean ServerValidationReq = FALSE;
	enum_filingpolicy DocumentFilingPolicy = NEW_AUTO_GENERATE;
	string UserNetworkFilingLoginName = "";
	string UserNetworkFilingLoginID = "";
}
end

[doc_object xrx_document]
{
	enum_docformat DocumentFormat = $1;
	enum_resolution Resolution = $2;
	enum_searchabletext SearchableText = $7;
	string SourceDocumentLanguages = "en";
	string DocumentObjectName = "$8";
}
end

T
}

put_template() { # put_template NAME TEXT [BASEURL]
	soap $P_TM "<PutTemplateRequest xmlns=\"$NS_TM\"><templateName>$1</templateName><templateContent>$(printf '%s' "$2" | xml_escape)</templateContent></PutTemplateRequest>" "${3:-}"
}
start_scan() { # start_scan TEMPLATE [BASEURL] -> JOB
	soap $P_SCAN "<InitiateScanWithTemplateRequest xmlns=\"$NS_SCAN\"><ScanTemplateID>$1</ScanTemplateID><IsFromTemplatePool>false</IsFromTemplatePool></InitiateScanWithTemplateRequest>" "${2:-}"
	JOB=$(xget JobID)
}
job_details() { # job_details JOB [BASEURL] -> STATE REASONS IMAGES
	soap $P_JM "<GetJobDetailsRequest xmlns=\"$NS_JM\"><JobData><JobIdentifierType>JobId</JobIdentifierType><JobIdentifierString>$1</JobIdentifierString></JobData><JobType>WorkflowScanning</JobType></GetJobDetailsRequest>" "${2:-}"
	local all
	all=$(xget JobInfoXmlDocument 'JobState|JobStateReasons|ImagesScanned')
	IFS='|' read -r STATE REASONS IMAGES <<<"$all"
}
# wait_job JOB [BASEURL]: polls until the job leaves Processing; records the
# ImagesScanned values seen while Processing in $SEEN.
wait_job() {
	local i
	SEEN=
	for i in $(seq 1 $((TIMEOUT * 10))); do
		job_details "$1" "${2:-}"
		[ "$STATE" != Processing ] && return 0
		case " $SEEN " in *" $IMAGES "*) ;; *) SEEN="$SEEN $IMAGES" ;; esac
		sleep 0.1
	done
	return 1
}
sim_config() { curl -s -o "$WORK/cfg.json" -w '%{http_code}' -X POST -d "$1" "$BASE/_sim/config"; }
uploads() { ls "$WORK/up" | grep -vc '\.jsonl$'; }
newest_upload() { ls -t "$WORK/up" | grep -v '\.jsonl$' | head -n "${1:-1}" | sed "s|^|$WORK/up/|"; }

# ---- device information and session -----------------------------------------------

soap $P_DC "<GetDeviceInformationRequest xmlns=\"$NS_DC\"/>"
check "GetDeviceInformation answers 200" [ "$STATUS" = 200 ]
check "device serial" [ "$(xget Information serial)" = 3TB999001 ]
check "device model" [ "$(xget Information model)" = "Xerox AltaLink C8170" ]
check "device name" [ "$(xget Information name)" = "Selftest MFP" ]
check "canvas size" [ "$(xget Information width)x$(xget Information height)" = 1024x600 ]

soap $P_SES "<GetSessionInformationRequest xmlns=\"$NS_SES\"/>"
check "guest session: username guest" [ "$(xget Information username)" = guest ]
# GetSecurityToken as XrxSession.js sends it: SOAP 1.1, the session namespace.
security_token() { # security_token PROVIDER KEY
	soap $P_SES "<GetSecurityTokenRequest xmlns=\"$NS_SES\"><ServiceProvider>$1</ServiceProvider><SecurityTokenKey>$(printf '%s' "$2" | base64 -w0)</SecurityTokenKey></GetSecurityTokenRequest>"
}
security_token Office365 "$SSO_TOKEN_KEY"
check "guest: no security token (a fault)" [ "$STATUS" = 500 ] && [ -n "$(xget faultstring)" ]

check "log in a device user" [ "$(sim_config '{"user":"alice","user_email":"alice@example.org"}')" = 200 ]
soap $P_SES "<GetSessionInformationRequest xmlns=\"$NS_SES\"/>"
check "user session: username" [ "$(xget Information username)" = alice ]
check "user session: from" [ "$(xget Information from)" = alice@example.org ]
check "session information carries no invented SSO element" [ -z "$(xget Information ssoAssertion)" ]
security_token Office365 "$SSO_TOKEN_KEY"
check "GetSecurityToken answers 200" [ "$STATUS" = 200 ]
TOKEN=$(xget SecurityToken)
printf '%s' "$TOKEN" | base64 -d >"$WORK/token.xml" 2>/dev/null
check "the token is a SAML 2.0 assertion for alice" \
	[ "$(python3 -c 'import sys,xml.etree.ElementTree as E; r=E.parse(sys.argv[1]).getroot(); n="{urn:oasis:names:tc:SAML:2.0:assertion}"; print(r.tag, r.get("Version"), r.find(n+"Subject/"+n+"NameID").text, r.find(n+"Conditions/"+n+"AudienceRestriction/"+n+"Audience").text)' "$WORK/token.xml")" \
	= "{urn:oasis:names:tc:SAML:2.0:assertion}Assertion 2.0 alice urn:selftest:printers" ]
token_verifies() { # another implementation than ours checks the signature
	xmlsec1 --verify --pubkey-cert-pem "$WORK/idp.crt" \
		--id-attr:ID urn:oasis:names:tc:SAML:2.0:assertion:Assertion "$WORK/token.xml" >/dev/null 2>&1
}
check "xmlsec1 verifies its signature with the provider's certificate" token_verifies
security_token Office365 "$SSO_TOKEN_KEY"
check "the same login session gets the same token" [ "$(xget SecurityToken)" = "$TOKEN" ]
security_token Office365 "wrong-key"
check "a wrong SecurityTokenKey is a fault" [ "$STATUS" = 500 ] && [ -z "$(xget SecurityToken)" ]
security_token GoogleDrive "$SSO_TOKEN_KEY"
check "another ServiceProvider is a fault" [ "$STATUS" = 500 ]
sim_config '{"user":"alice","user_email":"alice@example.org"}' >/dev/null
security_token Office365 "$SSO_TOKEN_KEY"
check "a new login session gets a new token" [ "$STATUS" = 200 ] && [ "$(xget SecurityToken)" != "$TOKEN" ]
soap $P_SES "<ExitApplicationRequest xmlns=\"$NS_SES\"/>"
check "ExitApplication answers 200" [ "$STATUS" = 200 ]
sim_config '{"user":null}' >/dev/null

# ---- templates ------------------------------------------------------------------------

T_PDF=$(template PDF RES_150X150 FULL_COLOR ONE_SIDED ISO_A4SEF PORTRAIT SEARCHABLE_IMAGE Contract /scan/job1/tok1)
put_template scanpost.xst "$T_PDF"
SUM=$(xget TemplateChecksum)
if [ "$STATUS" = 200 ] && [[ "$SUM" =~ ^[0-9]+$ ]]; then ok "PutTemplate answers a checksum"; else bad "PutTemplate answers a checksum"; fi
put_template broken.xst "$(printf '[service xrx_svc_scan]\n{\n\tenum_sided SidesToScan = ONE_SIDED\n}\nend\n')"
if [ "$STATUS" = 500 ] && [ "$(xget faultcode)" = soap:Client ]; then ok "PutTemplate of a malformed template is a Client fault"; else bad "PutTemplate of a malformed template is a Client fault"; fi
check "the fault names the line" grep -q 'line 3' "$WORK/resp.xml"
put_template other.xst "$T_PDF"
soap $P_TM "<ListTemplatesRequest xmlns=\"$NS_TM\"/>"
check "ListTemplates lists both templates" [ "$(grep -o '<TemplateName>[^<]*' "$WORK/resp.xml" | sort | tr '\n' ' ')" = "<TemplateName>other.xst <TemplateName>scanpost.xst " ]
check "ListTemplates shows the checksum" grep -q "<TemplateChecksum>$SUM</TemplateChecksum>" "$WORK/resp.xml"
soap $P_TM "<DeleteTemplateRequest xmlns=\"$NS_TM\"><templateName>other.xst</templateName><priorChecksum>1</priorChecksum></DeleteTemplateRequest>"
if [ "$STATUS" = 500 ] && [ "$(xget faultcode)" = soap:Client ]; then ok "DeleteTemplate with a wrong checksum is a fault"; else bad "DeleteTemplate with a wrong checksum is a fault"; fi
soap $P_TM "<DeleteTemplateRequest xmlns=\"$NS_TM\"><templateName>other.xst</templateName><priorChecksum>$SUM</priorChecksum></DeleteTemplateRequest>"
check "DeleteTemplate with the checksum succeeds" [ "$STATUS" = 200 ]
soap $P_TM "<ListTemplatesRequest xmlns=\"$NS_TM\"/>"
check "the deleted template is gone" bash -c "! grep -q other.xst '$WORK/resp.xml'"

# ---- scans ------------------------------------------------------------------------------

sim_config '{"pages":2,"page_delay_ms":600}' >/dev/null
start_scan scanpost.xst
if [[ "$JOB" =~ ^[0-9]+$ ]]; then ok "InitiateScanWithTemplate answers a JobID"; else bad "InitiateScanWithTemplate answers a JobID"; fi
wait_job "$JOB"
check "searchable PDF scan completes" [ "$STATE/$REASONS" = Completed/JobCompletedSuccessfully ]
if [[ "$SEEN" == *1* ]]; then ok "ImagesScanned counts up while Processing"; else bad "ImagesScanned counts up while Processing"; fi
echo "# ImagesScanned seen while Processing:$SEEN"
check "ImagesScanned is 2 at the end" [ "$IMAGES" = 2 ]
check "one file uploaded" [ "$(uploads)" = 1 ]
F=$(newest_upload)
if [[ "$F" == *-Contract.pdf ]]; then ok "uploaded as Contract.pdf"; else bad "uploaded as Contract.pdf"; fi
check "upload fields: PutFile, destDir /" grep -q '"theOperation": "PutFile", "destDir": "/", "destName": "Contract.pdf"' "$WORK/up/uploads.jsonl"
check "upload went to the template's script path" grep -q '"path": "/scan/job1/tok1"' "$WORK/up/uploads.jsonl"
check "PDF has 2 pages" bash -c "pdfinfo '$F' 2>/dev/null | grep -q '^Pages: *2$'"
check "PDF pages are A4" bash -c "pdfinfo '$F' 2>/dev/null | grep -q 'Page size: *595 x 842'"
check "searchable PDF has text" bash -c "pdftotext '$F' - | grep -q 'Page 2 of 2'"
SMALL=$(stat -c %s "$F")

T=$(template PDF RES_300X300 FULL_COLOR ONE_SIDED ISO_A4SEF PORTRAIT IMAGE_ONLY Big /scan/job2/tok2)
put_template big.xst "$T"
start_scan big.xst; wait_job "$JOB"
F=$(newest_upload)
check "300 dpi color PDF completes" [ "$STATE" = Completed ]
check "higher resolution makes a bigger file" [ "$(stat -c %s "$F")" -gt "$SMALL" ]
check "image-only PDF has no text" bash -c "[ -z \"\$(pdftotext '$F' - | tr -d '[:space:]\f')\" ]"

T=$(template PDF/A-1b RES_150X150 GRAYSCALE ONE_SIDED NA_8.5x11SEF LANDSCAPE SEARCHABLE_IMAGE Archive /scan/job3/tok3)
put_template pdfa.xst "$T"
start_scan pdfa.xst; wait_job "$JOB"
F=$(newest_upload)
check "PDF/A-1b scan completes" [ "$STATE" = Completed ]
check "PDF/A file carries pdfaid part 1 metadata" bash -c "pdfinfo -meta '$F' 2>/dev/null | grep -q 'pdfaid:part'"
check "letter landscape is 792 x 612" bash -c "pdfinfo '$F' 2>/dev/null | grep -q 'Page size: *792 x 612'"

T=$(template TIFF_V6 RES_150X150 GRAYSCALE TWO_SIDED NA_8.5x11SEF PORTRAIT IMAGE_ONLY Duplex /scan/job4/tok4)
put_template tiff.xst "$T"
BEFORE=$(uploads)
start_scan tiff.xst; wait_job "$JOB"
F=$(newest_upload)
check "two-sided TIFF scan completes" [ "$STATE" = Completed ]
check "two-sided doubles the images" [ "$IMAGES" = 4 ]
if [ "$(uploads)" = $((BEFORE + 1)) ] && [[ "$F" == *-Duplex.tif ]]; then ok "TIFF_V6 is one file"; else bad "TIFF_V6 is one file"; fi
check "TIFF has 4 pages" [ "$(tiffinfo "$F" 2>/dev/null | grep -c 'TIFF Directory')" = 4 ]
check "TIFF pages are 8-bit gray 1275x1650" bash -c "tiffinfo '$F' 2>/dev/null | grep -q 'Image Width: 1275 Image Length: 1650' && tiffinfo '$F' 2>/dev/null | grep -q 'Bits/Sample: 8'"

sim_config '{"pages":3,"page_delay_ms":50}' >/dev/null
T=$(template XSM_TIFF_V6 RES_200X200 BLACK_AND_WHITE ONE_SIDED ISO_A5LEF PORTRAIT IMAGE_ONLY Pages /scan/job5/tok5)
put_template xsm.xst "$T"
BEFORE=$(uploads)
start_scan xsm.xst; wait_job "$JOB"
check "XSM_TIFF_V6 scan completes" [ "$STATE" = Completed ]
check "XSM_TIFF_V6 uploads one file per page" [ "$(uploads)" = $((BEFORE + 3)) ]
check "per-page names" bash -c "ls '$WORK/up' | grep -q 'Pages_003.tif'"
F=$(newest_upload)
check "black and white is 1-bit CCITT G4" bash -c "tiffinfo '$F' 2>/dev/null | grep -q 'Bits/Sample: 1' && tiffinfo '$F' 2>/dev/null | grep -qi 'CCITT Group 4'"

# ---- failures ----------------------------------------------------------------------------

sim_config '{"pages":3,"page_delay_ms":50,"jam_after_page":2}' >/dev/null
BEFORE=$(uploads)
start_scan scanpost.xst; wait_job "$JOB"
if [ "$STATE" = ProcessingStopped ] && [[ "$REASONS" == *JobAborted* ]] && [[ "$REASONS" == *PaperJam* ]]; then ok "paper jam stops the job"; else bad "paper jam stops the job"; fi
check "paper jam at image 2" [ "$IMAGES" = 2 ]
check "paper jam uploads nothing" [ "$(uploads)" = "$BEFORE" ]

sim_config '{"jam_after_page":null,"cancel_after_page":1}' >/dev/null
start_scan scanpost.xst; wait_job "$JOB"
check "cancel knob: JobCanceledByUser" [ "$STATE/$REASONS" = ProcessingStopped/JobCanceledByUser ]

sim_config '{"cancel_after_page":null,"pages":5,"page_delay_ms":400}' >/dev/null
BEFORE=$(uploads)
start_scan scanpost.xst
sleep 0.6
check "POST /_sim/cancel cancels the running job" bash -c "curl -s -X POST '$BASE/_sim/cancel' | grep -q '\"canceled\":1'"
wait_job "$JOB"
check "canceled job: ProcessingStopped JobCanceledByUser" [ "$STATE/$REASONS" = ProcessingStopped/JobCanceledByUser ]
check "canceled job uploads nothing" [ "$(uploads)" = "$BEFORE" ]

sim_config '{"pages":1,"page_delay_ms":10}' >/dev/null
T=$(template PDF RES_150X150 GRAYSCALE ONE_SIDED ISO_A4SEF PORTRAIT IMAGE_ONLY Refused /refuse/job6)
put_template refused.xst "$T"
start_scan refused.xst; wait_job "$JOB"
check "refused upload: ProcessingStopped FileTransferFailed" [ "$STATE/$REASONS" = ProcessingStopped/FileTransferFailed ]
check "the refusal is in the log" grep -q 'HTTP 403: XRXERROR' "$WORK/sim.log"
T=$(template PDF RES_150X150 GRAYSCALE ONE_SIDED ISO_A4SEF PORTRAIT IMAGE_ONLY Refused /xrxerror/job7)
put_template xrxerror.xst "$T"
start_scan xrxerror.xst; wait_job "$JOB"
check "200 with XRXERROR is a failure too" [ "$STATE/$REASONS" = ProcessingStopped/FileTransferFailed ]

put_template untrusted.xst "$T_PDF" "http://127.0.0.1:$SIM2_PORT"
start_scan untrusted.xst "http://127.0.0.1:$SIM2_PORT"
wait_job "$JOB" "http://127.0.0.1:$SIM2_PORT"
check "an untrusted certificate fails the upload (verification always on)" [ "$STATE/$REASONS" = ProcessingStopped/FileTransferFailed ]

T=$(template JPEG_V6 RES_150X150 GRAYSCALE ONE_SIDED ISO_A4SEF PORTRAIT IMAGE_ONLY Bad /scan/job8)
put_template unknown-format.xst "$T"
check "a well-formed template with an unknown value is stored" [ "$STATUS" = 200 ]
start_scan unknown-format.xst; wait_job "$JOB"
if [ "$STATE" = ProcessingStopped ] && [[ "$REASONS" == *InvalidTemplate* ]]; then ok "unknown DocumentFormat stops the job: InvalidTemplate"; else bad "unknown DocumentFormat stops the job: InvalidTemplate"; fi

sim_config '{"auto_size_fails":true}' >/dev/null
T=$(template PDF RES_150X150 GRAYSCALE ONE_SIDED AUTO PORTRAIT IMAGE_ONLY Auto /scan/job9)
put_template auto.xst "$T"
start_scan auto.xst; wait_job "$JOB"
check "undetected size: InputScanSizeNotDetermined" [ "$STATE/$REASONS" = ProcessingStopped/InputScanSizeNotDetermined ]
sim_config '{"auto_size_fails":false}' >/dev/null

start_scan no-such.xst
if [ "$STATUS" = 500 ] && [ "$(xget faultcode)" = soap:Client ]; then ok "InitiateScan of an unknown template is a Client fault"; else bad "InitiateScan of an unknown template is a Client fault"; fi
job_details 999999
check "GetJobDetails of an unknown job is a Client fault" [ "$STATUS" = 500 ]

# ---- malformed SOAP -----------------------------------------------------------------------

printf 'this is not XML' >"$WORK/bad1"
raw $P_TM "$WORK/bad1"
if [ "$STATUS" = 500 ] && [ "$(xget faultcode)" = soap:Client ]; then ok "not XML: HTTP 500 soap:Client"; else bad "not XML: HTTP 500 soap:Client"; fi
printf '<Envelope><Body><ListTemplatesRequest/></Body></Envelope>' >"$WORK/bad2"
raw $P_TM "$WORK/bad2"
if [ "$STATUS" = 500 ] && grep -q 'not a SOAP Envelope' "$WORK/resp.xml"; then ok "not a SOAP envelope: HTTP 500 fault"; else bad "not a SOAP envelope: HTTP 500 fault"; fi
soap $P_TM "<FrobnicateRequest xmlns=\"$NS_TM\"/>"
if [ "$STATUS" = 500 ] && grep -q 'unknown operation' "$WORK/resp.xml"; then ok "unknown operation: HTTP 500 fault"; else bad "unknown operation: HTTP 500 fault"; fi
soap $P_TM '<ListTemplatesRequest xmlns="urn:wrong"/>'
if [ "$STATUS" = 500 ] && grep -q 'namespace' "$WORK/resp.xml"; then ok "wrong namespace: HTTP 500 fault"; else bad "wrong namespace: HTTP 500 fault"; fi
cat >"$WORK/bad3" <<'X'
<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><ListTemplatesRequest xmlns="http://www.xerox.com/webservices/office/template_management/1/">&lol2;</ListTemplatesRequest></soap:Body></soap:Envelope>
X
raw $P_TM "$WORK/bad3"
if [ "$STATUS" = 500 ] && grep -q 'document type declaration' "$WORK/resp.xml"; then ok "a DOCTYPE is refused"; else bad "a DOCTYPE is refused"; fi
python3 -c "import sys; sys.stdout.write('$ENV_OPEN<ListTemplatesRequest xmlns=\"$NS_TM\"><x>' + 'A' * (1100 * 1024) + '</x></ListTemplatesRequest>$ENV_CLOSE')" >"$WORK/big"
raw $P_TM "$WORK/big"
if [ "$STATUS" = 500 ] && grep -q 'larger than 1 MB' "$WORK/resp.xml"; then ok "over 1 MB: HTTP 500 fault"; else bad "over 1 MB: HTTP 500 fault"; fi
printf '%s<ListTemplatesRequest xmlns="%s"/>%s' "$ENV_OPEN" "$NS_TM" "$ENV_CLOSE" >"$WORK/ct"
raw $P_TM "$WORK/ct" application/json
check "wrong Content-Type: HTTP 500 fault" [ "$STATUS" = 500 ]
cat >"$WORK/mu" <<X
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header><x:Auth xmlns:x="urn:x" soap:mustUnderstand="1"/></soap:Header><soap:Body><ListTemplatesRequest xmlns="$NS_TM"/></soap:Body></soap:Envelope>
X
raw $P_TM "$WORK/mu"
if [ "$STATUS" = 500 ] && [ "$(xget faultcode)" = soap:MustUnderstand ]; then ok "mustUnderstand header: soap:MustUnderstand"; else bad "mustUnderstand header: soap:MustUnderstand"; fi
cat >"$WORK/soap12" <<X
<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><GetDeviceInformationRequest xmlns="$NS_DC"/></soap:Body></soap:Envelope>
X
raw $P_DC "$WORK/soap12" 'application/soap+xml; charset=utf-8'
check "a SOAP 1.2 request is answered" [ "$STATUS" = 200 ]
check "GET on a service is 405" [ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE$P_TM")" = 405 ]
check "OPTIONS on a service is 405" [ "$(curl -s -o /dev/null -w '%{http_code}' -X OPTIONS "$BASE$P_SCAN")" = 405 ]
check "unknown path is 404" [ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$BASE/webservices/nothing")" = 404 ]
check "a service path with a trailing slash is 404 (exact match)" [ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$BASE$P_TM/")" = 404 ]

# ---- control API ---------------------------------------------------------------------------

check "/_sim/config refuses an unknown key" [ "$(sim_config '{"colour":1}')" = 400 ]
if [ "$(sim_config '{"pages":2,"canvas":"640x480"}')" = 400 ] && curl -s "$BASE/_sim/state" | grep -q '"pages":1'; then ok "/_sim/config refuses a bad value and changes nothing"; else bad "/_sim/config refuses a bad value and changes nothing"; fi
check "/_sim/config refuses a user with '|'" [ "$(sim_config '{"user":"a|b"}')" = 400 ]
check "/_sim/state lists jobs" bash -c "curl -s '$BASE/_sim/state' | python3 -c 'import json,sys; s=json.load(sys.stdin); assert len(s[\"jobs\"]) >= 10 and s[\"device\"][\"serial\"] == \"3TB999001\"'"
check "POST /_sim/state is 405" [ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$BASE/_sim/state")" = 405 ]
check "/_sim/reset forgets templates and jobs" bash -c "curl -s -X POST '$BASE/_sim/reset' | python3 -c 'import json,sys; s=json.load(sys.stdin); assert s[\"templates\"] == [] and s[\"jobs\"] == [] and s[\"knobs\"][\"pages\"] == 2'"

# ---- SIGTERM mid-scan ----------------------------------------------------------------------

sim_config '{"pages":20,"page_delay_ms":500}' >/dev/null
put_template scanpost.xst "$T_PDF"
start_scan scanpost.xst
sleep 0.5
T0=$(date +%s%N)
kill -TERM "$SIM_PID"
wait "$SIM_PID"
RC=$?
SIM_PID=
T1=$(date +%s%N)
if [ -n "$WRAP" ]; then
	check "device-sim exits cleanly under the wrapper (rc $RC)" [ "$RC" = 0 ]
else
	check "SIGTERM mid-scan exits 0" [ "$RC" = 0 ]
	check "SIGTERM mid-scan exits within 2 s" [ $(((T1 - T0) / 1000000)) -lt 2000 ]
fi
check "log lines are JSON" python3 -c "
import json, sys
n = 0
for line in open('$WORK/sim.log'):
    if line.startswith('{'):
        json.loads(line); n += 1
assert n > 50
"
check "the work directory is removed" [ -z "$(ls -A "$WORK/simtmp")" ]

echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
