/*
 * jobstate.c - the state table and the move table (see jobstate.h).
 */
#include "jobstate.h"

#include <stdio.h>
#include <string.h>

#define S(x) (1u << (x))

static const struct {
	const char *name;
	unsigned flags;
} states[JOB_STATE__MAX] = {
    [JOB_AWAITING_SCAN] = {"awaiting_scan", 0},
    [JOB_QUEUED] = {"queued", JOB_FLAG_NEEDS_TOKEN},
    [JOB_SENDING] = {"sending", JOB_FLAG_NEEDS_TOKEN},
    [JOB_SENT] = {"sent", JOB_FLAG_FINISHED},
    [JOB_FAILED] = {"failed", JOB_FLAG_FINISHED | JOB_FLAG_RETAINED},
    [JOB_CANCELED] = {"canceled", JOB_FLAG_FINISHED},
    [JOB_EXPIRED] = {"expired", JOB_FLAG_FINISHED},
    [JOB_DELIVERY_UNKNOWN] = {"delivery_unknown", JOB_FLAG_FINISHED | JOB_FLAG_RETAINED},
};

/* Only an upload is submitted; a failed job goes back to the queue through
 * the administrator's requeue (scanpostctl queue retry), and so does one
 * whose delivery is unknown (its next claim asks RMail first).  A job
 * being sent cannot be canceled: RMail may already have it. */
static const struct {
	const char *name;
	unsigned from; /* S(state) bits */
	enum job_state to;
	const char *audit_event;
} moves[JOB_MOVE__MAX] = {
    [JOB_MOVE_SUBMIT] = {"submit", S(JOB_AWAITING_SCAN), JOB_QUEUED, "job_submitted"},
    [JOB_MOVE_CLAIM] = {"claim", S(JOB_QUEUED), JOB_SENDING, "send_started"},
    [JOB_MOVE_MARK_SENT] = {"mark_sent", S(JOB_SENDING), JOB_SENT, "sent"},
    [JOB_MOVE_RETRY] = {"retry", S(JOB_SENDING), JOB_QUEUED, "send_retry"},
    /* No verdict: RMail may have it, MessageStatus is asked first. */
    [JOB_MOVE_CHECK_LATER] = {"check_later", S(JOB_SENDING), JOB_QUEUED, "send_check_later"},
    /* Our own outage (database, keys): back to the queue, no attempt spent. */
    [JOB_MOVE_DEFER] = {"defer", S(JOB_SENDING), JOB_QUEUED, "send_deferred"},
    [JOB_MOVE_RESCUE] = {"rescue", S(JOB_SENDING), JOB_QUEUED, "lease_rescued"},
    [JOB_MOVE_FAIL] = {"fail", S(JOB_SENDING), JOB_FAILED, "send_failed"},
    /* The retry horizon passed with no answer from RMail: never "failed". */
    [JOB_MOVE_GIVE_UP_UNKNOWN] = {"give_up_unknown", S(JOB_SENDING), JOB_DELIVERY_UNKNOWN,
                                  "delivery_unknown"},
    [JOB_MOVE_REQUEUE] = {"requeue", S(JOB_FAILED) | S(JOB_DELIVERY_UNKNOWN), JOB_QUEUED,
                          "job_retried"},
    [JOB_MOVE_CANCEL] = {"cancel", S(JOB_AWAITING_SCAN) | S(JOB_QUEUED), JOB_CANCELED,
                         "job_canceled"},
    [JOB_MOVE_EXPIRE] = {"expire", S(JOB_AWAITING_SCAN), JOB_EXPIRED, "upload_expired"},
};

const char *job_state_name(enum job_state s)
{
	return (unsigned)s < JOB_STATE__MAX ? states[s].name : "unknown";
}

int job_state_parse(const char *name, enum job_state *out)
{
	for (int i = 0; i < JOB_STATE__MAX; i++) {
		if (strcmp(states[i].name, name) == 0) {
			*out = (enum job_state)i;
			return 0;
		}
	}
	return -1;
}

int job_state_allows(enum job_state from, enum job_state to)
{
	if ((unsigned)from >= JOB_STATE__MAX || (unsigned)to >= JOB_STATE__MAX)
		return 0;
	for (int m = 0; m < JOB_MOVE__MAX; m++)
		if (moves[m].to == to && (moves[m].from & S(from)))
			return 1;
	return 0;
}

int job_state_terminal(enum job_state s)
{
	for (int to = 0; to < JOB_STATE__MAX; to++)
		if (job_state_allows(s, (enum job_state)to))
			return 0;
	return 1;
}

int job_state_has(enum job_state s, enum job_state_flag flag)
{
	return (unsigned)s < JOB_STATE__MAX && (states[s].flags & (unsigned)flag) != 0;
}

/* "{a,b}" of the states whose bit is set in mask. */
static void list_of(unsigned mask, char *out, size_t len)
{
	size_t n = 0;

	if (len == 0)
		return;
	n += (size_t)snprintf(out, len, "{");
	for (int s = 0; s < JOB_STATE__MAX && n < len; s++)
		if (mask & S(s))
			n += (size_t)snprintf(out + n, len - n, "%s%s", n > 1 ? "," : "",
			                      states[s].name);
	if (n < len)
		snprintf(out + n, len - n, "}");
}

void job_state_list(enum job_state_flag flag, char *out, size_t len)
{
	unsigned mask = 0;

	for (int s = 0; s < JOB_STATE__MAX; s++)
		if (states[s].flags & (unsigned)flag)
			mask |= S(s);
	list_of(mask, out, len);
}

const char *job_move_name(enum job_move m)
{
	return (unsigned)m < JOB_MOVE__MAX ? moves[m].name : "unknown";
}

enum job_state job_move_target(enum job_move m)
{
	return (unsigned)m < JOB_MOVE__MAX ? moves[m].to : JOB_STATE__MAX;
}

int job_move_starts_from(enum job_move m, enum job_state s)
{
	return (unsigned)m < JOB_MOVE__MAX && (unsigned)s < JOB_STATE__MAX &&
	       (moves[m].from & S(s)) != 0;
}

void job_move_sources(enum job_move m, char *out, size_t len)
{
	list_of((unsigned)m < JOB_MOVE__MAX ? moves[m].from : 0, out, len);
}

void job_move_sources_except(enum job_move m, enum job_state_flag flag, char *out, size_t len)
{
	unsigned mask = (unsigned)m < JOB_MOVE__MAX ? moves[m].from : 0;

	for (int s = 0; s < JOB_STATE__MAX; s++)
		if (states[s].flags & (unsigned)flag)
			mask &= ~S(s);
	list_of(mask, out, len);
}

const char *job_move_audit_event(enum job_move m)
{
	return (unsigned)m < JOB_MOVE__MAX ? moves[m].audit_event : "unknown";
}

void job_state_names_text(char *out, size_t len)
{
	size_t n = 0;

	if (len == 0)
		return;
	out[0] = '\0';
	for (int s = 0; s < JOB_STATE__MAX && n < len; s++)
		n += (size_t)snprintf(out + n, len - n, "%s%s", s ? ", " : "", states[s].name);
}
