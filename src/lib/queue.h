/*
 * queue.h - a claimed job as scanpost-sender holds it, and the retry delay
 * (DESIGN 3.5).  The claim and every later move of the job are lifecycle.h's.
 */
#ifndef SCANPOST_QUEUE_H
#define SCANPOST_QUEUE_H

#include <stdint.h>

struct queued_job {
	char id[40];
	uint8_t id_bin[16];
	char session_id[40];
	char owner[256];
	int attempts, max_attempts;
	long first_try_epoch;      /* when it was submitted: MessageStatus looks from here */
	long requeued_epoch;       /* when it last came back to the queue: any earlier
	                              send attempt had ended by then */
	long horizon_epoch;        /* when its retry horizon began: submit, or the last
	                              administrator's requeue (sender_give_up_after) */
	int mail_maybe_sent;       /* a Mail request went out and RMail has not said
	                              it lacks the message: ask before sending, and
	                              never call it failed */
	long mail_requested_epoch; /* when that request went out (every earlier
	                              one was ruled out): MessageStatus looks from here */
	/* The job as jobspec_from_json reads it, malloc'd: */
	char *spec_json;
};

void queued_job_free(struct queued_job *j);

/* Retry delay in milliseconds: base seconds * 2^(attempt-1), capped at
 * cap seconds (sender_backoff_max), with jitter in [delay/2, delay]; never
 * less than retry_after seconds when that is >= 0 (RMail's Retry-After is
 * honoured even above the cap). */
long queue_backoff_ms(long base, int attempt, long retry_after, long cap);

/* Whether a job whose horizon began at horizon_epoch has run out of it at
 * now: transient failures stop being retried after give_up_after seconds. */
int queue_horizon_passed(long horizon_epoch, long give_up_after, long now);

#endif
