/*
 * wire.h - the small wire formats rmail-sim reads and writes: HTML form
 * bodies (application/x-www-form-urlencoded), JSON with case-insensitive
 * member names, and the two date spellings the RMail API uses.
 *
 * Pure functions, no global state: safe from any thread, and fuzzed by
 * tests/fuzz/fuzz_rmail_sim_wire.c.
 */
#ifndef RMAIL_SIM_WIRE_H
#define RMAIL_SIM_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <json.h>

enum wire_form_result {
	WIRE_FORM_FOUND = 0,
	WIRE_FORM_ABSENT = -1,
	WIRE_FORM_MALFORMED = -2, /* bad %-escape, decoded NUL, or value longer than out */
};

/*
 * Looks up field `name` (compared case-insensitively after decoding) in a
 * form body of `len` bytes and writes its decoded value, NUL-terminated, to
 * out[outlen]. The first occurrence wins. Decoding follows the WHATWG URL
 * standard's application/x-www-form-urlencoded parser ('+' is a space,
 * %HH an octet), as OAuth 2.0 requires for the token request (RFC 6749,
 * 4.3.2 and Appendix B). On anything but WIRE_FORM_FOUND, out is "".
 */
enum wire_form_result wire_form_get(const char *body, size_t len, const char *name, char *out,
                                    size_t outlen);

/*
 * Parses exactly one JSON document of len bytes (nesting at most 32 deep,
 * nothing but whitespace after it). Returns a new object the caller frees
 * with json_object_put(), or NULL when the text is not JSON. A document that
 * is the literal `null` also yields NULL.
 */
json_object *wire_json_parse(const char *buf, size_t len);

/*
 * The member of `obj` whose name equals `name` ignoring ASCII case (the
 * RMail service binds JSON with ASP.NET, which matches names that way).
 * Borrowed reference: valid while obj lives. NULL when absent or when obj
 * is not an object.
 */
json_object *wire_json_get(json_object *obj, const char *name);

/* The string value of member `name`, borrowed; NULL when absent, null, or not a string. */
const char *wire_json_get_string(json_object *obj, const char *name);

/* "Tue, 26 Nov 2024 08:01:00 GMT": IMF-fixdate, RFC 7231 7.1.1.1 (was RFC 1123). */
void wire_format_http_date(time_t t, char *out, size_t outlen);

/* "2024-11-26T08:01:00Z": RFC 3339 in UTC. */
void wire_format_iso8601(time_t t, char *out, size_t outlen);

/*
 * Parses the RFC 3339 / ISO 8601 subset clients send for StartDate and
 * EndDate: YYYY-MM-DD, optionally followed by 'T' or ' ' and HH:MM[:SS[.f]],
 * optionally followed by 'Z' or +HH:MM / -HH:MM / +HHMM. No zone means UTC.
 * Returns 0 and sets *out, or -1 when s is not such a date.
 */
int wire_parse_datetime(const char *s, time_t *out);

/*
 * True when addr looks like a bare addr-spec "local@domain" (RFC 5321 4.1.2
 * shape, checked loosely): non-empty local part, a dotted domain of letters,
 * digits and hyphens, no spaces, angle brackets or second '@'.
 */
bool wire_email_plausible(const char *addr);

#endif
