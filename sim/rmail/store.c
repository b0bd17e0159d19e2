/*
 * store.c - rmail-sim's state (see store.h).
 *
 * Plain arrays searched linearly: a simulator holds tens or hundreds of
 * items, and a reader can see at a glance what is kept.
 */
#include "store.h"
#include "ids.h"
#include "wire.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#define UPLOAD_ID_BYTES    4 /* "c142e3c3", the shape the real service returns */
#define TRANSFER_KEY_BYTES 16
#define ACCOUNT_LINE_MAX   1024

struct account {
	char *user;
	char *password; /* wiped on free */
};

struct token {
	unsigned char hash[32]; /* SHA-256 of the token; the token itself is never kept */
	char user[STORE_USER_MAX];
	time_t expires;
};

struct transfer {
	char key[STORE_ID_MAX];
	char user[STORE_USER_MAX];
};

struct message {
	char user[STORE_USER_MAX];
	char tracking_id[STORE_ID_MAX];
	char *customer_tracking_id;
	time_t accepted;
	json_object *record;
};

struct store {
	pthread_mutex_t lock;
	char *dir;
	struct account *accounts;
	size_t n_accounts;
	struct token *tokens;
	size_t n_tokens, cap_tokens;
	struct store_upload *uploads;
	size_t n_uploads, cap_uploads;
	struct transfer *transfers;
	size_t n_transfers, cap_transfers;
	struct message *messages;
	size_t n_messages, cap_messages;
	unsigned long counters[EP__MAX][CNT__MAX];
};

static const char *const endpoint_names[EP__MAX] = {
    [EP_TOKEN] = "/Token",
    [EP_UPLOAD] = "/api/Upload",
    [EP_LARGE_FILE_TRANSFER] = "/api/v1/Mail/LargeFileTransfer",
    [EP_MAIL] = "/api/v1/Mail",
    [EP_MESSAGE_STATUS] = "/api/v1/Receipt/MessageStatus",
    [EP_MESSAGE_INFO] = "/api/v1/MessageInfo",
};

static const char *const counter_names[CNT__MAX] = {
    [CNT_CALLS] = "calls",
    [CNT_FAULTS] = "faults",
    [CNT_ACCEPTED] = "accepted",
    [CNT_BUSINESS_FAILURES] = "business_failures",
};

/* Grows *arr (of *cap elements of size elem) to hold one more; 0 or -1. */
static int grow(void **arr, size_t *cap, size_t n, size_t elem)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	p = realloc(*arr, ncap * elem);
	if (!p)
		return -1;
	*arr = p;
	*cap = ncap;
	return 0;
}

static void copy_str(char *dst, size_t dstlen, const char *src)
{
	snprintf(dst, dstlen, "%s", src);
}

struct store *store_new(const char *dir)
{
	struct store *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	st->dir = strdup(dir);
	if (!st->dir || pthread_mutex_init(&st->lock, NULL) != 0) {
		free(st->dir);
		free(st);
		return NULL;
	}
	return st;
}

static void accounts_free(struct account *a, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(a[i].user);
		if (a[i].password) {
			OPENSSL_cleanse(a[i].password, strlen(a[i].password));
			free(a[i].password);
		}
	}
	free(a);
}

static void messages_clear(struct store *st)
{
	for (size_t i = 0; i < st->n_messages; i++) {
		free(st->messages[i].customer_tracking_id);
		json_object_put(st->messages[i].record);
	}
	st->n_messages = 0;
}

void store_free(struct store *st)
{
	if (!st)
		return;
	accounts_free(st->accounts, st->n_accounts);
	if (st->tokens)
		OPENSSL_cleanse(st->tokens, st->cap_tokens * sizeof(*st->tokens));
	free(st->tokens);
	free(st->uploads);
	free(st->transfers);
	messages_clear(st);
	free(st->messages);
	pthread_mutex_destroy(&st->lock);
	free(st->dir);
	free(st);
}

/* Parses one accounts line into *a. 0 = account, 1 = comment/blank, -1 = malformed. */
static int parse_account_line(char *line, struct account *a)
{
	char *colon, *p = line;
	size_t len = strcspn(line, "\r\n");

	line[len] = '\0';
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0' || *p == '#')
		return 1;
	colon = strchr(p, ':');
	if (!colon || colon == p || (size_t)(colon - p) >= STORE_USER_MAX)
		return -1;
	*colon = '\0';
	a->user = strdup(p);
	a->password = strdup(colon + 1);
	if (!a->user || !a->password)
		return -1;
	return 0;
}

