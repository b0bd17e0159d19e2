/* test_jsonbody.c - strict JSON bodies and the field table. */
#include <string.h>

#include "cunit_main.h"
#include "jsonbody.h"

static const struct jsonbody_field fields[] = {
    {"username", JF_STRING, 1, 1, 10},
    {"password", JF_STRING, 1, 1, 20},
    {"remember", JF_BOOL, 0, 0, 0},
};

static char field[64], msg[200];

static enum jsonbody_err check(const char *body)
{
	struct json_object *o;
	enum jsonbody_err rc = jsonbody_parse(body, strlen(body), &o, msg, sizeof(msg));

	if (rc != JSONBODY_OK)
		return rc;
	rc = jsonbody_check(o, fields, 3, field, sizeof(field), msg, sizeof(msg));
	json_object_put(o);
	return rc;
}

static void test_valid_body_passes(void)
{
	CU_ASSERT_EQUAL(check("{\"username\":\"a@b.c\",\"password\":\"pw\"}"), JSONBODY_OK);
	CU_ASSERT_EQUAL(check(" {\"username\":\"a\",\"password\":\"p\",\"remember\":true}\n"),
	                JSONBODY_OK);
}

static void test_syntax_errors_are_syntax(void)
{
	CU_ASSERT_EQUAL(check(""), JSONBODY_SYNTAX);
	CU_ASSERT_EQUAL(check("{"), JSONBODY_SYNTAX);
	CU_ASSERT_EQUAL(check("{'username':'a'}"), JSONBODY_SYNTAX);
	CU_ASSERT_EQUAL(check("{\"username\":\"a\",}"), JSONBODY_SYNTAX);
	CU_ASSERT_EQUAL(check("{\"username\":\"a\",\"password\":\"b\"} x"), JSONBODY_SYNTAX);
	CU_ASSERT_EQUAL(check("[1,2]"), JSONBODY_SYNTAX);
	CU_ASSERT_EQUAL(check("\"just a string\""), JSONBODY_SYNTAX);
	CU_ASSERT_EQUAL(check("{\"a\":[[[[[[[[[[[[1]]]]]]]]]]]]}"), JSONBODY_SYNTAX);
}

static void test_invalid_utf8_is_refused(void)
{
	CU_ASSERT_EQUAL(check("{\"username\":\"\xff\xfe\",\"password\":\"p\"}"), JSONBODY_SYNTAX);
}

static void test_unknown_key_is_named(void)
{
	CU_ASSERT_EQUAL(check("{\"username\":\"a\",\"password\":\"p\",\"admin\":true}"),
	                JSONBODY_INVALID);
	CU_ASSERT_STRING_EQUAL(field, "admin");
}

static void test_missing_required_is_named(void)
{
	CU_ASSERT_EQUAL(check("{\"username\":\"a\"}"), JSONBODY_INVALID);
	CU_ASSERT_STRING_EQUAL(field, "password");
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "required"));
}

static void test_wrong_types_are_named(void)
{
	CU_ASSERT_EQUAL(check("{\"username\":1,\"password\":\"p\"}"), JSONBODY_INVALID);
	CU_ASSERT_STRING_EQUAL(field, "username");
	CU_ASSERT_EQUAL(check("{\"username\":\"a\",\"password\":\"p\",\"remember\":\"true\"}"),
	                JSONBODY_INVALID);
	CU_ASSERT_STRING_EQUAL(field, "remember");
	CU_ASSERT_EQUAL(check("{\"username\":null,\"password\":\"p\"}"), JSONBODY_INVALID);
}

static void test_length_bounds(void)
{
	CU_ASSERT_EQUAL(check("{\"username\":\"\",\"password\":\"p\"}"), JSONBODY_INVALID);
	CU_ASSERT_EQUAL(check("{\"username\":\"12345678901\",\"password\":\"p\"}"),
	                JSONBODY_INVALID);
	CU_ASSERT_STRING_EQUAL(field, "username");
	CU_ASSERT_EQUAL(check("{\"username\":\"1234567890\",\"password\":\"p\"}"), JSONBODY_OK);
}

static void test_embedded_nul_is_refused(void)
{
	CU_ASSERT_EQUAL(check("{\"username\":\"a\\u0000b\",\"password\":\"p\"}"), JSONBODY_INVALID);
}

static void test_accessors_fall_back_to_defaults(void)
{
	struct json_object *o;
	const char *b = "{\"username\":\"u\"}";

	CU_ASSERT_EQUAL_FATAL(jsonbody_parse(b, strlen(b), &o, msg, sizeof(msg)), JSONBODY_OK);
	CU_ASSERT_STRING_EQUAL(jsonbody_string(o, "username", "x"), "u");
	CU_ASSERT_STRING_EQUAL(jsonbody_string(o, "password", "x"), "x");
	CU_ASSERT_EQUAL(jsonbody_bool(o, "remember", 0), 0);
	json_object_put(o);
}

static CU_TestInfo tests[] = {
    {"valid body passes", test_valid_body_passes},
    {"syntax errors are syntax", test_syntax_errors_are_syntax},
    {"invalid UTF-8 refused", test_invalid_utf8_is_refused},
    {"unknown key named", test_unknown_key_is_named},
    {"missing required named", test_missing_required_is_named},
    {"wrong types named", test_wrong_types_are_named},
    {"length bounds", test_length_bounds},
    {"embedded NUL refused", test_embedded_nul_is_refused},
    {"accessors fall back to defaults", test_accessors_fall_back_to_defaults},
    CU_TEST_INFO_NULL,
};

int main(void)
{
	return run_suite("jsonbody", tests);
}
