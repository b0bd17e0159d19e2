/*
 * server.c - the libmicrohttpd side of rmail-sim (see server.h).
 *
 * A request goes through three steps. begin (headers only): route, count,
 * take a fault rule, check the bearer token and the body type, and choose
 * where body bytes go. feed: buffer a small body, stream a multipart body to
 * a file while hashing it, or discard. finish: apply the fault, or answer
 * what was decided early, or call the route's handler. Errors found before
 * the body are still answered after it has been read, so a client that does
 * not use "Expect: 100-continue" sees the status instead of a reset.
 */
#include "server.h"
#include "logline.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <openssl/evp.h>

#define BODY_MAX          (1024 * 1024) /* JSON and form bodies */
#define MULTIPART_SLACK   (1024 * 1024) /* part headers and boundaries around the file */
#define POST_BUFFER       (64 * 1024)   /* MHD post processor buffer */
#define HANG_MS           (120 * 1000)  /* longer than any client timeout scanpost uses */
#define IDLE_TIMEOUT_S    60
#define CONNECTIONS_MAX   512
#define CONNECTION_MEMORY (256 * 1024) /* bigger reads for large uploads */

struct server {
	struct MHD_Daemon *daemon;
	struct sim *sim;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stopping;
};

enum part_state { PART_NONE, PART_OPEN, PART_DONE };

struct request {
	struct server *srv;
	struct timespec start;
	char method[16];
	char *path;
	const struct route *route;
	int early;                 /* status decided before the body; 0 = none */
	const char *early_message; /* for early != 401 */
	char allow[64];
	bool faulted;
	struct fault fault;
	char user[STORE_USER_MAX];
	enum body_kind sink; /* BODY_NONE: discard */
	char *buf;
	size_t len;
	struct MHD_PostProcessor *pp;
	enum part_state part;
	struct upload_part upload;
	int fd;
	EVP_MD_CTX *sha;
	int status; /* sent, for the log; 0 = none */
};

/* Waits ms or until the server stops; true when it is stopping. */
static bool server_nap(struct server *srv, long ms)
{
	struct timespec until;
	bool stopping;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&srv->lock);
	while (!srv->stopping) {
		if (pthread_cond_timedwait(&srv->wake, &srv->lock, &until) == ETIMEDOUT)
			break;
	}
	stopping = srv->stopping;
	pthread_mutex_unlock(&srv->lock);
	return stopping;
}

static long elapsed_ms(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000L + (now.tv_nsec - start->tv_nsec) / 1000000L;
}

static void set_early(struct request *rq, int status, const char *message)
{
	if (rq->early)
		return; /* the first reason found is the one reported */
	rq->early = status;
	rq->early_message = message;
	rq->sink = BODY_NONE;
}

/* Ends the file part: closes the file and fixes its SHA-256. */
static void part_close(struct request *rq)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (rq->part != PART_OPEN)
		return;
	rq->part = PART_DONE;
	if (rq->fd >= 0 && close(rq->fd) != 0)
		set_early(rq, 500, "An error has occurred.");
	rq->fd = -1;
	if (EVP_DigestFinal_ex(rq->sha, md, &mdlen) != 1 || mdlen != 32) {
		set_early(rq, 500, "An error has occurred.");
		return;
	}
	for (unsigned int i = 0; i < mdlen; i++)
		snprintf(rq->upload.sha256 + 2 * i, 3, "%02x", md[i]);
}