int store_accounts_load(struct store *st, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char line[ACCOUNT_LINE_MAX];
	struct account *list = NULL;
	size_t n = 0, cap = 0;
	unsigned lineno = 0;
	int rc = -1;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		struct account a = {0};
		int r;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errlen, "%s:%u: line too long", path, lineno);
			goto out;
		}
		r = parse_account_line(line, &a);
		if (r == 1)
			continue;
		if (r < 0 || grow((void **)&list, &cap, n, sizeof(*list)) < 0) {
			free(a.user);
			if (a.password) {
				OPENSSL_cleanse(a.password, strlen(a.password));
				free(a.password);
			}
			snprintf(err, errlen, "%s:%u: %s", path, lineno,
			         r < 0 ? "expected username:password" : "out of memory");
			goto out;
		}
		list[n++] = a;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		goto out;
	}
	pthread_mutex_lock(&st->lock);
	accounts_free(st->accounts, st->n_accounts);
	st->accounts = list;
	st->n_accounts = n;
	pthread_mutex_unlock(&st->lock);
	list = NULL;
	n = 0;
	rc = 0;
out:
	OPENSSL_cleanse(line, sizeof(line));
	accounts_free(list, n);
	fclose(f);
	return rc;
}

bool store_account_check(struct store *st, const char *user, const char *password, char *canon,
                         size_t canonlen)
{
	bool ok = false;
	size_t plen = strlen(password);

	pthread_mutex_lock(&st->lock);
	for (size_t i = 0; i < st->n_accounts && !ok; i++) {
		const struct account *a = &st->accounts[i];

		if (strcasecmp(a->user, user) != 0)
			continue;
		/* Constant time in the password bytes; the length is not a secret worth hiding
		 * here. */
		if (strlen(a->password) == plen &&
		    CRYPTO_memcmp(a->password, password, plen) == 0) {
			copy_str(canon, canonlen, a->user);
			ok = true;
		}
	}
	pthread_mutex_unlock(&st->lock);
	return ok;
}

static int token_hash(const char *token, unsigned char out[32])
{
	unsigned int len = 0;

	return EVP_Digest(token, strlen(token), out, &len, EVP_sha256(), NULL) == 1 && len == 32
	           ? 0
	           : -1;
}

int store_token_issue(struct store *st, const char *user, long ttl, char *token, size_t tokenlen,
                      time_t *issued, time_t *expires)
{
	struct token t = {0};
	int rc = -1;

	if (ids_random_base64url(token, tokenlen, 32) < 0 || token_hash(token, t.hash) < 0)
		return -1;
	copy_str(t.user, sizeof(t.user), user);
	*issued = time(NULL);
	t.expires = *issued + ttl;
	*expires = t.expires;
	pthread_mutex_lock(&st->lock);
	/* Drop expired tokens first, so a long-running simulator does not grow without end. */
	for (size_t i = 0; i < st->n_tokens;) {
		if (st->tokens[i].expires <= *issued)
			st->tokens[i] = st->tokens[--st->n_tokens];
		else
			i++;
	}
	if (grow((void **)&st->tokens, &st->cap_tokens, st->n_tokens, sizeof(t)) == 0) {
		st->tokens[st->n_tokens++] = t;
		rc = 0;
	}
	pthread_mutex_unlock(&st->lock);
	OPENSSL_cleanse(&t, sizeof(t));
	return rc;
}

bool store_token_user(struct store *st, const char *token, char *user, size_t userlen)
{
	unsigned char hash[32];
	bool ok = false;
	time_t now = time(NULL);

	if (token_hash(token, hash) < 0)
		return false;
	pthread_mutex_lock(&st->lock);
	for (size_t i = 0; i < st->n_tokens; i++) {
		if (CRYPTO_memcmp(st->tokens[i].hash, hash, sizeof(hash)) != 0)
			continue;
		if (st->tokens[i].expires > now) {
			copy_str(user, userlen, st->tokens[i].user);
			ok = true;
		}
		break;
	}
	pthread_mutex_unlock(&st->lock);
	return ok;
}

