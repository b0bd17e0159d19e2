/*
 * sso_vault.c - sealed RMail credentials per device user, and seen nonces
 * (see sso_vault.h).
 */
#include "sso_vault.h"

#include <json-c/json.h>
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
static const struct db_stmt stmt_nonce_claim = {
    "sso_nonce_claim",
    "INSERT INTO scanpost.sso_nonces (nonce, serial) VALUES ($1, $2)"
    " ON CONFLICT (nonce) DO NOTHING RETURNING 1",
    2};
static const struct db_stmt stmt_nonce_seen = {
    "sso_nonce_seen", "SELECT 1 FROM scanpost.sso_nonces WHERE nonce = $1", 1};
static const struct db_stmt stmt_nonce_prune = {
    "sso_nonce_prune",
    "DELETE FROM scanpost.sso_nonces WHERE seen_at < now() - make_interval(secs => $1)", 1};

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
	char aad[sizeof(AAD_PREFIX) + SSO_USER_MAX + 1];
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

int sso_vault_store(struct db *db, const struct keyring *kr, const char *identity,
                    const char *username, const char *password)
{
	uint8_t *blob = NULL;
	size_t bloblen = 0;
	char kid[SP_KID_MAX + 1];
	PGresult *res;

	if (seal(kr, identity, username, password, &blob, &bloblen, kid) != SP_CRYPTO_OK)
		return SSO_VAULT_CRYPTO;
	const char *v[3] = {identity, kid, (const char *)blob};
	const int l[3] = {0, 0, (int)bloblen}, f[3] = {0, 0, 1};
	res = db_run(db, &stmt_vault_upsert, v, l, f, 0);
	free(blob);
	if (res == NULL)
		return SSO_VAULT_DB;
	PQclear(res);
	return SSO_VAULT_OK;
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
	char aad[sizeof(AAD_PREFIX) + SSO_USER_MAX + 1];
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
	char cursor[SSO_USER_MAX + 1] = "";
	int n, started = 0;

	while ((n = rewrap_batch(db, kr, cursor, sizeof(cursor), started, rewrapped, failed)) > 0)
		started = 1;
	return n < 0 ? -1 : 0;
}

int sso_nonce_claim(struct db *db, const char *nonce, const char *serial)
{
	const char *v[2] = {nonce, serial};
	PGresult *res = db_run(db, &stmt_nonce_claim, v, NULL, NULL, 0);
	int rc;

	if (res == NULL)
		return -1;
	rc = PQntuples(res) == 1 ? 0 : 1;
	PQclear(res);
	return rc;
}

int sso_nonce_seen(struct db *db, const char *nonce)
{
	const char *v[1] = {nonce};
	PGresult *res = db_run(db, &stmt_nonce_seen, v, NULL, NULL, 0);
	int rc;

	if (res == NULL)
		return -1;
	rc = PQntuples(res) > 0;
	PQclear(res);
	return rc;
}

long sso_nonces_prune(struct db *db, long max_age)
{
	char secs[24];
	const char *v[1] = {secs};
	PGresult *res;
	long n;

	snprintf(secs, sizeof(secs), "%ld", max_age);
	if ((res = db_run(db, &stmt_nonce_prune, v, NULL, NULL, 0)) == NULL)
		return -1;
	n = atol(PQcmdTuples(res));
	PQclear(res);
	return n;
}