static int part_open(struct request *rq, const char *filename)
{
	struct upload_part *up = &rq->upload;

	rq->part = PART_OPEN;
	/* RFC 7578 4.2: a file part names its file; we keep it, never use it as a path. */
	if (!filename || !filename[0] || strlen(filename) >= sizeof(up->filename)) {
		set_early(rq, 400, "The file part needs a filename of at most 255 bytes.");
		return -1;
	}
	snprintf(up->filename, sizeof(up->filename), "%s", filename);
	rq->sha = EVP_MD_CTX_new();
	if (!rq->sha || EVP_DigestInit_ex(rq->sha, EVP_sha256(), NULL) != 1 ||
	    store_incoming_path(rq->srv->sim->store, up->tmp_path, sizeof(up->tmp_path)) < 0) {
		set_early(rq, 500, "An error has occurred.");
		return -1;
	}
	rq->fd = open(up->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (rq->fd < 0) {
		up->tmp_path[0] = '\0';
		set_early(rq, 500, "An error has occurred.");
		return -1;
	}
	up->present = true;
	return 0;
}

static int write_all(int fd, const char *data, size_t size)
{
	while (size > 0) {
		ssize_t n = write(fd, data, size);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		data += n;
		size -= (size_t)n;
	}
	return 0;
}

/* MHD post processor callback: the part named "file" goes to disk, others are ignored. */
static enum MHD_Result on_part(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *filename, const char *content_type,
                               const char *transfer_encoding, const char *data, uint64_t off,
                               size_t size)
{
	struct request *rq = cls;
	bool is_file = key && strcasecmp(key, "file") == 0;

	(void)kind;
	(void)content_type;
	(void)transfer_encoding;
	/* A different field, or a second "file" part, ends the first file. */
	if (rq->part == PART_OPEN && (!is_file || (off == 0 && size > 0 && rq->upload.bytes > 0)))
		part_close(rq);
	if (!is_file || rq->part == PART_DONE)
		return MHD_YES; /* one file per upload, as RMail's Upload returns one id */
	if (rq->part == PART_NONE && part_open(rq, filename) < 0)
		return MHD_NO;
	if (size == 0)
		return MHD_YES;
	if (rq->upload.bytes + size > rq->srv->sim->max_upload) {
		set_early(rq, 413, "The file is larger than this server accepts.");
		return MHD_NO;
	}
	if (write_all(rq->fd, data, size) < 0 || EVP_DigestUpdate(rq->sha, data, size) != 1) {
		set_early(rq, 500, "An error has occurred.");
		return MHD_NO;
	}
	rq->upload.bytes += size;
	return MHD_YES;
}

static bool header_starts(struct MHD_Connection *conn, const char *name, const char *prefix)
{
	const char *v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);

	return v && strncasecmp(v, prefix, strlen(prefix)) == 0;
}

/* RFC 6750 2.1: "Authorization: Bearer <token>", the scheme in any case (RFC 7235 2.1). */
static bool authenticate(struct request *rq, struct MHD_Connection *conn)
{
	const char *v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");

	if (!v || strncasecmp(v, "Bearer ", 7) != 0)
		return false;
	v += 7;
	while (*v == ' ')
		v++;
	return *v && strlen(v) < STORE_TOKEN_MAX &&
	       store_token_user(rq->srv->sim->store, v, rq->user, sizeof(rq->user));
}

static void choose_sink(struct request *rq, struct MHD_Connection *conn)
{
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");

	switch (rq->route->body) {
	case BODY_NONE:
		break;
	case BODY_FORM:
		/* OWIN reads the form only when it is one; otherwise grant_type is missing. */
		if (header_starts(conn, "Content-Type", "application/x-www-form-urlencoded"))
			rq->sink = BODY_FORM;
		break;
	case BODY_JSON:
		if (rq->route->endpoint >= 0 &&
		    !header_starts(conn, "Content-Type", "application/json"))
			set_early(rq, 415,
			          "The request entity's media type is not supported; "
			          "send application/json.");
		else
			rq->sink = BODY_JSON;
		break;
	case BODY_MULTIPART:
		if (!header_starts(conn, "Content-Type", "multipart/form-data")) {
			set_early(rq, 415,
			          "The request entity's media type is not supported; "
			          "send multipart/form-data.");
			break;
		}
		if (cl && strtoull(cl, NULL, 10) > rq->srv->sim->max_upload + MULTIPART_SLACK) {
			set_early(rq, 413, "The file is larger than this server accepts.");
			break;
		}
		rq->pp = MHD_create_post_processor(conn, POST_BUFFER, on_part, rq);
		if (!rq->pp)
			set_early(rq, 415, "The multipart body has no boundary.");
		else
			rq->sink = BODY_MULTIPART;
		break;
	}
}

static struct request *request_begin(struct server *srv, struct MHD_Connection *conn,
                                     const char *url, const char *method)
{
	struct request *rq = calloc(1, sizeof(*rq));
	int status;

	if (!rq)
		return NULL;
	rq->srv = srv;
	rq->fd = -1;
	clock_gettime(CLOCK_MONOTONIC, &rq->start);
	snprintf(rq->method, sizeof(rq->method), "%s", method);
	rq->path = strdup(url);
	if (!rq->path) {
		free(rq);
		return NULL;
	}
	rq->route = routes_find(method, url, &status, rq->allow, sizeof(rq->allow));
	if (!rq->route) {
		set_early(rq, status,
		          status == 404 ? "No HTTP resource was found that matches "
		                          "the request URI."
		                        : "The requested resource does not support "
		                          "this http method.");
		return rq;
	}
	if (rq->route->endpoint >= 0) {
		store_count(srv->sim->store, rq->route->endpoint, CNT_CALLS);
		rq->faulted =
		    faults_take(srv->sim->faults, url, rq->route->fn == api_mail, &rq->fault);
		if (rq->faulted)
			store_count(srv->sim->store, rq->route->endpoint, CNT_FAULTS);
	}
	/* A fault that answers in place of the service needs no body and no token. */
	if (rq->faulted && !rq->fault.after_accept && rq->fault.kind != FAULT_LATENCY &&
	    rq->fault.kind != FAULT_STALE)
		return rq;
	if (rq->route->auth && !authenticate(rq, conn)) {
		set_early(rq, 401, NULL);
		return rq;
	}
	choose_sink(rq, conn);
	return rq;
}

