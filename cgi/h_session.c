/*
 * h_session.c - sign-in, who am I, sign-out (DESIGN 3.1, 2 step 2).
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
#include "log.h"

static const struct jsonbody_field signin_fields[] = {
    {"username", JF_STRING, 1, 1, 254},
    {"password", JF_STRING, 1, 1, 1024},
    {"remember", JF_BOOL, 0, 0, 0},
};

/* The token is bound to its session row: it cannot be moved to another. */
static void token_aad(const char *session_id, char *aad, size_t len)
{
	snprintf(aad, len, "scanpost-token:%s", session_id);
}

static void cookie_header(const uint8_t secret[32], char *out, size_t len)
{
	char value[B64URL_LEN(32) + 1];

	b64url_encode(secret, 32, value);
	snprintf(out, len,
	         "Set-Cookie: sp_session=%s; Secure; HttpOnly; SameSite=Strict; Path=/\r\n", value);
	OPENSSL_cleanse(value, sizeof(value));
}

static void reply_session(struct req *r, int status, const char *user, const uint8_t secret[32],
                          const char *headers)
{
	struct json_object *o = json_object_new_object();
	char csrf[B64URL_LEN(32) + 1];

	csrf_token_of(secret, csrf);
	json_object_object_add(o, "user", json_object_new_string(user));
	json_object_object_add(o, "csrf_token", json_object_new_string(csrf));
	if (status == 201)
		json_object_object_add(o, "sso_stored", json_object_new_boolean(0));
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

/* Seals the token and stores the new session with its audit event. */
static int session_store(struct req *r, const char *user, const char *token, long expires_in,
                         const uint8_t secret[32], char *session_id)
{
	struct api *api = r->w->api;
	uint8_t id_bin[16], hash[32], *sealed = NULL;
	size_t sealed_len = 0;
	char kid[SP_KID_MAX + 1], aad[80];
	int rc = -1;

	if (uuid_random(id_bin, session_id) != 0)
		return -1;
	token_aad(session_id, aad, sizeof(aad));
	if (sp_seal_blob(keycache_get(&r->w->token_keys), aad, strlen(aad), token, strlen(token),
	                 &sealed, &sealed_len, kid) != SP_CRYPTO_OK) {
		sp_log(LOG_ERROR, "token_seal_failed", NULL);
		return -1;
	}
	SHA256(secret, 32, hash);
	struct session_new s = {
	    .id = session_id,
	    .secret_hash = hash,
	    .user = user,
	    .token_kid = kid,
	    .token_sealed = sealed,
	    .token_sealed_len = sealed_len,
	    .token_expires_in = expires_in > 0 ? expires_in : 14 * 86400,
	    .max_lifetime = api->cfg.session_max_lifetime,
	};
	if (db_begin(r->w->db) != 0 || sessions_create(r->w->db, &s) != 0 ||
	    audit_record(r->w->db, "signin_ok", user, session_id, NULL, r->request_id, NULL) != 0 ||
	    db_commit(r->w->db) != 0) {
		sp_log(LOG_ERROR, "session_store_failed", "error", db_error(r->w->db), NULL);
		db_rollback(r->w->db);
		goto out;
	}
	rc = 0;
out:
	free(sealed);
	return rc;
}

void h_session_create(struct req *r)
{
	struct api *api = r->w->api;
	char *body = NULL, *token = NULL;
	size_t len = 0;
	struct json_object *obj = NULL;
	char field[80], msg[200], session_id[UUID_STR_LEN], headers[200];
	uint8_t secret[32];
	const char *user;
	long expires_in = 0;
	struct rmail_result res;

	if (req_require_json(r) != 0 ||
	    req_read_body(r, (size_t)api->cfg.api_max_body, &body, &len) != 0)
		goto out;
	if (jsonbody_parse(body, len, &obj, msg, sizeof(msg)) != JSONBODY_OK) {
		reply_error(r, APIERR_INVALID_JSON, msg);
		goto out;
	}
	if (jsonbody_check(obj, signin_fields, 3, field, sizeof(field), msg, sizeof(msg)) !=
	    JSONBODY_OK) {
		reply_error(r, APIERR_VALIDATION, msg);
		goto out;
	}
	user = jsonbody_string(obj, "username", "");

	if (rmail_get_token(r->w->rmail, user, jsonbody_string(obj, "password", ""), &token,
	                    &expires_in, &res) != 0) {
		int refused = res.err == RMAIL_AUTH_FAILED;
		sp_log(refused ? LOG_INFO : LOG_WARN, "signin_failed", "user", user, "reason",
		       rmail_strerror(res.err), "detail", res.message, "%rmail_status",
		       LOG_NUM(res.http_status), NULL);
		audit_record(r->w->db, "signin_failed", user, NULL, NULL, r->request_id,
		             refused ? "{\"reason\":\"rmail_auth_failed\"}"
		                     : "{\"reason\":\"rmail_unavailable\"}");
		reply_error(r, refused ? APIERR_RMAIL_AUTH_FAILED : APIERR_RMAIL_UNAVAILABLE, NULL);
		goto out;
	}
	if (sp_random(secret, sizeof(secret)) != 0 ||
	    session_store(r, user, token, expires_in, secret, session_id) != 0) {
		reply_error(r, APIERR_NOT_READY, NULL);
		goto out;
	}
	sp_log(LOG_INFO, "signin_ok", "user", user, "session", session_id, NULL);
	cookie_header(secret, headers, sizeof(headers));
	reply_session(r, 201, user, secret, headers);
	OPENSSL_cleanse(headers, sizeof(headers));
	OPENSSL_cleanse(secret, sizeof(secret));
out:
	if (token) {
		OPENSSL_cleanse(token, strlen(token));
		free(token);
	}
	if (obj) {
		wipe_json_string(obj, "password");
		json_object_put(obj);
	}
	if (body) {
		OPENSSL_cleanse(body, len);
		free(body);
	}
}

void h_session_sso(struct req *r)
{
	/* Stored sign-in needs the SSO manager (scanpost-ssod); until one is
	 * configured nothing is ever stored, so there is nothing to find. */
	reply_error(r, APIERR_SSO_NOT_STORED, NULL);
}

void h_session_get(struct req *r)
{
	reply_session(r, 200, r->session.user, r->cookie_secret, NULL);
}

void h_session_delete(struct req *r)
{
	static const char clear[] = "Set-Cookie: sp_session=; Max-Age=0; Secure; HttpOnly; "
	                            "SameSite=Strict; Path=/\r\n";
	int rc = sessions_end(r->w->db, r->session.id, "signout");

	if (rc < 0) {
		sp_log(LOG_ERROR, "signout_failed", "error", db_error(r->w->db), NULL);
		reply_error(r, APIERR_NOT_READY, NULL);
		return;
	}
	audit_record(r->w->db, "signout", r->session.user, r->session.id, NULL, r->request_id,
	             NULL);
	sp_log(LOG_INFO, "signout", "user", r->session.user, "session", r->session.id, NULL);
	reply_empty(r, 204, clear);
}
