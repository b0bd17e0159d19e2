/*
 * jobs.h - rows of the jobs table as the web API sees them: the insert
 * (called by lifecycle_job_create), the public view of one job and a
 * person's list (DESIGN 3.1).  Every read checks the owner, so another
 * user's job is simply not found.  Moves between states are lifecycle.h's.
 */
#ifndef SCANPOST_JOBS_H
#define SCANPOST_JOBS_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "sessions.h"

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
	long open_max; /* the owner's unfinished jobs allowed (jobs_open_max); 0 = no cap */
};

/* Inserts the job in its first state (the column's default), in the
 * caller's transaction; *expires_at receives the upload deadline. */
int jobs_insert(struct db *db, const struct job_new *j, char *expires_at, size_t len);

/* The public view of one job as JSON text (DESIGN 3.1), malloc'd.
 * 0, 1 (no such job of this owner), -1. */
int jobs_get_json(struct db *db, const char *id, const char *owner, char **json);

/* jobs_get_json of the session's own user, read in the statement that
 * finds the session (sessions_touch_with): one round trip for a status
 * poll.  id must be a valid UUID.  0 with *json (NULL: no such job of
 * this user), 1 no session, -1; *session filled when 0. */
int jobs_get_with_session(struct db *db, const char *id, const uint8_t secret_hash[32],
                          long idle_timeout, long touch_interval, struct session *session,
                          char **json);
/* The owner's recent jobs, newest first, as a JSON array text; 0 or -1. */
int jobs_list_json(struct db *db, const char *owner, int limit, char **json);

/* Sets the job's upload total to the sum of its files, inside the open
 * upload transaction (lifecycle_upload_begin). */
int jobs_upload_recount(struct db *db, const char *id);

#endif
