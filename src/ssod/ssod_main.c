/*
 * ssod_main.c - scanpost-ssod, the SSO manager (DESIGN 3.4).
 *
 * The only holder of the SSO keyring (sso_keyring) and of the device keys
 * (sso_device_keys/<serial>.key), and the only program whose database role
 * (scanpost_sso) may read or write scanpost.sso_vault.  scanpost-api asks it
 * over the unix socket sso_socket, one request line per connection
 * (sso_proto.h); every request carries a device assertion, verified here
 * (sso_assert.h) before anything else, and whose nonce is then claimed so a
 * replay is refused.
 *
 * Threads: the main thread waits for SIGTERM/SIGINT; an acceptor hands
 * connections to SSOD_WORKERS workers through a bounded queue (a
 * connection that finds the queue full is closed at once: the api sees
 * "unavailable" and the person types their password).  Each worker has its
 * own database connection and its own keycache (keycache.h: no locking).
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <openssl/crypto.h>
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
#include "db.h"
#include "keycache.h"
#include "log.h"
#include "sso_assert.h"
#include "sso_proto.h"
#include "sso_vault.h"

#define SSOD_WORKERS     4
#define SSOD_QUEUE       32
#define SSOD_PRUNE_EVERY 60 /* seconds between nonce prunes, per worker */

struct worker {
	const struct sp_config *cfg;
	struct db *db;
	struct keycache keys;
	time_t last_prune;
	pthread_t thread;
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

/* ---- device keys ------------------------------------------------------------ */

/*
 * sso_key_lookup_fn: reads sso_device_keys/<serial>.key at each use, so
 * `scanpostctl sso exchange-key` and `revoke-device` take effect at the
 * next assertion without a reload signal.  The file must be a regular file
 * of mode 0600 (or stricter) holding 64 hex digits and white space.
 */
static int device_key_lookup(void *arg, const char *serial, uint8_t key[SSO_DEVICE_KEY_LEN])
{
	const struct sp_config *cfg = arg;
	char path[600], text[160];
	struct stat st;
	ssize_t n;
	size_t start = 0, end;
	int fd, rc = -1;

	if (!sso_serial_valid(serial))
		return -1;
	snprintf(path, sizeof(path), "%s/%s.key", cfg->sso_device_keys, serial);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077) != 0) {
		sp_log(LOG_WARN, "sso_device_key_refused", "serial", serial, "reason",
		       "not a regular file of mode 0600", NULL);
		close(fd);
		return -1;
	}
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		goto out;
	end = (size_t)n;
	while (start < end && strchr(" \t\r\n", text[start]))
		start++;
	while (end > start && strchr(" \t\r\n", text[end - 1]))
		end--;
	if (end - start != 2 * SSO_DEVICE_KEY_LEN)
		goto out;
	if (hex_decode(text + start, key, SSO_DEVICE_KEY_LEN) != 0)
		goto out;
	rc = 0;
out:
	if (rc != 0) {
		OPENSSL_cleanse(key, SSO_DEVICE_KEY_LEN);
		sp_log(LOG_WARN, "sso_device_key_refused", "serial", serial, "reason",
		       "not 64 hex digits", NULL);
	}
	OPENSSL_cleanse(text, sizeof(text));
	return rc;
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

/*
 * The assertion check every operation starts with: signature, serial, time,
 * then the nonce (claimed; or, for `refused`, which follows a fetch with the
 * same assertion, known).  0 to go on with *claims filled; -1 with ans set.
 */
static int check_assertion(struct worker *w, const struct sso_request *req,
                           struct sso_claims *claims, struct sso_answer *ans)
{
	enum sso_assert_result r;
	const char *reason = NULL;
	int seen;

