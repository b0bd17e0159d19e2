/*
 * rmail_wire.h - what scanpost writes to and reads from the RMail (RPost)
 * REST API, without the network (DESIGN 3.2).
 *
 * Pure functions: the request bodies (built here, sent by rmail.c), the
 * reading of every answer (success, the two failure shapes, the status
 * collection), the decision a status lookup leads to, and the shapes
 * `scanpostctl rmail check` compares real answers with.  Each rule names
 * its source; tests/fixtures/rmail/ holds the shapes, and
 * tests/unit/test_rmail_wire.c checks these builders against them.  The
 * answer readers take outside bytes and are fuzzed
 * (tests/fuzz/fuzz_rmail_answer.c).
 */
#ifndef SCANPOST_RMAIL_WIRE_H
#define SCANPOST_RMAIL_WIRE_H

#include <stdbool.h>
#include <stddef.h>

#include "rmail.h"

struct json_object;

/* ---- requests ------------------------------------------------------------ */

#define RMAIL_TZ_LEN   8  /* "+hh:mm" and its NUL */
#define RMAIL_DATE_LEN 32 /* "2024-11-21T10:15:32+00:00" and its NUL */

/* TimeZoneOffset as RPost's help page for api/v1/Mail defines it: "+hh:mm"
 * or "-hh:mm" (never a bare number), from an offset east of UTC in seconds
 * (struct tm's tm_gmtoff).  Offsets beyond +-14:00 are clamped to the
 * nearest valid one.  Writes out[RMAIL_TZ_LEN]. */
void rmail_tz_offset(long gmtoff_seconds, char out[RMAIL_TZ_LEN]);

/* StartDate/EndDate of MessageStatus: ISO 8601 in UTC with an explicit
 * offset, as the help page's sample ("2024-11-21T10:15:32+00:00"). */
void rmail_date(long epoch, char out[RMAIL_DATE_LEN]);

/* The body of POST /Token: grant_type=password&username=..&password=..,
 * every byte outside RFC 3986's unreserved set percent-encoded (RPost's
 * help: special characters in the password must be).  Returns a malloc'd
 * string the caller wipes (OPENSSL_cleanse over *len bytes) and frees, or
 * NULL when out of memory. */
char *rmail_token_form(const char *user, const char *password, size_t *len);

/* One send (POST api/v1/Mail), every string borrowed. */
struct rmail_mail {
	const char *to, *cc, *bcc; /* addresses joined with ';' */
	const char *subject, *body;
	const char *tz_offset; /* "+hh:mm" (rmail_tz_offset), or NULL: sent as null */
	const char *const *attachments;
	size_t nattachments;
	struct json_object *options; /* X-RPost-* name -> string; borrowed */
	bool large;                  /* IsLargeMail */
};

/* The MailBindingModel object (RPost's help page for api/v1/Mail):
 * To, Cc, Bcc, Subject, TimeZoneOffset, Body, Attachments, Options,
 * IsLargeMail.  From is left out: RMail then sends as the signed-in user.
 * Returns a new object (json_object_put), or NULL when out of memory. */
struct json_object *rmail_mail_json(const struct rmail_mail *m);

/* The ReceiptMessageBindingModel of MessageStatus for the window
 * [from, to] (at most RMAIL_STATUS_WINDOW_MAX seconds): StartDate and
 * EndDate only.  CustomerTrackingId is not a member of that model, so it is
 * never sent: the caller matches it in the answer. */
#define RMAIL_STATUS_WINDOW_MAX (24L * 3600)
struct json_object *rmail_status_window_json(long from, long to);

/* ---- answers ------------------------------------------------------------- */

/* Sorts a non-2xx answer: 401 unauthorized, 429 rate limited, 408 and 5xx
 * unavailable, any other status rejected; res->message receives RMail's
 * reason from the body when one is there (rmail_answer_reason). */
void rmail_answer_failure(long http_status, const char *body, size_t len, struct rmail_result *res);

