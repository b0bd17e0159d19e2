/*
 * template.h - the Xerox EIP scan template of a job (DESIGN 3.3).
 *
 * The text is Xerox's job template language: four sections
 *
 *   [service xrx_svc_general]   [service xrx_svc_scan]
 *   [service xrx_svc_file]      [doc_object xrx_document]
 *
 * each "{", lines "\t<type> <Name> = <value>;", "}", "end", then a blank
 * line.  Types and names are those of Xerox's own EIP samples (enum_sided
 * SidesToScan, enum_docformat DocumentFormat, string RepositoryName, ...).
 *
 * Injection is impossible by construction: every enumerated value is the
 * template spelling from jobspec's closed tables; the only free text, the
 * file name, is reduced to [A-Za-z0-9 _.-]; the host and upload path are
 * checked against narrow character sets and refused otherwise.
 *
 * SuppressJobLog is FALSE, as in Xerox's sample scanTemplate.js ((c) 2022
 * Xerox: "Important this is FALSE so the logfile is uploaded after last
 * scan file and used to trigger sending files"): the device files its job
 * log (<name>.XST) after the last file, scanpost's proof that every file is
 * in (cgi/h_scan.c).
 *
 * The filing lines depend on the device family (jobspec device.family).  An
 * AltaLink gets RepositoryName = host[:port] and XrxHTTPScriptLocation = the
 * upload path.  A VersaLink needs the app's name in both (scanTemplate.js:
 * "For Versalinks ... prepend your AppName to XrxHTTPScriptLocation, and
 * append it to RepositoryName"): RepositoryName = host[:port]/TEMPLATE_APP_NAME
 * and XrxHTTPScriptLocation = /TEMPLATE_APP_NAME + the upload path, which
 * scanpost-api also answers (cgi/routes.c).  The same
 * lines come out for every input (the count is constant), and template_build
 * checks its own output with template_check before handing it out.
 */
#ifndef SCANPOST_TEMPLATE_H
#define SCANPOST_TEMPLATE_H

#include <stddef.h>

#include "jobspec.h"

#define TEMPLATE_FILE_NAME_MAX 64 /* characters, without the NUL */
#define TEMPLATE_PATH_MAX      512
/* The weblet's app name on the printer: the name it is installed under on
 * a VersaLink (README, "Installing on a real printer"). */
#define TEMPLATE_APP_NAME "scanpost"

enum template_err {
	TEMPLATE_OK = 0,
	TEMPLATE_ERR_HOST, /* repository_host is not [A-Za-z0-9.-]+ with optional :port */
	TEMPLATE_ERR_PATH, /* upload_path is not /[A-Za-z0-9/_-]* */
	TEMPLATE_ERR_SPEC, /* js holds a choice outside its table */
	TEMPLATE_ERR_NOMEM,
	TEMPLATE_ERR_INTERNAL, /* the output failed template_check: a bug, fail closed */
};

/*
 * Builds the template of js.  repository_host is "host" or "host:port" (the
 * service as the device reaches it, RepositoryName); upload_path is the
 * one-time path the device POSTs to (XrxHTTPScriptLocation), e.g.
 * "/scan/<job id>/<token>"; for a VersaLink both get the app name (above).  On TEMPLATE_OK *out is
 * a malloc'd, NUL-terminated text the caller frees; on error *out is NULL.
 */
enum template_err template_build(const struct jobspec *js, const char *repository_host,
                                 const char *upload_path, char **out);

/*
 * Writes the safe form of a file name into out (outlen >= 1): each character
 * outside [A-Za-z0-9 _.-] (a UTF-8 sequence counts as one) becomes '_';
 * leading dots and spaces, and trailing dots and spaces, are dropped; at most
 * TEMPLATE_FILE_NAME_MAX characters (and outlen - 1) are kept; a result
 * without a letter or digit becomes "Scan".  NULL in is "Scan".
 */
void template_safe_file_name(const char *in, char *out, size_t outlen);

/* 0 when host is [A-Za-z0-9.-]{1,253} (no leading or trailing '.' or '-',
 * no "..") with an optional ":port" of 1..65535, else -1. */
int template_check_host(const char *host);

/* 0 when path is "/" followed by [A-Za-z0-9/_-], at most TEMPLATE_PATH_MAX
 * bytes, else -1. */
int template_check_path(const char *path);

/*
 * 0 when text has the grammar above, else -1: lines end with '\n'; each is
 * blank (between sections only), a header "[service name]" or
 * "[doc_object name]", "{", "}", "end", or "\t<type> <Name> = <value>;"
 * where value is a bare [A-Za-z0-9_./-]+ or a quoted string of printable
 * ASCII without '"', '\\', ';', '[', ']', '{', '}'; sections are
 * header, "{", assignments, "}", "end", in that order.
 */
int template_check(const char *text);

#endif
