/*
 * lifecycle.c - the named transitions (see lifecycle.h).
 *
 * Every statement here that moves a job gets the move's source states and
 * its target as parameters, from jobstate.c: none spells a state.  Locks
 * are taken session row first, then job rows, in every transition, so two
 * transitions never wait for each other in a circle.  Janitor work is done
 * one job or session per transaction, with SKIP LOCKED: a job an upload or
 * a sender holds right now is left for the next run instead of waited for.
 */
#include "lifecycle.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "jobstate.h"
#include "keyuse.h"
#include "log.h"
#include "sessions.h"

#define JANITOR_BATCH   1000 /* jobs or sessions per janitor run and kind */
#define TRACKING_ID_MAX 128

static const char *const result_text[LC__MAX] = {
    [LC_OK] = "ok",
    [LC_NOT_FOUND] = "no such job or session",
    [LC_WRONG_STATE] = "the job is not in a state that allows this",
    [LC_NOTHING_UPLOADED] = "no scanned file has arrived yet",
    [LC_EXPIRED] = "the upload link has expired",
    [LC_LEASE_LOST] = "the lease was taken over by another sender",
    [LC_DOCUMENT_GONE] = "the document was deleted",
    [LC_TOKEN_GONE] = "the RMail token of the job's session is gone",
    [LC_DB_ERROR] = "database error",
};

const char *lifecycle_strerror(enum lc_result rc)
{
	return (unsigned)rc < LC__MAX ? result_text[rc] : "unknown";
}

/* ---- statements ---------------------------------------------------------- */

static const struct db_stmt stmt_session_lock = {
    "lc_session_lock", "SELECT 1 FROM scanpost.sessions WHERE id = $1::uuid FOR UPDATE", 1};

/* The token outlives its session only while a job in a state that needs it
 * ($2) is left; the caller holds the session row (stmt_session_lock). */
static const struct db_stmt stmt_release_token = {
    "lc_release_token",
    "UPDATE scanpost.sessions s SET token_kid = NULL, token_sealed = NULL"
    " WHERE s.id = $1::uuid AND s.ended_at IS NOT NULL AND s.token_kid IS NOT NULL"
    " AND NOT EXISTS (SELECT 1 FROM scanpost.jobs j WHERE j.session_id = s.id"
    "  AND j.state = ANY ($2::text[]))"
    " RETURNING s.rmail_user",
    2};

/* The deletion rule, the only DELETE of ciphertext (DESIGN 3.6, 3.7). */
static const struct db_stmt stmt_destroy_document = {
    "lc_destroy_document",
    "WITH c AS (DELETE FROM scanpost.document_chunks WHERE job_id = $1::uuid RETURNING 1),"
    " k AS (UPDATE scanpost.job_files SET dek_kid = NULL, dek_wrapped = NULL,"
    "   nonce_prefix = NULL WHERE job_id = $1::uuid AND dek_kid IS NOT NULL RETURNING 1),"
    " j AS (UPDATE scanpost.jobs SET document_deleted_at = coalesce(document_deleted_at, now())"
    "   WHERE id = $1::uuid RETURNING 1)"
    " SELECT (SELECT count(*) FROM k), (SELECT count(*) FROM c), (SELECT count(*) FROM j)",
    1};

static const struct db_stmt stmt_job_session = {
    "lc_job_session",
    "SELECT session_id FROM scanpost.jobs WHERE id = $1::uuid AND ($2::text IS NULL OR owner = $2)",
    2};

/* What a refused move found: the job's state and whether files arrived. */
static const struct db_stmt stmt_job_probe = {
    "lc_job_probe",
    "SELECT j.state, EXISTS (SELECT 1 FROM scanpost.job_files f WHERE f.job_id = j.id)"
    " FROM scanpost.jobs j WHERE j.id = $1::uuid AND j.owner = $2",
    2};

static const struct db_stmt stmt_submit = {
    "lc_submit",
    "UPDATE scanpost.jobs j SET state = $3, submitted_at = now(), updated_at = now(),"
    " next_attempt_at = now(), upload_token_hash = NULL"
    " WHERE j.id = $1::uuid AND j.owner = $2 AND j.state = ANY ($4::text[])"
    " AND EXISTS (SELECT 1 FROM scanpost.job_files f WHERE f.job_id = j.id)"
    " RETURNING j.session_id",
    4};

static const struct db_stmt stmt_notify = {
    "lc_notify", "SELECT pg_notify('" LIFECYCLE_NOTIFY_CHANNEL "', $1)", 1};

static const struct db_stmt stmt_cancel = {
    "lc_cancel",
    "UPDATE scanpost.jobs SET state = $3, updated_at = now(), upload_token_hash = NULL"
    " WHERE id = $1::uuid AND owner = $2 AND state = ANY ($4::text[]) RETURNING session_id",
    4};

/* clock_timestamp(), not now(): now() is when the transaction began, and
 * an upload's transaction begins before its body arrives. */
static const struct db_stmt stmt_upload_lock = {
    "lc_upload_lock",
    "SELECT state, upload_expires_at > clock_timestamp(), uploaded_bytes, owner"
    " FROM scanpost.jobs WHERE id = $1::uuid AND upload_token_hash = $2 FOR UPDATE",
    2};

static const struct db_stmt stmt_upload_fresh = {
    "lc_upload_fresh",
    "SELECT upload_expires_at > clock_timestamp() FROM scanpost.jobs WHERE id = $1::uuid", 1};

static const struct db_stmt stmt_session_close = {
    "lc_session_close",
    "UPDATE scanpost.sessions SET ended_at = now(), end_reason = $2"
    " WHERE id = $1::uuid AND ended_at IS NULL RETURNING rmail_user",
    2};

