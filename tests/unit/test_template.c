/*
 * test_template.c - the EIP scan template (DESIGN 3.3): spellings, defaults,
 * hostile file names, host and path checks, and the line grammar.  Links
 * src/lib/template.c and src/lib/jobspec.c.
 *
 * The grammar oracle here is independent of template_check: POSIX regular
 * expressions, one per kind of line, plus the section order.
 */
#include <CUnit/Basic.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobspec.h"
#include "template.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

#define HOST "scanpost.example.org:8443"
#define PATH "/scan/0b7e6c1a-9f51-4c0e-a1d5-3f2b8e0c4d11/Tk_9-x"

/* ---- the grammar oracle ------------------------------------------------- */

static const char *const line_patterns[] = {
    "^$",
    "^\\[(service|doc_object) [a-z_]+\\]$",
    "^\\{$",
    "^\\}$",
    "^end$",
    /* quoted: printable ASCII except " ; [ \ ] { } */
    ("^\t[A-Za-z_]+ [A-Za-z][A-Za-z0-9]* = "
     "([A-Za-z0-9_./-]+|\"[ !#-:<-Z^-z|~]*\");$"),
};
static regex_t line_re[N_ELEMS(line_patterns)];

static int oracle_init(void)
{
	size_t i;

	for (i = 0; i < N_ELEMS(line_patterns); i++)
		if (regcomp(&line_re[i], line_patterns[i], REG_EXTENDED | REG_NOSUB) != 0)
			return -1;
	return 0;
}

static int oracle_free(void)
{
	size_t i;

	for (i = 0; i < N_ELEMS(line_patterns); i++)
		regfree(&line_re[i]);
	return 0;
}

/* Lines of text that match one pattern each; -1 if any does not, or the
 * sections are not the four expected in order. */
static int oracle_lines(const char *text)
{
	static const char *const headers[] = {"[service xrx_svc_general]", "[service xrx_svc_scan]",
	                                      "[service xrx_svc_file]",
	                                      "[doc_object xrx_document]"};
	char line[1024];
	const char *p = text, *nl;
	size_t i, n, sections = 0;
	int lines = 0, ok;

	while (*p) {
		nl = strchr(p, '\n');
		if (!nl || (size_t)(nl - p) >= sizeof(line))
			return -1;
		n = (size_t)(nl - p);
		memcpy(line, p, n);
		line[n] = '\0';
		if (strlen(line) != n) /* a NUL byte inside */
			return -1;
		for (ok = 0, i = 0; i < N_ELEMS(line_re) && !ok; i++)
			ok = regexec(&line_re[i], line, 0, NULL, 0) == 0;
		if (!ok)
			return -1;
		if (line[0] == '[') {
			if (sections >= N_ELEMS(headers) || strcmp(line, headers[sections]) != 0)
				return -1;
			sections++;
		}
		lines++;
		p = nl + 1;
	}
	return sections == N_ELEMS(headers) ? lines : -1;
}

/* ---- helpers ------------------------------------------------------------ */

static void default_spec(struct jobspec *js)
{
	static const char body[] = "{\"to\":[\"a@example.org\"]}";

	CU_ASSERT_EQUAL_FATAL(jobspec_parse(body, strlen(body), js, NULL), JOBSPEC_OK);
}

static char *build(const struct jobspec *js)
{
	char *t = NULL;
	enum template_err e = template_build(js, HOST, PATH, &t);

	CU_ASSERT_EQUAL(e, TEMPLATE_OK);
	return e == TEMPLATE_OK ? t : NULL;
}

static void assert_has_line(const char *text, const char *line)
{
	char want[512];

	snprintf(want, sizeof(want), "\n%s\n", line);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, want));
	if (!strstr(text, want))
		fprintf(stderr, "\n  missing line: %s\n", line);
}

static int default_line_count(void)
{
	struct jobspec js;
	char *t;
	int n;

	default_spec(&js);
	t = build(&js);
	n = t ? oracle_lines(t) : -1;
	free(t);
	jobspec_free(&js);
	return n;
}

