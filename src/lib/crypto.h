/*
 * crypto.h - envelope encryption for scanpost (DESIGN 3.6).
 *
 * AES-256-GCM through OpenSSL EVP only.  Master keys (KEKs) live in a
 * keyring directory of key files; each document gets a fresh data key (DEK)
 * that is stored only wrapped by a KEK.  Documents are sealed in fixed
 * plaintext chunks of SP_CHUNK_SIZE bytes; every chunk carries its own tag.
 *
 * Keyring directory layout (written by keyring_generate):
 *   <kid>.key   64 hex digits (a 256-bit key) and a newline, mode 0600
 *   primary     the kid of the key that seals new data, and a newline
 * A kid is 1..SP_KID_MAX characters of [a-z0-9-].
 */
#ifndef SCANPOST_CRYPTO_H
#define SCANPOST_CRYPTO_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define SP_KEY_LEN          32 /* AES-256 */
#define SP_NONCE_LEN        12 /* NIST SP 800-38D, 8.2.1: 96-bit IV */
#define SP_TAG_LEN          16
#define SP_NONCE_PREFIX_LEN 4 /* random per document; the rest is the chunk counter */
#define SP_KID_MAX          32
#define SP_CHUNK_SIZE       (256 * 1024) /* plaintext bytes per sealed chunk */
#define SP_WRAPPED_DEK_LEN  (SP_NONCE_LEN + SP_KEY_LEN + SP_TAG_LEN)

enum sp_crypto_err {
	SP_CRYPTO_OK = 0,
	SP_CRYPTO_ERR_IO,        /* key file missing, unreadable */
	SP_CRYPTO_ERR_KEYFILE,   /* key file malformed or mode not 0600 */
	SP_CRYPTO_ERR_NOKEY,     /* kid not in the keyring */
	SP_CRYPTO_ERR_AUTH,      /* tag check failed: altered, swapped, wrong key/AAD */
	SP_CRYPTO_ERR_TRUNCATED, /* the last chunk never came */
	SP_CRYPTO_ERR_STATE,     /* misuse: data after the last chunk, bad sizes */
	SP_CRYPTO_ERR_INTERNAL,  /* OpenSSL failure, out of memory */
	SP_CRYPTO_ERR_MISMATCH,  /* opened size or SHA-256 differ from the recorded ones */
};

const char *sp_crypto_strerror(int err);

struct keyring;

/* Loads every <kid>.key of dir and the primary.  Refuses a key file that is
 * group/other readable.  On failure *out is NULL and err holds a message
 * naming the file.  The caller frees with keyring_free (which wipes keys). */
int keyring_load(const char *dir, struct keyring **out, char *err, size_t errlen);
void keyring_free(struct keyring *kr);
const char *keyring_primary(const struct keyring *kr);
int keyring_has(const struct keyring *kr, const char *kid);
/* Number of keys and the kid of the i-th (0 <= i < count), sorted by kid. */
size_t keyring_count(const struct keyring *kr);
const char *keyring_kid(const struct keyring *kr, size_t i);

/* Creates a new random key file in dir (created 0700 if missing), mode 0600,
 * and makes it the primary.  kid_out receives its id (>= SP_KID_MAX + 1). */
int keyring_generate(const char *dir, char *kid_out, size_t kid_out_len, char *err, size_t errlen);
/* The same for a keyring that seals to public keys (sp_seal_to): the key
 * file holds an X25519 private key, and <kid>.pub (mode 0644, 64 hex digits
 * and a newline) its public half. */
int keyring_generate_pair(const char *dir, char *kid_out, size_t kid_out_len, char *err,
                          size_t errlen);
/* Writes the missing <kid>.pub of every key of dir (a keyring made before
 * public halves were written); *written says how many. */
int keyring_publish(const char *dir, int *written, char *err, size_t errlen);
/* Loads the public halves only (<kid>.pub files) and the primary: a keyring
 * that can seal with sp_seal_to and open nothing.  What a program that only
 * seals loads, so it never holds a private key. */
int keyring_load_public(const char *dir, struct keyring **out, char *err, size_t errlen);
/* Deletes <kid>.key (overwritten first) and its <kid>.pub; refuses to
 * retire the primary. */
int keyring_retire(const char *dir, const char *kid, char *err, size_t errlen);
/* When dir's primary was last made (generate or rotate): the age of the
 * keyring's rotation, for /metrics.  SP_CRYPTO_OK or SP_CRYPTO_ERR_IO. */
int keyring_primary_since(const char *dir, time_t *since);

/*
 * Blob sealing: one-shot AES-256-GCM under the keyring's primary KEK.
 * blob = nonce(12) || ciphertext || tag(16); the kid used is copied to
 * kid_out (SP_KID_MAX + 1 bytes).  aad binds the blob to its context (say,
 * the session id) so it cannot be moved to another row.  *blob_out is
 * malloc'd, the caller frees it.  Used for the RMail token, the wrapped
 * DEK and the SSO vault.
 */
int sp_seal_blob(const struct keyring *kr, const void *aad, size_t aadlen, const void *pt,
                 size_t ptlen, uint8_t **blob_out, size_t *bloblen_out, char *kid_out);
/* Opens a blob sealed under kid.  *pt_out is malloc'd with one extra NUL
 * byte after *ptlen_out bytes; the caller wipes (OPENSSL_cleanse) and frees. */
int sp_open_blob(const struct keyring *kr, const char *kid, const void *aad, size_t aadlen,
                 const uint8_t *blob, size_t bloblen, uint8_t **pt_out, size_t *ptlen_out);

