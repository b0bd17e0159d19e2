/*
 * test_sender.c - src/sender/sendjob.c's choices and src/lib/rmail.c's
 * reading of RMail's answers (DESIGN 3.2, 3.5), against a scripted RMail:
 * what is retried, what fails at once and with whose words, when the last
 * attempt fails instead of retrying, that a retry asks MessageStatus
 * before it sends anything again, and that an unclear answer (to Mail, or
 * from MessageStatus) is no verdict: the job checks later, spends no
 * attempt on the unclear answer and never fails on it.
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobstate.h"
#include "regress.h"
#include "rmail.h"
#include "rmail_stub.h"
#include "sendctx.h"

#define USER    "sam@example.org"
#define DOC_LEN 70000

static struct db *api;
static struct keycache doc_keys, token_keys;
static struct sendctx sender;
static char job[40];

/* A new queued job (its id in job): uploaded by the device and submitted. */
static void queue_job(void)
{
	const struct lc_who who = {USER, NULL, "regress"};
	uint8_t token[32], hash[32];
	char sid[40];

	regress_reset();
	stub_reset();
	CU_ASSERT_EQUAL_FATAL(regress_session(api, &token_keys, USER, "tok", sid), 0);
	CU_ASSERT_EQUAL_FATAL(regress_job(api, sid, USER, 1800, job, token, hash), 0);
	CU_ASSERT_EQUAL_FATAL(regress_upload(api, &doc_keys, job, hash, DOC_LEN, 11), LC_OK);
	CU_ASSERT_EQUAL_FATAL(lifecycle_job_submit(api, job, USER, &who), LC_OK);
}

static char *column(const char *name)
{
	char sql[160];

	snprintf(sql, sizeof(sql), "SELECT %s FROM scanpost.jobs WHERE id = $1::uuid", name);
	return regress_text(sql, job, NULL);
}

static int column_is(const char *name, const char *want)
{
	char *v = column(name);
	int same = v && strcmp(v, want) == 0;

	if (!same)
		fprintf(stderr, "    %s: want \"%s\", got \"%s\"\n", name, want, v ? v : "(null)");
	free(v);
	return same;
}

static long number(const char *name)
{
	char *v = column(name);
	long n = v ? atol(v) : -1;

	free(v);
	return n;
}

/* The job's last send attempt ended long ago (its updated_at while queued,
 * the claim's requeued_epoch, is past RMail's settle time), and it is due. */
static void settled_and_due(void)
{
	regress_exec("UPDATE scanpost.jobs SET updated_at = now() - interval '10 minutes',"
	             " next_attempt_at = now() WHERE id = $1::uuid",
	             job, NULL);
}

/* Rows of send_check_later for the job whose detail counted is `counted`. */
static long check_later_rows(const char *counted)
{
	return regress_long("SELECT count(*) FROM scanpost.audit_events WHERE job_id = $1::uuid"
	                    " AND event = 'send_check_later' AND detail ->> 'counted' = $2",
	                    job, counted, NULL);
}

static int suite_init(void)
{
	if (stub_start() != 0 || sendctx_init(&sender, NULL) != 0)
		return -1;
	api = regress_db("scanpost_api");
	return regress_keys("doc", &doc_keys) == 0 && regress_keys_public("token", &token_keys) == 0
	           ? 0
	           : -1;
}

static int suite_clean(void)
{
	sendctx_free(&sender);
	db_free(api);
	keycache_free(&doc_keys);
	keycache_free(&token_keys);
	stub_stop();
	return 0;
}

static void test_accepted_mail_is_sent_with_the_document_byte_for_byte(void)
{
	uint8_t *doc = regress_document(DOC_LEN, 11);
	char sha[65], *mail;

	queue_job();
	CU_ASSERT_EQUAL(sendctx_run(&sender, NULL), SEND_SENT);
	regress_sha256_hex(doc, DOC_LEN, sha);
	CU_ASSERT_EQUAL(stub_last_upload_bytes(), DOC_LEN);
	CU_ASSERT_STRING_EQUAL(stub_last_upload_sha256(), sha);
	CU_ASSERT_EQUAL(stub_calls("/api/v1/Mail"), 1);
	mail = stub_last_mail();
	CU_ASSERT_PTR_NOT_NULL(strstr(mail, job)); /* X-RPost-CustomerTrackingId */
	free(mail);
	CU_ASSERT_TRUE(column_is("state", job_state_name(JOB_SENT)));
	CU_ASSERT_EQUAL(regress_audit_rows("sent", job), 1);
	CU_ASSERT_EQUAL(regress_audit_rows("document_deleted", job), 1);
	free(doc);
}

