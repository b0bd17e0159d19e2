/*
 * lifecycle.h - the one owner of the data lifecycle (DESIGN 3.5, 3.7),
 * src/lib/lifecycle.c (the shared rules and the person's transitions) and
 * src/lib/lifecycle_queue.c (the sender's, janitor's and administrator's).
 *
 * Every change of a job's state, every deletion of a document and every
 * release of a sealed RMail token is one of the named transitions below.
 * Each takes its allowed source states and its target from the state table
 * (jobstate.c), and writes its audit row in the same transaction as the
 * change itself.  scanpost-api's handlers, scanpost-sender, its janitor and
 * scanpostctl call these and spell no state and no deletion themselves
 * (`make check-owners` greps for both).
 *
 * Why C and not SQL functions: the state table is C (jobstate.c)
 * and stays the one table; audit details are built with json-c; the rules
 * are tested in C against a real cluster (tests/regress/); and least
 * privilege comes from column grants (sql/007) rather than from SECURITY
 * DEFINER functions that would each run as the schema owner.
 *
 * Who owns transactions: this module, always.  Each function below is one
 * transaction that it opens and commits, or rolls back on any failure;
 * callers hold no transaction open when they call one, and never BEGIN or
 * COMMIT around them.  The one transaction that spans several calls is the
 * device's upload: lifecycle_upload_begin opens it (with the job row
 * locked), the caller streams files through docstore.h in between, and
 * lifecycle_upload_commit or lifecycle_upload_abort ends it.  Helpers that
 * run inside these transactions (docstore, filingstore, sessions_create,
 * jobs_insert, audit_record) never begin or end one.
 *
 * Deleting a document means, in one transaction: its ciphertext chunks
 * deleted, its wrapped data keys cleared (name, size and digest stay for
 * the job's history), document_deleted_at stamped, and exactly one
 * `document_deleted` audit row, whichever path deleted it (sent, canceled,
 * expired, purged, session end).  Releasing a token means clearing the
 * sealed RMail token of a session that is over and that no unsent job
 * needs, with a `token_released` row (DESIGN 2, step 9).  What the
 * device's filing may take away during its upload (locks, bookkeeping
 * files, empty working folders: never a document) and the arrival of its
 * job log are named here too (lifecycle_upload_*).
 *
 * A queued job's updated_at is when it entered the queue: every move into
 * `queued` stamps it and nothing else writes a queued job.  The claim
 * hands it to the sender as requeued_epoch, from which the sender counts
 * RMail's settle time before it trusts an empty MessageStatus window.
 */
#ifndef SCANPOST_LIFECYCLE_H
#define SCANPOST_LIFECYCLE_H

#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "db.h"
#include "jobs.h"
#include "keycache.h"
#include "queue.h"

/* The channel a submit or requeue NOTIFYs and senders LISTEN on (DESIGN
 * 3.5): a hint only, senders still poll.  The one spelling of the name. */
#define LIFECYCLE_NOTIFY_CHANNEL "scanpost_jobs"

enum lc_result {
	LC_OK = 0,
	LC_NOT_FOUND,        /* no such job (or not this owner's), no such open session */
	LC_WRONG_STATE,      /* the job is in a state the transition does not start from */
	LC_NOTHING_UPLOADED, /* submit of a job no file has arrived for */
	LC_SCAN_INCOMPLETE,  /* submit before the device's job log arrived */
	LC_EXPIRED,          /* the upload link had expired (checked again at commit) */
	LC_LEASE_LOST,       /* a sender's move after its lease was taken: nothing changed */
	LC_DOCUMENT_GONE,    /* requeue: the document was deleted, it cannot be sent */
	LC_TOKEN_GONE,       /* requeue: the session's RMail token is gone */
	LC_BUSY,             /* upload: another upload to the link holds the job */
	LC_TOO_MANY_JOBS,    /* create: the owner has jobs_open_max unfinished jobs */
	LC_DB_ERROR,         /* nothing changed; db_error() says why */
	LC_EXPORT_FAILED,    /* retention: the audit lines could not be written; nothing purged */
	LC__MAX
};

const char *lifecycle_strerror(enum lc_result rc);

