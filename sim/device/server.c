/*
 * server.c - libmicrohttpd glue: collect a bounded body, dispatch by path
 * (see server.h).
 */
#include "server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <microhttpd.h>

#include "control.h"
#include "services.h"
#include "simlog.h"
#include "soap.h"

struct server {
	struct MHD_Daemon *daemon;
	struct device *dev;
};

/* One request's body, kept up to its route's limit. */
struct body {
	char *buf;
	size_t len, limit;
	bool too_large;
};

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned status, const char *type,
                                 const char *text, size_t len, const char *allow)
{
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(len, (void *)text, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-cache");
	if (allow)
		MHD_add_response_header(r, "Allow", allow);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result send_soap(struct MHD_Connection *c, int status, struct soap_buf *b,
                                 const char *type)
{
	static const char oom[] = "out of memory";

	if (b->oom || !b->s)
		return send_text(c, 500, "text/plain", oom, sizeof(oom) - 1, NULL);
	return send_text(c, (unsigned)status, type, b->s, b->len, NULL);
}

static void log_request(const char *method, const char *url, int status)
{
	char st[8];

	snprintf(st, sizeof(st), "%d", status);
	simlog("info", "http_request", "method", method, "path", url, "status", st, NULL);
}

static enum MHD_Result handle_soap(struct server *s, struct MHD_Connection *c, const char *url,
                                   struct body *b)
{
	const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
	const char *type = "text/xml; charset=utf-8";
	struct soap_buf out;
	enum MHD_Result ret;
	int status;

	soap_buf_init(&out);
	status = services_handle(s->dev, url, ct, b->buf ? b->buf : "", b->len, b->too_large, &out,
	                         &type);
	log_request("POST", url, status);
	ret = send_soap(c, status, &out, type);
	soap_buf_free(&out);
	return ret;
}

static enum MHD_Result handle_control(struct server *s, struct MHD_Connection *c,
                                      const char *method, const char *url, struct body *b)
{
	static const char too_large[] =
	    "{\"error\":{\"code\":\"too_large\",\"message\":\"body over 64 KiB\"}}";
	static const char oom[] = "{\"error\":{\"code\":\"out_of_memory\",\"message\":\"\"}}";
	enum MHD_Result ret;
	char *out = NULL;
	int status;

	if (b->too_large) {
		log_request(method, url, 413);
		return send_text(c, 413, "application/json", too_large, sizeof(too_large) - 1,
		                 NULL);
	}
	status = control_handle(s->dev, method, url, b->buf ? b->buf : "", b->len, &out);
	log_request(method, url, status);
	if (!out)
		return send_text(c, 500, "application/json", oom, sizeof(oom) - 1, NULL);
	ret = send_text(c, (unsigned)status, "application/json; charset=utf-8", out, strlen(out),
	                NULL);
	free(out);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls)
{
	static const char not_found[] = "not found";
	static const char not_allowed[] = "method not allowed";
	struct server *s = cls;
	struct body *b = *con_cls;
	bool is_soap = services_is_path(url), is_control = control_is_path(url);

	(void)version;
	if (!b) {
		/* First call: headers only.  Decide the body limit now. */
		b = calloc(1, sizeof(*b));
		if (!b)
			return MHD_NO;
		b->limit = is_control ? CONTROL_MAX_BODY : SOAP_MAX_REQUEST;
		*con_cls = b;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		size_t n = *upload_size;

		if (!b->too_large && b->len + n > b->limit) {
			b->too_large = true; /* keep reading, keep nothing */
			free(b->buf);
			b->buf = NULL;
			b->len = 0;
		}
		if (!b->too_large) {
			char *grown = realloc(b->buf, b->len + n + 1);

			if (!grown)
				return MHD_NO;
			b->buf = grown;
			memcpy(b->buf + b->len, upload_data, n);
			b->len += n;
			b->buf[b->len] = '\0';
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (is_control)
		return handle_control(s, c, method, url, b);
	if (!is_soap) {
		log_request(method, url, 404);
		return send_text(c, 404, "text/plain", not_found, sizeof(not_found) - 1, NULL);
	}
	if (strcmp(method, "POST") != 0) {
		log_request(method, url, 405);
		return send_text(c, 405, "text/plain", not_allowed, sizeof(not_allowed) - 1,
		                 "POST");
	}
	return handle_soap(s, c, url, b);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct body *b = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (b) {
		free(b->buf);
		free(b);
		*con_cls = NULL;
	}
}

struct server *server_start(struct device *d, const char *host, unsigned port, char *why,
                            size_t whylen)
{
	struct server *s = calloc(1, sizeof(*s));
	struct sockaddr_in addr;

	if (!s) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)port);
	if (strcmp(host, "localhost") == 0)
		host = "127.0.0.1";
	if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
		snprintf(why, whylen, "--listen needs an IPv4 address, e.g. 127.0.0.1:8081");
		free(s);
		return NULL;
	}
	s->dev = d;
	s->daemon = MHD_start_daemon(
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG,
	    (uint16_t)port, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, &addr,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned)30, MHD_OPTION_CONNECTION_LIMIT, (unsigned)64, MHD_OPTION_END);
	if (!s->daemon) {
		snprintf(why, whylen, "cannot listen on %s:%u", host, port);
		free(s);
		return NULL;
	}
	return s;
}

void server_stop(struct server *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->daemon);
	free(s);
}
