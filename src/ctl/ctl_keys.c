/*
 * ctl_keys.c - `scanpostctl keys`: master key generation, rotation, re-wrap
 * and retirement (DESIGN 3.6).
 *
 * Why rotation matters: a deleted document's wrapped DEK survives in dead
 * tuples, WAL and backups until the KEK that wrapped it is destroyed.  So a
 * timer runs `keys rotate` every key_rotation_period (a new primary, every
 * live row re-wrapped to it) and then `keys retire-unused` (destroy every
 * older key no live row needs).  The period is the backup exposure window.
 */
#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "codec.h"
#include "crypto.h"
#include "ctl.h"
#include "keyuse.h"
#include "log.h"
#include "sessions.h"
#include "sso_vault.h"

#define REWRAP_BATCH "100" /* rows per transaction: short locks, steady progress */
/* How long `retire` waits for an upload that holds a key (keyuse.h); a key
 * still held then is kept for the next run, never destroyed under it. */
#define RETIRE_WAIT_SECONDS 30

/* ---- statements ---------------------------------------------------------- */

static const struct db_stmt stmt_doc_usage = {
    "ctl_keys_doc_usage",
    "SELECT dek_kid, count(*) FROM scanpost.job_files WHERE dek_wrapped IS NOT NULL"
    " GROUP BY dek_kid ORDER BY dek_kid",
    0};
static const struct db_stmt stmt_token_usage = {
    "ctl_keys_token_usage",
    "SELECT token_kid, count(*) FROM scanpost.sessions WHERE token_sealed IS NOT NULL"
    " GROUP BY token_kid ORDER BY token_kid",
    0};

static const struct db_stmt stmt_sso_usage = {
    "ctl_keys_sso_usage", "SELECT kid, count(*) FROM scanpost.sso_vault GROUP BY kid ORDER BY kid",
    0};

/* SKIP LOCKED: a row a sender holds right now is left for the next run
 * instead of making the sender wait for us (or us for it). */
static const struct db_stmt stmt_doc_batch = {
    "ctl_keys_doc_batch",
    "SELECT job_id, file_no, dek_kid, dek_wrapped, bytes, sha256 FROM scanpost.job_files"
    " WHERE dek_wrapped IS NOT NULL AND dek_kid <> $1"
    " AND ($2::uuid IS NULL OR (job_id, file_no) > ($2::uuid, $3::integer))"
    " ORDER BY job_id, file_no LIMIT $4 FOR UPDATE SKIP LOCKED",
    4};
static const struct db_stmt stmt_doc_update = {
    "ctl_keys_doc_update",
    "UPDATE scanpost.job_files SET dek_kid = $3, dek_wrapped = $4"
    " WHERE job_id = $1::uuid AND file_no = $2::integer AND dek_kid = $5",
    5};
static const struct db_stmt stmt_token_batch = {
    "ctl_keys_token_batch",
    "SELECT id, token_kid, token_sealed FROM scanpost.sessions"
    " WHERE token_sealed IS NOT NULL AND token_kid <> $1"
    " AND ($2::uuid IS NULL OR id > $2::uuid)"
    " ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED",
    3};
static const struct db_stmt stmt_token_update = {
    "ctl_keys_token_update",
    "UPDATE scanpost.sessions SET token_kid = $2, token_sealed = $3"
    " WHERE id = $1::uuid AND token_kid = $4",
    4};

/* ---- the two keyrings ---------------------------------------------------- */

/* Where a rewrap pass has got to: the last row seen, in key order. */
struct cursor {
	int started;
	char id[UUID_STR_LEN];
	char file_no[16];
};

struct rewrap_stats {
	long rewrapped, failed;
};

struct ring;
typedef int (*batch_fn)(struct ctl *c, const struct keyring *kr, struct cursor *cur,
                        struct rewrap_stats *st);

struct ring {
	const char *name;
	size_t dir_offset; /* of the keyring directory in struct sp_config */
	const struct db_stmt *usage;
	const char *rows; /* what a live row is, for messages */
	batch_fn batch;
	int pair; /* sealed to public keys: each key has its <kid>.pub (crypto.h) */
};

static int doc_batch(struct ctl *c, const struct keyring *kr, struct cursor *cur,
                     struct rewrap_stats *st);
