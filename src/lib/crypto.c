/*
 * crypto.c - envelope encryption for scanpost (DESIGN 3.6, see crypto.h).
 *
 * Every primitive is OpenSSL's: EVP_aes_256_gcm() seals and opens,
 * RAND_bytes() makes keys and nonces.  This file only lays out nonces, AAD
 * and blobs, and wipes what it owns; the keyring files are keyring.c's, and
 * key bytes come from keyring_find (keyring_priv.h).
 *
 * A keyring is immutable once loaded, so one keyring may be shared by threads;
 * each seal/open call or stream owns its own EVP_CIPHER_CTX.
 */
#include "crypto.h"
#include "hpke.h"
#include "keyring_priv.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

/* The wrap AAD binds the document's identity, size and digest (crypto.h).
 * DEK_AAD_LEGACY is the form before size and digest were bound: keys
 * wrapped so still open, and are re-wrapped to the bound form by rewrap. */
#define DEK_AAD_LABEL      "scanpost-dek2"
#define DEK_AAD_LEN        (sizeof(DEK_AAD_LABEL) - 1 + 16 + 4 + 8 + 32)
#define DEK_AAD_LEGACY     "scanpost-dek"
#define DEK_AAD_LEGACY_LEN (sizeof(DEK_AAD_LEGACY) - 1 + 16 + 4)
#define CHUNK_AAD_LEN      (16 + 4 + 8 + 1)
#define MAX_BLOB_PT        ((size_t)INT_MAX - SP_NONCE_LEN - SP_TAG_LEN)

static const char *const err_text[] = {
    [SP_CRYPTO_OK] = "ok",
    [SP_CRYPTO_ERR_IO] = "key file missing or unreadable",
    [SP_CRYPTO_ERR_KEYFILE] = "key file malformed or not mode 0600",
    [SP_CRYPTO_ERR_NOKEY] = "key id not in the keyring",
    [SP_CRYPTO_ERR_AUTH] = "authentication failed: data altered, moved or wrong key",
    [SP_CRYPTO_ERR_TRUNCATED] = "sealed document truncated: last chunk missing",
    [SP_CRYPTO_ERR_STATE] = "crypto misuse: call out of order or bad size",
    [SP_CRYPTO_ERR_INTERNAL] = "OpenSSL failure or out of memory",
    [SP_CRYPTO_ERR_MISMATCH] = "document differs from its recorded size or SHA-256",
};

const char *sp_crypto_strerror(int err)
{
	if (err < 0 || (size_t)err >= sizeof(err_text) / sizeof(err_text[0]) || !err_text[err])
		return "unknown crypto error";
	return err_text[err];
}

static void put_be32(uint8_t *p, uint32_t v)
{
	for (int i = 3; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

int sp_random(void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len > 0) {
		int n = len > INT_MAX ? INT_MAX : (int)len;

		if (RAND_bytes(p, n) != 1)
			return SP_CRYPTO_ERR_INTERNAL;
		p += n;
		len -= (size_t)n;
	}
	return SP_CRYPTO_OK;
}

/* ---- AES-256-GCM through EVP ------------------------------------------- */

/* A context holding key's schedule; each message then sets only its IV, so a
 * stream reuses one context.  EVP_CIPHER_CTX_free wipes the schedule. */
static EVP_CIPHER_CTX *gcm_ctx_new(const uint8_t key[SP_KEY_LEN], int enc)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();

	if (!ctx)
		return NULL;
	/* NIST SP 800-38D, 8.2: 96-bit IVs (OpenSSL's default, set anyway). */
	if (EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, SP_NONCE_LEN, NULL) != 1 ||
	    EVP_CipherInit_ex(ctx, NULL, NULL, key, NULL, enc) != 1) {
		EVP_CIPHER_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* pt (ptlen) -> ct (ptlen) and tag, under the key already in ctx. */
static int gcm_seal(EVP_CIPHER_CTX *ctx, const uint8_t iv[SP_NONCE_LEN], const uint8_t *aad,
                    size_t aadlen, const uint8_t *pt, size_t ptlen, uint8_t *ct,
                    uint8_t tag[SP_TAG_LEN])
{
	uint8_t fin[SP_TAG_LEN];
	int n;

	if (aadlen > INT_MAX || ptlen > INT_MAX)
		return SP_CRYPTO_ERR_STATE;
	if (EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, iv) != 1)
		return SP_CRYPTO_ERR_INTERNAL;
	if (aadlen > 0 && EVP_EncryptUpdate(ctx, NULL, &n, aad, (int)aadlen) != 1)
		return SP_CRYPTO_ERR_INTERNAL;
	if (ptlen > 0 && EVP_EncryptUpdate(ctx, ct, &n, pt, (int)ptlen) != 1)
		return SP_CRYPTO_ERR_INTERNAL;
	/* GCM is a stream mode: Final writes no bytes, it computes the tag. */
	if (EVP_EncryptFinal_ex(ctx, fin, &n) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, SP_TAG_LEN, tag) != 1)
		return SP_CRYPTO_ERR_INTERNAL;
	return SP_CRYPTO_OK;
}

