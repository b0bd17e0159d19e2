/*
 * template.c - one table of template lines, filled from closed tables
 * (see template.h).
 */
#include "template.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* Four sections of a dozen short lines, plus host and path: far below this. */
#define TEMPLATE_BUF 4096

/* Where a line's value comes from.  Nothing else can reach the text. */
enum source {
	SRC_BARE,       /* literal, unquoted: an enum value or boolean */
	SRC_QUOTED,     /* literal, quoted: a string constant */
	SRC_SETTING,    /* jobspec's template spelling of .setting, unquoted */
	SRC_LANGUAGE,   /* jobspec's template spelling of the language, quoted */
	SRC_SEARCHABLE, /* searchable_spelling[] */
	SRC_HOST,       /* repository_host, checked by template_check_host (+ app name) */
	SRC_PATH,       /* upload_path, checked by template_check_path (app name +) */
	SRC_FILE_NAME,  /* template_safe_file_name of scan.file_name */
};

struct line {
	const char *type;
	const char *name;
	enum source src;
	const char *literal;          /* SRC_BARE, SRC_QUOTED */
	enum jobspec_setting setting; /* SRC_SETTING */
};

struct section {
	const char *header;
	const struct line *lines;
	size_t n;
};

/* SearchableText by scan.searchable (Xerox enum_searchabletext). */
static const char *const searchable_spelling[2] = {"IMAGE_ONLY", "SEARCHABLE_IMAGE"};

static const struct line general_lines[] = {
    {"enum_DCS", "DCSDefinitionUsed", SRC_BARE, "DCS_GENERIC", 0},
    {"enum_encoding", "JobTemplateCharacterEncoding", SRC_BARE, "UTF-8", 0},
    {"string", "JobTemplateLanguageVersion", SRC_QUOTED, "4.00.07", 0},
    {"string", "JobTemplateCreator", SRC_QUOTED, "scanpost", 0},
    {"enum_confmethod", "ConfirmationMethod", SRC_BARE, "NONE", 0},
    /* FALSE, as Xerox's sample scanTemplate.js: the job log comes after the
     * last file and tells scanpost every file is in (template.h).  It is
     * recorded, never mailed (cgi/h_scan.c). */
    {"boolean", "SuppressJobLog", SRC_BARE, "FALSE", 0},
};

static const struct line scan_lines[] = {
    {"enum_sided", "SidesToScan", SRC_SETTING, NULL, JOBSPEC_SIDES},
    {"enum_colormode", "ColorMode", SRC_SETTING, NULL, JOBSPEC_COLOR},
    {"enum_inputorientation", "InputOrientation", SRC_SETTING, NULL, JOBSPEC_ORIENTATION},
    {"enum_mediasize", "InputMediaSize", SRC_SETTING, NULL, JOBSPEC_ORIGINAL_SIZE},
    {"enum_imagemode", "DocumentImageMode", SRC_SETTING, NULL, JOBSPEC_ORIGINAL_TYPE},
};

static const struct line file_lines[] = {
    {"enum_filingprotocol", "FilingProtocol", SRC_BARE, "XRXHTTPS", 0},
    {"string", "RepositoryAlias", SRC_QUOTED, "scanpost", 0},
    {"string", "RepositoryName", SRC_HOST, NULL, 0},
    {"string", "XrxHTTPScriptLocation", SRC_PATH, NULL, 0},
    {"string", "DocumentPath", SRC_QUOTED, "/", 0},
    {"boolean", "ServerValidationReq", SRC_BARE, "FALSE", 0},
    {"enum_filingpolicy", "DocumentFilingPolicy", SRC_BARE, "NEW_AUTO_GENERATE", 0},
    {"string", "UserNetworkFilingLoginName", SRC_QUOTED, "", 0},
    {"string", "UserNetworkFilingLoginID", SRC_QUOTED, "", 0},
};

static const struct line document_lines[] = {
    {"enum_docformat", "DocumentFormat", SRC_SETTING, NULL, JOBSPEC_FORMAT},
    {"enum_resolution", "Resolution", SRC_SETTING, NULL, JOBSPEC_RESOLUTION},
    {"enum_searchabletext", "SearchableText", SRC_SEARCHABLE, NULL, 0},
    {"string", "SourceDocumentLanguages", SRC_LANGUAGE, NULL, 0},
    {"string", "DocumentObjectName", SRC_FILE_NAME, NULL, 0},
};

static const struct section sections[] = {
    {"[service xrx_svc_general]", general_lines, N_ELEMS(general_lines)},
    {"[service xrx_svc_scan]", scan_lines, N_ELEMS(scan_lines)},
    {"[service xrx_svc_file]", file_lines, N_ELEMS(file_lines)},
    {"[doc_object xrx_document]", document_lines, N_ELEMS(document_lines)},
};

/* ---- character sets ----------------------------------------------------- */

static bool is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool is_file_name_char(unsigned char c)
{
	return is_alnum(c) || c == ' ' || c == '_' || c == '-' || c == '.';
}

