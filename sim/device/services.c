/*
 * services.c - one table of services, each with a table of operations
 * (see services.h for the wire shapes).
 */
#include "services.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "scanjob.h"
#include "simlog.h"
#include "sso.h"
#include "tmpl_parse.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

#define NS_TEMPLATE "http://www.xerox.com/webservices/office/template_management/1/"
#define NS_SCAN     "http://www.xerox.com/webservices/scanservice/2"
#define NS_JOBMGMT  "http://xml.namespaces.xerox.com/enterprise/JobManagement/1"
#define NS_DEVCFG   "http://www.xerox.com/webservices/office/device_configuration/1"
#define NS_SESSION  "http://www.xerox.com/webservices/office/cuisession/1"
#define NS_SESSINFO "http://schemas.xerox.com/office/cui/sessioninformation/1"

/* What a handler reports back: on failure, the fault to send. */
struct op_result {
	bool failed;
	enum soap_fault code;
	char faultstring[320];
};

typedef void (*op_fn)(struct device *d, xmlNodePtr op, struct soap_buf *body, struct op_result *r);

struct op {
	const char *name;
	op_fn fn;
};

struct service {
	const char *path;
	const char *ns;            /* byte for byte, requests and answers */
	enum soap_version version; /* the only envelope the service takes */
	const struct op *ops;
	size_t n_ops;
};

#define CLIENT SOAP_FAULT_SENDER
#define SERVER SOAP_FAULT_RECEIVER

static void fault(struct op_result *r, enum soap_fault code, const char *fmt, const char *arg)
{
	r->failed = true;
	r->code = code;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	snprintf(r->faultstring, sizeof(r->faultstring), fmt, arg ? arg : "");
#pragma GCC diagnostic pop
}

/* A required text field: present, 1..max bytes, printable, no control
 * characters.  Returns a malloc'd copy or NULL after setting the fault. */
static char *field(xmlNodePtr parent, const char *name, size_t max, struct op_result *r)
{
	char *v = soap_child_text(parent, name);
	size_t i, n;

	if (!v) {
		fault(r, CLIENT, "missing element %s", name);
		return NULL;
	}
	n = strlen(v);
	for (i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 && !strchr("\t\r\n", v[i]))
			break;
	if (n == 0 || n > max || i < n) {
		free(v);
		fault(r, CLIENT, "element %s is empty, too long or holds control characters", name);
		return NULL;
	}
	return v;
}

/* ---- template management ------------------------------------------------ */

static bool template_name_ok(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7E || strchr("/\\", *s))
			return false;
	return true;
}

static void put_template(struct device *d, xmlNodePtr op, struct soap_buf *b, struct op_result *r)
{
	char *name = field(op, "templateName", DEVICE_TEMPLATE_NAME_MAX, r), *content = NULL;
	char detail[200], checksum[12];
	struct tmpl t;
	enum device_err e;

	if (!name)
		return;
	if (!template_name_ok(name)) {
		fault(r, CLIENT, "templateName may hold printable ASCII without '/' or '\\'", NULL);
		goto out;
	}
	content = soap_child_text(op, "templateContent");
	if (!content) {
		fault(r, CLIENT, "missing element %s", "templateContent");
		goto out;
	}
	/* The device refuses what it could not run, at PutTemplate time. */
	if (tmpl_parse(content, strlen(content), &t, detail, sizeof(detail)) != TMPL_OK) {
		fault(r, CLIENT, "the template is malformed: %s", detail);
		goto out;
	}
	tmpl_free(&t);
	e = device_template_put(d, name, content, strlen(content), checksum);
	if (e == DEVICE_ERR_FULL)
		fault(r, SERVER, "the template store is full", NULL);
	else if (e != DEVICE_OK)
		fault(r, SERVER, "out of memory", NULL);
	else {
		/* XRXTemplate.js xrxTemplateParsePutTemplate reads
		 * ChecksumResponse/TemplateChecksum. */
		soap_buf_add(b, "<ChecksumResponse xmlns=\"" NS_TEMPLATE "\">");
		soap_buf_add_elem(b, "TemplateChecksum", checksum);
		soap_buf_add(b, "</ChecksumResponse>");
		simlog("info", "template_stored", "template", name, "checksum", checksum, NULL);
	}
out:
	free(name);
	free(content);
}

