/*
 * preview_render.c - PDF through poppler-glib and cairo, TIFF through
 * libtiff, each page scaled into a PREVIEW_THUMB_MAX box and written as
 * PNG by cairo.  Everything stays in memory: the document is the caller's
 * buffer, the PNGs go to the answer buffer.
 */
#include "preview_render.h"

#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <math.h>
#include <poppler.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>

/* Bounds a TIFF must keep before a pixel is decoded. */
#define TIFF_SIDE_MAX   65535
#define TIFF_PIXELS_MAX (1UL << 28)
#define TIFF_BAND_BYTES (16UL << 20)

int render_out_put(void *arg, const void *bytes, size_t len)
{
	struct render_out *o = arg;

	if (len > o->cap - o->len)
		return -1;
	memcpy(o->buf + o->len, bytes, len);
	o->len += len;
	return 0;
}

enum doc_kind render_sniff(const uint8_t *doc, size_t len)
{
	/* TIFF 6.0, section 2: "II*\0" or "MM\0*" (BigTIFF: 43 for 42). */
	if (len >= 4 &&
	    ((doc[0] == 'I' && doc[1] == 'I' && (doc[2] == 42 || doc[2] == 43) && doc[3] == 0) ||
	     (doc[0] == 'M' && doc[1] == 'M' && doc[2] == 0 && (doc[3] == 42 || doc[3] == 43))))
		return DOC_TIFF;
	/* ISO 32000-1, 7.5.2: the header "%PDF-"; readers accept it within
	 * the first 1024 bytes. */
	if (len >= 5 && memmem(doc, len < 1024 ? len : 1024, "%PDF-", 5) != NULL)
		return DOC_PDF;
	return DOC_UNKNOWN;
}

/* PNG bytes of one page, bounded by PREVIEW_PNG_MAX. */
struct png_buf {
	uint8_t data[PREVIEW_PNG_MAX];
	size_t len;
};

static cairo_status_t png_put(void *arg, const unsigned char *bytes, unsigned int len)
{
	struct png_buf *p = arg;

	if (len > sizeof(p->data) - p->len)
		return CAIRO_STATUS_WRITE_ERROR;
	memcpy(p->data + p->len, bytes, len);
	p->len += len;
	return CAIRO_STATUS_SUCCESS;
}

/* Fits w x h (any unit) into the thumbnail box, at least 1 pixel a side. */
static void thumb_size(double w, double h, uint32_t *tw, uint32_t *th)
{
	double s = PREVIEW_THUMB_MAX / (w > h ? w : h);
	double a = floor(w * s + 0.5), b = floor(h * s + 0.5);

	*tw = a < 1 ? 1 : a > PREVIEW_THUMB_MAX ? PREVIEW_THUMB_MAX : (uint32_t)a;
	*th = b < 1 ? 1 : b > PREVIEW_THUMB_MAX ? PREVIEW_THUMB_MAX : (uint32_t)b;
}

static uint32_t hmm_clamp(double v)
{
	return v < 0 || !isfinite(v) ? 0 : v > 4e9 ? 4000000000U : (uint32_t)(v + 0.5);
}

/* Writes surface as the 'P' record of page index. */
static enum preview_status page_emit(cairo_surface_t *s, uint32_t index, double w_hmm, double h_hmm,
                                     struct render_out *out)
{
	struct png_buf *png = malloc(sizeof(*png));
	enum preview_status st = PREVIEW_INTERNAL;

	if (png == NULL)
		return PREVIEW_INTERNAL;
	png->len = 0;
	cairo_surface_flush(s);
	if (cairo_surface_write_to_png_stream(s, png_put, png) == CAIRO_STATUS_SUCCESS) {
		struct preview_page p = {
		    .index = index,
		    .width_hmm = hmm_clamp(w_hmm),
		    .height_hmm = hmm_clamp(h_hmm),
		    .px_w = (uint32_t)cairo_image_surface_get_width(s),
		    .px_h = (uint32_t)cairo_image_surface_get_height(s),
		    .png = png->data,
		    .png_len = png->len,
		};
		st =
		    preview_wire_page(render_out_put, out, &p) == 0 ? PREVIEW_OK : PREVIEW_INTERNAL;
	}
	free(png);
	return st;
}

