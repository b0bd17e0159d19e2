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

/* Counts scanned bytes stored, for /metrics. */
void metrics_upload_bytes(unsigned long long n);

#endif
