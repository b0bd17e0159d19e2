-- 008_job_indexes.sql: queue indexes that serve a state given as a parameter.
--
-- The statements of src/lib/lifecycle.c take their states from the state
-- table (src/lib/jobstate.c) as parameters.  A prepared statement's generic
-- plan cannot use a partial index whose predicate names a state
-- (WHERE state = 'queued'), and jobs keeps every finished job for its
-- history, so a sequential scan grows with it.  An index led by state
-- serves `state = ANY ($1)` in any plan.

DROP INDEX scanpost.jobs_queue_idx;
CREATE INDEX jobs_queue_idx ON scanpost.jobs (state, next_attempt_at);

DROP INDEX scanpost.jobs_lease_idx;
CREATE INDEX jobs_lease_idx ON scanpost.jobs (state, lease_until);

DROP INDEX scanpost.jobs_awaiting_idx;
CREATE INDEX jobs_awaiting_idx ON scanpost.jobs (state, upload_expires_at);
