/*
 * cunit_main.h - the shared main() of the CUnit suites: run every test
 * verbosely, exit non-zero on any failure.  A suite defines
 * `static const CU_TestInfo tests[]` and `#define SUITE_NAME "..."`.
 */
#ifndef SCANPOST_CUNIT_MAIN_H
#define SCANPOST_CUNIT_MAIN_H

#include <CUnit/Basic.h>

static int run_suite(const char *name, CU_TestInfo *tests)
{
	CU_SuiteInfo suites[] = {{name, NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};
	unsigned failures;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	if (CU_register_suites(suites) != CUE_SUCCESS) {
		CU_cleanup_registry();
		return 2;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures();
	CU_cleanup_registry();
	return failures == 0 ? 0 : 1;
}

#endif