/* 1 pt = 1/72 in = 25.4/72 mm. */
#define HMM_PER_PT (2540.0 / 72.0)

/* Renders pd; keep (the warm-up's) leaves it open when done. */
static enum preview_status pdf_pages(const uint8_t *doc, size_t len, int max_pages,
                                     struct render_out *out, int keep)
{
	GBytes *bytes = g_bytes_new_static(doc, len);
	PopplerDocument *pd = poppler_document_new_from_bytes(bytes, NULL, NULL);
	enum preview_status st = PREVIEW_UNREADABLE;
	int n;

	if (pd == NULL)
		goto out;
	n = poppler_document_get_n_pages(pd);
	if (n <= 0 || n > PREVIEW_PAGES_MAX)
		goto out;
	if (preview_wire_pages(render_out_put, out, (uint32_t)n) != 0) {
		st = PREVIEW_INTERNAL;
		goto out;
	}
	st = PREVIEW_OK;
	for (int i = 0; i < n && i < max_pages && st == PREVIEW_OK; i++) {
		PopplerPage *page = poppler_document_get_page(pd, i);
		cairo_surface_t *s;
		cairo_t *cr;
		double w = 0, h = 0;
		uint32_t tw, th;

		if (page == NULL) {
			st = PREVIEW_UNREADABLE;
			break;
		}
		poppler_page_get_size(page, &w, &h);
		if (!(w > 0 && h > 0 && isfinite(w) && isfinite(h))) {
			g_object_unref(page);
			st = PREVIEW_UNREADABLE;
			break;
		}
		thumb_size(w, h, &tw, &th);
		s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)tw, (int)th);
		cr = cairo_create(s);
		cairo_set_source_rgb(cr, 1, 1, 1);
		cairo_paint(cr);
		cairo_scale(cr, tw / w, th / h);
		poppler_page_render(page, cr);
		if (cairo_status(cr) != CAIRO_STATUS_SUCCESS)
			st = PREVIEW_UNREADABLE;
		else
			st = page_emit(s, (uint32_t)i, w * HMM_PER_PT, h * HMM_PER_PT, out);
		cairo_destroy(cr);
		cairo_surface_destroy(s);
		g_object_unref(page);
	}
out:
	/* poppler frees its global tables with the last open document; the
	 * warm-up's stays open so they are never loaded from files again. */
	if (pd && !keep)
		g_object_unref(pd);
	g_bytes_unref(bytes);
	return st;
}

enum preview_status render_pdf(const uint8_t *doc, size_t len, int max_pages,
                               struct render_out *out)
{
	return pdf_pages(doc, len, max_pages, out, 0);
}

/* libtiff reads the document through these (TIFFClientOpen). */
struct mem_file {
	const uint8_t *data;
	toff_t len, pos;
};

static tmsize_t mem_read(thandle_t h, void *buf, tmsize_t n)
{
	struct mem_file *m = (struct mem_file *)h;
	toff_t left = m->len - m->pos;

	if (n < 0)
		return -1;
	if ((toff_t)n > left)
		n = (tmsize_t)left;
	memcpy(buf, m->data + m->pos, (size_t)n);
	m->pos += (toff_t)n;
	return n;
}

static tmsize_t mem_write(thandle_t h, void *buf, tmsize_t n)
{
	return -1;
}

static toff_t mem_seek(thandle_t h, toff_t off, int whence)
{
	struct mem_file *m = (struct mem_file *)h;
	toff_t base = whence == SEEK_CUR ? m->pos : whence == SEEK_END ? m->len : 0;

	if (whence != SEEK_SET && whence != SEEK_CUR && whence != SEEK_END)
		return (toff_t)-1;
	/* Offsets are unsigned: a "negative" one wraps past len and fails. */
	if (base + off < base || base + off > m->len)
		return (toff_t)-1;
	m->pos = base + off;
	return m->pos;
}

static int mem_close(thandle_t h)
{
	return 0;
}

