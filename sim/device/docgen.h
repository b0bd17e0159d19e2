/*
 * docgen.h - the scanned documents: real PDF (libhpdf) and TIFF (libtiff)
 * files of synthetic page images.
 *
 * Each page is a raster of (page size in points) * dpi / 72 pixels: RGB for
 * color, 8-bit gray, or 1-bit black and white, showing "text lines", a
 * color block and paper grain, so a higher resolution or color makes a
 * bigger file, as on a real scanner.  Limits, to keep the simulator's memory
 * sane:
 *   - a page raster has at most DOCGEN_MAX_PIXELS pixels (about 4 MP, i.e.
 *     A4 at 200 dpi); above that the raster is scaled down and the file
 *     states the resolution actually delivered.  Sizes stop growing there.
 *   - libhpdf keeps every page's raw image in memory until the file is
 *     written, so a PDF's rasters together stay under DOCGEN_PDF_BUDGET
 *     bytes (each page shrinks further when there are many).  TIFF pages are
 *     written row by row and need one row of memory.
 * Searchable documents carry invisible text (PDF text render mode 3, as
 * OCR'd scans do) on each page: "Page n of m" and some sample words, which
 * pdftotext finds.
 * PDF/A-1b: libhpdf's PDF/A mode (XMP metadata with pdfaid part 1,
 * conformance B, and a document ID), the text font embedded (DejaVu Sans
 * when installed).  Not done: no ICC OutputIntent (none is installed to
 * embed), so a strict validator (veraPDF) will still complain about the
 * device color spaces; good enough for a simulator, not an archive.
 */
#ifndef DEVICE_SIM_DOCGEN_H
#define DEVICE_SIM_DOCGEN_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "scansettings.h"

#define DOCGEN_MAX_PIXELS 4000000UL
#define DOCGEN_PDF_BUDGET (192UL * 1024 * 1024)

struct docgen_params {
	enum scan_format format;
	enum scan_color color;
	unsigned dpi;
	double width_pt, height_pt; /* the page as delivered (orientation applied) */
	unsigned pages;
	bool searchable;
	const char *language; /* ISO 639-1, written into the PDF */
	const char *title;    /* DocumentObjectName */
	const char *creator;  /* the device model */
};

struct docgen_file {
	char path[PATH_MAX];
	unsigned long long bytes;
};

/* Installs quiet libtiff handlers; call once at start. */
void docgen_init(void);

/* Fault injection (knob corrupt_files): keeps the first DOCGEN_CORRUPT_KEEP
 * bytes of the file at path (the PDF or TIFF header, so the upload still
 * takes it as one) and overwrites the rest with a fixed garbage pattern,
 * size unchanged.  0, or -1 with errno. */
#define DOCGEN_CORRUPT_KEEP 8
int docgen_corrupt(const char *path);

/*
 * Writes the document(s) of p as files "<path_prefix>-NNN.<ext>": one for
 * PDF, PDF/A and TIFF_V6, one per page for XSM_TIFF_V6.  out has room for
 * max_out files; *n_out tells how many were written.  should_stop(arg) is
 * asked between pages; when it answers non-zero the files are removed and
 * -1 returned.  On any error the files written are removed, err says why,
 * and -1 is returned; 0 on success.  The caller removes the files later.
 */
int docgen_write(const struct docgen_params *p, const char *path_prefix, struct docgen_file *out,
                 size_t max_out, size_t *n_out, int (*should_stop)(void *), void *arg, char *err,
                 size_t errlen);

/* The raster size a page of p gets, after the limits above. */
void docgen_raster_size(const struct docgen_params *p, unsigned *w, unsigned *h);

#endif
