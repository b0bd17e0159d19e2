/*
 * migrate.h - the numbered schema migrations of sql/ (DESIGN 3.5).
 *
 * A migration is a file `NNN_name.sql` of sql_dir: NNN is its version (three
 * or more digits, 1, 2, 3 ... without gaps or repeats), name is [a-z0-9_].
 * Each is applied once, in order, in its own transaction together with its
 * row in scanpost.schema_migrations (version, name, applied_at, checksum),
 * where checksum is the SHA-256 of the file in hex.  An applied file whose
 * checksum changed is an error: applied migrations are never edited, a
 * change is a new migration.
 */
#ifndef SCANPOST_MIGRATE_H
#define SCANPOST_MIGRATE_H

#include <stddef.h>
#include <stdio.h>

#include "db.h"

#define MIGRATION_NAME_MAX     64 /* the name part, without NNN_ and .sql */
#define MIGRATION_FILE_MAX     96 /* the whole file name and a NUL */
#define MIGRATION_VERSION_MAX  999999
#define MIGRATION_CHECKSUM_LEN 65                /* 64 hex digits and a NUL */
#define MIGRATION_MAX_BYTES    (4 * 1024 * 1024) /* largest migration file read */

enum migrate_err {
	MIGRATE_OK = 0,
	MIGRATE_SKIP,         /* not a migration file (no .sql suffix, hidden): ignored */
	MIGRATE_ERR_NAME,     /* a .sql file whose name is not NNN_name.sql */
	MIGRATE_ERR_ORDER,    /* duplicate version, gap, or applied out of order */
	MIGRATE_ERR_IO,       /* directory or file unreadable, file too large */
	MIGRATE_ERR_CHECKSUM, /* an applied file was edited, or its file is gone */
	MIGRATE_ERR_DB,       /* the database refused (detail in err) */
	MIGRATE_ERR_NOMEM,
};

struct migration {
	int version;
	char name[MIGRATION_NAME_MAX + 1];
	char file[MIGRATION_FILE_MAX];
};

/* Pure: parses a directory entry name.  MIGRATE_OK with *out filled,
 * MIGRATE_SKIP for files that are not migrations, MIGRATE_ERR_NAME for a
 * .sql file that breaks the pattern. */
int migration_parse_name(const char *fname, struct migration *out);

/* Pure: sorts items by version and checks they are exactly 1..n.  On error
 * err names the offending file(s). */
int migration_order(struct migration *items, size_t n, char *err, size_t errlen);

/* Reads, parses and orders the migrations of dir.  *items is malloc'd (the
 * caller frees it; NULL when *n is 0). */
int migration_list(const char *dir, struct migration **items, size_t *n, char *err, size_t errlen);

/* Reads one migration file: *sql is malloc'd and NUL-terminated (caller
 * frees), hex receives its SHA-256.  Either of sql and hex may be NULL. */
int migration_read(const char *dir, const struct migration *m, char **sql,
                   char hex[MIGRATION_CHECKSUM_LEN], char *err, size_t errlen);

/* Applies the pending migrations of dir, one transaction each, printing one
 * line per file applied (or "nothing to apply") on out.  Creates the schema
 * and schema_migrations first.  Checks every applied file's checksum before
 * it applies anything. */
int migrate_apply(struct db *db, const char *dir, FILE *out, char *err, size_t errlen);

/* Lists every migration as applied (with its time), pending, or changed;
 * changes nothing in the database.  Returns MIGRATE_ERR_CHECKSUM when a
 * file was changed or is missing, after listing. */
int migrate_status(struct db *db, const char *dir, FILE *out, char *err, size_t errlen);

const char *migrate_strerror(int err);

#endif
