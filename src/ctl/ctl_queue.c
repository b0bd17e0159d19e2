/*
 * ctl_queue.c - `scanpostctl queue`: look at the jobs table, send a failed
 * job again, purge old finished jobs (DESIGN 3.5).
 *
 * What an operator sees is the queue's bookkeeping only: never a subject,
 * body, recipient or document byte.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "ctl.h"
#include "jobstate.h"
#include "lifecycle.h"
#include "log.h"

#define LIST_DEFAULT_LIMIT "50"
#define LIST_MAX_LIMIT     10000
#define PURGE_MAX_DAYS     36500
#define OWNER_SHOWN        40  /* characters of an owner shown in the table */
#define WHY_SHOWN          200 /* characters of the last column: why a job waits */

/* ---- statements ---------------------------------------------------------- */

static const struct db_stmt stmt_list = {
    "ctl_queue_list",
    /* issue 11: which sender (its instance_name, pid, worker) holds the job. */
    "SELECT id, owner, state, coalesce(lease_owner, '-'), attempts || '/' || max_attempts,"
    " to_char(next_attempt_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    " coalesce(last_error_code, '-'), coalesce(tracking_id, '-'),"
    " extract(epoch FROM now() - created_at)::bigint,"
    /* issue 10: a queued job that failed before waits for its next try. */
    " CASE WHEN state = $3 AND last_error_code IS NOT NULL THEN 'delayed, next try at '"
    "   || to_char(next_attempt_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
    "   || ', because ' || coalesce(last_error, last_error_code) ELSE '' END"
    " FROM scanpost.jobs WHERE ($1::text IS NULL OR state = $1)"
    " ORDER BY created_at DESC LIMIT $2::integer",
    3};

/* ---- options ------------------------------------------------------------- */

struct queue_args {
	const char *state;
	const char *limit;
	const char *older_than;
	const char *yes;
	const char *id; /* the one positional argument */
};

struct queue_opt {
	const char *name;
	int takes_value;
	size_t offset; /* in struct queue_args */
};

#define QA(f) offsetof(struct queue_args, f)

static const struct queue_opt list_opts[] = {
    {"--state", 1, QA(state)}, {"--limit", 1, QA(limit)}, {NULL, 0, 0}};
static const struct queue_opt purge_opts[] = {{"--state", 1, QA(state)},
                                              {"--older-than", 1, QA(older_than)},
                                              {"--yes", 0, QA(yes)},
                                              {NULL, 0, 0}};
static const struct queue_opt no_opts[] = {{NULL, 0, 0}};

/* Fills a from argv (after the subcommand): "--opt VALUE", "--opt=VALUE",
 * flags, and at most npos positional arguments.  0, or -1 after a message. */
static int parse_args(int argc, char **argv, const struct queue_opt *opts, int npos,
                      const char *cmd, struct queue_args *a)
{
	int pos = 0;

	memset(a, 0, sizeof(*a));
	for (int i = 0; i < argc; i++) {
		const struct queue_opt *o;
		const char *arg = argv[i], *eq;
		size_t nlen;

		if (strncmp(arg, "--", 2) != 0) {
			if (pos++ >= npos) {
				ctl_error("queue %s: unexpected argument \"%.40s\"", cmd, arg);
				return -1;
			}
			a->id = arg;
			continue;
		}
		eq = strchr(arg, '=');
		nlen = eq ? (size_t)(eq - arg) : strlen(arg);
		for (o = opts; o->name; o++)
			if (strlen(o->name) == nlen && strncmp(o->name, arg, nlen) == 0)
				break;
		if (o->name == NULL) {
			ctl_error("queue %s: unknown option \"%.40s\"", cmd, arg);
			return -1;
		}
		const char **slot = (const char **)((char *)a + o->offset);

		if (!o->takes_value) {
			if (eq) {
				ctl_error("queue %s: %s takes no value", cmd, o->name);
				return -1;
			}
			*slot = o->name;
		} else if (eq) {
			*slot = eq + 1;
		} else if (i + 1 < argc) {
			*slot = argv[++i];
		} else {
			ctl_error("queue %s: %s needs a value", cmd, o->name);
			return -1;
		}
	}
	if (pos < npos) {
		ctl_error("queue %s: missing job id", cmd);
		return -1;
	}
	return 0;
}

