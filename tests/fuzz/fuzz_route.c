/*
 * fuzz_route.c - the request path as scanpost-api reads it: the route
 * matcher (cgi/routes.c) and the text codecs its captures go through
 * (src/lib/codec.c: a job id is a UUID, an upload token base64url, a key
 * file hex).
 *
 * Input: the method up to the first NUL, the path after it.  Oracles: a
 * found route's captures are 1..ROUTE_PARAM_MAX characters of
 * [A-Za-z0-9_-] and the route is its id's; the decoders accept exactly one
 * text per value (what they decode encodes back to the same text, up to
 * the case of hex digits).
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "routes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_param(const char *p)
{
	size_t n = strlen(p);

	if (n == 0 || n > ROUTE_PARAM_MAX)
		abort();
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)p[i]) && p[i] != '-' && p[i] != '_')
			abort();
}

static void check_uuid(const char *text)
{
	uint8_t bin[16];
	char back[UUID_STR_LEN];

	if (uuid_parse(text, bin) != 0)
		return;
	uuid_format(bin, back);
	for (size_t i = 0; i < UUID_STR_LEN; i++)
		if (back[i] != tolower((unsigned char)text[i]))
			abort();
}

/* The token of an upload path is 32 bytes; other lengths too, for the codec. */
static void check_b64(const char *text)
{
	size_t len = strlen(text), n = len * 3 / 4;
	uint8_t *bin = malloc(n + 1);
	char *back = malloc(B64URL_LEN(n) + 1);

	if (!bin || !back)
		abort();
	if (b64url_decode(text, bin, n) == 0) {
		b64url_encode(bin, n, back);
		if (strcmp(back, text) != 0)
			abort();
	}
	free(bin);
	free(back);
}

static void check_hex(const char *text)
{
	size_t n = strlen(text) / 2;
	uint8_t *bin = malloc(n + 1);
	char *back = malloc(2 * n + 1);

	if (!bin || !back)
		abort();
	if (hex_decode(text, bin, n) == 0) {
		hex_encode(bin, n, back);
		for (size_t i = 0; i < 2 * n; i++)
			if (back[i] != tolower((unsigned char)text[i]))
				abort();
	} else {
		for (size_t i = 0; i < n; i++)
			if (bin[i] != 0)
				abort(); /* "On failure out is zeroed." */
	}
	free(bin);
	free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 2);
	char params[ROUTE_PARAMS][ROUTE_PARAM_MAX + 1];
	const struct route *rt = NULL;
	const char *method, *path;
	int np = 0;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = buf[size + 1] = '\0';
	method = buf;
	path = buf + strlen(buf) + 1;
	memset(params, 0, sizeof(params));
	switch (route_find(method, path, &rt, params)) {
	case ROUTE_FOUND:
		if (!rt || route_by_id(rt->id) != rt || strcmp(rt->method, method) != 0)
			abort();
		/* one capture per {name} of the pattern, in order */
		for (const char *p = rt->pattern; (p = strchr(p, '{')) != NULL; p++)
			check_param(params[np++]);
		check_uuid(params[0]);
		check_b64(params[1]);
		break;
	case ROUTE_NO_PATH:
	case ROUTE_NO_METHOD:
		break;
	default:
		abort();
	}
	check_uuid(path);
	check_b64(path);
	check_hex(path);
	free(buf);
	return 0;
}
