/*
 * test_handlers.c - scanpost-api's FastCGI handlers, driven over its socket
 * as nginx drives them (fcgi_client.h), against the run's cluster and the
 * RMail stub: sign-in, jobs, the device's upload (slow, and racing a key
 * rotation and its own link's expiry), the filing operations around it
 * (locks, working folders, the job log), submit, cancel, sign-out, health.
 */
#include <CUnit/Basic.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api_client.h"
#include "fcgi_client.h"
#include "jobstate.h"
#include "regress.h"
#include "rmail_stub.h"
#include "sendctx.h"

#define USER     "dana@example.org"
#define BOUNDARY "regressBoundary7MA4YWxk"

static struct sendctx sender;
static struct api_person me;

static void sign_in(void)
{
	api_sign_in(&me, USER);
}

/* POST /api/v1/jobs: the job id and the upload path (/scan/...). */
static void create_job(char id[40], char upload[200])
{
	struct fcgi_answer a;
	char url[400], *p;

	CU_ASSERT_EQUAL_FATAL(
	    api_call(&me, "POST", "/api/v1/jobs", "{\"to\":[\"alice@example.org\"]}", &a), 0);
	CU_ASSERT_EQUAL_FATAL(a.status, 201);
	answer_str(&a, "id", id, 40);
	answer_str(&a, "upload_url", url, sizeof(url));
	p = strstr(url, "/scan/");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	snprintf(upload, 200, "%s", p);
	{
		char st[40];
		CU_ASSERT_STRING_EQUAL(answer_str(&a, "state", st, sizeof(st)),
		                       job_state_name(JOB_AWAITING_SCAN));
	}
	fcgi_answer_free(&a);
}

/* The device's PutFile (Xerox HTTP filing, DESIGN 3.3), its file sent in
 * two halves with pause_ms between them, and `between` run in the pause. */
static int put_file(const char *upload, const uint8_t *doc, size_t len, long pause_ms,
                    void (*between)(void), struct fcgi_answer *a)
{
	char head[600], tail[64], cl[40];
	const char *params[4];
	struct fcgi_req *q;
	struct timespec pause = {pause_ms / 1000, (pause_ms % 1000) * 1000000L};

	snprintf(head, sizeof(head),
	         "--" BOUNDARY "\r\nContent-Disposition: form-data; name=\"theOperation\"\r\n\r\n"
	         "PutFile\r\n--" BOUNDARY "\r\nContent-Disposition: form-data;"
	         " name=\"destDir\"\r\n\r\n/\r\n--" BOUNDARY
	         "\r\nContent-Disposition: form-data; name=\"destName\"\r\n\r\nscan.pdf\r\n"
	         "--" BOUNDARY "\r\nContent-Disposition: form-data; name=\"sendfile\";"
	         " filename=\"scan.pdf\"\r\nContent-Type: application/pdf\r\n\r\n");
	snprintf(tail, sizeof(tail), "\r\n--" BOUNDARY "--\r\n");
	snprintf(cl, sizeof(cl), "CONTENT_LENGTH=%zu", strlen(head) + len + strlen(tail));
	params[0] = "CONTENT_TYPE=multipart/form-data; boundary=" BOUNDARY;
	params[1] = cl;
	params[2] = NULL;
	if ((q = fcgi_begin(regress_upload_socket(), "POST", upload, params)) == NULL)
		return -1;
	fcgi_send(q, head, strlen(head));
	fcgi_send(q, doc, len / 2);
	if (pause_ms > 0)
		nanosleep(&pause, NULL);
	if (between)
		between();
	fcgi_send(q, doc + len / 2, len - len / 2);
	fcgi_send(q, tail, strlen(tail));
	return fcgi_finish(q, a);
}

/* One filing operation (theOperation, destDir, destName, and the file
 * part when file is not NULL), in one request. */
