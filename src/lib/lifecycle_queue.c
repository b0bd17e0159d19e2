/*
 * lifecycle_queue.c - the transitions of the sender, its janitor and the
 * administrator (see lifecycle.h): claim, renew, mark sent, retry, check
 * later, fail, rescue, expire, end idle sessions, purge, requeue.  The rules they share
 * with the person's side are lifecycle.c's (lifecycle_priv.h).  Janitor
 * work is one job or session per transaction, with SKIP LOCKED: a job an
 * upload or a sender holds right now is left for the next run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobstate.h"
#include "lifecycle.h"
#include "lifecycle_priv.h"

#define JANITOR_BATCH   1000 /* jobs or sessions per janitor run and kind */
#define TRACKING_ID_MAX 128

/* ---- statements ---------------------------------------------------------- */

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

/* One source state ($3, a scalar): `state = ANY ($3::text[])` would keep
 * the generic plan from reading jobs_queue_idx (state, next_attempt_at) in
 * order (PostgreSQL 15 sorts every queued row first, on every claim: the
 * claim benchmark measured 0.26 of a raw dequeue with 4 claimers); with
 * one state the index gives the oldest due job at once.
 * lifecycle_claim asks each source state of the move in turn. */
static const struct db_stmt stmt_claim = {
    "lc_claim",
    "WITH c AS (SELECT id, updated_at FROM scanpost.jobs WHERE state = $3"
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
    "     'registered', j.settings -> 'registered', 'scan', j.settings -> 'scan'),"
    "   extract(epoch FROM c.updated_at)::bigint,"
    "   extract(epoch FROM coalesce(j.requeued_at, j.submitted_at, j.created_at))::bigint,"
    "   j.mail_requested_at IS NOT NULL,"
    "   coalesce(extract(epoch FROM j.mail_requested_at)::bigint, 0)",
    4};

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

/* $8 false: RMail said it does not have the message (or no Mail request
 * went out): mail_requested_at is cleared. */
static const struct db_stmt stmt_retry = {
    "lc_retry",
    "UPDATE scanpost.jobs SET state = $3,"
    " next_attempt_at = now() + make_interval(secs => $4::double precision),"
    " last_error_code = $5, last_error = $6, lease_owner = NULL, lease_until = NULL,"
    " mail_requested_at = CASE WHEN $8::boolean THEN mail_requested_at END,"
    " updated_at = now()"
    " WHERE id = $1::uuid AND state = ANY ($7::text[]) AND lease_owner = $2",
    8};

/* Stamped and committed before the Mail request goes out (DESIGN 3.5). */
static const struct db_stmt stmt_mail_requested = {
    "lc_mail_requested",
    "UPDATE scanpost.jobs SET mail_requested_at = now()"
    " WHERE id = $1::uuid AND state = $3 AND lease_owner = $2",
    3};

/* $7 false: this claim is not counted as an attempt. */
static const struct db_stmt stmt_check_later = {
    "lc_check_later",
    "UPDATE scanpost.jobs SET state = $3,"
    " attempts = attempts - CASE WHEN $7::boolean THEN 0 ELSE 1 END,"
    " next_attempt_at = now() + make_interval(secs => $4::double precision),"
    " last_error_code = $5, last_error = $6, lease_owner = NULL, lease_until = NULL,"
    " updated_at = now()"
    " WHERE id = $1::uuid AND state = ANY ($8::text[]) AND lease_owner = $2",
    8};

/* fail and give up unknown: the same columns, different targets. */
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
    "   attempts = greatest(j.attempts - CASE WHEN j.mail_requested_at IS NULL"
    "     OR j.mail_requested_at < j.updated_at THEN 1 ELSE 0 END, 0),"
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
    " lease_owner = NULL, lease_until = NULL, updated_at = now(), requeued_at = now()"
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

static const struct db_stmt stmt_purge_delete = {
    "lc_purge_delete", "DELETE FROM scanpost.jobs WHERE id = $1::uuid", 1};

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

/* ---- the sender's side --------------------------------------------------- */

enum lc_result lifecycle_claim(struct db *db, const char *lease_owner, long lease_seconds,
                               struct queued_job *j)
{
	char lease[24];
	const char *v[4] = {lease_owner, lease, NULL,
	                    job_state_name(job_move_target(JOB_MOVE_CLAIM))};
	struct json_object *d;
	PGresult *res = NULL;
	int n = 0;