/* ---- tests -------------------------------------------------------------- */

static void test_build_writes_defaults_and_destination(void)
{
	struct jobspec js;
	char *t;

	default_spec(&js);
	t = build(&js);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(strncmp(t, "[service xrx_svc_general]\n{\n", 28), 0);
	assert_has_line(t, "\tenum_sided SidesToScan = ONE_SIDED;");
	assert_has_line(t, "\tenum_colormode ColorMode = AUTO;");
	assert_has_line(t, "\tenum_inputorientation InputOrientation = PORTRAIT;");
	assert_has_line(t, "\tenum_mediasize InputMediaSize = AUTO;");
	assert_has_line(t, "\tenum_imagemode DocumentImageMode = MIXED;");
	assert_has_line(t, "\tenum_docformat DocumentFormat = PDF;");
	assert_has_line(t, "\tenum_resolution Resolution = RES_300X300;");
	assert_has_line(t, "\tenum_searchabletext SearchableText = IMAGE_ONLY;");
	assert_has_line(t, "\tstring SourceDocumentLanguages = \"en\";");
	assert_has_line(t, "\tstring DocumentObjectName = \"Scan\";");
	assert_has_line(t, "\tenum_filingprotocol FilingProtocol = XRXHTTPS;");
	assert_has_line(t, "\tstring RepositoryName = \"" HOST "\";");
	assert_has_line(t, "\tstring XrxHTTPScriptLocation = \"" PATH "\";");
	assert_has_line(t, "\tenum_filingpolicy DocumentFilingPolicy = NEW_AUTO_GENERATE;");
	CU_ASSERT(oracle_lines(t) > 0);
	CU_ASSERT_EQUAL(template_check(t), 0);
	free(t);
	jobspec_free(&js);
}

/* Xerox's sample scanTemplate.js writes SuppressJobLog = FALSE so the job log
 * follows the last file; scanpost relies on it (cgi/h_scan.c). */
static void test_build_asks_for_the_job_log(void)
{
	struct jobspec js;
	char *t;

	default_spec(&js);
	t = build(&js);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	assert_has_line(t, "\tboolean SuppressJobLog = FALSE;");
	CU_ASSERT_PTR_NULL(strstr(t, "SuppressJobLog = TRUE"));
	free(t);
	jobspec_free(&js);
}

static void family_spec(struct jobspec *js, const char *family)
{
	char body[128];

	snprintf(body, sizeof(body), "{\"to\":[\"a@example.org\"],\"device\":{\"family\":\"%s\"}}",
	         family);
	CU_ASSERT_EQUAL_FATAL(jobspec_parse(body, strlen(body), js, NULL), JOBSPEC_OK);
}

/* A VersaLink needs the app name appended to RepositoryName and prepended to
 * XrxHTTPScriptLocation (scanTemplate.js); an AltaLink gets neither. */
static void test_build_puts_the_app_name_in_both_for_a_versalink(void)
{
	struct jobspec js;
	char *t;

	family_spec(&js, "versalink");
	t = build(&js);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	assert_has_line(t, "\tstring RepositoryName = \"" HOST "/" TEMPLATE_APP_NAME "\";");
	assert_has_line(t, "\tstring XrxHTTPScriptLocation = \"/" TEMPLATE_APP_NAME PATH "\";");
	CU_ASSERT(oracle_lines(t) > 0);
	CU_ASSERT_EQUAL(oracle_lines(t), default_line_count());
	CU_ASSERT_EQUAL(template_check(t), 0);
	free(t);
	jobspec_free(&js);

	family_spec(&js, "altalink");
	t = build(&js);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	assert_has_line(t, "\tstring RepositoryName = \"" HOST "\";");
	CU_ASSERT_PTR_NULL(strstr(t, TEMPLATE_APP_NAME "/"));
	free(t);
	jobspec_free(&js);
}

