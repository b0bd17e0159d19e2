/*
 * rmail_api.c - the RMail (RPost) REST API as rmail-sim answers it.
 *
 * Shapes follow DESIGN.md 3.2, which mirrors RPost's public API at
 * https://webapi.r1.rpost.net: an OWIN OAuth 2.0 token endpoint (RFC 6749,
 * 4.3 resource owner password grant) in front of ASP.NET Web API
 * controllers, which bind JSON member names ignoring case and report
 * errors as {"Message": "..."}. A send that RMail refuses on business
 * grounds is still HTTP 200, with Status "Failure".
 */
#include "ids.h"
#include "routes.h"
#include "wire.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#define FORM_VALUE_MAX    1024
#define TRACKING_ID_BYTES 16
#define MESSAGE_ID_BYTES  16
/* "Ordinary mail up to about 25 MB" (DESIGN.md 3.2); beyond that, large-file transfer. */
#define ORDINARY_MAIL_MAX_BYTES (25ULL * 1024 * 1024)
#define MAIL_ATTACHMENTS_MAX    64

enum option_values {
	OPT_TEXT,     /* any string */
	OPT_TYPE,     /* "1" registered (marked), "2" unmarked */
	OPT_FLAG,     /* "0" or "1" */
	OPT_TRANSFER, /* a key from LargeFileTransfer */
};

/* The X-RPost-* options a send may carry, in their canonical spelling (DESIGN.md 3.2). */
static const struct {
	const char *name;
	enum option_values values;
} known_options[] = {
    {"X-RPost-Type", OPT_TYPE},
    {"X-RPost-App", OPT_TEXT},
    {"X-RPost-TLS", OPT_FLAG},
    {"X-RPost-SecuRmail", OPT_FLAG},
    {"X-RPost-SecuRmail-AutoPassword", OPT_FLAG},
    {"X-RPost-SendPassword", OPT_FLAG},
    {"X-RPost-Esign", OPT_FLAG},
    {"X-RPost-Sidenote-Text", OPT_TEXT},
    {"X-RPost-LargeMail", OPT_TRANSFER},
    {"X-RPost-CustomerTrackingId", OPT_TEXT},
};

static void oauth_error(struct reply *r, const char *error, const char *description)
{
	json_object *o = json_object_new_object();

	if (o) {
		json_object_object_add(o, "error", json_object_new_string(error));
		if (description)
			json_object_object_add(o, "error_description",
			                       json_object_new_string(description));
	}
	reply_json(r, 400, o);
	r->no_store = true;
}

void api_unauthorized(struct reply *r)
{
	reply_message(r, 401, "Authorization has been denied for this request.");
	r->challenge = true;
}

void api_business_failure(struct reply *r, const char *message)
{
	json_object *o = json_object_new_object();
	json_object *msgs = json_object_new_array();
	json_object *m = json_object_new_object();

	json_object_object_add(m, "Message", json_object_new_string(message));
	json_object_array_add(msgs, m);
	json_object_object_add(o, "StatusCode", json_object_new_int(400));
	json_object_object_add(o, "StatusText", json_object_new_string("Bad Request"));
	json_object_object_add(o, "Status", json_object_new_string("Failure"));
	json_object_object_add(o, "Message", msgs);
	json_object_object_add(o, "ResultContent", NULL);
	reply_json(r, 200, o);
}

void api_success(struct reply *r, json_object *messages, json_object *result)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "StatusCode", json_object_new_int(200));
	json_object_object_add(o, "StatusText", json_object_new_string("OK"));
	json_object_object_add(o, "Status", json_object_new_string("Success"));
	json_object_object_add(o, "Message", messages ? messages : json_object_new_array());
	json_object_object_add(o, "ResultContent", result);
	reply_json(r, 200, o);
}

