#!/usr/bin/env bash
# selftest.sh - drives a real device-sim over HTTP like the weblet does, with
# a throwaway CA and an HTTPS filing receiver that answers as Xerox's sample
# receiver does (filing_receiver.py), and checks the simulator against
# tests/fixtures/eip/ (services.tsv, responses.tsv, job_states.tsv,
# filing/sequence_*.txt): envelope versions, namespaces, content types,
# answers, job states, the filing sequence.  The documents are checked with
# poppler-utils (pdfinfo, pdftotext) and libtiff-tools (tiffinfo).
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
FIX=${EIP_FIXTURES:-$HERE/../../tests/fixtures/eip}
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
[ -r "$FIX/services.tsv" ] || { echo "selftest: no fixtures at $FIX (set EIP_FIXTURES)" >&2; exit 2; }

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

# The services, as Xerox's EIP library sends them (tests/fixtures/eip/services.tsv).
declare -A SVC_PATH SVC_NS SVC_SOAP
while IFS=$'\t' read -r name path ns ver _ct _sa; do
	case $name in '#'* | '') continue ;; esac
	SVC_PATH[$name]=$path
	SVC_NS[$name]=$ns
	SVC_SOAP[$name]=$ver
done <"$FIX/services.tsv"
NS_TM=${SVC_NS[template]}
NS_SCAN=${SVC_NS[scan]}
NS_JM=${SVC_NS[jobs]}
NS_DC=${SVC_NS[config]}
NS_SES=${SVC_NS[session]}
P_TM=${SVC_PATH[template]}
P_SCAN=${SVC_PATH[scan]}
P_JM=${SVC_PATH[jobs]}
P_DC=${SVC_PATH[config]}
P_SES=${SVC_PATH[session]}
ENV11='http://schemas.xmlsoap.org/soap/envelope/'
ENV12='http://www.w3.org/2003/05/soap-envelope'
# env_open VERSION: the library's XRX_SOAP11_SOAPSTART / XRX_SOAPSTART.
env_open() {
	local ns=$ENV11
	[ "$1" = 1.2 ] && ns=$ENV12
	printf '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="%s" xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing"><soap:Header></soap:Header><soap:Body>' "$ns"
}
ENV_CLOSE='</soap:Body></soap:Envelope>'
version_of() { # PATH -> the service's SOAP version
	local k
	for k in "${!SVC_PATH[@]}"; do [ "${SVC_PATH[$k]}" = "$1" ] && { echo "${SVC_SOAP[$k]}"; return; }; done
	echo 1.1
}

