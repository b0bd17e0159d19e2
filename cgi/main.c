/*
 * main.c - scanpost-api: libfcgi accept loops in two pools of worker
 * threads (the API's and the uploads', struct pool below), each worker
 * with its own PostgreSQL connection and RMail client, started and
 * stopped by the daemon skeleton (daemon.h).  One route table, one
 * dispatch table, one place where sessions and CSRF are checked.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcgiapp.h>
#include <grp.h>
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
#include "conns.h"
#include "daemon.h"
#include "handlers.h"
#include "jobs.h"
#include "jobs_api.h"
#include "log.h"
#include "metrics.h"

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
    [ROUTE_POLICY_GET] = h_policy_get,
    [ROUTE_JOB_GET] = h_job_get,
    [ROUTE_JOB_SUBMIT] = h_job_submit,
    [ROUTE_JOB_DELETE] = h_job_delete,
    [ROUTE_SCAN_UPLOAD] = h_scan_upload,
    [ROUTE_SCAN_UPLOAD_APP] = h_scan_upload,
    [ROUTE_JOB_PREVIEW] = h_job_preview,
};

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
	uint8_t hash[32], id[16];
	int rc;

	if (!(r->route->flags & ROUTE_NEEDS_SESSION))
		return 0;
	if (req_cookie_secret(r, r->cookie_secret) != 0) {
		reply_error(r, APIERR_NOT_SIGNED_IN, NULL);
		return -1;
	}
	SHA256(r->cookie_secret, 32, hash);
	/* A status poll reads its job in the session's own statement: one
	 * round trip instead of two (bench/run requests).  A malformed id is
	 * left to the handler's 404. */
	if ((r->route->flags & ROUTE_READS_JOB) && uuid_parse(r->params[0], id) == 0) {
		rc = jobs_get_with_session(
		    r->w->db, r->params[0], hash, r->cfg->session_idle_timeout,
		    r->cfg->session_touch_interval, &r->session, &r->job_json);
		r->job_read = rc == 0;
	} else {
		rc = sessions_touch(r->w->db, hash, r->cfg->session_idle_timeout,
		                    r->cfg->session_touch_interval, &r->session);
	}
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
	r.cfg = daemon_config_hold(w->api->d);
	r.method = req_param(&r, "REQUEST_METHOD");
	if (r.method == NULL)
		r.method = "";
	request_id_init(&r);

	if (request_path(&r) != 0) {
		reply_error(&r, APIERR_NOT_FOUND, NULL);
		goto done;
	}
	m = route_find(r.method, r.path, &r.route, r.params);
	/* Each pool serves its own routes only (struct pool). */
	if (m == ROUTE_FOUND && !(r.route->flags & ROUTE_STREAMS_BODY) != !w->uploads) {
		sp_log(LOG_WARN, "wrong_pool", "route", r.route->name, "pool",
		       w->uploads ? "upload" : "api", NULL);
		r.route = NULL;
		m = ROUTE_NO_PATH;
	}
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
	free(r.job_json);
	daemon_config_drop(w->api->d, r.cfg);
	log_set_request_id(NULL);
}

/* The upload pool: libfcgi's own accept loop, one connection per request
 * (nginx does not keep upload connections: an upload is long, a connect
 * is nothing beside it, and an unread body must never meet a next
 * request). */
static void *worker_main(void *arg)
{
	struct worker *w = arg;
	FCGX_Request fr;

	if (FCGX_InitRequest(&fr, w->listen_fd, 0) != 0) {
		sp_log(LOG_ERROR, "worker_init_failed", NULL);
		return NULL;
	}
	for (;;) {
		if (FCGX_Accept_r(&fr) < 0)
			break; /* the listening socket was shut down */
		metrics_pool_busy(w->uploads ? METRICS_POOL_UPLOAD : METRICS_POOL_API, 1);
		request_handle(w, &fr);
		FCGX_Finish_r(&fr);
		metrics_pool_busy(w->uploads ? METRICS_POOL_UPLOAD : METRICS_POOL_API, -1);
	}
	FCGX_Free(&fr, 1);
	return NULL;
}

/* Reads what is left of a request's body before the connection serves the
 * next request (a handler that refused the request may not have read it).
 * nginx buffers /api/ bodies of at most api_max_body; anything longer
 * ends the connection instead. */
static int drain_body(FCGX_Request *fr, long limit)
{
	char buf[8192];
	long total = 0;
	int n;

	while ((n = FCGX_GetStr(buf, sizeof(buf), fr->in)) > 0)
		if ((total += n) > limit)
			return -1;
	return 0;
}

/* The API pool: conns.h hands over a kept connection with a request
 * waiting.  libfcgi serves a connection it did not accept when ipcFd is
 * set; its listening socket is -1, so it never blocks in accept (a
 * connection that turns out closed makes FCGX_Accept_r fail, and libfcgi
 * has closed it).  keepConnection = 1 before the call: FCGX_Accept_r first
 * finishes the previous request, and would otherwise close the fd. */
