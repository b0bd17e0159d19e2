/*
 * test_crypto.c - CUnit suite for src/lib/crypto.c (DESIGN 3.6).
 *
 * Links only crypto.c.  Every keyring lives under one mkdtemp directory in
 * /tmp that the suite removes at the end.
 */
#include "crypto.h"

#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#define BIG_DOC_LEN (5 * 1024 * 1024 + 123)

static char root[64];

/* An out-pointer preset to this must come back NULL from a failing call. */
static char poison_byte;
#define POISON ((void *)&poison_byte)

/* ---- fixtures ----------------------------------------------------------- */

static int root_create(void)
{
	snprintf(root, sizeof(root), "/tmp/test_crypto.XXXXXX");
	return mkdtemp(root) ? 0 : -1;
}

/* Removes parent/name, a directory of plain files (a keyring). */
static void remove_flat_dir(int parent, const char *name)
{
	struct dirent *de;
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
	unlinkat(parent, name, AT_REMOVEDIR);
}

static int root_remove(void)
{
	struct dirent *de;
	DIR *d = opendir(root);

	if (!d)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			remove_flat_dir(dirfd(d), de->d_name);
	closedir(d);
	return rmdir(root);
}

/* path receives root/name. */
static void ring_path(char *path, size_t len, const char *name)
{
	snprintf(path, len, "%s/%s", root, name);
}

/* A fresh keyring directory root/name with one generated key, loaded. */
static struct keyring *ring_new(const char *name, char *kid_out)
{
	char dir[256], kid[SP_KID_MAX + 1], err[256];
	struct keyring *kr = NULL;

	ring_path(dir, sizeof(dir), name);
	if (keyring_generate(dir, kid, sizeof(kid), err, sizeof(err)) != SP_CRYPTO_OK)
		return NULL;
	if (keyring_load(dir, &kr, err, sizeof(err)) != SP_CRYPTO_OK)
		return NULL;
	if (kid_out)
		memcpy(kid_out, kid, sizeof(kid));
	return kr;
}

static int write_file(const char *dir, const char *name, const char *text, mode_t mode)
{
	char path[512];
	int fd, ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd < 0)
		return -1;
	ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
	ok = fchmod(fd, mode) == 0 && ok;
	return close(fd) == 0 && ok ? 0 : -1;
}

static const struct sp_doc_id doc_a = {
    .job_id = {0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab,
               0xcd, 0xef},
    .file_no = 3,
};

/* Deterministic plaintext, so a test can tell bytes apart by position. */
static uint8_t *make_plaintext(size_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	for (size_t i = 0; p && i < len; i++)
		p[i] = (uint8_t)(i * 131 + (i >> 11) + 7);
	return p;
}

/* The chunks a seal emitted, in order. */
struct chunk {
	uint64_t index;
	int is_last;
	uint8_t *ct;
	size_t len;
};

struct sealed {
	struct chunk v[64];
	size_t n;
	struct sp_doc_key key;
	struct sp_doc_digest digest;
	int abort_at; /* collect_chunk fails on this index; -1 never */
};

static int collect_chunk(void *arg, uint64_t index, int is_last, const uint8_t *ct, size_t ctlen)
{
	struct sealed *sd = arg;
	struct chunk *c;

	if (sd->abort_at >= 0 && index == (uint64_t)sd->abort_at)
		return 1;
	if (sd->n == sizeof(sd->v) / sizeof(sd->v[0]))
		return 1;
	c = &sd->v[sd->n++];
	c->index = index;
	c->is_last = is_last;
	c->len = ctlen;
	c->ct = malloc(ctlen);
	if (!c->ct)
		return 1;
	memcpy(c->ct, ct, ctlen);
	return 0;
}

static void sealed_free(struct sealed *sd)
{
	for (size_t i = 0; i < sd->n; i++)
		free(sd->v[i].ct);
	sd->n = 0;
}

/* Odd feed sizes: prove the stream buffers across chunk boundaries. */
static const size_t pieces[] = {1, 7, 4093, 65537, 1, SP_CHUNK_SIZE + 3, 300007, 2};

/* Seals pt in pieces (or whole when !in_pieces); 0 on success. */
static int seal_doc(const struct keyring *kr, const struct sp_doc_id *doc, const uint8_t *pt,
                    size_t len, int in_pieces, struct sealed *sd)
{
	struct seal_stream *s;
	size_t off = 0, k = 0;
	int rc;

	memset(sd, 0, sizeof(*sd));
	sd->abort_at = -1;
	rc = seal_stream_begin(doc, &s);
	if (rc != SP_CRYPTO_OK)
		return rc;
	while (rc == SP_CRYPTO_OK && off < len) {
		size_t n = in_pieces ? pieces[k++ % (sizeof(pieces) / sizeof(pieces[0]))] : len;

		if (n > len - off)
			n = len - off;
		rc = seal_stream_update(s, pt + off, n, collect_chunk, sd);
		off += n;
	}
	if (rc == SP_CRYPTO_OK && seal_stream_bytes(s) != len)
		rc = -1;
	if (rc == SP_CRYPTO_OK)
		rc = seal_stream_final(s, collect_chunk, sd);
	if (rc == SP_CRYPTO_OK)
		rc = seal_stream_wrap(s, kr, &sd->key, &sd->digest);
	seal_stream_free(s);
	return rc;
}

/* Opens chunks v[0..n) in the order given; *out gets the plaintext (caller
 * frees).  Returns the first error, or open_stream_finish's answer. */
static int open_chunks(const struct keyring *kr, const struct sp_doc_id *doc,
                       const struct sp_doc_key *key, const struct sp_doc_digest *digest,
                       const struct chunk *v, size_t n, uint8_t **out, size_t *outlen)
{
	struct open_stream *s;
	size_t total = 0, cap = 0, got;
	uint8_t *buf;
	int rc;

	for (size_t i = 0; i < n; i++)
		cap += v[i].len;
	buf = malloc(cap ? cap : 1);
	*out = buf;
	*outlen = 0;
	if (!buf)
		return -1;
	rc = open_stream_begin(kr, doc, key, digest, &s);
	if (rc != SP_CRYPTO_OK)
		return rc;
	for (size_t i = 0; rc == SP_CRYPTO_OK && i < n; i++) {
		rc = open_stream_chunk(s, v[i].is_last, v[i].ct, v[i].len, buf + total, &got);
		total += got;
	}
	if (rc == SP_CRYPTO_OK)
		rc = open_stream_finish(s);
	open_stream_free(s);
	*outlen = total;
	return rc;
}

static int open_sealed(const struct keyring *kr, const struct sp_doc_id *doc,
                       const struct sealed *sd)
{
	uint8_t *out;
	size_t outlen;
	int rc = open_chunks(kr, doc, &sd->key, &sd->digest, sd->v, sd->n, &out, &outlen);

	free(out);
	return rc;
}

/* ---- streams ------------------------------------------------------------ */

static void check_round_trip(struct keyring *kr, size_t len, int in_pieces)
{
	uint8_t *pt = make_plaintext(len), *out = NULL;
	size_t outlen = 0, want_chunks = len == 0 ? 1 : (len + SP_CHUNK_SIZE - 1) / SP_CHUNK_SIZE;
	struct sealed sd;

	CU_ASSERT_FATAL(pt != NULL);
	CU_ASSERT_EQUAL_FATAL(seal_doc(kr, &doc_a, pt, len, in_pieces, &sd), SP_CRYPTO_OK);
	CU_ASSERT_EQUAL(sd.n, want_chunks);
	for (size_t i = 0; i < sd.n; i++) {
		size_t want_pt = i + 1 < want_chunks ? SP_CHUNK_SIZE : len - i * SP_CHUNK_SIZE;

		CU_ASSERT_EQUAL(sd.v[i].index, i);
		CU_ASSERT_EQUAL(sd.v[i].is_last, i + 1 == sd.n);
		CU_ASSERT_EQUAL(sd.v[i].len, want_pt + SP_TAG_LEN);
	}
	CU_ASSERT_STRING_EQUAL(sd.key.kid, keyring_primary(kr));
	CU_ASSERT_EQUAL(open_chunks(kr, &doc_a, &sd.key, &sd.digest, sd.v, sd.n, &out, &outlen),
	                SP_CRYPTO_OK);
	CU_ASSERT_EQUAL(outlen, len);
	CU_ASSERT(outlen == len && memcmp(out, pt, len) == 0);
	/* Ciphertext is not plaintext.  Compare 16 bytes or more: a shorter
	 * run matches by chance too often (1 byte: 1 in 256) to assert on. */
	if (len >= 16)
		CU_ASSERT(memcmp(sd.v[0].ct, pt, len < 32 ? len : 32) != 0);
	free(out);
	free(pt);
	sealed_free(&sd);
}