# soap PATH BODYXML [BASEURL] [VERSION]: as the library sends it (text/xml,
# SOAPAction "", the service's envelope) -> $WORK/resp.xml, $STATUS, $CTYPE
soap() {
	local v=${4:-$(version_of "$1")}
	{ env_open "$v"; printf '%s%s' "$2" "$ENV_CLOSE"; } >"$WORK/req.xml"
	read -r STATUS CTYPE < <(curl -s -o "$WORK/resp.xml" -w '%{http_code} %{content_type}\n' \
		-H 'Content-Type: text/xml' -H 'SOAPAction: ""' --data-binary @"$WORK/req.xml" "${3:-$BASE}$1")
}
# raw PATH FILE [CONTENT-TYPE]
raw() {
	read -r STATUS CTYPE < <(curl -s -o "$WORK/resp.xml" -w '%{http_code} %{content_type}\n' \
		-H "Content-Type: ${3:-text/xml}" --data-binary @"$2" "$BASE$1")
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
# xpath A/B/C or A//B/C (// = escaped document inside A): the path exists in resp.xml
xpath() {
	python3 - "$WORK/resp.xml" "$1" <<'PY'
import sys, xml.etree.ElementTree as E
def local(el): return el.tag.split('}')[-1]
def walk(els, names):
    for n in names:
        els = [c for e in els for c in e.iter() if local(c) == n and c is not e] if n else els
        if not els: return None
    return els
outer, _, inner = sys.argv[2].partition('//')
els = [E.parse(sys.argv[1]).getroot()]
names = outer.split('/')
found = [e for e in els[0].iter() if local(e) == names[0]]
for n in names[1:]:
    found = [c for e in found for c in e if local(c) == n]
if found and inner:
    doc = E.fromstring((found[0].text or '').encode())
    names = inner.split('/')
    found = [e for e in doc.iter() if local(e) == names[0]]
    for n in names[1:]:
        found = [c for e in found for c in e if local(c) == n]
sys.exit(0 if found else 1)
PY
}
# fault_is VERSION CODE: resp.xml is a fault of that envelope version and code
fault_is() {
	python3 - "$WORK/resp.xml" "$1" "$2" <<'PY'
import sys, xml.etree.ElementTree as E
root = E.parse(sys.argv[1]).getroot()
ns = {'1.1': 'http://schemas.xmlsoap.org/soap/envelope/', '1.2': 'http://www.w3.org/2003/05/soap-envelope'}[sys.argv[2]]
if root.tag != '{%s}Envelope' % ns: sys.exit(1)
codes = [e.text for e in root.iter() if e.tag.split('}')[-1] in ('faultcode', 'Value')]
sys.exit(0 if codes and codes[0].split(':')[-1] == sys.argv[3] else 1)
PY
}
# env_is VERSION: resp.xml is an Envelope of that SOAP version
env_is() {
	python3 - "$WORK/resp.xml" "$1" <<'PY'
import sys, xml.etree.ElementTree as E
ns = {'1.1': 'http://schemas.xmlsoap.org/soap/envelope/', '1.2': 'http://www.w3.org/2003/05/soap-envelope'}[sys.argv[2]]
sys.exit(0 if E.parse(sys.argv[1]).getroot().tag == '{%s}Envelope' % ns else 1)
PY
}
xml_escape() { python3 -c 'import sys,html; print(html.escape(sys.stdin.read(), quote=False), end="")'; }

# template FORMAT RESOLUTION COLOR SIDES SIZE ORIENTATION SEARCHABLE NAME UPLOAD_PATH
#          [SUPPRESS_JOB_LOG] [REPOSITORY_NAME]
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
	boolean SuppressJobLog = ${10:-FALSE};
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
	string RepositoryName = "${11:-127.0.0.1:$RECV_PORT}";
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
start_scan() { # start_scan TEMPLATE [BASEURL] -> JOB (the library's request, Token included)
	soap $P_SCAN "<InitiateScanWithTemplateRequest xmlns=\"$NS_SCAN\"><ScanTemplateID>$1</ScanTemplateID><IsFromTemplatePool>false</IsFromTemplatePool><Token></Token></InitiateScanWithTemplateRequest>" "${2:-}"
	JOB=$(xget JobID)
}
job_details() { # job_details JOB [BASEURL] -> STATE REASONS IMAGES
	soap $P_JM "<GetJobDetailsRequest xmlns=\"$NS_JM\"><JobData><JobIdentifierType>JobId</JobIdentifierType><JobIdentifierString>$1</JobIdentifierString></JobData><JobType>WorkflowScanning</JobType></GetJobDetailsRequest>" "${2:-}"
	local all
	all=$(xget JobInfoXmlDocument 'JobState|JobStateReasons|ImagesScanned')
	IFS='|' read -r STATE REASONS IMAGES <<<"$all"
}
# wait_job JOB [BASEURL]: polls as Xerox's sample does until an ending
# (Completed with a reason other than None); records the ImagesScanned
# values seen while Processing in $SEEN and the number of Completed/None
# polls in $EARLY.
wait_job() {
	local i
	SEEN=
	EARLY=0
	for i in $(seq 1 $((TIMEOUT * 10))); do
		job_details "$1" "${2:-}"
		if [ "$STATE" = Completed ]; then
			[ "$REASONS" != None ] && return 0
			EARLY=$((EARLY + 1))
		fi
		[ "$STATE" = Processing ] && case " $SEEN " in *" $IMAGES "*) ;; *) SEEN="$SEEN $IMAGES" ;; esac
		sleep 0.1
	done
	return 1
}
# wait_state JOB STATE REASONS: polls until the job shows them
wait_state() {
	local i
	for i in $(seq 1 $((TIMEOUT * 10))); do
		job_details "$1"
		[ "$STATE/$REASONS" = "$2/$3" ] && return 0
		sleep 0.1
	done
	return 1
}
sim_config() { curl -s -o "$WORK/cfg.json" -w '%{http_code}' -X POST -d "$1" "$BASE/_sim/config"; }
panel() { curl -s -o "$WORK/panel.json" -w '%{http_code}' -X POST -d "{\"button\":\"$1\"}" "$BASE/_sim/panel"; }
uploads() { ls "$WORK/up" | grep -c '^[0-9][0-9][0-9]-'; }
newest_upload() { ls -t "$WORK/up" | grep '^[0-9][0-9][0-9]-' | head -n "${1:-1}" | sed "s|^|$WORK/up/|"; }
# sequence_is PATH FIXTURE: the receiver's operations for URL path PATH,
# in order, are the fixture's rows (operation, destDir, destName, answer;
# "(listing)" and "(any)" match any answer).
sequence_is() {
	python3 - "$WORK/up/ops.jsonl" "$1" "$2" <<'PY'
import json, sys
ops = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ops = [o for o in ops if o['path'] == sys.argv[2]]
want = []
for line in open(sys.argv[3]):
    if line.startswith('#') or not line.strip():
        continue
    op, d, name, answer = (line.rstrip('\n').split('\t') + [''] * 4)[:4]
    want.append((op, d, name, answer))
got = [(o['op'], o['dir'], o['name'], o['answer']) for o in ops]
ok = len(got) == len(want) and all(
    g[:3] == w[:3] and (w[3] in ('(listing)', '(any)') or g[3] == (w[3] if w[3] != '""' else ''))
    for g, w in zip(got, want))
if not ok:
    print('# got:  %s' % got, file=sys.stderr)
    print('# want: %s' % want, file=sys.stderr)
sys.exit(0 if ok else 1)
PY
}