static int token_batch(struct ctl *c, const struct keyring *kr, struct cursor *cur,
                       struct rewrap_stats *st);

/* The vault re-seals itself, every batch at once (sso_vault.c owns its SQL). */
static int sso_batch(struct ctl *c, const struct keyring *kr, struct cursor *cur,
                     struct rewrap_stats *st)
{
	if (cur->started)
		return 0;
	cur->started = 1;
	if (sso_vault_rewrap(c->db, kr, &st->rewrapped, &st->failed) != 0) {
		ctl_error("re-sealing sso_vault: %s", db_error(c->db));
		return -1;
	}
	return 0;
}

/* The token ring seals to public keys: scanpost-api, which only seals,
 * holds the public halves only (keycache_init_public). */
static const struct ring rings[] = {
    {"doc", offsetof(struct sp_config, doc_keyring), &stmt_doc_usage,
     "job_files rows (document keys)", doc_batch, 0},
    {"token", offsetof(struct sp_config, token_keyring), &stmt_token_usage,
     "sessions rows (sealed RMail tokens)", token_batch, 1},
    {"sso", offsetof(struct sp_config, sso_keyring), &stmt_sso_usage,
     "sso_vault rows (stored sign-ins)", sso_batch, 0},
};

#define NRINGS (sizeof(rings) / sizeof(rings[0]))

static const char *ring_dir(const struct ctl *c, const struct ring *r)
{
	return *(char *const *)((const char *)&c->cfg + r->dir_offset);
}

static const struct ring *ring_find(const char *name)
{
	for (size_t i = 0; i < NRINGS; i++)
		if (strcmp(rings[i].name, name) == 0)
			return &rings[i];
	return NULL;
}

/* A kid as keyring files name them (crypto.h); anything else is refused
 * before it reaches a path or a JSON detail. */
