/*
 * api_client.c - see api_client.h.
 */
#include "api_client.h"

#include <CUnit/CUnit.h>
#include <stdio.h>
#include <string.h>

#include "regress.h"

int api_call(const struct api_person *p, const char *method, const char *path, const char *json,
             struct fcgi_answer *a)
{
	char ck[256], cs[160], cl[48];
	const char *params[6];
	int n = 0;
	struct fcgi_req *q;

	if (p->cookie[0]) {
		snprintf(ck, sizeof(ck), "HTTP_COOKIE=__Host-sp_session=%s", p->cookie);
		snprintf(cs, sizeof(cs), "HTTP_X_CSRF_TOKEN=%s", p->csrf);
		params[n++] = ck;
		params[n++] = cs;
	}
	if (json) {
		snprintf(cl, sizeof(cl), "CONTENT_LENGTH=%zu", strlen(json));
		params[n++] = "CONTENT_TYPE=application/json";
		params[n++] = cl;
	}
	params[n] = NULL;
	if ((q = fcgi_begin(regress_api_socket(), method, path, params)) == NULL)
		return -1;
	if (json && fcgi_send(q, json, strlen(json)) != 0) {
		struct fcgi_answer dummy;
		fcgi_finish(q, &dummy);
		fcgi_answer_free(&dummy);
		return -1;
	}
	return fcgi_finish(q, a);
}

void api_sign_in(struct api_person *p, const char *user)
{
	struct fcgi_answer a;
	char set[512], body[200], *c;

	p->cookie[0] = p->csrf[0] = '\0';
	snprintf(body, sizeof(body), "{\"username\":\"%s\",\"password\":\"correct horse\"}", user);
	CU_ASSERT_EQUAL_FATAL(api_call(p, "POST", "/api/v1/session", body, &a), 0);
	CU_ASSERT_EQUAL_FATAL(a.status, 201);
	CU_ASSERT_EQUAL_FATAL(fcgi_header(&a, "Set-Cookie", set, sizeof(set)), 0);
	c = strstr(set, "__Host-sp_session=");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	c += strlen("__Host-sp_session=");
	snprintf(p->cookie, sizeof(p->cookie), "%.*s", (int)strcspn(c, ";"), c);
	answer_str(&a, "csrf_token", p->csrf, sizeof(p->csrf));
	fcgi_answer_free(&a);
}

struct json_object *answer_json(const struct fcgi_answer *a)
{
	return json_tokener_parse(a->body ? a->body : "");
}

const char *answer_str(const struct fcgi_answer *a, const char *key, char *out, size_t len)
{
	struct json_object *o = answer_json(a), *v;

	out[0] = '\0';
	if (o && json_object_object_get_ex(o, key, &v))
		snprintf(out, len, "%s", json_object_get_string(v));
	json_object_put(o);
	return out;
}

const char *answer_error_code(const struct fcgi_answer *a, char *out, size_t len)
{
	struct json_object *o = answer_json(a), *e, *c;

	out[0] = '\0';
	if (o && json_object_object_get_ex(o, "error", &e) &&
	    json_object_object_get_ex(e, "code", &c))
		snprintf(out, len, "%s", json_object_get_string(c));
	json_object_put(o);
	return out;
}
