/*
 * raw_insert.c - the baseline of the upload benchmark: the same bytes as a
 * scanned document, inserted with plain libpq binary parameters into a
 * table shaped like scanpost.document_chunks (same chunk size, same
 * EXTERNAL storage, logged like it: a TEMP table would skip the WAL and
 * flatter the baseline), in one transaction.  No TLS, no HTTP, no
 * encryption: what the database alone costs.
 *
 *   raw-insert CONNINFO BYTES ROUNDS
 *     -> prints "raw_insert_mib_s <best> cpu_seconds <this program's CPU in that round>"
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define CHUNK (256 * 1024 + 16) /* a sealed chunk: plaintext + GCM tag */

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* CPU seconds of this process so far, user and system. */
static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static int ok(PGconn *c, PGresult *r)
{
	int good = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;

	if (!good)
		fprintf(stderr, "raw-insert: %s", PQerrorMessage(c));
	PQclear(r);
	return good;
}

int main(int argc, char **argv)
{
	PGconn *c;
	long long bytes;
	int rounds;
	double best = 0, best_cpu = 0;
	char *buf;

	if (argc != 4) {
		fprintf(stderr, "usage: raw-insert CONNINFO BYTES ROUNDS\n");
		return 2;
	}
	bytes = atoll(argv[2]);
	rounds = atoi(argv[3]);
	c = PQconnectdb(argv[1]);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "raw-insert: %s", PQerrorMessage(c));
		return 1;
	}
	if ((buf = malloc(CHUNK)) == NULL)
		return 1;
	for (int i = 0; i < CHUNK; i++)
		buf[i] = (char)(i * 131 + 7);
	if (!ok(c, PQexec(c, "DROP TABLE IF EXISTS public.scanpost_bench_raw_chunks")) ||
	    !ok(c, PQexec(c, "CREATE TABLE public.scanpost_bench_raw_chunks (job_id uuid,"
	                     " file_no int, chunk_index bigint, is_last boolean, ciphertext bytea,"
	                     " PRIMARY KEY (job_id, file_no, chunk_index))")) ||
	    !ok(c, PQexec(c, "ALTER TABLE scanpost_bench_raw_chunks ALTER ciphertext SET STORAGE "
	                     "EXTERNAL")) ||
	    !ok(c, PQprepare(c, "ins",
	                     "INSERT INTO scanpost_bench_raw_chunks VALUES (gen_random_uuid(), 0, "
	                     "$1::bigint,"
	                     " $2::boolean, $3)",
	                     3, NULL)))
		return 1;
	for (int r = 0; r < rounds; r++) {
		long long left = bytes;
		double t0 = now_s(), c0 = cpu_s();
		if (!ok(c, PQexec(c, "BEGIN")))
			return 1;
		for (long long idx = 0; left > 0; idx++) {
			int n = left > CHUNK - 16 ? CHUNK : (int)left + 16;
			char sidx[24];
			snprintf(sidx, sizeof(sidx), "%lld", idx);
			left -= n - 16;
			const char *v[3] = {sidx, left > 0 ? "false" : "true", buf};
			int len[3] = {0, 0, n}, fmt[3] = {0, 0, 1};
			if (!ok(c, PQexecPrepared(c, "ins", 3, v, len, fmt, 0)))
				return 1;
		}
		if (!ok(c, PQexec(c, "COMMIT")))
			return 1;
		/* The clock stops at the COMMIT, as the upload's stops at the 200
		 * that follows its COMMIT; the TRUNCATE is the next round's
		 * cleaning, like the DELETE bench/run sends after an upload. */
		double rate = (double)bytes / (1024.0 * 1024.0) / (now_s() - t0);
		double cpu = cpu_s() - c0;
		if (rate > best) {
			best = rate;
			best_cpu = cpu;
		}
		if (!ok(c, PQexec(c, "TRUNCATE scanpost_bench_raw_chunks")))
			return 1;
	}
	if (!ok(c, PQexec(c, "DROP TABLE public.scanpost_bench_raw_chunks")))
		return 1;
	printf("raw_insert_mib_s %.1f cpu_seconds %.4f\n", best, best_cpu);
	free(buf);
	PQfinish(c);
	return 0;
}
