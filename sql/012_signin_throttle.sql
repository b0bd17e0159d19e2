-- 012_signin_throttle.sql: the per-user-name sign-in throttle (DESIGN 3.7,
-- issue 10).
--
-- scanpost-api passes a password to RMail's /Token for whoever asks; nginx
-- limits sign-ins per client address, and this table limits them per RMail
-- user name, whatever the address, so that scanpost is no password-spraying
-- proxy for RMail accounts.  The counter lives here, not in a process, so
-- that every scanpost-api instance (DESIGN 4) shares it.
--
-- name_hash is SHA-256 of a label and the lower-cased user name
-- (src/lib/throttle.c): the table holds no user name in clear.  A row
-- counts the attempts of one window; a success deletes it, and
-- scanpost-api prunes rows whose window and block are over.

CREATE TABLE scanpost.signin_throttle (
	name_hash     bytea PRIMARY KEY CHECK (octet_length(name_hash) = 32),
	attempts      integer NOT NULL CHECK (attempts >= 0),
	window_start  timestamptz NOT NULL DEFAULT now(),
	blocked_until timestamptz
);
CREATE INDEX signin_throttle_window_idx ON scanpost.signin_throttle (window_start);

GRANT SELECT, INSERT, UPDATE, DELETE ON scanpost.signin_throttle TO scanpost_api;
GRANT SELECT ON scanpost.signin_throttle TO scanpost_readonly;
