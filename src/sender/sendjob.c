/*
 * sendjob.c - one job, from sealed chunks to an RMail TrackingId.
 *
 * The RMail conversation (DESIGN 3.2, 3.5): an attempt after the first asks
 * MessageStatus whether RMail already has the job (by the CustomerTrackingId
 * it set, over the window since the first attempt); only a clear "no" lets
 * it send again.  A failure after the Mail request went out may hide an
 * accepted message, so it is never a verdict: the job waits and asks.
 */
#include "sendjob.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "docstore.h"
#include "jobspec.h"
#include "jobstate.h"
#include "lifecycle.h"
#include "log.h"
#include "rmail_wire.h"
#include "sessions.h"

#define MAX_FILES 512

/* Around the MessageStatus window: our clock and RMail's may differ. */
#define STATUS_MARGIN_SECONDS 900

/* Our own outages (error codes the person reads as "why it is delayed"). */
#define OUTAGE_DB  "database_unavailable"
#define OUTAGE_KEY "key_unavailable"

/* How long a worker waits for its own database to come back to record an
 * outcome, at most (and never past two thirds of its lease): a short
 * outage then costs nothing; a longer one leaves the job to the rescuer,
 * which counts no attempt for it either (lifecycle.h). */
#define DB_PATIENCE_SECONDS 60

static const char *const outcome_names[] = {
    [SEND_RETRY] = "retry",       [SEND_CHECK_LATER] = "check_later",
    [SEND_DEFERRED] = "deferred", [SEND_LEASE_LOST] = "lease_lost",
    [SEND_DB_ERROR] = "db_error",
};

/* A job sent, failed or of unknown delivery is named by its state
 * (jobstate.c owns the names). */
const char *send_outcome_name(enum send_outcome o)
{
	if (o == SEND_SENT)
		return job_state_name(JOB_SENT);
	if (o == SEND_FAILED)
		return job_state_name(JOB_FAILED);
	if (o == SEND_DELIVERY_UNKNOWN)
		return job_state_name(JOB_DELIVERY_UNKNOWN);
	return outcome_names[o];
}

/* What a lifecycle transition's result means for the attempt. */
static enum send_outcome outcome_of(enum lc_result rc, enum send_outcome done)
{
	return rc == LC_OK ? done : rc == LC_LEASE_LOST ? SEND_LEASE_LOST : SEND_DB_ERROR;
}

/* Everything one attempt holds; freed and wiped in one place. */
struct attempt {
	struct send_ctx *ctx;
	struct queued_job *job;
	struct jobspec spec;
	char *token;
	struct doc_file *files;
	size_t nfiles;
	char (*upload_ids)[128];
	uint64_t total_bytes;
	struct doc_reader *reader; /* the file being streamed */
	int integrity_error;
	const char *outage; /* our own failure under the transfer, not RMail's doing:
	                       OUTAGE_DB or OUTAGE_KEY, or NULL */
	time_t lease_renewed;
	int lease_lost;
};

/* Heartbeat during every RMail call: keep the lease while we work, so the
 * rescuer never hands a job that is still being sent to a second sender
 * (which would send it twice).  A lost lease stops the transfer. */
static int lease_heartbeat(void *arg)
{
	struct attempt *a = arg;
	time_t now = time(NULL);
	long lease = a->ctx->cfg->sender_lease;

	if (now - a->lease_renewed < lease / 3)
		return 0;
	enum lc_result rc = lifecycle_renew_lease(a->ctx->db, a->job, a->ctx->lease_owner, lease);
	if (rc == LC_LEASE_LOST) {
		a->lease_lost = 1;
		sp_log(LOG_WARN, "lease_lost", "job_id", a->job->id, NULL);
		return -1;
	}
	/* A database hiccup is not a lost lease: try again on the next tick. */
	if (rc == LC_OK)
		a->lease_renewed = now;
	return 0;
}

static void attempt_free(struct attempt *a)
{
	if (a->token) {
		OPENSSL_cleanse(a->token, strlen(a->token));
		free(a->token);
	}
	docr_free(a->reader);
	jobspec_free(&a->spec);
	free(a->files);
	free(a->upload_ids);
}

/* The sealed token of the job's session, opened (sessions.c owns its AAD). */
static int token_open(struct attempt *a)
{
	return sessions_token_open(a->ctx->db, a->ctx->token_keyring, a->job->session_id,
	                           &a->token);
}

