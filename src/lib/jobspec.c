/*
 * jobspec.c - the job body's closed tables and their validator (see jobspec.h).
 *
 * Two kinds of table: the value lists of each enumerated setting, and the
 * keys of each JSON object level (kind, limits, default, where it lands in
 * struct jobspec).  The parser, the defaults and jobspec_to_json all walk the
 * same key tables, so a key added there is parsed, defaulted and stored
 * alike.  The mailbox syntax is mailbox.c's; the RMail Options mapping and
 * jobspec_join_addresses are rmail_options.c's.
 */
#include "jobspec.h"
#include "mailbox.h"
#include "utf8.h"

#include <json-c/json.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* Deepest legal body: {"scan": {...}} or {"to": [...]}; a little slack so
 * that a too-deep body reads as a type error rather than "not JSON". */
#define JOBSPEC_JSON_DEPTH 5

/* ---- value lists: {JSON value, Xerox template spelling} ------------------ */

struct choice {
	const char *json;
	const char *xrx;
};

/* DESIGN 3.1/3.3; spellings as Xerox's enum_sided, enum_resolution, ... */
static const struct choice sides_choices[] = {
    {"ONE_SIDED", "ONE_SIDED"},
    {"TWO_SIDED", "TWO_SIDED"},
    {"SECOND_SIDE_ROTATION", "SECOND_SIDE_ROTATION"},
};
static const struct choice resolution_choices[] = {
    {"RES_150X150", "RES_150X150"}, {"RES_200X200", "RES_200X200"}, {"RES_300X300", "RES_300X300"},
    {"RES_400X400", "RES_400X400"}, {"RES_600X600", "RES_600X600"},
};
static const struct choice color_choices[] = {
    {"AUTO", "AUTO"},
    {"BLACK_AND_WHITE", "BLACK_AND_WHITE"},
    {"GRAYSCALE", "GRAYSCALE"},
    {"FULL_COLOR", "FULL_COLOR"},
};
static const struct choice orientation_choices[] = {
    {"PORTRAIT", "PORTRAIT"},
    {"LANDSCAPE", "LANDSCAPE"},
};
static const struct choice original_size_choices[] = {
    {"AUTO", "AUTO"},
    {"NA_8.5x11LEF", "NA_8.5x11LEF"},
    {"NA_8.5x11SEF", "NA_8.5x11SEF"},
    {"NA_8.5x14SEF", "NA_8.5x14SEF"},
    {"ISO_A4LEF", "ISO_A4LEF"},
    {"ISO_A4SEF", "ISO_A4SEF"},
    {"ISO_A3SEF", "ISO_A3SEF"},
    {"ISO_A5LEF", "ISO_A5LEF"},
};
static const struct choice original_type_choices[] = {
    {"MIXED", "MIXED"},
    {"PHOTO", "PHOTO"},
    {"TEXT", "TEXT"},
    {"MAP", "MAP"},
    {"NEWSPAPER_AND_MAGAZINE", "NEWSPAPER_AND_MAGAZINE"},
};
static const struct choice format_choices[] = {
    [JOBSPEC_FORMAT_PDF] = {"PDF", "PDF"},
    [JOBSPEC_FORMAT_PDF_A_1B] = {"PDF/A-1b", "PDF/A-1b"},
    [JOBSPEC_FORMAT_TIFF_V6] = {"TIFF_V6", "TIFF_V6"},
    [JOBSPEC_FORMAT_XSM_TIFF_V6] = {"XSM_TIFF_V6", "XSM_TIFF_V6"},
};
/*
 * OCR languages.  Xerox's own EIP sample (scanTemplate.js) writes
 * SourceDocumentLanguages as a string holding an ISO 639-1 code ("en"), so
 * the JSON value and the spelling are the same code.  No "zh": see jobspec.h.
 */