static void test_5xx_is_retried_later(void)
{
	queue_job();
	stub_script("/api/Upload", 1, 503, "{\"Message\":\"busy\"}", -1);
	CU_ASSERT_EQUAL(sendctx_run(&sender, NULL), SEND_RETRY);
	CU_ASSERT_TRUE(column_is("state", job_state_name(JOB_QUEUED)));
	CU_ASSERT_TRUE(column_is("last_error_code", "rmail_unavailable"));
	CU_ASSERT_EQUAL(regress_audit_rows("send_retry", job), 1);
	CU_ASSERT_EQUAL(stub_calls("/api/v1/Mail"), 0);
}

static void test_429_waits_at_least_retry_after(void)
{
	queue_job();
	stub_script("/api/Upload", 1, 429, "{}", 120);
	CU_ASSERT_EQUAL(sendctx_run(&sender, NULL), SEND_RETRY);
	CU_ASSERT_TRUE(column_is("last_error_code", "rmail_rate_limited"));
	CU_ASSERT_EQUAL(regress_long("SELECT count(*) FROM scanpost.jobs WHERE id = $1::uuid"
	                             " AND next_attempt_at >= now() + interval '110 seconds'",
	                             job, NULL),
	                1);
}

static void test_unreachable_rmail_is_retried(void)
{
	struct sendctx down;

	queue_job();
	CU_ASSERT_EQUAL_FATAL(sendctx_init(&down, "https://127.0.0.1:1"), 0);
	CU_ASSERT_EQUAL(sendctx_run(&down, NULL), SEND_RETRY);
	CU_ASSERT_TRUE(column_is("last_error_code", "rmail_unavailable"));
	sendctx_free(&down);
}

/* DESIGN 3.2: a business failure fails at once, with RMail's reason. */
static void test_business_failure_fails_at_once_with_rmails_words(void)
{
	queue_job();
	stub_script("/api/v1/Mail", 1, 200,
	            "{\"StatusCode\":200,\"Status\":\"Failed\","
	            "\"Message\":[{\"Message\":\"Recipient address refused\"}]}",
	            -1);
	CU_ASSERT_EQUAL(sendctx_run(&sender, NULL), SEND_FAILED);
	CU_ASSERT_TRUE(column_is("state", job_state_name(JOB_FAILED)));
	CU_ASSERT_TRUE(column_is("last_error_code", "rmail_rejected"));
	CU_ASSERT_TRUE(column_is("last_error", "Recipient address refused"));
	CU_ASSERT_EQUAL(regress_audit_rows("send_failed", job), 1);
	CU_ASSERT_EQUAL(regress_audit_rows("document_deleted", job), 0); /* kept for a retry */
}

/* RPost answers some business failures as HTTP 400 with the same body
 * (DESIGN 3.2): no retry, and RMail's reason is kept, as for a 200. */
static void test_http_400_fails_at_once_with_rmails_words(void)
{
	queue_job();
	stub_script("/api/v1/Mail", 1, 400,
	            "{\"Status\":\"Failed\",\"Message\":[{\"Message\":\"Unmarked mail cannot be"
	            " encrypted\"}]}",
	            -1);
	CU_ASSERT_EQUAL(sendctx_run(&sender, NULL), SEND_FAILED);
	CU_ASSERT_TRUE(column_is("state", job_state_name(JOB_FAILED)));
	CU_ASSERT_TRUE(column_is("last_error_code", "rmail_rejected"));
	CU_ASSERT_TRUE(column_is("last_error", "Unmarked mail cannot be encrypted"));
	CU_ASSERT_EQUAL(regress_audit_rows("send_retry", job), 0);
	CU_ASSERT_EQUAL(regress_audit_rows("send_check_later", job), 0);
}

/* An unreadable answer to Mail may hide an accepted message: once the
 * Mail request went out it is no verdict (DESIGN 3.5).  The attempt
 * counts, the job waits at least the settle time, and the next claim asks
 * MessageStatus before it sends anything. */
