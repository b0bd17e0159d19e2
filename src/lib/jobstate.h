/*
 * jobstate.h - job states and the named moves between them (DESIGN 3.1, 3.5):
 *
 *   awaiting_scan -submit-> queued -claim-> sending -mark_sent-> sent
 *        |                   |   ^            |-retry/check_later/defer/rescue-> queued
 *        |-expire-> expired  |   |            |-fail-> failed
 *        |-cancel-> canceled <-cancel         `-give_up_unknown-> delivery_unknown
 *                                  failed, delivery_unknown -requeue-> queued
 *
 * delivery_unknown (issue 10): the retry horizon passed while RMail may
 * have the message (a Mail request went out and RMail never said it does
 * not have it).  Never called failed: the person may not send it again.
 *
 * This file is the one authority on states: every statement that moves a
 * job takes the move's source states and its target from this table
 * (through src/lib/lifecycle.c, the only caller that changes a job), and no
 * other C file spells a state name (`make check-owners` checks it).  The
 * CHECK constraint of scanpost.jobs.state mirrors the names; a regress test
 * keeps the two equal.
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
	JOB_DELIVERY_UNKNOWN,
	JOB_STATE__MAX
};

/* What a state means for the data a job holds, one bit each. */
enum job_state_flag {
	JOB_FLAG_NEEDS_TOKEN = 1 << 0, /* the sender may still use the RMail token */
	JOB_FLAG_FINISHED = 1 << 1,    /* nothing moves it on its own: an admin may purge it */
	JOB_FLAG_RETAINED = 1 << 2,    /* finished, its document kept for failed_retention
	                                  (an administrator's requeue) */
};

/* The named moves.  Each has its source states, its target, and the
 * audit event its transition writes. */
enum job_move {
	JOB_MOVE_SUBMIT,
	JOB_MOVE_CLAIM,
	JOB_MOVE_MARK_SENT,
	JOB_MOVE_RETRY,
	JOB_MOVE_CHECK_LATER,
	JOB_MOVE_DEFER,
	JOB_MOVE_GIVE_UP_UNKNOWN,
	JOB_MOVE_RESCUE,
	JOB_MOVE_FAIL,
	JOB_MOVE_REQUEUE,
	JOB_MOVE_CANCEL,
	JOB_MOVE_EXPIRE,
	JOB_MOVE__MAX
};

const char *job_state_name(enum job_state s);
/* 0 and *out set, or -1 for a name that is not a state. */
int job_state_parse(const char *name, enum job_state *out);
/* Whether some named move leads from `from` to `to`. */
int job_state_allows(enum job_state from, enum job_state to);
/* Whether nothing can follow (sent, canceled, expired). */
int job_state_terminal(enum job_state s);
int job_state_has(enum job_state s, enum job_state_flag flag);
/* The PostgreSQL array literal of the states with flag, e.g.
 * "{queued,sending}".  out should hold JOB_STATE_LIST_LEN bytes. */
#define JOB_STATE_LIST_LEN 128
void job_state_list(enum job_state_flag flag, char *out, size_t len);

const char *job_move_name(enum job_move m);
enum job_state job_move_target(enum job_move m);
/* Whether m may start from state s. */
int job_move_starts_from(enum job_move m, enum job_state s);
/* The PostgreSQL array literal of m's source states. */
void job_move_sources(enum job_move m, char *out, size_t len);
/* The same, leaving out the sources that have flag. */
void job_move_sources_except(enum job_move m, enum job_state_flag flag, char *out, size_t len);
/* The audit_events.event the move's transition writes. */
const char *job_move_audit_event(enum job_move m);

/* Every state name, comma-separated, for messages ("awaiting_scan, ..."). */
void job_state_names_text(char *out, size_t len);

#endif