static const struct choice language_choices[] = {
    {"en", "en"}, {"fr", "fr"}, {"de", "de"}, {"es", "es"}, {"it", "it"},
    {"nl", "nl"}, {"pt", "pt"}, {"sv", "sv"}, {"da", "da"}, {"no", "no"},
    {"fi", "fi"}, {"pl", "pl"}, {"cs", "cs"}, {"hu", "hu"}, {"ru", "ru"},
    {"tr", "tr"}, {"el", "el"}, {"ja", "ja"}, {"ko", "ko"},
};
/* The registered settings have no template spelling: they map to Options. */
static const struct choice encryption_choices[] = {
    [JOBSPEC_ENCRYPTION_OFF] = {"off", NULL},
    [JOBSPEC_ENCRYPTION_TLS_PREFERRED] = {"tls_preferred", NULL},
    [JOBSPEC_ENCRYPTION_ALWAYS_PDF] = {"always_pdf", NULL},
};
static const struct choice large_mail_choices[] = {
    [JOBSPEC_LARGE_MAIL_AUTO] = {"auto", NULL},
    [JOBSPEC_LARGE_MAIL_FORCE] = {"force", NULL},
};
/* The device family picks the template's filing lines (template.c); it
 * has no spelling of its own. */
static const struct choice family_choices[] = {
    [JOBSPEC_FAMILY_ALTALINK] = {"altalink", NULL},
    [JOBSPEC_FAMILY_VERSALINK] = {"versalink", NULL},
};

struct setting {
	const struct choice *rows;
	size_t n;
	const char *def; /* JSON value of the default */
};

#define SETTING(rows, def)                                                                         \
	{                                                                                          \
		rows, N_ELEMS(rows), def                                                           \
	}

/* Scan defaults are each list's first value except the resolution (3.1). */
static const struct setting settings[JOBSPEC_SETTING__MAX] = {
    [JOBSPEC_SIDES] = SETTING(sides_choices, "ONE_SIDED"),
    [JOBSPEC_RESOLUTION] = SETTING(resolution_choices, "RES_300X300"),
    [JOBSPEC_COLOR] = SETTING(color_choices, "AUTO"),
    [JOBSPEC_ORIENTATION] = SETTING(orientation_choices, "PORTRAIT"),
    [JOBSPEC_ORIGINAL_SIZE] = SETTING(original_size_choices, "AUTO"),
    [JOBSPEC_ORIGINAL_TYPE] = SETTING(original_type_choices, "MIXED"),
    [JOBSPEC_FORMAT] = SETTING(format_choices, "PDF"),
    [JOBSPEC_LANGUAGE] = SETTING(language_choices, "en"),
    [JOBSPEC_ENCRYPTION] = SETTING(encryption_choices, "tls_preferred"),
    [JOBSPEC_LARGE_MAIL] = SETTING(large_mail_choices, "auto"),
    [JOBSPEC_DEVICE_FAMILY] = SETTING(family_choices, "altalink"),
};

/* ---- key tables --------------------------------------------------------- */

enum key_kind { KEY_ADDRS, KEY_TEXT, KEY_BOOL, KEY_CHOICE, KEY_OBJECT };

/* What a string may hold beyond valid UTF-8 without controls. */
enum text_class {
	TEXT_LINE,  /* no control characters at all */
	TEXT_LINES, /* CR and LF allowed */
	TEXT_BODY,  /* CR, LF and TAB allowed */
	TEXT_ASCII, /* printable ASCII only, 0x20..0x7E */
};

struct key {
	const char *name;
	enum key_kind kind;
	size_t offset;            /* KEY_ADDRS, KEY_TEXT, KEY_BOOL: in struct jobspec */
	enum text_class text;     /* KEY_TEXT */
	size_t min, max;          /* KEY_TEXT: length in characters */
	const char *def_text;     /* KEY_TEXT */
	bool def_bool;            /* KEY_BOOL */
	bool required;            /* KEY_ADDRS: absent or empty is an error */
	enum jobspec_setting set; /* KEY_CHOICE */
	const struct key *sub;    /* KEY_OBJECT */
	size_t nsub;
};

