/*
 * tmpl_parse.h - the device's parser of Xerox EIP job templates (DESIGN 3.3).
 *
 * The text is a series of sections
 *
 *   [service xrx_svc_scan]            (or [doc_object xrx_document])
 *   {
 *           enum_sided SidesToScan = ONE_SIDED;
 *           string DocumentObjectName = "Scan";
 *   }
 *   end
 *
 * This parser is as tolerant as a device is and no more: LF or CRLF line
 * ends, a last line without a newline, blank lines anywhere, spaces or tabs
 * around tokens and around '='.  A value is a bare token of [A-Za-z0-9_./:-]
 * or a double-quoted string of printable ASCII without '"' (Xerox templates
 * have no escapes).  Anything else is an error with its line number.
 * Sections of any name are kept (devices ignore services they do not run);
 * a name twice in one section is an error.
 *
 * Limits (a template is a few hundred bytes; these only bound the work):
 * TMPL_MAX_BYTES of text, TMPL_MAX_SECTIONS sections, TMPL_MAX_ENTRIES
 * assignments per section, TMPL_TOKEN_MAX bytes per type/name/section name,
 * TMPL_VALUE_MAX bytes per value.
 */
#ifndef DEVICE_SIM_TMPL_PARSE_H
#define DEVICE_SIM_TMPL_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#define TMPL_MAX_BYTES    65536
#define TMPL_MAX_SECTIONS 32
#define TMPL_MAX_ENTRIES  128
#define TMPL_TOKEN_MAX    64
#define TMPL_VALUE_MAX    1024

enum tmpl_kind {
	TMPL_SERVICE,    /* [service name] */
	TMPL_DOC_OBJECT, /* [doc_object name] */
};

struct tmpl_entry {
	char type[TMPL_TOKEN_MAX + 1];
	char name[TMPL_TOKEN_MAX + 1];
	char *value; /* malloc'd, without quotes */
	bool quoted;
};

struct tmpl_section {
	enum tmpl_kind kind;
	char name[TMPL_TOKEN_MAX + 1];
	struct tmpl_entry *entries; /* malloc'd array of n */
	size_t n;
};

struct tmpl {
	struct tmpl_section *sections; /* malloc'd array of n */
	size_t n;
};

enum tmpl_err {
	TMPL_OK = 0,
	TMPL_ERR_SYNTAX,    /* detail names the line */
	TMPL_ERR_TOO_BIG,   /* a limit above */
	TMPL_ERR_DUPLICATE, /* a name twice in one section */
	TMPL_ERR_NOMEM,
};

/*
 * Parses len bytes of text (need not be NUL-terminated; a NUL byte inside is
 * a syntax error).  On TMPL_OK *out owns its memory (tmpl_free); on error *out
 * is empty and detail (when not NULL) says what and where.
 */
enum tmpl_err tmpl_parse(const char *text, size_t len, struct tmpl *out, char *detail,
                         size_t detaillen);

/* Frees what t owns and empties it.  NULL or an empty t is fine. */
void tmpl_free(struct tmpl *t);

/* The section of that kind and name, or NULL. */
const struct tmpl_section *tmpl_section(const struct tmpl *t, enum tmpl_kind kind,
                                        const char *name);

/* The value of name in section s (NULL s is fine), or NULL.  Borrowed. */
const char *tmpl_value(const struct tmpl_section *s, const char *name);

#endif
