/*
 * preview_render.h - pages of one PDF or TIFF held in memory, rendered to
 * PNG thumbnails and written as the answer of preview_wire.h.
 */
#ifndef SCANPOST_PREVIEW_RENDER_H
#define SCANPOST_PREVIEW_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include "preview_wire.h"

/* The answer being built: a fixed buffer of PREVIEW_OUT_MAX bytes. */
struct render_out {
	uint8_t *buf;
	size_t len, cap;
};

/* preview_put_fn over a struct render_out. */
int render_out_put(void *arg, const void *bytes, size_t len);

/* What the first bytes say the document is. */
enum doc_kind { DOC_UNKNOWN, DOC_PDF, DOC_TIFF };
enum doc_kind render_sniff(const uint8_t *doc, size_t len);

/* Loads the libraries' lazy state (GLib types, poppler's global tables,
 * an empty in-memory fontconfig, cairo's PNG writer) by rendering a tiny
 * built-in PDF and TIFF, so nothing needs a file once the sandbox is on.
 * 0 or -1. */
int render_warm_up(void);

/* Writes 'N' (every page counted), 'P' records for the first max_pages
 * pages (at most PREVIEW_MAX_PAGES) and returns the status for 'E' (the
 * caller writes it).  doc is not changed. */
enum preview_status render_pdf(const uint8_t *doc, size_t len, int max_pages,
                               struct render_out *out);
enum preview_status render_tiff(const uint8_t *doc, size_t len, int max_pages,
                                struct render_out *out);

#endif
