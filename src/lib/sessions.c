/*
 * sessions.c - SQL of the sessions table that is no lifecycle rule.
 */
#include "sessions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct db_stmt stmt_session_insert = {
    "session_insert",
    "INSERT INTO scanpost.sessions (id, secret_hash, rmail_user, token_kid, token_sealed,"
    " token_expires_at, expires_at) VALUES ($1::uuid, $2, $3, $4, $5,"
    " now() + make_interval(secs => $6::bigint), now() + make_interval(secs => $7::bigint))",
    7};

/* A request finds its session with a plain read; the row is written, by a
 * second statement, only when last_seen_at is older than the touch
 * interval.  A read-only statement is cheaper for PostgreSQL than one with
 * an UPDATE in a CTE, which opens the table and its indexes for writing
 * and takes a row-exclusive lock even when it changes no row (measured:
 * bench/run requests).  A statement that changes no row gets no
 * transaction id, so its commit flushes no WAL: a status poll costs no
 * durable write, and idle expiry is exact to the interval (last_seen_at
 * lags the last request by less than it). */
static const struct db_stmt stmt_session_find = {"session_find", SESSION_FIND_SQL, 3};

static const struct db_stmt stmt_session_mark_seen = {
    "session_mark_seen",
    "UPDATE scanpost.sessions SET last_seen_at = now() WHERE id = $1::uuid"
    " AND ended_at IS NULL AND last_seen_at <= now() - make_interval(secs => $2::bigint)",
    2};

static const struct db_stmt stmt_session_token = {
    "session_token",
    "SELECT token_kid, token_sealed FROM scanpost.sessions"
    " WHERE id = $1::uuid AND token_sealed IS NOT NULL",
    1};

int sessions_create(struct db *db, const struct session_new *s)
{
	char tei[32], life[32];
	const char *v[7] = {s->id,        (const char *)s->secret_hash,  s->user,
	                    s->token_kid, (const char *)s->token_sealed, tei,
	                    life};
	int len[7] = {0, 32, 0, 0, (int)s->token_sealed_len, 0, 0};
	int fmt[7] = {0, 1, 0, 0, 1, 0, 0};
	PGresult *res;

	snprintf(tei, sizeof(tei), "%ld", s->token_expires_in);
	snprintf(life, sizeof(life), "%ld", s->max_lifetime);
	res = db_run(db, &stmt_session_insert, v, len, fmt, 0);
	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

int sessions_touch_with(struct db *db, const struct db_stmt *st, const char *arg,
                        const uint8_t secret_hash[32], long idle_timeout, long touch_interval,
                        struct session *out, char **value)
{
	char idle[32], every[32];
	const char *v[4] = {(const char *)secret_hash, idle, every, arg};
	int len[4] = {32, 0, 0, 0}, fmt[4] = {1, 0, 0, 0};
	PGresult *res;
	int rc = 1, due = 0;

	if (value)
		*value = NULL;
	snprintf(idle, sizeof(idle), "%ld", idle_timeout);
	snprintf(every, sizeof(every), "%ld", touch_interval);
	if ((res = db_run(db, st, v, len, fmt, 0)) == NULL)
		return -1;
	if (PQntuples(res) == 1) {
		snprintf(out->id, sizeof(out->id), "%s", PQgetvalue(res, 0, 0));
		snprintf(out->user, sizeof(out->user), "%s", PQgetvalue(res, 0, 1));
		due = PQgetvalue(res, 0, 2)[0] == 't';
		rc = 0;
		if (value && !PQgetisnull(res, 0, 3) &&
		    (*value = strdup(PQgetvalue(res, 0, 3))) == NULL)
			rc = -1;
	}
	PQclear(res);
	if (due) {
		const char *mv[2] = {out->id, every};

		if (db_exec(db, &stmt_session_mark_seen, mv) != 0)
			rc = -1;
	}
	if (rc < 0 && value) {
		free(*value);
		*value = NULL;
	}
	return rc;
}

int sessions_touch(struct db *db, const uint8_t secret_hash[32], long idle_timeout,
                   long touch_interval, struct session *out)
{
	return sessions_touch_with(db, &stmt_session_find, NULL, secret_hash, idle_timeout,
	                           touch_interval, out, NULL);
}

void session_token_aad(const char *session_id, char out[SESSION_TOKEN_AAD_MAX])
{
	snprintf(out, SESSION_TOKEN_AAD_MAX, "%s%s", SESSION_TOKEN_AAD_PREFIX, session_id);
}

int session_token_seal(const struct keyring *kr, const char *session_id, const char *token,
                       uint8_t **sealed, size_t *sealed_len, char kid[SP_KID_MAX + 1])
{
	char aad[SESSION_TOKEN_AAD_MAX];

	session_token_aad(session_id, aad);
	return sp_seal_to(kr, aad, strlen(aad), token, strlen(token), sealed, sealed_len, kid);
}

int session_token_unseal(const struct keyring *kr, const char *session_id, const char *kid,
                         const uint8_t *sealed, size_t sealed_len, char **token)
{
	char aad[SESSION_TOKEN_AAD_MAX];
	uint8_t *pt = NULL;
	size_t ptlen = 0;
	int rc;

	*token = NULL;
	session_token_aad(session_id, aad);
	rc = sp_open_sealed(kr, kid, aad, strlen(aad), sealed, sealed_len, &pt, &ptlen);
	/* Sealed before tokens were sealed to a public key: it lives at most
	 * the token's 14 days, or until the next `keys rotate token`. */
	if (rc == SP_CRYPTO_ERR_AUTH)
		rc = sp_open_blob(kr, kid, aad, strlen(aad), sealed, sealed_len, &pt, &ptlen);
	if (rc == SP_CRYPTO_OK)
		*token = (char *)pt; /* NUL-terminated by the opener */
	return rc;
}

int sessions_token_open(struct db *db, const struct keyring *kr, const char *session_id,
                        char **token)
{
	const char *v[1] = {session_id};
	char kid[SP_KID_MAX + 1];
	PGresult *res;
	int rc = 1;

	*token = NULL;
	if ((res = db_run(db, &stmt_session_token, v, NULL, NULL, 1)) == NULL)
		return -1;
	if (PQntuples(res) == 1 && PQgetlength(res, 0, 0) <= SP_KID_MAX) {
		snprintf(kid, sizeof(kid), "%.*s", PQgetlength(res, 0, 0), PQgetvalue(res, 0, 0));
		if (session_token_unseal(kr, session_id, kid,
		                         (const uint8_t *)PQgetvalue(res, 0, 1),
		                         (size_t)PQgetlength(res, 0, 1), token) == SP_CRYPTO_OK)
			rc = 0;
	}
	PQclear(res);
	return rc;
}