# ---- every service as the library sends it ------------------------------------------

for svc in template scan jobs config session; do
	path=${SVC_PATH[$svc]} ns=${SVC_NS[$svc]} ver=${SVC_SOAP[$svc]} other=1.1
	[ "$ver" = 1.1 ] && other=1.2
	case $svc in
	template) op="<ListTemplatesRequest xmlns=\"$ns\"/>" ;;
	scan) op="<InitiateScanWithTemplateRequest xmlns=\"$ns\"><ScanTemplateID>none.xst</ScanTemplateID><IsFromTemplatePool>false</IsFromTemplatePool><Token></Token></InitiateScanWithTemplateRequest>" ;;
	jobs) op="<GetJobDetailsRequest xmlns=\"$ns\"><JobData><JobIdentifierType>JobId</JobIdentifierType><JobIdentifierString>1</JobIdentifierString></JobData><JobType>WorkflowScanning</JobType></GetJobDetailsRequest>" ;;
	config) op="<GetDeviceInformationRequest xmlns=\"$ns\"/>" ;;
	session) op="<GetSessionInformationRequest xmlns=\"$ns\"/>" ;;
	esac
	soap "$path" "$op"
	# scan and jobs name a template / job that does not exist: a Sender fault
	# of the right version is the answer; the others succeed.
	if [ "$svc" = scan ] || [ "$svc" = jobs ]; then
		if [ "$STATUS" = 400 ] && fault_is "$ver" Sender; then ok "$svc: a SOAP $ver request is understood (Sender fault for the unknown id)"; else bad "$svc: a SOAP $ver request is understood" "HTTP $STATUS"; fi
	else
		check "$svc: the library's SOAP $ver request answers 200" [ "$STATUS" = 200 ]
		check "$svc: the answer is a SOAP $ver envelope" env_is "$ver"
	fi
	want_ct=text/xml
	[ "$ver" = 1.2 ] && want_ct=application/soap+xml
	check "$svc: answered as $want_ct" [ "${CTYPE%%;*}" = "$want_ct" ]
	soap "$path" "$op" "" "$other"
	if [ "$STATUS" = 500 ] && fault_is 1.1 VersionMismatch && grep -q 'SupportedEnvelope' "$WORK/resp.xml"; then ok "$svc: a SOAP $other envelope is a VersionMismatch with Upgrade"; else bad "$svc: a SOAP $other envelope is a VersionMismatch with Upgrade" "HTTP $STATUS"; fi
	case $ns in */) wrong=${ns%/} ;; *) wrong=$ns/ ;; esac
	soap "$path" "${op//$ns/$wrong}"
	code=Client status=500
	[ "$ver" = 1.2 ] && code=Sender status=400
	if [ "$STATUS" = $status ] && fault_is "$ver" $code && grep -q namespace "$WORK/resp.xml"; then ok "$svc: namespace $wrong (trailing '/' changed) is a $code fault"; else bad "$svc: namespace $wrong is a $code fault" "HTTP $STATUS"; fi
	{ env_open "$ver"; printf '%s%s' "$op" "$ENV_CLOSE"; } >"$WORK/ct.xml"
	raw "$path" "$WORK/ct.xml" application/json
	if [ "$STATUS" = $status ] && fault_is "$ver" $code; then ok "$svc: Content-Type application/json is a SOAP $ver $code fault"; else bad "$svc: Content-Type application/json is a $code fault" "HTTP $STATUS"; fi
	raw "$path" "$WORK/ct.xml" 'application/soap+xml; charset=utf-8'
	if [ "$STATUS" != 415 ] && ! grep -q 'Content-Type must' "$WORK/resp.xml"; then ok "$svc: application/soap+xml is taken too"; else bad "$svc: application/soap+xml is taken too"; fi
done

# ---- device information and session -----------------------------------------------

soap $P_DC "<GetDeviceInformationRequest xmlns=\"$NS_DC\"/>"
check "GetDeviceInformation answers 200" [ "$STATUS" = 200 ]
check "device serial" [ "$(xget Information serial)" = 3TB999001 ]
check "device model" [ "$(xget Information model)" = "Xerox AltaLink C8170" ]
check "device generation is a number" bash -c "[[ '$(xget Information generation)' =~ ^[0-9]+(\.[0-9]+)?$ ]]"
check "device name" [ "$(xget Information name)" = "Selftest MFP" ]
check "canvas size" [ "$(xget Information width)x$(xget Information height)" = 1024x600 ]
while IFS=$'\t' read -r svc req rpath _fn; do
	case $svc in '#'* | '') continue ;; esac
	[ "$svc" = config ] || continue
	check "GetDeviceInformation has $rpath (responses.tsv)" xpath "$rpath"
