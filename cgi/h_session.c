/*
 * h_session.c - sign-in, who am I, sign-out (DESIGN 3.1, 2 step 2), and
 * single sign-on through scanpost-ssod (DESIGN 3.4): what the weblet must
 * ask the printer for, the printer's security token exchanged for a ticket,
 * storing credentials at a sign-in with consent, signing in with them,
 * forgetting them.  The api never sees the vault, its key or what a ticket
 * says; it hands the token and the ticket to ssod and gets the credentials
 * back only for the RMail call.
 */
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "codec.h"
#include "handlers.h"
#include "jsonbody.h"
#include "lifecycle.h"
#include "log.h"
#include "sso_proto.h"
#include "throttle.h"

static const struct jsonbody_field signin_fields[] = {
    {"username", JF_STRING, 1, 1, 254},
    {"password", JF_STRING, 1, 1, 1024},
    {"remember", JF_BOOL, 0, 0, 0},
};

/* The printer's proof of its logged-in user ("device": {...}) as POST
 * /api/v1/session/sso/ticket takes it: its serial and the security token
 * its GetSecurityToken answered (src/lib/sso_assert.h). */
static const struct jsonbody_field token_fields[] = {
    {"serial", JF_STRING, 1, 1, SSO_SERIAL_MAX},
    {"security_token", JF_STRING, 1, 1, SSO_TOKEN_MAX},
};

/* ... and as every other SSO call takes it: the ticket given for that. */
static const struct jsonbody_field ticket_fields[] = {
    {"ticket", JF_STRING, 1, 1, SSO_TICKET_MAX},
};

/* What the device object holds once checked. */
struct sso_device {
	char serial[SSO_SERIAL_MAX + 1];
	char token[SSO_TOKEN_MAX + 1];
	char ticket[SSO_TICKET_MAX + 1];
};

#define NFIELDS(t) (sizeof(t) / sizeof(t[0]))

/* What an answer of scanpost-ssod means to the person at the printer. */
static const enum api_err sso_errors[SSO_ERR__MAX] = {
    [SSO_ERR_NONE] = APIERR_NOT_READY,
    [SSO_ERR_NOT_STORED] = APIERR_SSO_NOT_STORED,
    [SSO_ERR_ASSERTION_REFUSED] = APIERR_SSO_ASSERTION_REFUSED,
    [SSO_ERR_OTHER_ACCOUNT] = APIERR_SSO_OTHER_ACCOUNT,
    [SSO_ERR_UNAVAILABLE] = APIERR_NOT_READY,
    [SSO_ERR_BAD_REQUEST] = APIERR_VALIDATION,
};

static void cookie_header(const uint8_t secret[32], char *out, size_t len)
{
	char value[B64URL_LEN(32) + 1];

	b64url_encode(secret, 32, value);
	snprintf(out, len,
	         "Set-Cookie: " SESSION_COOKIE "=%s; Secure; HttpOnly; SameSite=Strict; Path=/\r\n",
	         value);
	OPENSSL_cleanse(value, sizeof(value));
}

/* sso_stored: the 201 of a sign-in says whether credentials are stored,
 * and sso_error (APIERR__MAX: none) why a consent stored nothing; via_sso adds
 * "sso": true to the 201 of POST /api/v1/session/sso. */
static void reply_session(struct req *r, int status, const char *user, const uint8_t secret[32],
                          const char *headers, int sso_stored, enum api_err sso_error, int via_sso)
{
	struct json_object *o = json_object_new_object();
	char csrf[B64URL_LEN(32) + 1];

	csrf_token_of(secret, csrf);
	json_object_object_add(o, "user", json_object_new_string(user));
	json_object_object_add(o, "csrf_token", json_object_new_string(csrf));
	/* The admin's preview setting (config `preview`), for the weblet. */
	json_object_object_add(o, "preview", json_object_new_string(r->cfg->preview));
	if (status == 201)
		json_object_object_add(o, "sso_stored", json_object_new_boolean(sso_stored));
	if (sso_error != APIERR__MAX) {
		struct json_object *e = json_object_new_object();

		json_object_object_add(e, "code", json_object_new_string(api_err_code(sso_error)));
		json_object_object_add(e, "message",
		                       json_object_new_string(api_err_message(sso_error)));
		json_object_object_add(o, "sso_error", e);
	}
	if (via_sso)
		json_object_object_add(o, "sso", json_object_new_boolean(1));
	reply_json(r, status, o, headers);
	json_object_put(o);
	OPENSSL_cleanse(csrf, sizeof(csrf));
}

