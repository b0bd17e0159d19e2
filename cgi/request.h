/*
 * request.h - one FastCGI request inside scanpost-api: what was asked, who
 * asks, and the replies.  Every error answer goes through reply_error and
 * the one table of public error codes (DESIGN 3.1).
 */
#ifndef SCANPOST_REQUEST_H
#define SCANPOST_REQUEST_H

#include <fcgiapp.h>
#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "crypto.h"
#include "keycache.h"
#include "db.h"
#include "rmail.h"
#include "routes.h"
#include "sessions.h"

/* Process-wide, read-only once the workers run. */
struct api {
	struct sp_config cfg; /* as it started: sockets, workers, connections, keys */
	struct daemon *d;     /* per request, daemon_config_hold gives the current one */
};

/* One per worker thread, in one of the two pools (main.c). */
struct worker {
	struct api *api;
	int listen_fd;       /* the pool's FastCGI socket */
	int uploads;         /* the upload pool: /scan/ routes only; else never them */
	struct conns *conns; /* the API pool's kept connections; NULL for uploads */
	struct db *db;
	struct rmail *rmail;
	struct keycache doc_keys;   /* wraps document keys */
	struct keycache token_keys; /* seals RMail tokens: public halves only */
};

enum api_err {
	APIERR_INVALID_JSON,
	APIERR_VALIDATION,
	APIERR_NOT_SIGNED_IN,
	APIERR_CSRF,
	APIERR_NOT_FOUND,
	APIERR_METHOD,
	APIERR_WRONG_STATE,
	APIERR_NOTHING_UPLOADED,
	APIERR_SCAN_INCOMPLETE,
	APIERR_TOO_LARGE,
	APIERR_UNSUPPORTED_TYPE,
	APIERR_RMAIL_AUTH_FAILED,
	APIERR_RMAIL_UNAVAILABLE,
	APIERR_SSO_NOT_STORED,
	APIERR_SSO_ASSERTION_REFUSED,
	APIERR_SSO_CREDENTIALS_REFUSED,
	APIERR_SSO_OFF,
	APIERR_SSO_OTHER_ACCOUNT,
	APIERR_RATE_LIMITED,
	APIERR_TOO_MANY_JOBS,
	APIERR_POLICY_VIOLATION,
	APIERR_POLICY_CONFIRM,
	APIERR_NOT_READY,
	APIERR_NO_PREVIEW,
	APIERR_PREVIEW_BUSY,
	APIERR_PREVIEW_OFF,
	APIERR__MAX
};

struct req {
	FCGX_Request *fcgi;
	struct worker *w;
	const struct sp_config *cfg; /* the configuration this request runs with (SIGHUP) */
	const struct route *route;
	char params[ROUTE_PARAMS][ROUTE_PARAM_MAX + 1];
	const char *method;
	char path[1024];
	char request_id[40];
	/* filled for ROUTE_NEEDS_SESSION routes */
	struct session session;
	uint8_t cookie_secret[32];
	/* ROUTE_READS_JOB: job_read is set when the session's statement read
	 * the job; job_json is it (malloc'd), NULL when the user has no such
	 * job.  request_handle frees it. */
	int job_read;
	char *job_json;
	int status; /* the answer's status, for the access log and metrics */
};

/* A header of the request (CGI name, e.g. "HTTP_COOKIE"), or NULL. */
const char *req_param(const struct req *r, const char *name);

/* Reads the whole body when it is at most max bytes.  *body is malloc'd and
 * NUL-terminated; the caller wipes it if it held a secret, and frees it.
 * Returns 0, or answers the request (413, 400) itself and returns -1. */
int req_read_body(struct req *r, size_t max, char **body, size_t *len);

/* 0 when the Content-Type is application/json (any charset parameter);
 * else answers 415 and returns -1. */
int req_require_json(struct req *r);

/*
 * The session cookie's name.  The __Host- prefix (RFC 6265bis, 4.1.3.2)
 * makes a browser accept it only with Secure, Path=/ and no Domain, from
 * this very host: a sibling host or plain HTTP cannot plant or shadow it
 * (session fixation).
 */
#define SESSION_COOKIE "__Host-sp_session"

/* The session cookie's secret (SESSION_COOKIE); 0 found, -1 absent/malformed. */
int req_cookie_secret(const struct req *r, uint8_t secret[32]);

/* The CSRF token of a session: base64url(HMAC-SHA256(secret, label)). */
void csrf_token_of(const uint8_t secret[32], char out[B64URL_LEN(32) + 1]);
/* 0 when X-CSRF-Token matches the session's, in constant time. */
int req_check_csrf(const struct req *r);

/* Answers status with a JSON body (obj is not consumed; NULL = no body)
 * and extra header lines (each ending in \r\n, or NULL). */
void reply_json(struct req *r, int status, struct json_object *obj, const char *headers);
void reply_empty(struct req *r, int status, const char *headers);
/* Raw body with its content type (for /metrics and the filing protocol). */
void reply_raw(struct req *r, int status, const char *content_type, const char *body, size_t len);
/* The error envelope {"error":{"code","message"}}; message NULL = the
 * table's text.  The message must never hold a secret. */
void reply_error(struct req *r, enum api_err err, const char *message);
/* The same with extra header lines (each ending in \r\n), e.g. Retry-After. */
void reply_error_with(struct req *r, enum api_err err, const char *message, const char *headers);
int api_err_status(enum api_err err);

/* The HTTP statuses scanpost-api answers: the one list (request.c), which
 * also gives each its reason phrase.  The status at index i (0 past the
 * end), and the index of a status (-1 when it is not in the list). */
#define REPLY_STATUS_MAX 32
int reply_status_at(size_t i);
int reply_status_index(int status);
const char *api_err_code(enum api_err err);
const char *api_err_message(enum api_err err);

#endif
