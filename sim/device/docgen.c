/*
 * docgen.c - synthetic page rasters written as PDF (libhpdf) or TIFF
 * (libtiff); see docgen.h for the limits.
 */
#include "docgen.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <hpdf.h>
#include <tiffio.h>

/* ---- the page picture ---------------------------------------------------- */

struct pattern {
	unsigned w, h, page;
};

static uint32_t mix(uint32_t a, uint32_t b, uint32_t c)
{
	uint32_t h = a * 0x9E3779B1u ^ b * 0x85EBCA77u ^ c * 0xC2B2AE3Du;

	h ^= h >> 15;
	h *= 0x2C1B3C6Du;
	h ^= h >> 12;
	return h;
}

/* One row of RGB samples: paper grain, a colored block, a photo-like
 * gradient on odd pages, and lines of "words". */
static void pattern_row(const struct pattern *pt, unsigned y, uint8_t *rgb)
{
	unsigned w = pt->w, h = pt->h, x;
	unsigned band = h / 45 > 4 ? h / 45 : 4, word = w / 60 > 2 ? w / 60 : 2;
	unsigned y0 = h * 18 / 100, line = 0;
	bool in_text = false, in_photo, in_block;
	unsigned line_end = w * 92 / 100;

	in_block = y >= h * 6 / 100 && y < h * 14 / 100;
	in_photo = (pt->page % 2 == 1) && y >= h * 55 / 100 && y < h * 80 / 100;
	if (y >= y0 && y < h * 90 / 100) {
		line = (y - y0) / band;
		in_text = (y - y0) % band < band * 4 / 10;
		if (mix(pt->page, line, 7) % 4 == 0)
			line_end = w * 60 / 100; /* the last line of a paragraph */
	}
	for (x = 0; x < w; x++) {
		uint8_t *p = rgb + 3 * x;
		uint32_t hx = mix(x, y, pt->page);
		/* Grain on one pixel in four: real paper is not flat, and a flat
		 * page would compress to nothing whatever the resolution. */
		int grain = (hx & 0x30) == 0 ? (int)(hx & 7) - 4 : 0;
		int r = 245 + grain, g = 245 + grain, b = 240 + grain;

		if (in_block && x >= w * 70 / 100 && x < w * 90 / 100) {
			r = 40 + (int)(pt->page * 53 % 200);
			g = 70;
			b = 200 - (int)(pt->page * 29 % 150);
		} else if (in_photo && x >= w * 10 / 100 && x < w * 50 / 100) {
			r = (int)(x * 255 / w);
			g = (int)(y * 255 / h);
			b = 128 + grain * 8;
		} else if (in_text && x >= w * 8 / 100 && x < line_end &&
		           mix(pt->page, line, x / word) % 5 != 0) {
			r = g = b = 25 + grain;
		}
		p[0] = (uint8_t)(r < 0 ? 0 : r > 255 ? 255 : r);
		p[1] = (uint8_t)(g < 0 ? 0 : g > 255 ? 255 : g);
		p[2] = (uint8_t)(b < 0 ? 0 : b > 255 ? 255 : b);
	}
}

/* Converts an RGB row in place to what the color mode stores: RGB (as is),
 * 8-bit gray, or packed 1-bit where a set bit means ink when ink_is_one,
 * else paper.  Returns the row's byte count. */
static size_t convert_row(uint8_t *row, unsigned w, enum scan_color c, bool ink_is_one)
{
	unsigned x;

	if (c == SCAN_COLOR_RGB)
		return (size_t)w * 3;
	for (x = 0; x < w; x++)
		row[x] =
		    (uint8_t)((row[3 * x] * 77 + row[3 * x + 1] * 150 + row[3 * x + 2] * 29) >> 8);
	if (c == SCAN_COLOR_GRAY)
		return w;
	for (x = 0; x < w; x += 8) {
		uint8_t byte = 0;
		unsigned k;

		for (k = 0; k < 8; k++) {
			bool ink = x + k < w && row[x + k] < 128;
			bool bit = x + k < w ? (ink == ink_is_one) : !ink_is_one;

			byte |= (uint8_t)(bit ? 0x80 >> k : 0);
		}
		row[x / 8] = byte;
	}
	return (w + 7) / 8;
}

static size_t bytes_per_row(unsigned w, enum scan_color c)
{
	return c == SCAN_COLOR_RGB ? (size_t)w * 3 : c == SCAN_COLOR_GRAY ? w : (w + 7) / 8;
}