/* Wipes a string that json-c owns (the password) before it is freed. */
static void wipe_json_string(struct json_object *obj, const char *key)
{
	struct json_object *v;

	if (json_object_object_get_ex(obj, key, &v) && json_object_is_type(v, json_type_string))
		OPENSSL_cleanse((void *)json_object_get_string(v),
		                (size_t)json_object_get_string_len(v));
}

/* The new session, its sealed token and its audit event: one transition
 * (lifecycle_session_start seals the token under a held key). */
static int session_store(struct req *r, const char *user, const char *token, long expires_in,
                         const uint8_t secret[32], char *session_id, int via_sso)
{
	uint8_t hash[32];
	struct lc_session_start s = {
	    .secret_hash = hash,
	    .user = user,
	    .token = token,
	    .token_expires_in = expires_in > 0 ? expires_in : 14 * 86400,
	    .max_lifetime = r->cfg->session_max_lifetime,
	    .via_sso = via_sso,
	};

	SHA256(secret, 32, hash);
	if (lifecycle_session_start(r->w->db, &r->w->token_keys, &s, r->request_id, session_id) !=
	    LC_OK) {
		sp_log(LOG_ERROR, "session_store_failed", "error", db_error(r->w->db), NULL);
		return -1;
	}
	return 0;
}

/* Copies a string value, dropping the white space a Base64 token may be
 * wrapped with (RFC 2045, 6.8): the line to ssod stays bounded. */
static void copy_token(char *dst, size_t cap, const char *src)
{
	size_t o = 0;

	for (; *src && o + 1 < cap; src++)
		if (!strchr(" \t\r\n", *src))
			dst[o++] = *src;
	dst[o] = '\0';
}

/*
 * Takes the optional "device" object out of obj and checks it against
 * fields (the token's or the ticket's; jsonbody checks flat bodies only;
 * unknown keys are refused in both).  *present says whether it was there.
 * 0, or -1 answered (400).
 */
static int take_device(struct req *r, struct json_object *obj, const struct jsonbody_field *fields,
                       size_t nfields, struct sso_device *dev, int *present)
{
	struct json_object *d;
	char field[80], msg[200], text[260];

	memset(dev, 0, sizeof(*dev));
	*present = json_object_object_get_ex(obj, "device", &d);
	if (!*present)
		return 0;
	if (!json_object_is_type(d, json_type_object)) {
		reply_error(r, APIERR_VALIDATION, "device must be an object");
		return -1;
	}
	if (jsonbody_check(d, fields, nfields, field, sizeof(field), msg, sizeof(msg)) !=
	    JSONBODY_OK) {
		snprintf(text, sizeof(text), "device: %s", msg);
		reply_error(r, APIERR_VALIDATION, text);
		return -1;
	}
	snprintf(dev->serial, sizeof(dev->serial), "%s", jsonbody_string(d, "serial", ""));
	copy_token(dev->token, sizeof(dev->token), jsonbody_string(d, "security_token", ""));
	snprintf(dev->ticket, sizeof(dev->ticket), "%s", jsonbody_string(d, "ticket", ""));
	json_object_object_del(obj, "device");
	return 0;
}

/* Reads a JSON body of at most api_max_body into *obj, with the device
 * object (as fields says) taken out, required or optional.  0, or -1
 * answered. */
