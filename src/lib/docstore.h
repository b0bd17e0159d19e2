/*
 * docstore.h - documents at rest: sealed chunks in scanpost.document_chunks
 * and their wrapped data key in scanpost.job_files (DESIGN 3.6).
 *
 * A writer seals plaintext as it arrives and inserts each chunk inside the
 * caller's open transaction, so a failed upload leaves nothing behind once
 * the caller rolls back.  A reader fetches one chunk at a time and opens it:
 * memory stays at about two chunks whatever the document size.
 */
#ifndef SCANPOST_DOCSTORE_H
#define SCANPOST_DOCSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "db.h"
#include "keycache.h"

struct doc_writer;

/* Starts file file_no of job_id (text and binary form) under a fresh data
 * key.  The caller holds a transaction open until docw_finish, and its
 * owner (lifecycle_upload_begin/_commit) commits or rolls back.  doc_keys
 * is read only at docw_finish, when the data key is wrapped. */
int docw_begin(struct db *db, struct keycache *doc_keys, const char *job_id,
               const uint8_t job_bin[16], int file_no, struct doc_writer **out);
/* Seals and stores len bytes; -1 on a database or crypto failure. */
int docw_write(struct doc_writer *w, const void *data, size_t len);
/* Seals the last chunk, holds the primary KEK for the rest of the
 * transaction (keyuse.h), wraps the data key under it with the file's size
 * and SHA-256 bound in (crypto.h), and records the file row (name, type,
 * size, digest, wrapped key).  sha256_out (32 bytes) may be NULL. */
int docw_finish(struct doc_writer *w, const char *name, const char *content_type,
                uint8_t *sha256_out);
uint64_t docw_bytes(const struct doc_writer *w);
/* Wipes the key material; NULL is fine.  Does not roll back. */
void docw_free(struct doc_writer *w);

struct doc_file {
	int file_no;
	char name[256];
	char content_type[64];
	uint64_t bytes;
	uint8_t sha256[32];
};

/* The files of a job that still have their document, in order.  *files is
 * malloc'd (the caller frees it).  0, or -1. */
int docstore_files(struct db *db, const char *job_id, struct doc_file **files, size_t *n);

struct doc_reader;

/* Opens file file_no for reading: its data key is unwrapped with the
 * recorded size and SHA-256 in the AAD, so a changed size or digest fails
 * here, before a byte is read.  0; -1 on a database failure (worth trying
 * again); or the sp_crypto_err why the document cannot be opened (no key
 * any more: deleted; unknown kid; SP_CRYPTO_ERR_AUTH: altered). */
int docr_open(struct db *db, const struct keyring *kr, const char *job_id,
              const uint8_t job_bin[16], int file_no, struct doc_reader **out);
/* The same for scanpost-api's preview (cgi/h_preview.c): the key and the
 * chunks are read through sql/011's functions, which give them out only
 * for owner's job that was never submitted, still has its document and
 * has its job log.  Anything else reads as no key (SP_CRYPTO_ERR_NOKEY).
 * owner must outlive the reader.  Everything after the reads -- unwrap,
 * order, truncation and digest checks -- is docr_open's and docr_read's. */
int docr_open_preview(struct db *db, const struct keyring *kr, const char *job_id,
                      const uint8_t job_bin[16], int file_no, const char *owner,
                      struct doc_reader **out);
/* The recorded size, authenticated by docr_open: the bytes to send. */
uint64_t docr_size(const struct doc_reader *r);
/* Up to len bytes of plaintext; 0 at the end (after the last chunk was
 * opened and size and SHA-256 matched the recorded ones); -1 on failure,
 * see docr_error.  A last chunk that does not match is never given out. */
long docr_read(struct doc_reader *r, uint8_t *buf, size_t len);
/* 1 when every byte through the last chunk was read and verified: the
 * proof a sender needs before it tells RMail to send (DESIGN 3.6). */
int docr_done(const struct doc_reader *r);
/* SP_CRYPTO_OK, SP_CRYPTO_ERR_AUTH / _TRUNCATED / _MISMATCH (integrity),
 * or SP_CRYPTO_ERR_IO for a database failure. */
int docr_error(const struct doc_reader *r);
void docr_free(struct doc_reader *r);

/* The next free file number of a job, or -1. */
int docstore_next_file_no(struct db *db, const char *job_id);

#endif