static void test_stream_round_trips_at_chunk_boundaries(void)
{
	struct keyring *kr = ring_new("rt", NULL);
	const size_t sizes[] = {0,
	                        1,
	                        SP_CHUNK_SIZE - 1,
	                        SP_CHUNK_SIZE,
	                        SP_CHUNK_SIZE + 1,
	                        2 * SP_CHUNK_SIZE,
	                        3 * SP_CHUNK_SIZE - 5};

	CU_ASSERT_FATAL(kr != NULL);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		check_round_trip(kr, sizes[i], 1);
		check_round_trip(kr, sizes[i], 0);
	}
	keyring_free(kr);
}

static void test_stream_round_trips_5mb_in_odd_pieces(void)
{
	struct keyring *kr = ring_new("big", NULL);

	CU_ASSERT_FATAL(kr != NULL);
	check_round_trip(kr, BIG_DOC_LEN, 1);
	keyring_free(kr);
}

static int count_chunk(void *arg, uint64_t index, int is_last, const uint8_t *ct, size_t ctlen)
{
	size_t *calls = arg;

	(void)index;
	(void)is_last;
	(void)ct;
	(void)ctlen;
	(*calls)++;
	return 0;
}

static void test_seal_holds_full_chunk_until_more_data(void)
{
	struct keyring *kr = ring_new("hold", NULL);
	uint8_t *pt = make_plaintext(SP_CHUNK_SIZE + 1);
	struct seal_stream *s;
	struct sp_doc_key key;
	struct sp_doc_digest d;
	size_t calls = 0;

	CU_ASSERT_FATAL(kr != NULL && pt != NULL);
	CU_ASSERT_EQUAL_FATAL(seal_stream_begin(&doc_a, &s), SP_CRYPTO_OK);
	/* No wrap before the last chunk: size and digest are not known yet. */
	CU_ASSERT_EQUAL(seal_stream_wrap(s, kr, &key, &d), SP_CRYPTO_ERR_STATE);
	CU_ASSERT_EQUAL(seal_stream_update(s, pt, SP_CHUNK_SIZE, count_chunk, &calls),
	                SP_CRYPTO_OK);
	CU_ASSERT_EQUAL(calls, 0); /* a full chunk may still be the last one */
	CU_ASSERT_EQUAL(seal_stream_update(s, pt + SP_CHUNK_SIZE, 1, count_chunk, &calls),
	                SP_CRYPTO_OK);
	CU_ASSERT_EQUAL(calls, 1);
	CU_ASSERT_EQUAL(seal_stream_final(s, count_chunk, &calls), SP_CRYPTO_OK);
	CU_ASSERT_EQUAL(calls, 2);
	CU_ASSERT_EQUAL(seal_stream_bytes(s), SP_CHUNK_SIZE + 1);
	/* Sealed and closed: no more input, no second final. */
	CU_ASSERT_EQUAL(seal_stream_update(s, pt, 1, count_chunk, &calls), SP_CRYPTO_ERR_STATE);
	CU_ASSERT_EQUAL(seal_stream_final(s, count_chunk, &calls), SP_CRYPTO_ERR_STATE);
	CU_ASSERT_EQUAL(calls, 2);
	CU_ASSERT_EQUAL(seal_stream_wrap(s, kr, &key, &d), SP_CRYPTO_OK);
	CU_ASSERT_EQUAL(d.bytes, SP_CHUNK_SIZE + 1);
	CU_ASSERT_STRING_EQUAL(key.kid, keyring_primary(kr));
	/* Once: the digest is final. */
	CU_ASSERT_EQUAL(seal_stream_wrap(s, kr, &key, &d), SP_CRYPTO_ERR_STATE);
	seal_stream_free(s);
	free(pt);
	keyring_free(kr);
}

static void test_seal_reports_callback_abort(void)
{
	struct keyring *kr = ring_new("abort", NULL);
	uint8_t *pt = make_plaintext(2 * SP_CHUNK_SIZE);
	struct seal_stream *s;
	struct sealed sd;

	CU_ASSERT_FATAL(kr != NULL && pt != NULL);
	memset(&sd, 0, sizeof(sd));
	sd.abort_at = 0;
	CU_ASSERT_EQUAL_FATAL(seal_stream_begin(&doc_a, &s), SP_CRYPTO_OK);
	CU_ASSERT_EQUAL(seal_stream_update(s, pt, 2 * SP_CHUNK_SIZE, collect_chunk, &sd),
	                SP_CRYPTO_ERR_STATE);
	CU_ASSERT_EQUAL(seal_stream_final(s, collect_chunk, &sd), SP_CRYPTO_ERR_STATE);
	CU_ASSERT_EQUAL(sd.n, 0);
	seal_stream_free(s);
	free(pt);
	keyring_free(kr);
}

/* ---- tampering: one three-chunk document shared by the suite ----------- */

static struct keyring *tamper_kr;
static char tamper_kid[SP_KID_MAX + 1];
static struct sealed tamper_sd;

static int tamper_init(void)
{
	size_t len = 2 * SP_CHUNK_SIZE + 100;
	uint8_t *pt = make_plaintext(len);
	int rc;

	tamper_kr = ring_new("tamper", tamper_kid);
	if (!tamper_kr || !pt) {
		free(pt);
		return -1;
	}
	rc = seal_doc(tamper_kr, &doc_a, pt, len, 1, &tamper_sd);
	free(pt);
	return rc == SP_CRYPTO_OK && tamper_sd.n == 3 ? 0 : -1;
}

static int tamper_clean(void)
{
	sealed_free(&tamper_sd);
	keyring_free(tamper_kr);
	return 0;
}

/* Flips one bit of chunk c at offset off, opens all, restores the bit. */
static int open_with_flip(size_t c, size_t off)
{
	int rc;

	tamper_sd.v[c].ct[off] ^= 0x01;
	rc = open_sealed(tamper_kr, &doc_a, &tamper_sd);
	tamper_sd.v[c].ct[off] ^= 0x01;
	return rc;
}

/* Opens the shared document's chunks picked by order[0..n). */
static int open_in_order(const size_t *order, size_t n, size_t *outlen)
{
	struct chunk v[8];
	uint8_t *out;
	size_t len;
	int rc;

	for (size_t i = 0; i < n; i++)
		v[i] = tamper_sd.v[order[i]];
	rc = open_chunks(tamper_kr, &doc_a, &tamper_sd.key, &tamper_sd.digest, v, n, &out, &len);
	free(out);
	if (outlen)
		*outlen = len;
	return rc;
}

static void test_open_accepts_untouched_document(void)
{
	CU_ASSERT_EQUAL(open_sealed(tamper_kr, &doc_a, &tamper_sd), SP_CRYPTO_OK);
}

static void test_open_rejects_flipped_byte_anywhere(void)
{
	size_t last = tamper_sd.v[2].len;

	CU_ASSERT_EQUAL(open_with_flip(0, 0), SP_CRYPTO_ERR_AUTH);                 /* first */
	CU_ASSERT_EQUAL(open_with_flip(0, SP_CHUNK_SIZE - 1), SP_CRYPTO_ERR_AUTH); /* its end */
	CU_ASSERT_EQUAL(open_with_flip(0, SP_CHUNK_SIZE), SP_CRYPTO_ERR_AUTH);     /* its tag */
	CU_ASSERT_EQUAL(open_with_flip(1, SP_CHUNK_SIZE / 2), SP_CRYPTO_ERR_AUTH); /* middle */
	CU_ASSERT_EQUAL(open_with_flip(1, SP_CHUNK_SIZE + SP_TAG_LEN - 1), SP_CRYPTO_ERR_AUTH);
	CU_ASSERT_EQUAL(open_with_flip(2, 0), SP_CRYPTO_ERR_AUTH);                 /* last */
	CU_ASSERT_EQUAL(open_with_flip(2, last - SP_TAG_LEN), SP_CRYPTO_ERR_AUTH); /* its tag */
	CU_ASSERT_EQUAL(open_with_flip(2, last - 1), SP_CRYPTO_ERR_AUTH);
	/* Every bit restored: it opens again, so the refusals were the flips. */
	CU_ASSERT_EQUAL(open_sealed(tamper_kr, &doc_a, &tamper_sd), SP_CRYPTO_OK);
}

