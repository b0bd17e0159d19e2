/*
 * sendjob.c - one job, from sealed chunks to an RMail TrackingId.
 */
#include "sendjob.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "docstore.h"
#include "jobspec.h"
#include "jobstate.h"
#include "lifecycle.h"
#include "log.h"
#include "sessions.h"

#define MAX_FILES 512

static const char *const outcome_names[] = {
    [SEND_RETRY] = "retry",
    [SEND_LEASE_LOST] = "lease_lost",
    [SEND_DB_ERROR] = "db_error",
};

/* A job sent or failed is named by its state (jobstate.c owns the names). */
const char *send_outcome_name(enum send_outcome o)
{
	if (o == SEND_SENT)
		return job_state_name(JOB_SENT);
	if (o == SEND_FAILED)
		return job_state_name(JOB_FAILED);
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
	}
	return n;
}

/* Records a failed RMail call: retry (transient) or fail (permanent). */
static enum send_outcome rmail_failure(struct attempt *a, const struct rmail_result *res,
                                       const char *step)
{
	struct send_ctx *ctx = a->ctx;
	char msg[320];
	const char *code;
	enum lc_result rc;
	int failed = 0;

	if (a->lease_lost)
		return SEND_LEASE_LOST;
	/* The person reads this: RMail's own words; the step is in the log. */
	snprintf(msg, sizeof(msg), "%s", res->message);
	sp_log(LOG_WARN, "rmail_call_failed", "job_id", a->job->id, "step", step, "kind",
	       rmail_strerror(res->err), "%http_status", LOG_NUM(res->http_status), "%attempt",
	       LOG_NUM(a->job->attempts), NULL);
	if (a->integrity_error) {
		rc = lifecycle_fail(ctx->db, a->job, ctx->lease_owner, "integrity_error",
		                    "The stored document failed its integrity check; "
		                    "nothing was sent.");
		return outcome_of(rc, SEND_FAILED);
	}
	if (rmail_err_transient(res->err)) {
		code = res->err == RMAIL_RATE_LIMITED ? "rmail_rate_limited" : "rmail_unavailable";
		rc = lifecycle_retry(ctx->db, a->job, ctx->lease_owner,
		                     queue_backoff_ms(ctx->cfg->sender_retry_base, a->job->attempts,
		                                      res->retry_after),
		                     code, msg, &failed);
		return outcome_of(rc, failed ? SEND_FAILED : SEND_RETRY);
	}
	code = res->err == RMAIL_UNAUTHORIZED ? "rmail_auth_expired" : "rmail_rejected";
	if (res->err == RMAIL_UNAUTHORIZED)
		snprintf(msg, sizeof(msg),
		         "RMail no longer accepts the sign-in; sign in again "
		         "and resend.");
	rc = lifecycle_fail(ctx->db, a->job, ctx->lease_owner, code, msg);
	return outcome_of(rc, SEND_FAILED);
}