static void delete_template(struct device *d, xmlNodePtr op, struct soap_buf *b,
                            struct op_result *r)
{
	char *name = field(op, "templateName", DEVICE_TEMPLATE_NAME_MAX, r), *sum = NULL;
	enum device_err e;

	if (!name)
		return;
	sum = field(op, "priorChecksum", 11, r);
	if (!sum)
		goto out;
	e = device_template_delete(d, name, sum);
	if (e == DEVICE_ERR_NOT_FOUND)
		fault(r, CLIENT, "no template named %s", name);
	else if (e == DEVICE_ERR_CHECKSUM)
		fault(r, CLIENT, "priorChecksum does not match the template %s", name);
	else
		soap_buf_add(b, "<VoidResponse xmlns=\"" NS_TEMPLATE "\"/>");
out:
	free(name);
	free(sum);
}

static void list_templates(struct device *d, xmlNodePtr op, struct soap_buf *b, struct op_result *r)
{
	size_t i;

	(void)op;
	(void)r;
	soap_buf_add(b, "<TemplateEntries xmlns=\"" NS_TEMPLATE "\">");
	device_lock(d);
	for (i = 0; i < d->n_templates; i++) {
		soap_buf_add(b, "<TemplateEntry>");
		soap_buf_add_elem(b, "TemplateName", d->templates[i].name);
		soap_buf_add_elem(b, "TemplateChecksum", d->templates[i].checksum);
		soap_buf_add(b, "</TemplateEntry>");
	}
	device_unlock(d);
	soap_buf_add(b, "</TemplateEntries>");
}

/* ---- scan ---------------------------------------------------------------- */

static void initiate_scan(struct device *d, xmlNodePtr op, struct soap_buf *b, struct op_result *r)
{
	char *name = field(op, "ScanTemplateID", DEVICE_TEMPLATE_NAME_MAX, r), *pool = NULL;
	enum scanjob_err e;
	unsigned id = 0;
	char idtext[16];

	if (!name)
		return;
	/* XrxScanV2.js xrxScanV2InitiateScanJobWithTemplateRequest always
	 * writes a Token element (empty without a token).  Whether a real
	 * device refuses a request without one is not known (README, "not yet
	 * verified"); the simulator does, so scanpost sends what the library
	 * sends. */
	if (!soap_child(op, "Token")) {
		fault(r, CLIENT, "missing element %s", "Token");
		goto out;
	}
	pool = soap_child_text(op, "IsFromTemplatePool");
	if (pool && (strcmp(pool, "true") == 0 || strcmp(pool, "1") == 0)) {
		fault(r, SERVER, "this device has no template pool", NULL);
		goto out;
	}
	if (pool && *pool && strcmp(pool, "false") != 0 && strcmp(pool, "0") != 0) {
		fault(r, CLIENT, "IsFromTemplatePool must be a boolean", NULL);
		goto out;
	}
	e = scanjob_start(d, name, &id);
	if (e == SCANJOB_ERR_NO_TEMPLATE)
		fault(r, CLIENT, "no template named %s", name);
	else if (e == SCANJOB_ERR_BUSY)
		fault(r, SERVER, "the device is busy", NULL);
	else if (e != SCANJOB_OK)
		fault(r, SERVER, "the scan could not start", NULL);
	else {
		snprintf(idtext, sizeof(idtext), "%u", id);
		soap_buf_add(b, "<InitiateScanWithTemplateResponse xmlns=\"" NS_SCAN "\">");
		soap_buf_add_elem(b, "JobID", idtext);
		soap_buf_add(b, "</InitiateScanWithTemplateResponse>");
	}
out:
	free(name);
	free(pool);
}

/* ---- job management ------------------------------------------------------ */

static bool parse_job_id(const char *s, unsigned *id)
{
	unsigned long v = 0;

	if (!*s || strlen(s) > 9)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	*id = (unsigned)v;
	return true;
}

static void get_job_details(struct device *d, xmlNodePtr op, struct soap_buf *b,
                            struct op_result *r)
{
	xmlNodePtr data = soap_child(op, "JobData");
	char *type = NULL, *idtext = NULL, *jobtype = NULL, num[16];
	struct soap_buf info;
	struct job *j;
	unsigned id;

