/*
 * preview_docs.c - see preview_docs.h.  PDFs follow ISO 32000-1 (7.5:
 * header, objects, cross-reference table, trailer); TIFFs TIFF 6.0
 * (header, one IFD per page, tags in ascending order).
 */
#include "preview_docs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

struct out {
	uint8_t *b;
	size_t len, cap;
};

static void put(struct out *o, const void *p, size_t n)
{
	if (o->b == NULL)
		return;
	if (n > o->cap - o->len) {
		size_t cap = (o->cap + n) * 2;
		uint8_t *nb = realloc(o->b, cap);
		if (nb == NULL) {
			free(o->b);
			o->b = NULL;
			return;
		}
		o->b = nb;
		o->cap = cap;
	}
	memcpy(o->b + o->len, p, n);
	o->len += n;
}

static void putf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#include <stdarg.h>
static void putf(struct out *o, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		put(o, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

/* A PDF of nobj objects (texts, 1-based; a stream object's text carries
 * its own dictionary and data, given as bytes with a length). */
struct pdf_obj {
	const void *data;
	size_t len;
};

static uint8_t *pdf_write(const struct pdf_obj *objs, int nobj, size_t *len)
{
	struct out o = {malloc(4096), 0, 4096};
	size_t *off = calloc((size_t)nobj + 1, sizeof(*off)), xref;

	if (off == NULL) {
		free(o.b);
		return NULL;
	}
	putf(&o, "%%PDF-1.5\n%%\xe2\xe3\xcf\xd3\n");
	for (int i = 0; i < nobj; i++) {
		off[i] = o.len;
		putf(&o, "%d 0 obj\n", i + 1);
		put(&o, objs[i].data, objs[i].len);
		putf(&o, "\nendobj\n");
	}
	xref = o.len;
	putf(&o, "xref\n0 %d\n0000000000 65535 f \n", nobj + 1);
	for (int i = 0; i < nobj; i++)
		putf(&o, "%010zu 00000 n \n", off[i]);
	putf(&o, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%zu\n%%%%EOF\n", nobj + 1, xref);
	free(off);
	*len = o.len;
	return o.b;
}

static struct pdf_obj text(const char *s)
{
	return (struct pdf_obj){strdup(s), strlen(s)};
}

static void objs_free(struct pdf_obj *objs, int n)
{
	for (int i = 0; i < n; i++)
		free((void *)objs[i].data);
	free(objs);
}

uint8_t *doc_pdf_pages(int n, double w, double h, size_t *len)
{
	int nobj = 2 + 2 * n;
	struct pdf_obj *objs = calloc((size_t)nobj, sizeof(*objs));
	char buf[512];
	struct out kids = {malloc(64), 0, 64};
	uint8_t *pdf;

	if (objs == NULL || kids.b == NULL)
		return NULL;
	if (w <= 0 || h <= 0) {
		w = 595;
		h = 842;
	}
	objs[0] = text("<< /Type /Catalog /Pages 2 0 R >>");
	putf(&kids, "[");
	for (int i = 0; i < n; i++) {
		char content[256];
		int cl;

		putf(&kids, "%d 0 R ", 3 + 2 * i);
		snprintf(
		    buf, sizeof(buf),
		    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] /Contents %d 0 R >>", w,
		    h, 4 + 2 * i);
		objs[2 + 2 * i] = text(buf);
		/* A frame and a filled block whose height tells the page apart. */
		cl = snprintf(content, sizeof(content),
		              "4 w 20 20 %.2f %.2f re S 0.2 0.3 0.8 rg 40 40 %.2f %.2f re f",
		              w - 40, h - 40, w / 3, (h - 80) * (i + 1) / (n + 1));
		snprintf(buf, sizeof(buf), "<< /Length %d >>\nstream\n%s\nendstream", cl + 1,
		         content);
		objs[3 + 2 * i] = text(buf);
	}
	putf(&kids, "]");
	put(&kids, "", 1);
	if (kids.b == NULL) {
		objs_free(objs, nobj);
		return NULL;
	}
	snprintf(buf, sizeof(buf), "<< /Type /Pages /Kids %s /Count %d >>", (char *)kids.b, n);
	free(kids.b);
	objs[1] = text(buf);
	pdf = pdf_write(objs, nobj, len);
	objs_free(objs, nobj);
	return pdf;
}

uint8_t *doc_pdf_nested_forms(int levels, size_t *len)
{
	int nobj = 4 + levels;
	struct pdf_obj *objs = calloc((size_t)nobj, sizeof(*objs));
	char buf[1024];
	uint8_t *pdf;

	if (objs == NULL)
		return NULL;
	objs[0] = text("<< /Type /Catalog /Pages 2 0 R >>");
	objs[1] = text("<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
	objs[2] = text("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
	               " /Resources << /XObject << /X 5 0 R >> >> >>");
	objs[3] = text("<< /Length 7 >>\nstream\n/X Do\n\nendstream");
	for (int l = 0; l < levels; l++) {
		const char *body =
		    l + 1 < levels ? "/X Do /X Do /X Do /X Do /X Do /X Do /X Do /X Do /X Do /X Do"
		                   : "0 0 m 595 842 l S";
		char res[80] = "";

		if (l + 1 < levels)
			snprintf(res, sizeof(res), "/Resources << /XObject << /X %d 0 R >> >>",
			         6 + l);
		snprintf(buf, sizeof(buf),
		         "<< /Type /XObject /Subtype /Form /BBox [0 0 595 842] %s /Length %zu >>\n"
		         "stream\n%s\nendstream",
		         res, strlen(body) + 1, body);
		objs[4 + l] = text(buf);
	}
	pdf = pdf_write(objs, nobj, len);
	objs_free(objs, nobj);
	return pdf;
}

/* Deflates n zero bytes (zlib format, RFC 1950), malloc'd. */
static uint8_t *zeros_deflated(size_t n, size_t *zlen)
{
	z_stream z;
	static uint8_t zero[65536];
	struct out o = {malloc(65536), 0, 65536};
	uint8_t buf[65536];
	int rc;

	memset(&z, 0, sizeof(z));
	if (o.b == NULL || deflateInit(&z, 9) != Z_OK) {
		free(o.b);
		return NULL;
	}
	do {
		size_t chunk = n < sizeof(zero) ? n : sizeof(zero);
		z.next_in = zero;
		z.avail_in = (uInt)chunk;
		n -= chunk;
		do {
			z.next_out = buf;
			z.avail_out = sizeof(buf);
			rc = deflate(&z, n ? Z_NO_FLUSH : Z_FINISH);
			put(&o, buf, sizeof(buf) - z.avail_out);
		} while (z.avail_out == 0);
	} while (n > 0);
	deflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(o.b);
		return NULL;
	}
	*zlen = o.len;
	return o.b;
}

uint8_t *doc_pdf_flate_bomb(unsigned side, size_t *len)
{
	struct pdf_obj *objs = calloc(5, sizeof(*objs));
	size_t zlen = 0;
	uint8_t *z = zeros_deflated((size_t)side * side * 3, &zlen), *pdf = NULL;
	char head[256];
	struct out img = {malloc(256), 0, 256};

	if (objs == NULL || z == NULL || img.b == NULL)
		goto out;
	objs[0] = text("<< /Type /Catalog /Pages 2 0 R >>");
	objs[1] = text("<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
	objs[2] = text("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
	               " /Resources << /XObject << /I 5 0 R >> >> >>");
	objs[3] = text("<< /Length 28 >>\nstream\nq 595 0 0 842 0 0 cm /I Do Q\nendstream");
	snprintf(head, sizeof(head),
	         "<< /Type /XObject /Subtype /Image /Width %u /Height %u /ColorSpace /DeviceRGB"
	         " /BitsPerComponent 8 /Filter /FlateDecode /Length %zu >>\nstream\n",
	         side, side, zlen);
	put(&img, head, strlen(head));
	put(&img, z, zlen);
	put(&img, "\nendstream", 10);
	if (img.b == NULL)
		goto out;
	objs[4] = (struct pdf_obj){img.b, img.len};
	img.b = NULL;
	pdf = pdf_write(objs, 5, len);
out:
	free(z);
	free(img.b);
	if (objs)
		objs_free(objs, 5);
	return pdf;
}

static void le16(struct out *o, unsigned v)
{
	uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
	put(o, b, 2);
}

static void le32(struct out *o, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
	put(o, b, 4);
}

/* One IFD entry (TIFF 6.0, 2): tag, type (3 SHORT, 4 LONG, 5 RATIONAL),
 * count 1, value or offset. */
static void entry(struct out *o, unsigned tag, unsigned type, uint32_t v)
{
	le16(o, tag);
	le16(o, type);
	le32(o, 1);
	if (type == 3) {
		le16(o, v);
		le16(o, 0);
	} else {
		le32(o, v);
	}
}

/* A page: strip data at data_off (len bytes), the IFD written here. */
static void tiff_ifd(struct out *o, unsigned w, unsigned h, unsigned spp, unsigned compression,
                     uint32_t data_off, uint32_t data_len, uint32_t res_off, uint32_t next)
{
	le16(o, spp == 3 ? 11 : 10);
	entry(o, 256, 4, w);                /* ImageWidth */
	entry(o, 257, 4, h);                /* ImageLength */
	entry(o, 258, 3, 8);                /* BitsPerSample (8 for every sample) */
	entry(o, 259, 3, compression);      /* Compression */
	entry(o, 262, 3, spp == 3 ? 2 : 1); /* Photometric: RGB / BlackIsZero */
	entry(o, 273, 4, data_off);         /* StripOffsets */
	if (spp == 3)
		entry(o, 277, 3, 3); /* SamplesPerPixel */
	entry(o, 278, 4, h);         /* RowsPerStrip: one strip */
	entry(o, 279, 4, data_len);  /* StripByteCounts */
	entry(o, 282, 5, res_off);   /* XResolution */
	entry(o, 283, 5, res_off);   /* YResolution */
	le32(o, next);
}

/* BitsPerSample with 3 samples needs a count of 3; RGB pages therefore
 * use an 8,8,8 array.  For simplicity doc_tiff_one_big_strip writes its
 * own tag list. */
uint8_t *doc_tiff_gray(unsigned w, unsigned h, int pages, size_t *len)
{
	struct out o = {malloc(1024), 0, 1024};
	size_t page_bytes = (size_t)w * h, ifd_bytes = 2 + 10 * 12 + 4;
	uint32_t res_off = 8, first = 16;

	put(&o, "II", 2);
	le16(&o, 42);
	le32(&o, first);
	le32(&o, 200); /* the rational 200/1 at offset 8 */
	le32(&o, 1);
	for (int p = 0; p < pages; p++) {
		uint32_t here = (uint32_t)o.len, data = here + (uint32_t)ifd_bytes;
		uint32_t next = p + 1 < pages ? data + (uint32_t)page_bytes : 0;
		uint8_t *px = malloc(page_bytes);

		tiff_ifd(&o, w, h, 1, 1, data, (uint32_t)page_bytes, res_off, next);
		if (px == NULL) {
			free(o.b);
			return NULL;
		}
		/* White paper with dark rows: "text lines", one more per page. */
		for (size_t y = 0; y < h; y++)
			memset(px + y * w, (y / 8) % (3 + p) == 1 ? 30 : 245, w);
		put(&o, px, page_bytes);
		free(px);
	}
	*len = o.len;
	return o.b;
}

uint8_t *doc_tiff_one_big_strip(unsigned w, unsigned h, size_t *len)
{
	struct out o = {malloc(1024), 0, 1024};
	size_t zlen = 0;
	uint8_t *z = zeros_deflated((size_t)w * h * 3, &zlen);
	uint32_t bps_off = 16, res_off = 8, ifd = 24, data;

	if (z == NULL) {
		free(o.b);
		return NULL;
	}
	put(&o, "II", 2);
	le16(&o, 42);
	le32(&o, ifd);
	le32(&o, 200);
	le32(&o, 1);
	le16(&o, 8); /* BitsPerSample 8,8,8 at offset 16 */
	le16(&o, 8);
	le16(&o, 8);
	le16(&o, 0);
	data = ifd + 2 + 11 * 12 + 4;
	le16(&o, 11);
	entry(&o, 256, 4, w);
	entry(&o, 257, 4, h);
	le16(&o, 258); /* BitsPerSample, count 3, at bps_off */
	le16(&o, 3);
	le32(&o, 3);
	le32(&o, bps_off);
	entry(&o, 259, 3, 8); /* Deflate (Adobe) */
	entry(&o, 262, 3, 2);
	entry(&o, 273, 4, data);
	entry(&o, 277, 3, 3);
	entry(&o, 278, 4, h);
	entry(&o, 279, 4, (uint32_t)zlen);
	entry(&o, 282, 5, res_off);
	entry(&o, 283, 5, res_off);
	le32(&o, 0);
	put(&o, z, zlen);
	free(z);
	*len = o.len;
	return o.b;
}
