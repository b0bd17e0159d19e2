/*
 * rmail.c - the RMail REST calls over libcurl (DESIGN 3.2).
 */
#include "rmail.h"

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
	long timeout;
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
	/* the caller's heartbeat */
	rmail_progress_fn progress_fn;
	void *progress_arg;
	int progress_failed;
};

static const char *const err_names[] = {
    [RMAIL_OK] = "ok",
    [RMAIL_AUTH_FAILED] = "RMail refused the user name or password",
    [RMAIL_UNAUTHORIZED] = "RMail refused the sign-in token (expired or revoked)",
    [RMAIL_RATE_LIMITED] = "RMail asked to slow down (429)",
    [RMAIL_UNAVAILABLE] = "RMail could not be reached or failed",
    [RMAIL_REJECTED] = "RMail rejected the request",
    [RMAIL_BAD_RESPONSE] = "RMail's answer could not be read",
    [RMAIL_ABORTED] = "the transfer was stopped on our side",
};

const char *rmail_strerror(enum rmail_err err)
{
	if ((unsigned)err < sizeof(err_names) / sizeof(err_names[0]))
		return err_names[err];
	return "unknown RMail error";
}

int rmail_err_transient(enum rmail_err err)
{
	return err == RMAIL_UNAVAILABLE || err == RMAIL_RATE_LIMITED;
}

struct rmail *rmail_new(const char *base_url, const char *ca_file, long timeout)
{
	struct rmail *rm = calloc(1, sizeof(*rm));
	size_t n;

