/*
 * ssod_main.c - scanpost-ssod, the SSO manager (DESIGN 3.4).
 *
 * The only holder of the SSO keyring (sso_keyring), and the only program
 * whose database role (scanpost_sso) may read or write scanpost.sso_vault.
 * scanpost-api asks it over the unix socket sso_socket, one request line
 * per connection (sso_proto.h).  A visit starts with the printer's security
 * token (op "ticket"): verified here against the identity provider's
 * certificates (sso_assert.h), for a registered printer and its audience,
 * used up (a replay is refused), and answered with a ticket
 * (sso_ticket.h) that names the person for the rest of the visit; every
 * other operation carries that ticket.
 *
 * Threads (started and joined by the daemon skeleton, daemon.h): the main
 * thread waits for SIGTERM/SIGINT; an acceptor hands
 * connections to SSOD_WORKERS workers through a bounded queue (a
 * connection that finds the queue full is closed at once: the api sees
 * "unavailable" and the person types their password).  Each worker has its
 * own database connection and its own keycache (keycache.h: no locking).
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "codec.h"
#include "config.h"
#include "daemon.h"
#include "db.h"
#include "keycache.h"
#include "log.h"
#include "sso_assert.h"
#include "sso_proto.h"
#include "sso_ticket.h"
#include "sso_vault.h"

#define SSOD_WORKERS     4
#define SSOD_QUEUE       32
#define SSOD_PRUNE_EVERY 60 /* seconds between prunes of used tokens, per worker */
#define SSOD_CERTS_MAX   (256 * 1024)

struct worker {
	struct daemon *d;
	const struct sp_config *cfg; /* the current one, held per connection (SIGHUP) */
	struct db *db;
	struct keycache keys;
	time_t last_prune;
};

/* The connections accepted and not yet taken by a worker. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t ready;
	int fds[SSOD_QUEUE];
	int head, count;
	int stopping;
} queue = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, {0}, 0, 0, 0};

static int listen_fd = -1;

/* ---- the identity provider's certificates ---------------------------------------- */

/*
 * Reads sso_idp_certs at each use, so that a certificate rollover (the
 * provider publishes its next certificate; the admin appends it to the
 * file) needs no restart.  NULL with why.
 */
static struct sso_idp_keys *idp_keys(const struct sp_config *cfg, char *why, size_t whylen)
{
	struct sso_idp_keys *k = NULL;
	char *pem = malloc(SSOD_CERTS_MAX);
	ssize_t n;
	int fd;

