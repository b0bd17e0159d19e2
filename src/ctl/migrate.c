/*
 * migrate.c - applies the numbered migrations of sql_dir (see migrate.h).
 */
#include "migrate.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codec.h"
#include "log.h"

#define SQL_SUFFIX         ".sql"
#define SQL_SUFFIX_LEN     (sizeof(SQL_SUFFIX) - 1)
#define VERSION_DIGITS_MIN 3
#define VERSION_DIGITS_MAX 6

static const char *const err_text[] = {
    [MIGRATE_OK] = "ok",
    [MIGRATE_SKIP] = "not a migration file",
    [MIGRATE_ERR_NAME] = "bad migration file name",
    [MIGRATE_ERR_ORDER] = "migrations out of order",
    [MIGRATE_ERR_IO] = "cannot read migrations",
    [MIGRATE_ERR_CHECKSUM] = "an applied migration was changed",
    [MIGRATE_ERR_DB] = "database error",
    [MIGRATE_ERR_NOMEM] = "out of memory",
};

const char *migrate_strerror(int err)
{
	if (err < 0 || (size_t)err >= sizeof(err_text) / sizeof(err_text[0]))
		return "unknown migrate error";
	return err_text[err];
}

static int fail(int rc, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(int rc, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return rc;
}

/* ---- pure: names and order ---------------------------------------------- */

static int name_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

int migration_parse_name(const char *fname, struct migration *out)
{
	size_t len = strlen(fname), digits = 0, name_len;
	const char *name;
	long version = 0;

	/* Editors leave hidden files (.#001_x.sql); only *.sql files count. */
	if (fname[0] == '.' || len < SQL_SUFFIX_LEN ||
	    strcmp(fname + len - SQL_SUFFIX_LEN, SQL_SUFFIX) != 0)
		return MIGRATE_SKIP;
	if (len >= MIGRATION_FILE_MAX)
		return MIGRATE_ERR_NAME;
	while (fname[digits] >= '0' && fname[digits] <= '9') {
		if (digits == VERSION_DIGITS_MAX)
			return MIGRATE_ERR_NAME;
		version = version * 10 + (fname[digits] - '0');
		digits++;
	}
	if (digits < VERSION_DIGITS_MIN || fname[digits] != '_' || version < 1)
		return MIGRATE_ERR_NAME;
	name = fname + digits + 1;
	name_len = len - digits - 1 - SQL_SUFFIX_LEN;
	if (name_len == 0 || name_len > MIGRATION_NAME_MAX)
		return MIGRATE_ERR_NAME;
	for (size_t i = 0; i < name_len; i++)
		if (!name_char_ok(name[i]))
			return MIGRATE_ERR_NAME;

	out->version = (int)version;
	memcpy(out->name, name, name_len);
	out->name[name_len] = '\0';
	memcpy(out->file, fname, len + 1);
	return MIGRATE_OK;
}

static int by_version(const void *a, const void *b)
{
	const struct migration *x = a, *y = b;

	if (x->version != y->version)
		return x->version < y->version ? -1 : 1;
	return strcmp(x->file, y->file);
}

int migration_order(struct migration *items, size_t n, char *err, size_t errlen)
{
	if (n == 0)
		return MIGRATE_OK;
	qsort(items, n, sizeof(*items), by_version);
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && items[i].version == items[i - 1].version)
			return fail(MIGRATE_ERR_ORDER, err, errlen,
			            "%s and %s have the same version %d", items[i - 1].file,
			            items[i].file, items[i].version);
		if ((size_t)items[i].version != i + 1) {
			if (i == 0)
				return fail(MIGRATE_ERR_ORDER, err, errlen,
				            "migrations start at version 1, the first is %s",
				            items[0].file);
			return fail(MIGRATE_ERR_ORDER, err, errlen,
			            "no migration %zu between %s and %s (versions must not have "
			            "gaps)",
			            i + 1, items[i - 1].file, items[i].file);
		}
	}
	return MIGRATE_OK;
}

/* ---- files --------------------------------------------------------------- */

