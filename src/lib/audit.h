/*
 * audit.h - security-relevant events into scanpost.audit_events (DESIGN 3.7).
 */
#ifndef SCANPOST_AUDIT_H
#define SCANPOST_AUDIT_H

#include <json-c/json.h>

#include "db.h"

/* Records one event.  actor, session_id, job_id, request_id may be NULL;
 * detail is a JSON object built with json-c (so every value is escaped,
 * whatever bytes it came from), borrowed, or NULL for {}.  Never pass a
 * secret.  Runs inside the caller's transaction when one is open.  0 or -1. */
int audit_record_json(struct db *db, const char *event, const char *actor, const char *session_id,
                      const char *job_id, const char *request_id, struct json_object *detail);

/* The same with detail_json as text: only for text built by json-c or a
 * constant; a value from outside goes through audit_record_json. */
int audit_record(struct db *db, const char *event, const char *actor, const char *session_id,
                 const char *job_id, const char *request_id, const char *detail_json);

#endif
