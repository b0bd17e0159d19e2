/*
 * queue.c - SQL of the sender's queue moves.
 */
#include "queue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "codec.h"
#include "crypto.h"
#include "docstore.h"
#include "log.h"
#include "sessions.h"

static const struct db_stmt stmt_queue_claim = {
    "queue_claim",
    "WITH c AS (SELECT id, updated_at FROM scanpost.jobs WHERE state = 'queued'"
    "   AND next_attempt_at <= now() ORDER BY next_attempt_at"
    "   FOR UPDATE SKIP LOCKED LIMIT 1)"
    " UPDATE scanpost.jobs j SET state = 'sending', lease_owner = $1,"
    "   lease_until = now() + make_interval(secs => $2::bigint),"
    "   attempts = j.attempts + 1, updated_at = now()"
    " FROM c WHERE j.id = c.id"
    " RETURNING j.id, j.session_id, j.owner, j.attempts, j.max_attempts,"
    "   extract(epoch FROM coalesce(j.submitted_at, j.created_at))::bigint,"
    "   json_build_object('to', j.to_addrs, 'cc', j.cc_addrs, 'bcc', j.bcc_addrs,"
    "     'subject', j.subject, 'body', j.body,"
    "     'registered', j.settings -> 'registered', 'scan', j.settings -> 'scan'),"
    "   extract(epoch FROM c.updated_at)::bigint",
    2};

static const struct db_stmt stmt_queue_sent = {
    "queue_sent",
    "UPDATE scanpost.jobs SET state = 'sent', tracking_id = $3, large_mail = $4::boolean,"
    " sent_at = now(), updated_at = now(), document_deleted_at = now(),"
    " lease_owner = NULL, lease_until = NULL, last_error_code = NULL, last_error = NULL"
    " WHERE id = $1::uuid AND state = 'sending' AND lease_owner = $2",
    4};

static const struct db_stmt stmt_queue_retry = {
    "queue_retry",
    "UPDATE scanpost.jobs SET"
    " state = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END,"
    " next_attempt_at = now() + make_interval(secs => $3::double precision),"
    " last_error_code = $4, last_error = $5, lease_owner = NULL, lease_until = NULL,"
    " updated_at = now()"
    " WHERE id = $1::uuid AND state = 'sending' AND lease_owner = $2 RETURNING state",
    5};

/* Back to the queue without a verdict; $6 false: this claim is not counted
 * as an attempt (DESIGN 3.5: an unclear MessageStatus answer never costs
 * one, and never fails the job). */
static const struct db_stmt stmt_queue_check_later = {
    "queue_check_later",
    "UPDATE scanpost.jobs SET state = 'queued',"
    " attempts = attempts - CASE WHEN $6::boolean THEN 0 ELSE 1 END,"
    " next_attempt_at = now() + make_interval(secs => $3::double precision),"
    " last_error_code = $4, last_error = $5, lease_owner = NULL, lease_until = NULL,"
    " updated_at = now()"
    " WHERE id = $1::uuid AND state = 'sending' AND lease_owner = $2",
    6};

static const struct db_stmt stmt_queue_failed = {
    "queue_failed",
    "UPDATE scanpost.jobs SET state = 'failed', last_error_code = $3, last_error = $4,"
    " lease_owner = NULL, lease_until = NULL, updated_at = now()"
    " WHERE id = $1::uuid AND state = 'sending' AND lease_owner = $2",
    4};

static const struct db_stmt stmt_queue_renew = {
    "queue_renew",
    "UPDATE scanpost.jobs SET lease_until = now() + make_interval(secs => $3::bigint)"
    " WHERE id = $1::uuid AND state = 'sending' AND lease_owner = $2",
    3};

static const struct db_stmt stmt_queue_rescue = {
    "queue_rescue",
    "UPDATE scanpost.jobs SET state = 'queued', lease_owner = NULL, lease_until = NULL,"
    " next_attempt_at = now(), updated_at = now()"
    " WHERE state = 'sending' AND lease_until < now() RETURNING id",
    0};

