/*
 * routes.h - what rmail-sim answers: the route table, the request and reply
 * shapes the handlers see, and the handlers themselves.
 *
 * server.c owns HTTP (TLS, bodies, faults, logging); a handler gets a
 * `struct call` whose body is already complete and whose caller is already
 * authenticated, and fills a `struct reply`. Handlers for the RMail API live
 * in rmail_api.c, those for the /_sim inspection API in sim_api.c.
 */
#ifndef RMAIL_SIM_ROUTES_H
#define RMAIL_SIM_ROUTES_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json.h>

#include "faults.h"
#include "store.h"

/* Shared by every request; fixed after start except through store and faults. */
struct sim {
	struct store *store;
	struct faults *faults;
	long token_ttl;      /* seconds */
	uint64_t max_upload; /* bytes of one uploaded file */
};

enum body_kind {
	BODY_NONE,      /* read and discarded */
	BODY_FORM,      /* buffered, application/x-www-form-urlencoded */
	BODY_JSON,      /* buffered, application/json */
	BODY_MULTIPART, /* streamed to a file, multipart/form-data (RFC 7578) */
};

/* The file part of an upload, as server.c received it. */
struct upload_part {
	bool present;
	char filename[STORE_NAME_MAX];
	uint64_t bytes;
	char sha256[STORE_SHA256_HEX];
	char tmp_path[PATH_MAX]; /* the received bytes; a handler that files them clears this */
};

struct call {
	struct sim *sim;
	const char *path; /* decoded request path, no query */
	const char *user; /* the bearer token's user; "" on routes without auth */
	const char *body; /* BODY_FORM and BODY_JSON: the whole body, NUL-terminated */
	size_t body_len;
	struct upload_part *upload; /* BODY_MULTIPART only */
	const struct fault *fault;  /* a fault rule that lets the handler answer (stale), or NULL */
};

struct reply {
	int status;
	char *body; /* malloc'd; freed by reply_free() */
	const char *content_type;
	long retry_after;  /* > 0: send Retry-After */
	const char *allow; /* non-NULL: send Allow (405) */
	bool no_store;     /* token responses: Cache-Control: no-store (RFC 6749 5.1) */
	bool challenge;    /* 401: WWW-Authenticate: Bearer (RFC 6750 3) */
};

typedef void (*route_fn)(const struct call *c, struct reply *r);

struct route {
	const char *method;
	const char *path;
	bool prefix; /* path ends in '/', a parameter follows */
	enum body_kind body;
	bool auth;    /* needs a valid bearer token (RFC 6750) */
	int endpoint; /* enum store_endpoint counted in /_sim/stats, -1 for /_sim */
	route_fn fn;
};

/*
 * The route for method and path (path compared ignoring ASCII case and one
 * trailing '/'). NULL when none: *status is then 404 (no such path) or 405
 * (path known, method not), and allow[allowlen] lists the path's methods.
 */
const struct route *routes_find(const char *method, const char *path, int *status, char *allow,
                                size_t allowlen);

/* Sets r to status with obj serialised as the body; takes obj (NULL gives a 500). */
void reply_json(struct reply *r, int status, json_object *obj);

/* Sets r to status with the ASP.NET Web API error shape {"Message": "..."}. */
void reply_message(struct reply *r, int status, const char *message);

/* Frees the body; r may be reused after. */
void reply_free(struct reply *r);

/* The parsed JSON body, or NULL after answering 400 (caller puts the result). */
json_object *call_json_body(const struct call *c, struct reply *r);

/* RMail API (rmail_api.c). */
void api_token(const struct call *c, struct reply *r);
void api_upload(const struct call *c, struct reply *r);
void api_large_file_transfer(const struct call *c, struct reply *r);
void api_mail(const struct call *c, struct reply *r);
void api_message_status(const struct call *c, struct reply *r);
void api_message_info(const struct call *c, struct reply *r);

/* {"StatusCode":200,"StatusText":"OK","Status":"Success","Message":messages,"ResultContent":result};
 * takes both (messages NULL = []). */
void api_success(struct reply *r, json_object *messages, json_object *result);

/* RMail's envelope for a request it refuses: Status "Failure", StatusCode 400,
 * the reason in Message[].Message; answered with HTTP http_status (200, or
 * 400: DESIGN 3.2, RPost answers some business failures as HTTP 400). */
void api_business_failure(struct reply *r, int http_status, const char *message);

/* 401 exactly as the real service words it. */
void api_unauthorized(struct reply *r);

/* Inspection and fault injection (sim_api.c); no auth, simulator only. */
void sim_messages(const struct call *c, struct reply *r);
void sim_uploads(const struct call *c, struct reply *r);
void sim_reset(const struct call *c, struct reply *r);
void sim_faults_list(const struct call *c, struct reply *r);
void sim_faults_add(const struct call *c, struct reply *r);
void sim_faults_clear(const struct call *c, struct reply *r);
void sim_stats(const struct call *c, struct reply *r);

#endif