/* RMail's own words for a failure, from whichever shape the body has:
 * the envelope's Message[].Message (joined with "; "), an ASP.NET
 * {"Message": ..., "ModelState": {...}} (the message and the first model
 * error), or OAuth's error_description.  Returns 0 and writes out, or -1
 * when the body has none of them. */
int rmail_answer_reason(const char *body, size_t len, char *out, size_t outlen);

/* POST /Token, 2xx: the access_token (malloc'd; the caller wipes and
 * frees it) and expires_in.  400 invalid_grant gives RMAIL_AUTH_FAILED. */
int rmail_answer_token(long http_status, const char *body, size_t len, char **token,
                       long *expires_in, struct rmail_result *res);

/* POST api/Upload, 2xx: the id, a JSON string. */
int rmail_answer_upload(const char *body, size_t len, char *id, size_t idlen,
                        struct rmail_result *res);

/* POST api/v1/Mail, 2xx: Status "Success" and ResultContent.TrackingId, or
 * RMAIL_REJECTED with RMail's reason (a business failure answered 200). */
int rmail_answer_mail(const char *body, size_t len, char *tracking_id, size_t tidlen,
                      struct rmail_result *res);

/* MessageStatus or MessageInfo, 2xx: the collection of
 * ReceiptMessageDetailsModel, as the envelope's ResultContent or bare.
 * *found is set when an entry's CustomerTrackingId equals customer_id
 * (ignoring ASCII case; NULL matches nothing), and tracking_id then receives its TrackingId.
 * Returns 0 when the answer is a collection RMail vouches for (Status
 * "Success" or no envelope), -1 with res set otherwise. */
int rmail_answer_status(const char *body, size_t len, const char *customer_id, int *found,
                        char *tracking_id, size_t tidlen, struct rmail_result *res);

/* ---- what a lookup means (DESIGN 3.5) ------------------------------------ */

enum rmail_lookup {
	RMAIL_LOOKUP_FOUND,   /* RMail has the message: record it sent */
	RMAIL_LOOKUP_ABSENT,  /* RMail clearly has not: sending is safe */
	RMAIL_LOOKUP_UNCLEAR, /* an error, or an empty answer too soon: ask later */
};

/*
 * answered: MessageStatus answered every window; found: a result carried
 * our CustomerTrackingId.  An empty answer is trusted only once `settle`
 * seconds have passed since the job last came back to the queue
 * (requeued_at), when any earlier Mail call had ended: RMail may list a
 * message a while after accepting it.  Never "absent" on a guess.
 */
enum rmail_lookup rmail_lookup_decide(bool answered, bool found, long now, long requeued_at,
                                      long settle);
const char *rmail_lookup_name(enum rmail_lookup l);

/* ---- answer shapes, for `scanpostctl rmail check` ------------------------ */

enum rmail_shape {
	RMAIL_SHAPE_TOKEN,
	RMAIL_SHAPE_UPLOAD,
	RMAIL_SHAPE_MAIL,
	RMAIL_SHAPE_STATUS,
	RMAIL_SHAPE_INFO,
	RMAIL_SHAPE__MAX
};

/* Called for each member scanpost reads: its path ("ResultContent[].TrackingId"),
 * the type scanpost expects, the type found ("absent" when missing), and
 * whether they agree.  Never called with a value: secrets stay out. */
typedef void (*rmail_shape_fn)(void *arg, const char *path, const char *expected, const char *found,
                               bool ok);

/* Walks the answer (parsed JSON, may be NULL for "not JSON") against what
 * scanpost expects of that call.  Returns the number of mismatches. */
int rmail_shape_check(enum rmail_shape shape, struct json_object *answer, rmail_shape_fn fn,
                      void *arg);

/* Parses exactly one JSON value (nesting at most 32, nothing after it);
 * NULL when the bytes are not JSON.  The caller puts the result. */
struct json_object *rmail_json_parse(const char *buf, size_t len);

#endif
