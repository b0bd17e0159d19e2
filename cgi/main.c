/*
 * main.c - scanpost-api: a libfcgi accept loop with N worker threads, each
 * with its own PostgreSQL connection and RMail client.  One route table,
 * one dispatch table, one place where sessions and CSRF are checked.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcgiapp.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "codec.h"
#include "handlers.h"
#include "jobs_api.h"
#include "log.h"

typedef void (*handler_fn)(struct req *r);

/* kcgi-style: the handler of each route id. */
static const handler_fn dispatch[ROUTE__MAX] = {
    [ROUTE_HEALTHZ] = h_healthz,
    [ROUTE_METRICS] = h_metrics,
    [ROUTE_SESSION_CREATE] = h_session_create,
    [ROUTE_SESSION_SSO] = h_session_sso,
    [ROUTE_SESSION_SSO_FORGET] = h_session_sso_forget,
    [ROUTE_SESSION_SSO_PARAMS] = h_session_sso_params,
    [ROUTE_SESSION_SSO_TICKET] = h_session_sso_ticket,
    [ROUTE_SESSION_GET] = h_session_get,
    [ROUTE_SESSION_DELETE] = h_session_delete,
    [ROUTE_JOBS_CREATE] = h_jobs_create,
    [ROUTE_JOBS_LIST] = h_jobs_list,
    [ROUTE_JOB_GET] = h_job_get,
    [ROUTE_JOB_SUBMIT] = h_job_submit,
    [ROUTE_JOB_DELETE] = h_job_delete,
    [ROUTE_SCAN_UPLOAD] = h_scan_upload,
    [ROUTE_SCAN_UPLOAD_APP] = h_scan_upload,
    [ROUTE_JOB_PREVIEW] = h_job_preview,
};

static int listen_fd = -1;

static long elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/* The path without its query string; 0, or -1 when it is too long. */
static int request_path(struct req *r)
{
	const char *uri = req_param(r, "REQUEST_URI");
	size_t n;

	if (uri == NULL)
		uri = req_param(r, "DOCUMENT_URI");
	if (uri == NULL)
		uri = "/";
	n = strcspn(uri, "?");
	if (n >= sizeof(r->path))
		return -1;
	memcpy(r->path, uri, n);
	r->path[n] = '\0';
	return 0;
}

static void request_id_init(struct req *r)
{
	const char *rid = req_param(r, "REQUEST_ID"); /* nginx's $request_id */
	size_t n = rid ? strspn(rid, "0123456789abcdef") : 0;

	if (rid && n >= 16 && n < sizeof(r->request_id) && rid[n] == '\0') {
		snprintf(r->request_id, sizeof(r->request_id), "%s", rid);
	} else {
		uint8_t b[16];
		sp_random(b, sizeof(b));
		hex_encode(b, sizeof(b), r->request_id);
	}
	log_set_request_id(r->request_id);
}

/* Checks who is asking, as the route demands; answers and returns -1 if
 * they may not go on. */
static int request_authorize(struct req *r)
{
	uint8_t hash[32];
	int rc;

	if (!(r->route->flags & ROUTE_NEEDS_SESSION))
		return 0;
	if (req_cookie_secret(r, r->cookie_secret) != 0) {
		reply_error(r, APIERR_NOT_SIGNED_IN, NULL);
		return -1;
	}
	SHA256(r->cookie_secret, 32, hash);
	rc = sessions_touch(r->w->db, hash, r->w->api->cfg.session_idle_timeout,
	                    r->w->api->cfg.session_touch_interval, &r->session);
	if (rc < 0) {
		sp_log(LOG_ERROR, "session_lookup_failed", "error", db_error(r->w->db), NULL);
		reply_error(r, APIERR_NOT_READY, NULL);
		return -1;
	}
	if (rc > 0) {
		reply_error(r, APIERR_NOT_SIGNED_IN, "Your session has ended; please sign in.");
		return -1;
	}
	if ((r->route->flags & ROUTE_NEEDS_CSRF) && req_check_csrf(r) != 0) {
		reply_error(r, APIERR_CSRF, NULL);
		return -1;
	}
	return 0;
}

static void request_handle(struct worker *w, FCGX_Request *fr)
{
	struct req r;
	struct timespec t0;
	enum route_match m;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(&r, 0, sizeof(r));
	r.fcgi = fr;
	r.w = w;
	r.method = req_param(&r, "REQUEST_METHOD");
	if (r.method == NULL)
		r.method = "";
	request_id_init(&r);

	if (request_path(&r) != 0) {
		reply_error(&r, APIERR_NOT_FOUND, NULL);
		goto done;
	}
	m = route_find(r.method, r.path, &r.route, r.params);
	if (m != ROUTE_FOUND) {
		reply_error(&r, m == ROUTE_NO_METHOD ? APIERR_METHOD : APIERR_NOT_FOUND, NULL);
		goto done;
	}
	if (request_authorize(&r) == 0)
		dispatch[r.route->id](&r);
done:
	metrics_count(r.route ? r.route->id : ROUTE__MAX, r.status);
	sp_log(r.status >= 500 ? LOG_WARN : LOG_INFO, "request", "method", r.method, "route",
	       r.route ? r.route->name : "none", "%status", LOG_NUM(r.status), "%duration_ms",
	       LOG_NUM(elapsed_ms(&t0)), "user",
	       r.route && r.session.user[0] ? r.session.user : NULL, NULL);
	OPENSSL_cleanse(r.cookie_secret, sizeof(r.cookie_secret));
	log_set_request_id(NULL);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	FCGX_Request fr;

	if (FCGX_InitRequest(&fr, listen_fd, 0) != 0) {
		sp_log(LOG_ERROR, "worker_init_failed", NULL);
		return NULL;
	}
	for (;;) {
		if (FCGX_Accept_r(&fr) < 0)
			break; /* the listening socket was shut down */
		request_handle(w, &fr);
		FCGX_Finish_r(&fr);
	}
	FCGX_Free(&fr, 1);
	return NULL;
}