#define AT(f) offsetof(struct jobspec, f)
#define ADDRS(n, f, req)                                                                           \
	{                                                                                          \
		.name = n, .kind = KEY_ADDRS, .offset = AT(f), .required = req                     \
	}
#define TEXT(n, f, cls, lo, hi, def)                                                               \
	{                                                                                          \
		.name = n, .kind = KEY_TEXT, .offset = AT(f), .text = cls, .min = lo, .max = hi,   \
		.def_text = def                                                                    \
	}
#define BOOL(n, f, def)                                                                            \
	{                                                                                          \
		.name = n, .kind = KEY_BOOL, .offset = AT(f), .def_bool = def                      \
	}
#define CHOICE(n, s)                                                                               \
	{                                                                                          \
		.name = n, .kind = KEY_CHOICE, .set = s                                            \
	}
#define OBJECT(n, keys)                                                                            \
	{                                                                                          \
		.name = n, .kind = KEY_OBJECT, .sub = keys, .nsub = N_ELEMS(keys)                  \
	}

/* Lengths are characters (code points); DESIGN 3.1 gives the defaults. */
static const struct key registered_keys[] = {
    BOOL("marked", registered.marked, true),
    CHOICE("encryption", JOBSPEC_ENCRYPTION),
    BOOL("esign", registered.esign, false),
    TEXT("sidenote", registered.sidenote, TEXT_LINES, 0, 1000, ""),
    BOOL("sidenote_cc", registered.sidenote_cc, false),
    BOOL("sidenote_bcc", registered.sidenote_bcc, false),
    CHOICE("large_mail", JOBSPEC_LARGE_MAIL),
    TEXT("reference", registered.reference, TEXT_ASCII, 0, 100, ""),
};

static const struct key scan_keys[] = {
    CHOICE("sides", JOBSPEC_SIDES),
    CHOICE("resolution", JOBSPEC_RESOLUTION),
    CHOICE("color", JOBSPEC_COLOR),
    CHOICE("orientation", JOBSPEC_ORIENTATION),
    CHOICE("original_size", JOBSPEC_ORIGINAL_SIZE),
    CHOICE("original_type", JOBSPEC_ORIGINAL_TYPE),
    CHOICE("format", JOBSPEC_FORMAT),
    BOOL("searchable", scan.searchable, false),
    CHOICE("language", JOBSPEC_LANGUAGE),
    TEXT("file_name", scan.file_name, TEXT_LINE, 1, 64, "Scan"),
};

static const struct key device_keys[] = {
    CHOICE("family", JOBSPEC_DEVICE_FAMILY),
};

/* Parse order is table order: recipients are counted to, cc, bcc. */
static const struct key top_keys[] = {
    ADDRS("to", to, true),
    ADDRS("cc", cc, false),
    ADDRS("bcc", bcc, false),
    TEXT("subject", subject, TEXT_LINE, 0, 255, ""),
    TEXT("body", body, TEXT_BODY, 0, 10000, ""),
    OBJECT("registered", registered_keys),
    OBJECT("scan", scan_keys),
    OBJECT("device", device_keys),
    /* The administrator's policy (policy.h): the person asks for a copy to
     * their own RMail address (the server adds it, never this body), and
     * confirms recipients outside the allowed domains. */
    BOOL("copy_to_me", copy_to_me, false),
    BOOL("confirm_outside_domains", confirm_outside_domains, false),
};

static char **text_at(struct jobspec *js, const struct key *k)
{
	return (char **)((char *)js + k->offset);
}

static bool *bool_at(struct jobspec *js, const struct key *k)
{
	return (bool *)((char *)js + k->offset);
}

static struct jobspec_addrs *addrs_at(struct jobspec *js, const struct key *k)
{
	return (struct jobspec_addrs *)((char *)js + k->offset);
}

/* ---- errors ------------------------------------------------------------- */