	r = sso_assert_verify(req->device.assertion, req->device.signature, req->device.serial,
	                      device_key_lookup, (void *)w->cfg, time(NULL),
	                      w->cfg->sso_assertion_max_age, claims);
	if (r != SSO_ASSERT_OK) {
		reason = sso_assert_reason(r);
	} else if (req->op == SSO_OP_REFUSED) {
		if ((seen = sso_nonce_seen(w->db, claims->nonce)) < 0)
			goto db_down;
		if (seen == 0)
			reason = "nonce_not_fetched";
	} else {
		if ((seen = sso_nonce_claim(w->db, claims->nonce, claims->serial)) < 0)
			goto db_down;
		if (seen == 1)
			reason = "replayed";
	}
	if (reason == NULL)
		return 0;
	/* The claimed user of a refused assertion is unauthenticated: it goes
	 * into the audit trail as what was claimed, not as the actor. */
	sp_log(LOG_WARN, "sso_assertion_refused", "op", sso_op_name(req->op), "reason", reason,
	       "serial", claims->serial[0] ? claims->serial : NULL, "claimed_user",
	       claims->user[0] ? claims->user : NULL, NULL);
	audit(w, "sso_refused", NULL, req->device.serial, reason, claims->user);
	answer_error(ans, SSO_ERR_ASSERTION_REFUSED, reason);
	return -1;
db_down:
	sp_log(LOG_ERROR, "sso_db_failed", "error", db_error(w->db), NULL);
	answer_error(ans, SSO_ERR_UNAVAILABLE, NULL);
	return -1;
}

static void op_store(struct worker *w, const struct sso_request *req, const struct sso_claims *c,
                     struct sso_answer *ans)
{
	int rc =
	    sso_vault_store(w->db, keycache_get(&w->keys), c->user, req->username, req->password);

	if (rc != SSO_VAULT_OK) {
		sp_log(LOG_ERROR, "sso_store_failed", "identity", c->user, "error",
		       rc == SSO_VAULT_DB ? db_error(w->db) : "sealing failed", NULL);
		answer_error(ans, SSO_ERR_UNAVAILABLE, NULL);
		return;
	}
	sp_log(LOG_INFO, "sso_stored", "identity", c->user, "serial", c->serial, NULL);
	audit(w, "sso_stored", c->user, c->serial, NULL, NULL);
	ans->ok = 1;
}

static void op_fetch(struct worker *w, const struct sso_request *req, const struct sso_claims *c,
                     struct sso_answer *ans)
{
	struct sso_credentials cred;
	int rc = sso_vault_fetch(w->db, keycache_get(&w->keys), c->user, &cred);

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
		sp_log(LOG_INFO, "sso_used", "identity", c->user, "serial", c->serial, NULL);
		audit(w, "sso_used", c->user, c->serial, NULL, NULL);
	}
	sso_credentials_wipe(&cred);
}

static void op_forget(struct worker *w, const struct sso_request *req, const struct sso_claims *c,
                      struct sso_answer *ans)
{
	int rc = sso_vault_forget(w->db, c->user);

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
	sp_log(LOG_INFO, "sso_forgotten", "identity", c->user, "serial", c->serial, NULL);
	audit(w, "sso_forgotten", c->user, c->serial, "user", NULL);
	ans->ok = 1;
}

/* RMail refused the stored credentials (the password changed).  The row
 * stays: the person is asked to sign in again, and a sign-in with
 * remember replaces it (or the weblet forgets it when they decline). */
static void op_refused(struct worker *w, const struct sso_request *req, const struct sso_claims *c,
                       struct sso_answer *ans)
{
	(void)req;
	sp_log(LOG_INFO, "sso_credentials_refused", "identity", c->user, "serial", c->serial, NULL);
	audit(w, "sso_credentials_refused", c->user, c->serial, NULL, NULL);
	ans->ok = 1;
}

typedef void (*op_fn)(struct worker *w, const struct sso_request *req, const struct sso_claims *c,
                      struct sso_answer *ans);

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
	} else if (check_assertion(w, &req, &claims, &ans) == 0) {
		snprintf(ans.identity, sizeof(ans.identity), "%s", claims.user);
		ops[req.op](w, &req, &claims, &ans);
	}
	OPENSSL_cleanse(line, sizeof(line));
	if ((len = sso_answer_format(&ans, line, sizeof(line))) > 0)
		sso_write_all(fd, line, (size_t)len);
	OPENSSL_cleanse(line, sizeof(line));
	sso_request_wipe(&req);
	sso_answer_wipe(&ans);
}

