/*
 * docstore.c - sealed documents in PostgreSQL.
 */
#include "docstore.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyuse.h"
#include "log.h"

static const struct db_stmt stmt_chunk_insert = {
    "chunk_insert",
    "INSERT INTO scanpost.document_chunks (job_id, file_no, chunk_index, is_last, ciphertext)"
    " VALUES ($1::uuid, $2::int, $3::bigint, $4::boolean, $5)",
    5};

static const struct db_stmt stmt_file_insert = {
    "file_insert",
    "INSERT INTO scanpost.job_files (job_id, file_no, name, content_type, bytes, sha256,"
    " dek_kid, dek_wrapped, nonce_prefix)"
    " VALUES ($1::uuid, $2::int, $3, $4, $5::bigint, $6, $7, $8, $9)",
    9};

/* dek_kid rather than dek_wrapped: the same rows (001's CHECK ties the two
 * together), and a column scanpost-api may read, for its preview. */
static const struct db_stmt stmt_file_list = {
    "file_list",
    "SELECT file_no, name, content_type, bytes, sha256 FROM scanpost.job_files"
    " WHERE job_id = $1::uuid AND dek_kid IS NOT NULL ORDER BY file_no",
    1};

static const struct db_stmt stmt_file_key = {
    "file_key",
    "SELECT dek_kid, dek_wrapped, nonce_prefix, bytes, sha256 FROM scanpost.job_files"
    " WHERE job_id = $1::uuid AND file_no = $2::int AND dek_wrapped IS NOT NULL",
    2};

static const struct db_stmt stmt_chunk_read = {
    "chunk_read",
    "SELECT is_last, ciphertext FROM scanpost.document_chunks"
    " WHERE job_id = $1::uuid AND file_no = $2::int AND chunk_index = $3::bigint",
    3};

/* The same two reads for the api's preview, through the functions of
 * sql/013_preview_read.sql: only the owner's job between its scan and its
 * submit (the api role may not read these columns directly). */
static const struct db_stmt stmt_preview_file_key = {
    "preview_file_key",
    "SELECT dek_kid, dek_wrapped, nonce_prefix, bytes, sha256"
    " FROM scanpost.preview_file_key($1::uuid, $3, $2::int)",
    3};

static const struct db_stmt stmt_preview_chunk = {
    "preview_chunk",
    "SELECT is_last, ciphertext FROM scanpost.preview_chunk($1::uuid, $4, $2::int, $3::bigint)", 4};

static const struct db_stmt stmt_file_next_no = {
    "file_next_no",
    "SELECT coalesce(max(file_no) + 1, 0) FROM scanpost.job_files WHERE job_id = $1::uuid", 1};

struct doc_writer {
	struct db *db;
	struct keycache *keys;
	char job_id[40];
	char file_no[16];
	struct seal_stream *seal;
	int failed;
	int in_flight; /* a chunk's INSERT was sent, its end not yet read */
};

/* Waits for the chunk INSERT in flight, if any. */
static int chunk_collect(struct doc_writer *w)
{
	if (!w->in_flight)
		return 0;
	w->in_flight = 0;
	if (db_collect(w->db) != 0) {
		w->failed = 1;
		return -1;
	}
	return 0;
}

/* Inserts one sealed chunk (the seal stream's callback).  The INSERT is
 * sent and not waited for: the server writes this chunk while the caller
 * reads and seals the next (bench/run upload); the previous one's end is
 * read first, so one is in flight at a time and a failure stops the
 * upload at the next chunk.  libpq has copied ct when db_send returns;
 * docw_write sends the rest of it bit by bit. */
static int chunk_store(void *arg, uint64_t index, int is_last, const uint8_t *ct, size_t ctlen)
{
	struct doc_writer *w = arg;
	char idx[24];
	const char *v[5] = {w->job_id, w->file_no, idx, is_last ? "true" : "false",
	                    (const char *)ct};
	int len[5] = {0, 0, 0, 0, (int)ctlen}, fmt[5] = {0, 0, 0, 0, 1};

	if (chunk_collect(w) != 0)
		return -1;
	snprintf(idx, sizeof(idx), "%llu", (unsigned long long)index);
	if (db_send(w->db, &stmt_chunk_insert, v, len, fmt) != 0) {
		w->failed = 1;
		return -1;
	}
	w->in_flight = 1;
	return 0;
}

