/*
 * test_jobspec.c - the job body's rules (DESIGN 3.1) and the RMail Options
 * mapping (DESIGN 3.2).  Links src/lib/jobspec.c only.
 */
#include <CUnit/Basic.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobspec.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static enum jobspec_err parse(const char *json, struct jobspec *js, struct jobspec_error *err)
{
	return jobspec_parse(json, strlen(json), js, err);
}

/* Parses json expecting failure e on field; frees whatever it got. */
static void expect_error(const char *json, enum jobspec_err e, const char *field)
{
	struct jobspec js;
	struct jobspec_error err;
	enum jobspec_err got = parse(json, &js, &err);

	CU_ASSERT_EQUAL(got, e);
	CU_ASSERT_STRING_EQUAL(err.field, field);
	CU_ASSERT(err.message[0] != '\0');
	if (got != e || strcmp(err.field, field) != 0)
		fprintf(stderr, "\n  body %.120s\n  got %d field '%s' (%s)\n", json, got, err.field,
		        err.message);
	jobspec_free(&js);
}

static void expect_ok(const char *json, struct jobspec *js)
{
	struct jobspec_error err;
	enum jobspec_err got = parse(json, js, &err);

	CU_ASSERT_EQUAL(got, JOBSPEC_OK);
	if (got != JOBSPEC_OK)
		fprintf(stderr, "\n  body %.120s\n  got %d field '%s' (%s)\n", json, got, err.field,
		        err.message);
}

/* A string of n copies of unit (a UTF-8 sequence), malloc'd. */
static char *repeat(const char *unit, size_t n)
{
	size_t ul = strlen(unit), i;
	char *s = malloc(ul * n + 1);

	for (i = 0; i < n; i++)
		memcpy(s + i * ul, unit, ul);
	s[ul * n] = '\0';
	return s;
}

/* {"to":["a@example.org"], <extra>} */
static char *body_with(const char *extra)
{
	size_t n = strlen(extra) + 64;
	char *s = malloc(n);

	snprintf(s, n, "{\"to\":[\"a@example.org\"]%s%s}", *extra ? "," : "", extra);
	return s;
}

static void expect_error_with(const char *extra, enum jobspec_err e, const char *field)
{
	char *b = body_with(extra);

	expect_error(b, e, field);
	free(b);
}

static void expect_ok_with(const char *extra, struct jobspec *js)
{
	char *b = body_with(extra);

	expect_ok(b, js);
	free(b);
}

/* ---- defaults and reading ----------------------------------------------- */

static void test_parse_fills_every_default(void)
{
	struct jobspec js;

	expect_ok("{\"to\":[\"alice@example.org\"]}", &js);
	CU_ASSERT_EQUAL(js.to.n, 1);
	CU_ASSERT_STRING_EQUAL(js.to.addr[0], "alice@example.org");
	CU_ASSERT_EQUAL(js.cc.n, 0);
	CU_ASSERT_EQUAL(js.bcc.n, 0);
	CU_ASSERT_STRING_EQUAL(js.subject, "");
	CU_ASSERT_STRING_EQUAL(js.body, "");
	CU_ASSERT_TRUE(js.registered.marked);
	CU_ASSERT_FALSE(js.registered.esign);
	CU_ASSERT_STRING_EQUAL(js.registered.sidenote, "");
	CU_ASSERT_STRING_EQUAL(js.registered.reference, "");
	CU_ASSERT_FALSE(js.scan.searchable);
	CU_ASSERT_STRING_EQUAL(js.scan.file_name, "Scan");
	CU_ASSERT_STRING_EQUAL(
	    jobspec_choice_json(JOBSPEC_ENCRYPTION, js.choice[JOBSPEC_ENCRYPTION]),
	    "tls_preferred");
	CU_ASSERT_STRING_EQUAL(
	    jobspec_choice_json(JOBSPEC_LARGE_MAIL, js.choice[JOBSPEC_LARGE_MAIL]), "auto");
	CU_ASSERT_STRING_EQUAL(jobspec_choice_json(JOBSPEC_SIDES, js.choice[JOBSPEC_SIDES]),
	                       "ONE_SIDED");
	CU_ASSERT_STRING_EQUAL(
	    jobspec_choice_json(JOBSPEC_RESOLUTION, js.choice[JOBSPEC_RESOLUTION]), "RES_300X300");
	CU_ASSERT_STRING_EQUAL(jobspec_choice_json(JOBSPEC_COLOR, js.choice[JOBSPEC_COLOR]),
	                       "AUTO");
	CU_ASSERT_STRING_EQUAL(
	    jobspec_choice_json(JOBSPEC_ORIENTATION, js.choice[JOBSPEC_ORIENTATION]), "PORTRAIT");
	CU_ASSERT_STRING_EQUAL(
	    jobspec_choice_json(JOBSPEC_ORIGINAL_SIZE, js.choice[JOBSPEC_ORIGINAL_SIZE]), "AUTO");
	CU_ASSERT_STRING_EQUAL(
	    jobspec_choice_json(JOBSPEC_ORIGINAL_TYPE, js.choice[JOBSPEC_ORIGINAL_TYPE]), "MIXED");
	CU_ASSERT_STRING_EQUAL(jobspec_choice_json(JOBSPEC_FORMAT, js.choice[JOBSPEC_FORMAT]),
	                       "PDF");
	CU_ASSERT_STRING_EQUAL(jobspec_choice_json(JOBSPEC_LANGUAGE, js.choice[JOBSPEC_LANGUAGE]),
	                       "en");
	jobspec_free(&js);
}