done <"$FIX/responses.tsv"

soap $P_SES "<GetSessionInformationRequest xmlns=\"$NS_SES\"/>"
check "guest session: username guest" [ "$(xget Information username)" = guest ]
check "session answer has Information//username (responses.tsv)" xpath 'Information//username'
# GetSecurityToken as XrxSession.js sends it: SOAP 1.1, the session namespace.
security_token() { # security_token PROVIDER KEY
	soap $P_SES "<GetSecurityTokenRequest xmlns=\"$NS_SES\"><ServiceProvider>$1</ServiceProvider><SecurityTokenKey>$(printf '%s' "$2" | base64 -w0)</SecurityTokenKey></GetSecurityTokenRequest>"
}
security_token Office365 "$SSO_TOKEN_KEY"
check "guest: no security token (a fault)" [ "$STATUS" = 500 ] && [ -n "$(xget faultstring)" ]
check "user Guest (any spelling) is nobody" [ "$(sim_config '{"user":"Guest"}')" = 200 ]
soap $P_SES "<GetSessionInformationRequest xmlns=\"$NS_SES\"/>"
check "nobody: username reported as spelled, Guest" [ "$(xget Information username)" = Guest ]
security_token Office365 "$SSO_TOKEN_KEY"
check "nobody (Guest): no security token" [ "$STATUS" = 500 ] && [ -z "$(xget SecurityToken)" ]
check "family versalink" [ "$(sim_config '{"family":"versalink"}')" = 200 ]
soap $P_DC "<GetDeviceInformationRequest xmlns=\"$NS_DC\"/>"
MODEL=$(xget Information model)
check "a VersaLink reports a VersaLink model ($MODEL)" grep -qi versalink <<<"$MODEL"
sim_config '{"family":"altalink"}' >/dev/null

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
check "PutTemplate answers ChecksumResponse/TemplateChecksum (responses.tsv)" xpath ChecksumResponse/TemplateChecksum
put_template broken.xst "$(printf '[service xrx_svc_scan]\n{\n\tenum_sided SidesToScan = ONE_SIDED\n}\nend\n')"
if [ "$STATUS" = 500 ] && fault_is 1.1 Client; then ok "PutTemplate of a malformed template is a Client fault"; else bad "PutTemplate of a malformed template is a Client fault"; fi
check "the fault names the line" grep -q 'line 3' "$WORK/resp.xml"
put_template other.xst "$T_PDF"
soap $P_TM "<ListTemplatesRequest xmlns=\"$NS_TM\"/>"
check "ListTemplates lists both templates" [ "$(grep -o '<TemplateName>[^<]*' "$WORK/resp.xml" | sort | tr '\n' ' ')" = "<TemplateName>other.xst <TemplateName>scanpost.xst " ]
check "ListTemplates shows the checksum" grep -q "<TemplateChecksum>$SUM</TemplateChecksum>" "$WORK/resp.xml"
check "ListTemplates answers TemplateEntries/TemplateEntry/TemplateName" xpath TemplateEntries/TemplateEntry/TemplateName
soap $P_TM "<DeleteTemplateRequest xmlns=\"$NS_TM\"><templateName>other.xst</templateName><priorChecksum>1</priorChecksum></DeleteTemplateRequest>"
if [ "$STATUS" = 500 ] && fault_is 1.1 Client; then ok "DeleteTemplate with a wrong checksum is a fault"; else bad "DeleteTemplate with a wrong checksum is a fault"; fi
soap $P_TM "<DeleteTemplateRequest xmlns=\"$NS_TM\"><templateName>other.xst</templateName><priorChecksum>$SUM</priorChecksum></DeleteTemplateRequest>"
check "DeleteTemplate with the checksum succeeds" [ "$STATUS" = 200 ]
check "DeleteTemplate answers VoidResponse" xpath VoidResponse
soap $P_TM "<ListTemplatesRequest xmlns=\"$NS_TM\"/>"
check "the deleted template is gone" bash -c "! grep -q other.xst '$WORK/resp.xml'"

# ---- scans ------------------------------------------------------------------------------

