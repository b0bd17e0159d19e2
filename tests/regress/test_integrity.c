/*
 * test_integrity.c - the five holes of issue 9, each pinned where it lives
 * (DESIGN 3.5, 3.6): a changed size, digest or chunk sends nothing; a key
 * rotation during an upload loses nothing; a TrackingId with quotes is
 * recorded once; the service roles cannot read sealed tokens nor change
 * what is sent; an upload that outlives its link keeps nothing.
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "jobstate.h"
#include "regress.h"
#include "rmail_stub.h"
#include "sendctx.h"

#define USER    "ira@example.org"
#define MIB     (1024 * 1024)
#define QUARTER (256 * 1024)

static struct db *api;
static struct keycache doc_keys, token_keys;
static struct sendctx sender;
static const struct lc_who who = {USER, NULL, "regress"};

/* A session and a job awaiting its scan. */
static void new_job(char sid[40], char job[40], uint8_t hash[32], long ttl)
{
	uint8_t token[32];

	regress_reset();
	stub_reset();
	CU_ASSERT_EQUAL_FATAL(regress_session(api, &token_keys, USER, "tok", sid), 0);
	CU_ASSERT_EQUAL_FATAL(regress_job(api, sid, USER, ttl, job, token, hash), 0);
}

/* A job of len bytes, submitted. */
static void queued_job(char job[40], size_t len)
{
	char sid[40];
	uint8_t hash[32];

	new_job(sid, job, hash, 1800);
	CU_ASSERT_EQUAL_FATAL(regress_upload(api, &doc_keys, job, hash, len, 5), LC_OK);
	CU_ASSERT_EQUAL_FATAL(lifecycle_job_submit(api, job, USER, &who), LC_OK);
}

static char *field(const char *job, const char *col)
{
	char sql[160];

	snprintf(sql, sizeof(sql), "SELECT %s FROM scanpost.jobs WHERE id = $1::uuid", col);
	return regress_text(sql, job, NULL);
}

