/*
 * scansettings.c - template values to scan settings, one table per setting
 * (see scansettings.h).
 */
#include "scansettings.h"

#include <stdio.h>
#include <string.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

struct choice {
	const char *spelling;
	int value;
};

static const struct choice sides[] = {
    {"ONE_SIDED", 0}, {"TWO_SIDED", 1}, {"SECOND_SIDE_ROTATION", 1}};

static const struct choice resolutions[] = {
    {"RES_150X150", 150}, {"RES_200X200", 200}, {"RES_300X300", 300}, {"RES_400X400", 400},
    {"RES_600X600", 600}, {"RES_72X72", 72},    {"RES_100X100", 100}};

static const struct choice colors[] = {{"AUTO", SCAN_COLOR_RGB},
                                       {"FULL_COLOR", SCAN_COLOR_RGB},
                                       {"GRAYSCALE", SCAN_COLOR_GRAY},
                                       {"BLACK_AND_WHITE", SCAN_COLOR_BW}};

static const struct choice orientations[] = {{"PORTRAIT", 0}, {"LANDSCAPE", 1}};

static const struct choice image_modes[] = {
    {"MIXED", 0}, {"PHOTO", 0}, {"TEXT", 0}, {"MAP", 0}, {"NEWSPAPER_AND_MAGAZINE", 0}};

static const struct choice formats[] = {{"PDF", SCAN_FORMAT_PDF},
                                        {"PDF/A-1b", SCAN_FORMAT_PDFA},
                                        {"TIFF_V6", SCAN_FORMAT_TIFF},
                                        {"XSM_TIFF_V6", SCAN_FORMAT_TIFF_PER_PAGE}};

static const struct choice searchables[] = {{"IMAGE_ONLY", 0}, {"SEARCHABLE_IMAGE", 1}};

/* Portrait sizes in PDF points (1/72 in).  LEF/SEF says how the original is
 * fed, not its size; the image is upright either way. */
static const struct media {
	const char *spelling;
	double w, h;
} media[] = {
    {"NA_8.5x11LEF", 612, 792}, {"NA_8.5x11SEF", 612, 792}, {"NA_8.5x14SEF", 612, 1008},
    {"ISO_A4LEF", 595, 842},    {"ISO_A4SEF", 595, 842},    {"ISO_A3SEF", 842, 1191},
    {"ISO_A5LEF", 420, 595},    {"ISO_A5SEF", 420, 595},
};

static int pick(const struct choice *c, size_t n, const struct tmpl_section *sec, const char *name,
                const char *deflt, int *out, char *why, size_t whylen)
{
	const char *v = tmpl_value(sec, name);
	size_t i;

	if (!v)
		v = deflt;
	for (i = 0; i < n; i++) {
		if (strcmp(c[i].spelling, v) == 0) {
			*out = c[i].value;
			return 0;
		}
	}
	snprintf(why, whylen, "%s has a value this device does not know", name);
	return -1;
}

static int host_ok(const char *h)
{
	const char *colon = strchr(h, ':');
	size_t n = colon ? (size_t)(colon - h) : strlen(h), i;

	if (n == 0 || n > 253)
		return 0;
	for (i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-",
		            h[i]))
			return 0;
	if (colon) {
		if (colon[1] == '\0' || strlen(colon + 1) > 5)
			return 0;
		for (i = 1; colon[i]; i++)
			if (colon[i] < '0' || colon[i] > '9')
				return 0;
	}
	return 1;
}

/* An absolute path of RFC 3986 unreserved characters and '/': nothing that
 * could change the URL's meaning (no '?', '#', '%', '@'). */
static int path_ok(const char *p)
{
	if (p[0] != '/')
		return 0;
	for (; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._~-",
		            *p))
			return 0;
	return 1;
}

static int copy_value(char *dst, size_t dstlen, const char *v, const char *name, char *why,
                      size_t whylen)
{
	if (strlen(v) >= dstlen) {
		snprintf(why, whylen, "%s is too long", name);
		return -1;
	}
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

/* A VersaLink app name: what the app installs under, [A-Za-z0-9_-]. */
static bool app_name_ok(const char *a, size_t n)
{
	size_t i;

	if (n == 0 || n > 64)
		return false;
	for (i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-",
		            a[i]))
			return false;
	return true;
}

/* RepositoryName and XrxHTTPScriptLocation to the filing URL (see
 * scansettings.h).  -1 with why when the template cannot be right on any
 * device; a VersaLink-only problem sets s->filing_error. */
static int filing_url(const char *repo, const char *script, enum device_family f,
                      struct scan_settings *s, char *why, size_t whylen)
{
	const char *slash = strchr(repo, '/');
	char host[256];
	size_t hn = slash ? (size_t)(slash - repo) : strlen(repo), an;

	if (hn == 0 || hn >= sizeof(host)) {
		snprintf(why, whylen, "RepositoryName is missing or not host[:port]");
		return -1;
	}
	memcpy(host, repo, hn);
	host[hn] = '\0';
	if (!host_ok(host) || !path_ok(script)) {
		snprintf(why, whylen,
		         "RepositoryName is not host[:port] or XrxHTTPScriptLocation "
		         "is not an absolute path");
		return -1;
	}
	if (f == DEVICE_FAMILY_ALTALINK) {
		if (slash) {
			snprintf(why, whylen, "RepositoryName is not host[:port]");
			return -1;
		}
	} else {
		an = slash ? strlen(slash + 1) : 0;
		if (!slash || !app_name_ok(slash + 1, an) ||
		    strncmp(script + 1, slash + 1, an) != 0 || script[an + 1] != '/')
			s->filing_error =
			    "a VersaLink needs the app's name appended to RepositoryName "
			    "and prepended to XrxHTTPScriptLocation";
	}
	if ((size_t)snprintf(s->url, sizeof(s->url), "https://%s%s", host, script) >=
	    sizeof(s->url)) {
		snprintf(why, whylen, "XrxHTTPScriptLocation is too long");
		return -1;
	}
	return 0;
}