int docw_begin(struct db *db, struct keycache *doc_keys, const char *job_id,
               const uint8_t job_bin[16], int file_no, struct doc_writer **out)
{
	struct doc_writer *w = calloc(1, sizeof(*w));
	struct sp_doc_id doc;

	*out = NULL;
	if (w == NULL)
		return -1;
	w->db = db;
	w->keys = doc_keys;
	snprintf(w->job_id, sizeof(w->job_id), "%s", job_id);
	snprintf(w->file_no, sizeof(w->file_no), "%d", file_no);
	memcpy(doc.job_id, job_bin, 16);
	doc.file_no = (uint32_t)file_no;
	if (seal_stream_begin(&doc, &w->seal) != SP_CRYPTO_OK) {
		docw_free(w);
		return -1;
	}
	*out = w;
	return 0;
}

int docw_write(struct doc_writer *w, const void *data, size_t len)
{
	if (w->failed || seal_stream_update(w->seal, data, len, chunk_store, w) != SP_CRYPTO_OK) {
		w->failed = 1;
		return -1;
	}
	/* The chunk in flight goes on to the server as the body arrives. */
	if (w->in_flight && db_flush(w->db) != 0) {
		w->failed = 1;
		return -1;
	}
	return 0;
}

uint64_t docw_bytes(const struct doc_writer *w)
{
	return seal_stream_bytes(w->seal);
}

int docw_finish(struct doc_writer *w, const char *name, const char *content_type,
                uint8_t *sha256_out)
{
	const struct keyring *kr;
	struct sp_doc_key key;
	struct sp_doc_digest d;
	char bytes[24];
	PGresult *res;
	int rc;

	if (w->failed || seal_stream_final(w->seal, chunk_store, w) != SP_CRYPTO_OK ||
	    chunk_collect(w) != 0)
		return -1;
	/* The KEK is chosen now, and held until this transaction ends. */
	if ((kr = keyuse_hold_primary(w->db, "doc", w->keys)) == NULL)
		return -1;
	rc = seal_stream_wrap(w->seal, kr, &key, &d);
	if (rc != SP_CRYPTO_OK) {
		sp_log(LOG_ERROR, "doc_key_wrap_failed", "job_id", w->job_id, "error",
		       sp_crypto_strerror(rc), NULL);
		return -1;
	}
	snprintf(bytes, sizeof(bytes), "%llu", (unsigned long long)d.bytes);
	const char *v[9] = {w->job_id,
	                    w->file_no,
	                    name,
	                    content_type,
	                    bytes,
	                    (const char *)d.sha256,
	                    key.kid,
	                    (const char *)key.wrapped,
	                    (const char *)key.nonce_prefix};
	int len[9] = {0, 0, 0, 0, 0, 32, 0, SP_WRAPPED_DEK_LEN, SP_NONCE_PREFIX_LEN};
	int fmt[9] = {0, 0, 0, 0, 0, 1, 0, 1, 1};
	res = db_run(w->db, &stmt_file_insert, v, len, fmt, 0);
	OPENSSL_cleanse(&key, sizeof(key));
	if (res == NULL)
		return -1;
	PQclear(res);
	if (sha256_out)
		memcpy(sha256_out, d.sha256, 32);
	return 0;
}

void docw_free(struct doc_writer *w)
{
	if (w == NULL)
		return;
	chunk_collect(w); /* the connection must be free for the ROLLBACK */
	seal_stream_free(w->seal);
	free(w);
}

