/*
 * routes.h - the one route table of scanpost-api (DESIGN 3.1).
 *
 * A route is a method and a path pattern whose `{name}` segments capture
 * 1..ROUTE_PARAM_MAX characters of [A-Za-z0-9_-].  The table holds route ids;
 * the handlers are bound to the ids in dispatch.c, so this file has no
 * dependency and its unit test links it alone.
 */
#ifndef SCANPOST_ROUTES_H
#define SCANPOST_ROUTES_H

#include <stddef.h>

enum route_id {
	ROUTE_HEALTHZ,
	ROUTE_METRICS,
	ROUTE_SESSION_CREATE,
	ROUTE_SESSION_SSO,
	ROUTE_SESSION_SSO_FORGET,
	ROUTE_SESSION_SSO_PARAMS,
	ROUTE_SESSION_SSO_TICKET,
	ROUTE_SESSION_GET,
	ROUTE_SESSION_DELETE,
	ROUTE_JOBS_CREATE,
	ROUTE_JOBS_LIST,
	ROUTE_POLICY_GET,
	ROUTE_JOB_GET,
	ROUTE_JOB_SUBMIT,
	ROUTE_JOB_DELETE,
	ROUTE_SCAN_UPLOAD,
	ROUTE_SCAN_UPLOAD_APP,
	ROUTE_JOB_PREVIEW,
	ROUTE__MAX
};

enum route_flag {
	ROUTE_NEEDS_SESSION = 1, /* 401 without a live session cookie */
	ROUTE_NEEDS_CSRF = 2,    /* 403 without the session's X-CSRF-Token */
	ROUTE_STREAMS_BODY = 4,  /* the handler reads the body itself, unbounded */
	ROUTE_READS_JOB = 8,     /* the session lookup reads job {id} too (req.job_json) */
};

struct route {
	enum route_id id;
	const char *method;
	const char *pattern;
	unsigned flags;
	const char *name; /* for logs and metrics */
};

#define ROUTE_PARAMS    2
#define ROUTE_PARAM_MAX 80

enum route_match {
	ROUTE_FOUND,
	ROUTE_NO_PATH,   /* 404 */
	ROUTE_NO_METHOD, /* 405: the path exists with other methods */
};

/* Finds the route of method + path (no query string).  On ROUTE_FOUND *out
 * points into the table and params[0..ROUTE_PARAMS) hold the captures. */
enum route_match route_find(const char *method, const char *path, const struct route **out,
                            char params[ROUTE_PARAMS][ROUTE_PARAM_MAX + 1]);

const struct route *route_by_id(enum route_id id);

#endif