static void test_open_wipes_plaintext_of_forged_chunk(void)
{
	struct open_stream *s;
	uint8_t *pt = malloc(SP_CHUNK_SIZE);
	size_t got = 1;
	uint8_t any = 0;

	CU_ASSERT_FATAL(pt != NULL);
	CU_ASSERT_EQUAL_FATAL(
	    open_stream_begin(tamper_kr, &doc_a, &tamper_sd.key, &tamper_sd.digest, &s),
	    SP_CRYPTO_OK);
	tamper_sd.v[0].ct[5] ^= 0x80;
	CU_ASSERT_EQUAL(open_stream_chunk(s, 0, tamper_sd.v[0].ct, tamper_sd.v[0].len, pt, &got),
	                SP_CRYPTO_ERR_AUTH);
	tamper_sd.v[0].ct[5] ^= 0x80;
	CU_ASSERT_EQUAL(got, 0);
	for (size_t i = 0; i < SP_CHUNK_SIZE; i++)
		any |= pt[i];
	CU_ASSERT_EQUAL(any, 0);
	/* The stream is spoiled: even the genuine chunk is refused now. */
	CU_ASSERT_EQUAL(open_stream_chunk(s, 0, tamper_sd.v[0].ct, tamper_sd.v[0].len, pt, &got),
	                SP_CRYPTO_ERR_STATE);
	CU_ASSERT_EQUAL(open_stream_finish(s), SP_CRYPTO_ERR_AUTH);
	open_stream_free(s);
	free(pt);
}

static void test_open_rejects_swapped_chunks(void)
{
	const size_t swap01[] = {1, 0, 2}, swap12[] = {0, 2, 1};

	CU_ASSERT_EQUAL(open_in_order(swap01, 3, NULL), SP_CRYPTO_ERR_AUTH);
	CU_ASSERT_EQUAL(open_in_order(swap12, 3, NULL), SP_CRYPTO_ERR_AUTH);
}

static void test_open_reports_truncated_when_last_chunk_dropped(void)
{
	const size_t first_two[] = {0, 1};
	size_t len = 0;

	CU_ASSERT_EQUAL(open_in_order(first_two, 2, &len), SP_CRYPTO_ERR_TRUNCATED);
	CU_ASSERT_EQUAL(len, 2 * SP_CHUNK_SIZE); /* both genuine chunks did open */
	CU_ASSERT_EQUAL(open_in_order(first_two, 0, NULL), SP_CRYPTO_ERR_TRUNCATED);
}

static void test_open_rejects_dropped_or_repeated_middle_chunk(void)
{
	const size_t dropped[] = {0, 2}, repeated[] = {0, 0, 1, 2};

	CU_ASSERT_EQUAL(open_in_order(dropped, 2, NULL), SP_CRYPTO_ERR_AUTH);
	CU_ASSERT_EQUAL(open_in_order(repeated, 4, NULL), SP_CRYPTO_ERR_AUTH);
}

static void test_open_rejects_moved_last_flag(void)
{
	struct chunk v[3];
	uint8_t *out;
	size_t len;

	memcpy(v, tamper_sd.v, sizeof(v));
	v[2].is_last = 0; /* hide the end: its tag no longer matches */
	CU_ASSERT_EQUAL(
	    open_chunks(tamper_kr, &doc_a, &tamper_sd.key, &tamper_sd.digest, v, 3, &out, &len),
	    SP_CRYPTO_ERR_AUTH);
	free(out);
	memcpy(v, tamper_sd.v, sizeof(v));
	v[0].is_last = 1; /* fake an early end */
	CU_ASSERT_EQUAL(
	    open_chunks(tamper_kr, &doc_a, &tamper_sd.key, &tamper_sd.digest, v, 1, &out, &len),
	    SP_CRYPTO_ERR_AUTH);
	free(out);
}

static void test_open_refuses_chunk_after_last(void)
{
	struct open_stream *s;
	uint8_t *pt = malloc(SP_CHUNK_SIZE);
	size_t got;

	CU_ASSERT_FATAL(pt != NULL);
	CU_ASSERT_EQUAL_FATAL(
	    open_stream_begin(tamper_kr, &doc_a, &tamper_sd.key, &tamper_sd.digest, &s),
	    SP_CRYPTO_OK);
	for (size_t i = 0; i < tamper_sd.n; i++)
		CU_ASSERT_EQUAL(open_stream_chunk(s, tamper_sd.v[i].is_last, tamper_sd.v[i].ct,
		                                  tamper_sd.v[i].len, pt, &got),
		                SP_CRYPTO_OK);
	CU_ASSERT_EQUAL(open_stream_chunk(s, 1, tamper_sd.v[2].ct, tamper_sd.v[2].len, pt, &got),
	                SP_CRYPTO_ERR_STATE);
	CU_ASSERT_EQUAL(open_stream_finish(s), SP_CRYPTO_OK);
	open_stream_free(s);
	free(pt);
}

static void test_open_rejects_chunk_of_impossible_size(void)
{
	struct open_stream *s;
	uint8_t *big = calloc(1, SP_CHUNK_SIZE + SP_TAG_LEN + 1);
	size_t got;

	CU_ASSERT_FATAL(big != NULL);
	CU_ASSERT_EQUAL_FATAL(
	    open_stream_begin(tamper_kr, &doc_a, &tamper_sd.key, &tamper_sd.digest, &s),
	    SP_CRYPTO_OK);
	CU_ASSERT_EQUAL(open_stream_chunk(s, 0, big, SP_TAG_LEN - 1, big, &got),
	                SP_CRYPTO_ERR_AUTH);
	open_stream_free(s);
	CU_ASSERT_EQUAL_FATAL(
	    open_stream_begin(tamper_kr, &doc_a, &tamper_sd.key, &tamper_sd.digest, &s),
	    SP_CRYPTO_OK);
	CU_ASSERT_EQUAL(open_stream_chunk(s, 0, big, SP_CHUNK_SIZE + SP_TAG_LEN + 1, big, &got),
	                SP_CRYPTO_ERR_AUTH);
	open_stream_free(s);
	free(big);
}

static void test_open_rejects_altered_doc_key(void)
{
	struct sealed sd = tamper_sd; /* shares the chunks; only the key changes */
	struct open_stream *s = POISON;

	sd.key.wrapped[0] ^= 1; /* nonce of the wrapped DEK */
	CU_ASSERT_EQUAL(open_stream_begin(tamper_kr, &doc_a, &sd.key, &sd.digest, &s),
	                SP_CRYPTO_ERR_AUTH);
	CU_ASSERT_PTR_NULL(s);
	sd.key = tamper_sd.key;
	sd.key.wrapped[SP_NONCE_LEN + 3] ^= 1; /* the wrapped DEK itself */
	CU_ASSERT_EQUAL(open_sealed(tamper_kr, &doc_a, &sd), SP_CRYPTO_ERR_AUTH);
	sd.key = tamper_sd.key;
	sd.key.wrapped[SP_WRAPPED_DEK_LEN - 1] ^= 1; /* its tag */
	CU_ASSERT_EQUAL(open_sealed(tamper_kr, &doc_a, &sd), SP_CRYPTO_ERR_AUTH);
	sd.key = tamper_sd.key;
	sd.key.nonce_prefix[0] ^= 1; /* moves every chunk's IV */
	CU_ASSERT_EQUAL(open_sealed(tamper_kr, &doc_a, &sd), SP_CRYPTO_ERR_AUTH);
}

static void test_open_rejects_unknown_key_id(void)
{
	struct sealed sd = tamper_sd;

	snprintf(sd.key.kid, sizeof(sd.key.kid), "nosuchkey");
	CU_ASSERT_EQUAL(open_sealed(tamper_kr, &doc_a, &sd), SP_CRYPTO_ERR_NOKEY);
	memset(sd.key.kid, 'a', sizeof(sd.key.kid)); /* no terminator in the field */
	CU_ASSERT_EQUAL(open_sealed(tamper_kr, &doc_a, &sd), SP_CRYPTO_ERR_NOKEY);
}

static void test_open_rejects_same_key_id_with_other_key(void)
{
	char dir[256], name[64], line[SP_KID_MAX + 2], err[256];
	struct keyring *twin = NULL;

	ring_path(dir, sizeof(dir), "twin");
	CU_ASSERT_FATAL(mkdir(dir, 0700) == 0);
	snprintf(name, sizeof(name), "%s.key", tamper_kid);
	snprintf(line, sizeof(line), "%s\n", tamper_kid);
	CU_ASSERT_FATAL(write_file(dir, name,
	                           "00112233445566778899aabbccddeeff"
	                           "00112233445566778899aabbccddeeff\n",
	                           0600) == 0);
	CU_ASSERT_FATAL(write_file(dir, "primary", line, 0600) == 0);
	CU_ASSERT_EQUAL_FATAL(keyring_load(dir, &twin, err, sizeof(err)), SP_CRYPTO_OK);
	CU_ASSERT_TRUE(keyring_has(twin, tamper_sd.key.kid));
	CU_ASSERT_EQUAL(open_sealed(twin, &doc_a, &tamper_sd), SP_CRYPTO_ERR_AUTH);
	keyring_free(twin);
}

