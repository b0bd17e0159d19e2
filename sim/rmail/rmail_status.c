/*
 * rmail_status.c - delivery status queries of the RMail API:
 * POST /api/v1/Receipt/MessageStatus and GET /api/v1/MessageInfo/{id}.
 *
 * Both answer a collection of ReceiptMessageDetailsModel (TrackingId,
 * CustomerTrackingId, SenderName, SenderAddress, Date, Status, Recipients,
 * RedactedTextViewDetail) inside the usual envelope, as ResultContent:
 *   https://webapi.r1.rpost.net/Help/Api/POST-api-v1-Receipt-MessageStatus
 *   https://webapi.r1.rpost.net/Help/Api/GET-api-v1-MessageInfo-trackingId
 *   santiqc/procesosColas src/main/java/com/procesos/colas/application/Dto/
 *     MessageStatusDTO.java (the envelope; ReceiptRecipientData: Address,
 *     RecipientType, DeliveredDate, OpenedDate, DeliveryStatus, DeliveryDetail;
 *     dates without a zone, read with LocalDateTime.parse)
 *
 * rmail-sim delivers at once: every accepted message reports "Delivered"
 * for every recipient, delivered when it was accepted and not yet opened.
 * A sender that crashed mid-send asks here, by window, and finds its own
 * CustomerTrackingId in the results (DESIGN 3.5); a `stale` fault hides
 * messages accepted a moment ago, as a service that lists them late.
 */
#include "routes.h"
#include "wire.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* Status help: "The maximum allowed date range is only 24 hours." */
#define MAX_WINDOW_SECONDS (24 * 3600)

static json_object *string_copy(json_object *v)
{
	return v && json_object_is_type(v, json_type_string)
	           ? json_object_new_string(json_object_get_string(v))
	           : NULL;
}

/* "2024-11-21T10:15:32": the record's ISO time without its zone. */
static json_object *date_no_zone(json_object *iso)
{
	char buf[32];
	const char *s =
	    iso && json_object_is_type(iso, json_type_string) ? json_object_get_string(iso) : NULL;

	if (!s)
		return NULL;
	snprintf(buf, sizeof(buf), "%.19s", s);
	return json_object_new_string(buf);
}

/* The ReceiptMessageDetailsModel of one recorded message (the /_sim/messages
 * shape); new object. */
static json_object *status_model(json_object *rec)
{
	static const struct {
		const char *list, *type;
	} lists[] = {{"to", "To"}, {"cc", "Cc"}, {"bcc", "Bcc"}};
	json_object *o = json_object_new_object();
	json_object *recipients = json_object_new_array();
	json_object *accepted = json_object_object_get(rec, "accepted_at");
	json_object *user = json_object_object_get(rec, "user");

	json_object_object_add(o, "TrackingId",
	                       string_copy(json_object_object_get(rec, "tracking_id")));
	json_object_object_add(o, "CustomerTrackingId",
	                       string_copy(json_object_object_get(rec, "customer_tracking_id")));
	json_object_object_add(o, "SenderName", string_copy(user));
	json_object_object_add(o, "SenderAddress", string_copy(user));
	json_object_object_add(o, "Date", date_no_zone(accepted));
	json_object_object_add(o, "Status", json_object_new_string("Delivered"));
	for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++) {
		json_object *arr = json_object_object_get(rec, lists[l].list);
		size_t n = arr ? json_object_array_length(arr) : 0;

		for (size_t i = 0; i < n; i++) {
			json_object *one = json_object_new_object();

			json_object_object_add(one, "Address",
			                       string_copy(json_object_array_get_idx(arr, i)));
			json_object_object_add(one, "RecipientType",
			                       json_object_new_string(lists[l].type));
			json_object_object_add(one, "DeliveryStatus",
			                       json_object_new_string("Delivered to Mailbox"));
			json_object_object_add(one, "DeliveryDetail", NULL);
			json_object_object_add(one, "DeliveredDate", date_no_zone(accepted));
			json_object_object_add(one, "OpenedDate", NULL);
			json_object_array_add(recipients, one);
		}
	}
	json_object_object_add(o, "Recipients", recipients);
	json_object_object_add(o, "RedactedTextViewDetail", NULL);
	return o;
}

/* Answers the collection found for q (a stale fault hides the newest). */
static void answer_collection(const struct call *c, struct store_query *q, struct reply *r)
{
	json_object *found, *result;
	size_t n;

	if (c->fault && c->fault->kind == FAULT_STALE)
		q->hide_after = time(NULL) - (c->fault->latency_ms + 999) / 1000;
	found = store_messages_find(c->sim->store, q);
	if (!found) {
		reply_message(r, 500, "An error has occurred.");
		return;
	}
	result = json_object_new_array();
	n = json_object_array_length(found);
	for (size_t i = 0; i < n; i++)
		json_object_array_add(result, status_model(json_object_array_get_idx(found, i)));
	json_object_put(found);
	api_success(r, NULL, result);
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

/* StartDate/EndDate into q, both required. 0 ok, -1 answered 400. */
static int query_window(const char *start, const char *end, struct store_query *q, struct reply *r)
{
	if (!start || !end) {
		reply_message(r, 400, "Give a TrackingId, or StartDate and EndDate.");
		return -1;
	}
	if (wire_parse_datetime(start, &q->from) < 0 || wire_parse_datetime(end, &q->to) < 0) {
		reply_message(r, 400,
		              "StartDate and EndDate must be dates such as "
		              "2024-11-21T10:15:32+00:00.");
		return -1;
	}
	if (q->to < q->from || q->to - q->from > MAX_WINDOW_SECONDS) {
		reply_message(r, 400, "The date range must not exceed 24 hours.");
		return -1;
	}
	q->window = true;
	return 0;
}

/*
 * Status help: the filters are the date range (StartDate, EndDate) and
 * TrackingId; "if tracking id is passed, date range will be ignored".  The
 * binding model has no CustomerTrackingId: ASP.NET drops members its model
 * lacks, so a CustomerTrackingId in the request filters nothing.
 */
void api_message_status(const struct call *c, struct reply *r)
{
	json_object *req = call_json_body(c, r);
	struct store_query q = {0};
	const char *start, *end;

	if (!req)
		return;
	q.user = c->user;
	if (optional_string(req, "TrackingId", &q.tracking_id, r) < 0 ||
	    optional_string(req, "StartDate", &start, r) < 0 ||
	    optional_string(req, "EndDate", &end, r) < 0)
		goto out;
	if (!q.tracking_id && query_window(start, end, &q, r) < 0)
		goto out;
	answer_collection(c, &q, r);
out:
	json_object_put(req);
}

/* Info help: GET api/v1/MessageInfo/{trackingId} answers the same
 * collection; an id RMail does not know gives an empty one. */
void api_message_info(const struct call *c, struct reply *r)
{
	static const char prefix[] = "/api/v1/MessageInfo/";
	char tracking_id[STORE_ID_MAX];
	struct store_query q = {0};

	/* routes_find() matched the prefix and one segment, maybe with a trailing '/'. */
	snprintf(tracking_id, sizeof(tracking_id), "%.*s",
	         (int)strcspn(c->path + sizeof(prefix) - 1, "/"), c->path + sizeof(prefix) - 1);
	q.user = c->user;
	q.tracking_id = tracking_id;
	answer_collection(c, &q, r);
}
