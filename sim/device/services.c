/*
 * services.c - one table of services, each with a table of operations
 * (see services.h for the wire shapes).
 */
#include "services.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	const char *faultcode; /* "Client" or "Server"; NULL on success */
	char faultstring[320];
};

typedef void (*op_fn)(struct device *d, xmlNodePtr op, struct soap_buf *body, struct op_result *r);

struct op {
	const char *name;
	op_fn fn;
};

struct service {
	const char *path;
	const char *ns; /* as answered; requests may drop or add a trailing '/' */
	const struct op *ops;
	size_t n_ops;
};

static void fault(struct op_result *r, const char *code, const char *fmt, const char *arg)
{
	r->faultcode = code;
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
		fault(r, "Client", "missing element %s", name);
		return NULL;
	}
	n = strlen(v);
	for (i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 && !strchr("\t\r\n", v[i]))
			break;
	if (n == 0 || n > max || i < n) {
		free(v);
		fault(r, "Client", "element %s is empty, too long or holds control characters",
		      name);
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
		fault(r, "Client", "templateName may hold printable ASCII without '/' or '\\'",
		      NULL);
		goto out;
	}
	content = soap_child_text(op, "templateContent");
	if (!content) {
		fault(r, "Client", "missing element %s", "templateContent");
		goto out;
	}
	/* The device refuses what it could not run, at PutTemplate time. */
	if (tmpl_parse(content, strlen(content), &t, detail, sizeof(detail)) != TMPL_OK) {
		fault(r, "Client", "the template is malformed: %s", detail);
		goto out;
	}
	tmpl_free(&t);
	e = device_template_put(d, name, content, strlen(content), checksum);
	if (e == DEVICE_ERR_FULL)
		fault(r, "Server", "the template store is full", NULL);
	else if (e != DEVICE_OK)
		fault(r, "Server", "out of memory", NULL);
	else {
		soap_buf_add(b, "<PutTemplateResponse xmlns=\"" NS_TEMPLATE "\">");
		soap_buf_add_elem(b, "TemplateChecksum", checksum);
		soap_buf_add(b, "</PutTemplateResponse>");
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
		fault(r, "Client", "no template named %s", name);
	else if (e == DEVICE_ERR_CHECKSUM)
		fault(r, "Client", "priorChecksum does not match the template %s", name);
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
	char *name = field(op, "ScanTemplateID", DEVICE_TEMPLATE_NAME_MAX, r), *pool;
	enum scanjob_err e;
	unsigned id = 0;
	char idtext[16];

	if (!name)
		return;
	pool = soap_child_text(op, "IsFromTemplatePool");
	if (pool && (strcmp(pool, "true") == 0 || strcmp(pool, "1") == 0)) {
		fault(r, "Server", "this device has no template pool", NULL);
		goto out;
	}
	if (pool && *pool && strcmp(pool, "false") != 0 && strcmp(pool, "0") != 0) {
		fault(r, "Client", "IsFromTemplatePool must be a boolean", NULL);
		goto out;
	}
	e = scanjob_start(d, name, &id);
	if (e == SCANJOB_ERR_NO_TEMPLATE)
		fault(r, "Client", "no template named %s", name);
	else if (e == SCANJOB_ERR_BUSY)
		fault(r, "Server", "the device is busy", NULL);
	else if (e != SCANJOB_OK)
		fault(r, "Server", "the scan could not start", NULL);
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
		fault(r, "Client", "missing element %s", "JobData");
		return;
	}
	if (!(type = field(data, "JobIdentifierType", 32, r)) ||
	    !(idtext = field(data, "JobIdentifierString", 64, r)) ||
	    !(jobtype = field(op, "JobType", 64, r)))
		goto out;
	if (strcmp(type, "JobId") != 0) {
		fault(r, "Client", "JobIdentifierType must be JobId", NULL);
		goto out;
	}
	if (strcmp(jobtype, "WorkflowScanning") != 0) {
		fault(r, "Client", "JobType must be WorkflowScanning for scan jobs", NULL);
		goto out;
	}
	device_lock(d);
	j = parse_job_id(idtext, &id) ? device_job_find(d, id) : NULL;
	if (!j) {
		device_unlock(d);
		fault(r, "Client", "no job with JobId %s", idtext);
		goto out;
	}
	soap_buf_add(&info, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><JobInfo>");
	snprintf(num, sizeof(num), "%u", j->id);
	soap_buf_add_elem(&info, "JobId", num);
	soap_buf_add_elem(&info, "JobType", "WorkflowScanning");
	soap_buf_add_elem(&info, "JobName", j->template_name);
	soap_buf_add_elem(&info, "JobState", device_job_state_name(j->state));
	soap_buf_add_elem(&info, "JobStateReasons", j->reasons[0] ? j->reasons : "None");
	snprintf(num, sizeof(num), "%u", j->images_scanned);
	soap_buf_add_elem(&info, "ImagesScanned", num);
	snprintf(num, sizeof(num), "%u", j->images_total);
	soap_buf_add_elem(&info, "ImagesToScan", num);
	device_unlock(d);
	soap_buf_add(&info, "</JobInfo>");
	if (info.oom) {
		fault(r, "Server", "out of memory", NULL);
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
	soap_buf_add_elem(&info, "model", d->id.model);
	soap_buf_add(&info, "</device><display><canvasSize>");
	snprintf(num, sizeof(num), "%u", d->id.canvas_w);
	soap_buf_add_elem(&info, "width", num);
	snprintf(num, sizeof(num), "%u", d->id.canvas_h);
	soap_buf_add_elem(&info, "height", num);
	device_unlock(d);
	soap_buf_add(&info, "</canvasSize></display></DeviceInformation>");
	if (info.oom)
		fault(r, "Server", "out of memory", NULL);
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

	(void)op;
	soap_buf_init(&info);
	soap_buf_add(&info, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	                    "<SessionInformation xmlns=\"" NS_SESSINFO "\">"
	                    "<schemaVersion><MajorVersion>1</MajorVersion>"
	                    "<MinorVersion>1</MinorVersion><Revision>0</Revision></schemaVersion>");
	device_lock(d);
	soap_buf_add_elem(&info, "username", d->user.logged_in ? d->user.name : "guest");
	soap_buf_add(&info, "<email>");
	soap_buf_add_elem(&info, "from", d->user.logged_in ? d->user.email : "");
	soap_buf_add(&info, "</email>");
	device_unlock(d);
	soap_buf_add(&info, "</SessionInformation>");
	if (info.oom)
		fault(r, "Server", "out of memory", NULL);
	else {
		soap_buf_add(b, "<SessionInformationResponse xmlns=\"" NS_SESSION "\">");
		soap_buf_add_elem(b, "Information", info.s);
		soap_buf_add(b, "</SessionInformationResponse>");
	}
	soap_buf_free(&info);
}

/* GetSecurityTokenRequest{ServiceProvider, SecurityTokenKey} (XrxSession.js,
 * xrxSessionGetSecurityTokenRequest) -> GetSecurityTokenResponse{SecurityToken};
 * what the token is and when there is none: sso.h. */
static void get_security_token(struct device *d, xmlNodePtr op, struct soap_buf *b,
                               struct op_result *r)
{
	char *provider = field(op, "ServiceProvider", 256, r), *key = NULL, *token = NULL;
	char user[DEVICE_USER_MAX + 1];
	unsigned long login;
	bool in;
	struct sso_idp *idp;
	enum sso_token_err e;

	if (!provider || !(key = field(op, "SecurityTokenKey", 1024, r)))
		goto out;
	device_lock(d);
	idp = d->sso;
	in = d->user.logged_in;
	login = d->user.login;
	snprintf(user, sizeof(user), "%s", d->user.name);
	device_unlock(d);
	e = idp ? sso_idp_token(idp, provider, key, in ? user : NULL, login, time(NULL), &token)
	        : SSO_TOKEN_UNKNOWN_PROVIDER;
	if (e != SSO_TOKEN_OK) {
		simlog("info", "security_token_refused", "reason", sso_token_strerror(e), NULL);
		fault(r, e == SSO_TOKEN_FAILED ? "Server" : "Client", "%s", sso_token_strerror(e));
		goto out;
	}
	soap_buf_add(b, "<GetSecurityTokenResponse xmlns=\"" NS_SESSION "\">");
	soap_buf_add_elem(b, "SecurityToken", token);
	soap_buf_add(b, "</GetSecurityTokenResponse>");
out:
	free(provider);
	free(key);
	free(token);
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
    {"GetSecurityTokenRequest", get_security_token},
    {"ExitApplicationRequest", exit_application},
};

#define SERVICE(path, ns, ops)                                                                     \
	{                                                                                          \
		path, ns, ops, N_ELEMS(ops)                                                        \
	}
static const struct service services[] = {
    SERVICE("/webservices/office/template_management/1", NS_TEMPLATE, template_ops),
    SERVICE("/webservices/ScanService/2", NS_SCAN, scan_ops),
    SERVICE("/webservices/JobManagement/1", NS_JOBMGMT, jobmgmt_ops),
    SERVICE("/webservices/office/device_configuration/1", NS_DEVCFG, devcfg_ops),
    SERVICE("/webservices/office/cuisession/1", NS_SESSION, session_ops),
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

/* Same namespace, ignoring one trailing '/' on either side. */
static bool same_ns(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la && a[la - 1] == '/')
		la--;
	if (lb && b[lb - 1] == '/')
		lb--;
	return la == lb && memcmp(a, b, la) == 0;
}

int services_fault(struct soap_buf *out, const char *faultcode, const char *faultstring)
{
	soap_buf_free(out);
	soap_write_fault(out, faultcode, faultstring);
	return 500;
}

int services_handle(struct device *d, const char *path, const char *body, size_t len,
                    struct soap_buf *out)
{
	const struct service *svc = service_at(path);
	struct op_result r = {NULL, ""};
	struct soap_request req;
	struct soap_buf resp;
	enum soap_err e;
	const char *opname;
	size_t i;
	int status = 200;

	if (!svc)
		return services_fault(out, "Client", "no service at this path");
	e = soap_parse(body, len, &req);
	if (e != SOAP_OK)
		return services_fault(out,
		                      e == SOAP_ERR_MUST_UNDERSTAND ? "MustUnderstand"
		                      : e == SOAP_ERR_NOMEM         ? "Server"
		                                                    : "Client",
		                      soap_err_string(e));
	opname = (const char *)req.op->name;
	for (i = 0; i < svc->n_ops; i++)
		if (strcmp(svc->ops[i].name, opname) == 0)
			break;
	soap_buf_init(&resp);
	if (i == svc->n_ops)
		fault(&r, "Client", "unknown operation %s for this service", opname);
	else if (!same_ns(soap_ns(req.op), svc->ns))
		fault(&r, "Client", "the operation element must be in the namespace %s", svc->ns);
	else
		svc->ops[i].fn(d, req.op, &resp, &r);
	if (!r.faultcode && resp.oom)
		fault(&r, "Server", "out of memory", NULL);
	if (r.faultcode) {
		simlog("warn", "soap_fault", "path", path, "operation", opname, "faultcode",
		       r.faultcode, "faultstring", r.faultstring, NULL);
		status = services_fault(out, r.faultcode, r.faultstring);
	} else {
		soap_buf_free(out);
		soap_write_envelope(out, resp.s ? resp.s : "");
	}
	soap_buf_free(&resp);
	soap_request_free(&req);
	return status;
}