static int is(const char *job, const char *col, const char *want)
{
	char *v = field(job, col);
	int same = v && strcmp(v, want) == 0;

	if (!same)
		fprintf(stderr, "    %s: want \"%s\", got \"%s\"\n", col, want, v ? v : "(null)");
	free(v);
	return same;
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

/* ---- 1. truncation -------------------------------------------------------- */

/* Before: a quarter of the document went to RMail, the job was `sent` and
 * the source deleted.  Now the key does not unwrap: nothing leaves. */
static void test_a_changed_size_fails_the_job_and_sends_nothing(void)
{
	char job[40], q[24];

	queued_job(job, MIB);
	snprintf(q, sizeof(q), "%d", QUARTER);
	CU_ASSERT_EQUAL(regress_exec("UPDATE scanpost.job_files SET bytes = $2::bigint"
	                             " WHERE job_id = $1::uuid",
	                             job, q, NULL),
	                0);
	CU_ASSERT_EQUAL(sendctx_run(&sender, NULL), SEND_FAILED);
	CU_ASSERT_TRUE(is(job, "state", job_state_name(JOB_FAILED)));
	CU_ASSERT_TRUE(is(job, "last_error_code", "integrity_error"));
	CU_ASSERT_EQUAL(stub_calls("/api/Upload"), 0);
	CU_ASSERT_EQUAL(stub_calls("/api/v1/Mail"), 0);
}

static void test_a_changed_digest_fails_the_job_and_sends_nothing(void)
{
	char job[40];

	queued_job(job, 300000);
	CU_ASSERT_EQUAL(regress_exec("UPDATE scanpost.job_files SET sha256 = sha256('other')"
	                             " WHERE job_id = $1::uuid",
	                             job, NULL),
	                0);
	CU_ASSERT_EQUAL(sendctx_run(&sender, NULL), SEND_FAILED);
	CU_ASSERT_TRUE(is(job, "last_error_code", "integrity_error"));
	CU_ASSERT_EQUAL(stub_calls("/api/Upload"), 0);
	CU_ASSERT_EQUAL(stub_calls("/api/v1/Mail"), 0);
}

/* scanpost_api may delete chunks (it deletes documents), though it cannot
 * see which one is last: a document that lost its end is refused before
 * any mail is asked for. */
static void test_a_missing_last_chunk_never_becomes_a_mail(void)
{
	char job[40];

	queued_job(job, MIB + 100);
	CU_ASSERT_EQUAL(regress_exec_as("scanpost_api",
	                                "DELETE FROM scanpost.document_chunks WHERE job_id ="
	                                " $1::uuid AND chunk_index = 4",
	                                job, NULL),
	                0);
	CU_ASSERT_EQUAL(regress_long("SELECT count(*) FROM scanpost.document_chunks"
	                             " WHERE job_id = $1::uuid",
	                             job, NULL),
	                4);
	CU_ASSERT_EQUAL(sendctx_run(&sender, NULL), SEND_FAILED);
	CU_ASSERT_TRUE(is(job, "last_error_code", "integrity_error"));
	CU_ASSERT_EQUAL(stub_calls("/api/v1/Mail"), 0);
}

/* ---- 2. key retirement during an upload --------------------------------- */

/* Before: the data key was wrapped under the primary when the file began,
 * `keys rotate` + `retire-unused` destroyed that KEK before the COMMIT, and
 * the document could never be opened.  Now nothing is wrapped until the
 * file is whole. */
static void test_rotate_and_retire_during_an_upload_lose_nothing(void)
{
	char sid[40], job[40], owner[256], out[2048], sha[65];
	uint8_t hash[32], bin[16], *doc = regress_document(MIB, 9);
	uint64_t stored;
	struct doc_writer *w = NULL;

	new_job(sid, job, hash, 1800);
	uuid_parse(job, bin);
	CU_ASSERT_EQUAL_FATAL(lifecycle_upload_begin(api, job, hash, &stored, owner, sizeof(owner)),
	                      LC_OK);
	CU_ASSERT_EQUAL_FATAL(docw_begin(api, &doc_keys, job, bin, 0, &w), 0);
	CU_ASSERT_EQUAL(docw_write(w, doc, MIB / 2), 0);
	/* The daily timer, while the printer is still sending. */
	CU_ASSERT_EQUAL(regress_ctl(out, sizeof(out), "keys", "rotate", "doc", NULL), 0);
	CU_ASSERT_EQUAL(regress_ctl(out, sizeof(out), "keys", "retire-unused", "doc", NULL), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "retired doc key"));
	CU_ASSERT_EQUAL(docw_write(w, doc + MIB / 2, MIB - MIB / 2), 0);
	CU_ASSERT_EQUAL(docw_finish(w, "doc.pdf", "application/pdf", NULL), 0);
	docw_free(w);
	struct lc_upload done = {.files = 1, .bytes = MIB};
	CU_ASSERT_EQUAL_FATAL(lifecycle_upload_commit(api, job, owner, &done, NULL), LC_OK);
	CU_ASSERT_EQUAL_FATAL(regress_upload_job_log(api, job, hash), LC_OK);
	CU_ASSERT_EQUAL_FATAL(lifecycle_job_submit(api, job, USER, &who), LC_OK);
	CU_ASSERT_EQUAL(sendctx_run(&sender, NULL), SEND_SENT);
	regress_sha256_hex(doc, MIB, sha);
	CU_ASSERT_STRING_EQUAL(stub_last_upload_sha256(), sha);
	free(doc);
}

/* A key already wrapped under, in a transaction not yet committed, is held:
 * `retire-unused` waits for the COMMIT, then sees the row and keeps it. */
