/*
 * sender_main.c - scanpost-sender: drains the queue into RMail.
 *
 * sender_inflight worker threads each own a database connection and an RMail
 * client and send one job at a time.  A listener thread LISTENs on
 * scanpost_jobs and wakes one sleeping worker per job announced; they also
 * poll, since a NOTIFY is a hint that can be missed.  A janitor thread, on
 * its own connection so that its runs never hold up a wake-up, rescues
 * expired leases, expires idle sessions and stale uploads and purges old
 * failed documents.  SIGTERM: stop claiming, let sends in flight finish,
 * exit 0.
 * Start, signals and threads: the daemon skeleton (daemon.h).
 */
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "crypto.h"
#include "daemon.h"
#include "db.h"
#include "keycache.h"
#include "lifecycle.h"
#include "log.h"
#include "queue.h"
#include "sendjob.h"

struct sender {
	struct sp_config cfg; /* as it started: workers, connections, keyrings */
	struct daemon *d;     /* daemon_config_hold: the current one, per job or run */
	pthread_mutex_t lock;
	pthread_cond_t wake;
	unsigned long wakeups; /* bumped on every job announced or rescued */
	atomic_int stopping;
};

struct worker {
	struct sender *s;
	int index;
};

static void wake_all(struct sender *s)
{
	pthread_mutex_lock(&s->lock);
	s->wakeups++;
	pthread_cond_broadcast(&s->wake);
	pthread_mutex_unlock(&s->lock);
}

/* n jobs announced: wakes n sleeping workers, not all of them.  Each
 * announced job needs one claim; the others' claims would find nothing
 * and cost a transaction each (three idle workers per job on a quiet
 * queue).  A worker that is not asleep sees the count move and claims
 * again before it sleeps (wait_for_work), so no announcement is lost. */
static void wake_some(struct sender *s, long n)
{
	pthread_mutex_lock(&s->lock);
	s->wakeups++;
	if (n >= s->cfg.sender_inflight)
		pthread_cond_broadcast(&s->wake);
	else
		while (n-- > 0)
			pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
}

