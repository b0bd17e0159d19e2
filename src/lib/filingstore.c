/*
 * filingstore.c - the filing tree's statements (see filingstore.h).
 */
#include "filingstore.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "filing.h"
#include "jobstate.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* The kinds as the table spells them (sql/005_filing.sql). */
static const char *const kind_names[] = {
    [FS_NONE] = "",           [FS_FOLDER] = "folder",     [FS_FILE] = "file",
    [FS_JOB_LOG] = "job_log", [FS_DOCUMENT] = "document",
};

static enum fs_kind kind_of(const char *s)
{
	size_t i;

	for (i = 1; i < N_ELEMS(kind_names); i++)
		if (strcmp(kind_names[i], s) == 0)
			return (enum fs_kind)i;
	return FS_NONE;
}

/* A folder's path as the parent of what it holds: "/" + name under the
 * root, dir + "/" + name below it. */
#define FOLDER_PATH_SQL "(CASE f.dir WHEN '/' THEN '/' || f.name ELSE f.dir || '/' || f.name END)"

static const struct db_stmt stmt_kind = {
    "filing_kind",
    "SELECT kind FROM scanpost.filing_entries WHERE job_id = $1::uuid AND dir = $2 AND name = $3",
    3};

static const struct db_stmt stmt_add = {
    "filing_add",
    "INSERT INTO scanpost.filing_entries (job_id, dir, name, kind, bytes, file_no)"
    " VALUES ($1::uuid, $2, $3, $4, $5::bigint, $6::integer)",
    6};

static const struct db_stmt stmt_delete_file = {
    "filing_delete_file",
    "DELETE FROM scanpost.filing_entries WHERE job_id = $1::uuid AND dir = $2 AND name = $3"
    " AND kind IN ('file', 'job_log')",
    3};

/* $3 is dir + '/' (the prefix of everything below dir). */
static const struct db_stmt stmt_folder_count = {
    "filing_folder_count",
    "SELECT count(*) FILTER (WHERE dir = $2),"
    " count(*) FILTER (WHERE kind = 'document' AND (dir = $2 OR starts_with(dir, $3)))"
    " FROM scanpost.filing_entries WHERE job_id = $1::uuid",
    3};

static const struct db_stmt stmt_clear_files = {
    "filing_clear_files",
    "DELETE FROM scanpost.filing_entries WHERE job_id = $1::uuid"
    " AND kind IN ('file', 'job_log') AND (dir = $2 OR starts_with(dir, $3))",
    3};

static const struct db_stmt stmt_clear_folders = {
    "filing_clear_folders",
    "DELETE FROM scanpost.filing_entries f WHERE f.job_id = $1::uuid AND f.kind = 'folder'"
    " AND (f.dir = $2 OR starts_with(f.dir, $3))"
    " AND NOT EXISTS (SELECT 1 FROM scanpost.filing_entries d WHERE d.job_id = f.job_id"
    "   AND d.kind = 'document' AND (d.dir = " FOLDER_PATH_SQL
    "   OR starts_with(d.dir, " FOLDER_PATH_SQL " || '/')))",
    3};

static const struct db_stmt stmt_remove_folder = {
    "filing_remove_folder",
    "DELETE FROM scanpost.filing_entries WHERE job_id = $1::uuid AND dir = $2 AND name = $3"
    " AND kind = 'folder'",
    3};

static const struct db_stmt stmt_list = {
    "filing_list",
    "SELECT name, kind FROM scanpost.filing_entries WHERE job_id = $1::uuid AND dir = $2"
    " ORDER BY name COLLATE \"C\"",
    2};

static const struct db_stmt stmt_extra_bytes = {
    "filing_extra_bytes",
    "SELECT coalesce(sum(bytes), 0) FROM scanpost.filing_entries"
    " WHERE job_id = $1::uuid AND kind <> 'document'",
    1};