static void test_retire_waits_for_an_upload_holding_the_key_then_keeps_it(void)
{
	char sid[40], job[40], owner[256], out[2048], kid[64], *old;
	uint8_t hash[32], bin[16], *doc = regress_document(200000, 4);
	struct timespec pause = {1, 500 * 1000 * 1000};
	uint64_t stored;
	struct doc_writer *w = NULL;
	int pid, fd;

	new_job(sid, job, hash, 1800);
	uuid_parse(job, bin);
	CU_ASSERT_EQUAL_FATAL(lifecycle_upload_begin(api, job, hash, &stored, owner, sizeof(owner)),
	                      LC_OK);
	/* File 1 is whole: its key is wrapped under the primary, and held. */
	CU_ASSERT_EQUAL_FATAL(docw_begin(api, &doc_keys, job, bin, 0, &w), 0);
	CU_ASSERT_EQUAL(docw_write(w, doc, 200000), 0);
	CU_ASSERT_EQUAL(docw_finish(w, "p1.pdf", "application/pdf", NULL), 0);
	docw_free(w);
	snprintf(kid, sizeof(kid), "%s", keyring_primary(keycache_get(&doc_keys)));
	CU_ASSERT_EQUAL(regress_ctl(out, sizeof(out), "keys", "rotate", "doc", NULL), 0);
	pid = regress_ctl_spawn(&fd, "keys", "retire-unused", "doc", NULL);
	CU_ASSERT_FATAL(pid > 0);
	nanosleep(&pause, NULL);
	CU_ASSERT_TRUE(regress_ctl_running(pid)); /* waiting for this upload */
	/* File 2 arrives under the new primary; the upload commits. */
	CU_ASSERT_EQUAL_FATAL(docw_begin(api, &doc_keys, job, bin, 1, &w), 0);
	CU_ASSERT_EQUAL(docw_write(w, doc, 1000), 0);
	CU_ASSERT_EQUAL(docw_finish(w, "p2.pdf", "application/pdf", NULL), 0);
	docw_free(w);
	struct lc_upload done = {.files = 2, .bytes = 201000};
	CU_ASSERT_EQUAL_FATAL(lifecycle_upload_commit(api, job, owner, &done, NULL), LC_OK);
	CU_ASSERT_EQUAL(regress_ctl_wait(pid, fd, out, sizeof(out)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "kept doc key"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, kid));
	old = regress_text("SELECT dek_kid FROM scanpost.job_files WHERE job_id = $1::uuid"
	                   " AND file_no = 0",
	                   job, NULL);
	CU_ASSERT(old && strcmp(old, kid) == 0);
	free(old);
	CU_ASSERT_EQUAL_FATAL(regress_upload_job_log(api, job, hash), LC_OK);
	CU_ASSERT_EQUAL_FATAL(lifecycle_job_submit(api, job, USER, &who), LC_OK);
	CU_ASSERT_EQUAL(sendctx_run(&sender, NULL), SEND_SENT);
	CU_ASSERT_EQUAL(stub_calls("/api/Upload"), 2);
	free(doc);
}

/* ---- 3. audit JSON from RMail's words ------------------------------------ */

/* Before: snprintf put the TrackingId into the audit detail, a quote broke
 * the jsonb cast, mark-sent rolled back, and the job looped forever with
 * its document.  Now: sent once, document deleted, the id recorded. */
static void test_a_tracking_id_with_quotes_is_sent_once(void)
{
	char job[40], *detail;

	queued_job(job, 5000);
	stub_script("/api/v1/Mail", 1, 200,
	            "{\"Status\":\"Success\",\"ResultContent\":{\"TrackingId\":"
	            "\"Q\\\"1\\\"},{\\\\x\"}}",
	            -1);
	CU_ASSERT_EQUAL(sendctx_run(&sender, NULL), SEND_SENT);
	CU_ASSERT_TRUE(is(job, "state", job_state_name(JOB_SENT)));
	CU_ASSERT_TRUE(is(job, "tracking_id", "Q\"1\"},{\\x"));
	CU_ASSERT_EQUAL(regress_audit_rows("document_deleted", job), 1);
	CU_ASSERT_EQUAL(regress_long("SELECT count(*) FROM scanpost.document_chunks"
	                             " WHERE job_id = $1::uuid",
	                             job, NULL),
	                0);
	detail = regress_text("SELECT detail ->> 'tracking_id' FROM scanpost.audit_events"
	                      " WHERE job_id = $1::uuid AND event = 'sent'",
	                      job, NULL);
	CU_ASSERT(detail && strcmp(detail, "Q\"1\"},{\\x") == 0);
	free(detail);
	/* Nothing is left to send again. */
	CU_ASSERT_EQUAL(sendctx_run(&sender, NULL), -1);
	CU_ASSERT_EQUAL(stub_calls("/api/v1/Mail"), 1);
}

/* Bytes PostgreSQL's UTF-8 would refuse must not roll the record back. */
static void test_a_tracking_id_with_control_bytes_is_recorded_printable(void)
{
	char job[40];

	queued_job(job, 5000);
	stub_script("/api/v1/Mail", 1, 200,
	            "{\"Status\":\"Success\",\"ResultContent\":{\"TrackingId\":\"A\\u0001B\"}}",
	            -1);
	CU_ASSERT_EQUAL(sendctx_run(&sender, NULL), SEND_SENT);
	CU_ASSERT_TRUE(is(job, "tracking_id", "A?B"));
	CU_ASSERT_EQUAL(regress_audit_rows("document_deleted", job), 1);
}

/* ---- 4. grants ------------------------------------------------------------- */

