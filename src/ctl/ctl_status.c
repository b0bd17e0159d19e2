/*
 * ctl_status.c - `scanpostctl status`: the dashboard (ops/grafana/
 * scanpost.json) in a terminal, from the database and the keyrings.
 *
 * The same panels as the dashboard, read where /metrics reads them: queue
 * depth by state, the oldest queued job, retrying jobs, whether a sender
 * runs (its database sessions), send latency over the last hour, RMail
 * errors by kind over the last hour, uploads per hour over the last day,
 * and each keyring's rotation age.  Bars are scaled to the largest value
 * of their panel.  Nothing shown names a person, a recipient or a subject.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "ctl.h"
#include "jobstate.h"

#define BAR_WIDTH        40
#define UPLOAD_SPAN      24 /* hours of the uploads panel */
#define UPLOAD_SHOWN_MIN 6  /* of which at least these are shown */

static const struct db_stmt stmt_depth = {
    "ctl_status_depth", "SELECT state, count(*) FROM scanpost.jobs GROUP BY state", 0};

static const struct db_stmt stmt_waiting = {
    "ctl_status_waiting",
    "SELECT coalesce(extract(epoch FROM now() - min(submitted_at)), 0)::bigint,"
    " count(*) FILTER (WHERE attempts > 0) FROM scanpost.jobs WHERE state = $1",
    1};

static const struct db_stmt stmt_sender = {
    "ctl_status_sender",
    "SELECT count(*) FROM pg_stat_activity WHERE usename = 'scanpost_sender'"
    " AND datname = current_database()",
    0};

static const struct db_stmt stmt_latency = {
    "ctl_status_latency",
    "SELECT count(*), coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY s), 0)::numeric(12,1),"
    " coalesce(percentile_cont(0.99) WITHIN GROUP (ORDER BY s), 0)::numeric(12,1) FROM"
    " (SELECT extract(epoch FROM sent_at - submitted_at) AS s FROM scanpost.jobs"
    "  WHERE state = $1 AND sent_at > now() - interval '1 hour') x",
    1};

static const struct db_stmt stmt_errors = {
    "ctl_status_errors",
    "SELECT last_error_code, count(*) FROM scanpost.jobs WHERE last_error_code IS NOT NULL"
    " AND updated_at > now() - interval '1 hour' GROUP BY 1 ORDER BY 2 DESC, 1",
    0};

/* Files stored per hour, oldest hour first, UPLOAD_SPAN rows (the current
 * hour last, empty hours as 0). */
static const struct db_stmt stmt_uploads = {
    "ctl_status_uploads",
    "SELECT to_char(h AT TIME ZONE 'UTC', 'HH24'), count(f.job_id), coalesce(sum(f.bytes), 0)"
    " FROM generate_series(date_trunc('hour', now()) - interval '23 hours',"
    "  date_trunc('hour', now()), interval '1 hour') h"
    " LEFT JOIN scanpost.job_files f ON f.created_at >= h AND f.created_at < h + interval '1 "
    "hour'"
    " GROUP BY h ORDER BY h",
    0};

static void bar(long value, long max)
{
	int n = max > 0 ? (int)((value * BAR_WIDTH + max - 1) / max) : 0;

	for (int i = 0; i < n; i++)
		putchar('#');
}

static void human_age(char *out, size_t len, long long s)
{
	if (s < 120)
		snprintf(out, len, "%lld s", s);
	else if (s < 7200)
		snprintf(out, len, "%lld min", s / 60);
	else if (s < 172800)
		snprintf(out, len, "%.1f h", (double)s / 3600);
	else
		snprintf(out, len, "%.1f days", (double)s / 86400);
}

static void human_bytes(char *out, size_t len, double b)
{
	static const char *unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	size_t u = 0;

	while (b >= 1024 && u + 1 < sizeof(unit) / sizeof(unit[0])) {
		b /= 1024;
		u++;
	}
	snprintf(out, len, u ? "%.1f %s" : "%.0f %s", b, unit[u]);
}

static int panel_queue(struct ctl *c)
{
	long count[JOB_STATE__MAX] = {0}, max = 0;
	PGresult *res = db_run(c->db, &stmt_depth, NULL, NULL, NULL, 0);

	if (res == NULL)
		return -1;
	for (int i = 0; i < PQntuples(res); i++)
		for (int s = 0; s < JOB_STATE__MAX; s++)
			if (strcmp(PQgetvalue(res, i, 0), job_state_name((enum job_state)s)) == 0)
				count[s] = atol(PQgetvalue(res, i, 1));
	PQclear(res);
	for (int s = 0; s < JOB_STATE__MAX; s++)
		if (count[s] > max)
			max = count[s];
	printf("Queue depth by state\n");
	for (int s = 0; s < JOB_STATE__MAX; s++) {
		printf("  %-14s %8ld ", job_state_name((enum job_state)s), count[s]);
		bar(count[s], max);
		putchar('\n');
	}
	return 0;
}

