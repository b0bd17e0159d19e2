/* fuzz_jsonbody.c - the sign-in body: strict JSON plus the field table. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonbody.h"

static const struct jsonbody_field fields[] = {
    {"username", JF_STRING, 1, 1, 254},
    {"password", JF_STRING, 1, 1, 1024},
    {"remember", JF_BOOL, 0, 0, 0},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object *o = NULL;
	char field[80], msg[200];

	if (jsonbody_parse((const char *)data, size, &o, msg, sizeof(msg)) != JSONBODY_OK)
		return 0;
	if (!json_object_is_type(o, json_type_object))
		abort(); /* parse promised an object */
	if (jsonbody_check(o, fields, 3, field, sizeof(field), msg, sizeof(msg)) == JSONBODY_OK) {
		const char *u = jsonbody_string(o, "username", NULL);
		if (u == NULL || strlen(u) < 1 || strlen(u) > 254)
			abort(); /* the table's bounds must hold after a pass */
	}
	json_object_put(o);
	return 0;
}
