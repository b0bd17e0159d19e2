/*
 * fcgi_client.c - FastCGI 1.0 records, client side (see fcgi_client.h).
 * The record layout and the name-value pair lengths are those of the
 * FastCGI Specification 1.0 (Open Market, 1996), sections 3.3 and 3.4.
 */
#include "fcgi_client.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

enum {
	FCGI_VERSION_1 = 1,
	FCGI_BEGIN_REQUEST = 1,
	FCGI_END_REQUEST = 3,
	FCGI_PARAMS = 4,
	FCGI_STDIN = 5,
	FCGI_STDOUT = 6,
	FCGI_STDERR = 7,
	FCGI_RESPONDER = 1,
	REQUEST_ID = 1,
};

struct fcgi_req {
	int fd;
};

static int write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int read_all(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Section 3.3: version, type, request id, content length, padding. */
static int record(int fd, int type, const void *data, size_t len)
{
	uint8_t h[8] = {FCGI_VERSION_1,      (uint8_t)type, 0, REQUEST_ID,
	                (uint8_t)(len >> 8), (uint8_t)len,  0, 0};

	return write_all(fd, h, 8) == 0 && (len == 0 || write_all(fd, data, len) == 0) ? 0 : -1;
}

/* Section 3.4: lengths < 128 in one byte, else four with the top bit set. */
static size_t put_len(uint8_t *p, size_t n)
{
	if (n < 128) {
		p[0] = (uint8_t)n;
		return 1;
	}
	p[0] = (uint8_t)(0x80 | (n >> 24));
	p[1] = (uint8_t)(n >> 16);
	p[2] = (uint8_t)(n >> 8);
	p[3] = (uint8_t)n;
	return 4;
}

static int add_pair(uint8_t *buf, size_t *len, size_t cap, const char *name, const char *value)
{
	size_t nl = strlen(name), vl = strlen(value);

	if (*len + 8 + nl + vl > cap)
		return -1;
	*len += put_len(buf + *len, nl);
	*len += put_len(buf + *len, vl);
	memcpy(buf + *len, name, nl);
	*len += nl;
	memcpy(buf + *len, value, vl);
	*len += vl;
	return 0;
}

struct fcgi_req *fcgi_begin(const char *socket_path, const char *method, const char *path,
                            const char *const *params)
{
	static const uint8_t begin[8] = {0, FCGI_RESPONDER, 0, 0, 0, 0, 0, 0};
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	uint8_t buf[16384];
	size_t len = 0;
	struct fcgi_req *q = calloc(1, sizeof(*q));
	int ok;

	if (q == NULL)
		return NULL;
	if (strlen(socket_path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "fcgi: socket path too long: %s\n", socket_path);
		free(q);
		return NULL;
	}
	memcpy(sa.sun_path, socket_path, strlen(socket_path) + 1);
	q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (q->fd < 0 || connect(q->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, "fcgi: connect %s: %s\n", socket_path, strerror(errno));
		if (q->fd >= 0)
			close(q->fd);
		free(q);
		return NULL;
	}
	ok = add_pair(buf, &len, sizeof(buf), "REQUEST_METHOD", method) == 0 &&
	     add_pair(buf, &len, sizeof(buf), "REQUEST_URI", path) == 0 &&
	     add_pair(buf, &len, sizeof(buf), "SERVER_PROTOCOL", "HTTP/1.1") == 0;
	for (size_t i = 0; ok && params && params[i]; i++) {
		const char *eq = strchr(params[i], '=');
		char name[128];

		if (eq == NULL || (size_t)(eq - params[i]) >= sizeof(name)) {
			ok = 0;
			break;
		}
		memcpy(name, params[i], (size_t)(eq - params[i]));
		name[eq - params[i]] = '\0';
		ok = add_pair(buf, &len, sizeof(buf), name, eq + 1) == 0;
	}
	ok = ok && record(q->fd, FCGI_BEGIN_REQUEST, begin, sizeof(begin)) == 0 &&
	     record(q->fd, FCGI_PARAMS, buf, len) == 0 && record(q->fd, FCGI_PARAMS, NULL, 0) == 0;
	if (!ok) {
		fprintf(stderr, "fcgi: cannot send the request head\n");
		close(q->fd);
		free(q);
		return NULL;
	}
	return q;
}

int fcgi_send(struct fcgi_req *q, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len > 0) {
		size_t n = len > 65535 ? 65535 : len;

		if (record(q->fd, FCGI_STDIN, p, n) != 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

static int append(struct fcgi_answer *a, const uint8_t *data, size_t len, size_t *cap)
{
	if (a->body_len + len + 1 > *cap) {
		size_t c = (a->body_len + len + 1) * 2;
		char *grown = realloc(a->body, c);

		if (grown == NULL)
			return -1;
		a->body = grown;
		*cap = c;
	}
	memcpy(a->body + a->body_len, data, len);
	a->body_len += len;
	a->body[a->body_len] = '\0';
	return 0;
}

/* Splits the CGI response (RFC 3875, 6.2) in a->body into head and body. */
static void split_head(struct fcgi_answer *a)
{
	char *end = a->body ? strstr(a->body, "\r\n\r\n") : NULL;
	size_t hl;

	a->status = 200;
	if (end == NULL)
		return;
	hl = (size_t)(end - a->body) + 2;
	snprintf(a->headers, sizeof(a->headers), "%.*s", (int)hl, a->body);
	if (strncasecmp(a->headers, "Status:", 7) == 0)
		a->status = atoi(a->headers + 7);
	else if (strstr(a->headers, "\r\nStatus:"))
		a->status = atoi(strstr(a->headers, "\r\nStatus:") + 9);
	memmove(a->body, end + 4, a->body_len - (hl + 2) + 1);
	a->body_len -= hl + 2;
}

int fcgi_finish(struct fcgi_req *q, struct fcgi_answer *a)
{
	size_t cap = 0;
	int done = 0, rc = -1;

	memset(a, 0, sizeof(*a));
	if (record(q->fd, FCGI_STDIN, NULL, 0) != 0)
		goto out;
	while (!done) {
		uint8_t h[8], data[65536 + 256];
		size_t len, pad;

		if (read_all(q->fd, h, 8) != 0)
			goto out;
		len = (size_t)h[4] << 8 | h[5];
		pad = h[6];
		if (read_all(q->fd, data, len + pad) != 0)
			goto out;
		if (h[1] == FCGI_STDOUT && append(a, data, len, &cap) != 0)
			goto out;
		if (h[1] == FCGI_STDERR)
			fprintf(stderr, "fcgi stderr: %.*s\n", (int)len, data);
		done = h[1] == FCGI_END_REQUEST;
	}
	split_head(a);
	rc = 0;
out:
	if (rc != 0)
		a->status = 0;
	close(q->fd);
	free(q);
	return rc;
}

void fcgi_answer_free(struct fcgi_answer *a)
{
	free(a->body);
	a->body = NULL;
}

int fcgi_header(const struct fcgi_answer *a, const char *name, char *out, size_t len)
{
	const char *p = a->headers;
	size_t n = strlen(name);

	while (p && *p) {
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			const char *v = p + n + 1, *e = strstr(v, "\r\n");

			while (*v == ' ')
				v++;
			snprintf(out, len, "%.*s", (int)(e ? e - v : (long)strlen(v)), v);
			return 0;
		}
		p = strstr(p, "\r\n");
		if (p)
			p += 2;
	}
	return -1;
}
