/*
 * preview_wire.c - the renderer's answer, written and parsed (see
 * preview_wire.h).  The parser reads bytes a hostile file may have shaped
 * through a library bug, so every length is checked against its bound
 * before it is used.
 */
#include "preview_wire.h"

#include <string.h>

static const char *const status_names[PREVIEW_STATUS__MAX] = {
    [PREVIEW_OK] = "ok",
    [PREVIEW_UNSUPPORTED] = "unsupported",
    [PREVIEW_UNREADABLE] = "unreadable",
    [PREVIEW_TOO_LARGE] = "too_large",
    [PREVIEW_INTERNAL] = "internal",
};

const char *preview_status_name(unsigned status)
{
	return status < PREVIEW_STATUS__MAX ? status_names[status] : "unknown";
}

/* PNG, 5.2: the signature every PNG datastream begins with. */
static const uint8_t png_signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static enum preview_parse parse_page(const uint8_t *p, uint32_t len, struct preview_result *out)
{
	struct preview_page *pg;

	if (len < PREVIEW_PAGE_HDR + sizeof(png_signature) ||
	    len - PREVIEW_PAGE_HDR > PREVIEW_PNG_MAX || out->npage == PREVIEW_MAX_PAGES)
		return PREVIEW_PARSE_MALFORMED;
	pg = &out->page[out->npage];
	pg->index = get_u32(p);
	pg->width_hmm = get_u32(p + 4);
	pg->height_hmm = get_u32(p + 8);
	pg->px_w = get_u32(p + 12);
	pg->px_h = get_u32(p + 16);
	pg->png = p + PREVIEW_PAGE_HDR;
	pg->png_len = len - PREVIEW_PAGE_HDR;
	if (pg->index >= out->pages ||
	    (out->npage > 0 && pg->index <= out->page[out->npage - 1].index) || pg->px_w == 0 ||
	    pg->px_w > PREVIEW_THUMB_MAX || pg->px_h == 0 || pg->px_h > PREVIEW_THUMB_MAX ||
	    memcmp(pg->png, png_signature, sizeof(png_signature)) != 0)
		return PREVIEW_PARSE_MALFORMED;
	out->npage++;
	return PREVIEW_PARSE_OK;
}

enum preview_parse preview_wire_parse(const uint8_t *buf, size_t len, struct preview_result *out)
{
	size_t off = PREVIEW_MAGIC_LEN;
	int have_pages = 0;

	memset(out, 0, sizeof(*out));
	if (len > PREVIEW_OUT_MAX)
		return PREVIEW_PARSE_MALFORMED;
	if (len < PREVIEW_MAGIC_LEN)
		return PREVIEW_PARSE_SHORT;
	if (memcmp(buf, PREVIEW_MAGIC, PREVIEW_MAGIC_LEN) != 0)
		return PREVIEW_PARSE_MALFORMED;
	for (;;) {
		uint8_t type;
		uint32_t n;
		const uint8_t *p;

		if (len - off < 5)
			return PREVIEW_PARSE_SHORT;
		type = buf[off];
		n = get_u32(buf + off + 1);
		off += 5;
		if (n > len - off)
			return PREVIEW_PARSE_SHORT;
		p = buf + off;
		off += n;
		switch (type) {
		case 'N':
			if (have_pages || n != 4 || (out->pages = get_u32(p)) > PREVIEW_PAGES_MAX)
				return PREVIEW_PARSE_MALFORMED;
			have_pages = 1;
			break;
		case 'P':
			if (!have_pages || parse_page(p, n, out) != PREVIEW_PARSE_OK)
				return PREVIEW_PARSE_MALFORMED;
			break;
		case 'E':
			/* A renderer that failed early may not have counted pages. */
			if (n != 4 || (out->status = get_u32(p)) >= PREVIEW_STATUS__MAX ||
			    (out->status == PREVIEW_OK && (!have_pages || out->pages == 0)))
				return PREVIEW_PARSE_MALFORMED;
			return off == len ? PREVIEW_PARSE_OK : PREVIEW_PARSE_TRAILING;
		default:
			return PREVIEW_PARSE_MALFORMED;
		}
	}
}

static int put_record(preview_put_fn put, void *arg, uint8_t type, const uint8_t *head, size_t hlen,
                      const void *rest, size_t rlen)
{
	uint8_t h[5];

	if (hlen + rlen > UINT32_MAX)
		return -1;
	h[0] = type;
	put_u32(h + 1, (uint32_t)(hlen + rlen));
	if (put(arg, h, sizeof(h)) != 0 || (hlen && put(arg, head, hlen) != 0) ||
	    (rlen && put(arg, rest, rlen) != 0))
		return -1;
	return 0;
}

int preview_wire_magic(preview_put_fn put, void *arg)
{
	return put(arg, PREVIEW_MAGIC, PREVIEW_MAGIC_LEN);
}

int preview_wire_pages(preview_put_fn put, void *arg, uint32_t pages)
{
	uint8_t b[4];

	put_u32(b, pages);
	return put_record(put, arg, 'N', b, sizeof(b), NULL, 0);
}

int preview_wire_page(preview_put_fn put, void *arg, const struct preview_page *p)
{
	uint8_t b[PREVIEW_PAGE_HDR];

	put_u32(b, p->index);
	put_u32(b + 4, p->width_hmm);
	put_u32(b + 8, p->height_hmm);
	put_u32(b + 12, p->px_w);
	put_u32(b + 16, p->px_h);
	return put_record(put, arg, 'P', b, sizeof(b), p->png, p->png_len);
}

int preview_wire_end(preview_put_fn put, void *arg, uint32_t status)
{
	uint8_t b[4];

	put_u32(b, status);
	return put_record(put, arg, 'E', b, sizeof(b), NULL, 0);
}