static const char *const err_codes[] = {
    [JOBSPEC_OK] = "ok",
    [JOBSPEC_ERR_JSON] = "invalid_json",
    [JOBSPEC_ERR_UNKNOWN_KEY] = "unknown_field",
    [JOBSPEC_ERR_TYPE] = "wrong_type",
    [JOBSPEC_ERR_MISSING] = "missing_field",
    [JOBSPEC_ERR_VALUE] = "invalid_value",
    [JOBSPEC_ERR_TOO_MANY] = "too_many_recipients",
    [JOBSPEC_ERR_NOMEM] = "out_of_memory",
};

const char *jobspec_err_code(enum jobspec_err e)
{
	if ((size_t)e >= N_ELEMS(err_codes))
		return "unknown_error";
	return err_codes[e];
}

/* The context of one parse: where the error detail goes and the running
 * recipient count. */
struct parse {
	struct jobspec_error *err;
	size_t recipients;
};

/* Every caller passes a literal fmt with at most one %s for arg. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static enum jobspec_err fail(struct parse *p, enum jobspec_err e, const char *field,
                             const char *fmt, const char *arg)
{
	if (p->err) {
		snprintf(p->err->field, sizeof(p->err->field), "%s", field);
		snprintf(p->err->message, sizeof(p->err->message), fmt, arg);
	}
	return e;
}
#pragma GCC diagnostic pop

/* prefix + name, e.g. "scan" + "resolution" -> "scan.resolution". */
static void field_name(char *out, size_t outlen, const char *prefix, const char *name)
{
	snprintf(out, outlen, "%s%s%s", prefix, *prefix ? "." : "", name);
}

/* A client-chosen key, made harmless to log and show: at most 32 chars of
 * [A-Za-z0-9_-], others as '?'. */
static void key_for_display(char *out, size_t outlen, const char *key)
{
	size_t i;

	for (i = 0; key[i] != '\0' && i < 32 && i + 1 < outlen; i++) {
		unsigned char c = (unsigned char)key[i];
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		         (c >= '0' && c <= '9') || c == '_' || c == '-';
		out[i] = ok ? (char)c : '?';
	}
	out[i] = '\0';
}

/* ---- text --------------------------------------------------------------- */

/* Whether code point c may appear in a string of class tc.  Controls are
 * C0, DEL and C1 (U+0080..U+009F). */
static bool text_allows(enum text_class tc, uint32_t c)
{
	if (tc == TEXT_ASCII)
		return c >= 0x20 && c <= 0x7E;
	if (c == '\r' || c == '\n')
		return tc == TEXT_LINES || tc == TEXT_BODY;
	if (c == '\t')
		return tc == TEXT_BODY;
	return !(c < 0x20 || (c >= 0x7F && c <= 0x9F));
}

static const char text_too_long[] = "is too long";

/* Returns NULL when s (len bytes) is fit for class tc within [min, max]
 * characters, else a static reason. */
static const char *text_check(const char *s, size_t len, enum text_class tc, size_t min, size_t max)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, chars = 0, n;
	uint32_t cp;

	while (i < len) {
		n = utf8_decode(u + i, len - i, &cp); /* utf8.h */
		if (n == 0)
			return "is not valid UTF-8";
		if (!text_allows(tc, cp))
			return tc == TEXT_ASCII ? "may hold only printable ASCII characters"
			                        : "holds a control character";
		i += n;
		if (++chars > max)
			return text_too_long;
	}
	if (chars < min)
		return "must not be empty";
	return NULL;
}

static char *dup_bytes(const char *s, size_t len)
{
	char *d = malloc(len + 1);

	if (d) {
		memcpy(d, s, len);
		d[len] = '\0';
	}
	return d;
}

/* ---- addresses ---------------------------------------------------------- */

int jobspec_check_address(const char *addr, size_t len, const char **why)
{
	return mailbox_check(addr, len, why);
}

