/*
 * request.c - request headers, bodies, cookies, CSRF and the replies.
 */
#include "request.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "codec.h"

static const struct {
	const char *code;
	int status;
	const char *message;
} api_errors[APIERR__MAX] = {
    [APIERR_INVALID_JSON] = {"invalid_json", 400, "The request body is not valid JSON."},
    [APIERR_VALIDATION] = {"invalid_field", 400, "A field of the request is not valid."},
    [APIERR_NOT_SIGNED_IN] = {"not_signed_in", 401, "Please sign in."},
    [APIERR_CSRF] = {"csrf_failed", 403, "The request lacks a valid X-CSRF-Token."},
    [APIERR_NOT_FOUND] = {"not_found", 404, "There is nothing here."},
    [APIERR_METHOD] = {"method_not_allowed", 405, "This method is not allowed here."},
    [APIERR_WRONG_STATE] = {"wrong_state", 409, "The job is not in a state that allows this."},
    [APIERR_NOTHING_UPLOADED] = {"nothing_uploaded", 409, "No scanned file has arrived yet."},
    [APIERR_SCAN_INCOMPLETE] = {"scan_incomplete", 409,
                                "The printer has not yet confirmed that every page arrived; "
                                "try again in a moment, or scan again."},
    [APIERR_TOO_LARGE] = {"too_large", 413, "The request is too large."},
    [APIERR_UNSUPPORTED_TYPE] = {"unsupported_media_type", 415,
                                 "The request's Content-Type is not accepted here."},
    [APIERR_RMAIL_AUTH_FAILED] = {"rmail_auth_failed", 401,
                                  "RMail did not accept this user name and password."},
    [APIERR_RMAIL_UNAVAILABLE] = {"rmail_unavailable", 502,
                                  "RMail cannot be reached right now; try again shortly."},
    [APIERR_SSO_NOT_STORED] = {"sso_not_stored", 404, "No stored sign-in for this user."},
    [APIERR_SSO_ASSERTION_REFUSED] = {"sso_assertion_refused", 403,
                                      "The printer's sign-in could not be verified."},
    [APIERR_SSO_CREDENTIALS_REFUSED] = {"sso_credentials_refused", 401,
                                        "RMail no longer accepts the stored sign-in; "
                                        "please sign in again."},
    [APIERR_SSO_OFF] = {"sso_off", 404, "Single sign-on is not set up on this service."},
    [APIERR_SSO_OTHER_ACCOUNT] = {"sso_other_account", 409,
                                  "Another RMail account is stored for you; it was kept. "
                                  "Forget it first to store this one."},
    [APIERR_RATE_LIMITED] = {"rate_limited", 429,
                             "Too many sign-in attempts for this user name; try again later."},
    [APIERR_TOO_MANY_JOBS] = {"too_many_open_jobs", 409,
                              "You have as many unfinished jobs as allowed; send or cancel "
                              "one first."},
    [APIERR_POLICY_VIOLATION] = {"policy_violation", 400,
                                 "The administrator's policy does not allow this."},
    [APIERR_POLICY_CONFIRM] = {"policy_confirmation_required", 409,
                               "The administrator's policy asks you to confirm this."},
    [APIERR_NOT_READY] = {"not_ready", 503, "The service is not ready; try again shortly."},
    [APIERR_NO_PREVIEW] = {"no_preview", 422,
                           "The scanned pages cannot be shown; they can still be sent."},
    [APIERR_PREVIEW_BUSY] = {"preview_busy", 503,
                             "Other previews are being made; try again in a moment."},
    [APIERR_PREVIEW_OFF] = {"preview_off", 404, "Preview is turned off on this service."},
};