void api_token(const struct call *c, struct reply *r)
{
	char grant[64], user[STORE_USER_MAX], password[FORM_VALUE_MAX], canon[STORE_USER_MAX];
	char token[STORE_TOKEN_MAX], issued_s[40], expires_s[40];
	time_t issued, expires;
	json_object *o;
	enum wire_form_result ru, rp;

	if (wire_form_get(c->body, c->body_len, "grant_type", grant, sizeof(grant)) !=
	        WIRE_FORM_FOUND ||
	    strcmp(grant, "password") != 0) {
		oauth_error(r, "unsupported_grant_type", NULL);
		return;
	}
	ru = wire_form_get(c->body, c->body_len, "username", user, sizeof(user));
	rp = wire_form_get(c->body, c->body_len, "password", password, sizeof(password));
	if (ru == WIRE_FORM_MALFORMED || rp == WIRE_FORM_MALFORMED) {
		oauth_error(r, "invalid_request", "The request is malformed.");
		goto out;
	}
	if (ru != WIRE_FORM_FOUND || rp != WIRE_FORM_FOUND ||
	    !store_account_check(c->sim->store, user, password, canon, sizeof(canon))) {
		oauth_error(r, "invalid_grant", "The user name or password is incorrect.");
		goto out;
	}
	if (store_token_issue(c->sim->store, canon, c->sim->token_ttl, token, sizeof(token),
	                      &issued, &expires) < 0) {
		reply_message(r, 500, "An error has occurred.");
		goto out;
	}
	wire_format_http_date(issued, issued_s, sizeof(issued_s));
	wire_format_http_date(expires, expires_s, sizeof(expires_s));
	o = json_object_new_object();
	json_object_object_add(o, "access_token", json_object_new_string(token));
	json_object_object_add(o, "token_type", json_object_new_string("bearer"));
	json_object_object_add(o, "expires_in", json_object_new_int64(c->sim->token_ttl));
	json_object_object_add(o, "userName", json_object_new_string(canon));
	json_object_object_add(o, ".issued", json_object_new_string(issued_s));
	json_object_object_add(o, ".expires", json_object_new_string(expires_s));
	reply_json(r, 200, o);
	r->no_store = true;
out:
	OPENSSL_cleanse(password, sizeof(password));
	OPENSSL_cleanse(token, sizeof(token));
}

void api_upload(const struct call *c, struct reply *r)
{
	struct upload_part *up = c->upload;
	struct store_upload meta = {0};

	if (!up || !up->present) {
		reply_message(r, 400, "The request has no file part named \"file\".");
		return;
	}
	snprintf(meta.user, sizeof(meta.user), "%s", c->user);
	snprintf(meta.filename, sizeof(meta.filename), "%s", up->filename);
	snprintf(meta.sha256, sizeof(meta.sha256), "%s", up->sha256);
	meta.bytes = up->bytes;
	if (store_upload_commit(c->sim->store, up->tmp_path, &meta) < 0) {
		up->tmp_path[0] = '\0'; /* commit removed it */
		reply_message(r, 500, "An error has occurred.");
		return;
	}
	up->tmp_path[0] = '\0';
	reply_json(r, 200, json_object_new_string(meta.id)); /* a bare JSON string, as RMail does */
}

/*
 * Checks that `ids` (a JSON array, or absent/null) names uploads of user,
 * and appends {id, name, bytes, sha256} for each to out (if not NULL).
 * Returns 0, or -1 after answering 400.
 */
static int resolve_attachments(const struct call *c, json_object *ids, json_object *out,
                               uint64_t *total, struct reply *r)
{
	char msg[160];
	size_t n;

	*total = 0;
	if (!ids || json_object_is_type(ids, json_type_null))
		return 0;
	if (!json_object_is_type(ids, json_type_array)) {
		reply_message(r, 400,
		              "The request is invalid: Attachments must be an array of ids.");
		return -1;
	}
	n = json_object_array_length(ids);
	if (n > MAIL_ATTACHMENTS_MAX) {
		reply_message(r, 400, "The request is invalid: too many attachments.");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		json_object *id = json_object_array_get_idx(ids, i);
		struct store_upload u;
		json_object *a;

		if (!json_object_is_type(id, json_type_string)) {
			reply_message(r, 400,
			              "The request is invalid: attachment ids are strings.");
			return -1;
		}
		if (!store_upload_find(c->sim->store, c->user, json_object_get_string(id), &u)) {
			snprintf(msg, sizeof(msg), "Unknown attachment id: %.64s",
			         json_object_get_string(id));
			reply_message(r, 400, msg);
			return -1;
		}
		*total += u.bytes;
		if (!out)
			continue;
		a = json_object_new_object();
		json_object_object_add(a, "id", json_object_new_string(u.id));
		json_object_object_add(a, "name", json_object_new_string(u.filename));
		json_object_object_add(a, "bytes", json_object_new_int64((int64_t)u.bytes));
		json_object_object_add(a, "sha256", json_object_new_string(u.sha256));
		json_object_array_add(out, a);
	}
	return 0;
}

