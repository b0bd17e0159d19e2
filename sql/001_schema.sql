-- 001_schema.sql: the scanpost schema (DESIGN 3.5).
-- Applied by `scanpostctl migrate` inside one transaction.

CREATE SCHEMA IF NOT EXISTS scanpost;

-- A signed-in person at a printer.  The browser holds a 256-bit secret in
-- the sp_session cookie; only its SHA-256 is stored here.  The RMail bearer
-- token is kept sealed (AES-256-GCM, token keyring, AAD = session id) and
-- lives only as long as this session or an unsent job of it needs it.
CREATE TABLE scanpost.sessions (
	id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	secret_hash      bytea NOT NULL UNIQUE CHECK (length(secret_hash) = 32),
	rmail_user       text NOT NULL CHECK (length(rmail_user) BETWEEN 1 AND 254),
	token_kid        text,
	token_sealed     bytea,
	token_expires_at timestamptz,
	created_at       timestamptz NOT NULL DEFAULT now(),
	last_seen_at     timestamptz NOT NULL DEFAULT now(),
	expires_at       timestamptz NOT NULL,
	ended_at         timestamptz,
	end_reason       text CHECK (end_reason IN ('signout', 'idle', 'lifetime', 'exit')),
	CHECK ((token_kid IS NULL) = (token_sealed IS NULL)),
	CHECK ((ended_at IS NULL) = (end_reason IS NULL))
);
CREATE INDEX sessions_open_idx ON scanpost.sessions (last_seen_at) WHERE ended_at IS NULL;
CREATE INDEX sessions_token_idx ON scanpost.sessions (id) WHERE token_sealed IS NOT NULL;

-- jobs is the queue.  States and their transitions are listed in
-- src/lib/jobstate.c; the CHECK keeps out anything else.
CREATE TABLE scanpost.jobs (
	id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	session_id        uuid NOT NULL REFERENCES scanpost.sessions (id),
	owner             text NOT NULL,
	state             text NOT NULL DEFAULT 'awaiting_scan'
	                  CHECK (state IN ('awaiting_scan', 'queued', 'sending', 'sent',
	                                   'failed', 'canceled', 'expired')),
	attempts          integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	max_attempts      integer NOT NULL DEFAULT 6 CHECK (max_attempts > 0),
	next_attempt_at   timestamptz NOT NULL DEFAULT now(),
	lease_owner       text,
	lease_until       timestamptz,
	last_error_code   text,
	last_error        text,
	tracking_id       text,
	large_mail        boolean NOT NULL DEFAULT false,
	upload_token_hash bytea CHECK (length(upload_token_hash) = 32),
	upload_expires_at timestamptz,
	to_addrs          text[] NOT NULL,
	cc_addrs          text[] NOT NULL DEFAULT '{}',
	bcc_addrs         text[] NOT NULL DEFAULT '{}',
	subject           text NOT NULL DEFAULT '',
	body              text NOT NULL DEFAULT '',
	settings          jsonb NOT NULL,
	uploaded_bytes    bigint NOT NULL DEFAULT 0,
	created_at        timestamptz NOT NULL DEFAULT now(),
	updated_at        timestamptz NOT NULL DEFAULT now(),
	submitted_at      timestamptz,
	sent_at           timestamptz,
	document_deleted_at timestamptz
);
CREATE INDEX jobs_queue_idx ON scanpost.jobs (next_attempt_at) WHERE state = 'queued';
CREATE INDEX jobs_lease_idx ON scanpost.jobs (lease_until) WHERE state = 'sending';
CREATE INDEX jobs_owner_idx ON scanpost.jobs (owner, created_at DESC);
CREATE INDEX jobs_session_idx ON scanpost.jobs (session_id);
CREATE INDEX jobs_awaiting_idx ON scanpost.jobs (upload_expires_at) WHERE state = 'awaiting_scan';

-- One uploaded file of a job.  Its data key is stored only wrapped by a
-- master key (dek_kid); both are cleared when the document is deleted, while
-- the name, size and digest stay for the job's history.
CREATE TABLE scanpost.job_files (
	job_id       uuid NOT NULL REFERENCES scanpost.jobs (id) ON DELETE CASCADE,
	file_no      integer NOT NULL CHECK (file_no >= 0),
	name         text NOT NULL,
	content_type text NOT NULL,
	bytes        bigint NOT NULL CHECK (bytes >= 0),
	sha256       bytea NOT NULL CHECK (length(sha256) = 32),
	dek_kid      text,
	dek_wrapped  bytea,
	nonce_prefix bytea,
	created_at   timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (job_id, file_no),
	CHECK ((dek_kid IS NULL) = (dek_wrapped IS NULL))
);

-- Ciphertext only: each row one sealed chunk (AES-256-GCM, tag appended).
CREATE TABLE scanpost.document_chunks (
	job_id      uuid NOT NULL,
	file_no     integer NOT NULL,
	chunk_index bigint NOT NULL CHECK (chunk_index >= 0),
	is_last     boolean NOT NULL,
	ciphertext  bytea NOT NULL,
	PRIMARY KEY (job_id, file_no, chunk_index),
	FOREIGN KEY (job_id, file_no) REFERENCES scanpost.job_files (job_id, file_no)
		ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
);
-- Ciphertext does not compress: store it out of line without trying.
ALTER TABLE scanpost.document_chunks ALTER COLUMN ciphertext SET STORAGE EXTERNAL;

-- Security-relevant events, append-only for the services.
CREATE TABLE scanpost.audit_events (
	id         bigserial PRIMARY KEY,
	at         timestamptz NOT NULL DEFAULT now(),
	event      text NOT NULL,
	actor      text,
	session_id uuid,
	job_id     uuid,
	request_id text,
	detail     jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_at_idx ON scanpost.audit_events (at);
CREATE INDEX audit_events_job_idx ON scanpost.audit_events (job_id) WHERE job_id IS NOT NULL;