	if (rm == NULL)
		return NULL;
	rm->base_url = strdup(base_url);
	rm->ca_file = strdup(ca_file ? ca_file : "");
	rm->timeout = timeout;
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

/* Performs the prepared call and sorts transport and status failures.
 * Returns 0 when a 2xx answer came (its body is rm->answer). */
static int call_perform(struct rmail *rm, struct rmail_result *res)
{
	CURLcode rc = curl_easy_perform(rm->curl);
	long status = 0;
	char msg[200];

	res->retry_after = -1;
	curl_easy_getinfo(rm->curl, CURLINFO_RESPONSE_CODE, &status);
	res->retry_after = rm->retry_after;
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
	snprintf(msg, sizeof(msg), "RMail answered HTTP %ld", status);
	if (status == 401)
		result_set(res, RMAIL_UNAUTHORIZED, status, NULL);
	else if (status == 429)
		result_set(res, RMAIL_RATE_LIMITED, status, msg);
	else if (status >= 500 || status == 408)
		result_set(res, RMAIL_UNAVAILABLE, status, msg);
	else
		result_set(res, RMAIL_REJECTED, status, msg);
	return -1;
}

/* RMail matches names case-insensitively; so do we when reading answers. */
static struct json_object *get_ci(struct json_object *obj, const char *key)
{
	if (obj == NULL || !json_object_is_type(obj, json_type_object))
		return NULL;
	json_object_object_foreach(obj, k, v)
	{
		if (strcasecmp(k, key) == 0)
			return v;
	}
	return NULL;
}

static const char *get_string_ci(struct json_object *obj, const char *key)
{
	struct json_object *v = get_ci(obj, key);

	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static struct json_object *answer_json(struct rmail *rm)
{
	struct json_tokener *tok;
	struct json_object *obj;

	if (rm->answer == NULL)
		return NULL;
	if ((tok = json_tokener_new_ex(32)) == NULL)
		return NULL;
	obj = json_tokener_parse_ex(tok, rm->answer, (int)rm->answer_len);
	if (json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(obj);
		obj = NULL;
	}
	json_tokener_free(tok);
	return obj;
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
	char *u = NULL, *p = NULL, *form = NULL;
	size_t formlen = 0;
	struct json_object *answer = NULL;
	const char *tok;
	int rc = -1;

	*token_out = NULL;
	result_set(res, RMAIL_BAD_RESPONSE, 0, NULL);
	u = curl_easy_escape(rm->curl, user, 0);
	p = curl_easy_escape(rm->curl, password, 0);
	if (u == NULL || p == NULL)
		goto out;
	formlen = strlen(u) + strlen(p) + 48;
	if ((form = malloc(formlen)) == NULL)
		goto out;
	snprintf(form, formlen, "grant_type=password&username=%s&password=%s", u, p);

	call_setup(rm, "/Token", NULL);
	curl_easy_setopt(rm->curl, CURLOPT_POSTFIELDS, form);
	if (call_perform(rm, res) != 0) {
		/* RFC 6749, 5.2: a refused password grant is 400 invalid_grant. */
		if (res->http_status == 400 && (answer = answer_json(rm)) != NULL) {
			const char *e = get_string_ci(answer, "error");
			if (e && strcmp(e, "invalid_grant") == 0)
				result_set(res, RMAIL_AUTH_FAILED, 400, NULL);
		}
		goto out;
	}
	answer = answer_json(rm);
	tok = get_string_ci(answer, "access_token");
	if (tok == NULL || tok[0] == '\0' || strlen(tok) > 4096) {
		result_set(res, RMAIL_BAD_RESPONSE, res->http_status, "no access_token in answer");
		goto out;
	}
	if ((*token_out = strdup(tok)) == NULL)
		goto out;
	*expires_in = json_object_get_int64(get_ci(answer, "expires_in"));
	rc = 0;
out:
	/* The answer and the form carry secrets: wipe both. */
	if (answer) {
		const char *t = get_string_ci(answer, "access_token");
		if (t)
			OPENSSL_cleanse((void *)t, strlen(t));
		json_object_put(answer);
	}
	if (rm->answer)
		OPENSSL_cleanse(rm->answer, rm->answer_len);
	if (form) {
		OPENSSL_cleanse(form, formlen);
		free(form);
	}
	if (p) {
		OPENSSL_cleanse(p, strlen(p));
		curl_free(p);
	}
	curl_free(u);
	return rc;
}

/* A JSON-string answer ("c142e3c3") or an object with an id field. */
static int answer_upload_id(struct rmail *rm, char *out, size_t outlen)
{
	struct json_object *a = answer_json(rm);
	const char *id = NULL;
	int rc = -1;

	if (a && json_object_is_type(a, json_type_string))
		id = json_object_get_string(a);
	if (id && id[0] && strlen(id) < outlen) {
		snprintf(out, outlen, "%s", id);
		rc = 0;
	}
	json_object_put(a);
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
	if (answer_upload_id(rm, upload_id, idlen) != 0) {
		result_set(res, RMAIL_BAD_RESPONSE, res->http_status, "no upload id in answer");
		goto out;
	}
	rc = 0;
out:
	curl_mime_free(mime);
	headers_free(h);
	return rc;
}

/* once: the call must never be repeated by libcurl on its own.  libcurl
 * silently re-sends a request once when a reused connection dies before
 * any answer arrives; for api/v1/Mail that is a second registered mail
 * (the server may have accepted the first).  A fresh connection is never
 * retried that way; our own retry asks MessageStatus first. */
static int post_json(struct rmail *rm, const char *token, const char *path,
                     struct json_object *body, int once, struct json_object **answer,
                     struct rmail_result *res)
{
	struct curl_slist *h = auth_headers(token, "application/json; charset=utf-8");
	const char *text;
	int rc = -1;

	*answer = NULL;
	if (h == NULL) {
		result_set(res, RMAIL_ABORTED, 0, "out of memory");
		return -1;
	}
	text = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN);
	call_setup(rm, path, h);
	curl_easy_setopt(rm->curl, CURLOPT_POSTFIELDS, text);
	if (once)
		curl_easy_setopt(rm->curl, CURLOPT_FRESH_CONNECT, 1L);
	if (call_perform(rm, res) == 0) {
		if ((*answer = answer_json(rm)) != NULL)
			rc = 0;
		else
			result_set(res, RMAIL_BAD_RESPONSE, res->http_status, "answer is not JSON");
	}
	headers_free(h);
	return rc;
}

/* The business status of an answer: "Success", or a reason to copy. */
static int answer_is_success(struct json_object *a, struct rmail_result *res)
{
	const char *status = get_string_ci(a, "Status");
	struct json_object *msgs = get_ci(a, "Message");
	const char *why = NULL;

	if (status && strcasecmp(status, "Success") == 0)
		return 1;
	if (msgs && json_object_is_type(msgs, json_type_array) &&
	    json_object_array_length(msgs) > 0)
		why = get_string_ci(json_object_array_get_idx(msgs, 0), "Message");
	result_set(res, RMAIL_REJECTED, res->http_status,
	           why ? why : "RMail did not accept the message");
	return 0;
}

int rmail_large_file_transfer(struct rmail *rm, const char *token, const char *const *upload_ids,
                              size_t n, const char *sender, char *key, size_t keylen,
                              struct rmail_result *res)
{
	struct json_object *body = json_object_new_object(), *ids = json_object_new_array();
	struct json_object *answer = NULL;
	const char *k;
	int rc = -1;

