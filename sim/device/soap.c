/*
 * soap.c - SOAP envelope parsing with libxml2, and answer writing
 * (see soap.h).
 */
#include "soap.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>

/* libxml2 would print every parse error of every bad request to stderr,
 * breaking the JSON log lines; the fault answer says what was wrong. */
static void quiet(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

void soap_init(void)
{
	xmlInitParser();
	xmlSetGenericErrorFunc(NULL, quiet);
}

void soap_cleanup(void)
{
	xmlCleanupParser();
}

static const char *const err_strings[] = {
    [SOAP_OK] = "ok",
    [SOAP_ERR_NOT_XML] = "the request is not well-formed XML",
    [SOAP_ERR_DTD] = "a SOAP message must not contain a document type declaration",
    [SOAP_ERR_ENVELOPE] = "the root element is not a SOAP Envelope",
    [SOAP_ERR_ENVELOPE_NS] = "the Envelope is in neither the SOAP 1.1 nor the SOAP 1.2 namespace",
    [SOAP_ERR_BODY] = "the SOAP Envelope has no Body with an operation element",
    [SOAP_ERR_MUST_UNDERSTAND] = "a SOAP Header entry with mustUnderstand is not understood",
    [SOAP_ERR_TOO_LARGE] = "the request is larger than 1 MB",
    [SOAP_ERR_NOMEM] = "out of memory",
};

const char *soap_err_string(enum soap_err e)
{
	if ((size_t)e >= sizeof(err_strings) / sizeof(err_strings[0]) || !err_strings[e])
		return "unknown error";
	return err_strings[e];
}

const char *soap_ns(xmlNodePtr n)
{
	return (n && n->ns && n->ns->href) ? (const char *)n->ns->href : "";
}

/* An element called name in the envelope namespace ns. */
static bool is_env(xmlNodePtr n, const char *name, const char *ns)
{
	return n && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0 &&
	       strcmp(soap_ns(n), ns) == 0;
}

static xmlNodePtr first_element(xmlNodePtr n)
{
	for (; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE)
			return n;
	return NULL;
}

/* SOAP 1.1 section 4.2.3: "1"; SOAP 1.2 part 1 section 5.2.3 also "true".
 * The attribute is in the envelope's own namespace. */
static bool header_must_understand(xmlNodePtr header, const char *ns)
{
	xmlNodePtr h;

	for (h = first_element(header ? header->children : NULL); h; h = first_element(h->next)) {
		xmlAttrPtr a;

		for (a = h->properties; a; a = a->next) {
			xmlChar *v;
			bool yes;

			if (strcmp((const char *)a->name, "mustUnderstand") != 0 || !a->ns ||
			    strcmp((const char *)a->ns->href, ns) != 0)
				continue;
			v = xmlNodeGetContent((xmlNodePtr)a);
			yes = v && (strcmp((const char *)v, "1") == 0 ||
			            strcmp((const char *)v, "true") == 0);
			xmlFree(v);
			if (yes)
				return true;
		}
	}
	return false;
}

enum soap_err soap_parse(const char *buf, size_t len, struct soap_request *req,
                         enum soap_version *version)
{
	xmlNodePtr env, n, body = NULL, header = NULL;
	enum soap_err e = SOAP_OK;
	const char *ns = NULL;

	memset(req, 0, sizeof(*req));
	if (len > SOAP_MAX_REQUEST)
		return SOAP_ERR_TOO_LARGE;
	if (len == 0)
		return SOAP_ERR_NOT_XML;
	/* XML_PARSE_NONET: no fetching; no XML_PARSE_NOENT/DTDLOAD/DTDATTR:
	 * nothing outside the request is read and no entity is substituted. */
	req->doc = xmlReadMemory(buf, (int)len, NULL, NULL,
	                         XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!req->doc)
		return SOAP_ERR_NOT_XML;
	env = xmlDocGetRootElement(req->doc);
	if (is_env(env, "Envelope", SOAP11_ENV_NS)) {
		ns = SOAP11_ENV_NS;
		req->version = SOAP_V11;
	} else if (is_env(env, "Envelope", SOAP12_ENV_NS)) {
		ns = SOAP12_ENV_NS;
		req->version = SOAP_V12;
	}
	if (req->doc->intSubset || req->doc->extSubset)
		e = SOAP_ERR_DTD;
	else if (!ns && env && strcmp((const char *)env->name, "Envelope") == 0)
		e = SOAP_ERR_ENVELOPE_NS;
	else if (!ns)
		e = SOAP_ERR_ENVELOPE;
	if (e == SOAP_OK) {
		if (version)
			*version = req->version;
		/* Envelope: optional Header, then Body (SOAP 1.1 section 4;
		 * SOAP 1.2 part 1 section 5.1), both in the envelope's namespace. */
		for (n = first_element(env->children); n; n = first_element(n->next)) {
			if (!header && !body && is_env(n, "Header", ns))
				header = n;
			else if (!body && is_env(n, "Body", ns))
				body = n;
		}
		if (!body || !(req->op = first_element(body->children)))
			e = SOAP_ERR_BODY;
		else if (header_must_understand(header, ns))
			e = SOAP_ERR_MUST_UNDERSTAND;
	}
	if (e != SOAP_OK)
		soap_request_free(req);
	return e;
}

void soap_request_free(struct soap_request *req)
{
	if (req->doc)
		xmlFreeDoc(req->doc);
	memset(req, 0, sizeof(*req));
}

xmlNodePtr soap_child(xmlNodePtr parent, const char *name)
{
	xmlNodePtr n;

	for (n = first_element(parent ? parent->children : NULL); n; n = first_element(n->next))
		if (strcmp((const char *)n->name, name) == 0)
			return n;
	return NULL;
}

char *soap_child_text(xmlNodePtr parent, const char *name)
{
	xmlNodePtr n = soap_child(parent, name);
	xmlChar *v;
	char *copy;

	if (!n)
		return NULL;
	v = xmlNodeGetContent(n);
	if (!v)
		return NULL;
	copy = strdup((const char *)v); /* plain malloc for the caller */
	xmlFree(v);
	return copy;
}

/* ---- output -------------------------------------------------------------- */

void soap_buf_init(struct soap_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void soap_buf_free(struct soap_buf *b)
{
	free(b->s);
	memset(b, 0, sizeof(*b));
}

void soap_buf_addn(struct soap_buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 512;
		char *grown;

		while (cap < b->len + n + 1)
			cap *= 2;
		grown = realloc(b->s, cap);
		if (!grown) {
			b->oom = true;
			return;
		}
		b->s = grown;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void soap_buf_add(struct soap_buf *b, const char *s)
{
	soap_buf_addn(b, s, strlen(s));
}

void soap_buf_addf(struct soap_buf *b, const char *fmt, ...)
{
	char small[512];
	va_list ap;
	int w;

	va_start(ap, fmt);
	w = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (w < 0) {
		b->oom = true;
		return;
	}
	if ((size_t)w < sizeof(small)) {
		soap_buf_addn(b, small, (size_t)w);
		return;
	}
	{
		char *big = malloc((size_t)w + 1);

		if (!big) {
			b->oom = true;
			return;
		}
		va_start(ap, fmt);
		vsnprintf(big, (size_t)w + 1, fmt, ap);
		va_end(ap);
		soap_buf_addn(b, big, (size_t)w);
		free(big);
	}
}

void soap_buf_add_text(struct soap_buf *b, const char *s)
{
	const char *run = s;

	for (; *s; s++) {
		const char *ref = NULL;

		switch (*s) {
		case '&':
			ref = "&amp;";
			break;
		case '<':
			ref = "&lt;";
			break;
		case '>':
			ref = "&gt;";
			break;
		case '"':
			ref = "&quot;";
			break;
		case '\'':
			ref = "&apos;";
			break;
		default:
			continue;
		}
		soap_buf_addn(b, run, (size_t)(s - run));
		soap_buf_add(b, ref);
		run = s + 1;
	}
	soap_buf_addn(b, run, (size_t)(s - run));
}

void soap_buf_add_elem(struct soap_buf *b, const char *name, const char *text)
{
	soap_buf_addf(b, "<%s>", name);
	soap_buf_add_text(b, text);
	soap_buf_addf(b, "</%s>", name);
}

/* The envelopes are written the way Xerox's EIP library writes its requests
 * (XRXWebservices.js XRX_SOAP11_SOAPSTART / XRX_SOAPSTART): prefix "soap",
 * an empty Header. */
static const char *const envelope_start[] = {
    [0] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
          "<soap:Envelope xmlns:soap=\"" SOAP11_ENV_NS "\""
          " xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""
          " xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\">"
          "<soap:Header/><soap:Body>",
    [1] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
          "<soap:Envelope xmlns:soap=\"" SOAP12_ENV_NS "\""
          " xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""
          " xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\">"
          "<soap:Header/><soap:Body>",
};
static const char envelope_end[] = "</soap:Body></soap:Envelope>";

/* The SOAP 1.2 part 1 section 5.4.7 Upgrade block, inside a SOAP 1.1
 * Header: which envelope the service does take. */
static const char *const upgrade_header[] = {
    [0] = "<soap:Header><upg:Upgrade xmlns:upg=\"" SOAP12_ENV_NS "\">"
          "<upg:SupportedEnvelope qname=\"ns1:Envelope\" xmlns:ns1=\"" SOAP11_ENV_NS "\"/>"
          "</upg:Upgrade></soap:Header>",
    [1] = "<soap:Header><upg:Upgrade xmlns:upg=\"" SOAP12_ENV_NS "\">"
          "<upg:SupportedEnvelope qname=\"ns1:Envelope\" xmlns:ns1=\"" SOAP12_ENV_NS "\"/>"
          "</upg:Upgrade></soap:Header>",
};

static int vi(enum soap_version v)
{
	return v == SOAP_V12 ? 1 : 0;
}

void soap_write_envelope(struct soap_buf *out, enum soap_version v, const char *body_xml)
{
	soap_buf_add(out, envelope_start[vi(v)]);
	soap_buf_add(out, body_xml);
	soap_buf_add(out, envelope_end);
}

/* Fault codes by role: SOAP 1.1 section 4.4.1, SOAP 1.2 part 1 section 5.4.6. */
static const char *const fault_names[][2] = {
    [SOAP_FAULT_SENDER] = {"Client", "Sender"},
    [SOAP_FAULT_RECEIVER] = {"Server", "Receiver"},
    [SOAP_FAULT_MUST_UNDERSTAND] = {"MustUnderstand", "MustUnderstand"},
    [SOAP_FAULT_VERSION_MISMATCH] = {"VersionMismatch", "VersionMismatch"},
};

int soap_write_fault(struct soap_buf *out, enum soap_version v, enum soap_fault code,
                     const char *text)
{
	if (code == SOAP_FAULT_VERSION_MISMATCH) {
		soap_buf_add(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
		                  "<soap:Envelope xmlns:soap=\"" SOAP11_ENV_NS "\">");
		soap_buf_add(out, upgrade_header[vi(v)]);
		soap_buf_add(out, "<soap:Body><soap:Fault><faultcode>soap:VersionMismatch"
		                  "</faultcode><faultstring>");
		soap_buf_add_text(out, text);
		soap_buf_add(out, "</faultstring></soap:Fault>");
		soap_buf_add(out, envelope_end);
		return 500;
	}
	soap_buf_add(out, envelope_start[vi(v)]);
	if (v == SOAP_V12) {
		soap_buf_addf(out,
		              "<soap:Fault><soap:Code><soap:Value>soap:%s</soap:Value></soap:Code>"
		              "<soap:Reason><soap:Text xml:lang=\"en\">",
		              fault_names[code][1]);
		soap_buf_add_text(out, text);
		soap_buf_add(out, "</soap:Text></soap:Reason></soap:Fault>");
	} else {
		soap_buf_addf(out, "<soap:Fault><faultcode>soap:%s</faultcode><faultstring>",
		              fault_names[code][0]);
		soap_buf_add_text(out, text);
		soap_buf_add(out, "</faultstring></soap:Fault>");
	}
	soap_buf_add(out, envelope_end);
	return (v == SOAP_V12 && code == SOAP_FAULT_SENDER) ? 400 : 500;
}

const char *soap_content_type(enum soap_version v)
{
	return v == SOAP_V12 ? "application/soap+xml; charset=utf-8" : "text/xml; charset=utf-8";
}