static int denied_as(const char *role, const char *sql, const char *job)
{
	int rc = regress_exec_as(role, sql, job, NULL);

	if (rc == 0)
		fprintf(stderr, "    %s was allowed: %s\n", role, sql);
	return rc != 0 && strstr(regress_error(), "permission denied") != NULL;
}

static int refused_as(const char *role, const char *sql, const char *job, const char *why)
{
	int rc = regress_exec_as(role, sql, job, NULL);

	if (rc == 0)
		fprintf(stderr, "    %s was allowed: %s\n", role, sql);
	return rc != 0 && strstr(regress_error(), why) != NULL;
}

static void test_the_api_role_reads_no_secret_and_changes_nothing_sent(void)
{
	char job[40];

	queued_job(job, 5000);
	CU_ASSERT_TRUE(denied_as("scanpost_api",
	                         "SELECT token_sealed FROM scanpost.sessions WHERE $1::text <> ''",
	                         job));
	CU_ASSERT_TRUE(
	    denied_as("scanpost_api",
	              "SELECT dek_wrapped FROM scanpost.job_files WHERE job_id = $1::uuid", job));
	CU_ASSERT_TRUE(denied_as(
	    "scanpost_api",
	    "SELECT ciphertext FROM scanpost.document_chunks WHERE job_id = $1::uuid", job));
	CU_ASSERT_TRUE(denied_as("scanpost_api",
	                         "UPDATE scanpost.job_files SET bytes = 1 WHERE job_id = $1::uuid",
	                         job));
	CU_ASSERT_TRUE(denied_as("scanpost_api",
	                         "UPDATE scanpost.job_files SET sha256 = sha256('x')"
	                         " WHERE job_id = $1::uuid",
	                         job));
	CU_ASSERT_TRUE(denied_as("scanpost_api",
	                         "UPDATE scanpost.jobs SET to_addrs = '{mallory@example.org}'"
	                         " WHERE id = $1::uuid",
	                         job));
	CU_ASSERT_TRUE(denied_as("scanpost_api",
	                         "UPDATE scanpost.jobs SET body = 'x' WHERE id = $1::uuid", job));
	CU_ASSERT_TRUE(denied_as("scanpost_sender",
	                         "UPDATE scanpost.job_files SET bytes = 1 WHERE job_id = $1::uuid",
	                         job));
	CU_ASSERT_TRUE(denied_as("scanpost_sender",
	                         "UPDATE scanpost.jobs SET bcc_addrs = '{mallory@example.org}'"
	                         " WHERE id = $1::uuid",
	                         job));
	CU_ASSERT_TRUE(is(job, "to_addrs", "{alice@example.org}"));
}

/* What a role may update still cannot reopen a submitted job. */
static void test_a_submitted_jobs_files_and_link_are_fixed(void)
{
	char job[40];

	queued_job(job, 5000);
	/* scanpost-api deletes no file row at all (sql/009); the trigger
	 * holds for any role that may. */
	CU_ASSERT_TRUE(denied_as("scanpost_api",
	                         "DELETE FROM scanpost.job_files WHERE job_id = $1::uuid", job));
	CU_ASSERT_TRUE(refused_as("scanpost_owner",
	                          "DELETE FROM scanpost.job_files WHERE job_id = $1::uuid", job,
	                          "are fixed"));
	CU_ASSERT_TRUE(refused_as("scanpost_api",
	                          "INSERT INTO scanpost.job_files (job_id, file_no, name,"
	                          " content_type, bytes, sha256) VALUES ($1::uuid, 7, 'x.pdf',"
	                          " 'application/pdf', 1, sha256('x'))",
	                          job, "are fixed"));
	CU_ASSERT_TRUE(refused_as("scanpost_api",
	                          "UPDATE scanpost.jobs SET state = 'awaiting_scan'"
	                          " WHERE id = $1::uuid",
	                          job, "cannot go back"));
	CU_ASSERT_TRUE(refused_as("scanpost_api",
	                          "UPDATE scanpost.jobs SET upload_token_hash = sha256('x')"
	                          " WHERE id = $1::uuid",
	                          job, "can only be spent"));
	/* The owner still removes a whole job (ON DELETE CASCADE). */
	CU_ASSERT_EQUAL(regress_exec("DELETE FROM scanpost.jobs WHERE id = $1::uuid", job, NULL),
	                0);
	CU_ASSERT_EQUAL(regress_long("SELECT count(*) FROM scanpost.job_files"
	                             " WHERE job_id = $1::uuid",
	                             job, NULL),
	                0);
}