/* Uploads that never reached the queue die with their session. */
static const struct db_stmt stmt_session_uploads = {
    "lc_session_uploads",
    "UPDATE scanpost.jobs SET state = $2, updated_at = now(), upload_token_hash = NULL"
    " WHERE session_id = $1::uuid AND state = ANY ($3::text[]) RETURNING id, owner",
    3};

static const struct db_stmt stmt_session_expire_one = {
    "lc_session_expire_one",
    "WITH e AS (SELECT id FROM scanpost.sessions WHERE ended_at IS NULL AND (expires_at <= now()"
    "   OR last_seen_at <= now() - make_interval(secs => $1::bigint))"
    "   ORDER BY last_seen_at FOR UPDATE SKIP LOCKED LIMIT 1)"
    " UPDATE scanpost.sessions s SET ended_at = now(),"
    "   end_reason = CASE WHEN s.expires_at <= now() THEN 'lifetime' ELSE 'idle' END"
    " FROM e WHERE s.id = e.id RETURNING s.id, s.rmail_user, s.end_reason",
    1};

static const struct db_stmt stmt_stale_tokens = {
    "lc_stale_tokens",
    "SELECT s.id FROM scanpost.sessions s WHERE s.ended_at IS NOT NULL"
    " AND s.token_kid IS NOT NULL AND NOT EXISTS (SELECT 1 FROM scanpost.jobs j"
    "  WHERE j.session_id = s.id AND j.state = ANY ($1::text[])) LIMIT 100",
    1};

static const struct db_stmt stmt_claim = {
    "lc_claim",
    "WITH c AS (SELECT id FROM scanpost.jobs WHERE state = ANY ($3::text[])"
    "   AND next_attempt_at <= now() ORDER BY next_attempt_at"
    "   FOR UPDATE SKIP LOCKED LIMIT 1)"
    " UPDATE scanpost.jobs j SET state = $4, lease_owner = $1,"
    "   lease_until = now() + make_interval(secs => $2::bigint),"
    "   attempts = j.attempts + 1, updated_at = now()"
    " FROM c WHERE j.id = c.id"
    " RETURNING j.id, j.session_id, j.owner, j.attempts, j.max_attempts,"
    "   extract(epoch FROM coalesce(j.submitted_at, j.created_at))::bigint,"
    "   json_build_object('to', j.to_addrs, 'cc', j.cc_addrs, 'bcc', j.bcc_addrs,"
    "     'subject', j.subject, 'body', j.body,"
    "     'registered', j.settings -> 'registered', 'scan', j.settings -> 'scan')",
    4};

/* A lease belongs to the state a claim leads to ($4). */
static const struct db_stmt stmt_renew = {
    "lc_renew",
    "UPDATE scanpost.jobs SET lease_until = now() + make_interval(secs => $3::bigint)"
    " WHERE id = $1::uuid AND state = $4 AND lease_owner = $2",
    4};

static const struct db_stmt stmt_mark_sent = {
    "lc_mark_sent",
    "UPDATE scanpost.jobs SET state = $5, tracking_id = $3, large_mail = $4::boolean,"
    " sent_at = now(), updated_at = now(),"
    " lease_owner = NULL, lease_until = NULL, last_error_code = NULL, last_error = NULL"
    " WHERE id = $1::uuid AND state = ANY ($6::text[]) AND lease_owner = $2",
    6};

static const struct db_stmt stmt_retry = {
    "lc_retry",
    "UPDATE scanpost.jobs SET state = $3,"
    " next_attempt_at = now() + make_interval(secs => $4::double precision),"
    " last_error_code = $5, last_error = $6, lease_owner = NULL, lease_until = NULL,"
    " updated_at = now()"
    " WHERE id = $1::uuid AND state = ANY ($7::text[]) AND lease_owner = $2",
    7};

static const struct db_stmt stmt_fail = {
    "lc_fail",
    "UPDATE scanpost.jobs SET state = $3, last_error_code = $4, last_error = $5,"
    " lease_owner = NULL, lease_until = NULL, updated_at = now()"
    " WHERE id = $1::uuid AND state = ANY ($6::text[]) AND lease_owner = $2",
    6};

static const struct db_stmt stmt_rescue = {
    "lc_rescue",
    "WITH r AS (SELECT id, lease_owner FROM scanpost.jobs WHERE state = ANY ($1::text[])"
    "   AND lease_until < now() FOR UPDATE SKIP LOCKED)"
    " UPDATE scanpost.jobs j SET state = $2, lease_owner = NULL, lease_until = NULL,"
    "   next_attempt_at = now(), updated_at = now()"
    " FROM r WHERE j.id = r.id RETURNING j.id, j.owner, j.session_id, r.lease_owner",
    2};

static const struct db_stmt stmt_expire_one = {
    "lc_expire_one",
    "WITH e AS (SELECT id FROM scanpost.jobs WHERE state = ANY ($1::text[])"
    "   AND upload_expires_at <= now() ORDER BY upload_expires_at"
    "   FOR UPDATE SKIP LOCKED LIMIT 1)"
    " UPDATE scanpost.jobs j SET state = $2, updated_at = now(), upload_token_hash = NULL,"
    "   last_error_code = 'upload_expired',"
    "   last_error = 'The scan did not arrive before the upload link expired.'"
    " FROM e WHERE j.id = e.id RETURNING j.id, j.owner, j.session_id",
    2};

static const struct db_stmt stmt_purge_document_one = {
    "lc_purge_document_one",
    "SELECT id, owner, session_id FROM scanpost.jobs WHERE state = ANY ($1::text[])"
    " AND document_deleted_at IS NULL"
    " AND updated_at < now() - make_interval(secs => $2::bigint)"
    " ORDER BY updated_at FOR UPDATE SKIP LOCKED LIMIT 1",
    2};

