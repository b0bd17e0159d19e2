/*
 * fuzz_rmail_sim_wire.c - fuzzes rmail-sim's untrusted-input codecs
 * (sim/rmail/wire.c): form bodies, JSON documents with case-insensitive
 * member lookup, RFC 3339 dates and address checks.
 *
 * The first byte picks the codec, the rest is its input. Build:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Isim/rmail \
 *     $(pkg-config --cflags json-c) tests/fuzz/fuzz_rmail_sim_wire.c sim/rmail/wire.c \
 *     $(pkg-config --libs json-c) -o fuzz_rmail_sim_wire
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

/* A NUL-terminated copy of the input, for the codecs that take C strings. */
static char *cstring(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		return NULL;
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

static void fuzz_form(const char *body, size_t len)
{
	static const char *const names[] = {"grant_type", "username", "password", "x"};
	char out[64];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		enum wire_form_result r = wire_form_get(body, len, names[i], out, sizeof(out));

		if (r != WIRE_FORM_FOUND && out[0] != '\0')
			abort(); /* the contract: out is "" unless found */
		if (strlen(out) >= sizeof(out))
			abort();
	}
}

static void fuzz_json(const char *buf, size_t len)
{
	json_object *o = wire_json_parse(buf, len);
	json_object *atts;

	if (!o)
		return;
	(void)wire_json_get_string(o, "to");
	atts = wire_json_get(o, "ATTACHMENTS");
	if (atts && json_object_is_type(atts, json_type_array))
		(void)json_object_array_length(atts);
	json_object_put(o);
}

static void fuzz_date(const char *s)
{
	time_t t;
	char back[40];

	if (wire_parse_datetime(s, &t) == 0) {
		wire_format_iso8601(t, back, sizeof(back));
		wire_format_http_date(t, back, sizeof(back));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size < 1)
		return 0;
	s = cstring(data + 1, size - 1);
	if (!s)
		return 0;
	switch (data[0] % 4) {
	case 0:
		fuzz_form(s, size - 1);
		break;
	case 1:
		fuzz_json(s, size - 1);
		break;
	case 2:
		fuzz_date(s);
		break;
	default:
		(void)wire_email_plausible(s);
		break;
	}
	free(s);
	return 0;
}
