/*
 * preview_docs.h - documents for the preview tests, made in memory: good
 * ones (PDF pages, TIFF pages) and hostile ones (a page of absurd size, a
 * "billion laughs" of nested forms, a decompression bomb, a TIFF whose one
 * strip needs more memory than the renderer may have).  Each returns a
 * malloc'd buffer (the caller frees it) and its length in *len, or NULL.
 */
#ifndef SCANPOST_PREVIEW_DOCS_H
#define SCANPOST_PREVIEW_DOCS_H

#include <stddef.h>
#include <stdint.h>

/* A PDF of n A4 pages, each a framed box (w x h points, default A4). */
uint8_t *doc_pdf_pages(int n, double w, double h, size_t *len);
/* A one-page PDF whose content draws form 0, which draws form 1 ten times,
 * ... down `levels` levels: 10^levels strokes from a few hundred bytes. */
uint8_t *doc_pdf_nested_forms(int levels, size_t *len);
/* A one-page PDF with a side x side RGB image of zeros, Flate-compressed:
 * side * side * 3 bytes once inflated. */
uint8_t *doc_pdf_flate_bomb(unsigned side, size_t *len);
/* An uncompressed 8-bit gray TIFF of `pages` pages of w x h at 200 dpi. */
uint8_t *doc_tiff_gray(unsigned w, unsigned h, int pages, size_t *len);
/* An RGB TIFF of w x h in one Deflate strip of zeros: small on disk, but
 * libtiff must hold the whole inflated strip (w * h * 3 bytes). */
uint8_t *doc_tiff_one_big_strip(unsigned w, unsigned h, size_t *len);

#endif
