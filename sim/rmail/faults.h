/*
 * faults.h - fault injection for rmail-sim: rules set by POST /_sim/faults
 * that make the next N matching calls (or a random share of them) slow,
 * failing, unauthorized, dropped or hung. Thread-safe.
 */
#ifndef RMAIL_SIM_FAULTS_H
#define RMAIL_SIM_FAULTS_H

#include <stdbool.h>
#include <stddef.h>

#include <json.h>

#define FAULT_PATH_MAX    128
#define FAULT_MESSAGE_MAX 512

enum fault_kind {
	FAULT_LATENCY,      /* wait latency_ms, then answer normally */
	FAULT_STATUS,       /* answer `status` (5xx) with an ASP.NET-style error body */
	FAULT_RETRY_AFTER,  /* answer 429 with Retry-After: retry_after (RFC 6585 4, RFC 7231 7.1.3)
	                     */
	FAULT_UNAUTHORIZED, /* answer 401 as for an expired token */
	FAULT_BUSINESS,     /* answer Status "Failure" and `message`: HTTP 200, or 400 when
	                       `status` is 400 (DESIGN 3.2: RPost answers some that way) */
	FAULT_DROP,         /* close the connection without an answer */
	FAULT_HANG,         /* say nothing for longer than any client timeout, then close */
	FAULT_RAW,          /* answer `status` with `message` as the JSON body, verbatim: an
	                       answer of a shape scanpost does not expect */
	FAULT_STALE,        /* MessageStatus/MessageInfo do not list messages accepted in the
	                       last latency_ms, as a service that indexes them late */
	FAULT__MAX
};

struct fault {
	unsigned long id;
	enum fault_kind kind;
	char path[FAULT_PATH_MAX]; /* case-insensitive path prefix; "" matches every RMail path */
	long count;                /* calls left to take; -1 when rate applies instead */
	double rate;               /* chance per call, 0..1, when count is -1 */
	int status;
	long latency_ms;
	long retry_after;
	char message[FAULT_MESSAGE_MAX];
	bool after_accept; /* mail only: record the message first, then misbehave */
};

struct faults;

/* NULL on out-of-memory; free with faults_free(). */
struct faults *faults_new(void);
void faults_free(struct faults *fs);

/*
 * Adds a rule from the POST /_sim/faults body. On success copies the stored
 * rule to *added (if not NULL) and returns 0; on a bad spec writes the reason
 * to err[errlen] and returns -1. Unknown members are refused.
 */
int faults_add(struct faults *fs, json_object *spec, struct fault *added, char *err, size_t errlen);

/*
 * Finds the first rule matching a call to path and consumes one use of it
 * (a counted rule with no uses left is removed). is_mail_send says whether
 * the call is POST /api/v1/Mail: after_accept rules match only those.
 * Returns true and copies the rule to *out when one matched.
 */
bool faults_take(struct faults *fs, const char *path, bool is_mail_send, struct fault *out);

/* The rules as a new JSON array (caller puts it); NULL on out-of-memory. */
json_object *faults_json(struct faults *fs);

/* One rule as a new JSON object (caller puts it). */
json_object *fault_json(const struct fault *f);

/* Removes all rules; returns how many there were. */
size_t faults_clear(struct faults *fs);

const char *fault_kind_name(enum fault_kind kind);

#endif
