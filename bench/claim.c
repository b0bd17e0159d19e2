/*
 * claim.c - the claim benchmark (issue 11): how fast the sender's real
 * lifecycle_claim (libscanpost.a, the function its workers call) takes
 * queued jobs, against a raw `FOR UPDATE SKIP LOCKED` dequeue loop over a
 * scratch copy of scanpost.jobs with the same rows.
 *
 *   claim-bench OWNER_CONNINFO SENDER_CONNINFO JOBS ROUNDS
 *
 * Each round, for 1 and then 4 claimers (a thread and a connection each),
 * interleaved: JOBS jobs queued as submit leaves them (state queued,
 * submitted_at and next_attempt_at now, the upload link gone) in a session
 * of the benchmark's own, claimed until none is left; then a scratch table
 * (LIKE scanpost.jobs INCLUDING ALL: columns, defaults, checks, indexes)
 * filled with a copy of every row of scanpost.jobs as it was before the
 * claims, drained by the raw loop.  The benchmark's jobs, their audit rows
 * and the scratch schema are removed after every round, and both tables
 * are vacuumed, so every round starts alike.  Prints, per claimer count,
 * the best rate of each and their ratio.  Run with the sender stopped: a
 * live sender would claim the benchmark's jobs too (bench/run does that).
 */
#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "lifecycle.h"

#define BENCH_OWNER   "bench-claim"
#define BENCH_SCHEMA  "scanpost_bench_claim"
#define LEASE_SECONDS 300
#define MAX_CLAIMERS  4

static const char *owner_conninfo, *sender_conninfo;

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int sql(PGconn *c, const char *q)
{
	PGresult *r = PQexec(c, q);
	int good = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;

	if (!good)
		fprintf(stderr, "claim-bench: %s: %s", q, PQerrorMessage(c));
	PQclear(r);
	return good ? 0 : -1;
}

/* Removes whatever an earlier (perhaps interrupted) run left behind. */
static int cleanup(PGconn *c)
{
	static const char *const steps[] = {
	    "DROP SCHEMA IF EXISTS " BENCH_SCHEMA " CASCADE",
	    "DELETE FROM scanpost.audit_events WHERE job_id IN"
	    " (SELECT id FROM scanpost.jobs WHERE owner = '" BENCH_OWNER "')",
	    "DELETE FROM scanpost.jobs WHERE owner = '" BENCH_OWNER "'",
	    "DELETE FROM scanpost.sessions WHERE rmail_user = '" BENCH_OWNER "'",
	    "VACUUM ANALYZE scanpost.jobs",
	    "VACUUM ANALYZE scanpost.audit_events",
	};

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (sql(c, steps[i]) != 0)
			return -1;
	return 0;
}

/* JOBS queued jobs, as submit leaves them, and the scratch copy of the
 * table with the same rows (made before any claim). */
static int fill(PGconn *c, long jobs)
{
	char q[1024];

	if (sql(c, "INSERT INTO scanpost.sessions (secret_hash, rmail_user, expires_at)"
	           " VALUES (sha256(convert_to(gen_random_uuid()::text, 'UTF8')), '" BENCH_OWNER
	           "', now() + interval '1 hour')") != 0)
		return -1;
	snprintf(q, sizeof(q),
	         "INSERT INTO scanpost.jobs (session_id, owner, state, to_addrs, subject, body,"
	         " settings, uploaded_bytes, submitted_at, next_attempt_at)"
	         " SELECT s.id, '" BENCH_OWNER "', 'queued', '{bench@example.org}', 'bench',"
	         " 'bench', '{\"scan\":{\"format\":\"pdf\"}}', 10240, now(),"
	         " now() - g * interval '1 millisecond'"
	         " FROM scanpost.sessions s, generate_series(1, %ld) g"
	         " WHERE s.rmail_user = '" BENCH_OWNER "'",
	         jobs);
	if (sql(c, q) != 0 || sql(c, "CREATE SCHEMA " BENCH_SCHEMA) != 0 ||
	    sql(c, "CREATE TABLE " BENCH_SCHEMA ".jobs (LIKE scanpost.jobs INCLUDING ALL)") != 0 ||
	    sql(c, "INSERT INTO " BENCH_SCHEMA ".jobs SELECT * FROM scanpost.jobs") != 0 ||
	    sql(c, "VACUUM ANALYZE scanpost.jobs") != 0 ||
	    sql(c, "VACUUM ANALYZE " BENCH_SCHEMA ".jobs") != 0)
		return -1;
	return 0;
}

struct claimer {
	int index;
	int raw;
	pthread_barrier_t *start;
	long claimed;
	int failed;
};

static const char raw_dequeue[] =
    "UPDATE " BENCH_SCHEMA ".jobs SET state = 'sending', lease_owner = $1,"
    " lease_until = now() + make_interval(secs => $2::bigint), attempts = attempts + 1,"
    " updated_at = now()"
    " WHERE id = (SELECT id FROM " BENCH_SCHEMA ".jobs WHERE state = 'queued'"
    "  AND next_attempt_at <= now() ORDER BY next_attempt_at FOR UPDATE SKIP LOCKED LIMIT 1)"
    " RETURNING id, session_id, owner, attempts";

