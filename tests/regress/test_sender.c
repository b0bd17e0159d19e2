/*
 * test_sender.c - src/sender/sendjob.c's choices and src/lib/rmail.c's
 * reading of RMail's answers (DESIGN 3.2, 3.5), against a scripted RMail:
 * what is retried, what fails at once and with whose words, when the last
 * attempt fails instead of retrying, that a retry asks MessageStatus
 * before it sends anything again, and that an unclear answer (to Mail, or
 * from MessageStatus) is no verdict: the job checks later, spends no
 * attempt on the unclear answer and never fails on it.
 *
 * The retry horizon (issue 10): transient failures are retried past any
 * count of attempts until sender_give_up_after; our own database outage
 * costs no attempt; a job whose Mail request may be at RMail never ends
 * failed, and past the horizon ends delivery_unknown.
 */
#include <CUnit/Basic.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* A new queued job of len bytes (its id in job). */
static void queue_job_of(size_t len)
{
	const struct lc_who who = {USER, NULL, "regress"};
	uint8_t token[32], hash[32];
	char sid[40];

	regress_reset();
	stub_reset();
	CU_ASSERT_EQUAL_FATAL(regress_session(api, &token_keys, USER, "tok", sid), 0);
	CU_ASSERT_EQUAL_FATAL(regress_job(api, sid, USER, 1800, job, token, hash), 0);
	CU_ASSERT_EQUAL_FATAL(regress_upload(api, &doc_keys, job, hash, len, 11), LC_OK);
	CU_ASSERT_EQUAL_FATAL(lifecycle_job_submit(api, job, USER, &who), LC_OK);
}

/* A new queued job (its id in job): uploaded by the device and submitted. */
static void queue_job(void)
{
	queue_job_of(DOC_LEN);
}

/* An earlier attempt's Mail request went out (mail_requested_at): the
 * next claim asks MessageStatus first. */
static void mail_requested_before(void)
{
	regress_exec("UPDATE scanpost.jobs SET attempts = 1, mail_requested_at = now()"
	             " - interval '10 minutes' WHERE id = $1::uuid",
	             job, NULL);
}

/* The job was submitted longer ago than sender_give_up_after. */
static void horizon_passed(void)
{
	regress_exec("UPDATE scanpost.jobs SET submitted_at = now()"
	             " - make_interval(secs => $2::int + 60) WHERE id = $1::uuid",
	             job, "86400", NULL);
}

