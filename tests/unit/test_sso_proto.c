/* test_sso_proto.c - the api <-> ssod line protocol (src/lib/sso_proto.h). */
#include <stdio.h>
#include <string.h>

#include "cunit_main.h"
#include "sso_proto.h"

#define DEV "\"ticket\":\"k1.YWJjZGVm\""
#define TOK "\"serial\":\"3TB123456\",\"token\":\"PEFzc2VydGlvbi8+\""

static struct sso_request req;
static struct sso_answer ans;
static char msg[96], line[SSO_LINE_MAX + 1];

static int parse(const char *text)
{
	return sso_request_parse(text, strlen(text), &req, msg, sizeof(msg));
}

static void test_fetch_request_parses(void)
{
	CU_ASSERT_EQUAL_FATAL(parse("{\"op\":\"fetch\"," DEV "}\n"), 0);
	CU_ASSERT_EQUAL(req.op, SSO_OP_FETCH);
	CU_ASSERT_STRING_EQUAL(req.ticket, "k1.YWJjZGVm");
	CU_ASSERT_STRING_EQUAL(req.token, "");
	CU_ASSERT_STRING_EQUAL(req.password, "");
}

static void test_ticket_request_takes_serial_and_token_only(void)
{
	CU_ASSERT_EQUAL_FATAL(parse("{\"op\":\"ticket\"," TOK "}"), 0);
	CU_ASSERT_EQUAL(req.op, SSO_OP_TICKET);
	CU_ASSERT_STRING_EQUAL(req.serial, "3TB123456");
	CU_ASSERT_STRING_EQUAL(req.token, "PEFzc2VydGlvbi8+");
	/* A ticket op takes no ticket, and the others take no token. */
	CU_ASSERT_EQUAL(parse("{\"op\":\"ticket\"," TOK "," DEV "}"), -1);
	CU_ASSERT_EQUAL(parse("{\"op\":\"ticket\",\"serial\":\"3TB123456\"}"), -1);
	CU_ASSERT_EQUAL(parse("{\"op\":\"fetch\"," TOK "}"), -1);
	CU_ASSERT_EQUAL(parse("{\"op\":\"forget\"," DEV ",\"serial\":\"3TB\"}"), -1);
	CU_ASSERT_EQUAL(parse("{\"op\":\"ticket\",\"serial\":\"3TB\",\"token\":\"\"}"), -1);
}

static void test_store_needs_username_and_password_and_only_store_takes_them(void)
{
	CU_ASSERT_EQUAL(parse("{\"op\":\"store\"," DEV "}"), -1);
	CU_ASSERT_EQUAL(parse("{\"op\":\"store\"," DEV ",\"username\":\"u\"}"), -1);
	CU_ASSERT_EQUAL(parse("{\"op\":\"store\"," DEV ",\"username\":\"u\",\"password\":\"\"}"),
	                -1);
	CU_ASSERT_EQUAL(parse("{\"op\":\"fetch\"," DEV ",\"password\":\"p\"}"), -1);
	CU_ASSERT_EQUAL_FATAL(
	    parse("{\"op\":\"store\"," DEV ",\"username\":\"u@x\",\"password\":\"p\"}"), 0);
	CU_ASSERT_STRING_EQUAL(req.username, "u@x");
	CU_ASSERT_STRING_EQUAL(req.password, "p");
}

static void test_unknown_repeated_or_missing_members_are_refused(void)
{
	CU_ASSERT_EQUAL(parse("{\"op\":\"fetch\"," DEV ",\"admin\":\"yes\"}"), -1);
	CU_ASSERT_STRING_EQUAL(msg, "unknown member");
	CU_ASSERT_EQUAL(parse("{\"op\":\"fetch\",\"op\":\"forget\"," DEV "}"), -1);
	CU_ASSERT_EQUAL(parse("{\"op\":\"fetch\"}"), -1);
	CU_ASSERT_EQUAL(parse("{\"op\":\"drop\"," DEV "}"), -1);
	CU_ASSERT_EQUAL(parse("{" DEV "}"), -1);
	CU_ASSERT_EQUAL(parse("{\"op\":\"fetch\",\"ticket\":\"\"}"), -1);
}

