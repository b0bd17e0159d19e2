/*
 * sso_vault.c - sealed RMail credentials per device user, the registered
 * printers, and the tokens already used (see sso_vault.h).
 */
#include "sso_vault.h"

#include <json-c/json.h>
#include <strings.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "log.h"

#define AAD_PREFIX   "scanpost-sso:"
#define REWRAP_BATCH "100"

static const struct db_stmt stmt_vault_upsert = {
    "sso_vault_upsert",
    "INSERT INTO scanpost.sso_vault (identity, kid, sealed) VALUES ($1, $2, $3)"
    " ON CONFLICT (identity) DO UPDATE SET kid = EXCLUDED.kid, sealed = EXCLUDED.sealed,"
    " updated_at = now(), last_used_at = NULL",
    3};
static const struct db_stmt stmt_vault_get = {
    "sso_vault_get", "SELECT kid, sealed FROM scanpost.sso_vault WHERE identity = $1", 1};
/* The row a store is about to replace, locked until the store commits. */
static const struct db_stmt stmt_vault_lock = {
    "sso_vault_lock", "SELECT kid, sealed FROM scanpost.sso_vault WHERE identity = $1 FOR UPDATE",
    1};
static const struct db_stmt stmt_vault_used = {
    "sso_vault_used", "UPDATE scanpost.sso_vault SET last_used_at = now() WHERE identity = $1", 1};
static const struct db_stmt stmt_vault_delete = {
    "sso_vault_delete", "DELETE FROM scanpost.sso_vault WHERE identity = $1", 1};
/* SKIP LOCKED: a row ssod is writing right now waits for the next run. */
static const struct db_stmt stmt_vault_batch = {
    "sso_vault_batch",
    "SELECT identity, kid, sealed FROM scanpost.sso_vault WHERE kid <> $1"
    " AND ($2::text IS NULL OR identity > $2) ORDER BY identity LIMIT $3"
    " FOR UPDATE SKIP LOCKED",
    3};
static const struct db_stmt stmt_vault_reseal = {
    "sso_vault_reseal",
    "UPDATE scanpost.sso_vault SET kid = $2, sealed = $3 WHERE identity = $1 AND kid = $4", 4};
static const struct db_stmt stmt_device_audience = {
    "sso_device_audience", "SELECT audience FROM scanpost.sso_devices WHERE serial = $1", 1};
static const struct db_stmt stmt_device_add = {
    "sso_device_add",
    "INSERT INTO scanpost.sso_devices (serial, audience) VALUES ($1, $2)"
    " ON CONFLICT (serial) DO NOTHING RETURNING 1",
    2};
static const struct db_stmt stmt_device_remove = {
    "sso_device_remove", "DELETE FROM scanpost.sso_devices WHERE serial = $1", 1};
static const struct db_stmt stmt_device_list = {
    "sso_device_list",
    "SELECT serial, audience, to_char(added_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')"
    " FROM scanpost.sso_devices ORDER BY serial",
    0};
static const struct db_stmt stmt_token_claim = {
    "sso_token_claim",
    "INSERT INTO scanpost.sso_token_uses (token_hash, serial, valid_until)"
    " VALUES ($1, $2, to_timestamp($3::double precision))"
    " ON CONFLICT (token_hash) DO NOTHING RETURNING 1",
    3};
static const struct db_stmt stmt_token_prune = {
    "sso_token_prune", "DELETE FROM scanpost.sso_token_uses WHERE valid_until < now()", 0};

static void aad_of(const char *identity, char *aad, size_t len)
{
	snprintf(aad, len, "%s%s", AAD_PREFIX, identity);
}

void sso_credentials_wipe(struct sso_credentials *c)
{
	OPENSSL_cleanse(c, sizeof(*c));
}

/* Packs the plaintext layout of sso_vault.h into pt; its length. */
static size_t pack(const char *username, const char *password,
                   uint8_t pt[2 + SSO_USERNAME_MAX + SSO_PASSWORD_MAX])
{
	size_t ulen = strlen(username), plen = strlen(password);

	pt[0] = (uint8_t)(ulen >> 8);
	pt[1] = (uint8_t)ulen;
	memcpy(pt + 2, username, ulen);
	memcpy(pt + 2 + ulen, password, plen);
	return 2 + ulen + plen;
}