/* Who asks, for the audit rows.  Any member may be NULL. */
struct lc_who {
	const char *actor;      /* the RMail user, or "scanpostctl:<user>" */
	const char *session_id; /* the session asking, when there is one */
	const char *request_id;
};

/* ---- the person's side (scanpost-api) ----------------------------------- */

/* A new session holding the RMail token, which is sealed here to the
 * token keyring's primary public key (held, keyuse.h; token_keys may hold
 * public halves only: keycache_init_public) with the session as its AAD;
 * `signin_ok` audit row.  session_id receives the new id. */
struct lc_session_start {
	const uint8_t *secret_hash; /* SHA-256 of the cookie secret, 32 bytes */
	const char *user;
	const char *token;                   /* plaintext; not kept */
	long token_expires_in, max_lifetime; /* seconds */
	int via_sso;
};
enum lc_result lifecycle_session_start(struct db *db, struct keycache *token_keys,
                                       const struct lc_session_start *s, const char *request_id,
                                       char session_id[UUID_STR_LEN]);

/* end session: the session is closed (reason: signout, exit), its uploads
 * that never reached the queue are canceled with their documents deleted,
 * its token released unless a queued or sending job needs it; `signout`
 * (or `session_ended`) audit row.  LC_NOT_FOUND when it was not open. */
enum lc_result lifecycle_session_end(struct db *db, const char *session_id, const char *reason,
                                     const struct lc_who *who);

/* A new job awaiting its scan; `job_created` row.  *expires_at receives
 * the upload deadline (ISO 8601). */
enum lc_result lifecycle_job_create(struct db *db, const struct job_new *j,
                                    const struct lc_who *who, char *expires_at, size_t len);

/* submit: awaiting_scan -> queued, the upload link spent, the senders
 * woken (NOTIFY at commit).  Only with a file and the device's job log in
 * (DESIGN 3.3: its arrival proves every file is).  LC_NOTHING_UPLOADED,
 * LC_SCAN_INCOMPLETE, LC_WRONG_STATE, LC_NOT_FOUND (unknown or another
 * owner's). */
enum lc_result lifecycle_job_submit(struct db *db, const char *job_id, const char *owner,
                                    const struct lc_who *who);

/* cancel: a job not yet being sent -> canceled, its document deleted, the
 * token released when nothing else needs it. */
enum lc_result lifecycle_job_cancel(struct db *db, const char *job_id, const char *owner,
                                    const struct lc_who *who);

/* The device's upload.  begin opens the transaction and locks the job: OK
 * (transaction open; *stored = bytes already kept, owner filled) when the
 * token matches, the link is unexpired and the job awaits its scan;
 * otherwise LC_NOT_FOUND / LC_WRONG_STATE / LC_EXPIRED / LC_DB_ERROR with
 * no transaction open.  LC_BUSY, at once, when another upload to the same
 * link holds the job (the row is locked NOWAIT: nothing waits for it). */
enum lc_result lifecycle_upload_begin(struct db *db, const char *job_id,
                                      const uint8_t token_hash[32], uint64_t *stored, char *owner,
                                      size_t ownerlen);
/* What one upload request stored. */
struct lc_upload {
	int files;              /* documents sealed and stored */
	uint64_t bytes;         /* their bytes */
	int job_log;            /* the device filed its job log */
	uint64_t job_log_bytes; /* its size (its text is not kept) */
};
/* Ends a successful upload: the link is checked again against the clock
 * (an upload that outlived it keeps nothing: LC_EXPIRED, rolled back), the
 * job's upload total recounted, an `uploaded` row when files > 0, the job
 * log's arrival recorded with a `job_log_arrived` row (the first one
 * closes the set of documents), COMMIT.  Any result but LC_OK leaves
 * nothing behind. */
enum lc_result lifecycle_upload_commit(struct db *db, const char *job_id, const char *owner,
                                       const struct lc_upload *done, const char *request_id);
/* Ends an upload that failed: everything of it is rolled back. */
void lifecycle_upload_abort(struct db *db);