	if (!pem) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	if ((fd = open(cfg->sso_idp_certs, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(why, whylen, "%s: %s", cfg->sso_idp_certs, strerror(errno));
		goto out;
	}
	n = read(fd, pem, SSOD_CERTS_MAX);
	close(fd);
	if (n <= 0 || n == SSOD_CERTS_MAX) {
		snprintf(why, whylen, "%s: empty, unreadable or larger than %d bytes",
		         cfg->sso_idp_certs, SSOD_CERTS_MAX);
		goto out;
	}
	k = sso_idp_keys_load(pem, (size_t)n, why, whylen);
out:
	free(pem);
	return k;
}

/* ---- the operations ------------------------------------------------------ */

/* An audit event with a detail built by json-c (escaped; never a secret). */
static void audit(struct worker *w, const char *event, const char *actor, const char *serial,
                  const char *reason, const char *claimed_user)
{
	struct json_object *d = json_object_new_object();

	if (serial && serial[0])
		json_object_object_add(d, "serial", json_object_new_string(serial));
	if (reason)
		json_object_object_add(d, "reason", json_object_new_string(reason));
	if (claimed_user && claimed_user[0])
		json_object_object_add(d, "claimed_user", json_object_new_string(claimed_user));
	audit_record(w->db, event, actor && actor[0] ? actor : NULL, NULL, NULL, NULL,
	             json_object_to_json_string_ext(d, JSON_C_TO_STRING_PLAIN));
	json_object_put(d);
}

static void answer_error(struct sso_answer *ans, enum sso_proto_err err, const char *reason)
{
	ans->ok = 0;
	ans->error = err;
	if (reason)
		snprintf(ans->reason, sizeof(ans->reason), "%s", reason);
}

/* A refused proof: logged, audited with what it claimed, answered. */
static void refuse(struct worker *w, const char *op, const char *serial, const char *reason,
                   const char *claimed, struct sso_answer *ans)
{
	/* The claimed user of a refused token is not an actor: it goes into
	 * the audit trail as what was claimed. */
	sp_log(LOG_WARN, "sso_assertion_refused", "op", op, "reason", reason, "serial",
	       serial && serial[0] ? serial : NULL, "claimed_user",
	       claimed && claimed[0] ? claimed : NULL, NULL);
	audit(w, "sso_refused", NULL, serial, reason, claimed);
	answer_error(ans, SSO_ERR_ASSERTION_REFUSED, reason);
}

/* SHA-256 (hex) of issuer "\n" id: the key of a token's use.  0, or -1. */
static int token_hash(const char *issuer, const char *id, char hex[65])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (!c || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(c, issuer, strlen(issuer)) != 1 || EVP_DigestUpdate(c, "\n", 1) != 1 ||
	    EVP_DigestUpdate(c, id, strlen(id)) != 1 || EVP_DigestFinal_ex(c, md, &len) != 1 ||
	    len != 32) {
		EVP_MD_CTX_free(c);
		return -1;
	}
	EVP_MD_CTX_free(c);
	hex_encode(md, 32, hex);
	return 0;
}

/*
 * op "ticket": the printer's security token, for the registered printer
 * req->serial.  Verified (sso_assert.h) with that printer's audience, used
 * up, and answered with the person's identity and a ticket.
 */
static void op_ticket(struct worker *w, const struct sso_request *req, struct sso_answer *ans)
{
	const struct sp_config *cfg = w->cfg;
	struct sso_idp_keys *keys;
	struct sso_claims claims;
	enum sso_assert_result r;
	char audience[SSO_ISSUER_MAX + 1], why[160], hash[65];
	time_t now = time(NULL);
	int rc;

	if (!sso_serial_valid(req->serial)) {
		refuse(w, "ticket", NULL, "bad_serial", NULL, ans);
		return;
	}
	if ((rc = sso_device_audience(w->db, req->serial, audience, sizeof(audience))) < 0)
		goto db_down;
	if (rc == 1) {
		refuse(w, "ticket", req->serial, "unknown_device", NULL, ans);
		return;
	}
	if ((keys = idp_keys(cfg, why, sizeof(why))) == NULL) {
		sp_log(LOG_ERROR, "sso_idp_certs_unusable", "detail", why, NULL);
		answer_error(ans, SSO_ERR_UNAVAILABLE, NULL);
		return;
	}
	struct sso_trust trust = {keys, cfg->sso_idp_issuer,
	                          audience[0] ? audience : cfg->sso_audience};
	r = sso_assert_verify(req->token, strlen(req->token), &trust, now,
	                      cfg->sso_assertion_max_age, &claims);
	sso_idp_keys_free(keys);
	if (r != SSO_ASSERT_OK) {
		/* wrong_audience on a genuine token: it was issued for another
		 * printer or another relying party. */
		refuse(w, "ticket", req->serial, sso_assert_reason(r), claims.identity, ans);
		return;
	}
	if (token_hash(cfg->sso_idp_issuer, claims.id, hash) != 0) {
		answer_error(ans, SSO_ERR_UNAVAILABLE, NULL);
		return;
	}
	if ((rc = sso_token_claim(w->db, hash, req->serial, claims.valid_until)) < 0)
		goto db_down;
	if (rc == 1) {
		refuse(w, "ticket", req->serial, "replayed", claims.identity, ans);
		return;
	}
	if (sso_ticket_make(keycache_get(&w->keys), claims.identity, req->serial,
	                    now + cfg->sso_ticket_lifetime, ans->ticket) != SSO_TICKET_OK) {
		sp_log(LOG_ERROR, "sso_ticket_failed", NULL);
		answer_error(ans, SSO_ERR_UNAVAILABLE, NULL);
		return;
	}
	snprintf(ans->identity, sizeof(ans->identity), "%s", claims.identity);
	sp_log(LOG_INFO, "sso_token_accepted", "identity", claims.identity, "serial", req->serial,
	       NULL);
	ans->ok = 1;
	return;
db_down:
	sp_log(LOG_ERROR, "sso_db_failed", "error", db_error(w->db), NULL);
	answer_error(ans, SSO_ERR_UNAVAILABLE, NULL);
}

/* Who the ticket of every other operation names.  0 with c filled; -1
 * with ans set (refused). */
static int check_ticket(struct worker *w, const struct sso_request *req, struct sso_claims *c,
                        char serial[SSO_SERIAL_MAX + 1], struct sso_answer *ans)
{
	int rc;

	memset(c, 0, sizeof(*c));
	rc = sso_ticket_open(keycache_get(&w->keys), req->ticket, time(NULL), c->identity, serial);
	if (rc == SSO_TICKET_OK)
		return 0;
	refuse(w, sso_op_name(req->op), NULL,
	       rc == SSO_TICKET_EXPIRED ? "ticket_expired" : "ticket_invalid", NULL, ans);
	return -1;
}

static void op_store(struct worker *w, const struct sso_request *req, const char *identity,
                     const char *serial, struct sso_answer *ans)
{
	int rc =
	    sso_vault_store(w->db, keycache_get(&w->keys), identity, req->username, req->password);

	if (rc == SSO_VAULT_OTHER_ACCOUNT) {
		/* A stored sign-in belongs to its account (DESIGN 3.4): another
		 * one does not replace it; the person forgets it first. */
		sp_log(LOG_WARN, "sso_store_refused", "identity", identity, "serial", serial,
		       "reason", "other_account", NULL);
		audit(w, "sso_store_refused", identity, serial, "other_account", NULL);
		answer_error(ans, SSO_ERR_OTHER_ACCOUNT, "other_account");
		return;
	}
	if (rc != SSO_VAULT_OK) {
		sp_log(LOG_ERROR, "sso_store_failed", "identity", identity, "error",
		       rc == SSO_VAULT_DB ? db_error(w->db) : "sealing failed", NULL);
		answer_error(ans, SSO_ERR_UNAVAILABLE, NULL);
		return;
	}
	sp_log(LOG_INFO, "sso_stored", "identity", identity, "serial", serial, NULL);
	audit(w, "sso_stored", identity, serial, NULL, NULL);
	ans->ok = 1;
}

static void op_fetch(struct worker *w, const struct sso_request *req, const char *identity,
                     const char *serial, struct sso_answer *ans)
{
	struct sso_credentials cred;
	int rc = sso_vault_fetch(w->db, keycache_get(&w->keys), identity, &cred);

	(void)req;
	if (rc == SSO_VAULT_DB) {
		sp_log(LOG_ERROR, "sso_db_failed", "error", db_error(w->db), NULL);
		answer_error(ans, SSO_ERR_UNAVAILABLE, NULL);
	} else if (rc != SSO_VAULT_OK) {
		/* An unreadable row was logged and audited by the vault: to the
		 * person it is the same as nothing stored. */
		answer_error(ans, SSO_ERR_NOT_STORED, NULL);
	} else {
		ans->ok = 1;
		memcpy(ans->username, cred.username, sizeof(ans->username));
		memcpy(ans->password, cred.password, sizeof(ans->password));
		sp_log(LOG_INFO, "sso_used", "identity", identity, "serial", serial, NULL);
		audit(w, "sso_used", identity, serial, NULL, NULL);
	}
	sso_credentials_wipe(&cred);
}

static void op_forget(struct worker *w, const struct sso_request *req, const char *identity,
                      const char *serial, struct sso_answer *ans)
{
	int rc = sso_vault_forget(w->db, identity);

	(void)req;
	if (rc == SSO_VAULT_DB) {
		sp_log(LOG_ERROR, "sso_db_failed", "error", db_error(w->db), NULL);
		answer_error(ans, SSO_ERR_UNAVAILABLE, NULL);
		return;
	}
	if (rc == SSO_VAULT_NOT_STORED) {
		answer_error(ans, SSO_ERR_NOT_STORED, NULL);
		return;
	}
	sp_log(LOG_INFO, "sso_forgotten", "identity", identity, "serial", serial, NULL);
	audit(w, "sso_forgotten", identity, serial, "user", NULL);
	ans->ok = 1;
}

/* RMail refused the stored credentials (the password changed).  The row
 * stays: the person is asked to sign in again, and a sign-in with
 * remember replaces it (or the weblet forgets it when they decline). */
static void op_refused(struct worker *w, const struct sso_request *req, const char *identity,
                       const char *serial, struct sso_answer *ans)
{
	(void)req;
	sp_log(LOG_INFO, "sso_credentials_refused", "identity", identity, "serial", serial, NULL);
	audit(w, "sso_credentials_refused", identity, serial, NULL, NULL);
	ans->ok = 1;
}

/* The operations that take a ticket (op "ticket" makes one). */
typedef void (*op_fn)(struct worker *w, const struct sso_request *req, const char *identity,
                      const char *serial, struct sso_answer *ans);

static const op_fn ops[SSO_OP__MAX] = {
    [SSO_OP_STORE] = op_store,
    [SSO_OP_FETCH] = op_fetch,
    [SSO_OP_FORGET] = op_forget,
    [SSO_OP_REFUSED] = op_refused,
};

/* ---- connections ------------------------------------------------------------- */

static void handle_connection(struct worker *w, int fd)
{
	struct timeval tv = {SSO_TIMEOUT_MS / 1000, (SSO_TIMEOUT_MS % 1000) * 1000};
	struct sso_request req;
	struct sso_answer ans;
	struct sso_claims claims;
	char serial[SSO_SERIAL_MAX + 1];
	char line[SSO_LINE_MAX + 1], msg[96];
	long n;
	int len;

	memset(&ans, 0, sizeof(ans));
	memset(&req, 0, sizeof(req));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if ((n = sso_read_line(fd, line)) < 0) {
		answer_error(&ans, SSO_ERR_BAD_REQUEST, "no_line");
	} else if (sso_request_parse(line, (size_t)n, &req, msg, sizeof(msg)) != 0) {
		sp_log(LOG_WARN, "sso_bad_request", "detail", msg, NULL);
		answer_error(&ans, SSO_ERR_BAD_REQUEST, NULL);
	} else if (req.op == SSO_OP_TICKET) {
		op_ticket(w, &req, &ans);
	} else if (check_ticket(w, &req, &claims, serial, &ans) == 0) {
		snprintf(ans.identity, sizeof(ans.identity), "%s", claims.identity);
		ops[req.op](w, &req, claims.identity, serial, &ans);
	}
	OPENSSL_cleanse(line, sizeof(line));
	if ((len = sso_answer_format(&ans, line, sizeof(line))) > 0)
		sso_write_all(fd, line, (size_t)len);
	OPENSSL_cleanse(line, sizeof(line));
	sso_request_wipe(&req);
	sso_answer_wipe(&ans);
}

static void prune_token_uses(struct worker *w)
{
	time_t now = time(NULL);

	if (now - w->last_prune < SSOD_PRUNE_EVERY)
		return;
	w->last_prune = now;
	if (sso_token_uses_prune(w->db) < 0)
		sp_log(LOG_WARN, "sso_token_prune_failed", "error", db_error(w->db), NULL);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	for (;;) {
		int fd;

		pthread_mutex_lock(&queue.lock);
		while (queue.count == 0 && !queue.stopping)
			pthread_cond_wait(&queue.ready, &queue.lock);
		if (queue.count == 0) {
			pthread_mutex_unlock(&queue.lock);
			break;
		}
		fd = queue.fds[queue.head];
		queue.head = (queue.head + 1) % SSOD_QUEUE;
		queue.count--;
		pthread_mutex_unlock(&queue.lock);

		w->cfg = daemon_config_hold(w->d);
		handle_connection(w, fd);
		daemon_config_drop(w->d, w->cfg);
		w->cfg = NULL;
		close(fd);
		prune_token_uses(w);
	}
	return NULL;
}

static void *acceptor_main(void *arg)
{
	(void)arg;
	for (;;) {
		int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			break; /* shut down */
		}
		pthread_mutex_lock(&queue.lock);
		if (queue.stopping || queue.count == SSOD_QUEUE) {
			pthread_mutex_unlock(&queue.lock);
			sp_log(LOG_WARN, "sso_busy", NULL);
			close(fd);
			continue;
		}
		queue.fds[(queue.head + queue.count) % SSOD_QUEUE] = fd;
		queue.count++;
		pthread_cond_signal(&queue.ready);
		pthread_mutex_unlock(&queue.lock);
	}
	pthread_mutex_lock(&queue.lock);
	queue.stopping = 1;
	pthread_cond_broadcast(&queue.ready);
	pthread_mutex_unlock(&queue.lock);
	return NULL;
}