static const struct db_stmt stmt_job_log_record = {
    "filing_job_log_record",
    "INSERT INTO scanpost.job_logs (job_id, bytes, files) VALUES ($1::uuid, $2::bigint,"
    " (SELECT count(*) FROM scanpost.job_files WHERE job_id = $1::uuid))"
    " ON CONFLICT (job_id) DO NOTHING",
    2};

static const struct db_stmt stmt_job_log_arrived = {
    "filing_job_log_arrived", "SELECT 1 FROM scanpost.job_logs WHERE job_id = $1::uuid", 1};

static const struct db_stmt stmt_job_log_wait = {
    "filing_job_log_wait",
    "SELECT j.state = $3 AND EXISTS (SELECT 1 FROM scanpost.job_files f WHERE f.job_id = j.id),"
    " EXISTS (SELECT 1 FROM scanpost.job_logs l WHERE l.job_id = j.id)"
    " FROM scanpost.jobs j WHERE j.id = $1::uuid AND j.owner = $2",
    3};

/* One value of a one-row answer, or NULL (no row, or an error: *err). */
static PGresult *one_row(struct db *db, const struct db_stmt *st, const char *const *v, int *err)
{
	PGresult *res = db_run(db, st, v, NULL, NULL, 0);

	*err = res == NULL;
	if (res && PQntuples(res) != 1) {
		PQclear(res);
		return NULL;
	}
	return res;
}

int filingstore_kind(struct db *db, const char *job_id, const char *dir, const char *name,
                     enum fs_kind *out)
{
	const char *v[3] = {job_id, dir, name};
	int err;
	PGresult *res = one_row(db, &stmt_kind, v, &err);

	*out = FS_NONE;
	if (err)
		return -1;
	if (res) {
		*out = kind_of(PQgetvalue(res, 0, 0));
		PQclear(res);
	}
	return 0;
}

int filingstore_folder_exists(struct db *db, const char *job_id, const char *dir)
{
	char parent[FILING_DIR_MAX + 1], name[FILING_NAME_MAX + 1];
	enum fs_kind k;

	if (strcmp(dir, "/") == 0)
		return 1;
	if (filing_dir_split(dir, parent, sizeof(parent), name, sizeof(name)) != 0)
		return 0;
	if (filingstore_kind(db, job_id, parent, name, &k) != 0)
		return -1;
	return k == FS_FOLDER;
}

int filingstore_add(struct db *db, const char *job_id, const char *dir, const char *name,
                    enum fs_kind kind, uint64_t bytes, int file_no)
{
	char b[24], f[16];
	const char *v[6] = {job_id, dir, name, kind_names[kind], b, NULL};

	if (kind == FS_NONE)
		return -1;
	snprintf(b, sizeof(b), "%llu", (unsigned long long)bytes);
	if (kind == FS_DOCUMENT) {
		snprintf(f, sizeof(f), "%d", file_no);
		v[5] = f;
	}
	return db_exec(db, &stmt_add, v);
}

/* Rows a DELETE removed, or -1. */
static int deleted(struct db *db, const struct db_stmt *st, const char *const *v)
{
	PGresult *res = db_run(db, st, v, NULL, NULL, 0);
	int n;

	if (!res)
		return -1;
	n = atoi(PQcmdTuples(res));
	PQclear(res);
	return n;
}

int filingstore_delete_file(struct db *db, const char *job_id, const char *dir, const char *name)
{
	const char *v[3] = {job_id, dir, name};
	int n = deleted(db, &stmt_delete_file, v);

	return n < 0 ? -1 : n > 0;
}

/* dir + '/', the prefix of what is below dir ("/" for the root). */
static void below(const char *dir, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s%s", dir, strcmp(dir, "/") == 0 ? "" : "/");
}

int filingstore_folder_count(struct db *db, const char *job_id, const char *dir, long *entries,
                             long *documents)
{
	char prefix[FILING_DIR_MAX + 2];
	const char *v[3] = {job_id, dir, prefix};
	int err;
	PGresult *res;

	below(dir, prefix, sizeof(prefix));
	res = one_row(db, &stmt_folder_count, v, &err);
	if (!res)
		return -1;
	*entries = atol(PQgetvalue(res, 0, 0));
	*documents = atol(PQgetvalue(res, 0, 1));
	PQclear(res);
	return 0;
}

