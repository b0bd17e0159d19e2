/*
 * test_migrate.c - the pure parts of migrate.c: file names, ordering, and
 * reading a migration with its checksum (no database).
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "migrate.h"

static char tmpdir[] = "/tmp/test_migrate.XXXXXX";

static void write_file(const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
}

static void remove_file(const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	unlink(path);
}

/* ---- names --------------------------------------------------------------- */

static void test_parse_accepts_numbered_sql_file(void)
{
	struct migration m;

	CU_ASSERT_EQUAL(migration_parse_name("001_schema.sql", &m), MIGRATE_OK);
	CU_ASSERT_EQUAL(m.version, 1);
	CU_ASSERT_STRING_EQUAL(m.name, "schema");
	CU_ASSERT_STRING_EQUAL(m.file, "001_schema.sql");
	CU_ASSERT_EQUAL(migration_parse_name("0042_dba_views_2.sql", &m), MIGRATE_OK);
	CU_ASSERT_EQUAL(m.version, 42);
	CU_ASSERT_STRING_EQUAL(m.name, "dba_views_2");
}

static void test_parse_skips_files_that_are_not_sql(void)
{
	struct migration m;

	CU_ASSERT_EQUAL(migration_parse_name("README", &m), MIGRATE_SKIP);
	CU_ASSERT_EQUAL(migration_parse_name("001_schema.sql~", &m), MIGRATE_SKIP);
	CU_ASSERT_EQUAL(migration_parse_name(".#001_schema.sql", &m), MIGRATE_SKIP);
	CU_ASSERT_EQUAL(migration_parse_name("001_schema.sql.orig", &m), MIGRATE_SKIP);
	CU_ASSERT_EQUAL(migration_parse_name(".sql", &m), MIGRATE_SKIP);
	CU_ASSERT_EQUAL(migration_parse_name(".", &m), MIGRATE_SKIP);
	CU_ASSERT_EQUAL(migration_parse_name("..", &m), MIGRATE_SKIP);
}

static void test_parse_rejects_malformed_sql_names(void)
{
	static const char *const bad[] = {
	    "1_schema.sql",    /* fewer than three digits */
	    "01_schema.sql",   /* idem */
	    "000_zero.sql",    /* versions start at 1 */
	    "001schema.sql",   /* no underscore */
	    "001_.sql",        /* empty name */
	    "001_Schema.sql",  /* upper case */
	    "001_sch-ema.sql", /* dash */
	    "001_sch ema.sql", /* space */
	    "schema.sql",      /* no number */
	    "1234567_big.sql", /* more than six digits */
	    "001_a.b.sql",     /* dot inside the name */
	};
	struct migration m;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_EQUAL(migration_parse_name(bad[i], &m), MIGRATE_ERR_NAME);
}

static void test_parse_rejects_overlong_name(void)
{
	char name[200];
	struct migration m;

	memset(name, 'a', sizeof(name));
	memcpy(name, "001_", 4);
	memcpy(name + 4 + MIGRATION_NAME_MAX + 1, ".sql", 5); /* one character too long */
	CU_ASSERT_EQUAL(migration_parse_name(name, &m), MIGRATE_ERR_NAME);
	memcpy(name + 4 + MIGRATION_NAME_MAX, ".sql", 5); /* exactly the longest */
	CU_ASSERT_EQUAL(migration_parse_name(name, &m), MIGRATE_OK);
	CU_ASSERT_EQUAL(strlen(m.name), MIGRATION_NAME_MAX);
}

/* ---- order --------------------------------------------------------------- */

static void fill(struct migration *items, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		CU_ASSERT_EQUAL_FATAL(migration_parse_name(names[i], &items[i]), MIGRATE_OK);
}

static void test_order_sorts_numerically_not_by_text(void)
{
	static const char *const names[] = {
	    "010_ten.sql",  "002_two.sql",  "0009_nine.sql", "001_one.sql",   "003_three.sql",
	    "004_four.sql", "005_five.sql", "006_six.sql",   "007_seven.sql", "008_eight.sql"};
	struct migration items[10];
	char err[256] = "";

	fill(items, names, 10);
	CU_ASSERT_EQUAL(migration_order(items, 10, err, sizeof(err)), MIGRATE_OK);
	for (int i = 0; i < 10; i++)
		CU_ASSERT_EQUAL(items[i].version, i + 1);
	CU_ASSERT_STRING_EQUAL(items[8].file, "0009_nine.sql");
	CU_ASSERT_STRING_EQUAL(items[9].file, "010_ten.sql");
}

