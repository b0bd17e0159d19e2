-- 011_retry_horizon.sql: the retry horizon (DESIGN 3.5, issue 10).
--
-- Transient failures are retried with a capped backoff until
-- sender_give_up_after has passed since the job was submitted (or requeued
-- by an administrator: requeued_at).  A job whose Mail request may be at
-- RMail (mail_requested_at: stamped, committed, before the request goes
-- out; cleared once MessageStatus says RMail does not have it) is never
-- called failed: when its horizon passes without an answer it ends in
-- delivery_unknown.  The state names mirror src/lib/jobstate.c, in its
-- order (the regress tier checks it).

ALTER TABLE scanpost.jobs DROP CONSTRAINT jobs_state_check;
ALTER TABLE scanpost.jobs ADD CONSTRAINT jobs_state_check
	CHECK (state IN ('awaiting_scan', 'queued', 'sending', 'sent', 'failed', 'canceled',
	                 'expired', 'delivery_unknown'));

ALTER TABLE scanpost.jobs ADD COLUMN mail_requested_at timestamptz;
ALTER TABLE scanpost.jobs ADD COLUMN requeued_at timestamptz;

-- Until now any job tried before may have reached RMail (the sender asked
-- MessageStatus whenever attempts > 1), at any attempt since its submit:
-- keep asking for those, over that whole window.
UPDATE scanpost.jobs SET mail_requested_at = coalesce(submitted_at, created_at)
	WHERE state IN ('queued', 'sending') AND attempts > 0;

-- The sender stamps and clears mail_requested_at; the administrator's
-- requeue (scanpostctl, the schema owner) sets requeued_at.
GRANT UPDATE (mail_requested_at) ON scanpost.jobs TO scanpost_sender;
GRANT SELECT (mail_requested_at, requeued_at) ON scanpost.jobs TO scanpost_readonly;

-- What a DBA watches: jobs waiting for another try, and why.
CREATE VIEW scanpost.retrying AS
	SELECT id, owner, attempts, next_attempt_at, last_error_code, last_error,
	       now() - coalesce(requeued_at, submitted_at) AS retrying_for,
	       mail_requested_at IS NOT NULL AS may_be_at_rmail
	FROM scanpost.jobs
	WHERE state = 'queued' AND last_error_code IS NOT NULL
	ORDER BY coalesce(requeued_at, submitted_at);

-- Jobs whose horizon passed while RMail may have them: ask RMail (or
-- requeue: the next claim asks MessageStatus before anything else).
CREATE VIEW scanpost.delivery_unknown AS
	SELECT id, owner, attempts, last_error_code, last_error, mail_requested_at, updated_at
	FROM scanpost.jobs WHERE state = 'delivery_unknown' ORDER BY updated_at DESC;

GRANT SELECT ON scanpost.retrying, scanpost.delivery_unknown TO scanpost_readonly;