static void prune_nonces(struct worker *w)
{
	time_t now = time(NULL);
	long n;

	if (now - w->last_prune < SSOD_PRUNE_EVERY)
		return;
	w->last_prune = now;
	/* An assertion is fresh for max_age after issue, and may be issued
	 * SSO_FUTURE_SKEW ahead; twice that covers clock differences too. */
	n = sso_nonces_prune(w->db, 2 * (w->cfg->sso_assertion_max_age + SSO_FUTURE_SKEW));
	if (n < 0)
		sp_log(LOG_WARN, "sso_nonce_prune_failed", "error", db_error(w->db), NULL);
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

		handle_connection(w, fd);
		close(fd);
		prune_nonces(w);
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

static int open_listener(const char *path)
{
	struct sockaddr_un sa;
	mode_t old;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	unlink(path);
	/* Created 0660 from the start: scanpost-api shares our group, nobody
	 * else may connect, not even between bind and chmod. */
	old = umask(0117);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 64) != 0) {
		umask(old);
		close(fd);
		return -1;
	}
	umask(old);
	chmod(path, 0660);
	return fd;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: scanpost-ssod [-c FILE]\n"
	             "The SSO manager of scanpost: holds the SSO keyring and the vault;\n"
	             "scanpost-api asks it over sso_socket.  See README.\n\n");
	config_print_help(out);
}

int main(int argc, char **argv)
{
	static struct sp_config cfg;
	static struct worker workers[SSOD_WORKERS];
	pthread_t acceptor;
	struct stat st;
	char err[512];
	sigset_t stop;
	int sig, rc = 1, nstarted = 0, acceptor_started = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		}
	}
	if (config_load(&cfg, config_path_from_args(argc, argv), err, sizeof(err)) != 0) {
		fprintf(stderr, "scanpost-ssod: %s\n", err);
		return 2;
	}
	log_init("scanpost-ssod", cfg.log_level);
	if (cfg.sso_socket[0] == '\0') {
		fprintf(stderr, "scanpost-ssod: sso_socket is empty (single sign-on is off)\n");
		goto out;
	}
	if (stat(cfg.sso_device_keys, &st) != 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "scanpost-ssod: sso_device_keys: %s is not a directory\n",
		        cfg.sso_device_keys);
		goto out;
	}
	for (int i = 0; i < SSOD_WORKERS; i++) {
		workers[i].cfg = &cfg;
		if (keycache_init(&workers[i].keys, cfg.sso_keyring, err, sizeof(err)) != 0) {
			fprintf(stderr, "scanpost-ssod: sso_keyring: %s\n", err);
			goto out;
		}
		if ((workers[i].db = db_new(cfg.db_conninfo)) == NULL)
			goto out;
		if (db_ensure(workers[i].db) != 0)
			sp_log(LOG_WARN, "db_connect_failed", "error", db_error(workers[i].db),
			       NULL);
	}
	if ((listen_fd = open_listener(cfg.sso_socket)) < 0) {
		fprintf(stderr, "scanpost-ssod: cannot listen on %s: %s\n", cfg.sso_socket,
		        strerror(errno));
		goto out;
	}

	/* The threads inherit this mask; only the main thread takes the signals. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	for (; nstarted < SSOD_WORKERS; nstarted++)
		if (pthread_create(&workers[nstarted].thread, NULL, worker_main,
		                   &workers[nstarted]) != 0)
			goto stop;
	if (pthread_create(&acceptor, NULL, acceptor_main, NULL) != 0)
		goto stop;
	acceptor_started = 1;
	sp_log(LOG_INFO, "started", "socket", cfg.sso_socket, "%workers", LOG_NUM(SSOD_WORKERS),
	       NULL);

	sigwait(&stop, &sig);
	sp_log(LOG_INFO, "stopping", "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT", NULL);
	rc = 0;
stop:
	/* Wakes the acceptor; workers finish the connections already queued. */
	shutdown(listen_fd, SHUT_RDWR);
	if (acceptor_started) {
		pthread_join(acceptor, NULL);
	} else {
		pthread_mutex_lock(&queue.lock);
		queue.stopping = 1;
		pthread_cond_broadcast(&queue.ready);
		pthread_mutex_unlock(&queue.lock);
	}
	for (int i = 0; i < nstarted; i++)
		pthread_join(workers[i].thread, NULL);
	close(listen_fd);
	unlink(cfg.sso_socket);
out:
	for (int i = 0; i < SSOD_WORKERS; i++) {
		db_free(workers[i].db);
		keycache_free(&workers[i].keys);
	}
	if (rc == 0)
		sp_log(LOG_INFO, "stopped", NULL);
	config_free(&cfg);
	return rc;
}
