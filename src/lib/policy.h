/*
 * policy.h - the administrator's policy (issue 12): one `key = value` file
 * read through one declarative table (policy.c), as the config is.
 *
 *   lock.<field> = value     the field always takes value; a request that
 *                            sends another is refused (400 policy_violation)
 *   default.<field> = value  the value a request that leaves the field out gets
 *   hide = <field>, ...      the weblet does not show these; a request may
 *                            leave them out or send their policy value only
 *   allowed_domains = a.example, b.example
 *                            recipients' domains (exact, case-insensitive)
 *   outside_domains = refuse | ask
 *                            refuse: another domain is a 400; ask: the
 *                            request must carry confirm_outside_domains:
 *                            true (the weblet asks the person), else 409
 *   max_recipients = 1..50   to, cc and bcc together
 *   bcc_allowed = true | false
 *   copy_to_me = off | allowed | forced
 *
 * <field> is a path of the job body (jobspec.h) under "registered" or
 * "scan", e.g. registered.encryption, scan.resolution.  Values are checked
 * by jobspec itself: each is placed into a job body and parsed with
 * jobspec_from_json, so the lists of allowed values live only there.  A bad
 * key or value is an error naming the file, the line and the key.
 */
#ifndef SCANPOST_POLICY_H
#define SCANPOST_POLICY_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "jobspec.h"

struct json_object;

enum policy_outside { POLICY_OUTSIDE_REFUSE, POLICY_OUTSIDE_ASK };
enum policy_copy { POLICY_COPY_OFF, POLICY_COPY_ALLOWED, POLICY_COPY_FORCED };

/* A loaded policy: read-only once made, shared by reference (policy_ref,
 * policy_release). */
struct policy;

/* Parses the policy file at path.  Returns a new policy (one reference),
 * or NULL with err naming the file, line and key.  A missing file is an
 * error here; the store treats it as "no policy". */
struct policy *policy_load(const char *path, char *err, size_t errlen);
/* The same from text (tests, `name` is used in messages). */
struct policy *policy_parse_string(const char *text, const char *name, char *err, size_t errlen);
/* The empty policy: nothing locked, hidden or limited beyond jobspec's own
 * rules; copy_to_me allowed. */
struct policy *policy_none(void);

const struct policy *policy_ref(const struct policy *p);
void policy_release(const struct policy *p);

/* What GET /api/v1/policy answers: {locked: {registered: {...}, scan:
 * {...}}, defaults: {...}, hidden: {registered: [...], scan: [...]},
 * allowed_domains: [...], outside_domains, max_recipients, bcc_allowed,
 * copy_to_me}.  A new object (json_object_put), or NULL out of memory. */
struct json_object *policy_to_json(const struct policy *p);

enum policy_verdict {
	POLICY_OK,
	POLICY_VIOLATION, /* 400: the request breaks a rule */
	POLICY_CONFIRM,   /* 409: outside domains in ask mode, not confirmed */
	POLICY_NOMEM,
};

#define POLICY_FIELDS_MAX 8

/* Which rule a request broke, and the fields that break it (at most
 * POLICY_FIELDS_MAX named; more_fields when there were more). */
struct policy_violation {
	char rule[64];
	char message[JOBSPEC_MESSAGE_MAX];
	char fields[POLICY_FIELDS_MAX][JOBSPEC_FIELD_MAX];
	size_t nfields;
	bool more_fields;
};

/*
 * Applies p to req, a job body that jobspec_from_json accepted: refuses
 * what breaks a rule (v says which), else fills in the locked and default
 * values req leaves out and, when copy to myself applies, adds self (the
 * signed-in RMail user, never a value of the request) to bcc unless it is
 * a recipient already.  The caller parses req again with jobspec_from_json.
 * The self copy is exempt from bcc_allowed, allowed_domains and
 * max_recipients (it is the sender's own copy); jobspec's 50 still counts it.
 */
enum policy_verdict policy_apply(const struct policy *p, struct json_object *req, const char *self,
                                 struct policy_violation *v);

/*
 * The live policy of one program: the file at a path, re-read when it
 * changes.  The file is looked at (fstat) at most once per check interval;
 * a new good file replaces the snapshot under the lock, readers keep the
 * reference they hold; a broken new file keeps the last good policy and is
 * logged once.  A missing file or an empty path is no policy.
 */
struct policy_store {
	pthread_mutex_t lock;
	const struct policy *current; /* NULL until a first good load */
	char *path;
	time_t checked; /* CLOCK_MONOTONIC seconds of the last look */
	bool have_sig, bad_logged;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	char error[512]; /* why the file on disk is not the policy in force */
};

#define POLICY_STORE_INIT                                                                          \
	{                                                                                          \
		PTHREAD_MUTEX_INITIALIZER, NULL, NULL, 0, false, false, 0, 0, 0, {0, 0}, ""        \
	}

/* Seconds between looks at the file: a change takes effect within this. */
#define POLICY_CHECK_INTERVAL 2

/* The policy in force for path (a reference: policy_release), or NULL when
 * the file was never readable as a policy (err says why: callers refuse
 * the work rather than run without the administrator's rules). */
const struct policy *policy_store_get(struct policy_store *s, const char *path, char *err,
                                      size_t errlen);
void policy_store_free(struct policy_store *s);

#endif
