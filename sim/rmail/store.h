/*
 * store.h - everything rmail-sim remembers: accounts, bearer tokens,
 * uploaded files, large-file transfer keys, accepted messages and call
 * counters. One mutex guards it all; every function is thread-safe.
 *
 * Uploaded bytes live as files in the store directory (never in memory);
 * the rest is in memory and gone on restart or POST /_sim/reset.
 */
#ifndef RMAIL_SIM_STORE_H
#define RMAIL_SIM_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <json.h>

#define STORE_USER_MAX   256
#define STORE_NAME_MAX   256
#define STORE_ID_MAX     48
#define STORE_TOKEN_MAX  64
#define STORE_SHA256_HEX 65

/* The RMail endpoints counted by GET /_sim/stats; store_endpoint_name() spells them. */
enum store_endpoint {
	EP_TOKEN,
	EP_UPLOAD,
	EP_LARGE_FILE_TRANSFER,
	EP_MAIL,
	EP_MESSAGE_STATUS,
	EP_MESSAGE_INFO,
	EP__MAX
};

enum store_counter {
	CNT_CALLS,             /* requests routed to the endpoint */
	CNT_FAULTS,            /* of those, how many a fault rule took */
	CNT_ACCEPTED,          /* mail recorded as accepted (after_accept faults included) */
	CNT_BUSINESS_FAILURES, /* mail answered Status "Failure" */
	CNT__MAX
};

struct store_upload {
	char id[STORE_ID_MAX];
	char user[STORE_USER_MAX];
	char filename[STORE_NAME_MAX];
	uint64_t bytes;
	char sha256[STORE_SHA256_HEX]; /* lowercase hex */
	time_t created;
};

/* What MessageStatus and MessageInfo may filter on; NULL / false = no filter. */
struct store_query {
	const char *user; /* owner; NULL only for /_sim/messages */
	const char *tracking_id;
	const char *customer_tracking_id;
	bool window;
	time_t from, to;   /* inclusive, when window */
	time_t hide_after; /* > 0: messages accepted later are not listed yet */
};

/* The index fields of an accepted message; the full record is JSON. */
struct store_message_key {
	const char *user;
	const char *tracking_id;
	const char *customer_tracking_id; /* "" when the client set none */
	time_t accepted;
};

struct store;

/* A store whose files live in dir (must exist). NULL on out-of-memory. Free with store_free(). */
struct store *store_new(const char *dir);

/* Frees memory and wipes passwords; leaves uploaded files on disk. NULL is fine. */
void store_free(struct store *st);

/*
 * (Re)reads `username:password` lines (# comments and blank lines skipped,
 * the password is everything after the first ':'). On error keeps the
 * accounts it had, writes a message naming file and line to err, returns -1.
 */
int store_accounts_load(struct store *st, const char *path, char *err, size_t errlen);

/*
 * True when user/password match an account. User names compare ignoring
 * ASCII case (RMail user names are email addresses); the account's own
 * spelling is copied to canon[canonlen].
 */
bool store_account_check(struct store *st, const char *user, const char *password, char *canon,
                         size_t canonlen);

/*
 * Issues a fresh bearer token (32 random bytes, base64url) for user, valid
 * ttl seconds. Only a SHA-256 of it is kept. Writes the token to
 * token[tokenlen] (wipe it after use), issue and expiry times to *issued and
 * *expires. Returns 0, or -1 on CSPRNG or memory failure.
 */
int store_token_issue(struct store *st, const char *user, long ttl, char *token, size_t tokenlen,
                      time_t *issued, time_t *expires);

/* True when token is known and unexpired; copies its user to user[userlen]. */
bool store_token_user(struct store *st, const char *token, char *user, size_t userlen);

/*
 * A fresh path in the store directory for an incoming upload, written to
 * out[outlen]. Returns 0 or -1.
 */
int store_incoming_path(struct store *st, char *out, size_t outlen);

/*
 * Files the fully written incoming file at tmp_path as a new upload of
 * meta->user with meta's filename, bytes and sha256 (meta->id and
 * meta->created are set here and copied to *meta). The file is renamed into
 * place; on failure it is removed. Returns 0 or -1.
 */
int store_upload_commit(struct store *st, const char *tmp_path, struct store_upload *meta);

/* True when id names an upload of user; copies it to *out. */
bool store_upload_find(struct store *st, const char *user, const char *id,
                       struct store_upload *out);

/* Registers a large-file transfer key for user, written to key[keylen]. Returns 0 or -1. */
int store_transfer_add(struct store *st, const char *user, char *key, size_t keylen);

/* True when key was issued to user by store_transfer_add(). */
bool store_transfer_owned(struct store *st, const char *user, const char *key);

/*
 * Records an accepted message. Takes ownership of record (a JSON object,
 * the /_sim/messages shape) even on failure. Returns 0 or -1.
 */
int store_message_add(struct store *st, const struct store_message_key *key, json_object *record);

/*
 * The records matching q, oldest first, as a new JSON array of deep copies
 * (caller puts it). NULL on out-of-memory.
 */
json_object *store_messages_find(struct store *st, const struct store_query *q);

/* All uploads as a new JSON array (caller puts it). NULL on out-of-memory. */
json_object *store_uploads_json(struct store *st);

void store_count(struct store *st, enum store_endpoint ep, enum store_counter cnt);

/* {"/Token": {"calls": n, "faults": n}, ..., "/api/v1/Mail": {..., "accepted": n, ...}}; caller
 * puts. */
json_object *store_stats_json(struct store *st);

/* The canonical path of an endpoint, e.g. "/api/v1/Mail". */
const char *store_endpoint_name(enum store_endpoint ep);

/* Forgets tokens, uploads (deleting their files), transfer keys, messages and counters. */
void store_reset(struct store *st);

#endif
