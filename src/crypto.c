/*
 * crypto.c - envelope encryption for scanpost (DESIGN 3.6, see crypto.h).
 *
 * Every primitive is OpenSSL's: EVP_aes_256_gcm() seals and opens,
 * RAND_bytes() makes keys and nonces.  This file only lays out nonces, AAD,
 * blobs and the keyring files, and wipes what it owns.
 *
 * A keyring is immutable once loaded, so one keyring may be shared by threads;
 * each seal/open call or stream owns its own EVP_CIPHER_CTX.
 */
#include "crypto.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#define KEY_SUFFIX     ".key"
#define KEY_SUFFIX_LEN (sizeof(KEY_SUFFIX) - 1)
#define KEY_HEX_LEN    (2 * SP_KEY_LEN)
#define KEYFILE_LEN    (KEY_HEX_LEN + 1) /* hex digits and a newline */
#define PRIMARY_NAME   "primary"
#define DEK_AAD_LABEL  "scanpost-dek"
#define DEK_AAD_LEN    (sizeof(DEK_AAD_LABEL) - 1 + 16 + 4)
#define CHUNK_AAD_LEN  (16 + 4 + 8 + 1)
#define GENERATE_TRIES 16
#define MAX_BLOB_PT    ((size_t)INT_MAX - SP_NONCE_LEN - SP_TAG_LEN)

static const char *const err_text[] = {
    [SP_CRYPTO_OK] = "ok",
    [SP_CRYPTO_ERR_IO] = "key file missing or unreadable",
    [SP_CRYPTO_ERR_KEYFILE] = "key file malformed or not mode 0600",
    [SP_CRYPTO_ERR_NOKEY] = "key id not in the keyring",
    [SP_CRYPTO_ERR_AUTH] = "authentication failed: data altered, moved or wrong key",
    [SP_CRYPTO_ERR_TRUNCATED] = "sealed document truncated: last chunk missing",
    [SP_CRYPTO_ERR_STATE] = "crypto misuse: call out of order or bad size",
    [SP_CRYPTO_ERR_INTERNAL] = "OpenSSL failure or out of memory",
};

const char *sp_crypto_strerror(int err)
{
	if (err < 0 || (size_t)err >= sizeof(err_text) / sizeof(err_text[0]) || !err_text[err])
		return "unknown crypto error";
	return err_text[err];
}

struct kr_key {
	char kid[SP_KID_MAX + 1];
	uint8_t key[SP_KEY_LEN];
};

struct keyring {
	struct kr_key *keys; /* sorted by kid; wiped by keyring_free */
	size_t count, cap;
	char primary[SP_KID_MAX + 1];
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
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

static int kid_valid(const char *kid, size_t len)
{
	if (len == 0 || len > SP_KID_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = kid[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return 0;
	}
	return 1;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
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

/* ---- keyring ------------------------------------------------------------ */

static int kid_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kr_key *)a)->kid, ((const struct kr_key *)b)->kid);
}

static const struct kr_key *kr_find(const struct keyring *kr, const char *kid)
{
	struct kr_key probe;
	size_t len;

	if (!kr || !kid)
		return NULL;
	len = strnlen(kid, SP_KID_MAX + 1);
	if (len > SP_KID_MAX)
		return NULL;
	memcpy(probe.kid, kid, len + 1);
	return bsearch(&probe, kr->keys, kr->count, sizeof(*kr->keys), kid_cmp);
}

/* Grows without realloc, so no copy of a key is left in freed memory. */
static int kr_grow(struct keyring *kr)
{
	size_t cap = kr->cap ? 2 * kr->cap : 8;
	struct kr_key *keys;

	if (kr->count < kr->cap)
		return 0;
	keys = calloc(cap, sizeof(*keys));
	if (!keys)
		return -1;
	if (kr->keys) {
		memcpy(keys, kr->keys, kr->count * sizeof(*keys));
		OPENSSL_cleanse(kr->keys, kr->cap * sizeof(*keys));
		free(kr->keys);
	}
	kr->keys = keys;
	kr->cap = cap;
	return 0;
}