int filingstore_clear(struct db *db, const char *job_id, const char *dir)
{
	char prefix[FILING_DIR_MAX + 2];
	const char *v[3] = {job_id, dir, prefix};

	below(dir, prefix, sizeof(prefix));
	if (db_exec(db, &stmt_clear_files, v) != 0)
		return -1;
	return db_exec(db, &stmt_clear_folders, v);
}

int filingstore_remove_folder(struct db *db, const char *job_id, const char *dir)
{
	char parent[FILING_DIR_MAX + 1], name[FILING_NAME_MAX + 1];
	const char *v[3] = {job_id, parent, name};

	if (filing_dir_split(dir, parent, sizeof(parent), name, sizeof(name)) != 0)
		return -1;
	return deleted(db, &stmt_remove_folder, v) < 0 ? -1 : 0;
}

char *filingstore_list(struct db *db, const char *job_id, const char *dir)
{
	const char *v[2] = {job_id, dir};
	PGresult *res = db_run(db, &stmt_list, v, NULL, NULL, 0);
	size_t need = 1, used = 0;
	char *out;
	int i, n;

	if (!res)
		return NULL;
	n = PQntuples(res);
	for (i = 0; i < n; i++)
		need += strlen(PQgetvalue(res, i, 0)) + 2;
	out = malloc(need);
	if (out) {
		for (i = 0; i < n; i++) {
			const char *name = PQgetvalue(res, i, 0);
			bool folder = kind_of(PQgetvalue(res, i, 1)) == FS_FOLDER;

			used += (size_t)snprintf(out + used, need - used, "%s%s\n", name,
			                         folder ? "/" : "");
		}
		out[used] = '\0';
	}
	PQclear(res);
	return out;
}

int filingstore_extra_bytes(struct db *db, const char *job_id, uint64_t *bytes)
{
	const char *v[1] = {job_id};
	int err;
	PGresult *res = one_row(db, &stmt_extra_bytes, v, &err);

	if (!res)
		return -1;
	*bytes = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return 0;
}

int filingstore_job_log_record(struct db *db, const char *job_id, uint64_t bytes)
{
	char b[24];
	const char *v[2] = {job_id, b};

	snprintf(b, sizeof(b), "%llu", (unsigned long long)bytes);
	return db_exec(db, &stmt_job_log_record, v);
}

int filingstore_job_log_arrived(struct db *db, const char *job_id)
{
	const char *v[1] = {job_id};
	int err;
	PGresult *res = one_row(db, &stmt_job_log_arrived, v, &err);

	if (err)
		return -1;
	if (!res)
		return 0;
	PQclear(res);
	return 1;
}

enum fs_wait filingstore_wait_job_log(struct db *db, const char *job_id, const char *owner,
                                      long timeout_ms)
{
	const char *v[3] = {job_id, owner, job_state_name(JOB_AWAITING_SCAN)};
	const struct timespec nap = {0, 250 * 1000000L};
	struct timespec t0, now;
	int err;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		PGresult *res = one_row(db, &stmt_job_log_wait, v, &err);
		enum fs_wait w;
		long spent;

		if (err)
			return FS_WAIT_ERROR;
		if (!res)
			return FS_WAIT_ELSEWHERE;
		w = PQgetvalue(res, 0, 0)[0] != 't'   ? FS_WAIT_ELSEWHERE
		    : PQgetvalue(res, 0, 1)[0] == 't' ? FS_WAIT_ARRIVED
		                                      : FS_WAIT_MISSING;
		PQclear(res);
		clock_gettime(CLOCK_MONOTONIC, &now);
		spent = (now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000;
		if (w != FS_WAIT_MISSING || spent >= timeout_ms)
			return w;
		nanosleep(&nap, NULL);
	}
}