void template_safe_file_name(const char *in, char *out, size_t outlen)
{
	const unsigned char *s = (const unsigned char *)(in ? in : "");
	size_t used = 0, max = outlen - 1;
	bool any_alnum = false;

	if (outlen == 0)
		return;
	if (max > TEMPLATE_FILE_NAME_MAX)
		max = TEMPLATE_FILE_NAME_MAX;
	while (*s != '\0' && used < max) {
		char c = is_file_name_char(*s) ? (char)*s : '_';

		s += is_file_name_char(*s) ? 1 : utf8_span(s);
		/* No leading dot (a hidden file, "..") and no leading space. */
		if (used == 0 && (c == '.' || c == ' '))
			continue;
		out[used++] = c;
	}
	/* No trailing dot or space either: Windows shares drop them. */
	while (used > 0 && (out[used - 1] == '.' || out[used - 1] == ' '))
		used--;
	out[used] = '\0';
	for (size_t i = 0; i < used; i++)
		any_alnum |= is_alnum((unsigned char)out[i]);
	if (!any_alnum)
		snprintf(out, outlen, "%s", "Scan");
}

int template_check_host(const char *host)
{
	size_t i, name_len;
	const char *colon;
	unsigned long port = 0;

	if (!host)
		return -1;
	colon = strchr(host, ':');
	name_len = colon ? (size_t)(colon - host) : strlen(host);
	if (name_len == 0 || name_len > 253)
		return -1;
	for (i = 0; i < name_len; i++) {
		unsigned char c = (unsigned char)host[i];

		if (!is_alnum(c) && c != '.' && c != '-')
			return -1;
		if (c == '.' && i + 1 < name_len && host[i + 1] == '.')
			return -1;
	}
	if (strchr(".-", host[0]) || strchr(".-", host[name_len - 1]))
		return -1;
	if (!colon)
		return 0;
	/* RFC 3986 3.2.3 port: digits; we also want 1..65535 and no padding. */
	for (i = 1; colon[i] != '\0'; i++) {
		if (colon[i] < '0' || colon[i] > '9' || i > 5)
			return -1;
		port = port * 10 + (unsigned long)(colon[i] - '0');
	}
	if (i == 1 || colon[1] == '0' || port > 65535)
		return -1;
	return 0;
}

int template_check_path(const char *path)
{
	size_t i;

	if (!path || path[0] != '/')
		return -1;
	for (i = 1; path[i] != '\0'; i++) {
		unsigned char c = (unsigned char)path[i];

		if (i >= TEMPLATE_PATH_MAX || !(is_alnum(c) || c == '/' || c == '_' || c == '-'))
			return -1;
	}
	return 0;
}

/* ---- output ------------------------------------------------------------- */

struct out {
	char *buf;
	size_t used;
	bool overflow;
};

static void out_printf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (o->overflow)
		return;
	va_start(ap, fmt);
	w = vsnprintf(o->buf + o->used, TEMPLATE_BUF - o->used, fmt, ap);
	va_end(ap);
	if (w < 0 || (size_t)w >= TEMPLATE_BUF - o->used)
		o->overflow = true;
	else
		o->used += (size_t)w;
}

struct inputs {
	const struct jobspec *js;
	char host[300], path[TEMPLATE_PATH_MAX + sizeof(TEMPLATE_APP_NAME) + 2];
	char file_name[TEMPLATE_FILE_NAME_MAX + 1];
};

/* The value text of a line and whether it is quoted; NULL if js holds a
 * choice outside its table. */
static const char *line_value(const struct line *l, const struct inputs *in, bool *quoted)
{
	*quoted = true;
	switch (l->src) {
	case SRC_BARE:
		*quoted = false;
		return l->literal;
	case SRC_QUOTED:
		return l->literal;
	case SRC_SETTING:
		*quoted = false;
		return jobspec_choice_spelling(l->setting, in->js->choice[l->setting]);
	case SRC_LANGUAGE:
		return jobspec_choice_spelling(JOBSPEC_LANGUAGE, in->js->choice[JOBSPEC_LANGUAGE]);
	case SRC_SEARCHABLE:
		*quoted = false;
		return searchable_spelling[in->js->scan.searchable ? 1 : 0];
	case SRC_HOST:
		return in->host;
	case SRC_PATH:
		return in->path;
	case SRC_FILE_NAME:
		return in->file_name;
	}
	return NULL;
}