static toff_t mem_size(thandle_t h)
{
	return ((struct mem_file *)h)->len;
}

/* Page size from the resolution tags (TIFF 6.0, section 8); 0 if absent. */
static double tiff_side_hmm(TIFF *t, uint32_t px, ttag_t tag)
{
	float res = 0;
	uint16_t unit = RESUNIT_INCH;

	if (!TIFFGetField(t, tag, &res) || !(res > 0) || !isfinite(res))
		return 0;
	TIFFGetFieldDefaulted(t, TIFFTAG_RESOLUTIONUNIT, &unit);
	if (unit == RESUNIT_CENTIMETER)
		return px / res * 1000.0;
	if (unit == RESUNIT_INCH)
		return px / res * 2540.0;
	return 0;
}

/* The current directory, box-averaged into a thumbnail, a band of rows at
 * a time so memory stays bounded whatever the page size. */
static enum preview_status tiff_page(TIFF *t, uint32_t index, struct render_out *out)
{
	TIFFRGBAImage img;
	char emsg[1024];
	uint32_t w = 0, h = 0, tw, th, rows;
	uint32_t *band = NULL;
	uint64_t *acc = NULL;
	cairo_surface_t *s = NULL;
	enum preview_status st = PREVIEW_UNREADABLE;
	int began = 0;

	if (!TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &w) || !TIFFGetField(t, TIFFTAG_IMAGELENGTH, &h) ||
	    w == 0 || h == 0)
		return PREVIEW_UNREADABLE;
	if (w > TIFF_SIDE_MAX || h > TIFF_SIDE_MAX || (uint64_t)w * h > TIFF_PIXELS_MAX)
		return PREVIEW_TOO_LARGE;
	if (!TIFFRGBAImageOK(t, emsg) || !TIFFRGBAImageBegin(&img, t, 0, emsg))
		return PREVIEW_UNREADABLE;
	began = 1;
	img.req_orientation = ORIENTATION_TOPLEFT;
	thumb_size(w, h, &tw, &th);
	rows = (uint32_t)(TIFF_BAND_BYTES / ((size_t)w * 4));
	if (rows == 0)
		rows = 1;
	band = malloc((size_t)w * rows * 4);
	acc = calloc((size_t)tw * th * 4, sizeof(*acc));
	if (band == NULL || acc == NULL) {
		st = PREVIEW_TOO_LARGE;
		goto out;
	}
	for (uint32_t y0 = 0; y0 < h; y0 += rows) {
		uint32_t n = h - y0 < rows ? h - y0 : rows;

		img.row_offset = (int)y0;
		img.col_offset = 0;
		if (!TIFFRGBAImageGet(&img, band, w, n))
			goto out;
		for (uint32_t y = 0; y < n; y++) {
			uint64_t ty = (uint64_t)(y0 + y) * th / h;
			for (uint32_t x = 0; x < w; x++) {
				uint32_t p = band[(size_t)y * w + x];
				uint64_t *a = acc + (ty * tw + (uint64_t)x * tw / w) * 4;
				a[0] += TIFFGetR(p);
				a[1] += TIFFGetG(p);
				a[2] += TIFFGetB(p);
				a[3]++;
			}
		}
	}
	s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)tw, (int)th);
	if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
		st = PREVIEW_INTERNAL;
		goto out;
	}
	for (uint32_t y = 0; y < th; y++) {
		uint32_t *row = (uint32_t *)(cairo_image_surface_get_data(s) +
		                             (size_t)y * cairo_image_surface_get_stride(s));
		for (uint32_t x = 0; x < tw; x++) {
			const uint64_t *a = acc + ((size_t)y * tw + x) * 4;
			uint64_t c = a[3] ? a[3] : 1;
			row[x] = (uint32_t)(a[0] / c) << 16 | (uint32_t)(a[1] / c) << 8 |
			         (uint32_t)(a[2] / c);
		}
	}
	cairo_surface_mark_dirty(s);
	st = page_emit(s, index, tiff_side_hmm(t, w, TIFFTAG_XRESOLUTION),
	               tiff_side_hmm(t, h, TIFFTAG_YRESOLUTION), out);
