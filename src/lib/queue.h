/*
 * queue.h - the jobs table as a queue, seen from scanpost-sender (DESIGN 3.5).
 *
 * A claim is one statement (a CTE with FOR UPDATE SKIP LOCKED) that moves
 * the job to `sending` with a lease and attempts + 1, and is committed
 * before any network call.  Every later move checks that the lease is still
 * ours: a sender whose lease was rescued changes nothing.
 */
#ifndef SCANPOST_QUEUE_H
#define SCANPOST_QUEUE_H

#include <stdint.h>

#include "db.h"

struct queued_job {
	char id[40];
	uint8_t id_bin[16];
	char session_id[40];
	char owner[256];
	int attempts, max_attempts;
	long first_try_epoch; /* when it was submitted: MessageStatus looks from here */
	long requeued_epoch;  /* when it last came back to the queue: any earlier
	                         send attempt had ended by then */
	/* The job as jobspec_from_json reads it, malloc'd: */
	char *spec_json;
};

void queued_job_free(struct queued_job *j);

/* Claims at most one due job for lease_owner.  0 claimed (*j filled),
 * 1 none due, -1 database error. */
int queue_claim(struct db *db, const char *lease_owner, long lease_seconds, struct queued_job *j);

/* Success: tracking id and state `sent`, the document and its keys deleted,
 * the session's token released when it is no longer needed, audit events;
 * one transaction.  0, 1 (lease lost: nothing changed), -1. */
int queue_mark_sent(struct db *db, const struct queued_job *j, const char *lease_owner,
                    const char *tracking_id, int large_mail, const char *how);

/* A transient failure: back to `queued` after delay seconds, or `failed`
 * once attempts reach max_attempts.  *failed tells which.  0, 1, -1. */
int queue_mark_retry(struct db *db, const struct queued_job *j, const char *lease_owner,
                     long delay_ms, const char *code, const char *message, int *failed);

/* Neither sent nor failed: back to `queued` after delay ms, whatever the
 * attempts so far.  counted 0: this claim does not count as an attempt
 * (attempts - 1), for "RMail's answer is unclear, ask again later";
 * counted 1: it does, for a send that may have reached RMail.  The next
 * claim asks MessageStatus first.  0, 1 (lease lost), -1. */
int queue_mark_check_later(struct db *db, const struct queued_job *j, const char *lease_owner,
                           long delay_ms, int counted, const char *code, const char *message);

/* A permanent failure: `failed` with the reason; the document stays for
 * failed_retention (scanpostctl queue retry), the token is released. */
int queue_mark_failed(struct db *db, const struct queued_job *j, const char *lease_owner,
                      const char *code, const char *message);

/* Extends the lease of a job being sent.  0, 1 (the lease is no longer
 * ours: stop sending), -1. */
int queue_renew_lease(struct db *db, const struct queued_job *j, const char *lease_owner,
                      long lease_seconds);

/* Janitor: expired leases back to `queued`.  Returns how many, or -1. */
int queue_rescue_leases(struct db *db);
/* Janitor: documents of jobs failed more than retention seconds ago are
 * deleted (the rows stay).  Returns how many, or -1. */
int queue_purge_failed_documents(struct db *db, long retention);

/* Retry delay in milliseconds: base seconds * 2^(attempt-1), capped at an
 * hour, with jitter in [delay/2, delay]; never less than retry_after
 * seconds when that is >= 0. */
long queue_backoff_ms(long base, int attempt, long retry_after);

#endif
