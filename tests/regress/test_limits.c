/*
 * test_limits.c - the limits of issue 10 against a real cluster: the
 * per-user-name sign-in throttle (src/lib/throttle.c), the cap on a
 * person's unfinished jobs (lifecycle_job_create), and database errors
 * that never carry a row's values into a log (src/lib/db.c).
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "regress.h"
#include "throttle.h"

#define USER "pat@example.org"

static struct db *api;
static struct keycache token_public;
static const struct lc_who pat = {USER, NULL, "regress"};

static int suite_init(void)
{
	api = regress_db("scanpost_api");
	if (api == NULL || regress_keys_public("token", &token_public) != 0)
		return -1;
	regress_reset();
	return 0;
}

static int suite_clean(void)
{
	db_free(api);
	keycache_free(&token_public);
	return 0;
}

static long throttle_rows(void)
{
	return regress_long("SELECT count(*) FROM scanpost.signin_throttle", NULL);
}

/* ---- the sign-in throttle ---------------------------------------------- */

static void test_throttle_blocks_the_attempt_after_the_allowance(void)
{
	const struct throttle_policy p = {3, 900, 120};
	long wait = -1;

	regress_exec("TRUNCATE scanpost.signin_throttle", NULL);
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(throttle_signin_attempt(api, USER, &p, &wait), THROTTLE_OK);
		CU_ASSERT_EQUAL(wait, 0);
	}
	CU_ASSERT_EQUAL(throttle_signin_attempt(api, USER, &p, &wait), THROTTLE_BLOCKED);
	CU_ASSERT_TRUE(wait > 100 && wait <= 120);
	/* Blocked: every attempt is refused, and the block does not grow. */
	CU_ASSERT_EQUAL(throttle_signin_attempt(api, "PAT@Example.ORG", &p, &wait),
	                THROTTLE_BLOCKED);
	CU_ASSERT_TRUE(wait > 100 && wait <= 120);
	/* A success does not lift a block by itself (it never gets that far
	 * in the handler); another name is not touched. */
	CU_ASSERT_EQUAL(throttle_signin_attempt(api, "sam@example.org", &p, &wait), THROTTLE_OK);
	CU_ASSERT_EQUAL(throttle_rows(), 2);
}

static void test_throttle_keeps_no_name_in_clear(void)
{
	const struct throttle_policy p = {3, 900, 120};
	unsigned char hash[32];
	char hex[65];
	long wait;

	regress_exec("TRUNCATE scanpost.signin_throttle", NULL);
	CU_ASSERT_EQUAL(throttle_signin_attempt(api, USER, &p, &wait), THROTTLE_OK);
	CU_ASSERT_EQUAL(
	    regress_long("SELECT count(*) FROM scanpost.signin_throttle t WHERE"
	                 " strpos(t::text, 'pat') > 0 OR strpos(t::text, 'example') > 0",
	                 NULL),
	    0);
	throttle_name_hash("Pat@Example.org", hash);
	hex_encode(hash, sizeof(hash), hex);
	CU_ASSERT_EQUAL(regress_long("SELECT count(*) FROM scanpost.signin_throttle"
	                             " WHERE name_hash = decode($1, 'hex')",
	                             hex, NULL),
	                1);
}

static void test_throttle_success_clears_and_refund_gives_back(void)
{
	const struct throttle_policy p = {2, 900, 60};
	long wait;

	regress_exec("TRUNCATE scanpost.signin_throttle", NULL);
	CU_ASSERT_EQUAL(throttle_signin_attempt(api, USER, &p, &wait), THROTTLE_OK);
	CU_ASSERT_EQUAL(throttle_signin_attempt(api, USER, &p, &wait), THROTTLE_OK);
	/* RMail could not answer the second: it is given back. */
	CU_ASSERT_EQUAL(throttle_signin_refund(api, USER), 0);
	CU_ASSERT_EQUAL(throttle_signin_attempt(api, USER, &p, &wait), THROTTLE_OK);
	CU_ASSERT_EQUAL(throttle_signin_success(api, USER), 0);
	CU_ASSERT_EQUAL(throttle_rows(), 0);
	CU_ASSERT_EQUAL(throttle_signin_attempt(api, USER, &p, &wait), THROTTLE_OK);
	CU_ASSERT_EQUAL(throttle_signin_attempt(api, USER, &p, &wait), THROTTLE_OK);
	CU_ASSERT_EQUAL(throttle_signin_attempt(api, USER, &p, &wait), THROTTLE_BLOCKED);
	/* A refund does not shorten a block. */
	CU_ASSERT_EQUAL(throttle_signin_refund(api, USER), 0);
	CU_ASSERT_EQUAL(throttle_signin_attempt(api, USER, &p, &wait), THROTTLE_BLOCKED);
}