/* The job, whether its document is still whole, and whether the sender
 * will still find the RMail token it needs; the job row stays locked. */
static const struct db_stmt stmt_requeue_check = {
    "lc_requeue_check",
    "SELECT j.state,"
    " (SELECT count(*) FROM scanpost.job_files f WHERE f.job_id = j.id),"
    " (SELECT count(*) FROM scanpost.job_files f WHERE f.job_id = j.id"
    "  AND f.dek_kid IS NOT NULL),"
    " s.token_kid IS NOT NULL, coalesce(s.token_expires_at < now(), false), j.owner"
    " FROM scanpost.jobs j JOIN scanpost.sessions s ON s.id = j.session_id"
    " WHERE j.id = $1::uuid FOR UPDATE OF j",
    1};

static const struct db_stmt stmt_requeue = {
    "lc_requeue",
    "UPDATE scanpost.jobs SET state = $2, attempts = 0, next_attempt_at = now(),"
    " lease_owner = NULL, lease_until = NULL, updated_at = now()"
    " WHERE id = $1::uuid AND state = ANY ($3::text[])",
    3};

static const struct db_stmt stmt_purge_count = {
    "lc_purge_count",
    "SELECT count(*) FROM scanpost.jobs"
    " WHERE state = $1 AND updated_at < now() - make_interval(days => $2::integer)",
    2};

static const struct db_stmt stmt_purge_select = {
    "lc_purge_select",
    "SELECT id, owner, session_id FROM scanpost.jobs"
    " WHERE state = $1 AND updated_at < now() - make_interval(days => $2::integer)"
    " FOR UPDATE",
    2};

/* job_files and what is left of document_chunks go with it (ON DELETE CASCADE). */
static const struct db_stmt stmt_purge_delete = {
    "lc_purge_delete", "DELETE FROM scanpost.jobs WHERE id = $1::uuid", 1};

/* ---- helpers ------------------------------------------------------------- */

/* A move's parameters from the state table. */
struct move_params {
	char sources[JOB_STATE_LIST_LEN];
	const char *target;
};

static void move_params(enum job_move m, struct move_params *p)
{
	job_move_sources(m, p->sources, sizeof(p->sources));
	p->target = job_state_name(job_move_target(m));
}

static enum lc_result rollback(struct db *db, enum lc_result rc)
{
	db_rollback(db);
	return rc;
}

static struct json_object *detail_new(const char *key, const char *value)
{
	struct json_object *d = json_object_new_object();

	if (key && value)
		json_object_object_add(d, key, json_object_new_string(value));
	return d;
}

static void detail_int(struct json_object *d, const char *key, long long v)
{
	json_object_object_add(d, key, json_object_new_int64(v));
}

/* Writes event with detail (consumed). */
static int audit(struct db *db, const char *event, const char *actor, const char *session_id,
                 const char *job_id, const char *request_id, struct json_object *detail)
{
	int rc = audit_record_json(db, event, actor, session_id, job_id, request_id, detail);

	json_object_put(detail);
	return rc;
}

static int rows_of(struct db *db, const struct db_stmt *st, const char *const *v, PGresult **res)
{
	if ((*res = db_run(db, st, v, NULL, NULL, 0)) == NULL)
		return -1;
	return PQntuples(*res) > 0 ? PQntuples(*res) : atoi(PQcmdTuples(*res));
}

static int lock_session(struct db *db, const char *session_id)
{
	const char *v[1] = {session_id};

	return db_exec(db, &stmt_session_lock, v);
}

/* release token, inside the caller's transaction (session row locked
 * first).  0 (released or still needed) or -1. */
static int release_token(struct db *db, const char *session_id, const char *reason,
                         const char *request_id)
{
	char needs[JOB_STATE_LIST_LEN];
	const char *v[2] = {session_id, needs};
	PGresult *res;
	int rc = 0;

	job_state_list(JOB_FLAG_NEEDS_TOKEN, needs, sizeof(needs));
	if (lock_session(db, session_id) != 0 ||
	    (res = db_run(db, &stmt_release_token, v, NULL, NULL, 0)) == NULL)
		return -1;
	if (PQntuples(res) == 1)
		rc = audit(db, "token_released", PQgetvalue(res, 0, 0), session_id, NULL,
		           request_id, detail_new("reason", reason));
	PQclear(res);
	return rc;
}

/* destroy document, inside the caller's transaction: the job's chunks and
 * wrapped keys go, the deletion is stamped, and one `document_deleted` row
 * is written when there was anything to delete.  0 or -1. */
static int destroy_document(struct db *db, const char *job_id, const char *actor,
                            const char *session_id, const char *request_id, const char *reason)
{
	const char *v[1] = {job_id};
	PGresult *res = db_run(db, &stmt_destroy_document, v, NULL, NULL, 0);
	long keys, chunks;
	struct json_object *d;

	if (res == NULL)
		return -1;
	keys = atol(PQgetvalue(res, 0, 0));
	chunks = atol(PQgetvalue(res, 0, 1));
	PQclear(res);
	if (keys == 0 && chunks == 0)
		return 0;
	d = detail_new("reason", reason);
	detail_int(d, "files", keys);
	detail_int(d, "chunks", chunks);
	return audit(db, "document_deleted", actor, session_id, job_id, request_id, d);
}

