-- 003_dba_views.sql: what a DBA watches (DESIGN 3.5).  The views run with
-- their owner's rights but expose only columns scanpost_readonly may read.

CREATE VIEW scanpost.queue_depth AS
	SELECT state, count(*) AS jobs, min(created_at) AS oldest_created
	FROM scanpost.jobs GROUP BY state;

CREATE VIEW scanpost.oldest_queued AS
	SELECT id, owner, attempts, next_attempt_at, now() - submitted_at AS waiting
	FROM scanpost.jobs WHERE state = 'queued'
	ORDER BY submitted_at LIMIT 20;

CREATE VIEW scanpost.stuck_leases AS
	SELECT id, owner, lease_owner, lease_until, attempts, now() - lease_until AS overdue
	FROM scanpost.jobs WHERE state = 'sending' AND lease_until < now();

CREATE VIEW scanpost.failures AS
	SELECT id, owner, attempts, last_error_code, last_error, updated_at
	FROM scanpost.jobs WHERE state = 'failed' ORDER BY updated_at DESC;

GRANT SELECT ON scanpost.queue_depth, scanpost.oldest_queued, scanpost.stuck_leases,
	scanpost.failures TO scanpost_readonly;