void docgen_raster_size(const struct docgen_params *p, unsigned *w, unsigned *h)
{
	double fw = p->width_pt * p->dpi / 72.0, fh = p->height_pt * p->dpi / 72.0;
	double scale = 1.0;

	if (fw * fh > (double)DOCGEN_MAX_PIXELS)
		scale = sqrt((double)DOCGEN_MAX_PIXELS / (fw * fh));
	if (p->format == SCAN_FORMAT_PDF || p->format == SCAN_FORMAT_PDFA) {
		double bpp = p->color == SCAN_COLOR_RGB    ? 3
		             : p->color == SCAN_COLOR_GRAY ? 1
		                                           : 0.125;
		double total = fw * fh * scale * scale * bpp * (p->pages ? p->pages : 1);

		if (total > (double)DOCGEN_PDF_BUDGET)
			scale *= sqrt((double)DOCGEN_PDF_BUDGET / total);
	}
	*w = (unsigned)(fw * scale);
	*h = (unsigned)(fh * scale);
	if (*w < 8)
		*w = 8;
	if (*h < 8)
		*h = 8;
}

/* ---- sample text ---------------------------------------------------------- */

static const char *const sample_lines[] = {
    "Registered email sample document scanned by device-sim",
    "The quick brown fox jumps over the lazy dog",
    "Invoice number 4711 due on receipt",
};

/* ---- PDF ----------------------------------------------------------------- */

struct pdf_ctx {
	bool failed;
	HPDF_STATUS code;
};

static void pdf_error(HPDF_STATUS error_no, HPDF_STATUS detail_no, void *user)
{
	struct pdf_ctx *c = user;

	(void)detail_no;
	c->failed = true;
	c->code = error_no;
}

static HPDF_Font pdf_font(HPDF_Doc pdf, bool embed)
{
	static const char *const ttf[] = {
	    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
	    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
	};
	size_t i;

	if (embed) {
		for (i = 0; i < sizeof(ttf) / sizeof(ttf[0]); i++) {
			const char *name;

			if (access(ttf[i], R_OK) != 0)
				continue;
			name = HPDF_LoadTTFontFromFile(pdf, ttf[i], HPDF_TRUE);
			if (name)
				return HPDF_GetFont(pdf, name, "WinAnsiEncoding");
		}
	}
	return HPDF_GetFont(pdf, "Helvetica", NULL);
}

static void pdf_text(HPDF_Page page, HPDF_Font font, const struct docgen_params *p, unsigned n)
{
	char line[96];
	double y = p->height_pt * 0.82, x = p->width_pt * 0.08;
	size_t i;

	HPDF_Page_BeginText(page);
	/* Render mode 3 (PDF 1.7, 9.3.6): invisible, like OCR text under a scan. */
	HPDF_Page_SetTextRenderingMode(page, HPDF_INVISIBLE);
	HPDF_Page_SetFontAndSize(page, font, 10);
	snprintf(line, sizeof(line), "Page %u of %u", n, p->pages);
	HPDF_Page_TextOut(page, x, p->height_pt * 0.90, line);
	for (i = 0; i < sizeof(sample_lines) / sizeof(sample_lines[0]); i++) {
		HPDF_Page_TextOut(page, x, y, sample_lines[i]);
		y -= p->height_pt / 45.0;
	}
	snprintf(line, sizeof(line), "Language %s", p->language ? p->language : "en");
	HPDF_Page_TextOut(page, x, y, line);
	HPDF_Page_EndText(page);
}

/* CreationDate and ModDate (PDF 1.7, 14.3.3), in UTC. */
static void set_dates(HPDF_Doc pdf)
{
	time_t now = time(NULL);
	struct tm tm;
	HPDF_Date d;

	gmtime_r(&now, &tm);
	memset(&d, 0, sizeof(d));
	d.year = tm.tm_year + 1900;
	d.month = tm.tm_mon + 1;
	d.day = tm.tm_mday;
	d.hour = tm.tm_hour;
	d.minutes = tm.tm_min;
	d.seconds = tm.tm_sec;
	/* '+' 00'00' rather than 'Z': libharu's XMP date writer accepts only
	 * an explicit offset. */
	d.ind = '+';
	HPDF_SetInfoDateAttr(pdf, HPDF_INFO_CREATION_DATE, d);
	HPDF_SetInfoDateAttr(pdf, HPDF_INFO_MOD_DATE, d);
}