int docstore_files(struct db *db, const char *job_id, struct doc_file **files, size_t *n)
{
	const char *v[1] = {job_id};
	PGresult *res = db_run(db, &stmt_file_list, v, NULL, NULL, 0);
	struct doc_file *f;

	*files = NULL;
	*n = 0;
	if (res == NULL)
		return -1;
	if ((f = calloc((size_t)PQntuples(res) + 1, sizeof(*f))) == NULL) {
		PQclear(res);
		return -1;
	}
	for (int i = 0; i < PQntuples(res); i++) {
		size_t blen = 0;
		unsigned char *sha =
		    PQunescapeBytea((const unsigned char *)PQgetvalue(res, i, 4), &blen);
		f[i].file_no = atoi(PQgetvalue(res, i, 0));
		snprintf(f[i].name, sizeof(f[i].name), "%s", PQgetvalue(res, i, 1));
		snprintf(f[i].content_type, sizeof(f[i].content_type), "%s", PQgetvalue(res, i, 2));
		f[i].bytes = strtoull(PQgetvalue(res, i, 3), NULL, 10);
		if (sha && blen == 32)
			memcpy(f[i].sha256, sha, 32);
		PQfreemem(sha);
	}
	*n = (size_t)PQntuples(res);
	*files = f;
	PQclear(res);
	return 0;
}

struct doc_reader {
	struct db *db;
	char job_id[40];
	char file_no[16];
	const char *owner; /* the preview's: read through sql/011's functions */
	struct open_stream *open;
	uint64_t size; /* recorded, and authenticated by the unwrap */
	uint64_t next_index;
	int done;
	int error;
	uint8_t *plain; /* one opened chunk */
	size_t plain_len, plain_pos;
};

static int reader_open(struct db *db, const struct keyring *kr, const char *job_id,
                       const uint8_t job_bin[16], int file_no, const char *owner,
                       struct doc_reader **out)
{
	struct doc_reader *r;
	struct sp_doc_key key;
	struct sp_doc_digest recorded;
	struct sp_doc_id doc;
	char fno[16];
	const char *v[3] = {job_id, fno, owner};
	PGresult *res;
	int rc;