static void test_order_rejects_duplicate_version(void)
{
	static const char *const names[] = {"002_b.sql", "001_a.sql", "002_c.sql"};
	struct migration items[3];
	char err[256] = "";

	fill(items, names, 3);
	CU_ASSERT_EQUAL(migration_order(items, 3, err, sizeof(err)), MIGRATE_ERR_ORDER);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "002_b.sql"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "002_c.sql"));
}

static void test_order_rejects_gap(void)
{
	static const char *const names[] = {"001_a.sql", "003_c.sql"};
	struct migration items[2];
	char err[256] = "";

	fill(items, names, 2);
	CU_ASSERT_EQUAL(migration_order(items, 2, err, sizeof(err)), MIGRATE_ERR_ORDER);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "no migration 2"));
}

static void test_order_rejects_not_starting_at_one(void)
{
	static const char *const names[] = {"002_b.sql", "003_c.sql"};
	struct migration items[2];
	char err[256] = "";

	fill(items, names, 2);
	CU_ASSERT_EQUAL(migration_order(items, 2, err, sizeof(err)), MIGRATE_ERR_ORDER);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "002_b.sql"));
}

static void test_order_accepts_empty_list(void)
{
	char err[64] = "";

	CU_ASSERT_EQUAL(migration_order(NULL, 0, err, sizeof(err)), MIGRATE_OK);
}

/* ---- directory and files ------------------------------------------------- */

static void test_list_reads_directory_in_order_ignoring_other_files(void)
{
	struct migration *items = NULL;
	size_t n = 99;
	char err[256] = "";

	write_file("002_roles.sql", "SELECT 2;\n");
	write_file("001_schema.sql", "SELECT 1;\n");
	write_file("README", "not a migration\n");
	write_file(".#003_edit.sql", "editor lock\n");
	CU_ASSERT_EQUAL(migration_list(tmpdir, &items, &n, err, sizeof(err)), MIGRATE_OK);
	CU_ASSERT_EQUAL(n, 2);
	if (n == 2) {
		CU_ASSERT_STRING_EQUAL(items[0].file, "001_schema.sql");
		CU_ASSERT_STRING_EQUAL(items[1].file, "002_roles.sql");
	}
	free(items);

	write_file("4_bad.sql", "SELECT 4;\n");
	CU_ASSERT_EQUAL(migration_list(tmpdir, &items, &n, err, sizeof(err)), MIGRATE_ERR_NAME);
	CU_ASSERT_PTR_NULL(items);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "4_bad.sql"));
	remove_file("4_bad.sql");

	write_file("004_gap.sql", "SELECT 4;\n");
	CU_ASSERT_EQUAL(migration_list(tmpdir, &items, &n, err, sizeof(err)), MIGRATE_ERR_ORDER);
	CU_ASSERT_PTR_NULL(items);
	remove_file("004_gap.sql");
}

