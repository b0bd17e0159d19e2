/*
 * hpke.c - RFC 9180 base mode with DHKEM(X25519, HKDF-SHA256), HKDF-SHA256
 * and AES-GCM (see hpke.h).  Section numbers below are RFC 9180's.
 */
#include "hpke.h"

#include <limits.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#define KEM_ID    0x0020 /* DHKEM(X25519, HKDF-SHA256), 7.1 */
#define KDF_ID    0x0001 /* HKDF-SHA256, 7.2 */
#define NH        32     /* HKDF-SHA256 output */
#define NN        12     /* AES-GCM nonce, 7.3 */
#define LABEL_MAX 512
#define MODE_BASE 0x00

struct suite {
	uint8_t id[10];
	size_t len;
};

/* 4.1: suite_id = "KEM" || I2OSP(kem_id, 2); 5.1: "HPKE" || kem || kdf || aead. */
static void suite_kem(struct suite *s)
{
	memcpy(s->id, "KEM", 3);
	s->id[3] = KEM_ID >> 8;
	s->id[4] = KEM_ID & 0xff;
	s->len = 5;
}

static void suite_hpke(struct suite *s, enum hpke_aead aead)
{
	memcpy(s->id, "HPKE", 4);
	s->id[4] = KEM_ID >> 8;
	s->id[5] = KEM_ID & 0xff;
	s->id[6] = KDF_ID >> 8;
	s->id[7] = KDF_ID & 0xff;
	s->id[8] = (uint8_t)(aead >> 8);
	s->id[9] = (uint8_t)(aead & 0xff);
	s->len = 10;
}

static const EVP_CIPHER *aead_cipher(enum hpke_aead aead, size_t *nk)
{
	switch (aead) {
	case HPKE_AES_128_GCM:
		*nk = 16;
		return EVP_aes_128_gcm();
	case HPKE_AES_256_GCM:
		*nk = 32;
		return EVP_aes_256_gcm();
	}
	return NULL;
}

/* RFC 5869 through OpenSSL's HKDF: extract (out = PRK, NH bytes) or expand. */
static int hkdf(int mode, const uint8_t *salt, size_t saltlen, const uint8_t *key, size_t keylen,
                const uint8_t *info, size_t infolen, uint8_t *out, size_t outlen)
{
	static const uint8_t zeros[NH];
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM params[6], *p = params;
	int ok;

	/* RFC 5869, 2.2: an absent salt is HashLen zeros. */
	if (mode == EVP_KDF_HKDF_MODE_EXTRACT_ONLY && saltlen == 0) {
		salt = zeros;
		saltlen = sizeof(zeros);
	}
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	*p++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, keylen);
	if (salt)
		*p++ =
		    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, saltlen);
	if (info)
		*p++ =
		    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, infolen);
	*p = OSSL_PARAM_construct_end();
	ok = ctx && EVP_KDF_derive(ctx, out, outlen, params) == 1;
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return ok ? 0 : -1;
}

/* 4: LabeledExtract(salt, label, ikm) = Extract(salt, "HPKE-v1" || suite_id
 * || label || ikm). */
static int labeled_extract(const struct suite *s, const uint8_t *salt, size_t saltlen,
                           const char *label, const uint8_t *ikm, size_t ikmlen, uint8_t prk[NH])
{
	uint8_t buf[LABEL_MAX];
	size_t n = 0, l = strlen(label);
	int rc;

	if (7 + s->len + l + ikmlen > sizeof(buf))
		return -1;
	memcpy(buf, "HPKE-v1", 7);
	n = 7;
	memcpy(buf + n, s->id, s->len);
	n += s->len;
	memcpy(buf + n, label, l);
	n += l;
	if (ikmlen)
		memcpy(buf + n, ikm, ikmlen);
	n += ikmlen;
	rc = hkdf(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, salt, saltlen, buf, n, NULL, 0, prk, NH);
	OPENSSL_cleanse(buf, sizeof(buf));
	return rc;
}

/* 4: LabeledExpand(prk, label, info, L) = Expand(prk, I2OSP(L, 2) ||
 * "HPKE-v1" || suite_id || label || info, L). */
