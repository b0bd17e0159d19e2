/*
 * sessions.h - rows of the sessions table: sign-in, lookup by cookie, and
 * the sealed RMail token (DESIGN 2, step 9).  When a session ends and when
 * its token goes is the lifecycle's (lifecycle.h); this module owns the
 * token's AAD, the string sealer and opener must agree on.
 */
#ifndef SCANPOST_SESSIONS_H
#define SCANPOST_SESSIONS_H

#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "crypto.h"
#include "db.h"

struct session {
	char id[UUID_STR_LEN];
	char user[256];
};

struct session_new {
	const char *id;             /* chosen by the caller: it is the token's AAD */
	const uint8_t *secret_hash; /* SHA-256 of the cookie secret, 32 bytes */
	const char *user;
	const char *token_kid;
	const uint8_t *token_sealed;
	size_t token_sealed_len;
	long token_expires_in; /* seconds */
	long max_lifetime;     /* seconds */
};

/* Inserts the row, in the caller's transaction (lifecycle_session_start). */
int sessions_create(struct db *db, const struct session_new *s);

/* Finds the open session of a cookie and marks it active now, writing the
 * row only when it was last marked touch_interval seconds ago or more (so
 * idle expiry is exact to touch_interval; 0 writes at every request).
 * Sessions idle longer than idle_timeout or past their lifetime are not
 * found.  0 found (out filled), 1 not found, -1 database error. */
int sessions_touch(struct db *db, const uint8_t secret_hash[32], long idle_timeout,
                   long touch_interval, struct session *out);

/* The open session of a cookie, as one query: $1 the SHA-256 of the
 * cookie secret, $2 idle_timeout, $3 touch_interval (seconds); columns
 * id, rmail_user and touch_due.  A statement that reads a row together
 * with the session (jobs_get_with_session) selects from it in a CTE, so
 * what a live session is stays written here only. */
#define SESSION_FIND_SQL                                                                           \
	"SELECT id, rmail_user, last_seen_at <= now() - make_interval(secs => $3::bigint)"         \
	" AS touch_due FROM scanpost.sessions WHERE secret_hash = $1 AND ended_at IS NULL"         \
	" AND expires_at > now() AND last_seen_at > now() - make_interval(secs => $2::bigint)"

/* sessions_touch through st, a statement whose first three parameters and
 * columns are SESSION_FIND_SQL's, whose $4 is arg and whose fourth column
 * is a text read in the same round trip: *value is it, malloc'd, or NULL
 * when it is NULL (no such row).  0, 1 (no session: *value NULL), -1. */
int sessions_touch_with(struct db *db, const struct db_stmt *st, const char *arg,
                        const uint8_t secret_hash[32], long idle_timeout, long touch_interval,
                        struct session *out, char **value);

/* The AAD a session's token is sealed with: this prefix + the session id,
 * so a sealed token moved to another row does not open.  A contract
 * between scanpost-api (seals) and scanpost-sender (opens): spelled here
 * only (make check-owners). */
#define SESSION_TOKEN_AAD_PREFIX "scanpost-token:"
#define SESSION_TOKEN_AAD_MAX    (sizeof(SESSION_TOKEN_AAD_PREFIX) + UUID_STR_LEN)
void session_token_aad(const char *session_id, char out[SESSION_TOKEN_AAD_MAX]);

/* Seals token for its session: to the token keyring's primary public key
 * (sp_seal_to: the sealer holds no private key), the session as AAD.
 * *sealed is malloc'd (the caller frees it); kid receives the key id. */
int session_token_seal(const struct keyring *kr, const char *session_id, const char *token,
                       uint8_t **sealed, size_t *sealed_len, char kid[SP_KID_MAX + 1]);
/* Opens a sealed token of session_id under kid.  *token is malloc'd and
 * NUL-terminated (wipe and free).  A token sealed the older way
 * (sp_seal_blob under the same key file) still opens.  SP_CRYPTO_OK or
 * the crypto error. */
int session_token_unseal(const struct keyring *kr, const char *session_id, const char *kid,
                         const uint8_t *sealed, size_t sealed_len, char **token);

/* The session's RMail token, read and opened (for the sender).  *token is
 * malloc'd and NUL-terminated: the caller wipes (OPENSSL_cleanse) and frees
 * it.  0; 1 no token any more, or it does not open; -1 database error. */
int sessions_token_open(struct db *db, const struct keyring *kr, const char *session_id,
                        char **token);

#endif