static void test_non_json_and_trailing_bytes_are_refused(void)
{
	CU_ASSERT_EQUAL(parse(""), -1);
	CU_ASSERT_EQUAL(parse("[]"), -1);
	CU_ASSERT_EQUAL(parse("{\"op\":\"fetch\"," DEV "} x"), -1);
	CU_ASSERT_EQUAL(parse("{\"op\":\"fetch\"," DEV ",}"), -1);
	CU_ASSERT_EQUAL(parse("{\"op\":fetch," DEV "}"), -1);
	CU_ASSERT_EQUAL(parse("{\"op\":\"fetch\"," DEV), -1);
	CU_ASSERT_EQUAL(parse("{\"op\":true," DEV "}"), -1);
}

static void test_escapes_decode_and_nul_or_lone_surrogate_is_refused(void)
{
	CU_ASSERT_EQUAL_FATAL(
	    parse("{\"op\":\"store\"," DEV
	          ",\"username\":\"a\\\"b\\\\c\\/d\",\"password\":\"\\u00e9\\ud83d\\ude00\\n\"}"),
	    0);
	CU_ASSERT_STRING_EQUAL(req.username, "a\"b\\c/d");
	CU_ASSERT_STRING_EQUAL(req.password, "\xc3\xa9\xf0\x9f\x98\x80\n");
	CU_ASSERT_EQUAL(
	    parse("{\"op\":\"store\"," DEV ",\"username\":\"u\",\"password\":\"a\\u0000\"}"), -1);
	CU_ASSERT_EQUAL(
	    parse("{\"op\":\"store\"," DEV ",\"username\":\"u\",\"password\":\"\\ud83d\"}"), -1);
	CU_ASSERT_EQUAL(
	    parse("{\"op\":\"store\"," DEV ",\"username\":\"u\",\"password\":\"\\ude00\"}"), -1);
	/* Raw control bytes and invalid UTF-8 (an overlong '/') are no JSON strings. */
	CU_ASSERT_EQUAL(
	    parse("{\"op\":\"store\"," DEV ",\"username\":\"u\",\"password\":\"a\tb\"}"), -1);
	CU_ASSERT_EQUAL(
	    parse("{\"op\":\"store\"," DEV ",\"username\":\"u\",\"password\":\"\xc0\xaf\"}"), -1);
}

static void test_longest_token_fits_a_line(void)
{
	static char text[SSO_LINE_MAX + 64];
	static char tok[SSO_TOKEN_MAX + 2];
	struct sso_request q;

	memset(tok, 'A', SSO_TOKEN_MAX);
	tok[SSO_TOKEN_MAX] = '\0';
	snprintf(text, sizeof(text), "{\"op\":\"ticket\",\"serial\":\"3TB\",\"token\":\"%s\"}",
	         tok);
	CU_ASSERT_EQUAL_FATAL(parse(text), 0);
	CU_ASSERT_EQUAL(strlen(req.token), SSO_TOKEN_MAX);
	q = req;
	CU_ASSERT(sso_request_format(&q, line, sizeof(line)) > 0);
	tok[SSO_TOKEN_MAX] = 'A';
	tok[SSO_TOKEN_MAX + 1] = '\0';
	snprintf(text, sizeof(text), "{\"op\":\"ticket\",\"serial\":\"3TB\",\"token\":\"%s\"}",
	         tok);
	CU_ASSERT_EQUAL(parse(text), -1);
	sso_request_wipe(&q);
}

