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
 * Requests may use the SOAP 1.1 or the SOAP 1.2 envelope namespace (Xerox's
 * own JavaScript library sends 1.2 for job management and 1.1 elsewhere);
 * answers are always SOAP 1.1 (text/xml), as the devices answer.
 */
#ifndef DEVICE_SIM_SOAP_H
#define DEVICE_SIM_SOAP_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/tree.h>

#define SOAP_MAX_REQUEST (1024 * 1024)
#define SOAP11_ENV_NS    "http://schemas.xmlsoap.org/soap/envelope/"
#define SOAP12_ENV_NS    "http://www.w3.org/2003/05/soap-envelope"

enum soap_err {
	SOAP_OK = 0,
	SOAP_ERR_NOT_XML,         /* not well-formed */
	SOAP_ERR_DTD,             /* has a DOCTYPE (SOAP 1.1 section 3) */
	SOAP_ERR_ENVELOPE,        /* root is not a SOAP Envelope */
	SOAP_ERR_BODY,            /* no Body, or a Body without an element */
	SOAP_ERR_MUST_UNDERSTAND, /* a Header entry with mustUnderstand="1" */
	SOAP_ERR_TOO_LARGE,
	SOAP_ERR_NOMEM,
};

struct soap_request {
	xmlDocPtr doc;
	xmlNodePtr op; /* the first element child of Body, owned by doc */
};

/* Must be called once before any other thread parses (main does). */
void soap_init(void);
void soap_cleanup(void);

/* Parses len bytes.  On SOAP_OK req owns the document (soap_request_free);
 * on error req is empty. */
enum soap_err soap_parse(const char *buf, size_t len, struct soap_request *req);
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

/* Writes the whole answer: XML declaration, SOAP 1.1 Envelope, Body holding
 * body_xml (already well-formed XML the caller built). */
void soap_write_envelope(struct soap_buf *out, const char *body_xml);

/* Writes a SOAP 1.1 Fault (section 4.4) as the whole answer: faultcode is
 * "Client", "Server", "MustUnderstand" or "VersionMismatch" (prefixed with
 * "soap:" here, the prefix of the envelope namespace), faultstring is plain text (escaped here).
 * The server sends it with HTTP 500 (SOAP 1.1 section 6.2). */
void soap_write_fault(struct soap_buf *out, const char *faultcode, const char *faultstring);

#endif
