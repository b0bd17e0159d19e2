/*
 * rmail_stub.c - the scripted RMail answerer (see rmail_stub.h).
 */
#include "rmail_stub.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "codec.h"
#include "regress.h"

#define MAX_SCRIPTS 32
#define MAX_PATHS   32
#define MAX_BODY    (64 * 1024 * 1024)

struct script {
	char suffix[64];
	int times; /* < 0: forever */
	int status;
	char *body;
	long retry_after;
	int drop; /* STUB_DROP_*: close the connection instead of answering */
};

static struct {
	pthread_mutex_t lock;
	struct MHD_Daemon *d;
	char url[64], ca[600];
	char *cert, *key;
	struct script scripts[MAX_SCRIPTS];
	int nscripts;
	struct {
		char path[128];
		int calls;
		int kept; /* of them, on a connection an earlier call had used */
	} paths[MAX_PATHS];
	int npaths;
	size_t upload_bytes;
	char upload_sha[65];
	char *mail;
	unsigned long serial;
	char hook_suffix[64];
	void (*hook)(void *);
	void *hook_arg;
} stub = {.lock = PTHREAD_MUTEX_INITIALIZER};

struct request {
	char *body;
	size_t len, cap;
	int overflow;
	int kept; /* on a connection an earlier call had used */
};

/* Per connection (MHD's socket context): the calls it carried. */
struct conn {
	int calls;
};

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcasecmp(s + a - b, suffix) == 0;
}