static void *api_worker_main(void *arg)
{
	struct worker *w = arg;
	FCGX_Request fr;
	int slot, fd;

	FCGX_InitRequest(&fr, -1, 0);
	while ((slot = conns_next(w->conns, &fd)) >= 0) {
		fr.ipcFd = fd;
		fr.keepConnection = 1;
		if (FCGX_Accept_r(&fr) < 0) {
			conns_closed(w->conns, slot);
			continue;
		}
		metrics_pool_busy(METRICS_POOL_API, 1);
		request_handle(w, &fr);
		if (fr.keepConnection && drain_body(&fr, w->api->cfg.api_max_body) != 0)
			fr.keepConnection = 0;
		FCGX_Finish_r(&fr);
		metrics_pool_busy(METRICS_POOL_API, -1);
		if (fr.ipcFd >= 0)
			conns_keep(w->conns, slot);
		else
			conns_closed(w->conns, slot);
	}
	return NULL;
}

/* Room for the connections nginx opens while every worker of a pool is
 * busy: a full backlog is a 502 from nginx, and two hundred printers may
 * start at once (the kernel caps it at net.core.somaxconn). */
#define LISTEN_BACKLOG 1024

/* A listener libfcgi accepts on (FCGX_InitRequest takes any listening
 * fd).  Not FCGX_OpenSocket: it exits the process when bind fails.  With
 * socket_group set, the socket belongs to that group (nginx's), which the
 * process must be a member of; else to the process's own group. */
static int open_listener(const char *path, const char *group)
{
	struct group *g;
	int fd;

	if (path[0] == '\0')
		return 0; /* FastCGI convention: the listening socket is stdin */
	if ((fd = daemon_listen_unix(path, LISTEN_BACKLOG)) < 0 || group[0] == '\0')
		return fd;
	if ((g = getgrnam(group)) == NULL || chown(path, (uid_t)-1, g->gr_gid) != 0) {
		int e = g == NULL ? ENOENT : errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: scanpost-api [-c FILE]\n"
	             "FastCGI server of the scanpost web API; see README.\n\n");
	config_print_help(out);
}

/*
 * Two pools that never share a worker (DESIGN 3.7): the API pool on
 * api_socket answers /api/, /healthz and /metrics; the upload pool on
 * upload_socket answers the printers' /scan/ uploads, which may last as
 * long as a slow link makes them.  nginx sends each location to its
 * socket (nginx/scanpost.conf); a request that reaches the other pool is
 * 404 (request_handle), so a mistaken site cannot mix them again.
 */
struct pool {
	const char *name;
	const char *socket;
	long nworkers;
	int uploads;
	int listen_fd;
	struct worker *workers;
	long nready;         /* workers whose resources are allocated (freed at exit) */
	struct conns *conns; /* the API pool's kept connections (conns.h) */
};

/* Each worker follows the keyrings itself (keycache.h): no lock on the
 * hot path, and a rotation is seen by the next request.  The api only
 * seals tokens: it loads the token keyring's public halves, never a
 * private key (crypto.h, sp_seal_to). */
static int worker_init(struct daemon *d, struct api *api, struct pool *p, struct worker *w)
{
	char err[512];

	w->api = api;
	w->listen_fd = p->listen_fd;
	w->uploads = p->uploads;
	w->conns = p->conns;
	if (keycache_init_public(&w->token_keys, api->cfg.token_keyring, err, sizeof(err)) != 0 ||
	    keycache_init(&w->doc_keys, api->cfg.doc_keyring, err, sizeof(err)) != 0) {
		daemon_fail(d, "%s", err);
		return -1;
	}
	w->db = db_new(api->cfg.db_conninfo);
	w->rmail =
	    rmail_new(api->cfg.rmail_base_url, api->cfg.rmail_ca_file, api->cfg.rmail_timeout);
	if (w->db == NULL || w->rmail == NULL) {
		daemon_fail(d, "out of memory");
		return -1;
	}
	db_set_limits(w->db, api->cfg.db_lock_timeout_ms, api->cfg.db_idle_tx_timeout);
	rmail_set_limits(w->rmail, api->cfg.rmail_call_timeout, api->cfg.rmail_signin_timeout);
	/* Connect now so a wrong conninfo shows at start; a database that is
	 * down is retried per request. */
	if (db_ensure(w->db) != 0)
		sp_log(LOG_WARN, "db_connect_failed", "pool", p->name, "error", db_error(w->db),
		       NULL);
	return 0;
}