	memset(j, 0, sizeof(*j));
	snprintf(lease, sizeof(lease), "%ld", lease_seconds);
	if (db_begin(db) != 0)
		return LC_DB_ERROR;
	for (int s = 0; s < JOB_STATE__MAX && n == 0; s++) {
		if (!job_move_starts_from(JOB_MOVE_CLAIM, (enum job_state)s))
			continue;
		if (res != NULL)
			PQclear(res);
		v[2] = job_state_name((enum job_state)s);
		if ((n = lc_rows(db, &stmt_claim, v, &res)) < 0)
			return lc_rollback(db, LC_DB_ERROR);
	}
	if (n == 0) {
		if (res != NULL)
			PQclear(res);
		return lc_rollback(db, LC_NOT_FOUND);
	}
	snprintf(j->id, sizeof(j->id), "%s", PQgetvalue(res, 0, 0));
	snprintf(j->session_id, sizeof(j->session_id), "%s", PQgetvalue(res, 0, 1));
	snprintf(j->owner, sizeof(j->owner), "%s", PQgetvalue(res, 0, 2));
	j->attempts = atoi(PQgetvalue(res, 0, 3));
	j->max_attempts = atoi(PQgetvalue(res, 0, 4));
	j->first_try_epoch = atol(PQgetvalue(res, 0, 5));
	j->spec_json = strdup(PQgetvalue(res, 0, 6));
	j->requeued_epoch = atol(PQgetvalue(res, 0, 7));
	j->horizon_epoch = atol(PQgetvalue(res, 0, 8));
	j->mail_maybe_sent = PQgetvalue(res, 0, 9)[0] == 't';
	j->mail_requested_epoch = atol(PQgetvalue(res, 0, 10));
	PQclear(res);
	if (j->spec_json == NULL || uuid_parse(j->id, j->id_bin) != 0) {
		queued_job_free(j);
		return lc_rollback(db, LC_DB_ERROR);
	}
	d = lc_detail("lease_owner", lease_owner);
	lc_detail_int(d, "attempt", j->attempts);
	if (lc_audit(db, job_move_audit_event(JOB_MOVE_CLAIM), j->owner, j->session_id, j->id, NULL,
	             d) != 0 ||
	    db_commit(db) != 0) {
		queued_job_free(j);
		return lc_rollback(db, LC_DB_ERROR);
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
	if ((n = lc_rows(db, &stmt_renew, v, &res)) < 0)
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

	lc_move_params(JOB_MOVE_MARK_SENT, &p);
	v[4] = p.target;
	tracking_id_clean(tracking_id, tid, sizeof(tid));
	if (db_begin(db) != 0 || lc_lock_session(db, j->session_id) != 0)
		return lc_rollback(db, LC_DB_ERROR);
	if ((n = lc_rows(db, &stmt_mark_sent, v, &res)) < 0)
		return lc_rollback(db, LC_DB_ERROR);
	PQclear(res);
	if (n == 0)
		return lc_rollback(db, LC_LEASE_LOST);
	/* DESIGN 2, step 9: in the same transaction, the document and its key
	 * go, and the token too when nothing else needs it. */
	d = lc_detail("tracking_id", tid);
	json_object_object_add(d, "how", json_object_new_string(how));
	lc_detail_int(d, "attempt", j->attempts);
	if (lc_audit(db, job_move_audit_event(JOB_MOVE_MARK_SENT), j->owner, j->session_id, j->id,
	             NULL, d) != 0 ||
	    lc_destroy_document(db, j->id, j->owner, j->session_id, NULL, "sent") != 0 ||
	    lc_release_token(db, j->session_id, "sent", NULL) != 0)
		return lc_rollback(db, LC_DB_ERROR);
	/* A recorded send survives a failover (db.h, db_sync_commit): the
	 * promoted primary never hands the job to a sender again. */
	if (db_sync_commit(db) != 0 || db_commit(db) != 0)
		return lc_rollback(db, LC_DB_ERROR);
	return LC_OK;
}

enum lc_result lifecycle_retry(struct db *db, const struct queued_job *j, const char *lease_owner,
                               long delay_ms, const char *code, const char *message)
{
	struct move_params p;
	char delay[32];
	const char *v[8] = {j->id, lease_owner, NULL,      delay,
	                    code,  message,     p.sources, j->mail_maybe_sent ? "true" : "false"};
	struct json_object *d;
	PGresult *res;
	int n;

	lc_move_params(JOB_MOVE_RETRY, &p);
	v[2] = p.target;
	snprintf(delay, sizeof(delay), "%ld.%03ld", delay_ms / 1000, delay_ms % 1000);
	if (db_begin(db) != 0)
		return LC_DB_ERROR;
	if ((n = lc_rows(db, &stmt_retry, v, &res)) < 0)
		return lc_rollback(db, LC_DB_ERROR);
	PQclear(res);
	if (n == 0)
		return lc_rollback(db, LC_LEASE_LOST);
	d = lc_detail("code", code);
	lc_detail_int(d, "attempt", j->attempts);
	lc_detail_int(d, "delay_ms", delay_ms);
	if (lc_audit(db, job_move_audit_event(JOB_MOVE_RETRY), j->owner, j->session_id, j->id, NULL,
	             d) != 0 ||
	    db_commit(db) != 0)
		return lc_rollback(db, LC_DB_ERROR);
	return LC_OK;
}

/* check later and defer: back to the queue, the claim counted or not. */
static enum lc_result requeue_from_sending(struct db *db, enum job_move move,
                                           const struct queued_job *j, const char *lease_owner,
                                           long delay_ms, int counted, const char *code,
                                           const char *message)
{
	struct move_params p;
	char delay[32];
	const char *v[8] = {
	    j->id, lease_owner, NULL, delay, code, message, counted ? "true" : "false", p.sources};
	struct json_object *d;
	PGresult *res;
	int n;

	lc_move_params(move, &p);
	v[2] = p.target;
	snprintf(delay, sizeof(delay), "%ld.%03ld", delay_ms / 1000, delay_ms % 1000);
	if (db_begin(db) != 0)
		return LC_DB_ERROR;
	if ((n = lc_rows(db, &stmt_check_later, v, &res)) < 0)
		return lc_rollback(db, LC_DB_ERROR);
	PQclear(res);
	if (n == 0)
		return lc_rollback(db, LC_LEASE_LOST);
	d = lc_detail("code", code);
	lc_detail_int(d, "attempt", j->attempts);
	json_object_object_add(d, "counted", json_object_new_boolean(counted != 0));
	lc_detail_int(d, "delay_ms", delay_ms);
	if (lc_audit(db, job_move_audit_event(move), j->owner, j->session_id, j->id, NULL, d) !=
	        0 ||
	    db_commit(db) != 0)
		return lc_rollback(db, LC_DB_ERROR);
	return LC_OK;
}

enum lc_result lifecycle_check_later(struct db *db, const struct queued_job *j,
                                     const char *lease_owner, long delay_ms, int counted,
                                     const char *code, const char *message)
{
	/* Never a verdict, whatever the attempts: no fail from here. */
	return requeue_from_sending(db, JOB_MOVE_CHECK_LATER, j, lease_owner, delay_ms, counted,
	                            code, message);
}

enum lc_result lifecycle_defer(struct db *db, const struct queued_job *j, const char *lease_owner,
                               long delay_ms, const char *code, const char *message)
{
	return requeue_from_sending(db, JOB_MOVE_DEFER, j, lease_owner, delay_ms, 0, code, message);
}

enum lc_result lifecycle_mail_requested(struct db *db, const struct queued_job *j,
                                        const char *lease_owner)
{
	const char *v[3] = {j->id, lease_owner, job_state_name(job_move_target(JOB_MOVE_CLAIM))};
	PGresult *res;
	int n;

	if ((n = lc_rows(db, &stmt_mail_requested, v, &res)) < 0)
		return LC_DB_ERROR;
	PQclear(res);
	return n > 0 ? LC_OK : LC_LEASE_LOST;
}

/* fail and give up unknown: the job leaves the queue, its document kept
 * for failed_retention, its token released. */
static enum lc_result leave_queue(struct db *db, enum job_move move, const struct queued_job *j,
                                  const char *lease_owner, const char *code, const char *message)
{
	struct move_params p;
	const char *v[6] = {j->id, lease_owner, NULL, code, message, p.sources};
	struct json_object *d;
	PGresult *res;
	int n;

	lc_move_params(move, &p);
	v[2] = p.target;
	if (db_begin(db) != 0 || lc_lock_session(db, j->session_id) != 0)
		return lc_rollback(db, LC_DB_ERROR);
	if ((n = lc_rows(db, &stmt_fail, v, &res)) < 0)
		return lc_rollback(db, LC_DB_ERROR);
	PQclear(res);
	if (n == 0)
		return lc_rollback(db, LC_LEASE_LOST);
	d = lc_detail("code", code);
	lc_detail_int(d, "attempt", j->attempts);
	if (lc_release_token(db, j->session_id, p.target, NULL) != 0 ||
	    lc_audit(db, job_move_audit_event(move), j->owner, j->session_id, j->id, NULL, d) !=
	        0 ||
	    db_commit(db) != 0)
		return lc_rollback(db, LC_DB_ERROR);
	return LC_OK;
}

enum lc_result lifecycle_fail(struct db *db, const struct queued_job *j, const char *lease_owner,
                              const char *code, const char *message)
{
	return leave_queue(db, JOB_MOVE_FAIL, j, lease_owner, code, message);
}

enum lc_result lifecycle_give_up_unknown(struct db *db, const struct queued_job *j,
                                         const char *lease_owner, const char *code,
                                         const char *message)
{
	return leave_queue(db, JOB_MOVE_GIVE_UP_UNKNOWN, j, lease_owner, code, message);
}

/* ---- the janitor ----------------------------------------------------------- */

int lifecycle_rescue_leases(struct db *db)
{
	struct move_params p;
	const char *v[2] = {p.sources, NULL};
	PGresult *res;
	int n, rc = 0;

	lc_move_params(JOB_MOVE_RESCUE, &p);
	v[1] = p.target;
	if (db_begin(db) != 0)
		return -1;
	if ((n = lc_rows(db, &stmt_rescue, v, &res)) < 0) {
		db_rollback(db);
		return -1;
	}
	for (int i = 0; i < PQntuples(res) && rc == 0; i++)
		rc = lc_audit(db, job_move_audit_event(JOB_MOVE_RESCUE), PQgetvalue(res, i, 1),
		              PQgetvalue(res, i, 2), PQgetvalue(res, i, 0), NULL,
		              lc_detail("lease_owner", PQgetvalue(res, i, 3)));
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

	lc_move_params(JOB_MOVE_EXPIRE, &p);
	v[1] = p.target;
	while (done < JANITOR_BATCH) {
		PGresult *res;
		int n, rc;

		if (db_begin(db) != 0)
			return -1;
		if ((n = lc_rows(db, &stmt_expire_one, v, &res)) <= 0) {
			if (n == 0)
				PQclear(res);
			db_rollback(db);
			return n < 0 ? -1 : done;
		}
		rc = lc_destroy_document(db, PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1),
		                         PQgetvalue(res, 0, 2), NULL, "expired") == 0 &&
		     lc_audit(db, job_move_audit_event(JOB_MOVE_EXPIRE), PQgetvalue(res, 0, 1),
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
		if ((n = lc_rows(db, &stmt_session_expire_one, v, &res)) <= 0) {
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
		if (lc_session_end_tail(db, sid, user, reason, NULL) != 0 || db_commit(db) != 0) {
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
		    lc_release_token(db, PQgetvalue(res, i, 0), "session_over", NULL) != 0 ||
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

	/* Only a failed job, or one whose delivery is unknown, keeps its
	 * document once it left the queue. */
	job_state_list(JOB_FLAG_RETAINED, states, sizeof(states));
	snprintf(r, sizeof(r), "%ld", retention);
	while (done < JANITOR_BATCH) {
		PGresult *res;
		int n, rc;

		if (db_begin(db) != 0)
			return -1;
		if ((n = lc_rows(db, &stmt_purge_document_one, v, &res)) <= 0) {
			if (n == 0)
				PQclear(res);
			db_rollback(db);
			return n < 0 ? -1 : done;
		}
		rc = lc_destroy_document(db, PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1),
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
	enum lc_result rc = LC_OK;
	enum job_state s;
	PGresult *res;
	int found;

	lc_move_params(JOB_MOVE_REQUEUE, &p);
	u[1] = p.target;
	*token_expired = 0;
	state[0] = '\0';
	if ((found = lc_job_session(db, job_id, NULL, session_id, sizeof(session_id))) != 0)
		return found < 0 ? LC_DB_ERROR : LC_NOT_FOUND;
	/* The session first: a session ending now must see this job queued,
	 * or this must see its token gone. */
	if (db_begin(db) != 0 || lc_lock_session(db, session_id) != 0 ||
	    (res = db_run(db, &stmt_requeue_check, v, NULL, NULL, 0)) == NULL)
		return lc_rollback(db, LC_DB_ERROR);
	if (PQntuples(res) != 1) {
		PQclear(res);
		return lc_rollback(db, LC_NOT_FOUND);
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
		return lc_rollback(db, rc);
	if (db_exec(db, &stmt_requeue, u) != 0 || lc_notify(db, job_id) != 0 ||
	    lc_audit(db, job_move_audit_event(JOB_MOVE_REQUEUE), who->actor, session_id, job_id,
	             who->request_id, lc_detail("owner", owner)) != 0 ||
	    db_commit(db) != 0)
		return lc_rollback(db, LC_DB_ERROR);
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
		return lc_rollback(db, LC_DB_ERROR);
	for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
		const char *id = PQgetvalue(res, i, 0), *del[1] = {id};

		/* A failed job may still keep its document: it goes the one way. */
		rc = lc_destroy_document(db, id, PQgetvalue(res, i, 1), PQgetvalue(res, i, 2),
		                         who->request_id, "purged");
		if (rc == 0)
			rc = db_exec(db, &stmt_purge_delete, del);
	}
	*count = PQntuples(res);
	PQclear(res);
	detail = lc_detail("state", state);
	lc_detail_int(detail, "older_than_days", days);
	lc_detail_int(detail, "deleted", *count);
	if (rc != 0 ||
	    lc_audit(db, "jobs_purged", who->actor, NULL, NULL, who->request_id, detail) != 0 ||
	    db_commit(db) != 0) {
		*count = 0;
		return lc_rollback(db, LC_DB_ERROR);
	}
	return LC_OK;
}
