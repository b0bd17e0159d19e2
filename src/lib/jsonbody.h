/*
 * jsonbody.h - parse a request body as one JSON object and check it against
 * a table of fields (name, type, required, length bounds).  Unknown keys are
 * refused, never ignored (STYLE: undeclared parameters are not half-trusted).
 */
#ifndef SCANPOST_JSONBODY_H
#define SCANPOST_JSONBODY_H

#include <json-c/json.h>
#include <stddef.h>

enum jf_type { JF_STRING, JF_BOOL };

struct jsonbody_field {
	const char *name;
	enum jf_type type;
	int required;
	size_t min_len, max_len; /* JF_STRING: bytes */
};

enum jsonbody_err {
	JSONBODY_OK = 0,
	JSONBODY_SYNTAX,  /* not JSON, trailing bytes, bad UTF-8, too deep */
	JSONBODY_INVALID, /* a field is wrong; field and message say which */
};

/* Parses body (len bytes, need not be NUL-terminated).  On JSONBODY_OK *out
 * is the object, which the caller releases with json_object_put. */
enum jsonbody_err jsonbody_parse(const char *body, size_t len, struct json_object **out, char *msg,
                                 size_t msglen);

/* Checks obj against fields[0..n).  On failure names the field in field and
 * says what is wrong in msg. */
enum jsonbody_err jsonbody_check(struct json_object *obj, const struct jsonbody_field *fields,
                                 size_t n, char *field, size_t fieldlen, char *msg, size_t msglen);

/* The string value of key, or def when absent. */
const char *jsonbody_string(struct json_object *obj, const char *key, const char *def);
int jsonbody_bool(struct json_object *obj, const char *key, int def);

#endif