static int labeled_expand(const struct suite *s, const uint8_t prk[NH], const char *label,
                          const uint8_t *info, size_t infolen, uint8_t *out, size_t outlen)
{
	uint8_t buf[LABEL_MAX];
	size_t n = 0, l = strlen(label);

	if (outlen > 0xffff || 9 + s->len + l + infolen > sizeof(buf))
		return -1;
	buf[n++] = (uint8_t)(outlen >> 8);
	buf[n++] = (uint8_t)outlen;
	memcpy(buf + n, "HPKE-v1", 7);
	n += 7;
	memcpy(buf + n, s->id, s->len);
	n += s->len;
	memcpy(buf + n, label, l);
	n += l;
	if (infolen)
		memcpy(buf + n, info, infolen);
	n += infolen;
	return hkdf(EVP_KDF_HKDF_MODE_EXPAND_ONLY, NULL, 0, prk, NH, buf, n, out, outlen);
}

static EVP_PKEY *x25519_private(const uint8_t sk[HPKE_X25519_LEN])
{
	return EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, sk, HPKE_X25519_LEN);
}

int hpke_public_of(const uint8_t sk[HPKE_X25519_LEN], uint8_t pk[HPKE_X25519_LEN])
{
	EVP_PKEY *k = x25519_private(sk);
	size_t len = HPKE_X25519_LEN;
	int ok = k && EVP_PKEY_get_raw_public_key(k, pk, &len) == 1 && len == HPKE_X25519_LEN;

	EVP_PKEY_free(k);
	return ok ? 0 : -1;
}

/* 4.1 DH(sk, pk) for X25519, refusing the all-zero value (7.1.4). */
static int x25519(const uint8_t sk[HPKE_X25519_LEN], const uint8_t pk[HPKE_X25519_LEN],
                  uint8_t out[HPKE_X25519_LEN])
{
	static const uint8_t zero[HPKE_X25519_LEN];
	EVP_PKEY *priv = x25519_private(sk);
	EVP_PKEY *peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, pk, HPKE_X25519_LEN);
	EVP_PKEY_CTX *ctx = priv && peer ? EVP_PKEY_CTX_new(priv, NULL) : NULL;
	size_t len = HPKE_X25519_LEN;
	int ok = ctx && EVP_PKEY_derive_init(ctx) == 1 &&
	         EVP_PKEY_derive_set_peer(ctx, peer) == 1 && EVP_PKEY_derive(ctx, out, &len) == 1 &&
	         len == HPKE_X25519_LEN && CRYPTO_memcmp(out, zero, sizeof(zero)) != 0;

	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(priv);
	EVP_PKEY_free(peer);
	return ok ? 0 : -1;
}

/* 4.1 ExtractAndExpand(dh, kem_context = enc || pkR). */
static int kem_shared_secret(const uint8_t dh[HPKE_X25519_LEN], const uint8_t enc[HPKE_X25519_LEN],
                             const uint8_t pkR[HPKE_X25519_LEN], uint8_t shared[NH])
{
	struct suite s;
	uint8_t prk[NH], ctx[2 * HPKE_X25519_LEN];
	int rc;

	suite_kem(&s);
	memcpy(ctx, enc, HPKE_X25519_LEN);
	memcpy(ctx + HPKE_X25519_LEN, pkR, HPKE_X25519_LEN);
	rc = labeled_extract(&s, NULL, 0, "eae_prk", dh, HPKE_X25519_LEN, prk);
	if (rc == 0)
		rc = labeled_expand(&s, prk, "shared_secret", ctx, sizeof(ctx), shared, NH);
	OPENSSL_cleanse(prk, sizeof(prk));
	return rc;
}

/* 5.1 KeySchedule in mode_base (no PSK): key and base_nonce. */
static int key_schedule(enum hpke_aead aead, const uint8_t shared[NH], const void *info,
                        size_t infolen, uint8_t *key, size_t nk, uint8_t nonce[NN])
{
	struct suite s;
	uint8_t ksc[1 + 2 * NH], secret[NH];
	int rc;

	suite_hpke(&s, aead);
	ksc[0] = MODE_BASE;
	rc = labeled_extract(&s, NULL, 0, "psk_id_hash", NULL, 0, ksc + 1);
	if (rc == 0)
		rc = labeled_extract(&s, NULL, 0, "info_hash", info, infolen, ksc + 1 + NH);
	if (rc == 0)
		rc = labeled_extract(&s, shared, NH, "secret", NULL, 0, secret);
	if (rc == 0)
		rc = labeled_expand(&s, secret, "key", ksc, sizeof(ksc), key, nk);
	if (rc == 0)
		rc = labeled_expand(&s, secret, "base_nonce", ksc, sizeof(ksc), nonce, NN);
	OPENSSL_cleanse(secret, sizeof(secret));
	return rc;
}

