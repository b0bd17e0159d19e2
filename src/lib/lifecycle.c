/*
 * lifecycle.c - the rules every transition shares (destroying a document,
 * releasing a token, the audit row) and the person's transitions; the
 * sender's, the janitor's and the administrator's are lifecycle_queue.c's
 * (see lifecycle.h).
 *
 * Every statement here that moves a job gets the move's source states and
 * its target as parameters, from jobstate.c: none spells a state.  Locks
 * are taken session row first, then job rows, in every transition, so two
 * transitions never wait for each other in a circle.
 */
#include "lifecycle.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "filingstore.h"
#include "jobstate.h"
#include "keyuse.h"
#include "lifecycle_priv.h"
#include "log.h"
#include "sessions.h"

static const char *const result_text[LC__MAX] = {
    [LC_OK] = "ok",
    [LC_NOT_FOUND] = "no such job or session",
    [LC_WRONG_STATE] = "the job is not in a state that allows this",
    [LC_NOTHING_UPLOADED] = "no scanned file has arrived yet",
    [LC_SCAN_INCOMPLETE] = "the device's job log has not arrived yet",
    [LC_EXPIRED] = "the upload link has expired",
    [LC_LEASE_LOST] = "the lease was taken over by another sender",
    [LC_DOCUMENT_GONE] = "the document was deleted",
    [LC_TOKEN_GONE] = "the RMail token of the job's session is gone",
    [LC_BUSY] = "another upload to this link is in progress",
    [LC_TOO_MANY_JOBS] = "the owner has as many unfinished jobs as allowed",
    [LC_DB_ERROR] = "database error",
    [LC_EXPORT_FAILED] = "the audit events could not be written out; none was deleted",
};

const char *lifecycle_strerror(enum lc_result rc)
{
	return (unsigned)rc < LC__MAX ? result_text[rc] : "unknown";
}

/* ---- statements ---------------------------------------------------------- */

static const struct db_stmt stmt_session_lock = {
    "lc_session_lock", "SELECT 1 FROM scanpost.sessions WHERE id = $1::uuid FOR UPDATE", 1};

static const struct db_stmt stmt_release_token = {
    "lc_release_token",
    "UPDATE scanpost.sessions s SET token_kid = NULL, token_sealed = NULL"
    " WHERE s.id = $1::uuid AND s.ended_at IS NOT NULL AND s.token_kid IS NOT NULL"
    " AND NOT EXISTS (SELECT 1 FROM scanpost.jobs j WHERE j.session_id = s.id"
    "  AND j.state = ANY ($2::text[]))"
    " RETURNING s.rmail_user",
    2};

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

static const struct db_stmt stmt_job_probe = {
    "lc_job_probe",
    "SELECT j.state, EXISTS (SELECT 1 FROM scanpost.job_files f WHERE f.job_id = j.id),"
    " EXISTS (SELECT 1 FROM scanpost.job_logs l WHERE l.job_id = j.id)"
    " FROM scanpost.jobs j WHERE j.id = $1::uuid AND j.owner = $2",
    2};

static const struct db_stmt stmt_submit = {
    "lc_submit",
    "UPDATE scanpost.jobs j SET state = $3, submitted_at = now(), updated_at = now(),"
    " next_attempt_at = now(), upload_token_hash = NULL"
    " WHERE j.id = $1::uuid AND j.owner = $2 AND j.state = ANY ($4::text[])"
    " AND EXISTS (SELECT 1 FROM scanpost.job_files f WHERE f.job_id = j.id)"
    " AND EXISTS (SELECT 1 FROM scanpost.job_logs l WHERE l.job_id = j.id)"
    " RETURNING j.session_id",
    4};

static const struct db_stmt stmt_notify = {
    "lc_notify", "SELECT pg_notify('" LIFECYCLE_NOTIFY_CHANNEL "', $1)", 1};