static const char full_body[] =
    "{\"to\":[\"alice@example.org\",\"bob@example.com\"],\"cc\":[\"carol@example.net\"],"
    "\"bcc\":[\"dave@example.io\"],\"subject\":\"Contract \\u00e9t\\u00e9\","
    "\"body\":\"Hello,\\r\\n\\tsigned copy attached.\","
    "\"registered\":{\"marked\":true,\"encryption\":\"always_pdf\",\"esign\":true,"
    "\"sidenote\":\"line 1\\nline 2\",\"sidenote_cc\":true,\"sidenote_bcc\":false,"
    "\"large_mail\":\"auto\",\"reference\":\"PO-4711\"},"
    "\"scan\":{\"sides\":\"TWO_SIDED\",\"resolution\":\"RES_600X600\",\"color\":\"GRAYSCALE\","
    "\"orientation\":\"LANDSCAPE\",\"original_size\":\"ISO_A4SEF\",\"original_type\":\"TEXT\","
    "\"format\":\"PDF/A-1b\",\"searchable\":true,\"language\":\"de\","
    "\"file_name\":\"Vertrag 2024\"}}";

static void test_parse_reads_every_field(void)
{
	struct jobspec js;

	expect_ok(full_body, &js);
	CU_ASSERT_EQUAL(js.to.n, 2);
	CU_ASSERT_STRING_EQUAL(js.to.addr[1], "bob@example.com");
	CU_ASSERT_EQUAL(js.cc.n, 1);
	CU_ASSERT_STRING_EQUAL(js.cc.addr[0], "carol@example.net");
	CU_ASSERT_STRING_EQUAL(js.bcc.addr[0], "dave@example.io");
	CU_ASSERT_STRING_EQUAL(js.subject, "Contract \xc3\xa9t\xc3\xa9");
	CU_ASSERT_STRING_EQUAL(js.body, "Hello,\r\n\tsigned copy attached.");
	CU_ASSERT_TRUE(js.registered.marked);
	CU_ASSERT_TRUE(js.registered.esign);
	CU_ASSERT_STRING_EQUAL(js.registered.sidenote, "line 1\nline 2");
	CU_ASSERT_TRUE(js.registered.sidenote_cc);
	CU_ASSERT_FALSE(js.registered.sidenote_bcc);
	CU_ASSERT_STRING_EQUAL(js.registered.reference, "PO-4711");
	CU_ASSERT_EQUAL(js.choice[JOBSPEC_ENCRYPTION], JOBSPEC_ENCRYPTION_ALWAYS_PDF);
	CU_ASSERT_EQUAL(js.choice[JOBSPEC_LARGE_MAIL], JOBSPEC_LARGE_MAIL_AUTO);
	CU_ASSERT_EQUAL(js.choice[JOBSPEC_FORMAT], JOBSPEC_FORMAT_PDF_A_1B);
	CU_ASSERT_STRING_EQUAL(jobspec_choice_json(JOBSPEC_SIDES, js.choice[JOBSPEC_SIDES]),
	                       "TWO_SIDED");
	CU_ASSERT_STRING_EQUAL(
	    jobspec_choice_json(JOBSPEC_RESOLUTION, js.choice[JOBSPEC_RESOLUTION]), "RES_600X600");
	CU_ASSERT_STRING_EQUAL(
	    jobspec_choice_json(JOBSPEC_ORIGINAL_SIZE, js.choice[JOBSPEC_ORIGINAL_SIZE]),
	    "ISO_A4SEF");
	CU_ASSERT_STRING_EQUAL(jobspec_choice_json(JOBSPEC_LANGUAGE, js.choice[JOBSPEC_LANGUAGE]),
	                       "de");
	CU_ASSERT_TRUE(js.scan.searchable);
	CU_ASSERT_STRING_EQUAL(js.scan.file_name, "Vertrag 2024");
	jobspec_free(&js);
}

/* The JSON key of each setting, to drive the tables from the test. */
static const struct {
	enum jobspec_setting set;
	const char *object, *key;
} setting_keys[] = {
    {JOBSPEC_SIDES, "scan", "sides"},
    {JOBSPEC_RESOLUTION, "scan", "resolution"},
    {JOBSPEC_COLOR, "scan", "color"},
    {JOBSPEC_ORIENTATION, "scan", "orientation"},
    {JOBSPEC_ORIGINAL_SIZE, "scan", "original_size"},
    {JOBSPEC_ORIGINAL_TYPE, "scan", "original_type"},
    {JOBSPEC_FORMAT, "scan", "format"},
    {JOBSPEC_LANGUAGE, "scan", "language"},
    {JOBSPEC_ENCRYPTION, "registered", "encryption"},
    {JOBSPEC_LARGE_MAIL, "registered", "large_mail"},
    {JOBSPEC_DEVICE_FAMILY, "device", "family"},
};