# 2 s a page: a poll (curl + python) can take most of a second on a loaded
# machine, and the check below must see page 1 while the job runs.
sim_config '{"pages":2,"page_delay_ms":2000}' >/dev/null
start_scan scanpost.xst
if [[ "$JOB" =~ ^[0-9]+$ ]]; then ok "InitiateScanWithTemplate answers a JobID"; else bad "InitiateScanWithTemplate answers a JobID"; fi
check "the answer is InitiateScanWithTemplateResponse/JobID (responses.tsv)" xpath InitiateScanWithTemplateResponse/JobID
job_details "$JOB"
check "a running job is Processing/None" [ "$STATE/$REASONS" = Processing/None ]
check "GetJobDetails answers JobInfoXmlDocument//JobInfo/JobState (responses.tsv)" xpath 'JobInfoXmlDocument//JobInfo/JobState'
wait_job "$JOB"
check "searchable PDF scan completes" [ "$STATE/$REASONS" = Completed/JobCompletedSuccessfully ]
if [[ "$SEEN" == *1* ]]; then ok "ImagesScanned counts up while Processing"; else bad "ImagesScanned counts up while Processing"; fi
echo "# ImagesScanned seen while Processing:$SEEN"
check "ImagesScanned is 2 at the end" [ "$IMAGES" = 2 ]
check "one document filed" [ "$(uploads)" = 1 ]
F=$(newest_upload)
if [[ "$F" == *-Contract.pdf ]]; then ok "filed as Contract.pdf"; else bad "filed as Contract.pdf"; fi
check "the filing went to the template's script path" grep -q '"path": "/scan/job1/tok1"' "$WORK/up/ops.jsonl"
sed 's/\bScan\b/Contract/g' "$FIX/filing/sequence_pdf.txt" >"$WORK/seq_contract.txt"
check "the filing sequence is filing/sequence_pdf.txt: lock, file, job log, unlock" sequence_is /scan/job1/tok1 "$WORK/seq_contract.txt"
check "the job log is the template it ran" bash -c "grep -q 'XrxHTTPScriptLocation = \"/scan/job1/tok1\"' '$WORK'/up/fs/*/Contract.XST"
check "PDF has 2 pages" bash -c "pdfinfo '$F' 2>/dev/null | grep -q '^Pages: *2$'"
check "PDF pages are A4" bash -c "pdfinfo '$F' 2>/dev/null | grep -q 'Page size: *595 x 842'"
check "searchable PDF has text" bash -c "pdftotext '$F' - | grep -q 'Page 2 of 2'"
SMALL=$(stat -c %s "$F")

T=$(template PDF RES_300X300 FULL_COLOR ONE_SIDED ISO_A4SEF PORTRAIT IMAGE_ONLY Scan /scan/job2/tok2 TRUE)
put_template big.xst "$T"
start_scan big.xst; wait_job "$JOB"
F=$(newest_upload)
check "300 dpi color PDF completes" [ "$STATE" = Completed ]
check "higher resolution makes a bigger file" [ "$(stat -c %s "$F")" -gt "$SMALL" ]
check "image-only PDF has no text" bash -c "[ -z \"\$(pdftotext '$F' - | tr -d '[:space:]\f')\" ]"
check "SuppressJobLog = TRUE: no job log (filing/sequence_suppressed.txt)" sequence_is /scan/job2/tok2 "$FIX/filing/sequence_suppressed.txt"

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
T=$(template XSM_TIFF_V6 RES_200X200 BLACK_AND_WHITE ONE_SIDED ISO_A5LEF PORTRAIT IMAGE_ONLY Scan /scan/job5/tok5)
put_template xsm.xst "$T"
BEFORE=$(uploads)
start_scan xsm.xst; wait_job "$JOB"
check "XSM_TIFF_V6 scan completes" [ "$STATE/$REASONS" = Completed/JobCompletedSuccessfully ]
check "XSM_TIFF_V6 files one file per page" [ "$(uploads)" = $((BEFORE + 3)) ]
check "XSM: working folder, pages and job log in it (filing/sequence_xsm.txt)" sequence_is /scan/job5/tok5 "$FIX/filing/sequence_xsm.txt"
F=$(newest_upload)
check "black and white is 1-bit CCITT G4" bash -c "tiffinfo '$F' 2>/dev/null | grep -q 'Bits/Sample: 1' && tiffinfo '$F' 2>/dev/null | grep -qi 'CCITT Group 4'"
start_scan xsm.xst; wait_job "$JOB"
check "a second job into the same folder takes a free name (NEW_AUTO_GENERATE)" grep -q '"dir": "/Scan_1.XSM", "name": "Scan_1_001.tif"' "$WORK/up/ops.jsonl"

# ---- job states as Xerox's sample reads them (job_states.tsv) -----------------------------

sim_config '{"pages":1,"page_delay_ms":10,"completed_early_polls":3}' >/dev/null
start_scan scanpost.xst; wait_job "$JOB"
check "completed_early_polls: 3 polls of Completed/None before the reason" [ "$EARLY" = 3 ]
check "... then Completed/JobCompletedSuccessfully" [ "$STATE/$REASONS" = Completed/JobCompletedSuccessfully ]
sim_config '{"completed_early_polls":0}' >/dev/null