static void test_open_rejects_other_job_or_file(void)
{
	struct sp_doc_id other = doc_a;

	other.job_id[15] ^= 1;
	CU_ASSERT_EQUAL(open_sealed(tamper_kr, &other, &tamper_sd), SP_CRYPTO_ERR_AUTH);
	other = doc_a;
	other.file_no++;
	CU_ASSERT_EQUAL(open_sealed(tamper_kr, &other, &tamper_sd), SP_CRYPTO_ERR_AUTH);
}

/* DESIGN 3.6: size and SHA-256 are bound into the wrapped key's AAD, so the
 * recorded values (job_files.bytes, .sha256) cannot be changed unnoticed. */
static void test_open_rejects_changed_recorded_size_or_digest(void)
{
	struct sealed sd = tamper_sd;
	struct open_stream *s = POISON;

	CU_ASSERT_EQUAL(sd.digest.bytes, 2 * SP_CHUNK_SIZE + 100);
	sd.digest.bytes = SP_CHUNK_SIZE; /* "UPDATE job_files SET bytes = 262144" */
	CU_ASSERT_EQUAL(open_stream_begin(tamper_kr, &doc_a, &sd.key, &sd.digest, &s),
	                SP_CRYPTO_ERR_AUTH);
	CU_ASSERT_PTR_NULL(s);
	sd.digest = tamper_sd.digest;
	sd.digest.bytes++;
	CU_ASSERT_EQUAL(open_sealed(tamper_kr, &doc_a, &sd), SP_CRYPTO_ERR_AUTH);
	sd.digest = tamper_sd.digest;
	sd.digest.sha256[31] ^= 1;
	CU_ASSERT_EQUAL(open_sealed(tamper_kr, &doc_a, &sd), SP_CRYPTO_ERR_AUTH);
	CU_ASSERT_EQUAL(open_sealed(tamper_kr, &doc_a, &tamper_sd), SP_CRYPTO_OK);
}

/* The test's own AES-256-GCM, to make a key in the legacy wrap format. */
static int gcm_raw(int enc, const uint8_t key[32], const uint8_t iv[12], const uint8_t *aad,
                   size_t aadlen, const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[16])
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n, ok;

	ok = c && EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, key, iv, enc) == 1 &&
	     EVP_CipherUpdate(c, NULL, &n, aad, (int)aadlen) == 1 &&
	     EVP_CipherUpdate(c, out, &n, in, (int)len) == 1 &&
	     (enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, tag) == 1) &&
	     EVP_CipherFinal_ex(c, out + n, &n) == 1 &&
	     (!enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag) == 1);
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -1;
}

/* Keys wrapped before size and digest were bound (AAD "scanpost-dek" ||
 * job_id || file_no) still open; the stream then checks what it opens
 * against the recorded size and digest itself, and wipes a last chunk that
 * does not match. */
static void test_legacy_key_opens_and_stream_checks_size_and_digest(void)
{
	static const char kek_hex[] =
	    "8899aabbccddeeff00112233445566778899aabbccddeeff0011223344556677";
	char dir[256], line[SP_KID_MAX + 2], err[256], text[80];
	uint8_t kek[32], aad[13 + 16 + 4 + 8 + 32], dek[32], *pt, *out = NULL;
	size_t len = SP_CHUNK_SIZE + 77, outlen = 0, got = 1;
	struct keyring *kr = NULL;
	struct sealed sd, legacy;
	struct open_stream *s;
	uint8_t any = 0;

	for (size_t i = 0; i < 32; i++)
		sscanf(kek_hex + 2 * i, "%2hhx", &kek[i]);
	ring_path(dir, sizeof(dir), "legacy");
	CU_ASSERT_FATAL(mkdir(dir, 0700) == 0);
	snprintf(text, sizeof(text), "%s\n", kek_hex);
	snprintf(line, sizeof(line), "klegacy\n");
	CU_ASSERT_FATAL(write_file(dir, "klegacy.key", text, 0600) == 0);
	CU_ASSERT_FATAL(write_file(dir, "primary", line, 0600) == 0);
	CU_ASSERT_EQUAL_FATAL(keyring_load(dir, &kr, err, sizeof(err)), SP_CRYPTO_OK);
	pt = make_plaintext(len);
	CU_ASSERT_FATAL(pt != NULL);
	CU_ASSERT_EQUAL_FATAL(seal_doc(kr, &doc_a, pt, len, 1, &sd), SP_CRYPTO_OK);

	/* Unwrap the DEK by the documented format, re-wrap it the old way. */
	memcpy(aad, "scanpost-dek2", 13);
	memcpy(aad + 13, doc_a.job_id, 16);
	memset(aad + 29, 0, 4);
	aad[32] = (uint8_t)doc_a.file_no;
	for (int i = 0; i < 8; i++)
		aad[33 + i] = (uint8_t)(sd.digest.bytes >> (56 - 8 * i));
	memcpy(aad + 41, sd.digest.sha256, 32);
	CU_ASSERT_EQUAL_FATAL(gcm_raw(0, kek, sd.key.wrapped, aad, sizeof(aad), sd.key.wrapped + 12,
	                              32, dek, sd.key.wrapped + 44),
	                      0);
	legacy = sd;
	memcpy(aad, "scanpost-dek", 12);
	memcpy(aad + 12, doc_a.job_id, 16);
	memset(aad + 28, 0, 4);
	aad[31] = (uint8_t)doc_a.file_no;
	CU_ASSERT_EQUAL_FATAL(gcm_raw(1, kek, legacy.key.wrapped, aad, 32, dek, 32,
	                              legacy.key.wrapped + 12, legacy.key.wrapped + 44),
	                      0);
	OPENSSL_cleanse(dek, sizeof(dek));
	CU_ASSERT(memcmp(legacy.key.wrapped, sd.key.wrapped, SP_WRAPPED_DEK_LEN) != 0);
	CU_ASSERT_EQUAL(
	    open_chunks(kr, &doc_a, &legacy.key, &legacy.digest, legacy.v, legacy.n, &out, &outlen),
	    SP_CRYPTO_OK);
	CU_ASSERT(outlen == len && memcmp(out, pt, len) == 0);
	free(out);

	/* A legacy key does not bind the size: the stream refuses to give
	 * more or fewer bytes than recorded, or other bytes. */
	legacy.digest.bytes = SP_CHUNK_SIZE;
	CU_ASSERT_EQUAL(open_sealed(kr, &doc_a, &legacy), SP_CRYPTO_ERR_MISMATCH);
	legacy.digest.bytes = len + 1;
	CU_ASSERT_EQUAL(open_sealed(kr, &doc_a, &legacy), SP_CRYPTO_ERR_MISMATCH);
	legacy.digest = sd.digest;
	legacy.digest.sha256[0] ^= 1;
	CU_ASSERT_EQUAL_FATAL(open_stream_begin(kr, &doc_a, &legacy.key, &legacy.digest, &s),
	                      SP_CRYPTO_OK);
	out = malloc(SP_CHUNK_SIZE);
	CU_ASSERT_FATAL(out != NULL);
	CU_ASSERT_EQUAL(open_stream_chunk(s, 0, legacy.v[0].ct, legacy.v[0].len, out, &got),
	                SP_CRYPTO_OK);
	CU_ASSERT_EQUAL(open_stream_chunk(s, 1, legacy.v[1].ct, legacy.v[1].len, out, &got),
	                SP_CRYPTO_ERR_MISMATCH);
	CU_ASSERT_EQUAL(got, 0);
	for (size_t i = 0; i < 77; i++)
		any |= out[i];
	CU_ASSERT_EQUAL(any, 0); /* the last chunk's plaintext was wiped */
	CU_ASSERT_EQUAL(open_stream_finish(s), SP_CRYPTO_ERR_MISMATCH);
	open_stream_free(s);
	free(out);

	/* Rewrap moves a legacy key to the bound form. */
	legacy.digest = sd.digest;
	CU_ASSERT_EQUAL(sp_doc_key_rewrap(kr, &doc_a, &legacy.digest, &legacy.key), SP_CRYPTO_OK);
	legacy.digest.bytes--;
	CU_ASSERT_EQUAL(open_sealed(kr, &doc_a, &legacy), SP_CRYPTO_ERR_AUTH);
	sealed_free(&sd);
	keyring_free(kr);
	free(pt);
}

/* ---- blobs -------------------------------------------------------------- */

static const char token[] = "bearer-eyJhbGciOi.example.token";
static const char session[] = "session:4f1c";