static void raw_loop(struct claimer *k, const char *lease_owner)
{
	PGconn *c = PQconnectdb(owner_conninfo);
	const char *v[2] = {lease_owner, "300"};
	PGresult *r;

	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "claim-bench: %s", PQerrorMessage(c));
		k->failed = 1;
		pthread_barrier_wait(k->start);
		PQfinish(c);
		return;
	}
	r = PQprepare(c, "raw_dequeue", raw_dequeue, 2, NULL);
	k->failed = PQresultStatus(r) != PGRES_COMMAND_OK;
	PQclear(r);
	pthread_barrier_wait(k->start);
	while (!k->failed) {
		r = PQexecPrepared(c, "raw_dequeue", 2, v, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_TUPLES_OK) {
			fprintf(stderr, "claim-bench: raw: %s", PQerrorMessage(c));
			k->failed = 1;
		} else if (PQntuples(r) == 0) {
			PQclear(r);
			break;
		} else
			k->claimed++;
		PQclear(r);
	}
	PQfinish(c);
}

static void claim_loop(struct claimer *k, const char *lease_owner)
{
	struct db *db = db_new(sender_conninfo);
	struct queued_job j;

	/* Connect and prepare outside the timed part, as a running worker has. */
	k->failed = db == NULL || db_ensure(db) != 0;
	pthread_barrier_wait(k->start);
	while (!k->failed) {
		enum lc_result rc = lifecycle_claim(db, lease_owner, LEASE_SECONDS, &j);

		if (rc == LC_NOT_FOUND)
			break;
		if (rc != LC_OK) {
			fprintf(stderr, "claim-bench: claim: %s\n", db_error(db));
			k->failed = 1;
			break;
		}
		if (strcmp(j.owner, BENCH_OWNER) != 0)
			fprintf(stderr, "claim-bench: claimed job %s of another owner\n", j.id);
		k->claimed++;
		queued_job_free(&j);
	}
	db_free(db);
}

static void *claimer_main(void *arg)
{
	struct claimer *k = arg;
	char lease_owner[64];

	snprintf(lease_owner, sizeof(lease_owner), "bench-claim:%d", k->index);
	if (k->raw)
		raw_loop(k, lease_owner);
	else
		claim_loop(k, lease_owner);
	return NULL;
}

/* Claims until the queue is empty with n claimers; jobs per second, or -1. */
static double drain(int n, int raw, long jobs)
{
	struct claimer k[MAX_CLAIMERS];
	pthread_t t[MAX_CLAIMERS];
	pthread_barrier_t start;
	long claimed = 0;
	int failed = 0;
	double t0, t1;

	pthread_barrier_init(&start, NULL, (unsigned)n + 1);
	for (int i = 0; i < n; i++) {
		k[i] = (struct claimer){.index = i, .raw = raw, .start = &start};
		pthread_create(&t[i], NULL, claimer_main, &k[i]);
	}
	pthread_barrier_wait(&start);
	t0 = now_s();
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	t1 = now_s();
	pthread_barrier_destroy(&start);
	for (int i = 0; i < n; i++) {
		claimed += k[i].claimed;
		failed |= k[i].failed;
	}
	if (failed || claimed < jobs) {
		fprintf(stderr, "claim-bench: %s claimed %ld of %ld\n", raw ? "raw" : "claim",
		        claimed, jobs);
		return -1;
	}
	return (double)claimed / (t1 - t0);
}

int main(int argc, char **argv)
{
	static const int claimers[2] = {1, MAX_CLAIMERS};
	double best[2][2] = {{0, 0}, {0, 0}};
	long jobs;
	int rounds, rc = 0;
	PGconn *c;

	if (argc != 5) {
		fprintf(stderr, "usage: claim-bench OWNER_CONNINFO SENDER_CONNINFO JOBS ROUNDS\n");
		return 2;
	}
	owner_conninfo = argv[1];
	sender_conninfo = argv[2];
	jobs = atol(argv[3]);
	rounds = atoi(argv[4]);
	if (jobs < 1 || jobs > 100000 || rounds < 1 || rounds > 20) {
		fprintf(stderr, "claim-bench: JOBS 1..100000, ROUNDS 1..20\n");
		return 2;
	}
	c = PQconnectdb(owner_conninfo);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "claim-bench: %s", PQerrorMessage(c));
		return 1;
	}
	if (sql(c, "SET client_min_messages = warning") != 0 || cleanup(c) != 0)
		return 1;
	for (int r = 0; r < rounds && rc == 0; r++)
		for (int i = 0; i < 2 && rc == 0; i++) {
			double claim, raw;

			if (fill(c, jobs) != 0 || (claim = drain(claimers[i], 0, jobs)) < 0 ||
			    (raw = drain(claimers[i], 1, jobs)) < 0)
				rc = 1;
			else {
				best[i][0] = claim > best[i][0] ? claim : best[i][0];
				best[i][1] = raw > best[i][1] ? raw : best[i][1];
			}
			if (cleanup(c) != 0)
				rc = 1;
		}
	PQfinish(c);
	if (rc != 0)
		return rc;
	for (int i = 0; i < 2; i++)
		printf("claimers %d claim_per_s %.0f raw_per_s %.0f ratio %.2f\n", claimers[i],
		       best[i][0], best[i][1], best[i][1] > 0 ? best[i][0] / best[i][1] : 0.0);
	return 0;
}
