/* test_config.c - the config table: defaults, file, environment, bad values. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "cunit_main.h"

static char path[64];

static void write_file(const char *text)
{
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/sp_cfg_XXXXXX");
	int fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
}

static void test_defaults_fill_every_key(void)
{
	struct sp_config c;
	char err[256];

	CU_ASSERT_EQUAL_FATAL(config_load(&c, NULL, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(c.db_conninfo, "dbname=scanpost");
	CU_ASSERT_EQUAL(c.api_workers, 4);
	CU_ASSERT_EQUAL(c.large_mail_threshold, 20971520);
	CU_ASSERT_STRING_EQUAL(c.rmail_base_url, "https://webapi.r1.rpost.net");
	config_free(&c);
}

static void test_file_sets_keys_and_comments_are_ignored(void)
{
	struct sp_config c;
	char err[256];

	write_file("# comment\napi_workers = 9\n; other comment\nrmail_ca_file = /x/ca.crt\n");
	CU_ASSERT_EQUAL_FATAL(config_load(&c, path, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.api_workers, 9);
	CU_ASSERT_STRING_EQUAL(c.rmail_ca_file, "/x/ca.crt");
	config_free(&c);
	unlink(path);
}

static void test_environment_overrides_file(void)
{
	struct sp_config c;
	char err[256];

	write_file("api_workers = 9\n");
	setenv("SCANPOST_API_WORKERS", "3", 1);
	CU_ASSERT_EQUAL_FATAL(config_load(&c, path, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.api_workers, 3);
	config_free(&c);
	unsetenv("SCANPOST_API_WORKERS");
	unlink(path);
}

static void test_unknown_key_is_refused_by_name(void)
{
	struct sp_config c;
	char err[256];

	write_file("api_wrokers = 2\n");
	CU_ASSERT_EQUAL(config_load(&c, path, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "api_wrokers"));
	unlink(path);
}

static void test_bad_number_names_key_and_range(void)
{
	struct sp_config c;
	char err[256];

	write_file("api_workers = lots\n");
	CU_ASSERT_EQUAL(config_load(&c, path, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "api_workers"));
	unlink(path);
	write_file("api_workers = 0\n");
	CU_ASSERT_EQUAL(config_load(&c, path, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "from 1 to 256"));
	unlink(path);
}

static void test_bad_environment_value_names_variable(void)
{
	struct sp_config c;
	char err[256];

	setenv("SCANPOST_SESSION_IDLE_TIMEOUT", "5x", 1);
	CU_ASSERT_EQUAL(config_load(&c, NULL, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "SCANPOST_SESSION_IDLE_TIMEOUT"));
	unsetenv("SCANPOST_SESSION_IDLE_TIMEOUT");
}

static void test_plain_http_rmail_url_is_refused(void)
{
	struct sp_config c;
	char err[256];

	setenv("SCANPOST_RMAIL_BASE_URL", "http://rmail.example", 1);
	CU_ASSERT_EQUAL(config_load(&c, NULL, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "rmail_base_url"));
	unsetenv("SCANPOST_RMAIL_BASE_URL");
}

static void test_empty_required_string_is_refused(void)
{
	struct sp_config c;
	char err[256];

	write_file("db_conninfo =\n");
	CU_ASSERT_EQUAL(config_load(&c, path, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "db_conninfo"));
	unlink(path);
}

static void test_missing_file_is_an_error(void)
{
	struct sp_config c;
	char err[256];

	CU_ASSERT_EQUAL(config_load(&c, "/nonexistent/scanpost.conf", err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/scanpost.conf"));
}

static void test_line_without_equals_names_line(void)
{
	struct sp_config c;
	char err[256];

	write_file("api_workers = 2\njust words\n");
	CU_ASSERT_EQUAL(config_load(&c, path, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ":2:"));
	unlink(path);
}

static void test_config_path_from_args(void)
{
	char *argv1[] = {"x", "-c", "/a.conf", NULL};
	char *argv2[] = {"x", "--config=/b.conf", NULL};

	CU_ASSERT_STRING_EQUAL(config_path_from_args(3, argv1), "/a.conf");
	CU_ASSERT_STRING_EQUAL(config_path_from_args(2, argv2), "/b.conf");
}

static void test_reload_takes_reloadable_keys_and_keeps_the_rest(void)
{
	struct sp_config cur, next;
	char err[256], applied[512], restart[512];

	write_file("api_workers = 4\nupload_ttl = 1800\nlog_level = info\n");
	CU_ASSERT_EQUAL_FATAL(config_load(&cur, path, err, sizeof(err)), 0);
	unlink(path);
	write_file("api_workers = 8\nupload_ttl = 600\nlog_level = debug\n"
	           "db_conninfo = dbname=other\n");
	CU_ASSERT_EQUAL_FATAL(config_next(&cur, path, &next, applied, sizeof(applied), restart,
	                                  sizeof(restart), err, sizeof(err)),
	                      0);
	CU_ASSERT_EQUAL(next.upload_ttl, 600);
	CU_ASSERT_STRING_EQUAL(next.log_level, "debug");
	CU_ASSERT_EQUAL(next.api_workers, 4);
	CU_ASSERT_STRING_EQUAL(next.db_conninfo, "dbname=scanpost");
	CU_ASSERT_STRING_EQUAL(applied, "log_level, upload_ttl");
	CU_ASSERT_STRING_EQUAL(restart, "db_conninfo, api_workers");
	/* cur is untouched: requests that hold it go on with it */
	CU_ASSERT_EQUAL(cur.upload_ttl, 1800);
	CU_ASSERT_STRING_EQUAL(cur.log_level, "info");
	config_free(&next);
	config_free(&cur);
	unlink(path);
}

