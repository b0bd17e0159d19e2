/*
 * fcgi_client.h - a FastCGI client for the middle test tier: it speaks to
 * scanpost-api over its unix socket as nginx does (FastCGI 1.0, the
 * Responder role), so a test drives the real handlers with the real
 * request parsing, no nginx in between.  A request's body may be sent in
 * pieces with pauses between them, as a slow printer's upload arrives.
 */
#ifndef SCANPOST_FCGI_CLIENT_H
#define SCANPOST_FCGI_CLIENT_H

#include <stddef.h>

struct fcgi_answer {
	int status; /* from the Status: header (200 when absent) */
	char headers[4096];
	char *body; /* NUL-terminated, malloc'd (free with fcgi_answer_free) */
	size_t body_len;
};

struct fcgi_req;

/* Connects to socket_path and sends the request's head: method, path, and
 * the CGI parameters given as "NAME=value" strings (NULL-terminated), e.g.
 * "HTTP_COOKIE=__Host-sp_session=...".  NULL on failure (printed). */
struct fcgi_req *fcgi_begin(const char *socket_path, const char *method, const char *path,
                            const char *const *params);
/* A piece of the request body; 0 or -1. */
int fcgi_send(struct fcgi_req *q, const void *data, size_t len);
/* Ends the body, reads the whole answer into *a, and frees q (always).
 * 0, or -1 (a->status 0). */
int fcgi_finish(struct fcgi_req *q, struct fcgi_answer *a);
void fcgi_answer_free(struct fcgi_answer *a);

/* The value of header name in a (case-blind), copied into out; 0 or -1. */
int fcgi_header(const struct fcgi_answer *a, const char *name, char *out, size_t len);

#endif