/* Why a move of a person's job found no row. */
static enum lc_result refused(struct db *db, const char *job_id, const char *owner, enum job_move m)
{
	const char *v[2] = {job_id, owner};
	PGresult *res = db_run(db, &stmt_job_probe, v, NULL, NULL, 0);
	enum lc_result rc = LC_NOT_FOUND;
	enum job_state s;

	if (res == NULL)
		return LC_DB_ERROR;
	if (PQntuples(res) == 1) {
		rc = LC_WRONG_STATE;
		if (job_state_parse(PQgetvalue(res, 0, 0), &s) == 0 && job_move_starts_from(m, s) &&
		    PQgetvalue(res, 0, 1)[0] == 'f')
			rc = LC_NOTHING_UPLOADED;
	}
	PQclear(res);
	return rc;
}

/* The session of a job (of owner, unless NULL), before any lock is taken.
 * 0 found, 1 not, -1. */
static int job_session(struct db *db, const char *job_id, const char *owner, char *out, size_t len)
{
	const char *v[2] = {job_id, owner};
	PGresult *res = db_run(db, &stmt_job_session, v, NULL, NULL, 0);
	int rc = 1;

	if (res == NULL)
		return -1;
	if (PQntuples(res) == 1) {
		snprintf(out, len, "%s", PQgetvalue(res, 0, 0));
		rc = 0;
	}
	PQclear(res);
	return rc;
}

/* RMail's TrackingId as stored: printable ASCII only, bounded.  It is
 * outside data; a byte PostgreSQL's UTF-8 would refuse must never roll
 * back the record of a job RMail already has. */
static void tracking_id_clean(const char *in, char *out, size_t len)
{
	size_t i;

	for (i = 0; in[i] && i + 1 < len && i < TRACKING_ID_MAX; i++)
		out[i] = (in[i] >= 0x20 && in[i] < 0x7f) ? in[i] : '?';
	out[i] = '\0';
}

/* ---- the person's side --------------------------------------------------- */

enum lc_result lifecycle_session_start(struct db *db, struct keycache *token_keys,
                                       const struct lc_session_start *s, const char *request_id,
                                       char session_id[UUID_STR_LEN])
{
	const struct keyring *kr;
	uint8_t id_bin[16], *sealed = NULL;
	size_t sealed_len = 0;
	char kid[SP_KID_MAX + 1];
	int rc;

	if (uuid_random(id_bin, session_id) != 0 || db_begin(db) != 0)
		return LC_DB_ERROR;
	/* The token's KEK is held until COMMIT: retire cannot destroy it
	 * between the seal and the row becoming visible (keyuse.h). */
	if ((kr = keyuse_hold_primary(db, "token", token_keys)) == NULL)
		return rollback(db, LC_DB_ERROR);
	rc = session_token_seal(kr, session_id, s->token, &sealed, &sealed_len, kid);
	if (rc != SP_CRYPTO_OK) {
		sp_log(LOG_ERROR, "token_seal_failed", "error", sp_crypto_strerror(rc), NULL);
		return rollback(db, LC_DB_ERROR);
	}
	struct session_new n = {
	    .id = session_id,
	    .secret_hash = s->secret_hash,
	    .user = s->user,
	    .token_kid = kid,
	    .token_sealed = sealed,
	    .token_sealed_len = sealed_len,
	    .token_expires_in = s->token_expires_in,
	    .max_lifetime = s->max_lifetime,
	};
	rc = sessions_create(db, &n) == 0 &&
	     audit(db, "signin_ok", s->user, session_id, NULL, request_id,
	           s->via_sso ? detail_new("via", "sso") : NULL) == 0 &&
	     db_commit(db) == 0;
	free(sealed);
	return rc ? LC_OK : rollback(db, LC_DB_ERROR);
}

/* The uploads of an ending session that never reached the queue are
 * canceled; its token goes unless a queued or sending job needs it. */
static int session_end_tail(struct db *db, const char *session_id, const char *user,
                            const char *reason, const char *request_id)
{
	char sources[JOB_STATE_LIST_LEN];
	const char *v[3] = {session_id, job_state_name(job_move_target(JOB_MOVE_CANCEL)), sources};
	PGresult *res;
	int n, rc = 0;

	job_move_sources_except(JOB_MOVE_CANCEL, JOB_FLAG_NEEDS_TOKEN, sources, sizeof(sources));
	if ((n = rows_of(db, &stmt_session_uploads, v, &res)) < 0)
		return -1;
	for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
		const char *job = PQgetvalue(res, i, 0), *owner = PQgetvalue(res, i, 1);

		rc = destroy_document(db, job, owner, session_id, request_id, "session_ended");
		if (rc == 0)
			rc = audit(db, job_move_audit_event(JOB_MOVE_CANCEL), owner, session_id,
			           job, request_id, detail_new("reason", "session_ended"));
	}
	PQclear(res);
	if (rc == 0)
		rc = release_token(db, session_id, "session_ended", request_id);
	if (rc == 0) {
		int by_person = strcmp(reason, "signout") == 0 || strcmp(reason, "exit") == 0;

		rc = audit(db, by_person ? "signout" : "session_ended", user, session_id, NULL,
		           request_id, detail_new("reason", reason));
	}
	return rc;
}

enum lc_result lifecycle_session_end(struct db *db, const char *session_id, const char *reason,
                                     const struct lc_who *who)
{
	const char *v[2] = {session_id, reason};
	char user[256];
	PGresult *res;
	int n;

	if (db_begin(db) != 0)
		return LC_DB_ERROR;
	if ((n = rows_of(db, &stmt_session_close, v, &res)) < 0)
		return rollback(db, LC_DB_ERROR);
	snprintf(user, sizeof(user), "%s", n > 0 ? PQgetvalue(res, 0, 0) : "");
	PQclear(res);
	if (n == 0)
		return rollback(db, LC_NOT_FOUND);
	if (session_end_tail(db, session_id, user, reason, who ? who->request_id : NULL) != 0 ||
	    db_commit(db) != 0)
		return rollback(db, LC_DB_ERROR);
	return LC_OK;
}

