-- 006_sso_tokens.sql: single sign-on on what a real printer has (DESIGN 3.4).
--
-- The printer's proof of its logged-in user is now the security token it
-- hands an EIP app (GetSecurityToken, Xerox's XrxSession.js): a SAML 2.0
-- assertion signed by the site's identity provider, checked by
-- scanpost-ssod against the provider's certificate (src/lib/sso_assert.h).
-- No key is exchanged with a printer any more, so the nonces of the old
-- device assertions go; in their place:
--   sso_devices     the printers allowed to sign people in, each with the
--                   Audience its tokens carry (NULL: the configured one)
--   sso_token_uses  each token used once (SAML Profiles 4.1.4.5), kept
--                   while it is acceptable, then pruned by ssod
-- Only scanpost-ssod (scanpost_sso) reads them; scanpostctl (the owner)
-- registers printers.

DROP TABLE scanpost.sso_nonces;

CREATE TABLE scanpost.sso_devices (
	serial   text PRIMARY KEY CHECK (serial ~ '^[A-Za-z0-9_-][A-Za-z0-9._-]{0,31}$'),
	audience text CHECK (audience IS NULL OR length(audience) BETWEEN 1 AND 512),
	added_at timestamptz NOT NULL DEFAULT now()
);

-- token_hash: SHA-256 (hex) of the token's Issuer, a newline and its ID.
CREATE TABLE scanpost.sso_token_uses (
	token_hash  text PRIMARY KEY CHECK (token_hash ~ '^[0-9a-f]{64}$'),
	serial      text NOT NULL,
	used_at     timestamptz NOT NULL DEFAULT now(),
	valid_until timestamptz NOT NULL
);
CREATE INDEX sso_token_uses_valid_idx ON scanpost.sso_token_uses (valid_until);

-- The vault's identity is now the token's NameID (up to 256 bytes), no
-- longer a name the printer itself vouched for.  Entries stored under the
-- old proof were never stored for a proven identity of the new kind, so
-- they go: people give their consent again at their next sign-in.
DELETE FROM scanpost.sso_vault;
ALTER TABLE scanpost.sso_vault DROP CONSTRAINT sso_vault_identity_check;
ALTER TABLE scanpost.sso_vault ADD CONSTRAINT sso_vault_identity_check
	CHECK (length(identity) BETWEEN 1 AND 256);

REVOKE ALL ON scanpost.sso_devices, scanpost.sso_token_uses FROM PUBLIC;
REVOKE ALL ON scanpost.sso_devices, scanpost.sso_token_uses
	FROM scanpost_api, scanpost_sender, scanpost_readonly;
GRANT SELECT ON scanpost.sso_devices TO scanpost_sso;
GRANT SELECT, INSERT, DELETE ON scanpost.sso_token_uses TO scanpost_sso;
-- Which printers may sign people in is configuration, not a secret.
GRANT SELECT ON scanpost.sso_devices TO scanpost_readonly;