static int parse_count(const char *text, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (errno || end == text || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* ---- list ---------------------------------------------------------------- */

/* Owners come from sign-in: never let one write control bytes to a tty. */
static void printable(const char *in, char *out, size_t len)
{
	size_t i;

	for (i = 0; in[i] && i + 1 < len; i++)
		out[i] = (in[i] >= 0x20 && in[i] < 0x7f) ? in[i] : '?';
	out[i] = '\0';
}

static void format_age(long long s, char *out, size_t len)
{
	if (s < 0)
		s = 0;
	if (s >= 86400)
		snprintf(out, len, "%lldd%02lldh", s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(out, len, "%lldh%02lldm", s / 3600, s % 3600 / 60);
	else if (s >= 60)
		snprintf(out, len, "%lldm%02llds", s / 60, s % 60);
	else
		snprintf(out, len, "%llds", s);
}

static int queue_list(struct ctl *c, int argc, char **argv)
{
	static const char *const head[] = {
	    "ID",         "OWNER",       "STATE", "HELD BY", "ATTEMPTS", "NEXT ATTEMPT (UTC)",
	    "LAST ERROR", "TRACKING ID", "AGE",   "WAITING"};
	enum { NCOLS = 10, AGE = 8 };
	struct queue_args a;
	const char *v[3];
	PGresult *res;
	int width[NCOLS];
	long limit;

	if (parse_args(argc, argv, list_opts, 0, "list", &a) != 0)
		return CTL_USAGE;
	enum job_state st;
	if (a.state && job_state_parse(a.state, &st) != 0) {
		char names[JOB_STATE_LIST_LEN];

		job_state_names_text(names, sizeof(names));
		ctl_error("queue list: --state must be a job state (%s), not \"%.40s\"", names,
		          a.state);
		return CTL_USAGE;
	}
	if (a.limit == NULL)
		a.limit = LIST_DEFAULT_LIMIT;
	if (parse_count(a.limit, 1, LIST_MAX_LIMIT, &limit) != 0) {
		ctl_error("queue list: --limit must be a number from 1 to %d", LIST_MAX_LIMIT);
		return CTL_USAGE;
	}
	v[0] = a.state;
	v[1] = a.limit;
	v[2] = job_state_name(JOB_QUEUED);
	if ((res = db_run(c->db, &stmt_list, v, NULL, NULL, 0)) == NULL) {
		ctl_error("listing jobs: %s", db_error(c->db));
		return CTL_FAIL;
	}

	int rows = PQntuples(res);
	char(*cells)[NCOLS][WHY_SHOWN + 1] = calloc((size_t)rows + 1, sizeof(*cells));

	if (cells == NULL) {
		PQclear(res);
		ctl_error("out of memory");
		return CTL_FAIL;
	}
	for (int k = 0; k < NCOLS; k++)
		snprintf(cells[0][k], sizeof(cells[0][k]), "%s", head[k]);
	for (int i = 0; i < rows; i++) {
		for (int k = 0; k < NCOLS; k++)
			if (k != AGE)
				printable(PQgetvalue(res, i, k), cells[i + 1][k],
				          k == NCOLS - 1 ? sizeof(cells[0][k]) : OWNER_SHOWN + 1);
		format_age(atoll(PQgetvalue(res, i, AGE)), cells[i + 1][AGE], OWNER_SHOWN + 1);
	}
	for (int k = 0; k < NCOLS; k++) {
		width[k] = 0;
		for (int i = 0; i <= rows; i++)
			if ((int)strlen(cells[i][k]) > width[k])
				width[k] = (int)strlen(cells[i][k]);
	}
	for (int i = 0; i <= rows; i++)
		for (int k = 0; k < NCOLS; k++)
			printf("%-*s%s", k == NCOLS - 1 ? 0 : width[k], cells[i][k],
			       k == NCOLS - 1 ? "\n" : "  ");
	printf("(%d job%s)\n", rows, rows == 1 ? "" : "s");
	free(cells);
	PQclear(res);
	return CTL_OK;
}

/* ---- retry --------------------------------------------------------------- */

static int queue_retry(struct ctl *c, int argc, char **argv)
{
	struct lc_who who = {c->actor, NULL, NULL};
	struct queue_args a;
	uint8_t bin[16];
	char id[UUID_STR_LEN], state[32];
	int token_expired = 0;

	if (parse_args(argc, argv, no_opts, 1, "retry", &a) != 0)
		return CTL_USAGE;
	if (uuid_parse(a.id, bin) != 0) {
		ctl_error("queue retry: \"%.40s\" is not a job id (a UUID)", a.id);
		return CTL_USAGE;
	}
	uuid_format(bin, id); /* the canonical lower-case form */
	switch (lifecycle_requeue(c->db, id, &who, state, sizeof(state), &token_expired)) {
	case LC_OK:
		break;
	case LC_NOT_FOUND:
		ctl_error("no job %s", id);
		return CTL_FAIL;
	case LC_WRONG_STATE: {
		char from[JOB_STATE_LIST_LEN];

		job_move_sources(JOB_MOVE_REQUEUE, from, sizeof(from));
		ctl_error("job %s is %s, not %s: only jobs in %s can be retried", id, state,
		          job_state_name(JOB_FAILED), from);
		return CTL_FAIL;
	}
	case LC_DOCUMENT_GONE:
		ctl_error("job %s: its document was deleted, it cannot be sent again; "
		          "the user must scan it again",
		          id);
		return CTL_FAIL;
	case LC_TOKEN_GONE:
		ctl_error("job %s: the RMail token of its session is gone, it cannot be sent "
		          "again; the user must sign in and scan it again",
		          id);
		return CTL_FAIL;
	default:
		ctl_error("job %s: %s", id, db_error(c->db));
		return CTL_FAIL;
	}
	if (token_expired)
		printf("note: the RMail token of job %s has expired; the send may fail again\n",
		       id);
	printf("job %s queued again\n", id);
	sp_log(LOG_INFO, "job_retried", "job_id", id, NULL);
	return CTL_OK;
}

/* ---- purge --------------------------------------------------------------- */

static int queue_purge(struct ctl *c, int argc, char **argv)
{
	struct lc_who who = {c->actor, NULL, NULL};
	struct queue_args a;
	enum job_state st;
	long days, count = 0;
	enum lc_result rc;

	if (parse_args(argc, argv, purge_opts, 0, "purge", &a) != 0)
		return CTL_USAGE;
	if (a.state == NULL || a.older_than == NULL) {
		ctl_error("usage: scanpostctl queue purge --state failed|sent|canceled|expired "
		          "--older-than DAYS [--yes]");
		return CTL_USAGE;
	}
	if (job_state_parse(a.state, &st) != 0 || !job_state_has(st, JOB_FLAG_FINISHED)) {
		char finished[JOB_STATE_LIST_LEN];

		job_state_list(JOB_FLAG_FINISHED, finished, sizeof(finished));
		ctl_error("queue purge: --state must be one of %s, not \"%.40s\"", finished,
		          a.state);
		return CTL_USAGE;
	}
	if (parse_count(a.older_than, 0, PURGE_MAX_DAYS, &days) != 0) {
		ctl_error("queue purge: --older-than must be a number of days from 0 to %d",
		          PURGE_MAX_DAYS);
		return CTL_USAGE;
	}
	rc = lifecycle_purge_jobs(c->db, a.state, days, a.yes == NULL, &who, &count);
	if (rc != LC_OK) {
		ctl_error("%s jobs: %s", a.yes ? "deleting" : "counting", db_error(c->db));
		return CTL_FAIL;
	}
	if (a.yes == NULL) {
		printf("would delete %ld %s jobs last changed more than %ld days ago; "
		       "add --yes to delete them\n",
		       count, a.state, days);
		return CTL_OK;
	}
	printf("deleted %ld %s jobs\n", count, a.state);
	sp_log(LOG_INFO, "jobs_purged", "state", a.state, "%older_than_days", LOG_NUM(days),
	       "%deleted", LOG_NUM(count), NULL);
	return CTL_OK;
}

/* ---- dispatch ------------------------------------------------------------ */

struct queue_cmd {
	const char *name;
	int (*run)(struct ctl *c, int argc, char **argv);
	const char *syntax;
	const char *doc;
};

static const struct queue_cmd queue_cmds[] = {
    {"list", queue_list, "queue list [--state S] [--limit N]", "jobs, newest first"},
    {"retry", queue_retry, "queue retry ID", "send a failed job again"},
    {"purge", queue_purge,
     "queue purge --state failed|sent|canceled|expired --older-than DAYS [--yes]",
     "delete finished jobs unchanged for DAYS days (only counts without --yes)"},
};

#define NQUEUE_CMDS (sizeof(queue_cmds) / sizeof(queue_cmds[0]))

void ctl_queue_usage(FILE *out)
{
	for (size_t i = 0; i < NQUEUE_CMDS; i++)
		ctl_usage_line(out, queue_cmds[i].syntax, queue_cmds[i].doc);
}

int ctl_queue(struct ctl *c, int argc, char **argv)
{
	if (argc < 2) {
		ctl_error("queue: missing subcommand (list, retry, purge)");
		return CTL_USAGE;
	}
	for (size_t i = 0; i < NQUEUE_CMDS; i++)
		if (strcmp(queue_cmds[i].name, argv[1]) == 0)
			return queue_cmds[i].run(c, argc - 2, argv + 2);
	ctl_error("queue: unknown subcommand \"%.40s\"", argv[1]);
	return CTL_USAGE;
}