enum lc_result lifecycle_job_create(struct db *db, const struct job_new *j,
                                    const struct lc_who *who, char *expires_at, size_t len)
{
	if (db_begin(db) != 0)
		return LC_DB_ERROR;
	if (jobs_insert(db, j, expires_at, len) != 0 ||
	    audit(db, "job_created", who->actor, who->session_id, j->id, who->request_id, NULL) !=
	        0 ||
	    db_commit(db) != 0)
		return rollback(db, LC_DB_ERROR);
	return LC_OK;
}

enum lc_result lifecycle_job_submit(struct db *db, const char *job_id, const char *owner,
                                    const struct lc_who *who)
{
	struct move_params p;
	const char *v[4] = {job_id, owner, NULL, p.sources};
	const char *n[1] = {job_id};
	PGresult *res;
	int moved;

	move_params(JOB_MOVE_SUBMIT, &p);
	v[2] = p.target;
	if (db_begin(db) != 0)
		return LC_DB_ERROR;
	if ((moved = rows_of(db, &stmt_submit, v, &res)) < 0)
		return rollback(db, LC_DB_ERROR);
	PQclear(res);
	if (moved == 0) {
		db_rollback(db);
		return refused(db, job_id, owner, JOB_MOVE_SUBMIT);
	}
	/* NOTIFY is delivered at commit: a sender never wakes for a job it
	 * cannot see yet. */
	if (db_exec(db, &stmt_notify, n) != 0 ||
	    audit(db, job_move_audit_event(JOB_MOVE_SUBMIT), who->actor, who->session_id, job_id,
	          who->request_id, NULL) != 0 ||
	    db_commit(db) != 0)
		return rollback(db, LC_DB_ERROR);
	return LC_OK;
}

enum lc_result lifecycle_job_cancel(struct db *db, const char *job_id, const char *owner,
                                    const struct lc_who *who)
{
	struct move_params p;
	char session_id[UUID_STR_LEN];
	const char *v[4] = {job_id, owner, NULL, p.sources};
	PGresult *res;
	int rc, moved;

	move_params(JOB_MOVE_CANCEL, &p);
	v[2] = p.target;
	if ((rc = job_session(db, job_id, owner, session_id, sizeof(session_id))) != 0)
		return rc < 0 ? LC_DB_ERROR : LC_NOT_FOUND;
	if (db_begin(db) != 0 || lock_session(db, session_id) != 0)
		return rollback(db, LC_DB_ERROR);
	if ((moved = rows_of(db, &stmt_cancel, v, &res)) < 0)
		return rollback(db, LC_DB_ERROR);
	PQclear(res);
	if (moved == 0) {
		db_rollback(db);
		rc = refused(db, job_id, owner, JOB_MOVE_CANCEL);
		return rc == LC_NOTHING_UPLOADED ? LC_WRONG_STATE : (enum lc_result)rc;
	}
	if (destroy_document(db, job_id, owner, session_id, who->request_id, "canceled") != 0 ||
	    release_token(db, session_id, "job_canceled", who->request_id) != 0 ||
	    audit(db, job_move_audit_event(JOB_MOVE_CANCEL), who->actor, who->session_id, job_id,
	          who->request_id, detail_new("document", "deleted")) != 0 ||
	    db_commit(db) != 0)
		return rollback(db, LC_DB_ERROR);
	return LC_OK;
}

enum lc_result lifecycle_upload_begin(struct db *db, const char *job_id,
                                      const uint8_t token_hash[32], uint64_t *stored, char *owner,
                                      size_t ownerlen)
{
	const char *v[2] = {job_id, (const char *)token_hash};
	int lens[2] = {0, 32}, fmts[2] = {0, 1};
	enum lc_result rc = LC_NOT_FOUND;
	enum job_state s;
	PGresult *res;

	if (db_begin(db) != 0)
		return LC_DB_ERROR;
	if ((res = db_run(db, &stmt_upload_lock, v, lens, fmts, 0)) == NULL)
		return rollback(db, LC_DB_ERROR);
	if (PQntuples(res) == 1) {
		/* Files arrive while the job can still be submitted. */
		int open = job_state_parse(PQgetvalue(res, 0, 0), &s) == 0 &&
		           job_move_starts_from(JOB_MOVE_SUBMIT, s);
		int fresh = PQgetvalue(res, 0, 1)[0] == 't';

		rc = !open ? LC_WRONG_STATE : !fresh ? LC_EXPIRED : LC_OK;
		*stored = strtoull(PQgetvalue(res, 0, 2), NULL, 10);
		snprintf(owner, ownerlen, "%s", PQgetvalue(res, 0, 3));
	}
	PQclear(res);
	return rc == LC_OK ? LC_OK : rollback(db, rc);
}

enum lc_result lifecycle_upload_commit(struct db *db, const char *job_id, const char *owner,
                                       int files, uint64_t bytes, const char *request_id)
{
	const char *v[1] = {job_id};
	PGresult *res;
	int fresh;

	/* DESIGN 3.6: what outlived its link is not kept, however it began. */
	if ((res = db_run(db, &stmt_upload_fresh, v, NULL, NULL, 0)) == NULL)
		return rollback(db, LC_DB_ERROR);
	fresh = PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	if (!fresh)
		return rollback(db, LC_EXPIRED);
	if (jobs_upload_recount(db, job_id) != 0)
		return rollback(db, LC_DB_ERROR);
	if (files > 0) {
		struct json_object *d = json_object_new_object();

		detail_int(d, "files", files);
		detail_int(d, "bytes", (long long)bytes);
		if (audit(db, "uploaded", owner, NULL, job_id, request_id, d) != 0)
			return rollback(db, LC_DB_ERROR);
	}
	return db_commit(db) == 0 ? LC_OK : rollback(db, LC_DB_ERROR);
}