out:
	if (s)
		cairo_surface_destroy(s);
	if (began)
		TIFFRGBAImageEnd(&img);
	free(band);
	free(acc);
	return st;
}

enum preview_status render_tiff(const uint8_t *doc, size_t len, int max_pages,
                                struct render_out *out)
{
	struct mem_file m = {doc, len, 0};
	TIFF *t;
	uint32_t n = 0;
	enum preview_status st = PREVIEW_OK;

	/* "m": no memory mapping; libtiff reads through mem_read. */
	t = TIFFClientOpen("document", "rm", (thandle_t)&m, mem_read, mem_write, mem_seek,
	                   mem_close, mem_size, NULL, NULL);
	if (t == NULL)
		return PREVIEW_UNREADABLE;
	/* libtiff refuses a directory chain that loops back on itself. */
	do {
		n++;
	} while (n <= PREVIEW_PAGES_MAX && TIFFReadDirectory(t));
	if (n > PREVIEW_PAGES_MAX) {
		st = PREVIEW_TOO_LARGE;
		goto out;
	}
	if (preview_wire_pages(render_out_put, out, n) != 0) {
		st = PREVIEW_INTERNAL;
		goto out;
	}
	for (uint32_t i = 0; i < n && i < (uint32_t)max_pages && st == PREVIEW_OK; i++) {
		if (!TIFFSetDirectory(t, (tdir_t)i)) {
			st = PREVIEW_UNREADABLE;
			break;
		}
		st = tiff_page(t, i, out);
	}
out:
	TIFFClose(t);
	return st;
}

/* Builds a one-page PDF with a line and a line of text in a standard
 * font, with a correct cross-reference table. */
static size_t warm_up_pdf(char *buf, size_t cap)
{
	static const char *const objs[] = {
	    "<< /Type /Catalog /Pages 2 0 R >>",
	    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
	    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /Contents 4 0 R"
	    " /Resources << /Font << /F1 5 0 R >> >> >>",
	    "<< /Length 57 >>\nstream\n0 0 m 200 100 l S BT /F1 12 Tf 10 10 Td (scanpost) Tj ET\n"
	    "endstream",
	    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	};
	size_t off[6], n = 0;

	n += (size_t)snprintf(buf + n, cap - n, "%%PDF-1.4\n");
	for (size_t i = 0; i < 5; i++) {
		off[i] = n;
		n += (size_t)snprintf(buf + n, cap - n, "%zu 0 obj\n%s\nendobj\n", i + 1, objs[i]);
	}
	off[5] = n;
	n += (size_t)snprintf(buf + n, cap - n, "xref\n0 6\n0000000000 65535 f \n");
	for (size_t i = 0; i < 5; i++)
		n += (size_t)snprintf(buf + n, cap - n, "%010zu 00000 n \n", off[i]);
	n += (size_t)snprintf(buf + n, cap - n,
	                      "trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n%zu\n%%%%EOF\n",
	                      off[5]);
	return n < cap ? n : 0;
}

static void quiet(const char *module, const char *fmt, va_list ap)
{
}

int render_warm_up(void)
{
	static char pdf[2048];
	struct render_out o = {NULL, 0, PREVIEW_OUT_MAX};
	size_t n = warm_up_pdf(pdf, sizeof(pdf));
	enum preview_status st;

	/* Fonts: an empty configuration made in memory, never the system's
	 * (no font file, no cache directory), so a page renders the same on
	 * every host and no file is wanted later.  Text in a font the
	 * document does not embed is not drawn; scans are images. */
	FcConfig *fc = FcConfigCreate();
	if (fc == NULL || !FcConfigSetCurrent(fc))
		return -1;
	FcConfigSetRescanInterval(fc, 0);
	TIFFSetErrorHandler(quiet);
	TIFFSetWarningHandler(quiet);
	if (n == 0 || (o.buf = malloc(o.cap)) == NULL)
		return -1;
	st = pdf_pages((const uint8_t *)pdf, n, 1, &o, 1);
	free(o.buf);
	return st == PREVIEW_OK ? 0 : -1;
}