/* The fixture's text without its leading "#" lines (which name the source). */
static char *read_fixture(const char *name)
{
	char path[1024], *text, *p;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/eip/templates/%s", FIXTURES_DIR, name);
	f = fopen(path, "rb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)n + 1);
	CU_ASSERT_FATAL(text && fread(text, 1, (size_t)n, f) == (size_t)n);
	fclose(f);
	for (p = text; *p == '#';)
		p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p);
	memmove(text, p, strlen(p) + 1);
	return text;
}

/* The whole text, line for line, as tests/fixtures/eip/templates/ pins it:
 * a change of the template is a change of that file too. */
static void test_build_matches_the_fixtures(void)
{
	static const struct {
		const char *family, *fixture;
	} cases[] = {{"altalink", "altalink_default.xst"}, {"versalink", "versalink_default.xst"}};
	struct jobspec js;
	char *t, *want;
	size_t i;

	for (i = 0; i < N_ELEMS(cases); i++) {
		family_spec(&js, cases[i].family);
		t = build(&js);
		want = read_fixture(cases[i].fixture);
		CU_ASSERT_PTR_NOT_NULL_FATAL(t);
		CU_ASSERT_STRING_EQUAL(t, want);
		if (strcmp(t, want) != 0)
			fprintf(stderr, "\n  %s differs; built:\n%s\n", cases[i].fixture, t);
		free(t);
		free(want);
		jobspec_free(&js);
	}
}

/* The template line of each scan setting. */
static const struct {
	enum jobspec_setting set;
	const char *prefix; /* up to the value */
	int quoted;
} setting_lines[] = {
    {JOBSPEC_SIDES, "\tenum_sided SidesToScan = ", 0},
    {JOBSPEC_RESOLUTION, "\tenum_resolution Resolution = ", 0},
    {JOBSPEC_COLOR, "\tenum_colormode ColorMode = ", 0},
    {JOBSPEC_ORIENTATION, "\tenum_inputorientation InputOrientation = ", 0},
    {JOBSPEC_ORIGINAL_SIZE, "\tenum_mediasize InputMediaSize = ", 0},
    {JOBSPEC_ORIGINAL_TYPE, "\tenum_imagemode DocumentImageMode = ", 0},
    {JOBSPEC_FORMAT, "\tenum_docformat DocumentFormat = ", 0},
    {JOBSPEC_LANGUAGE, "\tstring SourceDocumentLanguages = ", 1},
};

static void test_build_writes_every_setting_value_with_its_spelling(void)
{
	int lines = default_line_count();
	struct jobspec js;
	char want[256];
	size_t s, v;

	CU_ASSERT(lines > 0);
	default_spec(&js);
	for (s = 0; s < N_ELEMS(setting_lines); s++) {
		unsigned saved = js.choice[setting_lines[s].set];

		for (v = 0; v < jobspec_choice_count(setting_lines[s].set); v++) {
			const char *sp = jobspec_choice_spelling(setting_lines[s].set, (unsigned)v);
			char *t;

			CU_ASSERT_PTR_NOT_NULL_FATAL(sp);
			js.choice[setting_lines[s].set] = (unsigned)v;
			t = build(&js);
			if (!t)
				continue;
			snprintf(want, sizeof(want), "%s%s%s%s;", setting_lines[s].prefix,
			         setting_lines[s].quoted ? "\"" : "", sp,
			         setting_lines[s].quoted ? "\"" : "");
			assert_has_line(t, want);
			CU_ASSERT_EQUAL(oracle_lines(t), lines);
			free(t);
		}
		js.choice[setting_lines[s].set] = saved;
	}
	jobspec_free(&js);
}

static void test_build_writes_searchable_image_when_asked(void)
{
	struct jobspec js;
	char *t;

	default_spec(&js);
	js.scan.searchable = true;
	t = build(&js);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	assert_has_line(t, "\tenum_searchabletext SearchableText = SEARCHABLE_IMAGE;");
	free(t);
	jobspec_free(&js);
}