int migration_list(const char *dir, struct migration **items, size_t *n, char *err, size_t errlen)
{
	struct migration *list = NULL, m;
	size_t count = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int rc = MIGRATE_OK;

	*items = NULL;
	*n = 0;
	if ((d = opendir(dir)) == NULL)
		return fail(MIGRATE_ERR_IO, err, errlen, "sql_dir %s: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		int prc = migration_parse_name(de->d_name, &m);

		if (prc == MIGRATE_SKIP)
			continue;
		if (prc != MIGRATE_OK) {
			rc =
			    fail(prc, err, errlen, "%s/%.100s: not a migration name (NNN_name.sql)",
			         dir, de->d_name);
			goto out;
		}
		if (count == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct migration *grown = realloc(list, ncap * sizeof(*list));

			if (grown == NULL) {
				rc = fail(MIGRATE_ERR_NOMEM, err, errlen, "out of memory");
				goto out;
			}
			list = grown;
			cap = ncap;
		}
		list[count++] = m;
	}
	rc = migration_order(list, count, err, errlen);
out:
	closedir(d);
	if (rc != MIGRATE_OK) {
		free(list);
		return rc;
	}
	*items = list;
	*n = count;
	return MIGRATE_OK;
}

int migration_read(const char *dir, const struct migration *m, char **sql,
                   char hex[MIGRATION_CHECKSUM_LEN], char *err, size_t errlen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char path[PATH_MAX];
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int fd, rc = MIGRATE_ERR_IO;

	if (sql)
		*sql = NULL;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, m->file) >= sizeof(path))
		return fail(MIGRATE_ERR_IO, err, errlen, "%s: path too long", m->file);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		return fail(MIGRATE_ERR_IO, err, errlen, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		fail(rc, err, errlen, "%s: not a regular file", path);
		goto out;
	}
	if (st.st_size > MIGRATION_MAX_BYTES) {
		fail(rc, err, errlen, "%s: larger than %d bytes", path, MIGRATION_MAX_BYTES);
		goto out;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		rc = fail(MIGRATE_ERR_NOMEM, err, errlen, "out of memory");
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			fail(rc, err, errlen, "%s: %s", path,
			     r < 0 ? strerror(errno) : "short read");
			goto out;
		}
		got += (size_t)r;
	}
	buf[got] = '\0';
	/* PQexec takes a C string: a NUL inside would silently cut the file. */
	if (memchr(buf, '\0', got) != NULL) {
		fail(rc, err, errlen, "%s: contains a NUL byte", path);
		goto out;
	}
	if (EVP_Digest(buf, got, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32) {
		rc = fail(MIGRATE_ERR_NOMEM, err, errlen, "%s: SHA-256 failed", path);
		goto out;
	}
	if (hex)
		hex_encode(md, mdlen, hex);
	if (sql) {
		*sql = buf;
		buf = NULL;
	}
	rc = MIGRATE_OK;
out:
	free(buf);
	close(fd);
	return rc;
}

/* ---- database ------------------------------------------------------------ */

static const struct db_stmt stmt_schema = {"migrate_schema", "CREATE SCHEMA IF NOT EXISTS scanpost",
                                           0};
static const struct db_stmt stmt_table = {"migrate_table",
                                          "CREATE TABLE IF NOT EXISTS scanpost.schema_migrations ("
                                          " version integer PRIMARY KEY CHECK (version > 0),"
                                          " name text NOT NULL,"
                                          " applied_at timestamptz NOT NULL DEFAULT now(),"
                                          " checksum text NOT NULL)",
                                          0};
static const struct db_stmt stmt_exists = {
    "migrate_exists", "SELECT to_regclass('scanpost.schema_migrations') IS NOT NULL", 0};
/* One migrate at a time: a second one waits, then finds nothing to apply. */
static const struct db_stmt stmt_lock = {
    "migrate_lock", "SELECT pg_advisory_lock(hashtext('scanpost.migrate'))", 0};
static const struct db_stmt stmt_unlock = {
    "migrate_unlock", "SELECT pg_advisory_unlock(hashtext('scanpost.migrate'))", 0};
static const struct db_stmt stmt_applied = {
    "migrate_applied",
    "SELECT version, name, checksum,"
    " to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
    " FROM scanpost.schema_migrations ORDER BY version",
    0};
