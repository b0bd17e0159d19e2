/*
 * h_jobs.c - create, read, list, submit and cancel jobs (DESIGN 3.1, 2
 * steps 6-7).  Validation is jobspec's, the template is template's; this
 * file only joins them to the session and the store.
 */
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "filingstore.h"
#include "jobs.h"
#include "jobs_api.h"
#include "jobspec.h"
#include "jobstate.h"
#include "lifecycle.h"
#include "log.h"
#include "template.h"

#define JOBS_LIST_LIMIT 50

/* "https://host:port/..." -> "host:port" (the template's RepositoryName). */
static int base_url_host(const char *base, char *host, size_t len)
{
	const char *p = strstr(base, "://");
	size_t n;

	p = p ? p + 3 : base;
	n = strcspn(p, "/");
	if (n == 0 || n >= len)
		return -1;
	memcpy(host, p, n);
	host[n] = '\0';
	return 0;
}

static char *addresses_json(const struct jobspec_addrs *a)
{
	struct json_object *arr = json_object_new_array();
	char *text;

	for (size_t i = 0; i < a->n; i++)
		json_object_array_add(arr, json_object_new_string(a->addr[i]));
	text = strdup(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN));
	json_object_put(arr);
	return text;
}

/* The settings column: the normalized registered and scan objects. */
static char *settings_json(const struct jobspec *js)
{
	struct json_object *all = jobspec_to_json(js), *out = json_object_new_object(), *v;
	char *text;

	if (all == NULL)
		return NULL;
	if (json_object_object_get_ex(all, "registered", &v))
		json_object_object_add(out, "registered", json_object_get(v));
	if (json_object_object_get_ex(all, "scan", &v))
		json_object_object_add(out, "scan", json_object_get(v));
	text = strdup(json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN));
	json_object_put(out);
	json_object_put(all);
	return text;
}

