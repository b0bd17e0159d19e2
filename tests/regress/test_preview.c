/*
 * test_preview.c - GET /api/v1/jobs/{id}/preview through the real
 * scanpost-api and the real scanpost-preview (src/preview/), against the
 * run's cluster: pages of a PDF and a TIFF come back as bounded PNGs with
 * the page count and sizes; a broken file, a file that would take too
 * long, one that would need too much memory and a renderer that hangs are
 * each "no preview" (422) within the time limit while the api goes on
 * answering; a second preview beyond the concurrency cap is 503 with
 * Retry-After; another person's job is 404; the admin's "never" is 404
 * preview_off; the session answer carries the setting.
 */
#include <CUnit/Basic.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "api_client.h"
#include "fcgi_client.h"
#include "preview_docs.h"
#include "preview_wire.h"
#include "regress.h"
#include "rmail_stub.h"

#define USER     "dana@example.org"
#define BOUNDARY "previewBoundary7MA4YWxk"
/* The api of this suite: renderers killed after this many seconds, one
 * at a time. */
#define TIMEOUT_S "3"

static struct api_person me;

/* Fails (division by zero) unless the first chunk of job $1's first file
 * is given out to owner $2 by sql/011's function. */
#define CHUNK_THERE                                                                                \
	"SELECT 1 / (SELECT count(*)::int FROM scanpost.preview_chunk($1::uuid, $2, 0, 0))"

/* One PutFile of the Xerox HTTP filing protocol (DESIGN 3.3). */
static void put_file(const char *upload, const char *name, const void *doc, size_t len)
{
	char head[700], tail[64], cl[40];
	const char *params[3];
	struct fcgi_req *q;
	struct fcgi_answer a;

	snprintf(head, sizeof(head),
	         "--" BOUNDARY "\r\nContent-Disposition: form-data; name=\"theOperation\"\r\n\r\n"
	         "PutFile\r\n--" BOUNDARY "\r\nContent-Disposition: form-data;"
	         " name=\"destDir\"\r\n\r\n/\r\n--" BOUNDARY
	         "\r\nContent-Disposition: form-data; name=\"destName\"\r\n\r\n%s\r\n"
	         "--" BOUNDARY "\r\nContent-Disposition: form-data; name=\"sendfile\";"
	         " filename=\"%s\"\r\nContent-Type: application/octet-stream\r\n\r\n",
	         name, name);
	snprintf(tail, sizeof(tail), "\r\n--" BOUNDARY "--\r\n");
	snprintf(cl, sizeof(cl), "CONTENT_LENGTH=%zu", strlen(head) + len + strlen(tail));
	params[0] = "CONTENT_TYPE=multipart/form-data; boundary=" BOUNDARY;
	params[1] = cl;
	params[2] = NULL;
	q = fcgi_begin(regress_upload_socket(), "POST", upload, params);
	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	fcgi_send(q, head, strlen(head));
	fcgi_send(q, doc, len);
	fcgi_send(q, tail, strlen(tail));
	CU_ASSERT_EQUAL_FATAL(fcgi_finish(q, &a), 0);
	CU_ASSERT_EQUAL(a.status, 200);
	if (a.status != 200)
		printf(" [PutFile %s: %d %.*s]", name, a.status, (int)a.body_len,
		       a.body ? a.body : "");
	fcgi_answer_free(&a);
}

/* A job of the signed-in person with doc filed as name, and the device's
 * job log after it: ready for its preview.  doc is freed. */