static bool same_address(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

/* Where addr already appears in the lists parsed so far, or NULL. */
static const char *find_duplicate(const struct jobspec *js, const char *addr, char *where,
                                  size_t wherelen)
{
	const struct jobspec_addrs *lists[] = {&js->to, &js->cc, &js->bcc};
	static const char *const names[] = {"to", "cc", "bcc"};
	size_t l, i;

	for (l = 0; l < N_ELEMS(lists); l++) {
		for (i = 0; i < lists[l]->n; i++) {
			if (same_address(lists[l]->addr[i], addr)) {
				snprintf(where, wherelen, "%s[%zu]", names[l], i);
				return where;
			}
		}
	}
	return NULL;
}

/* ---- one value per kind ------------------------------------------------- */

static enum jobspec_err parse_object(struct parse *p, struct json_object *obj,
                                     const struct key *keys, size_t nkeys, const char *prefix,
                                     struct jobspec *out);

static enum jobspec_err parse_addrs(struct parse *p, struct json_object *v, const struct key *k,
                                    const char *field, struct jobspec *out)
{
	struct jobspec_addrs *list = addrs_at(out, k);
	char elem[JOBSPEC_FIELD_MAX], dup[JOBSPEC_FIELD_MAX];
	const char *why;
	size_t n, i, len;

	if (!json_object_is_type(v, json_type_array))
		return fail(p, JOBSPEC_ERR_TYPE, field, "must be an array of %s", "addresses");
	n = json_object_array_length(v);
	if (n == 0 && k->required)
		return fail(p, JOBSPEC_ERR_MISSING, field, "must list at least one %s", "address");
	if (n > JOBSPEC_MAX_RECIPIENTS)
		n = JOBSPEC_MAX_RECIPIENTS + 1; /* enough to name the first one too many */
	list->addr = calloc(n ? n : 1, sizeof(*list->addr));
	if (!list->addr)
		return fail(p, JOBSPEC_ERR_NOMEM, field, "%s", "out of memory");
	for (i = 0; i < n; i++) {
		struct json_object *a = json_object_array_get_idx(v, i);
		const char *s;

		if (snprintf(elem, sizeof(elem), "%s[%zu]", field, i) >= (int)sizeof(elem))
			elem[0] = '\0'; /* cannot happen with the key tables' short names */
		if (++p->recipients > JOBSPEC_MAX_RECIPIENTS)
			return fail(p, JOBSPEC_ERR_TOO_MANY, elem,
			            "at most %s recipients in to, cc and bcc together", "50");
		if (!json_object_is_type(a, json_type_string))
			return fail(p, JOBSPEC_ERR_TYPE, elem, "must be a %s", "string");
		s = json_object_get_string(a);
		len = (size_t)json_object_get_string_len(a);
		if (mailbox_check(s, len, &why) != 0)
			return fail(p, JOBSPEC_ERR_VALUE, elem, "is not a valid address: it %s",
			            why);
		if (find_duplicate(out, s, dup, sizeof(dup)))
			return fail(p, JOBSPEC_ERR_VALUE, elem, "repeats the address of %s", dup);
		list->addr[i] = dup_bytes(s, len);
		if (!list->addr[i])
			return fail(p, JOBSPEC_ERR_NOMEM, elem, "%s", "out of memory");
		list->n = i + 1;
	}
	return JOBSPEC_OK;
}

static enum jobspec_err parse_text(struct parse *p, struct json_object *v, const struct key *k,
                                   const char *field, struct jobspec *out)
{
	char **slot = text_at(out, k);
	char limit[96];
	const char *s, *why;
	size_t len;
	char *copy;

	if (!json_object_is_type(v, json_type_string))
		return fail(p, JOBSPEC_ERR_TYPE, field, "must be a %s", "string");
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	why = text_check(s, len, k->text, k->min, k->max);
	if (why == text_too_long) {
		snprintf(limit, sizeof(limit), "is longer than %zu characters", k->max);
		why = limit;
	}
	if (why)
		return fail(p, JOBSPEC_ERR_VALUE, field, "%s", why);
	copy = dup_bytes(s, len);
	if (!copy)
		return fail(p, JOBSPEC_ERR_NOMEM, field, "%s", "out of memory");
	free(*slot);
	*slot = copy;
	return JOBSPEC_OK;
}

static enum jobspec_err parse_choice(struct parse *p, struct json_object *v, const struct key *k,
                                     const char *field, struct jobspec *out)
{
	const struct setting *st = &settings[k->set];
	char list[JOBSPEC_MESSAGE_MAX - 16]; /* room for "must be one of " */
	size_t i, used = 0;
	const char *s;

	if (json_object_is_type(v, json_type_string)) {
		s = json_object_get_string(v);
		for (i = 0; i < st->n; i++) {
			/* strlen too: a "PDF\u0000x" must not match "PDF" */
			if (strcmp(s, st->rows[i].json) == 0 &&
			    (size_t)json_object_get_string_len(v) == strlen(s)) {
				out->choice[k->set] = (unsigned)i;
				return JOBSPEC_OK;
			}
		}
	}
	for (i = 0; i < st->n && used < sizeof(list); i++) {
		int w = snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "",
		                 st->rows[i].json);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	return fail(p,
	            json_object_is_type(v, json_type_string) ? JOBSPEC_ERR_VALUE : JOBSPEC_ERR_TYPE,
	            field, "must be one of %s", list);
}

static enum jobspec_err parse_value(struct parse *p, struct json_object *v, const struct key *k,
                                    const char *field, struct jobspec *out)
{
	switch (k->kind) {
	case KEY_ADDRS:
		return parse_addrs(p, v, k, field, out);
	case KEY_TEXT:
		return parse_text(p, v, k, field, out);
	case KEY_CHOICE:
		return parse_choice(p, v, k, field, out);
	case KEY_BOOL:
		if (!json_object_is_type(v, json_type_boolean))
			return fail(p, JOBSPEC_ERR_TYPE, field, "must be %s", "true or false");
		*bool_at(out, k) = json_object_get_boolean(v);
		return JOBSPEC_OK;
	case KEY_OBJECT:
		if (!json_object_is_type(v, json_type_object))
			return fail(p, JOBSPEC_ERR_TYPE, field, "must be an %s", "object");
		return parse_object(p, v, k->sub, k->nsub, field, out);
	}
	return fail(p, JOBSPEC_ERR_VALUE, field, "%s", "is not expected");
}

static const struct key *find_key(const struct key *keys, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/* Unknown keys first (the first in document order), then each known key in
 * table order. */
static enum jobspec_err parse_object(struct parse *p, struct json_object *obj,
                                     const struct key *keys, size_t nkeys, const char *prefix,
                                     struct jobspec *out)
{
	char field[JOBSPEC_FIELD_MAX], shown[40];
	enum jobspec_err e;
	size_t i;

	json_object_object_foreach(obj, name, val)
	{
		(void)val;
		if (!find_key(keys, nkeys, name)) {
			key_for_display(shown, sizeof(shown), name);
			field_name(field, sizeof(field), prefix, shown);
			return fail(p, JOBSPEC_ERR_UNKNOWN_KEY, field, "%s",
			            "is not a known field");
		}
	}
	for (i = 0; i < nkeys; i++) {
		struct json_object *v;

		field_name(field, sizeof(field), prefix, keys[i].name);
		if (!json_object_object_get_ex(obj, keys[i].name, &v)) {
			if (keys[i].required)
				return fail(p, JOBSPEC_ERR_MISSING, field, "%s", "is required");
			continue;
		}
		e = parse_value(p, v, &keys[i], field, out);
		if (e != JOBSPEC_OK)
			return e;
	}
	return JOBSPEC_OK;
}

/* ---- defaults, whole-body rules ----------------------------------------- */

static unsigned choice_index(enum jobspec_setting s, const char *json)
{
	size_t i;

	for (i = 0; i < settings[s].n; i++)
		if (strcmp(settings[s].rows[i].json, json) == 0)
			return (unsigned)i;
	return 0; /* unreachable with the tables above; the unit test pins each default */
}

static int set_defaults(const struct key *keys, size_t n, struct jobspec *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct key *k = &keys[i];

		switch (k->kind) {
		case KEY_TEXT:
			*text_at(out, k) = dup_bytes(k->def_text, strlen(k->def_text));
			if (!*text_at(out, k))
				return -1;
			break;
		case KEY_BOOL:
			*bool_at(out, k) = k->def_bool;
			break;
		case KEY_CHOICE:
			out->choice[k->set] = choice_index(k->set, settings[k->set].def);
			break;
		case KEY_OBJECT:
			if (set_defaults(k->sub, k->nsub, out) != 0)
				return -1;
			break;
		case KEY_ADDRS:
			break;
		}
	}
	return 0;
}

static bool format_is_pdf(const struct jobspec *js)
{
	return js->choice[JOBSPEC_FORMAT] == JOBSPEC_FORMAT_PDF ||
	       js->choice[JOBSPEC_FORMAT] == JOBSPEC_FORMAT_PDF_A_1B;
}

/* The default of registered.encryption follows registered.marked: unmarked
 * mail cannot be encrypted (rmail_options.c). */
static void default_encryption(struct json_object *obj, struct jobspec *out)
{
	struct json_object *reg = NULL, *enc = NULL;

	if (!out->registered.marked && !(json_object_object_get_ex(obj, "registered", &reg) &&
	                                 json_object_object_get_ex(reg, "encryption", &enc)))
		out->choice[JOBSPEC_ENCRYPTION] = JOBSPEC_ENCRYPTION_OFF;
}

/* The registered settings RMail's add-on never combines (rmail_options.c). */
static enum jobspec_err check_combinations(struct parse *p, const struct jobspec *js)
{
	const char *field, *why = jobspec_registered_refusal(js, &field);

	return why ? fail(p, JOBSPEC_ERR_VALUE, field, "%s", why) : JOBSPEC_OK;
}

enum jobspec_err jobspec_from_json(struct json_object *obj, struct jobspec *out,
                                   struct jobspec_error *err)
{
	struct parse p = {.err = err};
	enum jobspec_err e;

	memset(out, 0, sizeof(*out));
	if (err)
		memset(err, 0, sizeof(*err));
	if (!json_object_is_type(obj, json_type_object))
		return fail(&p, JOBSPEC_ERR_JSON, "", "the body must be a JSON %s", "object");
	if (set_defaults(top_keys, N_ELEMS(top_keys), out) != 0) {
		e = fail(&p, JOBSPEC_ERR_NOMEM, "", "%s", "out of memory");
		goto out;
	}
	e = parse_object(&p, obj, top_keys, N_ELEMS(top_keys), "", out);
	/* DESIGN 3.1: OCR exists only for the PDF formats. */
	if (e == JOBSPEC_OK && out->scan.searchable && !format_is_pdf(out))
		e = fail(&p, JOBSPEC_ERR_VALUE, "scan.searchable",
		         "may be true only with format %s", "PDF or PDF/A-1b");
	if (e == JOBSPEC_OK) {
		default_encryption(obj, out);
		e = check_combinations(&p, out);
	}
out:
	if (e != JOBSPEC_OK)
		jobspec_free(out);
	return e;
}

enum jobspec_err jobspec_parse(const char *body, size_t len, struct jobspec *out,
                               struct jobspec_error *err)
{
	struct parse p = {.err = err};
	struct json_tokener *tok;
	struct json_object *obj;
	enum jobspec_err e;
	size_t end;

	memset(out, 0, sizeof(*out));
	if (err)
		memset(err, 0, sizeof(*err));
	if (len == 0 || len > INT_MAX)
		return fail(&p, JOBSPEC_ERR_JSON, "", "the body must be a JSON %s", "object");
	tok = json_tokener_new_ex(JOBSPEC_JSON_DEPTH);
	if (!tok)
		return fail(&p, JOBSPEC_ERR_NOMEM, "", "%s", "out of memory");
	/* RFC 8259 only: no comments, single quotes or trailing commas; UTF-8. */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, body, (int)len);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	/* Only whitespace (RFC 8259 2) may follow the object. */
	while (obj && end < len && body[end] != '\0' && strchr(" \t\r\n", body[end]))
		end++;
	if (!obj || end != len) {
		json_object_put(obj);
		return fail(&p, JOBSPEC_ERR_JSON, "", "the body must be one JSON %s", "object");
	}
	e = jobspec_from_json(obj, out, err);
	json_object_put(obj);
	return e;
}