static void test_build_refuses_a_choice_outside_its_table(void)
{
	struct jobspec js;
	char *t = (char *)"untouched";

	default_spec(&js);
	js.choice[JOBSPEC_FORMAT] = 99;
	CU_ASSERT_EQUAL(template_build(&js, HOST, PATH, &t), TEMPLATE_ERR_SPEC);
	CU_ASSERT_PTR_NULL(t);
	jobspec_free(&js);
}

static const struct {
	const char *in, *out;
} file_names[] = {
    {"Contract 2024", "Contract 2024"},
    {"line\nbreak", "line_break"},
    {"a\r\n\t[service xrx_svc_scan]", "a____service xrx_svc_scan_"},
    {"semi;colon", "semi_colon"},
    {"q\"uote\";\n\tstring X = \"y", "q_uote____string X _ _y"},
    {"}", "Scan"},
    {"x}\nend\n[service evil]\n{", "x__end__service evil___"},
    {"../../etc/passwd", "_.._etc_passwd"},
    {".hidden", "hidden"},
    {"  . name .  ", "name"},
    {"a&b", "a_b"},
    {"R\xc3\xa9sum\xc3\xa9", "R_sum_"},
    {"\xe6\x97\xa5\xe6\x9c\xac.pdf", "__.pdf"},
    {"smile \xf0\x9f\x98\x80", "smile _"},
    {"\xff\xfe", "Scan"},
    {"", "Scan"},
    {"...", "Scan"},
    {"&;\"", "Scan"},
    {"back\\slash", "back_slash"},
};

static void test_safe_file_name_reduces_hostile_names(void)
{
	char out[TEMPLATE_FILE_NAME_MAX + 1], *long_in;
	size_t i;

	for (i = 0; i < N_ELEMS(file_names); i++) {
		template_safe_file_name(file_names[i].in, out, sizeof(out));
		CU_ASSERT_STRING_EQUAL(out, file_names[i].out);
		if (strcmp(out, file_names[i].out) != 0)
			fprintf(stderr, "\n  case %zu: got '%s'\n", i, out);
	}
	long_in = malloc(1001);
	memset(long_in, 'A', 1000);
	long_in[1000] = '\0';
	template_safe_file_name(long_in, out, sizeof(out));
	CU_ASSERT_EQUAL(strlen(out), TEMPLATE_FILE_NAME_MAX);
	CU_ASSERT_EQUAL(strspn(out, "A"), TEMPLATE_FILE_NAME_MAX);
	free(long_in);
	template_safe_file_name(NULL, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "Scan");
	/* a small buffer truncates, never overflows */
	template_safe_file_name("abcdef", out, 4);
	CU_ASSERT_STRING_EQUAL(out, "abc");
}

static void test_build_keeps_hostile_file_names_inside_their_line(void)
{
	int lines = default_line_count();
	struct jobspec js;
	char want[256], *t, *long_in;
	size_t i;

	default_spec(&js);
	for (i = 0; i < N_ELEMS(file_names); i++) {
		free(js.scan.file_name);
		js.scan.file_name = strdup(file_names[i].in);
		t = build(&js);
		if (!t)
			continue;
		snprintf(want, sizeof(want), "\tstring DocumentObjectName = \"%s\";",
		         file_names[i].out);
		assert_has_line(t, want);
		CU_ASSERT_EQUAL(oracle_lines(t), lines);
		CU_ASSERT_EQUAL(template_check(t), 0);
		free(t);
	}
	long_in = malloc(1001);
	memset(long_in, '}', 1000);
	memcpy(long_in, "x\n", 2);
	long_in[1000] = '\0';
	free(js.scan.file_name);
	js.scan.file_name = long_in;
	t = build(&js);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(oracle_lines(t), lines);
	CU_ASSERT_PTR_NULL(strstr(t, "}}"));
	free(t);
	jobspec_free(&js);
}