sim_config '{"pages":3,"page_delay_ms":50,"next_original_after_page":1}' >/dev/null
check "panel with no job waiting is 409" [ "$(panel start)" = 409 ]
start_scan scanpost.xst
check "next original: ProcessingStopped/NextOriginalWait after image 1" wait_state "$JOB" ProcessingStopped NextOriginalWait
sleep 0.3
job_details "$JOB"
check "the job waits (still image 1)" [ "$STATE/$REASONS/$IMAGES" = ProcessingStopped/NextOriginalWait/1 ]
check "panel start is 200" [ "$(panel start)" = 200 ]
wait_job "$JOB"
check "start: scanning went on to image 3 and the job completed" [ "$STATE/$REASONS/$IMAGES" = Completed/JobCompletedSuccessfully/3 ]
start_scan scanpost.xst
wait_state "$JOB" ProcessingStopped NextOriginalWait
check "panel done is 200" [ "$(panel done)" = 200 ]
wait_job "$JOB"
check "done: the job ends with the 1 image scanned, filed" [ "$STATE/$REASONS/$IMAGES" = Completed/JobCompletedSuccessfully/1 ]
check "done: a 1-page PDF" bash -c "pdfinfo '$(newest_upload)' 2>/dev/null | grep -q '^Pages: *1$'"
start_scan scanpost.xst
wait_state "$JOB" ProcessingStopped NextOriginalWait
curl -s -X POST "$BASE/_sim/cancel" >/dev/null
wait_job "$JOB"
check "cancel while waiting: Completed/JobCanceledByUser" [ "$STATE/$REASONS" = Completed/JobCanceledByUser ]
check "panel refuses other buttons" [ "$(panel stop)" = 400 ]
sim_config '{"next_original_after_page":0}' >/dev/null

# ---- failures ----------------------------------------------------------------------------

sim_config '{"pages":3,"page_delay_ms":50,"jam_after_page":2}' >/dev/null
BEFORE=$(uploads)
start_scan scanpost.xst; wait_job "$JOB"
check "paper jam ends Completed/JobAborted" [ "$STATE/$REASONS" = Completed/JobAborted ]
check "paper jam at image 2" [ "$IMAGES" = 2 ]
check "paper jam files nothing" [ "$(uploads)" = "$BEFORE" ]

sim_config '{"jam_after_page":null,"abort_after_page":1}' >/dev/null
start_scan scanpost.xst; wait_job "$JOB"
check "abort knob: Completed/AbortBySystem" [ "$STATE/$REASONS" = Completed/AbortBySystem ]
sim_config '{"abort_after_page":0,"cancel_after_page":1}' >/dev/null
start_scan scanpost.xst; wait_job "$JOB"
check "cancel knob: Completed/JobCanceledByUser" [ "$STATE/$REASONS" = Completed/JobCanceledByUser ]

sim_config '{"cancel_after_page":null,"pages":5,"page_delay_ms":400}' >/dev/null
BEFORE=$(uploads)
start_scan scanpost.xst
sleep 0.6
check "POST /_sim/cancel cancels the running job" bash -c "curl -s -X POST '$BASE/_sim/cancel' | grep -q '\"canceled\":1'"
wait_job "$JOB"
check "canceled job: Completed/JobCanceledByUser" [ "$STATE/$REASONS" = Completed/JobCanceledByUser ]
check "canceled job files nothing" [ "$(uploads)" = "$BEFORE" ]

sim_config '{"pages":1,"page_delay_ms":10}' >/dev/null
T=$(template PDF RES_150X150 GRAYSCALE ONE_SIDED ISO_A4SEF PORTRAIT IMAGE_ONLY Refused /refuse/job6)
put_template refused.xst "$T"
start_scan refused.xst; wait_job "$JOB"
check "refused filing: Completed/FileTransferFailed" [ "$STATE/$REASONS" = Completed/FileTransferFailed ]
check "the refusal is in the log" grep -q 'HTTP 403: XRXERROR' "$WORK/sim.log"
T=$(template PDF RES_150X150 GRAYSCALE ONE_SIDED ISO_A4SEF PORTRAIT IMAGE_ONLY Refused /xrxerror/job7)
put_template xrxerror.xst "$T"
start_scan xrxerror.xst; wait_job "$JOB"
check "200 with XRXERROR is a failure too" [ "$STATE/$REASONS" = Completed/FileTransferFailed ]
check "after a refused PutFile the device gives the lock back" bash -c "tail -n 1 '$WORK/up/ops.jsonl' | grep -q '\"op\": \"DeleteFile\", \"dir\": \"/\", \"name\": \"Refused.LCK\"'"
sim_config '{"pages":3}' >/dev/null
T=$(template XSM_TIFF_V6 RES_150X150 GRAYSCALE ONE_SIDED ISO_A4SEF PORTRAIT IMAGE_ONLY Scan /refuse-second/job8)
put_template xsmfail.xst "$T"
start_scan xsmfail.xst; wait_job "$JOB"
check "XSM filing refused mid-way: FileTransferFailed" [ "$STATE/$REASONS" = Completed/FileTransferFailed ]
check "... and the device cleans up (filing/sequence_failed_xsm.txt)" sequence_is /refuse-second/job8 "$FIX/filing/sequence_failed_xsm.txt"
check "/_sim/state shows the filing sequence with its answers" bash -c "curl -s '$BASE/_sim/state' | python3 -c 'import json,sys; j=json.load(sys.stdin)[\"jobs\"][0]; assert [o[\"operation\"] for o in j[\"filing\"]][:4] == [\"ListDir\",\"GetFile\",\"PutFile\",\"MakeDir\"] and j[\"filing\"][1][\"answer\"] == \"XRXNOTFOUND\"'"
sim_config '{"pages":1}' >/dev/null