static void test_parse_accepts_every_listed_value(void)
{
	char extra[256];
	size_t s, v, n;

	CU_ASSERT_EQUAL(N_ELEMS(setting_keys), JOBSPEC_SETTING__MAX);
	for (s = 0; s < N_ELEMS(setting_keys); s++) {
		n = jobspec_choice_count(setting_keys[s].set);
		CU_ASSERT(n >= 2);
		for (v = 0; v < n; v++) {
			struct jobspec js;

			snprintf(extra, sizeof(extra), "\"%s\":{\"%s\":\"%s\"}",
			         setting_keys[s].object, setting_keys[s].key,
			         jobspec_choice_json(setting_keys[s].set, (unsigned)v));
			expect_ok_with(extra, &js);
			CU_ASSERT_EQUAL(js.choice[setting_keys[s].set], v);
			jobspec_free(&js);
		}
	}
	/* DESIGN 3.1 lists, exactly. */
	CU_ASSERT_EQUAL(jobspec_choice_count(JOBSPEC_SIDES), 3);
	CU_ASSERT_EQUAL(jobspec_choice_count(JOBSPEC_RESOLUTION), 5);
	CU_ASSERT_EQUAL(jobspec_choice_count(JOBSPEC_COLOR), 4);
	CU_ASSERT_EQUAL(jobspec_choice_count(JOBSPEC_ORIENTATION), 2);
	CU_ASSERT_EQUAL(jobspec_choice_count(JOBSPEC_ORIGINAL_SIZE), 8);
	CU_ASSERT_EQUAL(jobspec_choice_count(JOBSPEC_ORIGINAL_TYPE), 5);
	CU_ASSERT_EQUAL(jobspec_choice_count(JOBSPEC_FORMAT), 4);
	CU_ASSERT_EQUAL(jobspec_choice_count(JOBSPEC_ENCRYPTION), 3);
	CU_ASSERT_EQUAL(jobspec_choice_count(JOBSPEC_LARGE_MAIL), 2);
	CU_ASSERT_PTR_NULL(jobspec_choice_json(JOBSPEC_FORMAT, 4));
	CU_ASSERT_PTR_NULL(jobspec_choice_spelling(JOBSPEC_ENCRYPTION, 0));
	CU_ASSERT_STRING_EQUAL(jobspec_choice_spelling(JOBSPEC_FORMAT, JOBSPEC_FORMAT_PDF_A_1B),
	                       "PDF/A-1b");
}

static void test_parse_rejects_values_outside_lists_naming_the_field(void)
{
	struct jobspec js;
	struct jobspec_error err;
	char *b = body_with("\"scan\":{\"resolution\":\"RES_100X100\"}");

	CU_ASSERT_EQUAL(parse(b, &js, &err), JOBSPEC_ERR_VALUE);
	CU_ASSERT_STRING_EQUAL(err.field, "scan.resolution");
	CU_ASSERT_STRING_EQUAL(err.message, "must be one of RES_150X150, RES_200X200, RES_300X300, "
	                                    "RES_400X400, RES_600X600");
	free(b);
	expect_error_with("\"scan\":{\"format\":\"pdf\"}", JOBSPEC_ERR_VALUE, "scan.format");
	expect_error_with("\"scan\":{\"format\":\"PDF\\u0000\"}", JOBSPEC_ERR_VALUE, "scan.format");
	expect_error_with("\"scan\":{\"language\":\"zh\"}", JOBSPEC_ERR_VALUE, "scan.language");
	expect_error_with("\"scan\":{\"sides\":\"\"}", JOBSPEC_ERR_VALUE, "scan.sides");
	expect_error_with("\"registered\":{\"encryption\":\"none\"}", JOBSPEC_ERR_VALUE,
	                  "registered.encryption");
	expect_error_with("\"registered\":{\"large_mail\":\"always\"}", JOBSPEC_ERR_VALUE,
	                  "registered.large_mail");
}

static void test_parse_rejects_unknown_keys_at_every_level(void)
{
	struct jobspec js;
	struct jobspec_error err;

	expect_error_with("\"priority\":1", JOBSPEC_ERR_UNKNOWN_KEY, "priority");
	expect_error_with("\"registered\":{\"marked\":true,\"color\":\"AUTO\"}",
	                  JOBSPEC_ERR_UNKNOWN_KEY, "registered.color");
	expect_error_with("\"scan\":{\"darkness\":3}", JOBSPEC_ERR_UNKNOWN_KEY, "scan.darkness");
	expect_error_with("\"To\":[]", JOBSPEC_ERR_UNKNOWN_KEY, "To");
	/* A hostile key is named, but not echoed as given. */
	CU_ASSERT_EQUAL(parse("{\"to\":[\"a@example.org\"],\"x\\n\\\"<b>\":1}", &js, &err),
	                JOBSPEC_ERR_UNKNOWN_KEY);
	CU_ASSERT_STRING_EQUAL(err.field, "x???b?");
	jobspec_free(&js);
}

static void test_parse_requires_a_non_empty_to(void)
{
	expect_error("{}", JOBSPEC_ERR_MISSING, "to");
	expect_error("{\"cc\":[\"a@example.org\"]}", JOBSPEC_ERR_MISSING, "to");
	expect_error("{\"to\":[]}", JOBSPEC_ERR_MISSING, "to");
}

/* A body of nto + ncc + nbcc distinct recipients. */
static char *recipients_body(size_t nto, size_t ncc, size_t nbcc)
{
	static const char *const names[] = {"to", "cc", "bcc"};
	size_t counts[] = {nto, ncc, nbcc}, cap = 64 + 32 * (nto + ncc + nbcc), used = 0, l, i;
	size_t k = 0;
	char *s = malloc(cap);

	used += (size_t)snprintf(s + used, cap - used, "{");
	for (l = 0; l < 3; l++) {
		used +=
		    (size_t)snprintf(s + used, cap - used, "%s\"%s\":[", l ? "," : "", names[l]);
		for (i = 0; i < counts[l]; i++, k++)
			used += (size_t)snprintf(s + used, cap - used, "%s\"user%zu@example.org\"",
			                         i ? "," : "", k);
		used += (size_t)snprintf(s + used, cap - used, "]");
	}
	snprintf(s + used, cap - used, "}");
	return s;
}

static void test_parse_allows_50_recipients_and_refuses_51(void)
{
	struct jobspec js;
	char *b;

	b = recipients_body(20, 20, 10);
	expect_ok(b, &js);
	CU_ASSERT_EQUAL(js.to.n + js.cc.n + js.bcc.n, 50);
	jobspec_free(&js);
	free(b);
	b = recipients_body(20, 20, 11);
	expect_error(b, JOBSPEC_ERR_TOO_MANY, "bcc[10]");
	free(b);
	b = recipients_body(51, 0, 0);
	expect_error(b, JOBSPEC_ERR_TOO_MANY, "to[50]");
	free(b);
	b = recipients_body(1000, 0, 0);
	expect_error(b, JOBSPEC_ERR_TOO_MANY, "to[50]");
	free(b);
}