/* ---- 5. expiry at commit --------------------------------------------------- */

/* Before: the link was checked when the upload began only, and an upload
 * that committed after it was kept, then deleted by the janitor. */
static void test_an_upload_that_outlives_its_link_keeps_nothing(void)
{
	char sid[40], job[40], owner[256];
	uint8_t hash[32], bin[16], *doc = regress_document(100000, 2);
	struct timespec pause = {1, 300 * 1000 * 1000};
	uint64_t stored;
	struct doc_writer *w = NULL;

	new_job(sid, job, hash, 1);
	uuid_parse(job, bin);
	CU_ASSERT_EQUAL_FATAL(lifecycle_upload_begin(api, job, hash, &stored, owner, sizeof(owner)),
	                      LC_OK);
	CU_ASSERT_EQUAL_FATAL(docw_begin(api, &doc_keys, job, bin, 0, &w), 0);
	CU_ASSERT_EQUAL(docw_write(w, doc, 50000), 0);
	nanosleep(&pause, NULL);
	/* The janitor leaves a job whose upload is running alone. */
	CU_ASSERT_EQUAL(lifecycle_expire_uploads(sender.db), 0);
	CU_ASSERT_EQUAL(docw_write(w, doc + 50000, 50000), 0);
	CU_ASSERT_EQUAL(docw_finish(w, "late.pdf", "application/pdf", NULL), 0);
	docw_free(w);
	/* Its job log too: what outlived the link records no arrival. */
	struct lc_upload done = {.files = 1, .bytes = 100000, .job_log = 1, .job_log_bytes = 300};
	CU_ASSERT_EQUAL(lifecycle_upload_commit(api, job, owner, &done, NULL), LC_EXPIRED);
	CU_ASSERT_EQUAL(
	    regress_long("SELECT count(*) FROM scanpost.job_logs WHERE job_id = $1::uuid", job,
	                 NULL),
	    0);
	CU_ASSERT_EQUAL(regress_audit_rows("job_log_arrived", job), 0);
	CU_ASSERT_EQUAL(regress_long("SELECT count(*) FROM scanpost.job_files"
	                             " WHERE job_id = $1::uuid",
	                             job, NULL),
	                0);
	CU_ASSERT_EQUAL(regress_long("SELECT count(*) FROM scanpost.document_chunks"
	                             " WHERE job_id = $1::uuid",
	                             job, NULL),
	                0);
	CU_ASSERT_EQUAL(regress_audit_rows("uploaded", job), 0);
	CU_ASSERT_EQUAL(lifecycle_upload_begin(api, job, hash, &stored, owner, sizeof(owner)),
	                LC_EXPIRED);
	CU_ASSERT_EQUAL(lifecycle_expire_uploads(sender.db), 1);
	CU_ASSERT_TRUE(is(job, "state", job_state_name(JOB_EXPIRED)));
	free(doc);
}

static CU_TestInfo tests[] = {
    {"1 a changed size fails the job and sends nothing",
     test_a_changed_size_fails_the_job_and_sends_nothing},
    {"1 a changed digest fails the job and sends nothing",
     test_a_changed_digest_fails_the_job_and_sends_nothing},
    {"1 a missing last chunk never becomes a mail", test_a_missing_last_chunk_never_becomes_a_mail},
    {"2 rotate and retire during an upload lose nothing",
     test_rotate_and_retire_during_an_upload_lose_nothing},
    {"2 retire waits for an upload holding the key, then keeps it",
     test_retire_waits_for_an_upload_holding_the_key_then_keeps_it},
    {"3 a TrackingId with quotes is sent once", test_a_tracking_id_with_quotes_is_sent_once},
    {"3 a TrackingId with control bytes is recorded printable",
     test_a_tracking_id_with_control_bytes_is_recorded_printable},
    {"4 the api role reads no secret and changes nothing sent",
     test_the_api_role_reads_no_secret_and_changes_nothing_sent},
    {"4 a submitted job's files and link are fixed",
     test_a_submitted_jobs_files_and_link_are_fixed},
    {"5 an upload that outlives its link keeps nothing",
     test_an_upload_that_outlives_its_link_keeps_nothing},
    CU_TEST_INFO_NULL,
};

int main(void)
{
	return regress_main("integrity", suite_init, suite_clean, tests);
}
