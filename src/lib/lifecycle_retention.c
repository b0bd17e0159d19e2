/*
 * lifecycle_retention.c - the retention rules of the lifecycle (issue 13):
 * finished jobs, ended sessions and old audit events go after their keep
 * periods; audit events only once the caller has made them durable
 * elsewhere.  Transactions as lifecycle.h says: each call owns its own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobstate.h"
#include "lifecycle_priv.h"

/* Rows read per round trip when writing audit events out. */
#define AUDIT_BATCH 5000

static const struct db_stmt stmt_sessions_count = {
    "lc_ret_sessions_count",
    "SELECT count(*) FROM scanpost.sessions s"
    " WHERE s.ended_at < now() - make_interval(days => $1::integer)"
    " AND NOT EXISTS (SELECT 1 FROM scanpost.jobs j WHERE j.session_id = s.id)",
    1};

/* An ended session's token is already gone (lc_release_token at its end);
 * the row goes once no job points at it. */
static const struct db_stmt stmt_sessions_delete = {
    "lc_ret_sessions_delete",
    "DELETE FROM scanpost.sessions s"
    " WHERE s.ended_at < now() - make_interval(days => $1::integer)"
    " AND NOT EXISTS (SELECT 1 FROM scanpost.jobs j WHERE j.session_id = s.id)",
    1};

static const struct db_stmt stmt_audit_cutoff = {
    "lc_ret_audit_cutoff", "SELECT now() - make_interval(days => $1::integer)", 1};

static const struct db_stmt stmt_audit_count = {
    "lc_ret_audit_count", "SELECT count(*) FROM scanpost.audit_events WHERE at < $1::timestamptz",
    1};

/* One event as one JSON object, built by PostgreSQL (never by printf). */
static const struct db_stmt stmt_audit_read = {
    "lc_ret_audit_read",
    "SELECT id, json_build_object('id', id, 'at', at, 'event', event, 'actor', actor,"
    " 'session_id', session_id, 'job_id', job_id, 'request_id', request_id,"
    " 'detail', detail)::text"
    " FROM scanpost.audit_events WHERE at < $1::timestamptz AND id > $2::bigint"
    " ORDER BY id LIMIT 5000", /* AUDIT_BATCH */
    2};

static const struct db_stmt stmt_audit_delete = {
    "lc_ret_audit_delete",
    "DELETE FROM scanpost.audit_events WHERE at < $1::timestamptz AND id <= $2::bigint", 2};

static const struct db_stmt stmt_settings = {
    "lc_ret_settings",
    "INSERT INTO scanpost.retention_settings AS r (kind, keep_days, states, last_purged)"
    " VALUES ($1, $2::integer, $3::text[], $4::bigint) ON CONFLICT (kind) DO UPDATE"
    " SET keep_days = EXCLUDED.keep_days, states = EXCLUDED.states,"
    " last_run_at = now(), last_purged = EXCLUDED.last_purged",
    4};

static long scalar_long(PGresult *res)
{
	long v = atol(PQgetvalue(res, 0, 0));

	PQclear(res);
	return v;
}

static int record_setting(struct db *db, const char *kind, long days, long purged)
{
	char d[24], p[24], states[JOB_STATE_LIST_LEN] = "{}";
	const char *v[4] = {kind, d, states, p};

	if (strcmp(kind, "jobs") == 0)
		job_state_list(JOB_FLAG_FINISHED, states, sizeof(states));
	snprintf(d, sizeof(d), "%ld", days);
	snprintf(p, sizeof(p), "%ld", purged);
	return db_exec(db, &stmt_settings, v);
}

static enum lc_result purge_jobs(struct db *db, long days, int dry_run, const struct lc_who *who,
                                 long *count)
{
	*count = 0;
	if (days == 0)
		return LC_OK;
	for (int s = 0; s < JOB_STATE__MAX; s++) {
		long n = 0;
		enum lc_result rc;

		if (!job_state_has((enum job_state)s, JOB_FLAG_FINISHED))
			continue;
		/* Counted first: a state with nothing due writes no audit row. */
		rc = lifecycle_purge_jobs(db, job_state_name((enum job_state)s), days, 1, who, &n);
		if (rc == LC_OK && n > 0 && !dry_run)
			rc = lifecycle_purge_jobs(db, job_state_name((enum job_state)s), days, 0,
			                          who, &n);
		if (rc != LC_OK)
			return rc;
		*count += n;
	}
	return LC_OK;
}

static enum lc_result purge_sessions(struct db *db, long days, int dry_run,
                                     const struct lc_who *who, long *count)
{
	char d[24];
	const char *v[1] = {d};
	struct json_object *detail;
	PGresult *res;

	*count = 0;
	if (days == 0)
		return LC_OK;
	snprintf(d, sizeof(d), "%ld", days);
	if (dry_run) {
		if ((res = db_run(db, &stmt_sessions_count, v, NULL, NULL, 0)) == NULL)
			return LC_DB_ERROR;
		*count = scalar_long(res);
		return LC_OK;
	}
	if (db_begin(db) != 0 ||
	    (res = db_run(db, &stmt_sessions_delete, v, NULL, NULL, 0)) == NULL)
		return lc_rollback(db, LC_DB_ERROR);
	*count = atol(PQcmdTuples(res));
	PQclear(res);
	detail = lc_detail("kind", "sessions");
	lc_detail_int(detail, "older_than_days", days);
	lc_detail_int(detail, "deleted", *count);
	if (lc_audit(db, "retention_purged", who->actor, NULL, NULL, who->request_id, detail) !=
	        0 ||
	    record_setting(db, "sessions", days, *count) != 0 || db_commit(db) != 0) {
		*count = 0;
		return lc_rollback(db, LC_DB_ERROR);
	}
	return LC_OK;
}

