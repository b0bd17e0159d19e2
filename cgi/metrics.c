/*
 * metrics.c - scanpost-api's figures for Prometheus (text exposition
 * format 0.0.4): the request counters each worker bumps, and the queue's
 * figures read from PostgreSQL when /metrics is asked (h_health.c serves
 * it).
 */
#include "metrics.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "jobstate.h"
#include "request.h"

/* By route and by status, as request.c's list of statuses has them (the
 * last column: any other). */
static atomic_ulong requests[ROUTE__MAX + 1][REPLY_STATUS_MAX + 1];

void metrics_count(enum route_id route, int status)
{
	int i = reply_status_index(status);
	size_t s = i < 0 ? REPLY_STATUS_MAX : (size_t)i;
	unsigned r = (unsigned)route < ROUTE__MAX ? (unsigned)route : ROUTE__MAX;

	atomic_fetch_add_explicit(&requests[r][s], 1, memory_order_relaxed);
}

static char instance_name[128];

void metrics_set_instance(const char *name)
{
	snprintf(instance_name, sizeof(instance_name), "%s", name ? name : "");
}

static atomic_long pool_size[METRICS_POOL__MAX], pool_busy[METRICS_POOL__MAX];
static const char *const pool_name[METRICS_POOL__MAX] = {"api", "upload"};

void metrics_pool_size(enum metrics_pool pool, long workers)
{
	atomic_store(&pool_size[pool], workers);
}

void metrics_pool_busy(enum metrics_pool pool, int delta)
{
	atomic_fetch_add_explicit(&pool_busy[pool], delta, memory_order_relaxed);
}

static atomic_ullong upload_bytes;

void metrics_upload_bytes(unsigned long long n)
{
	atomic_fetch_add_explicit(&upload_bytes, n, memory_order_relaxed);
}

/* Send figures come from the queue itself: right whichever of several
 * senders sent, and the same on every api host (PostgreSQL is the one
 * shared state, DESIGN 4). */
static const struct db_stmt stmt_metrics_latency = {
    "metrics_latency",
    "SELECT count(*), coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY s), 0),"
    " coalesce(percentile_cont(0.99) WITHIN GROUP (ORDER BY s), 0) FROM"
    " (SELECT extract(epoch FROM sent_at - submitted_at) AS s FROM scanpost.jobs"
    "  WHERE state = $1 AND sent_at > now() - interval '1 hour') x",
    1};

static const struct db_stmt stmt_metrics_errors = {
    "metrics_errors",
    "SELECT last_error_code, count(*) FROM scanpost.jobs WHERE last_error_code IS NOT NULL"
    " AND updated_at > now() - interval '1 hour' GROUP BY 1 ORDER BY 1",
    0};

/* issue 10: queued jobs waiting for another try after a failure, and how
 * long the oldest has been retrying (since submit or requeue). */
static const struct db_stmt stmt_metrics_retrying = {
    "metrics_retrying",
    "SELECT count(*), coalesce(extract(epoch FROM now() -"
    " min(coalesce(requeued_at, submitted_at)))::bigint, 0)"
    " FROM scanpost.jobs WHERE state = $1 AND last_error_code IS NOT NULL",
    1};

/* The queue's oldest waiting job, for the dashboard and the "queue stuck"
 * alert (ops/). */
static const struct db_stmt stmt_metrics_waiting = {
    "metrics_waiting",
    "SELECT coalesce(extract(epoch FROM now() - min(submitted_at)), 0)::bigint"
    " FROM scanpost.jobs WHERE state = $1",
    1};

/* scanpost-sender has no port to scrape: its database sessions say whether
 * one runs (pg_stat_activity shows every role's sessions by name). */
static const struct db_stmt stmt_metrics_sender = {
    "metrics_sender",
    "SELECT count(*) FROM pg_stat_activity WHERE usename = 'scanpost_sender'"
    " AND datname = current_database()",
    0};

static const struct db_stmt stmt_metrics_queue = {
    "metrics_queue", "SELECT state, count(*) FROM scanpost.jobs GROUP BY state", 0};