static int filing(const char *upload, const char *op, const char *dir, const char *name,
                  const void *file, size_t len, struct fcgi_answer *a)
{
	char head[900], tail[64], cl[40];
	const char *params[3];
	struct fcgi_req *q;
	int n;

	n = snprintf(head, sizeof(head),
	             "--" BOUNDARY
	             "\r\nContent-Disposition: form-data; name=\"theOperation\"\r\n\r\n"
	             "%s\r\n--" BOUNDARY "\r\nContent-Disposition: form-data;"
	             " name=\"destDir\"\r\n\r\n%s\r\n--" BOUNDARY
	             "\r\nContent-Disposition: form-data; name=\"destName\"\r\n\r\n%s\r\n",
	             op, dir, name);
	if (file)
		snprintf(head + n, sizeof(head) - (size_t)n,
		         "--" BOUNDARY "\r\nContent-Disposition: form-data; name=\"sendfile\";"
		         " filename=\"%s\"\r\nContent-Type: application/octet-stream\r\n\r\n",
		         name);
	snprintf(tail, sizeof(tail), "%s--" BOUNDARY "--\r\n", file ? "\r\n" : "");
	snprintf(cl, sizeof(cl), "CONTENT_LENGTH=%zu",
	         strlen(head) + (file ? len : 0) + strlen(tail));
	params[0] = "CONTENT_TYPE=multipart/form-data; boundary=" BOUNDARY;
	params[1] = cl;
	params[2] = NULL;
	if ((q = fcgi_begin(regress_upload_socket(), "POST", upload, params)) == NULL)
		return -1;
	fcgi_send(q, head, strlen(head));
	if (file)
		fcgi_send(q, file, len);
	fcgi_send(q, tail, strlen(tail));
	return fcgi_finish(q, a);
}

/* The answer's status and body, as "200 XRXNOTFOUND" ("200 " when empty). */
static const char *answered(struct fcgi_answer *a, char *out, size_t len)
{
	snprintf(out, len, "%d %.*s", a->status, (int)a->body_len, a->body ? a->body : "");
	fcgi_answer_free(a);
	return out;
}

/* The device's job log, filed after the last file (DESIGN 3.3). */
static void file_job_log(const char *upload)
{
	static const char log_text[] = "job log: every page filed\n";
	struct fcgi_answer a;
	char got[80];

	CU_ASSERT_EQUAL_FATAL(
	    filing(upload, "PutFile", "/", "scan.XST", log_text, sizeof(log_text) - 1, &a), 0);
	CU_ASSERT_STRING_EQUAL(answered(&a, got, sizeof(got)), "200 ");
}

static long rows(const char *sql, const char *id)
{
	return regress_long(sql, id, NULL);
}

static int suite_init(void)
{
	if (stub_start() != 0 || regress_api_start(stub_url()) != 0 ||
	    sendctx_init(&sender, NULL) != 0)
		return -1;
	regress_reset();
	return 0;
}

static int suite_clean(void)
{
	regress_api_stop();
	sendctx_free(&sender);
	stub_stop();
	return 0;
}

static void test_health_and_metrics_answer(void)
{
	struct fcgi_answer a;

	me.cookie[0] = '\0';
	CU_ASSERT_EQUAL_FATAL(api_call(&me, "GET", "/healthz", NULL, &a), 0);
	CU_ASSERT_EQUAL(a.status, 200);
	CU_ASSERT_PTR_NOT_NULL(strstr(a.body, "\"database\""));
	fcgi_answer_free(&a);
	CU_ASSERT_EQUAL_FATAL(api_call(&me, "GET", "/metrics", NULL, &a), 0);
	CU_ASSERT_EQUAL(a.status, 200);
	CU_ASSERT_PTR_NOT_NULL(strstr(a.body, "scanpost_send_latency_seconds_count"));
	CU_ASSERT_PTR_NOT_NULL(strstr(a.body, "scanpost_database_up 1"));
	fcgi_answer_free(&a);
}

static void test_sign_in_is_told_apart_by_rmails_answer(void)
{
	struct fcgi_answer a;

	regress_reset();
	stub_reset();
	me.cookie[0] = '\0';
	stub_script("/Token", 1, 400, "{\"error\":\"invalid_grant\"}", -1);
	CU_ASSERT_EQUAL_FATAL(api_call(&me, "POST", "/api/v1/session",
	                               "{\"username\":\"" USER "\",\"password\":\"no\"}", &a),
	                      0);
	CU_ASSERT_EQUAL(a.status, 401);
	fcgi_answer_free(&a);
	stub_script("/Token", 1, 503, "{}", -1);
	CU_ASSERT_EQUAL_FATAL(api_call(&me, "POST", "/api/v1/session",
	                               "{\"username\":\"" USER "\",\"password\":\"x\"}", &a),
	                      0);
	CU_ASSERT_EQUAL(a.status, 502);
	fcgi_answer_free(&a);
	CU_ASSERT_EQUAL(regress_audit_rows("signin_failed", NULL), 2);
	sign_in();
	CU_ASSERT_EQUAL(regress_audit_rows("signin_ok", NULL), 1);
	CU_ASSERT_EQUAL_FATAL(api_call(&me, "GET", "/api/v1/session", NULL, &a), 0);
	CU_ASSERT_EQUAL(a.status, 200);
	fcgi_answer_free(&a);
	/* A state change without the CSRF token is refused. */
	snprintf(me.csrf, sizeof(me.csrf), "forged");
	CU_ASSERT_EQUAL_FATAL(
	    api_call(&me, "POST", "/api/v1/jobs", "{\"to\":[\"a@example.org\"]}", &a), 0);
	CU_ASSERT_EQUAL(a.status, 403);
	CU_ASSERT_PTR_NOT_NULL(a.body && strstr(a.body, "csrf_failed"));
	fcgi_answer_free(&a);
}