static enum send_outcome record_sent(struct attempt *a, const char *tracking_id, int large,
                                     const char *how)
{
	enum lc_result rc =
	    lifecycle_mark_sent(a->ctx->db, a->job, a->ctx->lease_owner, tracking_id, large, how);

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
			/* A database failure may pass; a key that does not
			 * unwrap (gone, or size or digest changed) never will. */
			a->integrity_error = rc > 0;
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

static struct json_object *mail_body(struct attempt *a, const char *large_key)
{
	struct json_object *m = json_object_new_object(), *ids = json_object_new_array();
	struct json_object *opts = json_object_new_object();
	char *to = jobspec_join_addresses(&a->spec.to), *cc = jobspec_join_addresses(&a->spec.cc);
	char *bcc = jobspec_join_addresses(&a->spec.bcc);

	for (size_t i = 0; i < a->nfiles; i++)
		json_object_array_add(ids, json_object_new_string(a->upload_ids[i]));
	jobspec_rmail_options(&a->spec, a->job->id, a->ctx->cfg->rmail_app_name, large_key, opts);
	json_object_object_add(m, "To", json_object_new_string(to ? to : ""));
	json_object_object_add(m, "Cc", json_object_new_string(cc ? cc : ""));
	json_object_object_add(m, "Bcc", json_object_new_string(bcc ? bcc : ""));
	json_object_object_add(m, "Subject", json_object_new_string(a->spec.subject));
	json_object_object_add(m, "Body", json_object_new_string(a->spec.body));
	json_object_object_add(m, "TimeZoneOffset", json_object_new_string("0"));
	json_object_object_add(m, "Attachments", ids);
	json_object_object_add(m, "Options", opts);
	json_object_object_add(m, "IsLargeMail", json_object_new_boolean(large_key != NULL));
	free(to);
	free(cc);
	free(bcc);
	return m;
}

static enum send_outcome fail_now(struct attempt *a, const char *code, const char *message)
{
	enum lc_result rc = lifecycle_fail(a->ctx->db, a->job, a->ctx->lease_owner, code, message);

	sp_log(LOG_WARN, "job_failed", "job_id", a->job->id, "code", code, NULL);
	return outcome_of(rc, SEND_FAILED);
}

static enum send_outcome attempt_run(struct attempt *a)
{
	struct send_ctx *ctx = a->ctx;
	struct queued_job *j = a->job;
	struct rmail_result res;
	struct jobspec_error jerr;
	struct json_object *spec_obj, *mail;
	char tracking_id[128], large_key[256];
	int found = 0, large, rc;

	spec_obj = json_tokener_parse(j->spec_json);
	rc = spec_obj ? jobspec_from_json(spec_obj, &a->spec, &jerr) : JOBSPEC_ERR_JSON;
	json_object_put(spec_obj);
	if (rc != JOBSPEC_OK)
		return fail_now(a, "invalid_job", "The stored job no longer validates.");
	if ((rc = token_open(a)) != 0) {
		if (rc < 0)
			return SEND_DB_ERROR;
		return fail_now(a, "rmail_auth_expired",
		                "The RMail sign-in for this job is gone; sign in and resend.");
	}

	/* An earlier try may have reached RMail before we heard back: ask by
	 * our idempotency key (the job id) before sending anything again. */
	if (j->attempts > 1) {
		if (rmail_find_by_customer_id(ctx->rmail, a->token, j->id, j->first_try_epoch,
		                              &found, tracking_id, sizeof(tracking_id), &res) != 0)
			return rmail_failure(a, &res, "MessageStatus");
		if (found)
			return record_sent(a, tracking_id, 0, "found_at_rmail");
	}
	if (j->attempts > j->max_attempts)
		return fail_now(a, "too_many_attempts",
		                "RMail could not be reached after every retry.");

	if (docstore_files(ctx->db, j->id, &a->files, &a->nfiles) != 0)
		return SEND_DB_ERROR;
	if (a->nfiles == 0 || a->nfiles > MAX_FILES)
		return fail_now(a, "integrity_error", "The job's document is missing.");
	if ((a->upload_ids = calloc(a->nfiles, sizeof(*a->upload_ids))) == NULL)
		return SEND_DB_ERROR;
	for (size_t i = 0; i < a->nfiles; i++)
		a->total_bytes += a->files[i].bytes;

	if (upload_files(a, &res) != 0)
		return rmail_failure(a, &res, "Upload");

	large = a->spec.choice[JOBSPEC_LARGE_MAIL] == JOBSPEC_LARGE_MAIL_FORCE ||
	        a->total_bytes > (uint64_t)ctx->cfg->large_mail_threshold;
	if (large) {
		const char **ids = calloc(a->nfiles, sizeof(*ids));
		if (ids == NULL)
			return SEND_DB_ERROR;
		for (size_t i = 0; i < a->nfiles; i++)
			ids[i] = a->upload_ids[i];
		rc = rmail_large_file_transfer(ctx->rmail, a->token, ids, a->nfiles, j->owner,
		                               large_key, sizeof(large_key), &res);
		free(ids);
		if (rc != 0)
			return rmail_failure(a, &res, "LargeFileTransfer");
	}
	mail = mail_body(a, large ? large_key : NULL);
	rc = rmail_send_mail(ctx->rmail, a->token, mail, tracking_id, sizeof(tracking_id), &res);
	json_object_put(mail);
	if (rc != 0)
		return rmail_failure(a, &res, "Mail");
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
