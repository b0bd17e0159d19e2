/*
 * throttle.h - the per-user-name sign-in throttle (DESIGN 3.7, issue 10).
 *
 * nginx limits sign-ins per client address; this limits them per RMail
 * user name, whatever the address, so that scanpost is no password-spraying
 * proxy for RMail accounts.  The counter is a row of
 * scanpost.signin_throttle (sql/012_signin_throttle.sql), shared by every
 * scanpost-api instance, keyed by a hash of the lower-cased name: no user
 * name is stored in clear.
 *
 * A window opens at the first attempt; each attempt in it counts, before
 * RMail is asked, in one statement (concurrent attempts cannot slip past
 * the count).  The attempt after `attempts` in one window blocks the name
 * for `block` seconds: every attempt then is refused with the seconds
 * left, RMail is not asked, and the block does not grow.  A success clears
 * the row; an attempt RMail could not answer is given back.
 */
#ifndef SCANPOST_THROTTLE_H
#define SCANPOST_THROTTLE_H

#include "db.h"

struct throttle_policy {
	long attempts; /* attempts allowed in one window */
	long window;   /* seconds */
	long block;    /* seconds a name is refused once over */
};

enum throttle_result {
	THROTTLE_OK,       /* go on: this attempt is counted */
	THROTTLE_BLOCKED,  /* refuse: *retry_after seconds left */
	THROTTLE_DB_ERROR, /* db_error() says why */
};

/* Counts one sign-in attempt of user (and prunes rows that are over). */
enum throttle_result throttle_signin_attempt(struct db *db, const char *user,
                                             const struct throttle_policy *p, long *retry_after);
/* The attempt succeeded: the name starts afresh.  0 or -1. */
int throttle_signin_success(struct db *db, const char *user);
/* The attempt proved nothing (RMail could not be asked): it is not held
 * against the name, unless the name is blocked.  0 or -1. */
int throttle_signin_refund(struct db *db, const char *user);

/* The key of user's row: SHA-256 of a fixed label and the name with ASCII
 * letters lower-cased (RMail user names are addresses). */
void throttle_name_hash(const char *user, unsigned char out[32]);

#endif
