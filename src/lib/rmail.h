/*
 * rmail.h - client of the RMail (RPost) REST API (DESIGN 3.2).
 *
 * One struct rmail per thread: it owns a libcurl easy handle (kept for
 * connection reuse).  TLS peer and host verification are always on; the CA
 * bundle comes from rmail_ca_file (or the system store).  Errors are sorted
 * into the kinds the callers act on: retry later, fail the job, ask the user.
 */
#ifndef SCANPOST_RMAIL_H
#define SCANPOST_RMAIL_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

enum rmail_err {
	RMAIL_OK = 0,
	RMAIL_AUTH_FAILED,  /* /Token said invalid_grant: wrong user or password */
	RMAIL_UNAUTHORIZED, /* 401: the bearer token expired or was revoked */
	RMAIL_RATE_LIMITED, /* 429; retry_after holds the wait */
	RMAIL_UNAVAILABLE,  /* connection, timeout, 5xx: worth trying again */
	RMAIL_REJECTED,     /* a business failure or another 4xx: do not retry */
	RMAIL_BAD_RESPONSE, /* an answer we cannot read */
	RMAIL_ABORTED,      /* our own read callback failed (e.g. a tag check) */
};

struct rmail_result {
	enum rmail_err err;
	long http_status;  /* 0 when no answer came */
	long retry_after;  /* seconds, from Retry-After, or -1 */
	char message[256]; /* RMail's reason or curl's, never a secret */
};

const char *rmail_strerror(enum rmail_err err);
/* Whether a failure of this kind may succeed when tried again. */
int rmail_err_transient(enum rmail_err err);

struct rmail;

/* base_url must be https://; ca_file may be "" for the system store.
 * timeout: seconds without progress before a call is abandoned. */
struct rmail *rmail_new(const char *base_url, const char *ca_file, long timeout);
void rmail_free(struct rmail *rm);

/* The total limits, in seconds, of every call and of the sign-in (/Token):
 * a call that is still moving is abandoned at them too (RMAIL_UNAVAILABLE).
 * The daemons set them from rmail_call_timeout and rmail_signin_timeout;
 * until then these defaults hold. */
#define RMAIL_CALL_MAX_DEFAULT   900
#define RMAIL_SIGNIN_MAX_DEFAULT 10
void rmail_set_limits(struct rmail *rm, long call_max, long signin_max);

/* Called now and then during every transfer (at least once a second, even
 * while waiting for an answer); returning non-zero aborts the call, which
 * then gives RMAIL_ABORTED.  fn NULL removes it. */
typedef int (*rmail_progress_fn)(void *arg);
void rmail_set_progress(struct rmail *rm, rmail_progress_fn fn, void *arg);

/* POST /Token.  On success *token_out is malloc'd (the caller wipes and
 * frees it) and *expires_in holds its lifetime in seconds. */
int rmail_get_token(struct rmail *rm, const char *user, const char *password, char **token_out,
                    long *expires_in, struct rmail_result *res);

/* Supplies the next bytes of an upload; returns bytes written into buf (0 at
 * the end) or -1 to abort the transfer (the call then gives RMAIL_ABORTED). */
typedef long (*rmail_read_fn)(void *arg, uint8_t *buf, size_t len);

/* POST /api/Upload, the file streamed from read_fn as multipart field
 * `file` of `size` bytes.  upload_id receives RMail's id. */
int rmail_upload(struct rmail *rm, const char *token, const char *filename,
                 const char *content_type, uint64_t size, rmail_read_fn read_fn, void *arg,
                 char *upload_id, size_t idlen, struct rmail_result *res);

/* POST /api/v1/Mail with the given body (rmail_mail_json; not consumed).
 * On success tracking_id receives ResultContent.TrackingId.  A business
 * failure, answered 200 or 400, is RMAIL_REJECTED with RMail's reason.
 * Large mail is the body's IsLargeMail (RPost's REST help page for
 * api/v1/Mail); scanpost never calls LargeFileTransfer, which belongs to
 * RPost's add-on's SMTP path. */
int rmail_send_mail(struct rmail *rm, const char *token, struct json_object *mail,
                    char *tracking_id, size_t tidlen, struct rmail_result *res);

/* POST /api/v1/Receipt/MessageStatus over [from, to], in windows of at most
 * 24 hours, newest first: did RMail accept a message whose
 * CustomerTrackingId is customer_id?  CustomerTrackingId is not a filter
 * of MessageStatus; it is matched in the results.  Returns 0 when every
 * window was answered (*found says whether it was there, tracking_id then
 * holds its TrackingId), -1 with res set on any failure: the caller
 * treats that as "unclear" (rmail_lookup_decide). */
int rmail_find_by_customer_id(struct rmail *rm, const char *token, const char *customer_id,
                              long from, long to, int *found, char *tracking_id, size_t tidlen,
                              struct rmail_result *res);

/* GET /api/v1/MessageInfo/{tracking_id}: 0 when RMail answers the
 * collection, -1 with res set otherwise (scanpostctl rmail check). */
int rmail_message_info(struct rmail *rm, const char *token, const char *tracking_id,
                       struct rmail_result *res);

/* Sees every answer before the client reads (and, for /Token, wipes) it:
 * the path asked, the HTTP status (0: none) and the body.  For field
 * diagnostics (scanpostctl rmail check), which looks at shapes only and
 * never prints a value.  fn NULL removes it. */
typedef void (*rmail_observe_fn)(void *arg, const char *path, long http_status, const char *body,
                                 size_t len);
void rmail_set_observer(struct rmail *rm, rmail_observe_fn fn, void *arg);

#endif
