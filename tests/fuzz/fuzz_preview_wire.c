/*
 * fuzz_preview_wire.c - fuzzes scanpost-api's parser of the renderer's
 * answer (src/lib/preview_wire.c): whatever bytes a renderer subverted by a
 * hostile document could write.  An accepted answer must hold only what
 * the bounds allow: at most PREVIEW_MAX_PAGES pages, rising indexes below
 * the page count, images inside the thumbnail box, PNGs inside the buffer
 * that start with the PNG signature; and writing the parsed answer back
 * must give the same bytes.  Build:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Isrc/lib \
 *     tests/fuzz/fuzz_preview_wire.c src/lib/preview_wire.c -o fuzz_preview_wire
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "preview_wire.h"

struct buf {
	uint8_t b[PREVIEW_OUT_MAX];
	size_t len;
};

static int put(void *arg, const void *bytes, size_t len)
{
	struct buf *o = arg;

	if (len > sizeof(o->b) - o->len)
		return -1;
	memcpy(o->b + o->len, bytes, len);
	o->len += len;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct buf again;
	struct preview_result r;
	int had_pages;

	if (preview_wire_parse(data, size, &r) != PREVIEW_PARSE_OK)
		return 0;
	if (r.npage > PREVIEW_MAX_PAGES || r.status >= PREVIEW_STATUS__MAX ||
	    r.pages > PREVIEW_PAGES_MAX)
		abort();
	for (size_t i = 0; i < r.npage; i++) {
		const struct preview_page *p = &r.page[i];
		if (p->index >= r.pages || (i > 0 && p->index <= r.page[i - 1].index) ||
		    p->px_w == 0 || p->px_w > PREVIEW_THUMB_MAX || p->px_h == 0 ||
		    p->px_h > PREVIEW_THUMB_MAX || p->png < data ||
		    p->png + p->png_len > data + size || p->png_len > PREVIEW_PNG_MAX ||
		    p->png_len < 8 || p->png[0] != 0x89)
			abort();
	}
	/* Written back, the answer is what was read: nothing was skipped.  A
	 * failed answer may come without its page count. */
	had_pages = size >= PREVIEW_MAGIC_LEN + 1 && data[PREVIEW_MAGIC_LEN] == 'N';
	again.len = 0;
	preview_wire_magic(put, &again);
	if (had_pages)
		preview_wire_pages(put, &again, r.pages);
	for (size_t i = 0; i < r.npage; i++)
		preview_wire_page(put, &again, &r.page[i]);
	preview_wire_end(put, &again, r.status);
	if (again.len != size || memcmp(again.b, data, size) != 0)
		abort();
	return 0;
}