static void addrs_free(struct jobspec_addrs *list)
{
	size_t i;

	for (i = 0; i < list->n; i++)
		free(list->addr[i]);
	free(list->addr);
}

void jobspec_free(struct jobspec *js)
{
	if (!js)
		return;
	addrs_free(&js->to);
	addrs_free(&js->cc);
	addrs_free(&js->bcc);
	free(js->subject);
	free(js->body);
	free(js->registered.sidenote);
	free(js->registered.reference);
	free(js->scan.file_name);
	memset(js, 0, sizeof(*js));
}

/* ---- back to JSON ------------------------------------------------------- */

static struct json_object *value_to_json(const struct jobspec *js, const struct key *k);

static struct json_object *object_to_json(const struct jobspec *js, const struct key *keys,
                                          size_t n)
{
	struct json_object *obj = json_object_new_object();
	size_t i;

	for (i = 0; obj && i < n; i++) {
		struct json_object *v = value_to_json(js, &keys[i]);

		if (!v || json_object_object_add(obj, keys[i].name, v) != 0) {
			json_object_put(v);
			json_object_put(obj);
			return NULL;
		}
	}
	return obj;
}

static struct json_object *value_to_json(const struct jobspec *js, const struct key *k)
{
	/* The offset accessors take a non-const jobspec; nothing is written. */
	struct jobspec *m = (struct jobspec *)js;
	struct json_object *arr;
	const char *s;
	size_t i;