static char *file_text(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* The file part of a multipart body (RFC 7578): from the blank line after
 * its headers to the CRLF before the next boundary. */
static void record_upload(const char *ctype, const char *body, size_t len)
{
	const char *b = ctype ? strstr(ctype, "boundary=") : NULL;
	char delim[128];
	const char *start, *end = NULL;

	stub.upload_bytes = 0;
	stub.upload_sha[0] = '\0';
	if (b == NULL)
		return;
	snprintf(delim, sizeof(delim), "\r\n--%s", b + 9);
	start = memmem(body, len, "\r\n\r\n", 4);
	if (start == NULL)
		return;
	start += 4;
	end = memmem(start, len - (size_t)(start - body), delim, strlen(delim));
	if (end == NULL)
		return;
	stub.upload_bytes = (size_t)(end - start);
	regress_sha256_hex(start, stub.upload_bytes, stub.upload_sha);
}

static void count_call(const char *path, int kept)
{
	for (int i = 0; i < stub.npaths; i++)
		if (strcasecmp(stub.paths[i].path, path) == 0) {
			stub.paths[i].calls++;
			stub.paths[i].kept += kept;
			return;
		}
	if (stub.npaths < MAX_PATHS) {
		snprintf(stub.paths[stub.npaths].path, sizeof(stub.paths[0].path), "%s", path);
		stub.paths[stub.npaths].kept = kept;
		stub.paths[stub.npaths++].calls = 1;
	}
}

/* The drop scripted for the call to path at this point (STUB_DROP_*),
 * spending it, or 0. */
static int drop_for(const char *path, int when)
{
	for (int i = 0; i < stub.nscripts; i++) {
		struct script *s = &stub.scripts[i];

		if (s->times == 0 || !ends_with(path, s->suffix))
			continue;
		if (s->drop != when)
			return 0;
		if (s->times > 0)
			s->times--;
		return when;
	}
	return 0;
}

/* The answer to path: a script, or RPost's plain success.  *body malloc'd. */
static int answer_for(const char *path, char **body, long *retry_after)
{
	char text[512];

	*retry_after = -1;
	for (int i = 0; i < stub.nscripts; i++) {
		struct script *s = &stub.scripts[i];

		if (s->times == 0 || s->drop || !ends_with(path, s->suffix))
			continue;
		if (s->times > 0)
			s->times--;
		*body = strdup(s->body);
		*retry_after = s->retry_after;
		return s->status;
	}
	stub.serial++;
	if (ends_with(path, "/token"))
		snprintf(text, sizeof(text),
		         "{\"access_token\":\"stub-token-%lu\",\"token_type\":\"bearer\","
		         "\"expires_in\":1209600}",
		         stub.serial);
	else if (ends_with(path, "/api/upload"))
		snprintf(text, sizeof(text), "\"up-%lu\"", stub.serial);
	else if (ends_with(path, "/largefiletransfer"))
		snprintf(text, sizeof(text), "{\"Key\":\"lk-%lu\"}", stub.serial);
	else if (ends_with(path, "/api/v1/mail"))
		snprintf(text, sizeof(text),
		         "{\"StatusCode\":200,\"StatusText\":\"OK\",\"Status\":\"Success\","
		         "\"Message\":[{\"Message\":\"ok\",\"MessageId\":\"m%lu\"}],"
		         "\"ResultContent\":{\"TrackingId\":\"TRK%lu\"}}",
		         stub.serial, stub.serial);
	else if (ends_with(path, "/messagestatus"))
		snprintf(text, sizeof(text), "{\"Status\":\"Success\",\"ResultContent\":[]}");
	else {
		*body = strdup("{\"Message\":\"no such path\"}");
		return 404;
	}
	*body = strdup(text);
	return 200;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *data,
                                  size_t *size, void **con_cls)
{
	struct request *rq = *con_cls;
	struct MHD_Response *resp;
	char *body = NULL, ra[32];
	long retry_after;
	int status;
	enum MHD_Result ok;

	(void)cls, (void)method, (void)version;
	if (rq == NULL) {
		void (*hook)(void *) = NULL;
		void *hook_arg = NULL;
		const union MHD_ConnectionInfo *ci =
		    MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
		struct conn *conn = ci ? ci->socket_context : NULL;
		int drop;

		if ((rq = calloc(1, sizeof(*rq))) == NULL)
			return MHD_NO;
		*con_cls = rq;
		if (conn)
			rq->kept = conn->calls++ > 0;
		pthread_mutex_lock(&stub.lock);
		if (stub.hook && ends_with(url, stub.hook_suffix)) {
			hook = stub.hook;
			hook_arg = stub.hook_arg;
			stub.hook = NULL;
		}
		drop = drop_for(url, STUB_DROP_AT_HEADERS);
		pthread_mutex_unlock(&stub.lock);
		if (hook)
			hook(hook_arg);
		return drop ? MHD_NO : MHD_YES; /* MHD_NO closes the connection */
	}
	if (*size > 0) {
		if (rq->len + *size > MAX_BODY) {
			rq->overflow = 1;
		} else {
			if (rq->len + *size + 1 > rq->cap) {
				size_t cap = (rq->len + *size + 1) * 2;
				char *grown = realloc(rq->body, cap);
				if (grown == NULL)
					return MHD_NO;
				rq->body = grown;
				rq->cap = cap;
			}
			memcpy(rq->body + rq->len, data, *size);
			rq->len += *size;
			rq->body[rq->len] = '\0';
		}
		*size = 0;
		return MHD_YES;
	}
	pthread_mutex_lock(&stub.lock);
	count_call(url, rq->kept);
	if (ends_with(url, "/api/upload"))
		record_upload(MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type"),
		              rq->body ? rq->body : "", rq->len);
	if (ends_with(url, "/api/v1/mail")) {
		free(stub.mail);
		stub.mail = strdup(rq->body ? rq->body : "");
	}
	if (drop_for(url, STUB_DROP_AFTER_BODY)) {
		pthread_mutex_unlock(&stub.lock);
		return MHD_NO; /* read in full, never answered */
	}
	status = answer_for(url, &body, &retry_after);
	pthread_mutex_unlock(&stub.lock);
	resp = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(resp, "Content-Type", "application/json; charset=utf-8");
	if (retry_after >= 0) {
		snprintf(ra, sizeof(ra), "%ld", retry_after);
		MHD_add_response_header(resp, "Retry-After", ra);
	}
	ok = MHD_queue_response(c, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return ok;
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls,
                    enum MHD_RequestTerminationCode code)
{
	struct request *rq = *con_cls;

	(void)cls, (void)c, (void)code;
	if (rq) {
		free(rq->body);
		free(rq);
		*con_cls = NULL;
	}
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
	(void)cls, (void)c;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		*socket_context = calloc(1, sizeof(struct conn));
	} else {
		free(*socket_context);
		*socket_context = NULL;
	}
}

void stub_on_call(const char *path_suffix, void (*fn)(void *), void *arg)
{
	pthread_mutex_lock(&stub.lock);
	snprintf(stub.hook_suffix, sizeof(stub.hook_suffix), "%s", path_suffix);
	stub.hook = fn;
	stub.hook_arg = arg;
	pthread_mutex_unlock(&stub.lock);
}

int stub_start(void)
{
	char path[600];
	const union MHD_DaemonInfo *info;

	snprintf(path, sizeof(path), "%s/rmail.crt", regress_dir());
	stub.cert = file_text(path);
	snprintf(path, sizeof(path), "%s/rmail.key", regress_dir());
	stub.key = file_text(path);
	snprintf(stub.ca, sizeof(stub.ca), "%s/ca.crt", regress_dir());
	if (stub.cert == NULL || stub.key == NULL) {
		fprintf(stderr, "rmail stub: no certificate in %s\n", regress_dir());
		return -1;
	}
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	stub.d = MHD_start_daemon(
	    MHD_USE_TLS | MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, on_request, NULL,
	    MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_HTTPS_MEM_CERT, stub.cert,
	    MHD_OPTION_HTTPS_MEM_KEY, stub.key, MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL,
	    MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL, MHD_OPTION_END);
	if (stub.d == NULL) {
		fprintf(stderr, "rmail stub: MHD_start_daemon failed\n");
		return -1;
	}
	info = MHD_get_daemon_info(stub.d, MHD_DAEMON_INFO_BIND_PORT);
	snprintf(stub.url, sizeof(stub.url), "https://127.0.0.1:%u", (unsigned)info->port);
	return 0;
}

void stub_stop(void)
{
	if (stub.d)
		MHD_stop_daemon(stub.d);
	stub.d = NULL;
	stub_reset();
	free(stub.cert);
	free(stub.key);
	stub.cert = stub.key = NULL;
}

const char *stub_url(void)
{
	return stub.url;
}

const char *stub_ca(void)
{
	return stub.ca;
}

void stub_script(const char *path_suffix, int times, int status, const char *body, long retry_after)
{
	pthread_mutex_lock(&stub.lock);
	if (stub.nscripts < MAX_SCRIPTS) {
		struct script *s = &stub.scripts[stub.nscripts++];

		snprintf(s->suffix, sizeof(s->suffix), "%s", path_suffix);
		s->times = times;
		s->status = status;
		s->body = strdup(body);
		s->retry_after = retry_after;
		s->drop = 0;
	}
	pthread_mutex_unlock(&stub.lock);
}

void stub_drop(const char *path_suffix, int times, int when)
{
	int n;

	stub_script(path_suffix, times, 0, "", -1);
	pthread_mutex_lock(&stub.lock);
	n = stub.nscripts;
	if (n > 0 && strcmp(stub.scripts[n - 1].suffix, path_suffix) == 0)
		stub.scripts[n - 1].drop = when;
	pthread_mutex_unlock(&stub.lock);
}

void stub_reset(void)
{
	pthread_mutex_lock(&stub.lock);
	for (int i = 0; i < stub.nscripts; i++)
		free(stub.scripts[i].body);
	stub.nscripts = 0;
	stub.npaths = 0;
	stub.upload_bytes = 0;
	stub.upload_sha[0] = '\0';
	free(stub.mail);
	stub.mail = NULL;
	stub.hook = NULL;
	pthread_mutex_unlock(&stub.lock);
}

int stub_kept_calls(const char *path_suffix)
{
	int n = 0;

	pthread_mutex_lock(&stub.lock);
	for (int i = 0; i < stub.npaths; i++)
		if (ends_with(stub.paths[i].path, path_suffix))
			n += stub.paths[i].kept;
	pthread_mutex_unlock(&stub.lock);
	return n;
}

int stub_calls(const char *path_suffix)
{
	int n = 0;

	pthread_mutex_lock(&stub.lock);
	for (int i = 0; i < stub.npaths; i++)
		if (ends_with(stub.paths[i].path, path_suffix))
			n += stub.paths[i].calls;
	pthread_mutex_unlock(&stub.lock);
	return n;
}

size_t stub_last_upload_bytes(void)
{
	return stub.upload_bytes;
}

const char *stub_last_upload_sha256(void)
{
	return stub.upload_sha;
}

char *stub_last_mail(void)
{
	char *m;

	pthread_mutex_lock(&stub.lock);
	m = strdup(stub.mail ? stub.mail : "");
	pthread_mutex_unlock(&stub.lock);
	return m;
}