static void test_preview_is_always_never_or_choice_and_reloads(void)
{
	struct sp_config live, next;
	char err[256], applied[512], restart[512];

	write_file("preview = sometimes\n");
	CU_ASSERT_EQUAL(config_load(&live, path, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "preview must be always, never or choice"));
	unlink(path);
	/* The renderer holds the whole file: at most half its address space. */
	write_file("preview_memory_mb = 128\npreview_max_bytes = 134217728\n");
	CU_ASSERT_EQUAL(config_load(&live, path, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "preview_max_bytes"));
	unlink(path);
	CU_ASSERT_EQUAL_FATAL(config_load(&live, NULL, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(live.preview, "choice");
	write_file("preview = never\npreview_timeout = 5\n");
	CU_ASSERT_EQUAL_FATAL(config_next(&live, path, &next, applied, sizeof(applied), restart,
	                                  sizeof(restart), err, sizeof(err)),
	                      0);
	CU_ASSERT_STRING_EQUAL(next.preview, "never");
	CU_ASSERT_EQUAL(next.preview_timeout, 5);
	CU_ASSERT_STRING_EQUAL(applied, "preview, preview_timeout");
	CU_ASSERT_STRING_EQUAL(restart, "");
	config_free(&next);
	config_free(&live);
	unlink(path);
}

static void test_reload_with_a_bad_file_is_refused(void)
{
	struct sp_config cur, next;
	char err[256], applied[512], restart[512];

	write_file("upload_ttl = 1800\n");
	CU_ASSERT_EQUAL_FATAL(config_load(&cur, path, err, sizeof(err)), 0);
	unlink(path);
	write_file("upload_ttl = 600\nsession_idle_timeout = 1\n");
	CU_ASSERT_EQUAL(config_next(&cur, path, &next, applied, sizeof(applied), restart,
	                            sizeof(restart), err, sizeof(err)),
	                -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "session_idle_timeout"));
	CU_ASSERT_EQUAL(cur.upload_ttl, 1800);
	config_free(&cur);
	unlink(path);
}

static void test_reload_of_the_same_file_changes_nothing(void)
{
	struct sp_config cur, next;
	char err[256], applied[512], restart[512];

	write_file("upload_ttl = 900\napi_workers = 2\n");
	CU_ASSERT_EQUAL_FATAL(config_load(&cur, path, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(config_next(&cur, path, &next, applied, sizeof(applied), restart,
	                                  sizeof(restart), err, sizeof(err)),
	                      0);
	CU_ASSERT_STRING_EQUAL(applied, "");
	CU_ASSERT_STRING_EQUAL(restart, "");
	config_free(&next);
	config_free(&cur);
	unlink(path);
}

static void test_copy_is_deep(void)
{
	struct sp_config a, b;
	char err[256];

	CU_ASSERT_EQUAL_FATAL(config_load(&a, NULL, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(config_copy(&b, &a), 0);
	CU_ASSERT_STRING_EQUAL(b.db_conninfo, a.db_conninfo);
	CU_ASSERT_PTR_NOT_EQUAL(b.db_conninfo, a.db_conninfo);
	config_free(&a);
	CU_ASSERT_STRING_EQUAL(b.db_conninfo, "dbname=scanpost");
	config_free(&b);
}

static CU_TestInfo tests[] = {
    {"defaults fill every key", test_defaults_fill_every_key},
    {"file sets keys, comments ignored", test_file_sets_keys_and_comments_are_ignored},
    {"environment overrides file", test_environment_overrides_file},
    {"unknown key refused by name", test_unknown_key_is_refused_by_name},
    {"bad number names key and range", test_bad_number_names_key_and_range},
    {"bad environment value names variable", test_bad_environment_value_names_variable},
    {"plain http RMail URL refused", test_plain_http_rmail_url_is_refused},
    {"empty required string refused", test_empty_required_string_is_refused},
    {"missing file is an error", test_missing_file_is_an_error},
    {"line without = names its line", test_line_without_equals_names_line},
    {"config path from args", test_config_path_from_args},
    {"reload takes reloadable keys, keeps the rest",
     test_reload_takes_reloadable_keys_and_keeps_the_rest},
    {"reload with a bad file is refused", test_reload_with_a_bad_file_is_refused},
    {"copy is deep", test_copy_is_deep},
    {"preview is always, never or choice, and reloads",
     test_preview_is_always_never_or_choice_and_reloads},
    {"reload of the same file changes nothing", test_reload_of_the_same_file_changes_nothing},
    CU_TEST_INFO_NULL,
};

int main(void)
{
	unsetenv("SCANPOST_API_WORKERS");
	return run_suite("config", tests);
}