void api_large_file_transfer(const struct call *c, struct reply *r)
{
	json_object *req = call_json_body(c, r);
	json_object *ids, *sender, *o;
	char key[STORE_ID_MAX];
	uint64_t total;

	if (!req)
		return;
	ids = wire_json_get(req, "Attachments");
	sender = wire_json_get(req, "SenderAddress");
	if (!ids || !json_object_is_type(ids, json_type_array) ||
	    json_object_array_length(ids) == 0) {
		reply_message(r, 400, "The request is invalid: Attachments must list upload ids.");
		goto out;
	}
	if (sender && !json_object_is_type(sender, json_type_string) &&
	    !json_object_is_type(sender, json_type_null)) {
		reply_message(r, 400, "The request is invalid: SenderAddress must be a string.");
		goto out;
	}
	if (resolve_attachments(c, ids, NULL, &total, r) < 0)
		goto out;
	if (store_transfer_add(c->sim->store, c->user, key, sizeof(key)) < 0) {
		reply_message(r, 500, "An error has occurred.");
		goto out;
	}
	o = json_object_new_object();
	json_object_object_add(o, "Key", json_object_new_string(key));
	reply_json(r, 200, o);
out:
	json_object_put(req);
}

/* True when v is absent, null or a string. */
static bool string_or_null(json_object *v)
{
	return !v || json_object_is_type(v, json_type_null) ||
	       json_object_is_type(v, json_type_string);
}

static const char *string_or_empty(json_object *v)
{
	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
}

/*
 * Splits a ';'-separated recipient string into a JSON array of trimmed
 * addresses. Returns 0, or -1 with the first implausible address in
 * bad[badlen].
 */
static int split_addresses(const char *list, json_object *out, char *bad, size_t badlen)
{
	const char *p = list;

	while (*p) {
		size_t len = strcspn(p, ";");
		const char *start = p, *end = p + len;
		char addr[256];

		p = *end ? end + 1 : end;
		while (start < end && (*start == ' ' || *start == '\t'))
			start++;
		while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if (start == end)
			continue; /* "a@x.org;" or ";;" */
		snprintf(addr, sizeof(addr), "%.*s", (int)(end - start), start);
		if ((size_t)(end - start) >= sizeof(addr) || !wire_email_plausible(addr)) {
			snprintf(bad, badlen, "%.*s", (int)(end - start > 80 ? 80 : end - start),
			         start);
			return -1;
		}
		json_object_array_add(out, json_object_new_string(addr));
	}
	return 0;
}

/* The send as it will be recorded, and what validation found. */
struct mail {
	json_object *record;
	const char *customer_tracking_id;
	const char *transfer_key;
	bool large;
	char failure[320]; /* non-empty: a business failure to report */
};

static int mail_recipients(json_object *req, struct mail *m)
{
	static const char *const fields[] = {"To", "Cc", "Bcc"};
	char bad[96];

	for (size_t i = 0; i < 3; i++) {
		json_object *arr = json_object_new_array();
		const char *list = string_or_empty(wire_json_get(req, fields[i]));
		char key[4];

		snprintf(key, sizeof(key), "%s", fields[i]);
		key[0] = (char)(key[0] - 'A' + 'a');
		json_object_object_add(m->record, key, arr);
		if (split_addresses(list, arr, bad, sizeof(bad)) < 0) {
			snprintf(m->failure, sizeof(m->failure),
			         "Invalid recipient address in %s: %s", fields[i], bad);
			return -1;
		}
		if (i == 0 && json_object_array_length(arr) == 0) {
			snprintf(m->failure, sizeof(m->failure),
			         "At least one recipient address (To) is required.");
			return -1;
		}
	}
	return 0;
}

static bool option_value_ok(enum option_values rule, const char *v)
{
	switch (rule) {
	case OPT_TYPE:
		return strcmp(v, "1") == 0 || strcmp(v, "2") == 0;
	case OPT_FLAG:
		return strcmp(v, "0") == 0 || strcmp(v, "1") == 0;
	case OPT_TEXT:
	case OPT_TRANSFER:
		return true;
	}
	return false;
}

