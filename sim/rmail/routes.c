/*
 * routes.c - the route table and the reply helpers (see routes.h).
 */
#include "routes.h"
#include "wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define JSON_TYPE "application/json; charset=utf-8"

/*
 * Longer paths before their prefixes: /api/v1/Mail/LargeFileTransfer is
 * matched exactly, so order matters only for readers.
 */
static const struct route routes[] = {
    {"POST", "/Token", false, BODY_FORM, false, EP_TOKEN, api_token},
    {"POST", "/api/Upload", false, BODY_MULTIPART, true, EP_UPLOAD, api_upload},
    /* The help index lists both: https://webapi.r1.rpost.net/Help (Upload controller). */
    {"POST", "/api/v1/Upload", false, BODY_MULTIPART, true, EP_UPLOAD, api_upload},
    {"POST", "/api/v1/Mail/LargeFileTransfer", false, BODY_JSON, true, EP_LARGE_FILE_TRANSFER,
     api_large_file_transfer},
    {"POST", "/api/v1/Mail", false, BODY_JSON, true, EP_MAIL, api_mail},
    {"POST", "/api/v1/Receipt/MessageStatus", false, BODY_JSON, true, EP_MESSAGE_STATUS,
     api_message_status},
    {"GET", "/api/v1/MessageInfo/", true, BODY_NONE, true, EP_MESSAGE_INFO, api_message_info},
    {"GET", "/_sim/messages", false, BODY_NONE, false, -1, sim_messages},
    {"GET", "/_sim/uploads", false, BODY_NONE, false, -1, sim_uploads},
    {"POST", "/_sim/reset", false, BODY_NONE, false, -1, sim_reset},
    {"GET", "/_sim/faults", false, BODY_NONE, false, -1, sim_faults_list},
    {"POST", "/_sim/faults", false, BODY_JSON, false, -1, sim_faults_add},
    {"DELETE", "/_sim/faults", false, BODY_NONE, false, -1, sim_faults_clear},
    {"GET", "/_sim/stats", false, BODY_NONE, false, -1, sim_stats},
};

static bool path_matches(const struct route *rt, const char *path)
{
	size_t rlen = strlen(rt->path);
	size_t plen = strlen(path);

	if (rt->prefix) {
		const char *param = path + rlen;

		/* One non-empty segment after the prefix, optionally with a trailing '/'. */
		if (plen <= rlen || strncasecmp(path, rt->path, rlen) != 0)
			return false;
		param = strchr(param, '/');
		return !param || param[1] == '\0';
	}
	if (plen == rlen + 1 && path[rlen] == '/')
		plen = rlen; /* tolerate one trailing slash, as IIS does */
	return plen == rlen && strncasecmp(path, rt->path, rlen) == 0;
}

const struct route *routes_find(const char *method, const char *path, int *status, char *allow,
                                size_t allowlen)
{
	size_t used = 0;

	*status = 404;
	if (allowlen > 0)
		allow[0] = '\0';
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		int n;

		if (!path_matches(&routes[i], path))
			continue;
		if (strcmp(method, routes[i].method) ==
		    0) /* methods are case-sensitive, RFC 7230 3.1.1 */
			return &routes[i];
		*status = 405;
		n = snprintf(allow + used, allowlen - used, "%s%s", used ? ", " : "",
		             routes[i].method);
		if (n > 0 && (size_t)n < allowlen - used)
			used += (size_t)n;
	}
	return NULL;
}

void reply_free(struct reply *r)
{
	free(r->body);
	r->body = NULL;
}

void reply_json(struct reply *r, int status, json_object *obj)
{
	const char *text;

	reply_free(r);
	r->content_type = JSON_TYPE;
	text = obj ? json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
	                                                     JSON_C_TO_STRING_NOSLASHESCAPE)
	           : NULL;
	r->body = text ? strdup(text) : NULL;
	r->status = r->body ? status : 500;
	json_object_put(obj);
}

void reply_message(struct reply *r, int status, const char *message)
{
	json_object *o = json_object_new_object();

	if (o)
		json_object_object_add(o, "Message", json_object_new_string(message));
	reply_json(r, status, o);
}

json_object *call_json_body(const struct call *c, struct reply *r)
{
	json_object *obj = wire_json_parse(c->body ? c->body : "", c->body_len);

	if (!obj || !json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		reply_message(r, 400, "The request is invalid: the body is not a JSON object.");
		return NULL;
	}
	return obj;
}