static void test_an_unreadable_answer_to_mail_checks_later_and_never_fails(void)
{
	char answer[400];

	queue_job();
	stub_script("/api/v1/Mail", 1, 200, "not json", -1);
	CU_ASSERT_EQUAL(sendctx_run(&sender, NULL), SEND_CHECK_LATER);
	CU_ASSERT_TRUE(column_is("state", job_state_name(JOB_QUEUED)));
	CU_ASSERT_TRUE(column_is("last_error_code", "rmail_bad_response"));
	CU_ASSERT_EQUAL(number("attempts"), 1);
	CU_ASSERT_EQUAL(check_later_rows("true"), 1);
	CU_ASSERT_EQUAL(regress_audit_rows("send_failed", job), 0);
	CU_ASSERT_EQUAL(regress_audit_rows("document_deleted", job), 0);
	CU_ASSERT_EQUAL(regress_long("SELECT count(*) FROM scanpost.jobs WHERE id = $1::uuid"
	                             " AND next_attempt_at >= now() + make_interval(secs => $2::int"
	                             " - 5)",
	                             job, "60", NULL),
	                1); /* rmail_status_settle */
	/* RMail did have it: found by its CustomerTrackingId, sent once. */
	regress_exec("UPDATE scanpost.jobs SET next_attempt_at = now() WHERE id = $1::uuid", job,
	             NULL);
	snprintf(answer, sizeof(answer),
	         "{\"Status\":\"Success\",\"ResultContent\":[{\"TrackingId\":\"LATE1\","
	         "\"CustomerTrackingId\":\"%s\",\"Status\":\"Delivered\"}]}",
	         job);
	stub_script("/MessageStatus", 1, 200, answer, -1);
	CU_ASSERT_EQUAL(sendctx_run(&sender, NULL), SEND_SENT);
	CU_ASSERT_EQUAL(stub_calls("/api/v1/Mail"), 1);
	CU_ASSERT_EQUAL(stub_calls("/api/Upload"), 1);
	CU_ASSERT_TRUE(column_is("tracking_id", "LATE1"));
	CU_ASSERT_EQUAL(regress_audit_rows("document_deleted", job), 1);
}

static void test_401_fails_asking_to_sign_in_again(void)
{
	queue_job();
	stub_script("/api/Upload", 1, 401, "{\"Message\":\"token expired\"}", -1);
	CU_ASSERT_EQUAL(sendctx_run(&sender, NULL), SEND_FAILED);
	CU_ASSERT_TRUE(column_is("last_error_code", "rmail_auth_expired"));
}

/* The retry/fail choice: the attempt that reaches max_attempts fails. */
static void test_the_last_attempt_fails_instead_of_retrying(void)
{
	queue_job();
	regress_exec("UPDATE scanpost.jobs SET attempts = max_attempts - 1 WHERE id = $1::uuid",
	             job, NULL);
	settled_and_due(); /* MessageStatus's empty window is an answer */
	stub_script("/api/Upload", -1, 503, "{}", -1);
	CU_ASSERT_EQUAL(sendctx_run(&sender, NULL), SEND_FAILED);
	CU_ASSERT_TRUE(column_is("state", job_state_name(JOB_FAILED)));
	CU_ASSERT_TRUE(column_is("last_error_code", "rmail_unavailable"));
	CU_ASSERT_EQUAL(regress_audit_rows("send_failed", job), 1);
	CU_ASSERT_EQUAL(regress_audit_rows("send_retry", job), 0);
}

