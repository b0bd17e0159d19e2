/*
 * preview_wire.h - the one contract between scanpost-api and its page
 * renderer, scanpost-preview (src/preview/): what goes down the renderer's
 * stdin, what comes back on its stdout, and the bounds both sides hold.
 *
 * In: the bytes of one scanned file (PDF or TIFF), then end of file.
 *
 * Out: the magic "SPV1", then records, each a 1-byte type, a 4-byte
 * big-endian payload length and the payload.  Numbers in payloads are
 * 4-byte big-endian unsigned.
 *
 *   'N' pages:  u32 pages in the file (all of them, rendered or not)
 *   'P' page:   u32 page index (0-based), u32 page width and u32 height in
 *               hundredths of a millimetre, u32 image width and u32 image
 *               height in pixels, then the PNG of the page (the rest)
 *   'E' end:    u32 status (enum preview_status); always the last record
 *
 * A well-formed answer is the magic, one 'N', 0..PREVIEW_MAX_PAGES 'P'
 * with rising indexes below the page count, and 'E'.  Anything else -- a
 * short read, an unknown type, a record over its bound, bytes after 'E',
 * a renderer that died -- is "no preview"; the api never trusts a field it
 * did not bound here.
 */
#ifndef SCANPOST_PREVIEW_WIRE_H
#define SCANPOST_PREVIEW_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define PREVIEW_MAGIC     "SPV1"
#define PREVIEW_MAGIC_LEN 4
#define PREVIEW_MAX_PAGES 8      /* pages rendered per file; the rest are counted */
#define PREVIEW_THUMB_MAX 256    /* longest side of a page image, pixels */
#define PREVIEW_PNG_MAX   262144 /* bytes of one page image */
#define PREVIEW_OUT_MAX   (PREVIEW_MAGIC_LEN + 3 * 9 + PREVIEW_MAX_PAGES * (5 + 20 + PREVIEW_PNG_MAX))
#define PREVIEW_PAGES_MAX 100000 /* a page count above this is not believed */
#define PREVIEW_PAGE_HDR  20     /* the five numbers before a page's PNG */

enum preview_status {
	PREVIEW_OK = 0,
	PREVIEW_UNSUPPORTED = 1, /* neither PDF nor TIFF */
	PREVIEW_UNREADABLE = 2,  /* the library refused it: broken, encrypted, hostile */
	PREVIEW_TOO_LARGE = 3,   /* over the input or pixel bounds */
	PREVIEW_INTERNAL = 4,    /* the renderer could not set itself up */
	PREVIEW_STATUS__MAX
};

/* A stable name for logs and the api's answer ("unreadable", ...). */
const char *preview_status_name(unsigned status);

struct preview_page {
	uint32_t index;
	uint32_t width_hmm, height_hmm; /* page size, 1/100 mm */
	uint32_t px_w, px_h;            /* image size, 1..PREVIEW_THUMB_MAX */
	const uint8_t *png;             /* points into the parsed buffer */
	size_t png_len;
};

struct preview_result {
	uint32_t pages;  /* in the file */
	uint32_t status; /* the 'E' record's */
	size_t npage;    /* rendered pages in page[] */
	struct preview_page page[PREVIEW_MAX_PAGES];
};

enum preview_parse {
	PREVIEW_PARSE_OK = 0,
	PREVIEW_PARSE_SHORT,     /* ended before 'E' */
	PREVIEW_PARSE_MALFORMED, /* wrong magic, unknown or misplaced record, bad bound */
	PREVIEW_PARSE_TRAILING,  /* bytes after 'E' */
};

/* Parses a renderer's whole answer (at most PREVIEW_OUT_MAX bytes).  On
 * PREVIEW_PARSE_OK *out holds the page count, the status and the pages,
 * whose png pointers point into buf (valid while buf is).  A PNG is only
 * checked for its 8-byte signature: the weblet's browser decodes it. */
enum preview_parse preview_wire_parse(const uint8_t *buf, size_t len, struct preview_result *out);

/* The writer's side: each appends one record to a caller's buffer through
 * put(arg, bytes, len), which returns 0 or -1 (the write failed). */
typedef int (*preview_put_fn)(void *arg, const void *bytes, size_t len);
int preview_wire_magic(preview_put_fn put, void *arg);
int preview_wire_pages(preview_put_fn put, void *arg, uint32_t pages);
int preview_wire_page(preview_put_fn put, void *arg, const struct preview_page *p);
int preview_wire_end(preview_put_fn put, void *arg, uint32_t status);

#endif
