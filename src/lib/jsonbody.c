/*
 * jsonbody.c - strict JSON object bodies (RFC 8259) with a field table.
 */
#include "jsonbody.h"

#include <stdio.h>
#include <string.h>

#define JSONBODY_MAX_DEPTH 8

enum jsonbody_err jsonbody_parse(const char *body, size_t len, struct json_object **out, char *msg,
                                 size_t msglen)
{
	struct json_tokener *tok;
	struct json_object *obj = NULL;
	enum jsonbody_err rc = JSONBODY_SYNTAX;

	*out = NULL;
	if (len > (size_t)0x7fffffff) {
		snprintf(msg, msglen, "body is too large");
		return rc;
	}
	if ((tok = json_tokener_new_ex(JSONBODY_MAX_DEPTH)) == NULL) {
		snprintf(msg, msglen, "out of memory");
		return rc;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, body, (int)len);
	if (json_tokener_get_error(tok) != json_tokener_success || obj == NULL) {
		snprintf(msg, msglen, "body is not valid JSON: %s",
		         json_tokener_error_desc(json_tokener_get_error(tok)));
		goto out;
	}
	/* Nothing but white space may follow the value. */
	for (size_t i = json_tokener_get_parse_end(tok); i < len; i++) {
		if (body[i] != ' ' && body[i] != '\t' && body[i] != '\r' && body[i] != '\n') {
			snprintf(msg, msglen, "body has bytes after the JSON value");
			goto out;
		}
	}
	if (!json_object_is_type(obj, json_type_object)) {
		snprintf(msg, msglen, "body must be a JSON object");
		goto out;
	}
	*out = obj;
	obj = NULL;
	rc = JSONBODY_OK;
out:
	json_object_put(obj);
	json_tokener_free(tok);
	return rc;
}

static const struct jsonbody_field *field_find(const struct jsonbody_field *fields, size_t n,
                                               const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(fields[i].name, name) == 0)
			return &fields[i];
	return NULL;
}

enum jsonbody_err jsonbody_check(struct json_object *obj, const struct jsonbody_field *fields,
                                 size_t n, char *field, size_t fieldlen, char *msg, size_t msglen)
{
	json_object_object_foreach(obj, key, val)
	{
		const struct jsonbody_field *f = field_find(fields, n, key);

		snprintf(field, fieldlen, "%s", key);
		if (f == NULL) {
			snprintf(msg, msglen, "unknown field \"%.64s\"", key);
			return JSONBODY_INVALID;
		}
		if (f->type == JF_BOOL && !json_object_is_type(val, json_type_boolean)) {
			snprintf(msg, msglen, "%s must be true or false", f->name);
			return JSONBODY_INVALID;
		}
		if (f->type == JF_STRING) {
			size_t len;
			if (!json_object_is_type(val, json_type_string)) {
				snprintf(msg, msglen, "%s must be a string", f->name);
				return JSONBODY_INVALID;
			}
			len = (size_t)json_object_get_string_len(val);
			if (len < f->min_len || len > f->max_len) {
				snprintf(msg, msglen, "%s must be %zu to %zu bytes long", f->name,
				         f->min_len, f->max_len);
				return JSONBODY_INVALID;
			}
			if (memchr(json_object_get_string(val), '\0', len) != NULL) {
				snprintf(msg, msglen, "%s must not contain NUL", f->name);
				return JSONBODY_INVALID;
			}
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (fields[i].required && !json_object_object_get_ex(obj, fields[i].name, NULL)) {
			snprintf(field, fieldlen, "%s", fields[i].name);
			snprintf(msg, msglen, "%s is required", fields[i].name);
			return JSONBODY_INVALID;
		}
	}
	field[0] = '\0';
	return JSONBODY_OK;
}

const char *jsonbody_string(struct json_object *obj, const char *key, const char *def)
{
	struct json_object *v;

	if (json_object_object_get_ex(obj, key, &v) && json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return def;
}

int jsonbody_bool(struct json_object *obj, const char *key, int def)
{
	struct json_object *v;

	if (json_object_object_get_ex(obj, key, &v) && json_object_is_type(v, json_type_boolean))
		return json_object_get_boolean(v);
	return def;
}
