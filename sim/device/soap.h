/*
 * soap.h - SOAP envelopes for device-sim: parse a request, write an answer
 * or a Fault.
 *
 * Requests are read with libxml2 only, without network access
 * (XML_PARSE_NONET) and without entity substitution (no XML_PARSE_NOENT);
 * a document type declaration is refused outright, as SOAP 1.1 section 3
 * says a message MUST NOT contain one (so no entity can be declared, and
 * "billion laughs" has nothing to expand).  A request is at most
 * SOAP_MAX_REQUEST bytes; the server refuses bigger ones before parsing.
 *
 * The parser accepts either envelope namespace and says which one came
 * (soap_request.version); which version a service takes is the service
 * table's business (services.c, from Xerox's EIP library).  Answers and
 * faults are written in the version given: SOAP 1.1 (section 4.4 Fault,
 * faultcode/faultstring) or SOAP 1.2 (part 1 section 5.4, Code/Value and
 * Reason/Text).  A VersionMismatch is always a SOAP 1.1 envelope, as SOAP 1.2
 * part 1 appendix A asks, with the Upgrade header block of section 5.4.7.
 */
#ifndef DEVICE_SIM_SOAP_H
#define DEVICE_SIM_SOAP_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/tree.h>

#define SOAP_MAX_REQUEST (1024 * 1024)
#define SOAP11_ENV_NS    "http://schemas.xmlsoap.org/soap/envelope/"
#define SOAP12_ENV_NS    "http://www.w3.org/2003/05/soap-envelope"

enum soap_version {
	SOAP_V11 = 11, /* http://schemas.xmlsoap.org/soap/envelope/ */
	SOAP_V12 = 12, /* http://www.w3.org/2003/05/soap-envelope */
};

/* The fault codes this device uses, named by role; soap_write_fault spells
 * them for the version (Client/Sender, Server/Receiver). */
enum soap_fault {
	SOAP_FAULT_SENDER,
	SOAP_FAULT_RECEIVER,
	SOAP_FAULT_MUST_UNDERSTAND,
	SOAP_FAULT_VERSION_MISMATCH,
};

enum soap_err {
	SOAP_OK = 0,
	SOAP_ERR_NOT_XML,         /* not well-formed */
	SOAP_ERR_DTD,             /* has a DOCTYPE (SOAP 1.1 section 3) */
	SOAP_ERR_ENVELOPE,        /* root is not an Envelope */
	SOAP_ERR_ENVELOPE_NS,     /* an Envelope of neither SOAP namespace */
	SOAP_ERR_BODY,            /* no Body, or a Body without an element */
	SOAP_ERR_MUST_UNDERSTAND, /* a Header entry with mustUnderstand="1" */
	SOAP_ERR_TOO_LARGE,
	SOAP_ERR_NOMEM,
};

struct soap_request {
	xmlDocPtr doc;
	xmlNodePtr op; /* the first element child of Body, owned by doc */
	enum soap_version version;
};

/* Must be called once before any other thread parses (main does). */
void soap_init(void);
void soap_cleanup(void);

/* Parses len bytes.  On SOAP_OK req owns the document (soap_request_free);
 * on error req is empty.  *version (may be NULL) gets the envelope's version
 * whenever the root element is a SOAP Envelope, also on SOAP_ERR_BODY and
 * SOAP_ERR_MUST_UNDERSTAND, so the fault can be written in it. */
enum soap_err soap_parse(const char *buf, size_t len, struct soap_request *req,
                         enum soap_version *version);
void soap_request_free(struct soap_request *req);

/* Human text for the faultstring. */
const char *soap_err_string(enum soap_err e);

/* The namespace URI of an element, or "" when it has none.  Borrowed. */
const char *soap_ns(xmlNodePtr n);

/* The first element child of parent with this local name, or NULL. */
xmlNodePtr soap_child(xmlNodePtr parent, const char *name);

/* The text of that child as a malloc'd string the caller frees, or NULL when
 * the child is absent or out of memory.  Whitespace is kept as sent. */
char *soap_child_text(xmlNodePtr parent, const char *name);

/* ---- output -------------------------------------------------------------- */

/* A growing, NUL-terminated text.  After an allocation failure .oom is set
 * and further appends do nothing; the owner checks it once at the end. */
struct soap_buf {
	char *s;
	size_t len, cap;
	bool oom;
};

void soap_buf_init(struct soap_buf *b);
void soap_buf_free(struct soap_buf *b); /* frees b->s; b is empty again */
void soap_buf_add(struct soap_buf *b, const char *s);
void soap_buf_addn(struct soap_buf *b, const char *s, size_t n);
void soap_buf_addf(struct soap_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s with &, <, >, " and ' written as references (XML 1.0 2.4). */
void soap_buf_add_text(struct soap_buf *b, const char *s);
/* <name>escaped text</name> */
void soap_buf_add_elem(struct soap_buf *b, const char *name, const char *text);

/* Writes the whole answer: XML declaration, Envelope of version v, Body
 * holding body_xml (already well-formed XML the caller built). */
void soap_write_envelope(struct soap_buf *out, enum soap_version v, const char *body_xml);

/* Writes a Fault of version v as the whole answer; text is plain text
 * (escaped here).  SOAP_FAULT_VERSION_MISMATCH is written as SOAP 1.1
 * whatever v is, with an Upgrade header naming the envelope version the
 * service takes (v).  Returns the HTTP status to send it with: 500 for SOAP
 * 1.1 (SOAP 1.1 section 6.2); for SOAP 1.2, 400 for a Sender fault and 500
 * for the others (SOAP 1.2 part 2, section 7.5.2.2). */
int soap_write_fault(struct soap_buf *out, enum soap_version v, enum soap_fault code,
                     const char *text);

/* "text/xml; charset=utf-8" (SOAP 1.1) or "application/soap+xml;
 * charset=utf-8" (SOAP 1.2 part 2, section 7.1.4). */
const char *soap_content_type(enum soap_version v);

#endif