static long read_document(void *arg, uint8_t *buf, size_t len)
{
	struct attempt *a = arg;
	long n = docr_read(a->reader, buf, len);

	if (n < 0) {
		int e = docr_error(a->reader);
		a->integrity_error = e == SP_CRYPTO_ERR_AUTH || e == SP_CRYPTO_ERR_TRUNCATED ||
		                     e == SP_CRYPTO_ERR_STATE || e == SP_CRYPTO_ERR_MISMATCH;
		/* Anything else is a chunk that could not be read (the
		 * database went away): our outage, no verdict on the job. */
		if (!a->integrity_error)
			a->outage = OUTAGE_DB;
	}
	return n;
}

/* What a failed RMail call leaves the job in. */
enum verdict {
	V_RETRY,       /* a failed attempt: back to the queue, counted */
	V_FAIL,        /* RMail said no: failed with its reason */
	V_CHECK_LATER, /* RMail may have the message: ask MessageStatus first */
};

/*
 * Each kind of failure, before the Mail request went out and after.  Once
 * it is out, a dropped connection, a timeout, a 5xx or an unreadable 2xx
 * may all hide an accepted message (DESIGN 3.5): no verdict then, the next
 * claim asks MessageStatus.  A 429 or 401 was refused before any work, and
 * a business failure (200 or 400) is RMail's own "no", kept in its words.
 */
static const struct {
	enum rmail_err err;
	enum verdict before_mail, after_mail;
	const char *code;
} verdicts[] = {
    {RMAIL_UNAVAILABLE, V_RETRY, V_CHECK_LATER, "rmail_unavailable"},
    {RMAIL_BAD_RESPONSE, V_RETRY, V_CHECK_LATER, "rmail_bad_response"},
    {RMAIL_RATE_LIMITED, V_RETRY, V_RETRY, "rmail_rate_limited"},
    {RMAIL_UNAUTHORIZED, V_FAIL, V_FAIL, "rmail_auth_expired"},
    {RMAIL_AUTH_FAILED, V_FAIL, V_FAIL, "rmail_auth_expired"},
    {RMAIL_REJECTED, V_FAIL, V_FAIL, "rmail_rejected"},
    {RMAIL_ABORTED, V_FAIL, V_FAIL, "rmail_aborted"},
};

/* The retry delay of this attempt: exponential from sender_retry_base,
 * capped at sender_backoff_max, RMail's Retry-After honoured. */
static long backoff_ms(const struct attempt *a, long retry_after)
{
	const struct sp_config *cfg = a->ctx->cfg;

	return queue_backoff_ms(cfg->sender_retry_base, a->job->attempts, retry_after,
	                        cfg->sender_backoff_max);
}

/* The retry delay, and never less than the settle time when the next
 * claim will ask MessageStatus about a send that may have gone out. */
static long later_ms(const struct attempt *a, long retry_after)
{
	long d = backoff_ms(a, retry_after);
	long settle = a->ctx->cfg->rmail_status_settle * 1000;

	return d < settle ? settle : d;
}

/* Whether the job's retry horizon (sender_give_up_after) has passed. */
static int horizon_passed(const struct attempt *a)
{
	return queue_horizon_passed(a->job->horizon_epoch, a->ctx->cfg->sender_give_up_after,
	                            (long)time(NULL));
}

/* Whether to try a database write again after LC_DB_ERROR: waits a second
 * while the lease is safely ours and DB_PATIENCE_SECONDS have not passed. */
static int db_patience(struct attempt *a, time_t since)
{
	time_t now = time(NULL);
	long lease = a->ctx->cfg->sender_lease;

	if (a->lease_lost || now - since >= DB_PATIENCE_SECONDS ||
	    now - a->lease_renewed >= lease * 2 / 3)
		return 0;
	sleep(1);
	return 1;
}

/* rc = call, a lifecycle move, again while the database is out (db_patience). */
#define RECORD(a, rc, call)                                                                        \
	do {                                                                                       \
		time_t since_ = time(NULL);                                                        \
		while (((rc) = (call)) == LC_DB_ERROR && db_patience((a), since_))                 \
			;                                                                          \
	} while (0)

/* The job leaves the queue for good with code and message: failed when
 * RMail does not have it, delivery_unknown when it may (never failed
 * then: the person must not send it again on our word). */