static void test_build_refuses_bad_hosts(void)
{
	static const char *const good[] = {"localhost", "10.0.0.5", "scanpost.example.org:8443",
	                                   "a-b.example:1", "h:65535"};
	static const char *const bad[] = {
	    "",       "a b",       "host\n",      "host\";",         "host:",   "host:0",
	    "h:08",   "h:65536",   "h:123456",    "-a.org",          "a.org-",  ".a.org",
	    "a..org", "[::1]",     "a.org:80:90", "a.org/x",         "a.org\"", "user@a.org",
	    ":80",    "h\xc3\xa9", "a.org;x=1",   "a.org}\n[service"};
	struct jobspec js;
	char *t, *long_host;
	size_t i;

	default_spec(&js);
	for (i = 0; i < N_ELEMS(good); i++)
		CU_ASSERT_EQUAL(template_check_host(good[i]), 0);
	for (i = 0; i < N_ELEMS(bad); i++) {
		t = NULL;
		CU_ASSERT_EQUAL(template_check_host(bad[i]), -1);
		CU_ASSERT_EQUAL(template_build(&js, bad[i], PATH, &t), TEMPLATE_ERR_HOST);
		CU_ASSERT_PTR_NULL(t);
	}
	CU_ASSERT_EQUAL(template_check_host(NULL), -1);
	long_host = malloc(300);
	memset(long_host, 'h', 254);
	long_host[254] = '\0';
	CU_ASSERT_EQUAL(template_check_host(long_host), -1);
	long_host[253] = '\0';
	CU_ASSERT_EQUAL(template_check_host(long_host), 0);
	free(long_host);
	jobspec_free(&js);
}

static void test_build_refuses_bad_upload_paths(void)
{
	static const char *const good[] = {"/", "/scan/abc-123/tok_EN", PATH};
	static const char *const bad[] = {"",      "scan/x", "/a b",      "/a\nb", "/a\"b",
	                                  "/a;b",  "/a.b",   "/../etc",   "/x?y",  "/x#y",
	                                  "/x%2e", "/x\\y",  "/\xc3\xa9", "/}"};
	struct jobspec js;
	char *t, *long_path;
	size_t i;

	default_spec(&js);
	for (i = 0; i < N_ELEMS(good); i++)
		CU_ASSERT_EQUAL(template_check_path(good[i]), 0);
	for (i = 0; i < N_ELEMS(bad); i++) {
		t = NULL;
		CU_ASSERT_EQUAL(template_check_path(bad[i]), -1);
		CU_ASSERT_EQUAL(template_build(&js, HOST, bad[i], &t), TEMPLATE_ERR_PATH);
		CU_ASSERT_PTR_NULL(t);
	}
	CU_ASSERT_EQUAL(template_check_path(NULL), -1);
	long_path = malloc(TEMPLATE_PATH_MAX + 2);
	memset(long_path, 'p', TEMPLATE_PATH_MAX + 1);
	long_path[0] = '/';
	long_path[TEMPLATE_PATH_MAX + 1] = '\0';
	CU_ASSERT_EQUAL(template_check_path(long_path), -1);
	long_path[TEMPLATE_PATH_MAX] = '\0';
	CU_ASSERT_EQUAL(template_check_path(long_path), 0);
	free(long_path);
	jobspec_free(&js);
}