static int open_listener(const char *path)
{
	if (path[0] == '\0')
		return 0; /* FastCGI convention: the listening socket is stdin */
	unlink(path);
	int fd = FCGX_OpenSocket(path, 128);
	if (fd < 0)
		return -1;
	/* nginx and scanpost-api share a group; nobody else may connect. */
	chmod(path, 0660);
	return fd;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: scanpost-api [-c FILE]\n"
	             "FastCGI server of the scanpost web API; see README.\n\n");
	config_print_help(out);
}

/* Each worker follows the keyrings itself (keycache.h): no lock on the
 * hot path, and a rotation is seen by the next request.  The api only
 * seals tokens: it loads the token keyring's public halves, never a
 * private key (crypto.h, sp_seal_to). */
static int load_keyrings(struct api *api, struct worker *w)
{
	char err[512];

	if (keycache_init_public(&w->token_keys, api->cfg.token_keyring, err, sizeof(err)) != 0 ||
	    keycache_init(&w->doc_keys, api->cfg.doc_keyring, err, sizeof(err)) != 0) {
		fprintf(stderr, "scanpost-api: %s\n", err);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct api api;
	struct worker *workers = NULL;
	pthread_t *threads = NULL;
	char err[512];
	sigset_t stop;
	int sig, rc = 1;
	long n = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		}
	}
	if (config_load(&api.cfg, config_path_from_args(argc, argv), err, sizeof(err)) != 0) {
		fprintf(stderr, "scanpost-api: %s\n", err);
		return 2;
	}
	log_init("scanpost-api", api.cfg.log_level);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 || FCGX_Init() != 0)
		goto out;
	if ((listen_fd = open_listener(api.cfg.api_socket)) < 0) {
		fprintf(stderr, "scanpost-api: cannot listen on %s: %s\n", api.cfg.api_socket,
		        strerror(errno));
		goto out;
	}

	/* Workers inherit this mask; only the main thread takes the signals. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	n = api.cfg.api_workers;
	workers = calloc((size_t)n, sizeof(*workers));
	threads = calloc((size_t)n, sizeof(*threads));
	if (workers == NULL || threads == NULL)
		goto out;
	for (long i = 0; i < n; i++) {
		workers[i].api = &api;
		if (load_keyrings(&api, &workers[i]) != 0)
			goto out;
		workers[i].db = db_new(api.cfg.db_conninfo);
		workers[i].rmail =
		    rmail_new(api.cfg.rmail_base_url, api.cfg.rmail_ca_file, api.cfg.rmail_timeout);
		if (workers[i].db == NULL || workers[i].rmail == NULL)
			goto out;
		/* Connect now so a wrong conninfo shows at start; a database
		 * that is down is retried per request. */
		if (db_ensure(workers[i].db) != 0)
			sp_log(LOG_WARN, "db_connect_failed", "error", db_error(workers[i].db),
			       NULL);
	}
	for (long i = 0; i < n; i++)
		if (pthread_create(&threads[i], NULL, worker_main, &workers[i]) != 0) {
			n = i;
			goto out;
		}
	sp_log(LOG_INFO, "started", "socket", api.cfg.api_socket, "%workers", LOG_NUM(n), NULL);

	sigwait(&stop, &sig);
	sp_log(LOG_INFO, "stopping", "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT", NULL);
	/* Wakes the workers blocked in accept(); a request in progress ends first. */
	FCGX_ShutdownPending();
	shutdown(listen_fd, SHUT_RDWR);
	rc = 0;
out:
	for (long i = 0; threads && i < n; i++)
		pthread_join(threads[i], NULL);
	for (long i = 0; workers && i < api.cfg.api_workers; i++) {
		db_free(workers[i].db);
		rmail_free(workers[i].rmail);
		keycache_free(&workers[i].doc_keys);
		keycache_free(&workers[i].token_keys);
	}
	free(workers);
	free(threads);
	if (listen_fd > 0 && api.cfg.api_socket && api.cfg.api_socket[0])
		unlink(api.cfg.api_socket);
	config_free(&api.cfg);
	curl_global_cleanup();
	if (rc == 0)
		sp_log(LOG_INFO, "stopped", NULL);
	return rc;
}