void lifecycle_upload_abort(struct db *db)
{
	db_rollback(db);
}

/* ---- the sender's side --------------------------------------------------- */

enum lc_result lifecycle_claim(struct db *db, const char *lease_owner, long lease_seconds,
                               struct queued_job *j)
{
	struct move_params p;
	char lease[24];
	const char *v[4] = {lease_owner, lease, p.sources, NULL};
	struct json_object *d;
	PGresult *res;
	int n;

	memset(j, 0, sizeof(*j));
	move_params(JOB_MOVE_CLAIM, &p);
	v[3] = p.target;
	snprintf(lease, sizeof(lease), "%ld", lease_seconds);
	if (db_begin(db) != 0)
		return LC_DB_ERROR;
	if ((n = rows_of(db, &stmt_claim, v, &res)) < 0)
		return rollback(db, LC_DB_ERROR);
	if (n == 0) {
		PQclear(res);
		return rollback(db, LC_NOT_FOUND);
	}
	snprintf(j->id, sizeof(j->id), "%s", PQgetvalue(res, 0, 0));
	snprintf(j->session_id, sizeof(j->session_id), "%s", PQgetvalue(res, 0, 1));
	snprintf(j->owner, sizeof(j->owner), "%s", PQgetvalue(res, 0, 2));
	j->attempts = atoi(PQgetvalue(res, 0, 3));
	j->max_attempts = atoi(PQgetvalue(res, 0, 4));
	j->first_try_epoch = atol(PQgetvalue(res, 0, 5));
	j->spec_json = strdup(PQgetvalue(res, 0, 6));
	PQclear(res);
	if (j->spec_json == NULL || uuid_parse(j->id, j->id_bin) != 0) {
		queued_job_free(j);
		return rollback(db, LC_DB_ERROR);
	}
	d = detail_new("lease_owner", lease_owner);
	detail_int(d, "attempt", j->attempts);
	if (audit(db, job_move_audit_event(JOB_MOVE_CLAIM), j->owner, j->session_id, j->id, NULL,
	          d) != 0 ||
	    db_commit(db) != 0) {
		queued_job_free(j);
		return rollback(db, LC_DB_ERROR);
	}
	return LC_OK;
}

enum lc_result lifecycle_renew_lease(struct db *db, const struct queued_job *j,
                                     const char *lease_owner, long lease_seconds)
{
	char lease[24];
	const char *v[4] = {j->id, lease_owner, lease,
	                    job_state_name(job_move_target(JOB_MOVE_CLAIM))};
	PGresult *res;
	int n;

	snprintf(lease, sizeof(lease), "%ld", lease_seconds);
	if ((n = rows_of(db, &stmt_renew, v, &res)) < 0)
		return LC_DB_ERROR;
	PQclear(res);
	return n > 0 ? LC_OK : LC_LEASE_LOST;
}

enum lc_result lifecycle_mark_sent(struct db *db, const struct queued_job *j,
                                   const char *lease_owner, const char *tracking_id, int large_mail,
                                   const char *how)
{
	struct move_params p;
	char tid[TRACKING_ID_MAX + 1];
	const char *v[6] = {j->id, lease_owner, tid, large_mail ? "true" : "false",
	                    NULL,  p.sources};
	struct json_object *d;
	PGresult *res;
	int n;

	move_params(JOB_MOVE_MARK_SENT, &p);
	v[4] = p.target;
	tracking_id_clean(tracking_id, tid, sizeof(tid));
	if (db_begin(db) != 0 || lock_session(db, j->session_id) != 0)
		return rollback(db, LC_DB_ERROR);
	if ((n = rows_of(db, &stmt_mark_sent, v, &res)) < 0)
		return rollback(db, LC_DB_ERROR);
	PQclear(res);
	if (n == 0)
		return rollback(db, LC_LEASE_LOST);
	/* DESIGN 2, step 9: in the same transaction, the document and its key
	 * go, and the token too when nothing else needs it. */
	d = detail_new("tracking_id", tid);
	json_object_object_add(d, "how", json_object_new_string(how));
	detail_int(d, "attempt", j->attempts);
	if (audit(db, job_move_audit_event(JOB_MOVE_MARK_SENT), j->owner, j->session_id, j->id,
	          NULL, d) != 0 ||
	    destroy_document(db, j->id, j->owner, j->session_id, NULL, "sent") != 0 ||
	    release_token(db, j->session_id, "sent", NULL) != 0 || db_commit(db) != 0)
		return rollback(db, LC_DB_ERROR);
	return LC_OK;
}

