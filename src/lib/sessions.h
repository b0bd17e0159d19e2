/*
 * sessions.h - the sessions table: sign-in, lookup by cookie, sign-out, and
 * the lifetime of the sealed RMail token (DESIGN 2, step 9).
 */
#ifndef SCANPOST_SESSIONS_H
#define SCANPOST_SESSIONS_H

#include <stddef.h>
#include <stdint.h>

#include "codec.h"
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

int sessions_create(struct db *db, const struct session_new *s);

/* Finds the open session of a cookie and marks it active now.  Sessions
 * idle longer than idle_timeout or past their lifetime are not found.
 * 0 found (out filled), 1 not found, -1 database error. */
int sessions_touch(struct db *db, const uint8_t secret_hash[32], long idle_timeout,
                   struct session *out);

/* Ends a session (reason: signout, exit): awaiting uploads are cancelled and
 * their documents deleted; the sealed token is deleted unless a queued or
 * sending job still needs it.  One transaction.  0, 1 (no such open
 * session), -1. */
int sessions_end(struct db *db, const char *id, const char *reason);

/* Deletes the session's sealed token when the session is over and no
 * queued or sending job needs it (in the caller's transaction). 0 or -1. */
int sessions_release_token(struct db *db, const char *id);

/* The sealed token of a session (for the sender).  *sealed is malloc'd.
 * 0, 1 (no token any more), -1. */
int sessions_token(struct db *db, const char *id, char *kid, size_t kidlen, uint8_t **sealed,
                   size_t *sealed_len);

/* Janitor: ends idle and over-lifetime sessions, and deletes sealed tokens
 * that no open session and no unsent job needs.  Returns how many sessions
 * it ended, or -1. */
int sessions_expire(struct db *db, long idle_timeout);

#endif
