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

static void test_move_sources_are_array_literals_of_the_table(void)
{
	char out[JOB_STATE_LIST_LEN];

	job_move_sources(JOB_MOVE_CANCEL, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "{awaiting_scan,queued}");
	job_move_sources(JOB_MOVE_EXPIRE, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "{awaiting_scan}");
	/* Submit starts only from an upload: a failed job is requeued. */
	job_move_sources(JOB_MOVE_SUBMIT, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "{awaiting_scan}");
	job_move_sources(JOB_MOVE_REQUEUE, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "{failed,delivery_unknown}");
	/* Session end cancels only what no queued send needs a token for. */
	job_move_sources_except(JOB_MOVE_CANCEL, JOB_FLAG_NEEDS_TOKEN, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "{awaiting_scan}");
	job_move_sources(JOB_MOVE__MAX, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "{}");
}

static void test_flags_name_token_holders_and_finished_states(void)
{
	char out[JOB_STATE_LIST_LEN];

	job_state_list(JOB_FLAG_NEEDS_TOKEN, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "{queued,sending}");
	job_state_list(JOB_FLAG_FINISHED, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "{sent,failed,canceled,expired,delivery_unknown}");
	/* Every terminal state is finished; failed is finished but may be requeued. */
	for (int s = 0; s < JOB_STATE__MAX; s++)
		if (job_state_terminal((enum job_state)s))
			CU_ASSERT_TRUE(job_state_has((enum job_state)s, JOB_FLAG_FINISHED));
	CU_ASSERT_FALSE(job_state_terminal(JOB_FAILED));
}

/* sql/007's triggers rely on it: no move leads back to the first state, so
 * a submitted job's files and upload link are fixed. */
static void test_no_move_returns_to_awaiting_scan(void)
{
	for (int m = 0; m < JOB_MOVE__MAX; m++)
		CU_ASSERT_NOT_EQUAL(job_move_target((enum job_move)m), JOB_AWAITING_SCAN);
}

static void test_every_move_has_a_name_sources_and_an_audit_event(void)
{
	for (int m = 0; m < JOB_MOVE__MAX; m++) {
		int sources = 0;

		CU_ASSERT_STRING_NOT_EQUAL(job_move_name((enum job_move)m), "unknown");
		CU_ASSERT_STRING_NOT_EQUAL(job_move_audit_event((enum job_move)m), "unknown");
		for (int s = 0; s < JOB_STATE__MAX; s++)
			sources += job_move_starts_from((enum job_move)m, (enum job_state)s);
		CU_ASSERT(sources > 0);
		CU_ASSERT_TRUE((unsigned)job_move_target((enum job_move)m) < JOB_STATE__MAX);
	}
	for (int a = 0; a < JOB_MOVE__MAX; a++)
		for (int b = a + 1; b < JOB_MOVE__MAX; b++)
			CU_ASSERT_STRING_NOT_EQUAL(job_move_audit_event((enum job_move)a),
			                           job_move_audit_event((enum job_move)b));
}

static void test_names_text_lists_every_state(void)
{
	char out[JOB_STATE_LIST_LEN];

	job_state_names_text(out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out,
	                       "awaiting_scan, queued, sending, sent, failed, canceled, expired, "
	                       "delivery_unknown");
}

static void test_backoff_doubles_within_jitter_and_caps(void)
{
	for (int attempt = 1; attempt <= 6; attempt++) {
		long full = 2000L << (attempt - 1);
		for (int k = 0; k < 50; k++) {
			long d = queue_backoff_ms(2, attempt, -1, 3600);
			CU_ASSERT(d >= full / 2 && d <= full);
		}
	}
	for (int k = 0; k < 20; k++)
		CU_ASSERT(queue_backoff_ms(2, 40, -1, 3600) <= 3600 * 1000);
}

/* issue 10: the cap is sender_backoff_max, so attempt 60 of a long outage
 * waits at most the cap (and at least half of it), never hours. */
