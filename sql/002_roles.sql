-- 002_roles.sql: one database role per component, each with only what it needs.
-- Roles are cluster-wide, so they are created only when missing.

DO $$
DECLARE r text;
BEGIN
	FOREACH r IN ARRAY ARRAY['scanpost_api', 'scanpost_sender', 'scanpost_readonly'] LOOP
		IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
			EXECUTE format('CREATE ROLE %I LOGIN', r);
		END IF;
	END LOOP;
END
$$;

REVOKE ALL ON SCHEMA scanpost FROM PUBLIC;
GRANT USAGE ON SCHEMA scanpost TO scanpost_api, scanpost_sender, scanpost_readonly;

-- scanpost-api: sessions, creating jobs and their uploads, cancelling.
GRANT SELECT, INSERT, UPDATE ON scanpost.sessions TO scanpost_api;
GRANT SELECT, INSERT, UPDATE ON scanpost.jobs TO scanpost_api;
GRANT SELECT, INSERT, UPDATE, DELETE ON scanpost.job_files TO scanpost_api;
GRANT INSERT, DELETE ON scanpost.document_chunks TO scanpost_api;
-- DELETE ... WHERE job_id = ... reads the key columns, never the ciphertext.
GRANT SELECT (job_id, file_no, chunk_index) ON scanpost.document_chunks TO scanpost_api;
GRANT INSERT ON scanpost.audit_events TO scanpost_api;
GRANT USAGE ON SEQUENCE scanpost.audit_events_id_seq TO scanpost_api;

-- scanpost-sender: claims, reads ciphertext, deletes after sending, janitor.
GRANT SELECT, UPDATE ON scanpost.sessions TO scanpost_sender;
GRANT SELECT, UPDATE ON scanpost.jobs TO scanpost_sender;
GRANT SELECT, UPDATE ON scanpost.job_files TO scanpost_sender;
GRANT SELECT, DELETE ON scanpost.document_chunks TO scanpost_sender;
GRANT INSERT ON scanpost.audit_events TO scanpost_sender;
GRANT USAGE ON SEQUENCE scanpost.audit_events_id_seq TO scanpost_sender;

-- DBAs: everything about the queue, nothing of a message's content, no
-- ciphertext, no wrapped key, no sealed token (column grants).
GRANT SELECT (id, rmail_user, created_at, last_seen_at, expires_at, ended_at, end_reason)
	ON scanpost.sessions TO scanpost_readonly;
GRANT SELECT (id, session_id, owner, state, attempts, max_attempts, next_attempt_at,
              lease_owner, lease_until, last_error_code, last_error, tracking_id, large_mail,
              upload_expires_at, uploaded_bytes, created_at, updated_at, submitted_at,
              sent_at, document_deleted_at)
	ON scanpost.jobs TO scanpost_readonly;
GRANT SELECT (job_id, file_no, content_type, bytes, created_at)
	ON scanpost.job_files TO scanpost_readonly;
GRANT SELECT (job_id, file_no, chunk_index, is_last) ON scanpost.document_chunks
	TO scanpost_readonly;
GRANT SELECT ON scanpost.audit_events TO scanpost_readonly;
