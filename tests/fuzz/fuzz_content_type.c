/*
 * fuzz_content_type.c - the Content-Type header of a scan upload, where
 * src/lib/multipart.c takes the boundary from (RFC 9110 8.3, RFC 2046
 * 5.1.1): the input up to its first NUL is the header value, the rest a
 * body fed to the parser made from it.
 *
 * Oracles: a parser is made only for multipart/form-data (any case, after
 * optional white space) with a boundary parameter, and a body of a part
 * between the delimiters that value names never breaks the parser.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "multipart.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int nop_begin(void *arg, const char *name, const char *filename, const char *ctype)
{
	(void)arg;
	(void)filename;
	(void)ctype;
	if (!name || !name[0])
		abort();
	return 0;
}

static int nop_data(void *arg, const uint8_t *d, size_t len)
{
	(void)arg;
	(void)d;
	if (len == 0)
		abort();
	return 0;
}

static int nop_end(void *arg)
{
	(void)arg;
	return 0;
}

static int has_word(const char *s, const char *w)
{
	size_t n = strlen(w);

	for (; *s; s++)
		if (strncasecmp(s, w, n) == 0)
			return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct mp_callbacks cb = {nop_begin, nop_data, nop_end};
	char *ct = malloc(size + 1);
	const char *s;
	struct mp_parser *p = NULL;
	size_t ctlen;

	if (!ct)
		return 0;
	memcpy(ct, data, size);
	ct[size] = '\0';
	ctlen = strlen(ct);
	if (mp_parser_new(ct, &cb, NULL, &p) == MP_OK) {
		for (s = ct; *s == ' ' || *s == '\t'; s++)
			;
		if (!p || strncasecmp(s, "multipart/form-data", 19) != 0 ||
		    !has_word(s, "boundary"))
			abort();
		if (ctlen < size) {
			(void)mp_parser_feed(p, data + ctlen + 1, size - ctlen - 1);
			(void)mp_parser_finish(p);
		}
		mp_parser_free(p);
	} else if (p != NULL) {
		abort();
	}
	free(ct);
	return 0;
}
