/* test_jobstate.c - the job state-transition table (DESIGN 3.1). */
#include <string.h>

#include "cunit_main.h"
#include "jobstate.h"
#include "queue.h"

static void test_names_round_trip(void)
{
	for (int i = 0; i < JOB_STATE__MAX; i++) {
		enum job_state s;
		CU_ASSERT_EQUAL(job_state_parse(job_state_name((enum job_state)i), &s), 0);
		CU_ASSERT_EQUAL(s, i);
	}
	enum job_state s;
	CU_ASSERT_EQUAL(job_state_parse("done", &s), -1);
}

static void test_happy_path_is_allowed(void)
{
	CU_ASSERT_TRUE(job_state_allows(JOB_AWAITING_SCAN, JOB_QUEUED));
	CU_ASSERT_TRUE(job_state_allows(JOB_QUEUED, JOB_SENDING));
	CU_ASSERT_TRUE(job_state_allows(JOB_SENDING, JOB_SENT));
}

static void test_retry_and_failure_paths(void)
{
	CU_ASSERT_TRUE(job_state_allows(JOB_SENDING, JOB_QUEUED));
	CU_ASSERT_TRUE(job_state_allows(JOB_SENDING, JOB_FAILED));
	CU_ASSERT_TRUE(job_state_allows(JOB_FAILED, JOB_QUEUED));
	CU_ASSERT_TRUE(job_state_allows(JOB_AWAITING_SCAN, JOB_EXPIRED));
}

static void test_sending_cannot_be_canceled(void)
{
	CU_ASSERT_TRUE(job_state_allows(JOB_AWAITING_SCAN, JOB_CANCELED));
	CU_ASSERT_TRUE(job_state_allows(JOB_QUEUED, JOB_CANCELED));
	CU_ASSERT_FALSE(job_state_allows(JOB_SENDING, JOB_CANCELED));
}

static void test_nothing_leaves_a_terminal_state(void)
{
	CU_ASSERT_TRUE(job_state_terminal(JOB_SENT));
	CU_ASSERT_TRUE(job_state_terminal(JOB_CANCELED));
	CU_ASSERT_TRUE(job_state_terminal(JOB_EXPIRED));
	CU_ASSERT_FALSE(job_state_terminal(JOB_FAILED));
	for (int to = 0; to < JOB_STATE__MAX; to++)
		CU_ASSERT_FALSE(job_state_allows(JOB_SENT, (enum job_state)to));
}

static void test_no_skipping_the_queue(void)
{
	CU_ASSERT_FALSE(job_state_allows(JOB_AWAITING_SCAN, JOB_SENDING));
	CU_ASSERT_FALSE(job_state_allows(JOB_AWAITING_SCAN, JOB_SENT));
	CU_ASSERT_FALSE(job_state_allows(JOB_QUEUED, JOB_SENT));
	CU_ASSERT_FALSE(job_state_allows(JOB_STATE__MAX, JOB_SENT));
}

static void test_sources_literal_lists_allowed_states(void)
{
	char out[128];

	job_state_sources(JOB_CANCELED, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "{awaiting_scan,queued}");
	job_state_sources(JOB_EXPIRED, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "{awaiting_scan}");
	job_state_sources(JOB_QUEUED, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "{awaiting_scan,sending,failed}");
}

static void test_backoff_doubles_within_jitter_and_caps(void)
{
	for (int attempt = 1; attempt <= 6; attempt++) {
		long full = 2000L << (attempt - 1);
		for (int k = 0; k < 50; k++) {
			long d = queue_backoff_ms(2, attempt, -1);
			CU_ASSERT(d >= full / 2 && d <= full);
		}
	}
	for (int k = 0; k < 20; k++)
		CU_ASSERT(queue_backoff_ms(2, 40, -1) <= 3600 * 1000);
}

static void test_first_retry_of_one_second_base_is_not_immediate(void)
{
	for (int k = 0; k < 50; k++)
		CU_ASSERT(queue_backoff_ms(1, 1, -1) >= 500);
}

static void test_backoff_honours_retry_after(void)
{
	CU_ASSERT(queue_backoff_ms(1, 1, 30) >= 30000);
	CU_ASSERT(queue_backoff_ms(1, 1, 0) <= 1000);
}

static CU_TestInfo tests[] = {
    {"names round trip", test_names_round_trip},
    {"happy path allowed", test_happy_path_is_allowed},
    {"retry and failure paths", test_retry_and_failure_paths},
    {"sending cannot be canceled", test_sending_cannot_be_canceled},
    {"nothing leaves a terminal state", test_nothing_leaves_a_terminal_state},
    {"no skipping the queue", test_no_skipping_the_queue},
    {"sources literal lists allowed states", test_sources_literal_lists_allowed_states},
    {"backoff doubles within jitter and caps", test_backoff_doubles_within_jitter_and_caps},
    {"first retry of a 1 s base is not immediate",
     test_first_retry_of_one_second_base_is_not_immediate},
    {"backoff honours Retry-After", test_backoff_honours_retry_after},
    CU_TEST_INFO_NULL,
};

int main(void)
{
	return run_suite("jobstate", tests);
}