/* AES-GCM, one message; the nonce of sequence number 0 is base_nonce (5.2). */
static int aead_run(int enc, const EVP_CIPHER *c, const uint8_t *key, const uint8_t nonce[NN],
                    const void *aad, size_t aadlen, const uint8_t *in, size_t len, uint8_t *out,
                    uint8_t tag[HPKE_TAG_LEN])
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	uint8_t fin[HPKE_TAG_LEN];
	int n, ok;

	if (aadlen > INT_MAX || len > INT_MAX) {
		EVP_CIPHER_CTX_free(ctx);
		return -1;
	}
	ok = ctx && EVP_CipherInit_ex(ctx, c, NULL, NULL, NULL, enc) == 1 &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, NN, NULL) == 1 &&
	     EVP_CipherInit_ex(ctx, NULL, NULL, key, nonce, enc) == 1 &&
	     (aadlen == 0 || EVP_CipherUpdate(ctx, NULL, &n, aad, (int)aadlen) == 1) &&
	     (len == 0 || EVP_CipherUpdate(ctx, out, &n, in, (int)len) == 1) &&
	     (enc || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, HPKE_TAG_LEN, tag) == 1) &&
	     EVP_CipherFinal_ex(ctx, fin, &n) == 1 &&
	     (!enc || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, HPKE_TAG_LEN, tag) == 1);
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -1;
}

int hpke_seal_base(enum hpke_aead aead, const uint8_t pkR[HPKE_X25519_LEN], const uint8_t *skE,
                   const void *info, size_t infolen, const void *aad, size_t aadlen, const void *pt,
                   size_t ptlen, uint8_t enc[HPKE_X25519_LEN], uint8_t *ct)
{
	uint8_t sk[HPKE_X25519_LEN], dh[HPKE_X25519_LEN], shared[NH], key[32], nonce[NN];
	size_t nk = 0;
	const EVP_CIPHER *c = aead_cipher(aead, &nk);
	int rc = -1;

	if (c == NULL)
		return -1;
	/* 7.1.3: a fresh X25519 key is 32 random bytes (RFC 7748, 5). */
	if (skE)
		memcpy(sk, skE, sizeof(sk));
	else if (RAND_bytes(sk, sizeof(sk)) != 1)
		return -1;
	if (hpke_public_of(sk, enc) == 0 && x25519(sk, pkR, dh) == 0 &&
	    kem_shared_secret(dh, enc, pkR, shared) == 0 &&
	    key_schedule(aead, shared, info, infolen, key, nk, nonce) == 0)
		rc = aead_run(1, c, key, nonce, aad, aadlen, pt, ptlen, ct, ct + ptlen);
	OPENSSL_cleanse(sk, sizeof(sk));
	OPENSSL_cleanse(dh, sizeof(dh));
	OPENSSL_cleanse(shared, sizeof(shared));
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}

int hpke_open_base(enum hpke_aead aead, const uint8_t skR[HPKE_X25519_LEN],
                   const uint8_t enc[HPKE_X25519_LEN], const void *info, size_t infolen,
                   const void *aad, size_t aadlen, const uint8_t *ct, size_t ctlen, uint8_t *pt)
{
	uint8_t pkR[HPKE_X25519_LEN], dh[HPKE_X25519_LEN], shared[NH], key[32], nonce[NN];
	uint8_t tag[HPKE_TAG_LEN];
	size_t nk = 0, n;
	const EVP_CIPHER *c = aead_cipher(aead, &nk);
	int rc = -1;

	if (c == NULL || ctlen < HPKE_TAG_LEN)
		return -1;
	n = ctlen - HPKE_TAG_LEN;
	memcpy(tag, ct + n, HPKE_TAG_LEN);
	if (hpke_public_of(skR, pkR) == 0 && x25519(skR, enc, dh) == 0 &&
	    kem_shared_secret(dh, enc, pkR, shared) == 0 &&
	    key_schedule(aead, shared, info, infolen, key, nk, nonce) == 0)
		rc = aead_run(0, c, key, nonce, aad, aadlen, ct, n, pt, tag);
	/* Unauthenticated plaintext is never used (NIST SP 800-38D, 7.2). */
	if (rc != 0 && n > 0)
		OPENSSL_cleanse(pt, n);
	OPENSSL_cleanse(dh, sizeof(dh));
	OPENSSL_cleanse(shared, sizeof(shared));
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}