/* Opens the pool's socket, readies its workers and starts them. */
static int pool_start(struct daemon *d, struct api *api, struct pool *p)
{
	if ((p->listen_fd = open_listener(p->socket, api->cfg.socket_group)) < 0) {
		daemon_fail(d, "cannot listen on %s (%s pool): %s", p->socket, p->name,
		            strerror(errno));
		return -1;
	}
	if (!p->uploads && (p->conns = conns_new(p->listen_fd)) == NULL) {
		daemon_fail(d, "cannot watch %s (%s pool): %s", p->socket, p->name,
		            strerror(errno));
		return -1;
	}
	if ((p->workers = calloc((size_t)p->nworkers, sizeof(*p->workers))) == NULL) {
		daemon_fail(d, "out of memory");
		return -1;
	}
	for (long i = 0; i < p->nworkers; i++) {
		p->nready = i + 1;
		if (worker_init(d, api, p, &p->workers[i]) != 0)
			return -1;
	}
	if (p->conns && daemon_spawn(d, "api connections", conns_main, p->conns) != 0)
		return -1;
	for (long i = 0; i < p->nworkers; i++)
		if (daemon_spawn(d, p->name, p->conns ? api_worker_main : worker_main,
		                 &p->workers[i]) != 0)
			return -1;
	metrics_pool_size(p->uploads ? METRICS_POOL_UPLOAD : METRICS_POOL_API, p->nworkers);
	sp_log(LOG_INFO, "pool_started", "pool", p->name, "socket",
	       p->socket[0] ? p->socket : "stdin", "%workers", LOG_NUM(p->nworkers), NULL);
	return 0;
}

static void pool_free(struct pool *p)
{
	for (long i = 0; i < p->nready; i++) {
		db_free(p->workers[i].db);
		rmail_free(p->workers[i].rmail);
		keycache_free(&p->workers[i].doc_keys);
		keycache_free(&p->workers[i].token_keys);
	}
	free(p->workers);
	conns_free(p->conns);
	if (p->listen_fd > 0 && p->socket[0]) {
		close(p->listen_fd);
		unlink(p->socket);
	}
}

/* Wakes the workers blocked in accept(); a request in progress ends first. */
static void pools_stop(void *arg)
{
	struct pool *pools = arg;

	FCGX_ShutdownPending();
	for (int i = 0; i < 2; i++)
		if (pools[i].conns)
			conns_stop(pools[i].conns);
	for (int i = 0; i < 2; i++)
		if (pools[i].listen_fd >= 0)
			shutdown(pools[i].listen_fd, SHUT_RDWR);
}

int main(int argc, char **argv)
{
	static struct daemon d;
	static struct api api;
	static struct pool pools[2];
	int rc = 1, status, curl_up = 0;

	if (daemon_init(&d, "scanpost-api", argc, argv, usage, &api.cfg, &status) != 0)
		return status;
	api.d = &d;
	metrics_set_instance(daemon_instance(&d));
	pools[0] =
	    (struct pool){"api", api.cfg.api_socket, api.cfg.api_workers, 0, -1, NULL, 0, NULL};
	pools[1] = (struct pool){
	    "upload", api.cfg.upload_socket, api.cfg.upload_workers, 1, -1, NULL, 0, NULL};
	daemon_on_stop(&d, pools_stop, pools);
	if (strcmp(api.cfg.api_socket, api.cfg.upload_socket) == 0) {
		daemon_fail(&d,
		            "api_socket and upload_socket must differ: the pools share no worker");
		goto out;
	}
	/* An upload writes a sealed chunk every SP_CHUNK_SIZE bytes and is
	 * idle in its transaction in between: at the slowest allowed rate
	 * that gap must stay under the server's idle limit. */
	if (api.cfg.upload_min_rate > 0 &&
	    api.cfg.db_idle_tx_timeout <
	        api.cfg.upload_rate_window + SP_CHUNK_SIZE / api.cfg.upload_min_rate) {
		daemon_fail(
		    &d,
		    "db_idle_tx_timeout (%ld s) is shorter than an upload at upload_min_rate "
		    "may be idle: at least %ld s (upload_rate_window + %d bytes / "
		    "upload_min_rate)",
		    api.cfg.db_idle_tx_timeout,
		    api.cfg.upload_rate_window + SP_CHUNK_SIZE / api.cfg.upload_min_rate,
		    SP_CHUNK_SIZE);
		goto out;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 || FCGX_Init() != 0) {
		daemon_fail(&d, "libcurl or libfcgi does not initialize");
		goto out;
	}
	curl_up = 1;
	for (int i = 0; i < 2; i++)
		if (pool_start(&d, &api, &pools[i]) != 0)
			goto out;
	sp_log(LOG_INFO, "started", "socket", api.cfg.api_socket, "upload_socket",
	       api.cfg.upload_socket, "%workers", LOG_NUM(api.cfg.api_workers), "%upload_workers",
	       LOG_NUM(api.cfg.upload_workers), NULL);
	daemon_wait(&d);
	rc = 0;
out:
	/* Joins only the threads that started, however far the start got. */
	daemon_stop(&d);
	for (int i = 0; i < 2; i++)
		pool_free(&pools[i]);
	if (curl_up)
		curl_global_cleanup();
	return daemon_exit(&d, rc);
}