static void request_feed(struct request *rq, const char *data, size_t size)
{
	switch (rq->sink) {
	case BODY_NONE:
		break;
	case BODY_FORM:
	case BODY_JSON: {
		char *grown;

		if (rq->len + size > BODY_MAX) {
			set_early(rq, 413, "The request body is too large.");
			break;
		}
		grown = realloc(rq->buf, rq->len + size + 1);
		if (!grown) {
			set_early(rq, 500, "An error has occurred.");
			break;
		}
		rq->buf = grown;
		memcpy(rq->buf + rq->len, data, size);
		rq->len += size;
		rq->buf[rq->len] = '\0';
		break;
	}
	case BODY_MULTIPART:
		if (MHD_post_process(rq->pp, data, size) != MHD_YES)
			set_early(rq, 400, "The multipart body is malformed.");
		break;
	}
}

/* The body is complete: settle the upload. */
static void request_body_done(struct request *rq)
{
	if (rq->pp) {
		/* MHD_NO here: the body ended inside a part (RFC 7578 / RFC 2046 5.1.1). */
		if (MHD_destroy_post_processor(rq->pp) != MHD_YES)
			set_early(rq, 400, "The multipart body is malformed.");
		rq->pp = NULL;
	}
	part_close(rq);
}

static enum MHD_Result send_reply(struct request *rq, struct MHD_Connection *conn, struct reply *r)
{
	size_t len = r->body ? strlen(r->body) : 0;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char num[24];

	resp = MHD_create_response_from_buffer(len, r->body ? r->body : (char *)"",
	                                       r->body ? MHD_RESPMEM_MUST_FREE
	                                               : MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	r->body = NULL; /* MHD frees it */
	if (r->content_type)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
	if (r->retry_after > 0) {
		snprintf(num, sizeof(num), "%ld", r->retry_after);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, num);
	}
	if (r->allow)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
	if (r->no_store) {
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
		MHD_add_response_header(resp, MHD_HTTP_HEADER_PRAGMA, "no-cache");
	}
	if (r->challenge)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
	ret = MHD_queue_response(conn, (unsigned int)r->status, resp);
	MHD_destroy_response(resp);
	if (ret == MHD_YES)
		rq->status = r->status;
	return ret;
}

/* The answer a fault gives in place of the service's; false = answer nothing. */
static bool fault_reply(const struct fault *f, struct reply *r)
{
	switch (f->kind) {
	case FAULT_STATUS:
		reply_message(r, f->status, "An error has occurred.");
		return true;
	case FAULT_RETRY_AFTER:
		reply_message(r, 429, "Too many requests; retry later.");
		r->retry_after = f->retry_after > 0 ? f->retry_after : 1;
		return true;
	case FAULT_UNAUTHORIZED:
		api_unauthorized(r);
		return true;
	case FAULT_BUSINESS:
		api_business_failure(r, f->status, f->message);
		return true;
	case FAULT_RAW:
		reply_free(r);
		r->status = f->status;
		r->body = strdup(f->message);
		r->content_type = "application/json; charset=utf-8";
		if (!r->body)
			r->status = 500;
		return true;
	case FAULT_STALE:
	case FAULT_LATENCY:
	case FAULT_DROP:
	case FAULT_HANG:
	case FAULT__MAX:
		break;
	}
	return false;
}

static enum MHD_Result request_finish(struct request *rq, struct MHD_Connection *conn)
{
	struct reply r = {0};
	struct call c = {0};
	enum MHD_Result ret;