static const struct db_stmt stmt_record = {
    "migrate_record",
    "INSERT INTO scanpost.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", 3};

static int db_fail(struct db *db, char *err, size_t errlen)
{
	return fail(MIGRATE_ERR_DB, err, errlen, "%s", db_error(db));
}

static int ensure_table(struct db *db, char *err, size_t errlen)
{
	if (db_begin(db) != 0 || db_exec(db, &stmt_schema, NULL) != 0 ||
	    db_exec(db, &stmt_table, NULL) != 0 || db_commit(db) != 0) {
		int rc = db_fail(db, err, errlen);

		db_rollback(db);
		return rc;
	}
	return MIGRATE_OK;
}

/* The recorded migrations, checked against the files: every applied
 * version has its file, unchanged, and the applied ones are exactly
 * 1..*napplied.  With out set (status), problems are listed and the first
 * one returned after the listing. */
static int check_applied(const PGresult *res, const char *dir, const struct migration *items,
                         size_t n, size_t *napplied, FILE *out, char *err, size_t errlen)
{
	int rows = PQntuples(res), rc = MIGRATE_OK;

	*napplied = (size_t)rows;
	for (int i = 0; i < rows; i++) {
		int version = atoi(PQgetvalue(res, i, 0));
		const char *name = PQgetvalue(res, i, 1), *sum = PQgetvalue(res, i, 2);
		const char *at = PQgetvalue(res, i, 3);
		char hex[MIGRATION_CHECKSUM_LEN], ferr[256];
		int frc;

		if (version < 1 || (size_t)version > n) {
			if (out)
				fprintf(out, "MISSING  %03d_%s.sql  applied %s, no such file\n",
				        version, name, at);
			if (rc == MIGRATE_OK)
				rc = fail(MIGRATE_ERR_CHECKSUM, err, errlen,
				          "migration %d (%s) is applied but %s has no file for it",
				          version, name, dir);
			continue;
		}
		if (version != i + 1 && rc == MIGRATE_OK)
			rc = fail(MIGRATE_ERR_ORDER, err, errlen,
			          "%s is not applied but the later migration %d is", items[i].file,
			          version);
		frc = migration_read(dir, &items[version - 1], NULL, hex, ferr, sizeof(ferr));
		if (frc != MIGRATE_OK) {
			if (rc == MIGRATE_OK)
				rc = fail(frc, err, errlen, "%s", ferr);
			continue;
		}
		if (strcmp(hex, sum) != 0) {
			if (out)
				fprintf(out, "CHANGED  %s  applied %s, edited since\n",
				        items[version - 1].file, at);
			if (rc == MIGRATE_OK)
				rc = fail(MIGRATE_ERR_CHECKSUM, err, errlen,
				          "%s/%s was edited after it was applied (its SHA-256 "
				          "differs from the recorded one); put changes in a new "
				          "migration",
				          dir, items[version - 1].file);
			continue;
		}
		if (out)
			fprintf(out, "applied  %s  %s\n", items[version - 1].file, at);
	}
	return rc;
}

/* Trims libpq's multi-line message to its first line. */
static void first_line(const char *msg, char *buf, size_t len)
{
	size_t n = strcspn(msg, "\n");

	snprintf(buf, len, "%.*s", (int)n, msg);
}