static void test_list_reports_missing_directory(void)
{
	struct migration *items = NULL;
	size_t n = 0;
	char err[256] = "";

	CU_ASSERT_EQUAL(migration_list("/nonexistent/sql", &items, &n, err, sizeof(err)),
	                MIGRATE_ERR_IO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/sql"));
}

static void test_read_gives_text_and_sha256(void)
{
	struct migration m;
	char hex[MIGRATION_CHECKSUM_LEN], hex2[MIGRATION_CHECKSUM_LEN], err[256] = "";
	char *sql = NULL;

	/* SHA-256("abc"), FIPS 180-2 appendix B.1. */
	write_file("005_abc.sql", "abc");
	CU_ASSERT_EQUAL_FATAL(migration_parse_name("005_abc.sql", &m), MIGRATE_OK);
	CU_ASSERT_EQUAL(migration_read(tmpdir, &m, &sql, hex, err, sizeof(err)), MIGRATE_OK);
	CU_ASSERT_STRING_EQUAL(sql, "abc");
	CU_ASSERT_STRING_EQUAL(hex,
	                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	free(sql);

	/* One changed byte, another checksum: an edited migration is seen. */
	write_file("005_abc.sql", "abd");
	CU_ASSERT_EQUAL(migration_read(tmpdir, &m, NULL, hex2, err, sizeof(err)), MIGRATE_OK);
	CU_ASSERT_STRING_NOT_EQUAL(hex, hex2);
	remove_file("005_abc.sql");
}

static void test_read_rejects_nul_byte_and_missing_file(void)
{
	struct migration m;
	char hex[MIGRATION_CHECKSUM_LEN], err[256] = "", path[512];
	char *sql = (char *)"untouched";
	FILE *f;

	snprintf(path, sizeof(path), "%s/006_nul.sql", tmpdir);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fwrite("SELECT 1;\0DROP", 1, 14, f);
	fclose(f);
	CU_ASSERT_EQUAL_FATAL(migration_parse_name("006_nul.sql", &m), MIGRATE_OK);
	CU_ASSERT_EQUAL(migration_read(tmpdir, &m, &sql, hex, err, sizeof(err)), MIGRATE_ERR_IO);
	CU_ASSERT_PTR_NULL(sql);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "NUL"));
	unlink(path);

	CU_ASSERT_EQUAL(migration_read(tmpdir, &m, &sql, hex, err, sizeof(err)), MIGRATE_ERR_IO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "006_nul.sql"));
}

static void test_strerror_names_every_code(void)
{
	for (int e = MIGRATE_OK; e <= MIGRATE_ERR_NOMEM; e++)
		CU_ASSERT_STRING_NOT_EQUAL(migrate_strerror(e), "unknown migrate error");
	CU_ASSERT_STRING_EQUAL(migrate_strerror(-1), "unknown migrate error");
	CU_ASSERT_STRING_EQUAL(migrate_strerror(MIGRATE_ERR_NOMEM + 1), "unknown migrate error");
}

static int suite_init(void)
{
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int suite_clean(void)
{
	remove_file("001_schema.sql");
	remove_file("002_roles.sql");
	remove_file("README");
	remove_file(".#003_edit.sql");
	return rmdir(tmpdir);
}

int main(void)
{
	static const struct {
		const char *name;
		CU_TestFunc fn;
	} tests[] = {
	    {"parse_accepts_numbered_sql_file", test_parse_accepts_numbered_sql_file},
	    {"parse_skips_files_that_are_not_sql", test_parse_skips_files_that_are_not_sql},
	    {"parse_rejects_malformed_sql_names", test_parse_rejects_malformed_sql_names},
	    {"parse_rejects_overlong_name", test_parse_rejects_overlong_name},
	    {"order_sorts_numerically_not_by_text", test_order_sorts_numerically_not_by_text},
	    {"order_rejects_duplicate_version", test_order_rejects_duplicate_version},
	    {"order_rejects_gap", test_order_rejects_gap},
	    {"order_rejects_not_starting_at_one", test_order_rejects_not_starting_at_one},
	    {"order_accepts_empty_list", test_order_accepts_empty_list},
	    {"list_reads_directory_in_order_ignoring_other_files",
	     test_list_reads_directory_in_order_ignoring_other_files},
	    {"list_reports_missing_directory", test_list_reports_missing_directory},
	    {"read_gives_text_and_sha256", test_read_gives_text_and_sha256},
	    {"read_rejects_nul_byte_and_missing_file", test_read_rejects_nul_byte_and_missing_file},
	    {"strerror_names_every_code", test_strerror_names_every_code},
	};
	CU_pSuite suite;
	unsigned int failures;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	suite = CU_add_suite("migrate", suite_init, suite_clean);
	if (suite == NULL)
		goto fail;
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		if (CU_add_test(suite, tests[i].name, tests[i].fn) == NULL)
			goto fail;
	CU_basic_set_mode(CU_BRM_VERBOSE);
	if (CU_basic_run_tests() != CUE_SUCCESS)
		goto fail;
	failures = CU_get_number_of_failures();
	if (CU_get_number_of_suites_failed() > 0)
		failures++;
	CU_cleanup_registry();
	return failures > 0 ? 1 : 0;
fail:
	CU_cleanup_registry();
	return 1;
}
