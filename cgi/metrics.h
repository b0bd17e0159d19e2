/*
 * metrics.h - scanpost-api's figures for /metrics (Prometheus text format
 * 0.0.4): counters bumped by the workers without a lock, and the queue's
 * figures read when asked.
 */
#ifndef SCANPOST_METRICS_H
#define SCANPOST_METRICS_H

#include <stddef.h>

#include "config.h"
#include "db.h"
#include "routes.h"

/* Counts one answered request (route ROUTE__MAX: unrouted). */
void metrics_count(enum route_id route, int status);
/* Counts scanned bytes stored. */
void metrics_upload_bytes(unsigned long long n);

/* The worker pools (main.c): how many workers each has, and one more or
 * one fewer of them busy with a request. */
enum metrics_pool { METRICS_POOL_API, METRICS_POOL_UPLOAD, METRICS_POOL__MAX };
void metrics_pool_size(enum metrics_pool pool, long workers);
void metrics_pool_busy(enum metrics_pool pool, int delta);

/* The process's instance name (daemon_instance), the label instance_name on
 * the series this process counts itself (requests, upload bytes, workers).
 * The queue's series come from the database, the same from every instance,
 * and carry no such label.  Not `instance`: Prometheus sets that one to the
 * scrape target and would rename ours to exported_instance.  Set before the
 * workers start; the name is copied (characters as daemon_instance allows,
 * so it needs no escaping). */
void metrics_set_instance(const char *name);

/* The whole exposition, malloc'd (the caller frees), its length in *len;
 * the queue's figures are left out when the database does not answer
 * (scanpost_database_up 0).  NULL when out of memory. */
char *metrics_exposition(struct db *db, const struct sp_config *cfg, size_t *len);

#endif