static const struct db_stmt stmt_queue_purge_failed = {
    "queue_purge_failed",
    "WITH p AS (UPDATE scanpost.jobs SET document_deleted_at = now(), updated_at = now()"
    "   WHERE state = 'failed' AND document_deleted_at IS NULL"
    "   AND updated_at < now() - make_interval(secs => $1::bigint) RETURNING id),"
    " d AS (DELETE FROM scanpost.document_chunks WHERE job_id IN (SELECT id FROM p)),"
    " k AS (UPDATE scanpost.job_files SET dek_kid = NULL, dek_wrapped = NULL,"
    "   nonce_prefix = NULL WHERE job_id IN (SELECT id FROM p))"
    " SELECT count(*) FROM p",
    1};

void queued_job_free(struct queued_job *j)
{
	free(j->spec_json);
	j->spec_json = NULL;
}

int queue_claim(struct db *db, const char *lease_owner, long lease_seconds, struct queued_job *j)
{
	char lease[24];
	const char *v[2] = {lease_owner, lease};
	PGresult *res;
	int rc = 1;

	memset(j, 0, sizeof(*j));
	snprintf(lease, sizeof(lease), "%ld", lease_seconds);
	if ((res = db_run(db, &stmt_queue_claim, v, NULL, NULL, 0)) == NULL)
		return -1;
	if (PQntuples(res) == 1) {
		snprintf(j->id, sizeof(j->id), "%s", PQgetvalue(res, 0, 0));
		snprintf(j->session_id, sizeof(j->session_id), "%s", PQgetvalue(res, 0, 1));
		snprintf(j->owner, sizeof(j->owner), "%s", PQgetvalue(res, 0, 2));
		j->attempts = atoi(PQgetvalue(res, 0, 3));
		j->max_attempts = atoi(PQgetvalue(res, 0, 4));
		j->first_try_epoch = atol(PQgetvalue(res, 0, 5));
		j->spec_json = strdup(PQgetvalue(res, 0, 6));
		j->requeued_epoch = atol(PQgetvalue(res, 0, 7));
		rc = j->spec_json && uuid_parse(j->id, j->id_bin) == 0 ? 0 : -1;
	}
	PQclear(res);
	return rc;
}