/* Options: 0 ok, 1 business failure (m->failure), -1 answered 400. */
static int mail_options(const struct call *c, json_object *opts, struct mail *m, struct reply *r)
{
	json_object *rec = json_object_new_object();

	json_object_object_add(m->record, "options", rec);
	if (!opts || json_object_is_type(opts, json_type_null))
		return 0;
	if (!json_object_is_type(opts, json_type_object)) {
		reply_message(r, 400, "The request is invalid: Options must be an object.");
		return -1;
	}
	json_object_object_foreach(opts, name, val)
	{
		size_t k = 0, n = sizeof(known_options) / sizeof(known_options[0]);
		const char *v;

		while (k < n && strcasecmp(name, known_options[k].name) != 0)
			k++;
		if (k == n) {
			snprintf(m->failure, sizeof(m->failure), "Unknown option: %.128s", name);
			return 1;
		}
		if (!json_object_is_type(val, json_type_string) &&
		    !json_object_is_type(val, json_type_int) &&
		    !json_object_is_type(val, json_type_boolean)) {
			reply_message(r, 400, "The request is invalid: option values are strings.");
			return -1;
		}
		v = json_object_get_string(val);
		if (!option_value_ok(known_options[k].values, v)) {
			snprintf(m->failure, sizeof(m->failure), "Invalid value for %s: %.64s",
			         known_options[k].name, v);
			return 1;
		}
		json_object_object_add(rec, known_options[k].name, json_object_new_string(v));
		if (known_options[k].values == OPT_TRANSFER) {
			if (!store_transfer_owned(c->sim->store, c->user, v)) {
				snprintf(m->failure, sizeof(m->failure),
				         "Unknown large-file transfer key: %.64s", v);
				return 1;
			}
			m->large = true;
		}
	}
	m->customer_tracking_id =
	    string_or_empty(json_object_object_get(rec, "X-RPost-CustomerTrackingId"));
	m->transfer_key = string_or_empty(json_object_object_get(rec, "X-RPost-LargeMail"));
	return 0;
}

/* IsLargeMail: a JSON boolean, or "true"/"false" as .NET also binds. 0 ok, -1 answered 400. */
static int mail_is_large(json_object *v, bool *large, struct reply *r)
{
	*large = false;
	if (!v || json_object_is_type(v, json_type_null))
		return 0;
	if (json_object_is_type(v, json_type_boolean)) {
		*large = json_object_get_boolean(v);
		return 0;
	}
	if (json_object_is_type(v, json_type_string) &&
	    (strcasecmp(json_object_get_string(v), "true") == 0 ||
	     strcasecmp(json_object_get_string(v), "false") == 0)) {
		*large = strcasecmp(json_object_get_string(v), "true") == 0;
		return 0;
	}
	reply_message(r, 400, "The request is invalid: IsLargeMail must be true or false.");
	return -1;
}

/* Type checks that ASP.NET model binding would fail with 400. 0 ok, -1 answered. */
static int mail_types_ok(json_object *req, struct reply *r)
{
	static const char *const strings[] = {"To", "Cc", "Bcc", "Subject", "Body"};
	json_object *tz = wire_json_get(req, "TimeZoneOffset");
	char msg[96];

	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
		if (!string_or_null(wire_json_get(req, strings[i]))) {
			snprintf(msg, sizeof(msg), "The request is invalid: %s must be a string.",
			         strings[i]);
			reply_message(r, 400, msg);
			return -1;
		}
	}
	if (!string_or_null(tz) && !json_object_is_type(tz, json_type_int) &&
	    !json_object_is_type(tz, json_type_double)) {
		reply_message(r, 400, "The request is invalid: TimeZoneOffset must be a string.");
		return -1;
	}
	return 0;
}

