-- 007_lifecycle_grants.sql: each service role gets the columns it needs and
-- no more (DESIGN 3.5, 3.6), and what is sent is fixed once a job is
-- submitted, whichever role asks.
--
-- Before this, scanpost_api could read every sealed RMail token and change
-- any column of jobs and job_files: as that role, `UPDATE job_files SET
-- bytes = 262144` made the sender send a quarter of a document, and
-- `UPDATE jobs SET to_addrs = ...` sent a queued document elsewhere.
-- The moves between states are src/lib/lifecycle.c's; the columns below are
-- the ones its transitions, and each program's reads, touch.

REVOKE ALL ON scanpost.sessions, scanpost.jobs, scanpost.job_files, scanpost.document_chunks
	FROM scanpost_api, scanpost_sender;

-- scanpost-api ---------------------------------------------------------------
-- Sessions: it creates them with the sealed token, ends them and lets the
-- token go, but never reads a sealed token back.
GRANT SELECT (id, secret_hash, rmail_user, token_kid, token_expires_at, created_at,
              last_seen_at, expires_at, ended_at, end_reason)
	ON scanpost.sessions TO scanpost_api;
GRANT INSERT (id, secret_hash, rmail_user, token_kid, token_sealed, token_expires_at, expires_at)
	ON scanpost.sessions TO scanpost_api;
GRANT UPDATE (last_seen_at, ended_at, end_reason, token_kid, token_sealed)
	ON scanpost.sessions TO scanpost_api;
-- Jobs: what a person writes goes in at creation and is never changed.
GRANT SELECT ON scanpost.jobs TO scanpost_api;
GRANT INSERT (id, session_id, owner, to_addrs, cc_addrs, bcc_addrs, subject, body, settings,
              upload_token_hash, upload_expires_at, max_attempts)
	ON scanpost.jobs TO scanpost_api;
GRANT UPDATE (state, updated_at, submitted_at, next_attempt_at, upload_token_hash,
              uploaded_bytes, document_deleted_at)
	ON scanpost.jobs TO scanpost_api;
-- Files: written once by the upload; afterwards only their keys are cleared
-- (a deleted document).  No wrapped key is read back.
GRANT SELECT (job_id, file_no, name, content_type, bytes, sha256, dek_kid, created_at)
	ON scanpost.job_files TO scanpost_api;
GRANT INSERT ON scanpost.job_files TO scanpost_api;
GRANT UPDATE (dek_kid, dek_wrapped, nonce_prefix) ON scanpost.job_files TO scanpost_api;
GRANT DELETE ON scanpost.job_files TO scanpost_api;
-- Chunks: written by the upload, deleted with their document; DELETE ...
-- WHERE job_id = ... reads the key columns, never the ciphertext.
GRANT INSERT, DELETE ON scanpost.document_chunks TO scanpost_api;
GRANT SELECT (job_id, file_no, chunk_index) ON scanpost.document_chunks TO scanpost_api;

-- scanpost-sender ------------------------------------------------------------
-- It reads everything it sends, moves jobs through the queue and deletes
-- documents and tokens; it changes no message, no size and no digest.
GRANT SELECT ON scanpost.sessions TO scanpost_sender;
GRANT UPDATE (ended_at, end_reason, token_kid, token_sealed) ON scanpost.sessions
	TO scanpost_sender;
GRANT SELECT ON scanpost.jobs TO scanpost_sender;
GRANT UPDATE (state, attempts, next_attempt_at, lease_owner, lease_until, last_error_code,
              last_error, tracking_id, large_mail, updated_at, sent_at, document_deleted_at,
              upload_token_hash)
	ON scanpost.jobs TO scanpost_sender;
GRANT SELECT ON scanpost.job_files TO scanpost_sender;
GRANT UPDATE (dek_kid, dek_wrapped, nonce_prefix) ON scanpost.job_files TO scanpost_sender;
GRANT SELECT, DELETE ON scanpost.document_chunks TO scanpost_sender;

-- Whatever a role may update, a submitted job's files stay as they were
-- submitted, and a job never goes back to awaiting its scan nor gets a new
-- upload link: so no role can reopen a job to add or remove a file.  (The
-- state names mirror src/lib/jobstate.c, as the CHECK of 001 does; the
-- regress tier checks both against it.)
CREATE FUNCTION scanpost.job_files_fixed() RETURNS trigger
	LANGUAGE plpgsql SET search_path = pg_catalog AS $$
DECLARE
	job uuid := CASE WHEN TG_OP = 'DELETE' THEN OLD.job_id ELSE NEW.job_id END;
BEGIN
	-- A row deleted with its job (ON DELETE CASCADE) finds no job here.
	IF EXISTS (SELECT 1 FROM scanpost.jobs WHERE id = job AND state <> 'awaiting_scan') THEN
		RAISE EXCEPTION 'the files of job % are fixed once it is submitted', job
			USING ERRCODE = 'check_violation';
	END IF;
	RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;
CREATE TRIGGER job_files_fixed BEFORE INSERT OR DELETE ON scanpost.job_files
	FOR EACH ROW EXECUTE FUNCTION scanpost.job_files_fixed();

CREATE FUNCTION scanpost.jobs_no_reopen() RETURNS trigger
	LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
	IF NEW.state = 'awaiting_scan' AND OLD.state <> 'awaiting_scan' THEN
		RAISE EXCEPTION 'job % cannot go back to awaiting its scan', OLD.id
			USING ERRCODE = 'check_violation';
	END IF;
	IF NEW.upload_token_hash IS NOT NULL
	   AND NEW.upload_token_hash IS DISTINCT FROM OLD.upload_token_hash THEN
		RAISE EXCEPTION 'the upload link of job % can only be spent', OLD.id
			USING ERRCODE = 'check_violation';
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER jobs_no_reopen BEFORE UPDATE OF state, upload_token_hash ON scanpost.jobs
	FOR EACH ROW EXECUTE FUNCTION scanpost.jobs_no_reopen();