static void test_blob_round_trips(void)
{
	struct keyring *kr = ring_new("blob", NULL);
	char kid[SP_KID_MAX + 1];
	uint8_t *blob, *pt;
	size_t bloblen, ptlen;

	CU_ASSERT_FATAL(kr != NULL);
	CU_ASSERT_EQUAL_FATAL(
	    sp_seal_blob(kr, session, strlen(session), token, strlen(token), &blob, &bloblen, kid),
	    SP_CRYPTO_OK);
	CU_ASSERT_EQUAL(bloblen, SP_NONCE_LEN + strlen(token) + SP_TAG_LEN);
	CU_ASSERT_STRING_EQUAL(kid, keyring_primary(kr));
	CU_ASSERT_PTR_NULL(memmem(blob, bloblen, "bearer", 6));
	CU_ASSERT_EQUAL_FATAL(
	    sp_open_blob(kr, kid, session, strlen(session), blob, bloblen, &pt, &ptlen),
	    SP_CRYPTO_OK);
	CU_ASSERT_EQUAL(ptlen, strlen(token));
	CU_ASSERT_STRING_EQUAL((char *)pt, token); /* also proves the NUL after it */
	OPENSSL_cleanse(pt, ptlen);
	free(pt);
	free(blob);
	/* Empty plaintext, no AAD. */
	CU_ASSERT_EQUAL_FATAL(sp_seal_blob(kr, NULL, 0, NULL, 0, &blob, &bloblen, kid),
	                      SP_CRYPTO_OK);
	CU_ASSERT_EQUAL(bloblen, SP_NONCE_LEN + SP_TAG_LEN);
	CU_ASSERT_EQUAL(sp_open_blob(kr, kid, NULL, 0, blob, bloblen, &pt, &ptlen), SP_CRYPTO_OK);
	CU_ASSERT(ptlen == 0 && pt != NULL && pt[0] == '\0');
	free(pt);
	free(blob);
	keyring_free(kr);
}

static void test_blob_rejects_wrong_aad_key_or_any_flipped_byte(void)
{
	struct keyring *kr = ring_new("blob2", NULL);
	char kid[SP_KID_MAX + 1];
	uint8_t *blob, *pt = POISON;
	size_t bloblen, ptlen, refused = 0;

	CU_ASSERT_FATAL(kr != NULL);
	CU_ASSERT_EQUAL_FATAL(
	    sp_seal_blob(kr, session, strlen(session), token, strlen(token), &blob, &bloblen, kid),
	    SP_CRYPTO_OK);
	CU_ASSERT_EQUAL(
	    sp_open_blob(kr, kid, "session:4f1d", strlen(session), blob, bloblen, &pt, &ptlen),
	    SP_CRYPTO_ERR_AUTH);
	CU_ASSERT_PTR_NULL(pt);
	CU_ASSERT_EQUAL(sp_open_blob(kr, kid, NULL, 0, blob, bloblen, &pt, &ptlen),
	                SP_CRYPTO_ERR_AUTH);
	CU_ASSERT_EQUAL(
	    sp_open_blob(kr, "k-none", session, strlen(session), blob, bloblen, &pt, &ptlen),
	    SP_CRYPTO_ERR_NOKEY);
	for (size_t i = 0; i < bloblen; i++) {
		blob[i] ^= 0x40;
		refused += sp_open_blob(kr, kid, session, strlen(session), blob, bloblen, &pt,
		                        &ptlen) == SP_CRYPTO_ERR_AUTH;
		blob[i] ^= 0x40;
	}
	CU_ASSERT_EQUAL(refused, bloblen);
	CU_ASSERT_EQUAL(
	    sp_open_blob(kr, kid, session, strlen(session), blob, bloblen - 1, &pt, &ptlen),
	    SP_CRYPTO_ERR_AUTH);
	CU_ASSERT_EQUAL(sp_open_blob(kr, kid, session, strlen(session), blob,
	                             SP_NONCE_LEN + SP_TAG_LEN - 1, &pt, &ptlen),
	                SP_CRYPTO_ERR_AUTH);
	CU_ASSERT_PTR_NULL(pt);
	free(blob);
	keyring_free(kr);
}

/* ---- keyring files ------------------------------------------------------ */

static const char good_hex[] = "000102030405060708090a0b0c0d0e0f"
                               "101112131415161718191A1B1C1D1E1F\n";

/* root/name with k1.key holding keytext (mode) and primary holding primary. */
static void make_ring(char *dir, size_t len, const char *name, const char *keytext, mode_t mode,
                      const char *primary)
{
	ring_path(dir, len, name);
	CU_ASSERT_FATAL(mkdir(dir, 0700) == 0);
	CU_ASSERT_FATAL(write_file(dir, "k1.key", keytext, mode) == 0);
	if (primary)
		CU_ASSERT_FATAL(write_file(dir, "primary", primary, 0600) == 0);
}

static int load_err(const char *dir, char *err, size_t errlen)
{
	struct keyring *kr = POISON;
	int rc;

	err[0] = '\0';
	rc = keyring_load(dir, &kr, err, errlen);
	if (rc != SP_CRYPTO_OK)
		CU_ASSERT_PTR_NULL(kr);
	keyring_free(kr);
	return rc;
}

static void test_load_accepts_wellformed_ring(void)
{
	char dir[256], err[256];
	struct keyring *kr = NULL;

	make_ring(dir, sizeof(dir), "good", good_hex, 0600, "k1\n");
	CU_ASSERT_FATAL(write_file(dir, ".k9.key.swp", "junk", 0644) == 0); /* ignored */
	CU_ASSERT_EQUAL_FATAL(keyring_load(dir, &kr, err, sizeof(err)), SP_CRYPTO_OK);
	CU_ASSERT_EQUAL(keyring_count(kr), 1);
	CU_ASSERT_STRING_EQUAL(keyring_kid(kr, 0), "k1");
	CU_ASSERT_PTR_NULL(keyring_kid(kr, 1));
	CU_ASSERT_STRING_EQUAL(keyring_primary(kr), "k1");
	CU_ASSERT_TRUE(keyring_has(kr, "k1"));
	CU_ASSERT_FALSE(keyring_has(kr, "k2"));
	keyring_free(kr);
}

static void test_load_refuses_group_or_other_access(void)
{
	char dir[256], path[300], err[256];
	const mode_t bad[] = {0644, 0640, 0604, 0660, 0602};

	make_ring(dir, sizeof(dir), "perm", good_hex, 0600, "k1\n");
	snprintf(path, sizeof(path), "%s/k1.key", dir);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_FATAL(chmod(path, bad[i]) == 0);
		CU_ASSERT_EQUAL(load_err(dir, err, sizeof(err)), SP_CRYPTO_ERR_KEYFILE);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "k1.key"));
	}
	CU_ASSERT_FATAL(chmod(path, 0400) == 0);
	CU_ASSERT_EQUAL(load_err(dir, err, sizeof(err)), SP_CRYPTO_OK);
	CU_ASSERT_FATAL(chmod(path, 0600) == 0);
	CU_ASSERT_EQUAL(load_err(dir, err, sizeof(err)), SP_CRYPTO_OK);
}

/* A symbolic link is never followed: not as a key file, not as primary,
 * not as the keyring directory itself (O_NOFOLLOW). */
static void test_load_refuses_symbolic_links(void)
{
	char dir[256], real[256], link[256], path[300], target[300], err[256];

	make_ring(dir, sizeof(dir), "linked", good_hex, 0600, "k1\n");
	CU_ASSERT_EQUAL(load_err(dir, err, sizeof(err)), SP_CRYPTO_OK);
	/* k1.key -> a good key file elsewhere in the ring */
	snprintf(path, sizeof(path), "%s/k1.key", dir);
	snprintf(target, sizeof(target), "%s/elsewhere", dir);
	CU_ASSERT_FATAL(rename(path, target) == 0);
	CU_ASSERT_FATAL(symlink(target, path) == 0);
	CU_ASSERT_EQUAL(load_err(dir, err, sizeof(err)), SP_CRYPTO_ERR_KEYFILE);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "symbolic link"));
	CU_ASSERT_FATAL(unlink(path) == 0 && rename(target, path) == 0);
	/* primary -> a file naming k1 */
	snprintf(path, sizeof(path), "%s/primary", dir);
	CU_ASSERT_FATAL(rename(path, target) == 0);
	CU_ASSERT_FATAL(symlink(target, path) == 0);
	CU_ASSERT_NOT_EQUAL(load_err(dir, err, sizeof(err)), SP_CRYPTO_OK);
	CU_ASSERT_FATAL(unlink(path) == 0 && rename(target, path) == 0);
	CU_ASSERT_EQUAL(load_err(dir, err, sizeof(err)), SP_CRYPTO_OK);
	/* the ring itself as a link to a good ring */
	ring_path(real, sizeof(real), "linked");
	ring_path(link, sizeof(link), "link-to-ring");
	CU_ASSERT_FATAL(symlink(real, link) == 0);
	CU_ASSERT_EQUAL(load_err(link, err, sizeof(err)), SP_CRYPTO_ERR_KEYFILE);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "symbolic link"));
	CU_ASSERT_EQUAL(unlink(link), 0);
}