/* Inside the upload transaction: what the device's filing operations take
 * away (DESIGN 3.3, cgi/h_scan.c), in the job's own filing tree only.  A
 * document is never among it: it leaves a job only by destroy document,
 * and sql/009 refuses any other removal of its filing entry.  Bookkeeping,
 * not data: no audit row.
 * forget file: the lock, bookkeeping file or job log as filed called
 *   dir/name (DeleteFile); its recorded arrival stays.  1 removed, 0 there
 *   was none, -1.
 * clear folder: the bookkeeping anywhere in dir and the folders below it
 *   that hold no document (DeleteDirContents).  0 or -1.
 * remove folder: the folder dir, which the caller found empty (RemoveDir).
 *   0 or -1. */
int lifecycle_upload_forget_file(struct db *db, const char *job_id, const char *dir,
                                 const char *name);
int lifecycle_upload_clear_folder(struct db *db, const char *job_id, const char *dir);
int lifecycle_upload_remove_folder(struct db *db, const char *job_id, const char *dir);

/* ---- the sender's side (scanpost-sender) -------------------------------- */

/* claim: one due queued job -> sending, leased to lease_owner, attempts + 1,
 * committed before any network call; `send_started` row.  LC_OK (*j
 * filled, requeued_epoch from the updated_at it had while queued; free
 * with queued_job_free), LC_NOT_FOUND (nothing due). */
enum lc_result lifecycle_claim(struct db *db, const char *lease_owner, long lease_seconds,
                               struct queued_job *j);

/* Extends the lease of a job being sent (no state change, no audit row).
 * LC_LEASE_LOST: stop sending, another sender has it. */
enum lc_result lifecycle_renew_lease(struct db *db, const struct queued_job *j,
                                     const char *lease_owner, long lease_seconds);

/* mark sent: sending -> sent with RMail's tracking id, the document deleted,
 * the token released when nothing else needs it; `sent` row (detail: the
 * tracking id and how it was learned), all in one transaction. */
enum lc_result lifecycle_mark_sent(struct db *db, const struct queued_job *j,
                                   const char *lease_owner, const char *tracking_id, int large_mail,
                                   const char *how);

/* retry: a transient failure of RMail's.  sending -> queued after
 * delay_ms, with the error kept for the person to read ("delayed, next try
 * at next_attempt_at, because last_error").  Whether the retry horizon has
 * passed is the sender's question (queue_horizon_passed): this move never
 * fails a job.  mail_requested_at is kept only while j->mail_maybe_sent.
 * `send_retry` row. */
enum lc_result lifecycle_retry(struct db *db, const struct queued_job *j, const char *lease_owner,
                               long delay_ms, const char *code, const char *message);

/* Before the Mail request goes out: mail_requested_at stamped and
 * committed, so that whatever happens next (a dropped answer, a killed
 * sender) the next claim asks MessageStatus first and the job is never
 * called failed until RMail says it does not have it.  No state change,
 * no audit row.  LC_LEASE_LOST: stop, another sender has it. */
enum lc_result lifecycle_mail_requested(struct db *db, const struct queued_job *j,
                                        const char *lease_owner);

/* defer: our own outage (the database, a key), nothing RMail said.
 * sending -> queued after delay_ms; the claim is not counted as an
 * attempt.  `send_deferred` row (detail counted false). */
enum lc_result lifecycle_defer(struct db *db, const struct queued_job *j, const char *lease_owner,
                               long delay_ms, const char *code, const char *message);

/* check later: no verdict yet (DESIGN 3.2, 3.5: RMail may have the message,
 * or MessageStatus could not say).  sending -> queued after delay_ms,
 * whatever the attempts so far: this move never fails a job.  counted 0:
 * this claim does not count as an attempt (attempts - 1: an unclear
 * answer costs none); counted 1: it does (a send that may have reached
 * RMail).  The next claim asks MessageStatus before anything else.
 * `send_check_later` row. */
enum lc_result lifecycle_check_later(struct db *db, const struct queued_job *j,
                                     const char *lease_owner, long delay_ms, int counted,
                                     const char *code, const char *message);

/* fail: sending -> failed with the reason; the document stays for
 * failed_retention (scanpostctl queue retry), the token is released.
 * Only for a job RMail does not have (j->mail_maybe_sent clear). */