	*out = NULL;
	snprintf(fno, sizeof(fno), "%d", file_no);
	if ((res = db_run(db, owner ? &stmt_preview_file_key : &stmt_file_key, v, NULL, NULL, 1)) ==
	    NULL)
		return -1;
	/* Binary results: bytes is an int8 in network order. */
	if (PQntuples(res) != 1 || PQgetlength(res, 0, 1) != SP_WRAPPED_DEK_LEN ||
	    PQgetlength(res, 0, 2) != SP_NONCE_PREFIX_LEN || PQgetlength(res, 0, 0) > SP_KID_MAX ||
	    PQgetlength(res, 0, 3) != 8 || PQgetlength(res, 0, 4) != 32) {
		PQclear(res);
		return SP_CRYPTO_ERR_NOKEY;
	}
	memset(&key, 0, sizeof(key));
	memcpy(key.kid, PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0));
	memcpy(key.wrapped, PQgetvalue(res, 0, 1), SP_WRAPPED_DEK_LEN);
	memcpy(key.nonce_prefix, PQgetvalue(res, 0, 2), SP_NONCE_PREFIX_LEN);
	recorded.bytes = 0;
	for (int i = 0; i < 8; i++)
		recorded.bytes = recorded.bytes << 8 | (uint8_t)PQgetvalue(res, 0, 3)[i];
	memcpy(recorded.sha256, PQgetvalue(res, 0, 4), 32);
	PQclear(res);

	if ((r = calloc(1, sizeof(*r))) == NULL || (r->plain = malloc(SP_CHUNK_SIZE)) == NULL) {
		docr_free(r);
		OPENSSL_cleanse(&key, sizeof(key));
		return -1;
	}
	r->db = db;
	r->owner = owner;
	r->size = recorded.bytes;
	snprintf(r->job_id, sizeof(r->job_id), "%s", job_id);
	snprintf(r->file_no, sizeof(r->file_no), "%s", fno);
	memcpy(doc.job_id, job_bin, 16);
	doc.file_no = (uint32_t)file_no;
	rc = open_stream_begin(kr, &doc, &key, &recorded, &r->open);
	OPENSSL_cleanse(&key, sizeof(key));
	if (rc != SP_CRYPTO_OK) {
		sp_log(LOG_ERROR, "doc_key_unwrap_failed", "job_id", job_id, "error",
		       sp_crypto_strerror(rc), NULL);
		docr_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

int docr_open(struct db *db, const struct keyring *kr, const char *job_id,
              const uint8_t job_bin[16], int file_no, struct doc_reader **out)
{
	return reader_open(db, kr, job_id, job_bin, file_no, NULL, out);
}

int docr_open_preview(struct db *db, const struct keyring *kr, const char *job_id,
                      const uint8_t job_bin[16], int file_no, const char *owner,
                      struct doc_reader **out)
{
	return reader_open(db, kr, job_id, job_bin, file_no, owner, out);
}

uint64_t docr_size(const struct doc_reader *r)
{
	return r->size;
}

int docr_done(const struct doc_reader *r)
{
	return r->done && !r->error && r->plain_pos == r->plain_len &&
	       open_stream_finish(r->open) == SP_CRYPTO_OK;
}

/* Fetches and opens the next chunk into r->plain. */
static int reader_next_chunk(struct doc_reader *r)
{
	char idx[24];
	const char *v[4] = {r->job_id, r->file_no, idx, r->owner};
	PGresult *res;
	size_t ptlen = 0;
	int rc, is_last;

	snprintf(idx, sizeof(idx), "%llu", (unsigned long long)r->next_index);
	if ((res = db_run(r->db, r->owner ? &stmt_preview_chunk : &stmt_chunk_read, v, NULL, NULL,
	                  1)) == NULL) {
		r->error = SP_CRYPTO_ERR_IO;
		return -1;
	}
	if (PQntuples(res) != 1) {
		/* A missing chunk is a truncated document. */
		PQclear(res);
		r->error = SP_CRYPTO_ERR_TRUNCATED;
		return -1;
	}
	is_last = PQgetvalue(res, 0, 0)[0] != 0;
	if ((size_t)PQgetlength(res, 0, 1) > SP_CHUNK_SIZE + SP_TAG_LEN) {
		PQclear(res);
		r->error = SP_CRYPTO_ERR_AUTH;
		return -1;
	}
	rc = open_stream_chunk(r->open, is_last, (const uint8_t *)PQgetvalue(res, 0, 1),
	                       (size_t)PQgetlength(res, 0, 1), r->plain, &ptlen);
	PQclear(res);
	if (rc != SP_CRYPTO_OK) {
		r->error = rc;
		return -1;
	}
	r->plain_len = ptlen;
	r->plain_pos = 0;
	r->next_index++;
	if (is_last) {
		if ((rc = open_stream_finish(r->open)) != SP_CRYPTO_OK) {
			r->error = rc;
			return -1;
		}
		r->done = 1;
	}
	return 0;
}

long docr_read(struct doc_reader *r, uint8_t *buf, size_t len)
{
	size_t n;

	if (r->error)
		return -1;
	while (r->plain_pos == r->plain_len) {
		if (r->done)
			return 0;
		if (reader_next_chunk(r) != 0)
			return -1;
	}
	n = r->plain_len - r->plain_pos;
	if (n > len)
		n = len;
	memcpy(buf, r->plain + r->plain_pos, n);
	r->plain_pos += n;
	return (long)n;
}

int docr_error(const struct doc_reader *r)
{
	return r->error;
}

void docr_free(struct doc_reader *r)
{
	if (r == NULL)
		return;
	open_stream_free(r->open);
	if (r->plain) {
		OPENSSL_cleanse(r->plain, SP_CHUNK_SIZE);
		free(r->plain);
	}
	free(r);
}

int docstore_next_file_no(struct db *db, const char *job_id)
{
	const char *v[1] = {job_id};
	PGresult *res = db_run(db, &stmt_file_next_no, v, NULL, NULL, 0);
	int n;

	if (res == NULL)
		return -1;
	n = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	return n;
}