/* The directory: 0700, or group-shared 0750 / 2750 whose key files may
 * then be 0640; anything open to others, or writable by the group, is
 * refused, for private and public keyrings alike. */
static void test_load_checks_ring_directory_mode(void)
{
	char dir[256], path[300], err[256];
	struct keyring *kr = NULL;
	const mode_t bad_dirs[] = {0755, 0701, 0704, 0770, 0730, 0777, 02770};
	const mode_t shared_dirs[] = {0750, 02750, 0710};

	make_ring(dir, sizeof(dir), "dirmode", good_hex, 0600, "k1\n");
	snprintf(path, sizeof(path), "%s/k1.key", dir);
	for (size_t i = 0; i < sizeof(bad_dirs) / sizeof(bad_dirs[0]); i++) {
		CU_ASSERT_FATAL(chmod(dir, bad_dirs[i]) == 0);
		CU_ASSERT_EQUAL(load_err(dir, err, sizeof(err)), SP_CRYPTO_ERR_KEYFILE);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "keyring directory"));
		/* public halves: only who may write matters (this ring has none,
		 * so a readable directory fails later, on the missing k1.pub) */
		keyring_load_public(dir, &kr, err, sizeof(err));
		CU_ASSERT_EQUAL(strstr(err, "keyring directory") != NULL, (bad_dirs[i] & 022) != 0);
		keyring_free(kr);
		kr = NULL;
	}
	/* group-shared: 0640 key files are read by the key group */
	CU_ASSERT_FATAL(chmod(path, 0640) == 0);
	for (size_t i = 0; i < sizeof(shared_dirs) / sizeof(shared_dirs[0]); i++) {
		CU_ASSERT_FATAL(chmod(dir, shared_dirs[i]) == 0);
		CU_ASSERT_EQUAL(load_err(dir, err, sizeof(err)),
		                (shared_dirs[i] & 040) ? SP_CRYPTO_OK : SP_CRYPTO_ERR_KEYFILE);
	}
	CU_ASSERT_FATAL(chmod(dir, 02750) == 0);
	CU_ASSERT_FATAL(chmod(path, 0660) == 0); /* the group may read, never write */
	CU_ASSERT_EQUAL(load_err(dir, err, sizeof(err)), SP_CRYPTO_ERR_KEYFILE);
	CU_ASSERT_FATAL(chmod(path, 0644) == 0);
	CU_ASSERT_EQUAL(load_err(dir, err, sizeof(err)), SP_CRYPTO_ERR_KEYFILE);
	/* the same 0640 file in a private 0700 ring is refused */
	CU_ASSERT_FATAL(chmod(path, 0640) == 0);
	CU_ASSERT_FATAL(chmod(dir, 0700) == 0);
	CU_ASSERT_EQUAL(load_err(dir, err, sizeof(err)), SP_CRYPTO_ERR_KEYFILE);
	CU_ASSERT_FATAL(chmod(path, 0600) == 0);
	CU_ASSERT_EQUAL(load_err(dir, err, sizeof(err)), SP_CRYPTO_OK);
}

/* A new key in a group-shared ring is 0640, like its primary, so the
 * key group's daemons can read what a rotation made. */
static void test_generate_in_shared_ring_makes_group_readable_files(void)
{
	char dir[256], kid[SP_KID_MAX + 1], err[256], path[300];
	struct keyring *kr = NULL;
	struct stat st;

	ring_path(dir, sizeof(dir), "shared");
	CU_ASSERT_FATAL(mkdir(dir, 0700) == 0 && chmod(dir, 02750) == 0);
	CU_ASSERT_EQUAL_FATAL(keyring_generate(dir, kid, sizeof(kid), err, sizeof(err)),
	                      SP_CRYPTO_OK);
	snprintf(path, sizeof(path), "%s/%s.key", dir, kid);
	CU_ASSERT_FATAL(stat(path, &st) == 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0640);
	snprintf(path, sizeof(path), "%s/primary", dir);
	CU_ASSERT_FATAL(stat(path, &st) == 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0640);
	CU_ASSERT_EQUAL(keyring_load(dir, &kr, err, sizeof(err)), SP_CRYPTO_OK);
	keyring_free(kr);
	/* a ring open to others takes no new key either */
	CU_ASSERT_FATAL(chmod(dir, 0755) == 0);
	CU_ASSERT_NOT_EQUAL(keyring_generate(dir, kid, sizeof(kid), err, sizeof(err)),
	                    SP_CRYPTO_OK);
	CU_ASSERT_FATAL(chmod(dir, 0700) == 0);
}

/* Owned by us, root, or the keyring's holder.  Making a file of another
 * owner needs root: run as root (as ./stack test does), the test plants one. */
static void test_load_refuses_key_file_of_another_owner(void)
{
	char dir[256], path[300], err[256];

	make_ring(dir, sizeof(dir), "owner", good_hex, 0600, "k1\n");
	snprintf(path, sizeof(path), "%s/k1.key", dir);
	CU_ASSERT_EQUAL(load_err(dir, err, sizeof(err)), SP_CRYPTO_OK);
	if (geteuid() != 0)
		return;
	CU_ASSERT_FATAL(chown(path, 65534, 65534) == 0);
	CU_ASSERT_EQUAL(load_err(dir, err, sizeof(err)), SP_CRYPTO_ERR_KEYFILE);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "owned by uid 65534"));
	CU_ASSERT_FATAL(chown(path, 0, 0) == 0);
	/* Root (the administrator) uses a keyring its service user holds, and
	 * the holder's key files in it; a third owner's file is still refused. */
	CU_ASSERT_FATAL(chown(dir, 65534, 65534) == 0);
	CU_ASSERT_EQUAL(load_err(dir, err, sizeof(err)), SP_CRYPTO_OK);
	CU_ASSERT_FATAL(chown(path, 65534, 65534) == 0);
	CU_ASSERT_EQUAL(load_err(dir, err, sizeof(err)), SP_CRYPTO_OK);
	CU_ASSERT_FATAL(chown(path, 65533, 65533) == 0);
	CU_ASSERT_EQUAL(load_err(dir, err, sizeof(err)), SP_CRYPTO_ERR_KEYFILE);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "owned by uid 65533"));
	CU_ASSERT_FATAL(chown(path, 0, 0) == 0);
	CU_ASSERT_FATAL(chown(dir, 0, 0) == 0);
}

static void test_load_refuses_malformed_key_file(void)
{
	const char *const bad[] = {
	    "zz0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n",  /* hex */
	    "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n",    /* short */
	    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",    /* no NL */
	    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\nx", /* more */
	    "000102030405060708090a0b0c0d0e0f 101112131415161718191a1b1c1d1e1\n",  /* space */
	    "",
	};
	char dir[256], err[256];

	make_ring(dir, sizeof(dir), "malformed", good_hex, 0600, "k1\n");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_FATAL(write_file(dir, "k1.key", bad[i], 0600) == 0);
		CU_ASSERT_EQUAL(load_err(dir, err, sizeof(err)), SP_CRYPTO_ERR_KEYFILE);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "k1.key"));
	}
	/* A .key file whose name is not a key id. */
	CU_ASSERT_FATAL(write_file(dir, "k1.key", good_hex, 0600) == 0);
	CU_ASSERT_FATAL(write_file(dir, "Old_K.key", good_hex, 0600) == 0);
	CU_ASSERT_EQUAL(load_err(dir, err, sizeof(err)), SP_CRYPTO_ERR_KEYFILE);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "Old_K.key"));
}

static void test_load_refuses_bad_or_missing_primary(void)
{
	char dir[256], err[256];

	make_ring(dir, sizeof(dir), "noprimary", good_hex, 0600, NULL);
	CU_ASSERT_EQUAL(load_err(dir, err, sizeof(err)), SP_CRYPTO_ERR_IO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "primary"));
	CU_ASSERT_FATAL(write_file(dir, "primary", "k2\n", 0600) == 0);
	CU_ASSERT_EQUAL(load_err(dir, err, sizeof(err)), SP_CRYPTO_ERR_NOKEY);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "primary"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "k2"));
	CU_ASSERT_FATAL(write_file(dir, "primary", "../k1\n", 0600) == 0);
	CU_ASSERT_EQUAL(load_err(dir, err, sizeof(err)), SP_CRYPTO_ERR_KEYFILE);
	CU_ASSERT_FATAL(write_file(dir, "primary", "k1", 0600) == 0); /* newline optional */
	CU_ASSERT_EQUAL(load_err(dir, err, sizeof(err)), SP_CRYPTO_OK);
	ring_path(dir, sizeof(dir), "does-not-exist");
	CU_ASSERT_EQUAL(load_err(dir, err, sizeof(err)), SP_CRYPTO_ERR_IO);
}

static mode_t mode_of(const char *dir, const char *name)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &st) == 0 ? st.st_mode & 07777 : (mode_t)-1;
}