static int read_body(struct req *r, char **body, size_t *len, struct json_object **obj,
                     const struct jsonbody_field *fields, size_t nfields, struct sso_device *dev,
                     int *have_device, int device_required)
{
	char msg[200];

	*obj = NULL;
	if (req_require_json(r) != 0 ||
	    req_read_body(r, (size_t)r->cfg->api_max_body, body, len) != 0)
		return -1;
	if (jsonbody_parse(*body, *len, obj, msg, sizeof(msg)) != JSONBODY_OK) {
		reply_error(r, APIERR_INVALID_JSON, msg);
		return -1;
	}
	if (take_device(r, *obj, fields, nfields, dev, have_device) != 0)
		return -1;
	if (device_required && !*have_device) {
		reply_error(r, APIERR_VALIDATION, "device is required");
		return -1;
	}
	return 0;
}

/* Asks scanpost-ssod.  0 with its answer in *ans (wipe it), or -1 when it
 * could not be asked (logged).  The password never reaches a log line. */
static int sso_ask(struct req *r, enum sso_op op, const struct sso_device *dev,
                   const char *username, const char *password, struct sso_answer *ans)
{
	struct sso_request q;
	char err[200];
	int rc;

	memset(&q, 0, sizeof(q));
	q.op = op;
	memcpy(q.serial, dev->serial, sizeof(q.serial));
	memcpy(q.token, dev->token, sizeof(q.token));
	memcpy(q.ticket, dev->ticket, sizeof(q.ticket));
	if (username)
		snprintf(q.username, sizeof(q.username), "%s", username);
	if (password)
		snprintf(q.password, sizeof(q.password), "%s", password);
	rc = sso_client_call(r->cfg->sso_socket, &q, ans, err, sizeof(err));
	sso_request_wipe(&q);
	if (rc != 0)
		sp_log(LOG_ERROR, "sso_unavailable", "op", sso_op_name(op), "error", err, NULL);
	else if (!ans->ok)
		sp_log(LOG_INFO, "sso_answer", "op", sso_op_name(op), "error",
		       sso_error_name(ans->error), "reason", ans->reason[0] ? ans->reason : NULL,
		       NULL);
	return rc;
}

static int sso_enabled(const struct req *r)
{
	return r->cfg->sso_socket[0] != '\0';
}

/*
 * Asks ssod to store the credentials just accepted by RMail.  A failure
 * here never fails the sign-in: the person is signed in, nothing stored;
 * *why says what the 201 tells them (APIERR__MAX: nothing), such as another
 * RMail account being stored already (DESIGN 3.4: it is not replaced).
 */
static int sso_store(struct req *r, const struct sso_device *dev, const char *user,
                     const char *password, enum api_err *why)
{
	struct sso_answer ans;
	int stored = 0;

	*why = APIERR__MAX;
	if (!sso_enabled(r)) {
		sp_log(LOG_INFO, "sso_not_stored", "reason", "sso_off", NULL);
		return 0;
	}
	if (sso_ask(r, SSO_OP_STORE, dev, user, password, &ans) != 0) {
		*why = APIERR_NOT_READY;
	} else if (!ans.ok) {
		*why = sso_errors[ans.error];
	} else {
		stored = 1;
		sp_log(LOG_INFO, "sso_stored", "user", user, "identity", ans.identity, NULL);
	}
	sso_answer_wipe(&ans);
	return stored;
}

/* The end of every sign-in: a new session holding the sealed token, the
 * cookie, and the 201. */
static void signin_finish(struct req *r, const char *user, const char *token, long expires_in,
                          int sso_stored, enum api_err sso_error, int via_sso)
{
	char session_id[UUID_STR_LEN], headers[200];
	uint8_t secret[32];

	if (sp_random(secret, sizeof(secret)) != 0 ||
	    session_store(r, user, token, expires_in, secret, session_id, via_sso) != 0) {
		reply_error(r, APIERR_NOT_READY, NULL);
		goto out;
	}
	sp_log(LOG_INFO, "signin_ok", "user", user, "session", session_id, "via",
	       via_sso ? "sso" : "password", NULL);
	cookie_header(secret, headers, sizeof(headers));
	reply_session(r, 201, user, secret, headers, sso_stored, sso_error, via_sso);
	OPENSSL_cleanse(headers, sizeof(headers));
out:
	OPENSSL_cleanse(secret, sizeof(secret));
}

/*
 * The per-user-name throttle (throttle.h), before RMail hears the
 * password: 0 to go on, or -1 answered (429 with Retry-After, audited; 503
 * when the count cannot be kept, since an uncounted attempt would be an
 * unthrottled one).
 */
