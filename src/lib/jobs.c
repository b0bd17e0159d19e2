/*
 * jobs.c - SQL of the jobs API.
 */
#include "jobs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docstore.h"
#include "jobstate.h"
#include "sessions.h"

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
	" 'subject', j.subject, 'to', to_json(j.to_addrs),"                                        \
	" 'files', coalesce((SELECT json_agg(json_build_object('name', f.name, 'bytes',"           \
	"   f.bytes, 'sha256', encode(f.sha256, 'hex')) ORDER BY f.file_no)"                       \
	"   FROM scanpost.job_files f WHERE f.job_id = j.id), '[]'::json),"                        \
	" 'error', CASE WHEN j.last_error_code IS NULL THEN NULL ELSE"                             \
	"   json_build_object('code', j.last_error_code, 'message', j.last_error) END)"

static const struct db_stmt stmt_job_get = {
    "job_get", "SELECT " JOB_VIEW " FROM scanpost.jobs j WHERE j.id = $1::uuid AND j.owner = $2",
    2};

static const struct db_stmt stmt_job_list = {
    "job_list",
    "SELECT coalesce(json_agg(v ORDER BY created DESC), '[]'::json) FROM"
    " (SELECT " JOB_VIEW " AS v, j.created_at AS created FROM scanpost.jobs j"
    "  WHERE j.owner = $1 ORDER BY j.created_at DESC LIMIT $2::int) x",
    2};

/* What a refused move found: the job's state and whether files arrived. */
static const struct db_stmt stmt_job_probe = {
    "job_probe",
    "SELECT j.state, EXISTS (SELECT 1 FROM scanpost.job_files f WHERE f.job_id = j.id)"
    " FROM scanpost.jobs j WHERE j.id = $1::uuid AND j.owner = $2",
    2};

static const struct db_stmt stmt_job_submit = {
    "job_submit",
    "UPDATE scanpost.jobs j SET state = 'queued', submitted_at = now(), updated_at = now(),"
    " next_attempt_at = now(), upload_token_hash = NULL"
    " WHERE j.id = $1::uuid AND j.owner = $2 AND j.state = ANY ($3::text[])"
    " AND EXISTS (SELECT 1 FROM scanpost.job_files f WHERE f.job_id = j.id)"
    " RETURNING j.id",
    3};

static const struct db_stmt stmt_job_notify = {"job_notify",
                                               "SELECT pg_notify('scanpost_jobs', $1)", 1};

static const struct db_stmt stmt_job_cancel = {
    "job_cancel",
    "UPDATE scanpost.jobs SET state = 'canceled', updated_at = now(),"
    " document_deleted_at = now(), upload_token_hash = NULL"
    " WHERE id = $1::uuid AND owner = $2 AND state = ANY ($3::text[])"
    " RETURNING session_id",
    3};

static const struct db_stmt stmt_job_upload_lock = {
    "job_upload_lock",
    "SELECT state, upload_expires_at > now(), uploaded_bytes, owner FROM scanpost.jobs"
    " WHERE id = $1::uuid AND upload_token_hash = $2 FOR UPDATE",
    2};

static const struct db_stmt stmt_job_upload_recount = {
    "job_upload_recount",
    "UPDATE scanpost.jobs SET updated_at = now(), uploaded_bytes = (SELECT"
    " coalesce(sum(bytes), 0) FROM scanpost.job_files WHERE job_id = $1::uuid)"
    " WHERE id = $1::uuid",
    1};