enum lc_result lifecycle_retry(struct db *db, const struct queued_job *j, const char *lease_owner,
                               long delay_ms, const char *code, const char *message, int *failed)
{
	struct move_params p;
	char delay[32];
	const char *v[7] = {j->id, lease_owner, NULL, delay, code, message, p.sources};
	struct json_object *d;
	PGresult *res;
	int n;

	*failed = j->attempts >= j->max_attempts;
	if (*failed)
		return lifecycle_fail(db, j, lease_owner, code, message);
	move_params(JOB_MOVE_RETRY, &p);
	v[2] = p.target;
	snprintf(delay, sizeof(delay), "%ld.%03ld", delay_ms / 1000, delay_ms % 1000);
	if (db_begin(db) != 0)
		return LC_DB_ERROR;
	if ((n = rows_of(db, &stmt_retry, v, &res)) < 0)
		return rollback(db, LC_DB_ERROR);
	PQclear(res);
	if (n == 0)
		return rollback(db, LC_LEASE_LOST);
	d = detail_new("code", code);
	detail_int(d, "attempt", j->attempts);
	detail_int(d, "delay_ms", delay_ms);
	if (audit(db, job_move_audit_event(JOB_MOVE_RETRY), j->owner, j->session_id, j->id, NULL,
	          d) != 0 ||
	    db_commit(db) != 0)
		return rollback(db, LC_DB_ERROR);
	return LC_OK;
}

enum lc_result lifecycle_fail(struct db *db, const struct queued_job *j, const char *lease_owner,
                              const char *code, const char *message)
{
	struct move_params p;
	const char *v[6] = {j->id, lease_owner, NULL, code, message, p.sources};
	struct json_object *d;
	PGresult *res;
	int n;

	move_params(JOB_MOVE_FAIL, &p);
	v[2] = p.target;
	if (db_begin(db) != 0 || lock_session(db, j->session_id) != 0)
		return rollback(db, LC_DB_ERROR);
	if ((n = rows_of(db, &stmt_fail, v, &res)) < 0)
		return rollback(db, LC_DB_ERROR);
	PQclear(res);
	if (n == 0)
		return rollback(db, LC_LEASE_LOST);
	d = detail_new("code", code);
	detail_int(d, "attempt", j->attempts);
	if (release_token(db, j->session_id, "failed", NULL) != 0 ||
	    audit(db, job_move_audit_event(JOB_MOVE_FAIL), j->owner, j->session_id, j->id, NULL,
	          d) != 0 ||
	    db_commit(db) != 0)
		return rollback(db, LC_DB_ERROR);
	return LC_OK;
}

/* ---- the janitor ----------------------------------------------------------- */

int lifecycle_rescue_leases(struct db *db)
{
	struct move_params p;
	const char *v[2] = {p.sources, NULL};
	PGresult *res;
	int n, rc = 0;

	move_params(JOB_MOVE_RESCUE, &p);
	v[1] = p.target;
	if (db_begin(db) != 0)
		return -1;
	if ((n = rows_of(db, &stmt_rescue, v, &res)) < 0) {
		db_rollback(db);
		return -1;
	}
	for (int i = 0; i < PQntuples(res) && rc == 0; i++)
		rc = audit(db, job_move_audit_event(JOB_MOVE_RESCUE), PQgetvalue(res, i, 1),
		           PQgetvalue(res, i, 2), PQgetvalue(res, i, 0), NULL,
		           detail_new("lease_owner", PQgetvalue(res, i, 3)));
	PQclear(res);
	if (rc != 0 || db_commit(db) != 0) {
		db_rollback(db);
		return -1;
	}
	return n;
}

int lifecycle_expire_uploads(struct db *db)
{
	struct move_params p;
	const char *v[2] = {p.sources, NULL};
	int done = 0;

	move_params(JOB_MOVE_EXPIRE, &p);
	v[1] = p.target;
	while (done < JANITOR_BATCH) {
		PGresult *res;
		int n, rc;

		if (db_begin(db) != 0)
			return -1;
		if ((n = rows_of(db, &stmt_expire_one, v, &res)) <= 0) {
			if (n == 0)
				PQclear(res);
			db_rollback(db);
			return n < 0 ? -1 : done;
		}
		rc = destroy_document(db, PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1),
		                      PQgetvalue(res, 0, 2), NULL, "expired") == 0 &&
		     audit(db, job_move_audit_event(JOB_MOVE_EXPIRE), PQgetvalue(res, 0, 1),
		           PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 0), NULL, NULL) == 0 &&
		     db_commit(db) == 0;
		PQclear(res);
		if (!rc) {
			db_rollback(db);
			return -1;
		}
		done++;
	}
	return done;
}

int lifecycle_expire_sessions(struct db *db, long idle_timeout)
{
	char idle[32], needs[JOB_STATE_LIST_LEN];
	const char *v[1] = {idle}, *t[1] = {needs};
	PGresult *res;
	int done = 0, n;

	snprintf(idle, sizeof(idle), "%ld", idle_timeout);
	while (done < JANITOR_BATCH) {
		char sid[UUID_STR_LEN], user[256], reason[16];

		if (db_begin(db) != 0)
			return -1;
		if ((n = rows_of(db, &stmt_session_expire_one, v, &res)) <= 0) {
			if (n == 0)
				PQclear(res);
			db_rollback(db);
			if (n < 0)
				return -1;
			break;
		}
		snprintf(sid, sizeof(sid), "%s", PQgetvalue(res, 0, 0));
		snprintf(user, sizeof(user), "%s", PQgetvalue(res, 0, 1));
		snprintf(reason, sizeof(reason), "%s", PQgetvalue(res, 0, 2));
		PQclear(res);
		if (session_end_tail(db, sid, user, reason, NULL) != 0 || db_commit(db) != 0) {
			db_rollback(db);
			return -1;
		}
		done++;
	}
	/* Tokens nobody needs any more, whichever way that came about. */
	job_state_list(JOB_FLAG_NEEDS_TOKEN, needs, sizeof(needs));
	if ((res = db_run(db, &stmt_stale_tokens, t, NULL, NULL, 0)) == NULL)
		return -1;
	for (int i = 0; i < PQntuples(res); i++) {
		if (db_begin(db) != 0 ||
		    release_token(db, PQgetvalue(res, i, 0), "session_over", NULL) != 0 ||
		    db_commit(db) != 0) {
			db_rollback(db);
			PQclear(res);
			return -1;
		}
	}
	PQclear(res);
	return done;
}

