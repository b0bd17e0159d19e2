/*
 * rmail.c - the RMail REST calls over libcurl (DESIGN 3.2): transport only.
 * What goes into a request and what an answer means is rmail_wire.c's.
 */
#include "rmail.h"
#include "rmail_wire.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define RMAIL_MAX_ANSWER (256 * 1024) /* an answer larger than this is not RMail's */

struct rmail {
	char *base_url;
	char *ca_file;
	long timeout;    /* seconds without progress */
	long call_max;   /* seconds one call may take in all */
	long signin_max; /* seconds the sign-in (/Token) may take in all */
	CURL *curl;
	/* the answer of the call in progress */
	char *answer;
	size_t answer_len;
	int answer_overflow;
	long retry_after;
	/* streaming upload source */
	rmail_read_fn read_fn;
	void *read_arg;
	int read_failed;
	/* the body of a call libcurl must never send twice (post_json once) */
	const char *once_body;
	size_t once_len, once_off;
	/* the caller's heartbeat */
	rmail_progress_fn progress_fn;
	void *progress_arg;
	int progress_failed;
	/* field diagnostics */
	rmail_observe_fn observe_fn;
	void *observe_arg;
	const char *path; /* of the call in progress */
};

struct rmail *rmail_new(const char *base_url, const char *ca_file, long timeout)
{
	struct rmail *rm = calloc(1, sizeof(*rm));
	size_t n;

	if (rm == NULL)
		return NULL;
	rm->base_url = strdup(base_url);
	rm->ca_file = strdup(ca_file ? ca_file : "");
	rm->timeout = timeout;
	rm->call_max = RMAIL_CALL_MAX_DEFAULT;
	rm->signin_max = RMAIL_SIGNIN_MAX_DEFAULT;
	rm->curl = curl_easy_init();
	if (rm->base_url == NULL || rm->ca_file == NULL || rm->curl == NULL) {
		rmail_free(rm);
		return NULL;
	}
	n = strlen(rm->base_url);
	while (n > 0 && rm->base_url[n - 1] == '/')
		rm->base_url[--n] = '\0';
	return rm;
}

void rmail_set_limits(struct rmail *rm, long call_max, long signin_max)
{
	rm->call_max = call_max;
	rm->signin_max = signin_max;
}

void rmail_free(struct rmail *rm)
{
	if (rm == NULL)
		return;
	if (rm->curl)
		curl_easy_cleanup(rm->curl);
	free(rm->answer);
	free(rm->base_url);
	free(rm->ca_file);
	free(rm);
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct rmail *rm = arg;
	size_t n = size * nmemb;
	char *grown;

	if (rm->answer_len + n > RMAIL_MAX_ANSWER) {
		rm->answer_overflow = 1;
		return 0; /* makes curl fail the transfer */
	}
	if ((grown = realloc(rm->answer, rm->answer_len + n + 1)) == NULL)
		return 0;
	rm->answer = grown;
	memcpy(rm->answer + rm->answer_len, data, n);
	rm->answer_len += n;
	rm->answer[rm->answer_len] = '\0';
	return n;
}

/* RFC 9110, 10.2.3: Retry-After is delay-seconds or an HTTP-date. */
static size_t on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	struct rmail *rm = arg;
	size_t n = size * nmemb;
	char value[64];
	size_t vlen;

	if (n > 12 && strncasecmp(data, "Retry-After:", 12) == 0) {
		vlen = n - 12 < sizeof(value) - 1 ? n - 12 : sizeof(value) - 1;
		memcpy(value, data + 12, vlen);
		value[vlen] = '\0';
		char *end;
		long secs = strtol(value, &end, 10);
		if (end != value && secs >= 0) {
			rm->retry_after = secs;
		} else {
			time_t when = curl_getdate(value, NULL);
			if (when > 0)
				rm->retry_after = when > time(NULL) ? (long)(when - time(NULL)) : 0;
		}
	}
	return n;
}

static size_t on_read(char *buf, size_t size, size_t nitems, void *arg)
{
	struct rmail *rm = arg;
	long n = rm->read_fn(rm->read_arg, (uint8_t *)buf, size * nitems);

	if (n < 0) {
		rm->read_failed = 1;
		return CURL_READFUNC_ABORT;
	}
	return (size_t)n;
}

void rmail_set_progress(struct rmail *rm, rmail_progress_fn fn, void *arg)
{
	rm->progress_fn = fn;
	rm->progress_arg = arg;
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
	struct rmail *rm = arg;

	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	if (rm->progress_fn && rm->progress_fn(rm->progress_arg) != 0) {
		rm->progress_failed = 1;
		return 1; /* CURLE_ABORTED_BY_CALLBACK */
	}
	return 0;
}