static const struct db_stmt stmt_cancel = {
    "lc_cancel",
    "UPDATE scanpost.jobs SET state = $3, updated_at = now(), upload_token_hash = NULL"
    " WHERE id = $1::uuid AND owner = $2 AND state = ANY ($4::text[]) RETURNING session_id",
    4};

static const struct db_stmt stmt_upload_lock = {
    "lc_upload_lock",
    "SELECT state, upload_expires_at > clock_timestamp(), uploaded_bytes, owner"
    " FROM scanpost.jobs WHERE id = $1::uuid AND upload_token_hash = $2 FOR UPDATE NOWAIT",
    2};

static const struct db_stmt stmt_upload_fresh = {
    "lc_upload_fresh",
    "SELECT upload_expires_at > clock_timestamp() FROM scanpost.jobs WHERE id = $1::uuid", 1};

static const struct db_stmt stmt_session_close = {
    "lc_session_close",
    "UPDATE scanpost.sessions SET ended_at = now(), end_reason = $2"
    " WHERE id = $1::uuid AND ended_at IS NULL RETURNING rmail_user",
    2};

static const struct db_stmt stmt_session_uploads = {
    "lc_session_uploads",
    "UPDATE scanpost.jobs SET state = $2, updated_at = now(), upload_token_hash = NULL"
    " WHERE session_id = $1::uuid AND state = ANY ($3::text[]) RETURNING id, owner",
    3};

/* ---- helpers ------------------------------------------------------------- */

void lc_move_params(enum job_move m, struct move_params *p)
{
	job_move_sources(m, p->sources, sizeof(p->sources));
	p->target = job_state_name(job_move_target(m));
}

enum lc_result lc_rollback(struct db *db, enum lc_result rc)
{
	db_rollback(db);
	return rc;
}

struct json_object *lc_detail(const char *key, const char *value)
{
	struct json_object *d = json_object_new_object();

	if (key && value)
		json_object_object_add(d, key, json_object_new_string(value));
	return d;
}

void lc_detail_int(struct json_object *d, const char *key, long long v)
{
	json_object_object_add(d, key, json_object_new_int64(v));
}

/* Writes event with detail (consumed). */
int lc_audit(struct db *db, const char *event, const char *actor, const char *session_id,
             const char *job_id, const char *request_id, struct json_object *detail)
{
	int rc = audit_record_json(db, event, actor, session_id, job_id, request_id, detail);

	json_object_put(detail);
	return rc;
}

int lc_rows(struct db *db, const struct db_stmt *st, const char *const *v, PGresult **res)
{
	if ((*res = db_run(db, st, v, NULL, NULL, 0)) == NULL)
		return -1;
	return PQntuples(*res) > 0 ? PQntuples(*res) : atoi(PQcmdTuples(*res));
}

int lc_lock_session(struct db *db, const char *session_id)
{
	const char *v[1] = {session_id};

	return db_exec(db, &stmt_session_lock, v);
}

/* release token, inside the caller's transaction (session row locked
 * first).  0 (released or still needed) or -1. */
int lc_release_token(struct db *db, const char *session_id, const char *reason,
                     const char *request_id)
{
	char needs[JOB_STATE_LIST_LEN];
	const char *v[2] = {session_id, needs};
	PGresult *res;
	int rc = 0;

	job_state_list(JOB_FLAG_NEEDS_TOKEN, needs, sizeof(needs));
	if (lc_lock_session(db, session_id) != 0 ||
	    (res = db_run(db, &stmt_release_token, v, NULL, NULL, 0)) == NULL)
		return -1;
	if (PQntuples(res) == 1)
		rc = lc_audit(db, "token_released", PQgetvalue(res, 0, 0), session_id, NULL,
		              request_id, lc_detail("reason", reason));
	PQclear(res);
	return rc;
}

/* destroy document, inside the caller's transaction: the job's chunks and
 * wrapped keys go, the deletion is stamped, and one `document_deleted` row
 * is written when there was anything to delete.  0 or -1. */
