/*
 * lifecycle_priv.h - what the two files of the lifecycle share: the
 * deletion rule, the token rule, the audit row and the transaction
 * helpers.  INTERNAL: only src/lib/lifecycle.c (the rules, and the
 * person's transitions) and src/lib/lifecycle_queue.c (the sender's, the
 * janitor's and the administrator's) include it.  Each runs inside the
 * caller's open transaction, the caller being one of those two files.
 */
#ifndef SCANPOST_LIFECYCLE_PRIV_H
#define SCANPOST_LIFECYCLE_PRIV_H

#include <json-c/json.h>

#include "jobstate.h"
#include "lifecycle.h"

/* A move's parameters from the state table. */
struct move_params {
	char sources[JOB_STATE_LIST_LEN];
	const char *target;
};
void lc_move_params(enum job_move m, struct move_params *p);

/* Rolls back the open transaction and returns rc. */
enum lc_result lc_rollback(struct db *db, enum lc_result rc);

/* An audit detail {key: value} (key NULL: {}); add numbers with
 * lc_detail_int.  lc_audit writes the event and consumes detail. */
struct json_object *lc_detail(const char *key, const char *value);
void lc_detail_int(struct json_object *d, const char *key, long long v);
int lc_audit(struct db *db, const char *event, const char *actor, const char *session_id,
             const char *job_id, const char *request_id, struct json_object *detail);

/* Runs st: the rows it returned or changed (*res to PQclear), or -1. */
int lc_rows(struct db *db, const struct db_stmt *st, const char *const *v, PGresult **res);

/* Locks the session row: always before any job row (no lock cycles). */
int lc_lock_session(struct db *db, const char *session_id);
/* release token: the session's sealed token goes when the session is over
 * and no job in a state that needs it is left; one `token_released` row.
 * 0 (released or still needed) or -1. */
int lc_release_token(struct db *db, const char *session_id, const char *reason,
                     const char *request_id);
/* destroy document: chunks deleted, wrapped keys cleared, the deletion
 * stamped; one `document_deleted` row when there was anything to delete
 * (so each path leaves exactly one).  0 or -1. */
int lc_destroy_document(struct db *db, const char *job_id, const char *actor,
                        const char *session_id, const char *request_id, const char *reason);
/* The session of a job (of owner, unless NULL), read before any lock is
 * taken.  0 found, 1 not, -1. */
int lc_job_session(struct db *db, const char *job_id, const char *owner, char *out, size_t len);
/* NOTIFY the senders of job_id (delivered at commit). */
int lc_notify(struct db *db, const char *job_id);
/* The uploads of an ending session that never reached the queue are
 * canceled with their documents; its token goes unless a queued or sending
 * job needs it; a `signout` or `session_ended` row. */
int lc_session_end_tail(struct db *db, const char *session_id, const char *user, const char *reason,
                        const char *request_id);

#endif