/* DESIGN 3.5: before a re-send, ask MessageStatus; never send twice. */
static void test_a_retry_finds_an_earlier_try_and_sends_nothing(void)
{
	char answer[400];

	queue_job();
	regress_exec("UPDATE scanpost.jobs SET attempts = 1 WHERE id = $1::uuid", job, NULL);
	snprintf(answer, sizeof(answer),
	         "{\"Status\":\"Success\",\"ResultContent\":[{\"TrackingId\":\"EARLIER1\","
	         "\"CustomerTrackingId\":\"%s\",\"Status\":\"Delivered\"}]}",
	         job);
	stub_script("/MessageStatus", 1, 200, answer, -1);
	CU_ASSERT_EQUAL(sendctx_run(&sender, NULL), SEND_SENT);
	CU_ASSERT_EQUAL(stub_calls("/api/Upload"), 0);
	CU_ASSERT_EQUAL(stub_calls("/api/v1/Mail"), 0);
	CU_ASSERT_TRUE(column_is("tracking_id", "EARLIER1"));
	CU_ASSERT_EQUAL(regress_long("SELECT count(*) FROM scanpost.audit_events WHERE job_id ="
	                             " $1::uuid AND event = 'sent'"
	                             " AND detail ->> 'how' = 'found_at_rmail'",
	                             job, NULL),
	                1);
}

/* An unclear MessageStatus (an error) is no verdict either: the job checks
 * later, and the claim that only asked is not counted as an attempt. */
static void test_an_unclear_message_status_checks_later_without_an_attempt(void)
{
	queue_job();
	regress_exec("UPDATE scanpost.jobs SET attempts = 1 WHERE id = $1::uuid", job, NULL);
	stub_script("/MessageStatus", 1, 503, "{}", -1);
	CU_ASSERT_EQUAL(sendctx_run(&sender, NULL), SEND_CHECK_LATER);
	CU_ASSERT_EQUAL(stub_calls("/api/v1/Mail"), 0);
	CU_ASSERT_EQUAL(stub_calls("/api/Upload"), 0);
	CU_ASSERT_TRUE(column_is("state", job_state_name(JOB_QUEUED)));
	CU_ASSERT_TRUE(column_is("last_error_code", "rmail_status_unclear"));
	CU_ASSERT_EQUAL(number("attempts"), 1);
	CU_ASSERT_EQUAL(check_later_rows("false"), 1);
	CU_ASSERT_EQUAL(regress_audit_rows("send_retry", job), 0);
}

/* rmail's settle logic over the lifecycle's queue: an empty window is
 * proof only once the settle time has passed since the job came back to
 * the queue (its updated_at then, the claim's requeued_epoch). */
static void test_an_empty_window_is_proof_only_after_the_settle_time(void)
{
	queue_job();
	regress_exec("UPDATE scanpost.jobs SET attempts = 1 WHERE id = $1::uuid", job, NULL);
	/* Requeued just now: RMail may not list it yet. */
	CU_ASSERT_EQUAL(sendctx_run(&sender, NULL), SEND_CHECK_LATER);
	CU_ASSERT_EQUAL(stub_calls("/MessageStatus"), 1);
	CU_ASSERT_EQUAL(stub_calls("/api/v1/Mail"), 0);
	CU_ASSERT_TRUE(column_is("last_error_code", "rmail_status_unclear"));
	/* Settled: absent for sure, so it is sent (once). */
	settled_and_due();
	CU_ASSERT_EQUAL(sendctx_run(&sender, NULL), SEND_SENT);
	CU_ASSERT_EQUAL(stub_calls("/MessageStatus"), 2);
	CU_ASSERT_EQUAL(stub_calls("/api/v1/Mail"), 1);
	CU_ASSERT_EQUAL(number("attempts"), 2);
}

/* Checking later never fails a job, even on its last attempt; only a clear
 * "not there" lets the attempts decide. */
static void test_check_later_never_fails_a_job_on_its_last_attempt(void)
{
	queue_job();
	regress_exec("UPDATE scanpost.jobs SET attempts = max_attempts - 1 WHERE id = $1::uuid",
	             job, NULL);
	settled_and_due();
	stub_script("/api/v1/Mail", 1, 503, "{}", -1);
	CU_ASSERT_EQUAL(sendctx_run(&sender, NULL), SEND_CHECK_LATER);
	CU_ASSERT_TRUE(column_is("state", job_state_name(JOB_QUEUED)));
	CU_ASSERT_EQUAL(number("attempts"), number("max_attempts"));
	/* Asked too soon: still unclear, still queued, no attempt spent. */
	regress_exec("UPDATE scanpost.jobs SET next_attempt_at = now() WHERE id = $1::uuid", job,
	             NULL);
	CU_ASSERT_EQUAL(sendctx_run(&sender, NULL), SEND_CHECK_LATER);
	CU_ASSERT_TRUE(column_is("state", job_state_name(JOB_QUEUED)));
	CU_ASSERT_EQUAL(number("attempts"), number("max_attempts"));
	CU_ASSERT_EQUAL(regress_audit_rows("send_failed", job), 0);
	CU_ASSERT_EQUAL(check_later_rows("true"), 1);
	CU_ASSERT_EQUAL(check_later_rows("false"), 1);
	/* Settled and clearly absent: now the spent attempts fail it. */
	settled_and_due();
	CU_ASSERT_EQUAL(sendctx_run(&sender, NULL), SEND_FAILED);
	CU_ASSERT_TRUE(column_is("last_error_code", "too_many_attempts"));
	CU_ASSERT_EQUAL(stub_calls("/api/v1/Mail"), 1);
}

