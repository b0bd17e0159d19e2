/*
 * jobs.h - the jobs table as the web API sees it: create, read, list,
 * submit, cancel, and the upload's view of a job (DESIGN 3.1).  Every
 * statement that reads or moves a job for a person checks its owner, so
 * another user's job is simply not found.
 */
#ifndef SCANPOST_JOBS_H
#define SCANPOST_JOBS_H

#include <stdint.h>

#include "db.h"

enum jobs_result {
	JOBS_OK = 0,
	JOBS_NOT_FOUND,
	JOBS_WRONG_STATE,
	JOBS_NOTHING_UPLOADED,
	JOBS_DB_ERROR,
};

struct job_new {
	const char *id; /* chosen by the caller: it names the upload URL */
	const char *session_id;
	const char *owner;
	const char *to_json, *cc_json, *bcc_json; /* JSON arrays of addresses */
	const char *subject, *body;
	const char *settings_json;        /* the normalized jobspec */
	const uint8_t *upload_token_hash; /* 32 bytes */
	long upload_ttl;                  /* seconds */
	long max_attempts;
};

/* Inserts the job; *expires_at receives the upload deadline (ISO 8601). */
int jobs_insert(struct db *db, const struct job_new *j, char *expires_at, size_t len);

/* The public view of one job as JSON text (DESIGN 3.1), malloc'd.  */
enum jobs_result jobs_get_json(struct db *db, const char *id, const char *owner, char **json);
/* The owner's recent jobs, newest first, as a JSON array text. */
enum jobs_result jobs_list_json(struct db *db, const char *owner, int limit, char **json);

/* awaiting_scan -> queued and NOTIFY the senders; one transaction. */
enum jobs_result jobs_submit(struct db *db, const char *id, const char *owner);
/* A job not yet sending -> canceled, its document deleted; one transaction. */
enum jobs_result jobs_cancel(struct db *db, const char *id, const char *owner);

/* The upload's view, taken with the job row locked (FOR UPDATE) inside the
 * caller's transaction: JOBS_OK when the token matches, is unexpired and
 * the job awaits its scan; *uploaded holds the bytes stored so far. */
enum jobs_result jobs_upload_lock(struct db *db, const char *id, const uint8_t token_hash[32],
                                  uint64_t *uploaded, char *owner, size_t ownerlen);
/* Sets the job's upload total to the sum of its files (same transaction). */
int jobs_upload_recount(struct db *db, const char *id);

/* Janitor: awaiting_scan jobs past their upload deadline -> expired, with
 * their documents deleted.  Returns how many, or -1. */
int jobs_expire_uploads(struct db *db);

#endif
