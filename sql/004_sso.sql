-- 004_sso.sql: the single sign-on vault (DESIGN 3.4, 3.5).
-- Only scanpost-ssod, as role scanpost_sso, may touch these tables: not the
-- api, not the sender, not the DBAs' scanpost_readonly.  The vault holds
-- ciphertext only, sealed under the SSO keyring, which no other program reads.

DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'scanpost_sso') THEN
		CREATE ROLE scanpost_sso LOGIN;
	END IF;
END
$$;

GRANT USAGE ON SCHEMA scanpost TO scanpost_sso;

-- Per device-user identity (the name the printer vouches for), the RMail
-- username and password as one AES-256-GCM blob (src/ssod/sso_vault.h), with
-- AAD = 'scanpost-sso:' || identity: a blob moved to another row fails.
CREATE TABLE scanpost.sso_vault (
	identity     text PRIMARY KEY CHECK (length(identity) BETWEEN 1 AND 64),
	kid          text NOT NULL CHECK (kid ~ '^[a-z0-9-]{1,32}$'),
	sealed       bytea NOT NULL CHECK (length(sealed) > 28),
	created_at   timestamptz NOT NULL DEFAULT now(),
	updated_at   timestamptz NOT NULL DEFAULT now(),
	last_used_at timestamptz
);
-- Ciphertext does not compress.
ALTER TABLE scanpost.sso_vault ALTER COLUMN sealed SET STORAGE EXTERNAL;

-- The nonces of accepted device assertions, kept while an assertion with
-- them could still be fresh, so that a replay is refused; ssod prunes them.
CREATE TABLE scanpost.sso_nonces (
	nonce   text PRIMARY KEY CHECK (nonce ~ '^[0-9a-f]{32}$'),
	serial  text NOT NULL,
	seen_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sso_nonces_seen_idx ON scanpost.sso_nonces (seen_at);

REVOKE ALL ON scanpost.sso_vault, scanpost.sso_nonces FROM PUBLIC;
REVOKE ALL ON scanpost.sso_vault, scanpost.sso_nonces
	FROM scanpost_api, scanpost_sender, scanpost_readonly;

GRANT SELECT, INSERT, UPDATE, DELETE ON scanpost.sso_vault TO scanpost_sso;
GRANT SELECT, INSERT, DELETE ON scanpost.sso_nonces TO scanpost_sso;
GRANT INSERT ON scanpost.audit_events TO scanpost_sso;
GRANT USAGE ON SEQUENCE scanpost.audit_events_id_seq TO scanpost_sso;
