/*
 * filingstore.h - a job's filing tree and its job log, in
 * scanpost.filing_entries and scanpost.job_logs (sql/005_filing.sql).
 *
 * Each upload URL is one job, and the job is the root "/" of its own tree:
 * the device's folders, its bookkeeping files (bytes counted, content never
 * kept), and where each sealed document was filed.  Folder paths are
 * normalized by filing_dir_normalize.  The functions that change the tree
 * run in the caller's transaction, with the job row locked
 * (jobs_upload_lock), so one upload's view is consistent.
 *
 * One owner per rule: nothing here deletes a document.  The clear and
 * remove functions touch folders and bookkeeping files only, and only in
 * the folder named.
 */
#ifndef SCANPOST_FILINGSTORE_H
#define SCANPOST_FILINGSTORE_H

#include <stdint.h>

#include "db.h"

enum fs_kind {
	FS_NONE, /* nothing of that name */
	FS_FOLDER,
	FS_FILE,    /* a lock or bookkeeping file */
	FS_JOB_LOG, /* the job log as filed (its arrival is in job_logs) */
	FS_DOCUMENT,
};

/* What dir/name is.  0, or -1 (database). */
int filingstore_kind(struct db *db, const char *job_id, const char *dir, const char *name,
                     enum fs_kind *out);

/* 1 when dir is "/" or a folder of the job, 0 when not, -1 (database). */
int filingstore_folder_exists(struct db *db, const char *job_id, const char *dir);

/* Records dir/name (a unique name in dir).  file_no is the job_files row of
 * a FS_DOCUMENT, ignored otherwise.  0, or -1. */
int filingstore_add(struct db *db, const char *job_id, const char *dir, const char *name,
                    enum fs_kind kind, uint64_t bytes, int file_no);

/* Forgets a lock, bookkeeping file or job log called dir/name (never a
 * document or folder).  Returns 1 when one was there, 0 when not, -1. */
int filingstore_delete_file(struct db *db, const char *job_id, const char *dir, const char *name);

/* What the folder dir holds: entries directly in it, and documents anywhere
 * below it.  0, or -1. */
int filingstore_folder_count(struct db *db, const char *job_id, const char *dir, long *entries,
                             long *documents);

/* Forgets the bookkeeping files and job logs anywhere in dir, and the
 * folders below it that hold no document; documents stay.  0, or -1. */
int filingstore_clear(struct db *db, const char *job_id, const char *dir);

/* Forgets the folder dir itself (the caller checked it is empty).  0 or -1. */
int filingstore_remove_folder(struct db *db, const char *job_id, const char *dir);

/* ListDir: the names in dir, sorted, each followed by '\n', folders with a
 * trailing '/' (Xerox's sample, ListDirectory); "" for an empty folder.
 * malloc'd (the caller frees), or NULL (database, memory). */
char *filingstore_list(struct db *db, const char *job_id, const char *dir);

/* Bytes of everything filed that is no document (counted against
 * upload_max_bytes with the documents).  0, or -1. */
int filingstore_extra_bytes(struct db *db, const char *job_id, uint64_t *bytes);

/* Records that the job log arrived (the first one counts), with the number
 * of documents in at that moment.  0, or -1. */
int filingstore_job_log_record(struct db *db, const char *job_id, uint64_t bytes);

/* 1 when the job log has arrived, 0 when not, -1. */
int filingstore_job_log_arrived(struct db *db, const char *job_id);

enum fs_wait {
	FS_WAIT_ARRIVED,   /* the job log is in */
	FS_WAIT_MISSING,   /* still not in after timeout_ms */
	FS_WAIT_ELSEWHERE, /* no such job of owner, it no longer awaits its scan, or
	                    * nothing arrived: submit itself says so */
	FS_WAIT_ERROR,
};

/* Waits up to timeout_ms (polling, outside any transaction) for the job
 * log of owner's job job_id. */
enum fs_wait filingstore_wait_job_log(struct db *db, const char *job_id, const char *owner,
                                      long timeout_ms);

#endif
