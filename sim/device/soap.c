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

static bool is_env(xmlNodePtr n, const char *name)
{
	const char *ns = soap_ns(n);

	return n && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0 &&
	       (strcmp(ns, SOAP11_ENV_NS) == 0 || strcmp(ns, SOAP12_ENV_NS) == 0);
}

static xmlNodePtr first_element(xmlNodePtr n)
{
	for (; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE)
			return n;
	return NULL;
}

/* SOAP 1.1 section 4.2.3: "1" (1.2 also allows "true"). */
static bool header_must_understand(xmlNodePtr header)
{
	xmlNodePtr h;

	for (h = first_element(header ? header->children : NULL); h; h = first_element(h->next)) {
		xmlAttrPtr a;

		for (a = h->properties; a; a = a->next) {
			xmlChar *v;
			bool yes;

			if (strcmp((const char *)a->name, "mustUnderstand") != 0 || !a->ns ||
			    (strcmp((const char *)a->ns->href, SOAP11_ENV_NS) != 0 &&
			     strcmp((const char *)a->ns->href, SOAP12_ENV_NS) != 0))
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

enum soap_err soap_parse(const char *buf, size_t len, struct soap_request *req)
{
	xmlNodePtr env, n, body = NULL, header = NULL;
	enum soap_err e = SOAP_OK;

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
	if (req->doc->intSubset || req->doc->extSubset)
		e = SOAP_ERR_DTD;
	else if (!is_env(env, "Envelope"))
		e = SOAP_ERR_ENVELOPE;
	if (e == SOAP_OK) {
		/* Envelope: optional Header, then Body (SOAP 1.1 section 4). */
		for (n = first_element(env->children); n; n = first_element(n->next)) {
			if (!header && !body && is_env(n, "Header"))
				header = n;
			else if (!body && is_env(n, "Body"))
				body = n;
		}
		if (!body || !(req->op = first_element(body->children)))
			e = SOAP_ERR_BODY;
		else if (header_must_understand(header))
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

static const char envelope_start[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                                     "<soap:Envelope xmlns:soap=\"" SOAP11_ENV_NS "\""
                                     " xmlns:SOAP-ENC=\"http://schemas.xmlsoap.org/soap/encoding/\""
                                     " xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""
                                     " xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\">"
                                     "<soap:Header/><soap:Body>";
static const char envelope_end[] = "</soap:Body></soap:Envelope>";

void soap_write_envelope(struct soap_buf *out, const char *body_xml)
{
	soap_buf_add(out, envelope_start);
	soap_buf_add(out, body_xml);
	soap_buf_add(out, envelope_end);
}

void soap_write_fault(struct soap_buf *out, const char *faultcode, const char *faultstring)
{
	soap_buf_add(out, envelope_start);
	soap_buf_addf(out, "<soap:Fault><faultcode>soap:%s</faultcode><faultstring>", faultcode);
	soap_buf_add_text(out, faultstring);
	soap_buf_add(out, "</faultstring></soap:Fault>");
	soap_buf_add(out, envelope_end);
}
