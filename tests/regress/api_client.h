/*
 * api_client.h - a person of the middle test tier talking to scanpost-api's
 * API pool as the weblet does (through fcgi_client.h): the session cookie
 * and CSRF token a sign-in gave, sent with every later request, and the
 * readers of a JSON answer.
 */
#ifndef SCANPOST_API_CLIENT_H
#define SCANPOST_API_CLIENT_H

#include <json-c/json.h>
#include <stddef.h>

#include "fcgi_client.h"

struct api_person {
	char cookie[200]; /* __Host-sp_session's value; "" when signed out */
	char csrf[100];   /* the session's CSRF token */
};

/* One request on regress_api_socket() with p's cookie and CSRF token (none
 * when p->cookie is ""), json as the body (or NULL); the answer in *a.
 * 0, or -1. */
int api_call(const struct api_person *p, const char *method, const char *path, const char *json,
             struct fcgi_answer *a);

/* POST /api/v1/session as user with the RMail stub's good password; the
 * test stops unless it answers 201 with a cookie.  Fills *p. */
void api_sign_in(struct api_person *p, const char *user);

/* The answer's body parsed (json_object_put it), or NULL. */
struct json_object *answer_json(const struct fcgi_answer *a);
/* The top-level string member key of the answer, into out ("" when absent). */
const char *answer_str(const struct fcgi_answer *a, const char *key, char *out, size_t len);
/* error.code of an error answer, into out ("" when absent). */
const char *answer_error_code(const struct fcgi_answer *a, char *out, size_t len);

#endif