static void test_values_over_their_limit_are_refused(void)
{
	char text[3000], pw[SSO_PASSWORD_MAX + 2];

	memset(pw, 'p', sizeof(pw) - 1);
	pw[sizeof(pw) - 1] = '\0';
	snprintf(text, sizeof(text),
	         "{\"op\":\"store\"," DEV ",\"username\":\"u\",\"password\":\"%s\"}", pw);
	CU_ASSERT_EQUAL(parse(text), -1);
	pw[SSO_PASSWORD_MAX] = '\0'; /* exactly the limit */
	snprintf(text, sizeof(text),
	         "{\"op\":\"store\"," DEV ",\"username\":\"u\",\"password\":\"%s\"}", pw);
	CU_ASSERT_EQUAL(parse(text), 0);
	CU_ASSERT_EQUAL(strlen(req.password), SSO_PASSWORD_MAX);
	CU_ASSERT_EQUAL(parse("{\"op\":\"ticket\",\"token\":\"a\","
	                      "\"serial\":\"123456789012345678901234567890123\"}"),
	                -1);
}

static void test_request_round_trips_through_format(void)
{
	struct sso_request q;
	int n;

	memset(&q, 0, sizeof(q));
	q.op = SSO_OP_STORE;
	snprintf(q.ticket, sizeof(q.ticket), "k1.YWJjZGVm");
	snprintf(q.serial, sizeof(q.serial), "S-1");
	snprintf(q.token, sizeof(q.token), "PEFzc2VydGlvbi8+");
	snprintf(q.username, sizeof(q.username), "demo@example.com");
	snprintf(q.password, sizeof(q.password), "p\"w\\d\x01\xc3\xa9");
	n = sso_request_format(&q, line, sizeof(line));
	CU_ASSERT_FATAL(n > 0);
	CU_ASSERT_EQUAL(line[n - 1], '\n');
	CU_ASSERT_EQUAL(sso_request_parse(line, (size_t)n, &req, msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL(req.op, SSO_OP_STORE);
	CU_ASSERT_STRING_EQUAL(req.password, q.password);
	CU_ASSERT_STRING_EQUAL(req.username, q.username);
	CU_ASSERT_STRING_EQUAL(req.ticket, q.ticket);
	/* Each op writes only its own members, whatever else the struct has. */
	CU_ASSERT_PTR_NULL(strstr(line, "token"));
	q.op = SSO_OP_FETCH;
	n = sso_request_format(&q, line, sizeof(line));
	CU_ASSERT_FATAL(n > 0);
	CU_ASSERT_PTR_NULL(strstr(line, "password"));
	CU_ASSERT_EQUAL(sso_request_parse(line, (size_t)n, &req, msg, sizeof(msg)), 0);
	q.op = SSO_OP_TICKET;
	n = sso_request_format(&q, line, sizeof(line));
	CU_ASSERT_FATAL(n > 0);
	CU_ASSERT_PTR_NULL(strstr(line, "ticket\":"));
	CU_ASSERT_PTR_NULL(strstr(line, "password"));
	CU_ASSERT_EQUAL(sso_request_parse(line, (size_t)n, &req, msg, sizeof(msg)), 0);
	CU_ASSERT_STRING_EQUAL(req.token, q.token);
	sso_request_wipe(&q);
	CU_ASSERT_EQUAL(q.password[0], '\0');
}

static void test_answers_round_trip_and_error_codes_are_checked(void)
{
	struct sso_answer a;
	int n;

	memset(&a, 0, sizeof(a));
	a.ok = 1;
	snprintf(a.identity, sizeof(a.identity), "jdoe");
	snprintf(a.username, sizeof(a.username), "demo@example.com");
	snprintf(a.password, sizeof(a.password), "s3cret");
	n = sso_answer_format(&a, line, sizeof(line));
	CU_ASSERT_FATAL(n > 0);
	CU_ASSERT_EQUAL_FATAL(sso_answer_parse(line, (size_t)n, &ans, msg, sizeof(msg)), 0);
	CU_ASSERT_TRUE(ans.ok);
	CU_ASSERT_STRING_EQUAL(ans.password, "s3cret");
	CU_ASSERT_STRING_EQUAL(ans.identity, "jdoe");

	memset(&a, 0, sizeof(a));
	a.ok = 1;
	snprintf(a.identity, sizeof(a.identity), "jane@example.test");
	snprintf(a.ticket, sizeof(a.ticket), "k1.YWJjZGVm");
	n = sso_answer_format(&a, line, sizeof(line));
	CU_ASSERT_EQUAL_FATAL(sso_answer_parse(line, (size_t)n, &ans, msg, sizeof(msg)), 0);
	CU_ASSERT_STRING_EQUAL(ans.ticket, "k1.YWJjZGVm");

	memset(&a, 0, sizeof(a));
	a.error = SSO_ERR_OTHER_ACCOUNT;
	n = sso_answer_format(&a, line, sizeof(line));
	CU_ASSERT_EQUAL_FATAL(sso_answer_parse(line, (size_t)n, &ans, msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL(ans.error, SSO_ERR_OTHER_ACCOUNT);

	memset(&a, 0, sizeof(a));
	a.error = SSO_ERR_ASSERTION_REFUSED;
	snprintf(a.reason, sizeof(a.reason), "replayed");
	n = sso_answer_format(&a, line, sizeof(line));
	CU_ASSERT_STRING_EQUAL(
	    line, "{\"ok\":false,\"error\":\"assertion_refused\",\"reason\":\"replayed\"}\n");
	CU_ASSERT_EQUAL_FATAL(sso_answer_parse(line, (size_t)n, &ans, msg, sizeof(msg)), 0);
	CU_ASSERT_FALSE(ans.ok);
	CU_ASSERT_EQUAL(ans.error, SSO_ERR_ASSERTION_REFUSED);

	CU_ASSERT_EQUAL(sso_answer_parse("{\"ok\":false}", 12, &ans, msg, sizeof(msg)), -1);
	CU_ASSERT_EQUAL(
	    sso_answer_parse("{\"ok\":false,\"error\":\"\"}", 23, &ans, msg, sizeof(msg)), -1);
	CU_ASSERT_EQUAL(
	    sso_answer_parse("{\"ok\":true,\"error\":\"not_stored\"}", 32, &ans, msg, sizeof(msg)),
	    -1);
	CU_ASSERT_EQUAL(sso_answer_parse("{\"error\":\"not_stored\"}", 22, &ans, msg, sizeof(msg)),
	                -1);
	sso_answer_wipe(&ans);
}

static void test_parser_never_quotes_a_value_in_its_message(void)
{
	CU_ASSERT_EQUAL(parse("{\"op\":\"store\"," DEV
	                      ",\"username\":\"u\",\"password\":\"TOPSECRET\",\"x\":1}"),
	                -1);
	CU_ASSERT_PTR_NULL(strstr(msg, "TOPSECRET"));
	/* A failed parse leaves no password behind in the output. */
	CU_ASSERT_EQUAL(req.password[0], '\0');
}

static CU_TestInfo tests[] = {
    {"fetch request parses", test_fetch_request_parses},
    {"ticket request takes serial and token only", test_ticket_request_takes_serial_and_token_only},
    {"longest token fits a line", test_longest_token_fits_a_line},
    {"store needs username and password, only store takes them",
     test_store_needs_username_and_password_and_only_store_takes_them},
    {"unknown, repeated or missing members are refused",
     test_unknown_repeated_or_missing_members_are_refused},
    {"non-JSON and trailing bytes are refused", test_non_json_and_trailing_bytes_are_refused},
    {"escapes decode; NUL or lone surrogate refused",
     test_escapes_decode_and_nul_or_lone_surrogate_is_refused},
    {"values over their limit are refused", test_values_over_their_limit_are_refused},
    {"request round-trips through format", test_request_round_trips_through_format},
    {"answers round-trip; error codes are checked",
     test_answers_round_trip_and_error_codes_are_checked},
    {"parser never quotes a value in its message", test_parser_never_quotes_a_value_in_its_message},
    CU_TEST_INFO_NULL,
};

int main(void)
{
	return run_suite("sso_proto", tests);
}