static int kid_ok(const char *kid)
{
	size_t n = strlen(kid);

	if (n == 0 || n > SP_KID_MAX)
		return 0;
	return strspn(kid, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

static struct keyring *ring_load(struct ctl *c, const struct ring *r)
{
	struct keyring *kr = NULL;
	char err[512];

	if (keyring_load(ring_dir(c, r), &kr, err, sizeof(err)) != SP_CRYPTO_OK) {
		ctl_error("%s keyring: %s", r->name, err);
		return NULL;
	}
	return kr;
}

/* Live rows per kid.  NULL (error already printed) or a result to PQclear. */
static PGresult *ring_usage(struct ctl *c, const struct ring *r)
{
	PGresult *res = db_run(c->db, r->usage, NULL, NULL, NULL, 0);

	if (res == NULL)
		ctl_error("counting %s: %s", r->rows, db_error(c->db));
	return res;
}

static long usage_of(const PGresult *res, const char *kid)
{
	for (int i = 0; i < PQntuples(res); i++)
		if (strcmp(PQgetvalue(res, i, 0), kid) == 0)
			return atol(PQgetvalue(res, i, 1));
	return 0;
}

/* ---- rewrap -------------------------------------------------------------- */

static void row_failed(struct rewrap_stats *st, const char *what, int rc)
{
	ctl_error("%s: cannot re-wrap: %s", what, sp_crypto_strerror(rc));
	st->failed++;
}

/* One transaction: up to REWRAP_BATCH document keys after the cursor.
 * Returns the rows looked at (0 = done) or -1. */
static int doc_batch(struct ctl *c, const struct keyring *kr, struct cursor *cur,
                     struct rewrap_stats *st)
{
	const char *primary = keyring_primary(kr);
	const char *sv[4] = {primary, cur->started ? cur->id : NULL, cur->file_no, REWRAP_BATCH};
	PGresult *res;
	int rows;

	if (db_begin(c->db) != 0 ||
	    (res = db_run(c->db, &stmt_doc_batch, sv, NULL, NULL, 1)) == NULL) {
		ctl_error("reading job_files: %s", db_error(c->db));
		db_rollback(c->db);
		return -1;
	}
	rows = PQntuples(res);
	for (int i = 0; i < rows; i++) {
		struct sp_doc_key key;
		struct sp_doc_id doc;
		struct sp_doc_digest recorded;
		char what[96], old_kid[SP_KID_MAX + 1];
		uint32_t be;
		int rc, kidlen = PQgetlength(res, i, 2);

		if (PQgetlength(res, i, 0) != 16 || PQgetlength(res, i, 1) != 4 ||
		    PQgetlength(res, i, 4) != 8 || PQgetlength(res, i, 5) != 32) {
			ctl_error("job_files: unexpected row format");
			goto fail;
		}
		memcpy(doc.job_id, PQgetvalue(res, i, 0), 16);
		memcpy(&be, PQgetvalue(res, i, 1), 4);
		doc.file_no = ntohl(be);
		/* The recorded size and digest are in the wrap's AAD (crypto.h). */
		recorded.bytes = 0;
		for (int b = 0; b < 8; b++)
			recorded.bytes = recorded.bytes << 8 | (uint8_t)PQgetvalue(res, i, 4)[b];
		memcpy(recorded.sha256, PQgetvalue(res, i, 5), 32);
		uuid_format(doc.job_id, cur->id);
		snprintf(cur->file_no, sizeof(cur->file_no), "%u", doc.file_no);
		cur->started = 1;
		snprintf(what, sizeof(what), "job %s file %u", cur->id, doc.file_no);

		memset(&key, 0, sizeof(key));
		if (kidlen < 1 || kidlen > SP_KID_MAX ||
		    PQgetlength(res, i, 3) != SP_WRAPPED_DEK_LEN) {
			row_failed(st, what, SP_CRYPTO_ERR_KEYFILE);
			continue;
		}
		memcpy(key.kid, PQgetvalue(res, i, 2), (size_t)kidlen);
		memcpy(old_kid, key.kid, sizeof(old_kid));
		memcpy(key.wrapped, PQgetvalue(res, i, 3), SP_WRAPPED_DEK_LEN);
		if ((rc = sp_doc_key_rewrap(kr, &doc, &recorded, &key)) != SP_CRYPTO_OK) {
			row_failed(st, what, rc);
			continue;
		}
		const char *uv[5] = {cur->id, cur->file_no, key.kid, (const char *)key.wrapped,
		                     old_kid};
		const int ul[5] = {0, 0, 0, SP_WRAPPED_DEK_LEN, 0};
		const int uf[5] = {0, 0, 0, 1, 0};
		PGresult *ures = db_run(c->db, &stmt_doc_update, uv, ul, uf, 0);

		if (ures == NULL) {
			ctl_error("%s: %s", what, db_error(c->db));
			goto fail;
		}
		PQclear(ures);
		st->rewrapped++;
	}
	PQclear(res);
	if (db_commit(c->db) != 0) {
		ctl_error("commit: %s", db_error(c->db));
		db_rollback(c->db);
		return -1;
	}
	return rows;
fail:
	PQclear(res);
	db_rollback(c->db);
	return -1;
}

/* One transaction: up to REWRAP_BATCH sealed tokens after the cursor. */
static int token_batch(struct ctl *c, const struct keyring *kr, struct cursor *cur,
                       struct rewrap_stats *st)
{
	const char *sv[3] = {keyring_primary(kr), cur->started ? cur->id : NULL, REWRAP_BATCH};
	PGresult *res;
	int rows;

	if (db_begin(c->db) != 0 ||
	    (res = db_run(c->db, &stmt_token_batch, sv, NULL, NULL, 1)) == NULL) {
		ctl_error("reading sessions: %s", db_error(c->db));
		db_rollback(c->db);
		return -1;
	}
	rows = PQntuples(res);
	for (int i = 0; i < rows; i++) {
		char old_kid[SP_KID_MAX + 1], new_kid[SP_KID_MAX + 1], what[64], *pt = NULL;
		uint8_t *blob = NULL;
		size_t bloblen = 0;
		int rc, kidlen = PQgetlength(res, i, 1);

		if (PQgetlength(res, i, 0) != 16) {
			ctl_error("sessions: unexpected row format");
			goto fail;
		}
		uuid_format((const uint8_t *)PQgetvalue(res, i, 0), cur->id);
		cur->started = 1;
		snprintf(what, sizeof(what), "session %s", cur->id);
		if (kidlen < 1 || kidlen > SP_KID_MAX) {
			row_failed(st, what, SP_CRYPTO_ERR_NOKEY);
			continue;
		}
		memcpy(old_kid, PQgetvalue(res, i, 1), (size_t)kidlen);
		old_kid[kidlen] = '\0';
		/* sessions.c owns how a token is sealed and opened. */
		rc = session_token_unseal(kr, cur->id, old_kid,
		                          (const uint8_t *)PQgetvalue(res, i, 2),
		                          (size_t)PQgetlength(res, i, 2), &pt);
		if (rc == SP_CRYPTO_OK)
			rc = session_token_seal(kr, cur->id, pt, &blob, &bloblen, new_kid);
		if (pt) {
			OPENSSL_cleanse(pt, strlen(pt));
			free(pt);
		}
		if (rc != SP_CRYPTO_OK) {
			row_failed(st, what, rc);
			continue;
		}
		const char *uv[4] = {cur->id, new_kid, (const char *)blob, old_kid};
		const int ul[4] = {0, 0, (int)bloblen, 0};
		const int uf[4] = {0, 0, 1, 0};
		PGresult *ures = db_run(c->db, &stmt_token_update, uv, ul, uf, 0);

		free(blob);
		if (ures == NULL) {
			ctl_error("%s: %s", what, db_error(c->db));
			goto fail;
		}
		PQclear(ures);
		st->rewrapped++;
	}
	PQclear(res);
	if (db_commit(c->db) != 0) {
		ctl_error("commit: %s", db_error(c->db));
		db_rollback(c->db);
		return -1;
	}
	return rows;
fail:
	PQclear(res);
	db_rollback(c->db);
	return -1;
}

/* Re-wraps every live row not under the primary, batch by batch.  Rows a
 * sender had locked, or that cannot be opened, are counted and left. */
static int rewrap_all(struct ctl *c, const struct ring *r, const struct keyring *kr,
                      struct rewrap_stats *st)
{
	struct cursor cur = {0, "", "-1"};
	PGresult *res;
	long left = 0;
	int n;

	while ((n = r->batch(c, kr, &cur, st)) > 0)
		;
	if (n < 0)
		return -1;
	if ((res = ring_usage(c, r)) == NULL)
		return -1;
	for (int i = 0; i < PQntuples(res); i++)
		if (strcmp(PQgetvalue(res, i, 0), keyring_primary(kr)) != 0)
			left += atol(PQgetvalue(res, i, 1));
	PQclear(res);
	printf("re-wrapped %ld %s to %s\n", st->rewrapped, r->rows, keyring_primary(kr));
	if (left > 0)
		printf("%ld %s still use older keys (locked by a sender or unreadable); "
		       "run `keys rewrap %s` again\n",
		       left, r->rows, r->name);
	return st->failed > 0 ? -1 : 0;
}

/* ---- commands ------------------------------------------------------------ */

static int ring_generate(const struct ctl *c, const struct ring *r, char *kid, size_t len,
                         char *err, size_t errlen)
{
	return r->pair ? keyring_generate_pair(ring_dir(c, r), kid, len, err, errlen)
	               : keyring_generate(ring_dir(c, r), kid, len, err, errlen);
}

static int keys_generate(struct ctl *c, const struct ring *r, const char *arg)
{
	char kid[SP_KID_MAX + 1], err[512];

	(void)arg;
	if (ring_generate(c, r, kid, sizeof(kid), err, sizeof(err)) != SP_CRYPTO_OK) {
		ctl_error("%s keyring: %s", r->name, err);
		return CTL_FAIL;
	}
	sp_log(LOG_INFO, "key_generated", "keyring", r->name, "kid", kid, NULL);
	printf("%s\n", kid);
	return CTL_OK;
}

static int keys_list(struct ctl *c, const struct ring *r, const char *arg)
{
	struct keyring *kr;
	PGresult *res;

	(void)arg;
	if ((kr = ring_load(c, r)) == NULL)
		return CTL_FAIL;
	if ((res = ring_usage(c, r)) == NULL) {
		keyring_free(kr);
		return CTL_FAIL;
	}
	printf("%s keyring %s, primary: %s\n", r->name, ring_dir(c, r), keyring_primary(kr));
	printf("%-32s  %-7s  %s\n", "KID", "PRIMARY", "LIVE ROWS");
	for (size_t i = 0; i < keyring_count(kr); i++) {
		const char *kid = keyring_kid(kr, i);

		printf("%-32s  %-7s  %ld\n", kid,
		       strcmp(kid, keyring_primary(kr)) == 0 ? "yes" : "", usage_of(res, kid));
	}
	/* Rows under a key that is gone can never be opened again: say so. */
	for (int i = 0; i < PQntuples(res); i++)
		if (!keyring_has(kr, PQgetvalue(res, i, 0)))
			printf("%-32.32s  %-7s  %s  (no key file: these rows cannot be opened)\n",
			       PQgetvalue(res, i, 0), "", PQgetvalue(res, i, 1));
	PQclear(res);
	keyring_free(kr);
	return CTL_OK;
}

static int audit_keys(struct ctl *c, const char *event, const struct ring *r, const char *kid,
                      long rewrapped, long failed)
{
	struct json_object *d = json_object_new_object();
	int rc;

	json_object_object_add(d, "keyring", json_object_new_string(r->name));
	json_object_object_add(d, "kid", json_object_new_string(kid));
	if (rewrapped >= 0) {
		json_object_object_add(d, "rewrapped", json_object_new_int64(rewrapped));
		json_object_object_add(d, "not_rewrapped", json_object_new_int64(failed));
	}
	rc = audit_record_json(c->db, event, c->actor, NULL, NULL, NULL, d);
	json_object_put(d);
	if (rc != 0)
		ctl_error("audit %s: %s", event, db_error(c->db));
	return rc;
}

static int do_rewrap(struct ctl *c, const struct ring *r, int rotating)
{
	struct rewrap_stats st = {0, 0};
	struct keyring *kr;
	char kid[SP_KID_MAX + 1], err[512];
	int rc = CTL_FAIL;

	/* Fail on an unreachable database before a key file is made. */
	if (db_ensure(c->db) != 0) {
		ctl_error("database: %s", db_error(c->db));
		return CTL_FAIL;
	}
	if (rotating) {
		if (ring_generate(c, r, kid, sizeof(kid), err, sizeof(err)) != SP_CRYPTO_OK) {
			ctl_error("%s keyring: %s", r->name, err);
			return CTL_FAIL;
		}
		printf("new primary %s key %s\n", r->name, kid);
	}
	if ((kr = ring_load(c, r)) == NULL)
		return CTL_FAIL;
	if (rewrap_all(c, r, kr, &st) == 0)
		rc = CTL_OK;
	else if (st.failed > 0)
		ctl_error("%ld %s could not be re-wrapped (see above)", st.failed, r->rows);
	sp_log(rc == CTL_OK ? LOG_INFO : LOG_WARN, rotating ? "key_rotated" : "keys_rewrapped",
	       "keyring", r->name, "kid", keyring_primary(kr), "%rewrapped", LOG_NUM(st.rewrapped),
	       "%failed", LOG_NUM(st.failed), NULL);
	if (audit_keys(c, rotating ? "key_rotated" : "keys_rewrapped", r, keyring_primary(kr),
	               st.rewrapped, st.failed) != 0)
		rc = CTL_FAIL;
	keyring_free(kr);
	return rc;
}

static int keys_rotate(struct ctl *c, const struct ring *r, const char *arg)
{
	(void)arg;
	return do_rewrap(c, r, 1);
}

static int keys_rewrap(struct ctl *c, const struct ring *r, const char *arg)
{
	(void)arg;
	return do_rewrap(c, r, 0);
}

enum retire_outcome { RETIRED, KEPT_LIVE_ROWS, KEPT_HELD, RETIRE_FAILED };

/* Destroys kid (not the primary) unless something still uses it, in one
 * transaction: first the key-use lock, so every upload that wrapped under
 * it has committed or rolled back (keyuse.h); then the count of live rows,
 * which now sees those uploads' rows; then the audit row and the key file.
 * *used receives the live rows. */
static enum retire_outcome retire_if_unused(struct ctl *c, const struct ring *r, const char *kid,
                                            long *used)
{
	char err[512];
	PGresult *res;
	int held;

	*used = 0;
	if (db_begin(c->db) != 0)
		goto db_failed;
	if ((held = keyuse_lock_for_retire(c->db, r->name, kid, RETIRE_WAIT_SECONDS)) != 0) {
		db_rollback(c->db);
		if (held > 0)
			return KEPT_HELD;
		goto db_failed;
	}
	if ((res = ring_usage(c, r)) == NULL) {
		db_rollback(c->db);
		return RETIRE_FAILED;
	}
	*used = usage_of(res, kid);
	PQclear(res);
	if (*used > 0) {
		db_rollback(c->db);
		return KEPT_LIVE_ROWS;
	}
	if (audit_keys(c, "key_retired", r, kid, -1, 0) != 0) {
		db_rollback(c->db);
		return RETIRE_FAILED;
	}
	if (keyring_retire(ring_dir(c, r), kid, err, sizeof(err)) != SP_CRYPTO_OK) {
		ctl_error("%s keyring: %s", r->name, err);
		db_rollback(c->db);
		return RETIRE_FAILED;
	}
	if (db_commit(c->db) != 0)
		ctl_error("%s key %s was destroyed, but its audit row was not recorded: %s",
		          r->name, kid, db_error(c->db));
	printf("retired %s key %s\n", r->name, kid);
	sp_log(LOG_INFO, "key_retired", "keyring", r->name, "kid", kid, NULL);
	return RETIRED;
db_failed:
	ctl_error("%s key %s: %s", r->name, kid, db_error(c->db));
	return RETIRE_FAILED;
}

static int keys_retire(struct ctl *c, const struct ring *r, const char *kid)
{
	struct keyring *kr;
	long used = 0;
	int rc = CTL_FAIL;

	if (!kid_ok(kid)) {
		ctl_error("\"%.40s\" is not a key id (1..%d of a-z, 0-9, -)", kid, SP_KID_MAX);
		return CTL_USAGE;
	}
	if ((kr = ring_load(c, r)) == NULL)
		return CTL_FAIL;
	if (!keyring_has(kr, kid)) {
		ctl_error("%s keyring %s has no key %s", r->name, ring_dir(c, r), kid);
		goto out;
	}
	if (strcmp(kid, keyring_primary(kr)) == 0) {
		ctl_error("%s is the primary %s key: run `keys rotate %s` first", kid, r->name,
		          r->name);
		goto out;
	}
	switch (retire_if_unused(c, r, kid, &used)) {
	case RETIRED:
		rc = CTL_OK;
		break;
	case KEPT_LIVE_ROWS:
		ctl_error("%ld live %s still use %s: run `keys rewrap %s` first", used, r->rows,
		          kid, r->name);
		break;
	case KEPT_HELD:
		ctl_error("%s key %s is held by an upload still running after %d s; run again",
		          r->name, kid, RETIRE_WAIT_SECONDS);
		break;
	case RETIRE_FAILED:
		break;
	}
out:
	keyring_free(kr);
	return rc;
}

static int keys_retire_unused(struct ctl *c, const struct ring *r, const char *arg)
{
	struct keyring *kr;
	int rc = CTL_OK, retired = 0;

	(void)arg;
	if ((kr = ring_load(c, r)) == NULL)
		return CTL_FAIL;
	for (size_t i = 0; i < keyring_count(kr); i++) {
		const char *kid = keyring_kid(kr, i);
		long used = 0;

		if (strcmp(kid, keyring_primary(kr)) == 0)
			continue;
		switch (retire_if_unused(c, r, kid, &used)) {
		case RETIRED:
			retired++;
			break;
		case KEPT_LIVE_ROWS:
			printf("kept %s key %s: %ld live %s\n", r->name, kid, used, r->rows);
			break;
		case KEPT_HELD:
			printf("kept %s key %s: an upload that wrapped under it was still running "
			       "after %d s\n",
			       r->name, kid, RETIRE_WAIT_SECONDS);
			break;
		case RETIRE_FAILED:
			rc = CTL_FAIL;
			break;
		}
	}
	if (retired == 0 && rc == CTL_OK)
		printf("nothing to retire in the %s keyring\n", r->name);
	keyring_free(kr);
	return rc;
}

/* Writes the missing public halves of a keyring that seals to public keys
 * (a keyring made before they were written). */
static int keys_publish(struct ctl *c, const struct ring *r, const char *arg)
{
	char err[512];
	int written = 0;

	(void)arg;
	if (!r->pair) {
		ctl_error("the %s keyring seals with secret keys only: it has no public halves",
		          r->name);
		return CTL_FAIL;
	}
	if (keyring_publish(ring_dir(c, r), &written, err, sizeof(err)) != SP_CRYPTO_OK) {
		ctl_error("%s keyring: %s", r->name, err);
		return CTL_FAIL;
	}
	printf("wrote %d public key file%s in the %s keyring\n", written, written == 1 ? "" : "s",
	       r->name);
	return CTL_OK;
}

int ctl_keys_publish_all(struct ctl *c)
{
	char err[512];
	int written, rc = 0;

	for (size_t i = 0; i < NRINGS; i++) {
		const char *dir = ring_dir(c, &rings[i]);
		char primary[600];

		/* A keyring not made yet gets its halves when it is generated. */
		snprintf(primary, sizeof(primary), "%s/primary", dir ? dir : "");
		if (!rings[i].pair || dir == NULL || dir[0] == '\0' || access(primary, F_OK) != 0)
			continue;
		if (keyring_publish(dir, &written, err, sizeof(err)) != SP_CRYPTO_OK) {
			ctl_error("%s keyring: %s", rings[i].name, err);
			rc = -1;
			continue;
		}
		if (written > 0)
			printf("wrote %d public key file%s in the %s keyring\n", written,
			       written == 1 ? "" : "s", rings[i].name);
	}
	return rc;
}

/* ---- dispatch ------------------------------------------------------------ */

struct keys_cmd {
	const char *name;
	int argc; /* arguments after the keyring name */
	int (*run)(struct ctl *c, const struct ring *r, const char *arg);
	const char *syntax;
	const char *doc;
};

static const struct keys_cmd keys_cmds[] = {
    {"generate", 0, keys_generate, "keys generate doc|token|sso", "new primary key; prints its id"},
    {"list", 0, keys_list, "keys list doc|token|sso", "key ids, the primary, live rows of each"},
    {"rotate", 0, keys_rotate, "keys rotate doc|token|sso",
     "new primary, live rows re-wrapped to it"},
    {"rewrap", 0, keys_rewrap, "keys rewrap doc|token|sso", "re-wrap live rows to the primary"},
    {"retire", 1, keys_retire, "keys retire doc|token|sso KID", "destroy a key no live row uses"},
    {"retire-unused", 0, keys_retire_unused, "keys retire-unused doc|token|sso",
     "destroy every non-primary key no live row uses"},
    {"publish", 0, keys_publish, "keys publish token",
     "write the missing public key files (what scanpost-api loads)"},
};

#define NKEYS_CMDS (sizeof(keys_cmds) / sizeof(keys_cmds[0]))

void ctl_keys_usage(FILE *out)
{
	for (size_t i = 0; i < NKEYS_CMDS; i++)
		ctl_usage_line(out, keys_cmds[i].syntax, keys_cmds[i].doc);
}

int ctl_keys(struct ctl *c, int argc, char **argv)
{
	const struct keys_cmd *cmd = NULL;
	const struct ring *r;

	if (argc < 2) {
		ctl_error("keys: missing subcommand (generate, list, rotate, rewrap, retire, "
		          "retire-unused)");
		return CTL_USAGE;
	}
	for (size_t i = 0; i < NKEYS_CMDS; i++)
		if (strcmp(keys_cmds[i].name, argv[1]) == 0)
			cmd = &keys_cmds[i];
	if (cmd == NULL) {
		ctl_error("keys: unknown subcommand \"%.40s\"", argv[1]);
		return CTL_USAGE;
	}
	if (argc != 3 + cmd->argc) {
		ctl_error("usage: scanpostctl %s", cmd->syntax);
		return CTL_USAGE;
	}
	if ((r = ring_find(argv[2])) == NULL) {
		ctl_error("keys %s: keyring must be doc, token or sso, not \"%.40s\"", cmd->name,
		          argv[2]);
		return CTL_USAGE;
	}
	return cmd->run(c, r, cmd->argc ? argv[3] : NULL);
}
