/*
 * fuzz_multipart.c - libFuzzer target for src/lib/multipart.c.
 *
 * The first input byte picks where the rest is cut into two feeds (so
 * delimiters and headers get split at every place); the rest is the body,
 * under a fixed Content-Type.  Besides memory errors, it aborts when the
 * parser breaks a promise of multipart.h: callbacks out of order, an empty
 * name, empty data, more bytes held back than the documented bounds, content
 * larger than the input, or finish succeeding without a close delimiter.
 */
#include "multipart.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CT       "multipart/form-data; boundary=\"XrxB0und 4f2a\""
#define FUZZ_BOUNDARY "XrxB0und 4f2a"

struct fuzz_state {
	int open;
	size_t content; /* part bytes delivered */
	size_t strings;
	unsigned begins;
};

static int fz_begin(void *arg, const char *name, const char *filename, const char *ctype)
{
	struct fuzz_state *s = arg;

	if (s->open || !name || name[0] == '\0')
		abort();
	/* Read every string to its NUL, so ASan sees a missing terminator. */
	s->strings +=
	    strlen(name) + (filename ? strlen(filename) : 0) + (ctype ? strlen(ctype) : 0);
	s->open = 1;
	s->begins++;
	return 0;
}

static int fz_data(void *arg, const uint8_t *data, size_t len)
{
	struct fuzz_state *s = arg;
	volatile uint8_t sink = 0;
	size_t i;

	if (!s->open || len == 0)
		abort();
	for (i = 0; i < len; i++)
		sink ^= data[i];
	(void)sink;
	s->content += len;
	return 0;
}

static int fz_end(void *arg)
{
	struct fuzz_state *s = arg;

	if (!s->open)
		abort();
	s->open = 0;
	return 0;
}

static int contains(const uint8_t *hay, size_t n, const char *needle)
{
	size_t k = strlen(needle), i;

	for (i = 0; i + k <= n; i++)
		if (memcmp(hay + i, needle, k) == 0)
			return 1;
	return 0;
}

static void check_bounds(const struct mp_parser *p)
{
	if (mp_parser_buffered(p) > MP_HEADER_MAX)
		abort();
	if (mp_parser_parts(p) > MP_PARTS_MAX + 1)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct mp_callbacks cb = {fz_begin, fz_data, fz_end};
	struct fuzz_state s = {0};
	struct mp_parser *p;
	size_t cut;
	enum mp_err e;

	if (size == 0)
		return 0;
	cut = (size_t)data[0] * (size - 1) / 255;
	data++;
	size--;
	if (mp_parser_new(FUZZ_CT, &cb, &s, &p) != MP_OK)
		abort();
	e = mp_parser_feed(p, data, cut);
	check_bounds(p);
	if (e == MP_OK) {
		e = mp_parser_feed(p, data + cut, size - cut);
		check_bounds(p);
	}
	if (s.content > size || s.begins > MP_PARTS_MAX)
		abort();
	if (mp_parser_finish(p) == MP_OK) {
		/* A close delimiter must be in the input. */
		if (s.open || !contains(data, size, "--" FUZZ_BOUNDARY "--"))
			abort();
	}
	mp_parser_free(p);
	return 0;
}
