/*
 * upload_client.c - the device side of the upload benchmark: one Xerox
 * filing-protocol PutFile (multipart/form-data over HTTPS, peer verified)
 * of a document held in memory, sent with a large upload buffer so the
 * client's own cost stays small next to what is measured (nginx TLS,
 * scanpost-api, PostgreSQL).  Prints the seconds from request to the 200
 * that follows the COMMIT; fails unless the answer is the protocol's
 * success (an empty body: a refused PutFile is a 200 too, XRXBADNAME).
 * Also prints the CPU seconds the client itself spent in that time (TLS
 * and the copy into curl's buffer): on the benchmark's machine they are
 * taken from the cores nginx, scanpost-api and PostgreSQL run on.
 *
 *   upload-client URL CAFILE BYTES  -> "upload_seconds <s> cpu_seconds <c>"
 *                                      (exit 1 unless 200)
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

/* The filing protocol answers 200 to every operation; success is an
 * empty body, a refusal names itself (XRXBADNAME, XRXERROR...).  Keeps
 * the first bytes of the answer. */
struct answer {
	char text[64];
	size_t len;
};

static size_t keep_answer(char *p, size_t s, size_t n, void *arg)
{
	struct answer *a = arg;
	size_t take = s * n;

	if (take > sizeof(a->text) - 1 - a->len)
		take = sizeof(a->text) - 1 - a->len;
	memcpy(a->text + a->len, p, take);
	a->len += take;
	a->text[a->len] = '\0';
	return s * n;
}

/* CPU seconds of this process so far, user and system. */
static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	double c0, c1;
	struct answer answer = {"", 0};
	curl_mime *mime;
	curl_mimepart *part;
	long status = 0;
	size_t bytes;
	char *doc;
	CURL *c;
	CURLcode rc;

	if (argc != 4) {
		fprintf(stderr, "usage: upload-client URL CAFILE BYTES\n");
		return 2;
	}
	bytes = (size_t)strtoull(argv[3], NULL, 10);
	if (bytes < 16 || (doc = malloc(bytes)) == NULL)
		return 2;
	memcpy(doc, "%PDF-1.4\n", 9);
	for (size_t i = 9; i < bytes; i++)
		doc[i] = (char)(i * 2654435761u >> 13);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	c = curl_easy_init();
	mime = curl_mime_init(c);
	part = curl_mime_addpart(mime);
	curl_mime_name(part, "theOperation");
	curl_mime_data(part, "PutFile", CURL_ZERO_TERMINATED);
	part = curl_mime_addpart(mime);
	curl_mime_name(part, "destDir");
	curl_mime_data(part, "/", CURL_ZERO_TERMINATED);
	part = curl_mime_addpart(mime);
	curl_mime_name(part, "destName");
	curl_mime_data(part, "bench.pdf", CURL_ZERO_TERMINATED);
	part = curl_mime_addpart(mime);
	curl_mime_name(part, "sendfile");
	curl_mime_filename(part, "bench.pdf");
	curl_mime_type(part, "application/pdf");
	curl_mime_data(part, doc, bytes);
	curl_easy_setopt(c, CURLOPT_URL, argv[1]);
	curl_easy_setopt(c, CURLOPT_CAINFO, argv[2]);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_MIMEPOST, mime);
	curl_easy_setopt(c, CURLOPT_UPLOAD_BUFFERSIZE, 2L * 1024 * 1024);
	/* A printer files over HTTP/1.1.  libcurl's HTTP/2 upload also cost
	 * the client three times the CPU (0.27 s against 0.09 s for 25 MiB),
	 * taken from nginx and scanpost-api on these two shared cores. */
	curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep_answer);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer);
	c0 = cpu_s();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = curl_easy_perform(c);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	c1 = cpu_s();
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (rc != CURLE_OK || status != 200 || answer.len > 0) {
		fprintf(stderr, "upload-client: %s, HTTP %ld, answer \"%s\"\n",
		        curl_easy_strerror(rc), status, answer.text);
		return 1;
	}
	printf("upload_seconds %.4f cpu_seconds %.4f\n",
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9, c1 - c0);
	curl_mime_free(mime);
	curl_easy_cleanup(c);
	curl_global_cleanup();
	free(doc);
	return 0;
}
