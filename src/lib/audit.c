/*
 * audit.c - the one statement that writes audit events.
 */
#include "audit.h"

#include "log.h"

static const struct db_stmt stmt_audit_insert = {
    "audit_insert",
    "INSERT INTO scanpost.audit_events (event, actor, session_id, job_id, request_id, detail)"
    " VALUES ($1, $2, $3::uuid, $4::uuid, $5, coalesce($6::jsonb, '{}'))",
    6};

int audit_record(struct db *db, const char *event, const char *actor, const char *session_id,
                 const char *job_id, const char *request_id, const char *detail_json)
{
	const char *v[6] = {event, actor, session_id, job_id, request_id, detail_json};

	if (db_exec(db, &stmt_audit_insert, v) != 0) {
		sp_log(LOG_ERROR, "audit_failed", "audit_event", event, "error", db_error(db),
		       NULL);
		return -1;
	}
	return 0;
}

int audit_record_json(struct db *db, const char *event, const char *actor, const char *session_id,
                      const char *job_id, const char *request_id, struct json_object *detail)
{
	const char *text =
	    detail ? json_object_to_json_string_ext(detail, JSON_C_TO_STRING_PLAIN) : NULL;

	return audit_record(db, event, actor, session_id, job_id, request_id, text);
}