static void test_generate_adds_new_primary_with_private_files(void)
{
	char dir[256], a[SP_KID_MAX + 1], b[SP_KID_MAX + 1], name[64], err[256];
	struct keyring *kr = NULL;
	mode_t old = umask(0777); /* the strictest umask must not change the modes */
	int ra, rb;

	ring_path(dir, sizeof(dir), "gen");
	ra = keyring_generate(dir, a, sizeof(a), err, sizeof(err));
	rb = keyring_generate(dir, b, sizeof(b), err, sizeof(err));
	umask(old);
	CU_ASSERT_EQUAL_FATAL(ra, SP_CRYPTO_OK);
	CU_ASSERT_EQUAL_FATAL(rb, SP_CRYPTO_OK);
	CU_ASSERT_STRING_NOT_EQUAL(a, b);
	CU_ASSERT_EQUAL(strlen(a), 20); /* k yyyymmddHHMMSS - xxxx */
	CU_ASSERT(a[0] == 'k' && a[15] == '-');
	CU_ASSERT_EQUAL(mode_of(dir, "."), 0700);
	snprintf(name, sizeof(name), "%s.key", a);
	CU_ASSERT_EQUAL(mode_of(dir, name), 0600);
	snprintf(name, sizeof(name), "%s.key", b);
	CU_ASSERT_EQUAL(mode_of(dir, name), 0600);
	CU_ASSERT_EQUAL_FATAL(keyring_load(dir, &kr, err, sizeof(err)), SP_CRYPTO_OK);
	CU_ASSERT_EQUAL(keyring_count(kr), 2);
	CU_ASSERT_STRING_EQUAL(keyring_primary(kr), b);
	CU_ASSERT(keyring_has(kr, a) && keyring_has(kr, b));
	CU_ASSERT(strcmp(keyring_kid(kr, 0), keyring_kid(kr, 1)) < 0);
	keyring_free(kr);
	CU_ASSERT_EQUAL(keyring_generate(dir, a, SP_KID_MAX, err, sizeof(err)),
	                SP_CRYPTO_ERR_STATE);
}

/* The token keyring: scanpost-api seals with the public halves only and
 * can open nothing; the sender opens with the private keys (crypto.h). */
static void test_public_halves_seal_and_only_private_keys_open(void)
{
	static const char bearer[] = "eyJ-rmail-bearer-token";
	char dir[256], kid[SP_KID_MAX + 1], kid2[SP_KID_MAX + 1], name[64], err[256];
	struct keyring *pub = NULL, *full = NULL;
	uint8_t *blob = NULL, *pt = NULL, *b2 = NULL;
	size_t bloblen = 0, ptlen = 0, b2len = 0;
	struct seal_stream *s;
	struct sp_doc_key key;
	struct sp_doc_digest d;
	mode_t old = umask(0777);
	int rc;

	ring_path(dir, sizeof(dir), "pair");
	rc = keyring_generate_pair(dir, kid, sizeof(kid), err, sizeof(err));
	umask(old);
	CU_ASSERT_EQUAL_FATAL(rc, SP_CRYPTO_OK);
	snprintf(name, sizeof(name), "%s.key", kid);
	CU_ASSERT_EQUAL(mode_of(dir, name), 0600);
	snprintf(name, sizeof(name), "%s.pub", kid);
	CU_ASSERT_EQUAL(mode_of(dir, name), 0644);
	CU_ASSERT_EQUAL_FATAL(keyring_load_public(dir, &pub, err, sizeof(err)), SP_CRYPTO_OK);
	CU_ASSERT_EQUAL_FATAL(keyring_load(dir, &full, err, sizeof(err)), SP_CRYPTO_OK);
	CU_ASSERT_STRING_EQUAL(keyring_primary(pub), kid);

	CU_ASSERT_EQUAL(sp_seal_to(pub, "aad", 3, bearer, sizeof(bearer), &blob, &bloblen, kid2),
	                SP_CRYPTO_OK);
	CU_ASSERT_STRING_EQUAL(kid2, kid);
	CU_ASSERT_EQUAL(bloblen, 32 + sizeof(bearer) + 16);
	CU_ASSERT_EQUAL(sp_open_sealed(pub, kid, "aad", 3, blob, bloblen, &pt, &ptlen),
	                SP_CRYPTO_ERR_NOKEY);
	CU_ASSERT_EQUAL(sp_open_sealed(full, kid, "aaD", 3, blob, bloblen, &pt, &ptlen),
	                SP_CRYPTO_ERR_AUTH);
	CU_ASSERT_EQUAL(sp_open_sealed(full, kid, "aad", 3, blob, bloblen, &pt, &ptlen),
	                SP_CRYPTO_OK);
	CU_ASSERT(pt && ptlen == sizeof(bearer) && memcmp(pt, bearer, ptlen) == 0);
	free(pt);
	pt = NULL;
	/* The full keyring seals to the same public key. */
	CU_ASSERT_EQUAL(sp_seal_to(full, "aad", 3, bearer, 5, &b2, &b2len, kid2), SP_CRYPTO_OK);
	CU_ASSERT_EQUAL(sp_open_sealed(full, kid, "aad", 3, b2, b2len, &pt, &ptlen), SP_CRYPTO_OK);
	free(pt);
	free(b2);
	/* A public key is no secret: no secret-key use accepts it. */
	CU_ASSERT_EQUAL(sp_seal_blob(pub, "a", 1, "x", 1, &b2, &b2len, kid2), SP_CRYPTO_ERR_NOKEY);
	CU_ASSERT_PTR_NULL(b2);
	CU_ASSERT_EQUAL_FATAL(seal_stream_begin(&doc_a, &s), SP_CRYPTO_OK);
	CU_ASSERT_EQUAL(seal_stream_final(s, count_chunk, &(size_t){0}), SP_CRYPTO_OK);
	CU_ASSERT_EQUAL(seal_stream_wrap(s, pub, &key, &d), SP_CRYPTO_ERR_NOKEY);
	seal_stream_free(s);
	free(blob);
	keyring_free(pub);
	keyring_free(full);
}

static void test_publish_writes_missing_halves_and_retire_removes_them(void)
{
	char dir[256], kid[SP_KID_MAX + 1], a[SP_KID_MAX + 1], name[64], err[256], path[512];
	struct keyring *pub = NULL;
	int written = -1;

	/* A token keyring made before public halves were written. */
	ring_path(dir, sizeof(dir), "publish");
	CU_ASSERT_EQUAL_FATAL(keyring_generate(dir, a, sizeof(a), err, sizeof(err)), SP_CRYPTO_OK);
	CU_ASSERT_EQUAL(keyring_load_public(dir, &pub, err, sizeof(err)), SP_CRYPTO_ERR_NOKEY);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ".pub"));
	CU_ASSERT_EQUAL(keyring_publish(dir, &written, err, sizeof(err)), SP_CRYPTO_OK);
	CU_ASSERT_EQUAL(written, 1);
	CU_ASSERT_EQUAL(keyring_publish(dir, &written, err, sizeof(err)), SP_CRYPTO_OK);
	CU_ASSERT_EQUAL(written, 0);
	CU_ASSERT_EQUAL_FATAL(keyring_load_public(dir, &pub, err, sizeof(err)), SP_CRYPTO_OK);
	keyring_free(pub);
	/* A public key file others may write is refused: it says where tokens go. */
	snprintf(path, sizeof(path), "%s/%s.pub", dir, a);
	CU_ASSERT_EQUAL(chmod(path, 0666), 0);
	CU_ASSERT_EQUAL(keyring_load_public(dir, &pub, err, sizeof(err)), SP_CRYPTO_ERR_KEYFILE);
	CU_ASSERT_EQUAL(chmod(path, 0644), 0);
	CU_ASSERT_EQUAL_FATAL(keyring_generate_pair(dir, kid, sizeof(kid), err, sizeof(err)),
	                      SP_CRYPTO_OK);
	CU_ASSERT_EQUAL(keyring_retire(dir, a, err, sizeof(err)), SP_CRYPTO_OK);
	snprintf(name, sizeof(name), "%s.pub", a);
	CU_ASSERT_EQUAL(mode_of(dir, name), (mode_t)-1);
	snprintf(name, sizeof(name), "%s.pub", kid);
	CU_ASSERT_EQUAL(mode_of(dir, name), 0644);
}