/* Runs one lease-checked UPDATE; 0 moved, 1 lease lost, -1 error. */
static int lease_update(struct db *db, const struct db_stmt *st, const char *const *v,
                        char *state_out, size_t len)
{
	PGresult *res = db_run(db, st, v, NULL, NULL, 0);
	int moved;

	if (res == NULL)
		return -1;
	moved = atoi(PQcmdTuples(res));
	if (moved && state_out && PQntuples(res) == 1)
		snprintf(state_out, len, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return moved ? 0 : 1;
}

int queue_mark_sent(struct db *db, const struct queued_job *j, const char *lease_owner,
                    const char *tracking_id, int large_mail, const char *how)
{
	const char *v[4] = {j->id, lease_owner, tracking_id, large_mail ? "true" : "false"};
	char detail[200];
	int rc;

	if (db_begin(db) != 0)
		return -1;
	if ((rc = lease_update(db, &stmt_queue_sent, v, NULL, 0)) != 0) {
		db_rollback(db);
		return rc;
	}
	snprintf(detail, sizeof(detail), "{\"tracking_id\":\"%.64s\",\"how\":\"%s\"}", tracking_id,
	         how);
	/* DESIGN 2, step 9: in the same transaction, the document and its
	 * key go, and the token too when nothing else needs it. */
	if (docstore_delete_job(db, j->id) != 0 || sessions_release_token(db, j->session_id) != 0 ||
	    audit_record(db, "sent", j->owner, j->session_id, j->id, NULL, detail) != 0 ||
	    audit_record(db, "document_deleted", j->owner, j->session_id, j->id, NULL, NULL) != 0 ||
	    db_commit(db) != 0) {
		db_rollback(db);
		return -1;
	}
	return 0;
}

static int fail_tail(struct db *db, const struct queued_job *j, const char *code)
{
	char detail[128];

	snprintf(detail, sizeof(detail), "{\"code\":\"%.64s\"}", code);
	if (sessions_release_token(db, j->session_id) != 0 ||
	    audit_record(db, "send_failed", j->owner, j->session_id, j->id, NULL, detail) != 0)
		return -1;
	return 0;
}

int queue_mark_retry(struct db *db, const struct queued_job *j, const char *lease_owner,
                     long delay_ms, const char *code, const char *message, int *failed)
{
	char d[24], state[32] = "";
	const char *v[5] = {j->id, lease_owner, d, code, message};
	int rc;

	*failed = 0;
	snprintf(d, sizeof(d), "%ld.%03ld", delay_ms / 1000, delay_ms % 1000);
	if (db_begin(db) != 0)
		return -1;
	if ((rc = lease_update(db, &stmt_queue_retry, v, state, sizeof(state))) != 0) {
		db_rollback(db);
		return rc;
	}
	*failed = strcmp(state, "failed") == 0;
	if ((*failed && fail_tail(db, j, code) != 0) || db_commit(db) != 0) {
		db_rollback(db);
		return -1;
	}
	return 0;
}

int queue_mark_check_later(struct db *db, const struct queued_job *j, const char *lease_owner,
                           long delay_ms, int counted, const char *code, const char *message)
{
	char d[24];
	const char *v[6] = {j->id, lease_owner, d, code, message, counted ? "true" : "false"};

	snprintf(d, sizeof(d), "%ld.%03ld", delay_ms / 1000, delay_ms % 1000);
	return lease_update(db, &stmt_queue_check_later, v, NULL, 0);
}

int queue_mark_failed(struct db *db, const struct queued_job *j, const char *lease_owner,
                      const char *code, const char *message)
{
	const char *v[4] = {j->id, lease_owner, code, message};
	int rc;

	if (db_begin(db) != 0)
		return -1;
	if ((rc = lease_update(db, &stmt_queue_failed, v, NULL, 0)) != 0) {
		db_rollback(db);
		return rc;
	}
	if (fail_tail(db, j, code) != 0 || db_commit(db) != 0) {
		db_rollback(db);
		return -1;
	}
	return 0;
}

static int count_rows(struct db *db, const struct db_stmt *st, const char *const *v, int use_tuples)
{
	PGresult *res = db_run(db, st, v, NULL, NULL, 0);
	int n;

	if (res == NULL)
		return -1;
	n = use_tuples ? PQntuples(res) : atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	return n;
}

int queue_renew_lease(struct db *db, const struct queued_job *j, const char *lease_owner,
                      long lease_seconds)
{
	char lease[24];
	const char *v[3] = {j->id, lease_owner, lease};

	snprintf(lease, sizeof(lease), "%ld", lease_seconds);
	return lease_update(db, &stmt_queue_renew, v, NULL, 0);
}

int queue_rescue_leases(struct db *db)
{
	return count_rows(db, &stmt_queue_rescue, NULL, 1);
}

int queue_purge_failed_documents(struct db *db, long retention)
{
	char r[24];
	const char *v[1] = {r};

	snprintf(r, sizeof(r), "%ld", retention);
	return count_rows(db, &stmt_queue_purge_failed, v, 0);
}

long queue_backoff_ms(long base, int attempt, long retry_after)
{
	const long cap = 3600 * 1000;
	long delay = base * 1000;
	uint32_t rnd = 0;

	for (int i = 1; i < attempt && delay < cap; i++)
		delay *= 2;
	if (delay > cap)
		delay = cap;
	/* "Equal jitter": half fixed, half random, so retries spread out. */
	sp_random(&rnd, sizeof(rnd));
	delay = delay / 2 + (long)(rnd % (uint32_t)(delay / 2 + 1));
	if (retry_after >= 0 && delay < retry_after * 1000)
		delay = retry_after * 1000;
	return delay;
}
