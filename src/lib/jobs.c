/*
 * jobs.c - SQL of the jobs table that is no lifecycle rule (see jobs.h).
 */
#include "jobs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct db_stmt stmt_job_insert = {
    "job_insert",
    "INSERT INTO scanpost.jobs (id, session_id, owner, to_addrs, cc_addrs, bcc_addrs,"
    " subject, body, settings, upload_token_hash, upload_expires_at, max_attempts)"
    " VALUES ($1::uuid, $2::uuid, $3,"
    " ARRAY(SELECT jsonb_array_elements_text($4::jsonb)),"
    " ARRAY(SELECT jsonb_array_elements_text($5::jsonb)),"
    " ARRAY(SELECT jsonb_array_elements_text($6::jsonb)),"
    " $7, $8, $9::jsonb, $10, now() + make_interval(secs => $11::bigint), $12::int)"
    " RETURNING to_char(upload_expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
    12};

/* The one shape of a job in the API (DESIGN 3.1). */
#define JOB_VIEW                                                                                   \
	"json_build_object('id', j.id, 'state', j.state,"                                          \
	" 'created_at', to_char(j.created_at AT TIME ZONE 'UTC', "                                 \
	"'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"                                                       \
	" 'updated_at', to_char(j.updated_at AT TIME ZONE 'UTC', "                                 \
	"'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"                                                       \
	" 'attempts', j.attempts, 'tracking_id', j.tracking_id, 'large_mail', j.large_mail,"       \
	" 'next_attempt_at', to_char(j.next_attempt_at AT TIME ZONE 'UTC', "                       \
	"'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"                                                       \
	" 'subject', j.subject, 'to', to_json(j.to_addrs),"                                        \
	" 'files', coalesce((SELECT json_agg(json_build_object('name', f.name, 'bytes',"           \
	"   f.bytes, 'sha256', encode(f.sha256, 'hex')) ORDER BY f.file_no)"                       \
	"   FROM scanpost.job_files f WHERE f.job_id = j.id), '[]'::json),"                        \
	" 'error', CASE WHEN j.last_error_code IS NULL THEN NULL ELSE"                             \
	"   json_build_object('code', j.last_error_code, 'message', j.last_error) END)"

static const struct db_stmt stmt_job_get = {
    "job_get", "SELECT " JOB_VIEW " FROM scanpost.jobs j WHERE j.id = $1::uuid AND j.owner = $2",
    2};

static const struct db_stmt stmt_job_get_with_session = {
    "job_get_with_session",
    "WITH s AS (" SESSION_FIND_SQL ") SELECT s.id, s.rmail_user, s.touch_due, (SELECT " JOB_VIEW
    " FROM scanpost.jobs j WHERE j.id = $4::uuid AND j.owner = s.rmail_user) FROM s",
    4};

static const struct db_stmt stmt_job_list = {
    "job_list",
    "SELECT coalesce(json_agg(v ORDER BY created DESC), '[]'::json) FROM"
    " (SELECT " JOB_VIEW " AS v, j.created_at AS created FROM scanpost.jobs j"
    "  WHERE j.owner = $1 ORDER BY j.created_at DESC LIMIT $2::int) x",
    2};

static const struct db_stmt stmt_job_upload_recount = {
    "job_upload_recount",
    "UPDATE scanpost.jobs SET updated_at = now(), uploaded_bytes = (SELECT"
    " coalesce(sum(bytes), 0) FROM scanpost.job_files WHERE job_id = $1::uuid)"
    " WHERE id = $1::uuid",
    1};

int jobs_insert(struct db *db, const struct job_new *j, char *expires_at, size_t len)
{
	char ttl[24], attempts[24];
	const char *v[12] = {j->id,
	                     j->session_id,
	                     j->owner,
	                     j->to_json,
	                     j->cc_json,
	                     j->bcc_json,
	                     j->subject,
	                     j->body,
	                     j->settings_json,
	                     (const char *)j->upload_token_hash,
	                     ttl,
	                     attempts};
	int lens[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0};
	int fmts[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0};
	PGresult *res;

	snprintf(ttl, sizeof(ttl), "%ld", j->upload_ttl);
	snprintf(attempts, sizeof(attempts), "%ld", j->max_attempts);
	if ((res = db_run(db, &stmt_job_insert, v, lens, fmts, 0)) == NULL)
		return -1;
	snprintf(expires_at, len, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

/* One text value: 0, 1 (no row), -1. */
static int one_text(struct db *db, const struct db_stmt *st, const char *const *v, char **json)
{
	PGresult *res = db_run(db, st, v, NULL, NULL, 0);
	int rc = 1;

	*json = NULL;
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 1) {
		*json = strdup(PQgetvalue(res, 0, 0));
		rc = *json ? 0 : -1;
	}
	PQclear(res);
	return rc;
}

int jobs_get_json(struct db *db, const char *id, const char *owner, char **json)
{
	const char *v[2] = {id, owner};

	return one_text(db, &stmt_job_get, v, json);
}

int jobs_get_with_session(struct db *db, const char *id, const uint8_t secret_hash[32],
                          long idle_timeout, long touch_interval, struct session *session,
                          char **json)
{
	return sessions_touch_with(db, &stmt_job_get_with_session, id, secret_hash, idle_timeout,
	                           touch_interval, session, json);
}

int jobs_list_json(struct db *db, const char *owner, int limit, char **json)
{
	char lim[16];
	const char *v[2] = {owner, lim};

	snprintf(lim, sizeof(lim), "%d", limit);
	return one_text(db, &stmt_job_list, v, json) == 0 ? 0 : -1;
}

int jobs_upload_recount(struct db *db, const char *id)
{
	const char *v[1] = {id};

	return db_exec(db, &stmt_job_upload_recount, v);
}