/* rmail.c's reading of /Token (RFC 6749, 5.2 for the refusal). */
static void test_token_answers_are_told_apart(void)
{
	static const struct {
		int status;
		const char *body;
		enum rmail_err want;
	} cases[] = {
	    {200, "{\"access_token\":\"abc\",\"token_type\":\"bearer\",\"expires_in\":60}",
	     RMAIL_OK},
	    {400, "{\"error\":\"invalid_grant\",\"error_description\":\"bad\"}", RMAIL_AUTH_FAILED},
	    {400, "{\"error\":\"unsupported_grant_type\"}", RMAIL_REJECTED},
	    {503, "{}", RMAIL_UNAVAILABLE},
	    {429, "{}", RMAIL_RATE_LIMITED},
	    {200, "{\"token_type\":\"bearer\"}", RMAIL_BAD_RESPONSE},
	    {200, "not json", RMAIL_BAD_RESPONSE},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rmail_result res;
		char *token = NULL;
		long expires = 0;
		int rc;

		stub_reset();
		stub_script("/Token", 1, cases[i].status, cases[i].body, -1);
		rc = rmail_get_token(sender.rmail, "u@example.org", "pw", &token, &expires, &res);
		CU_ASSERT_EQUAL(rc == 0 ? RMAIL_OK : res.err, cases[i].want);
		if (rc == 0) {
			CU_ASSERT_STRING_EQUAL(token, "abc");
			CU_ASSERT_EQUAL(expires, 60);
		}
		free(token);
	}
	CU_ASSERT_TRUE(rmail_err_transient(RMAIL_UNAVAILABLE));
	CU_ASSERT_TRUE(rmail_err_transient(RMAIL_RATE_LIMITED));
	CU_ASSERT_FALSE(rmail_err_transient(RMAIL_REJECTED));
	CU_ASSERT_FALSE(rmail_err_transient(RMAIL_UNAUTHORIZED));
}

static CU_TestInfo tests[] = {
    {"accepted mail is sent with the document byte for byte",
     test_accepted_mail_is_sent_with_the_document_byte_for_byte},
    {"5xx is retried later", test_5xx_is_retried_later},
    {"429 waits at least Retry-After", test_429_waits_at_least_retry_after},
    {"unreachable RMail is retried", test_unreachable_rmail_is_retried},
    {"business failure fails at once with RMail's words",
     test_business_failure_fails_at_once_with_rmails_words},
    {"HTTP 400 fails at once with RMail's words", test_http_400_fails_at_once_with_rmails_words},
    {"an unreadable answer to Mail checks later and never fails",
     test_an_unreadable_answer_to_mail_checks_later_and_never_fails},
    {"401 fails asking to sign in again", test_401_fails_asking_to_sign_in_again},
    {"the last attempt fails instead of retrying", test_the_last_attempt_fails_instead_of_retrying},
    {"a retry finds an earlier try and sends nothing",
     test_a_retry_finds_an_earlier_try_and_sends_nothing},
    {"an unclear MessageStatus checks later without an attempt",
     test_an_unclear_message_status_checks_later_without_an_attempt},
    {"an empty window is proof only after the settle time",
     test_an_empty_window_is_proof_only_after_the_settle_time},
    {"check later never fails a job on its last attempt",
     test_check_later_never_fails_a_job_on_its_last_attempt},
    {"token answers are told apart", test_token_answers_are_told_apart},
    CU_TEST_INFO_NULL,
};

int main(void)
{
	return regress_main("sender", suite_init, suite_clean, tests);
}