static void test_check_refuses_text_outside_the_grammar(void)
{
	static const char good[] = "[service xrx_svc_scan]\n{\n\tenum_sided SidesToScan = "
	                           "ONE_SIDED;\n\tstring A = \"\";\n}\nend\n\n";
	static const char *const bad[] = {
	    "",
	    "[service xrx_svc_scan]\n{\n}\nend",                        /* no final newline */
	    "[service xrx_svc_scan]\n{\n}\n",                           /* no end */
	    "[service xrx_svc_scan]\n{\n\n}\nend\n",                    /* blank inside */
	    "[service xrx_svc_scan]\n{\n}\nend\n\tstring A = \"b\";\n", /* line outside */
	    "[service xrx_svc_scan]\n{\n\tstring A = \"b\"c\";\n}\nend\n",
	    "[service xrx_svc_scan]\n{\n\tstring A = \"b;\";\n}\nend\n",
	    "[service xrx_svc_scan]\n{\n\tstring A = \"b\";x;\n}\nend\n",
	    "[service xrx_svc_scan]\n{\n\tstring A = b c;\n}\nend\n",
	    "[service xrx_svc_scan]\n{\n\tstring A = \"\xc3\xa9\";\n}\nend\n",
	    "[service xrx_svc_scan]\n{\n string A = \"b\";\n}\nend\n",
	    "[service xrx_svc_scan]\n{\n\tstring A=\"b\";\n}\nend\n",
	    "[service xrx_svc_scan]\n{\n\tstring A = \"b\"\n}\nend\n",
	    "[job xrx_svc_scan]\n{\n}\nend\n",
	    "[service xrx svc]\n{\n}\nend\n",
	    "[service xrx_svc_scan]\n[service xrx_svc_file]\n{\n}\nend\n",
	    "{\n}\nend\n",
	    "[service xrx_svc_scan]\r\n{\n}\nend\n",
	};
	struct jobspec js;
	char *t, *spliced;
	size_t i, cut, len;

	/* Both checks see a line smuggled into a real template. */
	default_spec(&js);
	t = build(&js);
	if (!t) {
		jobspec_free(&js);
		return;
	}
	len = strlen(t) + 64;
	spliced = malloc(len);
	cut = (size_t)(strstr(t, "\tstring DocumentObjectName") - t);
	snprintf(spliced, len, "%.*s\tstring X = \"a\"b\";\n%s", (int)cut, t, t + cut);
	CU_ASSERT(oracle_lines(t) > 0);
	CU_ASSERT_EQUAL(oracle_lines(spliced), -1);
	CU_ASSERT_EQUAL(template_check(spliced), -1);
	free(spliced);
	free(t);
	jobspec_free(&js);

	CU_ASSERT_EQUAL(template_check(good), 0);
	CU_ASSERT(oracle_lines(good) < 0); /* one section only: the oracle wants four */
	CU_ASSERT_EQUAL(template_check(NULL), -1);
	for (i = 0; i < N_ELEMS(bad); i++) {
		CU_ASSERT_EQUAL(template_check(bad[i]), -1);
		if (template_check(bad[i]) != -1)
			fprintf(stderr, "\n  accepted case %zu\n", i);
	}
}

int main(void)
{
	static const struct {
		const char *name;
		CU_TestFunc fn;
	} tests[] = {
#define T(f) {#f, f}
	    T(test_build_writes_defaults_and_destination),
	    T(test_build_asks_for_the_job_log),
	    T(test_build_puts_the_app_name_in_both_for_a_versalink),
	    T(test_build_matches_the_fixtures),
	    T(test_build_writes_every_setting_value_with_its_spelling),
	    T(test_build_writes_searchable_image_when_asked),
	    T(test_build_refuses_a_choice_outside_its_table),
	    T(test_safe_file_name_reduces_hostile_names),
	    T(test_build_keeps_hostile_file_names_inside_their_line),
	    T(test_build_refuses_bad_hosts),
	    T(test_build_refuses_bad_upload_paths),
	    T(test_check_refuses_text_outside_the_grammar),
#undef T
	};
	CU_pSuite suite;
	unsigned failures;
	size_t i;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	suite = CU_add_suite("template", oracle_init, oracle_free);
	if (!suite)
		goto fail;
	for (i = 0; i < N_ELEMS(tests); i++)
		if (!CU_add_test(suite, tests[i].name, tests[i].fn))
			goto fail;
	CU_basic_set_mode(CU_BRM_VERBOSE);
	if (CU_basic_run_tests() != CUE_SUCCESS)
		goto fail;
	failures = CU_get_number_of_failures() + CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	return failures > 0 ? 1 : 0;
fail:
	CU_cleanup_registry();
	return 1;
}