/* ---- start and stop ------------------------------------------------------ */

static void usage(FILE *out)
{
	fprintf(out, "usage: scanpost-ssod [-c FILE]\n"
	             "The SSO manager of scanpost: holds the SSO keyring and the vault;\n"
	             "scanpost-api asks it over sso_socket.  See README.\n\n");
	config_print_help(out);
}

/* Wakes the acceptor; workers finish the connections already queued, then
 * leave (the acceptor refuses what comes after: queue.stopping). */
static void ssod_stop(void *arg)
{
	(void)arg;
	if (listen_fd >= 0)
		shutdown(listen_fd, SHUT_RDWR);
	pthread_mutex_lock(&queue.lock);
	queue.stopping = 1;
	pthread_cond_broadcast(&queue.ready);
	pthread_mutex_unlock(&queue.lock);
}

int main(int argc, char **argv)
{
	static struct daemon d;
	static struct sp_config cfg;
	static struct worker workers[SSOD_WORKERS];
	char err[512];
	int rc = 1, status, xmlsec_up = 0;

	if (daemon_init(&d, "scanpost-ssod", argc, argv, usage, &cfg, &status) != 0)
		return status;
	daemon_on_stop(&d, ssod_stop, NULL);
	if (cfg.sso_socket[0] == '\0') {
		daemon_fail(&d, "sso_socket is empty (single sign-on is off)");
		goto out;
	}
	if (cfg.sso_idp_issuer[0] == '\0' || cfg.sso_audience[0] == '\0') {
		daemon_fail(&d,
		            "sso_idp_issuer and sso_audience must be set (README, single sign-on)");
		goto out;
	}
	if (sso_assert_init() != 0) {
		daemon_fail(&d, "libxml2/xmlsec do not initialize");
		goto out;
	}
	xmlsec_up = 1;
	{
		struct sso_idp_keys *k = idp_keys(&cfg, err, sizeof(err));

		if (!k) {
			daemon_fail(&d, "sso_idp_certs: %s", err);
			goto out;
		}
		sp_log(LOG_INFO, "sso_idp_certs", "file", cfg.sso_idp_certs, "%certificates",
		       LOG_NUM((long)sso_idp_keys_count(k)), NULL);
		sso_idp_keys_free(k);
	}
	for (int i = 0; i < SSOD_WORKERS; i++) {
		workers[i].d = &d;
		if (keycache_init(&workers[i].keys, cfg.sso_keyring, err, sizeof(err)) != 0) {
			daemon_fail(&d, "sso_keyring: %s", err);
			goto out;
		}
		if ((workers[i].db = db_new(cfg.db_conninfo)) == NULL) {
			daemon_fail(&d, "out of memory");
			goto out;
		}
		if (db_ensure(workers[i].db) != 0)
			sp_log(LOG_WARN, "db_connect_failed", "error", db_error(workers[i].db),
			       NULL);
	}
	if ((listen_fd = daemon_listen_unix(cfg.sso_socket, 64)) < 0) {
		daemon_fail(&d, "cannot listen on %s: %s", cfg.sso_socket, strerror(errno));
		goto out;
	}
	for (int i = 0; i < SSOD_WORKERS; i++)
		if (daemon_spawn(&d, "worker", worker_main, &workers[i]) != 0)
			goto out;
	if (daemon_spawn(&d, "acceptor", acceptor_main, NULL) != 0)
		goto out;
	sp_log(LOG_INFO, "started", "socket", cfg.sso_socket, "%workers", LOG_NUM(SSOD_WORKERS),
	       NULL);
	daemon_wait(&d);
	rc = 0;
out:
	daemon_stop(&d);
	if (listen_fd >= 0) {
		close(listen_fd);
		unlink(cfg.sso_socket);
	}
	for (int i = 0; i < SSOD_WORKERS; i++) {
		db_free(workers[i].db);
		keycache_free(&workers[i].keys);
	}
	if (xmlsec_up)
		sso_assert_shutdown();
	return daemon_exit(&d, rc);
}