static int signin_throttle(struct req *r, const char *user)
{
	const struct sp_config *cfg = r->cfg;
	const struct throttle_policy policy = {cfg->signin_attempts, cfg->signin_window,
	                                       cfg->signin_block};
	struct json_object *detail;
	char headers[48];
	long wait = 0;

	switch (throttle_signin_attempt(r->w->db, user, &policy, &wait)) {
	case THROTTLE_OK:
		return 0;
	case THROTTLE_DB_ERROR:
		sp_log(LOG_ERROR, "signin_throttle_failed", "error", db_error(r->w->db), NULL);
		reply_error(r, APIERR_NOT_READY, NULL);
		return -1;
	case THROTTLE_BLOCKED:
		break;
	}
	sp_log(LOG_WARN, "signin_throttled", "user", user, "%retry_after", LOG_NUM(wait), NULL);
	detail = json_object_new_object();
	json_object_object_add(detail, "reason", json_object_new_string("too_many_attempts"));
	json_object_object_add(detail, "retry_after", json_object_new_int64(wait));
	audit_record_json(r->w->db, "signin_throttled", user, NULL, NULL, r->request_id, detail);
	json_object_put(detail);
	/* RFC 9110, 10.2.3: delay-seconds. */
	snprintf(headers, sizeof(headers), "Retry-After: %ld\r\n", wait);
	reply_error_with(r, APIERR_RATE_LIMITED, NULL, headers);
	return -1;
}

static void free_body(struct json_object *obj, char *body, size_t len)
{
	if (obj) {
		wipe_json_string(obj, "password");
		json_object_put(obj);
	}
	if (body) {
		OPENSSL_cleanse(body, len);
		free(body);
	}
}

static void free_token(char *token)
{
	if (token) {
		OPENSSL_cleanse(token, strlen(token));
		free(token);
	}
}

void h_session_create(struct req *r)
{
	char *body = NULL, *token = NULL;
	size_t len = 0;
	struct json_object *obj = NULL;
	struct sso_device dev;
	char field[80], msg[200];
	const char *user, *password;
	long expires_in = 0;
	struct rmail_result res;
	enum api_err sso_error = APIERR__MAX;
	int have_device = 0, sso_stored = 0;

	if (read_body(r, &body, &len, &obj, ticket_fields, NFIELDS(ticket_fields), &dev,
	              &have_device, 0) != 0)
		goto out;
	if (jsonbody_check(obj, signin_fields, NFIELDS(signin_fields), field, sizeof(field), msg,
	                   sizeof(msg)) != JSONBODY_OK) {
		reply_error(r, APIERR_VALIDATION, msg);
		goto out;
	}
	user = jsonbody_string(obj, "username", "");
	password = jsonbody_string(obj, "password", "");
	if (signin_throttle(r, user) != 0)
		goto out;

	if (rmail_get_token(r->w->rmail, user, password, &token, &expires_in, &res) != 0) {
		int refused = res.err == RMAIL_AUTH_FAILED;
		/* Only a refusal counts against the name; an outage is RMail's. */
		if (!refused && throttle_signin_refund(r->w->db, user) != 0)
			sp_log(LOG_WARN, "signin_throttle_failed", "error", db_error(r->w->db),
			       NULL);
		sp_log(refused ? LOG_INFO : LOG_WARN, "signin_failed", "user", user, "reason",
		       rmail_strerror(res.err), "detail", res.message, "%rmail_status",
		       LOG_NUM(res.http_status), NULL);
		audit_record(r->w->db, "signin_failed", user, NULL, NULL, r->request_id,
		             refused ? "{\"reason\":\"rmail_auth_failed\"}"
		                     : "{\"reason\":\"rmail_unavailable\"}");
		reply_error(r, refused ? APIERR_RMAIL_AUTH_FAILED : APIERR_RMAIL_UNAVAILABLE, NULL);
		goto out;
	}
	/* remember = consent (DESIGN 3.4); it needs the ticket of a verified
	 * printer user to key the vault by.  Stored only once RMail has
	 * accepted the credentials. */
	if (jsonbody_bool(obj, "remember", 0)) {
		if (have_device)
			sso_stored = sso_store(r, &dev, user, password, &sso_error);
		else
			sp_log(LOG_INFO, "sso_not_stored", "reason", "no_device_user", NULL);
	}
	if (throttle_signin_success(r->w->db, user) != 0)
		sp_log(LOG_WARN, "signin_throttle_failed", "error", db_error(r->w->db), NULL);
	signin_finish(r, user, token, expires_in, sso_stored, sso_error, 0);
out:
	free_token(token);
	free_body(obj, body, len);
	OPENSSL_cleanse(&dev, sizeof(dev));
}

