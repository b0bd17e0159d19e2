/*
 * h_health.c - /healthz for nginx and monitors, /metrics for Prometheus
 * (its figures: metrics.c).  nginx lets /metrics through from loopback
 * only.
 */
#include <stdlib.h>

#include "handlers.h"
#include "log.h"
#include "metrics.h"

static const struct db_stmt stmt_health_ping = {"health_ping", "SELECT 1", 0};

void h_healthz(struct req *r)
{
	struct json_object *o = json_object_new_object();
	PGresult *res = db_run(r->w->db, &stmt_health_ping, NULL, NULL, NULL, 0);

	json_object_object_add(o, "database", json_object_new_boolean(res != NULL));
	json_object_object_add(o, "status", json_object_new_string(res ? "ok" : "unavailable"));
	if (res == NULL)
		sp_log(LOG_WARN, "health_db_down", "error", db_error(r->w->db), NULL);
	PQclear(res);
	reply_json(r, res ? 200 : 503, o, NULL);
	json_object_put(o);
}

void h_metrics(struct req *r)
{
	size_t len = 0;
	char *text = metrics_exposition(r->w->db, r->cfg, &len);

	if (text == NULL) {
		reply_error(r, APIERR_NOT_READY, NULL);
		return;
	}
	reply_raw(r, 200, "text/plain; version=0.0.4", text, len);
	free(text);
}