static void test_throttle_window_and_block_end(void)
{
	const struct throttle_policy p = {2, 900, 60};
	long wait;

	regress_exec("TRUNCATE scanpost.signin_throttle", NULL);
	CU_ASSERT_EQUAL(throttle_signin_attempt(api, USER, &p, &wait), THROTTLE_OK);
	CU_ASSERT_EQUAL(throttle_signin_attempt(api, USER, &p, &wait), THROTTLE_OK);
	/* The window is over: a new one opens with this attempt. */
	regress_exec("UPDATE scanpost.signin_throttle SET window_start = now() - interval '901 s'",
	             NULL);
	CU_ASSERT_EQUAL(throttle_signin_attempt(api, USER, &p, &wait), THROTTLE_OK);
	CU_ASSERT_EQUAL(throttle_signin_attempt(api, USER, &p, &wait), THROTTLE_OK);
	CU_ASSERT_EQUAL(throttle_signin_attempt(api, USER, &p, &wait), THROTTLE_BLOCKED);
	/* The block is over: the name starts afresh. */
	regress_exec("UPDATE scanpost.signin_throttle SET blocked_until = now() - interval '1 s'",
	             NULL);
	CU_ASSERT_EQUAL(throttle_signin_attempt(api, USER, &p, &wait), THROTTLE_OK);
	CU_ASSERT_EQUAL(wait, 0);
	/* Rows whose window and block are over are pruned by the next attempt. */
	regress_exec("UPDATE scanpost.signin_throttle SET window_start = now() - interval '1 day',"
	             " blocked_until = NULL",
	             NULL);
	CU_ASSERT_EQUAL(throttle_signin_attempt(api, "sam@example.org", &p, &wait), THROTTLE_OK);
	CU_ASSERT_EQUAL(throttle_rows(), 1);
}

/* ---- the cap on unfinished jobs ------------------------------------------ */

static int create_job(const char *sid, long open_max, char id[40])
{
	uint8_t bin[16], hash[32] = {0};
	char expires[40];
	struct job_new j = {
	    .id = id,
	    .session_id = sid,
	    .owner = USER,
	    .to_json = "[\"alice@example.org\"]",
	    .cc_json = "[]",
	    .bcc_json = "[]",
	    .subject = "Cap",
	    .body = "",
	    .settings_json = "{\"registered\":{},\"scan\":{}}",
	    .upload_token_hash = hash,
	    .upload_ttl = 1800,
	    .max_attempts = 3,
	    .open_max = open_max,
	};

	if (uuid_random(bin, id) != 0 || sp_random(hash, sizeof(hash)) != 0)
		return -1;
	return lifecycle_job_create(api, &j, &pat, expires, sizeof(expires));
}

static void test_job_cap_refuses_one_more_unfinished_job(void)
{
	char sid[40], ids[3][40], extra[40];

	regress_reset();
	CU_ASSERT_EQUAL_FATAL(regress_session(api, &token_public, USER, "rmail-token", sid), 0);
	for (int i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(create_job(sid, 3, ids[i]), LC_OK);
	CU_ASSERT_EQUAL(create_job(sid, 3, extra), LC_TOO_MANY_JOBS);
	CU_ASSERT_EQUAL(regress_long("SELECT count(*) FROM scanpost.jobs", NULL), 3);
	CU_ASSERT_EQUAL(regress_audit_rows("job_created", NULL), 3);
	/* A finished job no longer counts. */
	CU_ASSERT_EQUAL(lifecycle_job_cancel(api, ids[0], USER, &pat), LC_OK);
	CU_ASSERT_EQUAL(create_job(sid, 3, extra), LC_OK);
	CU_ASSERT_EQUAL(create_job(sid, 3, extra), LC_TOO_MANY_JOBS);
	/* Another owner's jobs are not counted against this one. */
	CU_ASSERT_EQUAL(
	    regress_long("SELECT count(*) FROM scanpost.jobs WHERE owner = $1", USER, NULL), 4);
}

/* ---- database errors ----------------------------------------------------- */

static const struct db_stmt stmt_bad_uuid = {"regress_bad_uuid", "SELECT $1::uuid", 1};
static const struct db_stmt stmt_dup = {
    "regress_dup",
    "INSERT INTO scanpost.signin_throttle (name_hash, attempts) VALUES (decode($1, 'hex'), 1)", 1};

static void test_db_error_names_no_row_value(void)
{
	const char *v[1] = {"secret-value-4711"};
	const char *hex[1] = {"5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e"};
	PGresult *res;

	res = db_run(api, &stmt_bad_uuid, v, NULL, NULL, 0);
	CU_ASSERT_PTR_NULL(res);
	PQclear(res);
	CU_ASSERT_PTR_NOT_NULL(strstr(db_error(api), "SQLSTATE 22P02"));
	CU_ASSERT_PTR_NULL(strstr(db_error(api), "secret-value"));
	CU_ASSERT_STRING_EQUAL(db_sqlstate(api), "22P02");

	regress_exec("TRUNCATE scanpost.signin_throttle", NULL);
	CU_ASSERT_EQUAL(db_exec(api, &stmt_dup, hex), 0);
	CU_ASSERT_EQUAL(db_exec(api, &stmt_dup, hex), -1);
	/* libpq's DETAIL would say "Key (name_hash)=(\x5e5e...) already exists". */
	CU_ASSERT_PTR_NOT_NULL(strstr(db_error(api), "SQLSTATE 23505"));
	CU_ASSERT_PTR_NOT_NULL(strstr(db_error(api), "signin_throttle_pkey"));
	CU_ASSERT_PTR_NULL(strstr(db_error(api), "5e5e"));
	CU_ASSERT_PTR_NULL(strstr(db_error(api), "Key"));
}

static CU_TestInfo tests[] = {
    {"throttle blocks the attempt after the allowance",
     test_throttle_blocks_the_attempt_after_the_allowance},
    {"throttle keeps no name in clear", test_throttle_keeps_no_name_in_clear},
    {"throttle: success clears, refund gives back",
     test_throttle_success_clears_and_refund_gives_back},
    {"throttle: window and block end", test_throttle_window_and_block_end},
    {"job cap refuses one more unfinished job", test_job_cap_refuses_one_more_unfinished_job},
    {"db error names no row value", test_db_error_names_no_row_value},
    CU_TEST_INFO_NULL,
};

int main(void)
{
	return regress_main("limits", suite_init, suite_clean, tests);
}