static void result_set(struct rmail_result *res, enum rmail_err err, long status, const char *msg)
{
	res->err = err;
	res->http_status = status;
	snprintf(res->message, sizeof(res->message), "%s", msg ? msg : rmail_strerror(err));
}

/* Prepares the handle for one call to path; headers may be NULL. */
static void call_setup(struct rmail *rm, const char *path, struct curl_slist *headers)
{
	char url[1024];

	curl_easy_reset(rm->curl);
	snprintf(url, sizeof(url), "%s%s", rm->base_url, path);
	rm->path = path;
	free(rm->answer);
	rm->answer = NULL;
	rm->answer_len = 0;
	rm->answer_overflow = 0;
	rm->retry_after = -1;
	rm->read_failed = 0;
	rm->progress_failed = 0;

	curl_easy_setopt(rm->curl, CURLOPT_URL, url);
	curl_easy_setopt(rm->curl, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(rm->curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(rm->curl, CURLOPT_SSL_VERIFYHOST, 2L);
	if (rm->ca_file[0])
		curl_easy_setopt(rm->curl, CURLOPT_CAINFO, rm->ca_file);
	curl_easy_setopt(rm->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(rm->curl, CURLOPT_CONNECTTIMEOUT, rm->timeout < 10 ? rm->timeout : 10L);
	/* A large upload may take long; what must not happen is a stall. */
	curl_easy_setopt(rm->curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(rm->curl, CURLOPT_LOW_SPEED_TIME, rm->timeout);
	/* ... and no call waits without end, however slowly it moves
	 * (DESIGN 3.7, bounded waits).  The sign-in has its own, shorter
	 * limit: a person is waiting at the printer (rmail_get_token). */
	curl_easy_setopt(rm->curl, CURLOPT_TIMEOUT, rm->call_max);
	curl_easy_setopt(rm->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(rm->curl, CURLOPT_WRITEDATA, rm);
	curl_easy_setopt(rm->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(rm->curl, CURLOPT_HEADERDATA, rm);
	if (headers)
		curl_easy_setopt(rm->curl, CURLOPT_HTTPHEADER, headers);
	if (rm->progress_fn) {
		curl_easy_setopt(rm->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(rm->curl, CURLOPT_XFERINFODATA, rm);
		curl_easy_setopt(rm->curl, CURLOPT_NOPROGRESS, 0L);
	}
}

void rmail_set_observer(struct rmail *rm, rmail_observe_fn fn, void *arg)
{
	rm->observe_fn = fn;
	rm->observe_arg = arg;
}

/* Performs the prepared call and sorts transport and status failures (the
 * status table and RMail's reason are rmail_wire.c's).  Returns 0 when a
 * 2xx answer came (its body is rm->answer). */
static int call_perform(struct rmail *rm, struct rmail_result *res)
{
	CURLcode rc = curl_easy_perform(rm->curl);
	long status = 0;
	char msg[200];

	curl_easy_getinfo(rm->curl, CURLINFO_RESPONSE_CODE, &status);
	res->retry_after = rm->retry_after;
	if (rm->observe_fn)
		rm->observe_fn(rm->observe_arg, rm->path, rc == CURLE_OK ? status : 0,
		               rm->answer ? rm->answer : "", rm->answer_len);
	if (rm->read_failed || rm->progress_failed) {
		result_set(res, RMAIL_ABORTED, status, NULL);
		return -1;
	}
	if (rc != CURLE_OK) {
		if (rm->answer_overflow)
			result_set(res, RMAIL_BAD_RESPONSE, status, "RMail's answer is too large");
		else {
			snprintf(msg, sizeof(msg), "RMail could not be reached: %s",
			         curl_easy_strerror(rc));
			result_set(res, RMAIL_UNAVAILABLE, status, msg);
		}
		return -1;
	}
	if (status >= 200 && status < 300) {
		res->err = RMAIL_OK;
		res->http_status = status;
		res->message[0] = '\0';
		return 0;
	}
	rmail_answer_failure(status, rm->answer, rm->answer_len, res);
	res->retry_after = rm->retry_after;
	return -1;
}

static struct curl_slist *auth_headers(const char *token, const char *content_type)
{
	struct curl_slist *h = NULL;
	char *line;
	size_t n = strlen(token) + 32;

	if ((line = malloc(n)) == NULL)
		return NULL;
	snprintf(line, n, "Authorization: Bearer %s", token);
	h = curl_slist_append(h, line);
	OPENSSL_cleanse(line, n);
	free(line);
	if (h && content_type) {
		char ct[128];
		snprintf(ct, sizeof(ct), "Content-Type: %s", content_type);
		h = curl_slist_append(h, ct);
	}
	if (h)
		h = curl_slist_append(h, "Accept: application/json");
	return h;
}

/* curl_slist_free_all does not wipe: the token line must be cleansed. */
static void headers_free(struct curl_slist *h)
{
	for (struct curl_slist *p = h; p; p = p->next)
		OPENSSL_cleanse(p->data, strlen(p->data));
	curl_slist_free_all(h);
}

int rmail_get_token(struct rmail *rm, const char *user, const char *password, char **token_out,
                    long *expires_in, struct rmail_result *res)
{
	size_t formlen = 0;
	char *form = rmail_token_form(user, password, &formlen);
	int rc = -1;

	*token_out = NULL;
	*expires_in = 0;
	if (form == NULL) {
		result_set(res, RMAIL_ABORTED, 0, "out of memory");
		return -1;
	}
	/* Help index: the path is {url}/token, the body a form. */
	call_setup(rm, "/Token", NULL);
	curl_easy_setopt(rm->curl, CURLOPT_TIMEOUT, rm->signin_max);
	curl_easy_setopt(rm->curl, CURLOPT_POSTFIELDS, form);
	if (call_perform(rm, res) == 0)
		rc = rmail_answer_token(res->http_status, rm->answer, rm->answer_len, token_out,
		                        expires_in, res);
	else if (res->err == RMAIL_REJECTED) /* 400 invalid_grant is a wrong password */
		rmail_answer_token(res->http_status, rm->answer, rm->answer_len, token_out,
		                   expires_in, res);
	/* The answer and the form carry secrets: wipe both. */
	if (rm->answer)
		OPENSSL_cleanse(rm->answer, rm->answer_len);
	OPENSSL_cleanse(form, formlen);
	free(form);
	return rc;
}

int rmail_upload(struct rmail *rm, const char *token, const char *filename,
                 const char *content_type, uint64_t size, rmail_read_fn read_fn, void *arg,
                 char *upload_id, size_t idlen, struct rmail_result *res)
{
	struct curl_slist *h = auth_headers(token, NULL);
	curl_mime *mime = NULL;
	curl_mimepart *part;
	int rc = -1;

	if (h == NULL || (mime = curl_mime_init(rm->curl)) == NULL) {
		result_set(res, RMAIL_ABORTED, 0, "out of memory");
		goto out;
	}
	call_setup(rm, "/api/Upload", h);
	rm->read_fn = read_fn;
	rm->read_arg = arg;
	part = curl_mime_addpart(mime);
	curl_mime_name(part, "file");
	curl_mime_filename(part, filename);
	curl_mime_type(part, content_type);
	/* Streamed: curl pulls the bytes as the socket takes them. */
	curl_mime_data_cb(part, (curl_off_t)size, on_read, NULL, NULL, rm);
	curl_easy_setopt(rm->curl, CURLOPT_MIMEPOST, mime);
	if (call_perform(rm, res) != 0)
		goto out;
	rc = rmail_answer_upload(rm->answer, rm->answer_len, upload_id, idlen, res);
out:
	curl_mime_free(mime);
	headers_free(h);
	return rc;
}

static size_t on_once_read(char *buf, size_t size, size_t nitems, void *arg)
{
	struct rmail *rm = arg;
	size_t n = rm->once_len - rm->once_off;

	if (n > size * nitems)
		n = size * nitems;
	memcpy(buf, rm->once_body + rm->once_off, n);
	rm->once_off += n;
	return n;
}

/* The body cannot be given again: see post_json. */
static int on_once_seek(void *arg, curl_off_t offset, int origin)
{
	(void)arg, (void)offset, (void)origin;
	return CURL_SEEKFUNC_CANTSEEK;
}

/* once: the call must never be repeated by libcurl on its own.  libcurl
 * (7.88, transfer.c Curl_retry_request) silently re-sends a request once
 * when a reused connection dies before any answer arrives ("Connection
 * died, retrying a fresh connect"); for api/v1/Mail that could be a
 * second registered mail, the server may have taken the first.  So the
 * body goes through a read callback whose seek callback cannot rewind:
 * when any byte of the body went out on the dead connection, libcurl must
 * rewind to re-send, cannot, and fails the call (CURLE_SEND_FAIL_REWIND),
 * which the sender treats as "RMail may have it" (ask MessageStatus).
 * libcurl re-sends on its own only when no body byte was written: then
 * the server never had a whole request (Content-Length > 0).  With that,
 * the call may reuse the worker's kept connection (a TLS handshake less
 * per job).  Returns 0 when a 2xx answer came (rm->answer). */
static int post_json(struct rmail *rm, const char *token, const char *path,
                     struct json_object *body, int once, struct rmail_result *res)
{
	struct curl_slist *h = auth_headers(token, "application/json; charset=utf-8");
	const char *text;
	int rc;

	if (h == NULL) {
		result_set(res, RMAIL_ABORTED, 0, "out of memory");
		return -1;
	}
	text = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN);
	call_setup(rm, path, h);
	if (once) {
		rm->once_body = text;
		rm->once_len = strlen(text);
		rm->once_off = 0;
		curl_easy_setopt(rm->curl, CURLOPT_POST, 1L);
		curl_easy_setopt(rm->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rm->once_len);
		curl_easy_setopt(rm->curl, CURLOPT_READFUNCTION, on_once_read);
		curl_easy_setopt(rm->curl, CURLOPT_READDATA, rm);
		curl_easy_setopt(rm->curl, CURLOPT_SEEKFUNCTION, on_once_seek);
		curl_easy_setopt(rm->curl, CURLOPT_SEEKDATA, rm);
	} else {
		curl_easy_setopt(rm->curl, CURLOPT_POSTFIELDS, text);
	}
	rc = call_perform(rm, res);
	rm->once_body = NULL;
	headers_free(h);
	return rc;
}

int rmail_send_mail(struct rmail *rm, const char *token, struct json_object *mail,
                    char *tracking_id, size_t tidlen, struct rmail_result *res)
{
	if (post_json(rm, token, "/api/v1/Mail", mail, 1, res) != 0)
		return -1;
	return rmail_answer_mail(rm->answer, rm->answer_len, tracking_id, tidlen, res);
}

/* A window whose MessageStatus answer is larger than RMAIL_MAX_ANSWER (a
 * busy account lists every message it sent in the window) is searched in
 * halves, newest first, down to this many seconds. */
#define STATUS_WINDOW_MIN 2

static int find_in_window(struct rmail *rm, const char *token, const char *customer_id, long start,
                          long end, int *found, char *tracking_id, size_t tidlen,
                          struct rmail_result *res)
{
	struct json_object *body = rmail_status_window_json(start, end);
	long mid;
	int rc;

	if (body == NULL) {
		result_set(res, RMAIL_ABORTED, 0, "out of memory");
		return -1;
	}
	rc = post_json(rm, token, "/api/v1/Receipt/MessageStatus", body, 0, res);
	json_object_put(body);
	if (rc != 0 && rm->answer_overflow && end - start >= STATUS_WINDOW_MIN) {
		mid = start + (end - start) / 2;
		if (find_in_window(rm, token, customer_id, mid, end, found, tracking_id, tidlen,
		                   res) != 0)
			return -1;
		if (*found)
			return 0;
		return find_in_window(rm, token, customer_id, start, mid, found, tracking_id,
		                      tidlen, res);
	}
	if (rc != 0 || rmail_answer_status(rm->answer, rm->answer_len, customer_id, found,
	                                   tracking_id, tidlen, res) != 0)
		return -1;
	return 0;
}

int rmail_find_by_customer_id(struct rmail *rm, const char *token, const char *customer_id,
                              long from, long to, int *found, char *tracking_id, size_t tidlen,
                              struct rmail_result *res)
{
	*found = 0;
	/* Newest window first: a retry follows the attempt it checks. */
	for (long end = to; end > from && !*found; end -= RMAIL_STATUS_WINDOW_MAX) {
		long start =
		    end - RMAIL_STATUS_WINDOW_MAX > from ? end - RMAIL_STATUS_WINDOW_MAX : from;

		if (find_in_window(rm, token, customer_id, start, end, found, tracking_id, tidlen,
		                   res) != 0)
			return -1;
	}
	return 0;
}

int rmail_message_info(struct rmail *rm, const char *token, const char *tracking_id,
                       struct rmail_result *res)
{
	struct curl_slist *h = auth_headers(token, NULL);
	char path[256], tid[8], *esc = curl_easy_escape(rm->curl, tracking_id, 0);
	int found, rc = -1;

	if (h == NULL || esc == NULL) {
		result_set(res, RMAIL_ABORTED, 0, "out of memory");
		goto out;
	}
	/* Info help: GET api/v1/MessageInfo/{trackingId}. */
	snprintf(path, sizeof(path), "/api/v1/MessageInfo/%.200s", esc);
	call_setup(rm, path, h);
	if (call_perform(rm, res) == 0)
		rc = rmail_answer_status(rm->answer, rm->answer_len, NULL, &found, tid, sizeof(tid),
		                         res);
out:
	curl_free(esc);
	headers_free(h);
	return rc;
}