/* The cutoff of days, as PostgreSQL's timestamptz text: 0, or -1. */
static int audit_cutoff(struct db *db, long days, char *out, size_t len)
{
	char d[24];
	const char *v[1] = {d};
	PGresult *res;

	snprintf(d, sizeof(d), "%ld", days);
	if ((res = db_run(db, &stmt_audit_cutoff, v, NULL, NULL, 0)) == NULL)
		return -1;
	snprintf(out, len, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

/* Hands every event before cutoff to out->line in id order; *last gets
 * the last id, *n how many.  0, -1 database, -2 the sink refused. */
static int audit_stream(struct db *db, const char *cutoff, const struct lc_audit_sink *out,
                        char last[24], long *n)
{
	const char *v[2] = {cutoff, last};
	PGresult *res;
	int rows;

	*n = 0;
	snprintf(last, 24, "0");
	do {
		if ((res = db_run(db, &stmt_audit_read, v, NULL, NULL, 0)) == NULL)
			return -1;
		rows = PQntuples(res);
		for (int i = 0; i < rows; i++) {
			if (out->line(out->ctx, PQgetvalue(res, i, 1),
			              (size_t)PQgetlength(res, i, 1)) != 0) {
				PQclear(res);
				return -2;
			}
		}
		if (rows > 0)
			snprintf(last, 24, "%s", PQgetvalue(res, rows - 1, 0));
		*n += rows;
		PQclear(res);
	} while (rows == AUDIT_BATCH);
	return 0;
}

/* Audit events: written out through the caller, then deleted, in one
 * transaction that commits only after out->done said the lines are safe.
 * The run's own retention_purged row is newer than the cutoff and stays. */
static enum lc_result purge_audit(struct db *db, long days, int dry_run,
                                  const struct lc_audit_sink *out, const struct lc_who *who,
                                  long *count)
{
	char cutoff[64], last[24];
	const char *v[2] = {cutoff, last};
	struct json_object *detail;
	PGresult *res;
	long n = 0;
	int rc;

	*count = 0;
	if (days == 0)
		return LC_OK;
	if (audit_cutoff(db, days, cutoff, sizeof(cutoff)) != 0)
		return LC_DB_ERROR;
	if (dry_run) {
		if ((res = db_run(db, &stmt_audit_count, v, NULL, NULL, 0)) == NULL)
			return LC_DB_ERROR;
		*count = scalar_long(res);
		return LC_OK;
	}
	if (db_begin(db) != 0)
		return lc_rollback(db, LC_DB_ERROR);
	if ((rc = audit_stream(db, cutoff, out, last, &n)) != 0)
		return lc_rollback(db, rc == -2 ? LC_EXPORT_FAILED : LC_DB_ERROR);
	if (n > 0 && out->done(out->ctx) != 0)
		return lc_rollback(db, LC_EXPORT_FAILED);
	if (n > 0 && db_exec(db, &stmt_audit_delete, v) != 0)
		return lc_rollback(db, LC_DB_ERROR);
	detail = lc_detail("kind", "audit_events");
	lc_detail_int(detail, "older_than_days", days);
	lc_detail_int(detail, "deleted", n);
	if (lc_audit(db, "retention_purged", who->actor, NULL, NULL, who->request_id, detail) !=
	        0 ||
	    record_setting(db, "audit_events", days, n) != 0 || db_commit(db) != 0)
		return lc_rollback(db, LC_DB_ERROR);
	*count = n;
	return LC_OK;
}

enum lc_result lifecycle_retention(struct db *db, const struct lc_retention *keep, int dry_run,
                                   const struct lc_audit_sink *out, const struct lc_who *who,
                                   struct lc_retention_counts *counts)
{
	enum lc_result rc;

	memset(counts, 0, sizeof(*counts));
	/* Jobs first: a session goes only when no job points at it. */
	if ((rc = purge_jobs(db, keep->job_days, dry_run, who, &counts->jobs)) != LC_OK)
		return rc;
	if (!dry_run && record_setting(db, "jobs", keep->job_days, counts->jobs) != 0)
		return LC_DB_ERROR;
	if ((rc = purge_sessions(db, keep->session_days, dry_run, who, &counts->sessions)) != LC_OK)
		return rc;
	if (!dry_run && keep->session_days == 0 && record_setting(db, "sessions", 0, 0) != 0)
		return LC_DB_ERROR;
	if ((rc = purge_audit(db, keep->audit_days, dry_run, out, who, &counts->audit)) != LC_OK)
		return rc;
	if (!dry_run && keep->audit_days == 0 && record_setting(db, "audit_events", 0, 0) != 0)
		return LC_DB_ERROR;
	return LC_OK;
}

int lifecycle_audit_write(struct db *db, long older_than_days, const struct lc_audit_sink *out,
                          long *count)
{
	char cutoff[64], last[24];
	int rc;

	*count = 0;
	if (audit_cutoff(db, older_than_days, cutoff, sizeof(cutoff)) != 0)
		return -1;
	if ((rc = audit_stream(db, cutoff, out, last, count)) != 0)
		return rc;
	return out->done(out->ctx) != 0 ? -2 : 0;
}