static enum send_outcome give_up(struct attempt *a, const char *code, const char *message)
{
	struct send_ctx *ctx = a->ctx;
	enum lc_result rc;
	char msg[480];

	if (!a->job->mail_maybe_sent) {
		sp_log(LOG_WARN, "job_failed", "job_id", a->job->id, "code", code, NULL);
		RECORD(a, rc, lifecycle_fail(ctx->db, a->job, ctx->lease_owner, code, message));
		return outcome_of(rc, SEND_FAILED);
	}
	snprintf(msg, sizeof(msg),
	         "RMail may already have this message, but did not confirm it (%s). Look in "
	         "RMail's sent items before sending it again.",
	         message);
	sp_log(LOG_WARN, "job_delivery_unknown", "job_id", a->job->id, "code", code, NULL);
	RECORD(a, rc, lifecycle_give_up_unknown(ctx->db, a->job, ctx->lease_owner, code, msg));
	return outcome_of(rc, SEND_DELIVERY_UNKNOWN);
}

/* Our own outage (the database, a key): back to the queue with no attempt
 * spent and no verdict, after a short delay (a database comes back in
 * seconds; a key takes an administrator: a minute, or the backoff cap).
 * Not forever: past the horizon it ends like any other failure. */
static enum send_outcome own_outage(struct attempt *a, const char *code)
{
	struct send_ctx *ctx = a->ctx;
	int key = strcmp(code, OUTAGE_KEY) == 0;
	const char *message = key ? "scanpost could not find the key of this document; it "
	                            "tries again shortly."
	                          : "scanpost's database was unavailable; it tries again "
	                            "shortly.";
	long delay_ms = ctx->cfg->sender_retry_base * 1000;
	enum lc_result rc;

	if (a->lease_lost)
		return SEND_LEASE_LOST;
	if (horizon_passed(a))
		return give_up(a, code, message);
	if (key)
		delay_ms =
		    (ctx->cfg->sender_backoff_max < 60 ? ctx->cfg->sender_backoff_max : 60) * 1000;
	sp_log(LOG_WARN, "send_deferred", "job_id", a->job->id, "code", code, NULL);
	RECORD(a, rc, lifecycle_defer(ctx->db, a->job, ctx->lease_owner, delay_ms, code, message));
	return outcome_of(rc, SEND_DEFERRED);
}

/* No verdict: RMail may have the message.  Check later, or once the
 * horizon has passed, give up as delivery_unknown. */
static enum send_outcome check_later(struct attempt *a, long retry_after, int counted,
                                     const char *code, const char *message)
{
	struct send_ctx *ctx = a->ctx;
	enum lc_result rc;

	if (horizon_passed(a))
		return give_up(a, code, message);
	RECORD(a, rc,
	       lifecycle_check_later(ctx->db, a->job, ctx->lease_owner, later_ms(a, retry_after),
	                             counted, code, message));
	return outcome_of(rc, SEND_CHECK_LATER);
}

/* Records a failed RMail call at step (after_mail: the Mail request went out). */
static enum send_outcome rmail_failure(struct attempt *a, const struct rmail_result *res,
                                       const char *step, int after_mail)
{
	struct send_ctx *ctx = a->ctx;
	enum verdict v = V_FAIL;
	const char *code = "rmail_rejected";
	enum lc_result rc;
	char msg[320];

	if (a->lease_lost)
		return SEND_LEASE_LOST;
	/* The person reads this: RMail's own words; the step is in the log. */
	snprintf(msg, sizeof(msg), "%s", res->message);
	sp_log(LOG_WARN, "rmail_call_failed", "job_id", a->job->id, "step", step, "kind",
	       rmail_strerror(res->err), "%http_status", LOG_NUM(res->http_status), "%attempt",
	       LOG_NUM(a->job->attempts), NULL);
	if (a->integrity_error)
		return give_up(a, "integrity_error",
		               "The stored document failed its integrity check; nothing was sent.");
	if (a->outage && !after_mail)
		return own_outage(a, a->outage);
	for (size_t i = 0; i < sizeof(verdicts) / sizeof(verdicts[0]); i++)
		if (verdicts[i].err == res->err) {
			v = after_mail ? verdicts[i].after_mail : verdicts[i].before_mail;
			code = verdicts[i].code;
		}
	/* RMail answered this Mail request with a refusal (a 429, a 401, its
	 * own "no"): it did not take it.  An earlier one was ruled out by
	 * MessageStatus before this request went out. */
	if (after_mail && v != V_CHECK_LATER)
		a->job->mail_maybe_sent = 0;
	switch (v) {
	case V_RETRY:
		if (horizon_passed(a)) {
			char why[400];
			snprintf(why, sizeof(why),
			         "RMail could not take the message for %ld hours: %s",
			         ctx->cfg->sender_give_up_after / 3600, msg);
			return give_up(a, code, why);
		}
		RECORD(a, rc,
		       lifecycle_retry(ctx->db, a->job, ctx->lease_owner,
		                       backoff_ms(a, res->retry_after), code, msg));
		return outcome_of(rc, SEND_RETRY);
	case V_CHECK_LATER:
		/* The attempt counts (it may have reached RMail), but no
		 * verdict: the next claim asks MessageStatus first. */
		sp_log(LOG_INFO, "send_unconfirmed", "job_id", a->job->id, NULL);
		return check_later(a, res->retry_after, 1, code, msg);
	case V_FAIL:
		break;
	}
	if (res->err == RMAIL_UNAUTHORIZED || res->err == RMAIL_AUTH_FAILED)
		snprintf(msg, sizeof(msg),
		         "RMail no longer accepts the sign-in; sign in again "
		         "and resend.");
	return give_up(a, code, msg);
}