static const struct {
	int status;
	const char *text;
} status_texts[] = {
    {200, "OK"},
    {201, "Created"},
    {202, "Accepted"},
    {204, "No Content"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {408, "Request Timeout"},
    {409, "Conflict"},
    {413, "Content Too Large"},
    {415, "Unsupported Media Type"},
    {422, "Unprocessable Content"},
    {429, "Too Many Requests"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
};

_Static_assert(sizeof(status_texts) / sizeof(status_texts[0]) <= REPLY_STATUS_MAX,
               "REPLY_STATUS_MAX is smaller than the status list");

int reply_status_at(size_t i)
{
	return i < sizeof(status_texts) / sizeof(status_texts[0]) ? status_texts[i].status : 0;
}

int reply_status_index(int status)
{
	for (size_t i = 0; i < sizeof(status_texts) / sizeof(status_texts[0]); i++)
		if (status_texts[i].status == status)
			return (int)i;
	return -1;
}

static const char *status_text(int status)
{
	for (size_t i = 0; i < sizeof(status_texts) / sizeof(status_texts[0]); i++)
		if (status_texts[i].status == status)
			return status_texts[i].text;
	return "Unknown";
}

int api_err_status(enum api_err err)
{
	return api_errors[err].status;
}

const char *api_err_code(enum api_err err)
{
	return api_errors[err].code;
}

const char *api_err_message(enum api_err err)
{
	return api_errors[err].message;
}

const char *req_param(const struct req *r, const char *name)
{
	return FCGX_GetParam(name, r->fcgi->envp);
}

static void write_head(struct req *r, int status, const char *content_type, const char *headers)
{
	r->status = status;
	FCGX_FPrintF(r->fcgi->out, "Status: %d %s\r\n", status, status_text(status));
	if (content_type)
		FCGX_FPrintF(r->fcgi->out, "Content-Type: %s\r\n", content_type);
	FCGX_FPrintF(r->fcgi->out, "X-Request-Id: %s\r\nCache-Control: no-store\r\n",
	             r->request_id);
	if (headers)
		FCGX_PutS(headers, r->fcgi->out);
	FCGX_PutS("\r\n", r->fcgi->out);
}

void reply_raw(struct req *r, int status, const char *content_type, const char *body, size_t len)
{
	write_head(r, status, content_type, NULL);
	if (len)
		FCGX_PutStr(body, (int)len, r->fcgi->out);
}

void reply_json(struct req *r, int status, struct json_object *obj, const char *headers)
{
	const char *text = obj ? json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN) : NULL;

	write_head(r, status, text ? "application/json; charset=utf-8" : NULL, headers);
	if (text)
		FCGX_PutS(text, r->fcgi->out);
}

void reply_empty(struct req *r, int status, const char *headers)
{
	write_head(r, status, NULL, headers);
}

void reply_error(struct req *r, enum api_err err, const char *message)
{
	reply_error_with(r, err, message,
	                 err == APIERR_METHOD ? "Allow: GET, POST, DELETE\r\n" : NULL);
}

void reply_error_with(struct req *r, enum api_err err, const char *message, const char *headers)
{
	struct json_object *o = json_object_new_object(), *e = json_object_new_object();

	json_object_object_add(e, "code", json_object_new_string(api_errors[err].code));
	json_object_object_add(e, "message",
	                       json_object_new_string(message ? message : api_errors[err].message));
	json_object_object_add(o, "error", e);
	reply_json(r, api_errors[err].status, o, headers);
	json_object_put(o);
}

int req_read_body(struct req *r, size_t max, char **body, size_t *len)
{
	const char *cl = req_param(r, "CONTENT_LENGTH");
	char *end = NULL;
	unsigned long long want = cl && cl[0] ? strtoull(cl, &end, 10) : 0;
	char *buf;
	int got;

	*body = NULL;
	*len = 0;
	if (cl && cl[0] && (end == NULL || *end != '\0')) {
		reply_error(r, APIERR_VALIDATION, "Content-Length is not a number.");
		return -1;
	}
	if (want > max) {
		reply_error(r, APIERR_TOO_LARGE, NULL);
		return -1;
	}
	if ((buf = malloc((size_t)want + 1)) == NULL) {
		reply_error(r, APIERR_NOT_READY, NULL);
		return -1;
	}
	got = want ? FCGX_GetStr(buf, (int)want, r->fcgi->in) : 0;
	if (got < 0 || (unsigned long long)got != want) {
		free(buf);
		reply_error(r, APIERR_VALIDATION, "The request body ended early.");
		return -1;
	}
	buf[got] = '\0';
	*body = buf;
	*len = (size_t)got;
	return 0;
}

int req_require_json(struct req *r)
{
	const char *ct = req_param(r, "CONTENT_TYPE");
	size_t n = strlen("application/json");

	if (ct && strncasecmp(ct, "application/json", n) == 0 &&
	    (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' '))
		return 0;
	reply_error(r, APIERR_UNSUPPORTED_TYPE, "Send the body as application/json.");
	return -1;
}

int req_cookie_secret(const struct req *r, uint8_t secret[32])
{
	const char *c = req_param(r, "HTTP_COOKIE");
	char value[B64URL_LEN(32) + 1];

	const size_t name_len = sizeof(SESSION_COOKIE "=") - 1;

	/* RFC 6265, 4.2.1: cookie-pair *( ";" SP cookie-pair ). */
	while (c && *c) {
		while (*c == ' ' || *c == ';')
			c++;
		if (strncmp(c, SESSION_COOKIE "=", name_len) == 0) {
			size_t n = strcspn(c + name_len, ";");
			if (n != B64URL_LEN(32))
				return -1;
			memcpy(value, c + name_len, n);
			value[n] = '\0';
			return b64url_decode(value, secret, 32);
		}
		c = strchr(c, ';');
	}
	return -1;
}

void csrf_token_of(const uint8_t secret[32], char out[B64URL_LEN(32) + 1])
{
	static const char label[] = "scanpost-csrf-v1";
	uint8_t mac[32];
	unsigned int maclen = sizeof(mac);

	HMAC(EVP_sha256(), secret, 32, (const uint8_t *)label, sizeof(label) - 1, mac, &maclen);
	b64url_encode(mac, sizeof(mac), out);
	OPENSSL_cleanse(mac, sizeof(mac));
}

int req_check_csrf(const struct req *r)
{
	const char *sent = req_param(r, "HTTP_X_CSRF_TOKEN");
	char want[B64URL_LEN(32) + 1];
	int rc;

	if (sent == NULL || strlen(sent) != B64URL_LEN(32))
		return -1;
	csrf_token_of(r->cookie_secret, want);
	rc = CRYPTO_memcmp(sent, want, B64URL_LEN(32)) == 0 ? 0 : -1;
	OPENSSL_cleanse(want, sizeof(want));
	return rc;
}
