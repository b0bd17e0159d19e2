/*
 * multipart.h - streaming multipart/form-data parser (RFC 7578, delimiters per
 * RFC 2046 5.1.1) for the scan upload endpoint (DESIGN 3.3, Xerox HTTP filing).
 *
 * Push-based: the caller feeds the request body in buffers of any size and the
 * parser answers through callbacks.  Part content is never copied or buffered:
 * part_data receives slices of the caller's buffer (or of the delimiter text
 * when bytes held back as a possible delimiter turn out to be data), so memory
 * is fixed at mp_parser_new whatever the size of a file.  The parser holds back
 * at most MP_BOUNDARY_MAX + 4 bytes of content ("\r\n--" + boundary) and the
 * headers of the current part (at most MP_HEADER_MAX bytes).
 *
 * What is accepted, and nothing fancier:
 *  - Content-Type "multipart/form-data" with one boundary parameter, token or
 *    quoted-string, 1..70 bchars not ending in a space (RFC 2046 5.1.1);
 *  - a preamble and an epilogue, both ignored;
 *  - delimiter lines "--boundary", optional transport padding (SP/HTAB), CRLF;
 *    the close delimiter "--boundary--".  A line that starts with the
 *    delimiter but continues otherwise is an error, not data: RFC 2046 forbids
 *    the delimiter as the prefix of any line of content;
 *  - part headers: CRLF lines "Name: value", names case-insensitive, no
 *    folding; Content-Disposition "form-data" with a non-empty name and an
 *    optional filename (RFC 7578 4.2), an optional Content-Type; other headers
 *    are ignored.  Parameter values are tokens or quoted-strings with
 *    backslash escapes (RFC 9110 5.6.4); filename* (RFC 7578 4.2: MUST NOT be
 *    used) and unknown parameters are ignored.  A filename is passed as sent,
 *    path components included: the caller sanitizes it;
 *  - no nested multipart/mixed parts (RFC 7578 4.3 deprecates them).
 */
#ifndef SCANPOST_MULTIPART_H
#define SCANPOST_MULTIPART_H

#include <stddef.h>
#include <stdint.h>

#define MP_BOUNDARY_MAX     70   /* RFC 2046 5.1.1 */
#define MP_HEADER_MAX       8192 /* header bytes of one part, CRLFs included */
#define MP_HEADER_LINES_MAX 16   /* header lines of one part */
#define MP_PARTS_MAX        64   /* parts of one body */

enum mp_err {
	MP_OK = 0,
	MP_ERR_NO_BOUNDARY,      /* not multipart/form-data, or no/invalid boundary */
	MP_ERR_MALFORMED,        /* bad delimiter line, header line or disposition */
	MP_ERR_HEADER_TOO_LARGE, /* over MP_HEADER_MAX bytes or MP_HEADER_LINES_MAX lines */
	MP_ERR_NESTED,           /* a part is itself multipart (RFC 7578 4.3) */
	MP_ERR_TOO_MANY_PARTS,   /* over MP_PARTS_MAX parts */
	MP_ERR_TRUNCATED,        /* finished before the close delimiter */
	MP_ERR_ABORTED,          /* a callback returned non-zero */
	MP_ERR_NOMEM,
	MP_ERR__MAX
};

/* Static English text for e; never NULL. */
const char *mp_strerror(enum mp_err e);

/*
 * Every callback may be NULL (then it is skipped); a non-zero return stops the
 * parser with MP_ERR_ABORTED.  Strings and data are valid only during the
 * call: copy what you keep.  A callback must not call the parser it came from.
 *
 * part_begin: name is never NULL nor empty; filename is NULL when the
 *   disposition has none (it may be "": no file chosen); content_type is the
 *   part's Content-Type value, NULL when absent.
 * part_data: len > 0, any split: the same part may arrive in many calls.
 * part_end: the part's delimiter line was complete and valid.
 */
struct mp_callbacks {
	int (*part_begin)(void *arg, const char *name, const char *filename,
	                  const char *content_type);
	int (*part_data)(void *arg, const uint8_t *data, size_t len);
	int (*part_end)(void *arg);
};

struct mp_parser;

/*
 * Takes the boundary from content_type (the request's Content-Type value).
 * cb is copied; arg is passed to every callback.  Returns MP_OK with *out set
 * (free it with mp_parser_free), or MP_ERR_NO_BOUNDARY / MP_ERR_NOMEM with
 * *out NULL.  This is the parser's only allocation.
 */
enum mp_err mp_parser_new(const char *content_type, const struct mp_callbacks *cb, void *arg,
                          struct mp_parser **out);

/*
 * Parses the next len bytes of the body (buf may be NULL when len is 0).
 * Once an error is returned, every later feed and finish returns that error.
 * Bytes after the close delimiter (the epilogue) are accepted and ignored.
 */
enum mp_err mp_parser_feed(struct mp_parser *p, const uint8_t *buf, size_t len);

/* Call at the end of the body: MP_OK only when the close delimiter was seen,
 * else MP_ERR_TRUNCATED (or the earlier error). */
enum mp_err mp_parser_finish(struct mp_parser *p);

/* Input bytes held and not yet delivered nor discarded: a possible delimiter
 * (<= MP_BOUNDARY_MAX + 4) or the current part's headers (<= MP_HEADER_MAX). */
size_t mp_parser_buffered(const struct mp_parser *p);

/* Number of parts begun so far. */
unsigned mp_parser_parts(const struct mp_parser *p);

/* Frees p (NULL is fine). */
void mp_parser_free(struct mp_parser *p);

#endif
