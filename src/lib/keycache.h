/*
 * keycache.h - a keyring that follows its directory.
 *
 * `scanpostctl keys rotate` adds a key and moves `primary`; `retire` deletes
 * one.  Each of these changes the directory's mtime, so a long-running
 * program that asks keycache_get before each use seals under the current
 * primary and can open rows rewrapped a moment ago.  One keycache per thread
 * (no locking); a reload that fails keeps the keyring it had, and says so.
 */
#ifndef SCANPOST_KEYCACHE_H
#define SCANPOST_KEYCACHE_H

#include <sys/stat.h>

#include "crypto.h"

struct keycache {
	char dir[512];
	struct keyring *kr;
	struct timespec mtime;
	int public_only; /* keyring_load_public: public halves only (crypto.h) */
};

/* Loads dir now; 0, or -1 with a message in err (the program should stop). */
int keycache_init(struct keycache *kc, const char *dir, char *err, size_t errlen);
/* The same with the public halves only, for a program that only seals to
 * the keyring (sp_seal_to) and must hold no private key. */
int keycache_init_public(struct keycache *kc, const char *dir, char *err, size_t errlen);
/* The current keyring (reloaded if the directory changed).  Never NULL
 * after a successful init; valid until the next keycache_get. */
const struct keyring *keycache_get(struct keycache *kc);
void keycache_free(struct keycache *kc);

#endif