static enum send_outcome record_sent(struct attempt *a, const char *tracking_id, int large,
                                     const char *how)
{
	enum lc_result rc;

	RECORD(
	    a, rc,
	    lifecycle_mark_sent(a->ctx->db, a->job, a->ctx->lease_owner, tracking_id, large, how));

	if (rc == LC_OK) {
		sp_log(LOG_INFO, "job_sent", "job_id", a->job->id, "tracking_id", tracking_id,
		       "how", how, "%attempt", LOG_NUM(a->job->attempts), NULL);
		return SEND_SENT;
	}
	sp_log(LOG_ERROR, "job_sent_not_recorded", "job_id", a->job->id, "tracking_id", tracking_id,
	       "error", rc == LC_LEASE_LOST ? "lease lost" : db_error(a->ctx->db), NULL);
	return outcome_of(rc, SEND_SENT);
}

/* A failure of ours, told in RMail's result shape (no HTTP answer came). */
static void own_failure(struct rmail_result *res, enum rmail_err err, const char *message)
{
	res->err = err;
	res->http_status = 0;
	res->retry_after = -1;
	snprintf(res->message, sizeof(res->message), "%s", message);
}

static int upload_files(struct attempt *a, struct rmail_result *res)
{
	struct send_ctx *ctx = a->ctx;

	for (size_t i = 0; i < a->nfiles; i++) {
		int rc = docr_open(ctx->db, ctx->doc_keyring, a->job->id, a->job->id_bin,
		                   a->files[i].file_no, &a->reader);

		if (rc != 0) {
			/* A database failure may pass, and so may a master key
			 * this worker cannot find (a keyring being rotated or
			 * restored: the next claim follows the keys); a key that
			 * does not unwrap (size or digest changed) never will. */
			a->integrity_error = rc > 0 && rc != SP_CRYPTO_ERR_NOKEY;
			a->outage = rc < 0                      ? OUTAGE_DB
			            : rc == SP_CRYPTO_ERR_NOKEY ? OUTAGE_KEY
			                                        : NULL;
			own_failure(res, rc > 0 ? RMAIL_ABORTED : RMAIL_UNAVAILABLE,
			            rc > 0 ? "document key unavailable" : "database unavailable");
			return -1;
		}
		/* The size sent is the one the key's unwrap authenticated. */
		if (rmail_upload(ctx->rmail, a->token, a->files[i].name, a->files[i].content_type,
		                 docr_size(a->reader), read_document, a, a->upload_ids[i],
		                 sizeof(a->upload_ids[i]), res) != 0)
			return -1;
		/* DESIGN 3.6: proof that every byte through the last chunk was
		 * read and matched the recorded size and SHA-256, before any
		 * mail is asked for. */
		if (!docr_done(a->reader)) {
			a->integrity_error = 1;
			res->err = RMAIL_ABORTED;
			snprintf(res->message, sizeof(res->message),
			         "document not read to its end");
			return -1;
		}
		docr_free(a->reader);
		a->reader = NULL;
	}
	return 0;
}

