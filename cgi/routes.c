/*
 * routes.c - the route table and its matcher.
 */
#include "routes.h"

#include <string.h>

static const struct route routes[ROUTE__MAX] = {
    {ROUTE_HEALTHZ, "GET", "/healthz", 0, "healthz"},
    {ROUTE_METRICS, "GET", "/metrics", 0, "metrics"},
    {ROUTE_SESSION_CREATE, "POST", "/api/v1/session", 0, "session_create"},
    {ROUTE_SESSION_SSO, "POST", "/api/v1/session/sso", 0, "session_sso"},
    {ROUTE_SESSION_SSO_FORGET, "DELETE", "/api/v1/session/sso",
     ROUTE_NEEDS_SESSION | ROUTE_NEEDS_CSRF, "session_sso_forget"},
    {ROUTE_SESSION_SSO_PARAMS, "GET", "/api/v1/session/sso/ticket", 0, "session_sso_params"},
    {ROUTE_SESSION_SSO_TICKET, "POST", "/api/v1/session/sso/ticket", 0, "session_sso_ticket"},
    {ROUTE_SESSION_GET, "GET", "/api/v1/session", ROUTE_NEEDS_SESSION, "session_get"},
    {ROUTE_SESSION_DELETE, "DELETE", "/api/v1/session", ROUTE_NEEDS_SESSION | ROUTE_NEEDS_CSRF,
     "session_delete"},
    {ROUTE_JOBS_CREATE, "POST", "/api/v1/jobs", ROUTE_NEEDS_SESSION | ROUTE_NEEDS_CSRF,
     "jobs_create"},
    {ROUTE_JOBS_LIST, "GET", "/api/v1/jobs", ROUTE_NEEDS_SESSION, "jobs_list"},
    {ROUTE_POLICY_GET, "GET", "/api/v1/policy", ROUTE_NEEDS_SESSION, "policy_get"},
    {ROUTE_JOB_GET, "GET", "/api/v1/jobs/{id}", ROUTE_NEEDS_SESSION | ROUTE_READS_JOB, "job_get"},
    {ROUTE_JOB_SUBMIT, "POST", "/api/v1/jobs/{id}/submit", ROUTE_NEEDS_SESSION | ROUTE_NEEDS_CSRF,
     "job_submit"},
    {ROUTE_JOB_DELETE, "DELETE", "/api/v1/jobs/{id}", ROUTE_NEEDS_SESSION | ROUTE_NEEDS_CSRF,
     "job_delete"},
    /* The device has no cookie: the one-time token in the path is the key. */
    {ROUTE_SCAN_UPLOAD, "POST", "/scan/{job}/{token}", ROUTE_STREAMS_BODY, "scan_upload"},
    /* The same upload as a VersaLink files it: the app name (template.h,
     * TEMPLATE_APP_NAME) before the path. */
    {ROUTE_SCAN_UPLOAD_APP, "POST", "/scanpost/scan/{job}/{token}", ROUTE_STREAMS_BODY,
     "scan_upload_app"},
    {ROUTE_JOB_PREVIEW, "GET", "/api/v1/jobs/{id}/preview", ROUTE_NEEDS_SESSION, "job_preview"},
};

static int param_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

/* Matches one pattern segment by segment; captures go to params. */
static int path_matches(const char *pattern, const char *path,
                        char params[ROUTE_PARAMS][ROUTE_PARAM_MAX + 1])
{
	int np = 0;

	while (*pattern && *path) {
		if (*pattern == '{') {
			size_t n = 0;
			while (param_char(path[n]))
				n++;
			if (n == 0 || n > ROUTE_PARAM_MAX || np == ROUTE_PARAMS)
				return 0;
			memcpy(params[np], path, n);
			params[np++][n] = '\0';
			path += n;
			pattern = strchr(pattern, '}');
			if (pattern == NULL)
				return 0;
			pattern++;
			continue;
		}
		if (*pattern++ != *path++)
			return 0;
	}
	return *pattern == '\0' && *path == '\0';
}

enum route_match route_find(const char *method, const char *path, const struct route **out,
                            char params[ROUTE_PARAMS][ROUTE_PARAM_MAX + 1])
{
	enum route_match m = ROUTE_NO_PATH;

	*out = NULL;
	for (size_t i = 0; i < ROUTE__MAX; i++) {
		if (!path_matches(routes[i].pattern, path, params))
			continue;
		if (strcmp(routes[i].method, method) == 0) {
			*out = &routes[i];
			return ROUTE_FOUND;
		}
		m = ROUTE_NO_METHOD;
	}
	return m;
}

const struct route *route_by_id(enum route_id id)
{
	return (unsigned)id < ROUTE__MAX ? &routes[id] : NULL;
}