enum template_err template_build(const struct jobspec *js, const char *repository_host,
                                 const char *upload_path, char **out)
{
	struct inputs in = {js, "", "", ""};
	struct out o = {NULL, 0, false};
	bool versalink;
	size_t s, i;

	*out = NULL;
	if (template_check_host(repository_host) != 0)
		return TEMPLATE_ERR_HOST;
	if (template_check_path(upload_path) != 0)
		return TEMPLATE_ERR_PATH;
	if (!js)
		return TEMPLATE_ERR_SPEC;
	/* Both were checked: neither can hold '"' or ';' (template_check). */
	versalink = js->choice[JOBSPEC_DEVICE_FAMILY] == JOBSPEC_FAMILY_VERSALINK;
	if (versalink) {
		snprintf(in.host, sizeof(in.host), "%s/%s", repository_host, TEMPLATE_APP_NAME);
		snprintf(in.path, sizeof(in.path), "/%s%s", TEMPLATE_APP_NAME, upload_path);
	} else {
		snprintf(in.host, sizeof(in.host), "%s", repository_host);
		snprintf(in.path, sizeof(in.path), "%s", upload_path);
	}
	template_safe_file_name(js->scan.file_name, in.file_name, sizeof(in.file_name));
	o.buf = malloc(TEMPLATE_BUF);
	if (!o.buf)
		return TEMPLATE_ERR_NOMEM;
	for (s = 0; s < N_ELEMS(sections); s++) {
		out_printf(&o, "%s\n{\n", sections[s].header);
		for (i = 0; i < sections[s].n; i++) {
			const struct line *l = &sections[s].lines[i];
			const char *v;
			bool q;

			v = line_value(l, &in, &q);
			if (!v) {
				free(o.buf);
				return TEMPLATE_ERR_SPEC;
			}
			out_printf(&o, "\t%s %s = %s%s%s;\n", l->type, l->name, q ? "\"" : "", v,
			           q ? "\"" : "");
		}
		out_printf(&o, "}\nend\n\n");
	}
	/* Every source above is checked or closed; this catches our own bugs. */
	if (o.overflow || template_check(o.buf) != 0) {
		free(o.buf);
		return TEMPLATE_ERR_INTERNAL;
	}
	*out = o.buf;
	return TEMPLATE_OK;
}

/* ---- grammar ------------------------------------------------------------ */

static bool all_of(const char *s, size_t n, bool (*pred)(unsigned char))
{
	size_t i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++)
		if (!pred((unsigned char)s[i]))
			return false;
	return true;
}

static bool is_section_name_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || c == '_';
}

static bool is_type_char(unsigned char c)
{
	return is_alnum(c) || c == '_';
}

static bool is_bare_char(unsigned char c)
{
	return is_alnum(c) || c == '_' || c == '.' || c == '/' || c == '-';
}

static bool is_quoted_char(unsigned char c)
{
	return c >= 0x20 && c <= 0x7E && !strchr("\"\\;[]{}", c);
}

static bool is_header(const char *l, size_t n)
{
	static const char *const kinds[] = {"[service ", "[doc_object "};
	size_t k, kl;

	for (k = 0; k < N_ELEMS(kinds); k++) {
		kl = strlen(kinds[k]);
		if (n > kl + 1 && memcmp(l, kinds[k], kl) == 0 && l[n - 1] == ']' &&
		    all_of(l + kl, n - kl - 1, is_section_name_char))
			return true;
	}
	return false;
}

/* "\t<type> <Name> = <value>;" */
static bool is_assignment(const char *l, size_t n)
{
	const char *p = l + 1, *end = l + n, *sp, *val;

	if (n < 8 || l[0] != '\t' || l[n - 1] != ';')
		return false;
	sp = memchr(p, ' ', (size_t)(end - p));
	if (!sp || !all_of(p, (size_t)(sp - p), is_type_char))
		return false;
	p = sp + 1;
	sp = memchr(p, ' ', (size_t)(end - p));
	if (!sp || !all_of(p, (size_t)(sp - p), is_type_char) || !is_alnum((unsigned char)*p))
		return false;
	if ((size_t)(end - sp) < 4 || memcmp(sp, " = ", 3) != 0)
		return false;
	val = sp + 3;
	n = (size_t)(end - 1 - val); /* without the ';' */
	if (n >= 2 && val[0] == '"' && val[n - 1] == '"')
		return n == 2 || all_of(val + 1, n - 2, is_quoted_char);
	return all_of(val, n, is_bare_char);
}

int template_check(const char *text)
{
	enum { OUTSIDE, HEADER, BODY, CLOSED } state = OUTSIDE;
	const char *l = text, *nl;
	size_t n;

	if (!text || *text == '\0')
		return -1;
	while (*l != '\0') {
		nl = strchr(l, '\n');
		if (!nl)
			return -1; /* the last line must end too */
		n = (size_t)(nl - l);
		if (state == OUTSIDE && n == 0)
			;
		else if (state == OUTSIDE && is_header(l, n))
			state = HEADER;
		else if (state == HEADER && n == 1 && l[0] == '{')
			state = BODY;
		else if (state == BODY && is_assignment(l, n))
			;
		else if (state == BODY && n == 1 && l[0] == '}')
			state = CLOSED;
		else if (state == CLOSED && n == 3 && memcmp(l, "end", 3) == 0)
			state = OUTSIDE;
		else
			return -1;
		l = nl + 1;
	}
	return state == OUTSIDE ? 0 : -1;
}
