-- 010_retention.sql: data that does not pile up (issue 13).
--
-- `scanpostctl retention run` (a daily timer) deletes finished jobs, ended
-- sessions and old audit events by the retention settings of its config;
-- the audit events go only after they were written out as JSON lines.  It
-- records here what it applied, so a DBA sees in retention_due what the
-- next run will take under those settings.  The job states it counts are
-- written by scanpostctl from the one state table (src/lib/jobstate.c),
-- never spelled here.

CREATE TABLE scanpost.retention_settings (
	kind        text PRIMARY KEY CHECK (kind IN ('jobs', 'sessions', 'audit_events')),
	keep_days   integer NOT NULL CHECK (keep_days >= 0),  -- 0: kept for ever
	states      text[] NOT NULL DEFAULT '{}',            -- jobs: the finished states
	last_run_at timestamptz NOT NULL DEFAULT now(),
	last_purged bigint NOT NULL DEFAULT 0
);

CREATE VIEW scanpost.retention_due AS
	SELECT r.kind, r.keep_days, r.last_run_at, r.last_purged,
		CASE
		WHEN r.keep_days = 0 THEN 0
		WHEN r.kind = 'jobs' THEN
			(SELECT count(*) FROM scanpost.jobs j
			 WHERE j.state = ANY (r.states)
			   AND j.updated_at < now() - make_interval(days => r.keep_days))
		WHEN r.kind = 'sessions' THEN
			(SELECT count(*) FROM scanpost.sessions s
			 WHERE s.ended_at < now() - make_interval(days => r.keep_days)
			   AND NOT EXISTS (SELECT 1 FROM scanpost.jobs j WHERE j.session_id = s.id))
		ELSE
			(SELECT count(*) FROM scanpost.audit_events a
			 WHERE a.at < now() - make_interval(days => r.keep_days))
		END AS due,
		CASE
		WHEN r.kind = 'audit_events' THEN (SELECT min(at) FROM scanpost.audit_events)
		WHEN r.kind = 'sessions' THEN
			(SELECT min(ended_at) FROM scanpost.sessions WHERE ended_at IS NOT NULL)
		ELSE (SELECT min(updated_at) FROM scanpost.jobs j WHERE j.state = ANY (r.states))
		END AS oldest
	FROM scanpost.retention_settings r;

GRANT SELECT ON scanpost.retention_settings, scanpost.retention_due TO scanpost_readonly;
