/*
 * keyuse.h - a master key (KEK) is never destroyed while something wrapped
 * under it may still commit (DESIGN 3.6, last bullets).
 *
 * `keys retire` counts the live rows that use a key, but a row written in
 * a transaction that has not committed yet is invisible to that count: an
 * upload that wrapped its document key under K, then a `keys rotate` and
 * `keys retire-unused` before its COMMIT, would destroy K and leave a
 * document nobody can open.  So the two sides meet on a PostgreSQL
 * advisory lock named after the key ("scanpost-kek:<ring>:<kid>"):
 *
 * - whoever wraps or seals under a KEK first holds it, shared, for the rest
 *   of its transaction (keyuse_hold_primary), then re-reads its keyring: if
 *   the key was retired meanwhile, it moves on to the new primary;
 * - `keys retire` takes the same lock exclusively in its own transaction
 *   (keyuse_lock_for_retire) and only then counts live rows and deletes the
 *   key file, so it waits for every transaction that holds the key; a key
 *   still held after wait_seconds is kept for the next run.
 *
 * Transaction-scoped locks end with their transaction, a crash included:
 * nothing to clean up.  This module owns the lock's name (a contract
 * between scanpost-api, scanpostctl and anything else that wraps keys).
 */
#ifndef SCANPOST_KEYUSE_H
#define SCANPOST_KEYUSE_H

#include "crypto.h"
#include "db.h"
#include "keycache.h"

/* Inside the caller's open transaction: holds the current primary KEK of
 * kc (ring names it: "doc", "token") until that transaction ends, and
 * returns the keyring to wrap with (its primary is the held key), or NULL
 * on a database error.  Valid until the next keycache_get on kc. */
const struct keyring *keyuse_hold_primary(struct db *db, const char *ring, struct keycache *kc);

/* Inside the caller's open transaction: waits at most wait_seconds for
 * every holder of ring's key kid to finish, then holds it exclusively until
 * the transaction ends.  0 locked, 1 still held by an upload (the
 * transaction is then aborted: roll back), -1 database error. */
int keyuse_lock_for_retire(struct db *db, const char *ring, const char *kid, long wait_seconds);

#endif