int scan_settings_from_template(const struct tmpl *t, enum device_family f, struct scan_settings *s,
                                char *why, size_t whylen)
{
	const struct tmpl_section *general = tmpl_section(t, TMPL_SERVICE, "xrx_svc_general");
	const struct tmpl_section *scan = tmpl_section(t, TMPL_SERVICE, "xrx_svc_scan");
	const struct tmpl_section *doc = tmpl_section(t, TMPL_DOC_OBJECT, "xrx_document");
	const struct tmpl_section *file = tmpl_section(t, TMPL_SERVICE, "xrx_svc_file");
	const char *v;
	int val, orient, ignored;
	size_t i;

	memset(s, 0, sizeof(*s));
	if (pick(sides, N_ELEMS(sides), scan, "SidesToScan", "ONE_SIDED", &val, why, whylen))
		return -1;
	s->two_sided = val != 0;
	if (pick(resolutions, N_ELEMS(resolutions), doc, "Resolution", "RES_300X300", &val, why,
	         whylen))
		return -1;
	s->dpi = (unsigned)val;
	if (pick(colors, N_ELEMS(colors), scan, "ColorMode", "AUTO", &val, why, whylen))
		return -1;
	s->color = (enum scan_color)val;
	if (pick(orientations, N_ELEMS(orientations), scan, "InputOrientation", "PORTRAIT", &orient,
	         why, whylen))
		return -1;
	s->landscape = orient != 0;
	if (pick(image_modes, N_ELEMS(image_modes), scan, "DocumentImageMode", "MIXED", &ignored,
	         why, whylen))
		return -1;
	if (pick(formats, N_ELEMS(formats), doc, "DocumentFormat", "PDF", &val, why, whylen))
		return -1;
	s->format = (enum scan_format)val;
	s->xsm = s->format == SCAN_FORMAT_TIFF_PER_PAGE;
	if (pick(searchables, N_ELEMS(searchables), doc, "SearchableText", "IMAGE_ONLY", &val, why,
	         whylen))
		return -1;
	s->searchable = val != 0;

	v = tmpl_value(scan, "InputMediaSize");
	if (!v || strcmp(v, "AUTO") == 0) {
		/* Size detection of the simulated originals "finds" A4. */
		s->size_auto = true;
		s->width_pt = 595;
		s->height_pt = 842;
	} else {
		for (i = 0; i < N_ELEMS(media); i++)
			if (strcmp(media[i].spelling, v) == 0)
				break;
		if (i == N_ELEMS(media)) {
			snprintf(why, whylen,
			         "InputMediaSize has a value this device does not know");
			return -1;
		}
		s->width_pt = media[i].w;
		s->height_pt = media[i].h;
	}

	v = tmpl_value(doc, "SourceDocumentLanguages");
	if (copy_value(s->language, sizeof(s->language), v ? v : "en", "SourceDocumentLanguages",
	               why, whylen))
		return -1;
	v = tmpl_value(doc, "DocumentObjectName");
	if (copy_value(s->doc_name, sizeof(s->doc_name), (v && *v) ? v : "Scan",
	               "DocumentObjectName", why, whylen))
		return -1;
	if (strchr(s->doc_name, '/') || strcmp(s->doc_name, ".") == 0 ||
	    strcmp(s->doc_name, "..") == 0) {
		snprintf(why, whylen, "DocumentObjectName is not a file name");
		return -1;
	}

	if (!file) {
		snprintf(why, whylen, "the template has no [service xrx_svc_file] section");
		return -1;
	}
	v = tmpl_value(file, "FilingProtocol");
	if (!v || strcmp(v, "XRXHTTPS") != 0) {
		snprintf(why, whylen, "FilingProtocol is not XRXHTTPS (the only one simulated)");
		return -1;
	}
	v = tmpl_value(file, "RepositoryName");
	if (!v || copy_value(s->repo_host, sizeof(s->repo_host), v, "RepositoryName", why, whylen))
		return -1;
	v = tmpl_value(file, "XrxHTTPScriptLocation");
	if (!v || copy_value(s->script_path, sizeof(s->script_path), v, "XrxHTTPScriptLocation",
	                     why, whylen)) {
		snprintf(why, whylen, "XrxHTTPScriptLocation is missing or too long");
		return -1;
	}
	if (filing_url(s->repo_host, s->script_path, f, s, why, whylen) != 0)
		return -1;
	v = tmpl_value(general, "SuppressJobLog");
	if (v && strcmp(v, "FALSE") != 0 && strcmp(v, "TRUE") != 0) {
		snprintf(why, whylen, "SuppressJobLog is not TRUE or FALSE");
		return -1;
	}
	s->job_log = v && strcmp(v, "FALSE") == 0;
	v = tmpl_value(file, "DocumentPath");
	if (copy_value(s->dest_dir, sizeof(s->dest_dir), (v && *v) ? v : "/", "DocumentPath", why,
	               whylen))
		return -1;
	return 0;
}

const char *scan_format_extension(enum scan_format f)
{
	return (f == SCAN_FORMAT_PDF || f == SCAN_FORMAT_PDFA) ? "pdf" : "tif";
}