/* The api/v1/Mail body (rmail_wire.c builds it).  TimeZoneOffset is this
 * host's offset at send time, "+hh:mm" as RPost's help page for
 * api/v1/Mail defines it.  Large mail is IsLargeMail: true alone, the one
 * path that page describes (no LargeFileTransfer, no X-RPost-LargeMail:
 * those belong to RPost's add-on's SMTP path). */
static struct json_object *mail_body(struct attempt *a, bool large)
{
	struct json_object *opts = json_object_new_object(), *m = NULL;
	char *to = jobspec_join_addresses(&a->spec.to), *cc = jobspec_join_addresses(&a->spec.cc);
	char *bcc = jobspec_join_addresses(&a->spec.bcc);
	const char **ids = calloc(a->nfiles ? a->nfiles : 1, sizeof(*ids));
	char tz[RMAIL_TZ_LEN];
	time_t now = time(NULL);
	struct tm tm;

	rmail_tz_offset(localtime_r(&now, &tm) ? tm.tm_gmtoff : 0, tz);
	for (size_t i = 0; ids && i < a->nfiles; i++)
		ids[i] = a->upload_ids[i];
	if (opts && to && cc && bcc && ids &&
	    jobspec_rmail_options(&a->spec, a->job->id, a->ctx->cfg->rmail_app_name, opts) == 0) {
		struct rmail_mail mail = {
		    .to = to,
		    .cc = cc,
		    .bcc = bcc,
		    .subject = a->spec.subject,
		    .body = a->spec.body,
		    .tz_offset = tz,
		    .attachments = ids,
		    .nattachments = a->nfiles,
		    .options = opts,
		    .large = large,
		};
		m = rmail_mail_json(&mail);
	}
	json_object_put(opts);
	free(ids);
	free(to);
	free(cc);
	free(bcc);
	return m;
}

static enum send_outcome fail_now(struct attempt *a, const char *code, const char *message)
{
	return give_up(a, code, message);
}

/*
 * Asks RMail whether an earlier attempt got through (DESIGN 3.5): over the
 * window from the first attempt to now, matching our CustomerTrackingId
 * (the job id) in the results, since it is not a MessageStatus filter.
 * Returns SEND_SENT when RMail has it, SEND_CHECK_LATER when the answer is
 * unclear, and SEND_RETRY to mean "clearly not there: go on and send".
 */
static enum send_outcome reconcile(struct attempt *a)
{
	struct send_ctx *ctx = a->ctx;
	struct queued_job *j = a->job;
	struct rmail_result res = {0};
	char tracking_id[128];
	long now = (long)time(NULL);
	int found = 0;
	/* From the one Mail request not yet ruled out (an earlier one was,
	 * by MessageStatus, before it went out); from the submit for a job
	 * queued before migration 010 stamped requests. */
	long since = j->mail_requested_epoch > 0 ? j->mail_requested_epoch : j->first_try_epoch;
	int rc = rmail_find_by_customer_id(
	    ctx->rmail, a->token, j->id, since - STATUS_MARGIN_SECONDS, now + STATUS_MARGIN_SECONDS,
	    &found, tracking_id, sizeof(tracking_id), &res);
	enum rmail_lookup l = rmail_lookup_decide(rc == 0, found, now, j->requeued_epoch,
	                                          ctx->cfg->rmail_status_settle);

	sp_log(l == RMAIL_LOOKUP_UNCLEAR ? LOG_WARN : LOG_INFO, "rmail_lookup", "job_id", j->id,
	       "outcome", rmail_lookup_name(l), "kind",
	       rc == 0 ? "answered" : rmail_strerror(res.err), "%http_status",
	       LOG_NUM(res.http_status), "%attempt", LOG_NUM(j->attempts), NULL);
	if (a->lease_lost)
		return SEND_LEASE_LOST;
	switch (l) {
	case RMAIL_LOOKUP_FOUND:
		return record_sent(a, tracking_id, 0, "found_at_rmail");
	case RMAIL_LOOKUP_UNCLEAR:
		/* Never re-send on a guess, never fail on it: ask again, and
		 * spend no attempt on it, until the horizon (then
		 * delivery_unknown, never failed). */
		return check_later(a, res.retry_after, 0, "rmail_status_unclear",
		                   "Waiting for RMail to confirm whether it already has this "
		                   "message.");
	case RMAIL_LOOKUP_ABSENT:
		/* RMail's clear no: what went out before is not there. */
		j->mail_maybe_sent = 0;
		break;
	}
	return SEND_RETRY;
}

