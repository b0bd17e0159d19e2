/*
 * keyuse.c - the key-use lock between wrapping and retiring (see keyuse.h).
 */
#include "keyuse.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#define LOCK_NAME_MAX (sizeof("scanpost-kek::") + 16 + SP_KID_MAX)
#define HOLD_TRIES    8 /* rotations racing one wrap; more is a broken keyring */

/* hashtextextended: a 64-bit key from the name; two names that collide
 * only make one wait for the other, never skip a wait. */
static const struct db_stmt stmt_keyuse_hold = {
    "keyuse_hold", "SELECT pg_advisory_xact_lock_shared(hashtextextended($1, 0))", 1};
static const struct db_stmt stmt_keyuse_wait = {"keyuse_wait",
                                                "SELECT set_config('lock_timeout', $1, true)", 1};
static const struct db_stmt stmt_keyuse_retire = {
    "keyuse_retire", "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", 1};

static void lock_name(const char *ring, const char *kid, char *out, size_t len)
{
	snprintf(out, len, "scanpost-kek:%s:%s", ring, kid);
}

/* Whether the key's file (its .key, or its .pub for a public keyring) is
 * still there: retire deletes both under the lock. */
static int key_file_present(const struct keycache *kc, const char *kid)
{
	char name[SP_KID_MAX + 8];

	snprintf(name, sizeof(name), "%s%s", kid, kc->public_only ? ".pub" : ".key");
	int dfd = open(kc->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int present = dfd >= 0 && faccessat(dfd, name, F_OK, 0) == 0;

	if (dfd >= 0)
		close(dfd);
	return present;
}

const struct keyring *keyuse_hold_primary(struct db *db, const char *ring, struct keycache *kc)
{
	char kid[SP_KID_MAX + 1], name[LOCK_NAME_MAX];
	const char *v[1] = {name};

	for (int i = 0; i < HOLD_TRIES; i++) {
		const struct keyring *kr = keycache_get(kc);

		snprintf(kid, sizeof(kid), "%s", keyring_primary(kr));
		lock_name(ring, kid, name, sizeof(name));
		if (db_exec(db, &stmt_keyuse_hold, v) != 0)
			return NULL;
		/* Held: retire can no longer destroy it.  Had it done so
		 * before, the key file is gone and the keyring has moved on. */
		kr = keycache_get(kc);
		if (strcmp(keyring_primary(kr), kid) == 0 && key_file_present(kc, kid))
			return kr;
	}
	sp_log(LOG_ERROR, "keyuse_unstable_primary", "keyring", kc->dir, NULL);
	return NULL;
}

int keyuse_lock_for_retire(struct db *db, const char *ring, const char *kid, long wait_seconds)
{
	char name[LOCK_NAME_MAX], wait[32];
	const char *w[1] = {wait}, *v[1] = {name};

	lock_name(ring, kid, name, sizeof(name));
	snprintf(wait, sizeof(wait), "%lds", wait_seconds);
	if (db_exec(db, &stmt_keyuse_wait, w) != 0)
		return -1;
	if (db_exec(db, &stmt_keyuse_retire, v) == 0)
		return 0;
	/* 55P03 lock_not_available: lock_timeout passed (SQL standard class 55). */
	return strcmp(db_sqlstate(db), DB_LOCK_NOT_AVAILABLE) == 0 ? 1 : -1;
}