int store_incoming_path(struct store *st, char *out, size_t outlen)
{
	char rnd[33];
	int n;

	if (ids_random_hex(rnd, sizeof(rnd), 16) < 0)
		return -1;
	n = snprintf(out, outlen, "%s/incoming-%s.part", st->dir, rnd);
	return n > 0 && (size_t)n < outlen ? 0 : -1;
}

static void upload_path(const struct store *st, const char *id, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s/upload-%s", st->dir, id);
}

/* Caller holds the lock. */
static bool upload_id_taken(const struct store *st, const char *id)
{
	for (size_t i = 0; i < st->n_uploads; i++) {
		if (strcmp(st->uploads[i].id, id) == 0)
			return true;
	}
	return false;
}

int store_upload_commit(struct store *st, const char *tmp_path, struct store_upload *meta)
{
	char path[PATH_MAX];
	int rc = -1;

	pthread_mutex_lock(&st->lock);
	do {
		if (ids_random_hex(meta->id, sizeof(meta->id), UPLOAD_ID_BYTES) < 0)
			goto out;
	} while (upload_id_taken(st, meta->id));
	meta->created = time(NULL);
	upload_path(st, meta->id, path, sizeof(path));
	if (grow((void **)&st->uploads, &st->cap_uploads, st->n_uploads, sizeof(*meta)) < 0 ||
	    rename(tmp_path, path) != 0)
		goto out;
	st->uploads[st->n_uploads++] = *meta;
	rc = 0;
out:
	pthread_mutex_unlock(&st->lock);
	if (rc != 0)
		unlink(tmp_path);
	return rc;
}

bool store_upload_find(struct store *st, const char *user, const char *id, struct store_upload *out)
{
	bool found = false;

	pthread_mutex_lock(&st->lock);
	for (size_t i = 0; i < st->n_uploads; i++) {
		if (strcmp(st->uploads[i].id, id) == 0 && strcmp(st->uploads[i].user, user) == 0) {
			*out = st->uploads[i];
			found = true;
			break;
		}
	}
	pthread_mutex_unlock(&st->lock);
	return found;
}

int store_transfer_add(struct store *st, const char *user, char *key, size_t keylen)
{
	struct transfer t = {0};
	int rc = -1;

	if (ids_random_hex(t.key, sizeof(t.key), TRANSFER_KEY_BYTES) < 0)
		return -1;
	copy_str(t.user, sizeof(t.user), user);
	pthread_mutex_lock(&st->lock);
	if (grow((void **)&st->transfers, &st->cap_transfers, st->n_transfers, sizeof(t)) == 0) {
		st->transfers[st->n_transfers++] = t;
		rc = 0;
	}
	pthread_mutex_unlock(&st->lock);
	if (rc == 0)
		copy_str(key, keylen, t.key);
	return rc;
}

bool store_transfer_owned(struct store *st, const char *user, const char *key)
{
	bool found = false;

	pthread_mutex_lock(&st->lock);
	for (size_t i = 0; i < st->n_transfers && !found; i++)
		found = strcmp(st->transfers[i].key, key) == 0 &&
		        strcmp(st->transfers[i].user, user) == 0;
	pthread_mutex_unlock(&st->lock);
	return found;
}

int store_message_add(struct store *st, const struct store_message_key *key, json_object *record)
{
	struct message m = {0};
	int rc = -1;

	copy_str(m.user, sizeof(m.user), key->user);
	copy_str(m.tracking_id, sizeof(m.tracking_id), key->tracking_id);
	m.customer_tracking_id = strdup(key->customer_tracking_id ? key->customer_tracking_id : "");
	m.accepted = key->accepted;
	m.record = record;
	if (!m.customer_tracking_id) {
		json_object_put(record);
		return -1;
	}
	pthread_mutex_lock(&st->lock);
	if (grow((void **)&st->messages, &st->cap_messages, st->n_messages, sizeof(m)) == 0) {
		st->messages[st->n_messages++] = m;
		rc = 0;
	}
	pthread_mutex_unlock(&st->lock);
	if (rc != 0) {
		free(m.customer_tracking_id);
		json_object_put(record);
	}
	return rc;
}