enum lc_result lifecycle_fail(struct db *db, const struct queued_job *j, const char *lease_owner,
                              const char *code, const char *message);

/* give up unknown: the retry horizon passed while RMail may have the
 * message.  sending -> delivery_unknown, kept like a failed job (document
 * for failed_retention, token released), never called failed; a requeue
 * asks MessageStatus before anything else. */
enum lc_result lifecycle_give_up_unknown(struct db *db, const struct queued_job *j,
                                         const char *lease_owner, const char *code,
                                         const char *message);

/* ---- the janitor (scanpost-sender) -------------------------------------- */

/* rescue: sending jobs whose lease expired -> queued.  The claim is not
 * counted (a killed sender or a lost database is our outage) unless a
 * Mail request went out during it.  How many, or -1. */
int lifecycle_rescue_leases(struct db *db);
/* expire: awaiting_scan jobs past their upload deadline -> expired, their
 * documents deleted.  Jobs whose upload is still running are left for the
 * next run (their commit will be refused).  How many, or -1. */
int lifecycle_expire_uploads(struct db *db);
/* end session, for sessions idle longer than idle_timeout or past their
 * lifetime; and release every token no open session and no unsent job
 * needs.  How many sessions ended, or -1. */
int lifecycle_expire_sessions(struct db *db, long idle_timeout);
/* purge: the documents of jobs failed (or of unknown delivery) more than
 * retention seconds ago are deleted (the jobs stay).  How many, or -1. */
int lifecycle_purge_failed_documents(struct db *db, long retention);

/* ---- the administrator (scanpostctl) ------------------------------------ */

/* requeue: failed or delivery_unknown -> queued with attempts reset and a
 * new retry horizon (requeued_at), when its document and its
 * session's token are still there.  *state receives the job's state when
 * that is the problem (LC_WRONG_STATE); *token_expired says whether RMail's
 * token has passed its expiry (the send may fail again). */
enum lc_result lifecycle_requeue(struct db *db, const char *job_id, const struct lc_who *who,
                                 char *state, size_t statelen, int *token_expired);

/* purge: finished jobs in `state` unchanged for more than days days are
 * deleted, rows and all; a document still kept (a failed job's) is deleted
 * first, with its document_deleted row; one `jobs_purged` row.  With
 * dry_run nothing changes.  *count receives how many (would be) deleted.
 * LC_WRONG_STATE when state is not a finished one. */
enum lc_result lifecycle_purge_jobs(struct db *db, const char *state, long days, int dry_run,
                                    const struct lc_who *who, long *count);

/* ---- retention (lifecycle_retention.c; `scanpostctl retention run`) ------ */

/* Keep periods in days; 0 keeps for ever. */
struct lc_retention {
	long job_days;     /* finished jobs unchanged this long (rows and all) */
	long session_days; /* ended sessions no job points at any more */
	long audit_days;   /* audit events, once written out */
};

struct lc_retention_counts {
	long jobs, sessions, audit;
};

/* Where audit events go before they are deleted: line() gets one JSON
 * object (no newline) per event, in id order; done() makes them durable.
 * Each answers 0, or non-zero to stop (nothing is then deleted). */
struct lc_audit_sink {
	int (*line)(void *ctx, const char *json, size_t len);
	int (*done)(void *ctx);
	void *ctx;
};

/* retention: purges what the keep periods say, jobs (as lifecycle_purge_jobs,
 * every finished state), then sessions, then audit events through out, one
 * transaction each with its `retention_purged` (or `jobs_purged`) row, and
 * records the settings applied for the view scanpost.retention_due.  With
 * dry_run nothing changes and counts say what is due.  LC_EXPORT_FAILED
 * when out refused: the audit events stay. */
enum lc_result lifecycle_retention(struct db *db, const struct lc_retention *keep, int dry_run,
                                   const struct lc_audit_sink *out, const struct lc_who *who,
                                   struct lc_retention_counts *counts);

/* Writes the audit events older than older_than_days (0: all) through out,
 * deleting nothing.  0, -1 database error, -2 out refused. */
int lifecycle_audit_write(struct db *db, long older_than_days, const struct lc_audit_sink *out,
                          long *count);

#endif