void h_jobs_create(struct req *r)
{
	struct jobspec js;
	struct jobspec_error jerr;
	char *body = NULL, *tmpl = NULL, *to = NULL, *cc = NULL, *bcc = NULL, *settings = NULL;
	size_t len = 0;
	uint8_t id_bin[16], token[32], token_hash[32];
	char id[UUID_STR_LEN], token_text[B64URL_LEN(32) + 1], path[160], host[300];
	char url[1200], expires[40], msg[JOBSPEC_FIELD_MAX + JOBSPEC_MESSAGE_MAX + 4];
	enum jobspec_err je;

	memset(&js, 0, sizeof(js));
	if (req_require_json(r) != 0 ||
	    req_read_body(r, (size_t)r->cfg->api_max_body, &body, &len) != 0)
		goto out;
	if ((je = jobspec_parse(body, len, &js, &jerr)) != JOBSPEC_OK) {
		if (je == JOBSPEC_ERR_NOMEM) {
			reply_error(r, APIERR_NOT_READY, NULL);
		} else {
			snprintf(msg, sizeof(msg), "%s%s%s", jerr.field, jerr.field[0] ? ": " : "",
			         jerr.message);
			reply_error(
			    r, je == JOBSPEC_ERR_JSON ? APIERR_INVALID_JSON : APIERR_VALIDATION,
			    msg);
		}
		goto out;
	}
	if (policy_check_job(r, body, len, &js) != 0)
		goto out;
	if (uuid_random(id_bin, id) != 0 || sp_random(token, sizeof(token)) != 0 ||
	    base_url_host(r->cfg->public_base_url, host, sizeof(host)) != 0) {
		reply_error(r, APIERR_NOT_READY, NULL);
		goto out;
	}
	b64url_encode(token, sizeof(token), token_text);
	SHA256(token, sizeof(token), token_hash);
	snprintf(path, sizeof(path), "/scan/%s/%s", id, token_text);
	snprintf(url, sizeof(url), "%s%s", r->cfg->public_base_url, path);
	if (template_build(&js, host, path, &tmpl) != TEMPLATE_OK) {
		sp_log(LOG_ERROR, "template_failed", "host", host, NULL);
		reply_error(r, APIERR_NOT_READY, "The scan template could not be made.");
		goto out;
	}
	to = addresses_json(&js.to);
	cc = addresses_json(&js.cc);
	bcc = addresses_json(&js.bcc);
	settings = settings_json(&js);
	if (!to || !cc || !bcc || !settings) {
		reply_error(r, APIERR_NOT_READY, NULL);
		goto out;
	}
	struct job_new j = {
	    .id = id,
	    .session_id = r->session.id,
	    .owner = r->session.user,
	    .to_json = to,
	    .cc_json = cc,
	    .bcc_json = bcc,
	    .subject = js.subject,
	    .body = js.body,
	    .settings_json = settings,
	    .upload_token_hash = token_hash,
	    .upload_ttl = r->cfg->upload_ttl,
	    .max_attempts = r->cfg->sender_max_attempts,
	    .open_max = r->cfg->jobs_open_max,
	};
	struct lc_who who = {r->session.user, r->session.id, r->request_id};
	enum lc_result created = lifecycle_job_create(r->w->db, &j, &who, expires, sizeof(expires));
	if (created == LC_TOO_MANY_JOBS) {
		sp_log(LOG_WARN, "job_refused", "user", r->session.user, "reason",
		       lifecycle_strerror(created), "%open_max", LOG_NUM(r->cfg->jobs_open_max),
		       NULL);
		snprintf(
		    msg, sizeof(msg),
		    "You have %ld unfinished jobs, as many as allowed; send or cancel one first.",
		    r->cfg->jobs_open_max);
		reply_error(r, APIERR_TOO_MANY_JOBS, msg);
		goto out;
	}
	if (created != LC_OK) {
		sp_log(LOG_ERROR, "job_create_failed", "error", db_error(r->w->db), NULL);
		reply_error(r, APIERR_NOT_READY, NULL);
		goto out;
	}
	sp_log(LOG_INFO, "job_created", "job_id", id, "user", r->session.user, "%recipients",
	       LOG_NUM(js.to.n + js.cc.n + js.bcc.n), NULL);

	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "state",
	                       json_object_new_string(job_state_name(JOB_AWAITING_SCAN)));
	json_object_object_add(o, "upload_url", json_object_new_string(url));
	json_object_object_add(o, "upload_expires_at", json_object_new_string(expires));
	json_object_object_add(o, "template", json_object_new_string(tmpl));
	reply_json(r, 201, o, NULL);
	json_object_put(o);
out:
	/* The upload token is a credential: only its hash is kept. */
	OPENSSL_cleanse(token, sizeof(token));
	OPENSSL_cleanse(token_text, sizeof(token_text));
	OPENSSL_cleanse(url, sizeof(url));
	OPENSSL_cleanse(path, sizeof(path));
	if (tmpl) {
		OPENSSL_cleanse(tmpl, strlen(tmpl));
		free(tmpl);
	}
	jobspec_free(&js);
	free(to);
	free(cc);
	free(bcc);
	free(settings);
	free(body);
}

/* A job id in the path that is not a UUID cannot be anybody's job. */
static int job_id_param(struct req *r)
{
	uint8_t bin[16];

	if (uuid_parse(r->params[0], bin) != 0) {
		reply_error(r, APIERR_NOT_FOUND, "No such job.");
		return -1;
	}
	return 0;
}

static void reply_jobs_result(struct req *r, enum lc_result rc)
{
	switch (rc) {
	case LC_NOT_FOUND:
		reply_error(r, APIERR_NOT_FOUND, "No such job.");
		break;
	case LC_WRONG_STATE:
		reply_error(r, APIERR_WRONG_STATE, NULL);
		break;
	case LC_NOTHING_UPLOADED:
		reply_error(r, APIERR_NOTHING_UPLOADED, NULL);
		break;
	case LC_SCAN_INCOMPLETE:
		reply_error(r, APIERR_SCAN_INCOMPLETE, NULL);
		break;
	default:
		sp_log(LOG_ERROR, "job_query_failed", "error", db_error(r->w->db), NULL);
		reply_error(r, APIERR_NOT_READY, NULL);
		break;
	}
}