static void due_now(void)
{
	regress_exec("UPDATE scanpost.jobs SET next_attempt_at = now() WHERE id = $1::uuid", job,
	             NULL);
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

/* issue 10: an RMail outage longer than the old six-attempt window (about
 * a minute) fails nothing: every transient failure is retried, with a
 * delay that grows to sender_backoff_max and no further, and the job is
 * sent once RMail answers, exactly once. */
static void test_transient_faults_past_the_old_window_are_still_sent(void)
{
	queue_job();
	stub_script("/api/Upload", 10, 503, "{\"Message\":\"Service Unavailable\"}", -1);
	for (int attempt = 1; attempt <= 10; attempt++) {
		CU_ASSERT_EQUAL(sendctx_run(&sender, NULL), SEND_RETRY);
		CU_ASSERT_EQUAL(number("attempts"), attempt);
		due_now();
	}
	CU_ASSERT_TRUE(column_is("state", job_state_name(JOB_QUEUED)));
	CU_ASSERT_EQUAL(regress_audit_rows("send_retry", job), 10);
	CU_ASSERT_EQUAL(regress_audit_rows("send_failed", job), 0);
	/* The tenth delay is capped (regress sender.conf: sender_backoff_max). */
	regress_exec("UPDATE scanpost.jobs SET attempts = 9 WHERE id = $1::uuid", job, NULL);
	stub_script("/api/Upload", 1, 503, "{}", -1);
	CU_ASSERT_EQUAL(sendctx_run(&sender, NULL), SEND_RETRY);
	CU_ASSERT_EQUAL(regress_long("SELECT count(*) FROM scanpost.jobs WHERE id = $1::uuid"
	                             " AND next_attempt_at <= now() + make_interval(secs =>"
	                             " $2::int + 1)",
	                             job, "5", NULL),
	                1);
	due_now();
	CU_ASSERT_EQUAL(sendctx_run(&sender, NULL), SEND_SENT);
	CU_ASSERT_TRUE(column_is("state", job_state_name(JOB_SENT)));
	CU_ASSERT_EQUAL(stub_calls("/api/v1/Mail"), 1);
	CU_ASSERT_EQUAL(stub_calls("/api/Upload"), 12);
}

/* Past sender_give_up_after, a transient failure of a job RMail does not
 * have fails it, with RMail's words; one whose Mail request may be at
 * RMail ends delivery_unknown instead, never failed. */
static void test_the_horizon_fails_only_what_rmail_does_not_have(void)
{
	queue_job();
	horizon_passed();
	stub_script("/api/Upload", -1, 503, "{\"Message\":\"Service Unavailable\"}", -1);
	CU_ASSERT_EQUAL(sendctx_run(&sender, NULL), SEND_FAILED);
	CU_ASSERT_TRUE(column_is("state", job_state_name(JOB_FAILED)));
	CU_ASSERT_TRUE(column_is("last_error_code", "rmail_unavailable"));
	CU_ASSERT_EQUAL(regress_long("SELECT count(*) FROM scanpost.jobs WHERE id = $1::uuid"
	                             " AND last_error LIKE '%Service Unavailable%'",
	                             job, NULL),
	                1);
	CU_ASSERT_EQUAL(regress_audit_rows("send_failed", job), 1);

	/* Mail went out, its answer was a 503: RMail may have it. */
	queue_job();
	stub_script("/api/v1/Mail", 1, 503, "{}", -1);
	CU_ASSERT_EQUAL(sendctx_run(&sender, NULL), SEND_CHECK_LATER);
	CU_ASSERT_EQUAL(regress_long("SELECT count(*) FROM scanpost.jobs WHERE id = $1::uuid"
	                             " AND mail_requested_at IS NOT NULL",
	                             job, NULL),
	                1);
	horizon_passed();
	settled_and_due();
	stub_script("/MessageStatus", 1, 500, "{}", -1);
	CU_ASSERT_EQUAL(sendctx_run(&sender, NULL), SEND_DELIVERY_UNKNOWN);
	CU_ASSERT_TRUE(column_is("state", job_state_name(JOB_DELIVERY_UNKNOWN)));
	CU_ASSERT_EQUAL(regress_audit_rows("send_failed", job), 0);
	CU_ASSERT_EQUAL(regress_audit_rows("delivery_unknown", job), 1);
	CU_ASSERT_EQUAL(regress_audit_rows("document_deleted", job), 0); /* kept, as failed */
	CU_ASSERT_EQUAL(stub_calls("/api/v1/Mail"), 1);
}

/* The database outage of the DB-outage test: the sender's role may not log
 * in and its connections are cut; a thread lets it back in 3 s later. */
static pthread_t db_back;

static void *db_back_after_3s(void *arg)
{
	(void)arg;
	sleep(3);
	regress_exec("ALTER ROLE scanpost_sender LOGIN", NULL);
	return NULL;
}

static void db_outage(void *arg)
{
	(void)arg;
	regress_exec("ALTER ROLE scanpost_sender NOLOGIN", NULL);
	regress_exec("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
	             " WHERE usename = 'scanpost_sender'",
	             NULL);
	pthread_create(&db_back, NULL, db_back_after_3s, NULL);
}

/* issue 10: our own database going away while a document streams to
 * RMail costs no attempt and is no verdict: the job goes back to the
 * queue (once the database is back) with its attempts as before, and is
 * then sent, once. */
static void test_a_database_outage_costs_no_attempt(void)
{
	queue_job_of(4 * 1024 * 1024); /* 16 chunks: the outage hits mid-stream */
	stub_on_call("/api/Upload", db_outage, NULL);
	CU_ASSERT_EQUAL(sendctx_run(&sender, NULL), SEND_DEFERRED);
	pthread_join(db_back, NULL);
	CU_ASSERT_TRUE(column_is("state", job_state_name(JOB_QUEUED)));
	CU_ASSERT_EQUAL(number("attempts"), 0);
	CU_ASSERT_TRUE(column_is("last_error_code", "database_unavailable"));
	CU_ASSERT_EQUAL(regress_audit_rows("send_deferred", job), 1);
	CU_ASSERT_EQUAL(regress_audit_rows("send_retry", job), 0);
	CU_ASSERT_EQUAL(regress_audit_rows("send_failed", job), 0);
	CU_ASSERT_EQUAL(stub_calls("/api/v1/Mail"), 0);
	due_now();
	CU_ASSERT_EQUAL(sendctx_run(&sender, NULL), SEND_SENT);
	CU_ASSERT_EQUAL(number("attempts"), 1);
	CU_ASSERT_EQUAL(stub_calls("/api/v1/Mail"), 1);
	CU_ASSERT_EQUAL(stub_last_upload_bytes(), 4 * 1024 * 1024);
}

/* A document key this worker cannot find (a keyring being rotated or
 * restored) is our outage too: deferred without an attempt, and sent once
 * the key is back. */
static void test_a_missing_document_key_costs_no_attempt(void)
{
	char *kid;

	queue_job();
	kid = regress_text("SELECT dek_kid FROM scanpost.job_files WHERE job_id = $1::uuid", job,
	                   NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(kid);
	regress_exec("UPDATE scanpost.job_files SET dek_kid = 'k-not-here' WHERE job_id = $1::uuid",
	             job, NULL);
	CU_ASSERT_EQUAL(sendctx_run(&sender, NULL), SEND_DEFERRED);
	CU_ASSERT_TRUE(column_is("state", job_state_name(JOB_QUEUED)));
	CU_ASSERT_TRUE(column_is("last_error_code", "key_unavailable"));
	CU_ASSERT_EQUAL(number("attempts"), 0);
	CU_ASSERT_EQUAL(regress_audit_rows("send_failed", job), 0);
	CU_ASSERT_EQUAL(stub_calls("/api/Upload"), 0);
	regress_exec("UPDATE scanpost.job_files SET dek_kid = $2 WHERE job_id = $1::uuid", job, kid,
	             NULL);
	due_now();
	CU_ASSERT_EQUAL(sendctx_run(&sender, NULL), SEND_SENT);
	CU_ASSERT_EQUAL(number("attempts"), 1);
	free(kid);
}

/* A sender killed mid-send (its lease runs out) is our outage too: the
 * rescue gives the attempt back, unless a Mail request went out. */
static void test_a_rescue_counts_only_a_mail_request(void)
{
	struct queued_job j;

	queue_job();
	CU_ASSERT_EQUAL_FATAL(lifecycle_claim(sender.db, "killed", 30, &j), LC_OK);
	queued_job_free(&j);
	regress_exec("UPDATE scanpost.jobs SET lease_until = now() - interval '1 second'"
	             " WHERE id = $1::uuid",
	             job, NULL);
	CU_ASSERT_EQUAL(lifecycle_rescue_leases(sender.db), 1);
	CU_ASSERT_EQUAL(number("attempts"), 0);
	CU_ASSERT_EQUAL_FATAL(lifecycle_claim(sender.db, "killed", 30, &j), LC_OK);
	CU_ASSERT_EQUAL(lifecycle_mail_requested(sender.db, &j, "killed"), LC_OK);
	queued_job_free(&j);
	regress_exec("UPDATE scanpost.jobs SET lease_until = now() - interval '1 second'"
	             " WHERE id = $1::uuid",
	             job, NULL);
	CU_ASSERT_EQUAL(lifecycle_rescue_leases(sender.db), 1);
	CU_ASSERT_EQUAL(number("attempts"), 1);
}

/* DESIGN 3.5: before a re-send, ask MessageStatus; never send twice. */
static void test_a_retry_finds_an_earlier_try_and_sends_nothing(void)
{
	char answer[400];

	queue_job();
	mail_requested_before();
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

/* A busy account's MessageStatus window can list more than the client
 * reads (256 KiB): the window is searched in halves, newest first, and
 * the job found there is recorded sent, not left unclear (the chaos run
 * found this with 1,000 messages in a few minutes). */
static void test_an_oversized_status_answer_is_searched_in_halves(void)
{
	size_t cap = 300 * 1024, n;
	char *big = malloc(cap + 512), answer[400];
	const char *entry = "{\"TrackingId\":\"OTHER\",\"CustomerTrackingId\":\"someone-else\","
	                    "\"Status\":\"Delivered\"},";

	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	n = (size_t)snprintf(big, cap, "{\"Status\":\"Success\",\"ResultContent\":[");
	while (n + strlen(entry) < cap) {
		memcpy(big + n, entry, strlen(entry));
		n += strlen(entry);
	}
	snprintf(big + n, 512, "{\"TrackingId\":\"LAST\"}]}");
	queue_job();
	mail_requested_before();
	settled_and_due();
	snprintf(answer, sizeof(answer),
	         "{\"Status\":\"Success\",\"ResultContent\":[{\"TrackingId\":\"HALF1\","
	         "\"CustomerTrackingId\":\"%s\",\"Status\":\"Delivered\"}]}",
	         job);
	stub_script("/MessageStatus", 1, 200, big, -1);
	stub_script("/MessageStatus", 1, 200, answer, -1);
	CU_ASSERT_EQUAL(sendctx_run(&sender, NULL), SEND_SENT);
	CU_ASSERT_EQUAL(stub_calls("/MessageStatus"), 2);
	CU_ASSERT_EQUAL(stub_calls("/api/v1/Mail"), 0);
	CU_ASSERT_TRUE(column_is("tracking_id", "HALF1"));
	free(big);
}

/* An unclear MessageStatus (an error) is no verdict either: the job checks
 * later, and the claim that only asked is not counted as an attempt. */
static void test_an_unclear_message_status_checks_later_without_an_attempt(void)
{
	queue_job();
	mail_requested_before();
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
	mail_requested_before();
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

/* issue 10, "failed, yet delivered": Mail accepted but its answer lost,
 * then MessageStatus answering 500 on every check, more often than the
 * old attempt limit: the job is never failed, spends no attempt on the
 * checks, and is recorded sent (not sent again) once MessageStatus says
 * RMail has it. */
static void test_accepted_then_status_500_is_never_failed(void)
{
	char answer[400];

	queue_job();
	stub_script("/api/v1/Mail", 1, 503, "{}", -1);
	CU_ASSERT_EQUAL(sendctx_run(&sender, NULL), SEND_CHECK_LATER);
	CU_ASSERT_EQUAL(number("attempts"), 1);
	stub_script("/MessageStatus", 8, 500, "{\"Message\":\"An error has occurred.\"}", -1);
	for (int i = 0; i < 8; i++) {
		settled_and_due();
		CU_ASSERT_EQUAL(sendctx_run(&sender, NULL), SEND_CHECK_LATER);
		CU_ASSERT_TRUE(column_is("state", job_state_name(JOB_QUEUED)));
	}
	CU_ASSERT_EQUAL(number("attempts"), 1);
	CU_ASSERT_TRUE(column_is("last_error_code", "rmail_status_unclear"));
	CU_ASSERT_EQUAL(regress_audit_rows("send_failed", job), 0);
	CU_ASSERT_EQUAL(check_later_rows("false"), 8);
	CU_ASSERT_EQUAL(stub_calls("/api/v1/Mail"), 1);
	/* MessageStatus answers: RMail has it. */
	settled_and_due();
	snprintf(answer, sizeof(answer),
	         "{\"Status\":\"Success\",\"ResultContent\":[{\"TrackingId\":\"KEPT1\","
	         "\"CustomerTrackingId\":\"%s\",\"Status\":\"Delivered\"}]}",
	         job);
	stub_script("/MessageStatus", 1, 200, answer, -1);
	CU_ASSERT_EQUAL(sendctx_run(&sender, NULL), SEND_SENT);
	CU_ASSERT_TRUE(column_is("tracking_id", "KEPT1"));
	CU_ASSERT_EQUAL(stub_calls("/api/v1/Mail"), 1);
}

/* The Mail request goes on the worker's kept connection (no TLS handshake
 * of its own), and libcurl must never re-send it by itself when that
 * connection turns out dead.  RMail reads the whole Mail and closes the
 * connection without answering (it may have taken it): exactly one Mail
 * reached it, the job checks later, and MessageStatus finds it: sent once,
 * no second Mail. */
static void test_a_kept_connection_dying_under_mail_never_sends_it_twice(void)
{
	char answer[400];

	queue_job();
	stub_drop("/api/v1/Mail", 1, STUB_DROP_AFTER_BODY);
	CU_ASSERT_EQUAL(sendctx_run(&sender, NULL), SEND_CHECK_LATER);
	CU_ASSERT_EQUAL(stub_calls("/api/v1/Mail"), 1);
	CU_ASSERT_EQUAL(stub_kept_calls("/api/v1/Mail"),
	                1); /* after the Upload, on its connection */
	CU_ASSERT_TRUE(column_is("state", job_state_name(JOB_QUEUED)));
	CU_ASSERT_TRUE(column_is("last_error_code", "rmail_unavailable"));
	CU_ASSERT_EQUAL(check_later_rows("true"), 1);
	CU_ASSERT_EQUAL(regress_audit_rows("send_failed", job), 0);
	settled_and_due();
	snprintf(answer, sizeof(answer),
	         "{\"Status\":\"Success\",\"ResultContent\":[{\"TrackingId\":\"ONCE1\","
	         "\"CustomerTrackingId\":\"%s\",\"Status\":\"Delivered\"}]}",
	         job);
	stub_script("/MessageStatus", 1, 200, answer, -1);
	CU_ASSERT_EQUAL(sendctx_run(&sender, NULL), SEND_SENT);
	CU_ASSERT_EQUAL(stub_calls("/api/v1/Mail"), 1);
	CU_ASSERT_TRUE(column_is("tracking_id", "ONCE1"));
	CU_ASSERT_EQUAL(regress_audit_rows("sent", job), 1);
}

/* RMail closes the kept connection as soon as the Mail's headers are in,
 * before its body: no whole request reached it.  libcurl may then send it
 * again on a fresh connection by itself only if no byte of the body went
 * out (the server never had the request); either way one whole Mail
 * reaches RMail in the end and the job is sent exactly once. */
static void test_a_kept_connection_closed_at_mails_headers_sends_it_once(void)
{
	int o;

	queue_job();
	stub_drop("/api/v1/Mail", 1, STUB_DROP_AT_HEADERS);
	o = sendctx_run(&sender, NULL);
	CU_ASSERT_TRUE(o == SEND_SENT || o == SEND_CHECK_LATER);
	CU_ASSERT_EQUAL(stub_calls("/api/v1/Mail"), o == SEND_SENT ? 1 : 0);
	if (o == SEND_CHECK_LATER) {
		/* MessageStatus: not there, past the settle time: sent now. */
		settled_and_due();
		CU_ASSERT_EQUAL(sendctx_run(&sender, NULL), SEND_SENT);
		CU_ASSERT_EQUAL(stub_calls("/api/v1/Mail"), 1);
	}
	CU_ASSERT_TRUE(column_is("state", job_state_name(JOB_SENT)));
	CU_ASSERT_EQUAL(regress_audit_rows("sent", job), 1);
}

/* Two jobs on one worker: the second job's calls, its Mail too, go on the
 * connection the first one kept (what the reuse saves, pinned). */
static void test_mail_reuses_the_workers_connection(void)
{
	queue_job();
	CU_ASSERT_EQUAL(sendctx_run(&sender, NULL), SEND_SENT);
	CU_ASSERT_EQUAL(stub_kept_calls("/api/v1/Mail"), 1);
	CU_ASSERT_EQUAL(stub_calls("/api/v1/Mail"), 1);
}

/* Checking later never fails a job, however many attempts it spent; once
 * MessageStatus clearly says RMail does not have it, it is sent again. */
static void test_check_later_never_fails_a_job_after_many_attempts(void)
{
	queue_job();
	regress_exec("UPDATE scanpost.jobs SET attempts = 20 WHERE id = $1::uuid", job, NULL);
	settled_and_due();
	stub_script("/api/v1/Mail", 1, 503, "{}", -1);
	CU_ASSERT_EQUAL(sendctx_run(&sender, NULL), SEND_CHECK_LATER);
	CU_ASSERT_TRUE(column_is("state", job_state_name(JOB_QUEUED)));
	CU_ASSERT_EQUAL(number("attempts"), 21);
	/* Asked too soon: still unclear, still queued, no attempt spent. */
	due_now();
	CU_ASSERT_EQUAL(sendctx_run(&sender, NULL), SEND_CHECK_LATER);
	CU_ASSERT_TRUE(column_is("state", job_state_name(JOB_QUEUED)));
	CU_ASSERT_EQUAL(number("attempts"), 21);
	CU_ASSERT_EQUAL(regress_audit_rows("send_failed", job), 0);
	CU_ASSERT_EQUAL(check_later_rows("true"), 1);
	CU_ASSERT_EQUAL(check_later_rows("false"), 1);
	/* Settled and clearly absent: sent again, once. */
	settled_and_due();
	CU_ASSERT_EQUAL(sendctx_run(&sender, NULL), SEND_SENT);
	CU_ASSERT_EQUAL(stub_calls("/api/v1/Mail"), 2);
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
    {"transient faults past the old window are still sent",
     test_transient_faults_past_the_old_window_are_still_sent},
    {"the horizon fails only what RMail does not have",
     test_the_horizon_fails_only_what_rmail_does_not_have},
    {"a database outage costs no attempt", test_a_database_outage_costs_no_attempt},
    {"a missing document key costs no attempt", test_a_missing_document_key_costs_no_attempt},
    {"a rescue counts only a Mail request", test_a_rescue_counts_only_a_mail_request},
    {"a retry finds an earlier try and sends nothing",
     test_a_retry_finds_an_earlier_try_and_sends_nothing},
    {"an oversized MessageStatus answer is searched in halves",
     test_an_oversized_status_answer_is_searched_in_halves},
    {"an unclear MessageStatus checks later without an attempt",
     test_an_unclear_message_status_checks_later_without_an_attempt},
    {"an empty window is proof only after the settle time",
     test_an_empty_window_is_proof_only_after_the_settle_time},
    {"accepted then MessageStatus 500 is never failed",
     test_accepted_then_status_500_is_never_failed},
    {"check later never fails a job after many attempts",
     test_check_later_never_fails_a_job_after_many_attempts},
    {"a kept connection dying under Mail never sends it twice",
     test_a_kept_connection_dying_under_mail_never_sends_it_twice},
    {"a kept connection closed at Mail's headers sends it once",
     test_a_kept_connection_closed_at_mails_headers_sends_it_once},
    {"Mail reuses the worker's connection", test_mail_reuses_the_workers_connection},
    {"token answers are told apart", test_token_answers_are_told_apart},
    CU_TEST_INFO_NULL,
};

int main(void)
{
	return regress_main("sender", suite_init, suite_clean, tests);
}
