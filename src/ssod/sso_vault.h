/*
 * sso_vault.h - the SSO vault (scanpost.sso_vault) and the seen assertion
 * nonces (scanpost.sso_nonces), DESIGN 3.4.  Only scanpost-ssod (database
 * role scanpost_sso, the SSO keyring) and scanpostctl use this module.
 *
 * A row holds, per device-user identity, only AES-256-GCM ciphertext of the
 * RMail username and password under the SSO keyring's primary key
 * (sp_seal_blob), with AAD = "scanpost-sso:" || identity so that a sealed
 * blob moved to another identity's row fails to open.  Plaintext layout:
 * username length (2 bytes, big-endian) || username || password.
 */
#ifndef SCANPOST_SSO_VAULT_H
#define SCANPOST_SSO_VAULT_H

#include "crypto.h"
#include "db.h"
#include "sso_proto.h"

enum sso_vault_err {
	SSO_VAULT_OK = 0,
	SSO_VAULT_NOT_STORED, /* no row for the identity */
	SSO_VAULT_UNREADABLE, /* a row that fails to open: altered, or its key is gone */
	SSO_VAULT_DB,         /* database error: db_error() says which */
	SSO_VAULT_CRYPTO,     /* sealing failed */
};

struct sso_credentials {
	char username[SSO_USERNAME_MAX + 1];
	char password[SSO_PASSWORD_MAX + 1];
};

/* Seals and stores (or replaces) the identity's credentials.  OK, DB, CRYPTO. */
int sso_vault_store(struct db *db, const struct keyring *kr, const char *identity,
                    const char *username, const char *password);

/*
 * Opens the identity's credentials into *out and marks the row used.  A row
 * that fails to open is SSO_VAULT_UNREADABLE: logged and audited here
 * (event sso_vault_unreadable) and left in place for inspection; a later
 * store replaces it.  Wipe *out with sso_credentials_wipe.
 */
int sso_vault_fetch(struct db *db, const struct keyring *kr, const char *identity,
                    struct sso_credentials *out);

/* Deletes the identity's row.  OK, NOT_STORED, DB. */
int sso_vault_forget(struct db *db, const char *identity);

void sso_credentials_wipe(struct sso_credentials *c);

/* Re-seals every row not under the keyring's primary (keys rotate sso),
 * in batches.  Rows that cannot be opened are counted in *failed and left.
 * 0, or -1 on a database error. */
int sso_vault_rewrap(struct db *db, const struct keyring *kr, long *rewrapped, long *failed);

/*
 * Replay refusal: records nonce (seen on device serial).  0 when it is new,
 * 1 when it was seen before (a replay), -1 on a database error.
 */
int sso_nonce_claim(struct db *db, const char *nonce, const char *serial);
/* 1 when nonce was claimed before (by a fetch), 0 when not, -1 on error. */
int sso_nonce_seen(struct db *db, const char *nonce);
/* Forgets nonces older than max_age seconds: a replay of those is stale
 * anyway.  Rows deleted, or -1. */
long sso_nonces_prune(struct db *db, long max_age);

#endif