put_template untrusted.xst "$T_PDF" "http://127.0.0.1:$SIM2_PORT"
start_scan untrusted.xst "http://127.0.0.1:$SIM2_PORT"
wait_job "$JOB" "http://127.0.0.1:$SIM2_PORT"
check "an untrusted certificate fails the filing (verification always on)" [ "$STATE/$REASONS" = Completed/FileTransferFailed ]

T=$(template JPEG_V6 RES_150X150 GRAYSCALE ONE_SIDED ISO_A4SEF PORTRAIT IMAGE_ONLY Bad /scan/job8)
put_template unknown-format.xst "$T"
check "a well-formed template with an unknown value is stored" [ "$STATUS" = 200 ]
start_scan unknown-format.xst; wait_job "$JOB"
check "unknown DocumentFormat ends the job: Completed/JobAborted" [ "$STATE/$REASONS" = Completed/JobAborted ]

sim_config '{"auto_size_fails":true}' >/dev/null
T=$(template PDF RES_150X150 GRAYSCALE ONE_SIDED AUTO PORTRAIT IMAGE_ONLY Auto /scan/job9)
put_template auto.xst "$T"
start_scan auto.xst; wait_job "$JOB"
check "undetected size: Completed/InputScanSizeNotDetermined" [ "$STATE/$REASONS" = Completed/InputScanSizeNotDetermined ]
sim_config '{"auto_size_fails":false}' >/dev/null

start_scan no-such.xst
if [ "$STATUS" = 400 ] && fault_is 1.2 Sender; then ok "InitiateScan of an unknown template is a SOAP 1.2 Sender fault, HTTP 400"; else bad "InitiateScan of an unknown template is a SOAP 1.2 Sender fault" "HTTP $STATUS"; fi
soap $P_SCAN "<InitiateScanWithTemplateRequest xmlns=\"$NS_SCAN\"><ScanTemplateID>scanpost.xst</ScanTemplateID><IsFromTemplatePool>false</IsFromTemplatePool></InitiateScanWithTemplateRequest>"
if [ "$STATUS" = 400 ] && fault_is 1.2 Sender && grep -q Token "$WORK/resp.xml"; then ok "InitiateScan without Token is a Sender fault"; else bad "InitiateScan without Token is a Sender fault" "HTTP $STATUS"; fi
job_details 999999
check "GetJobDetails of an unknown job is a Sender fault" [ "$STATUS" = 400 ]

# ---- VersaLink ------------------------------------------------------------------------------

sim_config '{"family":"versalink"}' >/dev/null
start_scan scanpost.xst; wait_job "$JOB"
check "a VersaLink cannot file a template without the app name" [ "$STATE/$REASONS" = Completed/FileTransferFailed ]
check "... and says why" bash -c "curl -s '$BASE/_sim/state' | grep -q 'app.s name'"
T=$(template PDF RES_150X150 GRAYSCALE ONE_SIDED ISO_A4SEF PORTRAIT IMAGE_ONLY Scan /scanpost/scan/job10/tok10 FALSE "127.0.0.1:$RECV_PORT/scanpost")
put_template versalink.xst "$T"
start_scan versalink.xst; wait_job "$JOB"
check "a VersaLink files the template with the app name in both" [ "$STATE/$REASONS" = Completed/JobCompletedSuccessfully ]
check "... to https://host/<app>/... (filing/sequence_pdf.txt)" sequence_is /scanpost/scan/job10/tok10 "$FIX/filing/sequence_pdf.txt"
sim_config '{"family":"altalink"}' >/dev/null
start_scan versalink.xst; wait_job "$JOB"
check "an AltaLink refuses RepositoryName host/app: JobAborted" [ "$STATE/$REASONS" = Completed/JobAborted ]

# ---- scanpost's own templates (tests/fixtures/eip/templates, pinned by test_template) ------