int lc_destroy_document(struct db *db, const char *job_id, const char *actor,
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
	d = lc_detail("reason", reason);
	lc_detail_int(d, "files", keys);
	lc_detail_int(d, "chunks", chunks);
	return lc_audit(db, "document_deleted", actor, session_id, job_id, request_id, d);
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
		if (job_state_parse(PQgetvalue(res, 0, 0), &s) == 0 && job_move_starts_from(m, s))
			rc = PQgetvalue(res, 0, 1)[0] == 'f'   ? LC_NOTHING_UPLOADED
			     : PQgetvalue(res, 0, 2)[0] == 'f' ? LC_SCAN_INCOMPLETE
			                                       : LC_WRONG_STATE;
	}
	PQclear(res);
	return rc;
}

/* The session of a job (of owner, unless NULL), before any lock is taken.
 * 0 found, 1 not, -1. */
int lc_job_session(struct db *db, const char *job_id, const char *owner, char *out, size_t len)
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

int lc_notify(struct db *db, const char *job_id)
{
	const char *v[1] = {job_id};

	return db_exec(db, &stmt_notify, v);
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
		return lc_rollback(db, LC_DB_ERROR);
	rc = session_token_seal(kr, session_id, s->token, &sealed, &sealed_len, kid);
	if (rc != SP_CRYPTO_OK) {
		sp_log(LOG_ERROR, "token_seal_failed", "error", sp_crypto_strerror(rc), NULL);
		return lc_rollback(db, LC_DB_ERROR);
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
	     lc_audit(db, "signin_ok", s->user, session_id, NULL, request_id,
	              s->via_sso ? lc_detail("via", "sso") : NULL) == 0 &&
	     db_commit(db) == 0;
	free(sealed);
	return rc ? LC_OK : lc_rollback(db, LC_DB_ERROR);
}

/* The uploads of an ending session that never reached the queue are
 * canceled; its token goes unless a queued or sending job needs it. */
int lc_session_end_tail(struct db *db, const char *session_id, const char *user, const char *reason,
                        const char *request_id)
{
	char sources[JOB_STATE_LIST_LEN];
	const char *v[3] = {session_id, job_state_name(job_move_target(JOB_MOVE_CANCEL)), sources};
	PGresult *res;
	int n, rc = 0;

	job_move_sources_except(JOB_MOVE_CANCEL, JOB_FLAG_NEEDS_TOKEN, sources, sizeof(sources));
	if ((n = lc_rows(db, &stmt_session_uploads, v, &res)) < 0)
		return -1;
	for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
		const char *job = PQgetvalue(res, i, 0), *owner = PQgetvalue(res, i, 1);

		rc = lc_destroy_document(db, job, owner, session_id, request_id, "session_ended");
		if (rc == 0)
			rc = lc_audit(db, job_move_audit_event(JOB_MOVE_CANCEL), owner, session_id,
			              job, request_id, lc_detail("reason", "session_ended"));
	}
	PQclear(res);
	if (rc == 0)
		rc = lc_release_token(db, session_id, "session_ended", request_id);
	if (rc == 0) {
		int by_person = strcmp(reason, "signout") == 0 || strcmp(reason, "exit") == 0;

		rc = lc_audit(db, by_person ? "signout" : "session_ended", user, session_id, NULL,
		              request_id, lc_detail("reason", reason));
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
	if ((n = lc_rows(db, &stmt_session_close, v, &res)) < 0)
		return lc_rollback(db, LC_DB_ERROR);
	snprintf(user, sizeof(user), "%s", n > 0 ? PQgetvalue(res, 0, 0) : "");
	PQclear(res);
	if (n == 0)
		return lc_rollback(db, LC_NOT_FOUND);
	if (lc_session_end_tail(db, session_id, user, reason, who ? who->request_id : NULL) != 0 ||
	    db_commit(db) != 0)
		return lc_rollback(db, LC_DB_ERROR);
	return LC_OK;
}

/*
 * The owner's unfinished jobs (not JOB_FLAG_FINISHED), counted under a
 * transaction-level advisory lock on the owner, so that two creates at
 * once cannot both see room for one more.
 */
static const struct db_stmt stmt_open_jobs = {
    "lc_open_jobs",
    "SELECT count(*) FROM (SELECT pg_advisory_xact_lock(hashtextextended("
    " 'scanpost.jobs_open:' || $1, 0))) l, scanpost.jobs j"
    " WHERE j.owner = $1 AND NOT (j.state = ANY ($2::text[]))",
    2};

/* LC_OK when owner may have one more job, in the open transaction. */
static enum lc_result room_for_job(struct db *db, const char *owner, long open_max)
{
	char finished[JOB_STATE_LIST_LEN];
	const char *v[2] = {owner, finished};
	PGresult *res;
	long open;

	if (open_max <= 0)
		return LC_OK;
	job_state_list(JOB_FLAG_FINISHED, finished, sizeof(finished));
	if ((res = db_run(db, &stmt_open_jobs, v, NULL, NULL, 0)) == NULL)
		return LC_DB_ERROR;
	open = PQntuples(res) == 1 ? strtol(PQgetvalue(res, 0, 0), NULL, 10) : 0;
	PQclear(res);
	return open < open_max ? LC_OK : LC_TOO_MANY_JOBS;
}

enum lc_result lifecycle_job_create(struct db *db, const struct job_new *j,
                                    const struct lc_who *who, char *expires_at, size_t len)
{
	enum lc_result rc;

	if (db_begin(db) != 0)
		return LC_DB_ERROR;
	if ((rc = room_for_job(db, j->owner, j->open_max)) != LC_OK) {
		db_rollback(db);
		return rc;
	}
	if (jobs_insert(db, j, expires_at, len) != 0 ||
	    lc_audit(db, "job_created", who->actor, who->session_id, j->id, who->request_id,
	             NULL) != 0 ||
	    db_commit(db) != 0)
		return lc_rollback(db, LC_DB_ERROR);
	return LC_OK;
}

enum lc_result lifecycle_job_submit(struct db *db, const char *job_id, const char *owner,
                                    const struct lc_who *who)
{
	struct move_params p;
	const char *v[4] = {job_id, owner, NULL, p.sources};
	PGresult *res;
	int moved;

	lc_move_params(JOB_MOVE_SUBMIT, &p);
	v[2] = p.target;
	if (db_begin(db) != 0)
		return LC_DB_ERROR;
	if ((moved = lc_rows(db, &stmt_submit, v, &res)) < 0)
		return lc_rollback(db, LC_DB_ERROR);
	PQclear(res);
	if (moved == 0) {
		db_rollback(db);
		return refused(db, job_id, owner, JOB_MOVE_SUBMIT);
	}
	/* NOTIFY is delivered at commit: a sender never wakes for a job it
	 * cannot see yet. */
	if (lc_notify(db, job_id) != 0 ||
	    lc_audit(db, job_move_audit_event(JOB_MOVE_SUBMIT), who->actor, who->session_id, job_id,
	             who->request_id, NULL) != 0 ||
	    db_commit(db) != 0)
		return lc_rollback(db, LC_DB_ERROR);
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

	lc_move_params(JOB_MOVE_CANCEL, &p);
	v[2] = p.target;
	if ((rc = lc_job_session(db, job_id, owner, session_id, sizeof(session_id))) != 0)
		return rc < 0 ? LC_DB_ERROR : LC_NOT_FOUND;
	if (db_begin(db) != 0 || lc_lock_session(db, session_id) != 0)
		return lc_rollback(db, LC_DB_ERROR);
	if ((moved = lc_rows(db, &stmt_cancel, v, &res)) < 0)
		return lc_rollback(db, LC_DB_ERROR);
	PQclear(res);
	if (moved == 0) {
		db_rollback(db);
		rc = refused(db, job_id, owner, JOB_MOVE_CANCEL);
		return rc == LC_NOTHING_UPLOADED || rc == LC_SCAN_INCOMPLETE ? LC_WRONG_STATE
		                                                             : (enum lc_result)rc;
	}
	if (lc_destroy_document(db, job_id, owner, session_id, who->request_id, "canceled") != 0 ||
	    lc_release_token(db, session_id, "job_canceled", who->request_id) != 0 ||
	    lc_audit(db, job_move_audit_event(JOB_MOVE_CANCEL), who->actor, who->session_id, job_id,
	             who->request_id, lc_detail("document", "deleted")) != 0 ||
	    db_commit(db) != 0)
		return lc_rollback(db, LC_DB_ERROR);
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
	/* NOWAIT: a second POST to a link whose upload is in progress is
	 * told so at once (409), instead of holding a worker for as long as
	 * the first one lasts (DESIGN 3.7, bounded waits). */
	if ((res = db_run(db, &stmt_upload_lock, v, lens, fmts, 0)) == NULL)
		return lc_rollback(db, strcmp(db_sqlstate(db), DB_LOCK_NOT_AVAILABLE) == 0
		                           ? LC_BUSY
		                           : LC_DB_ERROR);
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
	return rc == LC_OK ? LC_OK : lc_rollback(db, rc);
}

enum lc_result lifecycle_upload_commit(struct db *db, const char *job_id, const char *owner,
                                       const struct lc_upload *done, const char *request_id)
{
	const char *v[1] = {job_id};
	PGresult *res;
	int fresh, first;

	/* DESIGN 3.6: what outlived its link is not kept, however it began. */
	if ((res = db_run(db, &stmt_upload_fresh, v, NULL, NULL, 0)) == NULL)
		return lc_rollback(db, LC_DB_ERROR);
	fresh = PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	if (!fresh)
		return lc_rollback(db, LC_EXPIRED);
	if (jobs_upload_recount(db, job_id) != 0)
		return lc_rollback(db, LC_DB_ERROR);
	if (done->files > 0) {
		struct json_object *d = json_object_new_object();

		lc_detail_int(d, "files", done->files);
		lc_detail_int(d, "bytes", (long long)done->bytes);
		if (lc_audit(db, "uploaded", owner, NULL, job_id, request_id, d) != 0)
			return lc_rollback(db, LC_DB_ERROR);
	}
	/* DESIGN 3.3: the job log's arrival closes the set of documents and
	 * lets the job be submitted.  The first one is the arrival; a later
	 * one is bookkeeping like any other. */
	if (done->job_log) {
		struct json_object *d;

		if ((first = filingstore_job_log_record(db, job_id, done->job_log_bytes)) < 0)
			return lc_rollback(db, LC_DB_ERROR);
		if (first) {
			d = json_object_new_object();
			lc_detail_int(d, "bytes", (long long)done->job_log_bytes);
			if (lc_audit(db, "job_log_arrived", owner, NULL, job_id, request_id, d) !=
			    0)
				return lc_rollback(db, LC_DB_ERROR);
		}
	}
	/* The 200 to the device's PutFile follows this commit: it waits for
	 * the synchronous standby, so an acknowledged file survives a
	 * failover (db.h, db_sync_commit). */
	if (db_sync_commit(db) != 0)
		return lc_rollback(db, LC_DB_ERROR);
	return db_commit(db) == 0 ? LC_OK : lc_rollback(db, LC_DB_ERROR);
}

void lifecycle_upload_abort(struct db *db)
{
	db_rollback(db);
}

int lifecycle_upload_forget_file(struct db *db, const char *job_id, const char *dir,
                                 const char *name)
{
	return filingstore_delete_file(db, job_id, dir, name);
}

int lifecycle_upload_clear_folder(struct db *db, const char *job_id, const char *dir)
{
	return filingstore_clear(db, job_id, dir);
}

int lifecycle_upload_remove_folder(struct db *db, const char *job_id, const char *dir)
{
	return filingstore_remove_folder(db, job_id, dir);
}
