/*
 * sessions.c - SQL of the sessions table.
 */
#include "sessions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct db_stmt stmt_session_insert = {
    "session_insert",
    "INSERT INTO scanpost.sessions (id, secret_hash, rmail_user, token_kid, token_sealed,"
    " token_expires_at, expires_at) VALUES ($1::uuid, $2, $3, $4, $5,"
    " now() + make_interval(secs => $6::bigint), now() + make_interval(secs => $7::bigint))",
    7};

static const struct db_stmt stmt_session_touch = {
    "session_touch",
    "UPDATE scanpost.sessions SET last_seen_at = now()"
    " WHERE secret_hash = $1 AND ended_at IS NULL AND expires_at > now()"
    " AND last_seen_at > now() - make_interval(secs => $2::bigint)"
    " RETURNING id, rmail_user",
    2};

static const struct db_stmt stmt_session_close = {
    "session_close",
    "UPDATE scanpost.sessions SET ended_at = now(), end_reason = $2"
    " WHERE id = $1::uuid AND ended_at IS NULL",
    2};

/* Uploads that never reached the queue die with their session. */
static const struct db_stmt stmt_session_cancel_uploads = {
    "session_cancel_uploads",
    "WITH c AS (UPDATE scanpost.jobs SET state = 'canceled', updated_at = now(),"
    "   document_deleted_at = now(), upload_token_hash = NULL"
    "   WHERE session_id = $1::uuid AND state = 'awaiting_scan' RETURNING id),"
    " d AS (DELETE FROM scanpost.document_chunks WHERE job_id IN (SELECT id FROM c)),"
    " k AS (UPDATE scanpost.job_files SET dek_kid = NULL, dek_wrapped = NULL,"
    "   nonce_prefix = NULL WHERE job_id IN (SELECT id FROM c))"
    " SELECT count(*) FROM c",
    1};

/* The token outlives its session only while an unsent job needs it. */
static const struct db_stmt stmt_session_drop_token = {
    "session_drop_token",
    "UPDATE scanpost.sessions s SET token_kid = NULL, token_sealed = NULL"
    " WHERE s.id = $1::uuid AND s.token_sealed IS NOT NULL AND NOT EXISTS"
    " (SELECT 1 FROM scanpost.jobs j WHERE j.session_id = s.id"
    "  AND j.state IN ('queued', 'sending'))",
    1};

/* Taken before deciding about the token.  Sign-out and a job leaving the
 * queue each look at the other's row: without this lock each could see the
 * other as not done yet (READ COMMITTED) and neither would delete the
 * token.  With it, whichever comes second waits, then sees the first. */
static const struct db_stmt stmt_session_lock = {
    "session_lock", "SELECT 1 FROM scanpost.sessions WHERE id = $1::uuid FOR UPDATE", 1};

/* Called when a job leaves the queue: only an ended session lets go. */
static const struct db_stmt stmt_session_release_token = {
    "session_release_token",
    "UPDATE scanpost.sessions s SET token_kid = NULL, token_sealed = NULL"
    " WHERE s.id = $1::uuid AND s.ended_at IS NOT NULL AND s.token_sealed IS NOT NULL"
    " AND NOT EXISTS (SELECT 1 FROM scanpost.jobs j WHERE j.session_id = s.id"
    "  AND j.state IN ('queued', 'sending'))",
    1};

static const struct db_stmt stmt_session_token = {
    "session_token",
    "SELECT token_kid, token_sealed FROM scanpost.sessions"
    " WHERE id = $1::uuid AND token_sealed IS NOT NULL",
    1};

static const struct db_stmt stmt_session_expire = {
    "session_expire",
    "WITH e AS (UPDATE scanpost.sessions SET ended_at = now(),"
    "   end_reason = CASE WHEN expires_at <= now() THEN 'lifetime' ELSE 'idle' END"
    "   WHERE ended_at IS NULL AND (expires_at <= now()"
    "   OR last_seen_at <= now() - make_interval(secs => $1::bigint)) RETURNING id),"
    " c AS (UPDATE scanpost.jobs SET state = 'canceled', updated_at = now(),"
    "   document_deleted_at = now(), upload_token_hash = NULL"
    "   WHERE session_id IN (SELECT id FROM e) AND state = 'awaiting_scan' RETURNING id),"
    " d AS (DELETE FROM scanpost.document_chunks WHERE job_id IN (SELECT id FROM c)),"
    " k AS (UPDATE scanpost.job_files SET dek_kid = NULL, dek_wrapped = NULL,"
    "   nonce_prefix = NULL WHERE job_id IN (SELECT id FROM c))"
    " SELECT count(*) FROM e",
    1};