	soap_buf_init(&info);
	if (!data) {
		fault(r, CLIENT, "missing element %s", "JobData");
		return;
	}
	if (!(type = field(data, "JobIdentifierType", 32, r)) ||
	    !(idtext = field(data, "JobIdentifierString", 64, r)) ||
	    !(jobtype = field(op, "JobType", 64, r)))
		goto out;
	if (strcmp(type, "JobId") != 0) {
		fault(r, CLIENT, "JobIdentifierType must be JobId", NULL);
		goto out;
	}
	if (strcmp(jobtype, "WorkflowScanning") != 0) {
		fault(r, CLIENT, "JobType must be WorkflowScanning for scan jobs", NULL);
		goto out;
	}
	device_lock(d);
	j = parse_job_id(idtext, &id) ? device_job_find(d, id) : NULL;
	if (!j) {
		device_unlock(d);
		fault(r, CLIENT, "no job with JobId %s", idtext);
		goto out;
	}
	soap_buf_add(&info, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><JobInfo>");
	snprintf(num, sizeof(num), "%u", j->id);
	soap_buf_add_elem(&info, "JobId", num);
	soap_buf_add_elem(&info, "JobType", "WorkflowScanning");
	soap_buf_add_elem(&info, "JobName", j->template_name);
	soap_buf_add_elem(&info, "JobState", device_job_state_name(j->state));
	soap_buf_add_elem(&info, "JobStateReasons", device_job_poll(j));
	snprintf(num, sizeof(num), "%u", j->images_scanned);
	soap_buf_add_elem(&info, "ImagesScanned", num);
	snprintf(num, sizeof(num), "%u", j->images_total);
	soap_buf_add_elem(&info, "ImagesToScan", num);
	device_unlock(d);
	soap_buf_add(&info, "</JobInfo>");
	if (info.oom) {
		fault(r, SERVER, "out of memory", NULL);
		goto out;
	}
	soap_buf_add(b, "<GetJobDetailsResponse xmlns=\"" NS_JOBMGMT "\">");
	soap_buf_add_elem(b, "JobInfoXmlDocument", info.s);
	soap_buf_add(b, "</GetJobDetailsResponse>");
out:
	soap_buf_free(&info);
	free(type);
	free(idtext);
	free(jobtype);
}

/* ---- device configuration ---------------------------------------------- */

static void get_device_information(struct device *d, xmlNodePtr op, struct soap_buf *b,
                                   struct op_result *r)
{
	struct soap_buf info;
	char num[16];

	(void)op;
	soap_buf_init(&info);
	soap_buf_add(&info, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><DeviceInformation>");
	device_lock(d);
	soap_buf_add(&info, "<device>");
	soap_buf_add_elem(&info, "name", d->id.name);
	soap_buf_add_elem(&info, "serial", d->id.serial);
	soap_buf_add_elem(&info, "model", device_model(d));
	/* Xerox's apps read device/generation next to model and serial (the
	 * public EIP app sarathpk931/noteconverter_v14, app.module.ts). */
	soap_buf_add_elem(&info, "generation", DEVICE_GENERATION);
	soap_buf_add(&info, "</device><display><canvasSize>");
	snprintf(num, sizeof(num), "%u", d->id.canvas_w);
	soap_buf_add_elem(&info, "width", num);
	snprintf(num, sizeof(num), "%u", d->id.canvas_h);
	soap_buf_add_elem(&info, "height", num);
	device_unlock(d);
	soap_buf_add(&info, "</canvasSize></display></DeviceInformation>");
	if (info.oom)
		fault(r, SERVER, "out of memory", NULL);
	else {
		soap_buf_add(b, "<GetDeviceInformationResponse xmlns=\"" NS_DEVCFG "\">");
		soap_buf_add_elem(b, "Information", info.s);
		soap_buf_add(b, "</GetDeviceInformationResponse>");
	}
	soap_buf_free(&info);
}

/* ---- session ------------------------------------------------------------- */

static void get_session_information(struct device *d, xmlNodePtr op, struct soap_buf *b,
                                    struct op_result *r)
{
	struct soap_buf info;
	char assertion[700], signature[64];
	bool sso = false;