	for (size_t i = 0; i < n; i++)
		json_object_array_add(ids, json_object_new_string(upload_ids[i]));
	json_object_object_add(body, "Attachments", ids);
	json_object_object_add(body, "SenderAddress", json_object_new_string(sender));
	if (post_json(rm, token, "/api/v1/Mail/LargeFileTransfer", body, 1, &answer, res) != 0)
		goto out;
	k = get_string_ci(answer, "Key");
	if (k == NULL) {
		struct json_object *rc_obj = get_ci(answer, "ResultContent");
		k = get_string_ci(rc_obj, "Key");
	}
	if (k == NULL || k[0] == '\0' || strlen(k) >= keylen) {
		result_set(res, RMAIL_BAD_RESPONSE, res->http_status, "no Key in answer");
		goto out;
	}
	snprintf(key, keylen, "%s", k);
	rc = 0;
out:
	json_object_put(answer);
	json_object_put(body);
	return rc;
}

int rmail_send_mail(struct rmail *rm, const char *token, struct json_object *mail,
                    char *tracking_id, size_t tidlen, struct rmail_result *res)
{
	struct json_object *answer = NULL;
	const char *tid;
	int rc = -1;

	if (post_json(rm, token, "/api/v1/Mail", mail, 1, &answer, res) != 0)
		goto out;
	if (!answer_is_success(answer, res))
		goto out;
	tid = get_string_ci(get_ci(answer, "ResultContent"), "TrackingId");
	if (tid == NULL || tid[0] == '\0' || strlen(tid) >= tidlen) {
		result_set(res, RMAIL_BAD_RESPONSE, res->http_status, "no TrackingId in answer");
		goto out;
	}
	snprintf(tracking_id, tidlen, "%s", tid);
	rc = 0;
out:
	json_object_put(answer);
	return rc;
}

static void iso_time(long epoch, char *out, size_t outlen)
{
	time_t t = (time_t)epoch;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* One MessageStatus window (RMail allows at most 24 h without a TrackingId). */
static int status_window(struct rmail *rm, const char *token, const char *customer_id, long from,
                         long to, int *found, char *tracking_id, size_t tidlen,
                         struct rmail_result *res)
{
	struct json_object *body = json_object_new_object(), *answer = NULL, *list;
	char start[32], end[32];
	int rc = -1;

	iso_time(from, start, sizeof(start));
	iso_time(to, end, sizeof(end));
	json_object_object_add(body, "StartDate", json_object_new_string(start));
	json_object_object_add(body, "EndDate", json_object_new_string(end));
	json_object_object_add(body, "CustomerTrackingId", json_object_new_string(customer_id));
	if (post_json(rm, token, "/api/v1/Receipt/MessageStatus", body, 0, &answer, res) != 0)
		goto out;
	if (!answer_is_success(answer, res))
		goto out;
	list = get_ci(answer, "ResultContent");
	if (list && json_object_is_type(list, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(list); i++) {
			struct json_object *m = json_object_array_get_idx(list, i);
			const char *cid = get_string_ci(m, "CustomerTrackingId");
			const char *tid = get_string_ci(m, "TrackingId");
			if (cid && tid && strcmp(cid, customer_id) == 0 && strlen(tid) < tidlen) {
				snprintf(tracking_id, tidlen, "%s", tid);
				*found = 1;
				break;
			}
		}
	}
	rc = 0;
out:
	json_object_put(answer);
	json_object_put(body);
	return rc;
}

int rmail_find_by_customer_id(struct rmail *rm, const char *token, const char *customer_id,
                              long since_epoch, int *found, char *tracking_id, size_t tidlen,
                              struct rmail_result *res)
{
	const long window = 23 * 3600;
	long now = (long)time(NULL) + 60;
	long from = since_epoch - 60;

	*found = 0;
	/* Newest window first: a re-send follows its first try closely. */
	for (long to = now; to > from && !*found; to -= window) {
		long start = to - window > from ? to - window : from;
		if (status_window(rm, token, customer_id, start, to, found, tracking_id, tidlen,
		                  res) != 0)
			return -1;
	}
	return 0;
}