	request_body_done(rq);
	if (rq->faulted && !rq->fault.after_accept && rq->fault.kind != FAULT_STALE) {
		if (rq->fault.kind == FAULT_LATENCY) {
			if (server_nap(rq->srv, rq->fault.latency_ms))
				return MHD_NO;
		} else if (rq->fault.kind == FAULT_HANG) {
			server_nap(rq->srv, HANG_MS);
			return MHD_NO;
		} else if (!fault_reply(&rq->fault, &r)) {
			return MHD_NO; /* drop */
		} else {
			ret = send_reply(rq, conn, &r);
			reply_free(&r);
			return ret;
		}
	}
	if (rq->early == 401) {
		api_unauthorized(&r);
	} else if (rq->early) {
		reply_message(&r, rq->early, rq->early_message);
		if (rq->early == 405)
			r.allow = rq->allow;
	} else {
		c.sim = rq->srv->sim;
		c.path = rq->path;
		c.user = rq->user;
		c.body = rq->buf ? rq->buf : "";
		c.body_len = rq->len;
		c.upload = &rq->upload;
		c.fault = rq->faulted ? &rq->fault : NULL;
		rq->route->fn(&c, &r);
	}
	if (rq->faulted && rq->fault.after_accept) {
		/* RMail has the message; the client is not told (DESIGN.md 3.5 rescue path). */
		reply_free(&r);
		if (rq->fault.kind == FAULT_HANG)
			server_nap(rq->srv, HANG_MS);
		if (!fault_reply(&rq->fault, &r))
			return MHD_NO;
	}
	ret = send_reply(rq, conn, &r);
	reply_free(&r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
	struct request *rq = *con_cls;

	(void)version;
	if (!rq) {
		rq = request_begin(cls, conn, url, method);
		if (!rq)
			return MHD_NO;
		*con_cls = rq;
		if (rq->early == 413) {
			/* Refuse a too-large upload before it is sent (with Expect: 100-continue).
			 */
			struct reply r = {0};
			enum MHD_Result ret;

			reply_message(&r, 413, rq->early_message);
			ret = send_reply(rq, conn, &r);
			reply_free(&r);
			return ret;
		}
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		request_feed(rq, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	return request_finish(rq, conn);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct request *rq = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (!rq)
		return;
	log_request(rq->method, rq->path, rq->status, elapsed_ms(&rq->start),
	            rq->faulted ? fault_kind_name(rq->fault.kind) : NULL);
	if (rq->pp)
		MHD_destroy_post_processor(rq->pp);
	if (rq->fd >= 0)
		close(rq->fd);
	if (rq->upload.tmp_path[0])
		unlink(rq->upload.tmp_path); /* received but not filed */
	EVP_MD_CTX_free(rq->sha);
	free(rq->buf);
	free(rq->path);
	free(rq);
	*con_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t len;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	len = strlen(msg);
	while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == '\r'))
		msg[--len] = '\0';
	log_event("warn", "http", msg);
}

struct server *server_start(struct sim *sim, const struct sockaddr *addr, const char *cert_pem,
                            const char *key_pem, char *err, size_t errlen)
{
	struct server *srv = calloc(1, sizeof(*srv));
	pthread_condattr_t attr;
	unsigned int flags = MHD_USE_TLS | MHD_USE_INTERNAL_POLLING_THREAD |
	                     MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG;

	if (!srv) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		snprintf(err, errlen, "libmicrohttpd was built without TLS");
		free(srv);
		return NULL;
	}
	srv->sim = sim;
	pthread_mutex_init(&srv->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC); /* naps ignore wall-clock steps */
	pthread_cond_init(&srv->wake, &attr);
	pthread_condattr_destroy(&attr);
	if (addr->sa_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	srv->daemon = MHD_start_daemon(
	    flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
	    MHD_OPTION_SOCK_ADDR, addr, MHD_OPTION_HTTPS_MEM_CERT, cert_pem,
	    MHD_OPTION_HTTPS_MEM_KEY, key_pem, MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)IDLE_TIMEOUT_S,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)CONNECTIONS_MAX,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
	    MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned int)1, MHD_OPTION_END);
	if (!srv->daemon) {
		snprintf(err, errlen,
		         "cannot start the HTTPS server (address in use, or a bad "
		         "certificate or key)");
		pthread_cond_destroy(&srv->wake);
		pthread_mutex_destroy(&srv->lock);
		free(srv);
		return NULL;
	}
	return srv;
}

void server_stop(struct server *srv)
{
	if (!srv)
		return;
	pthread_mutex_lock(&srv->lock);
	srv->stopping = true;
	pthread_cond_broadcast(&srv->wake);
	pthread_mutex_unlock(&srv->lock);
	MHD_stop_daemon(srv->daemon);
	pthread_cond_destroy(&srv->wake);
	pthread_mutex_destroy(&srv->lock);
	free(srv);
}