static const struct db_stmt stmt_session_drop_stale_tokens = {
    "session_drop_stale_tokens",
    "UPDATE scanpost.sessions s SET token_kid = NULL, token_sealed = NULL"
    " WHERE s.ended_at IS NOT NULL AND s.token_sealed IS NOT NULL AND NOT EXISTS"
    " (SELECT 1 FROM scanpost.jobs j WHERE j.session_id = s.id"
    "  AND j.state IN ('queued', 'sending'))",
    0};

int sessions_create(struct db *db, const struct session_new *s)
{
	char tei[32], life[32];
	const char *v[7] = {s->id,        (const char *)s->secret_hash,  s->user,
	                    s->token_kid, (const char *)s->token_sealed, tei,
	                    life};
	int len[7] = {0, 32, 0, 0, (int)s->token_sealed_len, 0, 0};
	int fmt[7] = {0, 1, 0, 0, 1, 0, 0};
	PGresult *res;

	snprintf(tei, sizeof(tei), "%ld", s->token_expires_in);
	snprintf(life, sizeof(life), "%ld", s->max_lifetime);
	res = db_run(db, &stmt_session_insert, v, len, fmt, 0);
	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

int sessions_touch(struct db *db, const uint8_t secret_hash[32], long idle_timeout,
                   struct session *out)
{
	char idle[32];
	const char *v[2] = {(const char *)secret_hash, idle};
	int len[2] = {32, 0}, fmt[2] = {1, 0};
	PGresult *res;
	int rc = 1;

	snprintf(idle, sizeof(idle), "%ld", idle_timeout);
	if ((res = db_run(db, &stmt_session_touch, v, len, fmt, 0)) == NULL)
		return -1;
	if (PQntuples(res) == 1) {
		snprintf(out->id, sizeof(out->id), "%s", PQgetvalue(res, 0, 0));
		snprintf(out->user, sizeof(out->user), "%s", PQgetvalue(res, 0, 1));
		rc = 0;
	}
	PQclear(res);
	return rc;
}

int sessions_end(struct db *db, const char *id, const char *reason)
{
	const char *v[2] = {id, reason};
	PGresult *res;
	int closed;

	if (db_begin(db) != 0)
		return -1;
	if ((res = db_run(db, &stmt_session_close, v, NULL, NULL, 0)) == NULL)
		goto fail;
	closed = atoi(PQcmdTuples(res));
	PQclear(res);
	if (closed == 0) {
		db_rollback(db);
		return 1;
	}
	if (db_exec(db, &stmt_session_cancel_uploads, v) != 0 ||
	    db_exec(db, &stmt_session_drop_token, v) != 0 || db_commit(db) != 0)
		goto fail;
	return 0;
fail:
	db_rollback(db);
	return -1;
}

int sessions_release_token(struct db *db, const char *id)
{
	const char *v[1] = {id};

	if (db_exec(db, &stmt_session_lock, v) != 0)
		return -1;
	return db_exec(db, &stmt_session_release_token, v);
}

int sessions_token(struct db *db, const char *id, char *kid, size_t kidlen, uint8_t **sealed,
                   size_t *sealed_len)
{
	const char *v[1] = {id};
	PGresult *res;
	int rc = 1;

	*sealed = NULL;
	if ((res = db_run(db, &stmt_session_token, v, NULL, NULL, 1)) == NULL)
		return -1;
	if (PQntuples(res) == 1) {
		int n = PQgetlength(res, 0, 1);
		snprintf(kid, kidlen, "%.*s", PQgetlength(res, 0, 0), PQgetvalue(res, 0, 0));
		if ((*sealed = malloc((size_t)n)) == NULL) {
			rc = -1;
		} else {
			memcpy(*sealed, PQgetvalue(res, 0, 1), (size_t)n);
			*sealed_len = (size_t)n;
			rc = 0;
		}
	}
	PQclear(res);
	return rc;
}

int sessions_expire(struct db *db, long idle_timeout)
{
	char idle[32];
	const char *v[1] = {idle};
	PGresult *res;
	int n;

	snprintf(idle, sizeof(idle), "%ld", idle_timeout);
	if (db_begin(db) != 0)
		return -1;
	if ((res = db_run(db, &stmt_session_expire, v, NULL, NULL, 0)) == NULL)
		goto fail;
	n = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	if (db_exec(db, &stmt_session_drop_stale_tokens, NULL) != 0 || db_commit(db) != 0)
		goto fail;
	return n;
fail:
	db_rollback(db);
	return -1;
}