static void test_upload_submit_send_and_cancel_through_the_handlers(void)
{
	struct fcgi_answer a;
	char id[40], upload[200], other[40], other_up[200], path[120], sha[65], st[40];
	uint8_t *doc = regress_document(300000, 21);

	regress_reset();
	stub_reset();
	sign_in();
	create_job(id, upload);
	snprintf(path, sizeof(path), "/api/v1/jobs/%s/submit", id);
	CU_ASSERT_EQUAL_FATAL(api_call(&me, "POST", path, NULL, &a), 0);
	CU_ASSERT_EQUAL(a.status, 409); /* nothing_uploaded */
	fcgi_answer_free(&a);

	/* A wrong link is refused and keeps nothing. */
	CU_ASSERT_EQUAL_FATAL(put_file("/scan/00000000-0000-0000-0000-000000000000/"
	                               "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	                               doc, 1000, 0, NULL, &a),
	                      0);
	CU_ASSERT_EQUAL(a.status, 403);
	fcgi_answer_free(&a);
	CU_ASSERT_EQUAL_FATAL(put_file(upload, doc, 300000, 0, NULL, &a), 0);
	CU_ASSERT_EQUAL(a.status, 200);
	CU_ASSERT_EQUAL(a.body_len, 0);
	fcgi_answer_free(&a);
	CU_ASSERT_EQUAL(regress_audit_rows("uploaded", id), 1);
	file_job_log(upload);
	CU_ASSERT_EQUAL(regress_audit_rows("job_log_arrived", id), 1);

	snprintf(path, sizeof(path), "/api/v1/jobs/%s", id);
	CU_ASSERT_EQUAL_FATAL(api_call(&me, "GET", path, NULL, &a), 0);
	CU_ASSERT_EQUAL(a.status, 200);
	regress_sha256_hex(doc, 300000, sha);
	CU_ASSERT_PTR_NOT_NULL(strstr(a.body, sha));
	fcgi_answer_free(&a);

	snprintf(path, sizeof(path), "/api/v1/jobs/%s/submit", id);
	CU_ASSERT_EQUAL_FATAL(api_call(&me, "POST", path, NULL, &a), 0);
	CU_ASSERT_EQUAL(a.status, 202);
	CU_ASSERT_STRING_EQUAL(answer_str(&a, "state", st, sizeof(st)), job_state_name(JOB_QUEUED));
	fcgi_answer_free(&a);
	/* The spent link is refused. */
	CU_ASSERT_EQUAL_FATAL(put_file(upload, doc, 1000, 0, NULL, &a), 0);
	CU_ASSERT_EQUAL(a.status, 403);
	fcgi_answer_free(&a);

	CU_ASSERT_EQUAL(sendctx_run(&sender, NULL), SEND_SENT);
	CU_ASSERT_STRING_EQUAL(stub_last_upload_sha256(), sha);

	/* Cancel of a job waiting for its scan: the document goes, once. */
	create_job(other, other_up);
	CU_ASSERT_EQUAL_FATAL(put_file(other_up, doc, 5000, 0, NULL, &a), 0);
	fcgi_answer_free(&a);
	snprintf(path, sizeof(path), "/api/v1/jobs/%s", other);
	CU_ASSERT_EQUAL_FATAL(api_call(&me, "DELETE", path, NULL, &a), 0);
	CU_ASSERT_EQUAL(a.status, 204);
	fcgi_answer_free(&a);
	CU_ASSERT_EQUAL_FATAL(api_call(&me, "DELETE", path, NULL, &a), 0);
	CU_ASSERT_EQUAL(a.status, 409);
	fcgi_answer_free(&a);
	CU_ASSERT_EQUAL(regress_audit_rows("document_deleted", other), 1);
	CU_ASSERT_EQUAL(regress_audit_rows("job_canceled", other), 1);

	CU_ASSERT_EQUAL_FATAL(api_call(&me, "GET", "/api/v1/jobs", NULL, &a), 0);
	CU_ASSERT_EQUAL(a.status, 200);
	CU_ASSERT_PTR_NOT_NULL(strstr(a.body, id));
	CU_ASSERT_PTR_NOT_NULL(strstr(a.body, other));
	fcgi_answer_free(&a);
	free(doc);
}

static void rotate_and_retire(void)
{
	char out[2048];

	CU_ASSERT_EQUAL(regress_ctl(out, sizeof(out), "keys", "rotate", "doc", NULL), 0);
	CU_ASSERT_EQUAL(regress_ctl(out, sizeof(out), "keys", "retire-unused", "doc", NULL), 0);
}

/* Hole 2 through the handler: the printer is still sending when the keys
 * turn over. */
static void test_a_slow_upload_survives_a_key_rotation(void)
{
	struct fcgi_answer a;
	char id[40], upload[200], path[120], sha[65];
	uint8_t *doc = regress_document(600000, 33);

	regress_reset();
	stub_reset();
	sign_in();
	create_job(id, upload);
	CU_ASSERT_EQUAL_FATAL(put_file(upload, doc, 600000, 300, rotate_and_retire, &a), 0);
	CU_ASSERT_EQUAL(a.status, 200);
	fcgi_answer_free(&a);
	file_job_log(upload);
	snprintf(path, sizeof(path), "/api/v1/jobs/%s/submit", id);
	CU_ASSERT_EQUAL_FATAL(api_call(&me, "POST", path, NULL, &a), 0);
	CU_ASSERT_EQUAL(a.status, 202);
	fcgi_answer_free(&a);
	CU_ASSERT_EQUAL(sendctx_run(&sender, NULL), SEND_SENT);
	regress_sha256_hex(doc, 600000, sha);
	CU_ASSERT_STRING_EQUAL(stub_last_upload_sha256(), sha);
	free(doc);
}

/* Issue 10, bounded waits: while one upload holds its link, a second POST
 * to it is 409 at once (the row is locked NOWAIT), and the API's own
 * pool answers meanwhile. */
static char busy_upload[200];
/* gethostname's answer, as scanpost-api names itself by default. */
static const char *host_name(void)
{
	static char host[64];

	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	return host;
}

static int busy_status, busy_session_status, busy_metrics_upload, busy_metrics_api;
static double busy_seconds;

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void second_upload_and_a_status(void)
{
	static const uint8_t small[] = "%PDF-1.4 a second try";
	struct fcgi_answer a;
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	busy_status =
	    put_file(busy_upload, small, sizeof(small) - 1, 0, NULL, &a) == 0 ? a.status : 0;
	busy_seconds = seconds_since(&t0);
	fcgi_answer_free(&a);
	busy_session_status = api_call(&me, "GET", "/api/v1/session", NULL, &a) == 0 ? a.status : 0;
	fcgi_answer_free(&a);
	busy_metrics_upload = busy_metrics_api = 0;
	if (api_call(&me, "GET", "/metrics", NULL, &a) == 0 && a.body) {
		char upload_busy[300], api_busy[300];

		/* The api's own series carry its instance name: by default the
		 * host name and the program (README, Several instances). */
		snprintf(
		    upload_busy, sizeof(upload_busy),
		    "scanpost_workers_busy{pool=\"upload\",instance_name=\"%s/scanpost-api\"} 1",
		    host_name());
		snprintf(api_busy, sizeof(api_busy),
		         "scanpost_workers_busy{pool=\"api\",instance_name=\"%s/scanpost-api\"} ",
		         host_name());
		busy_metrics_upload = strstr(a.body, upload_busy) != NULL;
		/* At least the worker answering /metrics; the one that answered
		 * the session may not have counted itself free yet. */
		const char *api = strstr(a.body, api_busy);
		busy_metrics_api = api != NULL && atoi(api + strlen(api_busy)) >= 1;
	}
	fcgi_answer_free(&a);
}

static void test_a_second_upload_to_a_busy_link_is_409_at_once(void)
{
	struct fcgi_answer a;
	char id[40];
	uint8_t *doc = regress_document(200000, 7);

	regress_reset();
	stub_reset();
	sign_in();
	create_job(id, busy_upload);
	CU_ASSERT_EQUAL_FATAL(
	    put_file(busy_upload, doc, 200000, 1500, second_upload_and_a_status, &a), 0);
	CU_ASSERT_EQUAL(a.status, 200);
	fcgi_answer_free(&a);
	CU_ASSERT_EQUAL(busy_status, 409);
	CU_ASSERT(busy_seconds < 1.0);
	CU_ASSERT_EQUAL(busy_session_status, 200);
	/* Meanwhile: the upload holds one upload worker; /metrics itself keeps
	 * an API worker busy. */
	CU_ASSERT_TRUE(busy_metrics_upload);
	CU_ASSERT_TRUE(busy_metrics_api);
	CU_ASSERT_EQUAL(rows("SELECT count(*) FROM scanpost.job_files WHERE job_id = $1::uuid", id),
	                1);
	free(doc);
}

/* Issue 10, bounded waits: a body slower than upload_min_rate (4096 B/s in
 * the run's api.conf, judged after upload_rate_window = 2 s) is 408 and
 * keeps nothing; the worker is free again. */
static void test_an_upload_slower_than_the_minimum_rate_is_408(void)
{
	enum { PIECE = 1024, PIECES = 24 };
	static const char head[] =
	    "--" BOUNDARY "\r\nContent-Disposition: form-data; name=\"theOperation\"\r\n\r\n"
	    "PutFile\r\n--" BOUNDARY "\r\nContent-Disposition: form-data;"
	    " name=\"destDir\"\r\n\r\n/\r\n--" BOUNDARY
	    "\r\nContent-Disposition: form-data; name=\"destName\"\r\n\r\nslow.pdf\r\n"
	    "--" BOUNDARY "\r\nContent-Disposition: form-data; name=\"sendfile\";"
	    " filename=\"slow.pdf\"\r\nContent-Type: application/pdf\r\n\r\n";
	static const char tail[] = "\r\n--" BOUNDARY "--\r\n";
	struct timespec pause = {0, 400 * 1000 * 1000};
	const char *params[3];
	struct fcgi_answer a;
	struct fcgi_req *q;
	char id[40], upload[200], cl[40];
	uint8_t *doc = regress_document(PIECE * PIECES, 11);

	regress_reset();
	sign_in();
	create_job(id, upload);
	snprintf(cl, sizeof(cl), "CONTENT_LENGTH=%zu",
	         sizeof(head) - 1 + (size_t)PIECE * PIECES + sizeof(tail) - 1);
	params[0] = "CONTENT_TYPE=multipart/form-data; boundary=" BOUNDARY;
	params[1] = cl;
	params[2] = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(
	    q = fcgi_begin(regress_upload_socket(), "POST", upload, params));
	fcgi_send(q, head, sizeof(head) - 1);
	/* 2.5 KiB/s: the first 16 KiB read ends after ~6 s, past the window. */
	for (int i = 0; i < PIECES; i++) {
		if (fcgi_send(q, doc + i * PIECE, PIECE) != 0)
			break; /* answered already */
		nanosleep(&pause, NULL);
	}
	fcgi_send(q, tail, sizeof(tail) - 1);
	CU_ASSERT_EQUAL_FATAL(fcgi_finish(q, &a), 0);
	CU_ASSERT_EQUAL(a.status, 408);
	fcgi_answer_free(&a);
	CU_ASSERT_EQUAL(rows("SELECT count(*) FROM scanpost.job_files WHERE job_id = $1::uuid", id),
	                0);
	CU_ASSERT_EQUAL(
	    rows("SELECT count(*) FROM scanpost.document_chunks WHERE job_id = $1::uuid", id), 0);
	free(doc);
}

/* Issue 10, bounded waits: a row lock the api cannot get ends its wait at
 * db_lock_timeout_ms (1000 in the run's api.conf) with 503, instead of
 * holding the worker for as long as the other transaction lasts. */
static void test_a_held_row_lock_is_503_after_the_lock_timeout(void)
{
	static const struct db_stmt hold = {"regress_hold_sessions",
	                                    "SELECT 1 FROM scanpost.sessions FOR UPDATE", 0};
	struct db *owner = regress_db("scanpost_owner");
	struct fcgi_answer a;
	struct timespec t0;
	double secs;

	regress_reset();
	sign_in();
	CU_ASSERT_PTR_NOT_NULL_FATAL(owner);
	CU_ASSERT_EQUAL_FATAL(db_begin(owner), 0);
	CU_ASSERT_EQUAL_FATAL(db_exec(owner, &hold, NULL), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CU_ASSERT_EQUAL_FATAL(api_call(&me, "DELETE", "/api/v1/session", NULL, &a), 0);
	secs = seconds_since(&t0);
	CU_ASSERT_EQUAL(a.status, 503);
	CU_ASSERT(secs >= 0.9 && secs < 5.0);
	fcgi_answer_free(&a);
	db_rollback(owner);
	db_free(owner);
	/* The lock gone, the same session signs out. */
	CU_ASSERT_EQUAL_FATAL(api_call(&me, "DELETE", "/api/v1/session", NULL, &a), 0);
	CU_ASSERT_EQUAL(a.status, 204);
	fcgi_answer_free(&a);
}

/* Issue 10, separate pools: an upload sent to the API's socket, or an API
 * call to the uploads' socket, is not served there (404). */
static void test_each_pool_serves_only_its_own_routes(void)
{
	const char *params[] = {NULL};
	struct fcgi_answer a;
	struct fcgi_req *q;
	char id[40], upload[200];

	regress_reset();
	sign_in();
	create_job(id, upload);
	CU_ASSERT_PTR_NOT_NULL_FATAL(q = fcgi_begin(regress_api_socket(), "POST", upload, params));
	CU_ASSERT_EQUAL_FATAL(fcgi_finish(q, &a), 0);
	CU_ASSERT_EQUAL(a.status, 404);
	fcgi_answer_free(&a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(
	    q = fcgi_begin(regress_upload_socket(), "GET", "/api/v1/session", params));
	CU_ASSERT_EQUAL_FATAL(fcgi_finish(q, &a), 0);
	CU_ASSERT_EQUAL(a.status, 404);
	fcgi_answer_free(&a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(
	    q = fcgi_begin(regress_upload_socket(), "GET", "/healthz", params));
	CU_ASSERT_EQUAL_FATAL(fcgi_finish(q, &a), 0);
	CU_ASSERT_EQUAL(a.status, 404);
	fcgi_answer_free(&a);
}

/* Hole 5 through the handler: the link expires while the body arrives. */
static void test_an_upload_outliving_its_link_is_403_and_keeps_nothing(void)
{
	struct fcgi_answer a;
	char id[40], upload[200];
	uint8_t *doc = regress_document(200000, 44);

	regress_reset();
	sign_in();
	create_job(id, upload);
	regress_exec("UPDATE scanpost.jobs SET upload_expires_at = clock_timestamp()"
	             " + interval '1 second' WHERE id = $1::uuid",
	             id, NULL);
	CU_ASSERT_EQUAL_FATAL(put_file(upload, doc, 200000, 1500, NULL, &a), 0);
	CU_ASSERT_EQUAL(a.status, 403);
	CU_ASSERT_PTR_NOT_NULL(a.body && strstr(a.body, "XRXERROR"));
	fcgi_answer_free(&a);
	CU_ASSERT_EQUAL(rows("SELECT count(*) FROM scanpost.job_files WHERE job_id = $1::uuid", id),
	                0);
	CU_ASSERT_EQUAL(
	    rows("SELECT count(*) FROM scanpost.document_chunks WHERE job_id = $1::uuid", id), 0);
	CU_ASSERT_EQUAL(regress_audit_rows("uploaded", id), 0);
	free(doc);
}

/* DESIGN 3.3 through the handler, inside the lifecycle's upload
 * transaction: locks and working folders come and go, a document never
 * does, and the job log closes the set. */
static void test_filing_bookkeeping_comes_and_goes_documents_stay(void)
{
	struct fcgi_answer a;
	char id[40], upload[200], path[120], got[80];
	uint8_t *doc = regress_document(9000, 66);

	regress_reset();
	sign_in();
	create_job(id, upload);
	/* The device's lock, as Xerox's sample receiver answers it. */
	CU_ASSERT_EQUAL_FATAL(filing(upload, "GetFile", "/", "scan.LCK", NULL, 0, &a), 0);
	CU_ASSERT_STRING_EQUAL(answered(&a, got, sizeof(got)), "200 XRXNOTFOUND");
	CU_ASSERT_EQUAL_FATAL(filing(upload, "PutFile", "/", "scan.LCK", "lock", 4, &a), 0);
	CU_ASSERT_STRING_EQUAL(answered(&a, got, sizeof(got)), "200 ");
	CU_ASSERT_EQUAL_FATAL(filing(upload, "GetFile", "/", "scan.LCK", NULL, 0, &a), 0);
	CU_ASSERT_STRING_EQUAL(answered(&a, got, sizeof(got)), "200 ");
	/* A working folder holding a document. */
	CU_ASSERT_EQUAL_FATAL(filing(upload, "MakeDir", "/w.XSM", "", NULL, 0, &a), 0);
	CU_ASSERT_STRING_EQUAL(answered(&a, got, sizeof(got)), "200 ");
	CU_ASSERT_EQUAL_FATAL(filing(upload, "PutFile", "/w.XSM", "p1.pdf", doc, 9000, &a), 0);
	CU_ASSERT_STRING_EQUAL(answered(&a, got, sizeof(got)), "200 ");
	CU_ASSERT_EQUAL_FATAL(filing(upload, "PutFile", "/w.XSM", "p1.dat", "x", 1, &a), 0);
	CU_ASSERT_STRING_EQUAL(answered(&a, got, sizeof(got)), "200 ");
	/* DeleteFile takes no document; DeleteDirContents keeps it and says
	 * so; RemoveDir of a folder holding it fails. */
	CU_ASSERT_EQUAL_FATAL(filing(upload, "DeleteFile", "/w.XSM", "p1.pdf", NULL, 0, &a), 0);
	CU_ASSERT_STRING_EQUAL(answered(&a, got, sizeof(got)), "200 XRXBADNAME");
	CU_ASSERT_EQUAL_FATAL(filing(upload, "DeleteDirContents", "/w.XSM", "", NULL, 0, &a), 0);
	CU_ASSERT_STRING_EQUAL(answered(&a, got, sizeof(got)), "200 XRXERROR");
	CU_ASSERT_EQUAL_FATAL(filing(upload, "RemoveDir", "/w.XSM", "", NULL, 0, &a), 0);
	CU_ASSERT_STRING_EQUAL(answered(&a, got, sizeof(got)), "200 XRXERROR");
	CU_ASSERT_EQUAL(rows("SELECT count(*) FROM scanpost.filing_entries WHERE job_id = $1::uuid"
	                     " AND name = 'p1.dat'",
	                     id),
	                0);
	CU_ASSERT_EQUAL(rows("SELECT count(*) FROM scanpost.job_files WHERE job_id = $1::uuid"
	                     " AND dek_wrapped IS NOT NULL",
	                     id),
	                1);
	CU_ASSERT_EQUAL(
	    rows("SELECT count(*) FROM scanpost.document_chunks WHERE job_id = $1::uuid", id), 1);
	/* The lock goes; deleting it again finds nothing. */
	CU_ASSERT_EQUAL_FATAL(filing(upload, "DeleteFile", "/", "scan.LCK", NULL, 0, &a), 0);
	CU_ASSERT_STRING_EQUAL(answered(&a, got, sizeof(got)), "200 ");
	CU_ASSERT_EQUAL_FATAL(filing(upload, "DeleteFile", "/", "scan.LCK", NULL, 0, &a), 0);
	CU_ASSERT_STRING_EQUAL(answered(&a, got, sizeof(got)), "200 XRXNOTFOUND");
	CU_ASSERT_EQUAL(regress_audit_rows("document_deleted", id), 0);
	/* The job log closes the set: one arrival, then no document. */
	file_job_log(upload);
	CU_ASSERT_EQUAL(regress_audit_rows("job_log_arrived", id), 1);
	CU_ASSERT_EQUAL_FATAL(filing(upload, "PutFile", "/", "late.pdf", doc, 9000, &a), 0);
	CU_ASSERT_STRING_EQUAL(answered(&a, got, sizeof(got)), "200 XRXERROR");
	CU_ASSERT_EQUAL(rows("SELECT count(*) FROM scanpost.job_files WHERE job_id = $1::uuid", id),
	                1);
	snprintf(path, sizeof(path), "/api/v1/jobs/%s/submit", id);
	CU_ASSERT_EQUAL_FATAL(api_call(&me, "POST", path, NULL, &a), 0);
	CU_ASSERT_EQUAL(a.status, 202);
	fcgi_answer_free(&a);
	CU_ASSERT_EQUAL(regress_audit_rows("job_submitted", id), 1);
	free(doc);
}

static void test_sign_out_cancels_what_waits_for_its_scan(void)
{
	struct fcgi_answer a;
	char id[40], upload[200];
	uint8_t *doc = regress_document(4000, 55);

	regress_reset();
	sign_in();
	create_job(id, upload);
	CU_ASSERT_EQUAL_FATAL(put_file(upload, doc, 4000, 0, NULL, &a), 0);
	fcgi_answer_free(&a);
	CU_ASSERT_EQUAL_FATAL(api_call(&me, "DELETE", "/api/v1/session", NULL, &a), 0);
	CU_ASSERT_EQUAL(a.status, 204);
	fcgi_answer_free(&a);
	CU_ASSERT_EQUAL(regress_long("SELECT count(*) FROM scanpost.jobs WHERE id = $1::uuid"
	                             " AND state = $2",
	                             id, job_state_name(JOB_CANCELED), NULL),
	                1);
	CU_ASSERT_EQUAL(regress_audit_rows("document_deleted", id), 1);
	CU_ASSERT_EQUAL(regress_audit_rows("signout", NULL), 1);
	CU_ASSERT_EQUAL(regress_audit_rows("token_released", NULL), 1);
	CU_ASSERT_EQUAL_FATAL(api_call(&me, "GET", "/api/v1/session", NULL, &a), 0);
	CU_ASSERT_EQUAL(a.status, 401);
	fcgi_answer_free(&a);
	free(doc);
}

/* The value of one line of /metrics ("NAME VALUE"), or -1 when absent. */
static double metric(const struct fcgi_answer *a, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = a->body; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, name, n) == 0 && p[n] == ' ')
			return atof(p + n + 1);
	return -1;
}

/* What the dashboard and the alerts read (ops/): the queue's oldest job,
 * the retrying jobs, whether a sender is connected, the keyrings' age. */
static void test_metrics_tell_the_queue_the_sender_and_the_keys(void)
{
	struct fcgi_answer a;
	char id[40], upload[200], path[120];
	uint8_t *doc = regress_document(4000, 5);

	regress_reset();
	stub_reset();
	sign_in();
	create_job(id, upload);
	CU_ASSERT_EQUAL_FATAL(put_file(upload, doc, 4000, 0, NULL, &a), 0);
	fcgi_answer_free(&a);
	file_job_log(upload);
	snprintf(path, sizeof(path), "/api/v1/jobs/%s/submit", id);
	CU_ASSERT_EQUAL_FATAL(api_call(&me, "POST", path, NULL, &a), 0);
	CU_ASSERT_EQUAL(a.status, 202);
	fcgi_answer_free(&a);
	/* Submitted ten minutes ago, one failed attempt behind it: retrying. */
	CU_ASSERT_EQUAL(regress_exec("UPDATE scanpost.jobs SET submitted_at = now() - interval "
	                             "'600 seconds', attempts = 1, last_error_code = "
	                             "'rmail_unavailable' WHERE id = $1",
	                             id, NULL),
	                0);
	CU_ASSERT_EQUAL_FATAL(api_call(&me, "GET", "/metrics", NULL, &a), 0);
	CU_ASSERT_EQUAL(a.status, 200);
	CU_ASSERT(metric(&a, "scanpost_oldest_queued_seconds") >= 600);
	CU_ASSERT(metric(&a, "scanpost_oldest_queued_seconds") < 660);
	CU_ASSERT_EQUAL(metric(&a, "scanpost_jobs_retrying"), 1);
	CU_ASSERT_EQUAL(metric(&a, "scanpost_key_rotation_period_seconds"), 86400);
	CU_ASSERT(metric(&a, "scanpost_key_primary_age_seconds{keyring=\"doc\"}") >= 0);
	CU_ASSERT(metric(&a, "scanpost_key_primary_age_seconds{keyring=\"token\"}") >= 0);
	fcgi_answer_free(&a);

	/* Sent (no attempt behind it this time, or the sender would first ask
	 * RMail whether that one arrived): nothing waits, and the sender's
	 * session is counted. */
	CU_ASSERT_EQUAL(
	    regress_exec("UPDATE scanpost.jobs SET attempts = 0 WHERE id = $1", id, NULL), 0);
	CU_ASSERT_EQUAL(sendctx_run(&sender, NULL), SEND_SENT);
	CU_ASSERT_EQUAL_FATAL(api_call(&me, "GET", "/metrics", NULL, &a), 0);
	CU_ASSERT_EQUAL(metric(&a, "scanpost_oldest_queued_seconds"), 0);
	CU_ASSERT_EQUAL(metric(&a, "scanpost_jobs_retrying"), 0);
	CU_ASSERT(metric(&a, "scanpost_sender_connections") >= 1);
	fcgi_answer_free(&a);
	free(doc);
}

static CU_TestInfo tests[] = {
    {"health and metrics answer", test_health_and_metrics_answer},
    {"sign-in is told apart by RMail's answer", test_sign_in_is_told_apart_by_rmails_answer},
    {"upload, submit, send and cancel through the handlers",
     test_upload_submit_send_and_cancel_through_the_handlers},
    {"a slow upload survives a key rotation", test_a_slow_upload_survives_a_key_rotation},
    {"an upload outliving its link is 403 and keeps nothing",
     test_an_upload_outliving_its_link_is_403_and_keeps_nothing},
    {"filing bookkeeping comes and goes, documents stay",
     test_filing_bookkeeping_comes_and_goes_documents_stay},
    {"sign-out cancels what waits for its scan", test_sign_out_cancels_what_waits_for_its_scan},
    {"a second upload to a busy link is 409 at once",
     test_a_second_upload_to_a_busy_link_is_409_at_once},
    {"each pool serves only its own routes", test_each_pool_serves_only_its_own_routes},
    {"a held row lock is 503 after the lock timeout",
     test_a_held_row_lock_is_503_after_the_lock_timeout},
    {"an upload slower than the minimum rate is 408",
     test_an_upload_slower_than_the_minimum_rate_is_408},
    {"metrics tell the queue, the sender and the keys",
     test_metrics_tell_the_queue_the_sender_and_the_keys},
    CU_TEST_INFO_NULL,
};

int main(void)
{
	return regress_main("handlers", suite_init, suite_clean, tests);
}