static void test_backoff_cap_is_configurable(void)
{
	for (int k = 0; k < 50; k++) {
		long d = queue_backoff_ms(2, 60, -1, 900);
		CU_ASSERT(d >= 450 * 1000 && d <= 900 * 1000);
	}
	/* RMail's Retry-After wins over the cap. */
	CU_ASSERT(queue_backoff_ms(2, 60, 1200, 900) >= 1200 * 1000);
}

static void test_horizon_passes_after_give_up_after(void)
{
	CU_ASSERT_FALSE(queue_horizon_passed(1000, 86400, 1000 + 86399));
	CU_ASSERT_TRUE(queue_horizon_passed(1000, 86400, 1000 + 86400));
	CU_ASSERT_FALSE(queue_horizon_passed(0, 86400, 1000000)); /* unknown start: never */
}

/* The horizon's end for a job RMail may have: its own state, never failed,
 * finished, keeping its document for a requeue like a failed one. */
static void test_delivery_unknown_is_not_failed(void)
{
	CU_ASSERT_EQUAL(job_move_target(JOB_MOVE_GIVE_UP_UNKNOWN), JOB_DELIVERY_UNKNOWN);
	CU_ASSERT_NOT_EQUAL(JOB_DELIVERY_UNKNOWN, JOB_FAILED);
	CU_ASSERT_TRUE(job_state_has(JOB_DELIVERY_UNKNOWN, JOB_FLAG_FINISHED));
	CU_ASSERT_TRUE(job_state_has(JOB_DELIVERY_UNKNOWN, JOB_FLAG_RETAINED));
	CU_ASSERT_FALSE(job_state_has(JOB_DELIVERY_UNKNOWN, JOB_FLAG_NEEDS_TOKEN));
	CU_ASSERT_TRUE(job_move_starts_from(JOB_MOVE_REQUEUE, JOB_DELIVERY_UNKNOWN));
	CU_ASSERT_EQUAL(job_move_target(JOB_MOVE_DEFER), JOB_QUEUED);
	CU_ASSERT_TRUE(job_move_starts_from(JOB_MOVE_DEFER, JOB_SENDING));
}

static void test_first_retry_of_one_second_base_is_not_immediate(void)
{
	for (int k = 0; k < 50; k++)
		CU_ASSERT(queue_backoff_ms(1, 1, -1, 900) >= 500);
}

static void test_backoff_honours_retry_after(void)
{
	CU_ASSERT(queue_backoff_ms(1, 1, 30, 900) >= 30000);
	CU_ASSERT(queue_backoff_ms(1, 1, 0, 900) <= 1000);
}

static CU_TestInfo tests[] = {
    {"names round trip", test_names_round_trip},
    {"happy path allowed", test_happy_path_is_allowed},
    {"retry and failure paths", test_retry_and_failure_paths},
    {"sending cannot be canceled", test_sending_cannot_be_canceled},
    {"nothing leaves a terminal state", test_nothing_leaves_a_terminal_state},
    {"no skipping the queue", test_no_skipping_the_queue},
    {"move sources are array literals of the table",
     test_move_sources_are_array_literals_of_the_table},
    {"flags name token holders and finished states",
     test_flags_name_token_holders_and_finished_states},
    {"no move returns to awaiting_scan", test_no_move_returns_to_awaiting_scan},
    {"every move has a name, sources and an audit event",
     test_every_move_has_a_name_sources_and_an_audit_event},
    {"names text lists every state", test_names_text_lists_every_state},
    {"backoff doubles within jitter and caps", test_backoff_doubles_within_jitter_and_caps},
    {"backoff cap is configurable", test_backoff_cap_is_configurable},
    {"horizon passes after give_up_after", test_horizon_passes_after_give_up_after},
    {"delivery_unknown is not failed", test_delivery_unknown_is_not_failed},
    {"first retry of a 1 s base is not immediate",
     test_first_retry_of_one_second_base_is_not_immediate},
    {"backoff honours Retry-After", test_backoff_honours_retry_after},
    CU_TEST_INFO_NULL,
};

int main(void)
{
	return run_suite("jobstate", tests);
}