/* Seals the credentials for identity; the blob is malloc'd (caller frees). */
static int seal(const struct keyring *kr, const char *identity, const char *username,
                const char *password, uint8_t **blob, size_t *bloblen, char *kid)
{
	uint8_t pt[2 + SSO_USERNAME_MAX + SSO_PASSWORD_MAX];
	char aad[sizeof(AAD_PREFIX) + SSO_IDENTITY_MAX + 1];
	size_t len;
	int rc;

	if (strlen(username) > SSO_USERNAME_MAX || strlen(password) > SSO_PASSWORD_MAX)
		return SP_CRYPTO_ERR_STATE;
	len = pack(username, password, pt);
	aad_of(identity, aad, sizeof(aad));
	rc = sp_seal_blob(kr, aad, strlen(aad), pt, len, blob, bloblen, kid);
	OPENSSL_cleanse(pt, sizeof(pt));
	return rc;
}

/* Splits an opened plaintext into out; 0, or -1 when it is not one. */
static int unpack(const uint8_t *pt, size_t len, struct sso_credentials *out)
{
	size_t ulen;

	if (len < 2)
		return -1;
	ulen = (size_t)pt[0] << 8 | pt[1];
	if (ulen == 0 || ulen > SSO_USERNAME_MAX || len - 2 < ulen ||
	    len - 2 - ulen > SSO_PASSWORD_MAX || len - 2 - ulen == 0 ||
	    memchr(pt + 2, '\0', len - 2) != NULL)
		return -1;
	memcpy(out->username, pt + 2, ulen);
	out->username[ulen] = '\0';
	memcpy(out->password, pt + 2 + ulen, len - 2 - ulen);
	out->password[len - 2 - ulen] = '\0';
	return 0;
}

/* Opens one row's blob: SP_CRYPTO_* (SP_CRYPTO_ERR_AUTH for a bad layout). */
static int open_row(const struct keyring *kr, const char *identity, const char *kid,
                    const uint8_t *blob, size_t bloblen, struct sso_credentials *out)
{
	char aad[sizeof(AAD_PREFIX) + SSO_IDENTITY_MAX + 1];
	uint8_t *pt = NULL;
	size_t ptlen = 0;
	int rc;

	aad_of(identity, aad, sizeof(aad));
	rc = sp_open_blob(kr, kid, aad, strlen(aad), blob, bloblen, &pt, &ptlen);
	if (rc == SP_CRYPTO_OK && unpack(pt, ptlen, out) != 0)
		rc = SP_CRYPTO_ERR_AUTH;
	if (pt) {
		OPENSSL_cleanse(pt, ptlen);
		free(pt);
	}
	return rc;
}

static void audit_unreadable(struct db *db, const char *identity, const char *kid, int rc)
{
	struct json_object *d = json_object_new_object();

	json_object_object_add(d, "kid", json_object_new_string(kid));
	json_object_object_add(d, "reason", json_object_new_string(sp_crypto_strerror(rc)));
	sp_log(LOG_ERROR, "sso_vault_unreadable", "identity", identity, "kid", kid, "reason",
	       sp_crypto_strerror(rc), NULL);
	audit_record(db, "sso_vault_unreadable", identity, NULL, NULL, NULL,
	             json_object_to_json_string_ext(d, JSON_C_TO_STRING_PLAIN));
	json_object_put(d);
}

/*
 * The RMail account of the row locked by stmt_vault_lock (res, one row):
 * 0 when it may be replaced by username (same account, or a row that no
 * longer opens), 1 when another account is stored.
 */
static int other_account(struct db *db, const struct keyring *kr, const char *identity,
                         const PGresult *res, const char *username)
{
	struct sso_credentials old;
	char kid[SP_KID_MAX + 1];
	int kidlen = PQgetlength(res, 0, 0), rc;

	if (kidlen < 1 || kidlen > SP_KID_MAX) {
		audit_unreadable(db, identity, "?", SP_CRYPTO_ERR_NOKEY);
		return 0;
	}
	memcpy(kid, PQgetvalue(res, 0, 0), (size_t)kidlen);
	kid[kidlen] = '\0';
	rc = open_row(kr, identity, kid, (const uint8_t *)PQgetvalue(res, 0, 1),
	              (size_t)PQgetlength(res, 0, 1), &old);
	if (rc != SP_CRYPTO_OK) {
		/* Unreadable is as good as nothing stored: the new row replaces it. */
		audit_unreadable(db, identity, kid, rc);
		return 0;
	}
	rc = strcasecmp(old.username, username) != 0;
	sso_credentials_wipe(&old);
	return rc;
}

