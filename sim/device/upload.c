/*
 * upload.c - Xerox HTTP filing PutFile with libcurl (see upload.h).
 */
#include "upload.h"

#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

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
	struct upload_answer *a = user;
	size_t n = size * nmemb, room = UPLOAD_ANSWER_MAX - a->len;

	memcpy(a->text + a->len, data, n < room ? n : room);
	a->len += n < room ? n : room;
	a->text[a->len] = '\0';
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

void upload_printable(const char *in, char *out, size_t outlen)
{
	size_t i;

	for (i = 0; in[i] && i + 1 < outlen && i < 200; i++)
		out[i] = (in[i] >= 0x20 && in[i] < 0x7F) ? in[i] : ' ';
	out[i] = '\0';
}

static void add_field(curl_mime *mime, const char *name, const char *value)
{
	curl_mimepart *part = curl_mime_addpart(mime);

	curl_mime_name(part, name);
	curl_mime_data(part, value, CURL_ZERO_TERMINATED);
}

enum upload_err upload_run(const struct upload_target *t, const struct upload_op *op,
                           struct upload_answer *a, char *detail, size_t detaillen)
{
	enum upload_err e = UPLOAD_ERR_NOMEM;
	struct progress prog = {t->should_stop, t->arg};
	char errbuf[CURL_ERROR_SIZE] = "", shown[256];
	curl_mime *mime = NULL;
	curl_mimepart *part;
	CURL *c = curl_easy_init();
	CURLcode rc;
	long status = 0;

	a->len = 0;
	a->text[0] = '\0';
	if (detail && detaillen)
		detail[0] = '\0';
	if (!c)
		return UPLOAD_ERR_NOMEM;
	mime = curl_mime_init(c);
	if (!mime)
		goto out;
	/* Field order: the operation, where, then the file (its fields come
	 * first so a receiver knows what the file is before it arrives). */
	add_field(mime, "theOperation", op->operation);
	add_field(mime, "destDir", op->dest_dir);
	if (op->dest_name)
		add_field(mime, "destName", op->dest_name);
	if (op->del_dir)
		add_field(mime, "delDir", op->del_dir);
	if (op->local_path) {
		part = curl_mime_addpart(mime);
		curl_mime_name(part, "sendfile");
		if (curl_mime_filedata(part, op->local_path) != CURLE_OK)
			goto out;
		curl_mime_filename(part, op->dest_name ? op->dest_name : "file");
		curl_mime_type(part, "application/octet-stream");
	}

	curl_easy_setopt(c, CURLOPT_URL, t->url);
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
	curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
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
	while (a->len > 0 && strchr(" \t\r\n", a->text[a->len - 1]))
		a->text[--a->len] = '\0';
	upload_printable(a->text, shown, sizeof(shown));
	if (status != 200) {
		e = UPLOAD_ERR_STATUS;
		if (detail)
			snprintf(detail, detaillen, "HTTP %ld: %s", status, shown);
		goto out;
	}
	e = UPLOAD_OK;
out:
	curl_mime_free(mime);
	curl_easy_cleanup(c);
	return e;
}