/* Appends to a growing text buffer; the exposition is small (few KB). */
struct text {
	char *buf;
	size_t len, cap;
};

static void text_addf(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void text_addf(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->buf ? t->buf + t->len : NULL, t->buf ? t->cap - t->len : 0, fmt,
		              ap);
		va_end(ap);
		if (n < 0)
			return;
		if (t->buf && (size_t)n < t->cap - t->len) {
			t->len += (size_t)n;
			return;
		}
		size_t cap = (t->cap + (size_t)n + 1) * 2;
		char *grown = realloc(t->buf, cap);
		if (grown == NULL)
			return;
		t->buf = grown;
		t->cap = cap;
	}
}

char *metrics_exposition(struct db *db, const struct sp_config *cfg, size_t *len)
{
	struct text t = {0};
	PGresult *res;
	int db_up = 0;

	text_addf(&t, "# HELP scanpost_http_requests_total Requests answered, by route and "
	              "status.\n# TYPE scanpost_http_requests_total counter\n");
	for (unsigned route = 0; route <= ROUTE__MAX; route++) {
		const struct route *rt = route_by_id((enum route_id)route);
		for (size_t s = 0; s <= REPLY_STATUS_MAX; s++) {
			unsigned long n =
			    atomic_load_explicit(&requests[route][s], memory_order_relaxed);
			if (n == 0)
				continue;
			char status[16];
			if (s < REPLY_STATUS_MAX)
				snprintf(status, sizeof(status), "%d", reply_status_at(s));
			else
				snprintf(status, sizeof(status), "other");
			text_addf(&t,
			          "scanpost_http_requests_total{route=\"%s\",status=\"%s\","
			          "instance_name=\"%s\"} %lu\n",
			          rt ? rt->name : "unrouted", status, instance_name, n);
		}
	}
	text_addf(&t,
	          "# HELP scanpost_upload_bytes_total Scanned bytes stored.\n"
	          "# TYPE scanpost_upload_bytes_total counter\n"
	          "scanpost_upload_bytes_total{instance_name=\"%s\"} %llu\n",
	          instance_name, (unsigned long long)atomic_load(&upload_bytes));
	text_addf(&t, "# HELP scanpost_workers Worker threads of each pool.\n"
	              "# TYPE scanpost_workers gauge\n");
	for (int p = 0; p < METRICS_POOL__MAX; p++)
		text_addf(&t, "scanpost_workers{pool=\"%s\",instance_name=\"%s\"} %ld\n",
		          pool_name[p], instance_name, (long)atomic_load(&pool_size[p]));
	text_addf(&t, "# HELP scanpost_workers_busy Workers of each pool answering a request now "
	              "(uploads hold theirs for as long as the printer sends).\n"
	              "# TYPE scanpost_workers_busy gauge\n");
	for (int p = 0; p < METRICS_POOL__MAX; p++)
		text_addf(&t, "scanpost_workers_busy{pool=\"%s\",instance_name=\"%s\"} %ld\n",
		          pool_name[p], instance_name, (long)atomic_load(&pool_busy[p]));
	text_addf(&t, "# HELP scanpost_jobs Jobs by state.\n# TYPE scanpost_jobs gauge\n");
	if ((res = db_run(db, &stmt_metrics_queue, NULL, NULL, NULL, 0)) != NULL) {
		db_up = 1;
		for (int i = 0; i < PQntuples(res); i++)
			text_addf(&t, "scanpost_jobs{state=\"%s\"} %s\n", PQgetvalue(res, i, 0),
			          PQgetvalue(res, i, 1));
		PQclear(res);
	}
	const char *queued[1] = {job_state_name(JOB_QUEUED)};
	if ((res = db_run(db, &stmt_metrics_retrying, queued, NULL, NULL, 0)) != NULL) {
		text_addf(
		    &t,
		    "# HELP scanpost_jobs_retrying Queued jobs waiting for another try after "
		    "a failure.\n# TYPE scanpost_jobs_retrying gauge\n"
		    "scanpost_jobs_retrying %s\n"
		    "# HELP scanpost_oldest_retry_age_seconds Since the submit (or requeue) of "
		    "the oldest retrying job.\n# TYPE scanpost_oldest_retry_age_seconds gauge\n"
		    "scanpost_oldest_retry_age_seconds %s\n",
		    PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1));
		PQclear(res);
	}
	const char *sent[1] = {job_state_name(JOB_SENT)};
	if ((res = db_run(db, &stmt_metrics_latency, sent, NULL, NULL, 0)) != NULL) {
		text_addf(
		    &t,
		    "# HELP scanpost_send_latency_seconds Submit to accepted by RMail, "
		    "jobs sent in the last hour.\n# TYPE scanpost_send_latency_seconds summary\n"
		    "scanpost_send_latency_seconds{quantile=\"0.5\"} %s\n"
		    "scanpost_send_latency_seconds{quantile=\"0.99\"} %s\n"
		    "scanpost_send_latency_seconds_count %s\n",
		    PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 0));
		PQclear(res);
	}
	if ((res = db_run(db, &stmt_metrics_errors, NULL, NULL, NULL, 0)) != NULL) {
		text_addf(&t, "# HELP scanpost_send_errors Jobs whose last RMail error in the last "
		              "hour was of this kind.\n# TYPE scanpost_send_errors gauge\n");
		for (int i = 0; i < PQntuples(res); i++)
			text_addf(&t, "scanpost_send_errors{code=\"%s\"} %s\n",
			          PQgetvalue(res, i, 0), PQgetvalue(res, i, 1));
		PQclear(res);
	}
	if ((res = db_run(db, &stmt_metrics_waiting, queued, NULL, NULL, 0)) != NULL) {
		text_addf(
		    &t,
		    "# HELP scanpost_oldest_queued_seconds Age of the oldest job waiting to be "
		    "sent (0: none).\n# TYPE scanpost_oldest_queued_seconds gauge\n"
		    "scanpost_oldest_queued_seconds %s\n",
		    PQgetvalue(res, 0, 0));
		PQclear(res);
	}
	if ((res = db_run(db, &stmt_metrics_sender, NULL, NULL, NULL, 0)) != NULL) {
		text_addf(&t,
		          "# HELP scanpost_sender_connections Database sessions of scanpost-sender "
		          "(0: no sender runs).\n# TYPE scanpost_sender_connections gauge\n"
		          "scanpost_sender_connections %s\n",
		          PQgetvalue(res, 0, 0));
		PQclear(res);
	}
	/* Key rotation: how long each keyring this program holds has had its
	 * primary (the SSO keyring is scanpost-ssod's alone). */
	const char *rings[][2] = {{"doc", cfg->doc_keyring}, {"token", cfg->token_keyring}};
	text_addf(&t,
	          "# HELP scanpost_key_rotation_period_seconds The planned rotation period "
	          "(key_rotation_period).\n# TYPE scanpost_key_rotation_period_seconds gauge\n"
	          "scanpost_key_rotation_period_seconds %ld\n",
	          (long)cfg->key_rotation_period);
	text_addf(&t, "# HELP scanpost_key_primary_age_seconds Seconds since the keyring's "
	              "primary key was made (last rotation).\n"
	              "# TYPE scanpost_key_primary_age_seconds gauge\n");
	for (size_t i = 0; i < sizeof(rings) / sizeof(rings[0]); i++) {
		time_t since;
		if (keyring_primary_since(rings[i][1], &since) == SP_CRYPTO_OK)
			text_addf(&t, "scanpost_key_primary_age_seconds{keyring=\"%s\"} %lld\n",
			          rings[i][0], (long long)(time(NULL) - since));
	}
	text_addf(&t,
	          "# HELP scanpost_database_up Whether the database answered.\n"
	          "# TYPE scanpost_database_up gauge\nscanpost_database_up %d\n",
	          db_up);
	*len = t.len;
	return t.buf;
}