sim_config '{"pages":1,"page_delay_ms":10}' >/dev/null
for fam in altalink versalink; do
	sed -e '/^#/d' -e "s|scanpost.example.org:8443|127.0.0.1:$RECV_PORT|" \
		-e "s|/scan/0b7e6c1a-9f51-4c0e-a1d5-3f2b8e0c4d11/Tk_9-x|/scan/fix-$fam/t|" \
		"$FIX/templates/${fam}_default.xst" >"$WORK/fix-$fam.xst"
	put_template "fix-$fam.xst" "$(cat "$WORK/fix-$fam.xst")"
	sim_config "{\"family\":\"$fam\"}" >/dev/null
	start_scan "fix-$fam.xst"; wait_job "$JOB"
	check "scanpost's $fam template files on a $fam device" [ "$STATE/$REASONS" = Completed/JobCompletedSuccessfully ]
	p=/scan/fix-$fam/t
	[ $fam = versalink ] && p=/scanpost/scan/fix-$fam/t
	check "... at $p, with the job log (filing/sequence_pdf.txt)" sequence_is "$p" "$FIX/filing/sequence_pdf.txt"
done
sim_config '{"family":"altalink"}' >/dev/null

# ---- malformed SOAP -----------------------------------------------------------------------

printf 'this is not XML' >"$WORK/bad1"
raw $P_TM "$WORK/bad1"
if [ "$STATUS" = 500 ] && fault_is 1.1 Client; then ok "not XML: HTTP 500 soap:Client"; else bad "not XML: HTTP 500 soap:Client"; fi
raw $P_JM "$WORK/bad1"
if [ "$STATUS" = 400 ] && fault_is 1.2 Sender; then ok "not XML to a SOAP 1.2 service: HTTP 400 Sender"; else bad "not XML to a SOAP 1.2 service: HTTP 400 Sender"; fi
printf '<Envelope><Body><ListTemplatesRequest/></Body></Envelope>' >"$WORK/bad2"
raw $P_TM "$WORK/bad2"
if [ "$STATUS" = 500 ] && fault_is 1.1 VersionMismatch; then ok "an Envelope in no SOAP namespace: VersionMismatch (SOAP 1.1 4.1.2)"; else bad "an Envelope in no SOAP namespace: VersionMismatch"; fi
printf '<Root><Body><ListTemplatesRequest/></Body></Root>' >"$WORK/bad2b"
raw $P_TM "$WORK/bad2b"
if [ "$STATUS" = 500 ] && grep -q 'not a SOAP Envelope' "$WORK/resp.xml"; then ok "not an Envelope: HTTP 500 fault"; else bad "not an Envelope: HTTP 500 fault"; fi
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
python3 -c "import sys; sys.stdout.write('$(env_open 1.1)<ListTemplatesRequest xmlns=\"$NS_TM\"><x>' + 'A' * (1100 * 1024) + '</x></ListTemplatesRequest>$ENV_CLOSE')" >"$WORK/big"
raw $P_TM "$WORK/big"
if [ "$STATUS" = 500 ] && grep -q 'larger than 1 MB' "$WORK/resp.xml"; then ok "over 1 MB: HTTP 500 fault"; else bad "over 1 MB: HTTP 500 fault"; fi
cat >"$WORK/mu" <<X
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header><x:Auth xmlns:x="urn:x" soap:mustUnderstand="1"/></soap:Header><soap:Body><ListTemplatesRequest xmlns="$NS_TM"/></soap:Body></soap:Envelope>
X
raw $P_TM "$WORK/mu"
if [ "$STATUS" = 500 ] && fault_is 1.1 MustUnderstand; then ok "mustUnderstand header: soap:MustUnderstand"; else bad "mustUnderstand header: soap:MustUnderstand"; fi
check "GET on a service is 405" [ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE$P_TM")" = 405 ]
check "OPTIONS on a service is 405" [ "$(curl -s -o /dev/null -w '%{http_code}' -X OPTIONS "$BASE$P_SCAN")" = 405 ]
check "unknown path is 404" [ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$BASE/webservices/nothing")" = 404 ]
check "a service path with a trailing slash is 404 (exact match)" [ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$BASE$P_TM/")" = 404 ]

# ---- control API ---------------------------------------------------------------------------

check "/_sim/config refuses an unknown key" [ "$(sim_config '{"colour":1}')" = 400 ]
if [ "$(sim_config '{"pages":2,"canvas":"640x480"}')" = 400 ] && curl -s "$BASE/_sim/state" | grep -q '"pages":1,'; then ok "/_sim/config refuses a bad value and changes nothing"; else bad "/_sim/config refuses a bad value and changes nothing"; fi
check "/_sim/config refuses a user with '|'" [ "$(sim_config '{"user":"a|b"}')" = 400 ]
check "/_sim/config refuses an unknown family" [ "$(sim_config '{"family":"phaser"}')" = 400 ]
check "/_sim/config refuses completed_early_polls over 100" [ "$(sim_config '{"completed_early_polls":101}')" = 400 ]
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