	(void)op;
	soap_buf_init(&info);
	soap_buf_add(&info, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	                    "<SessionInformation xmlns=\"" NS_SESSINFO "\">"
	                    "<schemaVersion><MajorVersion>1</MajorVersion>"
	                    "<MinorVersion>1</MinorVersion><Revision>0</Revision></schemaVersion>");
	device_lock(d);
	soap_buf_add_elem(&info, "username", device_user_name(&d->user));
	soap_buf_add(&info, "<email>");
	soap_buf_add_elem(&info, "from", d->user.logged_in ? d->user.email : "");
	soap_buf_add(&info, "</email>");
	if (d->user.logged_in && d->have_sso_key)
		sso = sso_make_assertion(d->sso_key, d->user.name, d->id.serial, time(NULL),
		                         assertion, sizeof(assertion), signature,
		                         sizeof(signature)) == 0;
	device_unlock(d);
	if (sso) {
		soap_buf_add_elem(&info, "ssoAssertion", assertion);
		soap_buf_add_elem(&info, "ssoSignature", signature);
	}
	soap_buf_add(&info, "</SessionInformation>");
	if (info.oom)
		fault(r, SERVER, "out of memory", NULL);
	else {
		soap_buf_add(b, "<SessionInformationResponse xmlns=\"" NS_SESSION "\">");
		soap_buf_add_elem(b, "Information", info.s);
		soap_buf_add(b, "</SessionInformationResponse>");
	}
	soap_buf_free(&info);
}

static void exit_application(struct device *d, xmlNodePtr op, struct soap_buf *b,
                             struct op_result *r)
{
	(void)d;
	(void)op;
	(void)r;
	simlog("info", "exit_application", NULL);
	soap_buf_add(b, "<ExitApplicationResponse xmlns=\"" NS_SESSION "\"/>");
}

/* ---- the tables ---------------------------------------------------------- */

static const struct op template_ops[] = {
    {"PutTemplateRequest", put_template},
    {"DeleteTemplateRequest", delete_template},
    {"ListTemplatesRequest", list_templates},
};
static const struct op scan_ops[] = {
    {"InitiateScanWithTemplateRequest", initiate_scan},
};
static const struct op jobmgmt_ops[] = {
    {"GetJobDetailsRequest", get_job_details},
};
static const struct op devcfg_ops[] = {
    {"GetDeviceInformationRequest", get_device_information},
};
static const struct op session_ops[] = {
    {"GetSessionInformationRequest", get_session_information},
    {"ExitApplicationRequest", exit_application},
};

#define SERVICE(path, ns, version, ops)                                                            \
	{                                                                                          \
		path, ns, version, ops, N_ELEMS(ops)                                               \
	}
/* Path, namespace and envelope version of each service as Xerox's EIP
 * library 4.3.01 sends them (sarathpk931/noteconverter_v14,
 * src/assets/Xrx/): XRXTemplate.js (XRX_TEMPLATE_PATH, XRX_TEMPLATE_NAMESPACE,
 * XRX_SOAP11_SOAPSTART), XRXScanV2.js (XRX_SCANV2_*, XRX_SOAPSTART = SOAP 1.2),
 * XRXJobManagement.js (XRX_JOBMGMT_*, XRX_SOAPSTART), XRXDeviceConfig.js
 * (XRX_DEVICECONFIG_*, XRX_SOAP11_SOAPSTART), XRXSession.js (XRX_SESSION_*,
 * XRX_SESSION_SOAPSTART = SOAP 1.1). */
static const struct service services[] = {
    SERVICE("/webservices/office/template_management/1", NS_TEMPLATE, SOAP_V11, template_ops),
    SERVICE("/webservices/ScanService/2", NS_SCAN, SOAP_V12, scan_ops),
    SERVICE("/webservices/JobManagement/1", NS_JOBMGMT, SOAP_V12, jobmgmt_ops),
    SERVICE("/webservices/office/device_configuration/1", NS_DEVCFG, SOAP_V11, devcfg_ops),
    SERVICE("/webservices/office/cuisession/1", NS_SESSION, SOAP_V11, session_ops),
};

static const struct service *service_at(const char *path)
{
	size_t i;

	for (i = 0; i < N_ELEMS(services); i++)
		if (strcmp(services[i].path, path) == 0)
			return &services[i];
	return NULL;
}

bool services_is_path(const char *path)
{
	return service_at(path) != NULL;
}

/* The media types a SOAP request may come as: text/xml is what Xerox's
 * library sends for every service (XRXWebservices.js xrxCallAjax), and
 * application/soap+xml is SOAP 1.2's own (SOAP 1.2 part 2, section 7.1.4).
 * Parameters (charset, action) are allowed. */
static bool content_type_ok(const char *ct)
{
	static const char *const types[] = {"text/xml", "application/soap+xml"};
	size_t i, n;

	if (!ct)
		return false;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	for (i = 0; i < N_ELEMS(types); i++) {
		n = strlen(types[i]);
		if (strncasecmp(ct, types[i], n) == 0 && strchr("; \t", ct[n]))
			return true;
	}
	return false;
}

static enum soap_fault fault_of_parse(enum soap_err e)
{
	switch (e) {
	case SOAP_ERR_MUST_UNDERSTAND:
		return SOAP_FAULT_MUST_UNDERSTAND;
	case SOAP_ERR_ENVELOPE_NS: /* SOAP 1.1 section 4.1.2 */
		return SOAP_FAULT_VERSION_MISMATCH;
	case SOAP_ERR_NOMEM:
		return SOAP_FAULT_RECEIVER;
	default:
		return SOAP_FAULT_SENDER;
	}
}

static int refuse(const struct service *svc, enum soap_fault code, const char *why,
                  const char *path, struct soap_buf *out, const char **answer_type)
{
	simlog("warn", "soap_fault", "path", path, "faultstring", why, NULL);
	soap_buf_free(out);
	/* A VersionMismatch is a SOAP 1.1 envelope (soap.h). */
	*answer_type =
	    soap_content_type(code == SOAP_FAULT_VERSION_MISMATCH ? SOAP_V11 : svc->version);
	return soap_write_fault(out, svc->version, code, why);
}

int services_handle(struct device *d, const char *path, const char *content_type, const char *body,
                    size_t len, bool too_large, struct soap_buf *out, const char **answer_type)
{
	static const struct service unknown = {"", "", SOAP_V11, NULL, 0};
	const struct service *svc = service_at(path);
	struct op_result r = {false, SOAP_FAULT_SENDER, ""};
	struct soap_request req;
	enum soap_version version = SOAP_V11;
	struct soap_buf resp;
	enum soap_err e;
	const char *opname;
	size_t i;
	int status = 200;

	if (!svc)
		return refuse(&unknown, CLIENT, "no service at this path", path, out, answer_type);
	if (too_large)
		return refuse(svc, CLIENT, soap_err_string(SOAP_ERR_TOO_LARGE), path, out,
		              answer_type);
	if (!content_type_ok(content_type))
		return refuse(svc, CLIENT, "Content-Type must be text/xml or application/soap+xml",
		              path, out, answer_type);
	e = soap_parse(body, len, &req, &version);
	/* An envelope of the other version, well-formed or not beyond it, is a
	 * VersionMismatch (SOAP 1.1 section 4.1.2; SOAP 1.2 part 1 section
	 * 5.4.7 and appendix A). */
	if ((e == SOAP_OK || e == SOAP_ERR_BODY || e == SOAP_ERR_MUST_UNDERSTAND) &&
	    version != svc->version) {
		soap_request_free(&req);
		return refuse(svc, SOAP_FAULT_VERSION_MISMATCH,
		              svc->version == SOAP_V12 ? "this service takes SOAP 1.2 envelopes"
		                                       : "this service takes SOAP 1.1 envelopes",
		              path, out, answer_type);
	}
	if (e != SOAP_OK)
		return refuse(svc, fault_of_parse(e), soap_err_string(e), path, out, answer_type);
	opname = (const char *)req.op->name;
	for (i = 0; i < svc->n_ops; i++)
		if (strcmp(svc->ops[i].name, opname) == 0)
			break;
	soap_buf_init(&resp);
	if (i == svc->n_ops)
		fault(&r, CLIENT, "unknown operation %s for this service", opname);
	else if (strcmp(soap_ns(req.op), svc->ns) != 0)
		/* Byte for byte: the template namespace ends in '/', the others
		 * do not (the library's XRX_*_NAMESPACE). */
		fault(&r, CLIENT, "the operation element must be in the namespace %s", svc->ns);
	else
		svc->ops[i].fn(d, req.op, &resp, &r);
	if (!r.failed && resp.oom)
		fault(&r, SERVER, "out of memory", NULL);
	if (r.failed) {
		simlog("warn", "soap_fault", "path", path, "operation", opname, "faultstring",
		       r.faultstring, NULL);
		soap_buf_free(out);
		status = soap_write_fault(out, svc->version, r.code, r.faultstring);
	} else {
		soap_buf_free(out);
		soap_write_envelope(out, svc->version, resp.s ? resp.s : "");
	}
	*answer_type = soap_content_type(svc->version);
	soap_buf_free(&resp);
	soap_request_free(&req);
	return status;
}