static void test_parse_rejects_wrong_json_types(void)
{
	static const struct {
		const char *body, *field;
	} cases[] = {
	    {"{\"to\":\"a@example.org\"}", "to"},
	    {"{\"to\":[1]}", "to[0]"},
	    {"{\"to\":[[\"a@example.org\"]]}", "to[0]"},
	    {"{\"to\":[\"a@example.org\"],\"cc\":null}", "cc"},
	    {"{\"to\":[\"a@example.org\"],\"bcc\":{}}", "bcc"},
	    {"{\"to\":[\"a@example.org\"],\"subject\":1}", "subject"},
	    {"{\"to\":[\"a@example.org\"],\"body\":[\"x\"]}", "body"},
	    {"{\"to\":[\"a@example.org\"],\"registered\":[]}", "registered"},
	    {"{\"to\":[\"a@example.org\"],\"registered\":{\"marked\":\"true\"}}",
	     "registered.marked"},
	    {"{\"to\":[\"a@example.org\"],\"registered\":{\"esign\":1}}", "registered.esign"},
	    {"{\"to\":[\"a@example.org\"],\"registered\":{\"encryption\":true}}",
	     "registered.encryption"},
	    {"{\"to\":[\"a@example.org\"],\"registered\":{\"sidenote\":null}}",
	     "registered.sidenote"},
	    {"{\"to\":[\"a@example.org\"],\"scan\":\"PDF\"}", "scan"},
	    {"{\"to\":[\"a@example.org\"],\"scan\":{\"searchable\":\"false\"}}", "scan.searchable"},
	    {"{\"to\":[\"a@example.org\"],\"scan\":{\"searchable\":0}}", "scan.searchable"},
	    {"{\"to\":[\"a@example.org\"],\"scan\":{\"resolution\":300}}", "scan.resolution"},
	    {"{\"to\":[\"a@example.org\"],\"scan\":{\"file_name\":5}}", "scan.file_name"},
	};
	size_t i;

	for (i = 0; i < N_ELEMS(cases); i++)
		expect_error(cases[i].body, JOBSPEC_ERR_TYPE, cases[i].field);
}

/* ---- addresses ---------------------------------------------------------- */

static void test_check_address_follows_rfc_5321_and_5322(void)
{
	static const char *const good[] = {
	    "a@example.org",
	    "o'brien+tag@mail.example.co.uk",
	    "!#$%&'*+-/=?^_`{|}~@example.org",
	    "first.last@xn--bcher-kva.example",
	    "x@a-b.c0",
	};
	static const char *const bad[] = {
	    "example.org",
	    "a@@example.org",
	    "a@b@example.org",
	    "@example.org",
	    "a@",
	    ".a@example.org",
	    "a.@example.org",
	    "a..b@example.org",
	    "a@localhost",
	    "a@example.org.",
	    "a@.example.org",
	    "a@exa..mple.org",
	    "a@-example.org",
	    "a@example-.org",
	    "a@exa_mple.org",
	    "\"a b\"@example.org",
	    "a@[192.0.2.1]",
	    "a b@example.org",
	    "a@example.org ",
	    " a@example.org",
	    "a\r\n@example.org",
	    "a@example.org\r\nBcc:",
	    "a\t@example.org",
	    "j\xc3\xb6rg@example.org",
	    "a@ex\xc3\xa4mple.org",
	    "a;b@example.org",
	    "a,b@example.org",
	    "a(b)@example.org",
	    "a<b>@example.org",
	    "a\\b@example.org",
	};
	char *local64 = repeat("l", 64), *local65 = repeat("l", 65);
	char *label63 = repeat("d", 63), *label64 = repeat("d", 64);
	char addr[400];
	const char *why;
	size_t i;

	for (i = 0; i < N_ELEMS(good); i++)
		CU_ASSERT_EQUAL(jobspec_check_address(good[i], strlen(good[i]), NULL), 0);
	for (i = 0; i < N_ELEMS(bad); i++) {
		why = NULL;
		CU_ASSERT_EQUAL(jobspec_check_address(bad[i], strlen(bad[i]), &why), -1);
		CU_ASSERT_PTR_NOT_NULL(why);
	}
	CU_ASSERT_EQUAL(jobspec_check_address("a\0b@example.org", 15, NULL), -1);
	snprintf(addr, sizeof(addr), "%s@example.org", local64);
	CU_ASSERT_EQUAL(jobspec_check_address(addr, strlen(addr), NULL), 0);
	snprintf(addr, sizeof(addr), "%s@example.org", local65);
	CU_ASSERT_EQUAL(jobspec_check_address(addr, strlen(addr), NULL), -1);
	snprintf(addr, sizeof(addr), "a@%s.org", label63);
	CU_ASSERT_EQUAL(jobspec_check_address(addr, strlen(addr), NULL), 0);
	snprintf(addr, sizeof(addr), "a@%s.org", label64);
	CU_ASSERT_EQUAL(jobspec_check_address(addr, strlen(addr), NULL), -1);
	/* 254 in all is the most (RFC 5321 4.5.3.1.3): 64 + 1 + 63.63.61 = 254 */
	snprintf(addr, sizeof(addr), "%s@%s.%s.%.61s", local64, label63, label63, label63);
	CU_ASSERT_EQUAL(strlen(addr), 254);
	CU_ASSERT_EQUAL(jobspec_check_address(addr, strlen(addr), NULL), 0);
	snprintf(addr, sizeof(addr), "%s@%s.%s.%.62s", local64, label63, label63, label63);
	CU_ASSERT_EQUAL(jobspec_check_address(addr, strlen(addr), &why), -1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(why);
	CU_ASSERT_STRING_EQUAL(why, "is longer than 254 characters");
	free(local64), free(local65), free(label63), free(label64);
}

static void test_parse_names_the_bad_address(void)
{
	struct jobspec js;
	struct jobspec_error err;

	expect_error("{\"to\":[\"a@example.org\",\"b@example.org\",\"c@exa mple.org\"]}",
	             JOBSPEC_ERR_VALUE, "to[2]");
	expect_error("{\"to\":[\"a@example.org\"],\"cc\":[\"b@example.org\\r\\n\"]}",
	             JOBSPEC_ERR_VALUE, "cc[0]");
	expect_error("{\"to\":[\"a@example.org\"],\"bcc\":[\"b\\n@example.org\"]}",
	             JOBSPEC_ERR_VALUE, "bcc[0]");
	expect_error("{\"to\":[\"a\\u0000@example.org\"]}", JOBSPEC_ERR_VALUE, "to[0]");
	/* The message says why, without repeating the address. */
	CU_ASSERT_EQUAL(parse("{\"to\":[\"secret.person@nodot\"]}", &js, &err), JOBSPEC_ERR_VALUE);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "without a dot"));
	CU_ASSERT_PTR_NULL(strstr(err.message, "secret"));
	jobspec_free(&js);
}

