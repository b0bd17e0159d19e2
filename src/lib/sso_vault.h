/*
 * sso_vault.h - the SSO vault (scanpost.sso_vault), the printers allowed to
 * sign people in (scanpost.sso_devices) and the security tokens already
 * used (scanpost.sso_token_uses), DESIGN 3.4.  Only scanpost-ssod (database
 * role scanpost_sso, the SSO keyring) and scanpostctl use this module.
 *
 * A row holds, per device-user identity (the NameID of the person's token,
 * sso_assert.h), only AES-256-GCM ciphertext of the RMail username and
 * password under the SSO keyring's primary key (sp_seal_blob), with AAD =
 * "scanpost-sso:" || identity so that a sealed blob moved to another
 * identity's row fails to open.  Plaintext layout: username length (2
 * bytes, big-endian) || username || password.
 *
 * A stored sign-in belongs to the identity it was stored for and to its
 * RMail account: a store for the same account replaces it (a new password),
 * a store for another account is refused until the entry is forgotten.
 */
#ifndef SCANPOST_SSO_VAULT_H
#define SCANPOST_SSO_VAULT_H

#include "crypto.h"
#include "db.h"
#include "sso_proto.h"

enum sso_vault_err {
	SSO_VAULT_OK = 0,
	SSO_VAULT_NOT_STORED,    /* no row for the identity */
	SSO_VAULT_UNREADABLE,    /* a row that fails to open: altered, or its key is gone */
	SSO_VAULT_DB,            /* database error: db_error() says which */
	SSO_VAULT_CRYPTO,        /* sealing failed */
	SSO_VAULT_OTHER_ACCOUNT, /* store: another RMail account is stored for the identity */
};

struct sso_credentials {
	char username[SSO_USERNAME_MAX + 1];
	char password[SSO_PASSWORD_MAX + 1];
};

/*
 * Seals and stores the identity's credentials, in one transaction with the
 * row locked: a new row, or a new password for the RMail account already
 * stored (user names compared without regard to ASCII case, as RMail's are
 * e-mail addresses).  Another account already stored is OTHER_ACCOUNT and
 * changes nothing; a stored row that no longer opens (audited) is replaced.
 * OK, OTHER_ACCOUNT, DB, CRYPTO.
 */
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

/* The Audience the tokens of device serial carry: 0 with it in audience
 * ("" when the device uses the configured default), 1 when the device is
 * not registered, -1 on a database error. */
int sso_device_audience(struct db *db, const char *serial, char *audience, size_t len);

/* Registers a printer (audience NULL: the configured default): 0, 1 when it
 * is registered already, -1 on a database error. */
int sso_device_add(struct db *db, const char *serial, const char *audience);
/* Unregisters a printer: 0, 1 when it was not registered, -1. */
int sso_device_remove(struct db *db, const char *serial);
/* Calls fn for each registered printer, by serial (audience NULL for the
 * default; added as text).  Count, or -1. */
long sso_device_list(struct db *db,
                     void (*fn)(void *arg, const char *serial, const char *audience,
                                const char *added),
                     void *arg);

/*
 * Replay refusal (SAML profiles 4.1.4.5): records the token whose issuer
 * and ID hash to token_hash (64 hex digits), used on serial and acceptable
 * until valid_until (Unix seconds).  0 when it is new, 1 when it was used
 * before, -1 on a database error.
 */
int sso_token_claim(struct db *db, const char *token_hash, const char *serial,
                    long long valid_until);
/* Forgets the uses of tokens no longer acceptable anyway.  Rows, or -1. */
long sso_token_uses_prune(struct db *db);

#endif