static void test_rewrap_then_retire_old_key_keeps_document_readable(void)
{
	char dir[256], a[SP_KID_MAX + 1], b[SP_KID_MAX + 1], name[64], err[256];
	uint8_t *pt = make_plaintext(SP_CHUNK_SIZE + 10);
	struct keyring *kr = NULL;
	struct sealed sd;
	struct sp_doc_key old;

	CU_ASSERT_FATAL(pt != NULL);
	ring_path(dir, sizeof(dir), "rotate");
	CU_ASSERT_EQUAL_FATAL(keyring_generate(dir, a, sizeof(a), err, sizeof(err)), SP_CRYPTO_OK);
	CU_ASSERT_EQUAL_FATAL(keyring_load(dir, &kr, err, sizeof(err)), SP_CRYPTO_OK);
	CU_ASSERT_EQUAL_FATAL(seal_doc(kr, &doc_a, pt, SP_CHUNK_SIZE + 10, 1, &sd), SP_CRYPTO_OK);
	keyring_free(kr);
	CU_ASSERT_STRING_EQUAL(sd.key.kid, a);

	CU_ASSERT_EQUAL_FATAL(keyring_generate(dir, b, sizeof(b), err, sizeof(err)), SP_CRYPTO_OK);
	CU_ASSERT_EQUAL_FATAL(keyring_load(dir, &kr, err, sizeof(err)), SP_CRYPTO_OK);
	old = sd.key;
	CU_ASSERT_EQUAL(sp_doc_key_rewrap(kr, &doc_a, &sd.digest, &sd.key), SP_CRYPTO_OK);
	CU_ASSERT_STRING_EQUAL(sd.key.kid, b);
	CU_ASSERT(memcmp(sd.key.wrapped, old.wrapped, SP_WRAPPED_DEK_LEN) != 0);
	CU_ASSERT(memcmp(sd.key.nonce_prefix, old.nonce_prefix, SP_NONCE_PREFIX_LEN) == 0);
	/* Rewrap checks the document identity too, and leaves the key alone. */
	{
		struct sp_doc_id other = doc_a;
		struct sp_doc_key copy = sd.key;

		other.file_no = 99;
		CU_ASSERT_EQUAL(sp_doc_key_rewrap(kr, &other, &sd.digest, &copy),
		                SP_CRYPTO_ERR_AUTH);
		CU_ASSERT(memcmp(&copy, &sd.key, sizeof(copy)) == 0);
	}
	keyring_free(kr);

	CU_ASSERT_EQUAL(keyring_retire(dir, a, err, sizeof(err)), SP_CRYPTO_OK);
	snprintf(name, sizeof(name), "%s.key", a);
	CU_ASSERT_EQUAL(mode_of(dir, name), (mode_t)-1);
	CU_ASSERT_EQUAL_FATAL(keyring_load(dir, &kr, err, sizeof(err)), SP_CRYPTO_OK);
	CU_ASSERT_EQUAL(keyring_count(kr), 1);
	CU_ASSERT_EQUAL(open_sealed(kr, &doc_a, &sd), SP_CRYPTO_OK);
	/* A copy still wrapped by the destroyed key (a backup) is unreadable. */
	{
		struct sealed backup = sd;

		backup.key = old;
		CU_ASSERT_EQUAL(open_sealed(kr, &doc_a, &backup), SP_CRYPTO_ERR_NOKEY);
	}
	keyring_free(kr);
	sealed_free(&sd);
	free(pt);
}

static void test_retire_refuses_primary_and_unknown_keys(void)
{
	char dir[256], kid[SP_KID_MAX + 1], name[64], err[256];

	ring_path(dir, sizeof(dir), "retire");
	CU_ASSERT_EQUAL_FATAL(keyring_generate(dir, kid, sizeof(kid), err, sizeof(err)),
	                      SP_CRYPTO_OK);
	err[0] = '\0';
	CU_ASSERT_EQUAL(keyring_retire(dir, kid, err, sizeof(err)), SP_CRYPTO_ERR_STATE);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "primary"));
	snprintf(name, sizeof(name), "%s.key", kid);
	CU_ASSERT_EQUAL(mode_of(dir, name), 0600); /* still there */
	CU_ASSERT_EQUAL(keyring_retire(dir, "k-gone", err, sizeof(err)), SP_CRYPTO_ERR_NOKEY);
	CU_ASSERT_EQUAL(keyring_retire(dir, "../primary", err, sizeof(err)), SP_CRYPTO_ERR_NOKEY);
	CU_ASSERT_EQUAL(mode_of(dir, "primary"), 0600);
}

/* ---- small things ------------------------------------------------------- */

static void test_strerror_names_every_code(void)
{
	for (int e = SP_CRYPTO_OK; e <= SP_CRYPTO_ERR_MISMATCH; e++) {
		CU_ASSERT_PTR_NOT_NULL(sp_crypto_strerror(e));
		CU_ASSERT_STRING_NOT_EQUAL(sp_crypto_strerror(e), sp_crypto_strerror(-1));
	}
	CU_ASSERT_STRING_EQUAL(sp_crypto_strerror(SP_CRYPTO_ERR_MISMATCH + 1),
	                       sp_crypto_strerror(-1));
}

static void test_random_differs_between_calls(void)
{
	uint8_t x[32], y[32];

	CU_ASSERT_EQUAL(sp_random(x, sizeof(x)), 0);
	CU_ASSERT_EQUAL(sp_random(y, sizeof(y)), 0);
	CU_ASSERT(memcmp(x, y, sizeof(x)) != 0);
}

/* ---- runner ------------------------------------------------------------- */

struct test_def {
	const char *name;
	CU_TestFunc fn;
};

#define T(f)                                                                                       \
	{                                                                                          \
#f, f                                                                              \
	}

static const struct test_def stream_tests[] = {
    T(test_stream_round_trips_at_chunk_boundaries),
    T(test_stream_round_trips_5mb_in_odd_pieces),
    T(test_seal_holds_full_chunk_until_more_data),
    T(test_seal_reports_callback_abort),
};

static const struct test_def tamper_tests[] = {
    T(test_open_accepts_untouched_document),
    T(test_open_rejects_flipped_byte_anywhere),
    T(test_open_wipes_plaintext_of_forged_chunk),
    T(test_open_rejects_swapped_chunks),
    T(test_open_reports_truncated_when_last_chunk_dropped),
    T(test_open_rejects_dropped_or_repeated_middle_chunk),
    T(test_open_rejects_moved_last_flag),
    T(test_open_refuses_chunk_after_last),
    T(test_open_rejects_chunk_of_impossible_size),
    T(test_open_rejects_altered_doc_key),
    T(test_open_rejects_unknown_key_id),
    T(test_open_rejects_same_key_id_with_other_key),
    T(test_open_rejects_other_job_or_file),
    T(test_open_rejects_changed_recorded_size_or_digest),
};

static const struct test_def key_tests[] = {
    T(test_blob_round_trips),
    T(test_blob_rejects_wrong_aad_key_or_any_flipped_byte),
    T(test_load_accepts_wellformed_ring),
    T(test_load_refuses_group_or_other_access),
    T(test_load_refuses_symbolic_links),
    T(test_load_checks_ring_directory_mode),
    T(test_generate_in_shared_ring_makes_group_readable_files),
    T(test_load_refuses_key_file_of_another_owner),
    T(test_load_refuses_malformed_key_file),
    T(test_load_refuses_bad_or_missing_primary),
    T(test_generate_adds_new_primary_with_private_files),
    T(test_rewrap_then_retire_old_key_keeps_document_readable),
    T(test_legacy_key_opens_and_stream_checks_size_and_digest),
    T(test_public_halves_seal_and_only_private_keys_open),
    T(test_publish_writes_missing_halves_and_retire_removes_them),
    T(test_retire_refuses_primary_and_unknown_keys),
    T(test_strerror_names_every_code),
    T(test_random_differs_between_calls),
};

static int add_suite(const char *name, CU_InitializeFunc init, CU_CleanupFunc clean,
                     const struct test_def *t, size_t n)
{
	CU_pSuite s = CU_add_suite(name, init, clean);

	if (!s)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!CU_add_test(s, t[i].name, t[i].fn))
			return -1;
	return 0;
}

#define ADD(name, init, clean, t) add_suite(name, init, clean, t, sizeof(t) / sizeof(t[0]))

int main(void)
{
	unsigned failures;
	int bad;

	if (root_create() != 0) {
		perror("mkdtemp");
		return 2;
	}
	if (CU_initialize_registry() != CUE_SUCCESS) {
		root_remove();
		return 2;
	}
	bad = ADD("crypto_stream", NULL, NULL, stream_tests) != 0 ||
	      ADD("crypto_tamper", tamper_init, tamper_clean, tamper_tests) != 0 ||
	      ADD("crypto_keys", NULL, NULL, key_tests) != 0;
	if (!bad) {
		CU_basic_set_mode(CU_BRM_VERBOSE);
		bad = CU_basic_run_tests() != CUE_SUCCESS;
	}
	failures = CU_get_number_of_failures();
	bad = bad || CU_get_number_of_suites_failed() > 0;
	CU_cleanup_registry();
	root_remove();
	return bad || failures > 0 ? 1 : 0;
}
