/*
 * rmail_status.c - delivery status queries of the RMail API:
 * POST /api/v1/Receipt/MessageStatus and GET /api/v1/MessageInfo/{id}.
 *
 * rmail-sim delivers at once: every accepted message reports Status
 * "Delivered" for every recipient, delivered when it was accepted and not
 * yet opened. A sender that crashed mid-send asks here, by the
 * CustomerTrackingId it set, whether RMail already has the job (DESIGN.md 3.5).
 */
#include "routes.h"
#include "wire.h"

#include <stdio.h>
#include <string.h>

#define MAX_WINDOW_SECONDS (24 * 3600)

static json_object *string_copy(json_object *v)
{
	return v && json_object_is_type(v, json_type_string)
	           ? json_object_new_string(json_object_get_string(v))
	           : NULL;
}

/* The status model of one recorded message (the /_sim/messages shape); new object. */
static json_object *status_model(json_object *rec)
{
	static const char *const lists[] = {"to", "cc", "bcc"};
	json_object *o = json_object_new_object();
	json_object *recipients = json_object_new_array();
	json_object *accepted = json_object_object_get(rec, "accepted_at");

	json_object_object_add(o, "TrackingId",
	                       string_copy(json_object_object_get(rec, "tracking_id")));
	json_object_object_add(o, "CustomerTrackingId",
	                       string_copy(json_object_object_get(rec, "customer_tracking_id")));
	json_object_object_add(o, "Subject", string_copy(json_object_object_get(rec, "subject")));
	json_object_object_add(o, "SentDate", string_copy(accepted));
	json_object_object_add(o, "Status", json_object_new_string("Delivered"));
	for (size_t l = 0; l < 3; l++) {
		json_object *arr = json_object_object_get(rec, lists[l]);
		size_t n = arr ? json_object_array_length(arr) : 0;

		for (size_t i = 0; i < n; i++) {
			json_object *one = json_object_new_object();

			json_object_object_add(one, "Address",
			                       string_copy(json_object_array_get_idx(arr, i)));
			json_object_object_add(one, "DeliveryStatus",
			                       json_object_new_string("Delivered"));
			json_object_object_add(one, "DeliveredDate", string_copy(accepted));
			json_object_object_add(one, "OpenedDate", NULL);
			json_object_array_add(recipients, one);
		}
	}
	json_object_object_add(o, "Recipients", recipients);
	return o;
}

/* Reads an optional string member; -1 after answering 400 when it is not a string. */
static int optional_string(json_object *req, const char *name, const char **out, struct reply *r)
{
	json_object *v = wire_json_get(req, name);
	char msg[96];

	*out = NULL;
	if (!v || json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_string)) {
		snprintf(msg, sizeof(msg), "The request is invalid: %s must be a string.", name);
		reply_message(r, 400, msg);
		return -1;
	}
	if (json_object_get_string_len(v) > 0)
		*out = json_object_get_string(v);
	return 0;
}

/* StartDate/EndDate into q (both or neither). 0 ok, -1 answered 400. */
static int query_window(const char *start, const char *end, struct store_query *q, struct reply *r)
{
	if (!start && !end)
		return 0;
	if (!start || !end || wire_parse_datetime(start, &q->from) < 0 ||
	    wire_parse_datetime(end, &q->to) < 0) {
		reply_message(
		    r, 400,
		    "StartDate and EndDate must both be dates such as 2024-11-26T08:00:00Z.");
		return -1;
	}
	if (q->to < q->from || q->to - q->from > MAX_WINDOW_SECONDS) {
		reply_message(r, 400, "The date range must not exceed 24 hours.");
		return -1;
	}
	q->window = true;
	return 0;
}

void api_message_status(const struct call *c, struct reply *r)
{
	json_object *req = call_json_body(c, r);
	struct store_query q = {0};
	const char *start, *end;
	json_object *found, *result;
	size_t n;

	if (!req)
		return;
	q.user = c->user;
	if (optional_string(req, "TrackingId", &q.tracking_id, r) < 0 ||
	    optional_string(req, "CustomerTrackingId", &q.customer_tracking_id, r) < 0 ||
	    optional_string(req, "StartDate", &start, r) < 0 ||
	    optional_string(req, "EndDate", &end, r) < 0)
		goto out;
	/* A TrackingId names one message: the dates do not narrow it further. */
	if (!q.tracking_id && query_window(start, end, &q, r) < 0)
		goto out;
	if (!q.tracking_id && !q.customer_tracking_id && !q.window) {
		reply_message(r, 400,
		              "Give a TrackingId, a CustomerTrackingId, or StartDate and "
		              "EndDate.");
		goto out;
	}
	found = store_messages_find(c->sim->store, &q);
	if (!found) {
		reply_message(r, 500, "An error has occurred.");
		goto out;
	}
	result = json_object_new_array();
	n = json_object_array_length(found);
	for (size_t i = 0; i < n; i++)
		json_object_array_add(result, status_model(json_object_array_get_idx(found, i)));
	json_object_put(found);
	api_success(r, NULL, result);
out:
	json_object_put(req);
}

void api_message_info(const struct call *c, struct reply *r)
{
	static const char prefix[] = "/api/v1/MessageInfo/";
	char tracking_id[STORE_ID_MAX];
	struct store_query q = {0};
	json_object *found;

	/* routes_find() matched the prefix and one segment, maybe with a trailing '/'. */
	snprintf(tracking_id, sizeof(tracking_id), "%.*s",
	         (int)strcspn(c->path + sizeof(prefix) - 1, "/"), c->path + sizeof(prefix) - 1);
	q.user = c->user;
	q.tracking_id = tracking_id;
	found = store_messages_find(c->sim->store, &q);
	if (!found) {
		reply_message(r, 500, "An error has occurred.");
		return;
	}
	if (json_object_array_length(found) == 0)
		reply_message(r, 404, "No message with that TrackingId was found.");
	else
		api_success(r, NULL, status_model(json_object_array_get_idx(found, 0)));
	json_object_put(found);
}