static int apply_one(struct db *db, const char *dir, const struct migration *m, char *err,
                     size_t errlen)
{
	char hex[MIGRATION_CHECKSUM_LEN], version[16], msg[400];
	const char *v[3] = {version, m->name, hex};
	char *sql = NULL;
	PGresult *res;
	ExecStatusType st;
	int rc;

	rc = migration_read(dir, m, &sql, hex, err, errlen);
	if (rc != MIGRATE_OK)
		return rc;
	snprintf(version, sizeof(version), "%d", m->version);
	if (db_begin(db) != 0) {
		rc = db_fail(db, err, errlen);
		goto out;
	}
	/*
	 * The one simple-query (PQexec) in scanpost, on purpose: a migration is
	 * several statements, which a prepared statement cannot hold.  The text
	 * is a trusted file shipped with the program in sql_dir (root-owned
	 * after install), never user input, so nothing is interpolated into it.
	 */
	res = PQexec(db_conn(db), sql);
	st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		first_line(PQresultErrorMessage(res), msg, sizeof(msg));
		PQclear(res);
		rc = fail(MIGRATE_ERR_DB, err, errlen, "%s: %s", m->file, msg);
		goto out;
	}
	PQclear(res);
	/* A file with its own COMMIT would end our transaction early and leave
	 * the migration unrecorded: refuse to go on. */
	if (PQtransactionStatus(db_conn(db)) != PQTRANS_INTRANS) {
		rc = fail(MIGRATE_ERR_DB, err, errlen,
		          "%s: ends the transaction itself (BEGIN/COMMIT/ROLLBACK); remove them, "
		          "migrate runs each file in its own transaction",
		          m->file);
		goto out;
	}
	if (db_exec(db, &stmt_record, v) != 0 || db_commit(db) != 0) {
		rc = fail(MIGRATE_ERR_DB, err, errlen, "%s: %s", m->file, db_error(db));
		goto out;
	}
	rc = MIGRATE_OK;
out:
	if (rc != MIGRATE_OK)
		db_rollback(db);
	free(sql);
	return rc;
}

int migrate_apply(struct db *db, const char *dir, FILE *out, char *err, size_t errlen)
{
	struct migration *items = NULL;
	PGresult *res = NULL;
	size_t n = 0, napplied = 0;
	int rc, locked = 0;

	if ((rc = migration_list(dir, &items, &n, err, errlen)) != MIGRATE_OK)
		return rc;
	if ((rc = ensure_table(db, err, errlen)) != MIGRATE_OK)
		goto out;
	if (db_exec(db, &stmt_lock, NULL) != 0) {
		rc = db_fail(db, err, errlen);
		goto out;
	}
	locked = 1;
	if ((res = db_run(db, &stmt_applied, NULL, NULL, NULL, 0)) == NULL) {
		rc = db_fail(db, err, errlen);
		goto out;
	}
	/* Nothing is applied while any applied file is in doubt. */
	rc = check_applied(res, dir, items, n, &napplied, NULL, err, errlen);
	if (rc != MIGRATE_OK)
		goto out;
	if (napplied == n) {
		fprintf(out, "nothing to apply (%zu migrations applied)\n", n);
		goto out;
	}
	for (size_t i = napplied; i < n; i++) {
		if ((rc = apply_one(db, dir, &items[i], err, errlen)) != MIGRATE_OK)
			goto out;
		fprintf(out, "applied %s\n", items[i].file);
		sp_log(LOG_INFO, "migration_applied", "file", items[i].file, "%version",
		       LOG_NUM(items[i].version), NULL);
	}
out:
	if (locked)
		db_exec(db, &stmt_unlock, NULL);
	PQclear(res);
	free(items);
	return rc;
}

int migrate_status(struct db *db, const char *dir, FILE *out, char *err, size_t errlen)
{
	struct migration *items = NULL;
	PGresult *res = NULL;
	size_t n = 0, napplied = 0;
	int rc;

	if ((rc = migration_list(dir, &items, &n, err, errlen)) != MIGRATE_OK)
		return rc;
	if ((res = db_run(db, &stmt_exists, NULL, NULL, NULL, 0)) == NULL) {
		rc = db_fail(db, err, errlen);
		goto out;
	}
	if (strcmp(PQgetvalue(res, 0, 0), "t") == 0) {
		PQclear(res);
		if ((res = db_run(db, &stmt_applied, NULL, NULL, NULL, 0)) == NULL) {
			rc = db_fail(db, err, errlen);
			goto out;
		}
		rc = check_applied(res, dir, items, n, &napplied, out, err, errlen);
	}
	for (size_t i = napplied; i < n; i++)
		fprintf(out, "pending  %s\n", items[i].file);
	fprintf(out, "%zu applied, %zu pending\n", napplied, napplied < n ? n - napplied : 0);
out:
	PQclear(res);
	free(items);
	return rc;
}