static void scanned_job(const char *name, uint8_t *doc, size_t len, char id[40])
{
	static const char job_log[] = "job log: every page filed\n";
	struct fcgi_answer a;
	char url[400], *p;

	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	CU_ASSERT_EQUAL_FATAL(
	    api_call(&me, "POST", "/api/v1/jobs", "{\"to\":[\"alice@example.org\"]}", &a), 0);
	CU_ASSERT_EQUAL_FATAL(a.status, 201);
	answer_str(&a, "id", id, 40);
	answer_str(&a, "upload_url", url, sizeof(url));
	fcgi_answer_free(&a);
	p = strstr(url, "/scan/");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	put_file(p, name, doc, len);
	put_file(p, "scan.XST", job_log, sizeof(job_log) - 1);
	free(doc);
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static int preview(const char *id, struct fcgi_answer *a, double *seconds)
{
	char path[120];
	double t0 = now_s();
	int rc;

	snprintf(path, sizeof(path), "/api/v1/jobs/%s/preview", id);
	rc = api_call(&me, "GET", path, NULL, a);
	if (seconds)
		*seconds = now_s() - t0;
	return rc;
}

static void api_is_fine(void)
{
	struct fcgi_answer a;

	CU_ASSERT_EQUAL_FATAL(api_call(&me, "GET", "/healthz", NULL, &a), 0);
	CU_ASSERT_EQUAL(a.status, 200);
	fcgi_answer_free(&a);
	CU_ASSERT_EQUAL_FATAL(api_call(&me, "GET", "/api/v1/session", NULL, &a), 0);
	CU_ASSERT_EQUAL(a.status, 200);
	fcgi_answer_free(&a);
}

/* Each image is a PNG within the bounds, as the weblet will show it. */
static void check_images(struct json_object *images, int want)
{
	static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

	CU_ASSERT_EQUAL_FATAL((int)json_object_array_length(images), want);
	for (int i = 0; i < want; i++) {
		struct json_object *im = json_object_array_get_idx(images, (size_t)i), *v;
		const char *b64;
		uint8_t *png;
		int n;

		CU_ASSERT_FATAL(json_object_object_get_ex(im, "page", &v));
		CU_ASSERT_EQUAL(json_object_get_int(v), i + 1);
		CU_ASSERT_FATAL(json_object_object_get_ex(im, "width", &v));
		CU_ASSERT(json_object_get_int(v) >= 1 &&
		          json_object_get_int(v) <= PREVIEW_THUMB_MAX);
		CU_ASSERT_FATAL(json_object_object_get_ex(im, "height", &v));
		CU_ASSERT(json_object_get_int(v) >= 1 &&
		          json_object_get_int(v) <= PREVIEW_THUMB_MAX);
		CU_ASSERT_FATAL(json_object_object_get_ex(im, "png", &v));
		b64 = json_object_get_string(v);
		png = malloc(strlen(b64));
		n = EVP_DecodeBlock(png, (const unsigned char *)b64, (int)strlen(b64));
		CU_ASSERT(n > 100);
		CU_ASSERT(memcmp(png, sig, sizeof(sig)) == 0);
		free(png);
	}
}

static long json_long(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? (long)json_object_get_int64(v) : -1;
}

static void test_a_pdf_shows_its_first_pages_and_counts_them_all(void)
{
	struct fcgi_answer a;
	struct json_object *o, *images, *files, *img0;
	char id[40];
	size_t len = 0;
	uint8_t *doc = doc_pdf_pages(10, 0, 0, &len);
	size_t doc_len = len;

	api_sign_in(&me, USER);
	scanned_job("scan.pdf", doc, len, id);
	CU_ASSERT_EQUAL_FATAL(preview(id, &a, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(a.status, 200);
	o = answer_json(&a);
	CU_ASSERT_EQUAL(json_long(o, "pages"), 10);
	CU_ASSERT_EQUAL(json_long(o, "bytes"), (long)doc_len);
	CU_ASSERT_FATAL(json_object_object_get_ex(o, "files", &files));
	CU_ASSERT_EQUAL(json_object_array_length(files), 1);
	CU_ASSERT_EQUAL(json_long(json_object_array_get_idx(files, 0), "pages"), 10);
	CU_ASSERT_FATAL(json_object_object_get_ex(o, "images", &images));
	/* Ten pages counted, the first PREVIEW_MAX_PAGES shown. */
	check_images(images, PREVIEW_MAX_PAGES);
	{
		struct json_object *v;
		CU_ASSERT(json_object_object_get_ex(o, "more_pages", &v) &&
		          json_object_get_boolean(v));
	}
	/* A4 portrait: 210 x 297 mm, taller than wide in pixels too. */
	img0 = json_object_array_get_idx(images, 0);
	{
		struct json_object *v;
		json_object_object_get_ex(img0, "width_mm", &v);
		CU_ASSERT(json_object_get_double(v) > 209.5 && json_object_get_double(v) < 210.5);
		json_object_object_get_ex(img0, "height_mm", &v);
		CU_ASSERT(json_object_get_double(v) > 296.5 && json_object_get_double(v) < 297.5);
	}
	CU_ASSERT_EQUAL(json_long(img0, "height"), PREVIEW_THUMB_MAX);
	CU_ASSERT(json_long(img0, "width") < PREVIEW_THUMB_MAX);
	json_object_put(o);
	fcgi_answer_free(&a);
	/* As the api role, the document is readable through sql/011 before
	 * the submit, for its owner only. */
	CU_ASSERT_EQUAL(regress_exec_as("scanpost_api", CHUNK_THERE, id, USER, NULL), 0);
	CU_ASSERT_NOT_EQUAL(
	    regress_exec_as("scanpost_api", CHUNK_THERE, id, "eve@example.org", NULL), 0);
	/* The preview changed nothing: the job is still there to submit. */
	{
		char path[120], got[40];
		snprintf(path, sizeof(path), "/api/v1/jobs/%s/submit", id);
		CU_ASSERT_EQUAL_FATAL(api_call(&me, "POST", path, NULL, &a), 0);
		CU_ASSERT_EQUAL(a.status, 202);
		CU_ASSERT_STRING_EQUAL(answer_str(&a, "state", got, sizeof(got)), "queued");
		fcgi_answer_free(&a);
	}
	/* Once queued, there is no preview any more, and the api role can no
	 * longer read the document at all. */
	CU_ASSERT_EQUAL_FATAL(preview(id, &a, NULL), 0);
	CU_ASSERT_EQUAL(a.status, 409);
	fcgi_answer_free(&a);
	CU_ASSERT_NOT_EQUAL(regress_exec_as("scanpost_api", CHUNK_THERE, id, USER, NULL), 0);
}

static void test_a_tiff_shows_each_page_with_its_size(void)
{
	struct fcgi_answer a;
	struct json_object *o, *images, *v;
	char id[40];
	size_t len = 0;
	/* 850 x 1100 pixels at 200 dpi: 107.95 x 139.7 mm. */
	uint8_t *doc = doc_tiff_gray(850, 1100, 3, &len);

	api_sign_in(&me, USER);
	scanned_job("scan.tif", doc, len, id);
	CU_ASSERT_EQUAL_FATAL(preview(id, &a, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(a.status, 200);
	o = answer_json(&a);
	CU_ASSERT_EQUAL(json_long(o, "pages"), 3);
	CU_ASSERT_FATAL(json_object_object_get_ex(o, "images", &images));
	check_images(images, 3);
	json_object_object_get_ex(json_object_array_get_idx(images, 2), "width_mm", &v);
	CU_ASSERT(json_object_get_double(v) > 107.9 && json_object_get_double(v) < 108.0);
	json_object_put(o);
	fcgi_answer_free(&a);
}

static void test_a_page_of_absurd_size_is_still_a_small_image(void)
{
	struct fcgi_answer a;
	struct json_object *o, *images;
	char id[40];
	size_t len = 0;
	/* 14400 x 43200 pt: 5 x 15 m, the largest page ISO 32000 allows, and more. */
	uint8_t *doc = doc_pdf_pages(1, 14400, 43200, &len);

	api_sign_in(&me, USER);
	scanned_job("scan.pdf", doc, len, id);
	CU_ASSERT_EQUAL_FATAL(preview(id, &a, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(a.status, 200);
	o = answer_json(&a);
	CU_ASSERT_FATAL(json_object_object_get_ex(o, "images", &images));
	check_images(images, 1);
	CU_ASSERT_EQUAL(json_long(json_object_array_get_idx(images, 0), "height"),
	                PREVIEW_THUMB_MAX);
	json_object_put(o);
	fcgi_answer_free(&a);
}

/* doc as the only file of a job: 422 no_preview within the time limit
 * (plus the job-log check and the database), and the api answers after. */
static void expect_no_preview(const char *name, uint8_t *doc, size_t len, double max_s)
{
	struct fcgi_answer a;
	char id[40], code[40];
	double took = 0;

	api_sign_in(&me, USER);
	scanned_job(name, doc, len, id);
	CU_ASSERT_EQUAL_FATAL(preview(id, &a, &took), 0);
	CU_ASSERT_EQUAL(a.status, 422);
	CU_ASSERT_STRING_EQUAL(answer_error_code(&a, code, sizeof(code)), "no_preview");
	CU_ASSERT(took < max_s);
	printf(" [%s: %d in %.2f s]", name, a.status, took);
	fcgi_answer_free(&a);
	api_is_fine();
}

static void test_a_broken_file_is_no_preview(void)
{
	size_t len = 0;
	uint8_t *doc = doc_pdf_pages(3, 0, 0, &len);

	/* The objects cut off in the middle, the cross-reference gone. */
	len /= 3;
	expect_no_preview("scan.pdf", doc, len, 3.0);
	/* Headers the upload's type check takes, and nothing behind them
	 * (the upload refuses what is neither PDF, TIFF nor JPEG: 415). */
	doc = (uint8_t *)strdup("%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R >>\nendobj\n");
	expect_no_preview("scan.pdf", doc, strlen((char *)doc), 3.0);
	doc = malloc(64);
	memcpy(doc, "II*\0\x08\0\0\0\xff\xff", 10);
	memset(doc + 10, 0xee, 54);
	expect_no_preview("scan.tif", doc, 64, 3.0);
}

static void test_a_file_that_would_take_too_long_is_no_preview(void)
{
	size_t len = 0;
	/* 10^9 strokes from a 2.6 kB file: stopped by the CPU limit or the
	 * wall clock, whichever comes first. */
	uint8_t *doc = doc_pdf_nested_forms(10, &len);

	CU_ASSERT(len < 4096);
	expect_no_preview("scan.pdf", doc, len, atoi(TIMEOUT_S) + 2.0);
}

static void api_restart(const char *name, const char *value);

static void test_a_file_that_would_need_too_much_memory_is_bounded(void)
{
	struct fcgi_answer a;
	char id[40];
	size_t len = 0;
	double took = 0;
	/* 15000 x 15000 RGB, 675 MB inflated from 650 kB: outside the
	 * renderer's address space the image is not drawn (measured: 895 MB
	 * and 7.7 s without the limit).  Either a blank page or no preview. */
	uint8_t *doc = doc_pdf_flate_bomb(15000, &len);

	api_sign_in(&me, USER);
	scanned_job("scan.pdf", doc, len, id);
	CU_ASSERT_EQUAL_FATAL(preview(id, &a, &took), 0);
	CU_ASSERT(a.status == 200 || a.status == 422);
	CU_ASSERT(took < atoi(TIMEOUT_S) + 2.0);
	printf(" [bomb: %d in %.2f s]", a.status, took);
	fcgi_answer_free(&a);
	api_is_fine();
	/* A TIFF whose one strip inflates to 192 MB, read a band at a time:
	 * too much work for the limits. */
	doc = doc_tiff_one_big_strip(8000, 8000, &len);
	expect_no_preview("scan.tif", doc, len, atoi(TIMEOUT_S) + 2.0);
	/* The same TIFF in a renderer of 128 MiB: the strip cannot even be
	 * allocated, and the answer is at once. */
	setenv("SCANPOST_PREVIEW_MAX_BYTES", "16777216", 1);
	api_restart("SCANPOST_PREVIEW_MEMORY_MB", "128");
	doc = doc_tiff_one_big_strip(8000, 8000, &len);
	expect_no_preview("scan.tif", doc, len, 1.5);
	unsetenv("SCANPOST_PREVIEW_MAX_BYTES");
	api_restart("SCANPOST_PREVIEW_MEMORY_MB", "768");
}

static void test_a_preview_beyond_the_cap_is_503_with_retry_after(void)
{
	uint8_t *doc;
	struct fcgi_answer a;
	char slow[40], fast[40], code[40], ra[20];
	size_t len = 0;
	pid_t pid;

	api_sign_in(&me, USER);
	doc = doc_pdf_nested_forms(10, &len);
	scanned_job("scan.pdf", doc, len, slow);
	doc = doc_pdf_pages(1, 0, 0, &len);
	scanned_job("scan.pdf", doc, len, fast);
	/* The slow one holds the only renderer slot (preview_concurrency 1). */
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		struct fcgi_answer b;
		preview(slow, &b, NULL);
		_exit(b.status == 422 ? 0 : 1);
	}
	usleep(800 * 1000);
	CU_ASSERT_EQUAL_FATAL(preview(fast, &a, NULL), 0);
	CU_ASSERT_EQUAL(a.status, 503);
	CU_ASSERT_STRING_EQUAL(answer_error_code(&a, code, sizeof(code)), "preview_busy");
	CU_ASSERT_EQUAL(fcgi_header(&a, "Retry-After", ra, sizeof(ra)), 0);
	CU_ASSERT_STRING_EQUAL(ra, "2");
	fcgi_answer_free(&a);
	{
		int st = -1;
		waitpid(pid, &st, 0);
		CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	/* The slot is free again. */
	CU_ASSERT_EQUAL_FATAL(preview(fast, &a, NULL), 0);
	CU_ASSERT_EQUAL(a.status, 200);
	fcgi_answer_free(&a);
}

static void test_only_the_owner_sees_a_preview(void)
{
	uint8_t *doc;
	struct fcgi_answer a;
	char id[40], path[120];
	size_t len = 0;

	api_sign_in(&me, USER);
	doc = doc_pdf_pages(1, 0, 0, &len);
	scanned_job("scan.pdf", doc, len, id);
	api_sign_in(&me, "eve@example.org");
	CU_ASSERT_EQUAL_FATAL(preview(id, &a, NULL), 0);
	CU_ASSERT_EQUAL(a.status, 404);
	fcgi_answer_free(&a);
	me.cookie[0] = '\0';
	CU_ASSERT_EQUAL_FATAL(preview(id, &a, NULL), 0);
	CU_ASSERT_EQUAL(a.status, 401);
	fcgi_answer_free(&a);
	api_sign_in(&me, USER);
	snprintf(path, sizeof(path), "/api/v1/jobs/not-a-uuid/preview");
	CU_ASSERT_EQUAL_FATAL(api_call(&me, "GET", path, NULL, &a), 0);
	CU_ASSERT_EQUAL(a.status, 404);
	fcgi_answer_free(&a);
}

/* Restarts the api with the environment changed by name=value pairs. */
static void api_restart(const char *name, const char *value)
{
	regress_api_stop();
	setenv(name, value, 1);
	CU_ASSERT_EQUAL_FATAL(regress_api_start(stub_url()), 0);
}

static void test_a_renderer_that_hangs_is_killed_at_the_timeout(void)
{
	uint8_t *doc;
	char script[600], id[40];
	struct fcgi_answer a;
	size_t len = 0;
	double took = 0;
	FILE *f;

	/* Stands in for a renderer stuck without using CPU (which the CPU
	 * limit would not catch): only the api's wall clock ends it. */
	snprintf(script, sizeof(script), "%s/hanging-renderer", regress_dir());
	f = fopen(script, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fprintf(f, "#!/bin/sh\nexec sleep 60\n");
	fclose(f);
	chmod(script, 0755);
	api_restart("SCANPOST_PREVIEW_RENDERER", script);
	api_sign_in(&me, USER);
	doc = doc_pdf_pages(1, 0, 0, &len);
	scanned_job("scan.pdf", doc, len, id);
	CU_ASSERT_EQUAL_FATAL(preview(id, &a, &took), 0);
	CU_ASSERT_EQUAL(a.status, 422);
	CU_ASSERT(took >= atoi(TIMEOUT_S) - 0.5 && took < atoi(TIMEOUT_S) + 2.0);
	printf(" [hang: %d in %.2f s]", a.status, took);
	fcgi_answer_free(&a);
	api_is_fine();
	unsetenv("SCANPOST_PREVIEW_RENDERER");
	{
		char exe[600];
		snprintf(exe, sizeof(exe), "%s/src/preview/scanpost-preview", regress_build());
		api_restart("SCANPOST_PREVIEW_RENDERER", exe);
	}
}

static void test_never_turns_preview_off_and_the_session_says_so(void)
{
	uint8_t *doc;
	struct fcgi_answer a;
	char id[40], got[40];
	size_t len = 0;

	api_sign_in(&me, USER);
	CU_ASSERT_EQUAL_FATAL(api_call(&me, "GET", "/api/v1/session", NULL, &a), 0);
	CU_ASSERT_STRING_EQUAL(answer_str(&a, "preview", got, sizeof(got)), "choice");
	fcgi_answer_free(&a);
	api_restart("SCANPOST_PREVIEW", "never");
	api_sign_in(&me, USER);
	CU_ASSERT_EQUAL_FATAL(api_call(&me, "GET", "/api/v1/session", NULL, &a), 0);
	CU_ASSERT_STRING_EQUAL(answer_str(&a, "preview", got, sizeof(got)), "never");
	fcgi_answer_free(&a);
	doc = doc_pdf_pages(1, 0, 0, &len);
	scanned_job("scan.pdf", doc, len, id);
	CU_ASSERT_EQUAL_FATAL(preview(id, &a, NULL), 0);
	CU_ASSERT_EQUAL(a.status, 404);
	CU_ASSERT_STRING_EQUAL(answer_error_code(&a, got, sizeof(got)), "preview_off");
	fcgi_answer_free(&a);
	api_restart("SCANPOST_PREVIEW", "choice");
}

static int suite_init(void)
{
	char exe[600];

	snprintf(exe, sizeof(exe), "%s/src/preview/scanpost-preview", regress_build());
	setenv("SCANPOST_PREVIEW_RENDERER", exe, 1);
	setenv("SCANPOST_PREVIEW_TIMEOUT", TIMEOUT_S, 1);
	setenv("SCANPOST_PREVIEW_CONCURRENCY", "1", 1);
	if (stub_start() != 0 || regress_api_start(stub_url()) != 0)
		return -1;
	regress_reset();
	return 0;
}

static int suite_clean(void)
{
	regress_api_stop();
	return 0;
}

static CU_TestInfo tests[] = {
    {"a PDF shows its first pages and counts them all",
     test_a_pdf_shows_its_first_pages_and_counts_them_all},
    {"a TIFF shows each page with its size", test_a_tiff_shows_each_page_with_its_size},
    {"a page of absurd size is still a small image",
     test_a_page_of_absurd_size_is_still_a_small_image},
    {"a broken file is no preview", test_a_broken_file_is_no_preview},
    {"a file that would take too long is no preview",
     test_a_file_that_would_take_too_long_is_no_preview},
    {"a file that would need too much memory is bounded",
     test_a_file_that_would_need_too_much_memory_is_bounded},
    {"a preview beyond the cap is 503 with Retry-After",
     test_a_preview_beyond_the_cap_is_503_with_retry_after},
    {"only the owner sees a preview", test_only_the_owner_sees_a_preview},
    {"a renderer that hangs is killed at the timeout",
     test_a_renderer_that_hangs_is_killed_at_the_timeout},
    {"never turns preview off, and the session says so",
     test_never_turns_preview_off_and_the_session_says_so},
    CU_TEST_INFO_NULL,
};

int main(void)
{
	return regress_main("preview", suite_init, suite_clean, tests);
}
