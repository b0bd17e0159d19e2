/*
 * throttle.c - the sign-in throttle's statements (see throttle.h).
 */
#include "throttle.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THROTTLE_LABEL "scanpost-signin-throttle-v1"

/*
 * One statement per attempt.  The window is over when it began `window`
 * seconds ago or a block ended: the attempt opens a new one.  While
 * blocked nothing changes.  Otherwise the attempt counts, and the one past
 * the allowance starts the block.  The old row's values are the t.*
 * columns of each CASE (PostgreSQL, INSERT ... ON CONFLICT DO UPDATE).
 */
#define T_BLOCKED "t.blocked_until > now()"
#define T_OVER                                                                                     \
	"(t.window_start <= now() - make_interval(secs => $3::int)"                                \
	" OR t.blocked_until <= now())"
static const struct db_stmt stmt_attempt = {
    "signin_throttle_attempt",
    "INSERT INTO scanpost.signin_throttle AS t (name_hash, attempts, window_start,"
    " blocked_until) VALUES ($1, 1, now(), CASE WHEN 1 > $2::int THEN now() +"
    " make_interval(secs => $4::int) END)"
    " ON CONFLICT (name_hash) DO UPDATE SET"
    " attempts = CASE WHEN " T_BLOCKED " THEN t.attempts WHEN " T_OVER " THEN 1"
    "  ELSE t.attempts + 1 END,"
    " window_start = CASE WHEN " T_BLOCKED " THEN t.window_start WHEN " T_OVER " THEN now()"
    "  ELSE t.window_start END,"
    " blocked_until = CASE WHEN " T_BLOCKED " THEN t.blocked_until WHEN " T_OVER " THEN NULL"
    "  WHEN t.attempts + 1 > $2::int THEN now() + make_interval(secs => $4::int) END"
    " RETURNING CASE WHEN blocked_until > now() THEN"
    "  ceil(extract(epoch FROM blocked_until - now()))::bigint ELSE 0 END",
    4};

static const struct db_stmt stmt_prune = {
    "signin_throttle_prune",
    "DELETE FROM scanpost.signin_throttle WHERE window_start <= now() -"
    " make_interval(secs => $1::int) AND (blocked_until IS NULL OR blocked_until <= now())",
    1};

static const struct db_stmt stmt_success = {
    "signin_throttle_success", "DELETE FROM scanpost.signin_throttle WHERE name_hash = $1", 1};

static const struct db_stmt stmt_refund = {
    "signin_throttle_refund",
    "UPDATE scanpost.signin_throttle SET attempts = greatest(attempts - 1, 0)"
    " WHERE name_hash = $1 AND (blocked_until IS NULL OR blocked_until <= now())",
    1};

void throttle_name_hash(const char *user, unsigned char out[32])
{
	/* The label, its NUL, then the name: at most 254 bytes (signin_fields
	 * in cgi/h_session.c); a longer one is cut, which only merges rows. */
	char buf[sizeof(THROTTLE_LABEL) + 256];
	size_t n = sizeof(THROTTLE_LABEL);

	memcpy(buf, THROTTLE_LABEL, sizeof(THROTTLE_LABEL));
	for (; *user && n < sizeof(buf); user++)
		buf[n++] = (*user >= 'A' && *user <= 'Z') ? (char)(*user - 'A' + 'a') : *user;
	SHA256((const unsigned char *)buf, n, out);
	OPENSSL_cleanse(buf, sizeof(buf));
}

/* Runs st with the name's hash as its binary $1 (and text params after). */
static PGresult *run_named(struct db *db, const struct db_stmt *st, const char *user,
                           const char *const *more)
{
	unsigned char hash[32];
	const char *v[4] = {(const char *)hash, NULL, NULL, NULL};
	int lens[4] = {32, 0, 0, 0}, fmts[4] = {1, 0, 0, 0};
	PGresult *res;

	throttle_name_hash(user, hash);
	for (int i = 1; i < st->nparams && i < 4; i++)
		v[i] = more[i - 1];
	res = db_run(db, st, v, lens, fmts, 0);
	OPENSSL_cleanse(hash, sizeof(hash));
	return res;
}

enum throttle_result throttle_signin_attempt(struct db *db, const char *user,
                                             const struct throttle_policy *p, long *retry_after)
{
	char attempts[24], window[24], block[24];
	const char *more[3] = {attempts, window, block};
	const char *pv[1] = {window};
	PGresult *res;
	long left;

	*retry_after = 0;
	snprintf(attempts, sizeof(attempts), "%ld", p->attempts);
	snprintf(window, sizeof(window), "%ld", p->window);
	snprintf(block, sizeof(block), "%ld", p->block);
	/* Rows of names nobody tried for a window are gone, so spraying many
	 * names leaves nothing behind for long. */
	if (db_exec(db, &stmt_prune, pv) != 0)
		return THROTTLE_DB_ERROR;
	if ((res = run_named(db, &stmt_attempt, user, more)) == NULL)
		return THROTTLE_DB_ERROR;
	left = PQntuples(res) == 1 ? strtol(PQgetvalue(res, 0, 0), NULL, 10) : 0;
	PQclear(res);
	if (left <= 0)
		return THROTTLE_OK;
	*retry_after = left;
	return THROTTLE_BLOCKED;
}

int throttle_signin_success(struct db *db, const char *user)
{
	PGresult *res = run_named(db, &stmt_success, user, NULL);

	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

int throttle_signin_refund(struct db *db, const char *user)
{
	PGresult *res = run_named(db, &stmt_refund, user, NULL);

	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}
