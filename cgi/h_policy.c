/*
 * h_policy.c - the administrator's policy in the api (issue 12): what the
 * weblet is told to show (GET /api/v1/policy) and the check of every job
 * request against it (POST /api/v1/jobs).  The rules are policy.c's; this
 * file holds the live policy of the process and answers.
 */
#include <stdio.h>
#include <string.h>

#include "handlers.h"
#include "jobs_api.h"
#include "log.h"
#include "policy.h"

/* One per process: re-read when policy_file (CFG_RELOAD) or the file changes. */
static struct policy_store store = POLICY_STORE_INIT;

/* The policy in force, or NULL answered 503: without the administrator's
 * rules no job is made (a clinic's forced encryption must not lapse). */
static const struct policy *policy_for(struct req *r)
{
	char err[512];
	const struct policy *p = policy_store_get(&store, r->cfg->policy_file, err, sizeof(err));

	if (!p) {
		sp_log(LOG_ERROR, "policy_unavailable", "error", err, NULL);
		reply_error(r, APIERR_NOT_READY, "The administrator's policy cannot be read.");
	}
	return p;
}

void h_policy_get(struct req *r)
{
	const struct policy *p = policy_for(r);
	struct json_object *o;

	if (!p)
		return;
	if ((o = policy_to_json(p)) == NULL) {
		reply_error(r, APIERR_NOT_READY, NULL);
	} else {
		reply_json(r, 200, o, "Cache-Control: no-store\r\n");
		json_object_put(o);
	}
	policy_release(p);
}

/* {"error": {code, message, rule, fields: [...]}}: the rule and the
 * fields that break it, so the weblet (and an API client) can name them. */
static void reply_violation(struct req *r, enum api_err err, const struct policy_violation *v)
{
	struct json_object *o = json_object_new_object(), *e = json_object_new_object();
	struct json_object *fields = json_object_new_array();
	char msg[sizeof(v->message) + 300];
	size_t used;

	used = (size_t)snprintf(msg, sizeof(msg), "%s", v->message);
	for (size_t i = 0; i < v->nfields && used < sizeof(msg); i++) {
		used += (size_t)snprintf(msg + used, sizeof(msg) - used, "%s%s", i ? ", " : " (",
		                         v->fields[i]);
		json_object_array_add(fields, json_object_new_string(v->fields[i]));
	}
	if (v->nfields && used < sizeof(msg))
		snprintf(msg + used, sizeof(msg) - used, "%s)", v->more_fields ? ", ..." : "");
	json_object_object_add(e, "code", json_object_new_string(api_err_code(err)));
	json_object_object_add(e, "message", json_object_new_string(msg));
	json_object_object_add(e, "rule", json_object_new_string(v->rule));
	json_object_object_add(e, "fields", fields);
	json_object_object_add(o, "error", e);
	reply_json(r, api_err_status(err), o, NULL);
	json_object_put(o);
	sp_log(LOG_INFO, "policy_refused", "rule", v->rule, "user", r->session.user, NULL);
}

int policy_check_job(struct req *r, const char *body, size_t len, struct jobspec *js)
{
	const struct policy *p;
	struct json_object *req;
	struct policy_violation v;
	struct jobspec_error jerr;
	enum policy_verdict verdict;
	enum jobspec_err je;
	char msg[JOBSPEC_FIELD_MAX + JOBSPEC_MESSAGE_MAX + 4];
	int rc = -1;

	if ((p = policy_for(r)) == NULL)
		return -1;
	/* jobspec_parse took this body already: it is one strict JSON object. */
	req = json_tokener_parse(body);
	(void)len;
	if (!json_object_is_type(req, json_type_object)) {
		reply_error(r, APIERR_NOT_READY, NULL);
		goto out;
	}
	verdict = policy_apply(p, req, r->session.user, &v);
	if (verdict == POLICY_VIOLATION || verdict == POLICY_CONFIRM) {
		reply_violation(
		    r, verdict == POLICY_CONFIRM ? APIERR_POLICY_CONFIRM : APIERR_POLICY_VIOLATION,
		    &v);
		goto out;
	}
	if (verdict != POLICY_OK) {
		reply_error(r, APIERR_NOT_READY, NULL);
		goto out;
	}
	/* The job as the policy made it: defaults and locks filled in, the
	 * sender's copy added; jobspec checks the whole again (a default may not
	 * combine with what the person chose: named as any invalid field). */
	jobspec_free(js);
	if ((je = jobspec_from_json(req, js, &jerr)) != JOBSPEC_OK) {
		if (je == JOBSPEC_ERR_NOMEM) {
			reply_error(r, APIERR_NOT_READY, NULL);
		} else {
			snprintf(msg, sizeof(msg), "%s%s%s", jerr.field, jerr.field[0] ? ": " : "",
			         jerr.message);
			reply_error(r, APIERR_VALIDATION, msg);
		}
		goto out;
	}
	rc = 0;
out:
	json_object_put(req);
	policy_release(p);
	return rc;
}