/*
 * Sealing to a public key, for the RMail token: RFC 9180 HPKE base mode,
 * DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM (hpke.h), to the
 * primary's public half, info "scanpost-token-v1".  blob = enc(32) ||
 * ciphertext || tag(16).  A keyring from keyring_load_public seals; only a
 * full one opens.  Ownership as sp_seal_blob / sp_open_blob.
 */
int sp_seal_to(const struct keyring *kr, const void *aad, size_t aadlen, const void *pt,
               size_t ptlen, uint8_t **blob_out, size_t *bloblen_out, char *kid_out);
int sp_open_sealed(const struct keyring *kr, const char *kid, const void *aad, size_t aadlen,
                   const uint8_t *blob, size_t bloblen, uint8_t **pt_out, size_t *ptlen_out);

/*
 * Identity of a document: the job it belongs to and its file number in the
 * job.  Both go into every chunk's AAD, with the chunk index and the
 * last-chunk flag: AAD = job_id(16) || file_no(4, BE) || index(8, BE) || last(1).
 */
struct sp_doc_id {
	uint8_t job_id[16];
	uint32_t file_no;
};

/* What a document is, as recorded next to it (job_files.bytes, .sha256):
 * its plaintext size and SHA-256.  Both are bound into the AAD of its
 * wrapped key (DESIGN 3.6), so a changed size or digest makes the key fail
 * to unwrap: no column outside a MAC decides what is sent. */
struct sp_doc_digest {
	uint64_t bytes;
	uint8_t sha256[32];
};

/* What is stored next to a document: its DEK wrapped by the KEK named kid,
 * and the nonce prefix.  Wrap AAD = "scanpost-dek2" || job_id(16) ||
 * file_no(4, BE) || bytes(8, BE) || sha256(32).  (Keys wrapped before the
 * digest was bound used "scanpost-dek" || job_id || file_no; they still
 * open, and the stream's own size and digest check still holds for them.) */
struct sp_doc_key {
	char kid[SP_KID_MAX + 1];
	uint8_t wrapped[SP_WRAPPED_DEK_LEN];
	uint8_t nonce_prefix[SP_NONCE_PREFIX_LEN];
};

/* Called for every sealed chunk, in order.  ct is ciphertext || tag,
 * ctlen = plaintext length + SP_TAG_LEN.  Return 0 to go on, non-zero to
 * abort (the seal call then returns SP_CRYPTO_ERR_STATE). */
typedef int (*sp_chunk_fn)(void *arg, uint64_t index, int is_last, const uint8_t *ct, size_t ctlen);

struct seal_stream;
/* Starts sealing a document under a fresh random DEK and nonce prefix.  No
 * KEK is used yet: the DEK is wrapped only at the end (seal_stream_wrap),
 * when size and digest are known.  Free with seal_stream_free (wipes). */
int seal_stream_begin(const struct sp_doc_id *doc, struct seal_stream **out);
/* Feeds plaintext of any length (hashed as it comes); emits each full
 * chunk once it is known not to be the last one.  At most one chunk of
 * plaintext is buffered. */
int seal_stream_update(struct seal_stream *s, const void *pt, size_t len, sp_chunk_fn fn,
                       void *arg);
/* Emits the final chunk (possibly empty, so a 0-byte document still has a
 * sealed last chunk). */
int seal_stream_final(struct seal_stream *s, sp_chunk_fn fn, void *arg);
/* After seal_stream_final: wraps the DEK under kr's primary KEK, binding
 * the document's size and SHA-256, into *key_out (with the nonce prefix);
 * *digest_out receives them. */
int seal_stream_wrap(struct seal_stream *s, const struct keyring *kr, struct sp_doc_key *key_out,
                     struct sp_doc_digest *digest_out);
void seal_stream_free(struct seal_stream *s);
/* Bytes of plaintext fed so far. */
uint64_t seal_stream_bytes(const struct seal_stream *s);

struct open_stream;
/* Unwraps the DEK with the recorded size and digest in its AAD:
 * SP_CRYPTO_ERR_NOKEY on an unknown kid, _AUTH when the key, the document
 * or its recorded size or digest is not the one it was wrapped for. */
int open_stream_begin(const struct keyring *kr, const struct sp_doc_id *doc,
                      const struct sp_doc_key *key, const struct sp_doc_digest *recorded,
                      struct open_stream **out);
/* Opens the next chunk in order; the stream counts the index itself, so a
 * dropped, repeated or reordered chunk fails its tag.  pt must have room for
 * ctlen - SP_TAG_LEN bytes.  A chunk after the last one is SP_CRYPTO_ERR_STATE.
 * The plaintext is counted and hashed: more bytes than recorded, or a last
 * chunk after which size or SHA-256 differ from the recorded ones, is
 * SP_CRYPTO_ERR_MISMATCH and that chunk's plaintext is wiped, never given. */
int open_stream_chunk(struct open_stream *s, int is_last, const uint8_t *ct, size_t ctlen,
                      uint8_t *pt, size_t *ptlen);
/* SP_CRYPTO_OK once the last chunk was opened and size and digest matched;
 * SP_CRYPTO_ERR_TRUNCATED before; the stream's failure otherwise. */
int open_stream_finish(struct open_stream *s);
void open_stream_free(struct open_stream *s);

/* Re-wraps a document key under the keyring's primary KEK (keys rewrap);
 * the recorded size and digest must be the ones it was wrapped with. */
int sp_doc_key_rewrap(const struct keyring *kr, const struct sp_doc_id *doc,
                      const struct sp_doc_digest *recorded, struct sp_doc_key *key);

/* Cryptographically random bytes (RAND_bytes); 0 on success. */
int sp_random(void *buf, size_t len);

#endif