/* Reads at most cap bytes of an open file; *len == cap means "cap or more". */
static int read_upto(int fd, char *buf, size_t cap, size_t *len)
{
	*len = 0;
	while (*len < cap) {
		ssize_t n = read(fd, buf + *len, cap - *len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	return 0;
}

static int load_keyfile(int dfd, const char *dir, const char *name, struct kr_key *k, char *err,
                        size_t errlen)
{
	char buf[KEYFILE_LEN + 1];
	struct stat st;
	size_t len;
	int fd, rc = SP_CRYPTO_ERR_KEYFILE;

	/* O_NONBLOCK: a FIFO planted as a key file must not hang the load. */
	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		set_err(err, errlen, "%s/%s: %s", dir, name, strerror(errno));
		return SP_CRYPTO_ERR_IO;
	}
	if (fstat(fd, &st) != 0) {
		set_err(err, errlen, "%s/%s: %s", dir, name, strerror(errno));
		rc = SP_CRYPTO_ERR_IO;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		set_err(err, errlen, "%s/%s: not a regular file", dir, name);
		goto out;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		set_err(err, errlen, "%s/%s: mode %04o, a key file must be 0600 (chmod 600)", dir,
		        name, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	if (read_upto(fd, buf, sizeof(buf), &len) != 0) {
		set_err(err, errlen, "%s/%s: %s", dir, name, strerror(errno));
		rc = SP_CRYPTO_ERR_IO;
		goto out;
	}
	if (len != KEYFILE_LEN || buf[KEY_HEX_LEN] != '\n') {
		set_err(err, errlen, "%s/%s: must hold 64 hex digits and a newline", dir, name);
		goto out;
	}
	for (size_t i = 0; i < SP_KEY_LEN; i++) {
		int hi = hex_value(buf[2 * i]), lo = hex_value(buf[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			set_err(err, errlen, "%s/%s: must hold 64 hex digits and a newline", dir,
			        name);
			OPENSSL_cleanse(k->key, sizeof(k->key));
			goto out;
		}
		k->key[i] = (uint8_t)(hi << 4 | lo);
	}
	rc = SP_CRYPTO_OK;
out:
	OPENSSL_cleanse(buf, sizeof(buf));
	close(fd);
	return rc;
}

/* Reads dir/primary: a kid and an optional newline. */
static int read_primary(int dfd, const char *dir, char kid[SP_KID_MAX + 1], char *err,
                        size_t errlen)
{
	char buf[SP_KID_MAX + 2];
	size_t len;
	int fd, rc;

	fd = openat(dfd, PRIMARY_NAME, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		set_err(err, errlen, "%s/%s: %s", dir, PRIMARY_NAME, strerror(errno));
		return SP_CRYPTO_ERR_IO;
	}
	rc = read_upto(fd, buf, sizeof(buf), &len);
	close(fd);
	if (rc != 0) {
		set_err(err, errlen, "%s/%s: %s", dir, PRIMARY_NAME, strerror(errno));
		return SP_CRYPTO_ERR_IO;
	}
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (!kid_valid(buf, len)) {
		set_err(err, errlen, "%s/%s: must hold one key id (1..%d of [a-z0-9-])", dir,
		        PRIMARY_NAME, SP_KID_MAX);
		return SP_CRYPTO_ERR_KEYFILE;
	}
	memcpy(kid, buf, len);
	kid[len] = '\0';
	return SP_CRYPTO_OK;
}

int keyring_load(const char *dir, struct keyring **out, char *err, size_t errlen)
{
	struct keyring *kr;
	struct dirent *de;
	DIR *d;
	int rc = SP_CRYPTO_OK;

	if (!out)
		return SP_CRYPTO_ERR_STATE;
	*out = NULL;
	if (!dir)
		return SP_CRYPTO_ERR_STATE;
	kr = calloc(1, sizeof(*kr));
	if (!kr)
		return SP_CRYPTO_ERR_INTERNAL;
	d = opendir(dir);
	if (!d) {
		set_err(err, errlen, "%s: %s", dir, strerror(errno));
		free(kr);
		return SP_CRYPTO_ERR_IO;
	}
	errno = 0;
	while (rc == SP_CRYPTO_OK && (de = readdir(d)) != NULL) {
		const char *name = de->d_name;
		size_t len = strlen(name), kidlen;
		struct kr_key *k;

		/* Dot files are ours (the primary's temp file) or the admin's. */
		if (name[0] == '.' || len <= KEY_SUFFIX_LEN ||
		    strcmp(name + len - KEY_SUFFIX_LEN, KEY_SUFFIX) != 0)
			continue;
		kidlen = len - KEY_SUFFIX_LEN;
		if (!kid_valid(name, kidlen)) {
			set_err(err, errlen, "%s/%s: a key id is 1..%d of [a-z0-9-]", dir, name,
			        SP_KID_MAX);
			rc = SP_CRYPTO_ERR_KEYFILE;
			break;
		}
		if (kr_grow(kr) != 0) {
			rc = SP_CRYPTO_ERR_INTERNAL;
			break;
		}
		k = &kr->keys[kr->count];
		memcpy(k->kid, name, kidlen);
		k->kid[kidlen] = '\0';
		rc = load_keyfile(dirfd(d), dir, name, k, err, errlen);
		if (rc == SP_CRYPTO_OK)
			kr->count++;
		errno = 0;
	}
	if (rc == SP_CRYPTO_OK && errno != 0) {
		set_err(err, errlen, "%s: %s", dir, strerror(errno));
		rc = SP_CRYPTO_ERR_IO;
	}
	if (rc == SP_CRYPTO_OK) {
		if (kr->count > 0)
			qsort(kr->keys, kr->count, sizeof(*kr->keys), kid_cmp);
		rc = read_primary(dirfd(d), dir, kr->primary, err, errlen);
	}
	if (rc == SP_CRYPTO_OK && !kr_find(kr, kr->primary)) {
		set_err(err, errlen, "%s/%s: names key %s, but there is no %s/%s%s", dir,
		        PRIMARY_NAME, kr->primary, dir, kr->primary, KEY_SUFFIX);
		rc = SP_CRYPTO_ERR_NOKEY;
	}
	closedir(d);
	if (rc != SP_CRYPTO_OK) {
		keyring_free(kr);
		return rc;
	}
	*out = kr;
	return SP_CRYPTO_OK;
}

void keyring_free(struct keyring *kr)
{
	if (!kr)
		return;
	if (kr->keys) {
		OPENSSL_cleanse(kr->keys, kr->cap * sizeof(*kr->keys));
		free(kr->keys);
	}
	OPENSSL_cleanse(kr, sizeof(*kr));
	free(kr);
}

const char *keyring_primary(const struct keyring *kr)
{
	return kr ? kr->primary : NULL;
}

int keyring_has(const struct keyring *kr, const char *kid)
{
	return kr_find(kr, kid) != NULL;
}

size_t keyring_count(const struct keyring *kr)
{
	return kr ? kr->count : 0;
}

const char *keyring_kid(const struct keyring *kr, size_t i)
{
	return kr && i < kr->count ? kr->keys[i].kid : NULL;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Opens dir, creating it 0700 (whatever the umask) when it is missing. */
static int open_keyring_dir(const char *dir, int create, char *err, size_t errlen)
{
	int dfd;

	if (create) {
		if (mkdir(dir, 0700) == 0) {
			if (chmod(dir, 0700) != 0) {
				set_err(err, errlen, "%s: %s", dir, strerror(errno));
				return -1;
			}
		} else if (errno != EEXIST) {
			set_err(err, errlen, "%s: %s", dir, strerror(errno));
			return -1;
		}
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		set_err(err, errlen, "%s: %s", dir, strerror(errno));
	return dfd;
}

/* "k" + UTC yyyymmddHHMMSS + "-" + 4 random hex digits: sorts by age, and the
 * random tail keeps two keys made in one second apart. */
static int make_kid(char kid[SP_KID_MAX + 1])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t r[2];
	time_t now = time(NULL);
	struct tm tm;
	size_t n;

	if (!gmtime_r(&now, &tm) || sp_random(r, sizeof(r)) != 0)
		return -1;
	n = strftime(kid, SP_KID_MAX + 1, "k%Y%m%d%H%M%S-", &tm);
	if (n == 0 || n + 4 > SP_KID_MAX)
		return -1;
	kid[n++] = hex[r[0] >> 4];
	kid[n++] = hex[r[0] & 15];
	kid[n++] = hex[r[1] >> 4];
	kid[n++] = hex[r[1] & 15];
	kid[n] = '\0';
	return 0;
}

/* Writes a fresh random key to <kid>.key, refusing to replace any file. */
static int write_new_keyfile(int dfd, const char *dir, char kid[SP_KID_MAX + 1], char *err,
                             size_t errlen)
{
	static const char hex[] = "0123456789abcdef";
	char name[SP_KID_MAX + KEY_SUFFIX_LEN + 1];
	uint8_t key[SP_KEY_LEN];
	char text[KEYFILE_LEN];
	int fd = -1, rc = SP_CRYPTO_ERR_IO;

	for (int i = 0; fd < 0 && i < GENERATE_TRIES; i++) {
		if (make_kid(kid) != 0)
			return SP_CRYPTO_ERR_INTERNAL;
		snprintf(name, sizeof(name), "%s%s", kid, KEY_SUFFIX);
		fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST) {
			set_err(err, errlen, "%s/%s: %s", dir, name, strerror(errno));
			return SP_CRYPTO_ERR_IO;
		}
	}
	if (fd < 0) {
		set_err(err, errlen, "%s: no unused key id after %d tries", dir, GENERATE_TRIES);
		return SP_CRYPTO_ERR_IO;
	}
	if (sp_random(key, sizeof(key)) != 0) {
		rc = SP_CRYPTO_ERR_INTERNAL;
		goto out;
	}
	for (size_t i = 0; i < SP_KEY_LEN; i++) {
		text[2 * i] = hex[key[i] >> 4];
		text[2 * i + 1] = hex[key[i] & 15];
	}
	text[KEY_HEX_LEN] = '\n';
	/* fchmod: the create mode was cut by the umask, and may have been 0. */
	if (fchmod(fd, 0600) != 0 || write_all(fd, text, sizeof(text)) != 0 || fsync(fd) != 0) {
		set_err(err, errlen, "%s/%s: %s", dir, name, strerror(errno));
		goto out;
	}
	rc = SP_CRYPTO_OK;
out:
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(text, sizeof(text));
	if (close(fd) != 0 && rc == SP_CRYPTO_OK) {
		set_err(err, errlen, "%s/%s: %s", dir, name, strerror(errno));
		rc = SP_CRYPTO_ERR_IO;
	}
	if (rc != SP_CRYPTO_OK)
		unlinkat(dfd, name, 0);
	return rc;
}

/* Replaces dir/primary atomically: temp file, fsync, rename, fsync dir. */
static int write_primary(int dfd, const char *dir, const char *kid, char *err, size_t errlen)
{
	char tmp[SP_KID_MAX + 32], line[SP_KID_MAX + 2];
	size_t len = strlen(kid);
	int fd, ok;

	snprintf(tmp, sizeof(tmp), ".%s-%s.tmp", PRIMARY_NAME, kid);
	memcpy(line, kid, len);
	line[len] = '\n';
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		set_err(err, errlen, "%s/%s: %s", dir, tmp, strerror(errno));
		return SP_CRYPTO_ERR_IO;
	}
	ok = fchmod(fd, 0600) == 0 && write_all(fd, line, len + 1) == 0 && fsync(fd) == 0;
	ok = close(fd) == 0 && ok;
	ok = ok && renameat(dfd, tmp, dfd, PRIMARY_NAME) == 0;
	if (!ok) {
		set_err(err, errlen, "%s/%s: %s", dir, PRIMARY_NAME, strerror(errno));
		unlinkat(dfd, tmp, 0);
		return SP_CRYPTO_ERR_IO;
	}
	if (fsync(dfd) != 0) {
		set_err(err, errlen, "%s: %s", dir, strerror(errno));
		return SP_CRYPTO_ERR_IO;
	}
	return SP_CRYPTO_OK;
}

int keyring_generate(const char *dir, char *kid_out, size_t kid_out_len, char *err, size_t errlen)
{
	char kid[SP_KID_MAX + 1];
	int dfd, rc;

	if (!dir || !kid_out || kid_out_len < SP_KID_MAX + 1)
		return SP_CRYPTO_ERR_STATE;
	dfd = open_keyring_dir(dir, 1, err, errlen);
	if (dfd < 0)
		return SP_CRYPTO_ERR_IO;
	rc = write_new_keyfile(dfd, dir, kid, err, errlen);
	/* The key file's entry is durable before primary can name it. */
	if (rc == SP_CRYPTO_OK && fsync(dfd) != 0) {
		set_err(err, errlen, "%s: %s", dir, strerror(errno));
		rc = SP_CRYPTO_ERR_IO;
	}
	if (rc == SP_CRYPTO_OK)
		rc = write_primary(dfd, dir, kid, err, errlen);
	close(dfd);
	if (rc == SP_CRYPTO_OK)
		memcpy(kid_out, kid, strlen(kid) + 1);
	return rc;
}

/*
 * Zeroes the file in place before unlinking it.  On journalling or
 * copy-on-write file systems and on SSDs the old blocks may survive, so this
 * is a best effort; the guarantee of DESIGN 3.6 rests on key files never
 * being in the database or its backups.
 */
int keyring_retire(const char *dir, const char *kid, char *err, size_t errlen)
{
	static const uint8_t zeros[4096];
	char primary[SP_KID_MAX + 1], name[SP_KID_MAX + KEY_SUFFIX_LEN + 1];
	struct stat st;
	off_t off = 0;
	int dfd, fd, rc;

	if (!dir || !kid)
		return SP_CRYPTO_ERR_STATE;
	if (!kid_valid(kid, strnlen(kid, SP_KID_MAX + 1))) {
		set_err(err, errlen, "%s: not a key id (1..%d of [a-z0-9-])", kid, SP_KID_MAX);
		return SP_CRYPTO_ERR_NOKEY;
	}
	dfd = open_keyring_dir(dir, 0, err, errlen);
	if (dfd < 0)
		return SP_CRYPTO_ERR_IO;
	/* Without a readable primary we cannot tell it apart: refuse. */
	rc = read_primary(dfd, dir, primary, err, errlen);
	if (rc != SP_CRYPTO_OK)
		goto out;
	if (strcmp(primary, kid) == 0) {
		set_err(err, errlen, "%s/%s: %s is the primary key; generate a new one first", dir,
		        PRIMARY_NAME, kid);
		rc = SP_CRYPTO_ERR_STATE;
		goto out;
	}
	snprintf(name, sizeof(name), "%s%s", kid, KEY_SUFFIX);
	fd = openat(dfd, name, O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		rc = errno == ENOENT  ? SP_CRYPTO_ERR_NOKEY
		     : errno == ELOOP ? SP_CRYPTO_ERR_KEYFILE
		                      : SP_CRYPTO_ERR_IO;
		set_err(err, errlen, "%s/%s: %s", dir, name, strerror(errno));
		goto out;
	}
	rc = SP_CRYPTO_ERR_IO;
	if (fstat(fd, &st) != 0) {
		set_err(err, errlen, "%s/%s: %s", dir, name, strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		set_err(err, errlen, "%s/%s: not a regular file", dir, name);
		rc = SP_CRYPTO_ERR_KEYFILE;
	} else {
		while (off < st.st_size) {
			size_t n = sizeof(zeros);
			ssize_t w;

			if ((off_t)n > st.st_size - off)
				n = (size_t)(st.st_size - off);
			w = pwrite(fd, zeros, n, off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				break;
			off += w;
		}
		if (off == st.st_size && fsync(fd) == 0)
			rc = SP_CRYPTO_OK;
		else
			set_err(err, errlen, "%s/%s: overwrite: %s", dir, name, strerror(errno));
	}
	close(fd);
	if (rc != SP_CRYPTO_OK)
		goto out;
	if (unlinkat(dfd, name, 0) != 0 || fsync(dfd) != 0) {
		set_err(err, errlen, "%s/%s: %s", dir, name, strerror(errno));
		rc = SP_CRYPTO_ERR_IO;
	}
out:
	close(dfd);
	return rc;
}

/* ---- blobs -------------------------------------------------------------- */

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
	k = kr_find(kr, kr->primary);
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
	k = kr_find(kr, kid);
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

/* ---- document keys ------------------------------------------------------ */

/* AAD of a wrapped DEK: "scanpost-dek" || job_id(16) || file_no(4, BE). */
static void dek_aad(const struct sp_doc_id *doc, uint8_t aad[DEK_AAD_LEN])
{
	size_t l = sizeof(DEK_AAD_LABEL) - 1;

	memcpy(aad, DEK_AAD_LABEL, l);
	memcpy(aad + l, doc->job_id, sizeof(doc->job_id));
	put_be32(aad + l + sizeof(doc->job_id), doc->file_no);
}

static int dek_wrap(const struct keyring *kr, const struct sp_doc_id *doc,
                    const uint8_t dek[SP_KEY_LEN], struct sp_doc_key *key)
{
	const struct kr_key *k = kr_find(kr, kr->primary);
	uint8_t aad[DEK_AAD_LEN];
	int rc;

	if (!k)
		return SP_CRYPTO_ERR_NOKEY;
	dek_aad(doc, aad);
	rc = blob_seal_with(k->key, aad, sizeof(aad), dek, SP_KEY_LEN, key->wrapped);
	if (rc == SP_CRYPTO_OK)
		memcpy(key->kid, k->kid, sizeof(key->kid));
	return rc;
}

static int dek_unwrap(const struct keyring *kr, const struct sp_doc_id *doc,
                      const struct sp_doc_key *key, uint8_t dek[SP_KEY_LEN])
{
	const struct kr_key *k;
	uint8_t aad[DEK_AAD_LEN];

	/* The kid comes from storage: it must be terminated within its field. */
	if (!memchr(key->kid, '\0', sizeof(key->kid)))
		return SP_CRYPTO_ERR_NOKEY;
	k = kr_find(kr, key->kid);
	if (!k)
		return SP_CRYPTO_ERR_NOKEY;
	dek_aad(doc, aad);
	return blob_open_with(k->key, aad, sizeof(aad), key->wrapped, sizeof(key->wrapped), dek);
}

int sp_doc_key_rewrap(const struct keyring *kr, const struct sp_doc_id *doc, struct sp_doc_key *key)
{
	struct sp_doc_key fresh;
	uint8_t dek[SP_KEY_LEN];
	int rc;

	if (!kr || !doc || !key)
		return SP_CRYPTO_ERR_STATE;
	rc = dek_unwrap(kr, doc, key, dek);
	if (rc == SP_CRYPTO_OK)
		rc = dek_wrap(kr, doc, dek, &fresh);
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
	EVP_CIPHER_CTX *ctx; /* holds the DEK; the DEK itself is wiped in begin */
	struct sp_doc_id doc;
	uint8_t prefix[SP_NONCE_PREFIX_LEN];
	uint64_t index; /* of the next chunk to emit */
	uint64_t bytes;
	size_t buflen;
	int done;     /* last chunk emitted, or a failure: no more input */
	uint8_t *buf; /* SP_CHUNK_SIZE of plaintext */
	uint8_t *out; /* SP_CHUNK_SIZE + SP_TAG_LEN of ciphertext and tag */
};

int seal_stream_begin(const struct keyring *kr, const struct sp_doc_id *doc,
                      struct sp_doc_key *key_out, struct seal_stream **out)
{
	struct seal_stream *s;
	struct sp_doc_key key;
	uint8_t dek[SP_KEY_LEN];
	int rc = SP_CRYPTO_ERR_INTERNAL;

	if (!out)
		return SP_CRYPTO_ERR_STATE;
	*out = NULL;
	if (!kr || !doc || !key_out)
		return SP_CRYPTO_ERR_STATE;
	s = calloc(1, sizeof(*s));
	if (!s)
		return SP_CRYPTO_ERR_INTERNAL;
	s->doc = *doc;
	s->buf = malloc(SP_CHUNK_SIZE);
	s->out = malloc(SP_CHUNK_SIZE + SP_TAG_LEN);
	memset(&key, 0, sizeof(key));
	if (!s->buf || !s->out || sp_random(dek, sizeof(dek)) != 0 ||
	    sp_random(s->prefix, sizeof(s->prefix)) != 0)
		goto fail;
	rc = dek_wrap(kr, doc, dek, &key);
	if (rc != SP_CRYPTO_OK)
		goto fail;
	s->ctx = gcm_ctx_new(dek, 1);
	if (!s->ctx) {
		rc = SP_CRYPTO_ERR_INTERNAL;
		goto fail;
	}
	OPENSSL_cleanse(dek, sizeof(dek));
	memcpy(key.nonce_prefix, s->prefix, sizeof(key.nonce_prefix));
	*key_out = key;
	*out = s;
	return SP_CRYPTO_OK;
fail:
	OPENSSL_cleanse(dek, sizeof(dek));
	seal_stream_free(s);
	return rc;
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
	return rc;
}

void seal_stream_free(struct seal_stream *s)
{
	if (!s)
		return;
	EVP_CIPHER_CTX_free(s->ctx);
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
	struct sp_doc_id doc;
	uint8_t prefix[SP_NONCE_PREFIX_LEN];
	uint64_t index; /* of the next chunk expected */
	int saw_last;
	int failed;
};

int open_stream_begin(const struct keyring *kr, const struct sp_doc_id *doc,
                      const struct sp_doc_key *key, struct open_stream **out)
{
	struct open_stream *s;
	uint8_t dek[SP_KEY_LEN];
	int rc;

	if (!out)
		return SP_CRYPTO_ERR_STATE;
	*out = NULL;
	if (!kr || !doc || !key)
		return SP_CRYPTO_ERR_STATE;
	rc = dek_unwrap(kr, doc, key, dek);
	if (rc != SP_CRYPTO_OK)
		return rc;
	s = calloc(1, sizeof(*s));
	if (s)
		s->ctx = gcm_ctx_new(dek, 0);
	OPENSSL_cleanse(dek, sizeof(dek));
	if (!s || !s->ctx) {
		free(s);
		return SP_CRYPTO_ERR_INTERNAL;
	}
	s->doc = *doc;
	memcpy(s->prefix, key->nonce_prefix, sizeof(s->prefix));
	*out = s;
	return SP_CRYPTO_OK;
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
		s->failed = 1;
		return SP_CRYPTO_ERR_AUTH;
	}
	n = ctlen - SP_TAG_LEN;
	if (n > 0 && !pt)
		return SP_CRYPTO_ERR_STATE;
	chunk_nonce(s->prefix, s->index, iv);
	chunk_aad(&s->doc, s->index, is_last, aad);
	rc = gcm_open(s->ctx, iv, aad, sizeof(aad), ct, n, ct + n, pt);
	if (rc != SP_CRYPTO_OK) {
		s->failed = 1;
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
	return s->saw_last ? SP_CRYPTO_OK : SP_CRYPTO_ERR_TRUNCATED;
}

void open_stream_free(struct open_stream *s)
{
	if (!s)
		return;
	EVP_CIPHER_CTX_free(s->ctx);
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
}