/* ct (ctlen) and tag -> pt (ctlen).  On a tag mismatch pt is wiped. */
static int gcm_open(EVP_CIPHER_CTX *ctx, const uint8_t iv[SP_NONCE_LEN], const uint8_t *aad,
                    size_t aadlen, const uint8_t *ct, size_t ctlen, const uint8_t tag[SP_TAG_LEN],
                    uint8_t *pt)
{
	uint8_t want[SP_TAG_LEN], fin[SP_TAG_LEN];
	int n;

	if (aadlen > INT_MAX || ctlen > INT_MAX)
		return SP_CRYPTO_ERR_STATE;
	memcpy(want, tag, SP_TAG_LEN);
	if (EVP_DecryptInit_ex(ctx, NULL, NULL, NULL, iv) != 1)
		return SP_CRYPTO_ERR_INTERNAL;
	if (aadlen > 0 && EVP_DecryptUpdate(ctx, NULL, &n, aad, (int)aadlen) != 1)
		return SP_CRYPTO_ERR_INTERNAL;
	if (ctlen > 0 && EVP_DecryptUpdate(ctx, pt, &n, ct, (int)ctlen) != 1)
		goto fail;
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, SP_TAG_LEN, want) != 1)
		goto fail;
	if (EVP_DecryptFinal_ex(ctx, fin, &n) <= 0)
		goto fail;
	return SP_CRYPTO_OK;
fail:
	/* Unauthenticated plaintext must never be used (SP 800-38D, 7.2). */
	if (ctlen > 0)
		OPENSSL_cleanse(pt, ctlen);
	return SP_CRYPTO_ERR_AUTH;
}