static int write_pdf(const struct docgen_params *p, const char *path, int (*should_stop)(void *),
                     void *arg, char *err, size_t errlen)
{
	struct pdf_ctx ctx = {false, 0};
	HPDF_Doc pdf = HPDF_New(pdf_error, &ctx);
	HPDF_Font font = NULL;
	unsigned w, h, n, y;
	size_t row_bytes;
	uint8_t *raster = NULL, *rgb = NULL;
	struct pattern pt;
	int rc = -1;

	if (!pdf) {
		snprintf(err, errlen, "libhpdf: out of memory");
		return -1;
	}
	docgen_raster_size(p, &w, &h);
	row_bytes = bytes_per_row(w, p->color);
	raster = malloc(row_bytes * h);
	rgb = malloc((size_t)w * 3);
	if (!raster || !rgb) {
		snprintf(err, errlen, "out of memory for a %ux%u raster", w, h);
		goto out;
	}
	HPDF_SetCompressionMode(pdf, HPDF_COMP_ALL);
	HPDF_SetInfoAttr(pdf, HPDF_INFO_TITLE, p->title);
	HPDF_SetInfoAttr(pdf, HPDF_INFO_CREATOR, p->creator);
	HPDF_SetInfoAttr(pdf, HPDF_INFO_PRODUCER, "device-sim (libharu)");
	set_dates(pdf);
	/* After the Info entries: libharu builds the XMP packet from them. */
	if (p->format == SCAN_FORMAT_PDFA &&
	    HPDF_PDFA_SetPDFAConformance(pdf, HPDF_PDFA_1B) != HPDF_OK) {
		snprintf(err, errlen, "libhpdf could not switch to PDF/A-1b (0x%04lX)",
		         (unsigned long)ctx.code);
		goto out;
	}
	if (p->searchable)
		font = pdf_font(pdf, p->format == SCAN_FORMAT_PDFA);
	for (n = 1; n <= p->pages && !ctx.failed; n++) {
		HPDF_Page page;
		HPDF_Image img;

		if (should_stop && should_stop(arg)) {
			snprintf(err, errlen, "stopped");
			goto out;
		}
		pt = (struct pattern){w, h, n};
		for (y = 0; y < h; y++) {
			pattern_row(&pt, y, rgb);
			/* DeviceGray 1-bit: 0 is black (PDF 1.7, 8.6.4.2). */
			convert_row(rgb, w, p->color, false);
			memcpy(raster + (size_t)y * row_bytes, rgb, row_bytes);
		}
		page = HPDF_AddPage(pdf);
		if (!page)
			break;
		HPDF_Page_SetWidth(page, (HPDF_REAL)p->width_pt);
		HPDF_Page_SetHeight(page, (HPDF_REAL)p->height_pt);
		img = HPDF_LoadRawImageFromMem(pdf, raster, w, h,
		                               p->color == SCAN_COLOR_RGB ? HPDF_CS_DEVICE_RGB
		                                                          : HPDF_CS_DEVICE_GRAY,
		                               p->color == SCAN_COLOR_BW ? 1 : 8);
		if (!img)
			break;
		HPDF_Page_DrawImage(page, img, 0, 0, (HPDF_REAL)p->width_pt,
		                    (HPDF_REAL)p->height_pt);
		if (font)
			pdf_text(page, font, p, n);
	}
	if (!ctx.failed && HPDF_SaveToFile(pdf, path) == HPDF_OK && !ctx.failed)
		rc = 0;
	else
		snprintf(err, errlen, "libhpdf error 0x%04lX", (unsigned long)ctx.code);
out:
	free(raster);
	free(rgb);
	HPDF_Free(pdf);
	return rc;
}

/* ---- TIFF ------------------------------------------------------------------ */

static void tiff_quiet(const char *module, const char *fmt, va_list ap)
{
	(void)module;
	(void)fmt;
	(void)ap;
}

void docgen_init(void)
{
	TIFFSetErrorHandler(tiff_quiet);
	TIFFSetWarningHandler(tiff_quiet);
}