static void test_parse_refuses_an_address_listed_twice(void)
{
	struct jobspec js;
	struct jobspec_error err;

	CU_ASSERT_EQUAL(parse("{\"to\":[\"a@example.org\"],\"cc\":[\"b@example.org\","
	                      "\"A@Example.ORG\"]}",
	                      &js, &err),
	                JOBSPEC_ERR_VALUE);
	CU_ASSERT_STRING_EQUAL(err.field, "cc[1]");
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "to[0]"));
	expect_error("{\"to\":[\"a@example.org\",\"a@example.org\"]}", JOBSPEC_ERR_VALUE, "to[1]");
	expect_error("{\"to\":[\"a@example.org\"],\"bcc\":[\"a@example.org\"]}", JOBSPEC_ERR_VALUE,
	             "bcc[0]");
}

/* ---- strings ------------------------------------------------------------ */

/* Expects "key": value inside object obj (NULL: top level) to give e. */
static void expect_text(const char *obj, const char *key, const char *value_json,
                        enum jobspec_err e)
{
	size_t n = strlen(value_json) + 128;
	char *extra = malloc(n), field[64];
	struct jobspec js;

	if (obj)
		snprintf(extra, n, "\"%s\":{\"%s\":\"%s\"}", obj, key, value_json);
	else
		snprintf(extra, n, "\"%s\":\"%s\"", key, value_json);
	snprintf(field, sizeof(field), "%s%s%s", obj ? obj : "", obj ? "." : "", key);
	if (e == JOBSPEC_OK) {
		expect_ok_with(extra, &js);
		jobspec_free(&js);
	} else {
		expect_error_with(extra, e, field);
	}
	free(extra);
}

/* value of n copies of unit at the limit, and one more over it. */
static void expect_limit(const char *obj, const char *key, const char *unit, size_t max)
{
	char *at = repeat(unit, max), *over = repeat(unit, max + 1);

	expect_text(obj, key, at, JOBSPEC_OK);
	expect_text(obj, key, over, JOBSPEC_ERR_VALUE);
	free(at);
	free(over);
}

static void test_parse_limits_subject(void)
{
	expect_limit(NULL, "subject", "s", 255);
	/* characters, not bytes: 255 two-byte characters fit */
	expect_limit(NULL, "subject", "\\u00e9", 255);
	expect_text(NULL, "subject", "a\\nBcc: x@example.org", JOBSPEC_ERR_VALUE);
	expect_text(NULL, "subject", "a\\rb", JOBSPEC_ERR_VALUE);
	expect_text(NULL, "subject", "a\\tb", JOBSPEC_ERR_VALUE);
	expect_text(NULL, "subject", "a\\u0000b", JOBSPEC_ERR_VALUE);
	expect_text(NULL, "subject", "a\\u007fb", JOBSPEC_ERR_VALUE);
	expect_text(NULL, "subject", "a\\u0085b", JOBSPEC_ERR_VALUE);
	expect_text(NULL, "subject", "\\ud83d\\ude00 ok", JOBSPEC_OK);
}

static void test_parse_limits_body_and_allows_line_breaks(void)
{
	expect_limit(NULL, "body", "b", 10000);
	expect_text(NULL, "body", "Dear all,\\r\\n\\tplease sign.\\n", JOBSPEC_OK);
	expect_text(NULL, "body", "bell\\u0007", JOBSPEC_ERR_VALUE);
	expect_text(NULL, "body", "nul\\u0000", JOBSPEC_ERR_VALUE);
}

static void test_parse_limits_registered_strings(void)
{
	expect_limit("registered", "sidenote", "n", 1000);
	expect_text("registered", "sidenote", "one\\ntwo\\r\\nthree", JOBSPEC_OK);
	expect_text("registered", "sidenote", "tab\\there", JOBSPEC_ERR_VALUE);
	expect_limit("registered", "reference", "R", 100);
	expect_text("registered", "reference", "PO 4711/A-b_c", JOBSPEC_OK);
	expect_text("registered", "reference", "caf\\u00e9", JOBSPEC_ERR_VALUE);
	expect_text("registered", "reference", "a\\nb", JOBSPEC_ERR_VALUE);
}