static int panel_waiting(struct ctl *c)
{
	const char *queued[1] = {job_state_name(JOB_QUEUED)};
	PGresult *res = db_run(c->db, &stmt_waiting, queued, NULL, NULL, 0);
	char age[32];
	long long oldest;
	long sessions;

	if (res == NULL)
		return -1;
	oldest = atoll(PQgetvalue(res, 0, 0));
	human_age(age, sizeof(age), oldest);
	printf("\nOldest queued     %s\nRetrying jobs     %s\n", oldest > 0 ? age : "-",
	       PQgetvalue(res, 0, 1));
	PQclear(res);
	if ((res = db_run(c->db, &stmt_sender, NULL, NULL, NULL, 0)) == NULL)
		return -1;
	sessions = atol(PQgetvalue(res, 0, 0));
	PQclear(res);
	printf("Sender            %s (%ld database session%s)\n", sessions > 0 ? "up" : "DOWN",
	       sessions, sessions == 1 ? "" : "s");
	return 0;
}

static int panel_sending(struct ctl *c)
{
	const char *sent[1] = {job_state_name(JOB_SENT)};
	PGresult *res = db_run(c->db, &stmt_latency, sent, NULL, NULL, 0);
	long max = 0;

	if (res == NULL)
		return -1;
	printf("Send latency      p50 %s s, p99 %s s (%s sent in the last hour)\n",
	       PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 0));
	PQclear(res);
	if ((res = db_run(c->db, &stmt_errors, NULL, NULL, NULL, 0)) == NULL)
		return -1;
	printf("\nRMail errors by kind, last hour\n");
	if (PQntuples(res) == 0)
		printf("  none\n");
	for (int i = 0; i < PQntuples(res); i++)
		if (atol(PQgetvalue(res, i, 1)) > max)
			max = atol(PQgetvalue(res, i, 1));
	for (int i = 0; i < PQntuples(res); i++) {
		printf("  %-24.24s %8s ", PQgetvalue(res, i, 0), PQgetvalue(res, i, 1));
		bar(atol(PQgetvalue(res, i, 1)), max);
		putchar('\n');
	}
	PQclear(res);
	return 0;
}

static int panel_uploads(struct ctl *c)
{
	PGresult *res = db_run(c->db, &stmt_uploads, NULL, NULL, NULL, 0);
	long max = 0, files = 0;
	double bytes = 0;
	char total[32];

	if (res == NULL)
		return -1;
	for (int i = 0; i < PQntuples(res); i++) {
		long n = atol(PQgetvalue(res, i, 1));
		files += n;
		bytes += atof(PQgetvalue(res, i, 2));
		if (n > max)
			max = n;
	}
	/* The quiet hours before the first upload are left out (the last
	 * UPLOAD_SHOWN_MIN hours are always shown). */
	int first = PQntuples(res) - UPLOAD_SHOWN_MIN;
	for (int i = 0; i < PQntuples(res); i++)
		if (atol(PQgetvalue(res, i, 1)) > 0) {
			first = i < first ? i : first;
			break;
		}
	if (first < 0)
		first = 0;
	human_bytes(total, sizeof(total), bytes);
	printf("\nUploads per hour (UTC), last %d h: %ld files, %s\n", UPLOAD_SPAN, files, total);
	for (int i = first; i < PQntuples(res); i++) {
		char b[32];
		human_bytes(b, sizeof(b), atof(PQgetvalue(res, i, 2)));
		printf("  %s:00 %6s %10s ", PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), b);
		bar(atol(PQgetvalue(res, i, 1)), max);
		putchar('\n');
	}
	PQclear(res);
	return 0;
}

/* The keyrings this user can see; the others (another holder's) say so. */
static void panel_keys(const struct ctl *c)
{
	const char *rings[][2] = {{"doc", c->cfg.doc_keyring},
	                          {"token", c->cfg.token_keyring},
	                          {"sso", c->cfg.sso_keyring}};
	long long period = c->cfg.key_rotation_period;
	char p[32];

	human_age(p, sizeof(p), period);
	printf("\nKey rotation (period %s)\n", p);
	for (size_t i = 0; i < sizeof(rings) / sizeof(rings[0]); i++) {
		time_t since;
		char age[32];

		if (keyring_primary_since(rings[i][1], &since) != SP_CRYPTO_OK) {
			printf("  %-6s not readable here (%s)\n", rings[i][0], rings[i][1]);
			continue;
		}
		long long a = (long long)(time(NULL) - since);
		human_age(age, sizeof(age), a);
		printf("  %-6s primary made %s ago%s\n", rings[i][0], age,
		       2 * a > 3 * period ? "  OVERDUE (over 1.5 periods)" : "");
	}
}

int ctl_status(struct ctl *c, int argc, char **argv)
{
	char when[32];
	time_t now = time(NULL);
	struct tm tm;

	(void)argv;
	if (argc != 1) {
		ctl_error("usage: scanpostctl status");
		return CTL_USAGE;
	}
	if (db_ensure(c->db) != 0) {
		ctl_error("database: %s", db_error(c->db));
		return CTL_FAIL;
	}
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	printf("scanpost status, %s\n\n", when);
	if (panel_queue(c) != 0 || panel_waiting(c) != 0 || panel_sending(c) != 0 ||
	    panel_uploads(c) != 0) {
		ctl_error("status: %s", db_error(c->db));
		return CTL_FAIL;
	}
	panel_keys(c);
	return CTL_OK;
}

void ctl_status_usage(FILE *out)
{
	ctl_usage_line(out, "status",
	               "queue, sender, latency, errors, uploads, key ages (the dashboard)");
}