/* Sleeps until the next wake-up or the poll interval, whichever is first. */
static void wait_for_work(struct sender *s, unsigned long seen)
{
	struct timespec until;

	const struct sp_config *cfg = daemon_config_hold(s->d);

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += cfg->sender_poll_interval;
	daemon_config_drop(s->d, cfg);
	pthread_mutex_lock(&s->lock);
	while (!s->stopping && s->wakeups == seen)
		if (pthread_cond_timedwait(&s->wake, &s->lock, &until) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&s->lock);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct sender *s = w->s;
	/* Who holds a job (scanpostctl queue list): the instance, the process
	 * (a restarted sender is another holder) and the worker. */
	char lease_owner[192];
	struct send_ctx ctx = {&s->cfg, NULL, NULL, NULL, NULL, lease_owner};
	struct keycache doc_keys, token_keys;
	struct queued_job job;
	char err[512];

	snprintf(lease_owner, sizeof(lease_owner), "%s:%d:%d", daemon_instance(s->d), (int)getpid(),
	         w->index);
	memset(&doc_keys, 0, sizeof(doc_keys));
	memset(&token_keys, 0, sizeof(token_keys));
	if (keycache_init(&doc_keys, s->cfg.doc_keyring, err, sizeof(err)) != 0 ||
	    keycache_init(&token_keys, s->cfg.token_keyring, err, sizeof(err)) != 0) {
		sp_log(LOG_ERROR, "keyring_failed", "error", err, NULL);
		goto out;
	}
	ctx.db = db_new(s->cfg.db_conninfo);
	ctx.rmail = rmail_new(s->cfg.rmail_base_url, s->cfg.rmail_ca_file, s->cfg.rmail_timeout);
	if (ctx.db == NULL || ctx.rmail == NULL)
		goto out;
	rmail_set_limits(ctx.rmail, s->cfg.rmail_call_timeout, s->cfg.rmail_signin_timeout);

	while (!s->stopping) {
		unsigned long seen;
		enum lc_result rc;

		pthread_mutex_lock(&s->lock);
		seen = s->wakeups;
		pthread_mutex_unlock(&s->lock);

		rc = lifecycle_claim(ctx.db, lease_owner, s->cfg.sender_lease, &job);
		if (rc == LC_DB_ERROR) {
			sp_log(LOG_WARN, "claim_failed", "error", db_error(ctx.db), NULL);
			wait_for_work(s, seen);
			continue;
		}
		if (rc == LC_NOT_FOUND) {
			wait_for_work(s, seen);
			continue;
		}
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		/* Rows may have been rewrapped since the last job: follow the keys. */
		ctx.doc_keyring = keycache_get(&doc_keys);
		ctx.token_keyring = keycache_get(&token_keys);
		/* The job runs with the configuration of its start (SIGHUP). */
		ctx.cfg = daemon_config_hold(s->d);
		enum send_outcome o = send_job(&ctx, &job);
		daemon_config_drop(s->d, ctx.cfg);
		ctx.cfg = &s->cfg;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		sp_log(
		    o == SEND_DB_ERROR ? LOG_ERROR : LOG_INFO, "job_attempt", "job_id", job.id,
		    "outcome", send_outcome_name(o), "%attempt", LOG_NUM(job.attempts),
		    "%duration_ms",
		    LOG_NUM((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000),
		    NULL);
		queued_job_free(&job);
	}
out:
	db_free(ctx.db);
	rmail_free(ctx.rmail);
	keycache_free(&doc_keys);
	keycache_free(&token_keys);
	return NULL;
}

static const struct db_stmt stmt_listen = {"sender_listen", "LISTEN " LIFECYCLE_NOTIFY_CHANNEL, 0};

/* The janitor's transitions (lifecycle.h), each its own transactions. */
static void janitor_run(struct sender *s, struct db *db)
{
	const struct sp_config *cfg = daemon_config_hold(s->d);
	int rescued = lifecycle_rescue_leases(db);
	int sessions = lifecycle_expire_sessions(db, cfg->session_idle_timeout);
	int expired = lifecycle_expire_uploads(db);
	int purged = lifecycle_purge_failed_documents(db, cfg->failed_retention);

	daemon_config_drop(s->d, cfg);
	if (rescued < 0 || sessions < 0 || expired < 0 || purged < 0)
		sp_log(LOG_WARN, "janitor_failed", "error", db_error(db), NULL);
	if (rescued > 0 || sessions > 0 || expired > 0 || purged > 0)
		sp_log(LOG_INFO, "janitor", "%leases_rescued", LOG_NUM(rescued), "%sessions_ended",
		       LOG_NUM(sessions), "%uploads_expired", LOG_NUM(expired),
		       "%failed_documents_purged", LOG_NUM(purged), NULL);
	if (rescued > 0)
		wake_all(s);
}

/* Runs the janitor every janitor_interval on a connection of its own. */
static void *janitor_main(void *arg)
{
	struct sender *s = arg;
	struct db *db = db_new(s->cfg.db_conninfo);
	time_t last = 0;

	while (db && !s->stopping) {
		const struct sp_config *cfg = daemon_config_hold(s->d);
		long every = cfg->janitor_interval;

		daemon_config_drop(s->d, cfg);
		if (time(NULL) - last >= every) {
			janitor_run(s, db);
			last = time(NULL);
		}
		sleep(1); /* short: notice SIGTERM and a new interval promptly */
	}
	db_free(db);
	return NULL;
}

/* LISTEN, wake a worker for every job announced. */
static void *listener_main(void *arg)
{
	struct sender *s = arg;
	struct db *db = db_new(s->cfg.db_conninfo);
	int listening = 0;

	while (db && !s->stopping) {
		if (!listening || db_ensure(db) != 0 || PQstatus(db_conn(db)) != CONNECTION_OK) {
			listening = db_exec(db, &stmt_listen, NULL) == 0;
			if (!listening) {
				sp_log(LOG_WARN, "listen_failed", "error", db_error(db), NULL);
				sleep(1);
				continue;
			}
		}
		PGconn *conn = db_conn(db);
		int fd = PQsocket(conn);
		fd_set rd;
		struct timeval tv = {1, 0}; /* short: notice SIGTERM promptly */
		FD_ZERO(&rd);
		FD_SET(fd, &rd);
		int n = select(fd + 1, &rd, NULL, NULL, &tv);
		if (n < 0 && errno != EINTR)
			listening = 0;
		if (n > 0) {
			if (PQconsumeInput(conn) == 0) {
				listening = 0;
				continue;
			}
			PGnotify *note;
			long got = 0;
			while ((note = PQnotifies(conn)) != NULL) {
				got++;
				PQfreemem(note);
			}
			if (got)
				wake_some(s, got);
		}
	}
	db_free(db);
	return NULL;
}

static int keyrings_check(const struct sp_config *cfg, char *err, size_t errlen)
{
	const char *dirs[2] = {cfg->doc_keyring, cfg->token_keyring};
	struct keycache probe;

	for (int i = 0; i < 2; i++) {
		int rc = keycache_init(&probe, dirs[i], err, errlen);
		keycache_free(&probe);
		if (rc != 0)
			return -1;
	}
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: scanpost-sender [-c FILE]\n"
	             "Sends queued scanpost jobs to RMail; see README.\n\n");
	config_print_help(out);
}

/* SIGTERM: stop claiming, wake every sleeper; sends in flight finish. */
static void sender_stop(void *arg)
{
	struct sender *s = arg;

	s->stopping = 1;
	wake_all(s);
}

int main(int argc, char **argv)
{
	static struct daemon d;
	static struct sender s;
	struct worker *workers = NULL;
	char err[512];
	int rc = 1, status, curl_up = 0;

	if (daemon_init(&d, "scanpost-sender", argc, argv, usage, &s.cfg, &status) != 0)
		return status;
	s.d = &d;
	pthread_mutex_init(&s.lock, NULL);
	pthread_cond_init(&s.wake, NULL);
	daemon_on_stop(&d, sender_stop, &s);
	/* Check both keyrings now so a broken one stops the start, not a job. */
	if (keyrings_check(&s.cfg, err, sizeof(err)) != 0) {
		daemon_fail(&d, "%s", err);
		goto out;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		daemon_fail(&d, "libcurl does not initialize");
		goto out;
	}
	curl_up = 1;
	if ((workers = calloc((size_t)s.cfg.sender_inflight, sizeof(*workers))) == NULL) {
		daemon_fail(&d, "out of memory");
		goto out;
	}
	if (daemon_spawn(&d, "listener", listener_main, &s) != 0 ||
	    daemon_spawn(&d, "janitor", janitor_main, &s) != 0)
		goto out;
	for (long i = 0; i < s.cfg.sender_inflight; i++) {
		workers[i].s = &s;
		workers[i].index = (int)i;
		if (daemon_spawn(&d, "worker", worker_main, &workers[i]) != 0)
			goto out;
	}
	sp_log(LOG_INFO, "started", "%inflight", LOG_NUM(s.cfg.sender_inflight), "rmail",
	       s.cfg.rmail_base_url, NULL);
	daemon_wait(&d);
	rc = 0;
out:
	daemon_stop(&d);
	free(workers);
	if (curl_up)
		curl_global_cleanup();
	return daemon_exit(&d, rc);
}