int sso_vault_store(struct db *db, const struct keyring *kr, const char *identity,
                    const char *username, const char *password)
{
	uint8_t *blob = NULL;
	size_t bloblen = 0;
	char kid[SP_KID_MAX + 1];
	const char *lv[1] = {identity};
	PGresult *res;
	int rc = SSO_VAULT_DB;

	if (seal(kr, identity, username, password, &blob, &bloblen, kid) != SP_CRYPTO_OK)
		return SSO_VAULT_CRYPTO;
	if (db_begin(db) != 0 || (res = db_run(db, &stmt_vault_lock, lv, NULL, NULL, 1)) == NULL)
		goto fail;
	if (PQntuples(res) == 1 && other_account(db, kr, identity, res, username)) {
		PQclear(res);
		rc = SSO_VAULT_OTHER_ACCOUNT;
		goto fail;
	}
	PQclear(res);
	const char *v[3] = {identity, kid, (const char *)blob};
	const int l[3] = {0, 0, (int)bloblen}, f[3] = {0, 0, 1};
	if ((res = db_run(db, &stmt_vault_upsert, v, l, f, 0)) == NULL)
		goto fail;
	PQclear(res);
	if (db_commit(db) != 0)
		goto fail;
	free(blob);
	return SSO_VAULT_OK;
fail:
	db_rollback(db);
	free(blob);
	return rc;
}

int sso_vault_fetch(struct db *db, const struct keyring *kr, const char *identity,
                    struct sso_credentials *out)
{
	const char *v[1] = {identity};
	char kid[SP_KID_MAX + 1];
	PGresult *res;
	int rc, kidlen;

	memset(out, 0, sizeof(*out));
	/* Binary results: the sealed blob comes as bytes, not as \x text. */
	if ((res = db_run(db, &stmt_vault_get, v, NULL, NULL, 1)) == NULL)
		return SSO_VAULT_DB;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return SSO_VAULT_NOT_STORED;
	}
	kidlen = PQgetlength(res, 0, 0);
	if (kidlen < 1 || kidlen > SP_KID_MAX) {
		snprintf(kid, sizeof(kid), "?");
		rc = SP_CRYPTO_ERR_NOKEY;
	} else {
		memcpy(kid, PQgetvalue(res, 0, 0), (size_t)kidlen);
		kid[kidlen] = '\0';
		rc = open_row(kr, identity, kid, (const uint8_t *)PQgetvalue(res, 0, 1),
		              (size_t)PQgetlength(res, 0, 1), out);
	}
	PQclear(res);
	if (rc != SP_CRYPTO_OK) {
		sso_credentials_wipe(out);
		audit_unreadable(db, identity, kid, rc);
		return SSO_VAULT_UNREADABLE;
	}
	if (db_exec(db, &stmt_vault_used, v) != 0)
		sp_log(LOG_WARN, "sso_vault_touch_failed", "error", db_error(db), NULL);
	return SSO_VAULT_OK;
}

int sso_vault_forget(struct db *db, const char *identity)
{
	const char *v[1] = {identity};
	PGresult *res = db_run(db, &stmt_vault_delete, v, NULL, NULL, 0);
	int rc;

	if (res == NULL)
		return SSO_VAULT_DB;
	rc = strcmp(PQcmdTuples(res), "0") == 0 ? SSO_VAULT_NOT_STORED : SSO_VAULT_OK;
	PQclear(res);
	return rc;
}

/* Re-seals one row under the primary: 0, 1 (cannot be opened or sealed), -1. */
static int reseal_row(struct db *db, const struct keyring *kr, const char *identity,
                      const PGresult *res, int i)
{
	struct sso_credentials c;
	char kid[SP_KID_MAX + 1], new_kid[SP_KID_MAX + 1];
	int kidlen = PQgetlength(res, i, 1), rc;
	uint8_t *blob = NULL;
	size_t bloblen = 0;
	PGresult *ures;

	if (kidlen < 1 || kidlen > SP_KID_MAX)
		return 1;
	memcpy(kid, PQgetvalue(res, i, 1), (size_t)kidlen);
	kid[kidlen] = '\0';
	rc = open_row(kr, identity, kid, (const uint8_t *)PQgetvalue(res, i, 2),
	              (size_t)PQgetlength(res, i, 2), &c);
	if (rc == SP_CRYPTO_OK)
		rc = seal(kr, identity, c.username, c.password, &blob, &bloblen, new_kid);
	sso_credentials_wipe(&c);
	if (rc != SP_CRYPTO_OK)
		return 1;
	const char *uv[4] = {identity, new_kid, (const char *)blob, kid};
	const int ul[4] = {0, 0, (int)bloblen, 0}, uf[4] = {0, 0, 1, 0};
	ures = db_run(db, &stmt_vault_reseal, uv, ul, uf, 0);
	free(blob);
	if (ures == NULL)
		return -1;
	PQclear(ures);
	return 0;
}