/* Appends page n (1-based) of p as a new directory of tif. */
static int tiff_page(TIFF *tif, const struct docgen_params *p, unsigned n, unsigned page_no,
                     unsigned page_count)
{
	unsigned w, h, y;
	uint8_t *row;
	struct pattern pt;
	float xres, yres;
	int rc = 0;

	docgen_raster_size(p, &w, &h);
	xres = (float)(w * 72.0 / p->width_pt);
	yres = (float)(h * 72.0 / p->height_pt);
	TIFFSetField(tif, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
	TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, w);
	TIFFSetField(tif, TIFFTAG_IMAGELENGTH, h);
	TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
	TIFFSetField(tif, TIFFTAG_XRESOLUTION, xres);
	TIFFSetField(tif, TIFFTAG_YRESOLUTION, yres);
	TIFFSetField(tif, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
	TIFFSetField(tif, TIFFTAG_PAGENUMBER, page_no - 1, page_count);
	TIFFSetField(tif, TIFFTAG_SOFTWARE, "device-sim");
	TIFFSetField(tif, TIFFTAG_MAKE, "Xerox");
	TIFFSetField(tif, TIFFTAG_MODEL, p->creator);
	TIFFSetField(tif, TIFFTAG_DOCUMENTNAME, p->title);
	if (p->color == SCAN_COLOR_BW) {
		/* TIFF 6.0 section 11: CCITT Group 4 for bilevel, 0 = white. */
		TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, 1);
		TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, 1);
		TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
		TIFFSetField(tif, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX4);
	} else {
		TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, 8);
		TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, p->color == SCAN_COLOR_RGB ? 3 : 1);
		TIFFSetField(tif, TIFFTAG_PHOTOMETRIC,
		             p->color == SCAN_COLOR_RGB ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK);
		TIFFSetField(tif, TIFFTAG_COMPRESSION, COMPRESSION_LZW);
		TIFFSetField(tif, TIFFTAG_PREDICTOR, PREDICTOR_HORIZONTAL);
	}
	TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, TIFFDefaultStripSize(tif, 0));
	row = malloc((size_t)w * 3);
	if (!row)
		return -1;
	pt = (struct pattern){w, h, n};
	for (y = 0; y < h && rc == 0; y++) {
		pattern_row(&pt, y, row);
		convert_row(row, w, p->color, true);
		if (TIFFWriteScanline(tif, row, y, 0) < 0)
			rc = -1;
	}
	free(row);
	if (rc == 0 && !TIFFWriteDirectory(tif))
		rc = -1;
	return rc;
}

static unsigned long long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (unsigned long long)st.st_size : 0;
}

static void remove_files(struct docgen_file *out, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		unlink(out[i].path);
}

int docgen_write(const struct docgen_params *p, const char *path_prefix, struct docgen_file *out,
                 size_t max_out, size_t *n_out, int (*should_stop)(void *), void *arg, char *err,
                 size_t errlen)
{
	bool per_page = p->format == SCAN_FORMAT_TIFF_PER_PAGE;
	size_t files = per_page ? p->pages : 1, i;
	TIFF *tif = NULL;
	unsigned n;

	*n_out = 0;
	if (p->pages == 0 || files > max_out) {
		snprintf(err, errlen, "cannot write %u pages", p->pages);
		return -1;
	}
	for (i = 0; i < files; i++) {
		int w = snprintf(out[i].path, sizeof(out[i].path), "%s-%03zu.%s", path_prefix,
		                 i + 1, scan_format_extension(p->format));

		if (w < 0 || (size_t)w >= sizeof(out[i].path)) {
			snprintf(err, errlen, "path too long");
			return -1;
		}
	}
	if (p->format == SCAN_FORMAT_PDF || p->format == SCAN_FORMAT_PDFA) {
		if (write_pdf(p, out[0].path, should_stop, arg, err, errlen) != 0) {
			unlink(out[0].path);
			return -1;
		}
		out[0].bytes = file_size(out[0].path);
		*n_out = 1;
		return 0;
	}
	for (n = 1; n <= p->pages; n++) {
		size_t f = per_page ? n - 1 : 0;

		if (should_stop && should_stop(arg)) {
			snprintf(err, errlen, "stopped");
			goto fail;
		}
		if (!tif) {
			tif = TIFFOpen(out[f].path, "w");
			if (!tif) {
				snprintf(err, errlen, "cannot create a TIFF file");
				goto fail;
			}
			*n_out = f + 1;
		}
		if (tiff_page(tif, p, n, per_page ? 1 : n, per_page ? 1 : p->pages) != 0) {
			snprintf(err, errlen, "libtiff could not write page %u", n);
			goto fail;
		}
		if (per_page) {
			TIFFClose(tif);
			tif = NULL;
		}
	}
	if (tif)
		TIFFClose(tif);
	for (i = 0; i < *n_out; i++)
		out[i].bytes = file_size(out[i].path);
	return 0;
fail:
	if (tif)
		TIFFClose(tif);
	remove_files(out, *n_out);
	*n_out = 0;
	return -1;
}

int docgen_corrupt(const char *path)
{
	FILE *f = fopen(path, "r+b");
	long size, i;

	if (f == NULL)
		return -1;
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
	    fseek(f, DOCGEN_CORRUPT_KEEP, SEEK_SET) != 0) {
		fclose(f);
		return -1;
	}
	for (i = DOCGEN_CORRUPT_KEEP; i < size; i++)
		fputc(0xA5 ^ (int)(i & 0x3F), f);
	return fclose(f) == 0 ? 0 : -1;
}
