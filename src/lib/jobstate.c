/*
 * jobstate.c - the transition table.
 */
#include "jobstate.h"

#include <stdio.h>
#include <string.h>

static const char *const names[JOB_STATE__MAX] = {
    [JOB_AWAITING_SCAN] = "awaiting_scan",
    [JOB_QUEUED] = "queued",
    [JOB_SENDING] = "sending",
    [JOB_SENT] = "sent",
    [JOB_FAILED] = "failed",
    [JOB_CANCELED] = "canceled",
    [JOB_EXPIRED] = "expired",
};

/* allowed[from][to] */
static const unsigned char allowed[JOB_STATE__MAX][JOB_STATE__MAX] = {
    [JOB_AWAITING_SCAN] = {[JOB_QUEUED] = 1, [JOB_CANCELED] = 1, [JOB_EXPIRED] = 1},
    [JOB_QUEUED] = {[JOB_SENDING] = 1, [JOB_CANCELED] = 1},
    [JOB_SENDING] = {[JOB_SENT] = 1, [JOB_QUEUED] = 1, [JOB_FAILED] = 1},
    [JOB_FAILED] = {[JOB_QUEUED] = 1},
};

const char *job_state_name(enum job_state s)
{
	return (unsigned)s < JOB_STATE__MAX ? names[s] : "unknown";
}

int job_state_parse(const char *name, enum job_state *out)
{
	for (int i = 0; i < JOB_STATE__MAX; i++) {
		if (strcmp(names[i], name) == 0) {
			*out = (enum job_state)i;
			return 0;
		}
	}
	return -1;
}

int job_state_allows(enum job_state from, enum job_state to)
{
	if ((unsigned)from >= JOB_STATE__MAX || (unsigned)to >= JOB_STATE__MAX)
		return 0;
	return allowed[from][to];
}

int job_state_terminal(enum job_state s)
{
	for (int to = 0; to < JOB_STATE__MAX; to++)
		if (job_state_allows(s, (enum job_state)to))
			return 0;
	return 1;
}

void job_state_sources(enum job_state to, char *out, size_t len)
{
	size_t n = 0;

	n += (size_t)snprintf(out, len, "{");
	for (int from = 0; from < JOB_STATE__MAX && n < len; from++)
		if (job_state_allows((enum job_state)from, to))
			n += (size_t)snprintf(out + n, len - n, "%s%s", n > 1 ? "," : "",
			                      names[from]);
	if (n < len)
		snprintf(out + n, len - n, "}");
}
