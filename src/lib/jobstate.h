/*
 * jobstate.h - job states and the transitions between them (DESIGN 3.1):
 *
 *   awaiting_scan -> queued -> sending -> sent
 *        |             |         |-> queued (retry, rescued lease)
 *        |             |         `-> failed -> queued (scanpostctl queue retry)
 *        |-> expired   `-> canceled
 *        `-> canceled
 *
 * The statements that move a job take their allowed source states from
 * this table (job_state_sources), so it is the one authority.
 */
#ifndef SCANPOST_JOBSTATE_H
#define SCANPOST_JOBSTATE_H

#include <stddef.h>

enum job_state {
	JOB_AWAITING_SCAN,
	JOB_QUEUED,
	JOB_SENDING,
	JOB_SENT,
	JOB_FAILED,
	JOB_CANCELED,
	JOB_EXPIRED,
	JOB_STATE__MAX
};

const char *job_state_name(enum job_state s);
/* 0 and *out set, or -1 for a name that is not a state. */
int job_state_parse(const char *name, enum job_state *out);
int job_state_allows(enum job_state from, enum job_state to);
/* Whether nothing can follow (sent, canceled, expired). */
int job_state_terminal(enum job_state s);
/* The PostgreSQL array literal of the states that may move to `to`,
 * e.g. "{awaiting_scan,queued}".  out should hold 128 bytes. */
void job_state_sources(enum job_state to, char *out, size_t len);

#endif
