/*
 * audit.h - security-relevant events into scanpost.audit_events (DESIGN 3.7).
 */
#ifndef SCANPOST_AUDIT_H
#define SCANPOST_AUDIT_H

#include "db.h"

/* Records one event.  actor, session_id, job_id, request_id may be NULL;
 * detail_json is a JSON object text or NULL for {}.  Never pass a secret.
 * Runs inside the caller's transaction when one is open.  0 or -1. */
int audit_record(struct db *db, const char *event, const char *actor, const char *session_id,
                 const char *job_id, const char *request_id, const char *detail_json);

#endif