/* The start shared by the SSO routes: single sign-on configured, a body
 * holding the device object (as fields says) and nothing else, and
 * scanpost-ssod's answer to op.  0 when the answer is ok (in *ans);
 * otherwise the request is answered and -1.  Either way the caller frees
 * the body and wipes *ans and *dev. */
static int sso_route_ask(struct req *r, enum sso_op op, const struct jsonbody_field *fields,
                         size_t nfields, char **body, size_t *len, struct json_object **obj,
                         struct sso_device *dev, struct sso_answer *ans)
{
	char field[80], msg[200];
	int have_device = 0;

	/* Until an SSO manager is configured nothing is ever stored. */
	if (!sso_enabled(r)) {
		reply_error(r, op == SSO_OP_TICKET ? APIERR_SSO_OFF : APIERR_SSO_NOT_STORED, NULL);
		return -1;
	}
	if (read_body(r, body, len, obj, fields, nfields, dev, &have_device, 1) != 0)
		return -1;
	if (jsonbody_check(*obj, NULL, 0, field, sizeof(field), msg, sizeof(msg)) != JSONBODY_OK) {
		reply_error(r, APIERR_VALIDATION, msg);
		return -1;
	}
	if (sso_ask(r, op, dev, NULL, NULL, ans) != 0) {
		reply_error(r, APIERR_NOT_READY, NULL);
		return -1;
	}
	if (!ans->ok) {
		reply_error(r, sso_errors[ans->error], NULL);
		return -1;
	}
	return 0;
}

void h_session_sso(struct req *r)
{
	char *body = NULL, *token = NULL;
	size_t len = 0;
	struct json_object *obj = NULL;
	struct sso_device dev;
	struct sso_answer ans, refused;
	long expires_in = 0;
	struct rmail_result res;

	memset(&ans, 0, sizeof(ans));
	memset(&dev, 0, sizeof(dev));
	if (sso_route_ask(r, SSO_OP_FETCH, ticket_fields, NFIELDS(ticket_fields), &body, &len, &obj,
	                  &dev, &ans) != 0)
		goto out;
	if (rmail_get_token(r->w->rmail, ans.username, ans.password, &token, &expires_in, &res) !=
	    0) {
		if (res.err != RMAIL_AUTH_FAILED) {
			sp_log(LOG_WARN, "signin_failed", "user", ans.username, "reason",
			       rmail_strerror(res.err), "detail", res.message, "via", "sso", NULL);
			reply_error(r, APIERR_RMAIL_UNAVAILABLE, NULL);
			goto out;
		}
		/* The password changed at RMail: ssod audits it and keeps the row,
		 * the weblet asks for the password (a sign-in with remember then
		 * replaces the row; a declined one forgets it). */
		sp_log(LOG_INFO, "signin_failed", "user", ans.username, "reason",
		       "sso_credentials_refused", NULL);
		audit_record(r->w->db, "signin_failed", ans.username, NULL, NULL, r->request_id,
		             "{\"reason\":\"sso_credentials_refused\"}");
		if (sso_ask(r, SSO_OP_REFUSED, &dev, NULL, NULL, &refused) == 0)
			sso_answer_wipe(&refused);
		reply_error(r, APIERR_SSO_CREDENTIALS_REFUSED, NULL);
		goto out;
	}
	signin_finish(r, ans.username, token, expires_in, 1, APIERR__MAX, 1);
out:
	free_token(token);
	free_body(obj, body, len);
	sso_answer_wipe(&ans);
	OPENSSL_cleanse(&dev, sizeof(dev));
}

