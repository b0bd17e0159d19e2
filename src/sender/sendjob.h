/*
 * sendjob.h - hands one claimed job to RMail (DESIGN 2 step 9, 3.2, 3.5):
 * ask MessageStatus whether an earlier try already got through, stream each
 * file decrypted into api/Upload, send api/v1/Mail (IsLargeMail above the
 * threshold), then record the outcome through the lifecycle (lifecycle.h).
 */
#ifndef SCANPOST_SENDJOB_H
#define SCANPOST_SENDJOB_H

#include "config.h"
#include "crypto.h"
#include "db.h"
#include "queue.h"
#include "rmail.h"

struct send_ctx {
	const struct sp_config *cfg;
	const struct keyring *doc_keyring;
	const struct keyring *token_keyring;
	struct db *db;
	struct rmail *rmail;
	const char *lease_owner;
};

enum send_outcome {
	SEND_SENT,             /* RMail has it (now or from an earlier try) */
	SEND_RETRY,            /* back in the queue after a failed attempt */
	SEND_CHECK_LATER,      /* back in the queue until RMail's answer is clear:
	                          no verdict, and no attempt spent on an unclear one */
	SEND_DEFERRED,         /* back in the queue after our own outage (database, key):
	                          no attempt spent */
	SEND_FAILED,           /* failed for good: RMail does not have it */
	SEND_DELIVERY_UNKNOWN, /* the retry horizon passed while RMail may have it */
	SEND_LEASE_LOST,       /* another sender took over; nothing changed here */
	SEND_DB_ERROR,         /* the outcome could not be recorded; the lease will expire */
};

const char *send_outcome_name(enum send_outcome o);

/* Sends j (claimed by ctx->lease_owner) and records the outcome. */
enum send_outcome send_job(struct send_ctx *ctx, struct queued_job *j);

#endif