static void test_parse_limits_file_name(void)
{
	expect_limit("scan", "file_name", "f", 64);
	expect_text("scan", "file_name", "", JOBSPEC_ERR_VALUE);
	expect_text("scan", "file_name", "a\\nb", JOBSPEC_ERR_VALUE);
	/* Unicode and punctuation are fine here; template.c makes them safe. */
	expect_text("scan", "file_name", "R\\u00e9sum\\u00e9 & co; [x]", JOBSPEC_OK);
}

static void test_parse_rejects_invalid_utf8_in_a_stored_row(void)
{
	struct json_object *o = json_object_new_object();
	struct json_object *to = json_object_new_array();
	struct jobspec js;
	struct jobspec_error err;

	json_object_array_add(to, json_object_new_string("a@example.org"));
	json_object_object_add(o, "to", to);
	json_object_object_add(o, "subject", json_object_new_string_len("a\xc0\xafz", 4));
	CU_ASSERT_EQUAL(jobspec_from_json(o, &js, &err), JOBSPEC_ERR_VALUE);
	CU_ASSERT_STRING_EQUAL(err.field, "subject");
	json_object_object_add(o, "subject", json_object_new_string_len("\xed\xa0\x80", 3));
	CU_ASSERT_EQUAL(jobspec_from_json(o, &js, &err), JOBSPEC_ERR_VALUE);
	json_object_put(o);
	jobspec_free(&js);
}

static void test_parse_allows_searchable_only_with_pdf(void)
{
	struct jobspec js;

	expect_error_with("\"scan\":{\"format\":\"TIFF_V6\",\"searchable\":true}",
	                  JOBSPEC_ERR_VALUE, "scan.searchable");
	expect_error_with("\"scan\":{\"searchable\":true,\"format\":\"XSM_TIFF_V6\"}",
	                  JOBSPEC_ERR_VALUE, "scan.searchable");
	expect_ok_with("\"scan\":{\"format\":\"PDF\",\"searchable\":true}", &js);
	CU_ASSERT_TRUE(js.scan.searchable);
	jobspec_free(&js);
	expect_ok_with("\"scan\":{\"format\":\"PDF/A-1b\",\"searchable\":true,\"language\":\"ja\"}",
	               &js);
	jobspec_free(&js);
	expect_ok_with("\"scan\":{\"format\":\"TIFF_V6\",\"searchable\":false}", &js);
	jobspec_free(&js);
}

/* ---- JSON level --------------------------------------------------------- */

static void test_parse_accepts_only_one_json_object(void)
{
	static const char *const bad[] = {
	    "",
	    "[]",
	    "\"to\"",
	    "null",
	    "{\"to\":[\"a@example.org\"]} x",
	    "{\"to\":[\"a@example.org\"]}{}",
	    "{\"to\":[\"a@example.org\"]",
	    "{'to':['a@example.org']}",
	    "{\"to\":[\"a@example.org\"],}",
	    "{\"to\":[\"a@example.org\"]} /* c */",
	    "{\"scan\":{\"a\":{\"b\":{\"c\":{\"d\":{}}}}}}",
	    "{\"subject\":\"\xff\"}",
	};
	struct jobspec js;
	size_t i;

	for (i = 0; i < N_ELEMS(bad); i++)
		expect_error(bad[i], JOBSPEC_ERR_JSON, "");
	/* a NUL byte inside the body ends nothing early */
	CU_ASSERT_EQUAL(jobspec_parse("{\"to\":[\"a@example.org\"]}\0{}", 28, &js, NULL),
	                JOBSPEC_ERR_JSON);
	expect_ok(" \r\n{\"to\":[\"a@example.org\"]}\n\t ", &js);
	jobspec_free(&js);
}

static void test_failed_parse_leaves_nothing_to_free(void)
{
	struct jobspec js;

	CU_ASSERT_EQUAL(
	    parse("{\"to\":[\"a@example.org\"],\"subject\":\"x\",\"scan\":{\"x\":1}}", &js, NULL),
	    JOBSPEC_ERR_UNKNOWN_KEY);
	CU_ASSERT_PTR_NULL(js.to.addr);
	CU_ASSERT_PTR_NULL(js.subject);
	jobspec_free(&js);
	jobspec_free(NULL);
	CU_ASSERT_STRING_EQUAL(jobspec_err_code(JOBSPEC_ERR_UNKNOWN_KEY), "unknown_field");
	CU_ASSERT_STRING_EQUAL(jobspec_err_code(JOBSPEC_ERR_TOO_MANY), "too_many_recipients");
	CU_ASSERT_STRING_EQUAL(jobspec_err_code(JOBSPEC_ERR_TYPE), "wrong_type");
}

static void test_to_json_round_trips_with_defaults_filled(void)
{
	struct jobspec js, back;
	struct jobspec_error err;
	struct json_object *o, *o2, *scan, *v;

	expect_ok("{\"to\":[\"a@example.org\"]}", &js);
	o = jobspec_to_json(&js);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_TRUE(json_object_object_get_ex(o, "scan", &scan));
	CU_ASSERT_TRUE(json_object_object_get_ex(scan, "resolution", &v));
	CU_ASSERT_STRING_EQUAL(json_object_get_string(v), "RES_300X300");
	CU_ASSERT_TRUE(json_object_object_get_ex(scan, "file_name", &v));
	CU_ASSERT_STRING_EQUAL(json_object_get_string(v), "Scan");
	CU_ASSERT_TRUE(json_object_object_get_ex(o, "cc", &v));
	CU_ASSERT_EQUAL(json_object_array_length(v), 0);
	json_object_put(o);
	jobspec_free(&js);

	expect_ok(full_body, &js);
	o = jobspec_to_json(&js);
	CU_ASSERT_EQUAL(jobspec_from_json(o, &back, &err), JOBSPEC_OK);
	o2 = jobspec_to_json(&back);
	CU_ASSERT_STRING_EQUAL(json_object_to_json_string(o), json_object_to_json_string(o2));
	CU_ASSERT_STRING_EQUAL(back.registered.sidenote, "line 1\nline 2");
	CU_ASSERT_EQUAL(back.choice[JOBSPEC_LANGUAGE], js.choice[JOBSPEC_LANGUAGE]);
	json_object_put(o);
	json_object_put(o2);
	jobspec_free(&js);
	jobspec_free(&back);
}

