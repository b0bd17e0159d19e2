/*
 * keyring_priv.h - the keyring as crypto.c sees it.  INTERNAL: only
 * src/lib/crypto.c and src/lib/keyring.c include this header.
 *
 * Everyone else holds struct keyring as the opaque type of crypto.h; key
 * bytes are read only here, by the sealing code, and never leave these two
 * files.  struct keyring itself stays private to keyring.c.
 */
#ifndef SCANPOST_KEYRING_PRIV_H
#define SCANPOST_KEYRING_PRIV_H

#include <stdint.h>

#include "crypto.h"

/* One loaded KEK (or, in a public keyring, a public key).  Owned by its
 * keyring, wiped by keyring_free. */
struct kr_key {
	char kid[SP_KID_MAX + 1];
	uint8_t key[SP_KEY_LEN];
};

/* The key named kid, or NULL when kr or kid is NULL, kid is longer than
 * SP_KID_MAX or not in the keyring.  The result points into kr: valid until
 * keyring_free(kr); the caller neither frees nor copies it beyond a call. */
const struct kr_key *keyring_find(const struct keyring *kr, const char *kid);

/* Whether kr was loaded with keyring_load_public: its keys are X25519
 * public keys, good for sealing only. */
int keyring_is_public(const struct keyring *kr);

#endif