static void reply_json_text(struct req *r, int status, const char *text)
{
	reply_raw(r, status, "application/json; charset=utf-8", text, strlen(text));
}

void h_job_get(struct req *r)
{
	char *json = NULL;
	int rc;

	if (job_id_param(r) != 0)
		return;
	if (r->job_read) { /* read with the session, for its user (request_authorize) */
		if (r->job_json)
			reply_json_text(r, 200, r->job_json);
		else
			reply_jobs_result(r, LC_NOT_FOUND);
		return;
	}
	rc = jobs_get_json(r->w->db, r->params[0], r->session.user, &json);
	if (rc == 0)
		reply_json_text(r, 200, json);
	else
		reply_jobs_result(r, rc > 0 ? LC_NOT_FOUND : LC_DB_ERROR);
	free(json);
}

void h_jobs_list(struct req *r)
{
	char *json = NULL, *wrapped;
	size_t n;

	if (jobs_list_json(r->w->db, r->session.user, JOBS_LIST_LIMIT, &json) != 0) {
		reply_jobs_result(r, LC_DB_ERROR);
		return;
	}
	n = strlen(json) + 16;
	if ((wrapped = malloc(n)) == NULL) {
		reply_error(r, APIERR_NOT_READY, NULL);
	} else {
		snprintf(wrapped, n, "{\"jobs\":%s}", json);
		reply_json_text(r, 200, wrapped);
		free(wrapped);
	}
	free(json);
}

/* How long submit waits for the device's job log (cgi/h_scan.c): the
 * device files it right after the last file, so it is normally in before
 * the weblet sees Completed; a slow link gets this much more. */
#define SUBMIT_JOB_LOG_WAIT_MS 15000

void h_job_submit(struct req *r)
{
	struct lc_who who = {r->session.user, r->session.id, r->request_id};
	struct json_object *o;
	enum lc_result rc;

	if (job_id_param(r) != 0)
		return;
	/* The person's Completed and the device's job log must agree before a
	 * job is sent (h_scan.c).  Wait a bounded time for the job log here,
	 * outside any transaction; the submit move itself requires it
	 * (LC_SCAN_INCOMPLETE), so a job without it stays awaiting its scan and
	 * the weblet may ask again while the upload link lives. */
	if (filingstore_wait_job_log(r->w->db, r->params[0], r->session.user,
	                             SUBMIT_JOB_LOG_WAIT_MS) == FS_WAIT_ERROR) {
		reply_jobs_result(r, LC_DB_ERROR);
		return;
	}
	rc = lifecycle_job_submit(r->w->db, r->params[0], r->session.user, &who);
	if (rc == LC_SCAN_INCOMPLETE)
		sp_log(LOG_WARN, "submit_without_job_log", "job_id", r->params[0], NULL);
	if (rc != LC_OK) {
		reply_jobs_result(r, rc);
		return;
	}
	sp_log(LOG_INFO, "job_submitted", "job_id", r->params[0], NULL);
	o = json_object_new_object();
	json_object_object_add(
	    o, "state", json_object_new_string(job_state_name(job_move_target(JOB_MOVE_SUBMIT))));
	reply_json(r, 202, o, NULL);
	json_object_put(o);
}

void h_job_delete(struct req *r)
{
	struct lc_who who = {r->session.user, r->session.id, r->request_id};
	enum lc_result rc;

	if (job_id_param(r) != 0)
		return;
	rc = lifecycle_job_cancel(r->w->db, r->params[0], r->session.user, &who);
	if (rc != LC_OK) {
		reply_jobs_result(r, rc);
		return;
	}
	sp_log(LOG_INFO, "job_canceled", "job_id", r->params[0], NULL);
	reply_empty(r, 204, NULL);
}