/* ---- RMail Options ------------------------------------------------------ */

/* The Options of a body with registered = reg, as one compact JSON text. */
static char *options_of(const char *reg)
{
	char extra[512];
	struct jobspec js;
	struct json_object *opts = json_object_new_object();
	char *s;

	snprintf(extra, sizeof(extra), "\"cc\":[\"c@example.org\"],\"registered\":%s", reg);
	expect_ok_with(extra, &js);
	CU_ASSERT_EQUAL(jobspec_rmail_options(&js, "6f1c-job", "scanpost-test", opts), 0);
	s = strdup(json_object_to_json_string_ext(opts, JSON_C_TO_STRING_PLAIN));
	json_object_put(opts);
	jobspec_free(&js);
	return s;
}

static void expect_options(const char *reg, const char *expected)
{
	char *got = options_of(reg);

	CU_ASSERT_STRING_EQUAL(got, expected);
	if (strcmp(got, expected) != 0)
		fprintf(stderr, "\n  got      %s\n  expected %s\n", got, expected);
	free(got);
}

#define APP_AND_ID "\"X-RPost-App\":\"scanpost-test\",\"X-RPost-CustomerTrackingId\":\"6f1c-job\""

static void test_options_map_encryption_values(void)
{
	expect_options("{\"encryption\":\"off\"}", "{\"X-RPost-Type\":\"1\"," APP_AND_ID "}");
	expect_options(
	    "{\"encryption\":\"tls_preferred\"}",
	    "{\"X-RPost-Type\":\"1\",\"X-RPost-TLS\":\"1\",\"X-RPost-SecuRmail\":\"1\","
	    "\"X-RPost-SecuRmail-AutoPassword\":\"1\",\"X-RPost-SendPassword\":\"1\"," APP_AND_ID
	    "}");
	expect_options(
	    "{\"encryption\":\"always_pdf\"}",
	    "{\"X-RPost-Type\":\"1\",\"X-RPost-SecuRmail\":\"1\","
	    "\"X-RPost-SecuRmail-AutoPassword\":\"1\",\"X-RPost-SendPassword\":\"1\"," APP_AND_ID
	    "}");
	/* the default is tls_preferred for marked mail */
	expect_options(
	    "{}",
	    "{\"X-RPost-Type\":\"1\",\"X-RPost-TLS\":\"1\",\"X-RPost-SecuRmail\":\"1\","
	    "\"X-RPost-SecuRmail-AutoPassword\":\"1\",\"X-RPost-SendPassword\":\"1\"," APP_AND_ID
	    "}");
	/* and off for unmarked mail, which RMail's add-on never encrypts */
	expect_options("{\"marked\":false}", "{\"X-RPost-Type\":\"2\"," APP_AND_ID "}");
}

static void test_options_map_marked_esign_and_sidenote(void)
{
	expect_options("{\"marked\":false,\"encryption\":\"off\"}",
	               "{\"X-RPost-Type\":\"2\"," APP_AND_ID "}");
	expect_options("{\"encryption\":\"off\",\"esign\":true}",
	               "{\"X-RPost-Type\":\"1\",\"X-RPost-Esign\":\"1\"," APP_AND_ID "}");
	/* the SideNote goes with both copy flags, as RMail's add-on sends it */
	expect_options(
	    "{\"encryption\":\"off\",\"sidenote\":\"Please sign p.2\\nThanks\"}",
	    "{\"X-RPost-Type\":\"1\",\"X-RPost-Sidenote-Text\":\"Please sign "
	    "p.2\\nThanks\",\"X-RPost-Sidenote-Cc\":\"0\",\"X-RPost-Sidenote-Bcc\":\"0\","
	    "" APP_AND_ID "}");
	expect_options("{\"encryption\":\"off\",\"sidenote\":\"n\",\"sidenote_cc\":true}",
	               "{\"X-RPost-Type\":\"1\",\"X-RPost-Sidenote-Text\":\"n\","
	               "\"X-RPost-Sidenote-Cc\":\"1\",\"X-RPost-Sidenote-Bcc\":\"0\"," APP_AND_ID
	               "}");
	expect_options("{\"encryption\":\"off\",\"sidenote\":\"\"}",
	               "{\"X-RPost-Type\":\"1\"," APP_AND_ID "}");
	/* large mail is never an Option: it is the send's IsLargeMail */
	expect_options("{\"encryption\":\"off\",\"large_mail\":\"force\"}",
	               "{\"X-RPost-Type\":\"1\"," APP_AND_ID "}");
}