/* blob = nonce(12, random) || ct(ptlen) || tag(16). */
static int blob_seal_with(const uint8_t key[SP_KEY_LEN], const uint8_t *aad, size_t aadlen,
                          const uint8_t *pt, size_t ptlen, uint8_t *blob)
{
	EVP_CIPHER_CTX *ctx;
	int rc;

	if (sp_random(blob, SP_NONCE_LEN) != 0)
		return SP_CRYPTO_ERR_INTERNAL;
	ctx = gcm_ctx_new(key, 1);
	if (!ctx)
		return SP_CRYPTO_ERR_INTERNAL;
	rc = gcm_seal(ctx, blob, aad, aadlen, pt, ptlen, blob + SP_NONCE_LEN,
	              blob + SP_NONCE_LEN + ptlen);
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

/* pt has room for bloblen - SP_NONCE_LEN - SP_TAG_LEN bytes. */
static int blob_open_with(const uint8_t key[SP_KEY_LEN], const uint8_t *aad, size_t aadlen,
                          const uint8_t *blob, size_t bloblen, uint8_t *pt)
{
	size_t n = bloblen - SP_NONCE_LEN - SP_TAG_LEN;
	EVP_CIPHER_CTX *ctx = gcm_ctx_new(key, 0);
	int rc;

	if (!ctx)
		return SP_CRYPTO_ERR_INTERNAL;
	rc = gcm_open(ctx, blob, aad, aadlen, blob + SP_NONCE_LEN, n, blob + SP_NONCE_LEN + n, pt);
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

/* ---- blobs -------------------------------------------------------------- */

/* A secret key of kr: never a public keyring's key, which is no secret. */
static const struct kr_key *secret_key(const struct keyring *kr, const char *kid)
{
	return keyring_is_public(kr) ? NULL : keyring_find(kr, kid);
}

int sp_seal_blob(const struct keyring *kr, const void *aad, size_t aadlen, const void *pt,
                 size_t ptlen, uint8_t **blob_out, size_t *bloblen_out, char *kid_out)
{
	const struct kr_key *k;
	uint8_t *blob;
	int rc;

	if (!blob_out || !bloblen_out)
		return SP_CRYPTO_ERR_STATE;
	*blob_out = NULL;
	*bloblen_out = 0;
	if (!kr || !kid_out || (!aad && aadlen) || (!pt && ptlen) || ptlen > MAX_BLOB_PT ||
	    aadlen > INT_MAX)
		return SP_CRYPTO_ERR_STATE;
	k = secret_key(kr, keyring_primary(kr));
	if (!k)
		return SP_CRYPTO_ERR_NOKEY;
	blob = malloc(SP_NONCE_LEN + ptlen + SP_TAG_LEN);
	if (!blob)
		return SP_CRYPTO_ERR_INTERNAL;
	rc = blob_seal_with(k->key, aad, aadlen, pt, ptlen, blob);
	if (rc != SP_CRYPTO_OK) {
		free(blob);
		return rc;
	}
	memcpy(kid_out, k->kid, strlen(k->kid) + 1);
	*blob_out = blob;
	*bloblen_out = SP_NONCE_LEN + ptlen + SP_TAG_LEN;
	return SP_CRYPTO_OK;
}

int sp_open_blob(const struct keyring *kr, const char *kid, const void *aad, size_t aadlen,
                 const uint8_t *blob, size_t bloblen, uint8_t **pt_out, size_t *ptlen_out)
{
	const struct kr_key *k;
	uint8_t *pt;
	size_t n;
	int rc;

	if (!pt_out || !ptlen_out)
		return SP_CRYPTO_ERR_STATE;
	*pt_out = NULL;
	*ptlen_out = 0;
	if (!kr || !kid || (!aad && aadlen) || (!blob && bloblen) || aadlen > INT_MAX)
		return SP_CRYPTO_ERR_STATE;
	k = secret_key(kr, kid);
	if (!k)
		return SP_CRYPTO_ERR_NOKEY;
	/* Too short to hold a nonce and a tag: it cannot be one of ours. */
	if (bloblen < SP_NONCE_LEN + SP_TAG_LEN)
		return SP_CRYPTO_ERR_AUTH;
	n = bloblen - SP_NONCE_LEN - SP_TAG_LEN;
	if (n > MAX_BLOB_PT)
		return SP_CRYPTO_ERR_STATE;
	pt = malloc(n + 1);
	if (!pt)
		return SP_CRYPTO_ERR_INTERNAL;
	rc = blob_open_with(k->key, aad, aadlen, blob, bloblen, pt);
	if (rc != SP_CRYPTO_OK) {
		OPENSSL_cleanse(pt, n);
		free(pt);
		return rc;
	}
	pt[n] = '\0';
	*pt_out = pt;
	*ptlen_out = n;
	return SP_CRYPTO_OK;
}

/* ---- sealing to a public key (the RMail token) -------------------------- */

#define SEAL_INFO     "scanpost-token-v1"
#define SEAL_OVERHEAD (HPKE_X25519_LEN + HPKE_TAG_LEN)

int sp_seal_to(const struct keyring *kr, const void *aad, size_t aadlen, const void *pt,
               size_t ptlen, uint8_t **blob_out, size_t *bloblen_out, char *kid_out)
{
	const struct kr_key *k;
	uint8_t pub[HPKE_X25519_LEN], *blob;

	if (!blob_out || !bloblen_out)
		return SP_CRYPTO_ERR_STATE;
	*blob_out = NULL;
	*bloblen_out = 0;
	if (!kr || !kid_out || (!aad && aadlen) || (!pt && ptlen) || ptlen > MAX_BLOB_PT)
		return SP_CRYPTO_ERR_STATE;
	if ((k = keyring_find(kr, keyring_primary(kr))) == NULL)
		return SP_CRYPTO_ERR_NOKEY;
	/* A full keyring holds the private key: its public half is derived. */
	if (keyring_is_public(kr))
		memcpy(pub, k->key, sizeof(pub));
	else if (hpke_public_of(k->key, pub) != 0)
		return SP_CRYPTO_ERR_INTERNAL;
	if ((blob = malloc(SEAL_OVERHEAD + ptlen)) == NULL)
		return SP_CRYPTO_ERR_INTERNAL;
	if (hpke_seal_base(HPKE_AES_256_GCM, pub, NULL, SEAL_INFO, sizeof(SEAL_INFO) - 1, aad,
	                   aadlen, pt, ptlen, blob, blob + HPKE_X25519_LEN) != 0) {
		free(blob);
		return SP_CRYPTO_ERR_INTERNAL;
	}
	memcpy(kid_out, k->kid, strlen(k->kid) + 1);
	*blob_out = blob;
	*bloblen_out = SEAL_OVERHEAD + ptlen;
	return SP_CRYPTO_OK;
}

int sp_open_sealed(const struct keyring *kr, const char *kid, const void *aad, size_t aadlen,
                   const uint8_t *blob, size_t bloblen, uint8_t **pt_out, size_t *ptlen_out)
{
	const struct kr_key *k;
	uint8_t *pt;
	size_t n;

	if (!pt_out || !ptlen_out)
		return SP_CRYPTO_ERR_STATE;
	*pt_out = NULL;
	*ptlen_out = 0;
	if (!kr || !kid || (!aad && aadlen) || (!blob && bloblen))
		return SP_CRYPTO_ERR_STATE;
	/* A public keyring opens nothing: that is what it is for. */
	if (keyring_is_public(kr) || (k = keyring_find(kr, kid)) == NULL)
		return SP_CRYPTO_ERR_NOKEY;
	if (bloblen < SEAL_OVERHEAD)
		return SP_CRYPTO_ERR_AUTH;
	n = bloblen - SEAL_OVERHEAD;
	if (n > MAX_BLOB_PT)
		return SP_CRYPTO_ERR_STATE;
	if ((pt = malloc(n + 1)) == NULL)
		return SP_CRYPTO_ERR_INTERNAL;
	if (hpke_open_base(HPKE_AES_256_GCM, k->key, blob, SEAL_INFO, sizeof(SEAL_INFO) - 1, aad,
	                   aadlen, blob + HPKE_X25519_LEN, bloblen - HPKE_X25519_LEN, pt) != 0) {
		free(pt);
		return SP_CRYPTO_ERR_AUTH;
	}
	pt[n] = '\0';
	*pt_out = pt;
	*ptlen_out = n;
	return SP_CRYPTO_OK;
}

/* ---- document keys ------------------------------------------------------ */

/* AAD of a wrapped DEK: "scanpost-dek2" || job_id(16) || file_no(4, BE) ||
 * bytes(8, BE) || sha256(32). */
static void dek_aad(const struct sp_doc_id *doc, const struct sp_doc_digest *d,
                    uint8_t aad[DEK_AAD_LEN])
{
	size_t l = sizeof(DEK_AAD_LABEL) - 1;

	memcpy(aad, DEK_AAD_LABEL, l);
	memcpy(aad + l, doc->job_id, sizeof(doc->job_id));
	put_be32(aad + l + 16, doc->file_no);
	put_be64(aad + l + 20, d->bytes);
	memcpy(aad + l + 28, d->sha256, sizeof(d->sha256));
}

static void dek_aad_legacy(const struct sp_doc_id *doc, uint8_t aad[DEK_AAD_LEGACY_LEN])
{
	size_t l = sizeof(DEK_AAD_LEGACY) - 1;

	memcpy(aad, DEK_AAD_LEGACY, l);
	memcpy(aad + l, doc->job_id, sizeof(doc->job_id));
	put_be32(aad + l + 16, doc->file_no);
}

static int dek_wrap(const struct keyring *kr, const struct sp_doc_id *doc,
                    const struct sp_doc_digest *d, const uint8_t dek[SP_KEY_LEN],
                    struct sp_doc_key *key)
{
	const struct kr_key *k = secret_key(kr, keyring_primary(kr));
	uint8_t aad[DEK_AAD_LEN];
	int rc;

	if (!k)
		return SP_CRYPTO_ERR_NOKEY;
	dek_aad(doc, d, aad);
	rc = blob_seal_with(k->key, aad, sizeof(aad), dek, SP_KEY_LEN, key->wrapped);
	if (rc == SP_CRYPTO_OK)
		memcpy(key->kid, k->kid, sizeof(key->kid));
	return rc;
}

static int dek_unwrap(const struct keyring *kr, const struct sp_doc_id *doc,
                      const struct sp_doc_digest *d, const struct sp_doc_key *key,
                      uint8_t dek[SP_KEY_LEN])
{
	const struct kr_key *k;
	uint8_t aad[DEK_AAD_LEN], legacy[DEK_AAD_LEGACY_LEN];
	int rc;

	/* The kid comes from storage: it must be terminated within its field. */
	if (!memchr(key->kid, '\0', sizeof(key->kid)))
		return SP_CRYPTO_ERR_NOKEY;
	k = secret_key(kr, key->kid);
	if (!k)
		return SP_CRYPTO_ERR_NOKEY;
	dek_aad(doc, d, aad);
	rc = blob_open_with(k->key, aad, sizeof(aad), key->wrapped, sizeof(key->wrapped), dek);
	if (rc != SP_CRYPTO_ERR_AUTH)
		return rc;
	/* A key wrapped by the time before size and digest were bound.  Only
	 * a KEK holder can make such a blob, so this is no way around the
	 * binding for new keys; old ones still get the stream's own check. */
	dek_aad_legacy(doc, legacy);
	return blob_open_with(k->key, legacy, sizeof(legacy), key->wrapped, sizeof(key->wrapped),
	                      dek);
}

int sp_doc_key_rewrap(const struct keyring *kr, const struct sp_doc_id *doc,
                      const struct sp_doc_digest *recorded, struct sp_doc_key *key)
{
	struct sp_doc_key fresh;
	uint8_t dek[SP_KEY_LEN];
	int rc;

	if (!kr || !doc || !recorded || !key)
		return SP_CRYPTO_ERR_STATE;
	rc = dek_unwrap(kr, doc, recorded, key, dek);
	if (rc == SP_CRYPTO_OK)
		rc = dek_wrap(kr, doc, recorded, dek, &fresh);
	OPENSSL_cleanse(dek, sizeof(dek));
	if (rc != SP_CRYPTO_OK)
		return rc;
	/* The chunks are untouched, so the nonce prefix stays. */
	memcpy(key->kid, fresh.kid, sizeof(key->kid));
	memcpy(key->wrapped, fresh.wrapped, sizeof(key->wrapped));
	return SP_CRYPTO_OK;
}

/* ---- chunked streams ---------------------------------------------------- */

/*
 * NIST SP 800-38D, 8.2.1 (deterministic construction): the 96-bit IV is a
 * fixed field (the document's random 4-byte prefix) and an invocation field
 * (the 8-byte big-endian chunk counter).  Every document has a fresh DEK, so
 * (key, IV) never repeats; the prefix only adds margin.
 */
static void chunk_nonce(const uint8_t prefix[SP_NONCE_PREFIX_LEN], uint64_t index,
                        uint8_t iv[SP_NONCE_LEN])
{
	memcpy(iv, prefix, SP_NONCE_PREFIX_LEN);
	put_be64(iv + SP_NONCE_PREFIX_LEN, index);
}

/* AAD = job_id(16) || file_no(4, BE) || index(8, BE) || last(1): a chunk cannot
 * move to another document or place, and the last-chunk flag exposes truncation. */
static void chunk_aad(const struct sp_doc_id *doc, uint64_t index, int is_last,
                      uint8_t aad[CHUNK_AAD_LEN])
{
	memcpy(aad, doc->job_id, 16);
	put_be32(aad + 16, doc->file_no);
	put_be64(aad + 20, index);
	aad[28] = is_last ? 1 : 0;
}

struct seal_stream {
	EVP_CIPHER_CTX *ctx;     /* holds the DEK's schedule */
	EVP_MD_CTX *sha;         /* SHA-256 of the plaintext, bound at the wrap */
	uint8_t dek[SP_KEY_LEN]; /* kept only until the wrap; wiped by free */
	struct sp_doc_id doc;
	uint8_t prefix[SP_NONCE_PREFIX_LEN];
	uint64_t index; /* of the next chunk to emit */
	uint64_t bytes;
	size_t buflen;
	int done;     /* last chunk emitted, or a failure: no more input */
	int finished; /* the last chunk was emitted: the wrap may follow */
	uint8_t *buf; /* SP_CHUNK_SIZE of plaintext */
	uint8_t *out; /* SP_CHUNK_SIZE + SP_TAG_LEN of ciphertext and tag */
};

int seal_stream_begin(const struct sp_doc_id *doc, struct seal_stream **out)
{
	struct seal_stream *s;

	if (!out)
		return SP_CRYPTO_ERR_STATE;
	*out = NULL;
	if (!doc)
		return SP_CRYPTO_ERR_STATE;
	s = calloc(1, sizeof(*s));
	if (!s)
		return SP_CRYPTO_ERR_INTERNAL;
	s->doc = *doc;
	s->buf = malloc(SP_CHUNK_SIZE);
	s->out = malloc(SP_CHUNK_SIZE + SP_TAG_LEN);
	if (!s->buf || !s->out || sp_random(s->dek, sizeof(s->dek)) != 0 ||
	    sp_random(s->prefix, sizeof(s->prefix)) != 0 || (s->sha = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(s->sha, EVP_sha256(), NULL) != 1 ||
	    (s->ctx = gcm_ctx_new(s->dek, 1)) == NULL) {
		seal_stream_free(s);
		return SP_CRYPTO_ERR_INTERNAL;
	}
	*out = s;
	return SP_CRYPTO_OK;
}

/* Seals the buffered plaintext as chunk s->index and hands it to fn. */
static int seal_emit(struct seal_stream *s, int is_last, sp_chunk_fn fn, void *arg)
{
	uint8_t iv[SP_NONCE_LEN], aad[CHUNK_AAD_LEN];
	int rc;

	if (s->index == UINT64_MAX) {
		s->done = 1;
		return SP_CRYPTO_ERR_STATE;
	}
	chunk_nonce(s->prefix, s->index, iv);
	chunk_aad(&s->doc, s->index, is_last, aad);
	rc = gcm_seal(s->ctx, iv, aad, sizeof(aad), s->buf, s->buflen, s->out, s->out + s->buflen);
	OPENSSL_cleanse(s->buf, s->buflen);
	if (rc != SP_CRYPTO_OK) {
		s->done = 1;
		return rc;
	}
	if (fn(arg, s->index, is_last, s->out, s->buflen + SP_TAG_LEN) != 0) {
		s->done = 1;
		return SP_CRYPTO_ERR_STATE;
	}
	s->index++;
	s->buflen = 0;
	return SP_CRYPTO_OK;
}

int seal_stream_update(struct seal_stream *s, const void *pt, size_t len, sp_chunk_fn fn, void *arg)
{
	const uint8_t *p = pt;

	if (!s || !fn || s->done || (!pt && len))
		return SP_CRYPTO_ERR_STATE;
	while (len > 0) {
		size_t n = SP_CHUNK_SIZE - s->buflen;

		/* A full buffer followed by more data is not the last chunk. */
		if (n == 0) {
			int rc = seal_emit(s, 0, fn, arg);

			if (rc != SP_CRYPTO_OK)
				return rc;
			n = SP_CHUNK_SIZE;
		}
		if (n > len)
			n = len;
		if (EVP_DigestUpdate(s->sha, p, n) != 1) {
			s->done = 1;
			return SP_CRYPTO_ERR_INTERNAL;
		}
		memcpy(s->buf + s->buflen, p, n);
		s->buflen += n;
		s->bytes += n;
		p += n;
		len -= n;
	}
	return SP_CRYPTO_OK;
}

int seal_stream_final(struct seal_stream *s, sp_chunk_fn fn, void *arg)
{
	int rc;

	if (!s || !fn || s->done)
		return SP_CRYPTO_ERR_STATE;
	rc = seal_emit(s, 1, fn, arg);
	s->done = 1;
	s->finished = rc == SP_CRYPTO_OK;
	return rc;
}

int seal_stream_wrap(struct seal_stream *s, const struct keyring *kr, struct sp_doc_key *key_out,
                     struct sp_doc_digest *digest_out)
{
	struct sp_doc_key key;
	struct sp_doc_digest d;
	unsigned int dlen = 0;
	int rc;

	if (!s || !kr || !key_out || !digest_out || !s->finished)
		return SP_CRYPTO_ERR_STATE;
	/* Once: the digest is final after this. */
	s->finished = 0;
	memset(&key, 0, sizeof(key));
	d.bytes = s->bytes;
	if (EVP_DigestFinal_ex(s->sha, d.sha256, &dlen) != 1 || dlen != sizeof(d.sha256))
		return SP_CRYPTO_ERR_INTERNAL;
	rc = dek_wrap(kr, &s->doc, &d, s->dek, &key);
	OPENSSL_cleanse(s->dek, sizeof(s->dek));
	if (rc != SP_CRYPTO_OK)
		return rc;
	memcpy(key.nonce_prefix, s->prefix, sizeof(key.nonce_prefix));
	*key_out = key;
	*digest_out = d;
	return SP_CRYPTO_OK;
}

void seal_stream_free(struct seal_stream *s)
{
	if (!s)
		return;
	EVP_CIPHER_CTX_free(s->ctx);
	EVP_MD_CTX_free(s->sha);
	if (s->buf) {
		OPENSSL_cleanse(s->buf, SP_CHUNK_SIZE);
		free(s->buf);
	}
	free(s->out);
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
}

uint64_t seal_stream_bytes(const struct seal_stream *s)
{
	return s ? s->bytes : 0;
}

struct open_stream {
	EVP_CIPHER_CTX *ctx; /* holds the DEK */
	EVP_MD_CTX *sha;     /* SHA-256 of what was opened */
	struct sp_doc_id doc;
	struct sp_doc_digest recorded;
	uint8_t prefix[SP_NONCE_PREFIX_LEN];
	uint64_t index; /* of the next chunk expected */
	uint64_t bytes; /* opened so far */
	int saw_last;
	int failed; /* 0, or the error every later call repeats */
};

int open_stream_begin(const struct keyring *kr, const struct sp_doc_id *doc,
                      const struct sp_doc_key *key, const struct sp_doc_digest *recorded,
                      struct open_stream **out)
{
	struct open_stream *s;
	uint8_t dek[SP_KEY_LEN];
	int rc;

	if (!out)
		return SP_CRYPTO_ERR_STATE;
	*out = NULL;
	if (!kr || !doc || !key || !recorded)
		return SP_CRYPTO_ERR_STATE;
	rc = dek_unwrap(kr, doc, recorded, key, dek);
	if (rc != SP_CRYPTO_OK)
		return rc;
	s = calloc(1, sizeof(*s));
	if (s) {
		s->ctx = gcm_ctx_new(dek, 0);
		s->sha = EVP_MD_CTX_new();
	}
	OPENSSL_cleanse(dek, sizeof(dek));
	if (!s || !s->ctx || !s->sha || EVP_DigestInit_ex(s->sha, EVP_sha256(), NULL) != 1) {
		open_stream_free(s);
		return SP_CRYPTO_ERR_INTERNAL;
	}
	s->doc = *doc;
	s->recorded = *recorded;
	memcpy(s->prefix, key->nonce_prefix, sizeof(s->prefix));
	*out = s;
	return SP_CRYPTO_OK;
}

/* Counts and hashes n opened bytes; at the last chunk, compares with the
 * recorded size and digest.  SP_CRYPTO_OK or SP_CRYPTO_ERR_MISMATCH. */
static int open_account(struct open_stream *s, const uint8_t *pt, size_t n, int is_last)
{
	uint8_t digest[32];
	unsigned int dlen = 0;
	int same;

	if (n > s->recorded.bytes - s->bytes || s->bytes > s->recorded.bytes)
		return SP_CRYPTO_ERR_MISMATCH;
	if (n > 0 && EVP_DigestUpdate(s->sha, pt, n) != 1)
		return SP_CRYPTO_ERR_INTERNAL;
	s->bytes += n;
	if (!is_last)
		return SP_CRYPTO_OK;
	if (EVP_DigestFinal_ex(s->sha, digest, &dlen) != 1 || dlen != sizeof(digest))
		return SP_CRYPTO_ERR_INTERNAL;
	same = s->bytes == s->recorded.bytes &&
	       CRYPTO_memcmp(digest, s->recorded.sha256, sizeof(digest)) == 0;
	return same ? SP_CRYPTO_OK : SP_CRYPTO_ERR_MISMATCH;
}

int open_stream_chunk(struct open_stream *s, int is_last, const uint8_t *ct, size_t ctlen,
                      uint8_t *pt, size_t *ptlen)
{
	uint8_t iv[SP_NONCE_LEN], aad[CHUNK_AAD_LEN];
	size_t n;
	int rc;

	if (ptlen)
		*ptlen = 0;
	if (!s || !ptlen || (!ct && ctlen) || s->saw_last || s->failed)
		return SP_CRYPTO_ERR_STATE;
	/* Shorter than a tag or longer than a chunk: never sealed by us. */
	if (ctlen < SP_TAG_LEN || ctlen - SP_TAG_LEN > SP_CHUNK_SIZE) {
		s->failed = SP_CRYPTO_ERR_AUTH;
		return SP_CRYPTO_ERR_AUTH;
	}
	n = ctlen - SP_TAG_LEN;
	if (n > 0 && !pt)
		return SP_CRYPTO_ERR_STATE;
	chunk_nonce(s->prefix, s->index, iv);
	chunk_aad(&s->doc, s->index, is_last, aad);
	rc = gcm_open(s->ctx, iv, aad, sizeof(aad), ct, n, ct + n, pt);
	if (rc == SP_CRYPTO_OK)
		rc = open_account(s, pt, n, is_last);
	if (rc != SP_CRYPTO_OK) {
		if (n > 0)
			OPENSSL_cleanse(pt, n);
		s->failed = rc;
		return rc;
	}
	*ptlen = n;
	s->index++;
	if (is_last)
		s->saw_last = 1;
	return SP_CRYPTO_OK;
}

int open_stream_finish(struct open_stream *s)
{
	if (!s)
		return SP_CRYPTO_ERR_STATE;
	if (s->failed)
		return s->failed;
	return s->saw_last ? SP_CRYPTO_OK : SP_CRYPTO_ERR_TRUNCATED;
}

void open_stream_free(struct open_stream *s)
{
	if (!s)
		return;
	EVP_CIPHER_CTX_free(s->ctx);
	EVP_MD_CTX_free(s->sha);
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
}
