/*
 * fuzz_preview_render.c - fuzzes the renderer (src/preview/preview_render.c)
 * with arbitrary bytes as the document: poppler, cairo and libtiff behind
 * render_sniff, with the same bounds as scanpost-preview (its page, pixel
 * and answer limits are in the code), the libraries warmed up and the
 * fonts emptied as there.  The process limits come from libFuzzer's own
 * switches, set by `make fuzz-smoke-preview` to the renderer's defaults
 * (-rss_limit_mb / -malloc_limit_mb = preview_memory_mb, -timeout =
 * preview_timeout).  The seccomp filter is not loaded here: libFuzzer
 * itself opens files and uses signals and threads; the filter is proven by
 * tests/regress/test_preview.c instead.  Every answer must parse as the
 * api parses it.  Build: see Makefile.am (fuzz-smoke-preview).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "preview_render.h"
#include "preview_wire.h"

static uint8_t *answer;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if ((answer = malloc(PREVIEW_OUT_MAX)) == NULL || render_warm_up() != 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct render_out out = {answer, 0, PREVIEW_OUT_MAX};
	struct preview_result r;
	enum preview_status st;
	enum doc_kind kind = render_sniff(data, size);

	preview_wire_magic(render_out_put, &out);
	if (kind == DOC_PDF)
		st = render_pdf(data, size, PREVIEW_MAX_PAGES, &out);
	else if (kind == DOC_TIFF)
		st = render_tiff(data, size, PREVIEW_MAX_PAGES, &out);
	else
		st = PREVIEW_UNSUPPORTED;
	if (st != PREVIEW_OK) {
		out.len = 0;
		preview_wire_magic(render_out_put, &out);
	}
	if (preview_wire_end(render_out_put, &out, st) != 0)
		abort();
	if (preview_wire_parse(answer, out.len, &r) != PREVIEW_PARSE_OK || r.status != st)
		abort();
	return 0;
}