/* What RMail's add-on never offers is a 400 naming the fields. */
static void test_parse_refuses_combinations_rmail_add_on_refuses(void)
{
	static const struct {
		const char *extra, *field, *names;
	} cases[] = {
	    {"\"registered\":{\"marked\":false,\"encryption\":\"tls_preferred\"}",
	     "registered.encryption", "registered.marked"},
	    {"\"registered\":{\"marked\":false,\"encryption\":\"always_pdf\"}",
	     "registered.encryption", "registered.marked"},
	    {"\"registered\":{\"marked\":false,\"esign\":true}", "registered.esign",
	     "registered.marked"},
	    {"\"registered\":{\"esign\":true,\"large_mail\":\"force\"}", "registered.large_mail",
	     "registered.esign"},
	    {"\"cc\":[\"c@example.org\"],\"registered\":{\"sidenote_cc\":true}",
	     "registered.sidenote_cc", "registered.sidenote"},
	    {"\"registered\":{\"sidenote\":\"n\",\"sidenote_cc\":true}", "registered.sidenote_cc",
	     "cc"},
	    {"\"bcc\":[\"b@example.org\"],\"registered\":{\"sidenote_bcc\":true}",
	     "registered.sidenote_bcc", "registered.sidenote"},
	    {"\"registered\":{\"sidenote\":\"n\",\"sidenote_bcc\":true}", "registered.sidenote_bcc",
	     "bcc"},
	};

	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		char *b = body_with(cases[i].extra);
		struct jobspec js;
		struct jobspec_error err;

		CU_ASSERT_EQUAL(parse(b, &js, &err), JOBSPEC_ERR_VALUE);
		CU_ASSERT_STRING_EQUAL(err.field, cases[i].field);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.message, cases[i].names));
		jobspec_free(&js);
		free(b);
	}
	/* and their allowed neighbours parse */
	{
		struct jobspec js;
		expect_ok_with("\"registered\":{\"marked\":false,\"encryption\":\"off\","
		               "\"esign\":false,\"large_mail\":\"force\"}",
		               &js);
		jobspec_free(&js);
		expect_ok_with("\"cc\":[\"c@example.org\"],\"bcc\":[\"b@example.org\"],"
		               "\"registered\":{\"esign\":true,\"sidenote\":\"n\","
		               "\"sidenote_cc\":true,\"sidenote_bcc\":true}",
		               &js);
		jobspec_free(&js);
	}
}

static void test_options_refuse_missing_arguments(void)
{
	struct jobspec js;
	struct json_object *opts = json_object_new_object(), *arr = json_object_new_array();

	expect_ok("{\"to\":[\"a@example.org\"]}", &js);
	CU_ASSERT_EQUAL(jobspec_rmail_options(&js, NULL, "app", opts), -1);
	CU_ASSERT_EQUAL(jobspec_rmail_options(&js, "id", NULL, opts), -1);
	CU_ASSERT_EQUAL(jobspec_rmail_options(&js, "id", "app", arr), -1);
	CU_ASSERT_EQUAL(jobspec_rmail_options(NULL, "id", "app", opts), -1);
	CU_ASSERT_EQUAL(json_object_object_length(opts), 0);
	json_object_put(opts);
	json_object_put(arr);
	jobspec_free(&js);
}

static void test_join_addresses_uses_semicolons(void)
{
	struct jobspec js;
	char *s;

	expect_ok("{\"to\":[\"a@example.org\",\"b@example.org\",\"c@example.org\"],"
	          "\"cc\":[\"d@example.org\"]}",
	          &js);
	s = jobspec_join_addresses(&js.to);
	CU_ASSERT_STRING_EQUAL(s, "a@example.org;b@example.org;c@example.org");
	free(s);
	s = jobspec_join_addresses(&js.cc);
	CU_ASSERT_STRING_EQUAL(s, "d@example.org");
	free(s);
	s = jobspec_join_addresses(&js.bcc);
	CU_ASSERT_STRING_EQUAL(s, "");
	free(s);
	jobspec_free(&js);
}

int main(void)
{
	static const struct {
		const char *name;
		CU_TestFunc fn;
	} tests[] = {
#define T(f) {#f, f}
	    T(test_parse_fills_every_default),
	    T(test_parse_reads_every_field),
	    T(test_parse_accepts_every_listed_value),
	    T(test_parse_rejects_values_outside_lists_naming_the_field),
	    T(test_parse_rejects_unknown_keys_at_every_level),
	    T(test_parse_requires_a_non_empty_to),
	    T(test_parse_allows_50_recipients_and_refuses_51),
	    T(test_parse_rejects_wrong_json_types),
	    T(test_check_address_follows_rfc_5321_and_5322),
	    T(test_parse_names_the_bad_address),
	    T(test_parse_refuses_an_address_listed_twice),
	    T(test_parse_limits_subject),
	    T(test_parse_limits_body_and_allows_line_breaks),
	    T(test_parse_limits_registered_strings),
	    T(test_parse_limits_file_name),
	    T(test_parse_rejects_invalid_utf8_in_a_stored_row),
	    T(test_parse_allows_searchable_only_with_pdf),
	    T(test_parse_accepts_only_one_json_object),
	    T(test_failed_parse_leaves_nothing_to_free),
	    T(test_to_json_round_trips_with_defaults_filled),
	    T(test_options_map_encryption_values),
	    T(test_options_map_marked_esign_and_sidenote),
	    T(test_parse_refuses_combinations_rmail_add_on_refuses),
	    T(test_options_refuse_missing_arguments),
	    T(test_join_addresses_uses_semicolons),
#undef T
	};
	CU_pSuite suite;
	unsigned failures;
	size_t i;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	suite = CU_add_suite("jobspec", NULL, NULL);
	if (!suite)
		goto fail;
	for (i = 0; i < N_ELEMS(tests); i++)
		if (!CU_add_test(suite, tests[i].name, tests[i].fn))
			goto fail;
	CU_basic_set_mode(CU_BRM_VERBOSE);
	if (CU_basic_run_tests() != CUE_SUCCESS)
		goto fail;
	failures = CU_get_number_of_failures();
	CU_cleanup_registry();
	return failures > 0 ? 1 : 0;
fail:
	CU_cleanup_registry();
	return 1;
}