static const struct db_stmt stmt_job_expire = {
    "job_expire",
    "WITH e AS (UPDATE scanpost.jobs SET state = 'expired', updated_at = now(),"
    "   document_deleted_at = now(), upload_token_hash = NULL,"
    "   last_error_code = 'upload_expired',"
    "   last_error = 'The scan did not arrive before the upload link expired.'"
    "   WHERE state = ANY ($1::text[]) AND upload_expires_at <= now() RETURNING id),"
    " d AS (DELETE FROM scanpost.document_chunks WHERE job_id IN (SELECT id FROM e)),"
    " k AS (UPDATE scanpost.job_files SET dek_kid = NULL, dek_wrapped = NULL,"
    "   nonce_prefix = NULL WHERE job_id IN (SELECT id FROM e))"
    " SELECT count(*) FROM e",
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

static enum jobs_result one_text(struct db *db, const struct db_stmt *st, const char *const *v,
                                 char **json)
{
	PGresult *res = db_run(db, st, v, NULL, NULL, 0);
	enum jobs_result rc = JOBS_NOT_FOUND;

	*json = NULL;
	if (res == NULL)
		return JOBS_DB_ERROR;
	if (PQntuples(res) == 1) {
		*json = strdup(PQgetvalue(res, 0, 0));
		rc = *json ? JOBS_OK : JOBS_DB_ERROR;
	}
	PQclear(res);
	return rc;
}

enum jobs_result jobs_get_json(struct db *db, const char *id, const char *owner, char **json)
{
	const char *v[2] = {id, owner};

	return one_text(db, &stmt_job_get, v, json);
}

enum jobs_result jobs_list_json(struct db *db, const char *owner, int limit, char **json)
{
	char lim[16];
	const char *v[2] = {owner, lim};

	snprintf(lim, sizeof(lim), "%d", limit);
	return one_text(db, &stmt_job_list, v, json);
}

/* Why a move found no row: unknown, wrong state, or no file yet. */
static enum jobs_result probe(struct db *db, const char *id, const char *owner)
{
	const char *v[2] = {id, owner};
	PGresult *res = db_run(db, &stmt_job_probe, v, NULL, NULL, 0);
	enum jobs_result rc = JOBS_NOT_FOUND;

	if (res == NULL)
		return JOBS_DB_ERROR;
	if (PQntuples(res) == 1)
		rc = strcmp(PQgetvalue(res, 0, 0), "awaiting_scan") == 0 &&
		             PQgetvalue(res, 0, 1)[0] == 'f'
		         ? JOBS_NOTHING_UPLOADED
		         : JOBS_WRONG_STATE;
	PQclear(res);
	return rc;
}

enum jobs_result jobs_submit(struct db *db, const char *id, const char *owner)
{
	char sources[128];
	const char *v[3] = {id, owner, sources};
	const char *n[1] = {id};
	PGresult *res;
	int moved;

	/* Only an upload may be submitted here; a failed job goes back to the
	 * queue through the administrator's `scanpostctl queue retry`. */
	snprintf(sources, sizeof(sources), "{%s}", job_state_name(JOB_AWAITING_SCAN));
	if (db_begin(db) != 0)
		return JOBS_DB_ERROR;
	if ((res = db_run(db, &stmt_job_submit, v, NULL, NULL, 0)) == NULL)
		goto fail;
	moved = PQntuples(res);
	PQclear(res);
	if (moved == 0) {
		db_rollback(db);
		return probe(db, id, owner);
	}
	/* NOTIFY is delivered at commit: a sender never wakes for a job it
	 * cannot see yet. */
	if (db_exec(db, &stmt_job_notify, n) != 0 || db_commit(db) != 0)
		goto fail;
	return JOBS_OK;
fail:
	db_rollback(db);
	return JOBS_DB_ERROR;
}

enum jobs_result jobs_cancel(struct db *db, const char *id, const char *owner)
{
	char sources[128], session_id[40];
	const char *v[3] = {id, owner, sources};
	PGresult *res;

	job_state_sources(JOB_CANCELED, sources, sizeof(sources));
	if (db_begin(db) != 0)
		return JOBS_DB_ERROR;
	if ((res = db_run(db, &stmt_job_cancel, v, NULL, NULL, 0)) == NULL)
		goto fail;
	if (PQntuples(res) == 0) {
		PQclear(res);
		db_rollback(db);
		return probe(db, id, owner) == JOBS_NOT_FOUND ? JOBS_NOT_FOUND : JOBS_WRONG_STATE;
	}
	snprintf(session_id, sizeof(session_id), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	if (docstore_delete_job(db, id) != 0 || sessions_release_token(db, session_id) != 0 ||
	    db_commit(db) != 0)
		goto fail;
	return JOBS_OK;
fail:
	db_rollback(db);
	return JOBS_DB_ERROR;
}

enum jobs_result jobs_upload_lock(struct db *db, const char *id, const uint8_t token_hash[32],
                                  uint64_t *uploaded, char *owner, size_t ownerlen)
{
	const char *v[2] = {id, (const char *)token_hash};
	int lens[2] = {0, 32}, fmts[2] = {0, 1};
	PGresult *res = db_run(db, &stmt_job_upload_lock, v, lens, fmts, 0);
	enum jobs_result rc = JOBS_NOT_FOUND;

	if (res == NULL)
		return JOBS_DB_ERROR;
	if (PQntuples(res) == 1) {
		int awaiting = strcmp(PQgetvalue(res, 0, 0), "awaiting_scan") == 0;
		int fresh = PQgetvalue(res, 0, 1)[0] == 't';
		rc = awaiting && fresh ? JOBS_OK : JOBS_WRONG_STATE;
		*uploaded = strtoull(PQgetvalue(res, 0, 2), NULL, 10);
		snprintf(owner, ownerlen, "%s", PQgetvalue(res, 0, 3));
	}
	PQclear(res);
	return rc;
}

int jobs_upload_recount(struct db *db, const char *id)
{
	const char *v[1] = {id};

	return db_exec(db, &stmt_job_upload_recount, v);
}

int jobs_expire_uploads(struct db *db)
{
	char sources[128];
	const char *v[1] = {sources};
	PGresult *res;
	int n;

	job_state_sources(JOB_EXPIRED, sources, sizeof(sources));
	if ((res = db_run(db, &stmt_job_expire, v, NULL, NULL, 0)) == NULL)
		return -1;
	n = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	return n;
}