void h_session_sso_forget(struct req *r)
{
	char *body = NULL;
	size_t len = 0;
	struct json_object *obj = NULL;
	struct sso_device dev;
	struct sso_answer ans;

	memset(&ans, 0, sizeof(ans));
	memset(&dev, 0, sizeof(dev));
	if (sso_route_ask(r, SSO_OP_FORGET, ticket_fields, NFIELDS(ticket_fields), &body, &len,
	                  &obj, &dev, &ans) != 0)
		goto out;
	sp_log(LOG_INFO, "sso_forgotten", "user", r->session.user, "identity", ans.identity, NULL);
	reply_empty(r, 204, NULL);
out:
	free_body(obj, body, len);
	sso_answer_wipe(&ans);
	OPENSSL_cleanse(&dev, sizeof(dev));
}

/*
 * GET /api/v1/session/sso/ticket: what the weblet asks the printer for
 * (GetSecurityTokenRequest, XrxSession.js), 200 {service_provider,
 * security_token_key}, or 404 sso_off.  The key is the one the printer
 * expects from apps; the weblet sends its Base64, as Xerox's own app does.
 * It is no secret from anyone who can load the weblet (README).
 */
void h_session_sso_params(struct req *r)
{
	const struct sp_config *cfg = r->cfg;
	struct json_object *o;

	if (!sso_enabled(r) || !cfg->sso_service_provider[0] || !cfg->sso_security_token_key[0]) {
		reply_error(r, APIERR_SSO_OFF, NULL);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "service_provider",
	                       json_object_new_string(cfg->sso_service_provider));
	json_object_object_add(o, "security_token_key",
	                       json_object_new_string(cfg->sso_security_token_key));
	reply_json(r, 200, o, NULL);
	json_object_put(o);
}

/*
 * POST /api/v1/session/sso/ticket {device: {serial, security_token}}: the
 * printer's token, checked and used up by ssod; 201 {sso_ticket,
 * device_user} (the person the token names), 403 sso_assertion_refused,
 * 404 sso_off.  The ticket stands for the token in every other SSO call
 * of this visit.
 */
void h_session_sso_ticket(struct req *r)
{
	char *body = NULL;
	size_t len = 0;
	struct json_object *obj = NULL, *o;
	struct sso_device dev;
	struct sso_answer ans;

	memset(&ans, 0, sizeof(ans));
	memset(&dev, 0, sizeof(dev));
	if (sso_route_ask(r, SSO_OP_TICKET, token_fields, NFIELDS(token_fields), &body, &len, &obj,
	                  &dev, &ans) != 0)
		goto out;
	sp_log(LOG_INFO, "sso_ticket", "identity", ans.identity, "serial", dev.serial, NULL);
	o = json_object_new_object();
	json_object_object_add(o, "sso_ticket", json_object_new_string(ans.ticket));
	json_object_object_add(o, "device_user", json_object_new_string(ans.identity));
	reply_json(r, 201, o, NULL);
	json_object_put(o);
out:
	free_body(obj, body, len);
	sso_answer_wipe(&ans);
	OPENSSL_cleanse(&dev, sizeof(dev));
}

void h_session_get(struct req *r)
{
	reply_session(r, 200, r->session.user, r->cookie_secret, NULL, 0, APIERR__MAX, 0);
}

void h_session_delete(struct req *r)
{
	static const char clear[] = "Set-Cookie: " SESSION_COOKIE "=; Max-Age=0; Secure; HttpOnly; "
	                            "SameSite=Strict; Path=/\r\n";
	struct lc_who who = {r->session.user, r->session.id, r->request_id};

	if (lifecycle_session_end(r->w->db, r->session.id, "signout", &who) == LC_DB_ERROR) {
		sp_log(LOG_ERROR, "signout_failed", "error", db_error(r->w->db), NULL);
		reply_error(r, APIERR_NOT_READY, NULL);
		return;
	}
	sp_log(LOG_INFO, "signout", "user", r->session.user, "session", r->session.id, NULL);
	reply_empty(r, 204, clear);
}