static void mail_record_basics(json_object *req, const struct call *c, struct mail *m,
                               const char *tracking_id, const char *message_id, time_t now)
{
	json_object *tz = wire_json_get(req, "TimeZoneOffset");
	char when[32];

	wire_format_iso8601(now, when, sizeof(when));
	json_object_object_add(m->record, "tracking_id", json_object_new_string(tracking_id));
	json_object_object_add(m->record, "message_id", json_object_new_string(message_id));
	json_object_object_add(m->record, "user", json_object_new_string(c->user));
	json_object_object_add(
	    m->record, "subject",
	    json_object_new_string(string_or_empty(wire_json_get(req, "Subject"))));
	json_object_object_add(
	    m->record, "body_bytes",
	    json_object_new_int64((int64_t)strlen(string_or_empty(wire_json_get(req, "Body")))));
	json_object_object_add(m->record, "time_zone_offset",
	                       tz && !json_object_is_type(tz, json_type_null)
	                           ? json_object_new_string(json_object_get_string(tz))
	                           : NULL);
	json_object_object_add(m->record, "accepted_at", json_object_new_string(when));
}

void api_mail(const struct call *c, struct reply *r)
{
	json_object *req = call_json_body(c, r);
	json_object *atts;
	struct mail m = {0};
	char tracking_id[2 * TRACKING_ID_BYTES + 1], message_id[2 * MESSAGE_ID_BYTES + 1];
	time_t now = time(NULL);
	uint64_t total = 0;
	bool is_large;
	int rc;

	if (!req)
		return;
	m.record = json_object_new_object();
	atts = json_object_new_array();
	json_object_object_add(m.record, "attachments", atts);
	if (mail_types_ok(req, r) < 0 ||
	    mail_is_large(wire_json_get(req, "IsLargeMail"), &is_large, r) < 0 ||
	    resolve_attachments(c, wire_json_get(req, "Attachments"), atts, &total, r) < 0)
		goto out;
	rc = mail_options(c, wire_json_get(req, "Options"), &m, r);
	if (rc < 0)
		goto out;
	if (rc == 0 && mail_recipients(req, &m) == 0 && !is_large && !m.large &&
	    total > ORDINARY_MAIL_MAX_BYTES)
		snprintf(m.failure, sizeof(m.failure),
		         "The attachments (%llu bytes) exceed the ordinary mail limit of %llu "
		         "bytes; use large-file transfer.",
		         (unsigned long long)total, (unsigned long long)ORDINARY_MAIL_MAX_BYTES);
	if (m.failure[0]) {
		store_count(c->sim->store, EP_MAIL, CNT_BUSINESS_FAILURES);
		api_business_failure(r, m.failure);
		goto out;
	}
	if (ids_random_hex(tracking_id, sizeof(tracking_id), TRACKING_ID_BYTES) < 0 ||
	    ids_random_hex(message_id, sizeof(message_id), MESSAGE_ID_BYTES) < 0) {
		reply_message(r, 500, "An error has occurred.");
		goto out;
	}
	ids_upper(tracking_id);
	mail_record_basics(req, c, &m, tracking_id, message_id, now);
	json_object_object_add(m.record, "is_large_mail", json_object_new_boolean(is_large));
	json_object_object_add(
	    m.record, "large_mail_key",
	    m.transfer_key && m.transfer_key[0] ? json_object_new_string(m.transfer_key) : NULL);
	json_object_object_add(m.record, "customer_tracking_id",
	                       m.customer_tracking_id && m.customer_tracking_id[0]
	                           ? json_object_new_string(m.customer_tracking_id)
	                           : NULL);
	{
		struct store_message_key key = {c->user, tracking_id, m.customer_tracking_id, now};
		json_object *msgs = json_object_new_array();
		json_object *one = json_object_new_object();
		json_object *result = json_object_new_object();

		/* customer_tracking_id points into the record: store before letting go of it. */
		rc = store_message_add(c->sim->store, &key, m.record);
		m.record = NULL;
		if (rc < 0) {
			json_object_put(msgs);
			json_object_put(one);
			json_object_put(result);
			reply_message(r, 500, "An error has occurred.");
			goto out;
		}
		store_count(c->sim->store, EP_MAIL, CNT_ACCEPTED);
		json_object_object_add(one, "Message", json_object_new_string("Message sent"));
		json_object_object_add(one, "MessageId", json_object_new_string(message_id));
		json_object_array_add(msgs, one);
		json_object_object_add(result, "TrackingId", json_object_new_string(tracking_id));
		api_success(r, msgs, result);
	}
out:
	json_object_put(m.record);
	json_object_put(req);
}