int lifecycle_purge_failed_documents(struct db *db, long retention)
{
	char states[JOB_STATE_LIST_LEN], r[24];
	const char *v[2] = {states, r};
	int done = 0;

	/* Only a failed job keeps its document once it left the queue. */
	snprintf(states, sizeof(states), "{%s}", job_state_name(job_move_target(JOB_MOVE_FAIL)));
	snprintf(r, sizeof(r), "%ld", retention);
	while (done < JANITOR_BATCH) {
		PGresult *res;
		int n, rc;

		if (db_begin(db) != 0)
			return -1;
		if ((n = rows_of(db, &stmt_purge_document_one, v, &res)) <= 0) {
			if (n == 0)
				PQclear(res);
			db_rollback(db);
			return n < 0 ? -1 : done;
		}
		rc = destroy_document(db, PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1),
		                      PQgetvalue(res, 0, 2), NULL, "failed_retention") == 0 &&
		     db_commit(db) == 0;
		PQclear(res);
		if (!rc) {
			db_rollback(db);
			return -1;
		}
		done++;
	}
	return done;
}

/* ---- the administrator ----------------------------------------------------- */

enum lc_result lifecycle_requeue(struct db *db, const char *job_id, const struct lc_who *who,
                                 char *state, size_t statelen, int *token_expired)
{
	struct move_params p;
	char session_id[UUID_STR_LEN], owner[256];
	const char *v[1] = {job_id}, *u[3] = {job_id, NULL, p.sources};
	const char *n[1] = {job_id};
	enum lc_result rc = LC_OK;
	enum job_state s;
	PGresult *res;
	int found;

	move_params(JOB_MOVE_REQUEUE, &p);
	u[1] = p.target;
	*token_expired = 0;
	state[0] = '\0';
	if ((found = job_session(db, job_id, NULL, session_id, sizeof(session_id))) != 0)
		return found < 0 ? LC_DB_ERROR : LC_NOT_FOUND;
	/* The session first: a session ending now must see this job queued,
	 * or this must see its token gone. */
	if (db_begin(db) != 0 || lock_session(db, session_id) != 0 ||
	    (res = db_run(db, &stmt_requeue_check, v, NULL, NULL, 0)) == NULL)
		return rollback(db, LC_DB_ERROR);
	if (PQntuples(res) != 1) {
		PQclear(res);
		return rollback(db, LC_NOT_FOUND);
	}
	snprintf(state, statelen, "%s", PQgetvalue(res, 0, 0));
	snprintf(owner, sizeof(owner), "%s", PQgetvalue(res, 0, 5));
	long files = atol(PQgetvalue(res, 0, 1)), docs = atol(PQgetvalue(res, 0, 2));

	if (job_state_parse(state, &s) != 0 || !job_move_starts_from(JOB_MOVE_REQUEUE, s))
		rc = LC_WRONG_STATE;
	else if (files == 0 || docs != files)
		rc = LC_DOCUMENT_GONE;
	else if (PQgetvalue(res, 0, 3)[0] != 't')
		rc = LC_TOKEN_GONE;
	*token_expired = PQgetvalue(res, 0, 4)[0] == 't';
	PQclear(res);
	if (rc != LC_OK)
		return rollback(db, rc);
	if (db_exec(db, &stmt_requeue, u) != 0 || db_exec(db, &stmt_notify, n) != 0 ||
	    audit(db, job_move_audit_event(JOB_MOVE_REQUEUE), who->actor, session_id, job_id,
	          who->request_id, detail_new("owner", owner)) != 0 ||
	    db_commit(db) != 0)
		return rollback(db, LC_DB_ERROR);
	return LC_OK;
}

enum lc_result lifecycle_purge_jobs(struct db *db, const char *state, long days, int dry_run,
                                    const struct lc_who *who, long *count)
{
	char d[24];
	const char *v[2] = {state, d};
	struct json_object *detail;
	enum job_state s;
	PGresult *res;
	int rc = 0;

	*count = 0;
	if (job_state_parse(state, &s) != 0 || !job_state_has(s, JOB_FLAG_FINISHED))
		return LC_WRONG_STATE;
	snprintf(d, sizeof(d), "%ld", days);
	if (dry_run) {
		if ((res = db_run(db, &stmt_purge_count, v, NULL, NULL, 0)) == NULL)
			return LC_DB_ERROR;
		*count = atol(PQgetvalue(res, 0, 0));
		PQclear(res);
		return LC_OK;
	}
	if (db_begin(db) != 0 || (res = db_run(db, &stmt_purge_select, v, NULL, NULL, 0)) == NULL)
		return rollback(db, LC_DB_ERROR);
	for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
		const char *id = PQgetvalue(res, i, 0), *del[1] = {id};

		/* A failed job may still keep its document: it goes the one way. */
		rc = destroy_document(db, id, PQgetvalue(res, i, 1), PQgetvalue(res, i, 2),
		                      who->request_id, "purged");
		if (rc == 0)
			rc = db_exec(db, &stmt_purge_delete, del);
	}
	*count = PQntuples(res);
	PQclear(res);
	detail = detail_new("state", state);
	detail_int(detail, "older_than_days", days);
	detail_int(detail, "deleted", *count);
	if (rc != 0 ||
	    audit(db, "jobs_purged", who->actor, NULL, NULL, who->request_id, detail) != 0 ||
	    db_commit(db) != 0) {
		*count = 0;
		return rollback(db, LC_DB_ERROR);
	}
	return LC_OK;
}