static bool message_matches(const struct message *m, const struct store_query *q)
{
	if (q->user && strcmp(m->user, q->user) != 0)
		return false;
	if (q->tracking_id && strcasecmp(m->tracking_id, q->tracking_id) != 0)
		return false;
	if (q->customer_tracking_id &&
	    strcmp(m->customer_tracking_id, q->customer_tracking_id) != 0)
		return false;
	if (q->window && (m->accepted < q->from || m->accepted > q->to))
		return false;
	if (q->hide_after > 0 && m->accepted > q->hide_after)
		return false;
	return true;
}

json_object *store_messages_find(struct store *st, const struct store_query *q)
{
	json_object *arr = json_object_new_array();

	if (!arr)
		return NULL;
	pthread_mutex_lock(&st->lock);
	for (size_t i = 0; i < st->n_messages; i++) {
		json_object *copy = NULL;

		if (!message_matches(&st->messages[i], q))
			continue;
		/* Deep copies: json-c reference counts are not atomic, so no sharing across
		 * threads. */
		if (json_object_deep_copy(st->messages[i].record, &copy, NULL) != 0 ||
		    json_object_array_add(arr, copy) != 0) {
			json_object_put(copy);
			json_object_put(arr);
			arr = NULL;
			break;
		}
	}
	pthread_mutex_unlock(&st->lock);
	return arr;
}

static json_object *upload_json(const struct store_upload *u)
{
	json_object *o = json_object_new_object();
	char created[32];

	if (!o)
		return NULL;
	wire_format_iso8601(u->created, created, sizeof(created));
	json_object_object_add(o, "id", json_object_new_string(u->id));
	json_object_object_add(o, "user", json_object_new_string(u->user));
	json_object_object_add(o, "filename", json_object_new_string(u->filename));
	json_object_object_add(o, "bytes", json_object_new_int64((int64_t)u->bytes));
	json_object_object_add(o, "sha256", json_object_new_string(u->sha256));
	json_object_object_add(o, "created_at", json_object_new_string(created));
	return o;
}

json_object *store_uploads_json(struct store *st)
{
	json_object *arr = json_object_new_array();

	if (!arr)
		return NULL;
	pthread_mutex_lock(&st->lock);
	for (size_t i = 0; i < st->n_uploads; i++) {
		json_object *o = upload_json(&st->uploads[i]);

		if (!o || json_object_array_add(arr, o) != 0) {
			json_object_put(o);
			json_object_put(arr);
			arr = NULL;
			break;
		}
	}
	pthread_mutex_unlock(&st->lock);
	return arr;
}

void store_count(struct store *st, enum store_endpoint ep, enum store_counter cnt)
{
	if (ep >= EP__MAX || cnt >= CNT__MAX)
		return;
	pthread_mutex_lock(&st->lock);
	st->counters[ep][cnt]++;
	pthread_mutex_unlock(&st->lock);
}

json_object *store_stats_json(struct store *st)
{
	json_object *all = json_object_new_object();

	if (!all)
		return NULL;
	pthread_mutex_lock(&st->lock);
	for (int ep = 0; ep < EP__MAX; ep++) {
		json_object *one = json_object_new_object();

		for (int c = 0; c < CNT__MAX; c++) {
			/* Acceptance counters mean something for mail only. */
			if (ep != EP_MAIL && (c == CNT_ACCEPTED || c == CNT_BUSINESS_FAILURES))
				continue;
			json_object_object_add(one, counter_names[c],
			                       json_object_new_int64((int64_t)st->counters[ep][c]));
		}
		json_object_object_add(all, endpoint_names[ep], one);
	}
	pthread_mutex_unlock(&st->lock);
	return all;
}

const char *store_endpoint_name(enum store_endpoint ep)
{
	return ep < EP__MAX ? endpoint_names[ep] : "?";
}

void store_reset(struct store *st)
{
	char path[PATH_MAX];

	pthread_mutex_lock(&st->lock);
	OPENSSL_cleanse(st->tokens, st->cap_tokens * sizeof(*st->tokens));
	st->n_tokens = 0;
	for (size_t i = 0; i < st->n_uploads; i++) {
		upload_path(st, st->uploads[i].id, path, sizeof(path));
		unlink(path);
	}
	st->n_uploads = 0;
	st->n_transfers = 0;
	messages_clear(st);
	memset(st->counters, 0, sizeof(st->counters));
	pthread_mutex_unlock(&st->lock);
}
