/* test_routes.c - the route table: paths, methods, captures, guards. */
#include <stdio.h>
#include <string.h>

#include "cunit_main.h"
#include "routes.h"

static char params[ROUTE_PARAMS][ROUTE_PARAM_MAX + 1];

static enum route_id find(const char *method, const char *path)
{
	const struct route *r;

	CU_ASSERT_EQUAL_FATAL(route_find(method, path, &r, params), ROUTE_FOUND);
	return r->id;
}

static void test_every_route_is_found_by_its_own_id(void)
{
	for (int i = 0; i < ROUTE__MAX; i++) {
		const struct route *r = route_by_id((enum route_id)i);
		CU_ASSERT_PTR_NOT_NULL_FATAL(r);
		CU_ASSERT_EQUAL(r->id, i);
	}
}

static void test_session_routes_by_method(void)
{
	CU_ASSERT_EQUAL(find("POST", "/api/v1/session"), ROUTE_SESSION_CREATE);
	CU_ASSERT_EQUAL(find("GET", "/api/v1/session"), ROUTE_SESSION_GET);
	CU_ASSERT_EQUAL(find("DELETE", "/api/v1/session"), ROUTE_SESSION_DELETE);
	CU_ASSERT_EQUAL(find("POST", "/api/v1/session/sso"), ROUTE_SESSION_SSO);
	CU_ASSERT_EQUAL(find("DELETE", "/api/v1/session/sso"), ROUTE_SESSION_SSO_FORGET);
}

static void test_job_id_is_captured(void)
{
	CU_ASSERT_EQUAL(find("GET", "/api/v1/jobs/0b6c1f1e-1111-4222-8333-444455556666"),
	                ROUTE_JOB_GET);
	CU_ASSERT_STRING_EQUAL(params[0], "0b6c1f1e-1111-4222-8333-444455556666");
	CU_ASSERT_EQUAL(find("POST", "/api/v1/jobs/abc/submit"), ROUTE_JOB_SUBMIT);
	CU_ASSERT_STRING_EQUAL(params[0], "abc");
}

static void test_policy_is_read_signed_in(void)
{
	CU_ASSERT_EQUAL(find("GET", "/api/v1/policy"), ROUTE_POLICY_GET);
	CU_ASSERT_EQUAL(route_by_id(ROUTE_POLICY_GET)->flags, ROUTE_NEEDS_SESSION);
}

static void test_scan_upload_captures_job_and_token(void)
{
	CU_ASSERT_EQUAL(find("POST", "/scan/J1/T_2-x"), ROUTE_SCAN_UPLOAD);
	CU_ASSERT_STRING_EQUAL(params[0], "J1");
	CU_ASSERT_STRING_EQUAL(params[1], "T_2-x");
	/* A VersaLink files with the app name first (template.h). */
	CU_ASSERT_EQUAL(find("POST", "/scanpost/scan/J1/T_2-x"), ROUTE_SCAN_UPLOAD_APP);
	CU_ASSERT_STRING_EQUAL(params[0], "J1");
	CU_ASSERT_STRING_EQUAL(params[1], "T_2-x");
	CU_ASSERT_EQUAL(route_by_id(ROUTE_SCAN_UPLOAD_APP)->flags, ROUTE_STREAMS_BODY);
}

static void test_wrong_method_is_405_unknown_path_404(void)
{
	const struct route *r;

	CU_ASSERT_EQUAL(route_find("PUT", "/api/v1/session", &r, params), ROUTE_NO_METHOD);
	CU_ASSERT_EQUAL(route_find("GET", "/api/v1/nope", &r, params), ROUTE_NO_PATH);
	CU_ASSERT_EQUAL(route_find("GET", "/api/v1/session/", &r, params), ROUTE_NO_PATH);
	CU_ASSERT_EQUAL(route_find("GET", "/api/v1/jobs/a/b", &r, params), ROUTE_NO_PATH);
	CU_ASSERT_PTR_NULL(r);
}

static void test_captures_refuse_odd_characters_and_length(void)
{
	const struct route *r;
	char longid[200];

	CU_ASSERT_EQUAL(route_find("GET", "/api/v1/jobs/a.b", &r, params), ROUTE_NO_PATH);
	CU_ASSERT_EQUAL(route_find("GET", "/api/v1/jobs/%2e%2e", &r, params), ROUTE_NO_PATH);
	CU_ASSERT_EQUAL(route_find("GET", "/api/v1/jobs/", &r, params), ROUTE_NO_PATH);
	memset(longid, 'a', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	char path[300];
	snprintf(path, sizeof(path), "/api/v1/jobs/%s", longid);
	CU_ASSERT_EQUAL(route_find("GET", path, &r, params), ROUTE_NO_PATH);
}

static void test_state_changes_need_session_and_csrf(void)
{
	static const enum route_id changes[] = {ROUTE_SESSION_DELETE, ROUTE_SESSION_SSO_FORGET,
	                                        ROUTE_JOBS_CREATE, ROUTE_JOB_SUBMIT,
	                                        ROUTE_JOB_DELETE};

	for (size_t i = 0; i < sizeof(changes) / sizeof(changes[0]); i++) {
		const struct route *r = route_by_id(changes[i]);
		CU_ASSERT((r->flags & ROUTE_NEEDS_SESSION) != 0);
		CU_ASSERT((r->flags & ROUTE_NEEDS_CSRF) != 0);
	}
	CU_ASSERT_EQUAL(route_by_id(ROUTE_SCAN_UPLOAD)->flags & ROUTE_NEEDS_SESSION, 0);
	CU_ASSERT_EQUAL(route_by_id(ROUTE_HEALTHZ)->flags, 0);
}

static CU_TestInfo tests[] = {
    {"every route found by its own id", test_every_route_is_found_by_its_own_id},
    {"session routes by method", test_session_routes_by_method},
    {"job id captured", test_job_id_is_captured},
    {"policy is read signed in", test_policy_is_read_signed_in},
    {"scan upload captures job and token", test_scan_upload_captures_job_and_token},
    {"wrong method 405, unknown path 404", test_wrong_method_is_405_unknown_path_404},
    {"captures refuse odd characters and length", test_captures_refuse_odd_characters_and_length},
    {"state changes need session and CSRF", test_state_changes_need_session_and_csrf},
    CU_TEST_INFO_NULL,
};

int main(void)
{
	return run_suite("routes", tests);
}
