/*
 * hpke.h - Hybrid Public Key Encryption, RFC 9180, base mode, single shot:
 * DHKEM(X25519, HKDF-SHA256) with HKDF-SHA256 and AES-GCM (RFC 9180,
 * sections 4, 5.1, 5.2, 6.1).  Every primitive is OpenSSL's (X25519,
 * HKDF, AES-GCM through EVP); this file only follows the RFC's key schedule.
 *
 * scanpost seals the RMail token with it (crypto.h, sp_seal_to): the api,
 * which only seals, holds the recipient's public key; the sender, which
 * opens, holds the private one.
 */
#ifndef SCANPOST_HPKE_H
#define SCANPOST_HPKE_H

#include <stddef.h>
#include <stdint.h>

#define HPKE_X25519_LEN 32 /* Npk = Nsk = Nenc (RFC 9180, 7.1) */
#define HPKE_TAG_LEN    16

/* The AEAD identifiers of RFC 9180, 7.3. */
enum hpke_aead {
	HPKE_AES_128_GCM = 0x0001,
	HPKE_AES_256_GCM = 0x0002,
};

/* pk = the X25519 public key of sk (RFC 7748, 6.1).  0 or -1. */
int hpke_public_of(const uint8_t sk[HPKE_X25519_LEN], uint8_t pk[HPKE_X25519_LEN]);

/* SealBase (RFC 9180, 6.1): encapsulates to pkR and seals pt (ptlen bytes)
 * into ct (ptlen + HPKE_TAG_LEN bytes), the encapsulated key into enc.
 * skE is the ephemeral private key, or NULL for a fresh random one (only
 * known-answer tests pass one).  0 or -1. */
int hpke_seal_base(enum hpke_aead aead, const uint8_t pkR[HPKE_X25519_LEN], const uint8_t *skE,
                   const void *info, size_t infolen, const void *aad, size_t aadlen, const void *pt,
                   size_t ptlen, uint8_t enc[HPKE_X25519_LEN], uint8_t *ct);

/* OpenBase: ct (ctlen >= HPKE_TAG_LEN) -> pt (ctlen - HPKE_TAG_LEN bytes).
 * 0, or -1 when it does not open (pt is then wiped). */
int hpke_open_base(enum hpke_aead aead, const uint8_t skR[HPKE_X25519_LEN],
                   const uint8_t enc[HPKE_X25519_LEN], const void *info, size_t infolen,
                   const void *aad, size_t aadlen, const uint8_t *ct, size_t ctlen, uint8_t *pt);

#endif