/* One transaction of up to REWRAP_BATCH rows after cursor; rows seen, or -1. */
static int rewrap_batch(struct db *db, const struct keyring *kr, char *cursor, size_t curlen,
                        int started, long *rewrapped, long *failed)
{
	const char *sv[3] = {keyring_primary(kr), started ? cursor : NULL, REWRAP_BATCH};
	PGresult *res;
	int rows;

	if (db_begin(db) != 0 || (res = db_run(db, &stmt_vault_batch, sv, NULL, NULL, 1)) == NULL) {
		db_rollback(db);
		return -1;
	}
	rows = PQntuples(res);
	for (int i = 0; i < rows; i++) {
		int idlen = PQgetlength(res, i, 0), rc;

		if (idlen < 1 || (size_t)idlen >= curlen) {
			(*failed)++;
			continue;
		}
		memcpy(cursor, PQgetvalue(res, i, 0), (size_t)idlen);
		cursor[idlen] = '\0';
		if ((rc = reseal_row(db, kr, cursor, res, i)) < 0) {
			PQclear(res);
			db_rollback(db);
			return -1;
		}
		if (rc == 0)
			(*rewrapped)++;
		else
			(*failed)++;
	}
	PQclear(res);
	if (db_commit(db) != 0) {
		db_rollback(db);
		return -1;
	}
	return rows;
}

int sso_vault_rewrap(struct db *db, const struct keyring *kr, long *rewrapped, long *failed)
{
	char cursor[SSO_IDENTITY_MAX + 1] = "";
	int n, started = 0;

	while ((n = rewrap_batch(db, kr, cursor, sizeof(cursor), started, rewrapped, failed)) > 0)
		started = 1;
	return n < 0 ? -1 : 0;
}

int sso_device_audience(struct db *db, const char *serial, char *audience, size_t len)
{
	const char *v[1] = {serial};
	PGresult *res = db_run(db, &stmt_device_audience, v, NULL, NULL, 0);
	int rc = 1;

	audience[0] = '\0';
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 1) {
		if (!PQgetisnull(res, 0, 0))
			snprintf(audience, len, "%s", PQgetvalue(res, 0, 0));
		rc = 0;
	}
	PQclear(res);
	return rc;
}

int sso_device_add(struct db *db, const char *serial, const char *audience)
{
	const char *v[2] = {serial, audience};
	PGresult *res = db_run(db, &stmt_device_add, v, NULL, NULL, 0);
	int rc;

	if (res == NULL)
		return -1;
	rc = PQntuples(res) == 1 ? 0 : 1;
	PQclear(res);
	return rc;
}

int sso_device_remove(struct db *db, const char *serial)
{
	const char *v[1] = {serial};
	PGresult *res = db_run(db, &stmt_device_remove, v, NULL, NULL, 0);
	int rc;

	if (res == NULL)
		return -1;
	rc = strcmp(PQcmdTuples(res), "0") == 0 ? 1 : 0;
	PQclear(res);
	return rc;
}

long sso_device_list(struct db *db,
                     void (*fn)(void *arg, const char *serial, const char *audience,
                                const char *added),
                     void *arg)
{
	PGresult *res = db_run(db, &stmt_device_list, NULL, NULL, NULL, 0);
	long n;

	if (res == NULL)
		return -1;
	n = PQntuples(res);
	for (int i = 0; i < (int)n; i++)
		fn(arg, PQgetvalue(res, i, 0),
		   PQgetisnull(res, i, 1) ? NULL : PQgetvalue(res, i, 1), PQgetvalue(res, i, 2));
	PQclear(res);
	return n;
}

int sso_token_claim(struct db *db, const char *token_hash, const char *serial,
                    long long valid_until)
{
	char until[24];
	const char *v[3] = {token_hash, serial, until};
	PGresult *res;
	int rc;

	snprintf(until, sizeof(until), "%lld", valid_until);
	if ((res = db_run(db, &stmt_token_claim, v, NULL, NULL, 0)) == NULL)
		return -1;
	rc = PQntuples(res) == 1 ? 0 : 1;
	PQclear(res);
	return rc;
}

long sso_token_uses_prune(struct db *db)
{
	PGresult *res = db_run(db, &stmt_token_prune, NULL, NULL, NULL, 0);
	long n;

	if (res == NULL)
		return -1;
	n = atol(PQcmdTuples(res));
	PQclear(res);
	return n;
}
