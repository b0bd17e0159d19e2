/*
 * jobs_api.h - handlers of the jobs API and the device's scan upload.
 */
#ifndef SCANPOST_JOBS_API_H
#define SCANPOST_JOBS_API_H

#include "request.h"

void h_jobs_create(struct req *r);
void h_jobs_list(struct req *r);
void h_job_get(struct req *r);
void h_job_submit(struct req *r);
void h_job_delete(struct req *r);
void h_scan_upload(struct req *r);
/* GET /api/v1/jobs/{id}/preview: page images of an uploaded job (h_preview.c). */
void h_job_preview(struct req *r);

struct jobspec;
/* The administrator's policy on a job body that jobspec_parse accepted into
 * js (cgi/h_policy.c): 0 with js replaced by the job as the policy makes it
 * (locks and defaults filled in, the sender's own copy added), or -1
 * answered (400 policy_violation, 409 policy_confirmation_required, 503). */
int policy_check_job(struct req *r, const char *body, size_t len, struct jobspec *js);

#endif