	switch (k->kind) {
	case KEY_ADDRS:
		arr = json_object_new_array();
		for (i = 0; arr && i < addrs_at(m, k)->n; i++) {
			struct json_object *a = json_object_new_string(addrs_at(m, k)->addr[i]);

			if (!a || json_object_array_add(arr, a) != 0) {
				json_object_put(a);
				json_object_put(arr);
				return NULL;
			}
		}
		return arr;
	case KEY_TEXT:
		s = *text_at(m, k);
		return json_object_new_string(s ? s : k->def_text);
	case KEY_BOOL:
		return json_object_new_boolean(*bool_at(m, k));
	case KEY_CHOICE:
		s = jobspec_choice_json(k->set, js->choice[k->set]);
		return s ? json_object_new_string(s) : NULL;
	case KEY_OBJECT:
		return object_to_json(js, k->sub, k->nsub);
	}
	return NULL;
}

struct json_object *jobspec_to_json(const struct jobspec *js)
{
	return object_to_json(js, top_keys, N_ELEMS(top_keys));
}

/* ---- table access ------------------------------------------------------- */

size_t jobspec_choice_count(enum jobspec_setting s)
{
	return (unsigned)s < JOBSPEC_SETTING__MAX ? settings[s].n : 0;
}

const char *jobspec_choice_json(enum jobspec_setting s, unsigned v)
{
	return v < jobspec_choice_count(s) ? settings[s].rows[v].json : NULL;
}

const char *jobspec_choice_spelling(enum jobspec_setting s, unsigned v)
{
	return v < jobspec_choice_count(s) ? settings[s].rows[v].xrx : NULL;
}
