/*
 * upload.c - Xerox HTTP filing PutFile with libcurl (see upload.h).
 */
#include "upload.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#define ANSWER_KEEP 512

struct answer {
	char text[ANSWER_KEEP + 1];
	size_t len;
	size_t total;
};

struct progress {
	int (*should_stop)(void *);
	void *arg;
};

int upload_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void upload_global_cleanup(void)
{
	curl_global_cleanup();
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *user)
{
	struct answer *a = user;
	size_t n = size * nmemb, room = ANSWER_KEEP - a->len;

	memcpy(a->text + a->len, data, n < room ? n : room);
	a->len += n < room ? n : room;
	a->text[a->len] = '\0';
	a->total += n;
	return n;
}

static int on_progress(void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
	struct progress *p = user;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return (p->should_stop && p->should_stop(p->arg)) ? 1 : 0;
}

/* The answer text made safe for a log line: printable ASCII only, cut. */
static void printable(const char *in, char *out, size_t outlen)
{
	size_t i;

	for (i = 0; in[i] && i + 1 < outlen && i < 200; i++)
		out[i] = (in[i] >= 0x20 && in[i] < 0x7F) ? in[i] : ' ';
	out[i] = '\0';
}

enum upload_err upload_put_file(const struct upload_target *t, const char *local_path,
                                const char *dest_name, int (*should_stop)(void *), void *arg,
                                char *detail, size_t detaillen)
{
	enum upload_err e = UPLOAD_ERR_NOMEM;
	struct answer a = {"", 0, 0};
	struct progress prog = {should_stop, arg};
	char url[1024], errbuf[CURL_ERROR_SIZE] = "", shown[256];
	curl_mime *mime = NULL;
	curl_mimepart *part;
	CURL *c = curl_easy_init();
	CURLcode rc;
	long status = 0;
	int w;

	if (detail && detaillen)
		detail[0] = '\0';
	if (!c)
		return UPLOAD_ERR_NOMEM;
	w = snprintf(url, sizeof(url), "https://%s%s", t->host, t->script_path);
	if (w < 0 || (size_t)w >= sizeof(url))
		goto out;
	mime = curl_mime_init(c);
	if (!mime)
		goto out;
	/* Field order as the devices send them: the operation, where, then the file. */
	part = curl_mime_addpart(mime);
	curl_mime_name(part, "theOperation");
	curl_mime_data(part, "PutFile", CURL_ZERO_TERMINATED);
	part = curl_mime_addpart(mime);
	curl_mime_name(part, "destDir");
	curl_mime_data(part, t->dest_dir, CURL_ZERO_TERMINATED);
	part = curl_mime_addpart(mime);
	curl_mime_name(part, "destName");
	curl_mime_data(part, dest_name, CURL_ZERO_TERMINATED);
	part = curl_mime_addpart(mime);
	curl_mime_name(part, "sendfile");
	if (curl_mime_filedata(part, local_path) != CURLE_OK)
		goto out;
	curl_mime_filename(part, dest_name);
	curl_mime_type(part, "application/octet-stream");

	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (t->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, t->ca_file);
	curl_easy_setopt(c, CURLOPT_MIMEPOST, mime);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "Xerox device-sim HTTP filing");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* threads: no SIGALRM for DNS */
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 300L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &a);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, &prog);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);

	rc = curl_easy_perform(c);
	if (rc == CURLE_ABORTED_BY_CALLBACK) {
		e = UPLOAD_ERR_ABORTED;
		if (detail)
			snprintf(detail, detaillen, "upload stopped");
		goto out;
	}
	if (rc != CURLE_OK) {
		e = UPLOAD_ERR_TRANSPORT;
		if (detail)
			snprintf(detail, detaillen, "%s",
			         errbuf[0] ? errbuf : curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	printable(a.text, shown, sizeof(shown));
	if (status != 200) {
		e = UPLOAD_ERR_STATUS;
		if (detail)
			snprintf(detail, detaillen, "HTTP %ld: %s", status, shown);
		goto out;
	}
	/* An empty answer is success; whitespace only is tolerated. */
	for (size_t i = 0; i < a.len; i++) {
		if (!strchr(" \t\r\n", a.text[i])) {
			e = UPLOAD_ERR_REFUSED;
			if (detail)
				snprintf(detail, detaillen, "HTTP 200 with an answer: %s", shown);
			goto out;
		}
	}
	e = UPLOAD_OK;
out:
	curl_mime_free(mime);
	curl_easy_cleanup(c);
	return e;
}
