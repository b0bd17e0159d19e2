/*
 * scansettings.h - what a parsed job template asks the scanner to do.
 *
 * Reads [service xrx_svc_scan], [doc_object xrx_document] and
 * [service xrx_svc_file] (DESIGN 3.3; spellings as src/lib/template.c writes
 * them, Xerox's enum names).  A setting that is absent takes the device
 * default (the first value of each DESIGN 3.1 list, RES_300X300, PDF); a
 * value outside its list, or a missing or non-XRXHTTPS file section, is an
 * error: the job ends Completed with JobAborted.
 *
 * Where the files go depends on the device family.  An AltaLink files to
 * https://<RepositoryName><XrxHTTPScriptLocation>, RepositoryName being
 * host[:port].  A VersaLink needs the app's name appended to RepositoryName
 * and prepended to XrxHTTPScriptLocation (Xerox's sample scanTemplate.js,
 * (c) 2022 Xerox: "For Versalinks ... prepend your AppName to
 * XrxHTTPScriptLocation, and append it to RepositoryName"): here
 * RepositoryName host[:port]/<app> and XrxHTTPScriptLocation /<app>/...;
 * it files to https://host[:port]/<app>/...  Without the app name in both, a
 * VersaLink cannot file.  How a real VersaLink builds the URL from the two
 * is not published (README, "not yet verified").
 *
 * SuppressJobLog in [service xrx_svc_general]: FALSE uploads the job log
 * after the last file (scanTemplate.js: "Important this is FALSE so the
 * logfile is uploaded after last scan file"); TRUE or absent: no job log.
 */
#ifndef DEVICE_SIM_SCANSETTINGS_H
#define DEVICE_SIM_SCANSETTINGS_H

#include <stdbool.h>
#include <stddef.h>

#include "device.h"
#include "tmpl_parse.h"

enum scan_format {
	SCAN_FORMAT_PDF,
	SCAN_FORMAT_PDFA,          /* PDF/A-1b */
	SCAN_FORMAT_TIFF,          /* TIFF_V6: one multi-page file */
	SCAN_FORMAT_TIFF_PER_PAGE, /* XSM_TIFF_V6: one file per page */
};

enum scan_color {
	SCAN_COLOR_RGB,  /* FULL_COLOR, AUTO (the simulated originals are colored) */
	SCAN_COLOR_GRAY, /* GRAYSCALE */
	SCAN_COLOR_BW,   /* BLACK_AND_WHITE: 1 bit */
};

#define SCAN_NAME_MAX 128

struct scan_settings {
	bool two_sided;        /* TWO_SIDED, SECOND_SIDE_ROTATION */
	unsigned dpi;          /* Resolution */
	enum scan_color color; /* ColorMode */
	bool landscape;        /* InputOrientation */
	bool size_auto;        /* InputMediaSize AUTO */
	double width_pt;       /* page size in PDF points, portrait */
	double height_pt;
	enum scan_format format;
	bool searchable;                  /* SearchableText SEARCHABLE_IMAGE */
	char language[16];                /* SourceDocumentLanguages */
	char doc_name[SCAN_NAME_MAX + 1]; /* DocumentObjectName, default "Scan" */
	char repo_host[256];              /* RepositoryName: host or host:port */
	char script_path[513];            /* XrxHTTPScriptLocation, starts with '/' */
	char dest_dir[257];               /* DocumentPath, default "/" */
	bool job_log;                     /* SuppressJobLog = FALSE */
	bool xsm;                         /* XSM_TIFF_V6: a working folder <name>.XSM */
	char url[800];                    /* where the files go, https://... */
	const char *filing_error;         /* static; the VersaLink rule broken, or NULL */
};

/* Fills s from t, for a device of family f.  0, or -1 with why (a sentence
 * naming the setting).  A VersaLink template without the app name parses
 * (0) with s->filing_error set: the job scans and then cannot file. */
int scan_settings_from_template(const struct tmpl *t, enum device_family f, struct scan_settings *s,
                                char *why, size_t whylen);

/* "pdf" or "tif". */
const char *scan_format_extension(enum scan_format f);

#endif