static enum send_outcome attempt_run(struct attempt *a)
{
	struct send_ctx *ctx = a->ctx;
	struct queued_job *j = a->job;
	struct rmail_result res;
	struct jobspec_error jerr;
	struct json_object *spec_obj, *mail;
	char tracking_id[128], msg[256];
	enum lc_result lrc;
	bool large;
	int rc;

	spec_obj = json_tokener_parse(j->spec_json);
	rc = spec_obj ? jobspec_from_json(spec_obj, &a->spec, &jerr) : JOBSPEC_ERR_JSON;
	json_object_put(spec_obj);
	if (rc != JOBSPEC_OK)
		return fail_now(a, "invalid_job", "The stored job no longer validates.");
	if ((rc = token_open(a)) != 0) {
		if (rc < 0)
			return own_outage(a, OUTAGE_DB);
		return fail_now(a, "rmail_auth_expired",
		                "The RMail sign-in for this job is gone; sign in and resend.");
	}

	/* An earlier Mail request may have reached RMail before we heard
	 * back: ask before anything goes out again. */
	if (j->mail_maybe_sent) {
		enum send_outcome o = reconcile(a);
		if (o != SEND_RETRY)
			return o;
	}

	if (docstore_files(ctx->db, j->id, &a->files, &a->nfiles) != 0)
		return own_outage(a, OUTAGE_DB);
	if (a->nfiles == 0 || a->nfiles > MAX_FILES)
		return fail_now(a, "integrity_error", "The job's document is missing.");
	if ((a->upload_ids = calloc(a->nfiles, sizeof(*a->upload_ids))) == NULL)
		return SEND_DB_ERROR;
	for (size_t i = 0; i < a->nfiles; i++)
		a->total_bytes += a->files[i].bytes;

	large = a->spec.choice[JOBSPEC_LARGE_MAIL] == JOBSPEC_LARGE_MAIL_FORCE ||
	        a->total_bytes > (uint64_t)ctx->cfg->large_mail_threshold;
	/* RMail's add-on never sends e-sign as large mail (jobspec.h). */
	if (large && a->spec.registered.esign) {
		snprintf(msg, sizeof(msg),
		         "E-sign goes as ordinary mail, up to %ld MB; this scan is %llu MB. "
		         "Scan fewer pages, or send it without e-sign.",
		         ctx->cfg->large_mail_threshold / (1024 * 1024),
		         (unsigned long long)((a->total_bytes + 1024 * 1024 - 1) / (1024 * 1024)));
		return fail_now(a, "esign_too_large", msg);
	}

	if (upload_files(a, &res) != 0)
		return rmail_failure(a, &res, "Upload", 0);

	if ((mail = mail_body(a, large)) == NULL)
		return SEND_DB_ERROR;
	/* From here RMail may have it: stamped and committed first, so that
	 * no later failure, kill or outage can call the job failed or send it
	 * twice without asking MessageStatus. */
	RECORD(a, lrc, lifecycle_mail_requested(ctx->db, j, ctx->lease_owner));
	switch (lrc) {
	case LC_OK:
		break;
	case LC_LEASE_LOST:
		json_object_put(mail);
		return SEND_LEASE_LOST;
	default:
		json_object_put(mail);
		return own_outage(a, OUTAGE_DB);
	}
	j->mail_maybe_sent = 1;
	rc = rmail_send_mail(ctx->rmail, a->token, mail, tracking_id, sizeof(tracking_id), &res);
	json_object_put(mail);
	if (rc != 0)
		return rmail_failure(a, &res, "Mail", 1);
	return record_sent(a, tracking_id, large, "mail_accepted");
}

enum send_outcome send_job(struct send_ctx *ctx, struct queued_job *j)
{
	struct attempt a;
	enum send_outcome o;

	memset(&a, 0, sizeof(a));
	a.ctx = ctx;
	a.job = j;
	a.lease_renewed = time(NULL);
	rmail_set_progress(ctx->rmail, lease_heartbeat, &a);
	o = attempt_run(&a);
	rmail_set_progress(ctx->rmail, NULL, NULL);
	attempt_free(&a);
	return o;
}
